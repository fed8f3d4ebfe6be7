"""Moved to :mod:`mocktools.integrations.autocheck`.

This name keeps working: it is the same module object.
"""

import sys

from mocktools.integrations import autocheck as _moved

sys.modules[__name__] = _moved
