"""The cost benchmark still runs: the docs quote what it prints.

It is not run by the test suite otherwise (``tox -e bench`` takes minutes),
and it reaches into mocktools' hooks (its skeleton wraps what mocktools
hooks, its baseline takes the hooks out); a small run of it here fails when
a change to the hooks or the detector breaks it.  What it measures is not
asserted: a timed test is no benchmark.
"""

import os
import subprocess
import sys

import testtools
from testtools import matchers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'benchmarks', 'leak_overhead.py')


class TestBenchmarkRuns(testtools.TestCase):

    def test_a_small_run_of_every_table(self):
        if not os.path.exists(SCRIPT):
            self.skipTest('no benchmarks/ here (an installed copy)')
        args = [sys.executable, SCRIPT, '--workload', 'patch', '--workload',
                'escaping', '--classes', '1', '--repeat', '1',
                '--population', '50', '--split', '--paths']
        counting = sys.version_info >= (3, 12)
        if counting:
            args.append('--count')
        env = {key: value for key, value in os.environ.items()
               if not key.startswith('MOCKTOOLS_')}
        env['PYTHONPATH'] = os.pathsep.join(
            [ROOT] + [env['PYTHONPATH']] if env.get('PYTHONPATH') else [ROOT])
        process = subprocess.run(args, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True,
                                 timeout=300)
        self.assertEqual(0, process.returncode, process.stdout)
        for line in ('with 50 synthetic modules',
                     'where the time goes',
                     'each checking path',
                     'escaping, large population: '):
            self.assertThat(process.stdout, matchers.Contains(line))
        if counting:
            # the skeleton's pass-through hooks went in and out again
            self.assertThat(process.stdout, matchers.Contains(
                'bytecodes per test'))
