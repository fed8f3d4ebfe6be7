"""Isolation fixtures: timeout, output and log capture, temp HOME, warnings."""

import logging
import os
import sys
import tempfile
import time
import warnings

import fixtures
import testtools
from testtools import matchers

import mocktools
from mocktools import isolation
from mocktools.tests import support


def _env(test, **values):
    for name in isolation.ENVIRONMENT:
        test.useFixture(fixtures.EnvironmentVariable(name, values.get(name)))


class TestTimeout(testtools.TestCase):

    def test_env_default_and_scaling(self):
        self.assertEqual(0, isolation.Timeout(environ={}).seconds)
        self.assertEqual(7, isolation.Timeout(7, environ={}).seconds)
        self.assertEqual(14, isolation.Timeout(
            7, 2, environ={'OS_TEST_TIMEOUT': ''}).seconds)
        self.assertEqual(
            30, isolation.Timeout(7, 3, environ={
                'OS_TEST_TIMEOUT': '10'}).seconds)
        self.assertEqual(7, isolation.Timeout(
            7, environ={'OS_TEST_TIMEOUT': 'soon'}).seconds)

    def test_slow_test_fails(self):
        _env(self, OS_TEST_TIMEOUT='1')

        class Slow(mocktools.TestCase):
            def test_sleeps(self):
                time.sleep(3)

        outcome = support.run_case(Slow)
        self.assertEqual('error', outcome['test_sleeps'])
        self.assertThat(outcome.text('test_sleeps'),
                        matchers.Contains('TimeoutException'))

    def test_class_default_timeout(self):
        _env(self)

        class Slow(mocktools.TestCase):
            default_timeout = 1

            def test_sleeps(self):
                time.sleep(3)

        outcome = support.run_case(Slow)
        self.assertEqual('error', outcome['test_sleeps'])


class TestCaptureOutput(testtools.TestCase):

    def test_env_captures_into_details(self):
        _env(self, OS_STDOUT_CAPTURE='1', OS_STDERR_CAPTURE='true')

        class Noisy(mocktools.TestCase):
            def test_prints(self):
                print('to stdout')
                sys.stderr.write('to stderr\n')
                self.fail('show me the output')

        real_stdout = sys.stdout
        outcome = support.run_case(Noisy)
        self.assertIs(real_stdout, sys.stdout)
        details = outcome.details[outcome._find('test_prints')]
        self.assertIn('to stdout', details['stdout'])
        self.assertIn('to stderr', details['stderr'])

    def test_off_by_env(self):
        _env(self)
        self.assertFalse(isolation.CaptureOutput().active)

    def test_standalone(self):
        with isolation.CaptureOutput(stdout=True, stderr=False) as fixture:
            print('captured')
            self.assertEqual('captured\n', fixture.text('stdout'))


class TestCaptureLogs(testtools.TestCase):

    def test_env_capture_and_debug_level(self):
        _env(self, OS_LOG_CAPTURE='1', OS_DEBUG='1')

        class Logs(mocktools.TestCase):
            def test_logs(self):
                logging.getLogger('mocktools.demo').debug('debug line')
                self.fail('show me the logs')

        outcome = support.run_case(Logs)
        details = outcome.details[outcome._find('test_logs')]
        logs = [text for name, text in details.items()
                if name.startswith('pythonlogging')]
        self.assertThat(logs, matchers.MatchesListwise(
            [matchers.Contains('debug line')]))

    def test_level_names(self):
        _env(self, OS_DEBUG='warning')
        self.assertEqual(logging.WARNING, isolation.CaptureLogs().level)
        _env(self)
        self.assertEqual(logging.INFO, isolation.CaptureLogs().level)
        self.assertFalse(isolation.CaptureLogs().active)

    def test_debug_without_capture_sets_and_restores_root_level(self):
        _env(self, OS_DEBUG='1')
        root = logging.getLogger()
        before = root.level
        with isolation.CaptureLogs():
            self.assertEqual(logging.DEBUG, root.level)
        self.assertEqual(before, root.level)


class TestTempHome(testtools.TestCase):

    def test_home_and_tempfiles_are_per_test(self):
        real_home = os.environ.get('HOME')
        with isolation.TempHome() as fixture:
            self.assertEqual(fixture.path, os.environ['HOME'])
            handle, path = tempfile.mkstemp()
            os.close(handle)
            self.assertTrue(os.path.exists(path))
        self.assertEqual(real_home, os.environ.get('HOME'))
        self.assertFalse(os.path.exists(path))

    def test_enabled_in_a_subclass(self):
        class Homed(mocktools.TestCase):
            isolation = {'temp_home': True}

            def test_home(self):
                assert os.environ['HOME'] == \
                    self.used_fixtures['temp_home'].path

        outcome = support.run_case(Homed)
        self.assertEqual('success', outcome['test_home'],
                         outcome.text('test_home'))


class TestWarningFilters(testtools.TestCase):

    def test_filters_restored(self):
        before = warnings.filters[:]
        with isolation.WarningFilters():
            warnings.simplefilter('ignore')
        self.assertEqual(before, warnings.filters)

    def test_chosen_warnings_become_errors(self):
        class Strict(mocktools.TestCase):
            isolation = {'warnings': lambda: isolation.WarningFilters(
                errors=[DeprecationWarning])}

            def test_warns(self):
                warnings.warn('old api', DeprecationWarning)

        outcome = support.run_case(Strict)
        self.assertEqual('error', outcome['test_warns'])
        self.assertThat(outcome.text('test_warns'),
                        matchers.Contains('old api'))

    def test_message_pattern(self):
        with isolation.WarningFilters(errors=[(UserWarning, 'bad.*')]):
            warnings.warn('fine', UserWarning)
            self.assertRaises(UserWarning, warnings.warn, 'bad thing',
                              UserWarning)


class TestSwitchingOff(testtools.TestCase):

    def test_fixture_instance_instead_of_factory_is_named(self):
        class Broken(mocktools.TestCase):
            isolation = {'warnings': isolation.WarningFilters()}

            def test_it(self):
                pass

        outcome = support.run_case(Broken)
        self.assertThat(outcome.text('test_it'), matchers.Contains(
            "Broken.isolation['warnings'] must be True, False or a fixture "
            "factory"))

    def test_subclass_switches_a_fixture_off(self):
        _env(self, OS_STDOUT_CAPTURE='1')

        class Quiet(mocktools.TestCase):
            isolation = {'output': False}

            def test_it(self):
                assert 'output' not in self.used_fixtures

        outcome = support.run_case(Quiet)
        self.assertEqual('success', outcome['test_it'],
                         outcome.text('test_it'))
