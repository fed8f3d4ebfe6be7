"""Moved to :mod:`mocktools.engine.detector`.

This name keeps working: it is the same module object.
"""

import sys

from mocktools.engine import detector as _moved

sys.modules[__name__] = _moved
