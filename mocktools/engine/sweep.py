"""Find mocks that newly appeared in global state, without touching anything.

Global state here is: ``sys.modules`` itself, the ``__dict__`` of every loaded
module, of every (mutable, Python-defined) class reachable from a module,
nested classes included -- except test classes (``unittest.TestCase``
subclasses), whose attributes are their tests' own state -- and of every
module-level object instance with a plain instance ``__dict__`` (singleton
clients, ``CONF``-like objects); and the exact built-in containers those
hold, a few levels deep: ``REGISTRY['drivers']['fake']``, ``HANDLERS[3]``,
a module-level set or deque, ``Service.plugins['x']``; and what the
``functools`` caches they hold return for arguments a later call can pass
again.  A new value put in any of these places is looked into for mocks:
a container, or a plain object (a singleton made while something was
patched).

How it stays cheap: a copy of each watched dict is kept, and a
:class:`~mocktools.engine.dict_changes.ChangeTracker` names the dicts written
since they were copied (dict watchers on Python 3.12+, version tags on 3.10 and
3.11), so a sweep reads only those.  Lists, sets and deques cannot be
watched: the identities of all their items are copied in one C-level pass
and compared with the previous ones as raw bytes (a memcmp).  No value is
ever compared with ``__eq__``.

How it stays harmless: dicts are read through the C-level ``__dict__``
descriptors of ``type`` and ``ModuleType``, types through ``type(obj)`` and
``issubclass``; no ``getattr`` on inspected objects, so no properties,
descriptors, ``__getattr__`` (PEP 562 lazy modules), metaclass hooks or
``__class__`` properties run.  Instance dicts are read only through the
standard ``__dict__`` slot that ``class`` statements create, containers only
when their type is exactly ``dict``, ``list``, ``set``, ``deque``, ``tuple``
or ``frozenset``, whose reading runs no code.
"""

import _thread
from array import array
import bisect
import collections
import contextlib
import functools
import gc
import itertools
import operator
import re
import sys
import types
import unittest

from mocktools.engine import dict_changes

__all__ = ['Finding', 'GlobalStateSweep', 'is_mock', 'mock_types']

_type_dict = type.__dict__['__dict__'].__get__
_type_flags = type.__dict__['__flags__'].__get__
_type_mro = type.__dict__['__mro__'].__get__
_type_qualname = type.__dict__['__qualname__'].__get__
_type_module = type.__dict__['__module__'].__get__
_module_dict = types.ModuleType.__dict__['__dict__'].__get__
_HEAPTYPE = 1 << 9
_IMMUTABLETYPE = 1 << 8
_chain = itertools.chain.from_iterable
_NOT_INSTANCES = (type, types.ModuleType, BaseException)
# Of the objects a module or its containers hold, these are not shared
# state: a test or suite object's attributes are its own.  A script's
# module-level suite (``suite = loader.discover(...)``) would otherwise keep
# every test it ran alive, in the copy of its list of tests.
_NOT_SHARED_OBJECTS = _NOT_INSTANCES + (unittest.TestCase,
                                        unittest.BaseTestSuite)

# Our own bookkeeping changes between tests; looking at it would only cost.
_SKIP_MODULES = frozenset((
    'mocktools.engine.instrumentation', 'mocktools.engine.sweep',
    'mocktools.engine.detector', 'mocktools.engine.escape',
    # the same modules under their old names
    'mocktools.instrumentation', 'mocktools.sweep', 'mocktools.detector',
    'mocktools.escape'))
# The guards keep the values they saw written (an override may be a mock)
# until the next check: theirs, not global state.
_SKIP_PACKAGES = ('mocktools.guards.',)

# Containers watched for what is put in them, but not followed into: the
# interpreter's cache of source lines grows with every traceback formatted
# (a report, a log record, testtools' details), and each file's lines
# would be one more list compared at every sweep -- more than half of all
# the items compared, late in a run of Trove's unit tests.
_VALUES_ONLY = frozenset(('linecache.cache',))

NEW_KEY = object()       # the key did not exist before: heal by deleting it
UNKNOWN = object()       # the previous value cannot be told: leave it

# How many checks in a row may take in imports without a sweep: a module
# removed from sys.modules stays watched, and so alive, until the next one.
TAKE_IN_LIMIT = 64


_MOCK_MODULES = ('unittest.mock', 'mock.mock')   # the mock libraries
_library_types = [None, None, (), (), (), frozenset(), (), frozenset()]


def modules_mark():
    """What tells, in constant time, whether modules came or went since.

    The number of ``sys.modules`` entries and the last one (name and
    module): an import adds its module at the end, so a test that removed
    one module and imported another changes the mark, where the number
    alone stays the same.  If another thread imports meanwhile, a mark
    equal to no other (the next look rescans).
    """
    modules = sys.modules
    try:
        name, module = next(reversed(modules.items()), (None, None))
    except RuntimeError:    # changed size while read
        return object()
    return len(modules), name, id(module)


def mock_types():
    """The ``NonCallableMock`` base classes of every loaded mock library."""
    modules = sys.modules
    cache = _library_types
    if (modules.get('unittest.mock') is not cache[0]
            or modules.get('mock.mock') is not cache[1]):
        _read_library_types()
    return cache[2]


def library_types():
    """``(mock_types(), MagicProxy classes, mock_readers())``."""
    mock_types()
    return _library_types[2:5]


def mock_readers():
    """``(base, its instances' __dict__ getter)`` of every mock library.

    For :func:`mock_namespace`.
    """
    mock_types()
    return _library_types[4]


def library_closures():
    """Code of the functions the mock libraries make as closures.

    ``m == x``, ``m != x`` and ``iter(m)`` give a ``MagicMock`` a child
    mock whose side effect is a function the library made, closing over
    ``m`` (``_get_eq(m)`` ...); ``patch.object(target, ...)`` and
    ``patch.multiple(target, ...)`` give the patcher a ``getter`` closing
    over ``target``: the code objects of those functions.
    """
    mock_types()
    return _library_types[5]


def spec_state_types():
    """The ``_SpecState`` class of every loaded mock library.

    ``create_autospec`` leaves one in a mock's ``_mock_children`` for each
    attribute of the spec that it autospecs only when first used.
    """
    mock_types()
    return _library_types[6]


def call_list_types():
    """The ``_CallList`` class of every loaded mock library, a frozenset.

    A mock keeps the calls it recorded (``call_args_list``, ``mock_calls``,
    ``method_calls``) in lists of this class, whose ``__dict__`` is never
    used: reading it would only make an empty dict for each.
    """
    mock_types()
    return _library_types[7]


def _read_library_types():
    """Find the classes again, for the mock libraries loaded now."""
    mocks, proxies, spec_states, call_lists = [], [], [], set()
    libraries = [sys.modules.get(name)
                 for name in _MOCK_MODULES]
    for module in libraries:
        if module is not None:
            namespace = _module_dict(module)
            base = namespace.get('NonCallableMock')
            if isinstance(base, type) and base not in mocks:
                mocks.append(base)
            proxy = namespace.get('MagicProxy')
            if type(proxy) is type and proxy not in proxies:
                proxies.append(proxy)
            spec_state = namespace.get('_SpecState')
            if type(spec_state) is type and spec_state not in spec_states:
                spec_states.append(spec_state)
            call_list = namespace.get('_CallList')
            if type(call_list) is type:
                call_lists.add(call_list)
    readers = tuple((base, _dict_getter(base)) for base in mocks)
    closures = set()
    for module in libraries:
        if module is None:
            continue
        namespace = _module_dict(module)
        makers = namespace.get('_side_effect_methods')
        makers = list(makers.values()) if type(makers) is dict else []
        makers += [namespace.get('_patch_object'),
                   namespace.get('_patch_multiple')]
        for maker in makers:
            if type(maker) is types.FunctionType:
                closures.update(const for const in maker.__code__.co_consts
                                if type(const) is types.CodeType)
    _library_types[:] = libraries + [tuple(mocks), tuple(proxies), readers,
                                     frozenset(closures), tuple(spec_states),
                                     frozenset(call_lists)]


def _function_mock(function):
    """The ``mock`` attribute of a plain function (autospec's), or None.

    Read by attribute lookup, not through ``__dict__``: reading a function's
    ``__dict__`` gives it one, and a sweep would so allocate a dict for
    every function it looks at (4.9 MB at 76,000 functions).  The lookup
    runs no Python code: a function is exactly ``FunctionType``, which
    cannot be subclassed and defines no ``mock``.
    """
    return getattr(function, 'mock', None)


def is_mock(value, bases=None):
    """True for mock objects and ``create_autospec`` functions, read safely."""
    bases = bases or mock_types()
    kind = type(value)
    if issubclass(kind, bases):
        return True
    if kind is types.FunctionType:
        return issubclass(type(_function_mock(value)), bases)
    return False


def mock_of(value, bases):
    """The mock behind ``value`` (itself, or an autospec function's mock)."""
    if type(value) is types.FunctionType:
        return _function_mock(value)
    return value


_instance_getters = {}   # type -> its instances' __dict__ getter, or None


def made_for_one_mock(kind):
    """Whether the mock library made ``kind`` for one mock instance.

    ``NonCallableMock.__new__`` gives every mock a subclass of its own, in
    the library's module but not held by it: what is set on that class
    (magic methods, ``type(m).prop = PropertyMock()``) is that mock's.
    """
    return (_type_dict(kind).get('__module__') in _MOCK_MODULES
            and not held_by_its_module(kind))


def held_by_its_module(kind):
    """Whether ``kind``'s module holds it under its qualified name.

    ``Outer.Inner`` is looked up through ``Outer``'s own ``__dict__``.
    Only such classes are cached: they live as long as their module
    anyway.  A class made in a test (``class Fake:`` in a test method,
    whose methods may close over the test) would be kept alive by the
    cache, and with it the finished test.
    """
    name = _type_dict(kind).get('__module__')
    module = sys.modules.get(name) if type(name) is str else None
    if not issubclass(type(module), types.ModuleType):
        return False
    outer, _, inner = _type_qualname(kind).partition('.')
    found = _module_dict(module).get(outer)
    for part in inner.split('.') if inner else ():
        if not issubclass(type(found), type):
            return False
        found = _type_dict(found).get(part)
    return found is kind


def _class_dict(cls):
    """The dict behind ``cls.__dict__`` (its mappingproxy if none is found)."""
    proxy = _type_dict(cls)
    try:
        return dict_changes.real_dict(proxy)
    except TypeError:
        return proxy


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


def instance_namespace(obj, bases=None):
    """An instance's own ``__dict__`` through its class's standard slot.

    None when the class has no such slot (or replaced it): see
    :func:`_dict_getter`.  ``bases`` is :func:`mock_types`, for a caller
    that already has it.
    """
    kind = type(obj)
    getter = _instance_getters.get(kind, False)
    if getter is False:
        # Every mock has a class of its own, created with it: caching that
        # class would keep the mock, and what its calls recorded, alive.
        # Its library base's getter reads the same dict, without running
        # a ``__dict__`` that a class in between (oslotest's autospec
        # mixin) defines.
        for base in bases or mock_types():
            if issubclass(kind, base):
                return mock_namespace(obj, mock_readers())
        getter = _dict_getter(kind)
        if len(_instance_getters) < 4096 and held_by_its_module(kind):
            _instance_getters[kind] = getter
    if getter is None:
        return None
    namespace = getter(obj)
    return namespace if type(namespace) is dict else None


_slot_members = {}   # type -> its instances' slots, ((name, member), ...)


def _members_of(kind):
    """``((name, member descriptor), ...)``: the slots ``class`` made.

    Only the member descriptors that a class statement's ``__slots__``
    made: reading one runs no code.  A C type's members (``partial.func``,
    a compiled pattern's ``flags``) are not state a test sets.
    """
    members = _slot_members.get(kind)
    if members is None:
        members = tuple(
            (name, member) for klass in _type_mro(kind)
            if '__slots__' in _type_dict(klass)
            for name, member in list(_type_dict(klass).items())
            if type(member) is types.MemberDescriptorType)
        if len(_slot_members) < 4096 and held_by_its_module(kind):
            _slot_members[kind] = members
    return members


class SlotValues:
    """A ``__slots__`` object's attributes, read and written like a dict.

    What the sweep watches of a module-level object that has no
    ``__dict__``: every slot, in order, an unset one as :data:`NEW_KEY`,
    read anew each time (compared flat, as lists are), written through
    its member descriptor.
    """

    __slots__ = ('obj', 'members')

    def __init__(self, obj, members):
        self.obj = obj
        self.members = members

    def _value(self, member):
        try:
            return member.__get__(self.obj)
        except AttributeError:   # an unset slot
            return NEW_KEY

    def items(self):
        return [(name, self._value(member)) for name, member in self.members]

    def values(self):
        return [self._value(member) for _, member in self.members]

    def __iter__(self):
        return iter(self.values())

    def __len__(self):
        return len(self.members)

    def get(self, key, default=None):
        for name, member in self.members:
            if name == key:
                value = self._value(member)
                return default if value is NEW_KEY else value
        return default

    def __setitem__(self, key, value):
        dict(self.members)[key].__set__(self.obj, value)

    def __delitem__(self, key):
        dict(self.members)[key].__delete__(self.obj)


def slot_values(obj):
    """:class:`SlotValues` of an object with slots and no ``__dict__``.

    None for any other object.
    """
    kind = type(obj)
    members = _members_of(kind)
    if not members or _dict_getter(kind) is not None:
        return None
    return SlotValues(obj, members)


def mock_namespace(mock, readers):
    """A mock's own ``__dict__``, read through its library base's slot.

    ``readers`` is :func:`mock_readers`; None for an object that is no
    mock of those libraries.
    """
    kind = type(mock)
    for base, read in readers:
        if issubclass(kind, base):
            namespace = read(mock) if read is not None else None
            return namespace if type(namespace) is dict else None
    return None


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


# Exact built-in containers: reading them runs no code of their items.
_SEQUENCES = (list, set, collections.deque)        # mutable, not dicts
_IMMUTABLE = (tuple, frozenset)                    # followed, never watched
_CONTAINERS = frozenset((dict, *_SEQUENCES, *_IMMUTABLE))
_NESTED_DEPTH = 3      # REGISTRY['drivers']['fake'] is two levels down
_NESTED_WIDTH = 256    # the items of bigger containers are not followed
_NESTED_LIMIT = 100000
_LRU_WRAPPER = getattr(functools, '_lru_cache_wrapper', None)
_THREAD_LOCAL = _thread._local     # threading.local
_PLAIN_KEYS = (str, int, float, bool, bytes, type(None))
# a path ``mock.patch`` can import: ``pkg.mod.Class.attr``, no subscript
_DOTTED = re.compile(r'[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z')
#: Values that refer to nothing a mock could be reached through (names,
#: numbers, flags): passed over by one type lookup.
PLAIN_VALUES = frozenset(_PLAIN_KEYS + (complex,))
# What a namespace holds most, with nothing to watch in it: no standard
# ``__dict__`` slot, no items (functions are not followed: see
# _function_mock).  Passed over before anything else is asked of them.
_NOTHING_TO_WATCH = PLAIN_VALUES | frozenset((
    types.FunctionType, types.BuiltinFunctionType, types.MethodType,
    types.MethodDescriptorType, types.WrapperDescriptorType,
    types.MethodWrapperType, types.GetSetDescriptorType,
    types.MemberDescriptorType, types.ClassMethodDescriptorType,
    staticmethod, classmethod, property))
# Python 3.13 writes an instance's attributes into values stored inline in
# the object even after its __dict__ exists, without a dict event or a new
# version tag: such dicts are compared value by value.
_INLINE_VALUES = sys.version_info >= (3, 13)


def _key_text(key):
    """``repr`` of a dict key, for keys whose repr runs no user code.

    A class is named by its module and qualified name, read through
    ``type``'s own getters (cinder's ``_GET_METHODS`` is keyed by model
    classes, whose metaclass could have a ``__repr__`` of its own).
    """
    kind = type(key)
    if kind in _PLAIN_KEYS or kind is tuple and all(
            type(item) in _PLAIN_KEYS for item in key):
        return repr(key)
    if issubclass(kind, type):
        module = _type_module(key)
        name = _type_qualname(key)
        return '%s.%s' % (module, name) if type(module) is str else name
    return '<%s key>' % kind.__name__


class Container:
    """One dict, list, set or deque the sweep watches."""

    __slots__ = ('kind', 'path', 'owner', 'mapping', 'before', 'depth',
                 'anchor', 'children')

    def __init__(self, kind, path, owner, mapping, depth=0, anchor=None):
        # 'sys.modules', 'module', 'class', 'instance': a namespace;
        # 'dict', 'list', 'set', 'deque': a container ``depth`` levels
        # below one (``mapping`` is then the container itself)
        self.kind = kind
        self.path = path
        self.owner = owner
        self.mapping = mapping
        self.depth = depth
        self.before = None      # the values at the last read
        # for a container: (parent container, key, what is under the key)
        self.anchor = anchor
        # the containers anchored in this one (None: none)
        self.children = None

    @property
    def in_module(self):
        """Whether a module holds this container through containers alone.

        Its objects are then as shared as the module's own
        (``TEST_LIMITS[0]._get_time = Mock()`` leaks like
        ``SERVICE.name = Mock()``); a class's or an object's containers hold
        their owner's objects, not watched.
        """
        container = self
        while container.anchor is not None and container.kind != 'instance':
            container = container.anchor[0]
        return container.kind == 'module'

    def reachable(self, findings=()):
        """Whether a container is still where it was found.

        One that was replaced (``mod.HANDLERS = []``) is no longer global
        state, whatever is done to it later -- unless a mock of
        ``findings`` replaced it (``mod.SERVICE = Mock()``): healing puts
        it back, with what the test set on it.
        """
        container = self
        while container.anchor is not None:
            parent, key, placed = container.anchor
            if not parent.holds(key, placed) and not any(
                    finding.container is parent and finding.previous is placed
                    and _same_key(finding.key, key) for finding in findings):
                return False
            container = parent
        return True

    @property
    def compared(self):
        """What a flat comparison reads (see GlobalStateSweep.add)."""
        return (self.mapping.values() if self.kind == 'instance'
                and type(self.mapping) is dict else self.mapping)

    @property
    def is_sequence(self):
        """A list, set or deque (not a dict)."""
        return self.kind in ('list', 'set', 'deque')

    @property
    def compared_flat(self):
        """Whether no change tracker can follow it (see GlobalStateSweep.add).

        A list, set or deque; or, on 3.13, an object's ``__dict__``.
        """
        return self.is_sequence or (self.kind == 'instance' and (
            _INLINE_VALUES or type(self.mapping) is not dict))

    def read(self):
        """The current values (dicts) or items (sequences), as a tuple.

        A tuple, not a list: one allocation instead of two, and kept for
        every watched container (tens of thousands in a large process).
        """
        if self.is_sequence:
            return tuple(self.mapping)
        return tuple(self.mapping.values())

    @property
    def owner_key(self):
        """Identity of what patchers patch: the owner, or the dict itself."""
        return id(self.mapping) if self.kind in ('sys.modules', 'dict') else (
            id(self.owner))

    def item_path(self, key):
        """The path a user would write for ``key`` in this container."""
        if self.kind == 'sys.modules':
            return 'sys.modules[%r]' % (key,)
        if self.kind == 'dict':
            return '%s[%s]' % (self.path, _key_text(key))
        if self.kind in ('list', 'deque'):
            return '%s[%d]' % (self.path, key)
        if self.kind == 'set':
            return '%s (a member)' % self.path
        return '%s.%s' % (self.path, key)

    def holds(self, key, placed):
        """Whether ``placed`` is still under ``key`` (in a sequence: in it)."""
        if self.is_sequence:
            return any(item is placed for item in list(self.mapping))
        return self.mapping.get(key, NEW_KEY) is placed

    def restore(self, key, previous, placed):
        """Put ``previous`` back under ``key`` (or remove ``placed``)."""
        if self.is_sequence:
            container = self.mapping
            if self.kind == 'set':
                container.discard(placed)
                return
            for index, item in enumerate(container):
                if item is placed:
                    if previous is NEW_KEY:
                        del container[index]
                    else:
                        container[index] = previous
                    return
        elif self.kind == 'class':
            if previous is NEW_KEY:
                type.__delattr__(self.owner, key)
            else:
                type.__setattr__(self.owner, key, previous)
        elif previous is NEW_KEY:
            del self.mapping[key]
        else:
            self.mapping[key] = previous


def _same_key(one, other):
    """Whether two keys of one container are the same, running no code."""
    return one is other or type(one) in PLAIN_VALUES and type(
        other) is type(one) and one == other


class Finding:
    """A mock found at a place in global state where it was not before.

    (Or, ``fresh``, a mock in state watched for the first time, which may
    have been there all along: see ``GlobalStateSweep._inspect_new``.)

    ``value`` is the mock; ``placed`` what was put under ``key`` -- the
    mock itself, or a new container holding it at ``inner`` (a path
    suffix such as ``[0]``), which healing takes away as a whole.
    """

    __slots__ = ('container', 'key', 'value', 'previous', 'placed', 'inner',
                 'fresh', 'holder')

    def __init__(self, container, key, value, previous, placed=None,
                 inner='', fresh=False, holder=None):
        self.container = container
        self.key = key
        self.value = value
        self.previous = previous
        self.placed = value if placed is None else placed
        self.inner = inner
        # the object inside ``placed`` whose attributes hold the mock (None:
        # a container holds it); a mock it made itself is its own
        self.holder = holder
        # in state first watched by this sweep: maybe there all along
        self.fresh = fresh

    @property
    def path(self):
        """Path of the place: ``myproj.utils.execute``, ``X.REG['fake']``."""
        return self.container.item_path(self.key) + self.inner

    @property
    def where(self):
        """What kind of place it is, in words.

        For a mock inside a new container (``module.REG = {'x': Mock()}``)
        it says so: the place itself held no mock before, the container
        put there does.
        """
        place = {
            'sys.modules': 'sys.modules entry',
            'module': 'module attribute',
            'class': 'class attribute',
            'instance': 'attribute of a module-level object',
            'dict': 'entry of a dict in global state',
            'list': 'item of a list in global state',
            'set': 'member of a set in global state',
            'deque': 'item of a deque in global state',
        }[self.container.kind]
        anchor = self.container.anchor
        if self.container.kind == 'instance' and anchor and not (
                anchor[0].kind == 'module'
                and anchor[2] is self.container.owner):
            # an object a module's container holds (in a tuple, the anchor
            # is where the tuple is)
            parent, _, placed = anchor
            place = 'attribute of an object in a %s in global state' % (
                parent.kind if placed is self.container.owner
                else type(placed).__name__)
        if self.inner:
            place += ', inside the %s put there' % type(self.placed).__name__
        return place

    @property
    def fix(self):
        """A call that keeps the place as it was, for the test to make.

        For what the code under test keeps in a module or class attribute,
        a dict in global state (a registry, ``sys.modules``) or a
        ``functools`` cache: the place, named, in the ``unittest.mock`` call
        that puts it back at cleanup.  None for a list, set or deque item,
        whose undo depends on the code that added it.
        """
        container = self.container
        kind = container.kind
        put = not self.inner and self.placed is self.value
        if kind == 'sys.modules':
            return 'mock.patch.dict(sys.modules%s) for the length of the ' \
                'test' % (', {%r: mock.MagicMock()}' % (self.key,)
                          if put else '')
        if kind == 'dict':
            # (a dict's patcher puts back all of it: what the test added,
            # removed or changed)
            target = container.path
            return 'mock.patch.dict(%s) for the length of the test' % (
                repr(target) if _DOTTED.match(target) else target)
        if kind not in ('module', 'class', 'instance') or type(
                self.key) is not str:
            return None
        owner = container.path
        if put:
            # the mock itself was put there: a patcher does that, and
            # takes it away
            return _patch_call(owner, self.key, self._create if (
                self.previous is NEW_KEY) else '') + (
                    ', stopped in a cleanup, instead of assigning the mock')
        # something the code under test made and kept there (a client, a
        # singleton): the test patches the place to what it held before
        previous = self.previous
        if previous is UNKNOWN:
            return None
        create = self._create if previous is NEW_KEY else ''
        if create and _DOTTED.match(owner):
            # made on first use where nothing was (``if not hasattr(cls,
            # '_instance')``): no value may stand in for it, the place
            # must be empty again at cleanup
            return ('fixtures.MonkeyPatch(%r, fixtures.MonkeyPatch.delete) '
                    'for the length of the test' % (
                        '%s.%s' % (owner, self.key)))
        if previous is NEW_KEY:
            value = 'None' + create
        elif type(previous) in PLAIN_VALUES:
            value = repr(previous)
        elif type(previous) is type(self.placed) and (
                type(previous) in _EMPTY_TEXT):
            # a registry or cache that is replaced (``_CACHE = {}`` in a
            # base class's setUp) and then filled: a new one for the test
            value = _EMPTY_TEXT[type(previous)]
        else:
            value = '%s.%s' % (owner, self.key)
        return _patch_call(owner, self.key, ', ' + value) + (
            ' for the length of the test')

    @property
    def _create(self):
        """``, create=True`` for a patch of an attribute new to its owner.

        Not where the owner's class (or, for a class, a base) has it: a
        patcher finds it there and puts it back the way it was.
        """
        container = self.container
        owner = container.owner
        if container.kind == 'instance':
            classes = _type_mro(type(owner))
        elif container.kind == 'class':
            classes = _type_mro(owner)[1:]
        else:
            classes = ()
        for klass in classes:
            found = _type_dict(klass).get(self.key)
            if found is not None:
                # (an unset slot: the patcher must be told to make it)
                return ', create=True' if (
                    type(found) is types.MemberDescriptorType) else ''
        return ', create=True'

    def heal(self):
        """Undo the leak; return what was done, in words."""
        if self.previous is UNKNOWN:
            return 'left in place (previous value unknown)'
        if self.container.holds(self.key, self.placed):
            # (not when healing another mock in the same new container or
            # object took that away already)
            self.container.restore(self.key, self.previous, self.placed)
        what = ('removed %s, which held it' % self.container.item_path(
            self.key) if self.inner else 'removed')
        if self.previous is NEW_KEY:
            return what
        return 'original restored' + (
            ' at %s' % self.container.item_path(self.key)
            if self.inner else '')


# an empty one of each container a place can be patched with, as code
_EMPTY_TEXT = {dict: '{}', list: '[]', set: 'set()'}


def _patch_call(owner, name, rest):
    """``mock.patch('owner.name'...)`` in words.

    ``patch.object`` when ``owner`` is no importable path
    (``pkg.mod.REG[0]``).
    """
    if _DOTTED.match(owner):
        return 'mock.patch(%r%s)' % ('%s.%s' % (owner, name), rest)
    return 'mock.patch.object(%s, %r%s)' % (owner, name, rest)


class CachedResults:
    """A ``functools`` cache in global state, as a sweep's findings see it.

    Shaped like the :class:`Container` a :class:`Finding` refers to: its
    entries are read without hashing or comparing a key, and healing
    empties the cache with the wrapper's own ``cache_clear()``.
    """

    __slots__ = ('path', 'wrapper', 'mapping', 'newest')
    kind = 'cache'
    compared_flat = False

    def __init__(self, path, wrapper, mapping, newest):
        self.path = path            # where the cached function is
        self.wrapper = wrapper      # lives as long as its module holds it
        self.mapping = mapping      # its cache dict
        self.newest = newest        # id of its newest key when last read

    @property
    def owner_key(self):
        return id(self.mapping)

    def item_path(self, key):
        """The call that returns the entry: ``pkg.mod.get_client('x')``."""
        return '%s(%s)' % (self.path, _call_text(key))

    def holds(self, key, placed):
        """Whether ``placed`` is still a result in the cache."""
        return any(_cached_result(entry) is placed
                   for entry in list(self.mapping.values()))

    def restore(self, key, previous, placed):
        # removing one entry would hash its key, which may run code
        _LRU_WRAPPER.cache_clear(self.wrapper)


class CachedFinding(Finding):
    """A mock that a ``functools`` cache in global state returns.

    Under arguments a later test can pass again: that test gets the mock.
    """

    __slots__ = ()

    def __init__(self, cache, key, value, placed, inner='', holder=None):
        super().__init__(cache, key, value, UNKNOWN, placed, inner,
                         holder=holder)

    @property
    def where(self):
        if self.inner:
            return 'inside the %s a functools cache returns' % (
                type(self.placed).__name__)
        return 'result a functools cache returns'

    @property
    def fix(self):
        # a call, not a method of the test: the line reads the same in a
        # unittest test case (addCleanup) and a pytest function (a
        # finalizer or a yield fixture)
        return '%s.cache_clear() in a cleanup' % self.container.path

    def heal(self):
        if self.container.holds(self.key, self.placed):
            self.container.restore(self.key, None, self.placed)
        return 'cache cleared (%s.cache_clear())' % self.container.path


def _make_link_reader():
    """Return ``(link type, read(link))``: a bounded cache entry's result.

    A bounded ``functools.lru_cache`` keeps each entry in its dict as a C
    link (``_lru_list_elem``: list pointers, hash, key, result) that
    exposes nothing to Python, not even to ``gc.get_referents``.  The
    result's pointer is read at its offset, found and verified on a probe
    cache first (its key one word before it); where the layout does not
    match, the type is None: the result cannot be told.
    """
    def unknown(link):  # pragma: no cover - another layout
        return None

    try:
        import ctypes
        size = ctypes.sizeof(ctypes.c_void_p)
        key, result = 'mocktools-probe', object()
        probe = functools.lru_cache(maxsize=2)(lambda _: result)
        probe(key)
        cache = [referent for referent in gc.get_referents(probe)
                 if type(referent) is dict and key in referent][0]
        link = cache[key]

        def word(obj, offset):
            return ctypes.c_void_p.from_address(id(obj) + offset).value

        header = object.__basicsize__
        for offset in range(header + size, header + 8 * size, size):
            if (word(link, offset) == id(result)
                    and word(link, offset - size) == id(key)):
                break
        else:
            return None, unknown  # pragma: no cover - another layout

        pointer_at = ctypes.py_object.from_address

        def read(link):
            # the link, which the caller holds, keeps the result alive
            return pointer_at(id(link) + offset).value

        if read(link) is result:
            return type(link), read
    except Exception:  # pragma: no cover - non-CPython layouts
        pass
    return None, unknown  # pragma: no cover


_LRU_LINK, _link_result = _make_link_reader()


def _cached_result(entry):
    """The result in a cache dict's entry (a bounded cache keeps links).

    None when it cannot be read (then it is taken for no mock).
    """
    if type(entry) is _LRU_LINK:
        return _link_result(entry)
    return entry


def _call_text(key):
    """The arguments of a call, from its replayable cache key.

    The key is the one argument, or a tuple: the positional arguments,
    then, after a marker ``object()``, each keyword's name and value, then
    with ``typed=True`` the type of every argument.
    """
    if type(key) is not tuple:
        return repr(key)
    items = list(key)
    marker = [index for index, item in enumerate(items)
              if type(item) is object]
    if marker:
        positional, named = items[:marker[0]], items[marker[0] + 1:]
        keywords = (len(named) - len(positional)) // 3
        if not _typed_tail(positional + named[1:2 * keywords:2],
                           named[2 * keywords:]):
            keywords = len(named) // 2
    else:
        half = len(items) // 2
        positional, named, keywords = items, [], 0
        if _typed_tail(items[:half], items[half:]):
            positional = items[:half]
    return ', '.join([repr(value) for value in positional] + [
        '%s=%r' % (name, value) for name, value in zip(
            named[:2 * keywords:2], named[1:2 * keywords:2])])


def _typed_tail(values, tail):
    """Whether ``tail`` is the type of each of ``values`` (``typed=True``)."""
    return bool(values) and len(tail) == len(values) and all(
        type(value) is kind for value, kind in zip(values, tail))


def _replayable_key(key):
    """Whether a later test can make the same cache key again.

    ``functools`` keys a call by its arguments: one ``str`` or ``int``
    alone, else a tuple of them (keyword names after a marker ``object()``,
    their types with ``typed=True``).  Made of plain values alone, another
    call with those arguments finds the entry; an object among them (the
    test's own instance, a mock) is one no later test passes again.
    """
    if type(key) is not tuple:
        return type(key) in PLAIN_VALUES
    return all(type(item) in PLAIN_VALUES or type(item) is object
               or type(item) is type for item in key)


def _mocks_inside(value, bases, depth=1, holder=None):
    """``(path suffix, mock, holder)`` for mocks inside a new global value.

    The value is what a test put there: an exact built-in container
    (``REG['x'] = {'fake': Mock()}``), or a plain object whose own
    ``__dict__`` holds the mock (``_CLIENT = Client(session)`` cached while
    ``Session`` was patched, a singleton made in the test) -- read through
    its class's standard slot, as the sweep reads a module-level object's
    (:func:`instance_namespace`); a few levels deep, and neither through
    big containers nor into what :data:`_NOT_SHARED_OBJECTS` names (a
    test's own attributes are the test's).  ``holder`` is the object
    whose attributes hold the mock, through containers only (None: none).
    """
    if depth > _NESTED_DEPTH or depth == 1 and not _may_hold_mock(
            value, bases):
        return
    kind = type(value)
    if kind in _CONTAINERS:
        if len(value) > _NESTED_WIDTH:
            return
        if kind is dict:
            pairs = [('[%s]' % _key_text(key), item)
                     for key, item in list(value.items())]
        elif kind in (set, frozenset):
            pairs = [(' (a member)', item) for item in list(value)]
        else:
            pairs = [('[%d]' % index, item) for index, item in enumerate(
                list(value))]
    elif kind in _NOTHING_TO_WATCH or issubclass(kind, _NOT_SHARED_OBJECTS):
        return
    elif issubclass(kind, tuple):
        # a named tuple: its items by field name, read as a tuple's
        items = list(tuple.__iter__(value))
        if len(items) > _NESTED_WIDTH:
            return
        fields = _type_dict(kind).get('_fields')
        if type(fields) is tuple and len(fields) == len(items) and all(
                type(name) is str for name in fields):
            pairs = [('.' + name, item) for name, item in zip(fields, items)]
        else:
            pairs = [('[%d]' % index, item)
                     for index, item in enumerate(items)]
    else:
        namespace = instance_namespace(value, bases)
        if namespace is None:
            namespace = slot_values(value)
            if namespace is None:
                return
        if len(namespace) > _NESTED_WIDTH:
            return
        pairs = [('.%s' % name, item) for name, item in list(
            namespace.items()) if type(name) is str and item is not NEW_KEY]
        holder = value
    for suffix, item in pairs:
        if is_mock(item, bases):
            yield suffix, item, holder
        else:
            for deeper, mock, owner in _mocks_inside(item, bases, depth + 1,
                                                     holder):
                yield suffix + deeper, mock, owner


def _may_hold_mock(value, bases, depth=1):
    """Whether :func:`_mocks_inside` may find a mock in ``value``.

    The same walk, through ``gc.get_referents``: an object's attribute
    values without their names.  Reading an object's ``__dict__`` makes
    CPython 3.11 and later build one for an object that keeps its
    attributes inline, and slows every later attribute read of it; most
    new values hold no mock, and only those that may are read by name.
    """
    if depth > _NESTED_DEPTH:
        return False
    kind = type(value)
    container = kind in _CONTAINERS
    if container:
        if len(value) > _NESTED_WIDTH:
            return False
    elif kind in _NOTHING_TO_WATCH or issubclass(kind, _NOT_SHARED_OBJECTS):
        return False
    elif not issubclass(kind, tuple):
        getter = _instance_getters.get(kind, False)
        if getter is False:
            getter = _dict_getter(kind)
        if getter is None and not _members_of(kind):
            return False
    for item in gc.get_referents(value):
        if is_mock(item, bases):
            return True
        # (an exact dict that an object refers to may be its own __dict__,
        # whose items are its attributes: one level down, not two)
        if type(item) not in PLAIN_VALUES and _may_hold_mock(
                item, bases, depth if not container and type(item) is dict
                else depth + 1):
            return True
    return False


# What stands where a container was let go of (see GlobalStateSweep._compact):
# nothing in them, and nothing ever written to them.
_LET_GO_DICT = Container('dict', '<let go>', None, {})
_LET_GO_DICT.before = ()
_LET_GO_SEQUENCE = Container('list', '<let go>', None, ())
_LET_GO_SEQUENCE.before = ()


@contextlib.contextmanager
def _collector_paused():
    """Keep the garbage collector from running while the block runs.

    For building what lives as long as the sweep (a record and a copy of
    the values of every namespace: 34,000 of them in Trove's test process):
    the collections its allocations would trigger find no garbage in it.
    Trove's first scan ran 127 of the youngest generation, 11 of the
    middle one and a full one, about a quarter of its time.  The collector
    runs on its own count afterwards.  One that was off is left off.
    """
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class GlobalStateSweep:
    """Watches global state and reports mocks that newly appear in it.

    ``sweep()`` compares against the state at the previous ``sweep()`` (or
    construction) and returns :class:`Finding` objects; ``rebase()`` takes
    the current state as the new 'before' after findings were healed.
    ``tracker`` is the :class:`~mocktools.engine.dict_changes.ChangeTracker` to
    use (by default the cheapest that works here).
    """

    def __init__(self, skip_modules=_SKIP_MODULES, tracker=None):
        self._skip_modules = skip_modules
        self.tracker = tracker or dict_changes.make_tracker()
        self.containers = []        # dict kinds, in the tracker's order
        self.sequences = []         # lists, sets, deques (and see add())
        self._compared = []         # what is read of each, in that order
        self._caches = []           # CachedResults of each cache in state
        # CachedFinding of each mock a new cache entry returns, for the
        # next sweep (see new_cache_entries)
        self._cached_mocks = []
        # id -> each threading.local object modules hold, once however
        # many modules name it (see thread_local_references)
        self._thread_locals = {}
        self._cache_tracker = (dict_changes.VersionTracker()
                               if dict_changes.VersionTracker.usable()
                               else dict_changes.ChangeTracker())
        self.reads = 0              # containers re-read by sweeps
        self._seen = set()          # ids of owners already watched
        self._nested = 0
        self._modules_seen = None   # modules_mark() at the last scan
        # the containers of the modules imported since the last sweep
        # (taken in while a test ran, see adopt_imports, or by the sweep):
        # what they hold is looked at (see _inspect_new)
        self._adopted = []
        # imports taken in without a sweep since the last sweep or rebase
        # (see take_in_imports)
        self._taken_in = 0
        self._new = None            # where _scan_modules collects, if set
        self._sequence_lengths = array('q')
        self._sequence_raw = b''
        # (lengths, raw) as the last comparison read them, until the
        # snapshot after it takes them
        self._read_now = None
        self._sequences_dirty = False
        # id(container) -> position, of the tracked dicts in which the last
        # sweep found a mock: what healing may write (see rebase)
        self._found_at = {}
        # containers no longer where they were found (see _let_go_of_gone),
        # and how many placeholders were left for those let go (_compact)
        self._gone = []
        self._let_go = 0
        self._mock_bases = mock_types()
        self.add(Container('sys.modules', 'sys.modules', sys,
                           sys.modules))
        self._scan_modules()
        self._snapshot_sequences()

    def stats(self):
        """What is watched and how: a dict of counts and the method."""
        return {
            'dicts': len(self.containers) - self.containers.count(
                _LET_GO_DICT),
            'values': sum(map(len, (c.before for c in self.containers))),
            'sequences': len(self.sequences) - self.sequences.count(
                _LET_GO_SEQUENCE),
            'items': len(self._sequence_raw) // 8,
            'method': self.tracker.method,
            'reads': self.reads,
        }

    def watched_owners(self):
        """The ids of the owners watched so far (a live set, grows)."""
        return self._seen

    # -- discovering containers --------------------------------------------

    def add(self, container):
        """Watch ``container`` from now on."""
        self._seen.add(id(container.owner))
        container.before = container.read()
        if container.anchor is not None:
            parent = container.anchor[0]
            if parent.children is None:
                parent.children = []
            parent.children.append(container)
        if self._new is not None:
            self._new.append(container)
        if container.compared_flat:
            # no tracker sees these change: compared in one flat read
            self.sequences.append(container)
            self._compared.append(container.compared)
            self._sequences_dirty = True
            return
        try:
            self.tracker.add(container.mapping)
        except TypeError:  # pragma: no cover - no dict behind a proxy
            return
        self.containers.append(container)

    def _scan_modules(self, new=None):
        """Watch the modules not watched yet.

        ``new``, a list, also receives every container the scan adds.
        """
        # new modules may bring a mock library: look it up once per scan
        self._mock_bases = mock_types()
        modules = sys.modules
        self._new = new
        # taken first: a module another thread imports meanwhile is seen by
        # the next look
        mark = modules_mark()
        try:
            with _collector_paused():
                for name, module in list(modules.items()):
                    if (id(module) not in self._seen
                            and issubclass(type(module), types.ModuleType)
                            and name not in self._skip_modules
                            and not name.startswith(_SKIP_PACKAGES)):
                        self._add_module(name, module)
        finally:
            self._new = None
        self._modules_seen = mark

    def _add_module(self, name, module):
        mapping = _module_dict(module)
        module_name = mapping.get('__name__')
        path = module_name if isinstance(module_name, str) else name
        container = Container('module', path, module, mapping)
        self.add(container)
        self._add_members(container, list(mapping.items()))

    def _add_members(self, container, items):
        """Watch what ``items`` (new keys of ``container``) lead to."""
        # only a module's plain objects are global state, and those its
        # containers hold: a class's or an object's instances belong to
        # their owner
        if container.path in _VALUES_ONLY:
            return
        instances = container.kind == 'module'
        objects = instances or container.kind == 'dict' and (
            container.in_module)
        for key, value in items:
            kind = type(value)
            if kind in _NOTHING_TO_WATCH or id(value) in self._seen:
                continue
            if issubclass(kind, type):
                self._add_class(value)
            elif kind in _CONTAINERS:
                if container.kind != 'sys.modules':
                    self._add_nested(container.item_path(key), value,
                                     container.depth + 1,
                                     (container, key, value), objects)
            elif kind is _LRU_WRAPPER:
                self._add_cache(value, container.item_path(key))
            elif instances:
                if issubclass(kind, _THREAD_LOCAL):
                    # once, however many modules name it: each reference
                    # it holds must be counted once
                    self._thread_locals[id(value)] = value
                if not issubclass(kind, _NOT_SHARED_OBJECTS):
                    # anchored in the module: once the module holds
                    # another object there (a fake reset at cleanup), what
                    # is set on this one is no longer global state
                    self._add_instance(container.item_path(key), value,
                                       anchor=(container, key, value))
            elif objects and kind not in PLAIN_VALUES:
                self._add_object(container.item_path(key), value,
                                 container.depth + 1, (container, key, value))

    def _add_class(self, cls):
        flags = _type_flags(cls)
        if not flags & _HEAPTYPE or flags & _IMMUTABLETYPE:
            return
        if issubclass(cls, unittest.TestCase):
            # a test class's attributes are its tests' own state
            # (cls.client = Mock() in setUpClass), not shared state
            return
        # the dict itself, not a mappingproxy of it: one object fewer per
        # watched class, for the collector to go through at every full
        # collection (a class is written back with type.__setattr__)
        mapping = _class_dict(cls)
        module = mapping.get('__module__')
        path = '%s.%s' % (module, _type_qualname(cls)) if isinstance(
            module, str) else _type_qualname(cls)
        container = Container('class', path, cls, mapping)
        self.add(container)
        self._add_members(container, list(mapping.items()))

    def _add_instance(self, path, obj, depth=0, anchor=None):
        if is_mock(obj, self._mock_bases):
            return
        mapping = instance_namespace(obj)
        if mapping is None:
            mapping = slot_values(obj)   # (None: not an object with slots)
        if mapping is not None:
            container = Container('instance', path, obj, mapping, depth,
                                  anchor)
            self.add(container)
            self._add_members(container, list(mapping.items()))

    def _add_held(self, path, value, depth, anchor, objects):
        """Watch what a container holds at ``path``, if it is worth it.

        A nested container, or, with ``objects`` (a module holds the
        container, through containers alone), a plain object.
        """
        kind = type(value)
        if kind in _CONTAINERS:
            self._add_nested(path, value, depth, anchor, objects)
        elif objects and kind not in PLAIN_VALUES:
            self._add_object(path, value, depth, anchor)

    def _add_object(self, path, obj, depth, anchor):
        """Watch a plain object that a module's container holds.

        ``anchor`` is ``(container, key, value)``: where it was found.
        """
        if (depth > _NESTED_DEPTH or self._nested >= _NESTED_LIMIT
                or id(obj) in self._seen
                or issubclass(type(obj), _NOT_SHARED_OBJECTS)):
            return
        self._nested += 1
        self._add_instance(path, obj, depth, anchor)

    def _add_nested(self, path, obj, depth, anchor, objects=False):
        """Watch an exact built-in container (and those it holds).

        ``anchor`` is ``(container, key, value)``: where it was found.
        With ``objects`` (a module holds it, through containers alone), the
        plain objects in it are watched too.
        """
        if depth > _NESTED_DEPTH or self._nested >= _NESTED_LIMIT:
            return
        kind = type(obj)
        container = None
        if kind in _IMMUTABLE:
            pass   # cannot change: only what it holds is watched
        elif id(obj) in self._seen:
            return
        else:
            self._nested += 1
            kind_name = 'deque' if kind is collections.deque else (
                kind.__name__)
            container = Container(kind_name, path, obj, obj, depth, anchor)
            self.add(container)
        if len(obj) > _NESTED_WIDTH or kind in (set, frozenset) or (
                path in _VALUES_ONLY):
            return
        if kind is dict:
            items = list(obj.items())
        else:
            items = list(enumerate(list(obj)))
        for key, value in items:
            value_kind = type(value)
            if kind is dict and value_kind is _LRU_WRAPPER:
                self._add_cache(value, container.item_path(key))
            elif value_kind in _CONTAINERS or objects and (
                    value_kind not in PLAIN_VALUES):
                if container is None:   # inside a tuple
                    self._add_held('%s[%d]' % (path, key), value, depth + 1,
                                   anchor, objects)
                else:
                    self._add_held(container.item_path(key), value,
                                   depth + 1, (container, key, value),
                                   objects)

    def _add_cache(self, wrapper, path):
        """Follow a ``functools`` cache: see :meth:`new_cache_entries`."""
        if id(wrapper) in self._seen:
            return
        own = _wrapper_dict(wrapper)
        for referent in gc.get_referents(wrapper):
            if type(referent) is dict and referent is not own:
                self._seen.add(id(wrapper))
                self._caches.append(CachedResults(
                    path, wrapper, referent, _newest_key(referent)))
                self._cache_tracker.add(referent)
                return

    def new_cache_entries(self):
        """What the ``functools`` caches in global state gained since asked.

        Returns a list of the ids of the objects that the new entries refer
        to -- the items of each new key (a tuple of the arguments) and each
        new result -- one per reference; ids, so that the answer adds no
        reference to what it counts.  A cache's entries are in insertion
        order, so the new ones are those after the newest key seen last
        time (remembered by id: holding the key would hold the mocks in
        it).  Nothing is hashed or compared.

        A new result that is a mock, or holds one (:func:`_mocks_inside`),
        under a key that a later test can make again (arguments that are
        plain values: :func:`_replayable_key`) is not counted: every later
        call with those arguments gets the mock back.  It is kept for the
        next :meth:`sweep` to report instead.
        """
        tracker = self._cache_tracker
        found = []
        bases = None
        for position in tracker.changed():
            tracker.seen(position)
            cache = self._caches[position]
            last, cache.newest = cache.newest, _newest_key(cache.mapping)
            objects = []
            for key, result in reversed(cache.mapping.items()):
                if id(key) == last:
                    break
                if type(key) is tuple:
                    objects.extend(key)
                result = _cached_result(result)
                if type(result) not in PLAIN_VALUES and _replayable_key(key):
                    bases = bases or mock_types()
                    if is_mock(result, bases):
                        self._cached_mocks.append(
                            CachedFinding(cache, key, result, result))
                        continue
                    mocks = list(_mocks_inside(result, bases))
                    if mocks:
                        self._cached_mocks.extend(
                            CachedFinding(cache, key, mock, result, suffix,
                                          holder)
                            for suffix, mock, holder in mocks)
                        continue
                objects.append(result)
                if type(result) is tuple:
                    objects.extend(result)
            found.extend(map(id, objects))
            del objects
        return found

    def thread_local_references(self):
        """What the thread-local storage that modules hold refers to.

        The attributes each thread has on a module's ``threading.local``
        (oslo.context keeps the request context last made there): a list
        of their ids, one per reference.  The sweep does not read them, so
        a sweep could not find a mock kept only there, and the escape check
        counts these references as seen (:mod:`mocktools.engine.escape`).
        Only the objects modules hold are followed, not a class's.  Not
        eventlet's green ``local`` either, which replaces it once eventlet
        monkey-patches ``threading``: that object keeps the current green
        thread's attributes in a ``__dict__``, which the sweep watches like
        any module-level object's.  Read
        from the per-thread dicts the interpreter keeps for the object
        (``gc.get_referents``), never through its attributes.
        """
        found = []
        for local in self._thread_locals.values():
            for referent in gc.get_referents(local):
                if type(referent) is not dict:
                    continue
                # {key per thread -> that thread's dict}; a local's
                # keyword arguments are the other dict, keyed by names
                for key, attributes in list(referent.items()):
                    if type(key) is not str and type(attributes) is dict:
                        found.extend(map(id, list(attributes.values())))
        return found

    # -- sweeping ------------------------------------------------------------

    def rebase(self, written=None):
        """Take the current state as the new 'before'.

        ``written``, the containers that healing wrote right after a
        :meth:`sweep`, limits the reading to those: what else changed since
        that sweep is left for the next one to find.  Reading every tag or
        copy again costs milliseconds in a large process (about 6 ms in
        Trove's, on Python 3.11), at every leak healed.
        """
        if (written is not None and modules_mark() == self._modules_seen
                and self._rebase_written(written)):
            return
        self._found_at = {}
        self._adopted = []
        self._taken_in = 0      # (what went is let go of below)
        if modules_mark() != self._modules_seen:
            # modules imported, or removed by hand: what is loaded now is
            # the world, and a module removed must not look like an import
            # to the next check
            self._scan_modules()
        for position in self.tracker.changed():
            self._reread(self.containers[position], position)
        self._rebase_sequences()
        self._compact()

    def _rebase_sequences(self):
        """Take the flat-compared containers' current items as 'before'."""
        changed = self._changed_sequences()
        for index in changed:
            self._reread(self.sequences[index])
        if changed or self._sequences_dirty:
            self._snapshot_sequences()

    def _rebase_written(self, written):
        """:meth:`rebase` for ``written`` alone; False if it cannot be.

        Each dict among them must be one the last sweep found a mock in
        (its position among the tracked dicts is known from then).
        """
        found_at, self._found_at = self._found_at, {}
        dicts, sequences = {}, False
        for container in written:
            if container.compared_flat:
                sequences = True
                continue
            position = found_at.get(id(container))
            if position is None:
                return False
            dicts[position] = container
        for position, container in dicts.items():
            self._reread(container, position)
        if sequences:
            # lists, sets and objects compared in the flat read: that read
            # is redone whole anyway (rare: most leaks are in dicts)
            self._rebase_sequences()
        self._compact()
        return True

    def _reread(self, container, position=None, findings=()):
        """Take ``container``'s values as its 'before'; watch new ones.

        Not those that hold a mock of ``findings``: healing takes them away.
        """
        before_ids = set(map(id, container.before))
        container.before = container.read()
        if position is not None:
            self.tracker.seen(position)
        self.reads += 1
        if container.children is not None:
            self._let_go_of_gone(container, findings)
        if container.is_sequence:
            objects = container.in_module
            for index, value in enumerate(container.before):
                if id(value) not in before_ids:
                    self._add_held(container.item_path(index), value,
                                   container.depth + 1,
                                   (container, index, value), objects)
            return
        before_ids.update(id(finding.placed) for finding in findings)
        fresh = [(key, value) for key, value in list(container.mapping.items())
                 if id(value) not in before_ids]
        if fresh:
            if container.kind == 'sys.modules':
                self._scan_modules()
            else:
                self._add_members(container, fresh)

    def _let_go_of_gone(self, container, findings):
        """Stop watching what ``container`` no longer holds.

        A container or object found in it (anchored there) that left it --
        a module-level dict replaced by a new one in every test, nova's
        ``CELL_CACHE = {}`` -- is no longer global state (the sweep passes
        over it, see :meth:`Container.reachable`); watched, it and all it
        held (database engines, in nova) would be kept alive for the rest
        of the run.  Not a value that a mock of ``findings`` replaced:
        healing puts it back.  Let go of at the end of the sweep (see
        :meth:`_compact`).
        """
        now = set(map(id, container.before))
        now.update(id(finding.previous) for finding in findings)
        kept = []
        for child in container.children:
            if id(child.anchor[2]) in now:
                kept.append(child)
            else:
                self._gone.append(child)
        container.children = kept or None

    def _compact(self):
        """Let go of the containers :meth:`_let_go_of_gone` set aside.

        With all they lead to.  Each leaves a placeholder where it was (the
        positions of the others stay as they are: finding each one's among
        tens of thousands costs less than renumbering them all); once
        placeholders are a quarter of the containers, they are taken out.
        Nothing to do when nothing was set aside (most sweeps).
        """
        if not self._gone:
            return
        gone, self._gone = self._gone, []
        released = {}
        while gone:
            container = gone.pop()
            if id(container) in released:
                continue
            released[id(container)] = container
            self._seen.discard(id(container.owner))
            if container.depth:     # not a module's own object
                self._nested -= 1
            if container.children is not None:
                gone.extend(container.children)
        dicts, sequences = [], []
        for container in released.values():
            (sequences if container.compared_flat else dicts).append(
                container)
        for position in _positions_of(self.containers, dicts):
            self.containers[position] = _LET_GO_DICT
            self.tracker.release(position)
        for index in _positions_of(self.sequences, sequences):
            # the next sweep sees it as changed (emptied) and takes that
            # in; nothing to report in a placeholder
            self.sequences[index] = _LET_GO_SEQUENCE
            self._compared[index] = ()
        for container in released.values():
            # what it held is freed now, not at the next full collection
            # (parents and children refer to one another); an empty
            # mapping for a caller that still has it (a finding)
            container.owner = container.before = None
            container.anchor = container.children = None
            container.mapping = {}
        self._let_go += len(released)
        if self._let_go * 4 > len(self.containers) + len(self.sequences):
            self._drop_placeholders()

    def _drop_placeholders(self):
        """Take the placeholders :meth:`_compact` left out of every list."""
        self._let_go = 0
        dicts = _kept_positions(self.containers, _LET_GO_DICT)
        if len(dicts) != len(self.containers):
            self.tracker.retain(dicts)
            self.containers = list(map(self.containers.__getitem__, dicts))
            # the dicts healing may write were found, so they are kept
            self._found_at = {
                key: bisect.bisect_left(dicts, position)
                for key, position in self._found_at.items()}
        sequences = _kept_positions(self.sequences, _LET_GO_SEQUENCE)
        if len(sequences) != len(self.sequences):
            self.sequences = list(map(self.sequences.__getitem__,
                                      sequences))
            self._compared = list(map(self._compared.__getitem__,
                                      sequences))
            self._read_now = None
            self._snapshot_sequences()

    def modules_changed(self):
        """Whether modules came (or went) since the last sweep."""
        return modules_mark() != self._modules_seen or bool(self._adopted)

    def take_in_imports(self):
        """Watch the modules imported since the last look, without a sweep.

        For a check that has no other reason to sweep: what the test could
        have put in global state is accounted for by the escape check,
        whether it imported modules or not.  The new modules are watched
        from now on and looked at now; True when that was all there was to
        do.  False, leaving them to a sweep, when one of them holds a mock
        (whose it is, the sweep decides), when modules only went (the sweep
        lets go of them), or after :data:`TAKE_IN_LIMIT` take-ins in a row
        (a module removed and imported again stays watched until a sweep).
        """
        self.adopt_imports()
        new = self._adopted
        if (not new or self._taken_in >= TAKE_IN_LIMIT
                or self._inspect_new(new, mock_types(), ())):
            return False
        self._adopted = []
        self._taken_in += 1
        return True

    def adopt_imports(self):
        """Watch the modules imported since the last look, from now on.

        For a test that imports a module and then puts a mock on it: called
        before it can (see ``instrumentation.modules_imported``), so that
        the sweep finds that mock with the value it replaced, as on any
        module.  What the modules hold already is looked at by the next
        sweep, as if they had been imported then.
        """
        if modules_mark() == self._modules_seen:
            return
        start = len(self._compared)
        in_step = not self._sequences_dirty and (
            len(self._sequence_lengths) == start)
        self._scan_modules(self._adopted)
        if in_step and len(self._compared) != start:
            # their lists, sets and objects are compared from now on too:
            # added to the flat copy, without reading the others again (a
            # change the test made to those is for the sweep to find)
            added = self._compared[start:]
            self._sequence_lengths.extend(map(len, added))
            self._sequence_raw += _pointers(list(_chain(added)))
            self._sequences_dirty = False

    def sweep(self):
        """Return findings for mocks that appeared since the last snapshot.

        Those in the modules imported since then come with ``fresh`` set and
        their previous value unknown: see :meth:`_inspect_new`.  What a test
        puts in a module watched already is found as a change: a mock, or
        a new container or plain object holding one (:func:`_mocks_inside`;
        a new class is taken in as it is).  So are the mocks that the
        ``functools`` caches in global state now return (see
        :meth:`new_cache_entries`).
        """
        new, self._adopted = self._adopted, []
        self._taken_in = 0
        if modules_mark() != self._modules_seen:
            self._scan_modules(new)
        bases = mock_types()
        findings = []
        found_at = self._found_at = {}
        # (those whose place holds something else now: looked at once the
        # others' findings are known, see Container.reachable)
        replaced = []
        for position in self.tracker.changed():
            container = self.containers[position]
            if container.anchor is not None and not container.reachable():
                replaced.append((container, position))
                continue
            found = self._inspect(container, bases)
            if found:
                findings.extend(found)
                found_at[id(container)] = position
            self._reread(container, position, found)
        changed = self._changed_sequences()
        for index in changed:
            container = self.sequences[index]
            if container.anchor is not None and not container.reachable():
                replaced.append((container, None))
                continue
            findings.extend(self._inspect(container, bases))
            self._reread(container)
        for container, position in replaced:
            found = self._inspect(container, bases) if container.reachable(
                findings) else []
            if found:
                findings.extend(found)
                if position is not None:
                    found_at[id(container)] = position
            self._reread(container, position, found)
        if changed or self._sequences_dirty:
            self._snapshot_sequences()
        if new:
            findings.extend(self._inspect_new(new, bases, findings))
        self.new_cache_entries()   # what the check did not ask for
        findings.extend(finding for finding in self._cached_mocks
                        if finding.container.holds(None, finding.placed))
        self._cached_mocks = []
        self._compact()
        return findings

    @staticmethod
    def _inspect_new(containers, bases, found):
        """Findings for the mocks in newly imported modules' ``containers``.

        Whether such a mock was there before the test began cannot be told:
        the module may have made it at import (its own), or the test put it
        there after importing the module (a leak).  Each is returned with
        ``fresh`` set and its previous value unknown, and the mock guard
        keeps those that the test's own code made.  ``found`` are the
        findings of the sweep so far, not returned twice.  Not the
        attributes of module-level objects: an object often makes mocks of
        its own when it is made (a fake service's ``self.images =
        MagicMock()``), and a test that makes a new one has left no mock
        of its own there.
        """
        known = {(id(finding.container), finding.key) for finding in found}
        new = []
        for container in containers:
            if container.kind == 'instance' or (
                    container.anchor is not None
                    and not container.reachable()):
                continue
            if container.is_sequence:
                items = list(enumerate(container.read()))
            else:
                items = list(container.mapping.items())
            for key, value in items:
                if is_mock(value, bases) and (
                        (id(container), key) not in known):
                    new.append(Finding(container, key, value, UNKNOWN,
                                       fresh=True))
        return new

    def _snapshot_sequences(self):
        """Take the items of every compared sequence as their 'before'.

        Right after :meth:`_changed_sequences` found changes, what it read
        is the current state (a sweep only reads in between): only the
        sequences watched since then are read.
        """
        objects = self._compared
        read_now, self._read_now = self._read_now, None
        if read_now is not None:
            lengths, raw = read_now
            added = objects[len(lengths):]
            if added:
                lengths.extend(map(len, added))
                raw += _pointers(list(_chain(added)))
        else:
            lengths = array('q', map(len, objects))
            raw = _pointers(list(_chain(objects)))
        self._sequence_lengths = lengths
        self._sequence_raw = raw
        self._sequences_dirty = False

    def _changed_sequences(self):
        """Indices of the lists, sets and deques whose items changed."""
        self._read_now = None
        known = len(self._sequence_lengths)
        objects = self._compared
        if len(objects) != known:
            objects = objects[:known]
        raw = _pointers(list(_chain(objects)))
        if raw == self._sequence_raw:
            return []
        lengths = array('q', map(len, objects))
        # kept for the snapshot that follows (see _snapshot_sequences)
        self._read_now = (lengths, raw)
        return _changed_runs(self._sequence_lengths, lengths,
                             self._sequence_raw, raw)

    def _inspect(self, container, bases):
        """Findings for what is new in ``container``.

        Only for a container still reachable: :meth:`sweep` passes over
        the others.
        """
        before = container.before
        before_ids = set(map(id, before))
        if container.is_sequence:
            items = list(enumerate(container.read()))
        else:
            items = list(container.mapping.items())
        grew = len(items) > len(before)
        same_shape = len(items) == len(before)
        found = []
        for position, (key, value) in enumerate(items):
            if id(value) in before_ids:
                continue
            if same_shape and container.kind != 'set':
                previous = before[position]
            elif container.kind == 'set' or grew and position >= len(
                    before):
                previous = NEW_KEY
            else:
                previous = UNKNOWN
            if is_mock(value, bases):
                found.append(Finding(container, key, value, previous))
                continue
            for suffix, mock, holder in _mocks_inside(value, bases):
                found.append(Finding(container, key, mock, previous,
                                     placed=value, inner=suffix,
                                     holder=holder))
        return found


def _kept_positions(containers, placeholder):
    """Positions in ``containers`` of those that are not ``placeholder``."""
    return list(itertools.compress(
        range(len(containers)),
        map(operator.is_not, containers, itertools.repeat(placeholder))))


def _positions_of(containers, wanted):
    """The positions in ``containers`` of the ``wanted`` ones there.

    Looked for from the end: what is let go of was most often found by a
    recent sweep, so it was added last.
    """
    if not wanted:
        return []
    backwards = containers[::-1]
    last = len(containers) - 1
    found = []
    for container in wanted:
        try:
            found.append(last - backwards.index(container))
        except ValueError:
            pass
    return found


def _newest_key(cache):
    """id of the newest key of a cache dict (None when empty)."""
    for key in reversed(cache):
        return id(key)
    return None


def _wrapper_dict(wrapper):
    """A cache wrapper's own ``__dict__`` (``__wrapped__``...), or None."""
    descriptor = _type_dict(type(wrapper)).get('__dict__')
    if type(descriptor) is types.GetSetDescriptorType:
        return descriptor.__get__(wrapper)
    return None


def _changed_runs(old_lengths, new_lengths, old_raw, new_raw):
    """Indices of the containers whose items differ, found by bisection.

    Given each container's length, and the pointer bytes (8 per item) of
    all their items laid end to end, before and now.
    """
    old_offsets = [0, *itertools.accumulate(old_lengths)]
    new_offsets = [0, *itertools.accumulate(new_lengths)]
    old_raw, new_raw = memoryview(old_raw), memoryview(new_raw)

    def same(lo, hi):
        old_lo, old_hi = old_offsets[lo] * 8, old_offsets[hi] * 8
        new_lo, new_hi = new_offsets[lo] * 8, new_offsets[hi] * 8
        return (old_hi - old_lo == new_hi - new_lo
                and old_raw[old_lo:old_hi] == new_raw[new_lo:new_hi])
    return dict_changes.bisect_changes(len(old_lengths), same)


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
