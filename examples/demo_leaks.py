"""A one-screen demo of mocktools: three clean tests and three leaky ones.

Run it with ``python3 examples/demo_leaks.py``; it prints what the leak
detector reports and checks that the world was put back afterwards.
"""

import json
import os
import sys
import unittest
from unittest import mock

import mocktools


class CleanTests(mocktools.TestCase):

    def test_helper(self):
        dumps = self.mock_patch_object(json, 'dumps', return_value='{}')
        self.assertEqual('{}', json.dumps({'a': 1}))
        dumps.assert_called_once_with({'a': 1})

    @mock.patch.object(json, 'loads')
    def test_decorator(self, loads):
        json.loads('x')
        loads.assert_called_once_with('x')

    def test_context_manager(self):
        with mock.patch.dict(os.environ, {'DEMO': '1'}):
            self.assertEqual('1', os.environ['DEMO'])


class LeakyTests(mocktools.TestCase):

    def test_patcher_never_stopped(self):
        mock.patch.object(json, 'dumps', return_value='leaked').start()

    def test_mock_assigned_to_module(self):
        json.loads = mock.Mock(name='loads')

    def test_fake_module_left_in_sys_modules(self):
        sys.modules['fake_lib'] = mock.MagicMock()


def main():
    """Run both classes, print the results and check the healing."""
    originals = json.dumps, json.loads
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    suite.addTests(loader.loadTestsFromTestCase(CleanTests))
    suite.addTests(loader.loadTestsFromTestCase(LeakyTests))
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(
        suite)
    healed = ((json.dumps, json.loads) == originals
              and 'fake_lib' not in sys.modules)
    print('\nAfter the run the real json.dumps/json.loads are back and '
          'sys.modules has no fake_lib: %s' % healed)
    leaks_caught = len(result.failures) == 3 and not result.errors
    return 0 if healed and leaks_caught else 1


if __name__ == '__main__':
    sys.exit(main())
