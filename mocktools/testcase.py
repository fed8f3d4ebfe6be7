"""``mocktools.TestCase``: testtools' TestCase, patch helpers, leak check.

It only composes the other modules: :mod:`mocktools.patching` (the
``mock_patch*`` helpers), :mod:`mocktools.config` (``patch_conf_property``)
and :mod:`mocktools.detector` (the dangling-mock check after every test and
every class).  See :class:`TestCase` for usage.
"""

import json
import warnings

from oslo_config import cfg
import testtools
from testtools import content

from mocktools import config
from mocktools import detector as detector_module
from mocktools import patching
from mocktools.settings import LeakSettings

__all__ = ['LeakWarning', 'TestCase', 'DetectorErrorWarning']

# unittest and testtools leave frames of modules with this global out of
# tracebacks: a leak report should point at the test, not at mocktools.
__unittest = True

JSON_UTF8 = content.ContentType('application', 'json', {'charset': 'utf8'})


class LeakWarning(UserWarning):
    """Emitted for a leak when ``leak_mode`` is ``warn``."""


class DetectorErrorWarning(RuntimeWarning):
    """Emitted when the detector itself failed; the test's result stands."""


def handle_report(report, settings, add_detail=None, fail=None,
                  mark_leaked=None):
    """Act on a :class:`~mocktools.detector.LeakReport` per ``settings``.

    Attaches the report with ``add_detail(name, content)`` -- as JSON under
    ``mocktools-leaks``, so it travels in subunit streams, and any internal
    error as text under ``mocktools-internal-error`` -- then fails with
    ``fail(text)`` in ``fail`` mode or warns in ``warn`` mode.  Shared by the
    TestCase, the fixture and the plugins.
    """
    for index, error in enumerate(report.errors):
        name = 'mocktools-internal-error' + ('-%d' % index if index else '')
        if add_detail is not None:
            add_detail(name, content.text_content(error))
        warnings.warn(DetectorErrorWarning(
            'mocktools: the leak detector failed while checking %s %s; '
            'the result of the %s itself is unaffected:\n%s' % (
                report.scope_kind, report.scope_name, report.scope_kind,
                error)), stacklevel=2)
    if not report.leaks:
        return
    text = report.format()
    if add_detail is not None:
        payload = json.dumps(report.to_dict(), indent=1).encode('utf8')
        add_detail(report.DETAIL_NAME,
                   content.Content(JSON_UTF8, lambda: [payload]))
    if mark_leaked is not None and settings.fail_fast:
        mark_leaked(report.scope_name)
    if settings.mode == 'fail' and fail is not None:
        fail(text)
    else:
        warnings.warn(LeakWarning(text), stacklevel=2)


class TestCase(testtools.TestCase):
    """A ``testtools.TestCase`` that patches safely and checks for leaks.

    Patch helpers (same arguments as their ``unittest.mock`` counterparts;
    started now, stopped at cleanup even if the test fails; they return what
    ``start()`` returns)::

        class TestBackup(mocktools.TestCase):
            def setUp(self):
                super().setUp()
                self.execute = self.mock_patch_object(
                    utils, 'execute_with_timeout', autospec=True)

            def test_backup(self):
                popen = self.mock_patch('os.popen')
                self.mock_patch_dict(os.environ, {'LANG': 'C'})
                self.patch_conf_property('backup_chunk_size', 4096)
                self.patch_conf_property('cluster_support', False,
                                         section='redis')

    ``patch(obj, attr, value)`` keeps testtools' meaning.

    After every test (its tearDown and all its cleanups) and every class
    (tearDownClass and class cleanups) the leak detector looks for patchers
    still running and mocks left in global state, fails the test (or class)
    with a report, and heals what it found.  Knobs: ``leak_mode``,
    ``leak_fail_fast``, ``leak_allow``, ``leak_scan`` (see
    :mod:`mocktools.settings`).  Call ``super().setUp()`` first in your
    ``setUp``.
    """

    #: The ``ConfigOpts`` that ``patch_conf_property`` overrides; ``None``
    #: means ``oslo_config.cfg.CONF``.
    conf_opts = None

    #: ``fail`` (default), ``warn`` or ``off``; ``MOCKTOOLS_LEAK_MODE`` wins.
    leak_mode = 'fail'
    #: Skip the rest of the class after a leak; ``MOCKTOOLS_FAIL_FAST`` wins.
    leak_fail_fast = False
    #: fnmatch patterns of paths mocked globally on purpose.
    leak_allow = ()
    #: When to sweep global state: ``auto``, ``always`` or ``off``.
    leak_scan = 'auto'

    _mocktools_class_scope = None
    _mocktools_class_leaked = None

    # -- leak check ----------------------------------------------------------

    @classmethod
    def leak_settings(cls):
        """The resolved :class:`~mocktools.settings.LeakSettings`."""
        return LeakSettings.for_class(cls)

    @classmethod
    def setUpClass(cls):
        """Start the class-level leak check, then run the class set-up."""
        cls._mocktools_class_leaked = None
        settings = cls.leak_settings()
        if settings.mode != 'off':
            detector = detector_module.get_detector()
            cls._mocktools_class_scope = detector.begin_class(
                '%s.%s' % (cls.__module__, cls.__qualname__))
            cls.addClassCleanup(cls._mocktools_check_class, settings)
        super().setUpClass()

    @classmethod
    def _mocktools_check_class(cls, settings):
        scope, cls._mocktools_class_scope = cls._mocktools_class_scope, None
        report = detector_module.get_detector().end_class(scope, settings)

        def fail(text):
            raise AssertionError(text)
        handle_report(report, settings, fail=fail)

    def setUp(self):
        """Start the per-test leak check, then the rest of the set-up chain."""
        settings = self.leak_settings()
        if settings.mode != 'off':
            leaked = type(self)._mocktools_class_leaked
            if leaked and settings.fail_fast:
                super().setUp()
                self.skipTest('mocktools: skipped after %s leaked mocks '
                              '(leak_fail_fast)' % leaked)
            scope = detector_module.get_detector().begin_test(
                self.id, settings)
            # Registered before any other cleanup of this test, so it runs
            # after all of them -- but, under oslotest, before the blanket
            # mock.patch.stopall that its addCleanup slips in first.
            self.addCleanup(self._mocktools_check_test, scope, settings)
        super().setUp()

    def _mocktools_check_test(self, scope, settings):
        report = detector_module.get_detector().end_test(scope, settings)
        if not (report.leaks or report.errors):
            return

        def mark_leaked(name):
            type(self)._mocktools_class_leaked = name

        handle_report(report, settings, self.addDetail, self.fail,
                      mark_leaked)

    # -- patch helpers -------------------------------------------------------

    def _start(self, fixture):
        patcher, value = patching.start_patcher(
            fixture._make_patcher, fixture._helper, fixture._target_name())
        self.addCleanup(patcher.stop)
        return value

    def mock_patch(self, target, *args, **kwargs):
        """``unittest.mock.patch(target, ...)``, started now, stopped later.

        Returns the mock (or ``new``).  ``autospec``, ``new_callable``,
        ``create``, ``spec_set`` ... are passed through unchanged; an
        ``async def`` target gets an ``AsyncMock``.  A target that cannot be
        imported or resolved fails the test with a message naming it.
        """
        return self._start(patching.MockPatch(target, *args, **kwargs))

    def mock_patch_object(self, target, attribute, *args, **kwargs):
        """``unittest.mock.patch.object(target, attribute, ...)``."""
        return self._start(
            patching.MockPatchObject(target, attribute, *args, **kwargs))

    def mock_patch_multiple(self, target, *args, **kwargs):
        """``unittest.mock.patch.multiple(target, ...)``; returns the mocks."""
        return self._start(
            patching.MockPatchMultiple(target, *args, **kwargs))

    def mock_patch_dict(self, in_dict, values=(), clear=False, **kwargs):
        """``unittest.mock.patch.dict(...)``; returns the patched dict.

        The dict gets its exact previous contents back at cleanup.
        """
        return self._start(
            patching.MockPatchDict(in_dict, values, clear, **kwargs))

    # -- configuration -------------------------------------------------------

    def get_conf(self):
        """The ``ConfigOpts`` to override (``conf_opts`` or ``cfg.CONF``)."""
        return self.conf_opts if self.conf_opts is not None else cfg.CONF

    @property
    def config_fixture(self):
        """The test's :class:`~mocktools.config.ConfigFixture` (lazily)."""
        fixture = self.__dict__.get('_mocktools_config_fixture')
        if fixture is None:
            fixture = self.useFixture(config.ConfigFixture(self.get_conf()))
            self.__dict__['_mocktools_config_fixture'] = fixture
        return fixture

    def patch_conf_property(self, name, value, section=None):
        """Override option ``name`` (in group ``section``) for this test.

        Validated by the option's type; an unknown option or group, or a
        value the type rejects, fails the test naming them.  ``CONF.name``
        and ``CONF['name']`` both see the new value; it is undone at cleanup.
        """
        self.config_fixture.override(name, value, group=section,
                                     where='patch_conf_property')
