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
runs now: the frame its worker loop calls is its work queue's ``get`` (or
none, for the C queue), and it is looked at again while it runs a work
item.  An OS thread's frames come from ``sys._current_frames``; an
eventlet green thread's from its greenlet, found among the waiters its work
queue holds (a green thread's ident is its greenlet's ``id``).

A worker still idle whose executor still exists gets one collection of the
garbage (once per check, and only then): an executor that only a reference
cycle keeps (asgiref's per-call executor, held by the frames of a
traceback) stops its workers when it is freed, and nobody left it running.
The young generations are collected first, then, if the worker still
waits, all of them, until three full collections in a row freed nothing (a
suite whose tests keep their pools).

A worker of a ``futurist.ThreadPoolExecutor`` (oslo.service's looping
calls make one per call and never shut it down) is told to stop as soon as
its executor is freed, and stops at its next look at its queue, up to a
second later: one that waits there and was told so is finished, not left
running.  Its executor is collected for in the same way.
"""

import gc
import sys
import threading
import time
import types
import weakref

from mocktools.guards import base

__all__ = ['ThreadsGuard']


class ThreadsGuard(base.JournalGuard):
    """Threads started in a scope and still alive at its end (reported)."""

    name = 'threads'
    title = 'threads started and still running'

    #: Seconds a scope's new threads get to finish before they are reported
    #: (set by the detector from ``leak_thread_grace``).
    grace = 0.5

    _collected = False   # collected for an idle worker in this check
    _futile = 0          # full collections in a row that freed none

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
        self._collected = False
        return super().compare(clean, before)

    def current(self, key, thread):
        loop = _pool_worker_loop(thread)
        if loop is None:
            state = _futurist_worker_state(thread)
            if state is not None:
                return self._futurist_worker(thread, state)
            _join(thread, max(self._deadline - time.monotonic(), 0))
        else:
            # a worker may finish the item it runs, then wait for the next
            while thread.is_alive():
                timeout = self._deadline - time.monotonic()
                if timeout <= 0:
                    break
                if _runs_now(thread, loop):
                    _join(thread, min(timeout, _IDLE_WORKER_WAIT))
                    if (thread.is_alive() and not self._collected
                            and _executor_alive(thread)
                            and gc.isenabled()):
                        self._collect_garbage(thread)
                    break
                _join(thread, min(timeout, _WORKER_POLL))
        return thread if thread.is_alive() else base.MISSING

    def _futurist_worker(self, thread, state):
        """``thread``, a futurist pool worker, if it is left running.

        One that waits on its queue ends by itself once told to stop (its
        executor was freed), at its next look, up to a second later; told
        nothing after a collection, it waits for good.  A busy one gets
        the grace period.  ``idle`` is the worker's own mark, set while it
        waits.
        """
        while thread.is_alive():
            if state.get('idle') is True:
                if (not _told_to_stop(state) and not self._collected
                        and gc.isenabled()):
                    self._collect_garbage(
                        thread, stopped=lambda: _told_to_stop(state))
                return base.MISSING if _told_to_stop(state) else thread
            timeout = self._deadline - time.monotonic()
            if timeout <= 0:
                break
            _join(thread, min(timeout, _WORKER_POLL))
        return thread if thread.is_alive() else base.MISSING

    def _collect_garbage(self, thread, stopped=None):
        """Collect once; wait a moment for the idle worker ``thread``.

        An executor nothing refers to but a cycle (the frames of a
        traceback: asgiref's per-call executor after an error, the
        drivers of cinder's Hitachi tests) stops its workers once
        collected.  The young generations first, which free most; then,
        if the worker still waits, a full collection, which costs a large
        process more than a test: after :data:`_FUTILE_COLLECTIONS` in a
        row that left the worker running (a suite whose tests keep their
        pools), no more of those.  ``stopped()`` tells whether the worker
        is done; by default, whether it ended within a moment.
        """
        if stopped is None:
            def stopped():
                _join(thread, _IDLE_WORKER_WAIT)
                return not thread.is_alive()
        self._collected = True
        gc.collect(1)
        if not stopped() and self._futile < _FUTILE_COLLECTIONS:
            gc.collect()
            self._futile = 0 if stopped() else self._futile + 1

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


def _join(thread, seconds):
    """``thread.join(seconds)``, which returns when the time is up.

    Under eventlet on Python 3.13 a green thread's join raises eventlet's
    ``Timeout`` (a ``BaseException``) instead of returning, which would end
    the whole run.  Only that timeout, for this call's ``seconds``, is
    taken as the time being up; any other exception goes on.
    """
    try:
        thread.join(seconds)
    except BaseException as error:
        module = sys.modules.get('eventlet.timeout')
        timeout = vars(module).get('Timeout') if module is not None else None
        if not (type(timeout) is type and issubclass(type(error), timeout)
                and vars(error).get('seconds') == seconds):
            raise


# Full collections in a row that freed no idle worker, after which an idle
# worker gets a collection of the young generations only (see
# ThreadsGuard._collect_garbage).
_FUTILE_COLLECTIONS = 3

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


def _futurist_worker_state(thread):
    """The ``__dict__`` of ``thread`` if it is a futurist pool worker.

    Told by its class, found in the loaded ``futurist._thread`` module's
    namespace: nothing is imported and nothing of the thread's is called.
    """
    module = sys.modules.get('futurist._thread')
    worker = vars(module).get('ThreadWorker') if module is not None else None
    if type(worker) is not type or not issubclass(type(thread), worker):
        return None
    return vars(thread)


def _told_to_stop(state):
    """Whether the futurist worker whose ``__dict__`` is ``state`` stops.

    Its executor was freed (the worker's weak reference to it is dead,
    and its callback set ``should_stop``), or someone stopped it: the
    worker ends at its next look at its queue.
    """
    if state.get('should_stop') is True:
        return True
    reference = state.get('executor_ref')
    return type(reference) is weakref.ReferenceType and reference() is None


def _executor_alive(thread):
    """Whether the executor of pool worker ``thread`` still exists.

    The worker's first argument is a weak reference to its executor, whose
    callback wakes the worker to exit when the executor is freed.
    """
    arguments = vars(thread).get('_args')
    reference = arguments[0] if type(arguments) is tuple and arguments else (
        None)
    return type(reference) is weakref.ReferenceType and (
        reference() is not None)


def _runs_now(thread, code):
    """Whether ``thread`` waits in its pool's worker loop (``code``).

    The loop is idle while the frame it calls is its work queue's ``get``,
    or while it calls none (the C ``SimpleQueue``'s ``get`` has no frame):
    a work item runs in frames of its own.  Only frame and code objects
    are read; a thread whose frames cannot be found is never idle.
    """
    frame = _innermost_frame(thread)
    inner = None
    while frame is not None:
        if frame.f_code is code:
            return inner is None or inner.f_code is _work_queue_get(thread)
        inner, frame = frame, frame.f_back
    return False


def _innermost_frame(thread):
    """The frame ``thread`` runs now: an OS thread's, or a green thread's."""
    ident = vars(thread).get('_ident')
    current_frames = getattr(sys, '_current_frames', None)
    if current_frames is not None:
        frame = current_frames().get(ident)
        if frame is not None:
            return frame
    greenlet = _waiting_greenlet(thread, ident)
    return None if greenlet is None else greenlet.gr_frame


# How far, and through how many objects, the waiters of a green thread's
# work queue are looked for: the queue, its semaphore, the semaphore's
# condition, the condition's waiter locks and theirs are five steps, ten
# where each instance's __dict__ is an object of its own (before 3.11).
_WAITER_DEPTH = 12
_WAITER_OBJECTS = 256
_NOT_FOLLOWED = (type, types.ModuleType, types.FunctionType,
                 types.MethodType, types.BuiltinFunctionType,
                 types.CodeType, types.FrameType)


def _waiting_greenlet(thread, ident):
    """The greenlet of a green ``thread`` that waits on what it was given.

    An eventlet green thread has no frame in ``sys._current_frames`` and
    its ident is its greenlet's ``id``.  A worker blocked on its work queue
    is held by the queue's waiters, so the greenlet is looked for among the
    objects the thread's arguments refer to (``gc.get_referents``: no
    attribute is read and no code runs), not through greenlets, functions,
    classes or modules.  None when greenlet is not loaded or not found.
    """
    module = sys.modules.get('greenlet')
    kind = vars(module).get('greenlet') if module is not None else None
    if type(kind) is not type or ident is None:
        return None
    seen = set()
    layer = [vars(thread).get('_args')]
    for _ in range(_WAITER_DEPTH):
        following = []
        for held in layer:
            for referent in gc.get_referents(held):
                kind_of = type(referent)
                if id(referent) in seen or issubclass(kind_of, _NOT_FOLLOWED):
                    continue
                if issubclass(kind_of, kind):
                    if id(referent) == ident:
                        return referent
                    continue
                seen.add(id(referent))
                following.append(referent)
        if not following or len(seen) > _WAITER_OBJECTS:
            return None
        layer = following
    return None


def _work_queue_get(thread):
    """The code of the worker's work queue's ``get`` method, or None."""
    for held in vars(thread).get('_args') or ():
        for klass in type(held).__mro__:
            get = vars(klass).get('get')
            if get is not None:
                if type(get) is types.FunctionType and (
                        vars(klass).get('put') is not None):
                    return get.__code__
                break
    return None
