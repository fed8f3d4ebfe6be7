"""Did a mock created in this test escape into global state?  Count references.

A mock that a test created (or one of its children: a return value, an
attribute) can only be in a module, class, ``sys.modules`` or module-level
object -- what the sweep inspects -- if something other than the test's
own objects refers to it.  After the test, these references are the test's
own:

* a slot of the test instance's or test class's ``__dict__``
  (``self.mock = Mock()``, ``cls.client = Mock()`` in ``setUpClass``);
* a slot of another mock of the test (created in it, or made by one of its
  patchers), of their child mocks (``_mock_parent``, ``_mock_children``),
  of the magic-method proxies ``MagicMock`` installs on its own class, or
  the arguments of the calls they recorded (``mock_calls``);
* a patcher the test started (its ``kwargs``: ``return_value=Mock()``);
* lists and tuples reached from those (never inspected by the sweep), and
  the objects the test instance leads to -- plain instances, dicts, and
  what a side effect passes on: a function's closure cells, a generator's
  locals, the container a built-in iterator goes over -- as long as every
  reference to each of them is itself the test's own (a module-level
  singleton that the test also keeps is not);
* not the test's, but not global state either: the entries of
  ``functools.lru_cache`` / ``functools.cache`` caches in global state (a
  mock passed to a cached function is kept by its cache, which the sweep
  does not inspect and no later test reads back as an attribute), and the
  thread-local storage of a module's ``threading.local`` (oslo.context
  keeps the request context a test makes there, with the mocks the test
  set on it).  The sweep reads neither, so sweeping for them would find
  nothing.

:func:`unaccounted` counts those references by identity (a value found in
a slot of a distinct object is one reference, so the count can never
exceed the truth) and compares with ``sys.getrefcount``.  When every
reference is accounted for, none of these mocks is reachable from what the
sweep inspects and the test needs no sweep; otherwise the detector sweeps.
This makes the check for a mock-creating test cost microseconds instead of
a sweep of everything loaded.  Only exact built-in containers and standard
``__dict__`` slots are read, so no code of the inspected objects runs.
"""

import collections
import functools
import gc
import itertools
import sys
import types

from mocktools.engine import sweep


__all__ = ['collect_finished', 'collect_young', 'unaccounted']

# Without exact reference counts (other implementations, free-threaded
# builds) this proves nothing: the detector then always sweeps.
_gil_enabled = getattr(sys, '_is_gil_enabled', None)
_USABLE = hasattr(sys, 'getrefcount') and (
    _gil_enabled is None or _gil_enabled())

# Where a mock keeps the calls made to it.
_CALL_RECORDS = ('_mock_call_args_list', '_mock_mock_calls', 'method_calls')
# Where a mock with a function create_autospec made (its _mock_delegate)
# records its calls instead: in that function's __dict__.
_DELEGATE_RECORDS = ('call_args_list', 'mock_calls', 'method_calls')
# Only the latest calls of each record are read: a mock given to a
# decorator (``@patch.object(CONF, 'get', Mock())``) records the calls of
# every test it served since the run began.  References in older calls are
# left uncounted, which can only cost a sweep.
_RECENT_CALLS = slice(-512, None)

# How many frames kept alive by an exception are read, at most, per check.
_FRAME_LIMIT = 200

_TRACEBACK = BaseException.__dict__['__traceback__'].__get__
_CAUSE = BaseException.__dict__['__cause__'].__get__
_CONTEXT = BaseException.__dict__['__context__'].__get__

# The containers whose items the walk follows (never global state).
_SEQUENCES = frozenset((list, tuple))
_CONTAINERS = _SEQUENCES | {dict}

# How deep the children of the test's mocks are followed.
_CHILD_DEPTH = 4

# How far and how wide the test's own objects are followed.  Layered
# proxies are common: glance's gateway wraps an image in six or seven, each
# keeping the request context.  The walk stops as soon as the references
# are explained, so depth costs only the checks that need it.
_OWNED_DEPTH = 8
_OWNED_LIMIT = 2000


def unaccounted(born, holders=(), companions=(), owner=None, patchers=(),
                unwatched=(), collect=False):
    """True when some mock of ``born`` has a reference not accounted for.

    ``born`` are weak references to the mocks created in the test;
    ``holders`` are the test instance and its class, ``patchers`` those the
    test started (references from their ``__dict__`` -- and from a
    patcher's ``kwargs`` -- are the test's own); ``companions`` are weak
    references to other mocks of the test (those its patchers made), whose
    references, and their children's, are the test's own too (or a
    callable returning them, called only if they are needed).  Objects the
    ``owner``'s ``__dict__`` (the test instance's) leads to -- plain
    instances, exact lists, tuples and dicts, a few levels deep -- are the
    test's own as long as every reference to them is: see
    :func:`_private_objects`.  ``unwatched``, called only if the test's own
    objects leave references unexplained, returns the ids of what places
    the sweep never reads refer to (one per reference): the entries that
    ``functools`` caches in global state gained since the last check, and
    thread-local storage; those references are counted too, to the mocks
    and to the test's own objects.

    With ``collect``, when the test's objects leave references unexplained
    and the garbage collector is enabled, the young generations are
    collected and the count made again: a test that caught an exception
    often leaves a reference cycle (the traceback and the frames it keeps,
    whose locals hold its mocks) that only the collector frees.  The
    youngest generation was collected before the check
    (:func:`collect_young`), which frees most such cycles; collecting the
    next one only when the count needs it spares the checks that do not
    (one of them per test promotes every object the test still holds to
    the oldest generation, and makes the slow full collections come sooner).
    """
    if not _USABLE:
        return True
    args = (born, holders, companions, owner, patchers, unwatched)
    verdict = _unexplained(*args)
    if verdict and collect and gc.isenabled() and gc.collect(1):
        # counted again only if the collector freed something (no frame of
        # the check holds a mock while it runs)
        verdict = _unexplained(*args)
    return verdict


def collect_young():
    """At a check: collect the youngest generation.

    Only if the collector is enabled: a suite that disabled it keeps it
    off, and its mocks are counted.  A mock's references are counted only
    while it lives: the mocks a test made and dropped (a stopped patcher's
    ``MagicMock``, kept alive by the proxies on its own class until the
    collector runs) need no count once collected, and cannot be in global
    state.

    What the test still holds survives and moves to the middle generation,
    to die with the test right after: :func:`collect_finished`, at the
    start of the next test, collects it there.  Never an older generation
    here: what the running test holds would wait in the oldest one for a
    full collection, and be freed whenever that came -- in cinder, inside
    eventlet's ``tpool.setup()`` of a later test, where the finalizer of
    an object the test had made called into ``tpool`` and waited forever.
    """
    if _USABLE and gc.isenabled() and gc.get_threshold()[0]:
        _schedule.checked(gc.get_count()[0])
        gc.collect(0)


def collect_finished():
    """At the start of a test: collect what the last checked test left.

    The objects the last check saw alive (see :func:`collect_young`) are
    garbage once their test is done; collected here, between tests, before
    the new test's baselines are taken, their finalizers run where no
    test's code runs, as they would have under the interpreter's own
    schedule.  The middle generation, or all of them when the interpreter
    would collect the oldest (see :class:`CollectionSchedule`): every
    collection made by a check resets the count by which the interpreter
    starts its own, so in a run of small tests its own never come (3,000
    small tests peaked at 143 MiB instead of 32 when the older generations
    were left to it).  Only once per check, and only if the collector is
    enabled.
    """
    if _schedule.pending and _USABLE and gc.isenabled():
        _schedule.pending = False
        generation = _schedule.due(gc.get_threshold(), _heap)
        if generation is not None:
            gc.collect(generation)
            if generation == 2:
                _schedule.collected_all(*_heap())


def _heap():
    """(allocated memory blocks, full collections run so far)."""
    return sys.getallocatedblocks(), gc.get_stats()[2]['collections']


class CollectionSchedule:
    """Which generation to collect between tests: as the interpreter would.

    The middle generation, which holds what the last checked test kept;
    all of them when the interpreter would collect the oldest.  It would
    once its allocations since the last full collection made enough
    collections of the middle generation (its thresholds: 700 or 2,000
    allocations per collection of the youngest, ten of those per
    collection of the middle one, ten of those), and the objects moved to
    the oldest since then are a quarter of those it kept.  The middle
    generation collected at every test says nothing about that, so the
    allocations the checks saw (the interpreter's count when each check
    collected) are added up instead; the objects moved to the oldest are
    not readable, so the heap's growth (allocated memory blocks, about one
    per object) since the last full collection stands for them.
    ``pending`` is set by a check that collected, cleared by the
    collection between tests.
    """

    def __init__(self):
        self.pending = False
        # allocations the checks saw since the last full collection
        self._allocated = 0
        # the heap after the last full collection, and how many full
        # collections had run then
        self._base = 0
        self._full_runs = -1

    def checked(self, allocated):
        """A check collects the youngest generation, which counted so many."""
        self._allocated += allocated
        self.pending = True

    def due(self, threshold, heap):
        """The generation to collect (1 or 2), or None for none.

        ``threshold`` is :func:`gc.get_threshold`; ``heap()`` returns
        (allocated blocks, full collections so far), read only when the
        oldest generation is due by the allocations.  None when automatic
        collection is off (threshold 0).  When the heap cannot be measured
        (``PYTHONMALLOC=malloc``) the oldest is collected whenever the
        allocations make it due: more often than the interpreter would,
        never less.
        """
        if not threshold[0]:
            return None
        if self._allocated <= threshold[0] * (threshold[1] + 1) * (
                threshold[2] + 1):
            return 1
        blocks, full_runs = heap()
        if not blocks:
            return 2
        if full_runs != self._full_runs:
            # the first look, or the interpreter made one since: its heap
            # then is about today's
            self.collected_all(blocks, full_runs)
            return 1
        return 2 if blocks - self._base > self._base // 4 else 1

    def collected_all(self, blocks, full_runs):
        """Note a full collection, after which the heap is ``blocks``."""
        self._base = blocks
        self._full_runs = full_runs
        self._allocated = 0


_schedule = CollectionSchedule()


def _unexplained(born, holders, companions, owner, patchers, unwatched):
    """The check of :func:`unaccounted`, once."""
    internal, proxies, delegated = {}, {}, {}
    mocks = _family((mock for mock in (ref() for ref in born)
                     if mock is not None), internal)
    if not mocks:
        return False
    if _all_accounted(mocks, _direct_references(
            mocks, holders, unwatched, internal, proxies, delegated,
            patchers)):
        return False
    del internal
    if callable(companions):
        companions = companions()
    companions = [mock for mock in (ref() for ref in companions)
                  if mock is not None]
    counts = _known_references(mocks, holders, companions, owner, patchers,
                               unwatched, proxies, delegated)
    if counts is None:
        return True
    del companions
    return not _all_accounted(mocks, counts)


def _direct_references(mocks, holders, unwatched, internal=None,
                       proxies=None, delegated=None, patchers=()):
    """id(mock) -> references counted without walking the mocks.

    Those from the holders' ``__dict__``, the mock's own magic-method
    proxies, what the sweep never reads (new ``functools`` cache entries,
    thread-local storage), ``internal`` (id ->
    references between parents and children, counted by :func:`_family`)
    and, last, the ``__dict__`` and ``kwargs`` of the test's ``patchers``.
    ``proxies``, a dict, is given id(mock) -> the references from its
    proxies alone, and ``delegated`` id -> those from the functions
    ``create_autospec`` made (:func:`_count_from_delegate`), for the full
    walk to use again.
    The common cases -- a mock kept on the test, a ``MagicMock``, a mock
    handed to a cached function, a patcher's mock and the return value it
    gave, a mock given to a patcher (``return_value=m``, ``new=m``) -- are
    counted in one pass over each namespace, before the full walk of
    :func:`_known_references` (which also follows recorded calls, the
    patchers' nested values and the test's own objects).  Every reference
    counted here is one that walk counts too: a mock this finds accounted
    for, it would.
    """
    counts = dict.fromkeys(map(id, mocks), 0)
    kinds = set(map(type, mocks))
    for holder in holders:
        namespace = sweep.namespace_of(holder)
        if namespace is not None:
            _tally(counts, kinds, namespace.values())
    if internal:
        for key, value in internal.items():
            counts[key] += value
    types = sweep.library_types()
    checkers = []   # (see _checker_references), read once if needed
    for mock in mocks:
        counts[id(mock)] += _proxies_of(mock, True, types, proxies)
        _count_from_delegate(counts, kinds, mock, types[2], mocks, checkers,
                             delegated)
    del mock   # a reference _all_accounted must not see
    if not _all_accounted(mocks, counts):
        entries = unwatched() if callable(unwatched) else unwatched
        if entries:
            _count_from_unwatched(counts, entries)
    if patchers and not _all_accounted(mocks, counts):
        # the stage of the walk that resolves most real tests (Trove's
        # decorators give each test two or three patchers): counted here,
        # it spares walking the test's objects first
        _count_from_patchers(counts, kinds, patchers)
    return counts


def _count_from_patchers(counts, kinds, patchers):
    """Count the references from ``patchers``' ``__dict__`` and ``kwargs``.

    Each namespace and each ``kwargs`` dict once (``_patch.copy`` shares
    its ``kwargs`` with the copy); only exact dicts are read.
    """
    seen = set()
    for patcher in patchers:
        namespace = sweep.namespace_of(patcher)
        if namespace is None or id(namespace) in seen:
            continue
        seen.add(id(namespace))
        _tally(counts, kinds, namespace.values())
        kwargs = namespace.get('kwargs')
        if type(kwargs) is dict and id(kwargs) not in seen:
            seen.add(id(kwargs))
            _tally(counts, kinds, kwargs.values())


def _count_from_delegate(counts, kinds, mock, readers, family, checkers,
                         delegated):
    """Count the references from the function ``create_autospec`` made.

    ``patch(..., autospec=True)`` of a function puts in place a function
    the library made (``_set_signature``) that calls ``mock``: its globals
    (``mock``), its ``__dict__`` (``mock``, the ``return_value`` child)
    and the cell its helpers close over (``mock``) refer to the mock and
    its child, and ``mock._mock_delegate`` to it.  Once the patcher has
    stopped, those objects refer to one another alone, and live until a
    collection of their generation: one made in ``setUp`` has often left
    the youngest generation by the check, and without this count the
    check would sweep.  Counted only while nothing else refers to the
    function (patched in place still, kept by the test or leaked, it is
    not) but the signature checkers of the mocks of ``family`` (see
    :func:`_checker_references`, read once into ``checkers``, a list) and
    the lazy specs of the mock's children (:func:`_spec_states_under`).
    What is counted is added to ``delegated`` (a dict, id -> references)
    too, or nothing if it is None.
    """
    state = sweep.mock_namespace(mock, readers)
    function = None if state is None else _delegate_of(state, mock)
    if function is None:
        return
    own = vars(function)
    context = function.__globals__
    reset = own.get('reset_mock')
    if (context.get('mock') is not mock
            or context.get(function.__name__) is not function
            or '_checksig_' not in context
            or type(reset) is not types.FunctionType
            or not reset.__closure__):
        return
    # reset_mock closes over the mock and the function, and over nothing
    # else (the list of what it closes over is gone once counted)
    if sum(value is mock or value is function
           for value in _closed_over(reset)) != 2:
        return
    del reset
    # the library's references: its globals, the mock's _mock_delegate,
    # the cell of reset_mock; and this frame's and getrefcount's
    known = 3
    if sys.getrefcount(function) - 2 > known:
        if not checkers:
            checkers.append(_checker_references(family, readers))
        known += checkers[0].get(id(function), 0)
    if sys.getrefcount(function) - 2 > known:
        known += _spec_states_under(state, function)
    if sys.getrefcount(function) - 2 > known:
        return
    # the globals' and the cell's, and what its __dict__ holds
    found = [id(mock), id(mock)] + [id(value) for value in own.values()
                                    if type(value) in kinds]
    for key in found:
        if key in counts:
            counts[key] += 1
            if delegated is not None:
                delegated[key] = delegated.get(key, 0) + 1


def _spec_states_under(namespace, function):
    """References to ``function`` from the lazy specs of its mock's children.

    ``namespace`` is the mock's.  ``create_autospec`` of a function that
    has attributes (nova's remotable methods carry ``remotable`` and
    ``original_fn``) puts, for each one that is not a function, a
    ``_SpecState`` whose ``parent`` is ``function`` in the children dict
    that the mock and ``function`` share.  One counts only if nothing but
    that dict holds it.
    """
    children = namespace.get('_mock_children')
    kinds = sweep.spec_state_types()
    if type(children) is not dict or not kinds:
        return 0
    found = 0
    for value in children.values():
        # the dict's; and this loop's and getrefcount's
        if type(value) in kinds and sys.getrefcount(value) - 2 <= 1:
            state = sweep.instance_namespace(value)
            found += state is not None and state.get('parent') is function
    return found


def _delegate_of(namespace, mock):
    """The function create_autospec made for ``mock``, or None.

    ``namespace`` is the mock's, whose ``_mock_delegate`` it is.  Such a
    mock records its calls in that function's ``__dict__``
    (``call_args_list``, ``mock_calls``), not in its own namespace.
    """
    function = namespace.get('_mock_delegate')
    if function is None:   # most mocks
        return None
    if type(function) is not types.FunctionType or (
            sweep._function_mock(function) is not mock):
        return None
    return function


def _checker_references(family, readers):
    """id(object) -> references from the mocks' own signature checkers.

    oslotest's lazy autospec (``mock_fixture``, which nova's tests
    install) sets a mock's ``_mock_check_sig`` to a closure over the
    function ``create_autospec`` made for the method it stands for, or
    over a ``functools.partial`` of it (the method's ``self`` consumed).
    A closure counts only if nothing but its mock refers to it, and a
    partial only if nothing but the closure does.  Only cells are read,
    and the partial's ``func``: no code runs.
    """
    held = {}
    for mock in family:
        state = sweep.mock_namespace(mock, readers)
        checker = None if state is None else state.get('_mock_check_sig')
        # the mock's, and this frame's and getrefcount's
        if (type(checker) is not types.FunctionType
                or not checker.__closure__
                or sys.getrefcount(checker) - 2 > 1):
            continue
        contents = _closed_over(checker)
        for value in contents:
            held[id(value)] = held.get(id(value), 0) + 1
            # its cell's; and this list's, this frame's and getrefcount's
            if (type(value) is functools.partial
                    and sys.getrefcount(value) - 3 <= 1):
                inner = id(value.func)
                held[inner] = held.get(inner, 0) + 1
        value = contents = None
    return held


def _family(mocks, internal=None):
    """``mocks`` and their child mocks (attributes, return values).

    A child stored in global state (``module.f = Mock().return_value``) is
    as much a leak as its parent: every one of them is checked.  With
    ``internal`` (a dict), also count there, by id, the references that
    members hold to one another (see :func:`_count_internal`).
    """
    family = list(mocks)
    seen = set(map(id, family))
    mock_bases, _, readers = sweep.library_types()
    generation = family
    for _ in range(_CHILD_DEPTH):
        if not generation:
            break
        following = []
        for mock in generation:
            namespace = sweep.mock_namespace(mock, readers)
            if namespace is None:
                continue
            # its return value and attribute children; magic-method
            # children are referenced from its class, through closures
            values = [namespace.get('_mock_return_value')]
            nested = namespace.get('_mock_children')
            if type(nested) is dict and nested:
                values.extend(value for name, value in nested.items()
                              if not (type(name) is str
                                      and name.startswith('__')))
            for value in values:
                if (issubclass(type(value), mock_bases)
                        and id(value) not in seen):
                    seen.add(id(value))
                    following.append(value)
        family.extend(following)
        generation = following
    if internal is not None and len(family) > 1:
        _count_internal(internal, family, readers)
    return family


def _count_internal(internal, family, readers):
    """Count in ``internal`` the references between members of ``family``.

    Every slot of a member's ``__dict__`` and of its ``_mock_children``
    that holds a member: a parent's return value and children, a child's
    ``_mock_parent`` / ``_mock_new_parent``, and a mock set on another as
    an attribute (``client.servers = servers``, kept both in
    ``_mock_children`` and in the ``__dict__``), as a side effect or as
    what it wraps.
    """
    counts = dict.fromkeys(map(id, family), 0)
    kinds = set(map(type, family))
    shared = set()   # a shallow copy of a mock shares its children dict
    for mock in family:
        namespace = sweep.mock_namespace(mock, readers)
        if namespace is None:
            continue
        _tally(counts, kinds, namespace.values())
        nested = namespace.get('_mock_children')
        if type(nested) is dict and nested and id(nested) not in shared:
            shared.add(id(nested))
            _tally(counts, kinds, nested.values())
    for key, found in counts.items():
        if found:
            internal[key] = internal.get(key, 0) + found


class _OwnedWalk:
    """The objects the test leads to that may be the test's own.

    What ``owner``'s namespace (the test instance's) and ``roots`` lead
    to: the namespaces of the test's mocks (``m.items = [Mock()]``) and the
    args tuples and kwargs dicts they recorded (``m({'id': Mock()})``,
    ``m(context)``); and what its patchers' getters hold, the objects they
    patched (``patch.object(self.client, ...)``), which are candidates but
    are not followed: a patched module-level object can lead far, and is
    not the test's own anyway.  Plain instances (read through their
    standard ``__dict__`` slot) and exact lists, tuples and dicts; no mock
    (counted on their own), module or class (global state), and nothing
    whose reading could run code.  A container in ``walked`` (ids of those
    whose references are already counted, as the roots') is followed, but
    is no candidate: its references would be counted twice.

    Each candidate is read once: ``edges`` holds, for each of ``found``,
    the ids of what it refers to (one per reference; plain values left
    out).  An object that refers to nothing but plain values can account
    for no reference, and is no candidate.  The walk goes one level at a
    time (:meth:`next_level`), so that its caller can stop as soon as the
    candidates found account for the references it looks for.
    """

    def __init__(self, owner, skip, walked, roots):
        self.found, self.edges = [], []
        self.walked = walked
        # plain values and what refers to nothing: the mocks' empty
        # ``_mock_children`` and ``_spec_asyncs``, their call lists (read
        # through the mocks that recorded them), a few per mock
        self.passed_over = sweep.PLAIN_VALUES | sweep.call_list_types()
        self.mock_bases = sweep.mock_types()
        self.seen = seen = set(skip)
        for root in roots:
            if type(root) is dict:
                # a spec'd mock's names, often hundreds: ``dir(spec)``
                names = root.get('_mock_methods')
                if type(names) is list:
                    seen.add(id(names))
        names = None
        self.levels = 0
        # (values, follow) pairs: what the next level reads
        self.frontier = [(_held_by(root), type(root) is not types.FunctionType)
                         for root in roots]
        namespace = None if owner is None else sweep.namespace_of(owner)
        if namespace is not None:
            self.frontier.append((namespace.values(), True))
        # what the next level's values were read from, once released
        self.sources = self.released = None

    def next_level(self):
        """Find the candidates of one more level; False after the last one."""
        found = self.found
        if self.levels >= _OWNED_DEPTH or len(found) >= _OWNED_LIMIT:
            return False
        if self.released is not None:
            self._read_again()
        self.levels += 1
        mock_bases, passed_over = self.mock_bases, self.passed_over
        edges, seen, walked = self.edges, self.seen, self.walked
        frontier, following, sources = self.frontier, [], []
        # what passes references on is followed within the same level
        for values, follow in frontier:
            for value in values:
                kind = type(value)
                # most of what a test's objects hold
                if kind in passed_over or (kind in _CONTAINERS and not value):
                    continue
                key = id(value)
                if key in seen:
                    continue
                seen.add(key)
                if (issubclass(kind, (type, types.ModuleType))
                        or issubclass(kind, mock_bases)):
                    continue
                contents = _contents(value)
                if not contents:
                    continue
                held = [each for each in contents
                        if type(each) not in passed_over]
                if not held:
                    continue
                if follow:
                    if kind in _PASSING_ON:
                        frontier.append((held, True))
                    else:
                        following.append((held, True))
                        # a candidate by its place in ``found``: see release
                        sources.append(value if key in walked else len(found))
                if key in walked:
                    continue
                found.append(value)
                edges.append(list(map(id, held)))
                if len(found) >= _OWNED_LIMIT:
                    following = sources = []   # the last level
                    break
            else:
                continue
            break
        self.frontier, self.sources = following, sources
        return True

    def release(self):
        """Let go of every reference to a candidate but ``found``'s.

        Needed before their references are counted.  If the walk goes on,
        the next level's values are read again from where they came from.
        """
        self.released, self.sources, self.frontier = self.sources, None, None

    def _read_again(self):
        passed_over = self.passed_over
        frontier = []
        for source in self.released:
            if type(source) is int:
                source = self.found[source]
            frontier.append(([each for each in _contents(source)
                              if type(each) not in passed_over], True))
        source = None
        self.frontier, self.released = frontier, None


def _count_from_owned(walk, owned, counts, unexplained=None, entries=()):
    """Add the references from the candidates that are the test's own.

    ``owned`` is an :class:`_OwnedWalk`, released.  With ``unexplained``
    (id(target) -> references not yet explained), add nothing and return
    False unless they explain every one of those.
    """
    found, edges = owned.found, owned.edges
    kept, referrers = _leading_to(found, edges, counts)
    base = _recount(walk, [found[index] for index in kept])
    if entries:
        # a request context the test made is its own, though oslo.context
        # also keeps it in thread-local storage
        _count_from_unwatched(base, entries)
    gained = {}
    for position in _private_objects(found, kept, referrers, base):
        for key in edges[kept[position]]:
            if key in counts:
                gained[key] = gained.get(key, 0) + 1
    if unexplained is not None and any(
            gained.get(key, 0) < missing
            for key, missing in unexplained.items()):
        return False
    for key, extra in gained.items():
        counts[key] += extra
    return True


def _leading_to(found, edges, targets):
    """The candidates that lead to one of ``targets``, and their referrers.

    ``found`` and ``edges`` are :class:`_OwnedWalk`'s; ``targets`` holds
    the ids counted.  Only a candidate that refers to a target, or to a
    candidate that does, can account for a reference to one; and whatever
    refers to such a candidate is kept with it, so that the fixed point of
    :func:`_private_objects` reads the same references to them as over
    every candidate.  Returns the indices of the candidates kept and, for
    each, the positions in that list of those that refer to it (one per
    reference).
    """
    index = {id(obj): position for position, obj in enumerate(found)}
    referrers = [[] for _ in found]
    pending = []
    for position, keys in enumerate(edges):
        leads = False
        for key in keys:
            other = index.get(key)
            if other is not None:
                referrers[other].append(position)
            elif key in targets:
                leads = True
        if leads:
            pending.append(position)
    kept = set(pending)
    while pending:
        for other in referrers[pending.pop()]:
            if other not in kept:
                kept.add(other)
                pending.append(other)
    kept = sorted(kept)
    renumbered = dict(zip(kept, range(len(kept))))
    return kept, [[renumbered[other] for other in referrers[position]]
                  for position in kept]


def _private_objects(found, kept, referrers, base):
    """The positions in ``kept`` of the candidates that are the test's own.

    ``kept`` are indices of ``found``, ``referrers`` those
    :func:`_leading_to` gave, and ``base`` counts the references to them
    from the test's mocks, patchers and holders.  A fixed point: a
    candidate is private while its reference count is matched by those
    plus the references from the candidates still private; one that is
    not (a module-level singleton the test also keeps) is dropped, with
    what only it accounted for, until nothing changes.  ``found`` must hold
    the only reference the caller's frames have to each candidate.
    """
    outside = []
    for index in kept:
        obj = found[index]
        # getrefcount's argument, the list and ``obj``
        outside.append(sys.getrefcount(obj) - 3 - base[id(obj)])
    obj = None
    private = set(range(len(kept)))
    changed = True
    while changed:
        changed = False
        for position in list(private):
            known = 0
            for other in referrers[position]:
                if other in private:
                    known += 1
            if outside[position] > known:
                private.discard(position)
                changed = True
    return private


def _unexplained_references(mocks, counts):
    """id(mock) -> its references not counted in ``counts``, where any."""
    missing = {}
    # getrefcount's argument, the list ``mocks`` and the loop variable
    for mock in mocks:
        extra = sys.getrefcount(mock) - 3 - counts[id(mock)]
        if extra > 0:
            missing[id(mock)] = extra
    return missing


def _all_accounted(mocks, counts):
    """Whether every mock's references are all counted."""
    # getrefcount's argument, the list ``mocks`` and the loop variable
    for mock in mocks:
        if sys.getrefcount(mock) - 3 > counts[id(mock)]:
            return False
    return True


def _tally(counts, kinds, values):
    """Add one to ``counts[id(value)]`` for each of ``values`` counted there.

    ``kinds`` are the types of the counted objects: values of other types
    are passed over by a type comparison, which the interpreter runs faster
    than taking the ``id()`` of each (a new integer every time).
    """
    for value in [value for value in values if type(value) in kinds]:
        key = id(value)
        if key in counts:
            counts[key] += 1


def _known_references(mocks, holders, companions=(), owner=None,
                      patchers=(), unwatched=(), proxies=None,
                      delegated=None):
    """id(mock) -> references found in the test's own objects (or None).

    A separate function so that none of its locals still refers to a mock
    when the caller reads the reference counts.  It looks only as far as it
    must: the holders and the mocks first (most tests stop there), then
    references from what the sweep never reads (``functools`` caches,
    thread-local storage), then the patchers and the mocks
    they made, then the objects the ``owner`` and the mocks lead to.  Each
    stage adds to what the previous ones counted.  ``proxies`` are the
    references from magic-method proxies that :func:`_direct_references`
    counted (id(mock) -> count), ``delegated`` those from the functions
    ``create_autospec`` made, which no walk reads.
    """
    walk = _Walk(mocks)
    if proxies:
        walk.proxies = proxies
    counts = walk.counts
    if delegated:
        for key, found in delegated.items():
            counts[key] += found
    if not _count_from_test(walk, holders, mocks):
        return None
    if _all_accounted(mocks, counts):
        return counts
    entries = unwatched() if callable(unwatched) else unwatched
    if entries:
        _count_from_unwatched(counts, entries)
        if _all_accounted(mocks, counts):
            return counts
    if patchers or companions:
        _count_from_test(walk, patchers, companions)
        if _all_accounted(mocks, counts):
            return counts
    skip = {id(obj) for obj in holders}
    skip.update(map(id, patchers))
    skip.update(map(id, mocks))
    skip.update(map(id, companions))
    wanted = _unexplained_references(mocks, counts)
    owned = _OwnedWalk(owner, skip, walk.walked, walk.roots)
    # stop as soon as the candidates found so far explain every reference
    # (if they do, those found further could only explain more: see
    # _private_objects); try once, when they could
    unexplained, looked = dict(wanted), 0
    while owned.next_level():
        if unexplained is None:
            continue
        for keys in owned.edges[looked:]:
            for key in keys:
                missing = unexplained.get(key)
                if missing is not None:
                    if missing > 1:
                        unexplained[key] = missing - 1
                    else:
                        del unexplained[key]
        looked = len(owned.edges)
        if not unexplained:
            owned.release()
            if _count_from_owned(walk, owned, counts, wanted, entries):
                return counts
            unexplained = None
    owned.release()
    _count_from_owned(walk, owned, counts, entries=entries)
    return counts


def _proxies_of(mock, children=False, types=None, proxies=None):
    """References to ``mock`` from what ``MagicMock`` puts on its class.

    ``MagicMock`` gives each mock a class of its own, holding one
    MagicProxy per magic method (``parent`` is the mock).  With
    ``children``, also the child mocks that replaced a proxy once it was
    used (``hash(m)``, ``len(m)``), by their
    ``_mock_parent`` / ``_mock_new_parent`` (the full walk counts those
    as children instead).  Read through the standard ``__dict__`` slot.
    ``types`` is :func:`~mocktools.engine.sweep.library_types`, for a
    caller that already has it.  With ``proxies`` (a dict), also note
    there id(mock) -> the references from the proxies alone.
    """
    mock_bases, proxy_types, readers = types or sweep.library_types()
    found = from_children = 0
    closures = None
    # A plain loop: over ninety values, attribute reads that the
    # interpreter specialises beat C-level ``map`` calls of attrgetter.
    for value in sweep._type_dict(type(mock)).values():
        kind = type(value)
        if kind in proxy_types:
            # the library's own class: reading ``parent`` runs no user code
            found += value.parent is mock
        elif children and issubclass(kind, mock_bases):
            state = sweep.mock_namespace(value, readers)
            if state is not None:
                from_children += (state.get('_mock_parent') is mock) + (
                    state.get('_mock_new_parent') is mock)
                if closures is None:
                    closures = set()
                from_children += len([value for value in _library_closure(
                    state, closures) if value is mock])
    if proxies is not None:
        proxies[id(mock)] = found
    return found + from_children


def _library_closure(state, seen, name='_mock_side_effect'):
    """What a function the library made, kept in ``state[name]``, closes over.

    ``state`` is the namespace of a child mock (``m.__eq__``): for ``m ==
    x``, ``m != x`` and ``iter(m)``, the library sets a closure over ``m``
    as its side effect; or of a patcher, whose ``getter`` closes over the
    object it patches.  A closure whose id is in ``seen`` (a set) was
    counted already, as one the user put on two children is; its id is
    added.  Only the library's own functions are read, never user code.
    """
    function = state.get(name)
    if (type(function) is not types.FunctionType
            or function.__code__ not in sweep.library_closures()
            or not function.__closure__
            or id(function.__closure__) in seen):
        return ()
    seen.add(id(function.__closure__))
    return _closed_over(function)


def _closed_over(function):
    """The objects in the cells of ``function``'s closure."""
    found = []
    for cell in function.__closure__:
        try:
            found.append(cell.cell_contents)
        except ValueError:   # an empty cell
            pass
    return found


def _count_from_unwatched(counts, entries):
    """Add the references from what the sweep never reads.

    ``entries`` are the ids of what those places refer to, one per
    reference: see :meth:`~mocktools.engine.sweep.GlobalStateSweep.\
new_cache_entries` and :meth:`~mocktools.engine.sweep.GlobalStateSweep.\
thread_local_references`.
    """
    if len(counts) * len(entries) <= 4096:
        for key in counts:
            counts[key] += entries.count(key)
        return
    # the test's objects can be two thousand, a cache can gain thousands
    # of entries in one test: count each id once, not once per key
    tally = collections.Counter(entries)
    for key in counts:
        counts[key] += tally.get(key, 0)


def _contents(obj):
    """What ``obj`` refers to, read without running its code (or None).

    An exact list's or tuple's items, an exact dict's values, a plain
    instance's ``__dict__`` values, a tuple subclass's items (and its
    ``__dict__`` values, if it has one); and what a side effect leads to: a
    function's closure cells and defaults, a bound method's object, a
    cell's content, a
    generator's locals (``(s for s in statuses)``), the container a
    built-in iterator goes over (``side_effect=[Mock(), Mock()]`` keeps
    one).  Those are read from slots and ``gc.get_referents``.
    """
    kind = type(obj)
    if kind is list or kind is tuple:
        return obj
    if kind is dict:
        return obj.values()
    if kind in _PASSING_ON:
        return _passed_on(obj, kind)
    namespace = sweep.instance_namespace(obj)
    if issubclass(kind, tuple):
        # a named tuple (``Endpoint(url, session)``), a recorded call:
        # the items, by tuple's own slicing (never the class's code), and
        # the attributes of a subclass that has a __dict__
        items = tuple.__getitem__(obj, _ALL)
        return items if namespace is None else items + tuple(
            namespace.values())
    return None if namespace is None else namespace.values()


_ALL = slice(None)


# Objects that pass references on from a side effect to what it returns:
# followed without counting as one of _OWNED_DEPTH's levels.
_ITERATORS = frozenset(map(type, (
    iter([]), reversed([]), iter(()), iter({}), iter({}.values()),
    iter({}.items()))))
_PASSING_ON = frozenset((types.FunctionType, types.MethodType,
                         types.CellType, types.GeneratorType)) | _ITERATORS
# Before 3.11 a generator refers to a frame object holding its locals.
_GENERATOR_FRAMES = sys.version_info < (3, 11)


def _passed_on(obj, kind):
    """:func:`_contents` of a function, method, cell, generator or iterator."""
    if kind is types.FunctionType:
        # not its attributes: reading a function's __dict__ would make one
        return (obj.__closure__, obj.__defaults__, obj.__kwdefaults__)
    if kind is types.MethodType:
        # a side effect answered by an object's method
        # (``side_effect=self.get_limits`` in a fixture): the object; its
        # function is its class's, global state
        return (obj.__self__,)
    if kind is types.CellType:
        try:
            return (obj.cell_contents,)
        except ValueError:   # an empty cell
            return ()
    if kind is types.GeneratorType and _GENERATOR_FRAMES:
        # gi_frame makes no frame here.  Its locals are the generator's
        # while the frame is (the generator's reference, this function's
        # and getrefcount's); the module's globals and the builtins it
        # refers to are global state, not the generator's own.
        frame = obj.gi_frame
        if frame is not None and sys.getrefcount(frame) == 3:
            shared = (frame.f_globals, frame.f_builtins, frame.f_back)
            parts = [part for part in gc.get_referents(obj)
                     if part is not frame]
            parts.extend(part for part in gc.get_referents(frame)
                         if not any(part is each for each in shared))
            return parts
    return gc.get_referents(obj)


class _Walk:
    """What counting the test's references has read so far.

    The count grows in stages (the holders and the test's mocks, then the
    patchers and the mocks they made): nothing read once is counted again.
    ``counts`` maps id(target) to the references found; ``walked`` holds
    the ids of the namespaces, dicts, lists and tuples counted, ``visited``
    those of the mocks walked; ``roots`` the mocks' namespaces, the args
    tuples and kwargs dicts they recorded and the patchers' getters (where
    :class:`_OwnedWalk` starts); ``tallied`` everything counted (of
    a patcher's ``getter``, what its closure holds), so that
    :func:`_recount` finds references to other targets without walking
    again; ``proxies`` the references from each target's magic-method
    proxies, where already counted.  It refers to no target itself.
    """

    __slots__ = ('counts', 'kinds', 'walked', 'visited', 'roots',
                 'tallied', 'proxies')

    def __init__(self, targets):
        self.proxies = {}
        self.counts = dict.fromkeys(map(id, targets), 0)
        self.kinds = set(map(type, targets))
        self.walked = set()
        self.visited = set()
        self.roots = []
        self.tallied = []


def _recount(walk, targets):
    """id(target) -> references to ``targets`` from what ``walk`` counted.

    Fewer than a walk would find (the classes made for the mocks are not
    read again): for the test's own objects, too few only means fewer of
    them are found private.
    """
    counts = dict.fromkeys(map(id, targets), 0)
    kinds = set(map(type, targets))
    for counted in walk.tallied:
        _tally(counts, kinds, _held_by(counted))
    return counts


def _held_by(counted):
    """What something the walk counted refers to.

    An exact list's or tuple's items, a dict's (or namespace's) values,
    what a closure the mock library made holds (a patcher's ``getter``),
    or the object a method set on a mock is bound to.
    """
    kind = type(counted)
    if kind in _SEQUENCES:
        return counted
    if kind is types.FunctionType:
        return _closed_over(counted)
    if kind is types.MethodType:
        return (counted.__self__,)
    if kind is types.FrameType:
        return _frame_locals(counted)
    return counted.values()


def _frames_kept(exception, seen, running):
    """The frames that ``exception`` keeps alive, each once.

    ``side_effect=DBError()`` given to a decorator is made once, at import,
    and every test that raises it leaves the frames it went through -- the
    test's and its callers', whose locals hold the test's mocks -- on its
    ``__traceback__``.  Those frames (and the callers they point to, by
    ``f_back``), and those of the exceptions it was raised from, up to the
    frames still running (``running``, ids) and at most ``_FRAME_LIMIT``;
    ids of the frames read go into ``seen``.  Read through the C-level
    slots of exceptions, tracebacks and frames: no user code runs.
    """
    frames = []
    pending, done = [exception], set()
    while pending and len(frames) < _FRAME_LIMIT:
        exception = pending.pop()
        if id(exception) in done:
            continue
        done.add(id(exception))
        tb = _TRACEBACK(exception)
        # a traceback grows each time its exception is raised again
        while type(tb) is types.TracebackType and len(frames) < _FRAME_LIMIT:
            frame = tb.tb_frame
            while (type(frame) is types.FrameType and id(frame) not in seen
                   and id(frame) not in running
                   and len(frames) < _FRAME_LIMIT):
                seen.add(id(frame))
                frames.append(frame)
                frame = frame.f_back
            tb = tb.tb_next
        pending.extend(linked for linked in (_CAUSE(exception),
                                             _CONTEXT(exception))
                       if issubclass(type(linked), BaseException))
    return frames


def _running_frames():
    """The ids of the frames running now: the caller's and those above it.

    Where :func:`_frames_kept` stops: a running frame's locals are still
    changing, and its callers lead to the runner.
    """
    running = set()
    frame = sys._getframe(1)
    while frame is not None:
        running.add(id(frame))
        frame = frame.f_back
    return running


def _frame_locals(frame):
    """What ``frame`` refers to but its code, caller and namespaces.

    Its locals, cells and what its stack held, from ``gc.get_referents``
    (never ``f_locals``, which would copy them); not the module globals
    and builtins it shares with every frame of its module, nor a dict of
    locals made for it, which may be those globals.
    """
    shared = (frame.f_back, frame.f_code, frame.f_globals, frame.f_builtins)
    return [value for value in gc.get_referents(frame)
            if type(value) is not dict
            and not any(value is each for each in shared)]


def _count_from_test(walk, holders, mocks):
    """Add to ``walk`` the references from ``holders`` and ``mocks``.

    ``mocks`` are the test's mocks and their children are walked too.
    False when the namespace of a mock whose references are counted (a
    target) cannot be read.
    """
    counts = walk.counts
    kinds = walk.kinds
    seen = walk.walked
    tallied = walk.tallied
    roots = walk.roots
    visited = walk.visited
    proxies = walk.proxies
    mock_bases, _, readers = sweep.library_types()

    def count(values, sequences=False):
        if id(values) in seen:
            return
        seen.add(id(values))
        # a namespace or dict, or an exact list or tuple: a few dozen
        # values, rarely a target
        tallied.append(values)
        items = values if type(values) in _SEQUENCES else values.values()
        _tally(counts, kinds, items)
        if sequences:
            # side_effect=[Mock(), ...], m(items=[Mock()])
            count_held_alone([value for value in items
                              if type(value) in _SEQUENCES], True)

    def count_held_alone(nested, sequences):
        # ``nested``, lists or tuples that one counted container or frame
        # holds: one that it alone holds is the test's own; one held
        # elsewhere too may be global state (m(module.HANDLERS)), and is
        # left to the walk of the test's objects, which counts its
        # references first
        for value in nested:
            # the others: ``nested``, ``value`` and getrefcount's own
            if id(value) not in counts and sys.getrefcount(value) <= 4:
                count(value, sequences)

    running = []

    def count_frames(exception):
        # what the frames an exception keeps refer to (see _frames_kept);
        # a tuple only they hold is theirs (the args a decorator passed on)
        if not running:
            running.append(_running_frames())
        for frame in _frames_kept(exception, seen, running[0]):
            tallied.append(frame)
            roots.append(frame)
            held = _frame_locals(frame)
            _tally(counts, kinds, held)
            nested = [value for value in held if type(value) is tuple]
            del held   # one more reference to each tuple
            count_held_alone(nested, False)
            nested = None

    def count_class(kind):
        # About ninety values, rarely one of the targets: a type
        # comparison first, and only then the question whether the class
        # is the mock's own (not a module's mock subclass, global state).
        hits = [value for value in sweep._type_dict(kind).values()
                if type(value) in kinds]
        if hits and sweep.made_for_one_mock(kind):
            _tally(counts, kinds, hits)

    def count_calls(namespace, records=_CALL_RECORDS):
        # the arguments a mock recorded (call_args, mock_calls ...): each
        # call's args tuple and kwargs dict are made by the call itself, so
        # never global state; one args tuple is shared by several records
        for name in records:
            calls = namespace.get(name)
            if not issubclass(type(calls), list):
                continue
            for call in list.__getitem__(calls, _RECENT_CALLS):
                if not issubclass(type(call), tuple):
                    continue
                for part in tuple.__iter__(call):
                    if type(part) in (tuple, dict):
                        if id(part) not in seen:
                            roots.append(part)
                        count(part, sequences=True)

    for holder in holders:
        namespace = sweep.namespace_of(holder)
        if namespace is None:
            continue
        count(namespace)
        # a patcher's keyword arguments (return_value=Mock(), ...), made by
        # its call like a call's kwargs: what they lead to
        # (side_effect=closure) may be the test's own; and a patch.dict's
        # values.  Only exact dicts are read, no user code runs
        kwargs = namespace.get('kwargs')
        if type(kwargs) is dict:
            if id(kwargs) not in seen:
                roots.append(kwargs)
            count(kwargs, sequences=True)
        dict_values = namespace.get('values')
        if type(dict_values) is dict:
            count(dict_values, sequences=True)
        # an exception it raises (side_effect=DBError()) keeps frames
        raised = kwargs.get('side_effect') if type(kwargs) is dict else None
        if issubclass(type(raised), BaseException):
            count_frames(raised)
        del raised
        # and the object it patches: patch.object(self.client, ...) keeps
        # it in the closure of its getter (kept as the function: a list of
        # what it holds would be one more reference to each)
        held = _library_closure(namespace, seen, 'getter')
        if held:
            _tally(counts, kinds, held)
            tallied.append(namespace['getter'])
            roots.append(namespace['getter'])
            del held

    def count_methods(values):
        # a method bound to a mock and set on one (cfg.set_default =
        # MethodType(fake, cfg)) refers to the mock it is bound to, and one
        # bound to another object (side_effect=fixture.get_limits) to that
        # object, a candidate of the walk of the test's objects; each
        # method object is counted once, however many mocks hold it
        for value in values:
            if type(value) is types.MethodType and id(value) not in seen:
                seen.add(id(value))
                tallied.append(value)
                _tally(counts, kinds, (value.__self__,))

    def visit_mock(mock, depth):
        namespace = sweep.mock_namespace(mock, readers)
        if namespace is None:
            return None
        count(namespace)
        roots.append(namespace)
        count_calls(namespace)
        delegate = _delegate_of(namespace, mock)
        if delegate is not None:
            count_calls(vars(delegate), _DELEGATE_RECORDS)
        del delegate
        raised = namespace.get('_mock_side_effect')
        if issubclass(type(raised), BaseException):
            count_frames(raised)
        del raised
        # the class made for it alone holds what was set as its magic
        # methods (req.environ.__getitem__ = Mock()) or on it by type(m)
        # (PropertyMock): references of the test's own
        count_class(type(mock))
        # its children (attributes, return value) point back with their
        # _mock_parent / _mock_new_parent, and its _mock_children dict is
        # its own (a mock assigned as an attribute of another is there)
        values = namespace.values()
        value_kinds = set(map(type, values))
        child_kinds = {kind for kind in value_kinds
                       if issubclass(kind, mock_bases)}
        if types.MethodType in value_kinds:
            count_methods(values)
        children = list(itertools.compress(values, map(
            child_kinds.__contains__, map(type, values)))) if (
                child_kinds) else []
        nested = namespace.get('_mock_children')
        if type(nested) is dict:
            count(nested)
            children.extend(value for value in nested.values()
                            if issubclass(type(value), mock_bases))
        # the side effect of a used ``__eq__``, ``__ne__`` or ``__iter__``:
        # the library's closure over this mock's parent
        _tally(counts, kinds, _library_closure(namespace, seen))
        if id(mock) in counts:
            # MagicMock's magic-method proxies, on its own class, refer to
            # it (as ``parent``) and to nothing else that could be a mock
            known = proxies.get(id(mock))
            counts[id(mock)] += (known if known is not None
                                 else _proxies_of(mock))
        if depth < _CHILD_DEPTH:
            for child in children:
                if id(child) not in visited:
                    visited.add(id(child))
                    visit_mock(child, depth + 1)
        return namespace

    # marked visited first: one met as another's child is walked from
    # depth 0, and each is walked once, whatever the stage
    mocks = [mock for mock in mocks if id(mock) not in visited]
    visited.update(map(id, mocks))
    try:
        for mock in mocks:
            if visit_mock(mock, 0) is None and id(mock) in counts:
                return False
        return True
    finally:
        # the recursive closures refer to themselves and to each other: a
        # cycle that, left to the collector, would keep what the walk read
        # -- the mocks' namespaces -- alive past the check, in an old
        # generation when a collection ran during the walk
        count = visit_mock = count_frames = None
