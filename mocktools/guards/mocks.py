"""Guard: dangling mocks -- patchers left active, mocks left in global state.

A patcher is a leak when it is still active once everything its scope
registered to undo it has run -- for a test, its tearDown and every cleanup,
``mock.patch.stopall`` included.  With ``require_stop`` a patcher that only
``mock.patch.stopall`` stopped is reported too.  What a class or fixture
started belongs to it until it ends: the tests it serves never report or
heal it.

A leak is:

* a patcher (``patch``, ``patch.object``, ``patch.multiple``, ``patch.dict``;
  ``unittest.mock`` or the ``mock`` backport) started in the scope and still
  active at its end;
* a mock (any ``NonCallableMock`` subclass, or a ``create_autospec``
  function) that was not in global state before and now is: a module or
  class attribute (nested classes too), an attribute of a module-level
  object, an entry of a container they hold, or a ``sys.modules`` entry.

Patchers are tracked as they start and stop
(:mod:`mocktools.engine.instrumentation`), so that check costs nothing that
depends on how much is loaded.  Global state is swept
(:mod:`mocktools.engine.sweep`) after a scope that imported modules, or
made a mock that may have escaped -- outside a patcher, or by a patcher
since stopped (:mod:`mocktools.engine.escape`) -- or whenever ``scan`` is
``always``.  Every
leak is healed as it is found: patchers are stopped (newest first, a
``patch.multiple`` before the patchers it entered), attributes restored.  So
this guard's *baseline* is the scope's own record of patchers and mocks, and
its comparison restores as it goes; the other guards
(:mod:`mocktools.guards`) compare first and restore after.
"""

import collections
import functools
import os
import sys
import threading
import traceback
import types
import weakref

from mocktools.engine import escape
from mocktools.engine import instrumentation
from mocktools.engine import sweep as sweep_module
from mocktools.guards import base

__all__ = ['Leak', 'MockGuard']


# a mock with a broken __repr__ configured must not break the report
_safe_repr = base.safe_repr

# How many dict-watcher records may wait for the next sweep (see
# MockGuard._should_sweep): a few kilobytes.
_BACKLOG_LIMIT = 1024


def _healed_leak(finding, origin, blamed):
    """The :class:`Leak` a sweep's ``finding`` reports, healing it.

    One wording for the test's check and a class's or fixture's end: a
    function ``create_autospec`` made is named as such wherever it is found.
    The fix line is read before healing changes the place.
    """
    kind = '%s in global state (%s)' % (
        'create_autospec function'
        if type(finding.value) is types.FunctionType else 'mock',
        finding.where)
    fix = finding.fix
    return Leak(finding.path, kind, _safe_repr(finding.value), origin,
                blamed, finding.heal(), fix)


def _made_by(origin, obj):
    """Whether ``origin`` lies in a method of ``obj``'s class.

    Told by the function of that name in the class dicts of its MRO (read
    without lookups), its file and its lines.
    """
    if origin is None:
        return False
    for klass in sweep_module._type_mro(type(obj)):
        method = sweep_module._type_dict(klass).get(origin.function)
        kind = type(method)
        if kind is staticmethod or kind is classmethod:
            method = method.__func__
        if type(method) is types.FunctionType:
            code = method.__code__
            if code.co_filename == origin.filename and any(
                    line == origin.lineno for _, _, line in code.co_lines()):
                return True
    return False


def _in_place_ids(scope):
    """ids of the values the scope's still active patchers put in place."""
    active = instrumentation.active
    found = set()
    for record in scope.patchers:
        if active.get(id(record.patcher)) is not record:
            continue
        state = record.patcher.__dict__
        namespace = sweep_module.namespace_of(state.get('target'))
        if namespace is not None and 'attribute' in state:
            found.add(id(namespace.get(state['attribute'])))
    return found


def _any_alive(refs):
    """Whether some weak reference of ``refs`` still has its mock."""
    for ref in refs:
        if ref() is not None:
            return True
    return False


class _UnwatchedOnce:
    """What the sweep never reads, read once per check and only if asked.

    Called, it returns the ids of what ``functools`` caches gained since the
    last check and what thread-local storage holds (see
    :meth:`~mocktools.engine.sweep.GlobalStateSweep.new_cache_entries`).
    """

    __slots__ = ('_sweep', '_entries')

    def __init__(self, sweep):
        self._sweep = sweep
        self._entries = None

    def __call__(self):
        if self._entries is None:
            sweep = self._sweep
            self._entries = () if sweep is None else (
                sweep.new_cache_entries() + sweep.thread_local_references())
        return self._entries


def _given_mocks(scope, companions=()):
    """``companions`` and weak references to the mocks given as ``new``.

    ``@patch.object(CONF, 'get', Mock())`` makes its ``Mock`` once, when
    the test module is imported, and every test the decorator wraps calls
    it: it is no mock of the test's, but what it recorded while the test
    ran (the test's mocks passed to it) is the test's own, kept in a place
    the sweep never reads.  ``new`` is read from the scope's patchers.
    """
    bases = sweep_module.mock_types()
    found, seen = list(companions), set()
    for record in scope.patchers:
        state = sweep_module.namespace_of(record.patcher)
        given = state.get('new') if state is not None else None
        if issubclass(type(given), bases) and id(given) not in seen:
            seen.add(id(given))
            found.append(weakref.ref(given))
    return found


def _name_of(obj):
    """Name a patch target without running any of its code."""
    kind = type(obj)
    if issubclass(kind, type):
        module = sweep_module._type_dict(obj).get('__module__')
        qualname = sweep_module._type_qualname(obj)
        return '%s.%s' % (module, qualname) if isinstance(
            module, str) else qualname
    if issubclass(kind, type(sys)):
        name = sweep_module._module_dict(obj).get('__name__')
        return name if isinstance(name, str) else '<module>'
    if obj is os.environ:
        return 'os.environ'
    if obj is sys.modules:
        return 'sys.modules'
    return _module_level_name(obj) or '<%s instance at %#x>' % (
        _name_of(kind), id(obj))


def _module_level_name(obj):
    """``module.NAME`` of a module-level object (a singleton, a dict).

    Only used to word a report, so a scan of the loaded modules' dicts is
    fine; the object's own module (by its type) is tried first.
    """
    modules = sys.modules
    preferred = sweep_module._type_dict(type(obj)).get('__module__')
    candidates = [preferred] if isinstance(preferred, str) else []
    candidates.extend(name for name in list(modules) if name != preferred)
    for name in candidates:
        module = modules.get(name)
        if module is None or not issubclass(type(module), type(sys)):
            continue
        for key, value in list(sweep_module._module_dict(module).items()):
            if value is obj and not key.startswith('_'):
                return '%s.%s' % (name, key)
    return None


# Why a mock has no origin: the hooks record a mock its constructor makes,
# or a copy (copy.copy, copy.deepcopy) makes; one made before the hooks went
# in has none, nor one made without either (``cls.__new__(cls)`` by hand).
_NO_RECORD = ('no record: made before checking started, or without its '
              'constructor')


def _origin_of_family(mock):
    """Where ``mock`` (for a child mock: its top-level parent) was made.

    None if unknown.  Parents are read from ``__dict__``, never with a
    truth test or attribute access that a mock could answer.
    """
    for _ in range(16):
        if mock is None:
            return None
        origin = instrumentation.origin_of(mock)
        if origin is not None:
            return origin
        state = sweep_module.namespace_of(mock)
        if state is None:
            return None
        parent = state.get('_mock_new_parent')
        mock = parent if parent is not None else state.get('_mock_parent')
    return None


def _culprit_elsewhere(origin):
    """Who made a mock that no check owns, in words.

    That is a mock made outside any check (``origin.context`` names the
    unchecked test, if one ran), or by a module's top-level code, whichever
    test's import happened to run it.
    """
    if origin.by_import:
        during = ('%s %s' % (origin.scope.kind, origin.scope_name)
                  if origin.scope is not None else origin.context)
        return 'a module import, %s' % (
            'during ' + during if during else 'outside any test')
    return origin.context or 'code outside any checked test'


class Leak:
    """One leaked thing: where, what, who made it, and what was done."""

    def __init__(self, path, kind, value_repr, origin, blamed, healed,
                 fix=None):
        self.path = path              # e.g. 'myproj.utils.execute'
        self.kind = kind              # e.g. 'active patcher (patch.object)'
        self.value_repr = value_repr  # repr of the mock left behind
        self.origin = origin          # instrumentation.Origin or None
        self.blamed = blamed          # name of the test/class that leaked it
        self.healed = healed          # what healing did, in words
        # the call that keeps the place as it was (see sweep.Finding.fix)
        self.fix = fix

    def to_dict(self):
        """A JSON-friendly form (used by ``mocktools leaks --format json``)."""
        found = {
            'path': self.path,
            'kind': self.kind,
            'mock': self.value_repr,
            'created_at': self.origin.location() if self.origin else None,
            'leaked_by': self.blamed,
            'healed': self.healed,
        }
        if self.fix:
            found['fix'] = self.fix
        return found

    def format(self):
        """The lines describing this leak in a report."""
        return _format_leaks([self])

    def _shared(self):
        # what leaks reported as one entry have in common
        where = (self.origin.location() if self.origin
                 else 'unknown (%s)' % _NO_RECORD)
        return (self.kind, where, self.blamed, self.healed, self.fix)


def _format_leaks(leaks):
    """The report lines of ``leaks``, one entry per run of alike leaks.

    Leaks next to each other that differ only in their place and mock (a
    new dict of mocks put in a registry, one mock kept at several places
    of one object) are one entry: their places, one per line, then their
    mocks in the same order (one line when it is the same mock at every
    place) and what they share.  Each leak is still one in the report's
    count and in its ``leaks`` list, and
    :func:`mocktools.integrations.cli.parse_report_text` reads each back.
    """
    lines = []
    start = 0
    while start < len(leaks):
        shared = leaks[start]._shared()
        end = start + 1
        while end < len(leaks) and leaks[end]._shared() == shared:
            end += 1
        group = leaks[start:end]
        kind, where, blamed, healed, fix = shared
        lines.extend('  %s' % leak.path for leak in group)
        mocks = [leak.value_repr for leak in group]
        if len(set(mocks)) == 1:
            del mocks[1:]
        lines.append('      kind:    %s' % kind)
        lines.append('      mock:    %s' % mocks[0])
        lines.extend('               %s' % value for value in mocks[1:])
        lines.extend([
            '      created: %s' % where,
            '      by:      %s' % (blamed or 'unknown'),
            '      healed:  %s' % healed,
        ] + (['      fix:     %s' % fix] if fix else []))
        start = end
    return lines


class MockGuard:
    """Patchers left active and mocks left in global state; healed.

    Unlike the state guards it keeps no snapshot: the scope records the
    patchers it started and the mocks it made (see
    :mod:`mocktools.engine.instrumentation`), and global state is swept only
    when a mock may have escaped.  In the terms of
    :class:`~mocktools.guards.base.Guard`: the *baseline* is that record
    (:meth:`begin_test`); :meth:`check_test` and :meth:`check_owner`
    *compare*, *describe* (a :class:`Leak` each) and *restore* in one pass,
    since patchers must be stopped in an order that depends on all of them
    (newest first, a ``patch.multiple`` before the patchers it entered).
    """

    name = 'mocks'
    title = 'patchers left active, mocks left in global state'

    def __init__(self):
        self._sweep = None
        self.sweeps = 0       # how many times global state was swept
        self._adopt_error = None   # what adopting imports raised, to report
        self._sweep_thread = None  # the thread that made the sweep
        # the last test names since the last sweep (bounded: only used to
        # name who may have stored a mock that has no birth record)
        self._unswept = collections.deque(maxlen=8)
        # what the instrumentation calls as a checked scope makes a mock
        self.imports_hook = self._adopt_imports

    def install(self):
        """Hook every loaded mock library (idempotent)."""
        instrumentation.install()

    def global_sweep(self):
        """The global-state sweep (made once, on first use)."""
        if self._sweep is None:
            self._sweep = sweep_module.GlobalStateSweep()
            # the thread that runs the checks (and the sweeps)
            self._sweep_thread = threading.get_ident()
            self.claim_hooks()
        return self._sweep

    def claim_hooks(self):
        """Point the process-wide mock hooks at this guard's sweep.

        The owners whose restored values the hooks keep, and where a mock
        made in a checked scope sends word of new imports.  Another
        detector's sweep (a second :class:`LeakDetector`, as the
        benchmark's reference) takes them for its scopes: the detector
        whose scope begins takes them back.
        """
        instrumentation.watched_owners = self._sweep.watched_owners()
        instrumentation.modules_imported = self.imports_hook

    def _adopt_imports(self):
        """A checked scope makes a mock: watch what it imported so far.

        Runs inside the mock's constructor: an error is kept for the
        scope's report, never raised into the test.
        """
        sweep = self._sweep
        if sweep_module.modules_mark() == sweep._modules_seen:
            return      # the common case: nothing imported since
        if threading.get_ident() != self._sweep_thread:
            # a worker thread of the test: never under a running sweep's
            # feet (what the test imported is taken in by its sweep)
            return
        try:
            sweep.adopt_imports()
        except Exception:
            self._adopt_error = traceback.format_exc()

    def begin_test(self, settings):
        """A scope begins: the first test takes the sweep's 'before'.

        With a sweep made, the scope takes the mock hooks back if another
        detector's sweep has them (see :meth:`claim_hooks`); ``settings``
        is None for a class, module or fixture scope.
        """
        if self._sweep is None:
            if settings is not None and settings.scan != 'off':
                self.global_sweep()
        elif instrumentation.modules_imported is not self.imports_hook:
            self.claim_hooks()

    def check_test(self, scope, settings, report):
        """Find and heal what the test ``scope`` leaked, into ``report()``."""
        self._unswept.append(scope)
        if self._adopt_error is not None:
            report().errors.append(self._take_adopt_error())
        still_active = scope.patchers and self._still_active(scope, settings)
        sweep = self._sweep_wanted(scope, settings, report)
        if still_active or sweep:
            found = report()
            if still_active:
                self._collect_patchers(still_active, scope, settings, found)
            if sweep:
                self._collect_globals(scope, settings, found)

    def check_owner(self, scope, settings, report):
        """Find and heal what a class or fixture ``scope`` leaked."""
        if self._adopt_error is not None:
            report.errors.append(self._take_adopt_error())
        self._collect_patchers(self._still_active(scope, settings), scope,
                               settings, report)
        self._collect_deferred(scope, report)
        if self._sweep_wanted(scope, settings, lambda: report):
            self._collect_globals(scope, settings, report)
        if self.sweeps != scope.sweeps_before:
            # tearDownClass may have put things back by hand: what a
            # later heal restores must be today's values, not those of
            # a sweep made while the class had them replaced
            self.resync()

    def _take_adopt_error(self):
        error, self._adopt_error = self._adopt_error, None
        return error

    def resync(self):
        """Take the current global state as the new 'before'."""
        if self._sweep is not None:
            self._sweep.rebase()
        instrumentation.restored.clear()

    @staticmethod
    def _still_active(scope, settings):
        """The patchers of the scope that leaked.

        Those still active, and with ``require_stop`` those that only
        ``mock.patch.stopall`` stopped.
        """
        active = instrumentation.active
        if settings.require_stop:
            return [record for record in scope.patchers
                    if record.by_stopall
                    or active.get(id(record.patcher)) is record]
        if not active:
            return []    # the common case: no patcher runs at all
        return [record for record in scope.patchers
                if active.get(id(record.patcher)) is record]

    def _collect_patchers(self, still_active, scope, settings, report):
        active = instrumentation.active
        leaked = []
        for record in still_active:
            described = list(self._describe_patcher(record))
            if all(settings.allows(path) for path, _, _ in described):
                continue   # mocked globally on purpose: leave it running
            leaked.append((record, described))
        # Newest first, and a patch.multiple before the patchers it entered
        # (stopping it stops them), so each patcher is stopped exactly once.
        outcome = {}
        for record, _ in reversed(leaked):
            if record.by_stopall:
                outcome[id(record)] = 'stopped by mock.patch.stopall'
            elif record.parent is None:
                outcome[id(record)] = self._stop(record)
        for record, _ in reversed(leaked):
            if record.parent is not None and not record.by_stopall:
                if active.get(id(record.patcher)) is record:
                    outcome[id(record)] = self._stop(record)
                else:
                    outcome[id(record)] = 'patcher stopped (by its parent)'
        for record, described in leaked:
            for path, kind, value in described:
                report.leaks.append(Leak(path, kind, value, record.origin,
                                         scope.name, outcome[id(record)]))

    @staticmethod
    def _stop(record):
        patcher = record.patcher
        # started with start(): stop() also takes it off the library's list
        # for stopall (patch.dict's class has no list of its own)
        library = sys.modules.get(type(patcher).__module__)
        started = getattr(getattr(library, '_patch', None), '_active_patches',
                          ())
        try:
            if patcher in started:
                patcher.stop()
            elif hasattr(patcher, '_unpatch_dict'):
                patcher._unpatch_dict()
            else:
                patcher.__exit__(None, None, None)
        except Exception as exc:
            instrumentation.active.pop(id(patcher), None)
            return 'stopping the patcher failed: %s: %s' % (
                type(exc).__name__, exc)
        instrumentation.active.pop(id(patcher), None)
        # its owner's own stop()/__exit__ may still come: make it a no-op
        instrumentation.mark_healed(patcher)
        return 'patcher stopped'

    @staticmethod
    def _describe_patcher(record):
        """Yield ``(path, kind, repr of the patched-in value)``."""
        state = record.patcher.__dict__
        if 'in_dict' in state and 'attribute' not in state:
            in_dict = state['in_dict']
            target = record.target_name or _name_of(in_dict)
            kind = ('patcher left to mock.patch.stopall (patch.dict)'
                    if record.by_stopall else 'active patcher (patch.dict)')
            yield target, kind, _safe_repr(in_dict)
            return
        target = state.get('target', record.stopped_target)
        attribute = state.get('attribute')
        if record.parent is not None or state.get('attribute_name'):
            kind = 'patch.multiple'
        else:
            kind = 'patch/patch.object'
        if record.by_stopall:
            kind = 'patcher left to mock.patch.stopall (%s)' % kind
        else:
            kind = 'active patcher (%s)' % kind
        value = '<unknown>'
        namespace = sweep_module.namespace_of(target)
        if namespace is not None and attribute in namespace:
            value = _safe_repr(namespace[attribute])
        elif record.by_stopall:
            value = '<stopped>'
        name = _name_of(target) if target is not None else '<unresolved>'
        yield '%s.%s' % (name, attribute), kind, value

    # -- global state --------------------------------------------------------

    def _sweep_wanted(self, scope, settings, report):
        """:meth:`_should_sweep`, sweeping if it fails.

        Its error goes into ``report()``; the patchers are checked all the
        same and the sweep runs, so that the error costs time, not a leak.
        """
        try:
            return self._should_sweep(scope, settings)
        except Exception:
            report().errors.append(traceback.format_exc())
            return settings.scan != 'off'

    def _should_sweep(self, scope, settings):
        """Whether global state must be swept at the end of ``scope``.

        ``always``: yes.  Otherwise when a mock the scope made may have
        escaped into global state: a reference to it that the test's own
        objects do not account for (see :mod:`mocktools.engine.escape`) --
        a mock made outside a patcher, one a stopped patcher made
        (``CONF.version = patched()``), or one made outside any check since
        the last check; or when modules were imported and one of them holds
        a mock, or modules went (see :meth:`_imports_need_sweep`).  With
        ``class``, a test's sweep is deferred to the end of its class.
        """
        scan = settings.scan
        if self._sweep is not None:
            tracker = self._sweep.tracker
            if len(tracker.backlog) > _BACKLOG_LIMIT:
                # the dict-watcher records wait for the next sweep, which
                # takes them in; only a long run of tests that write many
                # dicts and sweep never makes them worth taking in now
                tracker.collect()
        if scan == 'auto' and not (scope.free_mocks or scope.made
                                   or scope.sweep_due
                                   or instrumentation.outside_born
                                   or instrumentation.outside_overflow):
            # the common case: the scope made no mock
            return self._imports_need_sweep()
        if scan not in ('off', 'always') and not scope.sweep_due:
            # most mocks a test made are garbage by now, kept only by the
            # cycles MagicMock builds (its proxies, its children): collected
            # here, they cost no count; the collector would free them soon
            # anyway, and doing it now, while they are young, costs the run
            # nothing (see escape.collect_young)
            escape.collect_young()
        unwatched = outside = None
        if instrumentation.outside_born or instrumentation.outside_overflow:
            # (most checks: nothing was made outside a check since the last)
            unwatched = _UnwatchedOnce(self._sweep)
            outside = self._outside_escaped(settings, unwatched)
        if scan == 'off':
            return False
        if (scan == 'always' or scope.sweep_due or outside
                # the common case once the young generation was collected:
                # every mock the test made is gone, none can have escaped
                or (_any_alive(scope.born) or _any_alive(scope.made))
                and self._escaped(scope, unwatched
                                  or _UnwatchedOnce(self._sweep))
                or self._imports_need_sweep()):
            if scan == 'class' and scope.kind == 'test' and (
                    scope.parent is not None):
                # an import too: sweeping now would find what an earlier
                # test of the class left, which the class end reports
                scope.parent.sweep_due = True
                return False
            return True
        return False

    def _imports_need_sweep(self):
        """Whether modules came or went in a way only a sweep takes in.

        Modules a test imported are watched from then on, and what they
        hold is looked at, without sweeping the rest: a mock of the test's
        that went anywhere is the escape check's to find, whether the test
        imported modules or not.  A sweep when one of them holds a mock, or
        modules only went (see
        :meth:`~mocktools.engine.sweep.GlobalStateSweep.take_in_imports`).
        """
        sweep = self.global_sweep()
        return sweep.modules_changed() and not sweep.take_in_imports()

    @staticmethod
    def _outside_escaped(settings, unwatched):
        """Whether a mock made outside any check may be in global state.

        Taken (and forgotten) at every check: whatever an unchecked test
        or an import made since the last check is looked for now.
        """
        born, overflow = instrumentation.take_outside_born()
        if settings.scan == 'off' or not (born or overflow):
            return False
        return overflow or escape.unaccounted(born, unwatched=unwatched,
                                              collect=True)

    @staticmethod
    def _escaped(scope, unwatched):
        """Whether a mock made in ``scope`` may have escaped its owner.

        The mocks made outside a patcher, and those its patchers made once
        the patchers stopped; a mock an active patcher keeps in place is
        global state on purpose (allowed, or reported as an active patcher)
        and is not looked for, but what it refers to is the test's own; so
        is what a mock given to one of its patchers (``new``) recorded.
        Asked only when one of them is still alive.
        """
        holder = scope.holder
        if holder is None:
            holders = []
        elif scope.kind == 'test':
            holders = [holder, type(holder)]   # the test and its class
        else:
            holders = [holder]                 # the test class
        owner = holder if scope.kind == 'test' else None
        fixtures = scope.fixtures
        if fixtures:
            # a mock a fixture returned (``def client(mocker): return
            # mocker.patch(...)``), in the test's funcargs until pytest is
            # done with the test, after the check
            holders.append(fixtures)
            if owner is None:
                owner = fixtures
        made, placed = scope.made, []
        if made and instrumentation.active:
            in_place = _in_place_ids(scope)
            if in_place:
                placed = [ref for ref in made if id(ref()) in in_place]
                made = [ref for ref in made if id(ref()) not in in_place]
        # the given mocks are looked up only if the test's own objects leave
        # a reference unexplained: most checks stop before
        companions = functools.partial(_given_mocks, scope, placed) if (
            scope.patchers) else placed
        return escape.unaccounted(
            list(scope.born) + list(made), holders, companions,
            owner=owner,
            # their arguments: return_value=Mock(), new=...
            patchers=[record.patcher for record in scope.patchers],
            unwatched=unwatched, collect=True)

    def _collect_globals(self, scope, settings, report):
        sweeper = self.global_sweep()
        self.sweeps += 1
        findings = sweeper.sweep()
        window = [unswept.name for unswept in self._unswept]
        self._unswept.clear()
        restored = dict(instrumentation.restored)
        instrumentation.restored.clear()
        bases = sweep_module.mock_types()
        found = []
        for finding in findings:
            origin = _origin_of_family(
                sweep_module.mock_of(finding.value, bases))
            if finding.fresh and (origin is None or origin.scope is None
                                  or origin.by_import):
                # in a module first seen now, made by its import (or
                # outside any check): its own, there from the start
                continue
            if finding.holder is not None and _made_by(origin,
                                                       finding.holder):
                # a fake that made mocks of its own as it was made
                # (cinder's image service, which a reset function puts in
                # a module's global): its parts, not the test's
                continue
            found.append((finding, origin))
        if not found:
            return   # (the sweep left its 'before' up to date)
        placed = self._placed_by_active_patchers()
        written = []
        for finding, origin in found:
            path = finding.path
            where = (finding.container.owner_key, finding.key)
            if where in placed or settings.allows(path):
                continue
            if where in restored:
                value = restored[where][1]
                finding.previous = (sweep_module.NEW_KEY
                                    if value is instrumentation.MISSING
                                    else value)
            owner = origin.scope if origin is not None else None
            if owner is not None and owner is not scope and owner.open and (
                    owner.kind != 'test'):
                # a class or fixture still running made it: its own, until
                # it ends (then checked again, see _collect_deferred)
                if owner.deferred is None:
                    owner.deferred = []
                owner.deferred.append((finding, origin))
                continue
            blamed, mine = self._blame(scope, origin, window)
            leak = _healed_leak(finding, origin, blamed)
            if finding.previous is not sweep_module.UNKNOWN:
                written.append(finding.container)   # healing wrote there
            (report.leaks if mine else report.foreign).append(leak)
        # only what healing wrote has changed since the sweep read it all
        sweeper.rebase(written)

    @staticmethod
    def _collect_deferred(scope, report):
        """Mocks ``scope`` put in global state, seen by a test, still there."""
        for finding, origin in scope.deferred or ():
            if not finding.container.holds(finding.key, finding.placed):
                continue   # the class or fixture put it back itself
            report.leaks.append(_healed_leak(finding, origin, scope.name))
        scope.deferred = None

    @staticmethod
    def _placed_by_active_patchers():
        """(id(owner), name) of everything an active patcher has replaced."""
        placed = set()
        for record in instrumentation.active.values():
            state = record.patcher.__dict__
            if 'target' in state and 'attribute' in state:
                placed.add((id(state['target']), state['attribute']))
            elif isinstance(state.get('in_dict'), dict):
                for key in list(state.get('values') or ()):
                    placed.add((id(state['in_dict']), key))
        return placed

    @staticmethod
    def _blame(scope, origin, window):
        """Who leaked it, and whether ``scope`` is the one to report it."""
        if origin is not None and (origin.scope is None
                                   or origin.by_import):
            # made outside any check, or by an import: never the finder's
            return _culprit_elsewhere(origin), False
        if origin is not None:
            if scope.kind != 'test':
                return origin.scope_name, True
            return origin.scope_name, origin.scope is scope
        if scope.kind != 'test':
            return 'a test of %s (%s)' % (scope.name, _NO_RECORD), True
        if window == [scope.name]:
            return scope.name, True
        return ('one of: %s (a mock with no record of where it was made '
                'was stored between sweeps)' % ', '.join(window)), False
