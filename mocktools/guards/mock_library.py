"""Guard: attributes set on the mock library itself.

``MagicMock.foo = 1``, ``mock.DEFAULT = object()`` or any other write to
``unittest.mock`` (or the ``mock`` backport) and its classes changes every
mock made afterwards, in every later test.  The dicts of those modules and
of the classes they define are followed by their version tags (read in
one call, see :func:`mocktools.engine.dict_changes.fingerprint`); their
contents are copied only when they change.  mocktools' own hooks on these
classes (:mod:`mocktools.engine.instrumentation`) go in before any baseline
is taken, and hooks put in again later are not a change either.  Only the
classes every mock or patcher goes through are followed (``MagicMock``,
``AsyncMock``, ``_patch`` and their bases in the library...).
"""

import sys
import types

from mocktools.engine import dict_changes
from mocktools.engine import instrumentation
from mocktools.guards import base

__all__ = ['MockLibraryGuard']

# The classes whose attributes every mock or patcher sees (and their bases
# in the library): followed on every test, so kept to these.
_CLASSES = ('MagicMock', 'NonCallableMagicMock', 'AsyncMock', 'PropertyMock',
            'ThreadingMock', '_patch', '_patch_dict', '_Call', '_CallList',
            '_SentinelObject')

# Caches filled in on first use, not by a test: ``mock_open``'s specs
# (module globals, from None), ``copyreg``'s ``__slotnames__`` (set on a
# class the first time an instance is copied or pickled) and the
# ``__warningregistry__`` the interpreter adds to a module the first time a
# warning is issued from its code (whether shown or not).
_LAZY = frozenset(('file_spec', 'open_spec', '__slotnames__',
                   '__warningregistry__'))


class MockLibraryGuard(base.SnapshotGuard):
    """A mock library module's or class's attributes changed, put back."""

    name = 'mock_library'
    title = ('attributes of unittest.mock and the mock backport, and of '
             'their classes')

    def __init__(self):
        self._backport = None
        self._namespaces = ()     # (name, namespace) of every followed dict
        self._fingerprint = None
        self._read = None         # the fingerprint at the last read
        self._generation = 0      # bumped whenever a followed dict changed
        self._copies = {}         # generation -> {(owner, key): value}

    def _follow(self):
        modules = instrumentation.mock_modules()
        self._backport = sys.modules.get('mock.mock')
        namespaces = []
        for module in modules:
            namespace = vars(module)
            module_name = namespace['__name__']
            namespaces.append((module_name, namespace))
            seen = set()
            for name in _CLASSES:
                for cls in getattr(namespace.get(name), '__mro__', ()):
                    if cls not in seen and vars(cls).get(
                            '__module__') == module_name:
                        seen.add(cls)
                        namespaces.append(('%s.%s' % (
                            module_name, cls.__qualname__), vars(cls)))
        tracker = getattr(self._fingerprint, 'tracker', None)
        if tracker is not None:
            tracker.close()   # frees its dict watcher slot
        self._fingerprint = dict_changes.fingerprint(
            [namespace for _, namespace in namespaces])
        self._read = self._fingerprint()
        self._namespaces = namespaces
        self._generation += 1
        self._copies = {}

    def snapshot(self):
        if self._fingerprint is None or sys.modules.get('mock.mock') is not (
                self._backport):
            self._follow()
        now = self._fingerprint()
        if now != self._read:
            self._read = now
            self._generation += 1
        return self._generation

    def items(self, snapshot):
        contents = self._copies.get(snapshot)
        if contents is None:
            # first seen at a comparison: the state is the current one
            contents = self._copies[snapshot] = self._contents()
        return contents

    def baseline(self):
        # the state the last check left (read again only at the end: a
        # write between two tests is taken for the next test's)
        token = self._generation if self._fingerprint is not None else (
            self.snapshot())
        if token not in self._copies:
            if len(self._copies) > 16:
                self._copies.clear()
            self._copies[token] = self._contents()
        return token

    def _contents(self):
        return {(owner, key): value for owner, namespace in self._namespaces
                for key, value in list(namespace.items())}

    @staticmethod
    def same(old, new):
        # compared as what they wrap, restored as they were: putting back
        # a replaced method puts back mocktools' hook on it too
        return base.Guard.same(_unhooked(old), _unhooked(new))

    def compare(self, clean, before):
        if self.snapshot() == before:
            return []
        return [change for change in super().compare(clean, before)
                if not (change.key[1] in _LAZY
                        and change.previous in (None, base.MISSING))]

    def describe(self, key, old, new, subject=None):
        owner, name = key
        kind = ('attribute added' if old is base.MISSING else
                'attribute removed' if new is base.MISSING else
                'attribute replaced')
        return '%s.%s' % (owner, name), 'mock library %s' % kind

    def put(self, key, value):
        owner, name = key
        holder = _holder(owner)
        if holder is None:
            return 'not restored (%s is no longer loaded)' % owner
        if value is base.MISSING:
            delattr(holder, name)
            return 'removed'
        setattr(holder, name, value)
        return 'set back to %s' % base.safe_repr(value)


def _unhooked(value):
    """``value``, or the library's own function a mocktools hook wraps.

    So hooks put in (or taken out and put in again) while checks run are
    never a change: they are mocktools', not the test's.
    """
    if type(value) is types.FunctionType:
        original = value.__dict__.get('__mocktools_hook__')
        if original is not None:
            return original
    return value


def _holder(owner):
    """The module or class named ``owner``, or None."""
    module = sys.modules.get(owner)
    if module is not None:
        return module
    module_name, _, class_name = owner.rpartition('.')
    module = sys.modules.get(module_name)
    return vars(module).get(class_name) if module is not None else None
