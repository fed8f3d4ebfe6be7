"""The mock_patch* helpers of mocktools.TestCase and the patcher fixtures."""

import inspect
import os
from unittest import mock

import fixtures
import testtools
from testtools import matchers

import mocktools
from mocktools import patching
from mocktools.tests import support
from mocktools.tests import targets

ORIGINAL_EXECUTE = targets.execute
ORIGINAL_GET = targets.Client.get


def _restored():
    return (targets.execute is ORIGINAL_EXECUTE
            and targets.Client.get is ORIGINAL_GET
            and 'MOCKTOOLS_T' not in os.environ)


class _Cases:
    """Test cases run by the tests below (not collected themselves)."""

    class Patching(mocktools.TestCase):
        """Uses every helper, then passes, fails or errors."""

        def _patch_everything(self):
            self.mock_patch('mocktools.tests.targets.execute')
            self.mock_patch_object(targets.Client, 'get')
            self.mock_patch_dict(os.environ, {'MOCKTOOLS_T': '1'})
            self.mock_patch_multiple(targets, generate_password=mock.DEFAULT)
            assert not _restored()

        def test_success(self):
            self._patch_everything()

        def test_failure(self):
            self._patch_everything()
            self.fail('deliberate failure')

        def test_error(self):
            self._patch_everything()
            raise RuntimeError('deliberate error')


class TestRestoredAfterEveryOutcome(testtools.TestCase):

    def test_restored_after_success_failure_and_error(self):
        for name, expected in (('test_success', 'success'),
                               ('test_failure', 'failure'),
                               ('test_error', 'error')):
            outcome = support.run_case(_Cases.Patching, names=[name])
            self.assertEqual(expected, outcome[name], outcome.text(name))
            self.assertTrue(_restored(), name)
            self.assertNotIn('mocktools-leaks', outcome.text(name))


class TestHelpers(mocktools.TestCase):

    def test_mock_patch_returns_started_mock(self):
        execute = self.mock_patch('mocktools.tests.targets.execute')
        self.assertIs(execute, targets.execute)
        self.assertIsInstance(execute, mock.MagicMock)

    def test_new_is_passed_through_even_none(self):
        self.mock_patch('mocktools.tests.targets.GREETING', None)
        self.assertIsNone(targets.GREETING)
        value = self.mock_patch_object(targets, 'GREETING', 'bonjour')
        self.assertEqual('bonjour', value)
        self.assertEqual('bonjour', targets.GREETING)

    def test_autospec_checks_signatures(self):
        execute = self.mock_patch_object(targets, 'execute', autospec=True)
        targets.execute('ls', timeout=3)
        execute.assert_called_once_with('ls', timeout=3)
        self.assertRaises(TypeError, targets.execute, 'ls', bogus=1)

    def test_autospec_method_receives_self(self):
        get = self.mock_patch_object(targets.Client, 'get', autospec=True)
        client = targets.Client()
        client.get('/x')
        get.assert_called_once_with(client, '/x')
        self.assertRaises(TypeError, client.get)

    def test_new_callable(self):
        value = self.mock_patch_object(targets, 'execute',
                                       new_callable=mock.NonCallableMock)
        self.assertIsInstance(value, mock.NonCallableMock)
        self.assertRaises(TypeError, targets.execute)

    def test_create(self):
        value = self.mock_patch_object(targets, 'not_there', create=True)
        self.assertIs(value, targets.not_there)

    def test_spec_set(self):
        client = self.mock_patch_object(targets, 'SERVICE',
                                        spec_set=targets.Service())
        self.assertRaises(AttributeError, setattr, client, 'nope', 1)

    def test_async_target_gets_async_mock(self):
        fetch = self.mock_patch_object(targets, 'fetch')
        self.assertIsInstance(fetch, mock.AsyncMock)
        self.assertTrue(inspect.iscoroutinefunction(fetch))

    def test_multiple_returns_dict_of_mocks(self):
        mocks = self.mock_patch_multiple(
            targets, execute=mock.DEFAULT, generate_password=mock.DEFAULT)
        self.assertEqual({'execute', 'generate_password'}, set(mocks))
        self.assertIs(mocks['execute'], targets.execute)

    def test_dict_returns_patched_dict(self):
        env = self.mock_patch_dict(os.environ, {'MOCKTOOLS_T': 'x'})
        self.assertIs(env, os.environ)
        self.assertEqual('x', os.environ['MOCKTOOLS_T'])

    def test_dict_clear_and_kwargs(self):
        data = {'a': 1, 'b': 2}
        self.mock_patch_dict(data, clear=True, c=3)
        self.assertEqual({'c': 3}, data)

    def test_dict_by_name(self):
        self.mock_patch_dict('mocktools.tests.targets.__dict__',
                             {'GREETING': 'hi'})
        self.assertEqual('hi', targets.GREETING)

    def test_testtools_patch_keeps_its_meaning(self):
        self.patch(targets, 'GREETING', 'patched')
        self.assertEqual('patched', targets.GREETING)


class TestUndoOrder(testtools.TestCase):

    def test_patches_are_undone_in_reverse_order(self):
        seen = []

        class Case(mocktools.TestCase):
            def test_it(self):
                self.mock_patch_object(targets, 'GREETING', 'first')
                self.mock_patch_object(targets, 'GREETING', 'second')
                self.addCleanup(lambda: seen.append(targets.GREETING))

        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_it'])
        self.assertEqual(['second'], seen)
        self.assertEqual('hello', targets.GREETING)


class TestBadTargets(testtools.TestCase):

    def _failure_text(self, body):
        class Case(mocktools.TestCase):
            def test_it(self):
                body(self)
        outcome = support.run_case(Case)
        self.assertEqual('failure', outcome['test_it'])
        return outcome.text('test_it')

    def test_unimportable_module(self):
        text = self._failure_text(
            lambda t: t.mock_patch('no_such_module_xyz.func'))
        self.assertThat(text, matchers.Contains(
            "mock_patch: cannot patch 'no_such_module_xyz.func'"))
        self.assertThat(text, matchers.Contains('ModuleNotFoundError'))

    def test_missing_attribute(self):
        text = self._failure_text(
            lambda t: t.mock_patch('mocktools.tests.targets.nope'))
        self.assertThat(text, matchers.Contains(
            "cannot patch 'mocktools.tests.targets.nope'"))

    def test_missing_attribute_on_object(self):
        text = self._failure_text(
            lambda t: t.mock_patch_object(targets.Client, 'nope'))
        self.assertThat(text, matchers.Contains(
            "mock_patch_object: cannot patch "
            "'mocktools.tests.targets.Client.nope'"))

    def test_target_without_dot(self):
        text = self._failure_text(lambda t: t.mock_patch('nodot'))
        self.assertThat(text, matchers.Contains("cannot patch 'nodot'"))

    def test_multiple_missing_attribute(self):
        text = self._failure_text(lambda t: t.mock_patch_multiple(
            targets, nope=mock.DEFAULT))
        self.assertThat(text, matchers.Contains(
            "mock_patch_multiple: cannot patch 'mocktools.tests.targets'"))

    def test_dict_unimportable(self):
        text = self._failure_text(
            lambda t: t.mock_patch_dict('no_such_module_xyz.CONFIG', {}))
        self.assertThat(text, matchers.Contains(
            "mock_patch_dict: cannot patch 'no_such_module_xyz.CONFIG'"))


class TestFixtures(testtools.TestCase):

    def test_standalone_use_fixture(self):
        with fixtures.Fixture() as outer:
            fixture = outer.useFixture(patching.MockPatchObject(
                targets, 'execute', autospec=True))
            targets.execute('x')
            fixture.mock.assert_called_once_with('x')
        self.assertIs(ORIGINAL_EXECUTE, targets.execute)

    def test_dict_fixture_restores_exact_contents(self):
        data = {'keep': 1, 'change': 2}
        with patching.MockPatchDict(data, {'change': 3, 'new': 4}):
            self.assertEqual({'keep': 1, 'change': 3, 'new': 4}, data)
        self.assertEqual({'keep': 1, 'change': 2}, data)

    def test_fixture_bad_target(self):
        fixture = patching.MockPatch('no_such_module_xyz.f')
        # fixtures wraps a failing _setUp in MultipleExceptions
        error = self.assertRaises(fixtures.MultipleExceptions, fixture.setUp)
        bad = [info[1] for info in error.args
               if isinstance(info[1], patching.BadPatchTarget)]
        self.assertEqual(1, len(bad))
        self.assertIn("cannot patch 'no_such_module_xyz.f'", str(bad[0]))
