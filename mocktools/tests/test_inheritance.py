"""Declarative class attributes of mocktools.TestCase, merged across levels."""

import os
from unittest import mock

import fixtures
import testtools
from testtools import matchers

import mocktools
from mocktools import declarative
from mocktools.tests import support
from mocktools.tests import targets


class _Cases:
    """Three levels of project base classes (not collected themselves)."""

    class ProjectBase(mocktools.TestCase):
        conf_opts = targets.CONF
        config_overrides = {'datastore_manager': 'mysql',
                            'max_volume_size': 5,
                            'redis.port': 7000}
        patches = {
            'execute': mocktools.Patch('mocktools.tests.targets.execute'),
            'password': mocktools.Patch.object(targets, 'generate_password',
                                               return_value='pw'),
        }
        test_fixtures = {'env': lambda: fixtures.EnvironmentVariable(
            'MOCKTOOLS_BASE', 'base')}

    class ServiceBase(ProjectBase):
        config_overrides = {'datastore_manager': 'redis',
                            'redis.cluster_support': False}
        patches = {'env': mocktools.Patch.dict(os.environ,
                                               {'MOCKTOOLS_SVC': '1'})}

    class Leaf(ServiceBase):
        config_overrides = {'max_volume_size': mocktools.REMOVE}
        patches = {'password': mocktools.REMOVE}

        def test_merged(self):
            conf = targets.CONF
            assert conf.datastore_manager == 'redis', conf.datastore_manager
            assert conf.max_volume_size == 100       # removed: the default
            assert conf.redis.port == 7000           # from ProjectBase
            assert conf.redis.cluster_support is False
            assert set(self.mocks) == {'execute', 'env'}, self.mocks
            assert targets.execute is self.mocks['execute']
            assert targets.generate_password(3) == 'xxx'  # removed patch
            assert os.environ['MOCKTOOLS_SVC'] == '1'
            assert os.environ['MOCKTOOLS_BASE'] == 'base'
            assert 'env' in self.used_fixtures

        def test_fails(self):
            self.fail('deliberate')

        def test_errors(self):
            raise RuntimeError('deliberate')


def _everything_undone():
    return (targets.CONF.datastore_manager is None
            and targets.CONF.max_volume_size == 100
            and targets.CONF.redis.port == 6379
            and targets.execute.__module__ == targets.__name__
            and 'MOCKTOOLS_SVC' not in os.environ
            and 'MOCKTOOLS_BASE' not in os.environ)


class TestMerging(testtools.TestCase):

    def test_three_levels(self):
        merged = declarative.merged(_Cases.Leaf, 'config_overrides')
        self.assertEqual({'datastore_manager': 'redis', 'redis.port': 7000,
                          'redis.cluster_support': False}, merged)
        self.assertEqual(['execute', 'env'],
                         list(declarative.merged(_Cases.Leaf, 'patches')))

    def test_applied_in_tests_and_undone_after_every_outcome(self):
        outcome = support.run_case(_Cases.Leaf)
        self.assertEqual('success', outcome['test_merged'],
                         outcome.text('test_merged'))
        self.assertEqual('failure', outcome['test_fails'])
        self.assertEqual('error', outcome['test_errors'])
        self.assertTrue(_everything_undone())

    def test_base_class_unaffected_by_subclasses(self):
        self.assertEqual(
            {'datastore_manager': 'mysql', 'max_volume_size': 5,
             'redis.port': 7000},
            declarative.merged(_Cases.ProjectBase, 'config_overrides'))

    def test_not_a_dict_is_named(self):
        class Bad(mocktools.TestCase):
            patches = ['oops']
        error = self.assertRaises(TypeError, declarative.merged, Bad,
                                  'patches')
        self.assertIn('Bad.patches must be a dict', str(error))


class TestBadDeclarations(testtools.TestCase):

    def test_unknown_option_fails_every_test_naming_attribute(self):
        class Broken(mocktools.TestCase):
            conf_opts = targets.CONF
            config_overrides = {'no_such_option': 1}

            def test_one(self):
                pass

            def test_two(self):
                pass

        outcome = support.run_case(Broken)
        for name in ('test_one', 'test_two'):
            self.assertEqual('failure', outcome[name])
            self.assertThat(outcome.text(name), matchers.Contains(
                "Broken.config_overrides: unknown option 'no_such_option' "
                "in group [DEFAULT]"))

    def test_unknown_group_named(self):
        class Broken(mocktools.TestCase):
            conf_opts = targets.CONF
            config_overrides = {'mongodb.port': 1}

            def test_one(self):
                pass

        outcome = support.run_case(Broken)
        self.assertThat(outcome.text('test_one'), matchers.Contains(
            "Broken.config_overrides: unknown group [mongodb] "
            "(option 'port')"))

    def test_bad_patch_target_named(self):
        class Broken(mocktools.TestCase):
            patches = {'x': mocktools.Patch('mocktools.tests.targets.nope')}

            def test_one(self):
                pass

        outcome = support.run_case(Broken)
        self.assertEqual('failure', outcome['test_one'])
        self.assertThat(outcome.text('test_one'), matchers.Contains(
            "cannot patch 'mocktools.tests.targets.nope'"))

    def test_unknown_isolation_name(self):
        class Broken(mocktools.TestCase):
            isolation = {'sandbox': True}

            def test_one(self):
                pass

        outcome = support.run_case(Broken)
        self.assertThat(outcome.text('test_one'), matchers.Contains(
            "Broken.isolation: unknown isolation fixture 'sandbox'"))


class TestAutospecByDefault(mocktools.TestCase):
    autospec_by_default = True
    patches = {'execute': mocktools.Patch('mocktools.tests.targets.execute')}

    def test_declared_patch_is_autospecced(self):
        self.assertRaises(TypeError, targets.execute, 'ls', bogus=1)

    def test_helper_is_autospecced(self):
        get = self.mock_patch_object(targets.Client, 'get')
        self.assertRaises(TypeError, targets.Client().get)
        targets.Client().get('/')
        get.assert_called_once_with(mock.ANY, '/')

    def test_explicit_new_or_spec_wins(self):
        value = self.mock_patch_object(targets, 'GREETING', 'hi')
        self.assertEqual('hi', value)
        plain = self.mock_patch_object(targets, 'generate_password',
                                       spec=True)
        self.assertIsInstance(plain, mock.MagicMock)


class TestTroveStyleBaseClass(testtools.TestCase):
    """The documented project base class, in at most 15 lines."""

    def test_project_base_class_and_test_class(self):
        # --- the project's base class: 11 lines ---------------------------
        class TroveTestCase(mocktools.TestCase):
            conf_opts = targets.CONF
            config_overrides = {'datastore_manager': 'mysql'}
            patches = {'notify': mocktools.Patch.object(
                targets.Service, 'ping', autospec=True)}

            def patch_datastore_manager(self, manager):
                self.patch_conf_property('datastore_manager', manager)
        # --- a test class using it ----------------------------------------

        class RedisTests(TroveTestCase):
            config_overrides = {'redis.cluster_support': False}

            def test_manager(self):
                self.assertEqual('mysql', targets.CONF.datastore_manager)
                self.patch_datastore_manager('redis')
                self.assertEqual('redis', targets.CONF.datastore_manager)
                self.assertFalse(targets.CONF.redis.cluster_support)
                targets.SERVICE.ping()
                self.mocks['notify'].assert_called_once_with(targets.SERVICE)

        outcome = support.run_case(RedisTests)
        self.assertEqual('success', outcome['test_manager'],
                         outcome.text('test_manager'))
        self.assertIsNone(targets.CONF.datastore_manager)
