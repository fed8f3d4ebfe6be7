"""The ``mocktools`` command: ``mocktools leaks [FILE ...]``.

Reads subunit v2 streams (stdin when no file is named), collects every leak
report the detector attached to a test (the ``mocktools-leaks`` JSON
attachment, or a report in a traceback, as class-level leaks carry) -- a
dangling mock or a state guard's change (:mod:`mocktools.guards`) -- and
prints them grouped by leaked target::

    stestr last --subunit | mocktools leaks
    mocktools leaks worker-0.subunit worker-1.subunit --format json

It also counts the tests' outcomes and lists the tests that failed (or
errored) without a leak report, so that a CI step piping ``stestr last
--subunit`` into it cannot pass on a suite that is red for another reason.

Exit status (see :data:`EXIT_CODES`):

* 0 -- every test passed or was skipped, and nothing leaked;
* 1 -- leaks were found, and every test that failed carried a leak report;
* 3 -- a test failed or errored without a leak report (leaks or not);
* 2 -- an input could not be read, or held no test at all (the message
  says which and why).
"""

import argparse
import collections
import json
import re
import sys

import subunit
import testtools

__all__ = ['EXIT_CODES', 'LeakCollector', 'main', 'parse_report_text']

#: Exit status of ``mocktools leaks`` -> what it means.
EXIT_CODES = {
    0: 'every test passed or was skipped; no leak',
    1: 'leaks found; every failed test carried a leak report',
    2: 'an input could not be read or held no test',
    3: 'tests failed or errored without a leak report',
}

_HEADER = re.compile(r'mocktools: \d+ (dangling mocks? after|changes? to '
                     r'global state left by) (test|class|module|fixture) '
                     r'(?P<scope>\S+)')
_FIELD = re.compile(r'^      (kind|mock|created|by|healed|fix|change|'
                    r'changed|restored): +(.*)$')
_KEYS = {'created': 'created_at', 'changed': 'created_at', 'by': 'leaked_by'}
# A further mock of an entry that groups several places, under ``mock:``.
_MORE_MOCKS = re.compile(r'^ {15}(\S.*)$')


def parse_report_text(text):
    """Leaks (as dicts) from the human-readable report inside ``text``.

    An entry that groups several places (see the detector's report) gives
    one leak per place, each with what the entry's fields say and its own
    mock.
    """
    leaks = []
    entry = []          # the leaks of the entry being read, one per place
    mocks = None        # its mocks while ``mock:`` lines are being read
    in_fields = False   # whether the entry's places are all read
    in_report = False
    for line in text.splitlines():
        if _HEADER.search(line):
            in_report, entry, mocks, in_fields = True, [], None, False
            continue
        if not in_report:
            continue
        field = _FIELD.match(line)
        more = _MORE_MOCKS.match(line) if mocks is not None else None
        if field and entry:
            key = _KEYS.get(field.group(1), field.group(1))
            for leak in entry:
                leak[key] = field.group(2)
            mocks = [field.group(2)] if key == 'mock' else None
            in_fields = True
        elif more:
            # one mock per place, in the order of the places
            mocks.append(more.group(1))
            if len(mocks) == len(entry):
                for leak, mock in zip(entry, mocks):
                    leak['mock'] = mock
        elif line.startswith('  ') and not line.startswith('   '):
            if in_fields:
                entry, in_fields = [], False
            entry.append({'path': line.strip()})
            leaks.append(entry[-1])
            mocks = None
        else:
            in_report, entry, mocks, in_fields = False, [], None, False
    return leaks


class LeakCollector(testtools.StreamResult):
    """A ``StreamResult`` that gathers leak reports and counts tests."""

    DETAIL = 'mocktools-leaks'

    # subunit v2 final statuses -> the outcome they count as
    OUTCOMES = {'success': 'passed', 'xfail': 'passed', 'skip': 'skipped',
                'fail': 'failed', 'uxsuccess': 'failed'}

    def __init__(self):
        super().__init__()
        self.tests = set()
        self.outcomes = {}        # test id -> 'passed', 'failed', 'skipped'
        self.leaks = []           # dicts, each with 'test' added
        self._files = collections.defaultdict(bytearray)
        self._from_json = set()
        self.non_subunit_bytes = 0

    def status(self, test_id=None, test_status=None, test_tags=None,
               runnable=True, file_name=None, file_bytes=None, eof=False,
               mime_type=None, route_code=None, timestamp=None):
        """Record one stream event (testtools ``StreamResult`` API)."""
        if test_id is None:
            if file_name == 'stdout' and file_bytes:
                self.non_subunit_bytes += len(file_bytes)
            return
        if test_status is not None:
            self.tests.add(test_id)
            outcome = self.OUTCOMES.get(test_status)
            if outcome is not None:
                self.outcomes[test_id] = outcome
        if file_name is None:
            return
        key = (test_id, file_name)
        if file_bytes:
            self._files[key].extend(file_bytes)
        if eof:
            self._attachment(test_id, file_name,
                             bytes(self._files.pop(key, b'')))

    def _attachment(self, test_id, file_name, data):
        text = data.decode('utf8', 'replace')
        if file_name == self.DETAIL:
            try:
                report = json.loads(text)
            except ValueError:
                return
            self._from_json.add(test_id)
            for leak in report.get('leaks', ()):
                self.leaks.append(dict(leak, test=test_id))
            for change in report.get('changes', ()):
                # a state guard's finding: summarised like a leak
                self.leaks.append({
                    'path': change.get('path'), 'kind': change.get('kind'),
                    'change': '%s -> %s' % (change.get('before'),
                                            change.get('after')),
                    'created_at': change.get('changed_at'),
                    'leaked_by': change.get('changed_by'),
                    'healed': change.get('restored'), 'test': test_id})
        elif ('dangling mock' in text or 'to global state left by' in text) \
                and test_id not in self._from_json:
            for leak in parse_report_text(text):
                leak.setdefault('leaked_by', test_id)
                self.leaks.append(dict(leak, test=test_id))

    def counts(self):
        """``{'passed': n, 'failed': n, 'skipped': n}``."""
        counts = dict.fromkeys(('passed', 'failed', 'skipped'), 0)
        for outcome in self.outcomes.values():
            counts[outcome] += 1
        return counts

    def failed_without_leaks(self):
        """Ids of the tests that failed or errored with no leak report."""
        leaked = {leak['test'] for leak in self.leaks}
        return sorted(test_id for test_id, outcome in self.outcomes.items()
                      if outcome == 'failed' and test_id not in leaked)

    def stopTestRun(self):
        """Flush attachments that never saw an ``eof``."""
        for (test_id, file_name), data in list(self._files.items()):
            self._attachment(test_id, file_name, bytes(data))
        self._files.clear()
        super().stopTestRun()


def read_stream(stream, collector):
    """Feed one subunit v2 byte stream into ``collector``."""
    case = subunit.ByteStreamToStreamResult(stream, non_subunit_name='stdout')
    collector.startTestRun()
    try:
        case.run(collector)
    finally:
        collector.stopTestRun()


def _dedupe(leaks):
    """One entry per (path, kind, leaker); a leak seen twice counts once."""
    seen = {}
    for leak in leaks:
        key = (leak.get('path'), leak.get('kind'),
               leak.get('leaked_by') or leak.get('test'),
               leak.get('created_at'))
        seen.setdefault(key, leak)
    return list(seen.values())


def group_by_target(leaks):
    """``{path: [leak, ...]}``, targets sorted by name."""
    groups = collections.OrderedDict()
    for leak in sorted(leaks, key=lambda item: (item.get('path') or '',
                                                item.get('test') or '')):
        groups.setdefault(leak.get('path') or '<unknown>', []).append(leak)
    return groups


def format_text(groups):
    """The grouped report, one block per leaked target."""
    lines = []
    for path, leaks in groups.items():
        lines.append(path)
        kinds = sorted({leak.get('kind') or '?' for leak in leaks})
        lines.append('    kind:      %s' % '; '.join(kinds))
        fixes = sorted({leak['fix'] for leak in leaks if leak.get('fix')})
        for fix in fixes:
            lines.append('    fix:       %s' % fix)
        for leak in leaks:
            lines.append('    leaked by: %s' % (
                leak.get('leaked_by') or leak.get('test')))
            if leak.get('change'):
                lines.append('      change:  %s' % leak['change'])
            lines.append('      %s %s' % (
                'changed:' if leak.get('change') else 'created:',
                leak.get('created_at') or 'unknown'))
            if leak.get('test') and leak.get('test') != leak.get(
                    'leaked_by'):
                lines.append('      reported in: %s' % leak['test'])
        lines.append('')
    return '\n'.join(lines)


def cmd_leaks(args, stdin, stdout, stderr):
    """``mocktools leaks``: see the module docstring."""
    collector = LeakCollector()
    sources = args.files or ['-']
    for name in sources:
        before = (len(collector.tests), collector.non_subunit_bytes)
        try:
            if name == '-':
                read_stream(stdin, collector)
            else:
                with open(name, 'rb') as stream:
                    read_stream(stream, collector)
        except OSError as exc:
            stderr.write('mocktools leaks: cannot read %s: %s\n' % (
                name, exc.strerror or exc))
            return 2
        except Exception as exc:
            stderr.write('mocktools leaks: %s is not a readable subunit v2 '
                         'stream: %s\n' % (_label(name), exc))
            return 2
        tests_read = len(collector.tests) - before[0]
        garbage = collector.non_subunit_bytes - before[1]
        if tests_read == 0 and garbage:
            stderr.write('mocktools leaks: %s is not a subunit v2 stream '
                         '(%d bytes of other data, no test events); pipe '
                         '`stestr last --subunit` or a subunit file\n' % (
                             _label(name), garbage))
            return 2
    if not collector.tests:
        stderr.write('mocktools leaks: no test in %s; did the run start? '
                     '(pipe `stestr last --subunit` or subunit files)\n' % (
                         ', '.join(_label(name) for name in sources)))
        return 2
    leaks = _dedupe(collector.leaks)
    groups = group_by_target(leaks)
    counts = collector.counts()
    other_failures = collector.failed_without_leaks()
    if other_failures:
        status = 3
    else:
        status = 1 if leaks else 0
    if args.format == 'json':
        json.dump({'tests': len(collector.tests), 'streams': len(sources),
                   'outcomes': counts,
                   'failed_without_leaks': other_failures,
                   'exit_status': status,
                   'leaks': leaks,
                   'targets': {path: [leak.get('leaked_by') or leak['test']
                                      for leak in items]
                               for path, items in groups.items()}},
                  stdout, indent=1, sort_keys=True)
        stdout.write('\n')
    else:
        if groups:
            stdout.write(format_text(groups))
        if other_failures:
            stdout.write('Failed or errored without a leak report (%d):\n'
                         % len(other_failures))
            stdout.write(''.join('    %s\n' % test_id
                                 for test_id in other_failures))
            stdout.write('\n')
        leakers = {leak.get('leaked_by') or leak.get('test')
                   for leak in leaks}
        stdout.write('mocktools leaks: %d leak%s of %d target%s by %d '
                     'test%s; read %d tests from %d stream%s: %d passed, '
                     '%d failed, %d skipped\n' % (
                         len(leaks), _s(leaks), len(groups), _s(groups),
                         len(leakers), _s(leakers), len(collector.tests),
                         len(sources), _s(sources), counts['passed'],
                         counts['failed'], counts['skipped']))
    return status


def _s(items):
    return '' if len(items) == 1 else 's'


def _label(name):
    return 'standard input' if name == '-' else name


def build_parser():
    """The argument parser of the ``mocktools`` command."""
    parser = argparse.ArgumentParser(
        prog='mocktools', description='mocktools command line tools')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND')
    leaks = commands.add_parser(
        'leaks', help='summarise leak reports from subunit v2 streams',
        description='Summarise the dangling-mock reports in subunit v2 '
                    'streams (stdin when no FILE), grouped by target, and '
                    'count the tests\' outcomes. Exit status: ' + '; '.join(
                        '%d: %s' % item for item in sorted(
                            EXIT_CODES.items())) + '.')
    leaks.add_argument('files', nargs='*', metavar='FILE',
                       help='subunit v2 files ("-" for stdin)')
    leaks.add_argument('--format', choices=('text', 'json'), default='text',
                       help='output format (default: text)')
    return parser


def main(argv=None, stdin=None, stdout=None, stderr=None):
    """Entry point of the ``mocktools`` console script."""
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == 'leaks':
        return cmd_leaks(args, stdin, stdout, stderr)
    parser.print_help(stderr)
    return 2
