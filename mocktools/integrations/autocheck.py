"""``MOCKTOOLS_CHECK=1``: leak-check every unittest test, no code edited.

For suites whose base classes are not :class:`mocktools.TestCase`, and for
runners that cannot be swapped (stestr has no ``test_command``)::

    MOCKTOOLS_CHECK=1 stestr run
    MOCKTOOLS_CHECK=1 python -m unittest discover
    MOCKTOOLS_CHECK=1 python -m testtools.run discover
    MOCKTOOLS_CHECK=1 pytest          # turns the pytest plugin on

Installing mocktools puts ``mocktools-autocheck.pth`` in site-packages.
Python runs its one line at every start-up; it looks at ``MOCKTOOLS_CHECK``
and does nothing else while the variable is unset (or false), the way
coverage.py starts measuring in subprocesses.  When it is set, the hooks
go in when ``unittest`` is first imported, not at start-up: a process that
runs no test (a subprocess a test spawns, a ``multiprocessing`` child, the
build tools of a tox environment that exports the variable) imports
nothing more than this module.  This module then
hooks ``unittest.TestCase.__call__`` -- which every suite, testtools',
subunit's and stestr's workers included, calls to run a test -- so that
every test of every ``unittest.TestCase`` subclass is checked after its
tearDown and cleanups, exactly as ``python -m mocktools.run`` checks it: a
leak turns the test into a failure carrying the report (and the
``mocktools-leaks`` detail that ``mocktools leaks`` reads) and is healed.
:class:`mocktools.TestCase` classes check themselves, with their
class-level checks; they are left alone.  The knobs are the other
``MOCKTOOLS_*`` variables and the test classes' ``leak_*`` attributes (see
:mod:`mocktools.engine.settings`); a bad value is reported once at start-up and
makes every test error, so a run can never pass unchecked.

Python started with ``-S`` or ``-I`` skips ``.pth`` files, and an editable
install (``pip install -e``) does not ship this one: call
:func:`install` from a ``conftest.py`` or the test package's
``__init__.py`` there.
"""

import functools
import os
import sys

__all__ = ['ENVIRONMENT_VARIABLE', 'install', 'requested', 'startup']

#: The variable that turns the checks on.
ENVIRONMENT_VARIABLE = 'MOCKTOOLS_CHECK'
_TRUE = ('1', 'true', 'yes', 'on')

_deferred = False      # a pytest plugin checks the tests instead
_startup_error = None  # bad MOCKTOOLS_* value: every test errors with it


def requested(environ=None):
    """Whether ``MOCKTOOLS_CHECK`` asks for checks (1, true, yes, on)."""
    value = (os.environ if environ is None else environ).get(
        ENVIRONMENT_VARIABLE, '')
    return value.strip().lower() in _TRUE


def startup():
    """The ``.pth`` hook: :func:`install` once ``unittest`` is imported.

    Until then a finder at the front of ``sys.meta_path`` waits for that
    import (:class:`_InstallOnImport`); ``unittest`` already imported is
    hooked at once.  Errors are reported, never raised.
    """
    try:
        if 'unittest' in sys.modules:
            install()
        elif not any(isinstance(finder, _InstallOnImport)
                     for finder in sys.meta_path):
            # (a venv whose lib64 links to lib runs the .pth twice)
            sys.meta_path.insert(0, _InstallOnImport())
    except Exception as exc:  # never break the interpreter's start-up
        _report(exc)


def _report(exc):
    sys.stderr.write('mocktools: %s is set but the checks could not be '
                     'installed: %s: %s\n' % (
                         ENVIRONMENT_VARIABLE, type(exc).__name__, exc))


def _install():
    try:
        install()
    except Exception as exc:  # never break the import of unittest
        _report(exc)


class _InstallOnImport:
    """A ``sys.meta_path`` finder: :func:`install` after ``unittest`` is run.

    It finds no module itself.  Asked for ``unittest``, it returns the spec
    the finders after it give, with a loader that runs the real one, then
    :func:`install`; from then on it answers nothing.  Only then:
    ``python -m unittest`` looks the spec up (``runpy``) before it imports
    the package.  The module keeps the real loader as its ``__loader__``
    and ``__spec__.loader``.  A module imported for the first time once a
    finder ahead of this one has loaded ``unittest`` installs (test modules
    are imported before their tests run).  The finder stays on
    ``sys.meta_path``, costing one call per first import of a module:
    taking it off would shift the list under another thread's import,
    which could then skip the finder after it.
    """

    done = False

    def find_spec(self, name, path=None, target=None):
        """None; for ``unittest``, its spec from the other finders."""
        if self.done:
            return None
        if name != 'unittest':
            spec = getattr(sys.modules.get('unittest'), '__spec__', None)
            if spec is not None and not getattr(spec, '_initializing', True):
                # a finder ahead of this one loaded it: hook it now, at
                # the next first import (a test module's, at the latest)
                self.done = True
                _install()
            return None
        for finder in list(sys.meta_path):
            find_spec = getattr(finder, 'find_spec', None)
            if finder is self or find_spec is None:
                continue
            spec = find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if not hasattr(spec.loader, 'exec_module'):
            # not a loader that runs the module in steps: nothing to follow
            self.done = True
            _report(ImportError('unittest is loaded by %r, which has no '
                                'exec_module()' % (spec.loader,)))
            return spec
        spec.loader = _InstallingLoader(spec.loader, self)
        return spec


class _InstallingLoader:
    """Runs ``real``'s ``exec_module``, puts ``real`` back, then installs."""

    def __init__(self, real, finder):
        self.real = real
        self.finder = finder

    def create_module(self, spec):
        """What the real loader creates (None: a plain module)."""
        return self.real.create_module(spec)

    def exec_module(self, module):
        """Run the module with the real loader, then :func:`install`."""
        self.finder.done = True
        module.__spec__.loader = module.__loader__ = self.real
        self.real.exec_module(module)
        _install()


def defer_to_plugin():
    """Leave the tests to a runner plugin that checks them itself."""
    global _deferred
    _deferred = True


def install():
    """Check every ``unittest.TestCase`` test run from now on (idempotent)."""
    global _startup_error
    import unittest

    original = unittest.TestCase.__call__
    if getattr(original, '__mocktools_hook__', None) is not None:
        # Already hooked: a venv whose lib64 links to lib runs the .pth twice
        return
    from mocktools.engine import settings
    try:
        settings.reload_environment()
    except settings.SettingsError as exc:
        _startup_error = exc
        sys.stderr.write('mocktools: %s; every test will error until it is '
                         'fixed\n' % exc)

    # One frame between unittest's suite and the test's own __call__ (and
    # one more in run_checked): code that walks the stack
    # (``inspect.stack()``, as oslo.config's deprecation warnings do) pays
    # for every frame, in every test.
    def __call__(self, result=None, *args, **kwargs):
        if (_deferred or result is None
                or getattr(type(self), '_mocktools_self_checking', False)
                # wrapped on the instance by mocktools.run (read as an
                # attribute: reading the test's __dict__ would make CPython
                # 3.11+ build it, and slow every later read of the test)
                or getattr(self.run, '__mocktools_checked__', False)):
            # (no result: unittest's own default, which nobody reads)
            return original(self, result, *args, **kwargs)
        try:
            from mocktools.engine import settings as settings_module
            from mocktools.integrations import run as run_module
            if _startup_error is not None:
                raise _startup_error
            settings = settings_module.LeakSettings.for_class(type(self))
        except Exception:
            # the test is not run unchecked: it errors, naming the problem
            result.startTest(self)
            result.addError(self, sys.exc_info())
            result.stopTest(self)
            return None
        if settings.mode == 'off':
            return original(self, result, *args, **kwargs)
        # a partial, not a lambda: it runs in C, no frame of its own
        run = functools.partial(original, self) if not (args or kwargs) else (
            lambda recorder: original(self, recorder, *args, **kwargs))
        return run_module.run_checked(self, run, result, settings)

    __call__.__mocktools_hook__ = original
    __call__.__doc__ = original.__doc__
    unittest.TestCase.__call__ = __call__
