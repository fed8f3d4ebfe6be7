"""The leak detector as a fixture, for suites not based on mocktools.TestCase.

One line turns the check on in a plain testtools or oslotest test::

    class TestCase(oslotest.base.BaseTestCase):
        def setUp(self):
            super().setUp()
            self.useFixture(mocktools.LeakCheck(self))

The check runs after every cleanup of the test -- those registered later
than the fixture, and, when ``test`` is given, those registered before it
too (oslotest's blanket ``mock.patch.stopall``): a patcher that any of them
stops is not a leak.  Leaks fail the test with the same report as
:class:`mocktools.TestCase` and are healed; the report is attached to the
test as the ``mocktools-leaks`` detail when the test is passed in.
Class-level checks need the ``setUpClass`` hooks of ``mocktools.TestCase``
(or the pytest plugin / ``mocktools.run``).
"""

import fixtures

from mocktools.engine import detector as detector_module
from mocktools.engine.settings import LeakSettings
from mocktools.testcase import after_remaining_cleanups
from mocktools.testcase import handle_report

__all__ = ['LeakCheck']


class LeakCheck(fixtures.Fixture):
    """Check for dangling mocks when the fixture is cleaned up.

    :param test: the test using it (for its id and to attach the report as a
        detail); optional.
    :param settings: a :class:`~mocktools.engine.settings.LeakSettings`; by
        default resolved from ``test``'s ``leak_*`` attributes and the
        environment.
    """

    def __init__(self, test=None, settings=None):
        super().__init__()
        self.test = test
        self.settings = settings
        self.report = None

    def _setUp(self):
        settings = self.settings or (
            LeakSettings.for_class(type(self.test)) if self.test is not None
            else LeakSettings.resolve())
        if settings.mode == 'off':
            return
        name = self.test.id if self.test is not None else 'LeakCheck'
        # the first check of the process begins in the middle of a set-up
        # whose writes no guard saw: that one test gets the mock check only
        first = detector_module._detector is None
        detector = detector_module.get_detector()
        scope = detector.begin_test(name, settings, holder=self.test,
                                    state=not first)
        self.addCleanup(self._check, detector, scope, settings)

    def _check(self, detector, scope, settings):
        if self.test is not None and after_remaining_cleanups(
                self.test, self._check, detector, scope, settings):
            return
        self.report = detector.end_test(scope, settings)
        add_detail = self.test.addDetail if self.test is not None else \
            self.addDetail

        def fail(text):
            raise AssertionError(text)
        handle_report(self.report, settings, add_detail, fail)
