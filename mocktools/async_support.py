"""``async def`` tests on mocktools.TestCase: one fresh event loop per test.

The semantics are ``unittest.IsolatedAsyncioTestCase``'s -- ``asyncSetUp``
after ``setUp``, the test, ``asyncTearDown`` before ``tearDown``,
``addAsyncCleanup`` -- all in one new event loop (and one ``contextvars``
context) per test, closed after the test's cleanups; while testtools still
runs the test, so results, details and fixtures work as for any test::

    class TestClient(mocktools.TestCase):
        async def asyncSetUp(self):
            self.session = await open_session()
            self.addAsyncCleanup(self.session.close)

        async def test_fetch(self):
            fetch = self.mock_patch_object(client, 'fetch')  # AsyncMock
            await client.sync_all()
            fetch.assert_awaited_once_with('/all')

A coroutine created during the test and never awaited (a forgotten
``await``) fails the test with Python's own "never awaited" message and
where the coroutine was created.
"""

import asyncio
import sys
import warnings

__all__ = ['TestLoop', 'UnawaitedCoroutine']

_UNAWAITED = r"coroutine '.*' was never awaited"
_ORIGIN_DEPTH = 8


class UnawaitedCoroutine(AssertionError):
    """A coroutine created in the test was never awaited."""


class TestLoop:
    """The event loop of one test, and the unawaited-coroutine watch."""

    def __init__(self, debug=True):
        if hasattr(asyncio, 'Runner'):
            self._runner = asyncio.Runner(debug=debug)
            self.loop = self._runner.get_loop()
        else:  # pragma: no cover - Python 3.10
            self._runner = None
            self.loop = asyncio.new_event_loop()
            self.loop.set_debug(debug)
            asyncio.set_event_loop(self.loop)
        self._depth = sys.get_coroutine_origin_tracking_depth()
        sys.set_coroutine_origin_tracking_depth(_ORIGIN_DEPTH)
        self._watch = warnings.catch_warnings(record=True)
        self._caught = self._watch.__enter__()
        warnings.filterwarnings('always', message=_UNAWAITED,
                                category=RuntimeWarning)

    def run(self, awaitable):
        """Run ``awaitable`` to completion in this test's loop."""
        if self._runner is not None:
            return self._runner.run(awaitable)
        return self.loop.run_until_complete(awaitable)  # pragma: no cover

    def close(self):
        """Close the loop; return the never-awaited warnings, re-emit others.

        Pending tasks are cancelled and async generators shut down first, as
        ``asyncio.run`` does.
        """
        try:
            if self._runner is not None:
                self._runner.close()
            else:  # pragma: no cover - Python 3.10
                _cancel_all(self.loop)
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
                self.loop.close()
                asyncio.set_event_loop(None)
        finally:
            sys.set_coroutine_origin_tracking_depth(self._depth)
            self._watch.__exit__(None, None, None)
        unawaited = []
        for caught in self._caught:
            if issubclass(caught.category, RuntimeWarning) and \
                    'was never awaited' in str(caught.message):
                unawaited.append(str(caught.message))
            else:
                warnings.showwarning(caught.message, caught.category,
                                     caught.filename, caught.lineno)
        return unawaited


def _cancel_all(loop):  # pragma: no cover - Python 3.10
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks,
                                               return_exceptions=True))


def unawaited_message(messages):
    """The failure text for never-awaited coroutines."""
    return ('mocktools: %d coroutine%s created in this test %s never '
            'awaited (a missing "await"?):\n%s' % (
                len(messages), '' if len(messages) == 1 else 's',
                'was' if len(messages) == 1 else 'were',
                '\n'.join(messages)))
