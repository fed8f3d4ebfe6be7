"""Guard: attributes set on the mock library itself.

``MagicMock.foo = 1``, ``mock.DEFAULT = object()`` or any other write to
``unittest.mock`` (or the ``mock`` backport) and its classes changes every
mock made afterwards, in every later test.  The dicts of those modules and
of the classes they define are followed by their version tags (one 8-byte
read each, see :func:`mocktools.dict_changes.fingerprint`); their contents
are copied only when they change.  mocktools' own hooks on these classes
(:mod:`mocktools.instrumentation`) go in before any baseline is taken and
are not a change.
"""

import sys

from mocktools import dict_changes
from mocktools.guards import base
from mocktools import instrumentation

__all__ = ['MockLibraryGuard']

# Module globals the library fills in itself on first use (``mock_open``'s
# specs): set from None by the library, not by a test.
_LAZY = frozenset(('file_spec', 'open_spec'))


class MockLibraryGuard(base.SnapshotGuard):
    """A mock library module's or class's attributes changed, put back."""

    name = 'mock_library'
    title = ('attributes of unittest.mock and the mock backport, and of '
             'their classes')

    def __init__(self):
        self._modules = None
        self._namespaces = ()     # (name, namespace) of every followed dict
        self._fingerprint = None
        self._copies = {}         # fingerprint bytes -> {key: value}

    def _follow(self):
        modules = instrumentation.mock_modules()
        if modules == self._modules:
            return
        self._modules = modules
        namespaces = []
        for module in modules:
            namespace = vars(module)
            module_name = namespace['__name__']
            namespaces.append((module_name, namespace))
            for name, value in list(namespace.items()):
                if isinstance(value, type) and vars(value).get(
                        '__module__') == module_name:
                    namespaces.append(('%s.%s' % (module_name, name),
                                       vars(value)))
        self._namespaces = namespaces
        self._fingerprint = dict_changes.fingerprint(
            [namespace for _, namespace in namespaces])
        self._copies = {}

    def snapshot(self):
        self._follow()
        return bytes(self._fingerprint())

    def items(self, snapshot):
        contents = self._copies.get(snapshot)
        if contents is None:
            # first seen at a comparison: the state is the current one
            contents = self._copies[snapshot] = self._contents()
        return contents

    def baseline(self):
        token = self.snapshot()
        if token not in self._copies:
            if len(self._copies) > 16:
                self._copies.clear()
            self._copies[token] = self._contents()
        return token

    def _contents(self):
        return {(owner, key): value for owner, namespace in self._namespaces
                for key, value in list(namespace.items())}

    def compare(self, clean, before):
        return [change for change in super().compare(clean, before)
                if not (change.key[1] in _LAZY and change.previous is None)]

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


def _holder(owner):
    """The module or class named ``owner``, or None."""
    module = sys.modules.get(owner)
    if module is not None:
        return module
    module_name, _, class_name = owner.rpartition('.')
    module = sys.modules.get(module_name)
    return vars(module).get(class_name) if module is not None else None
