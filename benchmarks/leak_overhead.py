#!/usr/bin/env python3
"""What does leaving the leak check on cost?  Measured side by side.

Runs, in one process and interleaved, the same suite (``--classes`` classes
of 30 tests; each test starts one patcher and stops it at cleanup) under:

* ``testtools``: bare ``testtools.TestCase`` (the baseline);
* ``mocktools``: ``mocktools.TestCase`` with its default settings;
* ``testtools+mocks`` / ``mocktools+mocks``: every test also creates a
  ``Mock()`` outside any patcher (under mocktools the global-state sweep
  then runs after every test); ratios compare the two;
* ``mocktools+mocks/class``: that, with ``leak_scan = 'class'`` (one sweep
  per class);
* ``full-scan``: a reference implementation of the classic detector (Trove's
  ``trove_testtools``): ``inspect.getmembers`` over every module in
  ``sys.modules``, descending into classes to depth 2, after every test.

first with the modules this process loads naturally, then again with 1,500
synthetic modules added (each with 15 functions, 3 classes, 10 constants).
It prints the per-test time of each variant, the ratios to ``testtools``, and
the time of one full sweep of everything loaded (unchanged world, and with
one attribute changed).  Usage::

    python benchmarks/leak_overhead.py [--classes 10] [--repeat 7]
"""

import argparse
import gc
import inspect
import statistics
import sys
import time
import types
import unittest
from unittest import mock

import testtools

import mocktools
from mocktools import instrumentation
from mocktools import sweep as sweep_module

TESTS_PER_CLASS = 30
SYNTHETIC_MODULES = 1500

target = types.ModuleType('leak_overhead_target')
exec('def work(x):\n    return x * 2\n', target.__dict__)
sys.modules[target.__name__] = target


class FullScanTestCase(testtools.TestCase):
    """Reference: the classic full scan, as trove_testtools did it."""

    max_depth = 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._baseline = cls._find_mock_refs()

    def setUp(self):
        # first cleanup registered, so it runs after the test's own ones
        self.addCleanup(self._check)
        super().setUp()

    def _check(self):
        leaked = self._find_mock_refs() - self._baseline
        if leaked:
            self.fail('dangling mocks: %s' % sorted(leaked))

    @classmethod
    def _find_mock_refs(cls):
        found = set()
        for name, module in list(sys.modules.items()):
            if module:
                cls._find_mocks(name, module, found, 1)
        return found

    @classmethod
    def _find_mocks(cls, parent_name, parent, found, depth):
        if depth > cls.max_depth:
            return
        try:
            if isinstance(parent, mock.Mock):
                found.add(parent_name)
                return
            for name, member in inspect.getmembers(parent):
                full_name = '%s.%s' % (parent_name, name)
                if isinstance(member, mock.Mock):
                    found.add(full_name)
                elif inspect.isclass(member):
                    cls._find_mocks(full_name, member, found, depth + 1)
        except Exception:
            # the classic scanner had to swallow whatever getattr raised
            pass


class ClassScanTestCase(mocktools.TestCase):
    """mocktools with ``leak_scan = 'class'``: one sweep per class."""

    leak_scan = 'class'


def _test_method(create_free_mock):
    def test(self):
        patcher = mock.patch.object(target, 'work')
        self.addCleanup(patcher.stop)
        patcher.start()
        target.work(1)
        if create_free_mock:
            self.helper = mock.Mock()
    return test


def build_suite(base, classes, create_free_mock=False, tests=None):
    """``classes`` classes of TESTS_PER_CLASS tests on ``base``."""
    suite = unittest.TestSuite()
    count = 0
    for index in range(classes):
        namespace = {'test_%02d' % n: _test_method(create_free_mock)
                     for n in range(TESTS_PER_CLASS)}
        klass = type('Bench%d' % index, (base,), namespace)
        for name in sorted(namespace):
            if tests is not None and count >= tests:
                return suite
            suite.addTest(klass(name))
            count += 1
    return suite


def run_once(make_suite, hooked=True):
    """Seconds per test for one fresh run of ``make_suite()``.

    ``hooked=False`` removes mocktools' hooks from unittest.mock first, so
    the baseline is what a project without mocktools pays.
    """
    if hooked:
        instrumentation.install()
    else:
        instrumentation.uninstall()
    suite = make_suite()
    count = suite.countTestCases()
    result = testtools.TestResult()
    gc.collect()
    start = time.perf_counter()
    suite.run(result)
    elapsed = time.perf_counter() - start
    if not result.wasSuccessful():
        problems = result.errors + result.failures
        raise SystemExit('benchmark suite failed: %s' % (problems[0][1],))
    return elapsed / count


def add_synthetic_modules(count):
    """Load ``count`` modules with 15 functions, 3 classes, 10 constants."""
    lines = []
    for n in range(15):
        lines.append('def function_%d(a, b=1):\n    return a + b\n' % n)
    for n in range(3):
        lines.append(
            'class Class%d:\n    LIMIT = 1\n\n    def method(self):\n'
            '        return self.LIMIT\n\n    @property\n    def value(self):'
            '\n        return 1\n' % n)
    for n in range(10):
        lines.append('CONSTANT_%d = %d\n' % (n, n))
    code = compile('\n'.join(lines), '<synthetic>', 'exec')
    for index in range(count):
        module = types.ModuleType('leak_overhead_synthetic_%d' % index)
        exec(code, module.__dict__)
        sys.modules[module.__name__] = module


def measure(label, args):
    """Print per-test times and ratios for the current module population."""
    classes = args.classes
    variants = {
        'testtools': lambda: build_suite(testtools.TestCase, classes),
        'testtools+mocks': lambda: build_suite(
            testtools.TestCase, classes, create_free_mock=True),
        'mocktools': lambda: build_suite(mocktools.TestCase, classes),
        'mocktools+mocks': lambda: build_suite(mocktools.TestCase, classes,
                                               create_free_mock=True),
        'mocktools+mocks/class': lambda: build_suite(
            ClassScanTestCase, classes, create_free_mock=True),
        'full-scan': lambda: build_suite(FullScanTestCase, 1,
                                         tests=args.full_scan_tests),
    }
    # warm-up: imports, the detector's one-time snapshot, caches
    hooked = {name: name.startswith('mocktools') for name in variants}
    # each variant is compared with bare testtools running the same body
    baseline = {name: ('testtools+mocks' if '+mocks' in name
                       else 'testtools') for name in variants}
    for name, make in variants.items():
        run_once(make, hooked[name])
    samples = {name: [] for name in variants}
    fast = [name for name in variants if name != 'full-scan']
    for round_ in range(args.repeat):
        # alternate the order so drift (caches, heap growth) cancels out
        for name in (fast if round_ % 2 else fast[::-1]):
            samples[name].append(run_once(variants[name], hooked[name]))
    samples['full-scan'] = [run_once(variants['full-scan'], False)
                            for _ in range(2)]
    times = {name: statistics.median(values)
             for name, values in samples.items()}
    print('\n%s: %d modules loaded, %d tests per run (full-scan: %d)' % (
        label, len(sys.modules), classes * TESTS_PER_CLASS,
        args.full_scan_tests))
    header = ('variant', 'us/test', 'ratio', 'compared with')
    print('  %-22s %12s %9s  %s' % header)
    for name, value in times.items():
        base = times[baseline[name]]
        row = (name, value * 1e6, value / base, baseline[name])
        print('  %-22s %12.1f %9.2f  %s' % row)

    sweeper = sweep_module.GlobalStateSweep
    start = time.perf_counter()
    fresh = sweeper()
    build = time.perf_counter() - start
    unchanged = min(_timed(fresh.sweep) for _ in range(20))

    def changed_sweep():
        target.work_extra = 1
        try:
            fresh.sweep()
        finally:
            del target.work_extra
    changed = min(_timed(changed_sweep) for _ in range(20))
    print('  one full sweep of everything loaded (%d dicts, %d values): '
          '%.2f ms unchanged, %.2f ms with one attribute changed; '
          'first snapshot %.1f ms (once per process)' % (
              len(fresh.containers), len(fresh._flat), unchanged * 1e3,
              changed * 1e3, build * 1e3))
    return times


def _timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--classes', type=int, default=10,
                        help='classes of 30 tests per run (default 10)')
    parser.add_argument('--repeat', type=int, default=9,
                        help='interleaved runs per variant (median taken)')
    parser.add_argument('--full-scan-tests', type=int, default=30,
                        help='tests per run of the slow reference')
    args = parser.parse_args(argv)
    print('Python %s' % sys.version.split()[0])
    natural = measure('natural population', args)
    add_synthetic_modules(SYNTHETIC_MODULES)
    loaded = measure('with %d synthetic modules' % SYNTHETIC_MODULES, args)
    print('\nmocktools/testtools: %.2f natural (target <= 1.10), %.2f with '
          'synthetic modules (target <= 1.25)' % (
              natural['mocktools'] / natural['testtools'],
              loaded['mocktools'] / loaded['testtools']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
