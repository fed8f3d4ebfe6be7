"""The dangling-mock detector, driven through mocktools.TestCase.

Each test builds a small test class, runs it with a plain unittest suite and
asserts on the outcome and on the failure text a user would read.
"""

import copy
import functools
import gc
import importlib
import inspect
import json
import linecache
import os
import pickle
import re
import sys
import textwrap
import threading
import traceback
import types
import unittest
from unittest import mock
import warnings
import weakref

import fixtures
from oslotest import base as oslotest_base
from oslotest import mock_fixture
import testtools
from testtools import matchers

import mocktools
from mocktools.engine import detector as detector_module
from mocktools.engine import escape
from mocktools.engine import instrumentation
from mocktools.engine import settings as settings_module
from mocktools.engine import sweep as sweep_module
from mocktools.tests import support
from mocktools.tests import targets

HERE = os.path.basename(__file__).replace('.pyc', '.py')
ORIGINALS = {
    'execute': targets.execute,
    'generate_password': targets.generate_password,
    'get': targets.Client.__dict__['get'],
    'close': targets.Client.Session.__dict__['close'],
    'ping': targets.Service.__dict__['ping'],
    'SERVICE': targets.SERVICE,
}


def world_is_clean():
    """True when every target is back to its real value."""
    return (targets.execute is ORIGINALS['execute']
            and targets.generate_password is ORIGINALS['generate_password']
            and targets.Client.__dict__['get'] is ORIGINALS['get']
            and targets.Client.Session.__dict__['close']
            is ORIGINALS['close']
            and targets.Service.__dict__['ping'] is ORIGINALS['ping']
            and targets.SERVICE is ORIGINALS['SERVICE']
            and 'name' in vars(targets.SERVICE)
            and targets.SERVICE.name == 'service'
            and 'fake_lib' not in sys.modules
            and 'MOCKTOOLS_LEAK' not in os.environ
            and not hasattr(targets, 'created_attr')
            and targets.DRIVERS == {'volume': {'lvm': 'LVMDriver'}}
            and targets.HANDLERS == ['log', 'audit']
            and not targets.SEEN and not targets.QUEUE
            and targets.Service.plugins == {}
            and targets.REGISTRY == {}
            and targets._CONNECTION is None
            and targets.SLOTTED.session == 'session'
            and not hasattr(targets.SLOTTED, 'region')
            and not targets.connection_for.cache_info().currsize
            and not targets.session_for.cache_info().currsize)


def leaking(body, **attributes):
    """A mocktools.TestCase class: ``test_leak`` runs ``body(self)``.

    ``test_next`` follows and asserts it sees the real world.
    """
    def test_leak(self):
        body(self)

    def test_next(self):
        assert world_is_clean(), 'the next test saw a leaked mock'

    namespace = {'test_leak': test_leak, 'test_next': test_next}
    namespace.update(attributes)
    return type('Leaky', (mocktools.TestCase,), namespace)


# a module name that tests put in sys.modules (and take out) by hand
PROBE = 'mocktools_probe_module'


class DetectorTestCase(testtools.TestCase):
    """Base: checks that every test leaves the world clean."""

    def setUp(self):
        super().setUp()
        self.useFixture(support.KnobEnvironment.unset())
        self.addCleanup(self._force_clean)
        self.addCleanup(self._assert_clean)
        # every test starts from a known 'before' (the first sweep
        # snapshot may otherwise be taken in the middle of a test)
        detector = detector_module.get_detector()
        detector._global_sweep()
        detector.resync()

    def _assert_clean(self):
        self.assertTrue(world_is_clean(), 'a leak was not healed')

    @staticmethod
    def _force_clean():
        # So that one failing test does not make every later one fail.
        mock.patch.stopall()
        targets.execute = ORIGINALS['execute']
        targets.generate_password = ORIGINALS['generate_password']
        targets.Client.get = ORIGINALS['get']
        targets.Client.Session.close = ORIGINALS['close']
        targets.Service.ping = ORIGINALS['ping']
        targets.SERVICE = ORIGINALS['SERVICE']
        targets.SERVICE.name = 'service'
        sys.modules.pop('fake_lib', None)
        os.environ.pop('MOCKTOOLS_LEAK', None)
        vars(targets).pop('created_attr', None)
        targets.DRIVERS.clear()
        targets.DRIVERS['volume'] = {'lvm': 'LVMDriver'}
        targets.HANDLERS[:] = ['log', 'audit']
        targets.SEEN.clear()
        targets.QUEUE.clear()
        targets.Service.plugins.clear()
        targets.REGISTRY.clear()
        targets._CONNECTION = None
        targets.SLOTTED.session = 'session'
        if hasattr(targets.SLOTTED, 'region'):
            del targets.SLOTTED.region
        targets.connection_for.cache_clear()
        targets.session_for.cache_clear()
        # put back by hand: tell the detector this is the world now
        detector_module.get_detector().resync()

    def assert_passes(self, case, name):
        """Run ``case``; assert that its test ``name`` passed; the outcome."""
        outcome = support.run_case(case)
        self.assertEqual('success', outcome[name], outcome.text(name))
        return outcome

    def assert_class_blames(self, outcome, name, test):
        """The class-level report names ``targets.<name>`` and ``test``."""
        errors = outcome.class_errors()
        self.assertThat(errors, matchers.Contains(
            'mocktools.tests.targets.%s' % name))
        self.assertThat(errors, matchers.Contains('by:      %s' % test.id()))

    def sweeps_during(self, case):
        """(sweeps, outcome) of a second run of ``case``'s tests."""
        # the first run may import modules lazily (AsyncMock does), which
        # rightly triggers a sweep; what is measured is the second run
        support.run_case(case)
        detector = detector_module.get_detector()
        before = detector.sweeps
        outcome = support.run_case(case)
        return detector.sweeps - before, outcome

    def assert_no_sweep(self, case, name):
        """A second run of ``case`` passes its test ``name`` unswept."""
        sweeps, outcome = self.sweeps_during(case)
        self.assertEqual('success', outcome[name], outcome.text(name))
        self.assertEqual(0, sweeps)

    def assert_leak(self, body, path, kind, **attributes):
        """Run ``body`` in a test; assert it failed naming path and kind."""
        outcome = support.run_case(leaking(body, **attributes))
        text = outcome.text('test_leak')
        self.assertEqual('failure', outcome['test_leak'], text)
        self.assertThat(text, matchers.Contains(
            'dangling mock'))
        self.assertThat(text, matchers.Contains('Leaky.test_leak'))
        self.assertThat(text, matchers.Contains('\n  %s\n' % path))
        self.assertThat(text, matchers.Contains('kind:    %s' % kind))
        self.assertThat(text, matchers.MatchesRegex(
            r'.*created: \S*%s:\d+ in \S+' % HERE,
            flags=16))
        self.assertEqual('success', outcome['test_next'],
                         outcome.text('test_next'))
        self.assertEqual('', outcome.class_errors())
        return text

    def assert_fix(self, body, text, fix):
        """The report's ``fix`` line is ``fix``, and making it fixes ``body``.

        The call is taken from the report's text, as a reader would copy
        it, and made before ``body`` runs again: the test then passes.
        """
        self.assertThat(text, matchers.Contains('      fix:     %s\n' % fix))
        call = re.split(', stopped in a cleanup| for the length| in a '
                        'cleanup', fix)[0]
        names = {'mock': mock, 'sys': sys, 'fixtures': fixtures,
                 'mocktools': mocktools}

        def fixed(test):
            if fix.endswith(' in a cleanup'):
                # a call to make when the test ends (cache_clear())
                test.addCleanup(eval, call, names)
            else:
                made = eval(call, names)
                if isinstance(made, fixtures.Fixture):
                    test.useFixture(made)
                else:
                    # a patcher: for the length of the test
                    made.start()
                    test.addCleanup(made.stop)
            body(test)

        outcome = support.run_case(leaking(fixed))
        self.assertEqual('success', outcome['test_leak'],
                         outcome.text('test_leak'))
        self.assertEqual('success', outcome['test_next'],
                         outcome.text('test_next'))


class TestPatcherLeaks(DetectorTestCase):

    def test_patch(self):
        text = self.assert_leak(
            lambda t: mock.patch('mocktools.tests.targets.execute').start(),
            'mocktools.tests.targets.execute',
            'active patcher (patch/patch.object)')
        self.assertThat(text, matchers.Contains("<MagicMock name='execute'"))
        self.assertThat(text, matchers.Contains('healed:  patcher stopped'))

    def test_patch_object_on_class(self):
        self.assert_leak(
            lambda t: mock.patch.object(targets.Client, 'get').start(),
            'mocktools.tests.targets.Client.get',
            'active patcher (patch/patch.object)')

    def test_patch_object_on_nested_class(self):
        self.assert_leak(
            lambda t: mock.patch.object(targets.Client.Session,
                                        'close').start(),
            'mocktools.tests.targets.Client.Session.close',
            'active patcher (patch/patch.object)')

    def test_patch_multiple_reports_each_attribute(self):
        text = self.assert_leak(
            lambda t: mock.patch.multiple(
                targets, execute=mock.DEFAULT,
                generate_password=mock.DEFAULT).start(),
            'mocktools.tests.targets.execute',
            'active patcher (patch.multiple)')
        self.assertThat(text, matchers.Contains(
            '\n  mocktools.tests.targets.generate_password\n'))
        self.assertThat(text, matchers.Contains('2 dangling mocks'))

    def test_patch_object_on_module_level_instance(self):
        self.assert_leak(
            lambda t: mock.patch.object(targets.SERVICE, 'ping').start(),
            'mocktools.tests.targets.SERVICE.ping',
            'active patcher (patch/patch.object)')

    def test_patch_dict_on_module_level_dict(self):
        def body(test):
            mock.patch.dict(targets.REGISTRY, {'x': 1}).start()
        self.assert_leak(body, 'mocktools.tests.targets.REGISTRY',
                         'active patcher (patch.dict)')
        self.assertEqual({}, targets.REGISTRY)

    def test_patch_dict(self):
        self.assert_leak(
            lambda t: mock.patch.dict(os.environ,
                                      {'MOCKTOOLS_LEAK': '1'}).start(),
            'os.environ', 'active patcher (patch.dict)')

    def test_patch_dict_by_name(self):
        self.assert_leak(
            lambda t: mock.patch.dict('os.environ',
                                      {'MOCKTOOLS_LEAK': '1'}).start(),
            'os.environ', 'active patcher (patch.dict)')

    def test_context_manager_entered_never_exited(self):
        self.assert_leak(
            lambda t: mock.patch.object(targets, 'execute').__enter__(),
            'mocktools.tests.targets.execute',
            'active patcher (patch/patch.object)')

    def test_patcher_from_the_backport_library(self):
        try:
            import mock as backport
        except ImportError:
            self.skipTest('the mock backport is not installed')
        text = self.assert_leak(
            lambda t: backport.patch.object(targets, 'execute').start(),
            'mocktools.tests.targets.execute',
            'active patcher (patch/patch.object)')
        self.assertThat(text, matchers.Contains('healed:  patcher stopped'))

    def test_autospec_patcher(self):
        self.assert_leak(
            lambda t: mock.patch.object(targets, 'execute',
                                        autospec=True).start(),
            'mocktools.tests.targets.execute',
            'active patcher (patch/patch.object)')


class TestAssignedMocks(DetectorTestCase):

    def _assign(self, owner, name, value):
        def body(test):
            setattr(owner, name, value())
        return body

    def assert_assigned(self, owner, name, where, healed, patch_args,
                        klass=mock.Mock):
        """``owner.name = klass()`` leaks: reported, healed, and its fix.

        ``patch_args`` are what the fix line's ``mock.patch(...)`` takes.
        """
        body = self._assign(owner, name, klass)
        path = patch_args.split("'")[1]
        text = self.assert_leak(body, path,
                                'mock in global state (%s)' % where)
        self.assertThat(text, matchers.Contains('healed:  %s\n' % healed))
        self.assert_fix(body, text, 'mock.patch(%s), stopped in a cleanup, '
                        'instead of assigning the mock' % patch_args)

    def test_mock_on_module(self):
        self.assert_assigned(
            targets, 'execute', 'module attribute', 'original restored',
            "'mocktools.tests.targets.execute'")

    def test_every_mock_class(self):
        for klass in (mock.Mock, mock.MagicMock, mock.NonCallableMock,
                      mock.NonCallableMagicMock, mock.AsyncMock,
                      mock.PropertyMock):
            self.assert_leak(
                self._assign(targets, 'generate_password', klass),
                'mocktools.tests.targets.generate_password',
                'mock in global state (module attribute)')

    def test_new_module_attribute_is_removed(self):
        self.assert_assigned(
            targets, 'created_attr', 'module attribute', 'removed',
            "'mocktools.tests.targets.created_attr', create=True")

    def test_class_attribute(self):
        self.assert_assigned(
            targets.Client, 'get', 'class attribute', 'original restored',
            "'mocktools.tests.targets.Client.get'", mock.MagicMock)

    def test_property_mock_on_class(self):
        self.assert_leak(
            self._assign(targets.Service, 'ping', mock.PropertyMock),
            'mocktools.tests.targets.Service.ping',
            'mock in global state (class attribute)')

    def test_nested_class_attribute(self):
        self.assert_leak(
            self._assign(targets.Client.Session, 'close', mock.Mock),
            'mocktools.tests.targets.Client.Session.close',
            'mock in global state (class attribute)')

    def test_module_level_instance(self):
        self.assert_assigned(
            targets.SERVICE, 'name', 'attribute of a module-level object',
            'original restored', "'mocktools.tests.targets.SERVICE.name'")

    def test_object_changed_then_replaced_by_a_mock(self):
        # both are reported; healing puts the object back as it was, not
        # with the mock the test set on it first
        def body(test):
            targets.SERVICE.name = mock.Mock()
            targets.SERVICE = mock.Mock()
        text = self.assert_leak(
            body, 'mocktools.tests.targets.SERVICE',
            'mock in global state (module attribute)')
        self.assertThat(text, matchers.Contains(
            '\n  mocktools.tests.targets.SERVICE.name\n'
            '      kind:    mock in global state (attribute of a '
            'module-level object)\n'))
        self.assertThat(text, matchers.Contains('2 dangling mocks'))

    def test_attribute_new_to_a_module_level_object_and_its_class(self):
        self.assert_assigned(
            targets.SERVICE, 'created_attr',
            'attribute of a module-level object', 'removed',
            "'mocktools.tests.targets.SERVICE.created_attr', create=True")

    def test_attribute_of_a_module_level_object_with_slots(self):
        # no __dict__: its slots are read through their descriptors
        self.assert_assigned(
            targets.SLOTTED, 'session', 'attribute of a module-level object',
            'original restored', "'mocktools.tests.targets.SLOTTED.session'")

    def test_unset_slot_of_a_module_level_object(self):
        self.assert_assigned(
            targets.SLOTTED, 'region', 'attribute of a module-level object',
            'removed',
            "'mocktools.tests.targets.SLOTTED.region', create=True")

    def test_slot_set_and_put_back_is_no_leak(self):
        class Case(mocktools.TestCase):
            def test_put_back(self):
                self.addCleanup(setattr, targets.SLOTTED, 'session',
                                targets.SLOTTED.session)
                targets.SLOTTED.session = mock.Mock()
                targets.SLOTTED.session.get('/x')

        self.assert_passes(Case, 'test_put_back')

    def test_a_copy_of_a_mock_is_recorded_where_it_was_copied(self):
        # glance's simple DB API deep-copies what it stores: a copy is made
        # without the mock's constructor, yet it is the test's own mock,
        # found by the test's own check and blamed on it, however the tests
        # around it sweep
        def body(test):
            with mock.patch.object(targets, 'execute') as execute:
                targets.SERVICE = copy.deepcopy(execute.return_value)
        line = inspect.getsourcelines(body)[1] + 2
        text = self.assert_leak(body, 'mocktools.tests.targets.SERVICE',
                                'mock in global state (module attribute)')
        self.assertThat(text, matchers.Contains(
            '%s:%d in body (a copy of a mock)\n'
            '      by:      %s' % (HERE, line, 'mocktools.tests.'
                                   'test_detector.Leaky.test_leak')))

        def shallow(test):
            targets.REGISTRY['client'] = copy.copy(mock.Mock(name='client'))
        text = self.assert_leak(
            shallow, "mocktools.tests.targets.REGISTRY['client']",
            'mock in global state (entry of a dict in global state)')
        self.assertThat(text, matchers.Contains(
            'in shallow (a copy of a mock)\n'))

    def test_copies_of_mocks_the_test_keeps_need_no_sweep(self):
        class Case(mocktools.TestCase):
            def test_copies(self):
                original = mock.MagicMock()
                original.get('/x').json.return_value = {'id': 1}
                self.copied = copy.copy(original)
                self.records = [copy.deepcopy(original)]
                copy.deepcopy(mock.Mock(spec=targets.Client))   # dropped

        self.assert_no_sweep(Case, 'test_copies')

    def test_a_mock_with_no_record_says_so(self):
        # made while the hooks were out (before checking started): only a
        # sweep finds it; what has no record is blamed on the tests since
        # the last sweep, here the one that stored it alone
        instrumentation.uninstall()
        try:
            unrecorded = mock.MagicMock()
        finally:
            instrumentation.install()

        def body(test):
            targets.SERVICE = unrecorded
        outcome = support.run_case(leaking(
            body, leak_scan='always', test_after_a_sweep=lambda test: None))
        text = outcome.text('test_leak')
        self.assertEqual('failure', outcome['test_leak'], text)
        self.assertThat(text, matchers.Contains(
            '\n  mocktools.tests.targets.SERVICE\n'
            '      kind:    mock in global state (module attribute)\n'))
        self.assertThat(text, matchers.Contains(
            'created: unknown (no record: made before checking started, '
            'or without its constructor)'))
        self.assertThat(text, matchers.Contains(
            'by:      mocktools.tests.test_detector.'))
        self.assertEqual('success', outcome['test_next'],
                         outcome.text('test_next'))

    def test_sys_modules_entry(self):
        def body(test):
            sys.modules['fake_lib'] = mock.MagicMock()
        text = self.assert_leak(body, "sys.modules['fake_lib']",
                                'mock in global state (sys.modules entry)')
        self.assertThat(text, matchers.Contains('healed:  removed'))
        self.assert_fix(
            body, text, "mock.patch.dict(sys.modules, {'fake_lib': "
            'mock.MagicMock()}) for the length of the test')

    def test_create_autospec_function(self):
        def body(test):
            targets.execute = mock.create_autospec(targets.execute)
        self.assert_leak(
            body, 'mocktools.tests.targets.execute',
            'create_autospec function in global state (module attribute)')

    def test_mock_from_the_backport_library(self):
        try:
            import mock as backport
        except ImportError:
            self.skipTest('the mock backport is not installed')

        def body(test):
            targets.execute = backport.Mock()
        self.assert_leak(body, 'mocktools.tests.targets.execute',
                         'mock in global state (module attribute)')


class TestOrigins(DetectorTestCase):
    """Where a leaked mock was made, as the report says it."""

    def test_a_patch_decorator_mock_is_made_by_the_decorated_test(self):
        class Decorated(mocktools.TestCase):
            # a patcher's own mocks trigger no sweep: ask for one
            leak_scan = 'always'

            @mock.patch.object(targets, 'generate_password')
            def test_leak(self, password):
                targets.created_attr = password.return_value

        line = Decorated.test_leak.__wrapped__.__code__.co_firstlineno
        outcome = support.run_case(Decorated)
        text = outcome.text('test_leak')
        self.assertEqual('failure', outcome['test_leak'], text)
        self.assertThat(text, matchers.MatchesRegex(
            r'.*created: \S*%s:%d in test_leak\n' % (HERE, line), flags=16))


class TestContainerLeaks(DetectorTestCase):
    """Mocks put into dicts, lists, sets and deques that global state holds."""

    PREFIX = 'mocktools.tests.targets.'

    def assert_container_leak(self, body, path, where, healed):
        text = self.assert_leak(body, self.PREFIX + path,
                                'mock in global state (%s)' % where)
        self.assertThat(text, matchers.Contains('healed:  %s\n' % healed))
        return text

    def test_entry_added_to_a_nested_dict(self):
        def body(test):
            targets.DRIVERS['volume']['fake'] = mock.Mock()
        text = self.assert_container_leak(
            body, "DRIVERS['volume']['fake']",
            'entry of a dict in global state', 'removed')
        self.assert_fix(
            body, text, "mock.patch.dict(mocktools.tests.targets"
            ".DRIVERS['volume']) for the length of the test")

    def test_a_new_dict_of_mocks_is_one_entry_of_the_report(self):
        # glance's simple database stores each task as a dict of its
        # fields: fourteen places, one cause, one fix
        def body(test):
            targets.REGISTRY['task'] = {
                name: mock.Mock(name=name) for name in ('id', 'type')}
        text = self.assert_leak(
            body, self.PREFIX + "REGISTRY['task']['id']",
            "mock in global state (entry of a dict in global state, inside "
            "the dict put there)")
        self.assertThat(text, matchers.Contains(
            "mocktools: 2 dangling mocks after test "))
        self.assertThat(text, matchers.MatchesRegex(
            r".*\n  %sREGISTRY\['task'\]\['id'\]\n"
            r"  %sREGISTRY\['task'\]\['type'\]\n"
            r"      kind:    [^\n]*\n"
            r"      mock:    <Mock name='id' id='\d+'>\n"
            r"               <Mock name='type' id='\d+'>\n"
            r"      created: [^\n]*\n" % (self.PREFIX, self.PREFIX),
            re.DOTALL))
        self.assertEqual(1, text.count('\n      healed:  '))

    def test_entry_replaced_in_a_nested_dict(self):
        def body(test):
            targets.DRIVERS['volume']['lvm'] = mock.Mock()
        self.assert_container_leak(
            body, "DRIVERS['volume']['lvm']",
            'entry of a dict in global state', 'original restored')

    def test_item_appended_to_a_list(self):
        def body(test):
            targets.HANDLERS.append(mock.MagicMock())
        text = self.assert_container_leak(body, 'HANDLERS[2]',
                                          'item of a list in global state',
                                          'removed')
        # how to undo an append depends on the code that made it
        self.assertNotIn('fix:', text)

    def test_item_replaced_in_a_list(self):
        def body(test):
            targets.HANDLERS[0] = mock.Mock()
        self.assert_container_leak(body, 'HANDLERS[0]',
                                   'item of a list in global state',
                                   'original restored')

    def test_tuple_holding_a_mock_appended_to_a_list(self):
        def body(test):
            targets.HANDLERS.append(('fake', mock.Mock()))
        self.assert_container_leak(
            body, 'HANDLERS[2][1]',
            'item of a list in global state, inside the tuple put there',
            'removed mocktools.tests.targets.HANDLERS[2], which held it')

    def test_item_appended_to_a_list_also_passed_to_a_mock(self):
        # the list is global state: the test's mock recording it as an
        # argument does not make what it holds the test's own
        def body(test):
            test.recorder = mock.Mock()
            targets.HANDLERS.append(mock.Mock())
            test.recorder(targets.HANDLERS)
        self.assert_container_leak(body, 'HANDLERS[2]',
                                   'item of a list in global state',
                                   'removed')

    def test_item_appended_to_a_list_also_given_to_a_patcher(self):
        def body(test):
            with mock.patch.object(targets.Client, 'get',
                                   side_effect=targets.HANDLERS):
                targets.HANDLERS.append(mock.Mock())
        self.assert_container_leak(body, 'HANDLERS[2]',
                                   'item of a list in global state',
                                   'removed')

    def test_member_added_to_a_set(self):
        def body(test):
            targets.SEEN.add(mock.Mock())
        self.assert_container_leak(body, 'SEEN (a member)',
                                   'member of a set in global state',
                                   'removed')

    def test_item_appended_to_a_deque(self):
        def body(test):
            targets.QUEUE.append(mock.Mock())
        self.assert_container_leak(body, 'QUEUE[0]',
                                   'item of a deque in global state',
                                   'removed')

    def test_entry_added_to_the_source_line_cache(self):
        # linecache.cache is watched for what is put in it, though the
        # lines of the files it holds are not compared
        def body(test):
            linecache.cache['<leaked>'] = mock.Mock()
        text = self.assert_leak(body, "linecache.cache['<leaked>']",
                                'mock in global state (entry of a dict in '
                                'global state)')
        self.assertThat(text, matchers.Contains('healed:  removed\n'))
        self.assertNotIn('<leaked>', linecache.cache)

    def test_attribute_set_on_an_object_a_global_list_holds(self):
        # Trove's TEST_LIMITS[0]._get_time = Mock(): every later test that
        # reads the list meets the mock
        def body(test):
            targets.LIMITS[0].get_time = mock.Mock()
        text = self.assert_container_leak(
            body, 'LIMITS[0].get_time',
            'attribute of an object in a list in global state', 'removed')
        self.assertNotIn('get_time', vars(targets.LIMITS[0]))
        # no importable path: the object, as an expression; the attribute
        # is new to the object, not to its class (no create=True)
        self.assert_fix(
            body, text, 'mock.patch.object(mocktools.tests.targets.LIMITS[0],'
            " 'get_time'), stopped in a cleanup, instead of assigning the "
            'mock')

    def test_attribute_replaced_on_an_object_a_global_dict_holds(self):
        def body(test):
            targets.BACKENDS['lvm'].verb = mock.Mock()
        self.assert_container_leak(
            body, "BACKENDS['lvm'].verb",
            'attribute of an object in a dict in global state',
            'original restored')
        self.assertEqual('PUT', targets.BACKENDS['lvm'].verb)

    def test_attribute_set_on_an_object_a_global_tuple_holds(self):
        def body(test):
            targets.DEFAULT_LIMITS[0].get_time = mock.Mock()
        self.assert_container_leak(
            body, 'DEFAULT_LIMITS[0].get_time',
            'attribute of an object in a tuple in global state', 'removed')

    def test_object_taken_out_of_a_global_list_is_the_tests_own(self):
        # no longer global state: what is set on it afterwards is no leak
        limit = targets.LIMITS[-1]
        self.addCleanup(targets.LIMITS.append, limit)
        self.addCleanup(vars(limit).pop, 'get_time', None)

        class Case(mocktools.TestCase):
            def test_take_out(self):
                targets.LIMITS.remove(limit)
                limit.get_time = mock.Mock()

        self.assert_passes(Case, 'test_take_out')

    def test_entry_added_to_a_class_level_dict(self):
        def body(test):
            targets.Service.plugins['x'] = mock.Mock()
        text = self.assert_container_leak(body, "Service.plugins['x']",
                                          'entry of a dict in global state',
                                          'removed')
        self.assert_fix(
            body, text, "mock.patch.dict('mocktools.tests.targets.Service"
            ".plugins') for the length of the test")

    def test_new_container_holding_a_mock(self):
        def body(test):
            targets.created_attr = {'handlers': [mock.Mock()]}
        self.assert_container_leak(
            body, "created_attr['handlers'][0]",
            'module attribute, inside the dict put there',
            'removed mocktools.tests.targets.created_attr, which held it')

    def test_a_replaced_container_is_no_longer_global_state(self):
        class Replaces(mocktools.TestCase):
            def test_replace(self):
                old = targets.HANDLERS
                targets.HANDLERS = ['log', 'audit']
                old.append(mock.Mock())
        self.assert_passes(Replaces, 'test_replace')

    def test_containers_that_only_change_are_not_leaks(self):
        class Fills(mocktools.TestCase):
            def test_fill(self):
                targets.HANDLERS.append('more')
                targets.DRIVERS['volume']['nfs'] = 'NfsDriver'
                targets.SEEN.add(('a', 1))
                self.addCleanup(targets.HANDLERS.remove, 'more')
                self.addCleanup(targets.DRIVERS['volume'].pop, 'nfs')
                self.addCleanup(targets.SEEN.clear)
        self.assert_passes(Fills, 'test_fill')


class FakeServiceWithMocks:
    """A fake that makes mocks of its own as it is made."""

    def __init__(self):
        self.images = mock.MagicMock()


class TestModulesTheTestImports(DetectorTestCase):
    """Mocks put on a module that the leaking test itself imported first.

    Whether the module was loaded before the test must not change the
    verdict; what the module's own import made stays its own.
    """

    def setUp(self):
        super().setUp()
        self.directory = self.useFixture(fixtures.TempDir()).path
        sys.path.insert(0, self.directory)
        self.addCleanup(sys.path.remove, self.directory)
        self.names = []
        self.addCleanup(self._unload)
        # the leaking test's own (first) sweep must not see the world
        # before it: an earlier test's modules are taken in now
        detector_module.get_detector().resync()

    def _unload(self):
        for name in self.names:
            sys.modules.pop(name, None)
        detector_module.get_detector().resync()

    def module(self, source):
        """A module file not imported yet; returns its name."""
        name = 'mocktools_fresh_%d_%s' % (len(self.names), self.id().rsplit(
            '.', 1)[-1])
        with open(os.path.join(self.directory, name + '.py'), 'w') as f:
            f.write(textwrap.dedent(source))
        importlib.invalidate_caches()
        self.names.append(name)
        return name

    def run_pair(self, name, body, check, before=None):
        """``test_leak`` runs ``body(module)``, then ``check(module)``.

        ``before()``, if given, runs in ``test_leak`` before the import.
        """
        class Importer(mocktools.TestCase):
            def test_leak(self):
                if before is not None:
                    before()
                body(importlib.import_module(name))

            def test_next(self):
                check(sys.modules[name])
        return support.run_case(Importer)

    def test_mock_set_after_the_import_found_and_original_restored(self):
        name = self.module('''
            VALUE = 1

            class Service:
                client = None

            SERVICE = Service()
            HANDLERS = ['log']
            ''')

        def body(module):
            module.VALUE = mock.Mock()
            module.Service.client = mock.MagicMock()
            module.SERVICE.client = mock.Mock()
            module.HANDLERS.append(mock.Mock())

        def check(module):
            assert module.VALUE == 1 and module.Service.client is None and (
                'client' not in vars(module.SERVICE)) and (
                module.HANDLERS == ['log']), 'the next test saw a leaked mock'
        outcome = self.run_pair(name, body, check)
        text = outcome.text('test_leak')
        self.assertEqual('failure', outcome['test_leak'], text)
        self.assertThat(text, matchers.Contains('4 dangling mocks'))
        for path, where in (
                ('VALUE', 'module attribute'),
                ('Service.client', 'class attribute'),
                ('SERVICE.client', 'attribute of a module-level object'),
                ('HANDLERS[1]', 'item of a list in global state')):
            self.assertThat(text, matchers.Contains(
                '\n  %s.%s\n      kind:    mock in global state (%s)' % (
                    name, path, where)))
        self.assertEqual(2, text.count('\n      healed:  removed'))
        self.assertThat(text, matchers.MatchesRegex(
            r'.*created: \S*%s:\d+ in body' % HERE, flags=16))
        self.assertEqual(2, text.count('\n      healed:  original restored'))
        self.assertEqual('success', outcome['test_next'],
                         outcome.text('test_next'))

    def test_mock_made_before_the_import_found(self):
        # no mock is made after the import: the module is first read at
        # the test's end, when its value from before cannot be told
        name = self.module('''
            VALUE = 1
            ''')
        made = mock.Mock()

        class Importer(mocktools.TestCase):
            def test_leak(self):
                made.reset_mock()   # (made here, as the test's own)
                importlib.import_module(name).VALUE = self.kept

            def setUp(self):
                super().setUp()
                self.kept = mock.Mock()
        outcome = support.run_case(Importer)
        text = outcome.text('test_leak')
        self.assertEqual('failure', outcome['test_leak'], text)
        self.assertThat(text, matchers.Contains(
            '\n  %s.VALUE\n      kind:    mock in global state (module '
            'attribute)' % name))
        self.assertThat(text, matchers.Contains(
            'healed:  left in place (previous value unknown)'))

    def test_mocks_the_module_makes_as_it_is_imported_are_its_own(self):
        name = self.module('''
            from unittest import mock

            def _fake():
                return mock.MagicMock()

            HELPER = mock.Mock()
            FAKE = _fake()
            REGISTRY = {'fake': _fake()}

            class Service:
                client = _fake()
            ''')

        def body(module):
            # a mock made after the import: the module is taken in now
            mock.Mock()

        def check(module):
            assert isinstance(module.FAKE, mock.MagicMock)
        outcome = self.run_pair(name, body, check)
        self.assertEqual('success', outcome['test_leak'],
                         outcome.text('test_leak'))
        self.assertNotIn('dangling', outcome.text('test_leak'))
        self.assertEqual('success', outcome['test_next'])

    def test_mocks_made_as_the_module_is_imported_only_are_its_own(self):
        # the same, read at the test's end only (no mock after the import)
        name = self.module('''
            from unittest import mock

            def _fake():
                return mock.MagicMock()

            FAKE = _fake()
            ''')
        outcome = self.run_pair(name, lambda module: None,
                                lambda module: None)
        self.assertEqual('success', outcome['test_leak'],
                         outcome.text('test_leak'))
        self.assertNotIn('dangling', outcome.text('test_leak'))

    def test_an_object_the_test_makes_with_its_own_mocks_is_not_a_leak(self):
        # as for a module watched already: a fake that makes mocks of its
        # own when made, put in a module's global (cinder's image service
        # fake, replaced by a reset function), leaves no mock of the test's
        name = self.module('''
            SERVICE = None
            ''')

        class Replaces(mocktools.TestCase):
            def test_a_first_import(self):
                service = FakeServiceWithMocks()
                importlib.import_module(name).SERVICE = service

            def test_b_module_watched_already(self):
                sys.modules[name].SERVICE = FakeServiceWithMocks()
        outcome = support.run_case(Replaces)
        for test in ('test_a_first_import', 'test_b_module_watched_already'):
            self.assertEqual('success', outcome[test], outcome.text(test))
            self.assertNotIn('dangling', outcome.text(test))

    def test_an_import_that_leaks_into_other_modules_is_not_the_tests(self):
        # a helper the module's top-level code calls made it: whichever
        # test imports the module first is not to blame
        name = self.module('''
            from unittest import mock
            from mocktools.tests import targets

            def _install():
                targets.created_attr = mock.Mock()

            _install()
            ''')

        with warnings.catch_warnings(record=True):
            warnings.simplefilter('always')
            outcome = self.run_pair(name, lambda module: None,
                                    lambda module: None)
        text = outcome.text('test_leak')
        self.assertEqual('success', outcome['test_leak'], text)
        self.assertThat(text, matchers.Contains(
            'mocktools.tests.targets.created_attr'))
        self.assertThat(text, matchers.Contains(
            'by:      a module import, during test '))
        self.assertThat(text, matchers.Contains('"foreign": true'))
        self.assertTrue(world_is_clean())

    def test_a_run_started_by_an_import_still_blames_its_tests(self):
        # only an import inside the test makes a mock the import's: a whole
        # run started from a module's top-level code is no such import
        name = self.module('''
            import unittest
            from unittest import mock

            import mocktools
            from mocktools.tests import targets

            def _install():
                targets.created_attr = mock.Mock()

            class Leaky(mocktools.TestCase):
                def test_leak(self):
                    _install()

            RESULT = unittest.TestResult()
            unittest.defaultTestLoader.loadTestsFromTestCase(
                Leaky).run(RESULT)
            ''')
        process = support.run_python(
            'import sys; sys.path.insert(0, %r); import %s as m; '
            'print(len(m.RESULT.failures), m.RESULT.failures[0][1] '
            'if m.RESULT.failures else "")' % (self.directory, name))
        self.assertEqual(0, process.returncode, process.stdout)
        self.assertTrue(process.stdout.startswith('1 '), process.stdout)
        self.assertThat(process.stdout, matchers.Contains(
            'mocktools.tests.targets.created_attr'))
        self.assertThat(process.stdout, matchers.Contains(
            'by:      %s.Leaky.test_leak' % name))

    def assert_mock_on_new_module_healed(self, before=None):
        """A test imports a new module and puts a mock on it: healed.

        Found with the value it replaced (the module was watched before
        the mock was put there), so the next test sees the original.
        ``before`` runs in that test first (see :meth:`run_pair`).
        """
        name = self.module('''
            VALUE = 1
            ''')

        def body(module):
            module.VALUE = mock.Mock()

        def check(module):
            assert module.VALUE == 1, 'the next test saw a leaked mock'
        outcome = self.run_pair(name, body, check, before)
        text = outcome.text('test_leak')
        self.assertEqual('failure', outcome['test_leak'], text)
        self.assertEqual('success', outcome['test_next'],
                         outcome.text('test_next'))
        self.assertThat(text, matchers.Contains(
            '\n  %s.VALUE\n' % name))
        self.assertThat(text, matchers.Contains(
            'healed:  original restored'))

    def test_a_module_removed_then_another_imported_is_taken_in(self):
        # as many modules as before, but not the same ones: the new one is
        # still watched before the test puts a mock on it
        gone = self.module('''
            VALUE = 1
            ''')
        importlib.import_module(gone)
        detector_module.get_detector().resync()
        self.assert_mock_on_new_module_healed(
            before=lambda: sys.modules.pop(gone))

    def test_a_second_detector_gives_the_hooks_back(self):
        # a LeakDetector of its own (the benchmark's reference) points the
        # process-wide mock hooks at its sweep; the process's detector
        # takes them back as its next test begins, and still watches what
        # that test imports before it puts a mock there
        other = detector_module.LeakDetector(state_guards=False)
        settings = mocktools.LeakSettings()
        other.end_test(other.begin_test('other', settings), settings)
        self.addCleanup(other._global_sweep().tracker.close)
        self.assertIs(other.mocks.imports_hook,
                      instrumentation.modules_imported)
        self.assert_mock_on_new_module_healed()

    def sweeps_of(self, *cases):
        """Sweeps made while ``cases`` ran, and their outcome."""
        detector = detector_module.get_detector()
        before = detector.sweeps
        outcome = support.run_case(*cases)
        return detector.sweeps - before, outcome

    def test_an_import_costs_no_sweep_and_the_module_is_watched(self):
        # a test whose mocks cannot have escaped sweeps nothing because it
        # imported a module: the module is watched from then on, and a mock
        # a later test puts there is found with the value it replaced
        name = self.module('''
            VALUE = 1
            ''')

        class Imports(mocktools.TestCase):
            def test_imports(self):
                module = importlib.import_module(name)
                helper = mock.Mock()      # stays the test's own
                helper(module.VALUE)

        sweeps, outcome = self.sweeps_of(Imports)
        self.assertEqual('success', outcome['test_imports'],
                         outcome.text('test_imports'))
        self.assertEqual(0, sweeps)

        class Leaks(mocktools.TestCase):
            def test_a_leaks(self):
                sys.modules[name].VALUE = mock.Mock()

            def test_b_next(self):
                assert sys.modules[name].VALUE == 1, 'saw the leaked mock'
        outcome = support.run_case(Leaks)
        text = outcome.text('test_a_leaks')
        self.assertEqual('failure', outcome['test_a_leaks'], text)
        self.assertThat(text, matchers.Contains('\n  %s.VALUE\n' % name))
        self.assertThat(text, matchers.Contains('healed:  original restored'))
        self.assertEqual('success', outcome['test_b_next'],
                         outcome.text('test_b_next'))

    def test_an_imported_module_holding_a_mock_is_swept(self):
        # whose the mock is -- the import's, or one put there -- is the
        # sweep's to tell
        name = self.module('''
            from unittest import mock

            FAKE = mock.MagicMock()
            ''')

        class Imports(mocktools.TestCase):
            def test_imports(self):
                importlib.import_module(name)
        sweeps, outcome = self.sweeps_of(Imports)
        self.assertEqual('success', outcome['test_imports'],
                         outcome.text('test_imports'))
        self.assertEqual(1, sweeps)

    def test_a_module_that_went_is_swept(self):
        # the sweep lets go of what global state no longer holds
        name = self.module('''
            VALUE = 1
            ''')
        importlib.import_module(name)
        detector_module.get_detector().resync()

        class Unloads(mocktools.TestCase):
            def test_unloads(self):
                del sys.modules[name]
        sweeps, outcome = self.sweeps_of(Unloads)
        self.assertEqual('success', outcome['test_unloads'],
                         outcome.text('test_unloads'))
        self.assertEqual(1, sweeps)

    def test_imports_taken_in_without_a_sweep_are_bounded(self):
        # a module removed and imported again stays watched until a sweep:
        # after so many take-ins in a row (counted from setUp's resync),
        # the next import is swept
        self.patch(sweep_module, 'TAKE_IN_LIMIT', 2)
        names = [self.module('''
            VALUE = 1
            ''') for _ in range(3)]

        def importer(name):
            class Imports(mocktools.TestCase):
                def test_imports(self):
                    importlib.import_module(name)
            return Imports
        swept = [self.sweeps_of(importer(name))[0] for name in names]
        self.assertEqual([0, 0, 1], swept)

    def test_a_worker_thread_never_takes_in_the_imports(self):
        # only the thread that runs the checks touches the sweep's state
        name = self.module('''
            VALUE = 1
            ''')
        taken_in = []

        class Threaded(mocktools.TestCase):
            def test_leak(self):
                module = importlib.import_module(name)
                sweep = detector_module.get_detector()._global_sweep()
                worker = threading.Thread(target=mock.Mock)
                worker.start()
                worker.join()
                taken_in.append(id(module) in sweep.watched_owners())
                made = mock.Mock()
                taken_in.append(id(module) in sweep.watched_owners())
                module.VALUE = made
        outcome = support.run_case(Threaded)
        self.assertEqual([False, True], taken_in)
        text = outcome.text('test_leak')
        self.assertEqual('failure', outcome['test_leak'], text)
        self.assertThat(text, matchers.Contains(
            '\n  %s.VALUE\n' % name))
        self.assertThat(text, matchers.Contains(
            'healed:  original restored'))

    def test_an_error_taking_in_the_imports_is_reported(self):
        name = self.module('''
            VALUE = 1
            ''')

        def explode(sweep):
            raise RuntimeError('adoption exploded')
        self.useFixture(fixtures.MonkeyPatch(
            'mocktools.engine.sweep.GlobalStateSweep.adopt_imports',
            explode))

        def body(module):
            made = mock.Mock()    # the constructor does not raise
            made.ok()

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            outcome = self.run_pair(name, body, lambda module: None)
        self.assertEqual('success', outcome['test_leak'])
        self.assertThat(outcome.text('test_leak'),
                        matchers.Contains('adoption exploded'))
        self.assertTrue(any(
            issubclass(w.category, mocktools.DetectorErrorWarning)
            for w in caught))


class TestReports(DetectorTestCase):

    def test_report_is_attached_as_json_detail(self):
        outcome = support.run_case(leaking(
            lambda t: mock.patch.object(targets, 'execute').start()))
        details = outcome.details[outcome._find('test_leak')]
        report = json.loads(details['mocktools-leaks'])
        self.assertEqual('test', report['scope_kind'])
        self.assertEqual(['mocktools.tests.targets.execute'],
                         [leak['path'] for leak in report['leaks']])
        self.assertIn(HERE, report['leaks'][0]['created_at'])

    def test_test_failure_and_leak_both_reported(self):
        def body(test):
            mock.patch.object(targets, 'execute').start()
            test.fail('the test itself failed')
        outcome = support.run_case(leaking(body))
        text = outcome.text('test_leak')
        self.assertThat(text, matchers.Contains('the test itself failed'))
        self.assertThat(text, matchers.Contains('dangling mock'))

    def test_several_leaks_in_one_test(self):
        def body(test):
            mock.patch.object(targets, 'execute').start()
            targets.Client.get = mock.Mock()
            sys.modules['fake_lib'] = mock.Mock()
        outcome = support.run_case(leaking(body))
        text = outcome.text('test_leak')
        self.assertThat(text, matchers.Contains('3 dangling mocks'))

    def test_leak_found_later_names_the_test_that_made_it(self):
        class Hides(mocktools.TestCase):
            leak_scan = 'off'     # its checks never sweep

            def test_a_hides_a_mock(self):
                patcher = mock.patch.object(targets, 'execute')
                hidden = patcher.start()
                patcher.stop()
                # A patcher's mock, stored by hand after the patcher
                # stopped: this test's check does not look for it ...
                targets.generate_password = hidden

        class Sweeps(mocktools.TestCase):
            leak_scan = 'always'

            def test_b_sweeps(self):
                pass   # ... the next sweep finds it

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            outcome = support.run_case(Hides, Sweeps)
        self.assertEqual('success', outcome['test_a_hides_a_mock'])
        # b found it: told (detail and warning) and healed, b not blamed
        self.assertEqual('success', outcome['test_b_sweeps'])
        text = outcome.text('test_b_sweeps')
        self.assertThat(text, matchers.Contains(
            '1 dangling mock left by code outside test %s' % (
                Sweeps('test_b_sweeps').id())))
        self.assertThat(text, matchers.Contains(
            'by:      %s' % Hides('test_a_hides_a_mock').id()))
        self.assertThat(text, matchers.Contains('"foreign": true'))
        self.assertEqual('', outcome.class_errors())
        self.assertIn('mocktools.tests.targets.generate_password',
                      ''.join(str(w.message) for w in caught))
        self.assertIs(ORIGINALS['generate_password'],
                      targets.generate_password)


class StoresMocksOnItself(mocktools.TestCase):
    """A module-level test class that keeps mocks on itself (its own state).

    It has no test_* method: TestEscapeCheck runs it by name.
    """

    leak_scan = 'always'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        type.__setattr__(cls, 'shared', mock.MagicMock())

    def check_stores_mocks(self):
        type.__setattr__(type(self), 'per_test', mock.Mock())
        self.shared.go()


class TestPatcherMocksKeptInGlobalState(DetectorTestCase):
    """A stopped patcher's mock (or child) left in global state is found.

    Nothing else triggers a sweep in these tests: before the escape check
    looked at patchers' mocks, a later test found them, or none did.
    """

    def test_patcher_mock_stored_after_the_patcher_stopped(self):
        def body(test):
            patcher = mock.patch.object(targets, 'execute')
            made = patcher.start()
            patcher.stop()
            # children refer back to it: references of its own, counted
            made.client.get('/x').json()
            made()
            targets.generate_password = made
        self.assert_leak(body, 'mocktools.tests.targets.generate_password',
                         'mock in global state (module attribute)')

    def test_code_under_test_stores_a_patched_functions_result(self):
        # cinder's volume-usage-audit tests: version_string is patched and
        # main() sets CONF.version = version.version_string()
        def body(test):
            test.mock_patch_object(targets, 'generate_password')
            targets.SERVICE.name = targets.generate_password()
        self.assert_leak(body, 'mocktools.tests.targets.SERVICE.name',
                         'mock in global state (attribute of a '
                         'module-level object)')

    def test_decorator_mock_child_stored_in_a_class(self):
        def body(test):
            @mock.patch.object(targets, 'execute')
            def inner(execute):
                targets.Service.ping = execute.return_value
            inner()
        self.assert_leak(body, 'mocktools.tests.targets.Service.ping',
                         'mock in global state (class attribute)')

    def test_patcher_mocks_the_test_keeps_need_no_sweep(self):
        class Case(mocktools.TestCase):
            def test_keeps_them(self):
                self.execute = self.mock_patch_object(targets, 'execute')
                targets.execute('ls').strip()
                client = self.mock_patch_object(targets.Client, 'get')
                self.execute(client, key=client.return_value)
                with mock.patch.object(targets, 'generate_password') as gen:
                    gen.return_value = self.execute.return_value

        self.assert_no_sweep(Case, 'test_keeps_them')


class TestKeptByCachesAndSingletons(DetectorTestCase):
    """What a test made while something was patched, kept in global state.

    No mock is assigned anywhere: code under test caches an object that
    holds one (a singleton made on first use, a ``functools`` cache), and
    every later test would get the mock.
    """

    PREFIX = 'mocktools.tests.targets.'

    def assert_kept(self, body, path, where, healed, fix):
        text = self.assert_leak(body, self.PREFIX + path,
                                'mock in global state (%s)' % where)
        self.assertThat(text, matchers.Contains('healed:  %s\n' % healed))
        self.assert_fix(body, text, fix)
        return text

    def test_a_singleton_made_while_its_session_was_patched(self):
        def body(test):
            test.mock_patch_object(targets.Client, 'Session')
            targets.get_connection().session.get('/x')
        self.assert_kept(
            body, '_CONNECTION.session',
            'module attribute, inside the Connection put there',
            'original restored at mocktools.tests.targets._CONNECTION',
            "mock.patch('mocktools.tests.targets._CONNECTION', None) for the "
            'length of the test')

    def test_an_object_holding_a_mock_added_to_a_registry(self):
        def body(test):
            targets.REGISTRY['db'] = targets.Connection([mock.Mock()])
        self.assert_kept(
            body, "REGISTRY['db'].session[0]",
            'entry of a dict in global state, inside the Connection put '
            'there', "removed mocktools.tests.targets.REGISTRY['db'], which "
            'held it', "mock.patch.dict('mocktools.tests.targets.REGISTRY') "
            'for the length of the test')

    def test_a_bounded_cache_keeps_an_object_holding_a_mock(self):
        def body(test):
            with mock.patch.object(targets.Client, 'Session'):
                targets.connection_for('db')
        self.assert_kept(
            body, "connection_for('db').session",
            'inside the Connection a functools cache returns',
            'cache cleared (mocktools.tests.targets.connection_for'
            '.cache_clear())',
            'mocktools.tests.targets.connection_for.cache_clear() in a '
            'cleanup')

    def test_an_unbounded_cache_returns_a_mock(self):
        def body(test):
            with mock.patch.object(targets.Client, 'Session'):
                targets.session_for('db', secure=False)
        self.assert_kept(
            body, "session_for('db', secure=False)",
            'result a functools cache returns',
            'cache cleared (mocktools.tests.targets.session_for'
            '.cache_clear())',
            'mocktools.tests.targets.session_for.cache_clear() in a '
            'cleanup')

    def test_two_mocks_in_one_new_object_are_both_reported_and_healed(self):
        # cinder's ZoneManager keeps its one instance in a class attribute,
        # made with the test's mock driver and configuration
        def body(test):
            targets.created_attr = targets.Connection(mock.Mock())
            targets.created_attr.configuration = mock.MagicMock()
        text = self.assert_kept(
            body, 'created_attr.session',
            'module attribute, inside the Connection put there',
            'removed mocktools.tests.targets.created_attr, which held it',
            "fixtures.MonkeyPatch('mocktools.tests.targets.created_attr', "
            "fixtures.MonkeyPatch.delete) for the length of the test")
        self.assertThat(text, matchers.Contains(
            '\n  %screated_attr.configuration\n' % self.PREFIX))
        self.assertEqual(2, text.count(
            'healed:  removed mocktools.tests.targets.created_attr, which '
            'held it\n'))

    def test_a_singleton_with_slots(self):
        def body(test):
            targets.created_attr = targets.SlottedClient(mock.Mock())
        self.assert_kept(
            body, 'created_attr.session',
            'module attribute, inside the SlottedClient put there',
            'removed mocktools.tests.targets.created_attr, which held it',
            "fixtures.MonkeyPatch('mocktools.tests.targets.created_attr', "
            "fixtures.MonkeyPatch.delete) for the length of the test")

    def test_a_registry_keyed_by_classes(self):
        # cinder's db.api._GET_METHODS maps model classes to getters: the
        # key is named as the class is imported, though its metaclass has
        # a __repr__ of its own, which is not called
        def body(test):
            targets.REGISTRY[targets.Model] = mock.Mock()
        self.assert_kept(
            body, 'REGISTRY[mocktools.tests.targets.Model]',
            'entry of a dict in global state',
            'removed', "mock.patch.dict('mocktools.tests.targets.REGISTRY') "
            'for the length of the test')
        self.assertEqual([], targets.Model.described)

    def test_a_named_tuple_added_to_a_registry(self):
        def body(test):
            targets.REGISTRY['db'] = targets.Endpoint('http://db',
                                                      mock.Mock())
        self.assert_kept(
            body, "REGISTRY['db'].session",
            'entry of a dict in global state, inside the Endpoint put '
            'there', "removed mocktools.tests.targets.REGISTRY['db'], which "
            'held it', "mock.patch.dict('mocktools.tests.targets.REGISTRY') "
            'for the length of the test')

    def test_a_replaced_registry_is_patched_with_an_empty_one(self):
        # cinder's base class sets db.api._GET_METHODS = {} in setUp, and
        # the code under test caches a patched function in it
        def body(test):
            targets.DRIVERS = {}
            targets.DRIVERS['volume'] = mock.Mock()
        self.addCleanup(setattr, targets, 'DRIVERS', targets.DRIVERS)
        self.assert_kept(
            body, "DRIVERS['volume']",
            'module attribute, inside the dict put there',
            'original restored at mocktools.tests.targets.DRIVERS',
            "mock.patch('mocktools.tests.targets.DRIVERS', {}) for the "
            'length of the test')

    def test_an_object_its_module_no_longer_holds_is_not_global_state(self):
        # cinder's fake image service: a test sets a mock on the module's
        # fake, and its cleanup puts a fresh fake in the module's global
        original = targets.SERVICE
        self.addCleanup(setattr, original, 'name', 'service')
        self.addCleanup(setattr, targets, 'SERVICE', original)

        class Case(mocktools.TestCase):
            def test_reset_at_cleanup(self):
                self.addCleanup(setattr, targets, 'SERVICE',
                                targets.Service())
                targets.SERVICE.name = mock.Mock()

        self.assert_passes(Case, 'test_reset_at_cleanup')

    def test_a_cache_the_test_clears_is_no_leak(self):
        class Case(mocktools.TestCase):
            def test_cleared(self):
                self.clear_caches_at_cleanup(targets.connection_for)
                self.mock_patch_object(targets.Client, 'Session')
                targets.connection_for('db')

        self.assert_passes(Case, 'test_cleared')

    def test_a_cache_entry_no_later_call_can_make_is_no_leak(self):
        # keyed by the test's own object: no later test passes it again
        class Case(mocktools.TestCase):
            def test_keyed(self):
                self.connection = targets.Connection(mock.Mock())
                targets.remember(self.connection)

        self.addCleanup(targets.remember.cache_clear)
        self.assert_passes(Case, 'test_keyed')

    def test_a_fake_that_makes_its_own_mocks_is_no_leak_in_a_cache(self):
        @functools.lru_cache()
        def fake_service():
            return FakeServiceWithMocks()
        targets.fake_service = fake_service
        self.addCleanup(vars(targets).pop, 'fake_service')
        detector_module.get_detector().resync()

        class Case(mocktools.TestCase):
            def test_fake(self):
                targets.fake_service().images.show('id')

        self.assert_passes(Case, 'test_fake')

    @support.INLINE_VISIBLE
    def test_what_is_looked_into_keeps_its_attributes_inline(self):
        # a new cache entry with no mock in it, seen by a sweep that a
        # leak elsewhere makes: its attributes are read without names
        self.addCleanup(targets.connection_for.cache_clear)

        class Case(mocktools.TestCase):
            def test_caches(self):
                targets.connection_for('plain')
                targets.created_attr = mock.Mock()

        outcome = support.run_case(Case)
        self.assertThat(outcome.text('test_caches'), matchers.Contains(
            'mocktools.tests.targets.created_attr\n'))
        self.assertEqual([], support.namespaces_built(
            targets.connection_for('plain'), 'session'))

    def test_a_cached_call_is_named_by_its_arguments(self):
        for typed in (False, True):
            cached = functools.lru_cache(typed=typed)(lambda *a, **k: 1)
            cached('db')
            cached('db', 2)
            cached('db', secure=False)
            cached()
            cache = [referent for referent in gc.get_referents(cached)
                     if type(referent) is dict and len(referent) == 4][0]
            self.assertEqual(
                ["'db'", "'db', 2", "'db', secure=False", ''],
                [sweep_module._call_text(key) for key in cache], typed)

    def test_the_results_of_bounded_caches_are_read(self):
        # kept in a C link that even gc.get_referents cannot see into
        result = object()
        cached = functools.lru_cache(maxsize=4)(lambda name: result)
        cached('x')
        cache = [referent for referent in gc.get_referents(cached)
                 if type(referent) is dict and 'x' in referent][0]
        self.assertIs(result, sweep_module._cached_result(cache['x']))


class TestEscapeCheck(DetectorTestCase):
    """Mocks created outside patchers only cost a sweep if they escaped."""

    def assert_own_until_registered(self, case, name, attribute, path,
                                    inside):
        """``case``'s test ``name`` needs no sweep until it is registered.

        Kept in ``targets.REGISTRY``, what the test keeps as ``attribute``
        is reported at ``path`` below it, inside an ``inside`` object.
        """
        self.assert_no_sweep(case, name)

        def registered(test):
            getattr(case, name)(test)
            targets.REGISTRY['kept'] = getattr(test, attribute)
        self.assert_leak(
            registered, "mocktools.tests.targets.REGISTRY['kept']" + path,
            'mock in global state (entry of a dict in global state, inside '
            'the %s put there)' % inside)

    def test_mocks_held_by_the_test_need_no_sweep(self):
        class Case(mocktools.TestCase):
            def test_locals_and_attributes(self):
                self.client = mock.MagicMock()
                self.client.get('/x').json.return_value = {}
                local = mock.Mock(spec=targets.Service)
                local.ping()
                self.fetch = mock.AsyncMock()
                self.parts = mock.NonCallableMagicMock()

        self.assert_no_sweep(Case, 'test_locals_and_attributes')

    def dropping_case(self, refs):
        """A test that drops its mocks: a stopped patcher's, a MagicMock."""
        class Case(mocktools.TestCase):
            def test_drops(self):
                patcher = mock.patch.object(targets.Client, 'get')
                self.addCleanup(patcher.stop)
                made = patcher.start()
                targets.Client().get()
                refs[:] = [weakref.ref(made), weakref.ref(mock.MagicMock())]
        return Case

    def test_dropped_mocks_are_collected_not_counted(self):
        # MagicMock's own cycles (its proxies, its children) keep a mock
        # the test dropped alive until the collector runs: the check
        # collects them instead of counting their references
        refs = []
        self.addCleanup(gc.set_threshold, *gc.get_threshold())
        gc.set_threshold(10 ** 9)   # no collection but the check's
        counted = support.calls_to(self, escape, '_direct_references')
        looked_for = support.calls_to(self, escape, 'unaccounted')
        self.assert_no_sweep(self.dropping_case(refs), 'test_drops')
        self.assertEqual(2, len(refs))
        self.assertEqual([None, None], [ref() for ref in refs])
        self.assertEqual([], counted)
        # nothing left alive to look for: the escape check is not entered
        self.assertEqual([], looked_for)

    def test_small_tests_leave_the_older_generations_their_turn(self):
        # every check collects, which resets the interpreter's allocation
        # count: in a run of small tests its own collections never came,
        # and what outlived each check (a MagicMock the test kept, freed
        # with the test) piled up in the middle generation until the end
        self.addCleanup(gc.set_threshold, *gc.get_threshold())
        gc.set_threshold(700, 10, 10)

        def keeps_a_mock(test):
            test.client = mock.MagicMock()
        Small = type('Small', (mocktools.TestCase,), {
            'test_%02d' % n: keeps_a_mock for n in range(60)})
        gc.collect()
        before = gc.get_stats()[1]['collections']
        outcome = support.run_case(Small)
        self.assertEqual({'success'}, set(outcome.status.values()))
        self.assertGreaterEqual(gc.get_stats()[1]['collections'] - before, 4)
        self.assertLessEqual(gc.get_count()[1], 11)

    def test_what_a_finished_test_held_is_freed_before_the_next_begins(self):
        # the check collects while the test still holds its objects, which
        # survive into the middle generation: freed only when that was
        # collected next, anywhere in a later test.  cinder's ceph backup
        # tests hung in eventlet's tpool.setup() when a collection there
        # ran the finalizer of an object an earlier test had made
        self.addCleanup(gc.set_threshold, *gc.get_threshold())
        gc.set_threshold(100000, 1000, 1000)   # none of the interpreter's
        events = []

        class Resource:
            def __init__(self):
                self.cycle = self   # only the collector frees it

            def __del__(self):
                events.append('finalized')

        def test_01(test):
            events.append('test_01')
            test.resource = Resource()
            test.client = mock.MagicMock()   # so the check collects

        def test_02(test):
            events.append('test_02')

        Case = type('Case', (mocktools.TestCase,), {
            'test_01': test_01, 'test_02': test_02})
        # a result that keeps no finished test alive, as a runner's
        suite = unittest.TestSuite([Case('test_01'), Case('test_02')])
        result = unittest.TestResult()
        suite.run(result)
        self.assertTrue(result.wasSuccessful(), result.failures)
        self.assertEqual(['test_01', 'finalized', 'test_02'], events)

    def test_a_suite_that_turned_the_collector_off_keeps_it_off(self):
        # nothing collected: the dropped mocks are counted instead, with
        # the same verdict
        refs = []
        self.addCleanup(gc.enable)
        gc.disable()
        counted = support.calls_to(self, escape, '_direct_references')
        self.assert_no_sweep(self.dropping_case(refs), 'test_drops')
        self.assertFalse(gc.isenabled())
        self.assertIsNotNone(refs[0]())
        self.assertIsNotNone(refs[1]())
        self.assertNotEqual([], counted)
        del refs[:]
        gc.collect()

    def test_mocks_kept_by_functools_caches_need_no_sweep(self):
        class Case(mocktools.TestCase):
            def test_cached(self):
                targets.describe(mock.MagicMock())
                targets.describe(mock.Mock(), style='long')
                targets.remember(mock.Mock())

        self.addCleanup(targets.describe.cache_clear)
        self.addCleanup(targets.remember.cache_clear)
        self.assert_no_sweep(Case, 'test_cached')

    def test_a_request_context_kept_thread_locally_needs_no_sweep(self):
        # oslo.context's RequestContext stores itself in a module's
        # threading.local: the test's context, and the mocks set on it,
        # are still the test's own (the sweep never reads that storage)
        class Case(mocktools.TestCase):
            def test_context(self):
                self.context = targets.RequestContext()
                self.context.client = mock.Mock()
                self.context.client.get('/volumes')

        self.addCleanup(vars(targets.REQUEST_STORE).clear)
        self.assert_no_sweep(Case, 'test_context')

    def test_a_mock_kept_thread_locally_needs_no_sweep(self):
        class Case(mocktools.TestCase):
            def test_stored(self):
                targets.REQUEST_STORE.client = mock.MagicMock()

        self.addCleanup(vars(targets.REQUEST_STORE).clear)
        self.assert_no_sweep(Case, 'test_stored')

    def test_a_thread_local_mock_also_in_global_state_is_still_found(self):
        def body(test):
            context = targets.RequestContext()
            context.client = mock.Mock()
            targets.created_attr = context.client

        self.addCleanup(vars(targets.REQUEST_STORE).clear)
        self.assert_leak(body, 'mocktools.tests.targets.created_attr',
                         'mock in global state (module attribute)')

    def test_a_mock_recorded_by_a_decorators_own_mock_needs_no_sweep(self):
        # @patch.object(CONF, 'get', Mock()): that Mock is made once, when
        # the module is imported, and records every call of every test the
        # decorator wraps; the test's mocks in its calls are still the
        # test's own (the sweep never reads inside a mock)
        class Case(mocktools.TestCase):
            @mock.patch.object(targets.Client, 'get', mock.Mock())
            def test_recorded(self):
                self.instance = mock.Mock()
                targets.Client().get(self.instance.manager)
                targets.Client().get(self.instance.manager, {'a': 1})

        self.assert_no_sweep(Case, 'test_recorded')

    def test_a_decorators_mock_does_not_hide_a_leak(self):
        def body(test):
            shared = mock.Mock()
            patcher = mock.patch.object(targets.Client, 'get', shared)
            patcher.start()
            kept = mock.Mock()
            targets.Client().get(kept)
            patcher.stop()
            targets.created_attr = kept

        self.assert_leak(body, 'mocktools.tests.targets.created_attr',
                         'mock in global state (module attribute)')

    def test_mocks_in_frames_a_decorators_exception_keeps_need_no_sweep(self):
        # side_effect=DBError() in a decorator: one exception, made when
        # the module is imported, whose traceback keeps the frames of every
        # test that raised it -- and the mocks in their locals
        error = ValueError('no such volume')

        class Case(mocktools.TestCase):
            @mock.patch.object(targets.Client, 'retries')
            @mock.patch.object(targets.Client, 'get', side_effect=error)
            def test_raises(self, get, retries):
                client = mock.Mock()
                self.assertRaises(ValueError, targets.Client().get, client)

        self.assert_no_sweep(Case, 'test_raises')

    def test_a_mock_kept_by_such_frames_and_global_state_is_found(self):
        error = ValueError('no such volume')

        def body(test):
            kept = mock.Mock()
            with mock.patch.object(targets.Client, 'get', side_effect=error):
                test.assertRaises(ValueError, targets.Client().get, kept)
            targets.created_attr = kept

        self.assert_leak(body, 'mocktools.tests.targets.created_attr',
                         'mock in global state (module attribute)')

    def test_reading_the_caches_calls_nothing_on_the_mocks(self):
        made = []

        class Case(mocktools.TestCase):
            def test_cached(self):
                made.append(mock.MagicMock())
                targets.describe(made[-1])
                made[-1].reset_mock()   # forget the hash the cache did

        self.addCleanup(targets.describe.cache_clear)
        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_cached'])
        self.assertEqual([], made[0].mock_calls)

    def test_a_hashed_magic_mock_also_in_global_state_is_still_found(self):
        def body(test):
            test.kept = mock.MagicMock()
            hash(test.kept)          # its __hash__ child refers back to it
            len(test.kept)
            targets.created_attr = test.kept

        self.assert_leak(body, 'mocktools.tests.targets.created_attr',
                         'mock in global state (module attribute)')

    def test_a_hashed_magic_mock_kept_by_the_test_needs_no_sweep(self):
        class Case(mocktools.TestCase):
            def test_hashed(self):
                self.kept = mock.MagicMock()
                {self.kept: len(self.kept)}

        self.assert_no_sweep(Case, 'test_hashed')

    def test_mocks_kept_only_by_a_reference_cycle_need_no_sweep(self):
        class Case(mocktools.TestCase):
            def test_caught(self):
                rejected = mock.Mock()
                try:
                    targets.reject(rejected)
                except ValueError:
                    # a cycle: this frame -> info -> traceback -> frame
                    info = sys.exc_info()
                self.assertIs(ValueError, info[0])

        self.assert_no_sweep(Case, 'test_caught')

    def test_a_cached_mock_also_in_global_state_is_still_found(self):
        def body(test):
            leaked = mock.Mock()
            targets.describe(leaked)
            targets.remember(leaked)
            targets.created_attr = leaked

        self.addCleanup(targets.describe.cache_clear)
        self.addCleanup(targets.remember.cache_clear)
        self.assert_leak(body, 'mocktools.tests.targets.created_attr',
                         'mock in global state (module attribute)')

    def test_mocks_on_the_test_class_are_its_own(self):
        class Case(mocktools.TestCase):
            @classmethod
            def setUpClass(cls):
                super().setUpClass()
                cls.shared = mock.MagicMock()

            def test_uses_it(self):
                type(self).per_test = mock.Mock()
                self.shared.go()

        sweeps, outcome = self.sweeps_during(Case)
        self.assertEqual('success', outcome['test_uses_it'])
        self.assertEqual('', outcome.class_errors())

    def test_sweeps_leave_module_level_test_classes_alone(self):
        for name in ('shared', 'per_test'):
            self.addCleanup(lambda name=name: name in vars(
                StoresMocksOnItself) and delattr(StoresMocksOnItself, name))
        outcome = support.run_case(StoresMocksOnItself,
                                   names=['check_stores_mocks'])
        self.assertEqual('success', outcome['check_stores_mocks'],
                         outcome.text('check_stores_mocks'))
        self.assertEqual('', outcome.class_errors())

    def test_mocks_handed_to_the_tests_patchers_need_no_sweep(self):
        # Trove's base class: patch.object(policy, 'get_enforcer',
        # return_value=mock.MagicMock()) in every setUp
        class Case(mocktools.TestCase):
            def setUp(self):
                super().setUp()
                patcher = mock.patch.object(
                    targets, 'execute', return_value=mock.MagicMock())
                patcher.start()
                self.addCleanup(patcher.stop)

            def test_patchers_hold_free_mocks(self):
                patched = self.mock_patch_object(targets, 'generate_password')
                patched.return_value = mock.Mock(name='kept by a patch mock')
                self.registry = {}
                self.mock_patch_dict(self.registry, {'x': mock.Mock()})
                with mock.patch.object(targets.Client, 'get',
                                       side_effect=[mock.Mock()]):
                    pass

        self.assert_no_sweep(Case, 'test_patchers_hold_free_mocks')

    def test_mocks_inside_the_tests_own_objects_need_no_sweep(self):
        class Cluster:
            def __init__(self, context):
                self.context = context
                self.nodes = [{'client': mock.Mock()}]

        class Case(mocktools.TestCase):
            def test_objects_hold_mocks(self):
                self.cluster = Cluster(mock.Mock())
                self.cluster.manager = Cluster(mock.MagicMock())
                self.pairs = (mock.Mock(), [mock.Mock()])

        self.assert_no_sweep(Case, 'test_objects_hold_mocks')

    def test_mocks_in_the_tests_named_tuples_need_no_sweep(self):
        class Case(mocktools.TestCase):
            def test_named_tuple(self):
                self.endpoint = targets.Endpoint('http://x', mock.Mock())
                self.endpoint.session.get('/')

        self.assert_own_until_registered(Case, 'test_named_tuple',
                                         'endpoint', '.session', 'Endpoint')

    def test_mocks_deep_in_layers_of_proxies_need_no_sweep(self):
        # glance's gateway: an image factory wrapped in six or seven
        # layers of proxies (policy, quota, notifier, location, ...), each
        # keeping the request context, a mock, and its own helper dict
        class Proxy:
            def __init__(self, base, context):
                self.base = base
                self.context = context
                self.helper = {'context': context}

        class Case(mocktools.TestCase):
            def test_layered_proxies(self):
                context = mock.MagicMock()
                layer = {'repo': mock.Mock()}
                for _ in range(7):
                    layer = Proxy(layer, context)
                self.image_factory = layer

        self.assert_own_until_registered(Case, 'test_layered_proxies',
                                         'image_factory', '.context', 'Proxy')

    def test_a_fixture_answering_its_mocks_calls_needs_no_sweep(self):
        # oslo.limit's LimitFixture: the fixture keeps a MagicMock
        # connection and answers its calls with its own methods
        # (``conn.limits.side_effect = self.get_limits``); the test keeps
        # the fixture, and the fixture's own objects (the mock's children,
        # through the methods) keep it too
        class Fake(fixtures.Fixture):
            def _setUp(self):
                self.conn = mock.MagicMock()
                self.conn.limits.side_effect = self.get_limits
                self.conn.endpoint.side_effect = self.get_endpoint

            def get_limits(self):
                return [self.conn.endpoint()]

            def get_endpoint(self):
                return 'endpoint'

        class Case(mocktools.TestCase):
            def test_fixture_answers(self):
                self.limits = self.useFixture(Fake())
                self.limits.conn.limits()

        self.assert_no_sweep(Case, 'test_fixture_answers')

    def test_mocks_set_on_a_mocks_own_class_need_no_sweep(self):
        class Case(mocktools.TestCase):
            def test_magic_methods_and_properties(self):
                self.request = request = mock.Mock()
                # a plain Mock keeps a magic method on its own class
                request.environ.__getitem__ = mock.Mock(return_value=1)
                status = mock.PropertyMock(return_value='ACTIVE')
                type(request).status = status
                self.assertEqual('ACTIVE', request.status)

        self.assert_no_sweep(Case, 'test_magic_methods_and_properties')

    def test_compared_mocks_need_no_collection(self):
        # assert_called_with compares the mocks a call recorded: a
        # MagicMock's ``__eq__`` child then holds the library's closure
        # over it, found without the garbage collector.  With the
        # collector off, a reference the check could not explain would
        # sweep.
        class Case(mocktools.TestCase):
            def test_compares(self):
                self.api = mock.MagicMock()
                context = mock.MagicMock()
                self.api.create(context)
                self.api.create.assert_called_with(mock.ANY)
                self.assertNotEqual(context, object())
                self.assertEqual([], list(context))

        enabled = gc.isenabled()
        gc.disable()
        try:
            self.assert_no_sweep(Case, 'test_compares')
        finally:
            if enabled:
                gc.enable()

    def test_mocks_passed_to_other_mocks_need_no_sweep(self):
        class Case(mocktools.TestCase):
            def test_calls_record_mocks(self):
                self.api = mock.Mock()
                context = mock.Mock()
                self.api.create(context, items=[context, (context,)])
                self.api.create.return_value.wait(context)
                patched = self.mock_patch_object(targets, 'execute')
                patched(context, mock.Mock())

        self.assert_no_sweep(Case, 'test_calls_record_mocks')

    def test_containers_on_mocks_and_in_their_calls_need_no_sweep(self):
        # a list set on a mock, a dict or an instance passed to one: the
        # test's own as long as nothing else refers to them
        class Context:
            pass

        class Case(mocktools.TestCase):
            def test_keeps_mocks_in_containers(self):
                cluster = mock.Mock()
                cluster.instances = [mock.Mock()]
                cluster.flavors = {'small': {'id': mock.Mock()}}
                context = Context()
                context.session = mock.Mock()
                self.api = mock.Mock()
                self.api.load.return_value = cluster
                self.api.authorize(context, {'tenant': mock.Mock()})
                self.api.notify(payload={'ids': [mock.Mock()]})

        self.assert_no_sweep(Case, 'test_keeps_mocks_in_containers')

    @staticmethod
    def records_then_a_client(record):
        """A case keeping 2,500 ``record(number)``, then a mock's holder."""
        class Manager:
            pass

        class Case(mocktools.TestCase):
            def test_keeps_records_then_a_client(self):
                self.records = [record(number) for number in range(2500)]
                self.app = Manager()
                self.app.manager = Manager()
                self.app.manager.client = mock.Mock()
                self.app.manager.client.get(self.records[0])

        return Case

    def test_objects_holding_only_plain_values_need_no_sweep(self):
        # thousands of fake records the test keeps do not use up the walk
        # of its objects before it reaches the one holding its mock: what
        # refers to nothing but plain values is no candidate
        class Record:
            def __init__(self, number):
                self.id = number
                self.name = 'record-%d' % number

        self.assert_no_sweep(self.records_then_a_client(Record),
                             'test_keeps_records_then_a_client')

    def test_a_walk_over_its_budget_sweeps_and_passes(self):
        # thousands of records that each hold a list are candidates: the
        # walk stops at its budget before it reaches the holder of the
        # mock, and the check falls back to a sweep, which finds nothing
        class Record:
            def __init__(self, number):
                self.tags = [number]

        sweeps, outcome = self.sweeps_during(
            self.records_then_a_client(Record))
        name = 'test_keeps_records_then_a_client'
        self.assertEqual('success', outcome[name], outcome.text(name))
        self.assertEqual(1, sweeps)

    def test_an_object_the_test_also_keeps_deeper_needs_no_sweep(self):
        # the object holding the mock is found first, but its second
        # reference comes from an object found a level further: the walk
        # must go on after the objects found so far did not explain it
        class Node:
            pass

        class Case(mocktools.TestCase):
            def test_keeps_its_holder_twice(self):
                self.holder = Node()
                self.holder.client = mock.Mock()
                self.tree = Node()
                self.tree.branch = Node()
                self.tree.branch.leaf = Node()
                self.tree.branch.leaf.holder = self.holder
                self.holder.client.get('/x')

        self.assert_no_sweep(Case, 'test_keeps_its_holder_twice')

    def test_the_check_gives_no_call_list_a_dict(self):
        # a mock's call lists are read through the mock that recorded
        # them: reading their __dict__ would make one for every list of
        # every mock the test's objects lead to, at every check
        class Holder:
            pass

        made = []

        class Case(mocktools.TestCase):
            def test_keeps_a_mock_on_its_object(self):
                self.holder = Holder()
                self.holder.client = mock.Mock()
                client = self.holder.client
                client.get('/x')
                # (the lists, not the mocks: kept here, a mock would have
                # escaped the test)
                made[:] = [client.call_args_list, client.mock_calls,
                           client.method_calls, client.get.call_args_list]

        self.assert_no_sweep(Case, 'test_keeps_a_mock_on_its_object')
        self.assertEqual(4, len(made))
        for records in made:
            self.assertFalse([each for each in gc.get_referents(records)
                              if type(each) is dict], records)

    def test_side_effects_need_no_sweep(self):
        # what a side effect returns next is the test's own: a list of
        # values (kept as an iterator), a closure over a mock, a generator
        # over objects holding mocks, an iterator of such objects
        class Status:
            pass

        class Case(mocktools.TestCase):
            def test_side_effects(self):
                self.api = mock.Mock()
                self.api.get.side_effect = [mock.Mock(), mock.Mock()]
                self.api.get()
                other = mock.Mock()

                def closure(*args):
                    return other
                self.api.put.side_effect = closure
                statuses = []
                for _ in range(3):
                    status = Status()
                    status.save = mock.MagicMock()
                    statuses.append(status)
                answers = (status for status in statuses)

                def next_answer(*args):
                    return next(answers)
                self.mock_patch_object(targets.Client, 'get',
                                       side_effect=next_answer)
                targets.Client().get()
                self.api.find.side_effect = iter(statuses[1:])

        self.assert_no_sweep(Case, 'test_side_effects')

    def test_mock_a_side_effect_leads_to_in_global_state_is_found(self):
        # the side effect's reference is counted once: the global list's
        # is still unexplained
        def body(test):
            leaked = mock.Mock()
            test.api = mock.Mock(side_effect=lambda: leaked)
            test.api.get.side_effect = [leaked]
            test.api.put.side_effect = (each for each in [leaked])
            targets.HANDLERS.append(leaked)
        self.assert_leak(body, 'mocktools.tests.targets.HANDLERS[2]',
                         'mock in global state (item of a list in global '
                         'state)')

    def test_cell_a_global_closure_shares_is_not_the_tests_own(self):
        # the mock is reached from global state through ``other``'s
        # closure, which the sweep does not read: the check must sweep
        class Case(mocktools.TestCase):
            def test_shares_a_cell(self):
                shared = mock.Mock()

                def hook():
                    return shared

                def other():
                    return shared
                self.api = mock.Mock(side_effect=hook)
                targets.SERVICE.callback = other
                self.addCleanup(vars(targets.SERVICE).pop, 'callback')

        sweeps, outcome = self.sweeps_during(Case)
        self.assertEqual('success', outcome['test_shares_a_cell'],
                         outcome.text('test_shares_a_cell'))
        self.assertEqual(1, sweeps)

    @unittest.skipIf(sys.version_info >= (3, 11),
                     'a generator refers to a frame object before 3.11')
    def test_generator_whose_frame_global_state_holds_sweeps(self):
        # the frame holds the generator's locals: they are the test's own
        # only while the generator alone refers to the frame
        class Case(mocktools.TestCase):
            def test_shares_a_frame(self):
                answers = (each for each in [mock.Mock()])
                self.api = mock.Mock(side_effect=answers)
                targets.SERVICE.frame = answers.gi_frame
                self.addCleanup(vars(targets.SERVICE).pop, 'frame')

        sweeps, outcome = self.sweeps_during(Case)
        self.assertEqual('success', outcome['test_shares_a_frame'],
                         outcome.text('test_shares_a_frame'))
        self.assertEqual(1, sweeps)

    def test_an_attribute_patched_on_the_tests_mock_needs_no_sweep(self):
        # the stopped patcher's owner is the test's own mock: what it put
        # back is no global state to remember for healing
        class Case(mocktools.TestCase):
            def test_patches_its_mock(self):
                self.connection = mock.MagicMock()
                self.mock_patch_object(self.connection, 'invoke',
                                       return_value=1)
                self.connection.invoke()

        self.assert_no_sweep(Case, 'test_patches_its_mock')

    def test_an_object_only_its_patcher_still_holds_needs_no_sweep(self):
        # cinder's base test deletes its attributes at cleanup: the client
        # the test patched is then held by the stopped patcher alone
        class Client:
            def connect(self):
                pass

        class Case(mocktools.TestCase):
            def test_patches_its_client(self):
                client = Client()
                client.ssh = mock.MagicMock()
                self.mock_patch_object(client, 'connect')

        self.assert_no_sweep(Case, 'test_patches_its_client')

    def test_mock_on_a_module_level_object_a_patcher_held_is_found(self):
        # reached through the patcher's getter, the singleton is still no
        # object of the test's own: the module refers to it
        def body(test):
            patcher = mock.patch.object(targets.SERVICE, 'ping')
            patcher.start()
            test.addCleanup(patcher.stop)
            targets.SERVICE.name = mock.Mock()
        self.assert_leak(body, 'mocktools.tests.targets.SERVICE.name',
                         'mock in global state (attribute of a module-level '
                         'object)')

    def test_a_mock_the_test_patches_and_stores_is_found(self):
        # the stopped patcher still refers to its target: one reference,
        # counted once, and the class attribute's is still unexplained
        def body(test):
            test.connection = mock.MagicMock()
            patcher = mock.patch.object(test.connection, 'invoke')
            patcher.start()
            test.addCleanup(patcher.stop)
            targets.Client.get = test.connection
        self.assert_leak(body, 'mocktools.tests.targets.Client.get',
                         'mock in global state (class attribute)')

    def test_an_object_patched_by_a_test_is_not_kept_alive(self):
        class Thing:
            pass

        things = []

        class Case(mocktools.TestCase):
            def test_patches_an_object(self):
                thing = Thing()
                things.append(weakref.ref(thing))
                self.mock_patch_object(thing, 'attribute', create=True)

        self.assert_passes(Case, 'test_patches_an_object')
        self.assertIsNone(things[0]())

    def test_mock_in_a_global_list_a_mock_also_holds_is_found(self):
        # the list is reached from the test's mock, but it is not the
        # test's own: the module refers to it too
        def body(test):
            test.api = mock.Mock()
            test.api.handlers = targets.HANDLERS
            targets.HANDLERS.append(mock.Mock())
        self.assert_leak(body, 'mocktools.tests.targets.HANDLERS[2]',
                         'mock in global state (item of a list in global '
                         'state)')

    def test_mock_in_a_global_dict_passed_to_a_mock_is_found(self):
        # the inner dict is only referred to by the outer one, which the
        # module holds: neither is the test's own
        def body(test):
            test.api = mock.Mock()
            test.api.register(targets.DRIVERS)
            targets.DRIVERS['volume']['fake'] = mock.Mock()
        self.assert_leak(body,
                         "mocktools.tests.targets.DRIVERS['volume']['fake']",
                         'mock in global state (entry of a dict in global '
                         'state)')

    def test_mock_passed_to_a_mock_and_stored_is_found(self):
        def body(test):
            test.api = mock.Mock()
            context = mock.Mock()
            test.api.create(context, items=[context])
            targets.Client.get = context
        self.assert_leak(body, 'mocktools.tests.targets.Client.get',
                         'mock in global state (class attribute)')

    def test_mock_in_a_list_the_test_keeps_and_passed_to_a_mock_found(self):
        # the list is both the test's own object and a recorded argument:
        # its reference to the mock must be counted once, not twice
        def body(test):
            test.api = mock.Mock()
            context = mock.Mock()
            test.items = [context]
            test.api.create(test.items)
            targets.Client.get = context
        self.assert_leak(body, 'mocktools.tests.targets.Client.get',
                         'mock in global state (class attribute)')

    def test_mock_reached_through_a_mocks_return_value_found(self):
        class Context:
            pass

        def body(test):
            context = Context()
            context.client = mock.Mock()
            test.request = mock.Mock(return_value=context)
            targets.Client.get = context.client
        self.assert_leak(body, 'mocktools.tests.targets.Client.get',
                         'mock in global state (class attribute)')

    def test_child_of_a_mock_stored_in_global_state_is_found(self):
        def body(test):
            test.client = mock.MagicMock()
            targets.generate_password = test.client.passwords.return_value
        self.assert_leak(body,
                         'mocktools.tests.targets.generate_password',
                         'mock in global state (module attribute)')

    def test_mock_on_a_singleton_the_test_also_keeps_is_found(self):
        # the test's own reference does not make the singleton its own
        def body(test):
            test.service = targets.SERVICE
            test.holder = [targets.SERVICE]
            test.service.name = mock.Mock()
        self.assert_leak(body, 'mocktools.tests.targets.SERVICE.name',
                         'mock in global state (attribute of a module-level '
                         'object)')

    def test_mock_held_by_what_global_state_shares_with_a_test_found(self):
        # the test keeps both dicts; the outer one is also in a global list,
        # so it is not the test's own, and then neither is the inner one
        # (the test's reference and the outer one's): the mock it holds
        # has escaped
        def body(test):
            test.inner = {'client': mock.Mock()}
            test.outer = {'inner': test.inner}
            targets.HANDLERS.append(test.outer)
        self.assert_leak(
            body, "mocktools.tests.targets.HANDLERS[2]['inner']['client']",
            'mock in global state (item of a list in global state, inside '
            'the dict put there)')

    def test_mock_given_to_a_patcher_and_stored_is_found(self):
        def body(test):
            kept = mock.MagicMock()
            patcher = mock.patch.object(targets, 'execute',
                                        return_value=kept)
            patcher.start()
            test.addCleanup(patcher.stop)
            targets.Client.get = kept
        self.assert_leak(body, 'mocktools.tests.targets.Client.get',
                         'mock in global state (class attribute)')

    def test_mocks_the_fixtures_gave_the_test_need_no_sweep(self):
        # pytest keeps a fixture's value (``return mocker.patch(...)``, a
        # MagicMock made for the test) in the test's funcargs until after
        # the check: the plugin hands that dict over as the test's own
        detector = detector_module.get_detector()
        settings = settings_module.LeakSettings.resolve()

        def sweeps(given):
            funcargs = {}
            scope = detector.begin_test(
                'pkg.tests.test_fixture_value', settings,
                fixtures=funcargs if given else None)
            funcargs['client'] = mock.MagicMock()
            funcargs['client'].get('/x')
            funcargs['nested'] = [mock.Mock()]
            before = detector.sweeps
            report = detector.end_test(scope, settings)
            self.assertFalse(report.reportable, report.format())
            return detector.sweeps - before

        for given in (False, True, False, True):
            # (the first runs may import lazily: what counts is the last)
            found = sweeps(given)
        self.assertEqual(0, found)
        self.assertEqual(1, sweeps(False))

    def test_a_fixture_value_does_not_hide_a_leak(self):
        detector = detector_module.get_detector()
        settings = settings_module.LeakSettings.resolve()
        self.addCleanup(setattr, targets, 'execute', targets.execute)
        funcargs = {}
        scope = detector.begin_test('pkg.tests.test_leaky_fixture_value',
                                    settings, fixtures=funcargs)
        funcargs['execute'] = targets.execute = mock.Mock()
        report = detector.end_test(scope, settings)
        self.assertThat(report.format(), matchers.Contains(
            'mocktools.tests.targets.execute'))
        self.assertIsNot(funcargs['execute'], targets.execute)

    def test_escaped_mock_is_swept_and_reported(self):
        def body(test):
            test.kept = mock.MagicMock()
            targets.Client.get = test.kept
        detector = detector_module.get_detector()
        before = detector.sweeps
        self.assert_leak(body, 'mocktools.tests.targets.Client.get',
                         'mock in global state (class attribute)')
        self.assertEqual(1, detector.sweeps - before)


class TestClassLevel(DetectorTestCase):

    def test_set_up_class_leak_fails_the_class(self):
        class Case(mocktools.TestCase):
            @classmethod
            def setUpClass(cls):
                super().setUpClass()
                mock.patch.object(targets, 'execute').start()

            def test_uses_it(self):
                pass

        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_uses_it'])
        errors = outcome.class_errors()
        self.assertThat(errors, matchers.Contains('after class'))
        self.assertThat(errors, matchers.Contains(
            'mocktools.tests.targets.execute'))

    def test_set_up_class_autospec_function_seen_by_a_test(self):
        # a test's sweep finds it first and leaves it to the class; the
        # class's end reports it as a test's check would have
        class Case(mocktools.TestCase):
            leak_scan = 'always'

            @classmethod
            def setUpClass(cls):
                super().setUpClass()
                targets.execute = mock.create_autospec(targets.execute)

            def test_sweeps(self):
                pass

        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_sweeps'])
        errors = outcome.class_errors()
        self.assertThat(errors, matchers.Contains(
            'create_autospec function in global state (module attribute)'))
        self.assertThat(errors, matchers.Contains(
            'mocktools.tests.targets.execute'))
        self.assertThat(errors, matchers.Contains(
            "fix:     mock.patch('mocktools.tests.targets.execute')"))
        self.assertIs(ORIGINALS['execute'], targets.execute)

    def test_set_up_class_with_class_cleanup_is_clean(self):
        class Case(mocktools.TestCase):
            @classmethod
            def setUpClass(cls):
                super().setUpClass()
                patcher = mock.patch.object(targets, 'execute')
                cls.execute = patcher.start()
                cls.addClassCleanup(patcher.stop)

            def test_uses_it(self):
                self.assertIs(self.execute, targets.execute)

        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_uses_it'])
        self.assertEqual('', outcome.class_errors())

    def test_set_up_class_tear_down_class_pair_is_clean(self):
        class Case(mocktools.TestCase):
            @classmethod
            def setUpClass(cls):
                super().setUpClass()
                cls.patcher = mock.patch.object(targets, 'execute')
                cls.patcher.start()
                targets.SERVICE.client = mock.Mock()

            @classmethod
            def tearDownClass(cls):
                cls.patcher.stop()
                del targets.SERVICE.client
                super().tearDownClass()

            def test_uses_it(self):
                pass

        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_uses_it'])
        self.assertEqual('', outcome.class_errors())


class PatchesExecuteForTheClass(mocktools.TestCase):
    """Base: setUpClass patches targets.execute until the class ends.

    Every test sweeps (``leak_scan = 'always'``) while it is patched.
    """

    leak_scan = 'always'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        patcher = mock.patch.object(targets, 'execute')
        patcher.start()
        cls.addClassCleanup(patcher.stop)


class TestSweepAndPatchers(DetectorTestCase):

    def test_class_level_patcher_is_not_a_sweep_finding(self):
        class Case(PatchesExecuteForTheClass):
            def test_sweeps_while_patched(self):
                pass

        detector = detector_module.get_detector()
        before = detector.sweeps
        outcome = self.assert_passes(Case, 'test_sweeps_while_patched')
        self.assertEqual('', outcome.class_errors())
        self.assertGreater(detector.sweeps, before)

    def test_healing_uses_what_the_last_patcher_put_back(self):
        class Sweeps(mocktools.TestCase):
            leak_scan = 'always'

            def test_sweeps(self):
                pass

        class Leaky(mocktools.TestCase):
            def test_leak(self):
                targets.execute = mock.Mock()

        patcher = mock.patch.object(targets, 'execute')
        patcher.start()
        support.run_case(Sweeps)    # sweeps while execute is patched
        patcher.stop()              # outside any test: only the hook knows
        outcome = support.run_case(Leaky)
        self.assertEqual('failure', outcome['Leaky.test_leak'])
        # healed to the real function, not to the patcher's mock
        self.assertIs(ORIGINALS['execute'], targets.execute)

    def test_dict_writes_wait_for_the_next_sweep_in_a_bounded_backlog(self):
        # A dict watcher records every write to a module's dict; the checks
        # leave the records to the next sweep, but a long unswept run of
        # tests that write must not pile them up without end.
        tracker = detector_module.get_detector()._global_sweep().tracker
        if tracker.method != 'dict watchers':
            self.skipTest('no dict watchers on this interpreter')
        self.addCleanup(setattr, targets, 'GREETING', targets.GREETING)
        limit = mocktools.guards.mocks._BACKLOG_LIMIT

        def writes(test):
            for count in range(100):
                targets.GREETING = 'hello %d' % count

        methods = {'test_%02d' % number: writes for number in range(30)}
        case = type('Writes', (mocktools.TestCase,), methods)
        detector = detector_module.get_detector()
        sweeps = detector.sweeps
        outcome = support.run_case(case)
        self.assertEqual({'success'}, set(outcome.status.values()))
        self.assertEqual(sweeps, detector.sweeps)
        # 3,000 writes, no sweep: taken in once more than the limit waited
        self.assertLessEqual(len(tracker.backlog), limit + 100)
        # what waited is still known to the sweep
        self.assertIn(vars(targets), [
            detector._sweep.containers[position].mapping
            for position in tracker.changed()])


class TestResync(DetectorTestCase):

    def test_heal_after_a_class_replaced_something_by_hand(self):
        class HandMadeFake(mocktools.TestCase):
            @classmethod
            def setUpClass(cls):
                super().setUpClass()
                targets.generate_password = lambda length=8: 'fake'

            @classmethod
            def tearDownClass(cls):
                targets.generate_password = ORIGINALS['generate_password']
                super().tearDownClass()

            def test_sweeps_while_faked(self):
                sys.modules['mocktools_tests_resync'] = types.ModuleType(
                    'mocktools_tests_resync')

        class Leaky(mocktools.TestCase):
            def test_leak(self):
                targets.generate_password = mock.Mock()

        self.addCleanup(sys.modules.pop, 'mocktools_tests_resync', None)
        outcome = support.run_case(HandMadeFake, Leaky)
        self.assertEqual('failure', outcome['Leaky.test_leak'])
        # healed to the real function, not to HandMadeFake's fake
        self.assertIs(ORIGINALS['generate_password'],
                      targets.generate_password)


class TestNoFalsePositives(DetectorTestCase):

    def assert_clean(self, case):
        outcome = support.run_case(case)
        for test_id, status in outcome.status.items():
            self.assertEqual('success', status, outcome.text(test_id))

    def test_correct_patterns(self):
        class Case(mocktools.TestCase):
            def setUp(self):
                super().setUp()
                patcher = mock.patch.object(targets, 'execute')
                self.addCleanup(patcher.stop)
                self.execute = patcher.start()

            @mock.patch.object(targets, 'generate_password')
            @mock.patch.object(targets.Client, 'get')
            def test_decorators(self, get, password):
                targets.Client().get('/')
                get.assert_called_once_with('/')

            @mock.patch.multiple(targets, generate_password=mock.DEFAULT)
            def test_multiple_decorator(self, generate_password):
                pass

            def test_context_managers(self):
                with mock.patch.object(targets, 'generate_password'):
                    pass
                with mock.patch.dict(os.environ, {'MOCKTOOLS_LEAK': '1'}):
                    pass
                with mock.patch.multiple(targets, generate_password=1):
                    pass

            def test_helpers(self):
                self.mock_patch_object(targets, 'generate_password')
                self.mock_patch('mocktools.tests.targets.Client.get')
                self.mock_patch_dict(sys.modules, {'fake_lib': mock.Mock()})
                self.mock_patch_multiple(targets.Client.Session,
                                         close=mock.DEFAULT)

            def test_stopall_cleanup(self):
                self.addCleanup(mock.patch.stopall)
                mock.patch.object(targets, 'generate_password').start()
                mock.patch.dict(os.environ, {'MOCKTOOLS_LEAK': '1'}).start()

            def test_mocks_held_by_test_or_locals(self):
                self.held = mock.MagicMock()
                local = mock.create_autospec(ORIGINALS['generate_password'])
                local(3)
                self.autospecced = mock.create_autospec(targets.Client)

            def test_module_level_fake_untouched(self):
                self.assertIsInstance(targets.MODULE_FAKE, mock.Mock)
                targets.MODULE_FAKE.do_something()

            def test_stop_before_cleanup(self):
                patcher = mock.patch.object(targets, 'generate_password')
                patcher.start()
                patcher.stop()

            def test_restored_by_hand(self):
                original = targets.generate_password
                targets.generate_password = mock.Mock()
                targets.generate_password = original

        self.assert_clean(Case)

    def test_patch_started_before_super_setup(self):
        class Case(mocktools.TestCase):
            def setUp(self):
                patcher = mock.patch.object(targets, 'execute')
                patcher.start()
                self.addCleanup(patcher.stop)
                super().setUp()

            def test_it(self):
                pass

        self.assert_clean(Case)


class TestOslotest(DetectorTestCase):
    """oslotest's stopall cleanup runs last; the check runs after it."""

    def _run(self, bases, **attributes):
        def test_left_to_stopall(self):
            mock.patch.object(targets, 'execute').start()

        def test_assign(self):
            targets.generate_password = mock.Mock()

        def test_clean(self):
            patcher = mock.patch.object(targets, 'execute')
            patcher.start()
            self.addCleanup(patcher.stop)

        attributes.update(test_left_to_stopall=test_left_to_stopall,
                          test_assign=test_assign, test_clean=test_clean)
        return support.run_case(type('Leaky', bases, attributes))

    def _check(self, bases):
        outcome = self._run(bases)
        # stopall undoes the patcher: nothing survives the test
        self.assertEqual('success', outcome['test_left_to_stopall'],
                         outcome.text('test_left_to_stopall'))
        self.assertEqual('success', outcome['test_clean'])
        # stopall does not undo an assignment
        self.assertEqual('failure', outcome['test_assign'])
        self.assertThat(outcome.text('test_assign'), matchers.Contains(
            'mocktools.tests.targets.generate_password\n'
            '      kind:    mock in global state (module attribute)'))
        self.assertThat(outcome.text('test_assign'), matchers.Contains(
            'by:      mocktools.tests.test_detector.Leaky.test_assign'))

        outcome = self._run(bases, leak_require_stop=True)
        self.assertEqual('failure', outcome['test_left_to_stopall'])
        self.assertThat(outcome.text('test_left_to_stopall'),
                        matchers.Contains(
            'mocktools.tests.targets.execute\n'
            '      kind:    patcher left to mock.patch.stopall '
            '(patch/patch.object)'))
        self.assertThat(outcome.text('test_left_to_stopall'),
                        matchers.Contains(
            'healed:  stopped by mock.patch.stopall'))
        self.assertEqual('success', outcome['test_clean'])

    def test_mocktools_first(self):
        self._check((mocktools.TestCase, oslotest_base.BaseTestCase))

    def test_oslotest_first(self):
        self._check((oslotest_base.BaseTestCase, mocktools.TestCase))

    def test_require_stop_from_environment(self):
        self.useFixture(support.KnobEnvironment(MOCKTOOLS_REQUIRE_STOP='1'))
        outcome = self._run((oslotest_base.BaseTestCase, mocktools.TestCase))
        self.assertEqual('failure', outcome['test_left_to_stopall'])


class TestDoesNotDisturb(DetectorTestCase):

    def test_a_frames_locals_are_not_kept_alive(self):
        # Finding where a mock was made must not read the locals of the
        # frames it walks: on Python 3.10-3.12, ``frame.f_locals`` stores a
        # snapshot in the frame that keeps every local alive until the
        # function returns, so ``del m`` would no longer free the mock.
        dropped = {}

        class Case(mocktools.TestCase):
            def _make_and_drop(self):
                made = mock.Mock()
                ref = weakref.ref(made)
                self.other = mock.Mock()   # its origin is looked for here
                del made
                gc.collect()
                return ref() is None

            def test_helper(self):
                dropped['checked helper'] = self._make_and_drop()

        class Unchecked(testtools.TestCase):
            def test_unchecked(self):
                made = mock.MagicMock()
                ref = weakref.ref(made)
                self.other = mock.MagicMock()
                del made
                gc.collect()
                dropped['unchecked test'] = ref() is None

        self.assert_passes(Case, 'test_helper')
        # an unchecked test, with mocktools' hooks installed
        result = testtools.TestResult()
        Unchecked('test_unchecked').run(result)
        self.assertTrue(result.wasSuccessful(), result.errors)
        self.assertEqual({'checked helper': True, 'unchecked test': True},
                         dropped)

    def test_lazy_and_hostile_modules_are_not_touched(self):
        calls = []
        lazy = types.ModuleType('mocktools_lazy_module')

        def module_getattr(name):
            calls.append(name)
            raise AttributeError(name)
        lazy.__getattr__ = module_getattr

        class Hostile(types.ModuleType):
            def __getattribute__(self, name):
                calls.append(name)
                raise RuntimeError('touched %s' % name)

        hostile = Hostile('mocktools_hostile_module')
        self.useFixture(fixtures.MonkeyPatch(
            'sys.modules', dict(sys.modules, mocktools_lazy_module=lazy,
                                mocktools_hostile_module=hostile)))
        spooky_before = type(targets.SPOOKY).touched

        def body(test):
            # Creates a mock outside a patcher: the sweep runs.
            targets.execute = mock.Mock()

        self.assert_leak(body, 'mocktools.tests.targets.execute',
                         'mock in global state (module attribute)',
                         leak_scan='always')
        self.assertEqual([], calls)
        self.assertEqual(spooky_before, type(targets.SPOOKY).touched)

    def test_swept_functions_get_no_dict_of_their_own(self):
        module = types.ModuleType('mocktools_plain_functions')
        exec('def plain(x):\n    return x\n\n\n'
             'class Holder:\n    def method(self):\n        return 1\n',
             vars(module))
        functions = [module.plain, vars(module.Holder)['method']]

        has_own_dict = support.has_own_dict
        probe = types.FunctionType(module.plain.__code__, vars(module))
        probe.marked = True
        self.assertTrue(has_own_dict(probe))   # the check can tell
        self.assertEqual([False, False], list(map(has_own_dict, functions)))
        self.useFixture(fixtures.MonkeyPatch(
            'sys.modules', dict(sys.modules,
                                mocktools_plain_functions=module)))

        def body(test):
            # an autospec function is still found: its mock is read
            targets.execute = mock.create_autospec(targets.execute)
        self.assert_leak(
            body, 'mocktools.tests.targets.execute',
            'create_autospec function in global state (module attribute)',
            leak_scan='always')
        self.assertEqual([False, False], list(map(has_own_dict, functions)))

    def test_mock_with_spec_class_property_not_read(self):
        def body(test):
            # A spec'd mock answers __class__ with the spec; the detector
            # must still see a mock, by type().
            targets.execute = mock.Mock(spec=targets.Service)
        self.assert_leak(body, 'mocktools.tests.targets.execute',
                         'mock in global state (module attribute)')


class TestKnobs(DetectorTestCase):

    def _leak(self, test):
        mock.patch.object(targets, 'execute').start()

    def test_warn_mode(self):
        case = leaking(self._leak, leak_mode='warn')
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            outcome = support.run_case(case)
        self.assertEqual('success', outcome['test_leak'])
        self.assertEqual('success', outcome['test_next'])
        messages = [str(w.message) for w in caught
                    if issubclass(w.category, mocktools.LeakWarning)]
        self.assertEqual(1, len(messages))
        self.assertIn('mocktools.tests.targets.execute', messages[0])

    def test_off_mode(self):
        case = leaking(self._leak, leak_mode='off')
        outcome = support.run_case(case, names=['test_leak'])
        self.assertEqual('success', outcome['test_leak'])
        self.assertFalse(world_is_clean())
        mock.patch.stopall()

    def test_environment_overrides_class(self):
        self.useFixture(support.KnobEnvironment(MOCKTOOLS_LEAK_MODE='fail'))
        case = leaking(self._leak, leak_mode='off')
        outcome = support.run_case(case)
        self.assertEqual('failure', outcome['test_leak'])

    def test_bad_mode_names_the_knob(self):
        self.addCleanup(settings_module.reload_environment)
        self.useFixture(fixtures.EnvironmentVariable(
            'MOCKTOOLS_LEAK_MODE', 'loud'))
        error = self.assertRaises(mocktools.SettingsError,
                                  settings_module.reload_environment)
        self.assertEqual("MOCKTOOLS_LEAK_MODE='loud': expected one of "
                         "fail, warn, off", str(error))
        # the same error from every later use, never a silent default
        error = self.assertRaises(mocktools.SettingsError,
                                  mocktools.LeakSettings.resolve)
        self.assertIn("MOCKTOOLS_LEAK_MODE='loud'", str(error))
        outcome = support.run_case(leaking(self._leak))
        self.assertThat(outcome.class_errors(), matchers.Contains(
            "MOCKTOOLS_LEAK_MODE='loud': expected one of fail, warn, off"))
        self.assertNotIn('success', outcome.status.values())
        self.assertRaises(mocktools.SettingsError, mocktools.LeakSettings,
                          scan='sometimes')
        mock.patch.stopall()

    def test_environment_is_read_once(self):
        self.useFixture(support.KnobEnvironment(MOCKTOOLS_LEAK_MODE='fail'))

        def body(test):
            # a test that rewrites the environment changes no knob
            os.environ['MOCKTOOLS_LEAK_MODE'] = 'off'
            test.addCleanup(os.environ.__setitem__, 'MOCKTOOLS_LEAK_MODE',
                            'fail')
            targets.execute = mock.Mock()

        def cleared(test):
            mock.patch.dict(os.environ, clear=True).start()
            test.addCleanup(mock.patch.stopall)
            targets.execute = mock.Mock()

        def replaced(test):
            test.useFixture(fixtures.MonkeyPatch('os.environ',
                                                 mock.MagicMock()))
            targets.execute = mock.Mock()

        for body_ in (body, cleared, replaced):
            outcome = support.run_case(leaking(body_, leak_mode='off'),
                                       names=['test_leak'])
            self.assertEqual('failure', outcome['test_leak'],
                             body_.__name__)
            self.assertIs(ORIGINALS['execute'], targets.execute)

    def test_fail_fast_skips_rest_of_class(self):
        class Case(mocktools.TestCase):
            leak_fail_fast = True

            def test_a_leaks(self):
                mock.patch.object(targets, 'execute').start()

            def test_b(self):
                pass

        outcome = support.run_case(Case)
        self.assertEqual('failure', outcome['test_a_leaks'])
        self.assertEqual('skip', outcome['test_b'])
        self.assertThat(outcome.text('test_b'), matchers.Contains(
            'skipped after'))

    def test_fail_fast_from_environment(self):
        self.useFixture(support.KnobEnvironment(MOCKTOOLS_FAIL_FAST='1'))

        class Case(mocktools.TestCase):
            def test_a_leaks(self):
                targets.execute = mock.Mock()

            def test_b(self):
                pass

        outcome = support.run_case(Case)
        self.assertEqual('skip', outcome['test_b'])

    def test_allow_list_class_attribute(self):
        def body(test):
            mock.patch.object(targets, 'execute').start()
            targets.generate_password = mock.Mock()
        case = leaking(body, leak_allow=['mocktools.tests.targets.*'])
        outcome = support.run_case(case, names=['test_leak'])
        self.assertEqual('success', outcome['test_leak'],
                         outcome.text('test_leak'))
        mock.patch.stopall()
        targets.generate_password = ORIGINALS['generate_password']

    def test_allow_list_environment(self):
        self.useFixture(support.KnobEnvironment(
            MOCKTOOLS_ALLOW="os.environ, sys.modules['fake_*']"))

        def body(test):
            mock.patch.dict(os.environ, {'MOCKTOOLS_LEAK': '1'}).start()
            sys.modules['fake_lib'] = mock.Mock()
            targets.execute = mock.Mock()
        outcome = support.run_case(leaking(body), names=['test_leak'])
        text = outcome.text('test_leak')
        self.assertThat(text, matchers.Contains('1 dangling mock '))
        self.assertThat(text, matchers.Contains(
            'mocktools.tests.targets.execute'))
        mock.patch.stopall()
        del sys.modules['fake_lib']

    def test_scan_class_reports_at_class_end_naming_the_test(self):
        class Case(mocktools.TestCase):
            leak_scan = 'class'

            def test_a_assigns(self):
                targets.execute = mock.Mock()

            def test_b(self):
                pass

        # made outside any check and kept: the checks look for it, and
        # still leave test_a's mock to the class
        self.kept = mock.Mock()
        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_a_assigns'])
        self.assertEqual('success', outcome['test_b'])
        self.assert_class_blames(outcome, 'execute', Case('test_a_assigns'))

    def test_scan_class_defers_the_sweep_an_import_asks_for(self):
        class Case(mocktools.TestCase):
            leak_scan = 'class'

            def test_a_assigns(self):
                targets.execute = mock.Mock()

            def test_b_imports(self):
                sys.modules[PROBE] = types.ModuleType(PROBE)

        self.addCleanup(sys.modules.pop, PROBE, None)
        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_a_assigns'])
        self.assertEqual('success', outcome['test_b_imports'],
                         outcome.text('test_b_imports'))
        # found at the class end, not by test_b's check as someone else's
        self.assert_class_blames(outcome, 'execute', Case('test_a_assigns'))

    def test_a_module_removed_by_hand_is_not_an_import(self):
        detector = detector_module.get_detector()
        sys.modules[PROBE] = types.ModuleType(PROBE)
        detector.resync()
        del sys.modules[PROBE]
        detector.resync()
        sweeps = detector.sweeps

        class Case(mocktools.TestCase):
            def test_nothing(self):
                pass

        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_nothing'])
        self.assertEqual(sweeps, detector.sweeps)

    def test_scan_off_checks_patchers_only(self):
        def body(test):
            mock.patch.object(targets, 'execute').start()
            targets.generate_password = mock.Mock()
        outcome = support.run_case(leaking(body, leak_scan='off'),
                                   names=['test_leak'])
        text = outcome.text('test_leak')
        self.assertThat(text, matchers.Contains('1 dangling mock '))
        targets.generate_password = ORIGINALS['generate_password']


class TestInternalErrors(DetectorTestCase):

    def test_detector_error_keeps_the_test_result(self):
        def broken(*args, **kwargs):
            raise RuntimeError('detector exploded')
        detector = detector_module.get_detector()
        self.useFixture(fixtures.MockPatchObject(
            detector.mocks, '_should_sweep', broken))

        class Case(mocktools.TestCase):
            def test_passes(self):
                pass

            def test_fails(self):
                self.fail('own failure')

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_passes'])
        self.assertEqual('failure', outcome['test_fails'])
        self.assertThat(outcome.text('test_fails'),
                        matchers.Contains('own failure'))
        self.assertThat(outcome.text('test_passes'),
                        matchers.Contains('detector exploded'))
        self.assertTrue(any(
            issubclass(w.category, mocktools.DetectorErrorWarning)
            for w in caught))

    def test_an_escape_check_error_loses_no_leak(self):
        # the check that decides whether to sweep fails: the leaked
        # patcher is still reported and the sweep still runs
        def broken(*args, **kwargs):
            raise RuntimeError('escape check exploded')
        self.useFixture(fixtures.MonkeyPatch(
            'mocktools.engine.escape._unexplained', broken))

        def body(test):
            mock.patch.object(targets, 'generate_password').start()
            targets.GREETING = mock.Mock()

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            outcome = support.run_case(leaking(body))
        self.assertEqual('failure', outcome['test_leak'])
        self.assertEqual('success', outcome['test_next'])
        text = outcome.text('test_leak')
        self.assertThat(text, matchers.Contains('escape check exploded'))
        self.assertThat(text, matchers.Contains(
            'mocktools.tests.targets.generate_password'))
        self.assertThat(text, matchers.Contains(
            'mocktools.tests.targets.GREETING'))
        self.assertTrue(any(
            issubclass(w.category, mocktools.DetectorErrorWarning)
            for w in caught))


# A module-level fake in a test module: must never be reported.
MODULE_LEVEL_HELPER_FAKE = mock.Mock()


class TestRearrangedMockLibrary(DetectorTestCase):
    """oslotest's mock_fixture and other replacements of mock's classes."""

    def test_patch_subclass_put_in_place_after_the_hooks(self):
        self.useFixture(fixtures.MonkeyPatch('unittest.mock._patch',
                                             mock_fixture._patch))

        def body(test):
            mock.patch.object(targets, 'execute').start()
        outcome = support.run_case(leaking(body))
        self.assertEqual('failure', outcome['test_leak'])
        text = outcome.text('test_leak')
        self.assertThat(text, matchers.Contains(
            'mocktools.tests.targets.execute\n'
            '      kind:    active patcher (patch/patch.object)'))
        # the origin is the test's line, not oslotest's __enter__
        self.assertThat(text, matchers.Contains(
            'created: mocktools/tests/test_detector.py:'))
        self.assertNotIn('mock_fixture.py', text)
        self.assertEqual('success', outcome['test_next'])

    def test_hooks_go_on_the_class_that_defines_the_method(self):
        class PatchWithoutExit(mock._patch):
            def __enter__(self):
                return super().__enter__()

        def wrapper(original):
            raise AssertionError('hooked twice')
        # already hooked on mock._patch itself: nothing to do, no KeyError
        instrumentation._hook(PatchWithoutExit, '__exit__', wrapper)
        self.assertNotIn('__exit__', PatchWithoutExit.__dict__)
        self.assertEqual(mock._patch, instrumentation._defining_class(
            PatchWithoutExit, '__exit__'))

    def test_mock_subclass_origin_is_the_test(self):
        self.useFixture(mock_fixture.MockAutospecFixture())

        def body(test):
            targets.execute = mock.Mock()
        outcome = support.run_case(leaking(body), names=['test_leak'])
        text = outcome.text('test_leak')
        self.assertThat(text, matchers.Contains(
            'created: mocktools/tests/test_detector.py:'))
        self.assertNotIn('mock_fixture.py', text)


class TestMockHook(DetectorTestCase):
    """The hook on a mock's ``__init__`` passes everything on unchanged."""

    def _hook(self):
        hook = vars(mock.NonCallableMock)['__init__']
        self.assertIsNotNone(getattr(hook, '__mocktools_hook__', None))
        return hook

    def test_the_hook_takes_the_parameters_of_the_init_it_wraps(self):
        # so that making a mock packs no *args and **kwargs on the way
        hook = self._hook()
        original = hook.__mocktools_hook__
        self.assertEqual(
            original.__code__.co_varnames[:original.__code__.co_argcount],
            hook.__code__.co_varnames[:hook.__code__.co_argcount])
        self.assertEqual(original.__defaults__, hook.__defaults__)
        self.assertEqual(inspect.signature(original),
                         inspect.signature(mock.NonCallableMock.__init__))

    def test_arguments_reach_the_mock_as_given(self):
        made = mock.Mock(targets.Client, name='named', **{
            'get.return_value': 3})
        self.assertEqual(3, made.get('/'))
        self.assertIn("name='named'", repr(made))
        self.assertRaises(AttributeError, getattr, made, 'no_such_thing')
        child = mock.Mock(parent=made, _new_name='child')
        self.assertIsNone(instrumentation.origin_of(child))
        self.assertIsNotNone(instrumentation.origin_of(made))
        with testtools.ExpectedException(AttributeError, '.*nope'):
            mock.NonCallableMock(spec_set=targets.Client, nope=1)

    def test_a_traceback_through_the_hook_shows_its_line(self):
        error = self.assertRaises(AttributeError, mock.Mock,
                                  spec_set=targets.Client, nope=1)
        frames = traceback.extract_tb(error.__traceback__)
        hook = [frame for frame in frames
                if frame.name == '__init__' and 'mocktools' in frame.filename]
        self.assertEqual(1, len(hook), frames)
        self.assertThat(hook[0].line, matchers.StartsWith('original(self, '))

    def test_an_init_of_another_shape_gets_the_generic_hook(self):
        class Made:
            def __init__(self, parent=None, *args, **kwargs):
                self.__dict__['_mock_parent'] = parent
                self.given = (args, kwargs)

        original = Made.__init__
        self.assertIsNone(instrumentation._exact_mock_init(original))
        Made.__init__ = instrumentation._wrap_mock_init(original)
        self.assertIs(original, Made.__init__.__mocktools_hook__)
        free, child = Made(None, 1, key=2), Made(object())
        self.assertEqual(((1,), {'key': 2}), free.given)
        origin = instrumentation.origin_of(free)
        self.assertEqual(
            (__file__, 'test_an_init_of_another_shape_gets_the_generic_hook'),
            (origin.filename, origin.function))
        self.assertIsNone(instrumentation.origin_of(child))


class TestHealedPatchersStayUsable(DetectorTestCase):
    """After a heal, the owner's own stop()/__exit__ is a harmless no-op."""

    def test_the_healed_table_forgets_what_dies_and_what_is_taken(self):
        class Patcher:
            pass
        patcher, unreferenceable = Patcher(), object()
        for healed in (patcher, unreferenceable):
            instrumentation.mark_healed(healed)
        self.assertTrue(instrumentation.take_healed(unreferenceable))
        self.assertFalse(instrumentation.take_healed(unreferenceable))
        key = id(patcher)
        self.assertIn(key, instrumentation._healed)
        del patcher
        gc.collect()
        self.assertNotIn(key, instrumentation._healed)

    def test_context_manager_exited_after_heal(self):
        entered = []

        def body(test):
            patcher = mock.patch.object(targets, 'execute')
            patcher.__enter__()
            entered.append(patcher)
        outcome = support.run_case(leaking(body), names=['test_leak'])
        self.assertEqual('failure', outcome['test_leak'])
        self.assertIs(ORIGINALS['execute'], targets.execute)
        self.assertFalse(entered[0].__exit__(None, None, None))
        self.assertIs(ORIGINALS['execute'], targets.execute)
        # and the same patcher works again afterwards
        with entered[0]:
            self.assertIsNot(ORIGINALS['execute'], targets.execute)
        self.assertIs(ORIGINALS['execute'], targets.execute)

    def test_patch_dict_stopped_after_heal(self):
        started = []

        def body(test):
            patcher = mock.patch.dict(os.environ, {'MOCKTOOLS_LEAK': '1'})
            patcher.start()
            started.append(patcher)
        outcome = support.run_case(leaking(body), names=['test_leak'])
        self.assertEqual('failure', outcome['test_leak'])
        self.assertNotIn('MOCKTOOLS_LEAK', os.environ)
        os.environ['MOCKTOOLS_AFTER'] = 'kept'
        self.addCleanup(os.environ.pop, 'MOCKTOOLS_AFTER', None)
        self.assertNotIn(started[0], mock._patch._active_patches)
        started[0].stop()
        # not restored a second time over what changed since
        self.assertEqual('kept', os.environ.get('MOCKTOOLS_AFTER'))


def _mock_behaviour(test=None):
    """What a fresh mock, a MagicMock and a patcher's mock do, in words.

    Run inside a checked test and outside any: the answers must match.
    """
    if test is not None:
        # a deep copy that reaches the test would choke on this
        test.handle = open(os.devnull)
        test.addCleanup(test.handle.close)
    made = [mock.Mock(name='free'), mock.MagicMock(spec=targets.Client)]
    patcher = mock.patch.object(targets, 'execute')
    made.append(patcher.start())
    try:
        answers = []
        for item in made:
            state = {}
            for name, action in (
                    ('copy', copy.copy), ('deepcopy', copy.deepcopy),
                    ('pickle', pickle.dumps),
                    ('deepcopy-holder', lambda m: copy.deepcopy({'m': [m]})),
                    ('vars', lambda m: sorted(vars(m))),
                    ('dir', dir),
                    ('repr', lambda m: repr(m).split(' id=')[0]),
                    ('equal', lambda m: (m == m, m == mock.Mock()))):
                try:
                    result = action(item)
                except Exception as exc:
                    state[name] = 'raises %s' % type(exc).__name__
                else:
                    state[name] = (result if name in ('vars', 'dir', 'repr',
                                                      'equal')
                                   else type(result).__name__)
            answers.append(state)
        return answers
    finally:
        patcher.stop()


class TestMocksStayPlainMocks(DetectorTestCase):
    """A mock made under the check is exactly a mock made without it."""

    def test_same_behaviour_checked_and_unchecked(self):
        plain = _mock_behaviour()
        seen = []

        class Case(mocktools.TestCase):
            def test_makes_mocks(self):
                seen.append(_mock_behaviour(self))

        self.assert_passes(Case, 'test_makes_mocks')
        self.assertEqual(plain, seen[0])
        self.assertEqual('dict', seen[0][0]['deepcopy-holder'])

    def test_same_behaviour_hooked_and_unhooked(self):
        # copying asks the mock how to rebuild it (see the copy hook):
        # copies, deep copies and pickling come out as without any hook
        hooked = _mock_behaviour()
        instrumentation.uninstall()
        try:
            self.assertNotIn('__reduce_ex__', vars(mock.NonCallableMock))
            unhooked = _mock_behaviour()
        finally:
            instrumentation.install()
        self.assertEqual(unhooked, hooked)
        self.assertEqual(['Mock', 'MagicMock', 'MagicMock'],
                         [answers['deepcopy'] for answers in hooked])

    def test_nothing_of_mocktools_in_the_mock(self):
        kept = []

        class Case(mocktools.TestCase):
            def test_makes_a_mock(self):
                kept.append(mock.Mock())

        support.run_case(Case)
        self.assertEqual([], [name for name in vars(kept[0])
                              if 'mocktools' in name])

    def _patched_test(self):
        """(test, patcher) of a checked test that patched in a plain value.

        No mock is made: a mock that outlived its test would have the
        escape check read the test's and the patcher's namespaces, on
        purpose.
        """
        kept = []

        class Case(mocktools.TestCase):
            def test_patches(self):
                patcher = mock.patch.object(targets, 'execute', new=1)
                patcher.start()
                self.addCleanup(patcher.stop)
                kept.append((self, patcher))

        self.assert_passes(Case, 'test_patches')
        return kept[0]

    # CPython keeps an instance's attributes inline until something reads
    # its __dict__; the hooks and the check must not, or every later
    # attribute read of the object -- by the library's and the runner's own
    # code too -- is slower
    @support.INLINE_VISIBLE
    def test_a_patcher_keeps_its_attributes_inline(self):
        _, patcher = self._patched_test()
        self.assertEqual([], support.namespaces_built(patcher, 'attribute'))

    @support.INLINE_VISIBLE
    def test_a_checked_test_keeps_its_attributes_inline(self):
        test, _ = self._patched_test()
        self.assertEqual([], support.namespaces_built(test, '_testMethodName'))

    def test_a_finished_test_is_not_kept_alive(self):
        kept, tests = [], []

        class Case(mocktools.TestCase):
            def test_keeps_mocks_beyond_itself(self):
                tests.append(weakref.ref(self))
                self.useFixture(fixtures.TempDir())
                free = mock.MagicMock()
                with mock.patch.object(targets, 'execute') as patched:
                    kept.extend([free, patched, free.child])

        outcome = support.run_case(Case)
        self.assertEqual('success',
                         outcome['test_keeps_mocks_beyond_itself'])
        del outcome
        gc.collect()
        self.assertEqual(3, len(kept))     # the mocks live on ...
        self.assertIsNone(tests[0]())      # ... the test they came from not

    def test_a_suite_a_module_holds_does_not_keep_its_tests_alive(self):
        # a script's ``suite = loader.discover(...)``: the sweep watched it
        # as a module-level object, and its copy of the suite's list of
        # tests kept every test the suite had run and dropped.  In a fresh
        # process: the script's module is the one the sweep finds.
        script = textwrap.dedent('''
            import gc, unittest, weakref
            from unittest import mock
            import mocktools

            refs = []

            class Case(mocktools.TestCase):
                def test_a(self):
                    refs.append(weakref.ref(self))
                    self.client = mock.MagicMock()

                def test_b(self):
                    pass

            suite = unittest.TestSuite([Case('test_a'), Case('test_b')])
            result = unittest.TestResult()
            suite.run(result)
            gc.collect()
            print(result.wasSuccessful(), [ref() is None for ref in refs])
            ''')
        process = support.run_python(script)
        self.assertEqual(0, process.returncode, process.stdout)
        self.assertEqual('True [True]', process.stdout.strip())

    def test_frames_read_for_a_side_effects_exception_are_let_go(self):
        # the check reads the frames the raised exception keeps; once the
        # check is done only the test's own cycle holds them
        tests, walked = [], []

        class Case(mocktools.TestCase):
            def test_raises(self):
                tests.append(weakref.ref(self))
                self.client = mock.Mock(side_effect=ValueError('down'))
                self.assertRaises(ValueError, self.client, 'volumes')
                # a second reference keeps the escape check walking
                walked.append(self.client)

        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_raises'], outcome.text(
            'test_raises'))
        del outcome
        walked.clear()
        gc.collect()
        self.assertIsNone(tests[0]())

    def test_a_class_made_in_the_test_does_not_keep_it_alive(self):
        tests = []

        class Case(mocktools.TestCase):
            def test_keeps_a_fake_of_its_own(self):
                test = self

                class Fake:
                    def owner(self):
                        return test
                self.fake = Fake()
                # only the fake refers to this mock: the check reads it
                self.fake.client = mock.Mock()
                tests.append(weakref.ref(self))

        outcome = support.run_case(Case)
        self.assertEqual('success', outcome['test_keeps_a_fake_of_its_own'])
        del outcome
        gc.collect()
        self.assertIsNone(tests[0]())

    def test_oslotest_autospec_mocks_are_not_kept_alive(self):
        # In a fresh process, so that the first mocks the check ever reads
        # are oslotest's autospec ones (whose mixin class gives them a
        # __dict__ slot of their own): their per-instance classes were
        # once cached, keeping each mock -- and the test its calls
        # recorded -- alive.
        script = textwrap.dedent('''
            import gc, unittest, weakref
            from unittest import mock
            from oslotest import mock_fixture
            import mocktools

            refs = []

            class Case(mocktools.TestCase):
                def setUp(self):
                    super().setUp()
                    self.useFixture(mock_fixture.MockAutospecFixture())

                def test_uses_mocks(self):
                    made = mock.MagicMock()
                    made(self)
                    refs.extend([weakref.ref(self), weakref.ref(made)])

            result = unittest.TestResult()
            unittest.TestSuite([Case('test_uses_mocks')]).run(result)
            gc.collect()
            print(result.wasSuccessful(), [ref() is None for ref in refs])
            ''')
        process = support.run_python(script)
        self.assertEqual(0, process.returncode, process.stdout)
        self.assertEqual('True [True, True]', process.stdout.strip())


class TestUncheckedCode(DetectorTestCase):
    """What unchecked tests or imports left is not the finder's leak."""

    def test_unchecked_test_named_with_its_real_origin(self):
        class Unchecked(unittest.TestCase):
            def test_assigns_a_mock(self):
                targets.generate_password = mock.MagicMock()   # never undone

        class Checked(mocktools.TestCase):
            def test_innocent(self):
                mock.Mock()          # a mock of its own, kept local

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            outcome = support.run_case(Unchecked, Checked)
        self.assertEqual('success', outcome['test_innocent'])
        text = outcome.text('test_innocent')
        self.assertThat(text, matchers.Contains(
            'left by code outside test %s' % Checked('test_innocent').id()))
        self.assertThat(text, matchers.Contains(
            'by:      unchecked test %s' % (
                Unchecked('test_assigns_a_mock').id())))
        self.assertThat(text, matchers.MatchesRegex(
            r'.*created: \S*%s:\d+ in test_assigns_a_mock' % HERE,
            re.DOTALL))
        self.assertNotIn('unknown', text)
        self.assertIn('generate_password',
                      ''.join(str(w.message) for w in caught))
        self.assertTrue(world_is_clean())

    def leaking_module(self, name):
        """Put module ``name`` (leaks a mock when imported) on sys.path."""
        directory = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(directory, name + '.py'), 'w') as handle:
            handle.write('from unittest import mock\n'
                         'from mocktools.tests import targets\n'
                         'targets.generate_password = mock.Mock()\n')
        self.useFixture(fixtures.MonkeyPatch('sys.path',
                                             [directory] + sys.path))
        self.addCleanup(sys.modules.pop, name, None)

    def test_mock_assigned_at_import_time(self):
        self.leaking_module('leaks_at_import')

        class Checked(mocktools.TestCase):
            def test_innocent(self):
                pass

        __import__('leaks_at_import')     # as a runner's discovery does
        outcome = support.run_case(Checked)
        self.assertEqual('success', outcome['test_innocent'])
        text = outcome.text('test_innocent')
        self.assertThat(text, matchers.Contains(
            'by:      a module import, during unchecked test %s' % self.id()))
        self.assertThat(text, matchers.Contains(
            'leaks_at_import.py:3 in <module>'))
        self.assertTrue(world_is_clean())

    def test_import_inside_a_checked_test_blames_the_import(self):
        # whichever test imports the module first runs its top-level code:
        # blaming that test would make the failure depend on test order
        self.leaking_module('leaks_when_imported')

        class Checked(mocktools.TestCase):
            def test_imports(self):
                __import__('leaks_when_imported')

        outcome = support.run_case(Checked)
        self.assertEqual('success', outcome['test_imports'])
        text = outcome.text('test_imports')
        self.assertThat(text, matchers.Contains(
            'by:      a module import, during test %s' % (
                Checked('test_imports').id())))
        self.assertThat(text, matchers.Contains(
            'leaks_when_imported.py:3 in <module>'))
        self.assertTrue(world_is_clean())
