"""Moved to :mod:`mocktools.integrations.cli`.

This name keeps working: it is the same module object.
"""

import sys

from mocktools.integrations import cli as _moved

sys.modules[__name__] = _moved
