"""Guard: loggers' handlers, levels, ``disabled``, ``propagate``; ``disable``.

``Logger.addHandler``/``removeHandler``, attribute writes on loggers
(``setLevel``, ``logger.disabled = True``, ``logging.config`` applying a
configuration) and ``logging.disable`` are hooked, so a test that configures
no logging costs nothing.  ``fixtures.FakeLogger``, oslotest's and
mocktools' log capture undo what they did through the same calls, so they
are seen as restoring it.  Handler lists changed in place
(``logger.handlers.append(h)``) are not seen.

pytest's own handlers (log capture, live logging), which it adds and
removes around every test phase, are left out of every comparison and
kept when handlers are restored (adding or removing one records nothing);
so is a ``logging.NullHandler``: it emits
nothing, and adding one to its logger is how a library configures logging
for itself, often on first use (openstacksdk, when a connection is first
made), which no test is to blame for.

A library writing a logger of its own package (``retrying`` turning its
logger's ``propagate`` off the first time it is used) configures the
process, as its import would: not a change either.  Test code writing the
loggers of its project is the test's doing, and is reported.

``logging.basicConfig`` is not a change: it configures the process once
(it does nothing while the root logger has a handler), and oslotest calls
it in every test's ``setUp`` when ``OS_LOG_CAPTURE`` is off.
"""

import logging

from mocktools.guards import base

__all__ = ['LoggersGuard']

_ATTRIBUTES = ('level', 'disabled', 'propagate', 'handlers')


class LoggersGuard(base.JournalGuard):
    """Logger configuration a test changed and left, put back."""

    name = 'logging'
    title = ('logging: handlers, levels, disabled and propagate of every '
             'logger; logging.disable')

    _configuring = 0   # > 0 while logging.basicConfig runs

    def record(self, key, previous, subject=None, depth=3):
        if self._configuring or _configures_its_own(subject, depth):
            self.unblamed(key, previous, subject)
        else:
            super().record(key, previous, subject, depth)

    def install(self):
        guard = self

        def basic_config_hook(original):
            def basicConfig(**kwargs):
                guard._configuring += 1
                try:
                    return original(**kwargs)
                finally:
                    guard._configuring -= 1
            basicConfig.__doc__ = original.__doc__
            return basicConfig

        def setattr_hook(original):
            def __setattr__(self, name, value):
                state = self.__dict__
                if name in _ATTRIBUTES and name in state:
                    old = state[name]
                    guard.record((id(self), name), _handlers(old) if (
                        name == 'handlers') else old, self)
                return original(self, name, value)
            return __setattr__

        def handlers_hook(original):
            def change_handlers(self, handler):
                handlers = self.__dict__.get('handlers')
                # A handler left out of every comparison changes nothing
                # compared: pytest adds and removes two in every phase of
                # every test, and finding who wrote cost a frame walk each.
                if isinstance(handlers, list) and not _kept(handler):
                    guard.record((id(self), 'handlers'), _handlers(handlers),
                                 self)
                return original(self, handler)
            change_handlers.__name__ = original.__name__
            change_handlers.__doc__ = original.__doc__
            return change_handlers

        def disable_hook(original):
            def disable(level=logging.CRITICAL):
                manager = logging.Logger.manager
                guard.record(('manager', 'disable'), _read(manager,
                                                           'disable'),
                             manager)
                return original(level)
            disable.__doc__ = original.__doc__
            return disable

        if '__setattr__' not in vars(logging.Logger):
            base.hook_missing(logging.Logger, '__setattr__', setattr_hook,
                              object.__setattr__)
        base.hook(logging.Logger, 'addHandler', handlers_hook)
        base.hook(logging.Logger, 'removeHandler', handlers_hook)
        base.hook(logging, 'disable', disable_hook)
        base.hook(logging, 'basicConfig', basic_config_hook)

    def current(self, key, subject):
        return _read(subject, key[1])

    @staticmethod
    def show(value):
        if type(value) is tuple:
            return '[%s]' % ', '.join(base.safe_repr(item, 60)
                                      for item in value)
        if type(value) is int:
            return logging.getLevelName(value) if value else 'NOTSET'
        return base.safe_repr(value)

    def describe(self, key, old, new, subject=None):
        attribute = key[1]
        if key[0] == 'manager':
            return 'logging.disable', 'logging disabled' if new else (
                'logging.disable cleared')
        name = vars(subject).get('name')
        logger = 'logging.root' if subject is logging.root else (
            'logging.getLogger(%r)' % (name,))
        if attribute == 'handlers':
            before, after = set(map(id, old)), set(map(id, new))
            added = [h for h in new if id(h) not in before]
            removed = [h for h in old if id(h) not in after]
            kind = ', '.join(filter(None, (
                'handler added' if added else '',
                'handler removed' if removed else ''))) or 'handlers reordered'
            return '%s.handlers' % logger, 'logging %s' % kind
        return '%s.%s' % (logger, attribute), 'logger %s changed' % attribute

    def put(self, key, value, subject):
        attribute = key[1]
        if key[0] == 'manager':
            base.original(logging, 'disable')(value)
            return 'logging.disable(%s)' % self.show(value)
        if attribute == 'handlers':
            handlers = subject.__dict__.get('handlers')
            kept = [handler for handler in handlers or ()
                    if _kept(handler)]
            if isinstance(handlers, list):
                handlers[:] = list(value) + kept
            else:
                object.__setattr__(subject, 'handlers', list(value) + kept)
        else:
            object.__setattr__(subject, attribute, value)
        manager = vars(logging.Logger).get('manager')
        clear = getattr(manager, '_clear_cache', None)
        if clear is not None:
            clear()   # levels are cached per logger
        return 'set back to %s' % self.show(value)


def _configures_its_own(logger, depth):
    """Whether a library is writing ``logger``, a logger of its own package.

    retrying, the first time it is used, gives its logger a
    ``NullHandler`` and turns its ``propagate`` off; that configures the
    process, as a library's import does, and the test that first used it
    is not to blame.  A write by test code (a module of a ``tests``
    package, ``test_*``, ``conftest``) is the test's, whatever it writes;
    the root logger belongs to no library.
    """
    if not isinstance(logger, logging.Logger) or logger is logging.root:
        return False
    name = vars(logger).get('name')
    if type(name) is not str:
        return False
    module = base.writer_frame(depth + 1).f_globals.get('__name__')
    if type(module) is not str or (
            module.partition('.')[0] != name.partition('.')[0]):
        return False
    return not any(part in ('test', 'tests', 'conftest')
                   or part.startswith('test_') for part in module.split('.'))


def _kept(handler):
    """Whether ``handler`` is left out of comparisons and never removed.

    pytest's own, and an exact ``logging.NullHandler``.
    """
    kind = type(handler)
    if kind is logging.NullHandler:
        return True
    module = vars(kind).get('__module__')
    return isinstance(module, str) and module.startswith('_pytest')


def _handlers(handlers):
    """The handlers of a list, those :func:`_kept` left out."""
    return tuple(handler for handler in handlers if not _kept(handler))


def _read(subject, attribute):
    if attribute == 'disable':
        # Manager.disable is a property over _disable (3.7+)
        state = vars(subject)
        return state.get('_disable', state.get('disable', 0))
    value = vars(subject).get(attribute, base.MISSING)
    return _handlers(value) if type(value) is list else value
