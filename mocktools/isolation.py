"""Per-test isolation fixtures, honouring the usual OpenStack variables.

Each is a small ``fixtures.Fixture`` composed from the ``fixtures`` library;
use any of them with ``self.useFixture(...)`` in a testtools or oslotest
test, or let :class:`mocktools.TestCase` apply them (see its ``isolation``
class attribute).

``Timeout``
    ``OS_TEST_TIMEOUT`` seconds (0 or unset: the class default), times a
    scaling factor; gentle (raises in the test)
``CaptureOutput``
    ``OS_STDOUT_CAPTURE``, ``OS_STDERR_CAPTURE`` (true: capture into the
    ``stdout`` / ``stderr`` details)
``CaptureLogs``
    ``OS_LOG_CAPTURE`` (true: capture into the ``pythonlogging`` detail),
    ``OS_DEBUG`` (true or a level name: the level)
``TempHome``
    a temporary ``HOME`` and ``TMPDIR`` per test
``WarningFilters``
    warning filters restored after the test; ``errors=`` turns chosen
    warnings into errors

Captured output and logs are test details, shown when a test fails.
"""

import logging
import warnings

import fixtures

from mocktools.engine.settings import getenv

__all__ = ['CaptureLogs', 'CaptureOutput', 'TempHome', 'Timeout',
           'WarningFilters', 'env_flag']

_TRUE = ('1', 'true', 'yes', 'on')
#: The variables these fixtures read.
ENVIRONMENT = ('OS_TEST_TIMEOUT', 'OS_STDOUT_CAPTURE', 'OS_STDERR_CAPTURE',
               'OS_LOG_CAPTURE', 'OS_DEBUG')


def env_flag(name, environ=None):
    """True when environment variable ``name`` is set to a true value."""
    value = (getenv(name, '') if environ is None
             else environ.get(name, ''))
    return value.strip().lower() in _TRUE


class _Environ:
    """``os.environ`` read through the fast :func:`getenv`."""

    @staticmethod
    def get(name, default=None):
        return getenv(name, default)


class Timeout(fixtures.Fixture):
    """Fail a test that runs longer than ``OS_TEST_TIMEOUT`` seconds.

    ``default`` applies when the variable is unset or invalid;
    ``scaling_factor`` multiplies either (slow CI machines).  A timeout of
    0 disables it::

        self.useFixture(Timeout(default=60, scaling_factor=2))
    """

    def __init__(self, default=0, scaling_factor=1, environ=None):
        super().__init__()
        self.default = default
        self.scaling_factor = scaling_factor
        self.environ = environ if environ is not None else _Environ()

    @property
    def seconds(self):
        """The timeout that applies, in whole seconds (0: none)."""
        raw = self.environ.get('OS_TEST_TIMEOUT', '') or ''
        try:
            seconds = int(raw) if raw.strip() else self.default
        except ValueError:
            seconds = self.default
        return int(seconds * self.scaling_factor) if seconds > 0 else 0

    @property
    def active(self):
        """Whether a timeout applies."""
        return self.seconds > 0

    def _setUp(self):
        if self.seconds > 0:
            self.useFixture(fixtures.Timeout(self.seconds, gentle=True))


class CaptureOutput(fixtures.Fixture):
    """Capture stdout/stderr into test details when asked to.

    By default it follows ``OS_STDOUT_CAPTURE`` and ``OS_STDERR_CAPTURE``;
    pass ``stdout=True`` / ``stderr=True`` to force.  The captured text is
    in the ``stdout`` / ``stderr`` details, and ``fixture.text('stdout')``
    returns it while the fixture is in use.
    """

    def __init__(self, stdout=None, stderr=None):
        super().__init__()
        self.do_stdout = (env_flag('OS_STDOUT_CAPTURE') if stdout is None
                          else stdout)
        self.do_stderr = (env_flag('OS_STDERR_CAPTURE') if stderr is None
                          else stderr)
        self.stdout = self.stderr = None

    def text(self, name):
        """What was captured so far on ``'stdout'`` or ``'stderr'``."""
        stream = getattr(self, name)
        if stream is None:
            return ''
        stream.flush()
        return stream.buffer.getvalue().decode('utf8', 'replace')

    @property
    def active(self):
        """Whether anything is captured."""
        return bool(self.do_stdout or self.do_stderr)

    def _setUp(self):
        if self.do_stdout:
            self.stdout = self.useFixture(
                fixtures.StringStream('stdout')).stream
            self.useFixture(fixtures.MonkeyPatch('sys.stdout', self.stdout))
        if self.do_stderr:
            self.stderr = self.useFixture(
                fixtures.StringStream('stderr')).stream
            self.useFixture(fixtures.MonkeyPatch('sys.stderr', self.stderr))


class CaptureLogs(fixtures.Fixture):
    """Capture logging into the ``pythonlogging`` detail when asked to.

    Follows ``OS_LOG_CAPTURE`` (capture on/off) and ``OS_DEBUG`` (true:
    DEBUG, a level name: that level, else INFO) unless ``capture`` /
    ``level`` are given.  Without capture, only the root level is set (and
    restored).
    """

    def __init__(self, capture=None, level=None, fmt=None):
        super().__init__()
        self.capture = env_flag('OS_LOG_CAPTURE') if capture is None \
            else capture
        self.level = self._level_from_env() if level is None else level
        self.fmt = fmt or '%(asctime)s %(levelname)s [%(name)s] %(message)s'
        self.logger = None

    @staticmethod
    def _level_from_env():
        debug = getenv('OS_DEBUG', '').strip()
        if debug.lower() in _TRUE:
            return logging.DEBUG
        if debug and isinstance(logging.getLevelName(debug.upper()), int):
            return logging.getLevelName(debug.upper())
        return logging.INFO

    @property
    def active(self):
        """Whether it changes anything (capture on, or OS_DEBUG set)."""
        return bool(self.capture or getenv('OS_DEBUG'))

    def _setUp(self):
        if self.capture:
            self.logger = self.useFixture(fixtures.FakeLogger(
                level=self.level, format=self.fmt))
        elif getenv('OS_DEBUG'):
            root = logging.getLogger()
            self.addCleanup(root.setLevel, root.level)
            root.setLevel(self.level)


class TempHome(fixtures.Fixture):
    """A temporary ``HOME`` and temp directory (``TMPDIR``) for one test.

    ``fixture.path`` is the new home; files created through ``tempfile`` go
    to a directory removed at cleanup.
    """

    active = True

    def _setUp(self):
        self.useFixture(fixtures.NestedTempfile())
        self.path = self.useFixture(fixtures.TempHomeDir()).path


class WarningFilters(fixtures.Fixture):
    """Restore the warning filters after the test; optionally make some errors.

    ``errors`` is a list of categories or ``(category, message_regex)``
    pairs turned into errors for the test::

        self.useFixture(WarningFilters(errors=[DeprecationWarning]))
    """

    active = True

    def __init__(self, errors=()):
        super().__init__()
        self.errors = list(errors)

    def _setUp(self):
        saved_filters = warnings.filters[:]
        saved_show = warnings.showwarning
        self.addCleanup(self._restore, saved_filters, saved_show)
        for entry in self.errors:
            category, message = (entry if isinstance(entry, tuple)
                                 else (entry, ''))
            warnings.filterwarnings('error', message=message,
                                    category=category)

    @staticmethod
    def _restore(saved_filters, saved_show):
        warnings.filters[:] = saved_filters
        warnings.showwarning = saved_show
        # the module caches filter decisions; tell it they changed
        mutated = getattr(warnings, '_filters_mutated', None)
        if mutated is not None:
            mutated()
