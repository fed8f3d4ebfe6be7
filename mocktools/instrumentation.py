"""Moved to :mod:`mocktools.engine.instrumentation`.

This name keeps working: it is the same module object.
"""

import sys

from mocktools.engine import instrumentation as _moved

sys.modules[__name__] = _moved
