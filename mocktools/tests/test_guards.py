"""The state guards: each kind of global state a test can leave changed.

Every test builds a test case that changes some state and leaves it, runs
it, and asserts on the report text and on the state afterwards (restored,
so the next test runs in a clean world).  Fixtures that restore the state
themselves must never be reported.
"""

from concurrent import futures
import gc
import importlib
import io
import logging
import os
import signal
import socket
import sys
import threading
import time
import types
import unittest
from unittest import mock
import warnings

import fixtures
from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testtools
from testtools import matchers

import mocktools
from mocktools.engine import detector as detector_module
from mocktools.engine import instrumentation
from mocktools.engine import settings as settings_module
from mocktools import guards
from mocktools.guards import environ as environ_guard
from mocktools.guards import signal_handlers
from mocktools.guards import threads as threads_guard
from mocktools.tests import support
from mocktools.tests import targets

HERE = os.path.basename(__file__).replace('.pyc', '.py')


def _import_from(test, directory, name):
    """Module ``name``, imported by ``test`` from ``directory``."""
    test.useFixture(fixtures.MonkeyPatch('sys.path', [directory] + sys.path))
    return importlib.import_module(name)


def polluting(body, **attributes):
    """A mocktools.TestCase class whose ``test_pollute`` runs ``body``.

    ``test_after`` follows it and passes (nothing it sees is checked).
    """
    def test_pollute(self):
        body(self)

    def test_after(self):
        pass

    namespace = {'test_pollute': test_pollute, 'test_after': test_after}
    namespace.update(attributes)
    return type('Polluting', (mocktools.TestCase,), namespace)


def _runner_chdir():
    """An ``os.chdir`` made from a file of pytest's, as a fixture's would be.

    The guards take it for the runner's own write: never blamed.
    """
    namespace = {}
    exec(compile('import os\ndef chdir(path):\n    os.chdir(path)\n',
                 os.sep + os.path.join('site', '_pytest', 'fixtures.py'),
                 'exec'), namespace)
    return namespace['chdir']


# futurist's worker and executor as futurist 3 writes them (futurist is
# not a dependency): the worker keeps a weak reference to its executor,
# whose callback tells it to stop, and looks at its queue once a second
# (here five, so that one told to stop outlives any grace period).
_FUTURIST_THREAD = """
import queue, threading, weakref

class ThreadWorker(threading.Thread):
    MAX_IDLE_FOR = 5

    def __init__(self, executor, work_queue):
        super().__init__()
        self.work_queue = work_queue
        self.should_stop = False
        self.idle = False
        self.daemon = True
        self.executor_ref = weakref.ref(executor, lambda _obj: self.stop())

    def stop(self):
        self.should_stop = True

    def _is_dying(self):
        return self.should_stop or self.executor_ref() is None

    def _wait_for_work(self):
        self.idle = True
        work = None
        while work is None:
            try:
                work = self.work_queue.get(True, self.MAX_IDLE_FOR)
            except queue.Empty:
                if self._is_dying():
                    raise StopIteration
        self.idle = False
        return work

    def run(self):
        while not self._is_dying():
            try:
                work = self._wait_for_work()
            except StopIteration:
                return
            work()
"""
_FUTURIST_FUTURES = """
import queue
from futurist import _thread

class ThreadPoolExecutor:
    def __init__(self):
        self._work_queue = queue.Queue()
        self._workers = []

    def submit(self, work):
        self._work_queue.put(work)
        if not self._workers:
            self._add_thread()

    def _add_thread(self):
        worker = _thread.ThreadWorker(self, self._work_queue)
        worker.start()
        self._workers.append(worker)
"""


def _futurist(test):
    """futurist's ``ThreadPoolExecutor`` class, from stand-in modules.

    Loaded from files named as futurist's are; every worker it starts is
    woken at the end of ``test``, so that none outlives it.
    """
    directory = test.useFixture(fixtures.TempDir()).path
    package = os.path.join(directory, 'futurist')
    os.mkdir(package)
    for name, source in (('__init__', ''), ('_thread', _FUTURIST_THREAD),
                         ('_futures', _FUTURIST_FUTURES)):
        with open(os.path.join(package, name + '.py'), 'w') as module:
            module.write(source)
    for name in ('futurist', 'futurist._thread', 'futurist._futures'):
        test.addCleanup(sys.modules.pop, name, None)
    pool_class = _import_from(
        test, directory, 'futurist._futures').ThreadPoolExecutor
    pools = []

    def make():
        pool = pool_class()
        pools.append((pool._work_queue, pool._workers))
        return pool

    def wake_all():
        for work_queue, workers in pools:
            for worker in workers:
                worker.stop()
                work_queue.put(int)     # wakes it; it sees it must stop
            for worker in workers:
                worker.join(10)
    test.addCleanup(wake_all)
    return make


class GuardTestCase(testtools.TestCase):
    """Base: known knobs, and a world that the guards see as clean."""

    def setUp(self):
        super().setUp()
        self.useFixture(support.KnobEnvironment.unset())
        detector_module.get_detector().resync()

    def assertReported(self, outcome, *texts):
        self.assertEqual('failure', outcome['test_pollute'])
        self.assertEqual('success', outcome['test_after'])
        report = outcome.text('test_pollute')
        for text in texts:
            self.assertThat(report, matchers.Contains(text))
        return report

    def assertClean(self, outcome):
        self.assertEqual('success', outcome['test_pollute'],
                         outcome.text('test_pollute'))
        self.assertEqual('success', outcome['test_after'])


class TestEnviron(GuardTestCase):

    def test_added_changed_removed(self):
        self.useFixture(fixtures.EnvironmentVariable('MT_GUARD_OLD', 'old'))
        self.useFixture(fixtures.EnvironmentVariable('MT_GUARD_GONE', 'x'))
        self.useFixture(fixtures.EnvironmentVariable('MT_GUARD_NEW'))
        detector_module.get_detector().resync()

        def body(test):
            os.environ['MT_GUARD_NEW'] = 'new'
            os.environ['MT_GUARD_OLD'] = 'changed'
            del os.environ['MT_GUARD_GONE']
        outcome = support.run_case(polluting(body))
        report = self.assertReported(
            outcome,
            'mocktools: 3 changes to global state left by test',
            "os.environ['MT_GUARD_NEW']",
            'kind:     environment variable added [environ]',
            "change:   <unset> -> 'new'",
            "os.environ['MT_GUARD_OLD']",
            "change:   'old' -> 'changed'",
            "restored: set back to 'old'",
            "kind:     environment variable removed [environ]",
            'restored: removed',
            'by:       mocktools.tests.test_guards.Polluting.test_pollute')
        self.assertThat(report, matchers.MatchesRegex(
            r".*changed:  .*%s:\d+ in body" % HERE, flags=16))
        self.assertNotIn('MT_GUARD_NEW', os.environ)
        self.assertEqual('old', os.environ['MT_GUARD_OLD'])
        self.assertEqual('x', os.environ['MT_GUARD_GONE'])

    def test_only_the_guards_that_saw_a_write_compare(self):
        # a test that wrote os.environ alone: the other journal guards
        # (config, logging, threads) have nothing to compare
        compared = support.calls_to(
            self, threads_guard.ThreadsGuard, 'compare')
        environ_compared = support.calls_to(
            self, environ_guard.EnvironGuard, 'compare')
        self.useFixture(fixtures.EnvironmentVariable('MT_GUARD_NEW'))
        detector_module.get_detector().resync()

        def body(test):
            os.environ['MT_GUARD_NEW'] = 'new'
        self.assertReported(support.run_case(polluting(body)),
                            "os.environ['MT_GUARD_NEW']")
        self.assertIn('compare', environ_compared)
        self.assertEqual([], compared)

    def test_patch_dict_and_fixtures_restore(self):
        def body(test):
            test.useFixture(fixtures.EnvironmentVariable('MT_GUARD_F', 'f'))
            test.useFixture(fixtures.TempHomeDir())
            test.mock_patch_dict(os.environ, {'MT_GUARD_P': 'p'})
            with mock.patch.dict(os.environ, clear=True):
                os.environ['ONLY_HERE'] = '1'
        self.assertClean(support.run_case(polluting(body)))

    def test_fixture_set_up_before_the_check_began(self):
        # oslotest's order: fixtures in setUp, then the LeakCheck fixture;
        # their cleanups run before the check and restore the variable
        class Case(testtools.TestCase):
            def setUp(self):
                super().setUp()
                self.useFixture(fixtures.EnvironmentVariable(
                    'MT_GUARD_EARLY', 'early'))
                self.useFixture(mocktools.LeakCheck(self))

            def test_pollute(self):
                pass

            def test_after(self):
                pass
        self.assertClean(support.run_case(Case))
        self.assertNotIn('MT_GUARD_EARLY', os.environ)


class TestConfig(GuardTestCase):

    def setUp(self):
        # made before the checks' clean world is taken: like a project's
        # module-level ConfigOpts, every later test sees it
        self.conf = cfg.ConfigOpts()
        self.conf.register_opts([cfg.StrOpt('color', default='red')])
        self.conf.register_opts([cfg.IntOpt('size', default=1)],
                                group='shape')
        self.conf([])
        super().setUp()

    def test_override_and_default_left_set(self):
        conf = self.conf

        def body(test):
            conf.set_override('color', 'blue')
            conf.set_default('size', 5, group='shape')
        outcome = support.run_case(polluting(body))
        self.assertReported(
            outcome,
            'oslo.config override left set [config]',
            '[DEFAULT] color (override)',
            "change:   <unset> -> 'blue'",
            '[shape] size (default)',
            'oslo.config default left set [config]',
            'change:   <unset> -> 5',
            'restored: override cleared')
        self.assertEqual('red', conf.color)
        self.assertEqual(1, conf.shape.size)

    def test_global_conf_is_named(self):
        cfg.CONF.register_opt(cfg.StrOpt('mt_guard_opt', default='d'))
        self.addCleanup(cfg.CONF.unregister_opt,
                        cfg.CONF._opts['mt_guard_opt']['opt'])

        def body(test):
            cfg.CONF.set_override('mt_guard_opt', 'o')
        self.assertReported(support.run_case(polluting(body)),
                            'cfg.CONF[DEFAULT] mt_guard_opt (override)')
        self.assertEqual('d', cfg.CONF.mt_guard_opt)

    def test_fixture_and_registration_are_not_changes(self):
        conf = self.conf
        opt = cfg.StrOpt('mt_guard_prop', default='d')
        cfg.CONF.register_opt(opt)
        self.addCleanup(cfg.CONF.unregister_opt, opt)

        def body(test):
            fixture = test.useFixture(config_fixture.Config(conf))
            fixture.config(color='green')
            fixture.config(size=3, group='shape')
            conf.register_opt(cfg.BoolOpt('new_flag', default=False))
            test.patch_conf_property('mt_guard_prop', 'p')
        self.assertClean(support.run_case(polluting(body)))

    def test_reset_clearing_a_default_set_at_import_is_not_a_change(self):
        # oslo_db's options.set_defaults(CONF, connection=...) at import,
        # then every test: set_default in setUp, CONF.reset() at cleanup
        conf = self.conf
        conf.set_default('color', 'import-time')
        self.addCleanup(conf.clear_default, 'color')
        detector_module.get_detector().resync()

        def body(test):
            conf.set_default('color', 'per-test')
            test.addCleanup(conf.reset)
        self.assertClean(support.run_case(polluting(body)))

    def test_a_config_the_test_made_is_its_own(self):
        def body(test):
            conf = cfg.ConfigOpts()
            conf.register_opt(cfg.StrOpt('local', default='a'))
            conf.set_override('local', 'b')
        self.assertClean(support.run_case(polluting(body)))

    def test_oslo_config_still_knows_where_an_override_was_set(self):
        self.useFixture(fixtures.MockPatch(
            'oslo_config.cfg._show_caller_details', True))
        self.conf.set_override('color', 'blue')
        self.addCleanup(self.conf.clear_override, 'color')
        location = self.conf.get_location('color')
        self.assertEqual(cfg.Locations.set_override, location.location)
        self.assertEqual(__file__.replace('.pyc', '.py'), location.detail)

    def test_override_cleared_by_the_test_itself(self):
        conf = self.conf

        def body(test):
            conf.set_override('color', 'blue')
            test.addCleanup(conf.clear_override, 'color')
        self.assertClean(support.run_case(polluting(body)))


class TestLogging(GuardTestCase):

    def test_handler_level_propagate_disabled(self):
        logger = logging.getLogger('mocktools.tests.guarded')
        handler = logging.StreamHandler(io.StringIO())

        def body(test):
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
            logger.propagate = False
            logging.getLogger('mocktools.tests.guarded.child').disabled = True
        outcome = support.run_case(polluting(body))
        self.assertReported(
            outcome,
            "logging.getLogger('mocktools.tests.guarded').handlers",
            'logging handler added [logging]',
            "logging.getLogger('mocktools.tests.guarded').level",
            'change:   NOTSET -> DEBUG',
            'logger propagate changed',
            "logging.getLogger('mocktools.tests.guarded.child').disabled",
            'change:   False -> True')
        self.assertEqual([], logger.handlers)
        self.assertEqual(logging.NOTSET, logger.level)
        self.assertTrue(logger.propagate)
        self.assertFalse(
            logging.getLogger('mocktools.tests.guarded.child').disabled)

    def test_a_null_handler_added_on_first_use_is_no_change(self):
        # openstacksdk's setup_logging, when a test first makes a
        # connection: the library's logger gets a NullHandler if it has no
        # handler (nova's unit tests)
        logger = logging.getLogger('mocktools.tests.guarded.library')
        self.addCleanup(logger.handlers.clear)

        def body(test):
            if not logger.handlers:
                logger.addHandler(logging.NullHandler())
        self.assertClean(support.run_case(polluting(body)))
        self.assertEqual([logging.NullHandler], list(map(type,
                                                         logger.handlers)))

    def test_a_handler_left_out_of_comparisons_is_not_even_recorded(self):
        # pytest adds and removes its capture handlers in every phase of
        # every test: finding who wrote each cost a frame walk
        from mocktools.guards import base as guard_base
        logger = logging.getLogger('mocktools.tests.guarded.library')
        self.addCleanup(logger.handlers.clear)
        pytest_like = type('LogCaptureHandler', (logging.Handler,),
                           {'__module__': '_pytest.logging'})()
        stream = logging.StreamHandler(io.StringIO())
        start = guard_base.journal.position
        for handler in (logging.NullHandler(), pytest_like):
            logger.addHandler(handler)
            logger.removeHandler(handler)
        self.assertEqual(start, guard_base.journal.position)
        logger.addHandler(stream)
        self.assertEqual(start + 1, guard_base.journal.position)

    def test_a_null_handler_stays_when_the_other_handlers_are_restored(self):
        logger = logging.getLogger('mocktools.tests.guarded.library')
        self.addCleanup(logger.handlers.clear)
        stream = logging.StreamHandler(io.StringIO())

        def body(test):
            logger.addHandler(logging.NullHandler())
            logger.addHandler(stream)
        outcome = support.run_case(polluting(body))
        self.assertReported(
            outcome,
            "logging.getLogger('mocktools.tests.guarded.library').handlers",
            'logging handler added [logging]',
            'change:   [] -> [<StreamHandler')
        self.assertNotIn('NullHandler', outcome.text('test_pollute'))
        self.assertEqual([logging.NullHandler], list(map(type,
                                                         logger.handlers)))

    def _library(self, name, source):
        directory = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(directory, name + '.py'), 'w') as f:
            f.write(source)
        self.addCleanup(sys.modules.pop, name, None)
        return _import_from(self, directory, name)

    def test_a_library_configuring_its_own_logger_on_first_use(self):
        # retrying, the first time a test uses it: a NullHandler and
        # propagate off on its logger (nova's compute tests)
        library = self._library(
            'mt_lazy_lib',
            'import logging\n'
            'def configure():\n'
            '    log = logging.getLogger("mt_lazy_lib.sub")\n'
            '    log.propagate = False\n'
            '    log.setLevel(logging.ERROR)\n'
            'def configure_another():\n'
            '    logging.getLogger("mt_other_lib").propagate = False\n')
        own = logging.getLogger('mt_lazy_lib.sub')
        other = logging.getLogger('mt_other_lib')
        for logger in (own, other):
            self.addCleanup(setattr, logger, 'propagate', True)
        self.addCleanup(own.setLevel, logging.NOTSET)
        self.assertClean(support.run_case(polluting(
            lambda test: library.configure())))
        self.assertFalse(own.propagate)
        # another package's logger is not its own: oslo_db setting
        # sqlalchemy's level
        self.assertReported(
            support.run_case(polluting(
                lambda test: library.configure_another())),
            "logging.getLogger('mt_other_lib').propagate",
            'mt_lazy_lib.py:7 in configure_another')
        self.assertTrue(other.propagate)

    def test_logging_disable_left_on(self):
        def body(test):
            logging.disable(logging.CRITICAL)
        self.assertReported(support.run_case(polluting(body)),
                            'logging.disable', 'logging disabled [logging]')
        self.assertEqual(0, logging.root.manager.disable)

    def test_fake_logger_and_capture_are_not_changes(self):
        def body(test):
            test.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
            test.useFixture(fixtures.FakeLogger(
                name='mocktools.tests.guarded', nuke_handlers=True))
            test.useFixture(mocktools.CaptureLogs(capture=True))
        self.assertClean(support.run_case(polluting(body)))


class TestImports(GuardTestCase):

    def test_a_module_configuring_logging_when_imported(self):
        directory = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(directory, 'mt_noisy_lib.py'), 'w') as f:
            f.write('import logging\n'
                    'def get_logger(name):\n'
                    '    logger = logging.getLogger(name)\n'
                    '    logger.addHandler(logging.NullHandler())\n'
                    '    return logger\n'
                    'LOG = get_logger("mt_noisy_lib")\n')
        self.addCleanup(sys.modules.pop, 'mt_noisy_lib', None)
        self.addCleanup(logging.getLogger('mt_noisy_lib').handlers.clear)

        def body(test):
            _import_from(test, directory, 'mt_noisy_lib')
        self.assertClean(support.run_case(polluting(body)))


class TestImportPathAndWorkingDir(GuardTestCase):

    def test_sys_path_and_meta_path(self):
        finder = type('Finder', (), {'find_spec': staticmethod(
            lambda *args: None)})()

        def body(test):
            sys.path.insert(0, '/mt/guard/path')
            sys.meta_path.append(finder)
        outcome = support.run_case(polluting(body))
        self.assertReported(outcome, "sys.path added '/mt/guard/path'",
                            'sys.meta_path added <', 'restored in place')
        self.assertNotIn('/mt/guard/path', sys.path)
        self.assertNotIn(finder, sys.meta_path)

    def _finder_module(self, name, kept=True, metaclass=''):
        # a module that puts its finder on sys.meta_path when imported, and
        # keeps it, as six does with its importer (or, not ``kept``, only
        # puts it there, as pkg_resources does with its vendored importer)
        directory = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(directory, name + '.py'), 'w') as f:
            f.write('import sys\n'
                    + metaclass +
                    'class Importer(%s):\n' % (
                        'metaclass=Meta' if metaclass else '') +
                    '    def find_spec(self, *args):\n'
                    '        return None\n'
                    + ('IMPORTER = Importer()\n'
                       'sys.meta_path.append(IMPORTER)\n' if kept else
                       'sys.meta_path.append(Importer())\n'))
        self.addCleanup(sys.modules.pop, name, None)

        def forget():
            sys.meta_path[:] = [
                finder for finder in sys.meta_path
                if vars(type(finder)).get('__module__') != name]
        self.addCleanup(forget)
        return directory

    def test_a_finder_an_import_put_in_place_is_the_modules(self):
        directory = self._finder_module('mt_finder_lib')

        def body(test):
            _import_from(test, directory, 'mt_finder_lib')
        self.assertClean(support.run_case(polluting(body)))
        importer = vars(sys.modules['mt_finder_lib'])['IMPORTER']
        self.assertIn(importer, sys.meta_path)

    def test_the_tests_own_finder_beside_an_imports(self):
        directory = self._finder_module('mt_finder_lib2')
        own = type('Finder', (), {'find_spec': staticmethod(
            lambda *args: None)})()

        def body(test):
            library = _import_from(test, directory, 'mt_finder_lib2')
            # an instance of the module's class, made by the test: its own
            sys.meta_path.insert(0, library.Importer())
            sys.meta_path.append(own)
        outcome = support.run_case(polluting(body))
        self.assertReported(outcome, 'sys.meta_path added <')
        text = outcome.text('test_pollute')
        self.assertIn('mt_finder_lib2.Importer object', text)
        self.assertIn('Finder object', text)
        importer = vars(sys.modules['mt_finder_lib2'])['IMPORTER']
        self.assertEqual([importer], [
            finder for finder in sys.meta_path
            if vars(type(finder)).get('__module__') == 'mt_finder_lib2'
            or finder is own])

    def test_a_finder_an_import_put_in_place_and_did_not_keep(self):
        # pkg_resources.extern: VendorImporter(...).install() at import
        directory = self._finder_module('mt_finder_lib3', kept=False)

        def body(test):
            _import_from(test, directory, 'mt_finder_lib3')
        self.assertClean(support.run_case(polluting(body)))
        self.assertEqual(1, len([
            finder for finder in sys.meta_path
            if vars(type(finder)).get('__module__') == 'mt_finder_lib3']))

    def test_a_finders_metaclass_is_not_asked_to_hash_or_compare(self):
        directory = self._finder_module(
            'mt_finder_lib5', kept=False, metaclass=(
                'class Meta(type):\n'
                '    def __hash__(cls):\n'
                '        raise AssertionError("hashed by the guard")\n'
                '    def __eq__(cls, other):\n'
                '        raise AssertionError("compared by the guard")\n'))

        def body(test):
            _import_from(test, directory, 'mt_finder_lib5')
        outcome = support.run_case(polluting(body))
        self.assertClean(outcome)
        # no internal error of the guard, with the metaclass's in it
        self.assertNotIn('by the guard', outcome.text('test_pollute'))
        self.assertEqual(1, len([
            finder for finder in sys.meta_path
            if vars(type(finder)).get('__module__') == 'mt_finder_lib5']))

    def test_two_unkept_finders_of_an_imports_class_are_reported(self):
        # which is the module's and which the test's cannot be told: both
        # are reported and taken away, as before the rule for unkept ones
        directory = self._finder_module('mt_finder_lib4', kept=False)

        def body(test):
            library = _import_from(test, directory, 'mt_finder_lib4')
            sys.meta_path.append(library.Importer())
        outcome = support.run_case(polluting(body))
        self.assertReported(outcome, 'sys.meta_path added <')
        kind = [line for line in outcome.text('test_pollute').splitlines()
                if 'kind:' in line and 'sys.meta_path added' in line]
        self.assertTrue(kind)
        self.assertEqual(2, kind[0].count('mt_finder_lib4.Importer object'))
        self.assertEqual([], [
            finder for finder in sys.meta_path
            if vars(type(finder)).get('__module__') == 'mt_finder_lib4'])

    def test_cwd_and_umask(self):
        here = os.getcwd()
        elsewhere = self.useFixture(fixtures.TempDir()).path
        mask = os.umask(0o022)
        os.umask(mask)

        def body(test):
            os.chdir(elsewhere)
            os.umask(0o077)
        outcome = support.run_case(polluting(body))
        self.assertReported(outcome, 'working directory changed',
                            "restored: os.chdir(%r)" % here,
                            'umask changed',
                            'change:   0o%03o -> 0o077' % mask)
        self.assertEqual(here, os.getcwd())
        self.assertEqual(mask, os.umask(mask))

    def test_chdir_undone_is_not_a_change(self):
        elsewhere = self.useFixture(fixtures.TempDir()).path

        def body(test):
            test.addCleanup(os.chdir, os.getcwd())
            os.chdir(elsewhere)
        self.assertClean(support.run_case(polluting(body)))

    def _directory_and_child(self):
        """A temporary directory and a directory inside it."""
        elsewhere = self.useFixture(fixtures.TempDir()).path
        below = os.path.join(elsewhere, 'below')
        os.mkdir(below)
        return elsewhere, below

    def test_a_runner_write_still_says_what_was_there(self):
        # pytest's monkeypatch.chdir or caplog.set_level, then the code
        # under test going there and back, then the fixture's undo: the
        # runner's writes are never blamed, but the first write the check
        # saw is not what the test began with
        here = os.getcwd()
        elsewhere, below = self._directory_and_child()
        runner_chdir = _runner_chdir()

        def body(test):
            runner_chdir(elsewhere)
            os.chdir(below)
            os.chdir(elsewhere)
            runner_chdir(here)
        self.assertClean(support.run_case(polluting(body)))
        self.assertEqual(here, os.getcwd())

    def test_what_the_test_put_back_after_a_runner_write_is_no_change(self):
        # google-auth: the library turned its logger's propagate off (its
        # own, unblamed), then a fixture turned it on and put back what it
        # found; the value differs from the scope's start, but not from
        # what the scope's own first write found
        here = os.getcwd()
        self.addCleanup(os.chdir, here)
        elsewhere, below = self._directory_and_child()
        runner_chdir = _runner_chdir()

        def body(test):
            runner_chdir(elsewhere)
            os.chdir(below)
            os.chdir(elsewhere)
        self.assertClean(support.run_case(polluting(body)))
        self.assertEqual(os.path.realpath(elsewhere),
                         os.path.realpath(os.getcwd()))

    def test_a_runner_write_is_not_reported_alone(self):
        elsewhere = self.useFixture(fixtures.TempDir()).path
        self.addCleanup(os.chdir, os.getcwd())
        runner_chdir = _runner_chdir()

        def body(test):
            runner_chdir(elsewhere)
        self.assertClean(support.run_case(polluting(body)))
        self.assertEqual(os.path.realpath(elsewhere),
                         os.path.realpath(os.getcwd()))


class TestThreads(GuardTestCase):

    def test_thread_left_running_is_reported(self):
        stop = threading.Event()
        self.addCleanup(stop.set)

        def body(test):
            threading.Thread(target=stop.wait, name='mt-guard-worker',
                             daemon=True).start()
        outcome = support.run_case(polluting(body, leak_thread_grace=0.05))
        report = self.assertReported(
            outcome, "thread 'mt-guard-worker'", 'thread still running',
            'running (target Event.wait, daemon)',
            'not undone: a thread cannot be stopped')
        self.assertThat(report, matchers.MatchesRegex(
            r".*changed:  .*%s:\d+ in body" % HERE, flags=16))

    def test_idle_pool_worker_is_reported_without_the_grace_period(self):
        # it waits for work until its executor shuts down: waiting for it
        # would cost every such test the whole grace period
        pools = []
        self.addCleanup(lambda: [pool.shutdown() for pool in pools])

        def body(test):
            pool = futures.ThreadPoolExecutor(1, thread_name_prefix='mt-pool')
            pools.append(pool)
            pool.submit(int).result()
        started = time.monotonic()
        outcome = support.run_case(polluting(body, leak_thread_grace=30))
        self.assertLess(time.monotonic() - started, 15)
        report = self.assertReported(outcome, "thread 'mt-pool_0'",
                                     'thread still running',
                                     'running (target _worker)')
        # where the test submitted its work, not the pool's own line
        self.assertThat(report, matchers.MatchesRegex(
            r".*changed:  .*%s:\d+ in body" % HERE, flags=16))

    def test_pool_worker_of_an_executor_only_garbage_holds_is_no_change(self):
        # asgiref's async_to_sync makes an executor per call and never
        # shuts it down; after an error, the traceback's frames keep it in
        # a cycle, and its worker waits until the collector frees it
        # (flask's test_async_error_handler)
        def body(test):
            pool = futures.ThreadPoolExecutor(1, thread_name_prefix='mt-gc')
            pool.submit(int).result()
            cycle = [pool]
            cycle.append(cycle)
            del pool
            gc.collect()   # still held: moved to the oldest generation
            del cycle      # garbage only a full collection frees
        self.assertClean(support.run_case(polluting(body)))

    def test_futurist_worker_of_a_freed_executor_is_no_change(self):
        # oslo.service's looping calls (ironic's power and reboot tests)
        # make a futurist executor per call and drop it: freed, it tells
        # its worker to stop, and the worker stops at its next look at its
        # queue, up to a second later
        make_pool = _futurist(self)

        def body(test):
            make_pool().submit(int)
        self.assertClean(support.run_case(polluting(
            body, leak_thread_grace=0.05)))

    def test_futurist_worker_of_an_executor_only_garbage_holds(self):
        make_pool = _futurist(self)

        def body(test):
            cycle = [make_pool()]
            cycle.append(cycle)
            cycle[0].submit(int)
            del cycle      # garbage only the collector frees
        self.assertClean(support.run_case(polluting(
            body, leak_thread_grace=0.05)))

    def test_busy_futurist_worker_of_a_freed_executor_is_reported(self):
        # told to stop, it still runs the test's work item
        make_pool = _futurist(self)
        release = threading.Event()
        self.addCleanup(release.set)

        def body(test):
            make_pool().submit(release.wait)
        self.assertReported(
            support.run_case(polluting(body, leak_thread_grace=0.05)),
            'thread still running', 'running (target ThreadWorker, daemon)')

    def test_futurist_worker_of_a_kept_executor_is_reported(self):
        make_pool = _futurist(self)
        kept = []
        # the full collections it makes in vain count towards giving them
        # up (see test_pools_kept_on_purpose_stop_costing_full_collections)
        guard, = [guard for guard in detector_module.get_detector().guards
                  if guard.name == 'threads']
        self.addCleanup(setattr, guard, '_futile', guard._futile)

        def body(test):
            pool = make_pool()
            kept.append(pool)
            pool.submit(int)
        report = self.assertReported(
            support.run_case(polluting(body, leak_thread_grace=0.05)),
            'thread still running', 'running (target ThreadWorker, daemon)')
        # where the test submitted its work, not futurist's own line
        self.assertThat(report, matchers.MatchesRegex(
            r".*changed:  .*%s:\d+ in body" % HERE, flags=16))

    def test_pools_kept_on_purpose_stop_costing_full_collections(self):
        # cinder's drivers keep their executors: a full collection per
        # test would free nothing and cost more than the test
        guard, = [guard for guard in detector_module.get_detector().guards
                  if guard.name == 'threads']
        self.addCleanup(setattr, guard, '_futile', 0)
        guard._futile = 0
        pools = []
        self.addCleanup(lambda: [pool.shutdown() for pool in pools])
        full = []

        def collect(generation=2):
            if generation == 2:
                full.append(1)
            return gc.collect(generation)
        self.useFixture(fixtures.MonkeyPatch(
            'mocktools.guards.threads.gc', types.SimpleNamespace(
                collect=collect, isenabled=gc.isenabled,
                get_referents=gc.get_referents)))

        def body(test):
            pool = futures.ThreadPoolExecutor(1)
            pools.append(pool)
            pool.submit(int).result()
        runs = []
        for _ in range(4):
            del full[:]
            outcome = support.run_case(polluting(body))
            self.assertEqual('failure', outcome['test_pollute'])
            runs.append(len(full))
        # (the class's check looks at the thread again)
        self.assertGreater(runs[0], 0)
        self.assertLessEqual(sum(runs), 3)
        self.assertEqual(0, runs[-1])

    def test_busy_pool_worker_gets_the_grace_period(self):
        # it ends once its work item is done and its executor shut down
        def body(test):
            pool = futures.ThreadPoolExecutor(1)
            pool.submit(time.sleep, 0.2)
            pool.shutdown(wait=False)
        self.assertClean(support.run_case(polluting(body)))

    def test_green_pool_workers_under_eventlet(self):
        # nova, cinder... monkey-patch: a worker is a greenlet with no frame
        # in sys._current_frames, found among its work queue's waiters.
        # The idle worker is reported at once, the busy one gets the grace
        # period and finishes in it, a waiting thread is reported after it.
        import textwrap
        code = textwrap.dedent("""
            import eventlet
            eventlet.monkey_patch()
            import threading, time, unittest
            from concurrent import futures
            import mocktools

            POOLS = []   # as a driver keeps its pool: not shut down by gc

            class Case(mocktools.TestCase):
                leak_thread_grace = 30

                def test_idle(self):
                    pool = futures.ThreadPoolExecutor(
                        1, thread_name_prefix='mt-green')
                    POOLS.append(pool)
                    pool.submit(int).result()

                def test_busy(self):
                    pool = futures.ThreadPoolExecutor(1)
                    pool.submit(time.sleep, 0.2)
                    pool.shutdown(wait=False)

            class Waiting(mocktools.TestCase):
                leak_thread_grace = 0.1

                def test_waiting(self):
                    threading.Thread(target=threading.Event().wait,
                                     name='mt-waiting', daemon=True).start()

            result = unittest.TestResult()
            started = time.monotonic()
            for case in Case, Waiting:
                unittest.defaultTestLoader.loadTestsFromTestCase(case).run(
                    result)
            print(round(time.monotonic() - started))
            for test, text in result.failures + result.errors:
                print(test.id().rsplit('.', 1)[1])
                print(text)
            """)
        process = support.run_python(code, PYTHONWARNINGS='ignore')
        output = process.stdout
        self.assertEqual(0, process.returncode, output)
        seconds, _, failures = output.partition('\n')
        self.assertLess(int(seconds), 15, output)
        self.assertThat(failures, matchers.StartsWith('test_idle\n'))
        self.assertIn("thread 'mt-green_0'", failures)
        self.assertIn('running (target _worker)', failures)
        self.assertNotIn('test_busy', failures)
        # a green thread's join(timeout) raises eventlet's Timeout on 3.13
        self.assertIn("test_waiting\n", failures)
        self.assertIn("thread 'mt-waiting'", failures)

    def test_thread_finishing_within_the_grace_period(self):
        def body(test):
            threading.Timer(0.01, lambda: None).start()
        self.assertClean(support.run_case(polluting(body)))


class TestMockLibrary(GuardTestCase):

    def test_attribute_on_a_mock_class(self):
        def body(test):
            mock.MagicMock.mt_guard = 1
            mock.DEFAULT = 'not the sentinel'
        default = mock.DEFAULT
        outcome = support.run_case(polluting(body))
        self.assertReported(outcome, 'unittest.mock.MagicMock.mt_guard',
                            'mock library attribute added [mock_library]',
                            'unittest.mock.DEFAULT',
                            'mock library attribute replaced')
        self.assertNotIn('mt_guard', vars(mock.MagicMock))
        self.assertIs(default, mock.DEFAULT)

    def test_library_caches_are_not_changes(self):
        def body(test):
            with mock.patch('builtins.open', mock.mock_open(read_data='x')):
                pass
            import copy
            copy.deepcopy(mock.call(1).call_list())
        self.assertClean(support.run_case(polluting(body)))

    def test_a_warning_issued_from_the_library_is_not_a_change(self):
        # the interpreter gives the module a __warningregistry__ (seen in
        # cinder's suite, for a warning raised through mock.py's frames)
        namespace = vars(mock)
        if '__warningregistry__' in namespace:
            self.addCleanup(namespace.__setitem__, '__warningregistry__',
                            namespace.pop('__warningregistry__'))
        else:
            self.addCleanup(namespace.pop, '__warningregistry__', None)

        def body(test):
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                exec('__import__("warnings").warn("probe")', namespace)
            assert '__warningregistry__' in namespace
        self.assertClean(support.run_case(polluting(body)))

    def test_mocktools_hooks_put_in_again_are_not_changes(self):
        # the benchmark takes its baseline with the hooks out, then puts
        # them back (new wrapper functions) between checked tests
        def body(test):
            pass
        instrumentation.uninstall()
        instrumentation.install()
        self.assertClean(support.run_case(polluting(body)))
        self.assertTrue(hasattr(mock._patch.__enter__, '__mocktools_hook__'))

    def test_a_hooked_method_replaced_gets_its_hook_back(self):
        hooked = vars(mock._patch)['__enter__']

        def body(test):
            mock._patch.__enter__ = lambda patcher: None
        outcome = support.run_case(polluting(body))
        self.assertReported(outcome, 'unittest.mock._patch.__enter__',
                            'mock library attribute replaced')
        self.assertIs(hooked, vars(mock._patch)['__enter__'])
        # and patchers are still followed: a leak is still caught
        leaking = polluting(lambda test: mock.patch.object(
            targets, 'execute').start())
        self.assertReported(support.run_case(leaking),
                            'mocktools.tests.targets.execute')


class TestWarningsSignalsSocket(GuardTestCase):

    def test_warning_filter_left(self):
        before = list(warnings.filters)

        def body(test):
            warnings.simplefilter('error', UserWarning)
        self.assertReported(support.run_case(polluting(body)),
                            'warnings.filters',
                            'warnings filter added: error UserWarning')
        self.assertEqual(before, warnings.filters)

    def test_catch_warnings_is_not_a_change(self):
        def body(test):
            with warnings.catch_warnings():
                warnings.simplefilter('error')
            test.useFixture(mocktools.WarningFilters(errors=(UserWarning,)))
        self.assertClean(support.run_case(polluting(body)))

    def test_signal_handler_left(self):
        previous = signal.getsignal(signal.SIGUSR1)

        def handler(signum, frame):
            pass

        def body(test):
            signal.signal(signal.SIGUSR1, handler)
        self.assertReported(support.run_case(polluting(body)),
                            'signal.getsignal(SIGUSR1)',
                            'signal handler replaced [signal_handlers]')
        self.assertEqual(previous, signal.getsignal(signal.SIGUSR1))

    def test_signal_handler_restored_under_green_threading(self):
        # eventlet's monkey patching: threading names a green thread, which
        # is not main_thread() even where signal handlers can be set
        previous = signal.getsignal(signal.SIGUSR1)
        self.useFixture(fixtures.MockPatch('threading.current_thread',
                                           return_value=object()))

        def body(test):
            signal.signal(signal.SIGUSR1, lambda signum, frame: None)
        outcome = support.run_case(polluting(body))
        self.assertReported(outcome, 'signal.getsignal(SIGUSR1)',
                            'restored: set back to')
        self.assertEqual(previous, signal.getsignal(signal.SIGUSR1))

    def test_signal_handler_checked_in_another_thread_is_told(self):
        previous = signal.getsignal(signal.SIGUSR1)
        answers = []
        restore = threading.Thread(target=lambda: answers.append(
            signal_handlers.SignalHandlersGuard().put(
                signal.SIGUSR1, signal.SIG_IGN, None)))
        restore.start()
        restore.join()
        self.assertEqual(['not restored (checked outside the main thread)'],
                         answers)
        self.assertEqual(previous, signal.getsignal(signal.SIGUSR1))

    def test_timeout_fixture_is_not_a_change(self):
        def body(test):
            test.useFixture(fixtures.Timeout(30, gentle=True))
        self.assertClean(support.run_case(polluting(body)))

    def test_socket_default_timeout(self):
        def body(test):
            socket.setdefaulttimeout(3.0)
        self.assertReported(support.run_case(polluting(body)),
                            'socket.getdefaulttimeout()',
                            'change:   None -> 3.0')
        self.assertIsNone(socket.getdefaulttimeout())


class TestKnobs(GuardTestCase):

    def _pollute(self, test):
        os.environ['MT_GUARD_KNOB'] = '1'

    def test_guard_off_by_class_attribute(self):
        self.addCleanup(os.environ.pop, 'MT_GUARD_KNOB', None)
        self.assertClean(support.run_case(polluting(
            self._pollute, leak_guards={'environ': 'off'})))
        self.assertEqual('1', os.environ['MT_GUARD_KNOB'])

    def test_guard_warn_from_environment(self):
        self.useFixture(support.KnobEnvironment(
            MOCKTOOLS_GUARDS='environ=warn,threads=off'))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            outcome = support.run_case(polluting(self._pollute))
        self.assertClean(outcome)
        self.assertTrue(any("os.environ['MT_GUARD_KNOB']" in str(w.message)
                            for w in caught))
        self.assertNotIn('MT_GUARD_KNOB', os.environ)

    def test_environment_wins_guard_by_guard(self):
        self.useFixture(support.KnobEnvironment(
            MOCKTOOLS_GUARDS='environ=fail'))
        outcome = support.run_case(polluting(
            self._pollute, leak_guards='environ=off,threads=warn'))
        self.assertReported(outcome, "os.environ['MT_GUARD_KNOB']")
        resolved = mocktools.LeakSettings.resolve(type('X', (), {
            'leak_guards': 'environ=off,threads=warn'}))
        self.assertEqual({'environ': 'fail', 'threads': 'warn'},
                         resolved.guards)

    def test_mocks_off_keeps_the_state_guards(self):
        def body(test):
            mock.patch('os.getpid').start()  # noqa: MTL001
            os.environ['MT_GUARD_KNOB'] = '1'
        outcome = support.run_case(polluting(
            body, leak_guards={'mocks': 'off'}))
        report = self.assertReported(outcome, "os.environ['MT_GUARD_KNOB']")
        self.assertNotIn('dangling', report)
        mock.patch.stopall()

    def test_unknown_guard_is_named(self):
        error = self.assertRaises(
            mocktools.SettingsError, mocktools.LeakSettings,
            guards='environ=off,envrion=warn')
        self.assertEqual(
            "leak_guards: unknown guard 'envrion'; the guards are %s"
            % ', '.join(guards.names()), str(error))
        self.addCleanup(settings_module.reload_environment)
        self.useFixture(fixtures.EnvironmentVariable(
            'MOCKTOOLS_GUARDS', 'threads=loud'))
        error = self.assertRaises(mocktools.SettingsError,
                                  settings_module.reload_environment)
        self.assertEqual("MOCKTOOLS_GUARDS[threads]='loud': expected one of "
                         "fail, warn, off", str(error))

    def test_allow_list(self):
        self.addCleanup(os.environ.pop, 'MT_GUARD_KNOB', None)
        self.assertClean(support.run_case(polluting(
            self._pollute, leak_allow=["os.environ['MT_GUARD_*']"])))
        self.assertEqual('1', os.environ['MT_GUARD_KNOB'])


class TestScopes(GuardTestCase):

    def test_set_up_class_change_belongs_to_the_class(self):
        class Case(mocktools.TestCase):
            @classmethod
            def setUpClass(cls):
                super().setUpClass()
                os.environ['MT_GUARD_CLASS'] = 'c'

            def test_one(self):
                self.assertEqual('c', os.environ['MT_GUARD_CLASS'])

            def test_two(self):
                pass
        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_one'])
        self.assertEqual('success', outcome['test_two'])
        errors = outcome.class_errors()
        self.assertThat(errors, matchers.Contains(
            'left by class mocktools.tests.test_guards.'))
        self.assertThat(errors, matchers.Contains(
            "os.environ['MT_GUARD_CLASS']"))
        self.assertNotIn('MT_GUARD_CLASS', os.environ)

    def test_set_up_class_restored_by_tear_down_class(self):
        class Case(mocktools.TestCase):
            @classmethod
            def setUpClass(cls):
                super().setUpClass()
                os.environ['MT_GUARD_CLASS'] = 'c'

            @classmethod
            def tearDownClass(cls):
                del os.environ['MT_GUARD_CLASS']
                super().tearDownClass()

            def test_one(self):
                pass
        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_one'])
        self.assertEqual('', outcome.class_errors())

    def test_set_up_module_change_belongs_to_the_module(self):
        module = type(sys)('mt_guard_module')
        sys.modules['mt_guard_module'] = module
        self.addCleanup(sys.modules.pop, 'mt_guard_module')

        def setUpModule():
            os.environ['MT_GUARD_MODULE'] = 'm'
        module.setUpModule = setUpModule

        class Case(mocktools.TestCase):
            def test_one(self):
                self.assertEqual('m', os.environ['MT_GUARD_MODULE'])
        Case.__module__ = 'mt_guard_module'
        result = unittest.TestResult()
        unittest.TestSuite([Case('test_one')]).run(result)
        self.assertEqual(1, result.testsRun)
        self.assertEqual([], result.failures)
        self.assertEqual(1, len(result.errors), result.errors)
        text = result.errors[0][1]
        self.assertIn('left by module mt_guard_module', text)
        self.assertIn("os.environ['MT_GUARD_MODULE']", text)
        self.assertIn('in setUpModule', text)
        self.assertNotIn('MT_GUARD_MODULE', os.environ)


class TestEveryPath(GuardTestCase):
    """The LeakCheck fixture and mocktools.run give the same verdict."""

    def test_leak_check_fixture(self):
        class Case(testtools.TestCase):
            def setUp(self):
                super().setUp()
                self.useFixture(mocktools.LeakCheck(self))

            def test_pollute(self):
                os.environ['MT_GUARD_PATH'] = 'fixture'

            def test_after(self):
                pass
        self.assertReported(support.run_case(Case),
                            "os.environ['MT_GUARD_PATH']",
                            "change:   <unset> -> 'fixture'")
        self.assertNotIn('MT_GUARD_PATH', os.environ)

    def test_runner(self):
        from mocktools.integrations import run

        class Case(unittest.TestCase):
            def test_pollute(self):
                os.environ['MT_GUARD_PATH'] = 'runner'

            def test_after(self):
                pass
        suite = run.check_suite(unittest.TestLoader().loadTestsFromTestCase(
            Case), mocktools.LeakSettings())
        from testtools.testresult.doubles import ExtendedTestResult
        result = ExtendedTestResult()
        suite.run(testtools.ExtendedToOriginalDecorator(result))
        outcome = support.Outcome(result)
        self.assertReported(outcome, "os.environ['MT_GUARD_PATH']",
                            "change:   <unset> -> 'runner'")
        self.assertNotIn('MT_GUARD_PATH', os.environ)


class TestOldImportPaths(testtools.TestCase):
    """Every module path that existed before the guards still works."""

    MOVED = {
        'detector': 'engine', 'settings': 'engine',
        'instrumentation': 'engine', 'sweep': 'engine', 'escape': 'engine',
        'dict_changes': 'engine', 'leak_fixture': 'integrations',
        'run': 'integrations', 'pytest_plugin': 'integrations',
        'autocheck': 'integrations', 'cli': 'integrations',
    }

    def test_same_module_objects(self):
        for name, package in self.MOVED.items():
            old = importlib.import_module('mocktools.' + name)
            new = importlib.import_module('mocktools.%s.%s' % (package, name))
            self.assertIs(new, old, name)

    def test_from_imports_and_patching_by_old_name(self):
        from mocktools.detector import get_detector
        from mocktools.settings import LeakSettings
        self.assertIs(mocktools.get_detector, get_detector)
        self.assertIs(mocktools.LeakSettings, LeakSettings)
        with mock.patch('mocktools.sweep.mock_types') as patched:
            from mocktools.engine import sweep
            self.assertIs(patched, sweep.mock_types)

    def test_python_m_run_by_old_name(self):
        import subprocess
        process = subprocess.run(
            [sys.executable, '-m', 'mocktools.run', '--help'],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.assertEqual(0, process.returncode, process.stdout)
        self.assertIn(b'discover', process.stdout)


class TestGuardsAndTheMockCheck(GuardTestCase):

    def test_a_mock_written_as_an_override_is_not_global_state(self):
        conf = cfg.ConfigOpts()
        conf.register_opt(cfg.Opt('driver', type=lambda value: value))
        conf([])
        detector_module.get_detector().resync()

        def body(test):
            fixture = test.useFixture(config_fixture.Config(conf))
            fixture.config(driver=mock.Mock())
            fixture.config(driver='other')   # the journal keeps the mock
        outcome = support.run_case(polluting(body, leak_scan='always'))
        self.assertClean(outcome)


class TestFirstCheckOfAProcess(testtools.TestCase):

    def test_leak_check_fixture_first_in_a_process(self):
        # oslotest order in a fresh process: a fixture in setUp sets a
        # variable, then the first LeakCheck creates the detector
        import textwrap
        code = textwrap.dedent("""
            import os, sys, unittest
            import fixtures, testtools, mocktools

            class Case(testtools.TestCase):
                def setUp(self):
                    super().setUp()
                    self.useFixture(fixtures.EnvironmentVariable(
                        'MT_FIRST', '1'))
                    self.useFixture(mocktools.LeakCheck(self))

                def test_a(self):
                    pass

                def test_b(self):
                    os.environ['MT_LEFT'] = '1'

            result = unittest.TestResult()
            unittest.defaultTestLoader.loadTestsFromTestCase(Case).run(result)
            print([test.id().rsplit('.', 1)[1] for test, _ in result.failures])
            """)
        self.assertEqual("['test_b']\n", support.run_python(code).stdout)


class TestDetectorWithoutStateGuards(GuardTestCase):

    def test_mock_check_only(self):
        # the benchmark's reference: LeakDetector(state_guards=False)
        detector = detector_module.LeakDetector(state_guards=False)
        settings = mocktools.LeakSettings()
        self.addCleanup(os.environ.pop, 'MT_GUARD_BARE', None)
        scope = detector.begin_test('bare', settings)
        os.environ['MT_GUARD_BARE'] = '1'
        patcher = mock.patch.object(os, 'getpid')
        patcher.start()   # noqa: MTL001 (the detector stops it)
        report = detector.end_test(scope, settings)
        detector._global_sweep().tracker.close()   # frees its watcher slot
        self.assertEqual([], report.changes)
        self.assertEqual(['os.getpid'], [leak.path for leak in report.leaks])
        self.assertEqual('1', os.environ['MT_GUARD_BARE'])
