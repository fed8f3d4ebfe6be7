"""Moved to :mod:`mocktools.integrations.run`; this path keeps working.

``python -m mocktools.run`` runs it as before.
"""

import sys

if __name__ == '__main__':
    from mocktools.integrations.run import main
    sys.exit(main())
else:
    from mocktools.integrations import run as _moved
    sys.modules[__name__] = _moved
