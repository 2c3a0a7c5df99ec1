"""``python -m slopefit``: the same as the ``slopefit`` command."""

import sys

from slopefit.cli import main

sys.exit(main())
