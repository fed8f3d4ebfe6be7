"""Moved to :mod:`mocktools.engine.escape`.

This name keeps working: it is the same module object.
"""

import sys

from mocktools.engine import escape as _moved

sys.modules[__name__] = _moved
