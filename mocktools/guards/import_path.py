"""Guard: ``sys.path`` and ``sys.meta_path`` entries added or removed.

A snapshot of both lists (two tuple copies, well under a microsecond) is
compared at the end of each scope; the lists are restored in place, so
code holding a reference to them sees the restored entries.

A finder that a module's top-level code put on ``sys.meta_path`` while the
scope imported that module (``six`` adds its importer the first time it is
imported) belongs to the module, not to the scope: which test happens to
import a module first depends on the order the tests run in, and taking
the finder away would break the module for every later test.  Such a
finder is told by where it is kept: the namespace of a module that the
scope imported holds it.  One that no namespace keeps (``pkg_resources``
makes its vendored importer and only puts it in place) is told by its
class: the only finder added of a class that such a module defines, where
no namespace keeps one of that class.  Two added finders of that class
that nothing keeps cannot be told apart, and are both reported.
"""

import collections
import itertools
import sys

from mocktools.engine import sweep
from mocktools.guards import base

__all__ = ['ImportPathGuard']

_LISTS = ('path', 'meta_path')


class ImportPathGuard(base.SnapshotGuard):
    """Entries added to or removed from ``sys.path``/``sys.meta_path``."""

    name = 'import_path'
    title = 'sys.path and sys.meta_path entries'

    def snapshot(self):
        # (the number of modules: how many the scope imported, if any)
        return tuple(sys.path), tuple(sys.meta_path), len(sys.modules)

    def items(self, snapshot):
        return dict(zip(_LISTS, snapshot))

    def compare(self, clean, before):
        now = self.snapshot()
        if now == before:
            return []
        imported = _imported_finders(before, now)
        if imported:
            # as if they had been there: neither reported nor taken away
            theirs = set(map(id, imported))
            rest = tuple(finder for finder in now[1]
                         if id(finder) not in theirs)
            before = (before[0], now[1] if self.same(rest, before[1])
                      else before[1] + tuple(imported), before[2])
        return base.keyed_changes(self, self.items(clean), self.items(before),
                                  self.items(now))

    @staticmethod
    def same(old, new):
        return old is new or (
            old is not base.MISSING and new is not base.MISSING
            and len(old) == len(new) and all(map(_identical, old, new)))

    def describe(self, key, old, new, subject=None):
        before = set(map(id, old))
        after = set(map(id, new))
        added = [item for item in new if id(item) not in before]
        removed = [item for item in old if id(item) not in after]
        parts = []
        if added:
            parts.append('added %s' % ', '.join(map(base.safe_repr, added)))
        if removed:
            parts.append('removed %s' % ', '.join(
                map(base.safe_repr, removed)))
        return 'sys.%s' % key, 'sys.%s %s' % (
            key, '; '.join(parts) or 'reordered')

    @staticmethod
    def show(value):
        return '[%d entries]' % len(value)

    def put(self, key, value):
        vars(sys)[key][:] = value
        return 'sys.%s restored in place' % key


def _imported_finders(before, now):
    """The finders added to ``sys.meta_path`` by modules imported since.

    Imports append to ``sys.modules``: when it grew by ``n``, its last
    ``n`` entries are modules imported since ``before`` (whatever else was
    removed meanwhile).  An added finder is theirs when one of their
    namespaces holds it, or when it is the only added finder of a class
    one of them defines and no namespace holds one of that class; all read
    without running any code of theirs (a class's ``__module__`` from its
    own dict).
    """
    grown = now[2] - before[2]
    if grown <= 0:
        return []
    known = set(map(id, before[1]))
    added = [finder for finder in now[1] if id(finder) not in known]
    if not added:
        return []
    held, names = set(), set()
    for name, module in itertools.islice(
            reversed(list(sys.modules.items())), grown):
        if type(name) is str:
            names.add(name)
        namespace = sweep.namespace_of(module)
        if type(namespace) is dict:
            held.update(map(id, list(namespace.values())))
    theirs = {id(finder) for finder in added if id(finder) in held}
    # classes by id: a metaclass's __hash__ or __eq__ is not called
    kept_kinds = {id(type(finder)) for finder in added
                  if id(finder) in theirs}
    loose = collections.defaultdict(list)   # id(class) -> the unkept added
    for finder in added:
        if id(finder) not in theirs:
            loose[id(type(finder))].append(finder)
    for key, finders in loose.items():
        defined_in = sweep._type_dict(type(finders[0])).get('__module__')
        if (len(finders) == 1 and key not in kept_kinds
                and type(defined_in) is str and defined_in in names):
            theirs.add(id(finders[0]))
    return [finder for finder in added if id(finder) in theirs]


def _identical(a, b):
    return a is b or (type(a) is str and type(b) is str and a == b)
