"""Notifications sent when backups start and finish."""

import logging

LOG = logging.getLogger(__name__)
SENT = []


def notify(event, **payload):
    """Send ``event`` with ``payload`` (here: log and remember it)."""
    LOG.info('%s %s', event, payload)
    SENT.append((event, payload))
