"""Guard: signal handlers installed and left in place.

``signal.signal`` returns the handler it replaced, so hooking it records
every change at no cost to a test that sets none; the handler in place at
the end (``signal.getsignal``) is compared.  ``fixtures.Timeout`` (and
oslotest's timeout) put the previous handler back, which counts as
restored.  Handlers can only be set again from the main thread.
"""

import signal

from mocktools.guards import base

__all__ = ['SignalHandlersGuard']


class SignalHandlersGuard(base.JournalGuard):
    """``signal.signal(...)`` left in place, set back."""

    name = 'signal_handlers'
    title = 'signal handlers (signal.signal)'

    def install(self):
        guard = self

        def signal_hook(original):
            def hooked(signalnum, handler):
                previous = original(signalnum, handler)
                guard.record(int(signalnum), previous)
                return previous
            hooked.__name__ = 'signal'
            hooked.__doc__ = original.__doc__
            return hooked
        base.hook(signal, 'signal', signal_hook)

    def current(self, key, subject):
        return signal.getsignal(key)

    @staticmethod
    def same(old, new):
        return old is new or old == new and type(old) is type(new)

    def describe(self, key, old, new, subject=None):
        try:
            name = signal.Signals(key).name
        except ValueError:
            name = str(key)
        return 'signal.getsignal(%s)' % name, 'signal handler replaced'

    def put(self, key, value, subject):
        if value is None:
            return 'not restored (the previous handler was not set from ' \
                'Python)'
        # Tried, not predicted: under eventlet's monkey patching (nova,
        # cinder...) ``threading`` names a green thread that is never
        # ``main_thread()``, even in the main thread, where this works.
        try:
            base.original(signal, 'signal')(key, value)
        except ValueError:
            return 'not restored (checked outside the main thread)'
        return 'set back to %s' % base.safe_repr(value)
