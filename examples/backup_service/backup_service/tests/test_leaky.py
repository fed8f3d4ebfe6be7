"""Leaks, on purpose: each test leaves a mock or some state behind.

Five leave a mock behind, each in a different way; the last leaves an
environment variable set.  Each one fails under mocktools with a report;
see README.rst for how each would be fixed.
"""

import os
import sys
from unittest import mock

from backup_service import client
from backup_service.tests import base
from backup_service import utils


class TestLeaky(base.TestCase):

    def test_patcher_never_stopped(self):
        # Fix: self.mock_patch_object(utils, 'execute_with_timeout')
        mock.patch.object(utils, 'execute_with_timeout').start()

    def test_mock_assigned_to_module(self):
        # Fix: self.mock_patch_object(utils, 'generate_random_password')
        utils.generate_random_password = mock.Mock(return_value='pw')

    def test_mock_assigned_to_class(self):
        # Fix: self.mock_patch_object(client.StorageClient, 'upload')
        client.StorageClient.upload = mock.MagicMock()

    def test_fake_module_in_sys_modules(self):
        # Fix: self.mock_patch_dict(sys.modules, {'boto3': mock.Mock()})
        sys.modules['boto3'] = mock.MagicMock()

    def test_singleton_attribute(self):
        # Fix: self.mock_patch_object(client.DEFAULT_CLIENT, 'url', ...)
        client.DEFAULT_CLIENT.url = mock.Mock()

    def test_environment_variable_left_set(self):
        # Fix: self.useFixture(fixtures.EnvironmentVariable(
        #          'BACKUP_STORAGE_REGION', 'test-region'))
        os.environ['BACKUP_STORAGE_REGION'] = 'test-region'


class TestAfterTheLeaks(base.TestCase):
    """Runs after the leaky tests: sees the real objects again (healing)."""

    def test_real_objects_are_back(self):
        self.assertNotIsInstance(utils.execute_with_timeout, mock.Mock)
        self.assertNotIsInstance(utils.generate_random_password, mock.Mock)
        self.assertNotIsInstance(client.StorageClient.upload, mock.Mock)
        self.assertNotIn('boto3', sys.modules)
        self.assertNotIsInstance(client.DEFAULT_CLIENT.url, mock.Mock)
        self.assertNotIn('BACKUP_STORAGE_REGION', os.environ)
