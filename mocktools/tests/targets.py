"""A small module that mocktools' own tests patch, leak into and inspect.

Nothing in it is mocked at import time except ``MODULE_FAKE``, a module-level
fake that must never be reported as a leak.
"""

import collections
import functools
import threading
from unittest import mock

from oslo_config import cfg

GREETING = 'hello'

MODULE_FAKE = mock.Mock(name='module-level fake')


def execute(command, timeout=10):
    """Pretend to run ``command``."""
    return 'ran %s in %ss' % (command, timeout)


def generate_password(length=8):
    """Return a fixed 'password' of ``length`` characters."""
    return 'x' * length


async def fetch(url):
    """An async function, patched into an AsyncMock."""
    return 'fetched %s' % url


def reject(obj):
    """Raise, keeping ``obj`` in this frame's locals."""
    raise ValueError('rejected %s' % type(obj).__name__)


@functools.lru_cache(maxsize=32)
def describe(obj, style='short'):
    """A cached function: a mock passed to it stays in its cache."""
    return '%s %s' % (style, type(obj).__name__)


@functools.cache
def remember(obj):
    """An unbounded cache whose result is its argument."""
    return obj


class Client:
    """A class whose methods get patched."""

    retries = 3

    def get(self, path):
        """Return a fake response for ``path``."""
        return 'GET %s' % path

    class Session:
        """A nested class (leaks into it must be found too)."""

        def close(self):
            """Close nothing."""
            return 'closed'


class Connection:
    """What the cached clients below hold: a session, which tests patch."""

    def __init__(self, session):
        self.session = session


class SlottedClient:
    """A client with ``__slots__``: no ``__dict__`` to read."""

    __slots__ = ('session', 'region')

    def __init__(self, session):
        self.session = session


# a module-level object with slots; its ``region`` is left unset
SLOTTED = SlottedClient('session')

# a named tuple: what a test puts in global state may be one
Endpoint = collections.namedtuple('Endpoint', ['url', 'session'])

_CONNECTION = None


def get_connection():
    """A module-level singleton, made on first use."""
    global _CONNECTION
    if _CONNECTION is None:
        _CONNECTION = Connection(Client.Session())
    return _CONNECTION


@functools.lru_cache()
def connection_for(name):
    """A bounded cache: one connection per name."""
    return Connection(Client.Session())


@functools.cache
def session_for(name, secure=True):
    """An unbounded cache, called with a keyword too."""
    return Client.Session()


class Service:
    """A singleton-style service object created at import time."""

    plugins = {}   # a class-level registry

    def __init__(self):
        self.name = 'service'

    def ping(self):
        """Answer a ping."""
        return 'pong'


SERVICE = Service()

REGISTRY = {}


class _ModelMeta(type):
    """A metaclass with a ``__repr__`` of its own (SQLAlchemy's have one)."""

    def __repr__(cls):
        cls.described.append('repr')
        return '<model %s>' % cls.__name__


class Model(metaclass=_ModelMeta):
    """A class used as a dict key (cinder's ``_GET_METHODS[models.X]``)."""

    described = []


# Containers that global state holds: a mock added to one is a leak too.
DRIVERS = {'volume': {'lvm': 'LVMDriver'}}
HANDLERS = ['log', 'audit']
SEEN = set()
QUEUE = collections.deque()
# where oslo.context keeps the current request context: _request_store
REQUEST_STORE = threading.local()
CONTEXT_STORE = REQUEST_STORE      # the same storage under a second name


class RequestContext:
    """Stores itself thread-locally when made, as oslo.context's does."""

    def __init__(self):
        REQUEST_STORE.context = self


class Limit:
    """A plain object that global state holds in a container."""

    def __init__(self, verb):
        self.verb = verb

    def get_time(self):
        """The time the limit is counted from."""
        return 0


# Objects in containers that global state holds: a mock set on one of them
# is seen by every later test too.
LIMITS = [Limit('GET'), Limit('POST')]
BACKENDS = {'lvm': Limit('PUT')}
DEFAULT_LIMITS = (Limit('HEAD'),)


class _Spooky:
    """A property that must never be triggered by the detector."""

    touched = 0

    @property
    def boom(self):
        type(self).touched += 1
        raise RuntimeError('the detector triggered a property')

    @property
    def __class__(self):
        type(self).touched += 1
        raise RuntimeError('the detector read __class__')


SPOOKY = _Spooky()

OPTS = [
    cfg.IntOpt('max_volume_size', default=100, help='A size.'),
    cfg.StrOpt('datastore_manager', default=None, help='A manager name.'),
    cfg.BoolOpt('debug_mode', default=False, help='A flag.'),
]
REDIS_OPTS = [
    cfg.BoolOpt('cluster_support', default=True, help='A group flag.'),
    cfg.IntOpt('port', default=6379, help='A group int.'),
]


def make_conf():
    """A fresh ConfigOpts with OPTS and a [redis] group, parsed empty."""
    conf = cfg.ConfigOpts()
    conf.register_opts(OPTS)
    conf.register_opts(REDIS_OPTS, group='redis')
    conf([], project='mocktools-tests', default_config_files=[])
    return conf


CONF = make_conf()
