"""Find mocks that newly appeared in global state, without touching anything.

Global state here is: ``sys.modules`` itself, the ``__dict__`` of every loaded
module, of every (mutable, Python-defined) class reachable from a module,
nested classes included -- except test classes (``unittest.TestCase``
subclasses), whose attributes are their tests' own state -- and of every
module-level object instance with a plain instance ``__dict__`` (singleton
clients, ``CONF``-like objects).

How it stays cheap: a snapshot is one flat list of every value in those
dicts plus the raw bytes of that list's item pointers.  A sweep rebuilds the
list (a C-speed copy) and compares the pointer bytes with ``==`` (a memcmp),
so an unchanged world costs about 0.2 ms per 25,000 values and no value is
ever compared with ``__eq__``.  Only the dicts whose pointers changed are then
looked at item by item.

How it stays harmless: dicts are read through the C-level ``__dict__``
descriptors of ``type`` and ``ModuleType``, types through ``type(obj)`` and
``issubclass``; no ``getattr`` on inspected objects, so no properties,
descriptors, ``__getattr__`` (PEP 562 lazy modules), metaclass hooks or
``__class__`` properties run.  Instance dicts are read only through the
standard ``__dict__`` slot that ``class`` statements create.
"""

from array import array
import itertools
import sys
import types
import unittest

__all__ = ['Finding', 'GlobalStateSweep', 'is_mock', 'mock_types']

_type_dict = type.__dict__['__dict__'].__get__
_type_flags = type.__dict__['__flags__'].__get__
_type_mro = type.__dict__['__mro__'].__get__
_type_qualname = type.__dict__['__qualname__'].__get__
_module_dict = types.ModuleType.__dict__['__dict__'].__get__
_function_dict = types.FunctionType.__dict__['__dict__'].__get__
_HEAPTYPE = 1 << 9
_IMMUTABLETYPE = 1 << 8
_chain = itertools.chain.from_iterable
_NOT_INSTANCES = (type, types.ModuleType, BaseException)

# Our own bookkeeping changes between tests; looking at it would only cost.
_SKIP_MODULES = frozenset((
    'mocktools.instrumentation', 'mocktools.sweep', 'mocktools.detector'))

NEW_KEY = object()       # the key did not exist before: heal by deleting it
UNKNOWN = object()       # the previous value cannot be told: leave it


def mock_types():
    """The ``NonCallableMock`` base classes of every loaded mock library."""
    found = []
    for name in ('unittest.mock', 'mock.mock'):
        module = sys.modules.get(name)
        if module is not None:
            base = _module_dict(module).get('NonCallableMock')
            if isinstance(base, type) and base not in found:
                found.append(base)
    return tuple(found)


def is_mock(value, bases=None):
    """True for mock objects and ``create_autospec`` functions, read safely."""
    bases = bases or mock_types()
    kind = type(value)
    if issubclass(kind, bases):
        return True
    if kind is types.FunctionType:
        return issubclass(type(_function_dict(value).get('mock')), bases)
    return False


def mock_of(value, bases):
    """The mock behind ``value`` (itself, or an autospec function's mock)."""
    if type(value) is types.FunctionType:
        return _function_dict(value).get('mock')
    return value


_instance_getters = {}   # type -> its instances' __dict__ getter, or None


def namespace_of(obj):
    """The ``__dict__`` of a module, class or plain instance, read safely.

    None for objects without a standard instance ``__dict__``.
    """
    kind = type(obj)
    if issubclass(kind, type):
        return _type_dict(obj)
    if issubclass(kind, types.ModuleType):
        return _module_dict(obj)
    if kind is dict:
        return obj
    return instance_namespace(obj)


def instance_namespace(obj):
    """An instance's own ``__dict__`` through its class's standard slot.

    None when the class has no such slot (or replaced it): see
    :func:`_dict_getter`.
    """
    kind = type(obj)
    getter = _instance_getters.get(kind, False)
    if getter is False:
        # Every mock has a class of its own; they mostly share the getter of
        # their library's base class, so that is what gets cached -- unless
        # a class between them defines the slot (oslotest's autospec mixin),
        # whose getter refuses the library's other mocks.
        base = next((b for b in mock_types() if issubclass(kind, b)), None)
        key = base if base is not None else kind
        getter = _instance_getters.get(key, False)
        if getter is False or (getter is not None and (
                getter.__self__.__objclass__ not in _type_mro(kind))):
            getter = _dict_getter(kind)
            if getter is not None and (
                    getter.__self__.__objclass__ not in _type_mro(key)):
                key = kind
            if len(_instance_getters) < 4096:
                _instance_getters[key] = getter
    if getter is None:
        return None
    namespace = getter(obj)
    return namespace if type(namespace) is dict else None


def _make_pointer_reader():
    """Return ``read(list) -> bytes`` of the list's item pointers.

    CPython stores a list's items as a C array of pointers right after the
    variable-size object header; reading those bytes compares identities at
    memcmp speed.  The layout is verified on a probe list first; where it does
    not match (another implementation or build) the reader falls back to
    packing ``id()`` values, which is exact but slower.
    """
    def packed_ids(values):
        return array('Q', map(id, values)).tobytes()

    try:
        import ctypes
        size = ctypes.sizeof(ctypes.c_void_p)
        offset = 3 * size   # ob_refcnt, ob_type, ob_size
        probe = [object(), object(), object()]

        def raw(values):
            count = len(values)
            if not count:
                return b''
            items = ctypes.c_void_p.from_address(id(values) + offset).value
            return ctypes.string_at(items, count * size)

        expected = b''.join(
            id(item).to_bytes(size, sys.byteorder) for item in probe)
        if size == 8 and raw(probe) == expected:
            return raw
    except Exception:  # pragma: no cover - non-CPython layouts
        pass
    return packed_ids  # pragma: no cover


_pointers = _make_pointer_reader()


class Container:
    """One dict the sweep watches."""

    __slots__ = ('kind', 'path', 'owner', 'mapping', 'view')

    def __init__(self, kind, path, owner, mapping):
        self.kind = kind        # 'sys.modules', 'module', 'class', 'instance'
        self.path = path
        self.owner = owner
        self.mapping = mapping
        self.view = mapping.values()

    @property
    def owner_key(self):
        """Identity of what patchers patch: the owner, or the dict itself."""
        return id(self.mapping) if self.kind == 'sys.modules' else id(
            self.owner)

    def item_path(self, key):
        """The dotted path a user would write for ``key`` in this dict."""
        if self.kind == 'sys.modules':
            return 'sys.modules[%r]' % (key,)
        return '%s.%s' % (self.path, key)

    def restore(self, key, previous):
        """Put ``previous`` back under ``key`` (or delete a new key)."""
        if self.kind == 'class':
            if previous is NEW_KEY:
                type.__delattr__(self.owner, key)
            else:
                type.__setattr__(self.owner, key, previous)
        elif previous is NEW_KEY:
            del self.mapping[key]
        else:
            self.mapping[key] = previous


class Finding:
    """A mock found at a place in global state where it was not before."""

    __slots__ = ('container', 'key', 'value', 'previous')

    def __init__(self, container, key, value, previous):
        self.container = container
        self.key = key
        self.value = value
        self.previous = previous

    @property
    def path(self):
        """Dotted path of the place, e.g. ``myproj.utils.execute``."""
        return self.container.item_path(self.key)

    @property
    def where(self):
        """What kind of place it is, in words."""
        return {
            'sys.modules': 'sys.modules entry',
            'module': 'module attribute',
            'class': 'class attribute',
            'instance': 'attribute of a module-level object',
        }[self.container.kind]

    def heal(self):
        """Undo the leak; return what was done, in words."""
        if self.previous is UNKNOWN:
            return 'left in place (previous value unknown)'
        self.container.restore(self.key, self.previous)
        if self.previous is NEW_KEY:
            return 'removed'
        return 'original restored'


class GlobalStateSweep:
    """Watches global state and reports mocks that newly appear in it.

    ``sweep()`` compares against the state at the previous ``sweep()`` (or
    construction) and returns :class:`Finding` objects; ``rebase()`` takes a
    new snapshot after findings were healed.
    """

    def __init__(self, skip_modules=_SKIP_MODULES):
        self._skip_modules = skip_modules
        self.containers = []
        self._views = []            # container.view, in the same order
        self._seen = set()          # ids of owners already watched
        self._modules_seen = 0      # len(sys.modules) at the last scan
        self.add(Container('sys.modules', 'sys.modules', sys,
                           sys.modules))
        self._scan_modules()
        self.rebase()

    # -- discovering containers --------------------------------------------

    def add(self, container):
        """Watch ``container`` from now on."""
        self._seen.add(id(container.owner))
        self.containers.append(container)
        self._views.append(container.view)

    def _scan_modules(self):
        # new modules may bring a mock library: look it up once per scan
        self._mock_bases = mock_types()
        modules = sys.modules
        for name, module in list(modules.items()):
            if (id(module) not in self._seen
                    and issubclass(type(module), types.ModuleType)
                    and name not in self._skip_modules):
                self._add_module(name, module)
        self._modules_seen = len(modules)

    def _add_module(self, name, module):
        mapping = _module_dict(module)
        module_name = mapping.get('__name__')
        path = module_name if isinstance(module_name, str) else name
        self.add(Container('module', path, module, mapping))
        self._add_members(path, list(mapping.items()))

    def _add_members(self, path, items, instances=True):
        for key, value in items:
            if id(value) in self._seen:
                continue
            kind = type(value)
            if issubclass(kind, type):
                self._add_class(value)
            elif instances and not issubclass(kind, _NOT_INSTANCES):
                self._add_instance('%s.%s' % (path, key), value)

    def _add_class(self, cls):
        flags = _type_flags(cls)
        if not flags & _HEAPTYPE or flags & _IMMUTABLETYPE:
            return
        if issubclass(cls, unittest.TestCase):
            # a test class's attributes are its tests' own state
            # (cls.client = Mock() in setUpClass), not shared state
            return
        mapping = _type_dict(cls)
        module = mapping.get('__module__')
        path = '%s.%s' % (module, _type_qualname(cls)) if isinstance(
            module, str) else _type_qualname(cls)
        self.add(Container('class', path, cls, mapping))
        # Nested classes only: class-level instances are not global state.
        for value in list(mapping.values()):
            if issubclass(type(value), type) and id(value) not in self._seen:
                self._add_class(value)

    def _add_instance(self, path, obj):
        if is_mock(obj, self._mock_bases):
            return
        mapping = instance_namespace(obj)
        if mapping is not None:
            self.add(Container('instance', path, obj, mapping))

    # -- sweeping ------------------------------------------------------------

    def rebase(self):
        """Take the current state as the new 'before'."""
        self._flat = list(_chain(self._views))
        self._raw = _pointers(self._flat)
        self._lengths = array('q', [len(c.mapping) for c in self.containers])

    def sweep(self):
        """Return findings for mocks that appeared since the last snapshot."""
        known = len(self._lengths)
        if len(sys.modules) != self._modules_seen:
            self._scan_modules()
        containers = self.containers
        views = self._views
        flat = list(_chain(views if len(views) == known else views[:known]))
        raw = _pointers(flat)
        if raw == self._raw and len(flat) == len(self._flat):
            if len(containers) != known:
                self.rebase()
            return []
        findings = []
        bases = mock_types()
        changed, old_offsets = self._changed(flat, raw, known)
        for index in changed:
            findings.extend(self._inspect(index, old_offsets, bases))
        self.rebase()
        return findings

    def _changed(self, flat, raw, known):
        """Indices of containers whose values changed, found by bisection.

        Also returns the containers' offsets in the previous snapshot.
        """
        new_lengths = array('q', [len(c.mapping)
                                  for c in self.containers[:known]])
        old_offsets = [0, *itertools.accumulate(self._lengths)]
        new_offsets = [0, *itertools.accumulate(new_lengths)]
        old_raw, new_raw = memoryview(self._raw), memoryview(raw)
        width = len(self._raw) // max(len(self._flat), 1) or 8
        changed = []
        pending = [(0, known)]
        while pending:
            lo, hi = pending.pop()
            if lo >= hi:
                continue
            same = (old_offsets[hi] - old_offsets[lo]
                    == new_offsets[hi] - new_offsets[lo]) and (
                old_raw[old_offsets[lo] * width:old_offsets[hi] * width]
                == new_raw[new_offsets[lo] * width:new_offsets[hi] * width])
            if same:
                continue
            if hi - lo == 1:
                changed.append(lo)
                continue
            mid = (lo + hi) // 2
            pending.append((mid, hi))
            pending.append((lo, mid))
        return sorted(changed), old_offsets

    def _inspect(self, index, old_offsets, bases):
        container = self.containers[index]
        before = self._flat[old_offsets[index]:old_offsets[index + 1]]
        before_ids = set(map(id, before))
        items = list(container.mapping.items())
        grew = len(items) > len(before)
        same_shape = len(items) == len(before)
        found = []
        fresh = []
        for position, (key, value) in enumerate(items):
            if id(value) in before_ids:
                continue
            if is_mock(value, bases):
                if same_shape:
                    previous = before[position]
                elif grew and position >= len(before):
                    previous = NEW_KEY
                else:
                    previous = UNKNOWN
                found.append(Finding(container, key, value, previous))
            else:
                fresh.append((key, value))
        if fresh and container.kind in ('module', 'class', 'sys.modules'):
            if container.kind == 'sys.modules':
                self._scan_modules()
            else:
                self._add_members(container.path, fresh,
                                  instances=container.kind == 'module')
        return found


def _dict_getter(kind):
    """The ``__dict__`` getter that ``class`` created for ``kind``, or None.

    Only the standard slot descriptor of a Python-defined class is accepted;
    a ``__dict__`` property, or a C type's own getter (proxy objects), could
    run code or resolve a lazy object, so such instances are not watched.
    """
    for klass in _type_mro(kind):
        descriptor = _type_dict(klass).get('__dict__')
        if descriptor is None:
            continue
        if (type(descriptor) is types.GetSetDescriptorType
                and _type_flags(descriptor.__objclass__) & _HEAPTYPE):
            return descriptor.__get__
        return None
    return None
