"""Guard: threads a test started that are still running when it ends.

``Thread.start`` is hooked: each start is noted with where it happened, so
a test that starts no thread costs nothing.  At the end of the scope, a
thread it started that is still alive is given a grace period to finish
(``leak_thread_grace`` seconds, shared by all of a scope's threads) before
it is reported.  A thread cannot be stopped from outside, so it is only
reported, once.  Threads started without ``threading.Thread`` (``_thread``)
are not seen.

An idle worker of a ``concurrent.futures.ThreadPoolExecutor`` the test
left open waits for work until its executor shuts down: it gets a short
moment (for a shutdown under way), not the whole grace period, which every
such test would otherwise pay in full.  It is told by the code its thread
runs now (``sys._current_frames``), looked at again while it runs a work
item; eventlet's green threads keep the whole grace period.
"""

import sys
import threading
import time
import types

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
        loop = _pool_worker_loop(thread)
        if loop is None:
            thread.join(max(self._deadline - time.monotonic(), 0))
        else:
            # a worker may finish the item it runs, then wait for the next
            while thread.is_alive():
                timeout = self._deadline - time.monotonic()
                if timeout <= 0:
                    break
                if _runs_now(thread, loop):
                    thread.join(min(timeout, _IDLE_WORKER_WAIT))
                    break
                thread.join(min(timeout, _WORKER_POLL))
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


# Seconds an idle executor worker gets: its executor's shutdown, if one is
# under way, wakes it at once; and how often a busy one is looked at again.
_IDLE_WORKER_WAIT = 0.02
_WORKER_POLL = 0.05


def _pool_worker_loop(thread):
    """The code of the thread pool's worker loop if ``thread`` runs it.

    Read from the thread's ``__dict__`` and the loaded
    ``concurrent.futures.thread`` module's namespace: nothing is imported
    and nothing of the thread's is called.
    """
    module = sys.modules.get('concurrent.futures.thread')
    loop = vars(module).get('_worker') if module is not None else None
    if type(loop) is not types.FunctionType or (
            vars(thread).get('_target') is not loop):
        return None
    return loop.__code__


def _runs_now(thread, code):
    """Whether ``thread``'s innermost frame runs ``code`` (an OS thread's).

    The pool's worker loop is innermost only while it waits on its work
    queue: a work item runs in frames of its own.  eventlet's green
    threads have no frame there, so they are never idle to this test.
    """
    current_frames = getattr(sys, '_current_frames', None)
    if current_frames is None:   # pragma: no cover - not CPython
        return False
    frame = current_frames().get(vars(thread).get('_ident'))
    return frame is not None and frame.f_code is code
