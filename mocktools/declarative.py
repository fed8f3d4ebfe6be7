"""Class attributes that subclasses extend: how they merge, and patch specs.

A project base class declares what every test gets; subclasses add to it,
override entries and remove them.  Dict-valued attributes merge along the
method resolution order, base classes first, so the most derived class wins
per key, and :data:`REMOVE` deletes a key a base class set::

    class Base(mocktools.TestCase):
        config_overrides = {'datastore_manager': 'mysql'}
        patches = {'notify': Patch('myproj.notifier.notify', autospec=True)}

    class RedisTests(Base):
        config_overrides = {'datastore_manager': 'redis',      # override
                            'redis.cluster_support': False}    # add
        patches = {'notify': REMOVE}                           # remove

The attributes merged this way are listed in :data:`MERGED_ATTRIBUTES`.
"""

from mocktools import patching

__all__ = ['MERGED_ATTRIBUTES', 'Patch', 'REMOVE', 'merged']


class _Remove:
    """The marker type of :data:`REMOVE`."""

    def __repr__(self):
        return 'mocktools.REMOVE'


#: Value that removes a key inherited from a base class.
REMOVE = _Remove()

#: Class attributes of :class:`mocktools.TestCase` merged along the MRO.
MERGED_ATTRIBUTES = ('config_overrides', 'test_fixtures', 'patches',
                     'isolation')


def merged(cls, name):
    """The dict attribute ``name`` of ``cls`` merged along its MRO.

    Base classes first, so derived classes override per key; keys whose
    final value is :data:`REMOVE` are dropped.  A value that is not a dict
    raises ``TypeError`` naming the class and attribute.
    """
    result = {}
    for klass in reversed(cls.__mro__):
        value = vars(klass).get(name)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise TypeError('%s.%s must be a dict, not %s' % (
                klass.__qualname__, name, type(value).__name__))
        result.update(value)
    return {key: value for key, value in result.items()
            if value is not REMOVE}


_NO_AUTOSPEC_WITH = ('new', 'spec', 'spec_set', 'autospec', 'new_callable')


def with_default_autospec(args, kwargs):
    """``kwargs`` plus ``autospec=True`` unless ``new``/a spec was given."""
    if args or any(key in kwargs for key in _NO_AUTOSPEC_WITH):
        return kwargs
    return dict(kwargs, autospec=True)


class Patch:
    """A patch to apply in every test, declared in a class's ``patches``.

    Takes exactly the arguments of its ``unittest.mock`` counterpart::

        patches = {
            'execute': Patch('myproj.utils.execute', autospec=True),
            'notify': Patch.object(notifier, 'notify'),
            'env': Patch.dict('os.environ', {'LANG': 'C'}),
            'both': Patch.multiple(utils, a=mock.DEFAULT, b=mock.DEFAULT),
        }

    In each test, ``self.mocks[name]`` is what ``start()`` returned.
    """

    def __init__(self, target, *args, **kwargs):
        self.kind = 'patch'
        self.target, self.args, self.kwargs = target, args, kwargs

    @classmethod
    def object(cls, target, attribute, *args, **kwargs):
        """Like ``unittest.mock.patch.object``."""
        spec = cls(target, *args, **kwargs)
        spec.kind, spec.attribute = 'object', attribute
        return spec

    @classmethod
    def multiple(cls, target, *args, **kwargs):
        """Like ``unittest.mock.patch.multiple``."""
        spec = cls(target, *args, **kwargs)
        spec.kind = 'multiple'
        return spec

    @classmethod
    def dict(cls, in_dict, values=(), clear=False, **kwargs):
        """Like ``unittest.mock.patch.dict``."""
        spec = cls(in_dict, values, clear=clear, **kwargs)
        spec.kind = 'dict'
        return spec

    def fixture(self, autospec_by_default=False):
        """A fresh patcher fixture for one test."""
        args, kwargs = self.args, self.kwargs
        if autospec_by_default and self.kind in ('patch', 'object'):
            kwargs = with_default_autospec(args, kwargs)
        if self.kind == 'object':
            return patching.MockPatchObject(self.target, self.attribute,
                                            *args, **kwargs)
        factory = {'patch': patching.MockPatch,
                   'multiple': patching.MockPatchMultiple,
                   'dict': patching.MockPatchDict}[self.kind]
        return factory(self.target, *args, **kwargs)

    def __repr__(self):
        return 'Patch.%s(%r, ...)' % (self.kind, self.target)
