"""Helpers for mocktools' own tests: run test cases, read the outcome."""

import gc
import os
import subprocess
import sys
import traceback
import unittest

import fixtures
import testtools
from testtools.testresult.doubles import ExtendedTestResult

from mocktools.engine import settings


def has_own_dict(function):
    """Whether ``function`` has a ``__dict__``, told without making one.

    (Reading ``function.__dict__`` gives a function a dict if it had none.)
    """
    shared = (function.__globals__, function.__builtins__)
    return any(type(referent) is dict
               and not any(referent is each for each in shared)
               for referent in gc.get_referents(function))


#: Skips a test on the Pythons that cannot show, by an instance's
#: referents, whether its ``__dict__`` was built: 3.10 always has one, and
#: 3.13 shows the attributes kept inline either way.
INLINE_VISIBLE = testtools.skipUnless(
    (3, 11) <= sys.version_info < (3, 13),
    'only 3.11 and 3.12 show, by its referents, whether an instance has '
    'had its __dict__ built')


def namespaces_built(instance, key):
    """The built ``__dict__`` of ``instance`` (one holding ``key``), if any.

    CPython 3.11+ keeps an instance's attributes inline until something
    reads its ``__dict__``; see :data:`INLINE_VISIBLE`.
    """
    return [referent for referent in gc.get_referents(instance)
            if type(referent) is dict and key in referent]


def calls_to(test, owner, name):
    """Note the calls of ``owner.name`` during ``test``; return the list.

    ``owner.name`` is replaced by a wrapper that appends ``name`` to the
    list and calls the real one; the real one is put back at the test's
    cleanup.  The arguments are not kept: they would add references to
    what an escape check counts.
    """
    calls = []
    real = getattr(owner, name)

    def recorded(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)
    test.addCleanup(setattr, owner, name, real)
    setattr(owner, name, recorded)
    return calls


def _as_text(value):
    if hasattr(value, 'iter_bytes'):
        return b''.join(value.iter_bytes()).decode('utf8', 'replace')
    return str(value)


class Outcome:
    """What running some tests produced, by test id."""

    def __init__(self, result):
        self.result = result
        self.status = {}    # test id -> 'success', 'failure', 'error', 'skip'
        self.details = {}   # test id -> {name: text}
        for event in result._events:
            name = event[0]
            if name in ('addSuccess', 'addFailure', 'addError', 'addSkip'):
                test = event[1]
                test_id = test.id()
                status = name[3:].lower()
                self.status[test_id] = status
                details = event[2] if len(event) > 2 else {}
                if isinstance(details, tuple):   # exc_info, no details
                    details = {'traceback': ''.join(
                        traceback.format_exception(*details))}
                elif not isinstance(details, dict):
                    details = {}
                self.details[test_id] = {
                    key: _as_text(value) for key, value in details.items()}

    def text(self, test_id):
        """All detail text of a test, joined (failure message included)."""
        return '\n'.join(self.details.get(self._find(test_id), {}).values())

    def _find(self, suffix):
        for test_id in self.status:
            if test_id.endswith(suffix):
                return test_id
        raise KeyError('no test ending with %r in %s' % (
            suffix, sorted(self.status)))

    def __getitem__(self, suffix):
        return self.status[self._find(suffix)]

    def class_errors(self):
        """Text of errors reported outside tests (class set-up, tear-down)."""
        texts = []
        for test_id, status in self.status.items():
            if status == 'error' and ('tearDownClass' in test_id
                                      or 'setUpClass' in test_id
                                      or 'ClassCleanup' in test_id
                                      or test_id.startswith('unittest.')):
                texts.append('%s: %s' % (test_id, self.text(test_id)))
        return '\n'.join(texts)


def run_case(*classes, names=None):
    """Run the tests of ``classes`` (in order) and return an :class:`Outcome`.

    ``names`` limits to those test method names.  A plain unittest suite runs
    them, so class set-up and tear-down happen as under any runner.
    """
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for klass in classes:
        if names:
            suite.addTests(klass(name) for name in names
                           if hasattr(klass, name))
        else:
            suite.addTests(loader.loadTestsFromTestCase(klass))
    result = ExtendedTestResult()
    suite.run(testtools.ExtendedToOriginalDecorator(result))
    return Outcome(result)


def run_python(script, **environ):
    """Run ``script`` with ``python -c`` in a fresh process.

    No ``MOCKTOOLS_*`` variable is passed on; ``environ`` adds variables.
    Returns the ``CompletedProcess``: its output and errors, as text, in
    ``stdout``.
    """
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('MOCKTOOLS_')}
    env.update(environ)
    return subprocess.run([sys.executable, '-c', script], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120)


class KnobEnvironment(fixtures.Fixture):
    """Set (or, with None, unset) ``MOCKTOOLS_*`` variables for one test.

    mocktools reads them once, when checking starts; this fixture has them
    read again after setting them and after putting them back.
    """

    def __init__(self, **variables):
        super().__init__()
        self.variables = variables

    @classmethod
    def unset(cls):
        """Every variable mocktools reads unset: the knobs' defaults."""
        names = [variable for _, variable, _, _ in settings._KNOBS]
        names.append(settings.ALLOW_VARIABLE)
        return cls(**dict.fromkeys(names))

    def _setUp(self):
        self.addCleanup(settings.reload_environment)
        for name, value in self.variables.items():
            self.useFixture(fixtures.EnvironmentVariable(name, value))
        settings.reload_environment()
