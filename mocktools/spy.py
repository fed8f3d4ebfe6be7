"""Spies: patch a callable so calls go through to it and are recorded.

Like pytest-mock's ``mocker.spy``: the spy is an autospecced mock (so the
original signature is enforced) whose ``side_effect`` calls the real thing.
After each call, ``spy.spy_return`` holds what it returned (``spy_return_list``
all of it) and ``spy.spy_exception`` what it raised::

    spy = self.mock_spy(client.StorageClient, 'upload')
    backup.run_backup('db')
    spy.assert_called_once_with(mock.ANY, 'db', mock.ANY)
    self.assertEqual('storage://db', spy.spy_return)

Functions, methods (on the class or an instance), classmethods,
staticmethods and ``async def`` functions (the spy is then an ``AsyncMock``
and ``spy_return`` is the awaited result) are supported.
"""

import functools
import inspect

__all__ = ['spy_wrapper']


def spy_wrapper(original, record):
    """A function with ``original``'s signature that calls it and reports.

    ``record(value=..., exception=...)`` is called after every call.
    """
    if inspect.iscoroutinefunction(original):
        async def call(*args, **kwargs):
            try:
                value = await original(*args, **kwargs)
            except BaseException as exc:
                record(exception=exc)
                raise
            record(value=value)
            return value
    else:
        def call(*args, **kwargs):
            try:
                value = original(*args, **kwargs)
            except BaseException as exc:
                record(exception=exc)
                raise
            record(value=value)
            return value
    return functools.update_wrapper(call, original)


def autospec_for(original):
    """Whether ``mock.patch.object`` can autospec what ``getattr`` returned."""
    return inspect.ismethod(original) or inspect.isfunction(original)
