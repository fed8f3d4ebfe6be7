"""Patcher fixtures: ``unittest.mock`` patchers started now, stopped later.

``fixtures.MockPatch`` and friends cover most of this, but they turn an
explicit ``new=None`` into ``DEFAULT`` (so ``patch(target, None)`` cannot be
expressed) and there is no fixture for ``patch.dict``.  The fixtures here pass
their arguments to ``unittest.mock`` untouched, so they accept exactly what
``patch``, ``patch.object``, ``patch.multiple`` and ``patch.dict`` accept, and
they turn a bad target into one readable error that names it.

Example::

    class TestBackup(testtools.TestCase):
        def setUp(self):
            super().setUp()
            self.execute = self.useFixture(
                MockPatchObject(utils, 'execute_with_timeout',
                                autospec=True)).mock
"""

from unittest import mock

import fixtures

__all__ = [
    'BadPatchTarget',
    'MockPatch',
    'MockPatchDict',
    'MockPatchMultiple',
    'MockPatchObject',
]

# What mock raises when a target cannot be resolved: an unimportable module
# (ImportError), a missing attribute without create=True (AttributeError), a
# target string without a dot or a non-string target (TypeError), a patch.dict
# target that is not a mapping (TypeError/AttributeError).
_TARGET_ERRORS = (ImportError, AttributeError, TypeError, ValueError)


class BadPatchTarget(AssertionError):
    """A patch target could not be resolved or patched.

    It is an ``AssertionError`` so that testtools and unittest report the test
    as failed (the test's own set-up is wrong), and its message names the
    target and the helper that was asked to patch it.
    """


def describe_target(target, attribute=None):
    """Return a short human name for a patch target (for error messages)."""
    if isinstance(target, str):
        name = target
    else:
        name = getattr(target, '__qualname__', None) or getattr(
            target, '__name__', None)
        if not isinstance(name, str):
            name = type(target).__name__ + ' instance'
        module = getattr(target, '__module__', None)
        if isinstance(module, str) and module != 'builtins':
            name = module + '.' + name
    if attribute is not None:
        name = '%s.%s' % (name, attribute)
    return name


def start_patcher(make_patcher, helper, target_name):
    """Create a patcher with ``make_patcher()`` and start it.

    Returns ``(patcher, started_value)``.  A target that cannot be resolved
    raises :class:`BadPatchTarget` naming ``target_name`` and ``helper``.
    """
    try:
        patcher = make_patcher()
        value = patcher.start()
    except _TARGET_ERRORS as exc:
        raise BadPatchTarget(
            '%s: cannot patch %r: %s: %s' % (
                helper, target_name, type(exc).__name__, exc)) from exc
    return patcher, value


class _PatcherFixture(fixtures.Fixture):
    """Base: start one patcher in ``_setUp`` and stop it at cleanup."""

    _helper = 'patch'

    def _make_patcher(self):
        raise NotImplementedError

    def _target_name(self):
        raise NotImplementedError

    def _setUp(self):
        self.patcher, self.mock = start_patcher(
            self._make_patcher, self._helper, self._target_name())
        self.addCleanup(self.patcher.stop)


class MockPatch(_PatcherFixture):
    """``unittest.mock.patch(target, *args, **kwargs)`` as a fixture.

    ``fixture.mock`` is what ``start()`` returned (the mock, or ``new``).
    """

    _helper = 'mock_patch'

    def __init__(self, target, *args, **kwargs):
        super().__init__()
        self.target, self.args, self.kwargs = target, args, kwargs

    def _make_patcher(self):
        return mock.patch(self.target, *self.args, **self.kwargs)

    def _target_name(self):
        return describe_target(self.target)


class MockPatchObject(_PatcherFixture):
    """``unittest.mock.patch.object(target, attribute, ...)`` as a fixture."""

    _helper = 'mock_patch_object'

    def __init__(self, target, attribute, *args, **kwargs):
        super().__init__()
        self.target, self.attribute = target, attribute
        self.args, self.kwargs = args, kwargs

    def _make_patcher(self):
        return mock.patch.object(
            self.target, self.attribute, *self.args, **self.kwargs)

    def _target_name(self):
        return describe_target(self.target, self.attribute)


class MockPatchMultiple(_PatcherFixture):
    """``unittest.mock.patch.multiple(target, ...)`` as a fixture.

    ``fixture.mock`` is the dict of created mocks, keyed by attribute name.
    """

    _helper = 'mock_patch_multiple'

    def __init__(self, target, *args, **kwargs):
        super().__init__()
        self.target, self.args, self.kwargs = target, args, kwargs

    def _make_patcher(self):
        return mock.patch.multiple(self.target, *self.args, **self.kwargs)

    def _target_name(self):
        return describe_target(self.target)


class MockPatchDict(_PatcherFixture):
    """``unittest.mock.patch.dict(in_dict, values, clear, ...)`` as a fixture.

    ``fixture.mock`` is the patched dictionary itself, as ``start()``
    returns it.  The dictionary is restored to its exact previous contents
    at cleanup::

        self.useFixture(MockPatchDict(os.environ, {'LANG': 'C'}))
    """

    _helper = 'mock_patch_dict'

    def __init__(self, in_dict, values=(), clear=False, **kwargs):
        super().__init__()
        self.in_dict, self.values = in_dict, values
        self.clear, self.kwargs = clear, kwargs

    def _make_patcher(self):
        return mock.patch.dict(
            self.in_dict, self.values, clear=self.clear, **self.kwargs)

    def _target_name(self):
        if isinstance(self.in_dict, str):
            return self.in_dict
        return describe_target(self.in_dict)
