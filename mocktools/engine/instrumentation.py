"""Hooks into ``unittest.mock`` and the ``mock`` backport for the detector.

The detector needs three facts that ``unittest.mock`` does not keep: which
patchers are active right now (including ones entered as context managers and
never exited), where each was started, and where and during which test each
top-level mock was created.  Recording them as they happen is what keeps the
per-test check proportional to what the test did instead of to how much code
is loaded.

The hooks wrap ``_patch.__enter__``/``__exit__``, ``_patch_dict._patch_dict``/
``_unpatch_dict`` and ``NonCallableMock.__init__``, and give
``NonCallableMock`` a ``__reduce_ex__`` of its own, which the copy machinery
asks (a copy of a mock is made without ``__init__``); they are installed once,
the first time a detector starts, and cost a frame walk per patcher start or
top-level mock creation -- outside checks too, so that what unchecked code
or an import leaves behind is reported with its origin.  Child mocks
(attributes, return values) are not recorded.  Where a mock was made is
kept in a side table of weak references (:func:`origin_of`), never on the
mock itself.

Test packages rearrange the mock library (oslotest's
``mock_fixture.patch_mock_module()`` puts a ``_patch`` subclass without an
``__exit__`` of its own in place of ``unittest.mock._patch``; its
``MockAutospecFixture`` swaps in ``Mock`` subclasses), before or after the
hooks go in.  So each hook goes on the class of the method resolution order
that really defines the method -- the library's own base class, which every
replacement still calls through ``super()`` -- and frames that belong to the
patcher or mock being made (a subclass's ``__enter__`` or ``__init__``) are
not taken for the user's code.
"""

import copy
import copyreg
import functools
import importlib._bootstrap
import inspect
import linecache
import os
import sys
import threading
import types
import weakref

from mocktools.engine import sweep

__all__ = ['Origin', 'PatcherRecord', 'Scope', 'install', 'mock_modules',
           'origin_of', 'uninstall']

_lock = threading.RLock()
_installed = set()          # ids of mock modules already hooked


class _ThreadState(threading.local):
    """Per thread: the patchers whose ``__enter__`` is running."""

    def __init__(self):
        self.entering = []


_state = _ThreadState()

# Frames in these files are mock machinery, not the user's code; the reported
# location is the first frame outside them.
_SKIP_PARTS = (
    os.sep + 'unittest' + os.sep + 'mock.py',
    os.sep + 'mock' + os.sep + 'mock.py',
    os.sep + 'contextlib.py',
    os.sep + 'fixtures' + os.sep,
    os.sep + 'testtools' + os.sep,
    os.sep + 'mocktools' + os.sep + 'patching.py',
    os.sep + 'mocktools' + os.sep + 'testcase.py',
    os.sep + os.path.join('mocktools', 'engine', 'instrumentation.py'),
    os.sep + 'mocktools' + os.sep + 'ergonomics.py',
    '<mocktools mock hook',     # the hook's own code (see _exact_mock_init)
    # copy.copy/deepcopy making a copy of a mock (see _wrap_reduce_ex): the
    # origin is the code that asked for the copy
    copy.__file__,
    copyreg.__file__,
)


class Scope:
    """A test, a class or a fixture (set-up to tear-down) being recorded.

    A class or a (pytest) fixture of wider scope owns what it patched or
    mocked until it ends: the tests it serves meanwhile neither report nor
    heal any of it.
    """

    # What most scopes keep as it starts: class attributes, which a scope
    # overrides only when it differs (a test scope is made per test, and
    # every attribute stored costs it).
    open = True          # False once the scope was checked
    # sweep findings of mocks this scope made, seen while it was still
    # open (by a test's sweep): checked again when the scope ends
    deferred = None
    free_mocks = 0       # mocks created outside any patcher
    # pytest's fixture values for the test (its funcargs dict): what they
    # refer to is the test's own too
    fixtures = None
    sweep_due = False    # a test deferred its sweep to the class
    # What was current when this scope began, restored when it ends, so a
    # suite run inside a test (mocktools' own tests do) nests cleanly.
    previous = None
    previous_class = None
    sweeps_before = 0    # the detector's sweep count at the start
    # (clean state, state before) of the state guards, see the detector
    guard_state = ()
    unchecked = ()       # names of state guards not compared

    def __init__(self, name, kind, parent=None, holder=None):
        # a string, or a callable returning it (``test.id``): most scopes
        # never need their name, and formatting it costs per test
        self._name = name
        self.kind = kind          # 'test', 'class', 'module' or 'fixture'
        self.parent = parent      # the class scope of a test scope
        self.holder = holder      # the test (or class) owning the scope
        self.born = []            # weak references to its free mocks
        # weak references to the mocks its patchers made: what they refer
        # to is the scope's own (a free mock given as return_value=...)
        self.made = []
        self.patchers = []        # PatcherRecords started in this scope

    @property
    def name(self):
        """The test id or class name of the scope."""
        name = self._name
        if not isinstance(name, str):
            name = self._name = name()
        return name

    def __repr__(self):
        return '<Scope %s %s>' % (self.kind, self.name)


class Origin:
    """Where (file:line, function) and in which scope something was created.

    ``scope`` is None for what was made outside any checked scope; then
    ``context`` names what was running, where known (an unchecked test).
    """

    __slots__ = ('scope', 'filename', 'lineno', 'function', 'context',
                 'importing', 'copied')

    def __init__(self, scope, filename, lineno, function, context=None,
                 importing=False):
        self.scope = scope          # the Scope it was created in, or None
        self.filename = filename
        self.lineno = lineno
        self.function = function
        self.context = context
        # made while this thread imported a module (by the module's
        # top-level code, or a function it called)
        self.importing = importing
        self.copied = False         # a copy of a mock, made there

    @property
    def by_import(self):
        """Whether a module's import made it, not the scope's own code."""
        return self.importing or self.function == '<module>'

    @property
    def scope_name(self):
        """Name of the test or class it was created in (None: outside)."""
        return self.scope.name if self.scope is not None else None

    def location(self):
        """``file:line in function``, with the file relative to the cwd."""
        filename = self.filename
        try:
            rel = os.path.relpath(filename)
            if not rel.startswith('..'):
                filename = rel
        except ValueError:
            pass
        return '%s:%d in %s%s' % (filename, self.lineno, self.function,
                                  ' (a copy of a mock)' if self.copied
                                  else '')

    def __repr__(self):
        return '<Origin %s by %s>' % (self.location(), self.scope_name)


class PatcherRecord:
    """A patcher seen by the hooks (active, or stopped since)."""

    __slots__ = ('patcher', 'origin', 'parent', 'target_name', 'by_stopall',
                 'stopped_target')

    def __init__(self, patcher, origin, parent, target_name=None):
        self.patcher = patcher
        self.origin = origin
        self.parent = parent            # the patch.multiple that entered it
        self.target_name = target_name  # patch.dict given a dotted string
        self.by_stopall = False         # stopped by mock.patch.stopall()
        self.stopped_target = None      # its target, kept when it stopped


# importlib keeps a lock per module being imported; none while no import
# runs, so the common case of importing() is one truth test
_module_locks = getattr(importlib._bootstrap, '_module_locks', None)

# The scope events are attributed to; set by the detector.
current_scope = None
# id(patcher) -> PatcherRecord for every patcher entered and not yet exited.
active = {}
# (id(owner), name) -> (owner, value) that a patcher put back when it
# stopped since the last sweep: the truth for healing, where the sweep's own
# snapshot may predate that stop.  The detector clears it after each sweep.
restored = {}
# The ids of the owners the sweep watches, set by the mock guard when it
# makes the sweep (None before).  Only a stop on one of them is kept in
# ``restored``: the sweep reads no other owner, and a test's own object
# kept there (an attribute patched on the test's mock) would outlive its
# test until the next sweep, and look to the escape check like a mock
# referenced from outside.
watched_owners = None
# Called, when set (by the mock guard), as a checked scope makes a mock
# outside any import: the modules imported since the last look are watched
# from then on, so that a mock the scope then puts on one of them is found
# with the value it replaced.
modules_imported = None
MISSING = object()


class _PerFile(dict):
    """filename -> ``test(filename)``, worked out once per file."""

    __slots__ = ('_test',)

    def __init__(self, test):
        super().__init__()
        self._test = test

    def __missing__(self, filename):
        answer = self[filename] = self._test(filename)
        return answer


# The files whose frames run a test's methods with the test as ``self``.
_TEST_RUNNER_FILES = (
    os.path.join('unittest', 'case.py'),
    os.path.join('unittest', 'async_case.py'),
    os.path.join('testtools', 'testcase.py'),
)
# Whether frames in a file are machinery; whether it is unittest's or
# testtools' test case code.
_machinery_files = _PerFile(
    lambda filename: any(part in filename for part in _SKIP_PARTS))
_runner_files = _PerFile(
    lambda filename: filename.endswith(_TEST_RUNNER_FILES))


def _is_machinery(filename):
    return _machinery_files[filename]


def _runs_on(frame, owner):
    """Whether ``frame`` runs a method of ``owner``'s class.

    Told by the code object, found in the class dicts of ``owner``'s MRO,
    not by reading the frame's ``self``: on Python 3.10-3.12,
    ``frame.f_locals`` stores a snapshot of every local in the frame, which
    keeps them alive until the function returns (``del m`` no longer frees
    the mock, and a mock assigned before looks referenced from outside).
    """
    code = frame.f_code
    name = code.co_name
    for klass in sweep._type_mro(type(owner)):
        method = sweep._type_dict(klass).get(name)
        if type(method) is types.FunctionType and method.__code__ is code:
            return True
    return False


def caller_origin(scope, depth=2, owner=None):
    """Return the :class:`Origin` of the first frame outside mock machinery.

    Frames of methods running on ``owner`` (the patcher or mock being made,
    whatever library subclassed it) are machinery too.  Outside any scope,
    the origin also names the unittest test running, if any.
    """
    frame = sys._getframe(depth)
    last = frame
    machinery_files = _machinery_files
    while frame is not None:
        code = frame.f_code
        if machinery_files[code.co_filename]:
            if code.co_name == 'patched':
                # a @patch decorator starting its patchers: the origin is
                # the decorated function, which has no frame yet
                decorated = _decorated_function(frame)
                if decorated is not None:
                    return Origin(scope, decorated.co_filename,
                                  decorated.co_firstlineno,
                                  decorated.co_name,
                                  None if scope is not None
                                  else _running_test(frame),
                                  importing(frame))
        elif owner is None or code.co_name[0] != '_' or not _runs_on(
                frame, owner):
            # (the methods a patcher or mock runs while being made, in a
            # subclass of the library's, are __init__, __enter__ and the
            # like: only a frame of such a name can run on ``owner``)
            break
        last = frame
        frame = frame.f_back
    if frame is None:
        frame = last
        code = frame.f_code
    return Origin(scope, code.co_filename, frame.f_lineno, code.co_name,
                  None if scope is not None else _running_test(frame),
                  importing(frame))


def importing(frame=None):
    """Whether ``frame`` (by default the caller's) runs inside an import.

    That is, below a module's top-level code that the import system runs,
    seen as its frames on the stack -- below the running test's frames: a
    whole run started from a module's import is not one.  The import system
    keeps a lock per module being imported
    (``importlib._bootstrap._module_locks``, almost always empty): without
    one, no frame is walked.
    """
    if isinstance(_module_locks, dict) and not _module_locks:
        return False
    if frame is None:
        frame = sys._getframe(1)
    runner_files = _runner_files
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith('<frozen importlib'):
            return True
        if runner_files[filename]:
            return False
        frame = frame.f_back
    return False


def _decorated_function(frame):
    """The code of the function a mock ``patched`` wrapper frame decorates.

    ``func`` is a free variable of ``patched`` in ``unittest.mock`` and the
    backport; only a plain function's code is taken.
    """
    func = frame.f_locals.get('func')
    while type(func) is types.FunctionType:
        code = func.__code__
        if not _is_machinery(code.co_filename):
            return code
        # stacked decorators: the next wrapper down
        cells = func.__closure__ or ()
        func = next((cell.cell_contents for cell in cells
                     if type(cell.cell_contents) is types.FunctionType),
                    None)
    return None


def _running_test(frame):
    """``unchecked test <id>`` of the unittest test on the stack, or None.

    Read from the ``self`` of the test runners' own frames (unittest's and
    testtools' ``TestCase`` methods) and the test's ``__dict__``, never by
    calling the test's code.  The locals of no other frame are read: on
    Python 3.10-3.12 that would store a snapshot in the frame, keeping its
    locals alive (see :func:`_runs_on`).
    """
    import unittest
    base = unittest.TestCase
    while frame is not None:
        code = frame.f_code
        if (code.co_argcount and code.co_varnames[0] == 'self'
                and _runner_files[code.co_filename]):
            test = frame.f_locals.get('self')
            kind = type(test)
            if issubclass(kind, base):
                method = vars(test).get('_testMethodName')
                return 'unchecked test %s.%s.%s' % (
                    kind.__module__, kind.__qualname__, method)
        frame = frame.f_back
    return None


class _OriginRef(weakref.ref):
    """A weak reference to a mock that carries where the mock was made."""

    __slots__ = ('origin', 'key')


# id(mock) -> _OriginRef, for every live top-level mock made while hooked.
# A side table, not an attribute: the mock stays exactly a plain mock
# (copy, deepcopy, vars()), and holds nothing of mocktools or of the test.
_origins = {}
# Weak references to the mocks made outside any scope since the last check.
outside_born = []
outside_overflow = False
_OUTSIDE_LIMIT = 4096


def _forget_origin(ref):
    key = ref.key
    if _origins.get(key) is ref:
        del _origins[key]


def _record_origin(mock, origin):
    """Note ``origin`` for ``mock``; return the weak reference (or None)."""
    try:
        ref = _OriginRef(mock, _forget_origin)
    except TypeError:       # a mock class made without __weakref__
        return None
    ref.origin = origin
    ref.key = key = id(mock)
    _origins[key] = ref
    return ref


def origin_of(mock):
    """The :class:`Origin` recorded for ``mock``, or None."""
    ref = _origins.get(id(mock))
    if ref is not None and ref() is mock:
        return ref.origin
    return None


def _note_outside(ref):
    global outside_overflow
    born = outside_born
    if ref is None:
        outside_overflow = True
        return
    if len(born) >= _OUTSIDE_LIMIT:
        born[:] = [r for r in born if r() is not None]
        if len(born) >= _OUTSIDE_LIMIT // 2:
            # too many live ones to follow: the next check sweeps instead
            outside_overflow = True
            born.clear()
    born.append(ref)


def take_outside_born():
    """What was made outside any scope since the last call.

    Returns ``(refs, overflow)``: weak references to those mocks, and
    whether some could not be followed (then sweep regardless).
    """
    global outside_overflow
    if not (outside_born or outside_overflow):
        return (), False
    overflow, outside_overflow = outside_overflow, False
    born = [ref for ref in outside_born if ref() is not None]
    outside_born.clear()
    return born, overflow


def _record_start(patcher, target_name=None):
    scope = current_scope
    stack = _state.entering
    parent = stack[-1] if stack else None
    origin = caller_origin(scope, 3, patcher)
    record = PatcherRecord(patcher, origin, parent, target_name)
    active[id(patcher)] = record
    if scope is not None:
        scope.patchers.append(record)


# id(patcher) -> weak reference to it, for each patcher the detector stopped:
# the owner's own stop()/__exit__ later must find nothing to undo rather
# than crash (a second _patch.__exit__ raises AttributeError) or undo it
# twice.  A side table, not a mark in the patcher's ``__dict__``: reading
# that dict on every start and stop would make CPython 3.11+ build it (a
# patcher keeps its attributes inline until then), and every later
# attribute read of the patcher, by the library's own code too, slower.
_healed = {}


def mark_healed(patcher):
    """Note that the detector stopped ``patcher`` (see :func:`take_healed`)."""
    key = id(patcher)

    def forget(ref):
        if _healed.get(key) is ref:
            del _healed[key]
    try:
        _healed[key] = weakref.ref(patcher, forget)
    except TypeError:   # a patcher class without weak references: kept
        _healed[key] = lambda: patcher


def take_healed(patcher):
    """Whether the detector stopped ``patcher``; forgets it if so."""
    ref = _healed.pop(id(patcher), None)
    return ref is not None and ref() is patcher


def _stopped_by_stopall(depth):
    """Whether ``mock.patch.stopall()`` is among the next few callers."""
    frame = sys._getframe(depth)
    for _ in range(4):
        if frame is None:
            return False
        if frame.f_code.co_name == '_patch_stopall':
            return True
        frame = frame.f_back
    return False


# Whether a stop by ``mock.patch.stopall()`` is worth telling apart: only
# ``require_stop`` settings ask, so until some do, stops cost no frame walk.
stopall_followed = False


def follow_stopall():
    """Note, from now on, which patchers ``mock.patch.stopall`` stopped."""
    global stopall_followed
    stopall_followed = True


def _forget(patcher, depth):
    """Drop ``patcher`` from the active ones, noting who stopped it."""
    record = active.pop(id(patcher), None)
    if record is not None and stopall_followed:
        _note_stopall(record, patcher, depth + 1)


def _note_stopall(record, patcher, depth):
    """Mark ``record`` if ``mock.patch.stopall()`` is stopping it."""
    if _stopped_by_stopall(depth + 1):
        record.by_stopall = True
        # stopping deletes it from the patcher; the report still names it
        record.stopped_target = patcher.__dict__.get('target')


def _wrap_enter(original):
    # _record_start's work, written out: this runs for every patcher start
    @functools.wraps(original)
    def __enter__(self):
        if _healed:                  # a patcher entered again
            take_healed(self)
        scope = current_scope
        stack = _state.entering
        record = PatcherRecord(self, caller_origin(scope, 2, self),
                               stack[-1] if stack else None)
        active[id(self)] = record
        if scope is not None:
            scope.patchers.append(record)
        stack.append(self)
        try:
            return original(self)
        except BaseException:
            active.pop(id(self), None)
            raise
        finally:
            stack.pop()
    __enter__.__mocktools_hook__ = original
    return __enter__


def _wrap_exit(original):
    @functools.wraps(original)
    def __exit__(self, *exc_info):
        if _healed and take_healed(self):
            return False
        record = active.pop(id(self), None)
        if record is not None and stopall_followed:
            _note_stopall(record, self, 2)
        # read as the library's own __exit__ reads them, not through the
        # patcher's __dict__ (see _healed)
        target = getattr(self, 'target', None)
        name = getattr(self, 'attribute', None)
        # What __exit__ puts back: the saved original if it lived in the
        # target's own __dict__, else nothing (it deletes the attribute).
        previous = getattr(self, 'temp_original', MISSING) if getattr(
            self, 'is_local', False) else MISSING
        result = original(self, *exc_info)
        watched = watched_owners
        if (target is not None and isinstance(name, str)
                and watched is not None and id(target) in watched):
            restored[id(target), name] = (target, previous)
        return result
    __exit__.__mocktools_hook__ = original
    return __exit__


def _wrap_patch_dict(original):
    @functools.wraps(original)
    def _patch_dict(self):
        if _healed:
            take_healed(self)
        in_dict = getattr(self, 'in_dict', None)
        _record_start(self, in_dict if isinstance(in_dict, str) else None)
        try:
            return original(self)
        except BaseException:
            active.pop(id(self), None)
            raise
    _patch_dict.__mocktools_hook__ = original
    return _patch_dict


def _wrap_unpatch_dict(original):
    @functools.wraps(original)
    def _unpatch_dict(self):
        if _healed and take_healed(self):
            return None
        _forget(self, 2)
        try:
            return original(self)
        finally:
            in_dict = getattr(self, 'in_dict', None)
            if in_dict is sys.modules:
                for key in list(getattr(self, 'values', None) or ()):
                    restored[id(in_dict), key] = (
                        in_dict, in_dict.get(key, MISSING))
    _unpatch_dict.__mocktools_hook__ = original
    return _unpatch_dict


def _note_mock(mock, copied=False):
    """Record a top-level mock just made (the mock hook's work).

    ``copied``: the mock is a copy of one (see :func:`_wrap_reduce_ex`).
    """
    entering = _state.entering
    if entering and not copied:
        # Made by a patcher: it shares the patcher's origin.
        record = active.get(id(entering[-1]))
        if record is not None:
            origin = record.origin
            ref = _record_origin(mock, origin)
            if ref is not None and origin.scope is not None:
                origin.scope.made.append(ref)
        return
    scope = current_scope
    # the frames above: this function, the hook, then the mock's makers
    origin = caller_origin(scope, 3, mock)
    origin.copied = copied
    ref = _record_origin(mock, origin)
    if scope is not None and not origin.by_import and (
            modules_imported is not None):
        modules_imported()
    if scope is None:
        # Made outside any check (an unchecked test, a module's import): the
        # next check looks for it, and never blames its own test.
        _note_outside(ref)
    elif ref is not None:
        scope.free_mocks += 1
        scope.born.append(ref)
    else:                       # untrackable: sweep to be sure
        scope.free_mocks += 1
        scope.sweep_due = True


def _wrap_reduce_ex(original):
    # A copy of a mock (copy.copy, copy.deepcopy: glance's simple database
    # deep-copies what it stores) is made without __init__, so the mock
    # hook never sees it, and a copy the test leaves in global state would
    # be found only by some later sweep, with no record of who made it.
    # The copy machinery asks the mock how to rebuild it; for a top-level
    # mock the answer names __newobj__ below, which notes the copy as a
    # mock made where the copy was asked for.  Child mocks are copied with
    # their parent and belong to it.  Nothing else changes: the reduction
    # is the one the mock gives unhooked, and pickle, which tells a
    # __newobj__ by its name, treats it as before.
    @functools.wraps(original)
    def __reduce_ex__(self, protocol):
        reduced = original(self, protocol)
        if type(reduced) is tuple and reduced and (
                reduced[0] is copyreg.__newobj__):
            state = self.__dict__
            if (state.get('_mock_parent') is None
                    and state.get('_mock_new_parent') is None):
                return (__newobj__,) + reduced[1:]
        return reduced
    __reduce_ex__.__mocktools_hook__ = original
    return __reduce_ex__


def __newobj__(cls, *args):
    """``copyreg.__newobj__``, for a copy of a mock: noted where it is made.

    Only what comes out a mock of a loaded library is noted (told by its
    type, never asked of the object).
    """
    made = cls.__new__(cls, *args)
    if issubclass(type(made), sweep.mock_types()):
        _note_mock(made, copied=True)
    return made


def _wrap_mock_init(original):
    wrapper = _exact_mock_init(original)
    if wrapper is None:
        @functools.wraps(original)
        def wrapper(self, *args, **kwargs):
            original(self, *args, **kwargs)
            state = self.__dict__
            # Child mocks (attributes, return values) have a parent; they
            # are not leaks of their own and are not worth a frame walk.
            if (state.get('_mock_parent') is None
                    and state.get('_mock_new_parent') is None):
                _note_mock(self)
    wrapper.__mocktools_hook__ = original
    return wrapper


# What the mock hook, made with the parameters of the __init__ it wraps,
# runs: it passes them on as they came, so that making a mock costs no
# packing and unpacking of ``*args, **kwargs`` on the way.
_EXACT_INIT = """def __init__({parameters}):
    if kwargs:
        original({arguments}, **kwargs)
    else:
        original({arguments})
    # a child mock (an attribute, a return value) has a parent: not a leak
    # of its own, and not worth a frame walk
    if parent is None and _new_parent is None:
        note(self)
"""


def _exact_mock_init(original, note=_note_mock):
    """The mock hook with ``original``'s own parameters, or None.

    The hook calls ``note(mock)`` for a mock made without a parent.  None
    unless ``original`` is a plain function taking ``self``, then
    positional-or-keyword parameters including ``parent`` and
    ``_new_parent`` (which it stores as the mock's parents, as every
    ``NonCallableMock.__init__`` since Python 3.8 and the backport do),
    then ``**kwargs``: anything else gets the generic hook.
    """
    if type(original) is not types.FunctionType:
        return None
    try:
        parameters = list(inspect.signature(original).parameters.values())
    except (TypeError, ValueError):
        return None
    names = [parameter.name for parameter in parameters]
    kinds = {parameter.kind for parameter in parameters[:-1]}
    if (len(parameters) < 2 or names[0] != 'self' or names[-1] != 'kwargs'
            or parameters[-1].kind is not inspect.Parameter.VAR_KEYWORD
            or kinds != {inspect.Parameter.POSITIONAL_OR_KEYWORD}
            or not {'parent', '_new_parent'} <= set(names)
            or {'original', 'note'} & set(names)):
        return None
    namespace = {'original': original, 'note': note}
    declared = []
    for parameter in parameters[:-1]:
        if parameter.default is inspect.Parameter.empty:
            declared.append(parameter.name)
        else:
            default = '_default_%s' % parameter.name
            namespace[default] = parameter.default
            declared.append('%s=%s' % (parameter.name, default))
    source = _EXACT_INIT.format(
        parameters=', '.join(declared + ['**kwargs']),
        arguments=', '.join(names[:-1]))
    filename = '<mocktools mock hook on %s.%s>' % (
        original.__module__, original.__qualname__)
    exec(compile(source, filename, 'exec'), namespace)
    # its lines for tracebacks that pass through it (no file to read them
    # from; an entry without a modification time is never dropped)
    linecache.cache[filename] = (len(source), None,
                                 source.splitlines(True), filename)
    return functools.wraps(original)(namespace['__init__'])


_HOOKED = (('_patch', '__enter__', _wrap_enter),
           ('_patch', '__exit__', _wrap_exit),
           ('_patch_dict', '_patch_dict', _wrap_patch_dict),
           ('_patch_dict', '_unpatch_dict', _wrap_unpatch_dict),
           ('NonCallableMock', '__init__', _wrap_mock_init),
           ('NonCallableMock', '__reduce_ex__', _wrap_reduce_ex))


def _defining_class(cls, name):
    """The class of ``cls``'s MRO whose own ``__dict__`` holds ``name``.

    Not ``object``: what only ``object`` defines is hooked on ``cls``
    itself, and taken away again when unhooked.
    """
    for klass in cls.__mro__:
        if name in klass.__dict__ and klass is not object:
            return klass
    if name in vars(object):
        return cls
    raise LookupError('%s.%s: no class of its MRO defines %s' % (
        cls.__module__, cls.__qualname__, name))


def _hook(cls, name, wrapper):
    owner = _defining_class(cls, name)
    current = vars(owner).get(name, vars(object).get(name))
    if getattr(current, '__mocktools_hook__', None) is None:
        setattr(owner, name, wrapper(current))


def mock_modules():
    """The mock implementations loaded: ``unittest.mock``, the backport."""
    modules = [sys.modules['unittest.mock']] if (
        'unittest.mock' in sys.modules) else []
    backport = sys.modules.get('mock.mock')
    if backport is not None and backport not in modules:
        modules.append(backport)
    return modules


def install():
    """Hook every loaded mock implementation (idempotent, cheap to repeat)."""
    import unittest.mock  # noqa: F401  (the detector always covers it)
    for module in mock_modules():
        if id(module) in _installed:
            continue
        with _lock:
            if id(module) in _installed:
                continue
            namespace = vars(module)
            for class_name, name, wrapper in _HOOKED:
                _hook(namespace[class_name], name, wrapper)
            _installed.add(id(module))


def installed():
    """Whether the hooks are in place (on some loaded mock library)."""
    return bool(_installed)


def uninstall():
    """Remove the hooks again (the benchmark's baseline runs without them).

    Patchers entered while hooked and exited after this are forgotten.
    """
    with _lock:
        for module in mock_modules():
            namespace = vars(module)
            for class_name, name, _ in _HOOKED:
                cls = _defining_class(namespace[class_name], name)
                original = getattr(vars(cls).get(name), '__mocktools_hook__',
                                   None)
                if original is vars(object).get(name):
                    delattr(cls, name)      # added on the class: taken away
                elif original is not None:
                    setattr(cls, name, original)
            _installed.discard(id(module))
        active.clear()
        restored.clear()
        take_outside_born()
