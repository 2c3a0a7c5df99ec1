"""Errors raised by slopefit, and the helpers that word them (row lists, counts).

Every message names the thing that is wrong, shows the value, states the rule
and suggests the fix, so that the command-line tool can print it as one line.
"""

from __future__ import annotations

import functools
import re

import numpy as np

MAX_ROWS_LISTED = 5  # how many offending rows an error message lists before "..."


class SlopefitError(Exception):
    """Base class of everything slopefit raises on purpose. The errors of a run (:class:`ConfigError`,
    :class:`DataError`, :class:`DivergenceError`, :class:`ModelFileError`) are ``ValueError`` too, so that
    ``except ValueError`` catches a bad column or setting as it does in numpy, pandas and scikit-learn."""


class ConfigError(SlopefitError, ValueError):
    """A setting is out of range or unknown (learning rate, epochs, optimizer, option...)."""


class DataError(SlopefitError, ValueError):
    """The data cannot be used: missing file, unknown column, non-numeric or missing values..."""


class DivergenceError(SlopefitError, ValueError):
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


class ModelFileError(SlopefitError, ValueError):
    """A model file is missing, is not a slopefit model, or has another format version."""


class OutputError(SlopefitError):
    """A file cannot be written where it was asked for (permissions, a directory in the way...)."""


@functools.cache
def convergence_warning() -> type[Warning]:
    """The class :data:`ConvergenceWarning`: a subclass of scikit-learn's ``ConvergenceWarning`` when
    scikit-learn is installed (so that its filters and ``GridSearchCV`` treat it as their own), else
    of ``Warning``. Made on first use: importing scikit-learn costs seconds the CLI should not pay."""
    try:
        from sklearn.exceptions import ConvergenceWarning as base
    except ImportError:
        base = Warning
    return type("ConvergenceWarning", (base,), {
        "__module__": __name__,
        "__doc__": "Gradient descent stopped before reaching the exact optimum (the relative gap is too large)."})


def __getattr__(name: str):
    if name == "ConvergenceWarning":  # slopefit.errors.ConvergenceWarning, made on first use
        return convergence_warning()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- wording ---------------------------------------------------------------------------


def row_numbers(mask: np.ndarray, *, offset: int = 0) -> str:
    """'rows 3, 7' (1-based data rows, the header not counted), shortened past a few.

    ``mask`` marks rows of a chunk that starts ``offset`` rows into the table.
    """
    rows = np.flatnonzero(mask) + offset
    return listed_rows(rows[:MAX_ROWS_LISTED].tolist(), len(rows))


def listed_rows(first: list[int], count: int) -> str:
    """'rows 3, 7' from the first 0-based row indices (a few) and how many rows there are in all."""
    shown = ", ".join(str(r + 1) for r in first[:MAX_ROWS_LISTED])
    more = f" and {count - MAX_ROWS_LISTED} more" if count > MAX_ROWS_LISTED else ""
    word = "row" if count == 1 else "rows"
    return f"{word} {shown}{more} (data rows, header not counted)"


def count_of(n: int, word: str) -> str:
    """``"1 row"``, ``"0 rows"``: a count for a message."""
    return f"{n} {word}{'' if n == 1 else 's'}"


class EmptyCells:
    """Empty or NaN cells per column, gathered chunk by chunk: each column's first rows and count.

    The one way both readers (a whole file, a file read in chunks) word missing cells:
    ``add`` each column's mask, then raise ``DataError(found.message(label, columns))`` if any.

    Examples
    --------
    >>> found = EmptyCells()
    >>> found.add("a", np.array([False, True]), offset=10); found.add("b", np.array([False, False]))
    >>> bool(found)
    True
    >>> print(found.message("t.csv", ["a", "b"]))
    t.csv has empty or NaN cells: 'a' 1 (row 12); fill them or use missing="drop"
    """

    def __init__(self) -> None:
        self.found: dict[str, tuple[list[int], int]] = {}  # column -> (first 0-based rows, count)

    def add(self, name: str, mask: np.ndarray, offset: int = 0) -> None:
        """Count the cells ``mask`` marks in column ``name`` of a chunk starting ``offset`` rows in."""
        count = int(np.count_nonzero(mask))
        if count:
            first, seen = self.found.get(name, ([], 0))
            rows = (np.flatnonzero(mask)[:MAX_ROWS_LISTED] + offset).tolist()
            self.found[name] = ((first + rows)[:MAX_ROWS_LISTED], seen + count)

    def __bool__(self) -> bool:
        return bool(self.found)

    def message(self, label: str, columns) -> str:
        """:func:`missing_cells` for the columns found, in the order of ``columns``."""
        return missing_cells(label, [(c, *self.found[c]) for c in columns if c in self.found])


def missing_cells(label: str, found: list[tuple[str, list[int], int]]) -> str:
    """The message for empty or NaN cells in one or more columns: each column, how many, its first rows.

    ``found`` holds (column, first 0-based rows, count) per column, in the table's order.
    """
    parts = []
    for name, first, count in found:
        shown = ", ".join(str(r + 1) for r in first[:MAX_ROWS_LISTED])
        more = f" and {count - MAX_ROWS_LISTED} more" if count > MAX_ROWS_LISTED else ""
        parts.append(f"{name!r} {count} ({'row' if count == 1 else 'rows'} {shown}{more})")
    return f"{label} has empty or NaN cells: {', '.join(parts)}; fill them or use missing=\"drop\""


# the library names its parameters as Python does (lr=, missing="drop"); the command line shows its flags
FLAGS = {"lr": "--lr", "epochs": "--epochs", "batch_size": "--batch-size", "momentum": "--momentum",
         "scaling": "--scale", "dtype": "--dtype", "missing": "--missing", "x": "--x", "y": "--y",
         "engine": "--engine", "device": "--device", "fit_intercept": "--no-intercept", "sep": "--sep",
         "decimal": "--decimal", "formula": "--formula", "shuffle": "--shuffle"}
PYTHON_WORDS = re.compile(r'(?<![\w.\-\'"])(' + "|".join(FLAGS) + r')=(?:"([^"]*)"|(None)\b|(?=[\s,;)/]|$))')


def cli_words(message: str) -> str:
    """A library message in the command line's words: ``missing="drop"`` -> ``--missing drop``, a bare
    ``epochs=`` (set it) -> ``--epochs``, ``lr=None`` -> ``no --lr``; a number (``lr=0.01``, a value
    reported or suggested) reads the same in both and stays.

    Examples
    --------
    >>> cli_words('fill them or use missing="drop"; got lr=0, try lr=0.01, or raise epochs=')
    'fill them or use --missing drop; got lr=0, try lr=0.01, or raise --epochs'
    """

    def flag(match: re.Match) -> str:
        name, quoted, none = match.group(1), match.group(2), match.group(3)
        if none:
            return f"no {FLAGS[name]}"
        return f"{FLAGS[name]} {quoted}" if quoted and name != "fit_intercept" else FLAGS[name]

    return PYTHON_WORDS.sub(flag, message)
