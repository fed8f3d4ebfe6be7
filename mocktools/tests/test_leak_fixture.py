"""LeakCheck: the detector as one useFixture line in other base classes."""

from unittest import mock

import fixtures
from oslotest import base as oslotest_base
import testtools
from testtools import matchers

import mocktools
from mocktools.tests import support
from mocktools.tests import targets

ORIGINAL = targets.execute


def _case(base):
    class Case(base):
        def setUp(self):
            super().setUp()
            self.useFixture(mocktools.LeakCheck(self))

        def test_leak(self):
            mock.patch.object(targets, 'execute').start()

        def test_assign(self):
            targets.execute = mock.Mock()

        def test_clean(self):
            self.useFixture(fixtures.MockPatchObject(targets, 'execute'))
            with mock.patch.object(targets, 'generate_password'):
                pass
    return Case


class TestLeakCheckFixture(testtools.TestCase):

    def _check(self, base, leaks=('test_leak', 'test_assign')):
        outcome = support.run_case(_case(base))
        self.assertEqual('success', outcome['test_clean'],
                         outcome.text('test_clean'))
        if 'test_leak' not in leaks:
            # oslotest's stopall cleanup stops it: not a leak
            self.assertEqual('success', outcome['test_leak'],
                             outcome.text('test_leak'))
        for name in leaks:
            self.assertEqual('failure', outcome[name])
            self.assertThat(outcome.text(name), matchers.Contains(
                'mocktools.tests.targets.execute'))
            self.assertIn('mocktools-leaks',
                          outcome.details[outcome._find(name)])
        self.assertIs(ORIGINAL, targets.execute)

    def test_plain_testtools(self):
        self._check(testtools.TestCase)

    def test_oslotest(self):
        self._check(oslotest_base.BaseTestCase, leaks=('test_assign',))

    def test_skip_in_body_stays_skipped(self):
        for base in (testtools.TestCase, oslotest_base.BaseTestCase):
            class Case(base):
                def setUp(self):
                    super().setUp()
                    self.useFixture(mocktools.LeakCheck(self))

                def test_skips(self):
                    self.skipTest('not on this platform')

                def test_skips_after_leaking(self):
                    targets.execute = mock.Mock()
                    self.skipTest('not on this platform')

            outcome = support.run_case(Case)
            self.assertEqual('skip', outcome['test_skips'],
                             outcome.text('test_skips'))
            # a skip does not hide a leak, nor the leak the skip reason
            self.assertEqual('failure', outcome['test_skips_after_leaking'])
            self.assertIs(ORIGINAL, targets.execute)

    def test_a_class_settings_are_resolved_once(self):
        # as mocktools.TestCase and MOCKTOOLS_CHECK=1 read them: resolving
        # them again for every test cost a tenth of the check
        resolved = []
        original = mocktools.LeakSettings.resolve.__func__

        def resolve(cls, owner=None, environ=None):
            resolved.append(owner)
            return original(cls, owner, environ)
        self.useFixture(fixtures.MockPatchObject(
            mocktools.LeakSettings, 'resolve', classmethod(resolve)))
        case = _case(testtools.TestCase)
        case.leak_mode = 'warn'
        outcome = support.run_case(case)
        self.assertEqual([case], resolved)
        # the class's own knobs still apply: warned, not failed
        self.assertEqual('success', outcome['test_assign'],
                         outcome.text('test_assign'))
        self.assertIs(ORIGINAL, targets.execute)

    def test_standalone_without_test(self):
        fixture = mocktools.LeakCheck()
        fixture.setUp()
        patcher = mock.patch.object(targets, 'execute')
        patcher.start()
        error = self.assertRaises(AssertionError, fixture.cleanUp)
        self.assertIn('mocktools.tests.targets.execute', str(error))
        self.assertIs(ORIGINAL, targets.execute)
        self.assertEqual(1, len(fixture.report.leaks))
