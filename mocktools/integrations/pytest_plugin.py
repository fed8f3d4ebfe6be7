"""pytest plugin: leak-check every test, pytest functions and unittest classes.

Installed with mocktools (``pytest11`` entry point) but off unless asked::

    pytest --mocktools-leaks
    pytest --mocktools-leaks --mocktools-leak-mode=warn

or in ``pytest.ini`` / ``pyproject.toml`` / ``tox.ini``::

    [pytest]
    mocktools_leaks = true
    mocktools_leak_mode = fail
    mocktools_allow =
        myproj.rpc.*

Each test is checked after its teardown (fixtures finalized, unittest
cleanups run): a leak is reported as an error at teardown, with the same
report as :class:`mocktools.TestCase`, and healed.  ``MOCKTOOLS_*``
environment variables win over these settings (``MOCKTOOLS_CHECK=1`` turns
the plugin on as well).  ``mocktools.TestCase`` tests check themselves and
are left alone.

A fixture of scope ``class``, ``module``, ``package`` or ``session`` owns
what it patches: the patch is not a leak of the first test that uses the
fixture, and no test heals it.  It is checked when the fixture is
finalized; a patcher the fixture never stopped is reported then, as an
error at the teardown of the test during which the fixture was finalized
(``mocktools: 1 dangling mock after fixture db_engine (scope=module)``).
"""

import pytest

__all__ = ['LeakCheckPlugin']


def pytest_addoption(parser):
    """Register ``--mocktools-leaks`` and the ``mocktools_*`` ini settings."""
    group = parser.getgroup('mocktools', 'dangling-mock detection')
    group.addoption('--mocktools-leaks', action='store_true', default=None,
                    dest='mocktools_leaks',
                    help='fail tests that leave mocks or patchers behind')
    group.addoption('--mocktools-leak-mode', default=None,
                    choices=('fail', 'warn', 'off'),
                    dest='mocktools_leak_mode',
                    help='what a leak does (default: fail)')
    parser.addini('mocktools_leaks', type='bool', default=False,
                  help='turn on mocktools leak checks for every test')
    parser.addini('mocktools_leak_mode', default='fail',
                  help='fail, warn or off')
    parser.addini('mocktools_allow', type='linelist', default=[],
                  help='paths mocked globally on purpose (* and ? globs)')
    parser.addini('mocktools_scan', default='auto',
                  help='when to sweep global state: auto, always, off')
    parser.addini('mocktools_require_stop', type='bool', default=False,
                  help='also report patchers that only mock.patch.stopall '
                       'stopped')
    parser.addini('mocktools_guards', type='linelist', default=[],
                  help='a mode per guard (guard=fail|warn|off, one per '
                       'line); the others follow mocktools_leak_mode')
    parser.addini('mocktools_thread_grace', default='0.5',
                  help="seconds a test's threads get to finish before they "
                       'are reported')


def pytest_configure(config):
    """Register the checking plugin when enabled."""
    from mocktools.engine import settings
    from mocktools.integrations import autocheck
    enabled = config.getoption('mocktools_leaks')
    if enabled is None:
        enabled = config.getini('mocktools_leaks') or autocheck.requested()
    if enabled:
        try:
            plugin = LeakCheckPlugin(config)
        except settings.SettingsError as exc:
            raise pytest.UsageError('mocktools: %s' % exc) from None
        # pytest checks each test itself: the zero-edit hook must not too
        autocheck.defer_to_plugin()
        config.pluginmanager.register(plugin, 'mocktools-leakcheck')


class _Declared:
    """The ini/command-line settings, shaped like a TestCase's attributes."""

    def __init__(self, config):
        self.leak_mode = (config.getoption('mocktools_leak_mode')
                          or config.getini('mocktools_leak_mode'))
        self.leak_allow = config.getini('mocktools_allow')
        self.leak_scan = config.getini('mocktools_scan')
        self.leak_require_stop = config.getini('mocktools_require_stop')
        self.leak_guards = config.getini('mocktools_guards')
        self.leak_thread_grace = config.getini('mocktools_thread_grace')


class LeakCheckPlugin:
    """Begins a leak scope before each test's setup, checks after teardown."""

    def __init__(self, config):
        from mocktools.engine import detector
        from mocktools.engine import settings
        # (not mocktools.testcase: it brings testtools and asyncio, which a
        # pytest suite may never load, into every run)
        self._detector = detector.get_detector()
        self._settings = settings.LeakSettings.resolve(_Declared(config))
        self._scopes = {}
        self._reports = {}
        self._fixture_scopes = {}    # id(fixturedef) -> open Scope
        # pytest's warnings plugin sets the filters for each test (the
        # ini's and the test's own marks) and puts them back after it: a
        # fixture of wider scope can leave none changed, and comparing
        # would only compare two tests' marks
        self._reset = (('warning_filters',) if config.pluginmanager.has_plugin(
            'warnings') else ())
        self._finalized = []         # fixture scopes whose finalizer ran
        # the test in its set-up or teardown phase, if one is
        self._setting_up = self._tearing_down = None
        self._checked = {}           # nodeid -> report of a test checked early
        # nodeid -> reports of the fixtures that ended in its set-up or
        # teardown, shown with the test's own
        self._fixture_reports = {}

    def pytest_collection_finish(self, session):
        """Before the first test: the world as collection left it.

        Hooks what the test modules imported (oslo.config), and takes what
        their imports made (a module-level ``ConfigOpts``) as the world the
        first test starts from.
        """
        self._detector.install()
        self._detector.resync()

    def _wanted(self, item):
        instance = getattr(item, 'instance', None)
        return (self._settings.mode != 'off'
                and not _checks_itself(type(instance)))

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item):
        """Start the test's scope before any of its fixtures."""
        if self._wanted(item):
            funcargs = getattr(item, 'funcargs', None)
            self._scopes[item.nodeid] = self._detector.begin_test(
                item.nodeid, self._settings,
                holder=getattr(item, 'instance', None),
                fixtures=funcargs if type(funcargs) is dict else None)
        self._setting_up = item
        try:
            yield
        finally:
            self._setting_up = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        """A fixture of wider scope records what it does in its own scope."""
        if (fixturedef.scope == 'function' or self._settings.mode == 'off'
                or id(fixturedef) in self._fixture_scopes
                or _checks_itself(getattr(request, 'cls', None))):
            yield
            return
        scope = self._detector.begin_fixture('%s (scope=%s)' % (
            fixturedef.argname, fixturedef.scope), unchecked=self._reset)
        self._fixture_scopes[id(fixturedef)] = scope
        try:
            yield
        finally:
            self._detector.suspend(scope)
            # finalizers run last in, first out: this one runs right before
            # the fixture's own teardown
            fixturedef.addfinalizer(self._fixture_tears_down)

    def _fixture_tears_down(self):
        """A fixture of wider scope is about to undo what it did.

        In the teardown of the test it ends with, after every fixture of
        the test's own: that test is checked now, so that the fixture's
        undo is not taken for the test's change (botocore's module fixture
        that puts ``sys.path`` back).
        """
        item = self._tearing_down
        scope = item is not None and self._scopes.pop(item.nodeid, None)
        if scope:
            self._checked[item.nodeid] = self._detector.end_test(
                scope, self._settings)

    def pytest_fixture_post_finalizer(self, fixturedef, request):
        """A fixture of wider scope is checked once its finalizer ran.

        In the teardown of the test it ends with, that test was checked
        first (see :meth:`_fixture_tears_down`), so the test's own changes
        stay the test's and the fixture's undo is no change of the test's.
        One torn down while a test is set up (a parametrized fixture given
        its next value) is checked at once too, and the test takes its
        baselines again: that teardown is not the test's doing.
        """
        scope = self._fixture_scopes.pop(id(fixturedef), None)
        if scope is None:
            return
        item = self._tearing_down or self._setting_up
        if item is None:
            self._finalized.append(scope)   # checked after the next test
            return
        report = self._detector.end_fixture(scope, self._settings)
        if report.reportable:
            self._fixture_reports.setdefault(item.nodeid, []).append(report)
        test = item is self._setting_up and self._scopes.get(item.nodeid)
        if test:
            self._detector.rebaseline(test)

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_teardown(self, item, nextitem):
        """After every finalizer: check, heal, keep the report."""
        self._tearing_down = item
        try:
            yield
        finally:
            self._tearing_down = None
        scope = self._scopes.pop(item.nodeid, None)
        reports = []
        if item.nodeid in self._checked:
            reports.append(self._checked.pop(item.nodeid))
        elif scope is not None:
            reports.append(self._detector.end_test(scope, self._settings))
        reports.extend(self._fixture_reports.pop(item.nodeid, ()))
        finalized, self._finalized = self._finalized, []
        for fixture in finalized:
            report = self._detector.end_fixture(fixture, self._settings)
            if report.reportable:
                reports.append(report)
        if reports:
            self._reports[item.nodeid] = reports

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        """Turn the teardown report into an error when the test leaked."""
        outcome = yield
        if call.when != 'teardown':
            return
        reports = self._reports.pop(item.nodeid, None)
        if reports is None:
            return
        from mocktools.testcase import handle_report
        rep = outcome.get_result()
        failures = []

        def add_detail(name, content):
            # the JSON report is for subunit consumers; the failure text
            # already says it all in pytest's output
            if name != 'mocktools-leaks':
                text = b''.join(content.iter_bytes()).decode('utf8',
                                                             'replace')
                rep.sections.append(('mocktools: %s' % name, text))

        for report in reports:
            handle_report(report, self._settings, add_detail,
                          failures.append)
        if failures:
            rep.outcome = 'failed'
            rep.longrepr = '\n\n'.join(failures)


def _checks_itself(cls):
    """Whether tests of ``cls`` check themselves (``mocktools.TestCase``).

    Told by the attribute its tests carry, as ``MOCKTOOLS_CHECK=1`` tells
    it, so that the plugin imports no base class.
    """
    return isinstance(cls, type) and getattr(
        cls, '_mocktools_self_checking', False) is True
