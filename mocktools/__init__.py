"""mocktools: a testtools base class and fixtures that catch dangling mocks.

The names most projects need::

    import mocktools

    class TestCase(mocktools.TestCase):
        ...

* :class:`mocktools.TestCase` -- patch helpers, ``patch_conf_property`` and a
  leak check after every test and class (:mod:`mocktools.testcase`).
* :mod:`mocktools.detector` -- the dangling-mock detector.
* :mod:`mocktools.patching` -- patcher fixtures (``MockPatchDict`` ...).
* :mod:`mocktools.config` -- oslo.config overrides with clear errors.
* :mod:`mocktools.settings` -- the detector's knobs.
* :mod:`mocktools.declarative` -- class attributes that subclasses extend.
* :mod:`mocktools.isolation` -- timeout, output/log capture, temp HOME,
  warning filters.
* :mod:`mocktools.leak_fixture` -- the detector as a fixture.
* :mod:`mocktools.autocheck` -- ``MOCKTOOLS_CHECK=1``: every unittest test
  of the process checked, no code edited.
* :mod:`mocktools.async_support`, :mod:`mocktools.spy`,
  :mod:`mocktools.matchers`, :mod:`mocktools.side_effects` -- async tests,
  spies, testtools matchers in call assertions, side-effect helpers.
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
    'get_detector': 'detector',
    'LeakCheck': 'leak_fixture',
    'LeakReport': 'detector',
    'LeakSettings': 'settings',
    'LeakWarning': 'testcase',
    'Matches': 'matchers',
    'MockPatch': 'patching',
    'MockPatchDict': 'patching',
    'MockPatchMultiple': 'patching',
    'MockPatchObject': 'patching',
    'Patch': 'declarative',
    'REMOVE': 'declarative',
    'Sequence': 'side_effects',
    'SettingsError': 'settings',
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
