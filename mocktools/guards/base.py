"""The interface every guard implements, and what guards share.

A guard watches one kind of process-wide state (environment variables,
loggers, oslo.config overrides...).  The detector asks every guard for a
**baseline** when a scope (a test, a class, a module, a fixture) begins and,
when it ends, to **compare** the state with it; each difference is a
:class:`Change` that the guard **describes** (path, old -> new) and
**restores**.  The per-test cost is the baseline and one comparison, so a
guard keeps both to a few hundred nanoseconds when nothing changed: it
compares a small snapshot (:class:`SnapshotGuard`), or it hooks the few
functions that write its state and reads the shared :data:`journal` of
writes (:class:`JournalGuard`), which costs nothing per test.

Which state a scope left changed is decided against two references: the
state when the scope began (*before*) and the state when the previous check
ended (*clean*, the world as the last check left it).  A value that differs
from both is a change; one that is back to the clean value was restored by
something the scope registered -- a fixture set up before the check began,
whose cleanup runs before the check (``fixtures.EnvironmentVariable`` in an
oslotest ``setUp``, ``fixtures.FakeLogger``) -- and is not.
"""

import _collections_abc
import logging
import os
import signal
import socket
import sys
import threading
import warnings

from mocktools.engine import instrumentation

__all__ = ['Change', 'Guard', 'JournalGuard', 'MISSING', 'SnapshotGuard',
           'journal', 'safe_repr', 'state_origin', 'writer_frame']

#: Marks a value that was not there (an unset variable, no override).
MISSING = instrumentation.MISSING

# Frames in these files write state on someone's behalf: the origin of a
# change is the first frame outside them.  Exact files, so that a library's
# own tests (oslo_config/tests/...) are not taken for the library.
_WRITER_FILES = frozenset(
    [module.__file__ for module in (os, threading, warnings, signal, socket,
                                    _collections_abc)]
    + ['<frozen os>', '<frozen _collections_abc>'])
_WRITER_DIRS = (os.path.dirname(logging.__file__) + os.sep,)
_WRITER_SUFFIXES = tuple(os.sep + os.path.join(*parts) for parts in (
    ('oslo_config', 'cfg.py'), ('oslo_config', 'fixture.py'),
    ('oslo_log', 'log.py'), ('mocktools', 'isolation.py'),
    ('mocktools', 'config.py'),
    # a pool starts its worker in submit(): the caller's line is the start
    ('concurrent', 'futures', 'thread.py'), ('futurist', '_futures.py'),
    # a test's monkeypatch.setenv() is the test's write; the fixture's
    # undo at teardown is pytest's
    ('_pytest', 'monkeypatch.py')))
_WRITER_PARTS = (os.sep + 'mocktools' + os.sep + 'guards' + os.sep,)
# A write whose callers are all machinery up to these files was made by a
# cleanup the runner ran: it has no line of the user's to show.
_RUNNER_FILES = tuple(os.sep + os.path.join(*parts) for parts in (
    ('unittest', 'case.py'), ('unittest', 'suite.py'),
    ('mocktools', 'integrations', 'run.py'),
    ('mocktools', 'integrations', 'autocheck.py'),
    ('mocktools', 'integrations', 'leak_fixture.py')))
# Writes pytest makes for itself in every test phase (its log capture
# handlers, PYTEST_CURRENT_TEST): not the test's doing, never reported.
_PYTEST = (os.sep + '_pytest' + os.sep, os.sep + 'pluggy' + os.sep)
#: What :func:`state_origin` returns for a write pytest made for itself,
#: or one made by a module's top-level code while it is imported.
RUNNER_WRITE = object()
_writer_file = {}


def _is_writer(filename):
    known = _writer_file.get(filename)
    if known is None:
        known = _writer_file[filename] = (
            instrumentation._is_machinery(filename)
            or filename in _WRITER_FILES
            or filename.startswith(_WRITER_DIRS)
            or filename.endswith(_WRITER_SUFFIXES)
            or any(part in filename for part in _WRITER_PARTS))
    return known


def writer_frame(depth=2):
    """The frame that wrote state: the first outside the writing libraries.

    Those that write on a caller's behalf (``os``, ``logging``,
    ``fixtures``, ``unittest.mock``...); the outermost frame if every one
    is theirs.
    """
    frame = sys._getframe(depth)
    last = frame
    while frame is not None and _is_writer(frame.f_code.co_filename):
        last = frame
        frame = frame.f_back
    return last if frame is None else frame


def state_origin(depth=2):
    """The :class:`~mocktools.engine.instrumentation.Origin` of a state write.

    The first frame outside the libraries that write state on a caller's
    behalf (``os``, ``logging``, ``fixtures``, ``unittest.mock``...).  None
    when that frame is the runner's (a cleanup it ran), and
    :data:`RUNNER_WRITE` for a write of pytest's own or one made while a
    module is imported.
    """
    frame = writer_frame(depth + 1)
    filename = frame.f_code.co_filename
    if any(part in filename for part in _PYTEST) or (
            instrumentation.importing(frame)):
        return RUNNER_WRITE
    if filename.endswith(_RUNNER_FILES):
        return None
    scope = instrumentation.current_scope
    return instrumentation.Origin(
        scope, filename, frame.f_lineno, frame.f_code.co_name,
        None if scope is not None else instrumentation._running_test(frame))


def safe_repr(value, limit=120):
    """``repr(value)``, shortened, never raising; ``<unset>`` for MISSING."""
    if value is MISSING:
        return '<unset>'
    try:
        text = repr(value)
    except Exception as exc:
        text = '<%s object (repr failed: %s)>' % (type(value).__name__, exc)
    return text if len(text) <= limit else text[:limit - 3] + '...'


class Change:
    """One piece of state a scope left changed: what, old -> new, where."""

    __slots__ = ('guard', 'path', 'kind', 'before', 'after', 'origin',
                 'blamed', 'restored', 'mode', 'key', 'previous')

    def __init__(self, guard, key, path, kind, before, after, previous,
                 origin=None):
        self.guard = guard        # the Guard's name, e.g. 'environ'
        self.key = key            # the guard's own key, for restore()
        self.path = path          # e.g. "os.environ['HOME']"
        self.kind = kind          # e.g. 'environment variable changed'
        self.before = before      # text of the value before
        self.after = after        # text of the value left behind
        self.previous = previous  # the value to put back
        self.origin = origin      # Origin of the (last) write, or None
        self.blamed = None        # the scope's name, set by the detector
        self.restored = None      # what restoring did, in words
        self.mode = 'fail'        # 'fail' or 'warn', set by the detector

    def to_dict(self):
        """A JSON-friendly form (``mocktools leaks --format json``)."""
        return {
            'guard': self.guard,
            'path': self.path,
            'kind': self.kind,
            'before': self.before,
            'after': self.after,
            'changed_at': self.origin.location() if self.origin else None,
            'changed_by': self.blamed,
            'restored': self.restored,
        }

    def format(self):
        """The lines describing this change in a report."""
        where = (self.origin.location() if self.origin is not None
                 else 'unknown (no record of the write)')
        return [
            '  %s' % self.path,
            '      kind:     %s [%s]' % (self.kind, self.guard),
            '      change:   %s -> %s' % (self.before, self.after),
            '      changed:  %s' % where,
            '      by:       %s' % (self.blamed or 'unknown'),
            '      restored: %s' % self.restored,
        ]


class Guard:
    """One kind of global state: baseline, compare, describe, restore.

    Subclasses set :attr:`name` (the knob that switches the guard) and
    :attr:`title`, and implement the four methods.  The detector makes one
    of each (:func:`mocktools.guards.state_guards`).
    """

    #: The guard's knob name (``MOCKTOOLS_GUARDS=environ=off``).
    name = None
    #: What it watches, in a few words.
    title = None
    #: Whether its baseline is the shared :data:`journal`'s position.
    journaled = False

    def install(self):
        """Put hooks in place, once (called when checking starts)."""

    def baseline(self):
        """A cheap token of the state now (kept by the scope)."""
        raise NotImplementedError

    def compare(self, clean, before):
        """The :class:`Change` list of what differs from both tokens."""
        raise NotImplementedError

    def describe(self, key, old, new, subject=None):
        """``(path, kind)`` of a change of ``key`` from ``old`` to ``new``.

        ``subject`` is what the key belongs to (a logger, a ConfigOpts), for
        guards whose hooks record it.
        """
        raise NotImplementedError

    def restore(self, change):
        """Put ``change.previous`` back; return what was done, in words."""
        raise NotImplementedError

    def _change(self, key, old, new, origin=None, subject=None):
        path, kind = self.describe(key, old, new, subject)
        return Change(self.name, key, path, kind, self.show(old),
                      self.show(new), old, origin)

    @staticmethod
    def show(value):
        """A value as a report shows it."""
        return safe_repr(value)

    @staticmethod
    def same(old, new):
        """Whether two values of a key are the same state."""
        if old is new:
            return True
        if old is MISSING or new is MISSING:
            return False
        if type(old) in _PLAIN and type(new) is type(old):
            return old == new
        return False


_PLAIN = frozenset((str, bytes, int, float, bool, type(None), tuple,
                    frozenset))


def keyed_changes(guard, clean, before, now):
    """The :class:`Change` list between three ``{key: value}`` dicts.

    A key is changed when its value now differs from ``before`` and from
    ``clean`` (see the module docstring).
    """
    changes = []
    same = guard.same
    for key in list(before) + [key for key in now if key not in before]:
        old = before.get(key, MISSING)
        new = now.get(key, MISSING)
        if same(old, new) or same(clean.get(key, MISSING), new):
            continue
        changes.append(guard._change(key, old, new))
    return changes


class SnapshotGuard(Guard):
    """A guard whose whole state is a small snapshot, compared each time.

    Subclasses implement :meth:`snapshot` (cheap; equal snapshots mean an
    unchanged state), :meth:`items` (``{key: value}`` of a snapshot) and
    :meth:`put`.
    """

    def snapshot(self):
        """The state now, as a cheap comparable value."""
        raise NotImplementedError

    def items(self, snapshot):
        """``{key: value}`` of ``snapshot``."""
        return snapshot

    def baseline(self):
        return self.snapshot()

    def compare(self, clean, before):
        now = self.snapshot()
        if now == before:
            return []
        return keyed_changes(self, self.items(clean), self.items(before),
                             self.items(now))

    def restore(self, change):
        return self.put(change.key, change.previous)

    def put(self, key, value):
        """Set ``key`` back to ``value`` (MISSING: remove it)."""
        raise NotImplementedError


class Journal:
    """Every write the hooks of the :class:`JournalGuard`\\ s saw, in order.

    An entry is ``(guard, key, previous value, origin, subject)``; positions
    are absolute, so a scope's baseline is one integer that stays valid when
    older entries are dropped.
    """

    def __init__(self):
        self.entries = []
        self.offset = 0
        #: The position the next entry will have (read at every check).
        self.position = 0
        self.lock = threading.Lock()

    def append(self, entry):
        """Add ``entry``; return its position."""
        with self.lock:
            self.entries.append(entry)
            self.position += 1
            return self.position - 1

    def since(self, position):
        """Entries from ``position`` on (as ``(position, entry)``)."""
        start = max(position - self.offset, 0)
        return enumerate(self.entries[start:], self.offset + start)

    def trim(self, position):
        """Forget entries before ``position`` (no open scope needs them)."""
        drop = position - self.offset
        if drop > 0:
            with self.lock:
                del self.entries[:drop]
                self.offset += drop


#: The writes of every journal guard (hooks append; checks read).
journal = Journal()


class JournalGuard(Guard):
    """A guard whose hooks record each write: no per-test cost.

    Hooks call :meth:`record` before a write with the value it replaces;
    the comparison reads the current value of each key written since the
    scope began (:meth:`current`) and restores it with :meth:`put`.
    """

    journaled = True

    def record(self, key, previous, subject=None, depth=3):
        """Note a write of ``key`` (whose value was ``previous``).

        A write that a test runner makes on its own behalf, or a module's
        top-level code while it is imported, is noted as :meth:`unblamed`.
        """
        origin = state_origin(depth)
        if origin is not None and origin is not RUNNER_WRITE and (
                origin.function == '<module>'):
            origin = RUNNER_WRITE
        journal.append((self, key, previous, origin, subject))

    def unblamed(self, key, previous, subject=None):
        """Note a write nobody is to blame for: the runner's, a library's.

        It is never reported, but it says what ``key`` was before it: a
        scope that also wrote ``key`` itself is compared with that value,
        not with the value the runner's write left.  pytest's
        ``monkeypatch.chdir`` in a test, then ``os.chdir`` there and back
        in the code under test, then the fixture's undo leave the directory
        as it was: without the note, the check would take the directory
        the first hooked write saw for the one the test began in.
        """
        journal.append((self, key, previous, RUNNER_WRITE, subject))

    def baseline(self):
        return journal.position

    def current(self, key, subject):
        """The value of ``key`` now (MISSING: not set)."""
        raise NotImplementedError

    def excused(self, key, new, subject, clean):
        """Whether a write that left ``key`` at ``new`` is no change at all.

        Asked before the change is described (describing may cost: naming
        an object can mean looking for it in every module).  ``clean`` is
        the journal position the previous check left.
        """
        return False

    def put(self, key, value, subject):
        """Set ``key`` back to ``value``; return what was done."""
        raise NotImplementedError

    def compare(self, clean, before):
        if journal.position == before:
            return []
        first_clean, first_before, first_own, last = {}, {}, {}, {}
        for position, (guard, key, previous, origin, subject) in (
                journal.since(clean)):
            if guard is not self:
                continue
            first_clean.setdefault(key, previous)
            if position >= before:
                first_before.setdefault(key, previous)
                if origin is RUNNER_WRITE:
                    continue
                first_own.setdefault(key, previous)
                if origin is None and key in last:
                    origin = last[key][0]   # the last write a line shows
                last[key] = (origin, subject)
        changes = []
        # Only what the scope's own code wrote, and only if that code left
        # it changed: a value back to what the scope began with (before
        # anyone's first write: pytest's caplog set a level, the test moved
        # it and back, caplog undid its own), or back to what the scope's
        # own first write found (a library configured its logger in the
        # scope, then a fixture set a flag and put it back), is no change.
        for key, (origin, subject) in last.items():
            old = first_before[key]
            new = self.current(key, subject)
            if (self.same(old, new) or self.same(first_own[key], new)
                    or self.same(first_clean[key], new)
                    or self.excused(key, new, subject, clean)):
                continue
            change = self._change(key, old, new, origin, subject)
            change.previous = (old, subject)
            changes.append(change)
        return changes

    def restore(self, change):
        old, subject = change.previous
        return self.put(change.key, old, subject)


def hook(owner, name, make_wrapper):
    """Replace ``owner.name`` with ``make_wrapper(original)``, once.

    The wrapper keeps the original as ``__mocktools_hook__`` (so it is not
    wrapped twice, and :func:`unhook` can put it back).
    """
    current = vars(owner).get(name)
    if current is None or getattr(current, '__mocktools_hook__', None):
        return
    wrapper = make_wrapper(current)
    wrapper.__mocktools_hook__ = current
    setattr(owner, name, wrapper)


def original(owner, name):
    """``owner.name`` without mocktools' hook."""
    current = vars(owner)[name]
    return getattr(current, '__mocktools_hook__', None) or current


def hook_missing(owner, name, make_wrapper, inherited):
    """:func:`hook` for a method ``owner`` inherits (``inherited``)."""
    wrapper = make_wrapper(inherited)
    wrapper.__mocktools_hook__ = inherited
    setattr(owner, name, wrapper)
