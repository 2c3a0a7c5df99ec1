"""Errors raised by slopefit.

Every message names the thing that is wrong, shows the value, states the rule
and suggests the fix, so that the command-line tool can print it as one line.
"""

from __future__ import annotations


class SlopefitError(Exception):
    """Base class of everything slopefit raises on purpose."""


class ConfigError(SlopefitError, ValueError):
    """A setting is out of range or unknown (learning rate, epochs, optimizer, option...)."""


class DataError(SlopefitError):
    """The data cannot be used: missing file, unknown column, non-numeric or missing values..."""


class DivergenceError(SlopefitError):
    """Training produced a non-finite or exploding loss.

    Attributes
    ----------
    epoch : int
        The epoch at which the loss stopped being usable.
    lr : float
        The learning rate of the run.
    bound : float
        The stable learning-rate bound 2/lambda_max for full-batch gradient descent on this data.

    Parameters
    ----------
    message : str
        The one-line message (what happened, the value, the fix).
    epoch : int
        Stored as :attr:`epoch`; keyword-only.
    lr : float
        Stored as :attr:`lr`; keyword-only.
    bound : float
        Stored as :attr:`bound`; keyword-only.
    """

    def __init__(self, message: str, *, epoch: int, lr: float, bound: float) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.lr = lr
        self.bound = bound


class ModelFileError(SlopefitError):
    """A model file is missing, is not a slopefit model, or has another format version."""


class OutputError(SlopefitError):
    """A file cannot be written where it was asked for (permissions, a directory in the way...)."""
