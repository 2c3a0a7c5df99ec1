"""slopefit: linear regression by gradient descent on PyTorch, checked against the exact answer."""

from __future__ import annotations

__version__ = "0.1.0"
