"""``python -m mocktools.run``: a test runner that leak-checks every test.

A drop-in for ``python -m testtools.run`` and ``python -m subunit.run``, for
suites whose base classes are not :class:`mocktools.TestCase`::

    python -m mocktools.run discover -s myproj/tests -t .
    python -m mocktools.run --subunit discover -t . myproj/tests \
        | subunit2pyunit

and as the ``test_command`` of a ``.testr.conf`` (see the CI recipe in the
documentation for the full line).

Every test is checked after it finished (tearDown and all cleanups): a leak
turns its success into a failure whose details carry the report (the
``mocktools-leaks`` attachment that ``mocktools leaks`` reads), and is
healed.  Tests of ``mocktools.TestCase`` classes check themselves.  The
knobs are the ``MOCKTOOLS_*`` environment variables (see
:mod:`mocktools.engine.settings`).
"""

import sys
import warnings

from testtools import content
from testtools import ExtendedToOriginalDecorator
from testtools import iterate_tests
from testtools import run as testtools_run

from mocktools.engine import detector as detector_module
from mocktools.engine.settings import LeakSettings
from mocktools.testcase import leaks_content
from mocktools.testcase import LeakWarning
from mocktools.testcase import TestCase as MocktoolsTestCase

__all__ = ['check_suite', 'main']

_OUTCOMES = ('addSuccess', 'addFailure', 'addError', 'addExpectedFailure',
             'addUnexpectedSuccess')


class _Recorder:
    """Stands in for the result while one test runs; records the calls.

    ``startTest``, when it comes first, goes through at once: a subunit
    stream stamps the test's start with the time of that call, and stestr
    keeps those times (``stestr slowest``, and the balance of its workers
    in later runs).  What follows is held back for :func:`_replay`.
    """

    def __init__(self, real):
        self._real = real
        self.calls = []

    def __getattr__(self, name):
        value = getattr(self._real, name)
        if not callable(value) or (name == 'startTest' and not self.calls):
            return value

        def record(*args, **kwargs):
            self.calls.append((name, args, kwargs))
        return record


def _details_of(test, name, args, kwargs):
    """The details dict of an outcome call, converting ``err`` if needed."""
    details = kwargs.get('details')
    if details is None and len(args) > 1 and isinstance(args[1], dict):
        details = args[1]
    if details is None:
        details = {}
        if len(args) > 1 and isinstance(args[1], tuple):
            details['traceback'] = content.TracebackContent(args[1], test)
        elif 'err' in kwargs:
            details['traceback'] = content.TracebackContent(kwargs['err'],
                                                            test)
    return dict(details)


def _replay(recorder, result, test, report, settings):
    target = ExtendedToOriginalDecorator(result)
    attach = bool(report.leaks or report.foreign or report.changes) and (
        settings.mode != 'off')
    text = report.format() if attach else None
    for name, args, kwargs in recorder.calls:
        if attach and name in _OUTCOMES:
            details = _details_of(test, name, args, kwargs)
            details[report.DETAIL_NAME] = leaks_content(report)
            details['mocktools-report'] = content.text_content(text)
            if report.fails(settings):
                outcome = ('addFailure' if name in (
                    'addSuccess', 'addUnexpectedSuccess', 'addFailure')
                    else name)
                getattr(target, outcome)(test, details=details)
            else:
                warnings.warn(LeakWarning(text), stacklevel=2)
                getattr(target, name)(test, details=details)
            continue
        getattr(target, name)(*args, **kwargs)
    for error in report.errors:
        warnings.warn('mocktools: the leak detector failed while checking '
                      '%s:\n%s' % (test.id(), error), stacklevel=2)


def run_checked(test, run, result, settings):
    """Call ``run(result)`` -- one whole test -- and leak-check it after.

    What the test reports is held back until the check is done, then passed
    on to ``result``: a success that leaked becomes a failure carrying the
    report, any other outcome keeps its own details plus the report.  Shared
    by this runner and :mod:`mocktools.integrations.autocheck`.
    """
    detector = detector_module.get_detector()
    scope = detector.begin_test(test.id, settings, holder=test)
    recorder = _Recorder(result)
    try:
        run(recorder)
    finally:
        report = detector.end_test(scope, settings)
        _replay(recorder, result, test, report, settings)
    return result


def _checked_run(test, original_run, settings):
    def run(result=None):
        return run_checked(test, original_run, result, settings)
    run.__mocktools_checked__ = True   # mocktools.autocheck leaves it be
    return run


def check_suite(suite, settings=None):
    """Make every test of ``suite`` leak-checked, in place; return it.

    Each test's ``run`` is wrapped on the instance, so suites, class and
    module fixtures work as before.
    """
    settings = settings or LeakSettings.resolve()
    if settings.mode == 'off':
        return suite
    for test in iterate_tests(suite):
        if isinstance(test, MocktoolsTestCase) or not hasattr(test, 'run'):
            continue
        test.run = _checked_run(test, test.run, settings)
    return suite


class _LeakCheckingProgram:
    """Mixin for testtools' TestProgram: wrap the suite before running."""

    def runTests(self):
        check_suite(self.test)
        super().runTests()


class TestProgram(_LeakCheckingProgram, testtools_run.TestProgram):
    """``testtools.run.TestProgram`` with leak checks."""


def main(argv=None, stdout=None):
    """Run tests like ``testtools.run`` (``--subunit``: ``subunit.run``)."""
    argv = list(sys.argv if argv is None else argv)
    argv[0] = 'mocktools.integrations.run'
    if '--subunit' in argv[1:]:
        argv.remove('--subunit')
        from subunit import run as subunit_run

        class SubunitProgram(_LeakCheckingProgram,
                             subunit_run.SubunitTestProgram):
            """``subunit.run``'s program with leak checks."""

        stdout = stdout or sys.stdout
        program = SubunitProgram(module=None, argv=argv,
                                 testRunner=subunit_run.SubunitTestRunner,
                                 stdout=stdout, exit=False)
    else:
        program = TestProgram(module=None, argv=argv, stdout=stdout,
                              exit=False)
    result = getattr(program, 'result', None)
    if result is not None and not result.wasSuccessful():
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
