"""Guard: the working directory and the umask.

``os.chdir``, ``os.fchdir`` and ``os.umask`` are hooked (``contextlib.chdir``
and pytest's ``monkeypatch.chdir`` call them), so an unchanged test costs
nothing: ``os.getcwd()`` alone would cost half a microsecond per test, and
the umask cannot be read without setting it.
"""

import os

from mocktools.guards import base

__all__ = ['WorkingDirGuard']


class WorkingDirGuard(base.JournalGuard):
    """``os.chdir`` and ``os.umask`` left changed, put back."""

    name = 'working_dir'
    title = 'the working directory (os.chdir) and the umask (os.umask)'

    _umask = base.MISSING   # the umask as last set through the hook

    def install(self):
        guard = self

        def chdir_hook(original):
            def chdir(path):
                guard.record('cwd', _getcwd())
                return original(path)
            chdir.__name__ = original.__name__   # chdir or fchdir
            chdir.__doc__ = original.__doc__
            return chdir

        def umask_hook(original):
            def umask(mask):
                previous = original(mask)
                guard.record('umask', previous)
                guard._umask = mask
                return previous
            umask.__doc__ = original.__doc__
            return umask
        base.hook(os, 'chdir', chdir_hook)
        if 'fchdir' in vars(os):
            base.hook(os, 'fchdir', chdir_hook)
        base.hook(os, 'umask', umask_hook)

    def current(self, key, subject):
        return _getcwd() if key == 'cwd' else self._umask

    @staticmethod
    def show(value):
        if type(value) is int:
            return '0o%03o' % value
        return base.safe_repr(value)

    def describe(self, key, old, new, subject=None):
        if key == 'cwd':
            return 'os.getcwd()', 'working directory changed'
        return 'os.umask()', 'umask changed'

    def put(self, key, value, subject):
        if key == 'cwd':
            if value is base.MISSING:
                return 'not restored (the previous directory was unknown)'
            base.original(os, 'chdir')(value)
            return 'os.chdir(%r)' % value
        base.original(os, 'umask')(value)
        self._umask = value
        return 'os.umask(%s)' % self.show(value)


def _getcwd():
    try:
        return os.getcwd()
    except OSError:   # the directory was removed
        return base.MISSING
