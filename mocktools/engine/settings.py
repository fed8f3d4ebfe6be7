"""The leak detector's knobs: class attributes, overridable by environment.

=====================  ==========================  ===========================
class attribute        environment variable        values (default first)
=====================  ==========================  ===========================
``leak_mode``          ``MOCKTOOLS_LEAK_MODE``     ``fail``, ``warn``, ``off``
``leak_fail_fast``     ``MOCKTOOLS_FAIL_FAST``     false, true: skip the rest
                                                   of the class after a leak
``leak_allow``         ``MOCKTOOLS_ALLOW``         patterns of paths mocked on
                                                   purpose (``*``, ``?``)
``leak_scan``          ``MOCKTOOLS_SCAN``          ``auto``, ``class``,
                                                   ``always``, ``off``
``leak_require_stop``  ``MOCKTOOLS_REQUIRE_STOP``  false, true: also report
                                                   patchers that only
                                                   ``mock.patch.stopall``
                                                   stopped
``leak_guards``        ``MOCKTOOLS_GUARDS``        a mode per guard, e.g.
                                                   ``threads=warn,
                                                   logging=off``; unnamed
                                                   guards follow ``leak_mode``
``leak_thread_grace``  ``MOCKTOOLS_THREAD_GRACE``  ``0.5``: seconds a test's
                                                   threads get to finish
                                                   before they are reported
=====================  ==========================  ===========================

The environment wins over the class, so CI can enforce ``fail`` without
editing base classes; allow-lists from both are combined, and so are guard
modes (the environment's win, guard by guard).  ``MOCKTOOLS_ALLOW`` and
``MOCKTOOLS_GUARDS`` are comma-separated; ``leak_guards`` may also be a dict.
The guards are listed in :mod:`mocktools.guards` (``mocks`` is the
dangling-mock check itself); the allow-list applies to what every guard
reports (``os.environ['OS_*']``, ``logging.getLogger('stevedore*``).

The ``MOCKTOOLS_*`` variables are read once, when checking starts (the first
check in the process), and validated then: a bad value is one
:class:`SettingsError` naming the variable, the value and the values it
accepts.  A test that patches, clears or replaces ``os.environ``, or sets a
``MOCKTOOLS_*`` variable, changes nothing; :func:`reload_environment` reads
them again (for tools and mocktools' own tests).

In allow patterns ``*`` matches anything and ``?`` one character; everything
else is literal, so ``sys.modules['fake_*']`` and ``myproj.rpc.*`` work as
written.

``leak_scan`` chooses when global state is swept for mocks stored without a
patcher (patchers are always checked, at no cost): ``auto`` sweeps after a
test or class that imported modules, or that created a mock outside a
patcher which may have escaped (a reference to it that the test's own
objects do not account for, see :mod:`mocktools.engine.escape`);
``class`` defers those sweeps to the end of the class (the class fails,
naming the test that created each mock); ``always`` sweeps after every
test and class (slowest; also catches at once a mock that existed before
the test and was stored during it); ``off`` checks patchers only.

A patcher is a leak when it is still active after the test's tearDown and
all of its cleanups -- ``mock.patch.stopall`` among them, which oslotest
registers for every test.  ``leak_require_stop`` makes patchers that only
``stopall`` stopped leaks too (every patcher stopped explicitly, as Trove's
guidelines ask).
"""

import functools
import os
import re

from mocktools.engine import instrumentation

__all__ = ['LeakSettings', 'SettingsError', 'environment',
           'reload_environment']

MODES = ('fail', 'warn', 'off')
SCANS = ('auto', 'class', 'always', 'off')
_TRUE = ('1', 'true', 'yes', 'on')
_FALSE = ('0', 'false', 'no', 'off', '')


class SettingsError(ValueError):
    """A knob was given a value it does not accept (the message names it)."""


def _choice(name, value, choices):
    value = str(value).strip().lower()
    if value not in choices:
        raise SettingsError('%s=%r: expected one of %s' % (
            name, value, ', '.join(choices)))
    return value


def _flag(name, value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingsError('%s=%r: expected true or false' % (name, value))


def _seconds(name, value):
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1
    if not seconds >= 0:
        raise SettingsError('%s=%r: expected a number of seconds (0 or more)'
                            % (name, value))
    return seconds


def _guards(name, value):
    """``{guard: mode}`` from a dict or ``'guard=mode,...'`` (validated)."""
    from mocktools import guards
    if not value:
        return {}
    if isinstance(value, str) or not hasattr(value, 'items'):
        pairs = []
        for item in (value.split(',') if isinstance(value, str) else value):
            item = item.strip()
            if not item:
                continue
            guard, sep, mode = item.partition('=')
            if not sep:
                raise SettingsError(
                    '%s=%r: expected guard=mode pairs, like threads=warn'
                    % (name, value))
            pairs.append((guard.strip(), mode.strip()))
    else:
        pairs = list(value.items())
    known = guards.names()
    modes = {}
    for guard, mode in pairs:
        if guard not in known:
            raise SettingsError('%s: unknown guard %r; the guards are %s' % (
                name, guard, ', '.join(known)))
        modes[guard] = _choice('%s[%s]' % (name, guard), mode, MODES)
    return modes


def _patterns(value):
    if not value:
        return ()
    if isinstance(value, str):
        value = value.split(',')
    return tuple(item.strip() for item in value if item and item.strip())


@functools.lru_cache(maxsize=256)
def _compile(pattern):
    body = re.escape(pattern).replace(r'\*', '.*').replace(r'\?', '.')
    return re.compile(body + r'\Z')


# os.environ.get() takes the exception path for a missing key (about a
# microsecond each, on every test); its backing dict answers in nanoseconds.
_environ_data = getattr(os.environ, '_data', None)
if isinstance(_environ_data, dict) and os.name == 'posix':
    _encoded = {}

    def getenv(name, default=None):
        """``os.environ.get(name, default)``, fast for missing names."""
        key = _encoded.get(name)
        if key is None:
            key = _encoded[name] = os.environ.encodekey(name)
        value = _environ_data.get(key)
        return default if value is None else os.environ.decodevalue(value)
else:  # pragma: no cover - non-POSIX
    def getenv(name, default=None):
        """``os.environ.get(name, default)``."""
        return os.environ.get(name, default)


def environment_reader(names):
    """A zero-argument function returning the raw values of ``names``.

    For cache keys: it runs at C speed, and what it returns only has to
    change when one of the variables does.
    """
    if isinstance(_environ_data, dict) and os.name == 'posix':
        keys = tuple(os.environ.encodekey(name) for name in names)
        get = _environ_data.get
        return lambda: tuple(map(get, keys))
    return lambda: tuple(map(os.environ.get, names))  # pragma: no cover


# attribute, environment variable, default, parser
_KNOBS = (
    ('leak_mode', 'MOCKTOOLS_LEAK_MODE', 'fail',
     lambda name, value: _choice(name, value, MODES)),
    ('leak_fail_fast', 'MOCKTOOLS_FAIL_FAST', False, _flag),
    ('leak_scan', 'MOCKTOOLS_SCAN', 'auto',
     lambda name, value: _choice(name, value, SCANS)),
    ('leak_require_stop', 'MOCKTOOLS_REQUIRE_STOP', False, _flag),
    ('leak_guards', 'MOCKTOOLS_GUARDS', None, _guards),
    ('leak_thread_grace', 'MOCKTOOLS_THREAD_GRACE', 0.5, _seconds),
)
ALLOW_VARIABLE = 'MOCKTOOLS_ALLOW'

_environment = None   # the knobs read from the environment, or the error
_generation = 0       # bumped by every read, so cached settings are redone


def reload_environment():
    """Read and validate the ``MOCKTOOLS_*`` variables now; return them.

    Returns ``{variable: value}`` of those set to a non-empty value.  A bad
    value raises :class:`SettingsError` (and keeps raising it from
    :func:`environment` until the next successful reload).
    """
    global _environment, _generation
    _generation += 1
    values = {}
    try:
        for _, variable, _, parse in _KNOBS:
            value = getenv(variable, '')
            if value.strip() != '':
                parse(variable, value)   # one clear error, at start-up
                values[variable] = value
        allow = getenv(ALLOW_VARIABLE, '')
        if allow.strip():
            values[ALLOW_VARIABLE] = allow
    except SettingsError as exc:
        _environment = exc
        raise
    _environment = values
    return values


def environment():
    """The ``MOCKTOOLS_*`` values as read when checking started.

    The first call reads them (:func:`reload_environment`).
    """
    values = _environment
    if values is None:
        return reload_environment()
    if isinstance(values, SettingsError):
        raise values
    return values


class LeakSettings:
    """Resolved knobs for one test class (see the module docstring)."""

    __slots__ = ('mode', 'fail_fast', 'allow', 'scan', 'require_stop',
                 'guards', 'thread_grace')

    def __init__(self, mode='fail', fail_fast=False, allow=(), scan='auto',
                 require_stop=False, guards=None, thread_grace=0.5,
                 _names=('leak_mode', 'leak_fail_fast', 'leak_scan',
                         'leak_require_stop', 'leak_guards',
                         'leak_thread_grace')):
        self.mode = _choice(_names[0], mode, MODES)
        self.fail_fast = _flag(_names[1], fail_fast)
        self.allow = _patterns(allow)
        self.scan = _choice(_names[2], scan, SCANS)
        self.require_stop = _flag(_names[3], require_stop)
        if self.require_stop:
            instrumentation.follow_stopall()
        #: ``{guard: mode}`` of the guards not following ``mode``
        self.guards = _guards(_names[4], guards)
        self.thread_grace = _seconds(_names[5], thread_grace)

    def guard_mode(self, name):
        """``fail``, ``warn`` or ``off`` for the guard called ``name``."""
        return self.guards.get(name, self.mode)

    def allows(self, path):
        """True when ``path`` matches a pattern of the allow-list."""
        return any(_compile(pattern).match(path) for pattern in self.allow)

    @classmethod
    def for_class(cls, owner):
        """:meth:`resolve` for the class ``owner``, cached on the class.

        The cache is redone after :func:`reload_environment`.
        """
        cached = owner.__dict__.get('_mocktools_settings')
        if cached is not None and cached[0] == _generation:
            return cached[1]
        settings = cls.resolve(owner)
        type.__setattr__(owner, '_mocktools_settings',
                         (_generation, settings))
        return settings

    @classmethod
    def resolve(cls, owner=None, environ=None):
        """Settings from ``owner``'s ``leak_*`` attributes and the environment.

        ``environ`` is a mapping of ``MOCKTOOLS_*`` variables; by default
        the values read when checking started (:func:`environment`).  A bad
        value raises :class:`SettingsError` naming the attribute or the
        environment variable it came from.
        """
        env = environment() if environ is None else environ
        values, names = [], []
        for attribute, variable, default, _ in _KNOBS:
            if attribute == 'leak_guards':
                # merged guard by guard: the environment's modes win
                guards = dict(_guards(attribute, getattr(owner, attribute,
                                                         None)))
                guards.update(_guards(variable, env.get(variable)))
                values.append(guards)
                names.append(variable if env.get(variable) else attribute)
            elif str(env.get(variable, '')).strip() != '':
                values.append(env[variable])
                names.append(variable)
            else:
                values.append(getattr(owner, attribute, default))
                names.append(attribute)
        allow = _patterns(getattr(owner, 'leak_allow', ())) + _patterns(
            env.get(ALLOW_VARIABLE))
        return cls(values[0], values[1], allow, values[2], values[3],
                   values[4], values[5], tuple(names))
