"""Clean tests: every recommended mocking pattern, no leaks."""

import os
from unittest import mock

from backup_service import backup
from backup_service import client
from backup_service.tests import base
from backup_service import utils


class TestBackupWithSetUpPatcher(base.TestCase):
    """The patcher-in-setUp pattern: addCleanup(stop) next to start()."""

    def setUp(self):
        super().setUp()
        patcher = mock.patch.object(utils, 'execute_with_timeout',
                                    return_value='dump-data')
        self.addCleanup(patcher.stop)
        self.execute = patcher.start()
        self.storage = mock.create_autospec(client.StorageClient,
                                            instance=True)
        self.storage.upload.return_value = 'storage://db-1'

    def test_mysql_dump(self):
        location = backup.run_backup('db-1', storage=self.storage)
        self.assertEqual('storage://db-1', location)
        self.execute.assert_called_once_with(
            'mysqldump', '--all-databases', timeout=600)

    def test_redis_via_helper(self):
        self.patch_datastore_manager('redis')
        backup.run_backup('cache-1', storage=self.storage)
        self.execute.assert_called_once_with('redis-cli', '--rdb', '-',
                                             timeout=600)

    def test_notifications(self):
        backup.run_backup('db-1', storage=self.storage)
        events = [call.args[0] for call in self.mocks['notify'].mock_calls]
        self.assertEqual(['backup.start', 'backup.end'], events)


class TestBackupPatterns(base.TestCase):
    """Decorator, context manager and the mocktools helpers."""

    @mock.patch.object(utils, 'generate_random_password',
                       return_value='pw')
    @mock.patch.object(utils, 'execute_with_timeout', return_value='x' * 10)
    def test_decorators(self, execute, password):
        storage = mock.Mock(spec=client.StorageClient)
        self.patch_conf_property('backup_chunk_size', 4)
        backup.run_backup('small', storage=storage)
        storage.upload.assert_called_once_with('small', 'xxxx')
        password.assert_called_once_with()

    def test_context_manager(self):
        with mock.patch.multiple(utils,
                                 execute_with_timeout=mock.DEFAULT,
                                 generate_random_password=mock.DEFAULT
                                 ) as mocks:
            mocks['execute_with_timeout'].return_value = ''
            backup.run_backup('empty', storage=mock.Mock())
        self.assertFalse(isinstance(utils.execute_with_timeout, mock.Mock))

    def test_helpers(self):
        self.mock_patch_object(utils, 'execute_with_timeout',
                               autospec=True, return_value='data')
        upload = self.mock_patch_object(client.StorageClient, 'upload',
                                        autospec=True,
                                        return_value='storage://h')
        self.mock_patch_dict(os.environ, {'BACKUP_DEBUG': '1'})
        self.assertEqual('storage://h', backup.run_backup('h'))
        self.assertEqual(1, upload.call_count)

    def test_cluster_support_in_section(self):
        self.patch_conf_property('cluster_support', True,
                                 section='datastore')
        self.assertRaises(ValueError, backup.run_backup, 'db')

    def test_bad_value_is_named(self):
        # A wrong type fails with a message naming the option.
        error = self.assertRaises(AssertionError, self.patch_conf_property,
                                  'backup_timeout', 'soon')
        self.assertIn("option 'backup_timeout'", str(error))
