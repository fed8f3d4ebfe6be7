"""``side_effect`` helpers for the patterns the mocking tutorials teach.

Feeding a generator of messages to a socket's ``recv``::

    def manager_messages():
        yield json.dumps({'message_type': 'register_ack'}).encode()
        yield None
        yield json.dumps({'message_type': 'shutdown'}).encode()

    sock.recv.side_effect = Sequence(manager_messages(), 'manager messages')

A plain generator as ``side_effect`` ends with a bare ``StopIteration``
surfacing from deep inside the code under test; :class:`Sequence` fails
with ``AssertionError: recv was called 4 times but manager messages
provided only 3 values``.  Exceptions in the sequence are raised, as mock
does.
"""

__all__ = ['ExhaustedSideEffect', 'Sequence']


class ExhaustedSideEffect(AssertionError):
    """The code under test asked for more values than the test provided."""


class Sequence:
    """A ``side_effect`` returning successive values of ``iterable``.

    :param iterable: values (a list, a generator...); an exception instance
        or class among them is raised instead of returned.
    :param description: how the failure message names the values.
    """

    def __init__(self, iterable, description=None):
        self._iterator = iter(iterable)
        self.description = description or _describe(iterable)
        self.calls = 0
        self.name = None    # the mock's name in messages, see bind()

    def __call__(self, *args, **kwargs):
        self.calls += 1
        try:
            value = next(self._iterator)
        except StopIteration:
            raise ExhaustedSideEffect(
                '%s was called %d times but %s provided only %d value%s' % (
                    self.name or 'the mock', self.calls, self.description,
                    self.calls - 1, '' if self.calls == 2 else 's')
            ) from None
        if isinstance(value, BaseException) or (
                isinstance(value, type) and issubclass(value, BaseException)):
            raise value
        return value

    def bind(self, mock_name):
        """Name the mock in failure messages (``recv``)."""
        self.name = mock_name
        return self


def _describe(iterable):
    name = getattr(iterable, '__qualname__', None) or getattr(
        iterable, '__name__', None)
    if name:
        return 'the generator %s()' % name if hasattr(
            iterable, 'gi_frame') else repr(name)
    return 'the %s given' % type(iterable).__name__
