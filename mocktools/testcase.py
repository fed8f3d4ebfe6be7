"""``mocktools.TestCase``: testtools' TestCase, patch helpers, leak check.

It only composes the other modules: :mod:`mocktools.patching` (the
``mock_patch*`` helpers), :mod:`mocktools.config` (``patch_conf_property``)
and :mod:`mocktools.engine.detector` (the checks after every test and every
class).  See :class:`TestCase` for usage.
"""

import inspect
import json
import sys
import types
import unittest
from unittest import mock as unittest_mock
import warnings

import testtools
from testtools import content

from mocktools import async_support
from mocktools import declarative
from mocktools.engine import detector as detector_module
from mocktools.engine.settings import environment_reader
from mocktools.engine.settings import LeakSettings
from mocktools import isolation
from mocktools import patching
from mocktools import spy as spy_module

__all__ = ['LeakWarning', 'TestCase', 'DetectorErrorWarning']

# unittest and testtools leave frames of modules with this global out of
# tracebacks: a leak report should point at the test, not at mocktools.
__unittest = True

_isolation_environment = environment_reader(isolation.ENVIRONMENT)

JSON_UTF8 = content.ContentType('application', 'json', {'charset': 'utf8'})


class LeakWarning(UserWarning):
    """Emitted for a leak when ``leak_mode`` is ``warn``."""


class DetectorErrorWarning(RuntimeWarning):
    """Emitted when the detector itself failed; the test's result stands."""


def class_cache(cls, attribute):
    """A dict cached in ``cls``'s own ``__dict__`` (never an inherited one).

    Per-class decisions (merged declarations, which tests are async) are
    computed once per class; a subclass gets its own cache.
    """
    cache = cls.__dict__.get(attribute)
    if cache is None:
        cache = {}
        type.__setattr__(cls, attribute, cache)
    return cache


def after_remaining_cleanups(test, function, *args):
    """Queue ``function(*args)`` behind the cleanups ``test`` has left to run.

    Return True when it was queued (there were cleanups left), False when it
    should run now.  A leak check calls it first, so that it judges the
    world after *every* cleanup of the test, whatever was registered before
    it -- oslotest's ``addCleanup`` slips ``mock.patch.stopall`` in under
    the first cleanup of every test, so it would otherwise run after the
    check.  unittest and testtools both pop ``_cleanups`` from the end until
    it is empty, so the function goes in at the front.
    """
    # read as unittest reads it, not through the test's __dict__ (see
    # TestCase._mocktools_test_loop)
    pending = getattr(test, '_cleanups', None)
    if type(pending) is list and pending:
        pending.insert(0, (function, args, {}))
        return True
    return False


def _is_coroutine_test(test, name):
    """Whether ``test``'s method ``name`` is a coroutine function.

    Every test method is looked at once, before its test runs (a test's
    name is new to its class each time).  A plain function is told by its
    code's flags, as :func:`inspect.iscoroutinefunction` tells it, unless
    it carries the mark of :func:`inspect.markcoroutinefunction`; anything
    else is asked of :func:`inspect.iscoroutinefunction`, which costs ten
    times as much.  The function's ``__dict__`` is not read: reading it
    would give every test method a dict of its own.
    """
    function = getattr(type(test), name, None)
    if type(function) is types.FunctionType and getattr(
            function, '_is_coroutine_marker', None) is None:
        return bool(function.__code__.co_flags & inspect.CO_COROUTINE)
    return inspect.iscoroutinefunction(getattr(test, name, None))


def leaks_content(report):
    """The ``mocktools-leaks`` detail of ``report``: its JSON form."""
    payload = json.dumps(report.to_dict(), indent=1).encode('utf8')
    return content.Content(JSON_UTF8, lambda: [payload])


def handle_report(report, settings, add_detail=None, fail=None,
                  mark_leaked=None):
    """Act on a :class:`~mocktools.engine.detector.LeakReport` as set.

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
    if not (report.leaks or report.foreign or report.changes):
        return
    text = report.format()
    if add_detail is not None:
        add_detail(report.DETAIL_NAME, leaks_content(report))
    if not report:
        # only what others left: told and healed, the scope's own outcome
        # stands
        if add_detail is not None:
            add_detail('mocktools-report', content.text_content(text))
        warnings.warn(LeakWarning(text), stacklevel=2)
        return
    if mark_leaked is not None and settings.fail_fast:
        mark_leaked(report.scope_name)
    if report.fails(settings) and fail is not None:
        fail(text)
    else:
        warnings.warn(LeakWarning(text), stacklevel=2)


_open_modules = {}   # module name -> its open module scope


def _check_module_of(cls, detector, settings):
    """Check the state ``cls``'s module's setUpModule left, at its end.

    Only under a unittest suite (stestr, testtools.run, unittest), which
    runs module cleanups after tearDownModule; pytest runs setUpModule as
    a module fixture, which its plugin checks.  Only for modules that have
    a ``setUpModule``.
    """
    name = cls.__module__
    module = sys.modules.get(name)
    if name in _open_modules or module is None or (
            'setUpModule' not in vars(module)) or not _in_unittest_suite():
        return
    scope = _open_modules[name] = detector.begin_module(name)

    def check_module():
        del _open_modules[name]
        report = detector.end_module(scope, settings)

        def fail(text):
            raise AssertionError(text)
        handle_report(report, settings, fail=fail)
    unittest.addModuleCleanup(check_module)


def _in_unittest_suite():
    """Whether a ``unittest.TestSuite`` is setting up the current class."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == '_handleClassSetUp' and (
                frame.f_code.co_filename.endswith('suite.py')):
            return True
        frame = frame.f_back
    return False


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

    A project base class declares what every test gets; these dict
    attributes merge along the class hierarchy (see
    :mod:`mocktools.declarative`; ``mocktools.REMOVE`` deletes a key)::

        class TestCase(mocktools.TestCase):
            conf_opts = myproj.conf.CONF
            config_overrides = {'datastore_manager': 'mysql',
                                'mysql.backup_strategy': 'InnoBackupEx'}
            patches = {'notify': mocktools.Patch(
                'myproj.notifier.notify', autospec=True)}
            test_fixtures = {'home': fixtures.TempHomeDir}
            isolation = {'warnings': True}

    In a test, ``self.mocks['notify']`` and ``self.used_fixtures['home']``
    are what those produced.

    After every test (its tearDown and all its cleanups) and every class
    (tearDownClass and class cleanups) the leak detector looks for patchers
    still running and mocks left in global state, fails the test (or class)
    with a report, and heals what it found.  Knobs: ``leak_mode``,
    ``leak_fail_fast``, ``leak_allow``, ``leak_scan`` (see
    :mod:`mocktools.engine.settings`).  Call ``super().setUp()`` first in your
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
    #: Also report patchers that only ``mock.patch.stopall`` stopped;
    #: ``MOCKTOOLS_REQUIRE_STOP`` wins.
    leak_require_stop = False

    #: ``option`` or ``group.option`` -> value, applied before every test
    #: with ``set_override`` on ``conf_opts``.
    config_overrides = {}
    #: name -> fixture factory (a Fixture class or zero-argument callable);
    #: each test gets ``self.used_fixtures[name]``.
    test_fixtures = {}
    #: name -> :class:`mocktools.Patch`; each test gets ``self.mocks[name]``.
    patches = {}
    #: Patches without ``new`` or a spec get ``autospec=True`` (the helpers
    #: and ``patches``), like oslotest's mock fixture.  Opt-in.
    autospec_by_default = False
    #: Isolation fixtures by name (see :mod:`mocktools.isolation`): True,
    #: False, or a factory returning the fixture to use instead.
    #: ``timeout``, ``output`` and ``logs`` follow ``OS_TEST_TIMEOUT``,
    #: ``OS_STDOUT_CAPTURE``/``OS_STDERR_CAPTURE``, ``OS_LOG_CAPTURE``/
    #: ``OS_DEBUG`` and cost nothing while those are unset.
    isolation = {'timeout': True, 'output': True, 'logs': True,
                 'temp_home': False, 'warnings': False}
    #: Timeout (seconds) when ``OS_TEST_TIMEOUT`` is unset; 0 is none.
    default_timeout = 0
    #: Multiplies the timeout (slow platforms).
    timeout_scaling_factor = 1

    #: What ``patches`` started in this test, by name (read-only and empty
    #: when the class declares none).
    mocks = types.MappingProxyType({})
    #: The fixtures ``test_fixtures`` and ``isolation`` set up, by name.
    used_fixtures = types.MappingProxyType({})

    _mocktools_class_scope = None
    _mocktools_class_leaked = None
    # checks itself: mocktools.autocheck and the runners leave it alone
    _mocktools_self_checking = True
    # A test's event loop, and whether its method is a coroutine function:
    # set on the test only when it has them, read as attributes, so that
    # its __dict__ is never read (CPython 3.11+ would build it, and every
    # later attribute read of the test, by testtools too, would be slower)
    _mocktools_test_loop = None
    _mocktools_async_test = False

    # -- leak check ----------------------------------------------------------

    @classmethod
    def leak_settings(cls):
        """The resolved :class:`~mocktools.engine.settings.LeakSettings`."""
        return LeakSettings.for_class(cls)

    @classmethod
    def setUpClass(cls):
        """Start the class-level leak check, then run the class set-up."""
        cls._mocktools_class_leaked = None
        settings = cls.leak_settings()
        if settings.mode != 'off':
            detector = detector_module.get_detector()
            _check_module_of(cls, detector, settings)
            cls._mocktools_class_scope = detector.begin_class(
                '%s.%s' % (cls.__module__, cls.__qualname__), holder=cls)
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
                self.id, settings, holder=self)
            # Registered before any other cleanup of this test, so it runs
            # after them; it queues itself behind any registered earlier
            # (oslotest's mock.patch.stopall) when its turn comes.
            self.addCleanup(self._mocktools_check_test, scope, settings)
        if self._mocktools_needs_loop():
            self._mocktools_loop()   # closed right before the leak check
        super().setUp()
        self._mocktools_apply_declarations()
        loop = self._mocktools_test_loop
        if loop is not None:
            loop.run(self.asyncSetUp())

    def _run_teardown(self, result):
        # testtools' tear-down step: asyncTearDown goes first, before any
        # tearDown body runs, as in unittest.IsolatedAsyncioTestCase
        loop = self._mocktools_test_loop
        if loop is not None:
            loop.run(self.asyncTearDown())
        return super()._run_teardown(result)

    # -- async tests ---------------------------------------------------------

    async def asyncSetUp(self):
        """Async set-up, run in the test's loop after ``setUp``."""

    async def asyncTearDown(self):
        """Async tear-down, run in the test's loop before ``tearDown``."""

    def addAsyncCleanup(self, function, *args, **kwargs):
        """Await ``function(*args, **kwargs)`` in the test loop at cleanup."""
        loop = self._mocktools_loop()

        async def call():
            return await function(*args, **kwargs)
        self.addCleanup(lambda: loop.run(call()))

    def _mocktools_needs_loop(self):
        """Whether the test needs an event loop (async method or hooks).

        An async test method is marked on the test
        (``_mocktools_async_test``) for :meth:`_run_test_method`.
        """
        klass = type(self)
        # whether the class has async set-up or tear-down: once a class
        hooks = klass.__dict__.get('_mocktools_async_hooks')
        if hooks is None:
            hooks = (klass.asyncSetUp is not TestCase.asyncSetUp
                     or klass.asyncTearDown is not TestCase.asyncTearDown)
            type.__setattr__(klass, '_mocktools_async_hooks', hooks)
        if _is_coroutine_test(self, self._testMethodName):
            self._mocktools_async_test = True
            return True
        return hooks

    def _mocktools_loop(self):
        loop = self._mocktools_test_loop
        if loop is None:
            loop = self._mocktools_test_loop = async_support.TestLoop()
            self.addCleanup(self._mocktools_close_loop)
        return loop

    def _mocktools_close_loop(self):
        loop = self._mocktools_test_loop
        del self._mocktools_test_loop
        unawaited = loop.close()
        if unawaited:
            raise async_support.UnawaitedCoroutine(
                async_support.unawaited_message(unawaited))

    def _run_test_method(self, result):
        # testtools' step that calls the test method: an async one runs to
        # completion in the test's loop (setUp has told which it is)
        if not self._mocktools_async_test:
            return super()._run_test_method(result)
        return self._mocktools_loop().run(self._get_test_method()())

    def _mocktools_check_test(self, scope, settings):
        if after_remaining_cleanups(self, self._mocktools_check_test, scope,
                                    settings):
            return
        report = detector_module.get_detector().end_test(scope, settings)
        if report is detector_module.NO_LEAKS or not report.reportable:
            return

        def mark_leaked(name):
            type(self)._mocktools_class_leaked = name

        handle_report(report, settings, self.addDetail, self.fail,
                      mark_leaked)

    # -- declarations --------------------------------------------------------

    @classmethod
    def declared(cls, name):
        """The merged value of dict attribute ``name`` for this class."""
        cache = class_cache(cls, '_mocktools_declared')
        if name not in cache:
            cache[name] = declarative.merged(cls, name)
        return cache[name]

    @classmethod
    def _isolation_factories(cls):
        """(name, factory) of the isolation fixtures that would act now."""
        factories = {
            'timeout': lambda: isolation.Timeout(
                cls.default_timeout, cls.timeout_scaling_factor),
            'output': isolation.CaptureOutput,
            'logs': isolation.CaptureLogs,
            'temp_home': isolation.TempHome,
            'warnings': isolation.WarningFilters,
        }
        chosen = []
        for name, wanted in cls.declared('isolation').items():
            if not wanted:
                continue
            if name not in factories:
                raise ValueError(
                    '%s.isolation: unknown isolation fixture %r (known: %s)'
                    % (cls.__qualname__, name, ', '.join(sorted(factories))))
            factory = factories[name] if wanted is True else wanted
            if not callable(factory):
                raise TypeError(
                    '%s.isolation[%r] must be True, False or a fixture '
                    'factory, not %r' % (cls.__qualname__, name, wanted))
            if getattr(factory(), 'active', True):
                chosen.append((name, factory))
        return chosen

    @classmethod
    def _declaration_plan(cls):
        """What setUp applies, cached per class and isolation environment."""
        env = _isolation_environment()
        cached = cls.__dict__.get('_mocktools_plan')
        if cached is not None and cached[0] == env:
            return cached[1]
        plan = (cls._isolation_factories(),
                tuple(cls.declared('config_overrides').items()),
                tuple(cls.declared('test_fixtures').items()),
                tuple(cls.declared('patches').items()))
        if not any(plan):
            plan = None
        type.__setattr__(cls, '_mocktools_plan', (env, plan))
        return plan

    def _mocktools_apply_declarations(self):
        plan = self._declaration_plan()
        if plan is None:
            return
        self.mocks = {}
        self.used_fixtures = {}
        isolation_factories, overrides, test_fixtures, patches = plan
        for name, factory in isolation_factories:
            self.used_fixtures[name] = self.useFixture(factory())
        if overrides:
            where = '%s.config_overrides' % type(self).__qualname__
            for key, value in overrides:
                group, _, option = key.rpartition('.')
                self.config_fixture.override(option, value, group or None,
                                             where=where)
        for name, factory in test_fixtures:
            self.used_fixtures[name] = self.useFixture(factory())
        for name, spec in patches:
            self.mocks[name] = self._start(
                spec.fixture(self.autospec_by_default))

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
        if self.autospec_by_default:
            kwargs = declarative.with_default_autospec(args, kwargs)
        return self._start(patching.MockPatch(target, *args, **kwargs))

    def mock_patch_object(self, target, attribute, *args, **kwargs):
        """``unittest.mock.patch.object(target, attribute, ...)``."""
        if self.autospec_by_default:
            kwargs = declarative.with_default_autospec(args, kwargs)
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

    def mock_spy(self, target, attribute):
        """Spy on ``target.attribute``: calls go through and are recorded.

        Returns the spy (an autospecced mock, so the original signature is
        enforced) with ``spy_return``, ``spy_return_list`` and
        ``spy_exception``; restored at cleanup.  See :mod:`mocktools.spy`.
        """
        try:
            original = getattr(target, attribute)
        except AttributeError as exc:
            raise patching.BadPatchTarget('mock_spy: cannot spy on %r: %s' % (
                patching.describe_target(target, attribute), exc)) from exc

        def record(value=None, exception=None):
            spy.spy_exception = exception
            if exception is None:
                spy.spy_return = value
                spy.spy_return_list.append(value)
            else:
                spy.spy_return = None

        spy = self.mock_patch_object(
            target, attribute,
            side_effect=spy_module.spy_wrapper(original, record),
            autospec=spy_module.autospec_for(original))
        spy.spy_return = None
        spy.spy_return_list = []
        spy.spy_exception = None
        return spy

    def mock_open(self, read_data='', target='builtins.open'):
        """Patch ``open`` (or ``target``) with ``mock.mock_open(read_data)``.

        Returns the mock; ``handle = opener.return_value`` is the file.
        """
        return self.mock_patch(target, unittest_mock.mock_open(
            read_data=read_data))

    def clear_caches_at_cleanup(self, *functions):
        """Call ``cache_clear()`` on each function now and at cleanup.

        For ``functools.lru_cache``/``cache`` functions whose results may
        come from mocks of this test, so they do not leak into later tests.
        A function without ``cache_clear`` fails the test naming it.
        """
        for function in functions:
            clear = getattr(function, 'cache_clear', None)
            if not callable(clear):
                self.fail('clear_caches_at_cleanup: %s has no cache_clear(); '
                          'is it decorated with functools.lru_cache?' % (
                              patching.describe_target(function),))
            clear()
            self.addCleanup(clear)

    # -- configuration -------------------------------------------------------

    def get_conf(self):
        """The ``ConfigOpts`` to override (``conf_opts`` or ``cfg.CONF``)."""
        if self.conf_opts is not None:
            return self.conf_opts
        # imported here: a suite that never overrides an option does not
        # pay for importing oslo.config (a tenth of a second)
        from oslo_config import cfg
        return cfg.CONF

    @property
    def config_fixture(self):
        """The test's :class:`~mocktools.config.ConfigFixture` (lazily)."""
        fixture = self.__dict__.get('_mocktools_config_fixture')
        if fixture is None:
            from mocktools import config
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
