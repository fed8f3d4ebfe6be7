"""``python -m mocktools``: the same as the ``mocktools`` console script."""

import sys

from mocktools.integrations.cli import main

if __name__ == '__main__':
    sys.exit(main())
