"""Guard: the ``warnings`` filters and ``warnings.showwarning``.

``warnings.simplefilter('error')`` left behind turns a deprecation in some
later test into an error.  The filter list (a tuple copy) and
``showwarning`` are compared at the end of each scope and restored in
place.  ``warnings.catch_warnings`` (and pytest's per-test capture) restore
both themselves; only their contents are compared, not the list object.
"""

import warnings

from mocktools.guards import base

__all__ = ['WarningFiltersGuard']


class WarningFiltersGuard(base.SnapshotGuard):
    """``warnings.filters`` or ``showwarning`` left changed, put back."""

    name = 'warning_filters'
    title = 'warnings filters and warnings.showwarning'

    def snapshot(self):
        return tuple(warnings.filters), warnings.showwarning

    def items(self, snapshot):
        return {'filters': snapshot[0], 'showwarning': snapshot[1]}

    @staticmethod
    def same(old, new):
        if type(old) is tuple and type(new) is tuple:
            return old == new
        return old is new

    @staticmethod
    def show(value):
        if type(value) is tuple:
            return '[%s]' % ', '.join(
                '%s %s' % (entry[0], getattr(entry[2], '__name__', '?'))
                for entry in value[:4]) + (', ...' if len(value) > 4 else '')
        return base.safe_repr(value)

    def describe(self, key, old, new, subject=None):
        if key == 'filters':
            added = [entry for entry in new if entry not in old]
            removed = [entry for entry in old if entry not in new]
            kind = ', '.join(filter(None, (
                'filter added: %s' % ', '.join(
                    '%s %s' % (entry[0], getattr(entry[2], '__name__', '?'))
                    for entry in added) if added else '',
                '%d removed' % len(removed) if removed else ''))) or (
                'filters reordered')
            return 'warnings.filters', 'warnings %s' % kind
        return 'warnings.showwarning', 'warnings.showwarning replaced'

    def put(self, key, value):
        if key == 'showwarning':
            warnings.showwarning = value
            return 'set back to %s' % base.safe_repr(value)
        warnings.filters[:] = value
        mutated = getattr(warnings, '_filters_mutated', None)
        if mutated is not None:
            mutated()   # the C module caches the filters' version
        return 'filters restored in place'
