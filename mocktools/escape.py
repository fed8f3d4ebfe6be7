"""Did a mock created in this test escape into global state?  Count references.

A mock that a test created can only be in a module, class, ``sys.modules``
or module-level object if something other than the test's own objects
refers to it.  After the test, every reference to such a mock is one of:

* a slot of the test instance's or test class's ``__dict__``
  (``self.mock = Mock()``, ``cls.client = Mock()`` in ``setUpClass``);
* a slot of another mock created in the same test, of one of their child
  mocks (``_mock_parent``, ``_mock_new_parent``), or of the magic-method
  proxies ``MagicMock`` installs on its own class;
* anything else -- which may be global state.

:func:`unaccounted` counts the first two kinds by identity (a value found
in a slot of a distinct object is one reference, so the count can never
exceed the truth) and compares with ``sys.getrefcount``.  When every
reference is accounted for, none of these mocks is reachable from global
state and the test needs no sweep; otherwise the detector sweeps.  This
makes the check for a mock-creating test cost microseconds instead of a
sweep of everything loaded.
"""

import sys

from mocktools import sweep

__all__ = ['unaccounted']

# Without exact reference counts (other implementations, free-threaded
# builds) this proves nothing: the detector then always sweeps.
_gil_enabled = getattr(sys, '_is_gil_enabled', None)
_USABLE = hasattr(sys, 'getrefcount') and (
    _gil_enabled is None or _gil_enabled())


def unaccounted(born, holders=()):
    """True when some mock of ``born`` has a reference not accounted for.

    ``born`` are weak references to the mocks created in the test;
    ``holders`` are the test instance and its class (references from their
    ``__dict__`` are the test's own).
    """
    if not _USABLE:
        return True
    mocks = [mock for mock in (ref() for ref in born) if mock is not None]
    if not mocks:
        return False
    counts = _known_references(mocks, holders)
    if counts is None:
        return True
    # getrefcount's argument, the list ``mocks`` and the loop variable
    for mock in mocks:
        if sys.getrefcount(mock) - 3 > counts[id(mock)]:
            return True
    return False


def _known_references(mocks, holders):
    """id(mock) -> references found in the test's own objects (or None).

    A separate function so that none of its locals still refers to a mock
    when the caller reads the reference counts.
    """
    counts = dict.fromkeys(map(id, mocks), 0)
    seen = set()
    mock_bases = sweep.mock_types()

    def visit(obj):
        namespace = sweep.namespace_of(obj)
        if namespace is None or id(namespace) in seen:
            return namespace
        seen.add(id(namespace))
        for value in namespace.values():
            key = id(value)
            if key in counts:
                counts[key] += 1
        return namespace

    for holder in holders:
        visit(holder)
    for mock in mocks:
        namespace = visit(mock)
        if namespace is None:
            return None
        # children (attributes, return value) point back with their
        # _mock_parent / _mock_new_parent
        children = list(namespace.values())
        nested = namespace.get('_mock_children')
        if type(nested) is dict:
            children.extend(nested.values())
        for child in children:
            if issubclass(type(child), mock_bases):
                visit(child)
        # MagicMock's magic-method proxies live on its own class
        for proxy in list(sweep._type_dict(type(mock)).values()):
            if type(proxy).__name__ == 'MagicProxy':
                visit(proxy)
    return counts
