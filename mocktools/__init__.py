"""mocktools: a testtools base class and fixtures that catch dangling mocks.

The names most projects need::

    import mocktools

    class TestCase(mocktools.TestCase):
        ...

The package, by folder:

* ``mocktools/guards/`` -- what is checked after every test, one module
  per kind of state: dangling mocks (:mod:`mocktools.guards.mocks`),
  oslo.config overrides, ``os.environ``, loggers, ``sys.path``, the working
  directory, threads, the mock library, warnings filters, signal handlers,
  the socket timeout (:mod:`mocktools.guards`).
* ``mocktools/engine/`` -- the detector that drives the guards through
  every scope, its settings, and the machinery of the mock check
  (:mod:`mocktools.engine`).
* ``mocktools/integrations/`` -- how a run gets checked: the ``LeakCheck``
  fixture, ``python -m mocktools.run``, ``MOCKTOOLS_CHECK=1``, the pytest
  plugin, ``mocktools leaks`` (:mod:`mocktools.integrations`).
* the rest -- what tests use: :class:`mocktools.TestCase`
  (:mod:`mocktools.testcase`), patcher fixtures (:mod:`mocktools.patching`),
  oslo.config overrides (:mod:`mocktools.config`), class declarations
  (:mod:`mocktools.declarative`), isolation fixtures
  (:mod:`mocktools.isolation`), async tests, spies, matchers, side effects,
  and the flake8 plugin (:mod:`mocktools.lint`).

The modules that lived at the top before (``mocktools.detector``,
``mocktools.settings``, ``mocktools.run``...) are importable under those
names too.

PYTEST_DONT_REWRITE: pytest rewrites the asserts of every package that
ships a plugin, and warns when such a package was imported before it
started -- as ``MOCKTOOLS_CHECK=1`` imports this one, at start-up.  There
is no assert here to rewrite; the warning made ``pytest -W error`` (or
``filterwarnings = error``) fail before collecting a test.
"""

import importlib

# Public name -> the module defining it.  Imported on first use (PEP 562), so
# that ``import mocktools.<module>`` -- the flake8 plugin, the zero-edit
# start-up hook -- does not pay for testtools, fixtures and oslo.config.
_EXPORTS = {
    'BadPatchTarget': 'patching',
    'CaptureLogs': 'isolation',
    'CaptureOutput': 'isolation',
    'ConfigFixture': 'config',
    'ConfigOverrideError': 'config',
    'DetectorErrorWarning': 'testcase',
    'ExhaustedSideEffect': 'side_effects',
    'get_detector': 'engine.detector',
    'LeakCheck': 'integrations.leak_fixture',
    'LeakReport': 'engine.detector',
    'LeakSettings': 'engine.settings',
    'LeakWarning': 'testcase',
    'Matches': 'matchers',
    'MockPatch': 'patching',
    'MockPatchDict': 'patching',
    'MockPatchMultiple': 'patching',
    'MockPatchObject': 'patching',
    'Patch': 'declarative',
    'REMOVE': 'declarative',
    'Sequence': 'side_effects',
    'SettingsError': 'engine.settings',
    'TempHome': 'isolation',
    'TestCase': 'testcase',
    'Timeout': 'isolation',
    'WarningFilters': 'isolation',
}

__all__ = sorted(_EXPORTS, key=str.lower)


def _version():
    """The installed distribution's version (pyproject.toml sets it)."""
    from importlib import metadata
    try:
        return metadata.version('mocktools')
    except metadata.PackageNotFoundError:   # run from a source tree
        return '0+unknown'


def __getattr__(name):
    if name == '__version__':
        value = globals()[name] = _version()
        return value
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError('module %r has no attribute %r' % (__name__,
                                                                name))
    value = getattr(importlib.import_module('mocktools.' + module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
