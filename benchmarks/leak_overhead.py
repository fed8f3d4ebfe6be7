#!/usr/bin/env python3
"""What does leaving the leak check on cost?  Measured side by side.

Runs, in one process and interleaved, the same suite (``--classes`` classes
of 30 tests) once on bare ``testtools.TestCase`` and once on
``mocktools.TestCase``, for each workload:

* ``patch``: each test starts one patcher and stops it at cleanup;
* ``mocks``: that, and the test keeps a ``Mock()`` made outside any
  patcher on itself (the escape check proves it stayed local);
* ``escaping``: that, and the test hands a fresh ``MagicMock`` to an
  ``lru_cache``'d function, which keeps it: referenced from outside the
  test, yet not in global state;
* ``owned``: that, and the test keeps a small fake application (plain
  objects: a client manager holding the test's mocks, a command, a page
  of fake records), as python-openstackclient's and Trove's tests do: the
  escape check has to walk the test's own objects to prove its mocks
  stayed local;
* ``opaque``: the test's mock is kept where the detector does not read
  (a list that only a module-level function's closure holds): the escape
  check cannot account for it, so every test sweeps global state -- the
  worst case.

and, side by side on the detector alone, a test scope with every guard
against one with the mock check only: what the state guards (environment,
loggers, oslo.config, threads... see :mod:`mocktools.guards`) cost a test
that changed nothing.  All of it first with the modules this process loads
naturally, then with
``--population`` synthetic modules added (each with 15 functions, 3
classes, 10 constants, a list and a dict; 5000 of them make about 22,000
module and class dicts holding about 300,000 values, the size of cinder's
unit-test process).  It prints per-test times, the ratio mocktools/testtools,
the sweeps and dict reads per test, the cost of one sweep of an unchanged
world, and the detector's own memory (tracemalloc of its structures).
``--count`` (Python 3.12+) also counts the bytecode instructions each test
runs, on both sides: unlike time, a count does not depend on what else the
machine is doing, so it shows what a change to mocktools costs or saves
even on a noisy machine (work done in C, such as the garbage collector,
is not counted); next to them, a *skeleton* base class that registers one
cleanup per test while pass-through wrappers sit where mocktools hooks
``unittest.mock``: the least any per-test check built this way adds.
``--split`` times ``mocktools.TestCase`` with the check off, first
without and then with its hooks on ``unittest.mock``, beside the checked
one: what the base class's own steps, the hooks and the check each add;
and bare testtools with only the garbage collections a check makes.
``--callgrind`` (valgrind installed) runs each side again in a child
process under callgrind, which counts the machine instructions, branch
mispredictions and cache misses of the measured tests: like ``--count``
the same on every run, but in the interpreter's C code too.
``--paths`` adds the other checking paths that run in the same process,
side by side with ``mocktools.TestCase``: the ``LeakCheck`` fixture in a
plain testtools base class's ``setUp``, and ``mocktools.run``'s wrapping
of a plain suite.  ``--full-scan`` adds the classic detector (Trove's
``trove_testtools``: ``inspect.getmembers`` over every module after every
test) for reference.
Usage::

    python benchmarks/leak_overhead.py [--workload patch] [--population 5000]
        [--count]
"""

import argparse
import contextlib
import functools
import gc
import inspect
import itertools
import operator
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import types
import unittest
from unittest import mock

import testtools

import mocktools
from mocktools.engine import detector as detector_module
from mocktools.engine import instrumentation
from mocktools.engine import sweep as sweep_module
from mocktools import guards
from mocktools.integrations import run as run_module

TESTS_PER_CLASS = 30
WORKLOADS = ('patch', 'mocks', 'escaping', 'owned', 'opaque')
TARGETS = {   # workload -> (natural, large population) ratio targets
    'patch': (1.10, 1.10),
    'escaping': (None, 1.25 if sys.version_info >= (3, 12) else 2.0),
}

target = types.ModuleType('leak_overhead_target')
exec('def work(x):\n    return x * 2\n', target.__dict__)
sys.modules[target.__name__] = target


@functools.lru_cache(maxsize=128)
def _describe(obj):
    return type(obj).__name__


def _keeper():
    kept = []

    def keep(obj):
        """Keep ``obj`` in a closure: not state the detector reads."""
        kept[:] = [obj]
    return keep


KEEP = _keeper()


class _Fake:
    """A plain object of a test's own (``owned``)."""

    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def _fake_application():
    """What an ``owned`` test keeps: its mocks held by its own objects."""
    manager = _Fake(compute=mock.Mock(), identity=mock.Mock(),
                    region='RegionOne', interface='public')
    app = _Fake(client_manager=manager, stdout=[], stderr=[],
                options=_Fake(debug=False, verbose_level=1, format='table'))
    records = [_Fake(id='record-%d' % number, name='name-%d' % number,
                     status='ACTIVE', flavor={'id': 'small'}, links=[])
               for number in range(10)]
    manager.compute.servers.list.return_value = records
    command = _Fake(app=app, columns=('id', 'name', 'status'))
    return app, command, records


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


class SkeletonTestCase(testtools.TestCase):
    """Reference: the least any per-test check adds, doing nothing.

    One cleanup per test (where a check would run); counted with
    pass-through wrappers on what mocktools hooks (:func:`pass_through`).
    """

    def setUp(self):
        self.addCleanup(self._check)
        super().setUp()

    def _check(self):
        pass


class LeakCheckTestCase(testtools.TestCase):
    """The ``LeakCheck`` fixture path: one line in a plain base's setUp."""

    def setUp(self):
        super().setUp()
        self.useFixture(mocktools.LeakCheck(self))


#: The paths ``--paths`` times, beside bare testtools: how each builds a
#: checked suite of ``classes`` classes for ``workload``.
PATHS = {
    'mocktools.TestCase': lambda classes, workload: build_suite(
        mocktools.TestCase, classes, workload),
    'LeakCheck fixture': lambda classes, workload: build_suite(
        LeakCheckTestCase, classes, workload),
    'mocktools.run': lambda classes, workload: run_module.check_suite(
        build_suite(testtools.TestCase, classes, workload)),
}


@contextlib.contextmanager
def pass_through():
    """Wrap the methods mocktools hooks in wrappers that only call them."""
    def wrap(original):
        # a mock's __init__: forwarded as mocktools' hook forwards it, with
        # the original's own parameters (and a call for a top-level mock)
        exact = instrumentation._exact_mock_init(original,
                                                 note=lambda mock: None)
        if exact is not None:
            return exact

        @functools.wraps(original)
        def wrapper(self, *args, **kwargs):
            return original(self, *args, **kwargs)
        return wrapper
    # where mocktools hooks unittest.mock: its own table of hooks
    namespace = vars(mock)
    owners = [(instrumentation._defining_class(namespace[class_name], name),
               name) for class_name, name, _ in instrumentation._HOOKED]
    # (a method only ``object`` defines, ``__reduce_ex__``, is wrapped on
    # the class mocktools hooks it on, and taken away again after)
    missing = object()
    originals = [(owner, name, vars(owner).get(name, missing))
                 for owner, name in owners]
    try:
        for owner, name, original in originals:
            setattr(owner, name, wrap(getattr(owner, name)
                                      if original is missing else original))
        yield
    finally:
        for owner, name, original in originals:
            if original is missing:
                delattr(owner, name)
            else:
                setattr(owner, name, original)


def _test_method(workload):
    def test(self):
        patcher = mock.patch.object(target, 'work')
        self.addCleanup(patcher.stop)
        patcher.start()
        target.work(1)
        if workload == 'mocks':
            self.helper = mock.Mock()
        elif workload == 'escaping':
            _describe(mock.MagicMock())
        elif workload == 'owned':
            self.app, self.cmd, self.records = _fake_application()
            self.app.client_manager.compute.servers.list(detailed=True)
        elif workload == 'opaque':
            KEEP(mock.Mock())
    return test


def build_suite(base, classes, workload, tests=None):
    """``classes`` classes of TESTS_PER_CLASS tests on ``base``."""
    suite = unittest.TestSuite()
    count = 0
    for index in range(classes):
        methods = {'test_%02d' % n: _test_method(workload)
                   for n in range(TESTS_PER_CLASS)}
        name = 'Bench_%s_%s%d' % (base.__module__.replace('.', '_'),
                                  base.__name__, index)
        klass = type(name, (base,), dict(methods, __module__=__name__,
                                         __qualname__=name))
        # held by its module, as a real suite's test classes are
        globals()[name] = klass
        for method in sorted(methods):
            if tests is not None and count >= tests:
                return suite
            suite.addTest(klass(method))
            count += 1
    return suite


#: Collections of each generation of the garbage collector in the last
#: :func:`run_once` (automatic ones and those the check makes), for the
#: table: a full collection costs more than a whole test.
last_collections = (0, 0, 0)


def _collections():
    return tuple(generation['collections'] for generation in gc.get_stats())


def run_once(make_suite, hooked=True):
    """Seconds per test to load and run ``make_suite()`` once.

    ``hooked=False`` removes mocktools' hooks from unittest.mock first, so
    the baseline is what a project without mocktools pays.
    """
    if hooked != instrumentation.installed():
        if hooked:
            instrumentation.install()
        else:
            instrumentation.uninstall()
        # (un)hooking rewrites unittest.mock's classes, which resets the
        # interpreter's specialised code for them: warm up again, untimed,
        # as a real run would be by its first tests
        make_suite().run(testtools.TestResult())
    global last_collections
    result = testtools.TestResult()
    gc.collect()
    # loading counts too: a test case's constructor is part of what a test
    # costs (testtools looks its test method up there)
    before = _collections()
    start = time.perf_counter()
    suite = make_suite()
    suite.run(result)
    elapsed = time.perf_counter() - start
    last_collections = tuple(map(operator.sub, _collections(), before))
    count = suite.countTestCases()
    if not result.wasSuccessful():
        problems = result.errors + result.failures
        raise SystemExit('benchmark suite failed: %s' % (problems[0][1],))
    return elapsed / count


def count_bytecodes(make_suite, hooked=True):
    """Bytecode instructions per test in one run of ``make_suite()``.

    Counted with ``sys.monitoring`` (Python 3.12+), after an uncounted
    warm-up run; like :func:`run_once`, loading the suite counts too.
    """
    run_once(make_suite, hooked)
    monitoring = sys.monitoring
    tool = monitoring.PROFILER_ID
    count = [0]

    def on_instruction(code, offset):
        count[0] += 1
    monitoring.use_tool_id(tool, 'mocktools benchmark')
    try:
        monitoring.register_callback(tool, monitoring.events.INSTRUCTION,
                                     on_instruction)
        monitoring.set_events(tool, monitoring.events.INSTRUCTION)
        try:
            suite = make_suite()
            suite.run(testtools.TestResult())
        finally:
            monitoring.set_events(tool, 0)
            monitoring.register_callback(
                tool, monitoring.events.INSTRUCTION, None)
    finally:
        monitoring.free_tool_id(tool)
    return count[0] / suite.countTestCases()


def add_synthetic_modules(count, first=0):
    """Load ``count`` more synthetic modules (see the module docstring)."""
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
    lines.append("OPTS = ['a', 'b', 'c']\nREGISTRY = {'x': 1, 'y': 2}\n")
    code = compile('\n'.join(lines), '<synthetic>', 'exec')
    for index in range(first, first + count):
        module = types.ModuleType('leak_overhead_synthetic_%d' % index)
        exec(code, module.__dict__)
        sys.modules[module.__name__] = module


def detector_memory():
    """Bytes tracemalloc sees a fresh sweep of everything loaded allocate."""
    gc.collect()
    tracemalloc.start()
    try:
        sweeper = sweep_module.GlobalStateSweep()
        size = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    sweeper.tracker.close()
    return size, sweeper


def first_scan_seconds(rounds=3):
    """Seconds to watch everything loaded, the fastest of ``rounds``.

    What the first check of a process pays once (and a sweep pays for the
    modules imported since the last).
    """
    best = None
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        sweeper = sweep_module.GlobalStateSweep()
        elapsed = time.perf_counter() - start
        sweeper.tracker.close()
        del sweeper
        best = elapsed if best is None else min(best, elapsed)
    return best


def measure(label, args):
    """Print per-test costs for the current module population."""
    classes = args.classes
    detector = detector_module.get_detector()
    detector.resync()
    sweeper = detector._global_sweep()
    sweeper.sweep()
    rows = []
    for workload in args.workload:
        variants = {
            'testtools': lambda: build_suite(testtools.TestCase, classes,
                                             workload),
            'mocktools': lambda: build_suite(mocktools.TestCase, classes,
                                             workload),
        }
        for name, make in variants.items():   # warm-up
            run_once(make, name != 'testtools')
        samples = {name: [] for name in variants}
        collections = {name: [] for name in variants}
        counters = []
        for round_ in range(args.repeat):
            # alternate the order so drift (caches, heap growth) cancels out
            for name in (('testtools', 'mocktools') if round_ % 2
                         else ('mocktools', 'testtools')):
                sweeps, reads = detector.sweeps, sweeper.reads
                samples[name].append(run_once(variants[name],
                                              name != 'testtools'))
                collections[name].append(last_collections)
                if name == 'mocktools':
                    counters.append((detector.sweeps - sweeps,
                                     sweeper.reads - reads))
        # the fastest of the interleaved runs: the least disturbed by
        # whatever else the machine was doing
        times = {name: min(values) for name, values in samples.items()}
        tests = classes * TESTS_PER_CLASS
        sweeps = statistics.median(c[0] for c in counters) / tests
        reads = statistics.median(c[1] for c in counters) / tests
        rows.append((workload, times['testtools'], times['mocktools'],
                     sweeps, reads,
                     [_median_collections(collections[name])
                      for name in ('testtools', 'mocktools')]))

    counts = {}
    if args.count:
        for workload in args.workload:
            counts[workload] = tuple(count_bytecodes(
                lambda: build_suite(base, classes, workload),
                base is not testtools.TestCase)
                for base in (testtools.TestCase, mocktools.TestCase))
            instrumentation.uninstall()
            with pass_through():
                counts[workload] += (count_bytecodes(
                    lambda: build_suite(SkeletonTestCase, classes, workload),
                    False),)

    stats = sweeper.stats()
    size, fresh = detector_memory()
    start = time.perf_counter()
    unchanged = min(_timed(fresh.sweep) for _ in range(10))
    del start
    print('\n%s: %d modules; %d dicts with %d values, %d lists/sets/deques '
          'with %d items; changes found by %s; %d tests per run' % (
              label, len(sys.modules), stats['dicts'], stats['values'],
              stats['sequences'], stats['items'], stats['method'],
              classes * TESTS_PER_CLASS))
    header = ('workload', 'testtools us', 'mocktools us', 'ratio',
              'sweeps/test', 'dict reads/test')
    print('  %-10s %13s %13s %7s %12s %16s' % header)
    ratios = {}
    for workload, bare, checked, sweeps, reads, _ in rows:
        ratios[workload] = checked / bare
        print('  %-10s %13.1f %13.1f %7.2f %12.2f %16.1f' % (
            workload, bare * 1e6, checked * 1e6, checked / bare, sweeps,
            reads))
    print('  garbage collections per run of %d tests (youngest/middle/'
          'oldest generation, median of the runs; the check collects the '
          'youngest itself):' % (classes * TESTS_PER_CLASS))
    for workload, _, _, _, _, (bare, checked) in rows:
        print('  %-10s %13s %13s' % (
            workload, '/'.join(map(str, bare)), '/'.join(map(str, checked))))
    if counts:
        print('  bytecodes per test (the same on every run); skeleton: the '
              'least any check adds, a cleanup and pass-through hooks:')
        print('  %-10s %13s %13s %7s %13s %7s' % (
            'workload', 'testtools', 'mocktools', 'ratio', 'skeleton',
            'ratio'))
        for workload, (bare, checked, skeleton) in counts.items():
            print('  %-10s %13.0f %13.0f %7.2f %13.0f %7.2f' % (
                workload, bare, checked, checked / bare, skeleton,
                skeleton / bare))
    print('  one sweep of an unchanged world: %.3f ms; detector memory '
          '(its own structures): %.1f MB' % (unchanged * 1e3, size / 1e6))
    print('  the first scan, which watches everything (once per process): '
          '%.0f ms' % (first_scan_seconds() * 1e3))
    cost = guard_cost()
    print('  a test scope that changed nothing: %.2f us with every guard, '
          '%.2f us with mocks only: the %d state guards add %.2f us' % (
              cost['all guards'], cost['mocks only'],
              len(guards.names()) - 1,
              cost['all guards'] - cost['mocks only']))
    if args.paths:
        _print_paths(args.workload, classes, args.repeat)
    if args.split:
        _print_split(args.workload, classes, args.repeat)
    if args.full_scan:
        full = min(run_once(lambda: build_suite(
            FullScanTestCase, 1, 'patch', tests=args.full_scan_tests),
            False) for _ in range(2))
        bare = dict((row[0], row[1]) for row in rows).get('patch')
        print('  classic full scan (trove_testtools): %.1f us/test%s' % (
            full * 1e6, ', %.0fx bare testtools' % (full / bare)
            if bare else ''))
    return ratios


def measure_paths(classes, workload, repeat):
    """Seconds per test on bare testtools and on each of :data:`PATHS`.

    Interleaved as in :func:`measure` (the order turns every round); the
    fastest run of each.
    """
    makers = {name: functools.partial(make, classes, workload)
              for name, make in PATHS.items()}
    return _interleaved(classes, workload, repeat, makers,
                        dict.fromkeys(makers, True))


def _interleaved(classes, workload, repeat, makers, hooked):
    """Seconds per test of bare testtools and of each of ``makers``.

    ``hooked[name]``: whether mocktools' hooks are on for that variant.
    The order turns every round; the fastest run of each.
    """
    makers = dict(makers, testtools=functools.partial(
        build_suite, testtools.TestCase, classes, workload))
    hooked = dict(hooked, testtools=False)
    names = ['testtools'] + [name for name in makers if name != 'testtools']
    for name in names:   # warm-up
        run_once(makers[name], hooked[name])
    samples = {name: [] for name in names}
    for round_ in range(repeat):
        order = names[round_ % len(names):] + names[:round_ % len(names)]
        for name in order:
            samples[name].append(run_once(makers[name], hooked[name]))
    return {name: min(values) for name, values in samples.items()}


class CollectionsOnlyTestCase(testtools.TestCase):
    """Reference: only the garbage collections a check makes, on schedule.

    The youngest generation at the test's last cleanup, the middle one as
    the next test begins (see :mod:`mocktools.engine.escape`).
    """

    def setUp(self):
        gc.collect(1)
        self.addCleanup(gc.collect, 0)
        super().setUp()


class CheckOffTestCase(mocktools.TestCase):
    """``mocktools.TestCase`` with the leak check off (``leak_mode``)."""

    leak_mode = 'off'


#: ``--split``: where a checked test's extra time goes, each variant adding
#: one part to the one before -- (name, base class, mocktools' hooks on).
SPLIT = (('base class, no check', CheckOffTestCase, False),
         ('+ hooks on mock', CheckOffTestCase, True),
         ('+ the check', mocktools.TestCase, True))


#: ``--split``'s reference beside them: bare testtools with only the
#: check's garbage collections.
COLLECTIONS_ONLY = 'collections only'


def _print_split(workloads, classes, repeat):
    print('  where the time goes: mocktools.TestCase with the check off '
          '(its set-up and tear-down steps), then with the hooks on '
          'unittest.mock (patcher starts and stops, mocks made), then '
          'checked; each over the one before, in us per test; and, over '
          'testtools, testtools with only the collections the check '
          'makes:')
    print('  %-10s %-22s %13s %7s %9s' % ('workload', 'variant', 'us',
                                          'ratio', 'added us'))
    row = '  %-10s %-22s %13.1f %7.2f %9.1f'
    variants = SPLIT + ((COLLECTIONS_ONLY, CollectionsOnlyTestCase,
                         False),)
    for workload in workloads:
        makers = {name: functools.partial(build_suite, base, classes,
                                          workload)
                  for name, base, _ in variants}
        times = _interleaved(classes, workload, repeat, makers,
                             {name: hooks for name, _, hooks in variants})
        bare = previous = times['testtools']
        print(row % (workload, 'testtools', bare * 1e6, 1.0, 0.0))
        for name, _, _ in variants:
            if name == COLLECTIONS_ONLY:
                previous = bare
            print(row % (workload, name, times[name] * 1e6,
                         times[name] / bare, (times[name] - previous) * 1e6))
            previous = times[name]


def _print_paths(workloads, classes, repeat):
    print('  each checking path, per test and over bare testtools (the '
          'pytest plugin and MOCKTOOLS_CHECK=1 run in other processes: '
          'see tools/peers.py):')
    print('  %-10s %-20s %13s %7s' % ('workload', 'path', 'us', 'ratio'))
    row = '  %-10s %-20s %13.1f %7.2f'
    for workload in workloads:
        times = measure_paths(classes, workload, repeat)
        bare = times.pop('testtools')
        print(row % (workload, 'testtools', bare * 1e6, 1.0))
        for name, value in times.items():
            print(row % (workload, name, value * 1e6, value / bare))


def _median_collections(runs):
    """Per generation, the median count over ``runs``."""
    return tuple(int(statistics.median(counts)) for counts in zip(*runs))


def guard_cost(rounds=20000):
    """Microseconds the state guards add to one test that changed nothing.

    A test scope begun and ended directly on the detector, with every guard
    and on a detector without state guards, interleaved; fastest of 7
    batches each.
    """
    settings = mocktools.LeakSettings()
    detectors = {'all guards': detector_module.get_detector(),
                 'mocks only': detector_module.LeakDetector(
                     state_guards=False)}
    best = {name: float('inf') for name in detectors}
    for _ in range(7):
        for name, detector in detectors.items():
            start = time.perf_counter()
            for _ in range(rounds):
                detector.end_test(detector.begin_test('bench', settings),
                                  settings)
            best[name] = min(best[name],
                             (time.perf_counter() - start) / rounds)
    return {name: value * 1e6 for name, value in best.items()}


def _timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


#: ``--callgrind``: the bases a child process runs under valgrind, and
#: whether mocktools' hooks are on there: bare testtools, the skeleton and
#: the variants of ``--split``.
CALLGRIND_BASES = dict(
    [('testtools', (testtools.TestCase, False)),
     ('skeleton', (SkeletonTestCase, False))]
    + [(name, (base, hooked)) for name, base, hooked in SPLIT])
# The measured run goes through ``itertools.starmap``, whose C function
# turns callgrind's counting on for as long as it runs: nothing before
# it (start-up, imports, warm-up) is counted.
_CALLGRIND_MARKER = 'starmap_next'
#: What ``--callgrind`` prints per test, from callgrind's events.
_CALLGRIND_EVENTS = (
    ('instructions', ('Ir',)),
    ('branch mispredictions', ('Bcm', 'Bim')),
    ('L1 instruction misses', ('I1mr',)),
    ('L1 data misses', ('D1mr', 'D1mw')),
)


def _callgrind_child(base, workload, classes):
    """In a child under callgrind: warm up, then run the measured suite."""
    klass, hooked = CALLGRIND_BASES[base]

    def make():
        return build_suite(klass, classes, workload)
    for _ in range(3):
        run_once(make, hooked)
    gc.collect()

    def measured():
        make().run(testtools.TestResult())
    list(itertools.starmap(measured, [()]))


def callgrind_counts(workload, classes):
    """Per test, callgrind's counts on each of :data:`CALLGRIND_BASES`.

    Each in a child process under ``valgrind --tool=callgrind`` with its
    cache and branch simulation; counts that do not depend on what else
    the machine is doing, in the interpreter's C code too (the garbage
    collector, dict operations) -- unlike ``--count``.  None when valgrind
    is not installed.
    """
    valgrind = shutil.which('valgrind')
    if valgrind is None:
        return None
    counts = {}
    with tempfile.TemporaryDirectory() as directory:
        for number, base in enumerate(CALLGRIND_BASES):
            out = os.path.join(directory, '%d.out' % number)
            child = subprocess.run(
                [valgrind, '--tool=callgrind', '--cache-sim=yes',
                 '--branch-sim=yes', '--collect-atstart=no',
                 '--toggle-collect=' + _CALLGRIND_MARKER,
                 '--callgrind-out-file=' + out, sys.executable,
                 os.path.abspath(__file__), '--callgrind-child', base,
                 '--workload', workload, '--classes', str(classes)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                universal_newlines=True,
                # the same dict layouts, so the same counts, on every run
                env=dict(os.environ, PYTHONHASHSEED='0'))
            if child.returncode:
                raise SystemExit('callgrind run of %s failed (exit %d):\n%s'
                                 % (base, child.returncode,
                                    child.stderr[-3000:]))
            with open(out) as f:
                text = f.read()
            names = re.search(r'^events: (.*)$', text, re.M).group(1).split()
            totals = re.search(r'^(?:totals|summary): (.*)$', text, re.M)
            values = dict(zip(names, map(int, totals.group(1).split())))
            if not values.get('Ir'):
                raise SystemExit('callgrind counted nothing: no symbol %s '
                                 'in this Python (stripped?)'
                                 % _CALLGRIND_MARKER)
            tests = classes * TESTS_PER_CLASS
            counts[base] = {
                label: sum(values.get(name, 0) for name in names_) / tests
                for label, names_ in _CALLGRIND_EVENTS}
    return counts


def _print_callgrind(workloads, classes):
    print('  callgrind, natural population, per test and over bare '
          'testtools (machine instructions and simulated misses; the same '
          'on every run):')
    print('  %-10s %-22s' % ('workload', 'variant') + ''.join(
        ' %22s' % label for label, _ in _CALLGRIND_EVENTS))
    for workload in workloads:
        counts = callgrind_counts(workload, classes)
        if counts is None:
            print('  (valgrind is not installed: no callgrind counts)')
            return
        bare = counts['testtools']
        for variant, values in counts.items():
            print('  %-10s %-22s' % (workload, variant) + ''.join(
                ' %14.0f (%5.2f)' % (values[label], values[label] /
                                     bare[label])
                for label, _ in _CALLGRIND_EVENTS))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--classes', type=int, default=10,
                        help='classes of 30 tests per run (default 10)')
    parser.add_argument('--repeat', type=int, default=9,
                        help='interleaved runs per variant (fastest taken)')
    parser.add_argument('--workload', action='append', choices=WORKLOADS,
                        help='workload to measure (repeatable; default '
                        'all)')
    parser.add_argument('--population', type=int, default=5000,
                        help='synthetic modules to add for the second '
                        'measurement (default 5000, about cinder; 0: '
                        'natural only)')
    parser.add_argument('--count', action='store_true',
                        help='also count the bytecodes each test runs '
                        '(Python 3.12+; the same on every run)')
    parser.add_argument('--paths', action='store_true',
                        help='also time the LeakCheck fixture and the '
                        'mocktools.run path beside mocktools.TestCase')
    parser.add_argument('--split', action='store_true',
                        help='also time mocktools.TestCase with the check '
                        'off, with and without the hooks on unittest.mock: '
                        'what each part adds')
    parser.add_argument('--callgrind', action='store_true',
                        help='also count, under valgrind\'s callgrind, the '
                        'machine instructions, branch mispredictions and '
                        'cache misses per test (natural population; slow)')
    parser.add_argument('--callgrind-child', choices=sorted(CALLGRIND_BASES),
                        help=argparse.SUPPRESS)
    parser.add_argument('--full-scan', action='store_true',
                        help='also time the classic full scan')
    parser.add_argument('--full-scan-tests', type=int, default=30,
                        help='tests per run of the slow reference')
    args = parser.parse_args(argv)
    args.workload = args.workload or list(WORKLOADS)
    if args.callgrind_child:
        _callgrind_child(args.callgrind_child, args.workload[0],
                         args.classes)
        return 0
    if args.count and sys.version_info < (3, 12):
        print('(--count: bytecodes are counted on Python 3.12 and later)')
        args.count = False
    print('Python %s' % sys.version.split()[0])
    results = [('natural', measure('natural population', args))]
    if args.callgrind:
        _print_callgrind(args.workload, args.classes)
    if args.population:
        add_synthetic_modules(args.population)
        results.append(('large', measure(
            'with %d synthetic modules' % args.population, args)))
    print()
    for workload, (natural, large) in TARGETS.items():
        for (size, ratios), goal in zip(results, (natural, large)):
            if goal is not None and workload in ratios:
                print('%s, %s population: %.2f (target <= %.2f)' % (
                    workload, size, ratios[workload], goal))
    return 0


if __name__ == '__main__':
    sys.exit(main())
