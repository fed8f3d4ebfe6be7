"""CI enforcement: ``mocktools leaks``, ``mocktools.run``, pytest plugin."""

import importlib.metadata
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import unittest
from unittest import mock

import fixtures
import subunit
import testtools
from testtools import matchers

import mocktools
from mocktools.integrations import cli
from mocktools.integrations import run
from mocktools.tests import targets

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class _Cases:
    """Suites whose subunit streams the tests below read."""

    class First(mocktools.TestCase):
        def test_patcher(self):
            mock.patch.object(targets, 'execute').start()

        def test_assign(self):
            targets.Client.get = mock.Mock()

        def test_clean(self):
            self.mock_patch_object(targets, 'execute')

    class Second(mocktools.TestCase):
        def test_same_target(self):
            mock.patch.object(targets, 'execute').start()

    class ClassLevel(mocktools.TestCase):
        @classmethod
        def setUpClass(cls):
            super().setUpClass()
            mock.patch.object(targets, 'generate_password').start()

        def test_it(self):
            pass


def subunit_bytes(*classes):
    """Run ``classes`` and return their subunit v2 stream."""
    stream = io.BytesIO()
    result = testtools.ExtendedToStreamDecorator(
        subunit.StreamResultToBytes(stream))
    suite = unittest.TestSuite()
    for klass in classes:
        suite.addTests(unittest.TestLoader().loadTestsFromTestCase(klass))
    result.startTestRun()
    suite.run(result)
    result.stopTestRun()
    return stream.getvalue()


def run_cli(*args, stdin=b''):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(args), stdin=io.BytesIO(stdin), stdout=out,
                    stderr=err)
    return code, out.getvalue(), err.getvalue()


class TestLeaksCommand(testtools.TestCase):

    def test_groups_by_target_across_streams(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        paths = []
        for index, classes in enumerate(((_Cases.First,), (_Cases.Second,))):
            path = os.path.join(tmp, 'worker-%d.subunit' % index)
            with open(path, 'wb') as handle:
                handle.write(subunit_bytes(*classes))
            paths.append(path)
        code, out, err = run_cli('leaks', *paths)
        self.assertEqual(1, code, err)
        self.assertThat(out, matchers.Contains(
            'mocktools.tests.targets.execute\n'
            '    kind:      active patcher (patch/patch.object)\n'))
        block = out.split('mocktools.tests.targets.execute\n')[1]
        self.assertIn('First.test_patcher', block)
        self.assertIn('Second.test_same_target', block)
        self.assertThat(out, matchers.Contains(
            'mocktools.tests.targets.Client.get\n'
            '    kind:      mock in global state (class attribute)\n'
            "    fix:       mock.patch('mocktools.tests.targets.Client.get'), "
            'stopped in a cleanup, instead of assigning the mock\n'))
        self.assertThat(out, matchers.Contains('test_ci.py:'))
        self.assertThat(out, matchers.Contains(
            'mocktools leaks: 3 leaks of 2 targets by 3 tests; read 4 tests '
            'from 2 streams: 1 passed, 3 failed, 0 skipped\n'))
        self.assertNotIn('without a leak report', out)

    def test_stdin_and_json(self):
        code, out, _ = run_cli('leaks', '--format', 'json',
                               stdin=subunit_bytes(_Cases.First))
        self.assertEqual(1, code)
        data = json.loads(out)
        self.assertEqual(3, data['tests'])
        self.assertEqual(
            ['mocktools.tests.targets.Client.get',
             'mocktools.tests.targets.execute'], sorted(data['targets']))
        leaks = {leak['path']: leak for leak in data['leaks']}
        self.assertEqual({'path', 'kind', 'mock', 'created_at', 'leaked_by',
                          'healed', 'test'},
                         set(leaks['mocktools.tests.targets.execute']))
        # an assigned mock's report says how to make the place a patcher's
        self.assertEqual(
            "mock.patch('mocktools.tests.targets.Client.get'), stopped in a "
            'cleanup, instead of assigning the mock',
            leaks['mocktools.tests.targets.Client.get']['fix'])

    def test_class_level_leak_from_traceback(self):
        code, out, _ = run_cli('leaks', stdin=subunit_bytes(_Cases.ClassLevel))
        self.assertEqual(1, code)
        self.assertThat(out, matchers.Contains(
            'mocktools.tests.targets.generate_password'))
        self.assertThat(out, matchers.Contains('ClassLevel'))

    def test_clean_stream_exits_zero(self):
        class Clean(mocktools.TestCase):
            def test_it(self):
                pass
        code, out, _ = run_cli('leaks', stdin=subunit_bytes(Clean))
        self.assertEqual(0, code)
        self.assertEqual('mocktools leaks: 0 leaks of 0 targets by 0 tests; '
                         'read 1 tests from 1 stream: 1 passed, 0 failed, '
                         '0 skipped\n', out)

    def test_red_suite_without_leaks_is_not_green(self):
        class Red(testtools.TestCase):
            def test_fails(self):
                self.fail('broken')

            def test_errors(self):
                raise RuntimeError('the detector or anything else')

            def test_passes(self):
                pass

            def test_skips(self):
                self.skipTest('not here')

        code, out, _ = run_cli('leaks', stdin=subunit_bytes(Red))
        self.assertEqual(3, code, out)
        self.assertThat(out, matchers.Contains(
            'Failed or errored without a leak report (2):\n'
            '    mocktools.tests.test_ci.'
            'TestLeaksCommand.test_red_suite_without_leaks_is_not_green.'
            '<locals>.Red.test_errors\n'))
        self.assertThat(out, matchers.Contains(
            'read 4 tests from 1 stream: 1 passed, 2 failed, 1 skipped\n'))
        # a leak elsewhere in the run does not hide the other failures
        code, out, _ = run_cli('leaks', '--format', 'json', stdin=(
            subunit_bytes(Red) + subunit_bytes(_Cases.First)))
        self.assertEqual(3, code)
        data = json.loads(out)
        self.assertEqual({'passed': 2, 'failed': 4, 'skipped': 1},
                         data['outcomes'])
        self.assertEqual(2, len(data['failed_without_leaks']))
        self.assertEqual(3, data['exit_status'])

    def test_failing_test_that_also_leaked_counts_as_leak(self):
        class FailsAndLeaks(mocktools.TestCase):
            def test_it(self):
                targets.execute = mock.Mock()
                self.fail('its own failure')

        code, out, _ = run_cli('leaks', stdin=subunit_bytes(FailsAndLeaks))
        self.assertEqual(1, code, out)
        self.assertThat(out, matchers.Contains(
            'mocktools.tests.targets.execute'))

    def test_stream_without_tests_exits_two(self):
        code, _, err = run_cli('leaks', stdin=b'')
        self.assertEqual(2, code)
        self.assertThat(err, matchers.Contains(
            'no test in standard input; did the run start?'))

    def test_not_subunit_exits_two(self):
        code, _, err = run_cli('leaks', stdin=b'this is not subunit\n' * 5)
        self.assertEqual(2, code)
        self.assertThat(err, matchers.Contains(
            'standard input is not a subunit v2 stream'))

    def test_missing_file_exits_two(self):
        code, _, err = run_cli('leaks', '/no/such/file.subunit')
        self.assertEqual(2, code)
        self.assertThat(err, matchers.Contains(
            'cannot read /no/such/file.subunit'))

    def test_state_changes_count_as_leaks(self):
        class Changes(mocktools.TestCase):
            def test_env(self):
                os.environ['MT_CLI_GUARD'] = '1'

            @classmethod
            def setUpClass(cls):
                super().setUpClass()
                os.environ['MT_CLI_CLASS'] = 'c'
        code, out, _ = run_cli('leaks', stdin=subunit_bytes(Changes))
        self.assertEqual(1, code, out)
        self.assertThat(out, matchers.Contains(
            "os.environ['MT_CLI_GUARD']\n"
            "    kind:      environment variable added\n"))
        self.assertThat(out, matchers.Contains("change:  <unset> -> '1'"))
        # the class-level report travels in a traceback: parsed from text
        self.assertThat(out, matchers.Contains("os.environ['MT_CLI_CLASS']"))
        self.assertNotIn('MT_CLI_GUARD', os.environ)
        self.assertNotIn('MT_CLI_CLASS', os.environ)

    def test_parse_report_text(self):
        report = mocktools.LeakReport('pkg.T.test_x', 'test')
        from mocktools.engine.detector import Leak
        report.leaks.append(Leak('a.b', 'k', '<Mock>', None, 'pkg.T.test_x',
                                 'patcher stopped'))
        report.leaks.append(Leak('a.c', 'k', '<Mock>', None, 'pkg.T.test_x',
                                 'removed', "mock.patch('a.c')"))
        leaks = cli.parse_report_text('Traceback...\n' + report.format())
        self.assertEqual([{'path': 'a.b', 'kind': 'k', 'mock': '<Mock>',
                           'created_at': 'unknown (no record: made before '
                                         'checking started, or without '
                                         'its constructor)',
                           'leaked_by': 'pkg.T.test_x',
                           'healed': 'patcher stopped'},
                          {'path': 'a.c', 'kind': 'k', 'mock': '<Mock>',
                           'created_at': 'unknown (no record: made before '
                                         'checking started, or without '
                                         'its constructor)',
                           'leaked_by': 'pkg.T.test_x',
                           'healed': 'removed', 'fix': "mock.patch('a.c')"}],
                         leaks)

    def test_parse_report_text_of_entries_grouping_places(self):
        # a new dict of mocks (one mock per place), one mock at two
        # places, then a leak of its own: each place is one leak again
        from mocktools.engine.detector import Leak
        report = mocktools.LeakReport('pkg.T.test_x', 'test')
        for path, value in (("R['t']['id']", '<Mock id>'),
                            ("R['t']['type']", '<Mock type>'),
                            ('P.context', '<Mock ctx>'),
                            ('P.base.context', '<Mock ctx>')):
            report.leaks.append(Leak(
                path, 'k ' + path[0], value, None, 'pkg.T.test_x',
                'removed', "mock.patch.dict('%s')" % path[0]))
        report.leaks.append(Leak('a.b', 'k', '<Mock b>', None,
                                 'pkg.T.test_x', 'patcher stopped'))
        text = report.format()
        self.assertEqual(2, text.count('\n      kind:    k '))
        self.assertEqual(
            [(leak.path, leak.value_repr, leak.kind, leak.healed, leak.fix)
             for leak in report.leaks],
            [(leak['path'], leak['mock'], leak['kind'], leak['healed'],
              leak.get('fix'))
             for leak in cli.parse_report_text('Traceback...\n' + text)])


def _subprocess_env():
    env = dict(os.environ)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    for name in list(env):
        if name.startswith('MOCKTOOLS_'):
            del env[name]
    return env


LEAKY_PLAIN_SUITE = '''
import json
from unittest import mock
import unittest


class Plain(unittest.TestCase):
    def test_leak(self):
        mock.patch.object(json, 'dumps').start()

    def test_assign(self):
        json.loads = mock.Mock()

    def test_next_is_clean(self):
        assert not isinstance(json.dumps, mock.Mock)
        assert not isinstance(json.loads, mock.Mock)


def test_function_leak():
    json.loads = mock.Mock()


def test_function_clean():
    assert not isinstance(json.loads, mock.Mock)
'''


class _Subprocess(testtools.TestCase):

    def make_suite(self, source, name='test_suite_under_test.py'):
        tmp = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(tmp, name), 'w') as handle:
            handle.write(textwrap.dedent(source))
        return tmp

    def run_cmd(self, args, cwd, stdin=None, raw=False):
        process = subprocess.run(args, cwd=cwd, env=_subprocess_env(),
                                 input=stdin, capture_output=True,
                                 timeout=300)
        out = process.stdout if raw else process.stdout.decode(
            'utf8', 'replace')
        return process.returncode, out, process.stderr.decode(
            'utf8', 'replace')

    def leaks_summary(self, stream, cwd):
        """``mocktools leaks`` on ``stream``; asserts it found leaks."""
        process = subprocess.run(
            [sys.executable, '-m', 'mocktools', 'leaks'],
            input=stream, cwd=cwd, env=_subprocess_env(),
            capture_output=True, timeout=120)
        self.assertEqual(1, process.returncode, process.stderr)
        return process.stdout.decode()


class TestRunner(_Subprocess):

    def test_text_run_fails_leaking_tests(self):
        tmp = self.make_suite(LEAKY_PLAIN_SUITE)
        code, out, err = self.run_cmd(
            [sys.executable, '-m', 'mocktools.run', 'discover', '-s', '.',
             '-t', '.', '-p', 'test_*.py'], tmp)
        text = out + err
        self.assertEqual(1, code, text)
        self.assertThat(text, matchers.Contains(
            'mocktools: 1 dangling mock after test '
            'test_suite_under_test.Plain.test_leak'))
        self.assertThat(text, matchers.Contains('json.loads'))
        self.assertThat(text, matchers.Contains('FAILED (failures=2)'))

    def test_subunit_run_piped_to_leaks(self):
        tmp = self.make_suite(LEAKY_PLAIN_SUITE)
        code, stream, err = self.run_cmd(
            [sys.executable, '-m', 'mocktools.run', '--subunit', 'discover',
             '-s', '.', '-t', '.'], tmp, raw=True)
        self.assertEqual(1, code, err)
        out = self.leaks_summary(stream, tmp)
        self.assertThat(out, matchers.Contains('json.dumps\n'))
        self.assertThat(out, matchers.Contains('json.loads\n'))


class TestCheckedRunKeepsTheStartTime(testtools.TestCase):
    """The runner's and the zero-edit switch's checked run.

    The outcome waits for the check; the start must not: a subunit stream
    stamps it with the time of the ``startTest`` call, and stestr keeps
    those times.
    """

    def run_logged(self, body):
        events = []

        class Logged(unittest.TestResult):
            def startTest(self, test):
                events.append('start')
                super().startTest(test)

            def addSuccess(self, test):
                events.append('success')
                super().addSuccess(test)

            def addFailure(self, test, err):
                events.append('failure')
                super().addFailure(test, err)

        class Case(unittest.TestCase):
            def test_body(self):
                events.append('body')
                body()

        suite = run.check_suite(unittest.TestSuite([Case('test_body')]))
        suite.run(Logged())
        return events

    def test_start_goes_out_before_the_test_runs(self):
        self.assertEqual(['start', 'body', 'success'],
                         self.run_logged(lambda: None))

    def test_a_leak_still_turns_the_outcome(self):
        self.addCleanup(setattr, targets, 'execute', targets.execute)

        def leak():
            targets.execute = mock.Mock()
        self.assertEqual(['start', 'body', 'failure'], self.run_logged(leak))


class TestPytestPlugin(_Subprocess):

    def pytest(self, tmp, *options):
        args = [sys.executable, '-m', 'pytest', '-q', '-p',
                'no:cacheprovider']
        names = {entry.name for entry in
                 importlib.metadata.entry_points(group='pytest11')}
        if 'mocktools' not in names:
            args += ['-p', 'mocktools.integrations.pytest_plugin']
        return self.run_cmd(args + list(options), tmp)

    def test_off_by_default(self):
        tmp = self.make_suite(LEAKY_PLAIN_SUITE)
        code, out, _ = self.pytest(tmp, 'test_suite_under_test.py')
        self.assertNotIn('dangling mock', out)

    def test_option_reports_leaks_at_teardown(self):
        tmp = self.make_suite(LEAKY_PLAIN_SUITE)
        code, out, err = self.pytest(tmp, '--mocktools-leaks',
                                     'test_suite_under_test.py')
        self.assertEqual(1, code, out + err)
        self.assertThat(out, matchers.Contains(
            'ERROR at teardown of Plain.test_leak'))
        self.assertThat(out, matchers.Contains(
            'ERROR at teardown of test_function_leak'))
        self.assertThat(out, matchers.Contains('json.dumps'))
        self.assertThat(out, matchers.Contains('5 passed, 3 errors'))

    def test_ini_setting_and_warn_mode(self):
        tmp = self.make_suite(LEAKY_PLAIN_SUITE)
        with open(os.path.join(tmp, 'pytest.ini'), 'w') as handle:
            handle.write('[pytest]\nmocktools_leaks = true\n'
                         'mocktools_leak_mode = warn\n')
        code, out, err = self.pytest(tmp, 'test_suite_under_test.py')
        self.assertEqual(0, code, out + err)
        self.assertThat(out, matchers.Contains('LeakWarning'))

    GUARDED_SUITE = """
    import logging
    import os

    from oslo_config import cfg
    import pytest

    CONF = cfg.ConfigOpts()
    CONF.register_opt(cfg.StrOpt('mt_opt', default='d'))


    def test_config_override():
        CONF.set_override('mt_opt', 'left')


    @pytest.fixture(scope='module')
    def module_env():
        os.environ['MT_PYTEST_MODULE'] = 'm'
        yield


    def test_env(module_env):
        os.environ['MT_PYTEST_ENV'] = '1'


    def test_monkeypatch_restores(monkeypatch, caplog, tmp_path):
        monkeypatch.setenv('MT_PYTEST_MP', '1')
        monkeypatch.chdir(tmp_path)
        logging.getLogger('x').warning('captured')


    def test_logger_level():
        logging.getLogger('mt.pytest').setLevel(logging.DEBUG)


    def test_after():
        assert 'MT_PYTEST_ENV' not in os.environ
        assert logging.getLogger('mt.pytest').level == logging.NOTSET
    """

    def test_guards_and_their_ini_setting(self):
        tmp = self.make_suite(self.GUARDED_SUITE)
        with open(os.path.join(tmp, 'pytest.ini'), 'w') as handle:
            handle.write('[pytest]\nmocktools_leaks = true\n'
                         'mocktools_guards =\n    logging=warn\n')
        code, out, err = self.pytest(tmp, 'test_suite_under_test.py')
        self.assertEqual(1, code, out + err)
        self.assertThat(out, matchers.Contains(
            "ERROR at teardown of test_env"))
        self.assertThat(out, matchers.Contains(
            "os.environ['MT_PYTEST_ENV']"))
        self.assertThat(out, matchers.Contains(
            'left by fixture module_env (scope=module)'))
        self.assertThat(out, matchers.Contains(
            "os.environ['MT_PYTEST_MODULE']"))
        # logging=warn: reported as a warning, restored, not an error
        self.assertThat(out, matchers.Contains(
            "logging.getLogger('mt.pytest').level"))
        self.assertNotIn('ERROR at teardown of test_logger_level', out)
        self.assertNotIn('test_monkeypatch_restores - ', out)
        # oslo.config is imported by the test module, after the plugin
        # started: hooked all the same
        self.assertThat(out, matchers.Contains(
            'ERROR at teardown of test_config_override'))
        self.assertThat(out, matchers.Contains('[DEFAULT] mt_opt (override)'))
        self.assertThat(out, matchers.Contains(
            '5 passed, 1 warning, 3 errors'))

    PYTEST_WRITES_SUITE = """
    import logging
    import os

    import pytest

    START = os.getcwd()


    def work_in(path):
        # the code under test goes there and back (cookiecutter's work_in)
        here = os.getcwd()
        os.chdir(path)
        os.chdir(here)


    def test_monkeypatched_cwd(monkeypatch, tmp_path):
        monkeypatch.chdir(tmp_path)
        work_in(os.path.dirname(str(tmp_path)))


    def test_caplog_level(caplog):
        caplog.set_level(logging.INFO, logger='mt.caplog')
        logger = logging.getLogger('mt.caplog')
        logger.setLevel(logging.DEBUG)
        logger.setLevel(logging.INFO)


    def test_monkeypatch_never_undone():
        patcher = pytest.MonkeyPatch()
        patcher.setenv('MT_PYTEST_LEFT', '1')


    def test_after():
        assert os.getcwd() == START
        assert logging.getLogger('mt.caplog').level == logging.NOTSET
        assert 'MT_PYTEST_LEFT' not in os.environ
    """

    def test_what_pytest_writes_for_a_test(self):
        # Its fixtures' writes and undos (monkeypatch, caplog) around the
        # test's own: what the runner undid is no change, what a
        # MonkeyPatch the test made and never undid is the test's
        tmp = self.make_suite(self.PYTEST_WRITES_SUITE)
        code, out, err = self.pytest(tmp, '--mocktools-leaks',
                                     'test_suite_under_test.py')
        self.assertEqual(1, code, out + err)
        self.assertThat(out, matchers.Contains(
            'ERROR at teardown of test_monkeypatch_never_undone'))
        self.assertThat(out, matchers.Contains(
            "os.environ['MT_PYTEST_LEFT']"))
        self.assertThat(out, matchers.Contains(
            "test_suite_under_test.py:31 in test_monkeypatch_never_undone"))
        self.assertNotIn('test_monkeypatched_cwd - ', out)
        self.assertNotIn('test_caplog_level - ', out)
        self.assertNotIn('os.getcwd()', out)
        self.assertThat(out, matchers.Contains('4 passed, 1 error'))

    MARKED_WARNINGS_SUITE = """
    import pytest


    @pytest.fixture(scope='session')
    def shared():
        return {}


    @pytest.mark.filterwarnings('ignore::DeprecationWarning')
    def test_first(shared):
        pass


    @pytest.mark.filterwarnings('default::UserWarning')
    def test_last(shared):
        pass
    """

    WIDE_FIXTURE_TEARDOWNS_SUITE = """
    import os
    import sys

    import pytest

    PLUGINS = os.path.join(os.path.dirname(__file__), 'mt_plugins')


    @pytest.fixture(scope='module', autouse=True)
    def module_path():
        # botocore's test_plugins.py: a copy, then sys.path rebound
        saved = sys.path[:]
        sys.path.append(PLUGINS)
        try:
            yield
        finally:
            sys.path = saved


    @pytest.fixture(scope='module', params=['a', 'b'])
    def module_env(request):
        # its value 'a' is torn down while test_param[b] is set up
        os.environ['MT_PARAM'] = request.param
        yield request.param
        del os.environ['MT_PARAM']


    @pytest.fixture(scope='module')
    def module_leak():
        yield
        os.environ['MT_LEFT_BY_FIXTURE'] = '1'


    def test_first():
        assert PLUGINS in sys.path


    def test_param(module_env):
        assert os.environ['MT_PARAM'] == module_env


    def test_last(module_leak):
        assert PLUGINS in sys.path
    """

    AFTER_SUITE = """
    import os
    import sys


    def test_world_is_back():
        assert not [path for path in sys.path if path.endswith('mt_plugins')]
        assert 'MT_PARAM' not in os.environ
        assert 'MT_LEFT_BY_FIXTURE' not in os.environ
    """

    def test_what_wide_fixtures_undo_is_not_the_tests_change(self):
        # A module fixture's teardown runs in the teardown of the last test
        # using it, a parametrized one's while the next test is set up:
        # neither test is to blame for it, nor is the other fixture
        tmp = self.make_suite(self.WIDE_FIXTURE_TEARDOWNS_SUITE)
        with open(os.path.join(tmp, 'test_zz_after.py'), 'w') as handle:
            handle.write(textwrap.dedent(self.AFTER_SUITE))
        code, out, err = self.pytest(tmp, '--mocktools-leaks')
        self.assertEqual(1, code, out + err)
        self.assertThat(out, matchers.Contains(
            'left by fixture module_leak (scope=module)'))
        self.assertThat(out, matchers.Contains(
            "os.environ['MT_LEFT_BY_FIXTURE']"))
        self.assertNotIn('sys.path', out)
        self.assertNotIn('MT_PARAM', out)
        self.assertThat(out, matchers.Contains('5 passed, 1 error'))

    def test_a_wide_fixture_spans_tests_with_their_own_warning_marks(self):
        # pytest sets the filters for each test (the ini's, then the
        # test's marks) and puts them back after it: the session fixture
        # begins under test_first's filters and ends under test_last's
        tmp = self.make_suite(self.MARKED_WARNINGS_SUITE)
        with open(os.path.join(tmp, 'pytest.ini'), 'w') as handle:
            handle.write('[pytest]\nmocktools_leaks = true\n'
                         'filterwarnings =\n    error\n')
        code, out, err = self.pytest(tmp, 'test_suite_under_test.py')
        self.assertEqual(0, code, out + err)
        self.assertNotIn('mocktools', out)
        self.assertThat(out, matchers.Contains('2 passed'))


@testtools.skipIf(shutil.which('stestr') is None and not os.path.exists(
    os.path.join(os.path.dirname(sys.executable), 'stestr')),
    'stestr is not installed')
class TestStestrPipeline(_Subprocess):
    """stestr run --concurrency 2 | mocktools leaks."""

    SUITE = '''
    import json
    import os
    from unittest import mock

    import mocktools


    class LeakyA(mocktools.TestCase):
        def test_patcher(self):
            mock.patch.object(json, 'dumps').start()

        def test_clean(self):
            self.mock_patch_object(json, 'dumps')


    class LeakyB(mocktools.TestCase):
        def test_same_target(self):
            mock.patch.object(json, 'dumps').start()

        def test_environ(self):
            mock.patch.dict(os.environ, {'LEAKED': '1'}).start()
    '''

    def test_concurrency_two(self):
        tmp = self.make_suite(self.SUITE, 'test_pipeline.py')
        with open(os.path.join(tmp, '.stestr.conf'), 'w') as handle:
            handle.write('[DEFAULT]\ntest_path=.\ntop_dir=.\n')
        stestr = [sys.executable, '-m', 'stestr']
        code, out, err = self.run_cmd(
            stestr + ['run', '--concurrency', '2'], tmp)
        self.assertEqual(1, code, out + err)
        code, stream, err = self.run_cmd(
            stestr + ['last', '--subunit'], tmp, raw=True)
        out = self.leaks_summary(stream, tmp)
        block = out.split('json.dumps\n')[1].split('\n\n')[0]
        self.assertIn('LeakyA.test_patcher', block)
        self.assertIn('LeakyB.test_same_target', block)
        self.assertThat(out, matchers.Contains('os.environ\n'))
        self.assertThat(out, matchers.Contains(
            'mocktools leaks: 3 leaks of 2 targets by 3 tests; read 4 tests '
            'from 1 stream'))
