"""Moved to :mod:`mocktools.engine.settings`.

This name keeps working: it is the same module object.
"""

import sys

from mocktools.engine import settings as _moved

sys.modules[__name__] = _moved
