"""The detector: drives every guard through each scope, and reports.

One :class:`LeakDetector` per process (:func:`get_detector`) is driven by
whatever runs the tests -- :class:`mocktools.TestCase`, the
:class:`mocktools.fixtures.LeakCheck` fixture, the pytest plugin or the
``mocktools.run`` runner -- through these calls::

    scope = detector.begin_test('pkg.tests.TestX.test_y', settings)
    ...                                  # the test, its tearDown, cleanups
    report = detector.end_test(scope, settings)   # a LeakReport

    cls_scope = detector.begin_class('pkg.tests.TestX')
    report = detector.end_class(cls_scope, settings)

    module_scope = detector.begin_module('pkg.tests.test_x')
    report = detector.end_module(module_scope, settings)

    fixture_scope = detector.begin_fixture('db (scope=module)')
    ...                                  # the fixture's set-up
    detector.suspend(fixture_scope)      # tests run; the fixture stays open
    report = detector.end_fixture(fixture_scope, settings)

At the start of a scope every guard (:mod:`mocktools.guards`) takes its
baseline; at its end -- for a test, after its tearDown and every cleanup --
each guard compares, and what the scope left changed is reported and
restored.  The mock guard (:mod:`mocktools.guards.mocks`) finds dangling
patchers and mocks; the state guards find environment variables, loggers,
oslo.config overrides and the rest.  What a class, module or fixture changed
belongs to it until it ends: the tests it serves neither report nor restore
it.
"""

import functools
import operator
import traceback
import types
import unittest
import unittest.util

from mocktools.engine import escape
from mocktools.engine import instrumentation
from mocktools import guards as guards_package
from mocktools.guards import base as guard_base
from mocktools.guards.mocks import _format_leaks
from mocktools.guards.mocks import Leak
from mocktools.guards.mocks import MockGuard

__all__ = ['Leak', 'LeakDetector', 'LeakReport', 'get_detector']

_UNITTEST_ID = unittest.TestCase.id


def _test_id(cls, method_name):
    """What ``unittest.TestCase.id()`` returns for such a test."""
    return '%s.%s' % (unittest.util.strclass(cls), method_name)


# f -> f(): reads every snapshot guard in one C-level loop
_call = getattr(operator, 'call', None) or (lambda function: function())


class LeakReport:
    """The leaks found at the end of one scope (possibly none)."""

    DETAIL_NAME = 'mocktools-leaks'

    def __init__(self, scope, scope_kind):
        self._scope = scope    # a Scope, or a name
        self.scope_kind = scope_kind
        self.leaks = []
        # found while checking this scope, but left by someone else (an
        # unchecked test, a module's import, another test): reported and
        # healed, never counted against this scope
        self.foreign = []
        self.errors = []   # internal errors of the detector (text)
        # what the state guards found changed (guards.base.Change)
        self.changes = []

    @property
    def scope_name(self):
        """The test id or class name the report is about."""
        scope = self._scope
        return scope if isinstance(scope, str) else scope.name

    def __bool__(self):
        return bool(self.leaks or self.changes)

    @property
    def reportable(self):
        """Whether there is anything to tell: leaks, changes, errors."""
        return bool(self.leaks or self.foreign or self.errors
                    or self.changes)

    def fails(self, settings):
        """Whether the scope fails (``fail`` mode), or only warns."""
        return bool(self.leaks and settings.guard_mode('mocks') == 'fail'
                    or any(change.mode == 'fail' for change in self.changes))

    def to_dict(self):
        """A JSON-friendly form: scope, each leak, and the text."""
        return {
            'version': 1,
            'scope': self.scope_name,
            'scope_kind': self.scope_kind,
            'leaks': [leak.to_dict() for leak in self.leaks] + [
                dict(leak.to_dict(), foreign=True) for leak in self.foreign],
            'changes': [change.to_dict() for change in self.changes],
            'text': self.format(),
        }

    def format(self):
        """The report text: a header, then each leak."""
        lines = []
        if self.leaks:
            lines.append('mocktools: %d dangling mock%s after %s %s' % (
                len(self.leaks), '' if len(self.leaks) == 1 else 's',
                self.scope_kind, self.scope_name))
            lines.extend(_format_leaks(self.leaks))
        if self.foreign:
            lines.append(
                'mocktools: %d dangling mock%s left by code outside %s %s '
                '(found when it was checked; not counted against it)' % (
                    len(self.foreign), '' if len(self.foreign) == 1 else 's',
                    self.scope_kind, self.scope_name))
            lines.extend(_format_leaks(self.foreign))
        if self.changes:
            lines.append('mocktools: %d change%s to global state left by '
                         '%s %s' % (len(self.changes),
                                    '' if len(self.changes) == 1 else 's',
                                    self.scope_kind, self.scope_name))
            for change in self.changes:
                lines.extend(change.format())
        if self.leaks or self.foreign:
            lines.append('Stop every patcher you start (addCleanup(p.stop) '
                         'or a mocktools helper) and never assign mocks to '
                         'modules, classes or sys.modules directly.')
        if self.changes:
            lines.append('Undo every change to global state in a cleanup, '
                         'or make it with a fixture that does '
                         '(fixtures.EnvironmentVariable, '
                         'oslo_config.fixture.Config, fixtures.FakeLogger).')
        return '\n'.join(lines)


class LeakDetector:
    """Runs every guard over each scope; see the module docstring."""

    def __init__(self, state_guards=True):
        self.mocks = MockGuard()
        # state_guards=False: the mock check alone (the benchmark's
        # reference for what the state guards cost)
        self.guards = guards_package.state_guards() if state_guards else []
        self.install()
        # Snapshot guards are read at every scope's start and end, in one
        # tuple; the hook guards share one journal position.  A scope that
        # changed nothing costs those two reads and one comparison.
        self._snapshot_guards = [guard for guard in self.guards
                                 if not guard.journaled]
        self._journal_guards = [guard for guard in self.guards
                                if guard.journaled]
        self._baseline_calls = [guard.baseline
                                for guard in self._snapshot_guards]
        self._snapshot_calls = [guard.snapshot
                                for guard in self._snapshot_guards]
        #: (snapshots, journal position) of the world the last check left
        self._clean = self._state(self._snapshot_calls)
        self._class_scope = None
        self._owners = []     # open class, module and fixture scopes

    # the mock guard's figures, as before guards existed
    @property
    def sweeps(self):
        """How many times global state was swept for mocks."""
        return self.mocks.sweeps

    @property
    def _sweep(self):
        return self.mocks._sweep

    def _global_sweep(self):
        return self.mocks.global_sweep()

    # -- scopes --------------------------------------------------------------

    def _state(self, calls=None):
        """(snapshot of each snapshot guard, journal position) now."""
        return (tuple(map(_call, calls or self._baseline_calls)),
                guard_base.journal.position)

    def _baselines(self, scope, clean_only=False):
        """The (clean, before) states of ``scope``, kept on it."""
        clean = self._clean
        scope.guard_state = (clean, clean if clean_only else self._state())

    def install(self):
        """Hook what was imported since the last call (idempotent).

        A mock backport or oslo.config imported after checking started is
        hooked here; it runs at every class, module and fixture scope, and
        runners call it once their tests are loaded.
        """
        self.mocks.install()
        for guard in self.guards:
            guard.install()

    def _begin_owner(self, scope, clean_only=False):
        self.mocks.begin_test(None)
        self.install()
        self._baselines(scope, clean_only)
        scope.sweeps_before = self.sweeps
        self._owners.append(scope)

    def begin_class(self, name, holder=None):
        """Start recording a class (call before its setUpClass body).

        ``holder`` is the test class: mocks its ``__dict__`` refers to are
        the class's own.
        """
        scope = instrumentation.Scope(name, 'class')
        scope.holder = holder
        self._begin_owner(scope)
        scope.previous = instrumentation.current_scope
        scope.previous_class = self._class_scope
        self._class_scope = scope
        instrumentation.current_scope = scope
        return scope

    def begin_module(self, name):
        """Start recording a test module whose setUpModule already ran.

        Its baseline is the world as the last check left it, so what
        setUpModule changed is the module's own (checked by
        :meth:`end_module`, after tearDownModule).  Only state guards
        check a module.
        """
        scope = instrumentation.Scope(name, 'module')
        self._begin_owner(scope, clean_only=True)
        return scope

    def begin_fixture(self, name, unchecked=()):
        """Start recording a fixture of wider scope (before its set-up).

        Call :meth:`suspend` when its set-up is done and :meth:`end_fixture`
        after its finalizer.  ``unchecked`` names the state guards whose
        state the runner resets around every test, so that a fixture that
        outlives a test cannot leave it changed, and whose comparison would
        only see what the runner set for the first and the last test
        (pytest's per-test warning filters).
        """
        scope = instrumentation.Scope(name, 'fixture')
        scope.unchecked = tuple(unchecked)
        self._begin_owner(scope)
        scope.previous = instrumentation.current_scope
        instrumentation.current_scope = scope
        return scope

    def suspend(self, scope):
        """Stop attributing events to ``scope``; it stays open.

        A test whose set-up set the fixture up takes its baselines again:
        what the fixture changed is the fixture's, checked when it ends.
        """
        if instrumentation.current_scope is scope:
            instrumentation.current_scope = scope.previous
        test = scope.previous
        if test is not None and test.kind == 'test':
            self.rebaseline(test)

    def rebaseline(self, scope):
        """The test ``scope`` takes its state baselines again, now.

        What changed since it began is not the test's: the set-up of a
        fixture of wider scope (see :meth:`suspend`), or the teardown of
        one that a runner ran while the test was being set up.
        """
        if scope.guard_state:
            scope.guard_state = (scope.guard_state[0], self._state())

    def begin_test(self, name, settings=None, holder=None, state=True,
                   fixtures=None):
        """Start recording a test (call before its setUp body).

        ``name`` is the test id, or a callable returning it; ``holder`` is
        the test instance (mocks it refers to are the test's own), and
        ``fixtures`` a dict of the values the runner's fixtures gave the
        test (pytest's ``item.funcargs``, filled as they are set up), which
        are the test's own too.
        ``state=False`` leaves the state guards out of this one test: for a
        check that began in the middle of a set-up that ran before any
        guard was in place, what the world was like is unknown.
        """
        # what the last test left, freed between tests (its finalizers
        # change no baseline of this one)
        escape.collect_finished()
        scope = instrumentation.Scope(name, 'test', self._class_scope, holder)
        if fixtures is not None:
            scope.fixtures = fixtures
        if state:
            self._baselines(scope)
        scope.previous = instrumentation.current_scope
        instrumentation.current_scope = scope
        self.mocks.begin_test(settings)
        return scope

    def end_test(self, scope, settings):
        """Finish a test scope; return its :class:`LeakReport`."""
        instrumentation.current_scope = scope.previous
        scope.open = False
        found = []

        def report():
            if not found:
                found.append(LeakReport(scope, 'test'))
            return found[0]
        try:
            if settings.guard_mode('mocks') != 'off':
                self.mocks.check_test(scope, settings, report)
        except Exception:
            report().errors.append(traceback.format_exc())
        self._check_state(scope, settings, report)
        self._release(scope)
        return found[0] if found else NO_LEAKS

    def _check_state(self, scope, settings, report):
        """Compare, report and restore what the state guards watch."""
        if not scope.guard_state:
            if scope.kind == 'test':
                self._clean = self._state(self._snapshot_calls)
            return
        clean_state, before_state = scope.guard_state
        scope.guard_state = ()
        now = self._state(self._snapshot_calls)
        if now != before_state:
            (clean, clean_position), (before, position) = (clean_state,
                                                           before_state)
            restored = False
            pairs = [(guard, (clean[index], before[index]))
                     for index, guard in enumerate(self._snapshot_guards)
                     if now[0][index] != before[index]
                     and guard.name not in scope.unchecked]
            if now[1] != position:
                # only a guard whose hooks wrote since the scope began can
                # have a change to report (a ConfigOpts made notes None)
                written = {entry[0] for _, entry in
                           guard_base.journal.since(position)}
                pairs.extend((guard, (clean_position, position))
                             for guard in self._journal_guards
                             if guard in written
                             and guard.name not in scope.unchecked)
            for guard, tokens in pairs:
                restored |= self._check_guard(guard, tokens, scope, settings,
                                              report)
            if restored:
                now = self._state(self._snapshot_calls)
        self._clean = now
        journal = guard_base.journal
        if journal.offset != now[1]:
            journal.trim(min([now[1]] + [owner.guard_state[0][1]
                                         for owner in self._owners
                                         if owner.guard_state]))

    @staticmethod
    def _check_guard(guard, tokens, scope, settings, report):
        """Report and restore what ``guard`` finds; whether it restored."""
        mode = settings.guard_mode(guard.name)
        if mode == 'off':
            return False
        restored = False
        try:
            if guard.name == 'threads':
                guard.grace = settings.thread_grace
            for change in guard.compare(*tokens):
                if settings.allows(change.path):
                    continue
                change.blamed = scope.name
                change.mode = mode
                try:
                    change.restored = guard.restore(change)
                except Exception as exc:
                    change.restored = 'restoring failed: %s: %s' % (
                        type(exc).__name__, exc)
                restored = True
                report().changes.append(change)
        except Exception:
            report().errors.append(traceback.format_exc())
        return restored

    @staticmethod
    def _release(scope):
        # Mocks keep their origin, and so this scope, alive: drop what the
        # scope references (the test, through ``test.id``; its patchers).
        name = scope._name
        if type(name) is types.MethodType and name.__func__ is _UNITTEST_ID:
            # unittest's own id(): kept as what it is made of, formatted
            # only if a report ever needs it
            test = name.__self__
            scope._name = functools.partial(
                _test_id, type(test),
                getattr(test, '_testMethodName', None))
        else:
            scope.name  # noqa: B018  (resolves and forgets the callable)
        scope.patchers = ()
        scope.holder = scope.fixtures = None
        scope.born = scope.made = ()

    def end_class(self, scope, settings):
        """Finish a class scope; return its :class:`LeakReport`.

        It holds the patchers started in setUpClass and still active, the
        mocks found in global state (with ``scan='class'``, those of the
        class's tests too, each naming the test that made it), and the
        state the class changed and left.  What a check finds but someone
        else made goes to that check's report as ``foreign``, not here.
        """
        self._class_scope = scope.previous_class
        return self._end_owner(scope, settings)

    def end_module(self, scope, settings):
        """Finish a module scope (after tearDownModule); return its report."""
        return self._end_owner(scope, settings)

    def end_fixture(self, scope, settings):
        """Finish a fixture scope (after its finalizer); return its report.

        It holds the patchers the fixture started and did not stop, the
        mocks it put in global state and left there, and the state it
        changed and left.
        """
        return self._end_owner(scope, settings)

    def _end_owner(self, scope, settings):
        if instrumentation.current_scope is scope:
            instrumentation.current_scope = scope.previous
        scope.open = False
        if scope in self._owners:
            self._owners.remove(scope)
        report = LeakReport(scope, scope.kind)
        try:
            if scope.kind != 'module' and (
                    settings.guard_mode('mocks') != 'off'):
                self.mocks.check_owner(scope, settings, report)
        except Exception:
            report.errors.append(traceback.format_exc())
        self._check_state(scope, settings, lambda: report)
        return report

    def resync(self):
        """Take the current global state as the new 'before'.

        For code that changed global state by hand outside any test (the
        detector cannot tell those changes from leaks).
        """
        self.mocks.resync()
        self._clean = self._state(self._snapshot_calls)


#: The report of a scope in which nothing leaked (shared, never modified).
NO_LEAKS = LeakReport('', 'test')

_detector = None


def get_detector():
    """The process-wide :class:`LeakDetector` (created on first use)."""
    global _detector
    if _detector is None:
        _detector = LeakDetector()
    return _detector
