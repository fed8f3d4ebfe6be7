"""Guard: environment variables (``os.environ``) added, changed or removed.

Every write goes through ``os.environ``'s ``__setitem__``/``__delitem__``
(``patch.dict``, ``fixtures.EnvironmentVariable`` and ``clear()`` too), so
those two are hooked: a test that writes no variable costs nothing.
``os.putenv`` bypasses ``os.environ`` and is not seen (Python does not see
it either).  ``PYTEST_CURRENT_TEST`` is the runner's and never reported.
"""

import os

from mocktools.guards import base

__all__ = ['EnvironGuard']

# The runner's own bookkeeping: pytest rewrites it for every test phase, and
# a ``patch.dict(os.environ)`` stopped in teardown puts back a stale value.
_RUNNER_VARIABLES = frozenset(('PYTEST_CURRENT_TEST',))


class EnvironGuard(base.JournalGuard):
    """``os.environ['NAME']`` added, changed or removed, put back."""

    name = 'environ'
    title = 'environment variables (os.environ)'

    def install(self):
        guard = self
        environ_class = type(os.environ)

        def set_hook(original):
            def __setitem__(self, key, value):
                if self is os.environ and key not in _RUNNER_VARIABLES:
                    guard.record(key, _get(self, key))
                return original(self, key, value)
            return __setitem__

        def del_hook(original):
            def __delitem__(self, key):
                if self is os.environ and key not in _RUNNER_VARIABLES:
                    guard.record(key, _get(self, key))
                return original(self, key)
            return __delitem__
        base.hook(environ_class, '__setitem__', set_hook)
        base.hook(environ_class, '__delitem__', del_hook)

    def current(self, key, subject):
        return _get(os.environ, key)

    def describe(self, key, old, new, subject=None):
        kind = ('environment variable added' if old is base.MISSING else
                'environment variable removed' if new is base.MISSING else
                'environment variable changed')
        return 'os.environ[%r]' % (key,), kind

    def put(self, key, value, subject):
        environ_class = type(os.environ)
        if value is base.MISSING:
            base.original(environ_class, '__delitem__')(os.environ, key)
            return 'removed'
        base.original(environ_class, '__setitem__')(os.environ, key, value)
        return 'set back to %s' % base.safe_repr(value)


def _get(environ, key):
    try:
        return environ[key]
    except (KeyError, TypeError, AttributeError):
        return base.MISSING
