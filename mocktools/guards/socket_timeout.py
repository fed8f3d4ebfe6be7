"""Guard: ``socket.setdefaulttimeout`` left changed.

One read of ``socket.getdefaulttimeout()`` per scope end (tens of
nanoseconds); restored with ``socket.setdefaulttimeout``.
"""

import socket

from mocktools.guards import base

__all__ = ['SocketTimeoutGuard']


class SocketTimeoutGuard(base.SnapshotGuard):
    """The default socket timeout a test changed, set back."""

    name = 'socket_timeout'
    title = 'the default socket timeout (socket.setdefaulttimeout)'

    def snapshot(self):
        return socket.getdefaulttimeout()

    def items(self, snapshot):
        return {'timeout': snapshot}

    def describe(self, key, old, new, subject=None):
        return 'socket.getdefaulttimeout()', 'default socket timeout changed'

    def put(self, key, value):
        socket.setdefaulttimeout(value)
        return 'socket.setdefaulttimeout(%r)' % (value,)
