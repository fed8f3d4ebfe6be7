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
* :mod:`mocktools.async_support`, :mod:`mocktools.spy`,
  :mod:`mocktools.matchers`, :mod:`mocktools.side_effects` -- async tests,
  spies, testtools matchers in call assertions, side-effect helpers.
"""

from mocktools.config import ConfigFixture
from mocktools.config import ConfigOverrideError
from mocktools.declarative import Patch
from mocktools.declarative import REMOVE
from mocktools.detector import get_detector
from mocktools.detector import LeakReport
from mocktools.isolation import CaptureLogs
from mocktools.isolation import CaptureOutput
from mocktools.isolation import TempHome
from mocktools.isolation import Timeout
from mocktools.isolation import WarningFilters
from mocktools.leak_fixture import LeakCheck
from mocktools.matchers import Matches
from mocktools.patching import BadPatchTarget
from mocktools.patching import MockPatch
from mocktools.patching import MockPatchDict
from mocktools.patching import MockPatchMultiple
from mocktools.patching import MockPatchObject
from mocktools.settings import LeakSettings
from mocktools.settings import SettingsError
from mocktools.side_effects import ExhaustedSideEffect
from mocktools.side_effects import Sequence
from mocktools.testcase import DetectorErrorWarning
from mocktools.testcase import LeakWarning
from mocktools.testcase import TestCase

__all__ = [
    'BadPatchTarget',
    'CaptureLogs',
    'CaptureOutput',
    'ConfigFixture',
    'ConfigOverrideError',
    'DetectorErrorWarning',
    'ExhaustedSideEffect',
    'LeakCheck',
    'LeakReport',
    'LeakSettings',
    'LeakWarning',
    'Matches',
    'MockPatch',
    'MockPatchDict',
    'MockPatchMultiple',
    'MockPatchObject',
    'Patch',
    'REMOVE',
    'Sequence',
    'SettingsError',
    'TempHome',
    'TestCase',
    'Timeout',
    'WarningFilters',
    'get_detector',
]
