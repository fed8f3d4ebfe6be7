"""Guard: threads a test started that are still running when it ends.

The registry of running threads (``threading._active``, a small dict) is
copied at the start of each scope and compared at its end; ``Thread.start``
is hooked only to note where each thread was started.  A new thread still
alive is given a grace period to finish (``leak_thread_grace`` seconds,
shared by all of a scope's threads) before it is reported.  A thread cannot
be stopped from outside, so it is only reported, once.
"""

import threading
import time
import weakref

from mocktools.guards import base

__all__ = ['ThreadsGuard']


class ThreadsGuard(base.SnapshotGuard):
    """Threads started in a scope and still alive at its end (reported)."""

    name = 'threads'
    title = 'threads started and still running'

    #: Seconds a scope's new threads get to finish before they are reported
    #: (set by the detector from ``leak_thread_grace``).
    grace = 0.5

    def __init__(self):
        self._started_at = weakref.WeakKeyDictionary()

    def install(self):
        started_at = self._started_at

        def start_hook(original):
            def start(self):
                origin = base.state_origin()
                if isinstance(origin, base.instrumentation.Origin):
                    try:
                        started_at[self] = origin
                    except TypeError:   # not weakly referenceable
                        pass
                return original(self)
            start.__doc__ = original.__doc__
            return start
        base.hook(threading.Thread, 'start', start_hook)

    def snapshot(self):
        return dict(threading._active)

    def compare(self, clean, before):
        now = self.snapshot()
        if now == before:
            return []
        new = [thread for ident, thread in now.items()
               if before.get(ident) is not thread
               and clean.get(ident) is not thread
               and type(thread) is not threading._DummyThread
               and thread is not threading.main_thread()]
        deadline = time.monotonic() + self.grace
        changes = []
        for thread in new:
            thread.join(max(deadline - time.monotonic(), 0))
            if thread.is_alive():
                change = self._change(vars(thread).get('_ident'),
                                      base.MISSING, thread,
                                      self._started_at.get(thread), thread)
                changes.append(change)
        return changes

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
        return 'thread %r' % vars(new).get('_name'), 'thread still running'

    def put(self, key, value):
        return ('not undone: a thread cannot be stopped from outside; join '
                'it in a cleanup')
