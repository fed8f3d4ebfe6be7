"""patch_conf_property and ConfigFixture."""

import os

import fixtures
from oslo_config import cfg
import testtools
from testtools import matchers

import mocktools
from mocktools import config
from mocktools.tests import support
from mocktools.tests import targets


class _Cases:
    """Test cases run by the tests below (not collected themselves)."""

    class Overrides(mocktools.TestCase):
        conf_opts = targets.CONF

        def _override(self):
            self.patch_conf_property('max_volume_size', 10)
            self.patch_conf_property('cluster_support', False,
                                     section='redis')

        def test_success(self):
            self._override()

        def test_failure(self):
            self._override()
            self.fail('deliberate')

        def test_error(self):
            self._override()
            raise RuntimeError('deliberate')


class TestPatchConfProperty(mocktools.TestCase):
    conf_opts = targets.CONF

    def test_default_group(self):
        self.patch_conf_property('max_volume_size', 10)
        self.assertEqual(10, targets.CONF.max_volume_size)

    def test_attribute_and_item_access_agree(self):
        self.patch_conf_property('max_volume_size', 10)
        self.patch_conf_property('port', 7000, section='redis')
        self.assertEqual(10, targets.CONF['max_volume_size'])
        self.assertEqual(7000, targets.CONF.redis.port)
        self.assertEqual(7000, targets.CONF['redis']['port'])

    def test_value_converted_by_type(self):
        self.patch_conf_property('max_volume_size', '42')
        self.assertEqual(42, targets.CONF.max_volume_size)
        self.patch_conf_property('debug_mode', 'true')
        self.assertIs(True, targets.CONF.debug_mode)

    def test_section(self):
        self.patch_conf_property('cluster_support', False, section='redis')
        self.assertIs(False, targets.CONF.redis.cluster_support)

    def test_later_override_wins(self):
        self.patch_conf_property('max_volume_size', 1)
        self.patch_conf_property('max_volume_size', 2)
        self.assertEqual(2, targets.CONF.max_volume_size)

    def test_get_conf_defaults_to_global_conf(self):
        self.assertIs(cfg.CONF, mocktools.TestCase('run').get_conf())
        self.assertIs(targets.CONF, self.get_conf())


class TestRestore(testtools.TestCase):

    def test_restored_after_success_failure_and_error(self):
        for name, expected in (('test_success', 'success'),
                               ('test_failure', 'failure'),
                               ('test_error', 'error')):
            outcome = support.run_case(_Cases.Overrides, names=[name])
            self.assertEqual(expected, outcome[name])
            self.assertEqual(100, targets.CONF.max_volume_size)
            self.assertIs(True, targets.CONF.redis.cluster_support)


class TestBadInput(testtools.TestCase):

    def _failure_text(self, name, value, section=None):
        class Case(mocktools.TestCase):
            conf_opts = targets.CONF

            def test_it(self):
                self.patch_conf_property(name, value, section=section)

        outcome = support.run_case(Case)
        self.assertEqual('failure', outcome['test_it'])
        return outcome.text('test_it')

    def test_unknown_option(self):
        text = self._failure_text('no_such_option', 1)
        self.assertThat(text, matchers.Contains(
            "patch_conf_property: unknown option 'no_such_option' in group "
            "[DEFAULT] of ConfigOpts(project='mocktools-tests')"))

    def test_unknown_option_in_group(self):
        text = self._failure_text('nope', 1, section='redis')
        self.assertThat(text, matchers.Contains(
            "unknown option 'nope' in group [redis]"))

    def test_unknown_group(self):
        text = self._failure_text('port', 1, section='mongodb')
        self.assertThat(text, matchers.Contains(
            "unknown group [mongodb] (option 'port')"))

    def test_wrong_group(self):
        text = self._failure_text('max_volume_size', 1, section='redis')
        self.assertThat(text, matchers.Contains(
            "unknown option 'max_volume_size' in group [redis]"))

    def test_bad_int(self):
        text = self._failure_text('max_volume_size', 'abc')
        self.assertThat(text, matchers.Contains(
            "invalid value 'abc' for option 'max_volume_size' in group "
            "[DEFAULT]"))

    def test_bad_bool_in_group(self):
        text = self._failure_text('cluster_support', 'maybe',
                                  section='redis')
        self.assertThat(text, matchers.Contains(
            "invalid value 'maybe' for option 'cluster_support' in group "
            "[redis]"))


class TestConfigFixture(testtools.TestCase):

    def test_standalone(self):
        conf = targets.make_conf()
        with config.ConfigFixture(conf) as fixture:
            fixture.override('max_volume_size', 5)
            self.assertEqual(5, conf.max_volume_size)
            error = self.assertRaises(config.ConfigOverrideError,
                                      fixture.override, 'nope', 1)
            self.assertIn("unknown option 'nope'", str(error))
        self.assertEqual(100, conf.max_volume_size)

    def test_global_conf_is_named(self):
        error = config.override_error(cfg.CONF, 'x', 1, None,
                                      cfg.NoSuchOptError('x'))
        self.assertIn('oslo_config.cfg.CONF', str(error))


class TestConfigFixtureFeatures(testtools.TestCase):
    """What the fixture inherits from oslo_config.fixture.Config, undone."""

    def setUp(self):
        super().setUp()
        self.conf = targets.make_conf()

    def test_defaults_test_only_options_raw_values_and_files(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tmp, 'extra.conf')
        with open(path, 'w') as handle:
            handle.write('[DEFAULT]\nmax_volume_size = 33\n')
        with config.ConfigFixture(self.conf) as fixture:
            fixture.set_default('datastore_manager', 'cassandra')
            self.assertEqual('cassandra', self.conf.datastore_manager)
            fixture.register_opt(cfg.StrOpt('only_here', default='x'))
            self.assertEqual('x', self.conf.only_here)
            fixture.load_raw_values(group='redis', port='7001')
            self.assertEqual(7001, self.conf.redis.port)
            fixture.set_config_files([path])
            self.assertEqual(33, self.conf.max_volume_size)
        self.assertIsNone(self.conf.datastore_manager)
        self.assertRaises(cfg.NoSuchOptError, getattr, self.conf,
                          'only_here')
        self.assertEqual(6379, self.conf.redis.port)
        self.assertEqual(100, self.conf.max_volume_size)

    def test_group_override(self):
        with config.ConfigFixture(self.conf) as fixture:
            fixture.override('cluster_support', False, group='redis')
            self.assertIs(False, self.conf.redis.cluster_support)
        self.assertIs(True, self.conf.redis.cluster_support)


class TestImportedOnlyWhenUsed(testtools.TestCase):

    def test_oslo_config_is_imported_by_the_first_override_only(self):
        # a suite that never overrides an option runs its checked tests
        # without paying for importing oslo.config
        script = '\n'.join([
            'import sys, unittest',
            'import mocktools',
            'import mocktools.integrations.run',
            'import mocktools.integrations.pytest_plugin',
            'class Case(mocktools.TestCase):',
            '    def test_plain(self):',
            '        pass',
            '    def test_conf(self):',
            '        print("conf", type(self.get_conf()).__name__)',
            'def imported():',
            '    return sorted(name for name in sys.modules',
            '                  if name.startswith("oslo_config"))',
            'result = unittest.TestResult()',
            'Case("test_plain").run(result)',
            'print("plain", imported(), result.wasSuccessful())',
            'Case("test_conf").run(result)',
            'print("override", "oslo_config.cfg" in imported(),',
            '      result.wasSuccessful())',
        ])
        output = support.run_python(script).stdout
        self.assertEqual(
            'plain [] True\nconf ConfigOpts\noverride True True\n', output)
