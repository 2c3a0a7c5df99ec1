"""``python -m slopefit``: the same as the ``slopefit`` command."""

from slopefit.cli import run

run()
