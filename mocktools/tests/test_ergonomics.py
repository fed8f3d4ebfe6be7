"""Async tests, spies, call matchers and side-effect helpers."""

import asyncio
import functools
import inspect
import os
from unittest import mock

import testtools
from testtools import matchers

import mocktools
from mocktools.tests import support
from mocktools.tests import targets


class Message:
    def __init__(self, text):
        self.text = text


class _Cases:

    class Async(mocktools.TestCase):
        events = []

        async def asyncSetUp(self):
            self.events.append('asyncSetUp')
            self.addAsyncCleanup(self.close, 'async cleanup')

        async def asyncTearDown(self):
            self.events.append('asyncTearDown')

        def tearDown(self):
            self.events.append('tearDown')
            super().tearDown()

        async def close(self, what):
            self.events.append(what)

        async def test_awaits_async_mock(self):
            fetch = self.mock_patch_object(targets, 'fetch')
            fetch.return_value = 'mocked'
            self.assertEqual('mocked', await targets.fetch('/x'))
            fetch.assert_awaited_once_with('/x')
            self.events.append('test')

        async def test_forgets_await(self):
            targets.fetch('/y')

        async def test_fails(self):
            await asyncio.sleep(0)
            self.fail('async failure')

        async def test_leaks_async_mock(self):
            targets.fetch = mock.AsyncMock()  # noqa: MTL002 (on purpose)

        async def test_loop_is_fresh(self):
            type(self).loops = getattr(type(self), 'loops', []) + [
                asyncio.get_running_loop()]

        @mock.patch.object(targets, 'fetch')
        async def test_decorated(self, fetch):
            fetch.return_value = 'decorated'
            self.events.append(await targets.fetch('/d'))

        def test_marked(self):
            async def body():
                await asyncio.sleep(0)
                self.events.append('marked')
            return body()
        if hasattr(inspect, 'markcoroutinefunction'):   # Python 3.12+
            test_marked = inspect.markcoroutinefunction(test_marked)

    class Sync(mocktools.TestCase):

        def test_plain(self):
            pass


class TestAsyncTests(testtools.TestCase):

    def run_one(self, name):
        _Cases.Async.events = []
        return support.run_case(_Cases.Async, names=[name])

    def test_runs_to_completion_with_hooks_in_order(self):
        outcome = self.run_one('test_awaits_async_mock')
        self.assertEqual('success', outcome['test_awaits_async_mock'],
                         outcome.text('test_awaits_async_mock'))
        self.assertEqual(['asyncSetUp', 'test', 'asyncTearDown', 'tearDown',
                          'async cleanup'], _Cases.Async.events)

    def test_failure_keeps_testtools_details(self):
        outcome = self.run_one('test_fails')
        self.assertEqual('failure', outcome['test_fails'])
        self.assertThat(outcome.text('test_fails'),
                        matchers.Contains('async failure'))

    def test_forgotten_await_fails_naming_the_coroutine(self):
        outcome = self.run_one('test_forgets_await')
        self.assertEqual('failure', outcome['test_forgets_await'])
        text = outcome.text('test_forgets_await')
        self.assertThat(text, matchers.Contains(
            'coroutine created in this test was never awaited'))
        self.assertThat(text, matchers.Contains("coroutine 'fetch'"))
        self.assertThat(text, matchers.Contains('test_ergonomics.py'))

    def test_leak_check_covers_async_mock(self):
        original = targets.fetch
        outcome = self.run_one('test_leaks_async_mock')
        self.assertEqual('failure', outcome['test_leaks_async_mock'])
        self.assertThat(outcome.text('test_leaks_async_mock'),
                        matchers.Contains('mocktools.tests.targets.fetch'))
        self.assertIs(original, targets.fetch)

    def test_decorated_async_test_is_awaited(self):
        outcome = self.run_one('test_decorated')
        self.assertEqual('success', outcome['test_decorated'],
                         outcome.text('test_decorated'))
        self.assertEqual(['asyncSetUp', 'decorated', 'asyncTearDown',
                          'tearDown', 'async cleanup'], _Cases.Async.events)

    def test_function_marked_as_coroutine_function_is_awaited(self):
        if not hasattr(inspect, 'markcoroutinefunction'):
            self.skipTest('inspect.markcoroutinefunction is Python 3.12+')
        outcome = self.run_one('test_marked')
        self.assertEqual('success', outcome['test_marked'],
                         outcome.text('test_marked'))
        self.assertIn('marked', _Cases.Async.events)

    def test_telling_a_sync_test_gives_its_method_no_dict(self):
        method = vars(_Cases.Sync)['test_plain']
        self.assertFalse(support.has_own_dict(method))
        outcome = support.run_case(_Cases.Sync, names=['test_plain'])
        self.assertEqual('success', outcome['test_plain'],
                         outcome.text('test_plain'))
        self.assertFalse(support.has_own_dict(method))

    def test_fresh_loop_per_test_and_closed(self):
        _Cases.Async.loops = []
        for _ in range(2):
            self.run_one('test_loop_is_fresh')
        first, second = _Cases.Async.loops
        self.assertIsNot(first, second)
        self.assertTrue(first.is_closed())


class Service:
    def call(self, value):
        return value * 2

    def boom(self):
        raise ValueError('boom')

    @classmethod
    def make(cls, value):
        return 'made %s' % value

    @staticmethod
    def helper(value):
        return 'helped %s' % value

    async def fetch(self, value):
        return 'fetched %s' % value


class TestSpy(mocktools.TestCase):

    def test_method_on_class(self):
        spy = self.mock_spy(Service, 'call')
        service = Service()
        self.assertEqual(4, service.call(2))
        spy.assert_called_once_with(service, 2)
        self.assertEqual(4, spy.spy_return)
        self.assertEqual([4], spy.spy_return_list)
        self.assertRaises(TypeError, service.call)   # signature enforced

    def test_method_on_instance(self):
        service = Service()
        spy = self.mock_spy(service, 'call')
        self.assertEqual(6, service.call(3))
        spy.assert_called_once_with(3)

    def test_exception(self):
        spy = self.mock_spy(Service, 'boom')
        self.assertRaises(ValueError, Service().boom)
        self.assertIsInstance(spy.spy_exception, ValueError)
        self.assertIsNone(spy.spy_return)

    def test_classmethod_and_staticmethod(self):
        make = self.mock_spy(Service, 'make')
        helper = self.mock_spy(Service, 'helper')
        self.assertEqual('made 1', Service.make(1))
        self.assertEqual('helped 2', Service.helper(2))
        make.assert_called_once_with(1)
        helper.assert_called_once_with(2)

    def test_module_function(self):
        spy = self.mock_spy(targets, 'generate_password')
        self.assertEqual('xxx', targets.generate_password(3))
        self.assertEqual('xxx', spy.spy_return)

    def test_async_function(self):
        spy = self.mock_spy(Service, 'fetch')
        result = asyncio.run(Service().fetch('a'))
        self.assertEqual('fetched a', result)
        self.assertEqual('fetched a', spy.spy_return)
        spy.assert_awaited_once()

    def test_restored_and_bad_target(self):
        class Case(mocktools.TestCase):
            def test_spy(self):
                self.mock_spy(Service, 'call')

            def test_missing(self):
                self.mock_spy(Service, 'nope')

        original = Service.__dict__['call']
        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_spy'])
        self.assertIs(original, Service.__dict__['call'])
        self.assertThat(outcome.text('test_missing'), matchers.Contains(
            "mock_spy: cannot spy on"))


class TestMatches(testtools.TestCase):

    def test_matches_partially(self):
        send = mock.Mock()
        send(Message('hello'), 'Message 1 of 2', payload={'a': 1, 'b': 2})
        send.assert_called_once_with(
            mocktools.Matches(matchers.IsInstance(Message)),
            mocktools.Matches(matchers.Contains('Message 1')),
            payload=mocktools.Matches(matchers.ContainsDict(
                {'a': matchers.Equals(1)})))

    def test_failure_shows_mismatch_description(self):
        send = mock.Mock()
        send('Message 2')
        error = self.assertRaises(
            AssertionError, send.assert_called_once_with,
            mocktools.Matches(matchers.Contains('Message 1')))
        self.assertThat(str(error), matchers.Contains(
            "Matches(Contains('Message 1')): 'Message 1' not in "
            "'Message 2'"))

    def test_any_call_and_has_calls(self):
        send = mock.Mock()
        send('a-1')
        send('b-2')
        send.assert_any_call(mocktools.Matches(matchers.StartsWith('b')))
        send.assert_has_calls([
            mock.call(mocktools.Matches(matchers.EndsWith('1'))),
            mock.call(mocktools.Matches(matchers.EndsWith('2')))])

    def test_needs_a_matcher(self):
        self.assertRaises(TypeError, mocktools.Matches, 'not a matcher')


class TestSideEffects(mocktools.TestCase):

    def test_generator_of_messages_like_socket_recv(self):
        def manager_messages():
            yield b'{"message_type": "register_ack"}'
            yield None
            yield b'{"message_type": "shutdown"}'

        sock = mock.MagicMock()
        sock.recv.side_effect = mocktools.Sequence(manager_messages())
        self.assertEqual(b'{"message_type": "register_ack"}', sock.recv())
        self.assertIsNone(sock.recv())
        sock.recv()
        error = self.assertRaises(mocktools.ExhaustedSideEffect, sock.recv)
        self.assertIn('called 4 times but the generator', str(error))
        self.assertIn('manager_messages() provided only 3 values',
                      str(error))

    def test_exceptions_in_sequence_are_raised(self):
        recv = mock.Mock(side_effect=mocktools.Sequence(
            [b'x', ConnectionResetError]).bind('recv'))
        self.assertEqual(b'x', recv())
        self.assertRaises(ConnectionResetError, recv)
        error = self.assertRaises(AssertionError, recv)
        self.assertIn('recv was called 3 times', str(error))

    def test_mock_open_with_read_data(self):
        opener = self.mock_open(read_data='line 1\nline 2\n')
        with open('/etc/anything') as handle:
            self.assertEqual(['line 1\n', 'line 2\n'], handle.readlines())
        opener.assert_called_once_with('/etc/anything')

    def test_clear_caches_at_cleanup(self):
        calls = []

        @functools.lru_cache(maxsize=None)
        def lookup(key):
            calls.append(key)
            return os.path.join('/', key)

        class Case(mocktools.TestCase):
            def test_caches_a_mocked_result(self):
                self.clear_caches_at_cleanup(lookup)
                with mock.patch.object(os.path, 'join', return_value='MOCK'):
                    assert lookup('x') == 'MOCK'

            def test_not_cached(self):
                self.clear_caches_at_cleanup(len)

        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_caches_a_mocked_result'])
        self.assertEqual('/x', lookup('x'))
        self.assertThat(outcome.text('test_not_cached'), matchers.Contains(
            'has no cache_clear()'))
