"""The MTL flake8 checks: positive and negative examples for every code."""

import ast
import textwrap

import testtools

from mocktools import lint

HEADER = '''
import sys
from unittest import mock
from unittest.mock import patch

import testtools

from myproj import utils
from myproj.api import Client
'''


def findings(body, filename='myproj/tests/test_x.py'):
    source = HEADER + textwrap.dedent(body)
    tree = ast.parse(source)
    return sorted((line - HEADER.count('\n'), message.split()[0])
                  for line, _, message, _ in
                  lint.MockLeakChecker(tree, filename).run())


class TestMTL001(testtools.TestCase):

    def test_setup_patcher_started_in_test_never_stopped(self):
        self.assertEqual([(8, 'MTL001')], findings('''
            class T(testtools.TestCase):
                def setUp(self):
                    super().setUp()
                    self.p = mock.patch.object(utils, 'execute')

                def test_x(self):
                    self.p.start()
            '''))

    def test_local_and_anonymous(self):
        self.assertEqual([(4, 'MTL001'), (5, 'MTL001')], findings('''
            def test_x(self):
                p = patch('myproj.utils.x')
                p.start()
                mock.patch.dict('os.environ', {'A': '1'}).start()
            '''))

    def test_trove_setup_pattern_is_fine(self):
        self.assertEqual([], findings('''
            class T(testtools.TestCase):
                def setUp(self):
                    super().setUp()
                    self.exe_timeout_patch = patch.object(
                        utils, 'execute_with_timeout')
                    self.addCleanup(self.exe_timeout_patch.stop)

                def test_case(self):
                    mock_exe_timeout = self.exe_timeout_patch.start()
            '''))

    def test_cleanup_before_or_after_start_and_class_cleanup(self):
        self.assertEqual([], findings('''
            class T(testtools.TestCase):
                @classmethod
                def setUpClass(cls):
                    cls.p = mock.patch('a.b')
                    cls.p.start()
                    cls.addClassCleanup(cls.p.stop)

                def test_before(self):
                    p = patch('a.b')
                    self.addCleanup(p.stop)
                    p.start()

                def test_after(self):
                    p = patch('a.b')
                    p.start()
                    self.addCleanup(p.stop)

                def test_stop_in_body(self):
                    p = patch.multiple(utils, a=1)
                    p.start()
                    p.stop()
            '''))

    def test_stopped_in_teardown(self):
        self.assertEqual([], findings('''
            class T(testtools.TestCase):
                def setUp(self):
                    super().setUp()
                    self.p = patch('a.b')
                    self.p.start()

                def tearDown(self):
                    self.p.stop()
                    super().tearDown()
            '''))

    def test_decorator_and_context_manager(self):
        self.assertEqual([], findings('''
            class T(testtools.TestCase):
                @mock.patch.object(utils, 'execute')
                @patch.multiple(utils, a=mock.DEFAULT)
                def test_decorated(self, a, execute):
                    pass

                def test_with(self):
                    with patch.object(utils, 'gen') as pwd:
                        pass
                    with mock.patch.multiple(utils, a=1) as mocks:
                        pass
            '''))

    def test_patcher_handed_elsewhere_is_trusted(self):
        self.assertEqual([], findings('''
            def test_x(self):
                p = patch('a.b')
                self.patchers.append(p)
                p.start()

            def make_patcher():
                p = patch('a.b')
                p.start()
                return p
            '''))


class TestMTL002(testtools.TestCase):

    def test_module_and_class_attributes(self):
        self.assertEqual([(3, 'MTL002'), (4, 'MTL002'), (6, 'MTL002')],
                         findings('''
            def test_x(self):
                utils.execute = mock.Mock()
                Client.get = mock.MagicMock(return_value=1)
                fake = mock.create_autospec(utils.run)
                utils.run = fake
            '''))

    def test_restored_or_local_is_fine(self):
        self.assertEqual([], findings('''
            class Local:
                pass

            def test_x(self):
                orig = utils.execute
                utils.execute = mock.Mock()
                utils.execute = orig
                self.addCleanup(setattr, Client, 'get', Client.get)
                Client.get = mock.Mock()
                self.client = mock.Mock()
                Local.attr = mock.Mock()
                utils.value = 3
            '''))

    def test_set_up_class_undone_in_tear_down_class(self):
        self.assertEqual([], findings('''
            class T(testtools.TestCase):
                @classmethod
                def setUpClass(cls):
                    utils.client = mock.Mock()

                @classmethod
                def tearDownClass(cls):
                    del utils.client
            '''))

    def test_only_in_test_code(self):
        body = '''
            def configure():
                utils.execute = mock.Mock()
            '''
        self.assertEqual([], findings(body, 'myproj/fakes.py'))
        self.assertEqual([(3, 'MTL002')],
                         findings(body, 'myproj/tests/fakes.py'))


class TestMTL003(testtools.TestCase):

    def test_sys_modules_mock(self):
        self.assertEqual([(3, 'MTL003')], findings('''
            def test_x(self):
                sys.modules['boto3'] = mock.MagicMock()
            '''))

    def test_removed_or_patched_is_fine(self):
        self.assertEqual([], findings('''
            def test_a(self):
                sys.modules['boto3'] = mock.MagicMock()
                self.addCleanup(sys.modules.pop, 'boto3', None)

            def test_b(self):
                sys.modules['boto3'] = mock.MagicMock()
                try:
                    pass
                finally:
                    del sys.modules['boto3']

            def test_c(self):
                with mock.patch.dict(sys.modules, {'boto3': mock.Mock()}):
                    pass
            '''))


class TestMTL004(testtools.TestCase):

    def test_stopall_as_only_cleanup(self):
        self.assertEqual([(9, 'MTL004'), (11, 'MTL004'), (12, 'MTL004')],
                         findings('''
            class T(testtools.TestCase):
                def setUp(self):
                    super().setUp()
                    self.addCleanup(mock.patch.stopall)
                    self.p = patch('a.b')

                def test_x(self):
                    patch('a.c').start()
                    q = patch('a.d')
                    q.start()
                    self.p.start()
            '''))

    def test_stopall_in_one_test_covers_only_that_test(self):
        self.assertEqual([(9, 'MTL004'), (12, 'MTL001'), (13, 'MTL001')],
                         findings('''
            class T(testtools.TestCase):
                def setUp(self):
                    super().setUp()
                    self.p = patch('a.b')

                def test_a(self):
                    self.addCleanup(mock.patch.stopall)
                    patch('a.c').start()

                def test_b(self):
                    patch('a.d').start()
                    self.p.start()
            '''))

    def test_stopall_with_individual_stops_is_fine(self):
        self.assertEqual([], findings('''
            class T(testtools.TestCase):
                def setUp(self):
                    super().setUp()
                    self.addCleanup(mock.patch.stopall)
                    p = patch('a.b')
                    self.addCleanup(p.stop)
                    p.start()
            '''))


class TestFlake8Registration(testtools.TestCase):

    def test_plugin_attributes(self):
        self.assertEqual('mocktools', lint.MockLeakChecker.name)
        checker = lint.MockLeakChecker(ast.parse('x = 1'), 'x.py')
        self.assertEqual([], list(checker.run()))
