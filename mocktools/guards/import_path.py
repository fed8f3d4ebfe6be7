"""Guard: ``sys.path`` and ``sys.meta_path`` entries added or removed.

A snapshot of both lists (two tuple copies, well under a microsecond) is
compared at the end of each scope; the lists are restored in place, so
code holding a reference to them sees the restored entries.
"""

import sys

from mocktools.guards import base

__all__ = ['ImportPathGuard']

_LISTS = ('path', 'meta_path')


class ImportPathGuard(base.SnapshotGuard):
    """Entries added to or removed from ``sys.path``/``sys.meta_path``."""

    name = 'import_path'
    title = 'sys.path and sys.meta_path entries'

    def snapshot(self):
        return tuple(sys.path), tuple(sys.meta_path)

    def items(self, snapshot):
        return dict(zip(_LISTS, snapshot))

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


def _identical(a, b):
    return a is b or (type(a) is str and type(b) is str and a == b)
