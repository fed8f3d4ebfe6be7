"""Moved to :mod:`mocktools.engine.sweep`.

This name keeps working: it is the same module object.
"""

import sys

from mocktools.engine import sweep as _moved

sys.modules[__name__] = _moved
