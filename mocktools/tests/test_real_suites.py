"""Every way of running the checks: one verdict on a real-shaped suite.

A small OpenStack-style project is written to a temporary directory: its
test package calls oslotest's ``mock_fixture.patch_mock_module()`` at import
(as many OpenStack projects do), its tests derive from oslotest's
``BaseTestCase`` (which registers ``mock.patch.stopall`` as a cleanup), and
the same test bodies -- clean, leaking in several ways, skipping, failing
and leaking at once -- run under each path in a subprocess:

* ``MOCKTOOLS_CHECK=1`` (no edit) under stestr, subunit.run and
  ``python -m unittest``;
* the ``python -m mocktools.run`` runner;
* the ``LeakCheck`` fixture and ``mocktools.TestCase`` as base classes;
* the pytest plugin (``--mocktools-leaks`` and ``MOCKTOOLS_CHECK=1``).

Each must report the same tests as passed, failed and skipped, blame the
same targets, and heal so that the test running after the leaks sees the
real objects.  A second suite checks pytest fixtures of wider scope.
"""

import io
import os
import re
import site
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ElementTree

import fixtures
import subunit  # noqa: F401  (the subprocesses need it: fail early here)
import testtools
from testtools import matchers

from mocktools.integrations import cli
from mocktools.tests import support

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
STARTUP_HOOK = os.path.join(ROOT, 'mocktools-autocheck.pth')

PROJECT = {
    'proj/__init__.py': '''
        import copy
        import functools

        # a fake database, as glance's simple one: it keeps deep copies
        DATA = {}


        def store(key, record):
            DATA[key] = copy.deepcopy(record)


        def execute():
            return 'real'


        def helper():
            return 'real'


        class Client:
            def get(self):
                return 'real'

        class Session:
            def get(self):
                return 'real'

        class Connection:
            def __init__(self, session):
                self.session = session

        _CONNECTION = None

        def get_connection():
            # a module-level singleton, made on first use
            global _CONNECTION
            if _CONNECTION is None:
                _CONNECTION = Connection(Session())
            return _CONNECTION

        @functools.lru_cache()
        def connection_for(name):
            return Connection(Session())
        ''',
    'proj/drivers.py': '''
        # imported by no module: only the test that loads a driver does
        CLIENT = 'real'
        ''',
    'proj/tests/fakes.py': '''
        # loaded by a test; what its import makes is its own
        from unittest import mock


        def _fake_client():
            return mock.MagicMock()


        CLIENT = _fake_client()
        ''',
    'proj/tests/__init__.py': '''
        from oslotest import mock_fixture

        # as nova, cinder, neutron... do: mock._patch becomes a subclass
        mock_fixture.patch_mock_module()
        ''',
    'proj/tests/bodies.py': '''
        """The test bodies every path runs."""
        import importlib
        from unittest import mock

        import proj


        def left_to_stopall(test):
            mock.patch.object(proj, 'execute').start()


        def explicit_stop(test):
            patcher = mock.patch.object(proj, 'execute')
            patcher.start()
            test.addCleanup(patcher.stop)


        def assign(test):
            proj.Client.get = mock.Mock()


        def context_never_exited(test):
            mock.patch.object(proj, 'helper').__enter__()


        def loads_driver_and_assigns(test):
            # the module is imported here first, whatever ran before
            drivers = importlib.import_module('proj.drivers')
            drivers.CLIENT = mock.Mock()


        def loads_fakes(test):
            test.assertIsInstance(
                importlib.import_module('proj.tests.fakes').CLIENT,
                mock.MagicMock)


        def caches_connections(test):
            # every patcher stopped, yet what was made while one ran is
            # kept, and every later test would get its mock
            with mock.patch.object(proj, 'Session'):
                proj.get_connection()
                proj.connection_for('db')

        def stores_a_copy(test):
            # a copy is made without the mock's constructor: still the
            # test's own mock, left in global state
            proj.store('request', {'context': mock.Mock()})


        def skip(test):
            test.skipTest('not on this platform')


        def fail_and_leak(test):
            proj.registry = mock.Mock()
            test.fail('its own failure')


        def sees_real(test):
            test.assertEqual(
                'real', importlib.import_module('proj.drivers').CLIENT)
            test.assertEqual('real', proj.execute())
            test.assertEqual('real', proj.helper())
            test.assertEqual('real', proj.Client().get())
            test.assertFalse(hasattr(proj, 'registry'))
            test.assertEqual('real', proj.get_connection().session.get())
            test.assertEqual('real', proj.connection_for('db').session.get())
            test.assertEqual({}, proj.DATA)


        def tests(namespace):
            """Add one test method per body to a class namespace."""
            for name in ('left_to_stopall', 'explicit_stop', 'assign',
                         'context_never_exited', 'skip', 'fail_and_leak',
                         'loads_driver_and_assigns', 'loads_fakes',
                         'caches_connections', 'stores_a_copy'):
                body = globals()[name]
                namespace['test_' + name] = (
                    lambda self, body=body: body(self))
            # runs last: the leaks before it were healed
            namespace['test_zz_sees_real'] = lambda self: sees_real(self)
        ''',
    'proj/tests/plain/__init__.py': '',
    'proj/tests/plain/test_plain.py': '''
        from oslotest import base

        from proj.tests import bodies


        class Plain(base.BaseTestCase):
            bodies.tests(locals())
        ''',
    'proj/tests/fixture/__init__.py': '',
    'proj/tests/fixture/test_fixture.py': '''
        from oslotest import base

        import mocktools
        from proj.tests import bodies


        class WithFixture(base.BaseTestCase):
            def setUp(self):
                super().setUp()
                self.useFixture(mocktools.LeakCheck(self))

            bodies.tests(locals())
        ''',
    'proj/tests/based/__init__.py': '',
    'proj/tests/based/test_based.py': '''
        from oslotest import base

        import mocktools
        from proj.tests import bodies


        class WithBase(mocktools.TestCase, base.BaseTestCase):
            bodies.tests(locals())
        ''',
}


def leak_text(leak):
    """A leak as a verdict lists it: its path, and its fix if it has one."""
    return leak['path'] + ('  fix: %s' % leak['fix'] if leak.get('fix')
                           else '')


_INSTEAD = ', stopped in a cleanup, instead of assigning the mock'

# method -> (outcome, leaked targets): what every path must say
EXPECTED = {
    'test_left_to_stopall': ('passed', ()),
    'test_explicit_stop': ('passed', ()),
    'test_assign': ('failed', (
        "proj.Client.get  fix: mock.patch('proj.Client.get')" + _INSTEAD,)),
    'test_context_never_exited': ('failed', ('proj.helper',)),
    'test_skip': ('skipped', ()),
    'test_fail_and_leak': ('failed', (
        "proj.registry  fix: mock.patch('proj.registry', create=True)"
        + _INSTEAD,)),
    'test_loads_driver_and_assigns': ('failed', (
        "proj.drivers.CLIENT  fix: mock.patch('proj.drivers.CLIENT')"
        + _INSTEAD,)),
    'test_loads_fakes': ('passed', ()),
    'test_caches_connections': ('failed', (
        "proj._CONNECTION.session  fix: mock.patch('proj._CONNECTION', "
        "None) for the length of the test",
        "proj.connection_for('db').session  fix: "
        'proj.connection_for.cache_clear() in a cleanup')),
    'test_stores_a_copy': ('failed', (
        "proj.DATA['request']['context']  fix: mock.patch.dict('proj.DATA') "
        'for the length of the test',)),
    'test_zz_sees_real': ('passed', ()),
}


def write_tree(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w') as handle:
            handle.write(textwrap.dedent(text).lstrip())


def startup_hook_installed():
    """Whether site-packages holds the ``.pth`` (not an editable install)."""
    for directory in site.getsitepackages() + [site.getusersitepackages()]:
        if os.path.exists(os.path.join(directory,
                                       'mocktools-autocheck.pth')):
            return True
    return False


class RealSuiteTestCase(testtools.TestCase):
    """Runs commands in a temporary project, the checks' environment clean."""

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith('MOCKTOOLS_')}
        paths = [self.root]
        if not startup_hook_installed():
            # An editable install has no .pth: run its line the way Python
            # would, from a sitecustomize on the path.
            shim = os.path.join(self.root, '_startup')
            os.makedirs(shim)
            with open(STARTUP_HOOK) as hook, open(os.path.join(
                    shim, 'sitecustomize.py'), 'w') as custom:
                custom.write(hook.read())
            paths.insert(0, shim)
        self.env['PYTHONPATH'] = os.pathsep.join(
            paths + [self.env.get('PYTHONPATH', '')]).rstrip(os.pathsep)
        self.env['PYTHONDONTWRITEBYTECODE'] = '1'

    def run_command(self, args, check_env=False, **env):
        environ = dict(self.env, **env)
        if check_env:
            environ['MOCKTOOLS_CHECK'] = '1'
        process = subprocess.run(args, cwd=self.root, env=environ,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, timeout=300)
        return (process.returncode, process.stdout,
                process.stderr.decode('utf8', 'replace'))


def verdicts_from_subunit(stream):
    """method name -> (outcome, leaked targets), from a subunit v2 stream."""
    collector = cli.LeakCollector()
    cli.read_stream(io.BytesIO(stream), collector)
    found = {}
    for test_id, outcome in collector.outcomes.items():
        paths = sorted({leak_text(leak) for leak in collector.leaks
                        if leak['test'] == test_id})
        found[test_id.rsplit('.', 1)[-1]] = (outcome, tuple(paths))
    return found


def verdicts_from_junit(path):
    """The same, from pytest's JUnit XML."""
    found = {}
    for case in ElementTree.parse(path).iter('testcase'):
        outcome, text = 'passed', ''
        for child in case:
            if child.tag in ('failure', 'error'):
                outcome = 'failed'
                # the whole report is in the text; the message may be cut
                text += child.text or child.get('message') or ''
            elif child.tag == 'skipped' and outcome == 'passed':
                outcome = 'skipped'
        paths = sorted({leak_text(leak) for leak in
                        cli.parse_report_text(text)})
        found[case.get('name')] = (outcome, tuple(paths))
    return found


class TestSameVerdictEverywhere(RealSuiteTestCase):

    def setUp(self):
        super().setUp()
        write_tree(self.root, PROJECT)

    def assert_expected(self, found, path_name):
        self.assertEqual(EXPECTED, found, path_name)

    def test_zero_edit_under_stestr(self):
        with open(os.path.join(self.root, '.stestr.conf'), 'w') as conf:
            conf.write('[DEFAULT]\ntest_path=./proj/tests/plain\n'
                       'top_dir=./\n')
        # stestr (a test requirement) starts its workers with $PYTHON
        stestr = [sys.executable, '-m', 'stestr']
        code, _, err = self.run_command(
            stestr + ['run', '--concurrency', '2'], check_env=True,
            PYTHON=sys.executable)
        self.assertEqual(1, code, err)
        _, stream, err = self.run_command(stestr + ['last', '--subunit'])
        self.assert_expected(verdicts_from_subunit(stream), 'stestr')
        # and the CI summary says so, red
        process = subprocess.run(
            [sys.executable, '-m', 'mocktools', 'leaks'], input=stream,
            stdout=subprocess.PIPE, env=self.env, cwd=self.root)
        self.assertEqual(1, process.returncode)
        self.assertThat(process.stdout.decode(), matchers.Contains(
            '7 leaks of 7 targets by 6 tests; read 11 tests from 1 stream: '
            '4 passed, 6 failed, 1 skipped'))

    def test_zero_edit_under_subunit_run(self):
        code, stream, err = self.run_command(
            [sys.executable, '-m', 'subunit.run', 'discover', '-t', '.',
             'proj/tests/plain'], check_env=True)
        self.assert_expected(verdicts_from_subunit(stream), 'subunit.run')

    def test_zero_edit_under_unittest(self):
        code, _, err = self.run_command(
            [sys.executable, '-m', 'unittest', 'discover', '-t', '.',
             '-s', 'proj/tests/plain'], check_env=True)
        self.assertEqual(1, code, err)
        self.assertThat(err, matchers.Contains(
            'FAILED (failures=6, skipped=1)'))
        for method, (_, paths) in EXPECTED.items():
            for path in paths:
                path, _, fix = path.partition('  fix: ')
                # (after the test's other leaks, if any; its fix among its
                # own lines)
                self.assertThat(err, matchers.MatchesRegex(
                    r'.*dangling mocks? after test \S+\.%s\n(  [^\n]*\n)*?'
                    r'  %s\n%s' % (method, re.escape(path), (
                        r'(      [^\n]*\n)*?      fix:     %s\n' % (
                            re.escape(fix)) if fix else '')), re.S))
        # a test that fails and leaks shows both
        self.assertThat(err, matchers.Contains('its own failure'))
        # unchecked, the same suite "passes" the leaks on to later tests
        code, _, err = self.run_command(
            [sys.executable, '-m', 'unittest', 'discover', '-t', '.',
             '-s', 'proj/tests/plain'])
        self.assertThat(err, matchers.Contains(
            'FAIL: test_zz_sees_real'))

    def test_runner(self):
        code, stream, err = self.run_command(
            [sys.executable, '-m', 'mocktools.run', '--subunit', 'discover',
             '-t', '.', 'proj/tests/plain'])
        self.assert_expected(verdicts_from_subunit(stream), 'runner')

    def test_leak_check_fixture(self):
        code, stream, err = self.run_command(
            [sys.executable, '-m', 'subunit.run', 'discover', '-t', '.',
             'proj/tests/fixture'])
        self.assert_expected(verdicts_from_subunit(stream), 'LeakCheck')

    def test_mocktools_testcase(self):
        code, stream, err = self.run_command(
            [sys.executable, '-m', 'subunit.run', 'discover', '-t', '.',
             'proj/tests/based'])
        self.assert_expected(verdicts_from_subunit(stream),
                             'mocktools.TestCase')

    def _pytest(self, *args, **env):
        junit = os.path.join(self.root, 'junit.xml')
        code, out, err = self.run_command(
            [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider',
             '--junitxml', junit, 'proj/tests/plain'] + list(args), **env)
        return verdicts_from_junit(junit), out.decode('utf8', 'replace')

    def test_pytest_plugin(self):
        found, out = self._pytest('--mocktools-leaks')
        self.assert_expected(found, 'pytest --mocktools-leaks')
        self.assertThat(out, matchers.Contains('its own failure'))

    def test_pytest_with_check_variable(self):
        found, out = self._pytest(check_env=True)
        self.assert_expected(found, 'MOCKTOOLS_CHECK=1 pytest')

    def test_require_stop_everywhere(self):
        expected = dict(EXPECTED, test_left_to_stopall=(
            'failed', ('proj.execute',)))
        env = {'MOCKTOOLS_REQUIRE_STOP': '1'}
        _, stream, _ = self.run_command(
            [sys.executable, '-m', 'subunit.run', 'discover', '-t', '.',
             'proj/tests/plain'], check_env=True, **env)
        self.assertEqual(expected, verdicts_from_subunit(stream))
        _, stream, _ = self.run_command(
            [sys.executable, '-m', 'subunit.run', 'discover', '-t', '.',
             'proj/tests/based'], **env)
        self.assertEqual(expected, verdicts_from_subunit(stream))
        found, out = self._pytest('--mocktools-leaks', **env)
        self.assertEqual(expected, found)
        self.assertThat(out, matchers.Contains(
            'kind:    patcher left to mock.patch.stopall'))

    def test_bad_setting_is_one_clear_error_and_no_pass(self):
        env = {'MOCKTOOLS_LEAK_MODE': 'loud'}
        message = ("MOCKTOOLS_LEAK_MODE='loud': expected one of fail, warn, "
                   "off")
        code, stream, err = self.run_command(
            [sys.executable, '-m', 'subunit.run', 'discover', '-t', '.',
             'proj/tests/plain'], check_env=True, **env)
        self.assertEqual(1, err.count(message), err)
        outcomes = {outcome for outcome, _ in
                    verdicts_from_subunit(stream).values()}
        self.assertEqual({'failed'}, outcomes)
        code, out, err = self.run_command(
            [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider',
             '--mocktools-leaks', 'proj/tests/plain'], **env)
        self.assertNotEqual(0, code)
        self.assertThat(err, matchers.Contains(message))

    def test_the_pytest_plugin_loads_no_base_class(self):
        # a plain pytest suite never imports testtools: the plugin does
        # not make it (mocktools.TestCase's tests are told by an attribute)
        write_tree(self.root, {'alone/test_alone.py': '''
            import sys

            def test_alone():
                assert 'testtools' not in sys.modules
            '''})
        code, out, err = self.run_command(
            [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider',
             '--mocktools-leaks', 'alone'])
        self.assertEqual(0, code, out + err.encode())

    def test_the_switch_under_pytest_with_warnings_as_errors(self):
        # MOCKTOOLS_CHECK=1 imports mocktools before pytest marks the
        # plugins' packages for assertion rewriting: pytest's warning about
        # it stopped a run with filterwarnings = error before any test
        write_tree(self.root, {'alone/test_alone.py': '''
            from unittest import mock

            def test_alone():
                with mock.patch('os.getcwd'):
                    pass
            '''})
        code, out, err = self.run_command(
            [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider',
             '-W', 'error', 'alone'], check_env=True)
        self.assertEqual(0, code, out + err.encode())
        self.assertIn(b'1 passed', out)

    def test_startup_hook_run_twice_acts_once(self):
        # A venv whose lib64 links to lib processes every .pth twice.
        with open(STARTUP_HOOK) as hook:
            line = hook.read().strip()
        code, out, err = self.run_command(
            [sys.executable, '-c', '%s; %s; import unittest; print(getattr('
             'unittest.TestCase.__call__.__mocktools_hook__, '
             '"__mocktools_hook__", None))' % (line, line)],
            check_env=True, MOCKTOOLS_LEAK_MODE='loud')
        self.assertEqual(b'None\n', out, err)
        self.assertEqual(1, err.count("MOCKTOOLS_LEAK_MODE='loud'"), err)

    def test_a_process_that_runs_no_test_imports_nothing_more(self):
        # A subprocess or multiprocessing child of a checked run starts
        # with MOCKTOOLS_CHECK set too: the hooks wait for unittest's
        # import, and unittest keeps its own loader.
        code, out, err = self.run_command([sys.executable, '-c', (
            'import sys; '
            'print(sorted(name for name in ("unittest", "inspect", '
            '"mocktools.engine.settings", "mocktools.engine.sweep") '
            'if name in sys.modules)); '
            'import unittest; '
            'print(unittest.TestCase.__call__.__mocktools_hook__ is not None,'
            ' type(unittest.__loader__).__name__, '
            'unittest.__spec__.loader is unittest.__loader__, '
            '[finder.done for finder in sys.meta_path '
            ' if "mocktools" in type(finder).__module__])')],
            check_env=True, MOCKTOOLS_LEAK_MODE='loud')
        # (the finder stays, answering nothing: taking it off the list
        # could make another thread's import skip the finder after it)
        self.assertEqual(b"[]\nTrue SourceFileLoader True [True]\n", out,
                         err)
        # a bad value is still reported, once, before any test can run
        self.assertEqual(1, err.count("MOCKTOOLS_LEAK_MODE='loud'"), err)

    def test_unittest_loaded_by_another_finder_is_still_hooked(self):
        # (a packager's importer ahead of the start-up hook's finder): the
        # next module imported for the first time -- a test module, at
        # the latest -- hooks it
        code, out, err = self.run_command([sys.executable, '-c', (
            'import importlib.machinery, sys\n'
            'class Ahead:\n'
            '    def find_spec(self, name, path=None, target=None):\n'
            '        if name == "unittest":\n'
            '            return importlib.machinery.PathFinder.find_spec(\n'
            '                name, path, target)\n'
            'sys.meta_path.insert(0, Ahead())\n'
            'import unittest\n'
            'import colorsys\n'
            'print(unittest.TestCase.__call__.__mocktools_hook__ '
            'is not None)\n')], check_env=True)
        self.assertEqual(b'True\n', out, err)
        self.assertEqual('', err)

    def test_the_switch_adds_two_frames_under_a_test(self):
        # oslo.config's deprecation warnings call inspect.stack(), which
        # pays for every frame: the switch puts its hook and run_checked
        # between the suite and the test, no more
        script = (
            'import sys, unittest\n'
            'class Case(unittest.TestCase):\n'
            '    def test_depth(self):\n'
            '        frame, depth = sys._getframe(), 0\n'
            '        while frame is not None:\n'
            '            frame, depth = frame.f_back, depth + 1\n'
            '        print(depth)\n'
            'unittest.main(argv=["x"], exit=False)\n')
        depths = []
        for check_env in (False, True):
            code, out, err = self.run_command(
                [sys.executable, '-c', script], check_env=check_env)
            self.assertEqual(0, code, err)
            depths.append(int(out))
        self.assertEqual(2, depths[1] - depths[0], depths)

    @support.INLINE_VISIBLE
    def test_a_checked_test_keeps_its_attributes_inline(self):
        # CPython keeps an instance's attributes inline until something
        # reads its __dict__; the switch must not, or every later attribute
        # read of the test is slower
        script = (
            'import gc, unittest\n'
            'tests = []\n'
            'class Case(unittest.TestCase):\n'
            '    def test_kept(self):\n'
            '        tests.append(self)\n'
            'unittest.main(argv=["x"], exit=False)\n'
            'print([type(r).__name__ for r in gc.get_referents(tests[0])\n'
            '       if type(r) is dict and "_testMethodName" in r])\n')
        code, out, err = self.run_command([sys.executable, '-c', script],
                                          check_env=True)
        self.assertEqual(0, code, err)
        self.assertEqual(b'[]\n', out, err)

    def test_nothing_happens_when_unset(self):
        code, out, err = self.run_command([sys.executable, '-c', (
            'import sys, unittest; '
            'print(getattr(unittest.TestCase.__call__, '
            '"__mocktools_hook__", None) is None, '
            '"mocktools.integrations.autocheck" in sys.modules)')])
        self.assertEqual(b'True False\n', out, err)
        code, out, err = self.run_command([sys.executable, '-c', (
            'import sys, unittest; '
            'print(getattr(unittest.TestCase.__call__, '
            '"__mocktools_hook__", None) is None, '
            '"mocktools.integrations.autocheck" in sys.modules, '
            '"oslo_config" in sys.modules)')], check_env=True)
        self.assertEqual(b'False True False\n', out, err)


PYTEST_FIXTURES = {
    'proj/__init__.py': PROJECT['proj/__init__.py'],
    'proj/tests/__init__.py': PROJECT['proj/tests/__init__.py'],
    'proj/tests/conftest.py': '''
        from unittest import mock

        import pytest

        import proj


        @pytest.fixture(scope='module')
        def patched_execute():
            with mock.patch.object(proj, 'execute', return_value='fake'):
                yield


        @pytest.fixture(scope='class')
        def patched_helper():
            patcher = mock.patch.object(proj, 'helper', return_value='fake')
            patcher.start()
            yield
            patcher.stop()


        @pytest.fixture(scope='session', autouse=True)
        def session_client():
            original = proj.Client.get
            proj.Client.get = mock.Mock(return_value='fake')
            yield
            proj.Client.get = original


        @pytest.fixture(scope='package')
        def never_stopped():
            mock.patch.object(proj, 'helper', return_value='forever').start()
        ''',
    'proj/tests/test_scopes.py': '''
        import proj


        def test_first(patched_execute):
            assert proj.execute() == 'fake'


        def test_second(patched_execute):
            assert proj.execute() == 'fake'


        class TestHelper:
            def test_one(self, patched_helper):
                assert proj.helper() == 'fake'

            def test_two(self, patched_helper):
                assert proj.helper() == 'fake'


        def test_session_mock_stays_for_every_test():
            assert proj.Client().get() == 'fake'


        def test_uses_never_stopped(never_stopped):
            assert proj.helper() == 'forever'
        ''',
}


class TestPytestFixtureScopes(RealSuiteTestCase):

    def test_wider_fixtures_own_their_patches(self):
        write_tree(self.root, PYTEST_FIXTURES)
        code, out, err = self.run_command(
            [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider',
             '-rA', '--mocktools-leaks', 'proj/tests'])
        out = out.decode('utf8', 'replace')
        # every test passes: no fixture's patch was blamed on, or healed
        # after, the first test using it, and no finalizer crashed
        self.assertThat(out, matchers.Contains('6 passed, 1 error'))
        self.assertNotIn('is_local', out)
        # the package fixture that never stopped its patcher is the leak,
        # reported when it is finalized
        self.assertThat(out, matchers.Contains(
            'ERROR at teardown of test_uses_never_stopped'))
        self.assertThat(out, matchers.Contains(
            'mocktools: 1 dangling mock after fixture never_stopped '
            '(scope=package)\n  proj.helper\n'
            '      kind:    active patcher (patch/patch.object)'))
        self.assertThat(out, matchers.Contains(
            'created: proj/tests/conftest.py:'))
        self.assertEqual(1, out.count('dangling mock'))
