"""Time test commands side by side: interleaved runs, wall and CPU time.

Shared by ``tools/peers.py`` and ``tools/suite_cost.py``.  On a shared
machine the speed drifts by more than a leak check costs, within minutes:
so the commands being compared run in turn (A B A B ...), never all the
runs of one and then all of the other, and each command's time is the
fastest of its runs, the least disturbed.  Next to the wall time, the CPU
time (user + system) of the command and everything it started and waited
for is kept: it does not count the time other processes took the CPU away,
so it varies less than the wall time on a busy machine (it does count
work a slower machine spends longer on, so it is no cure for drift).
"""

import os
import subprocess
import tempfile
import time


class TimedCommand:
    """One command, run as often as :func:`run_in_turn` says; its times.

    ``cpu`` pins the command (and what it starts) to that CPU; ``before``,
    if given, is called before each run, untimed (to remove what the last
    run left behind).  After the runs, ``process`` is the last run's
    ``CompletedProcess``, ``walls`` and ``cpus`` the seconds of each run,
    ``peaks`` the peak memory of each (MiB: the largest resident set of
    the command or of a process it started and waited for).
    """

    def __init__(self, args, cwd=None, env=None, cpu=None, before=None):
        self.args = args
        self.cwd = cwd
        self.env = env
        self.cpu = cpu
        self.before = before
        self.walls = []
        self.cpus = []
        self.peaks = []    # MiB
        self.process = None

    def _pin(self):
        os.sched_setaffinity(0, {self.cpu})

    def run(self):
        """Run the command once, capturing its output; note its times."""
        if self.before is not None:
            self.before()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            process = subprocess.Popen(
                self.args, cwd=self.cwd, env=self.env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                preexec_fn=None if self.cpu is None else self._pin)
            # wait4: the usage of the command and of every process it
            # waited for (stestr's workers), its peak memory included
            _, status, usage = os.wait4(process.pid, 0)
            self.walls.append(time.perf_counter() - start)
            process.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            self.process = subprocess.CompletedProcess(
                self.args, process.returncode, out.read(), err.read())
        self.cpus.append(usage.ru_utime + usage.ru_stime)
        # the largest resident set of one of those processes (Linux: KiB)
        self.peaks.append(usage.ru_maxrss / 1024)
        return self.process

    @property
    def wall(self):
        """The fastest run's wall time (seconds)."""
        return min(self.walls)

    @property
    def cpu_time(self):
        """The least CPU time of a run (seconds)."""
        return min(self.cpus)


def run_in_turn(commands, rounds, after=None):
    """Run each of ``commands`` once per round, in turn, ``rounds`` times.

    The order alternates from one round to the next (A B, then B A), so
    that neither side always runs just after the other.  ``after``, if
    given, is called with the round (from 0) and the command after each
    run (to report it as it comes).
    """
    for round_ in range(rounds):
        for command in (commands if round_ % 2 == 0 else commands[::-1]):
            command.run()
            if after is not None:
                after(round_, command)
    return commands


def ratio(value, baseline):
    """``value / baseline`` as text with two decimals ('-' without one)."""
    if not baseline:
        return '-'
    return '%.2f' % (value / baseline)
