#!/usr/bin/env python3
"""What do the leak checks cost a real suite?  Unchecked and checked, in turn.

Runs a project's own test command (``stestr run``, ``python -m pytest``,
...) alternately without mocktools' checks and with ``MOCKTOOLS_CHECK=1``
(or with ``--checked-args`` added, for a runner switched on by a flag),
``--rounds`` times each, and prints every run's wall and CPU time and
peak memory, then the ratios checked/unchecked: of the fastest runs, the
median of the rounds' own ratios, and the largest peak of each side.
The runs alternate (see ``tools/timed_runs.py``), so the machine's drift
falls on both sides; ``--cpu N`` pins every run to one CPU (use it for a
serial run).  Used for the Trove and cinder figures
of doc/source/user/tested_on.rst::

    python tools/suite_cost.py --cwd ../trove --rounds 5 --cpu 1 \\
        --reset 'rm -f trove_test.sqlite' -- stestr run --serial

The command's environment is this one's, without ``MOCKTOOLS_*`` settings
on the unchecked side; ``--env NAME=VALUE`` adds to the checked side only
(an allow-list: ``--env MOCKTOOLS_ALLOW=...``).  ``--logs DIR`` keeps each
run's output (``unchecked-1.log``, ``checked-1.log`` ...).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

import timed_runs


def _environments(extra):
    base = {key: value for key, value in os.environ.items()
            if not key.startswith('MOCKTOOLS_')}
    checked = dict(base, MOCKTOOLS_CHECK='1')
    for item in extra:
        name, sep, value = item.partition('=')
        if not sep or not name:
            raise SystemExit('--env %r: expected NAME=VALUE' % (item,))
        checked[name] = value
    return base, checked


# The summary lines of stestr (" - Passed: 812"), pytest ("3 failed, 9
# passed in 1.2s") and unittest ("Ran 12 tests", "FAILED (failures=3)").
_SUMMARY = re.compile(r'^\s*(- (Passed|Failed|Skipped): \d+|=* ?\d+ '
                      r'(passed|failed)\b.*|Ran \d+ tests?\b.*|OK\b.*|'
                      r'FAILED \(.*)$')


def _summary(process):
    """The test counts the command printed (else its last line)."""
    text = (process.stdout + process.stderr).decode('utf8', 'replace')
    lines = text.strip().splitlines()
    found = [line.strip(' =') for line in lines if _SUMMARY.match(line)]
    return ', '.join(found[-3:]) if found else (lines[-1] if lines else '')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=3,
                        help='runs of each side (default: %(default)s)')
    parser.add_argument('--cpu', type=int, default=None,
                        help='pin every run to this CPU')
    parser.add_argument('--cwd', default=None,
                        help='where the command runs (the project)')
    parser.add_argument('--env', action='append', default=[],
                        help='NAME=VALUE for the checked side (repeatable)')
    parser.add_argument('--checked-args', default='',
                        help='added to the command on the checked side, '
                             'instead of MOCKTOOLS_CHECK=1 '
                             '(e.g. --mocktools-leaks)')
    parser.add_argument('--reset', default=None,
                        help='a shell command run (untimed, in --cwd) '
                             'before every run: for a suite that leaves '
                             'state behind (Trove: rm -f trove_test.sqlite)')
    parser.add_argument('--logs', default=None,
                        help='a directory to keep each run\'s output in')
    parser.add_argument('command', nargs=argparse.REMAINDER,
                        help='-- then the test command')
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ['--'] else (
        args.command)
    if not command:
        parser.error('no test command given (after --)')
    if args.cpu is not None and args.cpu not in os.sched_getaffinity(0):
        parser.error('--cpu %d: not one of the CPUs this process may use '
                     '(%s)' % (args.cpu, sorted(os.sched_getaffinity(0))))
    unchecked_env, checked_env = _environments(args.env)
    checked_command = list(command)
    if args.checked_args:
        checked_command += args.checked_args.split()
        checked_env.pop('MOCKTOOLS_CHECK')

    def reset():
        subprocess.run(args.reset, shell=True, cwd=args.cwd, check=True)
    before = reset if args.reset else None
    off = timed_runs.TimedCommand(command, args.cwd, unchecked_env,
                                  args.cpu, before)
    on = timed_runs.TimedCommand(checked_command, args.cwd, checked_env,
                                 args.cpu, before)
    names = {id(off): 'unchecked', id(on): 'checked'}
    if args.logs:
        os.makedirs(args.logs, exist_ok=True)

    def report(round_, timed):
        name, process = names[id(timed)], timed.process
        print('%-10s %5d %9.1f %9.1f %8.0f %5d  %s' % (
            name, round_ + 1, timed.walls[-1], timed.cpus[-1],
            timed.peaks[-1], process.returncode, _summary(process)),
            flush=True)
        if args.logs:
            path = os.path.join(args.logs, '%s-%d.log' % (name, round_ + 1))
            with open(path, 'wb') as handle:
                handle.write(process.stdout + process.stderr)
    print('%-10s %5s %9s %9s %8s %5s  %s' % (
        'side', 'run', 'wall s', 'CPU s', 'peak MiB', 'exit', 'tests'))
    timed_runs.run_in_turn([off, on], max(1, args.rounds), report)
    walls = [b / a for a, b in zip(off.walls, on.walls)]
    cpus = [b / a for a, b in zip(off.cpus, on.cpus)]
    print('\nchecked / unchecked, fastest runs: wall %s, CPU %s' % (
        timed_runs.ratio(on.wall, off.wall),
        timed_runs.ratio(on.cpu_time, off.cpu_time)))
    print('per round: wall %s (median %.2f); CPU %s (median %.2f)' % (
        ' '.join('%.2f' % value for value in walls),
        statistics.median(walls),
        ' '.join('%.2f' % value for value in cpus),
        statistics.median(cpus)))
    print('peak memory of one process, largest of the runs: unchecked %.0f '
          'MiB, checked %.0f MiB (%s)' % (
              max(off.peaks), max(on.peaks),
              timed_runs.ratio(max(on.peaks), max(off.peaks))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
