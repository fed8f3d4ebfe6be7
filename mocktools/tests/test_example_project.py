"""The example project (README command 1) behaves as the README says."""

import os
import sys

import testtools

from mocktools.tests import support

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'examples', 'backup_service')


class TestExampleProject(testtools.TestCase):

    def setUp(self):
        super().setUp()
        if not os.path.isdir(EXAMPLE):
            self.skipTest('examples/ not shipped with this copy')
        sys.path.insert(0, EXAMPLE)
        self.addCleanup(sys.path.remove, EXAMPLE)

    def test_clean_tests_pass_and_leaky_ones_fail_naming_the_leak(self):
        from backup_service.tests import test_backup
        from backup_service.tests import test_leaky
        outcome = support.run_case(
            test_backup.TestBackupWithSetUpPatcher,
            test_backup.TestBackupPatterns,
            test_leaky.TestLeaky, test_leaky.TestAfterTheLeaks)
        expected_leaks = {
            'test_patcher_never_stopped':
                'backup_service.utils.execute_with_timeout',
            'test_mock_assigned_to_module':
                'backup_service.utils.generate_random_password',
            'test_mock_assigned_to_class':
                'backup_service.client.StorageClient.upload',
            'test_fake_module_in_sys_modules': "sys.modules['boto3']",
            'test_singleton_attribute':
                'backup_service.client.DEFAULT_CLIENT.url',
            'test_environment_variable_left_set':
                "os.environ['BACKUP_STORAGE_REGION']",
        }
        for test_id, status in outcome.status.items():
            name = test_id.rsplit('.', 1)[-1]
            if name in expected_leaks:
                self.assertEqual('failure', status, test_id)
                self.assertIn(expected_leaks[name], outcome.text(test_id))
            else:
                self.assertEqual('success', status, outcome.text(test_id))
        self.assertEqual(15, len(outcome.status))
