"""Moved to :mod:`mocktools.integrations.pytest_plugin`.

This name keeps working: it is the same module object.
"""

import sys

from mocktools.integrations import pytest_plugin as _moved

sys.modules[__name__] = _moved
