"""What mocktools checks after every test: one guard per kind of state.

=====================  ======================================================
guard                  what a test must not leave changed
=====================  ======================================================
``mocks``              patchers left active, mocks left in global state
                       (:mod:`~mocktools.guards.mocks`)
``config``             oslo.config overrides and defaults
                       (:mod:`~mocktools.guards.config_overrides`)
``environ``            ``os.environ`` (:mod:`~mocktools.guards.environ`)
``logging``            loggers' handlers, levels, ``disabled``,
                       ``propagate``; ``logging.disable``
                       (:mod:`~mocktools.guards.loggers`)
``import_path``        ``sys.path``, ``sys.meta_path``
                       (:mod:`~mocktools.guards.import_path`)
``working_dir``        the working directory, the umask
                       (:mod:`~mocktools.guards.working_dir`)
``threads``            threads still running (reported, not undone)
                       (:mod:`~mocktools.guards.threads`)
``mock_library``       attributes of ``unittest.mock`` / ``mock`` and their
                       classes (:mod:`~mocktools.guards.mock_library`)
``warning_filters``    ``warnings`` filters, ``showwarning``
                       (:mod:`~mocktools.guards.warning_filters`)
``signal_handlers``    signal handlers
                       (:mod:`~mocktools.guards.signal_handlers`)
``socket_timeout``     ``socket.setdefaulttimeout``
                       (:mod:`~mocktools.guards.socket_timeout`)
=====================  ======================================================

Every guard implements the interface of :class:`~mocktools.guards.base.Guard`
(baseline, compare, describe, restore).  The detector
(:mod:`mocktools.engine.detector`) drives them all through the same scopes, and
every integration -- :class:`mocktools.TestCase`, the ``LeakCheck`` fixture,
``mocktools.run``, ``MOCKTOOLS_CHECK=1``, the pytest plugin -- reports what
they find the same way.  Each guard is switched by name (``leak_guards``,
``MOCKTOOLS_GUARDS``, the ``mocktools_guards`` ini option; see
:mod:`mocktools.engine.settings`).
"""

import importlib

__all__ = ['GUARDS', 'names', 'state_guards']

#: Guard name -> (module, class), in report order.
GUARDS = {
    'mocks': ('mocks', 'MockGuard'),
    'config': ('config_overrides', 'ConfigOverridesGuard'),
    'environ': ('environ', 'EnvironGuard'),
    'logging': ('loggers', 'LoggersGuard'),
    'import_path': ('import_path', 'ImportPathGuard'),
    'working_dir': ('working_dir', 'WorkingDirGuard'),
    'threads': ('threads', 'ThreadsGuard'),
    'mock_library': ('mock_library', 'MockLibraryGuard'),
    'warning_filters': ('warning_filters', 'WarningFiltersGuard'),
    'signal_handlers': ('signal_handlers', 'SignalHandlersGuard'),
    'socket_timeout': ('socket_timeout', 'SocketTimeoutGuard'),
}


def names():
    """Every guard's name, in report order."""
    return tuple(GUARDS)


def guard_class(name):
    """The class of the guard called ``name``."""
    module, cls = GUARDS[name]
    return getattr(importlib.import_module('mocktools.guards.' + module), cls)


def state_guards():
    """A new instance of every guard but ``mocks``, in report order."""
    return [guard_class(name)() for name in GUARDS if name != 'mocks']
