"""Guard: threads a test started that are still running when it ends.

``Thread.start`` is hooked: each start is noted with where it happened, so
a test that starts no thread costs nothing.  At the end of the scope, a
thread it started that is still alive is given a grace period to finish
(``leak_thread_grace`` seconds, shared by all of a scope's threads) before
it is reported.  A thread cannot be stopped from outside, so it is only
reported, once.  Threads started without ``threading.Thread`` (``_thread``)
are not seen.
"""

import threading
import time

from mocktools.guards import base

__all__ = ['ThreadsGuard']


class ThreadsGuard(base.JournalGuard):
    """Threads started in a scope and still alive at its end (reported)."""

    name = 'threads'
    title = 'threads started and still running'

    #: Seconds a scope's new threads get to finish before they are reported
    #: (set by the detector from ``leak_thread_grace``).
    grace = 0.5

    def install(self):
        guard = self

        def start_hook(original):
            def start(self):
                guard.record(id(self), base.MISSING, self)
                return original(self)
            start.__doc__ = original.__doc__
            return start
        base.hook(threading.Thread, 'start', start_hook)

    def compare(self, clean, before):
        self._deadline = time.monotonic() + self.grace
        return super().compare(clean, before)

    def current(self, key, thread):
        thread.join(max(self._deadline - time.monotonic(), 0))
        return thread if thread.is_alive() else base.MISSING

    @staticmethod
    def show(value):
        if value is base.MISSING:
            return '<not running>'
        state = vars(value)
        target = state.get('_target')
        name = getattr(target, '__qualname__', None) or base.safe_repr(
            target, 60) if target is not None else type(value).__qualname__
        return 'running (target %s%s)' % (
            name, ', daemon' if state.get('_daemonic') else '')

    def describe(self, key, old, new, subject=None):
        return 'thread %r' % vars(subject).get('_name'), \
            'thread still running'

    def put(self, key, value, subject):
        return ('not undone: a thread cannot be stopped from outside; join '
                'it in a cleanup')
