"""Moved to :mod:`mocktools.integrations.leak_fixture`.

This name keeps working: it is the same module object.
"""

import sys

from mocktools.integrations import leak_fixture as _moved

sys.modules[__name__] = _moved
