"""Run peer projects' own test suites with mocktools' checks on and off.

Dog-food for the leak detector: the suites of oslo.config, fixtures,
testtools and oslotest leave no mock behind, so every path that checks them
must give the same pass/fail sets as running them unchecked and hit no
internal error.  The state guards do find a few true leftovers in them
(:data:`KNOWN_FINDINGS`, each checked by hand in their code): those are
expected, and so is the outcome of the tests that leave them; any other
report is a false alarm to fix.  ``tox -e peers`` runs this script; the
versions are the ones pinned in ``tools/peers-requirements.txt`` (installed
by tox), and the matching sdists are downloaded from the package index into
``--workdir``.

Per suite and path it prints: tests, passed, failed (errors included),
skipped, leaks reported, detector internal errors, whether the pass/fail
set is identical to the unchecked run of the same runner, and the ratios
of its wall time and CPU time to that run's.  The paths of a suite run in
turn, ``--repeat`` rounds (see ``tools/timed_runs.py``), and each is timed
by its fastest run; ``--cpu N`` pins every run to one CPU.  ``--rst``
prints the table as reStructuredText for doc/source/user/tested_on.rst.
"""

import argparse
import datetime
import io
import os
import platform
import re
import subprocess
import sys
import tarfile
import tempfile
from xml.etree import ElementTree

import timed_runs

from mocktools.engine import settings
from mocktools.integrations import cli


HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(HERE, 'peers-requirements.txt')

# name on the index -> (how the subunit runners load its tests, what pytest
# collects)
PEERS = {
    'oslo.config': (['discover', '-t', '.', 'oslo_config/tests'],
                    'oslo_config/tests'),
    'fixtures': (['tests.test_suite'], 'tests'),
    'testtools': (['tests.test_suite'], 'tests'),
    'oslotest': (['discover', '-t', '.', 'oslotest/tests'],
                 'oslotest/tests'),
}

# What the guards find in the pinned suites, each one read in their code:
# (suite, test id pattern, reported path pattern, why).  Test ids are
# dotted (pytest's "::" becomes ".").
KNOWN_FINDINGS = [
    ('fixtures', '*test_environ.TestEnvironmentVariable.test_*',
     "os.environ['FIXTURES_TEST_VAR']",
     'tests/_fixtures/test_environ.py:38-72 set the variable directly '
     'around the fixture and never unset it'),
    ('fixtures', '*test_temphomedir.TestTempDir.test_under_dir',
     "os.environ['HOME']",
     'tests/_fixtures/test_temphomedir.py:45-47 sets TempHomeDir up twice '
     '(setUp(), then "with"), so its cleanup restores the first temporary '
     'HOME, not the real one'),
    ('fixtures', '*test_logger.*.test_*', 'logging.root.level',
     'tests/_fixtures/test_logger.py:58-80 call setLevel on the root logger '
     'and never restore it'),
    ('oslotest', '*test_base.TestBaseTestCase.test_*', "os.environ['HOME']",
     'oslotest/tests/unit/test_base.py:50-65 call setUp() of an inner test '
     'case and never its cleanups: its TempHomeDir stays in place'),
    ('oslotest', '*test_*', 'logging.root.*',
     'oslotest/tests/unit/test_base.py:117 and test_log.py: setUp() of an '
     'inner test case or fixture, never cleaned up: its FakeLogger stays '
     'installed on the root logger'),
    ('testtools', '*test_run.TestRun.test_*', 'sys.path',
     'tests/test_run.py runs discovery, which inserts the top-level '
     'directory into sys.path and never removes it (unittest.loader)'),
]
# Tests that only pass after another test's leftover state: restored, they
# fail (they fail alone, unchecked, too).
ORDER_DEPENDENT = [
    ('fixtures', '*test_logger.LogHandlerTest.test_captures_logging',
     'logs at INFO and expects it captured: only after a test left the '
     'root logger at INFO'),
]


def _matches(pattern, text):
    """The allow-list's rule: ``*`` and ``?`` match, the rest is literal."""
    return settings.LeakSettings(allow=[pattern]).allows(text)


def _known(suite, test_id, path):
    return any(name == suite and _matches(tests, test_id)
               and _matches(paths, path)
               for name, tests, paths, _ in KNOWN_FINDINGS)


def _order_dependent(suite, test_id):
    return any(name == suite and _matches(tests, test_id)
               for name, tests, _ in ORDER_DEPENDENT)


# The LeakCheck path: the line a project adds to its base class's setUp,
# added from outside to every test the runner loads (not to the classes, so
# that tests which build and count test cases see them as shipped).
_LEAKCHECK_SHIM = '''
import sys
import mocktools
from subunit import run
from testtools import iterate_tests

def with_leak_check(test):
    original = test.setUp
    def setUp():
        original()
        test.useFixture(mocktools.LeakCheck(test))
    test.setUp = setUp

class Program(run.SubunitTestProgram):
    def runTests(self):
        for test in iterate_tests(self.test):
            if hasattr(test, 'useFixture'):
                with_leak_check(test)
        super().runTests()

sys.argv[0] = 'subunit.run'
Program(module=None, argv=sys.argv, testRunner=run.SubunitTestRunner,
        stdout=sys.stdout)
'''


def pinned_versions(path=REQUIREMENTS):
    """name -> version of the peers pinned in the requirements file."""
    pins = {}
    with open(path) as handle:
        for line in handle:
            match = re.match(r'^([A-Za-z0-9_.\-]+)==([^\s#;]+)', line)
            if match and match.group(1) in PEERS:
                pins[match.group(1)] = match.group(2)
    return pins


def fetch(name, version, workdir):
    """Download and unpack ``name==version``'s sdist; return its directory."""
    subprocess.run([sys.executable, '-m', 'pip', 'download', '--quiet',
                    '--no-deps', '--no-binary', ':all:', '--dest', workdir,
                    '%s==%s' % (name, version)], check=True)
    prefix = re.sub(r'[-_.]+', '_', '%s-%s' % (name, version)).lower()
    for entry in os.listdir(workdir):
        normal = re.sub(r'[-_.]+', '_', entry).lower()
        if normal.startswith(prefix) and entry.endswith('.tar.gz'):
            with tarfile.open(os.path.join(workdir, entry)) as archive:
                top = archive.getnames()[0].split('/')[0]
                target = os.path.join(workdir, top)
                if not os.path.isdir(target):
                    archive.extractall(workdir, filter='data')
            return target
    raise SystemExit('no sdist of %s %s in %s' % (name, version, workdir))


class _Collector(cli.LeakCollector):
    """Outcomes and leaks (mocktools' own reader), plus internal errors."""

    def __init__(self):
        super().__init__()
        self.internal_errors = 0

    def _attachment(self, test_id, file_name, data):
        if file_name.startswith('mocktools-internal-error'):
            self.internal_errors += 1
        super()._attachment(test_id, file_name, data)


def _environment(check):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('MOCKTOOLS_')}
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    if check:
        env['MOCKTOOLS_CHECK'] = '1'
    return env


# Rounds: each command runs this many times, in turn with the others; its
# time is the fastest run (the least disturbed by the machine), its
# outcomes those of the last.
REPEAT = 3
# The CPU every command is pinned to (None: wherever the system runs it).
CPU = None


def _command(args, cwd, env, before=None):
    return timed_runs.TimedCommand(args, cwd, env, CPU, before)


def _subunit_command(args, cwd, check=False):
    return _command(args, cwd, _environment(check))


def _subunit_summary(command):
    """The summary dict of a subunit-emitting command's last run."""
    process = command.process
    collector = _Collector()
    cli.read_stream(io.BytesIO(process.stdout), collector)
    internal = collector.internal_errors + process.stderr.count(
        b'leak detector failed')
    leaks = cli._dedupe(collector.leaks)
    return _summary(collector.outcomes, len(leaks), internal, command,
                    [(leak.get('test'), leak.get('path'))
                     for leak in leaks])


def _pytest_command(path, cwd, junit, check=False):
    args = [sys.executable, '-m', 'pytest', '-q', '-p',
            'no:cacheprovider', '--junitxml', junit, path]
    if check:
        args.append('--mocktools-leaks')

    def remove_report():
        # a run that writes none must not be read as the last one's
        if os.path.exists(junit):
            os.remove(junit)
    command = _command(args, cwd, _environment(False), remove_report)
    command.junit = junit
    return command


def _pytest_summary(command):
    """The summary dict of a pytest command's last run (its JUnit XML)."""
    outcomes, findings = {}, set()
    if os.path.exists(command.junit):
        for case in ElementTree.parse(command.junit).iter('testcase'):
            test_id = '%s::%s' % (case.get('classname'), case.get('name'))
            outcome, text = 'passed', ''
            for child in case:
                if child.tag in ('failure', 'error'):
                    outcome = 'failed'
                    text += (child.get('message') or '') + (
                        child.text or '')
                elif child.tag == 'skipped' and outcome == 'passed':
                    outcome = 'skipped'
            outcomes[test_id] = outcome
            findings.update((test_id, leak.get('path'))
                            for leak in cli.parse_report_text(text))
    internal = command.process.stdout.count(b'DetectorErrorWarning')
    return _summary(outcomes, len(findings), internal, command,
                    sorted(findings))


def _summary(outcomes, leaks, internal, command, findings=()):
    counts = dict.fromkeys(('passed', 'failed', 'skipped'), 0)
    for outcome in outcomes.values():
        counts[outcome] += 1
    if not outcomes:
        sys.stderr.write(command.process.stderr.decode(
            'utf8', 'replace')[-2000:])
    return dict(counts, tests=len(outcomes), leaks=leaks, internal=internal,
                seconds=command.wall, cpu=command.cpu_time,
                outcomes=outcomes, findings=list(findings))


def check_peer(name, source):
    """Every path over one peer's suite: a list of (path, summary, base).

    The paths run in turn, ``REPEAT`` rounds of one run each (see
    :mod:`timed_runs`); each path's outcomes are those of its last run.
    """
    loader_args, pytest_path = PEERS[name]
    python = sys.executable
    subunit = [python, '-m', 'subunit.run'] + loader_args
    with tempfile.TemporaryDirectory() as scratch:
        subunit_paths = [
            ('unchecked (subunit.run)', _subunit_command(subunit, source)),
            ('MOCKTOOLS_CHECK=1 subunit.run',
             _subunit_command(subunit, source, check=True)),
            ('python -m mocktools.run', _subunit_command(
                [python, '-m', 'mocktools.run', '--subunit'] + loader_args,
                source)),
            ('LeakCheck fixture in setUp', _subunit_command(
                [python, '-c', _LEAKCHECK_SHIM] + loader_args, source)),
        ]
        pytest_paths = [
            ('unchecked (pytest)', _pytest_command(
                pytest_path, source, os.path.join(scratch, 'off.xml'))),
            ('pytest --mocktools-leaks', _pytest_command(
                pytest_path, source, os.path.join(scratch, 'on.xml'),
                check=True)),
        ]
        # a suite pytest cannot collect is left out after one run
        pytest_paths[0][1].run()
        if not _pytest_summary(pytest_paths[0][1])['tests']:
            pytest_paths = []
        else:
            pytest_paths[0][1].walls.clear()
            pytest_paths[0][1].cpus.clear()
        paths = subunit_paths + pytest_paths
        timed_runs.run_in_turn([command for _, command in paths], REPEAT)
        rows = []
        for label, command in subunit_paths:
            rows.append((label, _subunit_summary(command),
                         rows[0][1] if rows else None))
        for index, (label, command) in enumerate(pytest_paths):
            rows.append((label, _pytest_summary(command),
                         rows[len(subunit_paths)][1] if index else None))
    return rows


def _same(summary, baseline):
    if baseline is None:
        return '(baseline)'
    return 'yes' if summary['outcomes'] == baseline['outcomes'] else 'NO'


def _ratio(summary, baseline, key='seconds'):
    if baseline is None:
        return '1.00'
    return timed_runs.ratio(summary[key], baseline[key])


COLUMNS = ('suite', 'path', 'tests', 'passed', 'failed', 'skipped', 'leaks',
           'internal errors', 'same pass/fail set', 'time ratio',
           'CPU ratio')


def table_rows(results):
    """The printable rows of all results."""
    rows = []
    for suite, checks in results:
        for path, summary, baseline in checks:
            rows.append((suite, path, str(summary['tests']),
                         str(summary['passed']), str(summary['failed']),
                         str(summary['skipped']), str(summary['leaks']),
                         str(summary['internal']), _same(summary, baseline),
                         _ratio(summary, baseline),
                         _ratio(summary, baseline, 'cpu')))
    return rows


def format_plain(rows):
    """Aligned columns for a terminal."""
    widths = [max(len(row[i]) for row in rows + [COLUMNS])
              for i in range(len(COLUMNS))]
    lines = ['  '.join(cell.ljust(width) for cell, width in zip(row, widths))
             for row in [COLUMNS] + rows]
    lines.insert(1, '  '.join('-' * width for width in widths))
    return '\n'.join(lines)


def format_rst(rows):
    """A reStructuredText simple table."""
    widths = [max(len(row[i]) for row in rows + [COLUMNS])
              for i in range(len(COLUMNS))]
    rule = '  '.join('=' * width for width in widths)
    body = ['  '.join(cell.ljust(width) for cell, width in zip(row, widths))
            .rstrip() for row in rows]
    header = '  '.join(cell.ljust(width) for cell, width in
                       zip(COLUMNS, widths)).rstrip()
    return '\n'.join([rule, header, rule] + body + [rule])


def verdict(results):
    """Problems: unexpected reports or outcomes, internal errors."""
    problems = []
    for suite, checks in results:
        name = suite.split()[0]
        for path, summary, baseline in checks:
            if baseline is None:
                if not summary['tests']:
                    problems.append('%s: %s ran no test' % (suite, path))
                continue
            explained = set()
            unknown = []
            for test_id, leaked in summary.get('findings', ()):
                dotted = (test_id or '').replace('::', '.')
                if _known(name, dotted, leaked or ''):
                    explained.add(test_id)
                else:
                    unknown.append('%s in %s' % (leaked, dotted))
            if unknown:
                problems.append('%s: %s: %d unexpected reports, e.g. %s' % (
                    suite, path, len(unknown), '; '.join(unknown[:3])))
            changed = sorted(
                test for test in set(summary['outcomes']) | set(
                    baseline['outcomes'])
                if summary['outcomes'].get(test)
                != baseline['outcomes'].get(test)
                and test not in explained
                and not _order_dependent(name, test.replace('::', '.')))
            if changed:
                problems.append('%s: %s: %d tests differ, e.g. %s' % (
                    suite, path, len(changed), ', '.join(changed[:3])))
            if summary['internal']:
                problems.append('%s: %s: %d internal errors' % (
                    suite, path, summary['internal']))
    return problems


def main(argv=None):
    global REPEAT, CPU
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--workdir', default=os.path.join(
        tempfile.gettempdir(), 'mocktools-peers'),
        help='where the sdists are downloaded and unpacked')
    parser.add_argument('--only', action='append', choices=sorted(PEERS),
                        help='run only this suite (repeatable)')
    parser.add_argument('--repeat', type=int, default=REPEAT,
                        help='rounds: every path of a suite runs once per '
                             'round, in turn; the fastest run of each is '
                             'timed (default: %(default)s)')
    parser.add_argument('--rst', action='store_true',
                        help='print the table as reStructuredText')
    parser.add_argument('--cpu', type=int, default=None,
                        help='pin every run (and what it starts) to this '
                             'CPU')
    args = parser.parse_args(argv)
    REPEAT = max(1, args.repeat)
    if args.cpu is not None:
        if args.cpu not in os.sched_getaffinity(0):
            parser.error('--cpu %d: not one of the CPUs this process may '
                         'use (%s)' % (args.cpu, sorted(
                             os.sched_getaffinity(0))))
        CPU = args.cpu
    os.makedirs(args.workdir, exist_ok=True)
    pins = pinned_versions()
    results = []
    for name in args.only or sorted(PEERS):
        source = fetch(name, pins[name], args.workdir)
        print('running %s %s ...' % (name, pins[name]), flush=True)
        results.append(('%s %s' % (name, pins[name]),
                        check_peer(name, source)))
    rows = table_rows(results)
    print()
    print('Python %s on %s, %s' % (platform.python_version(),
                                   platform.machine(),
                                   datetime.date.today().isoformat()))
    print(format_rst(rows) if args.rst else format_plain(rows))
    problems = verdict(results)
    for problem in problems:
        print('PROBLEM: ' + problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
