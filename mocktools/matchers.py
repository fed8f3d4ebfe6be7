"""testtools matchers inside mock call assertions.

:class:`Matches` wraps a testtools matcher so it can stand for an argument in
``assert_called_with``, ``assert_called_once_with``, ``assert_any_call`` and
``assert_has_calls``; the argument matches when the matcher does::

    from testtools.matchers import Contains, ContainsDict, Equals, IsInstance

    send.assert_called_once_with(Matches(Contains('Message 1')))
    send.assert_called_once_with(Matches(IsInstance(Message)))
    post.assert_called_once_with(
        '/v1/backups', json=Matches(ContainsDict({'name': Equals('db')})))

When the assertion fails, mock's message shows the matcher and why it did
not match (its mismatch description), not just two reprs::

    AssertionError: expected call not found.
    Expected: send(Matches(Contains('Message 1')): 'Message 1' not in
    'Message 2')
    Actual: send('Message 2')
"""

__all__ = ['Matches']


class Matches:
    """An argument placeholder that compares equal when ``matcher`` matches.

    ``matcher`` is any testtools matcher (``Contains``, ``IsInstance``,
    ``ContainsDict``, ``MatchesRegex``, ``AfterPreprocessing`` ...).
    """

    def __init__(self, matcher):
        if not hasattr(matcher, 'match'):
            raise TypeError('Matches() takes a testtools matcher, not %r'
                            % (matcher,))
        self.matcher = matcher
        self.mismatch = None     # the last mismatch, for the failure text

    def __eq__(self, other):
        mismatch = self.matcher.match(other)
        if mismatch is not None:
            self.mismatch = mismatch
            return False
        return True

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    def __repr__(self):
        text = 'Matches(%s)' % (self.matcher,)
        if self.mismatch is not None:
            text += ': %s' % self.mismatch.describe()
        return text
