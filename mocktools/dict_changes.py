"""Moved to :mod:`mocktools.engine.dict_changes`.

This name keeps working: it is the same module object.
"""

import sys

from mocktools.engine import dict_changes as _moved

sys.modules[__name__] = _moved
