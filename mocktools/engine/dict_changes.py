"""Which of the dicts the sweep watches were written since it last read them.

The sweep (:mod:`mocktools.engine.sweep`) keeps a copy of every module,
class and module-level dict it watches -- about 25,000 of them in a large
OpenStack test process.  Re-reading them all to find the few a test wrote
would cost milliseconds per check; a :class:`ChangeTracker` names the
written ones instead, in the cheapest way the running interpreter allows:

* **dict watchers** (CPython 3.12+, ``PyDict_AddWatcher``): the interpreter
  reports each write to a watched dict as it happens, so finding what
  changed costs nothing that depends on how much is loaded.  The callback
  is a C-level method (``deque.insert``) called through ``ctypes``: no
  Python bytecode runs inside the write, so no garbage collection or
  finalizer can run there either (3.12 defers collection to the next
  bytecode boundary).  Only in the main interpreter of a build with a GIL;
  removed before the interpreter shuts down.
* **version tags** (CPython 3.10-3.13, PEP 509): every write gives the
  dict a new ``ma_version_tag``; reading the tags of all watched dicts
  costs about 0.1 us per dict, with no copy of their contents.
* **copies** (any Python): the identities of every value, compared with the
  previous ones.  Exact, and the slowest.

Each is verified on a probe dict before it is trusted; any doubt, a full
watcher table or an unknown layout, falls back to the next.  Trackers hold
no Python object of the dicts they follow beyond what the sweep holds, and
read memory only of dicts the sweep keeps alive.
"""

from array import array
import atexit
import bisect
import collections
import ctypes
import functools
import gc
import itertools
import operator
import sys
import sysconfig

__all__ = ['ChangeTracker', 'fingerprint', 'make_tracker', 'real_dict']

# Below this many dicts, comparing every tag beats bisecting.
_LINEAR_LIMIT = 256


def real_dict(mapping):
    """The dict behind ``mapping`` (a class's ``mappingproxy``).

    That may be a dict subclass (ctypes types keep a ``StgDict``).
    """
    if issubclass(type(mapping), dict):
        return mapping
    for referent in gc.get_referents(mapping):
        if issubclass(type(referent), dict):
            return referent
    raise TypeError('no dict behind %s' % type(mapping).__name__)


class ChangeTracker:
    """Follows dicts by position; says which were written since last read.

    ``add(mapping)`` appends a dict (its position is the count before);
    ``changed()`` returns the positions written since ``add`` or their last
    ``seen(position)``; ``close()`` stops following them.
    """

    #: What the tracker uses, in words (shown by the benchmark and docs).
    method = 'copies'

    def __init__(self):
        self._mappings = []
        self._copies = []

    def add(self, mapping):
        """Start following ``mapping`` (a dict or a class's mappingproxy)."""
        self._mappings.append(mapping)
        self._copies.append(_identities(mapping))

    def changed(self):
        """Positions of the dicts written since they were last read."""
        return [position for position, (mapping, copy) in enumerate(
            zip(self._mappings, self._copies))
            if _identities(mapping) != copy]

    def seen(self, position):
        """The dict at ``position`` was just read: forget its changes."""
        self._copies[position] = _identities(self._mappings[position])

    #: The change records waiting for :meth:`collect` (a sized container).
    backlog = ()

    def collect(self):
        """Take in pending change records.

        Every method that answers from them takes them in first; call it
        when :attr:`backlog` grows, so that it stays small between sweeps.
        """

    def release(self, position):
        """Stop following the dict at ``position``; it is never named again.

        An empty dict that nothing writes takes its place, so that the
        other positions stay as they are.
        """
        self._mappings[position] = _LET_GO
        self._copies[position] = b''

    def retain(self, positions):
        """Follow only the dicts at ``positions`` (ascending), renumbered.

        The others are let go: the tracker no longer keeps them alive.
        """
        self._mappings = list(map(self._mappings.__getitem__, positions))
        self._copies = list(map(self._copies.__getitem__, positions))

    def close(self):
        """Stop following every dict."""
        self._mappings = []
        self._copies = []


# What stands where a released dict was (see ChangeTracker.release): empty,
# never written.
_LET_GO = {}


def _identities(mapping):
    return array('Q', map(id, mapping.values())).tobytes()


class VersionTracker(ChangeTracker):
    """Reads each dict's PEP 509 version tag (CPython 3.10-3.13)."""

    method = 'version tags'
    # ob_refcnt, ob_type, ma_used, then ma_version_tag
    _OFFSET = 3 * ctypes.sizeof(ctypes.c_ssize_t)

    def __init__(self):
        super().__init__()
        self._addresses = array('Q')   # where each dict's tag lives
        self._versions = array('Q')
        self._read = None              # made again after an add

    @classmethod
    def usable(cls):
        """Whether the version tag is where this class reads it."""
        if sys.implementation.name != 'cpython' or not (
                (3, 10) <= sys.version_info[:2] <= (3, 13)):
            return False
        probe = {}
        try:
            used = ctypes.c_ssize_t.from_address(
                id(probe) + cls._OFFSET - ctypes.sizeof(ctypes.c_ssize_t))
            tag = ctypes.c_uint64.from_address(id(probe) + cls._OFFSET)
            before = tag.value
            probe['probe'] = 1
            after = tag.value
            probe['probe'] = 2
            return (used.value == 1 and after != before
                    and tag.value not in (before, after))
        except Exception:  # pragma: no cover - unusual builds
            return False

    def add(self, mapping):
        target = real_dict(mapping)
        self._mappings.append(target)
        address = id(target) + self._OFFSET
        self._addresses.append(address)
        self._versions.append(_word_at(address))
        self._read = None

    def changed(self):
        read = self._read
        if read is None:
            read = self._read = word_reader(self._addresses)
        now = array('Q', read())
        if self._addresses:
            now.pop()      # the first tag, read twice
        old = self._versions
        if now == old:
            return []
        if len(now) <= _LINEAR_LIMIT:
            # a few dozen dicts (the functools caches): one C-level pass
            return list(itertools.compress(
                range(len(now)), map(operator.ne, old, now)))
        return bisect_changes(
            len(now), lambda lo, hi: old[lo:hi] == now[lo:hi])

    def seen(self, position):
        self._versions[position] = _word_at(self._addresses[position])

    def release(self, position):
        self._mappings[position] = _LET_GO
        self._addresses[position] = address = id(_LET_GO) + self._OFFSET
        self._versions[position] = _word_at(address)
        self._read = None

    def retain(self, positions):
        self._mappings = list(map(self._mappings.__getitem__, positions))
        self._addresses = array('Q', map(self._addresses.__getitem__,
                                         positions))
        self._versions = array('Q', map(self._versions.__getitem__,
                                        positions))
        self._read = None

    def close(self):
        super().close()
        self._addresses = array('Q')
        self._versions = array('Q')
        self._read = None


def _word_at(address):
    return ctypes.c_uint64.from_address(address).value


def word_reader(addresses):
    """A zero-argument function: the 8-byte words at ``addresses``, now.

    It returns them as a tuple, and the first one once more at the end (so
    that even one address gives a tuple), read in one C-level call: an
    ``itemgetter`` over a memory view spanning the addresses, which reads
    only those words.  No Python object per address is kept, only its
    index.  The caller keeps the memory at every address alive.
    """
    if not addresses:
        return tuple
    start = min(addresses) & ~7
    span = (max(addresses) - start) // 8 + 1
    # a power of two: ctypes keeps every array type it makes
    words = 1 << (span - 1).bit_length()
    view = memoryview((ctypes.c_uint64 * words).from_address(
        start)).cast('B').cast('Q')
    indices = [(address - start) // 8 for address in addresses]
    return functools.partial(operator.itemgetter(*indices, indices[0]), view)


def fingerprint(mappings):
    """A zero-argument function whose result changes when ``mappings`` do.

    For a handful of dicts checked on every test (the mock library's).
    Equal results mean no dict was written in between.  The caller keeps
    the dicts alive.  Where dict watchers work, a counter the watcher bumps
    (a length check when nothing was written); else the version tags where
    :class:`VersionTracker` works, read in one C-level call (an
    ``itemgetter`` over a memory view spanning the dicts, which reads only
    the tags); else the identities of every value.
    """
    if WatcherTracker.usable():
        try:
            tracker = WatcherTracker()
        except Exception:
            tracker = None   # no watcher slot free: the next way
        if tracker is not None:
            for mapping in mappings:
                tracker.add(mapping)
            events = tracker._events
            count = [0]

            def written():
                if events:
                    events.clear()
                    count[0] += 1
                return count[0]
            written.tracker = tracker   # kept alive with the function
            return written
    targets = [real_dict(mapping) for mapping in mappings]
    if targets and VersionTracker.usable():
        return word_reader([id(target) + VersionTracker._OFFSET
                            for target in targets])
    return lambda: b''.join(map(_identities, targets))


def bisect_changes(count, same):
    """Indices in ``range(count)`` that changed, found by bisection.

    ``same(lo, hi)`` says whether the entries ``lo`` to ``hi`` (excluded)
    are all unchanged, comparing them in one C-level operation; a few
    changes among 25,000 cost a few dozen such comparisons instead of a
    Python loop over all of them.
    """
    changed = []
    pending = [(0, count)]
    while pending:
        lo, hi = pending.pop()
        if lo >= hi or same(lo, hi):
            continue
        if hi - lo == 1:
            changed.append(lo)
            continue
        mid = (lo + hi) // 2
        pending.append((mid, hi))
        pending.append((lo, mid))
    return sorted(changed)


class WatcherTracker(ChangeTracker):
    """CPython 3.12+ dict watchers: each write to a watched dict is noted."""

    method = 'dict watchers'

    _CALLBACK = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_int,
                                 ctypes.c_void_p)

    def __init__(self):
        super().__init__()
        api = ctypes.pythonapi
        self._watch = api.PyDict_Watch
        self._watch.argtypes = [ctypes.c_int, ctypes.py_object]
        self._watch.restype = ctypes.c_int
        self._unwatch = api.PyDict_Unwatch
        self._unwatch.argtypes = [ctypes.c_int, ctypes.py_object]
        self._unwatch.restype = ctypes.c_int
        add_watcher = api.PyDict_AddWatcher
        add_watcher.argtypes = [self._CALLBACK]
        add_watcher.restype = ctypes.c_int
        # (event, dict address) -> events.insert(event, address): a C
        # method, so no bytecode runs while the dict is being written.  The
        # address lands near the left end (event is 0..5): O(1).
        self._events = self.backlog = collections.deque()
        self._callback = self._CALLBACK(self._events.insert)
        self._id = add_watcher(self._callback)   # raises if no slot is free
        self._positions = {}     # dict address -> position
        self._dirty = set()      # positions written since last seen
        atexit.register(self.close)

    @staticmethod
    def usable():
        """Whether dict watchers can be used safely here."""
        if sys.implementation.name != 'cpython' or sys.version_info < (
                3, 12):
            return False
        if sysconfig.get_config_var('Py_GIL_DISABLED'):
            return False   # free-threaded: writes may race the callback
        try:
            api = ctypes.pythonapi
            api.PyInterpreterState_Get.restype = ctypes.c_void_p
            api.PyInterpreterState_Main.restype = ctypes.c_void_p
            # ctypes callbacks enter the main interpreter
            return api.PyInterpreterState_Get() == (
                api.PyInterpreterState_Main())
        except Exception:  # pragma: no cover - unusual builds
            return False

    def add(self, mapping):
        target = real_dict(mapping)
        position = len(self._mappings)
        self._mappings.append(target)
        self._positions[id(target)] = position
        self._watch(self._id, target)

    def collect(self):
        events = self._events
        if not events:
            return
        positions = self._positions
        dirty = self._dirty
        while events:
            position = positions.get(events.pop())
            if position is not None:
                dirty.add(position)

    def changed(self):
        self.collect()
        return sorted(self._dirty)

    def seen(self, position):
        self.collect()
        self._dirty.discard(position)

    def release(self, position):
        self.collect()
        target = self._mappings[position]
        if target is not _LET_GO:
            self._unwatch(self._id, target)
            self._positions.pop(id(target), None)
            self._mappings[position] = _LET_GO
        self._dirty.discard(position)

    def retain(self, positions):
        self.collect()
        mappings = self._mappings
        for position in set(range(len(mappings))).difference(positions):
            if mappings[position] is not _LET_GO:
                self._unwatch(self._id, mappings[position])
        dirty = self._dirty
        self._mappings = mappings = list(map(mappings.__getitem__, positions))
        self._positions = dict(zip(map(id, mappings), range(len(mappings))))
        self._dirty = set()
        for old in dirty:
            new = bisect.bisect_left(positions, old)
            if new < len(positions) and positions[new] == old:
                self._dirty.add(new)

    def close(self):
        if self._id is None:
            return
        api = ctypes.pythonapi
        api.PyDict_ClearWatcher.argtypes = [ctypes.c_int]
        api.PyDict_ClearWatcher.restype = ctypes.c_int
        for target in self._mappings:
            try:
                self._unwatch(self._id, target)
            except Exception:  # pragma: no cover - already unwatched
                pass
        try:
            api.PyDict_ClearWatcher(self._id)
        except Exception:  # pragma: no cover
            pass
        self._id = None
        self._mappings = []
        self._positions = {}
        self._dirty = set()
        self._events.clear()
        atexit.unregister(self.close)


def make_tracker(prefer=None):
    """The cheapest tracker that works here.

    ``prefer`` names one (``'dict watchers'``, ``'version tags'`` or
    ``'copies'``); one that cannot work here falls back as usual.
    """
    kinds = [WatcherTracker, VersionTracker, ChangeTracker]
    if prefer is not None:
        kinds = kinds[[kind.method for kind in kinds].index(prefer):]
    for kind in kinds:
        if kind is ChangeTracker:
            return kind()
        if kind.usable():
            try:
                return kind()
            except Exception:
                # e.g. every dict watcher slot is taken by other tools
                continue
    return ChangeTracker()  # pragma: no cover
