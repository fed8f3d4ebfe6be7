"""Guard: ``socket.setdefaulttimeout`` left changed.

``socket.setdefaulttimeout`` is hooked, so a test that sets none costs
nothing; restored with the original function.
"""

import socket

from mocktools.guards import base

__all__ = ['SocketTimeoutGuard']


class SocketTimeoutGuard(base.JournalGuard):
    """The default socket timeout a test changed, set back."""

    name = 'socket_timeout'
    title = 'the default socket timeout (socket.setdefaulttimeout)'

    def install(self):
        guard = self

        def timeout_hook(original):
            def setdefaulttimeout(timeout):
                guard.record('timeout', socket.getdefaulttimeout())
                return original(timeout)
            setdefaulttimeout.__doc__ = original.__doc__
            return setdefaulttimeout
        base.hook(socket, 'setdefaulttimeout', timeout_hook)

    def current(self, key, subject):
        return socket.getdefaulttimeout()

    def describe(self, key, old, new, subject=None):
        return 'socket.getdefaulttimeout()', 'default socket timeout changed'

    def put(self, key, value, subject):
        base.original(socket, 'setdefaulttimeout')(value)
        return 'socket.setdefaulttimeout(%r)' % (value,)
