"""Errors raised by slopefit, and the helpers that word them (row lists, counts).

Every message names the thing that is wrong, shows the value, states the rule
and suggests the fix, so that the command-line tool can print it as one line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

MAX_ROWS_LISTED = 5  # how many offending rows an error message lists before "..."


class SlopefitError(Exception):
    """Base class of everything slopefit raises on purpose. The errors of a run (:class:`ConfigError`,
    :class:`DataError`, :class:`DivergenceError`, :class:`ModelFileError`) are ``ValueError`` too, so that
    ``except ValueError`` catches a bad column or setting as it does in numpy, pandas and scikit-learn.

    Parameters
    ----------
    message : str
        The one-line message in English, as Python shows it.
    key : str or None, default None
        The key of the same message in the table of texts (:mod:`slopefit.texts`), so that the command
        line can say it in another language (:meth:`said`); keyword-only.
    values : mapping or None, default None
        The fields of that text (a :class:`slopefit.texts.Bilingual` value is said in the same
        language); keyword-only.
    """

    def __init__(self, message: str = "", *args: Any, key: str | None = None,
                 values: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, *args)
        self.key = key
        self.values = dict(values or {})

    def said(self, lang: str) -> str:
        """The message in ``lang``: from the table of texts when it has a key there and ``lang`` is not
        English, else the English message itself (still in Python's words; see :func:`cli_words`)."""
        if self.key is None or lang == "en":
            return str(self)
        from slopefit.texts import text

        return text(self.key, lang, **self.values)


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

    def __init__(self, message: str, *, epoch: int, lr: float, bound: float, key: str | None = None,
                 values: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, key=key, values=values)
        self.epoch = epoch
        self.lr = lr
        self.bound = bound


class ModelFileError(SlopefitError, ValueError):
    """A model file is missing, is not a slopefit model, or has another format version."""


class OutputError(SlopefitError):
    """A file cannot be written where it was asked for (permissions, a directory in the way...)."""


class DataNote(UserWarning):
    """What reading a table did that its header does not say: R's row names left out, percent cells read
    as fractions. The command line prints these notes before its table; ``slopefit.fit`` warns with them."""


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


def row_numbers(mask: np.ndarray | list[bool], *, offset: int = 0, labels: Any = None, lang: str = "en") -> str:
    """'rows 3, 7' (1-based data rows, the header not counted), shortened past a few; with ``labels``
    (a DataFrame's index) the rows' index labels instead: 'rows with index 'b', 'f''.

    ``mask`` marks rows of a chunk that starts ``offset`` rows into the table.
    """
    rows = np.flatnonzero(mask) + offset
    return listed_rows(rows[:MAX_ROWS_LISTED].tolist(), len(rows), labels=labels, lang=lang)


def listed_rows(first: list[int], count: int, *, labels: Any = None, lang: str = "en") -> str:
    """'rows 3, 7' from the first 0-based row indices (a few) and how many rows there are in all;
    with ``labels`` (a DataFrame's index, one label per row) the labels of those rows.

    Examples
    --------
    >>> listed_rows([2, 6], 2)
    'rows 3, 7 (data rows, header not counted)'
    >>> listed_rows([2], 1, labels=["a", "b", "c"])
    "row with index 'c'"
    """
    if lang == "ko":  # "3, 7행", "인덱스 'c'인 행"
        more = f" 외 {count - MAX_ROWS_LISTED}개" if count > MAX_ROWS_LISTED else ""
        if labels is not None:
            return f"인덱스 {', '.join(repr(_plain(labels[r])) for r in first[:MAX_ROWS_LISTED])}인 행{more}"
        return f"{', '.join(str(r + 1) for r in first[:MAX_ROWS_LISTED])}행{more} (데이터 행, 머리글 제외)"
    more = f" and {count - MAX_ROWS_LISTED} more" if count > MAX_ROWS_LISTED else ""
    word = "row" if count == 1 else "rows"
    if labels is not None:
        shown = ", ".join(repr(_plain(labels[r])) for r in first[:MAX_ROWS_LISTED])
        return f"{word} with index {shown}{more}"
    shown = ", ".join(str(r + 1) for r in first[:MAX_ROWS_LISTED])
    return f"{word} {shown}{more} (data rows, header not counted)"


def _plain(label: Any) -> Any:
    """A numpy scalar label as the Python value it holds (``7``, not ``np.int64(7)``)."""
    return label.item() if isinstance(label, np.generic) else label


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

    def message(self, label: str, columns, *, labels: Any = None) -> str:
        """:func:`missing_cells` for the columns found, in the order of ``columns`` (``labels``: a
        DataFrame's index, to name rows by their labels)."""
        return missing_cells(label, [(c, *self.found[c]) for c in columns if c in self.found], labels=labels)

    def error(self, label: str, columns, *, labels: Any = None) -> DataError:
        """The :class:`DataError` of :meth:`message`, with its key in the table of texts (``err.missing``)."""
        found = [(c, *self.found[c]) for c in columns if c in self.found]

        def parts(lang: str) -> str:
            return ", ".join(f"{name!r} {count} ({_rows_in(first, count, labels, lang)})"
                             for name, first, count in found)

        from slopefit.texts import Bilingual

        return DataError(missing_cells(label, found, labels=labels), key="err.missing",
                         values={"label": label, "parts": Bilingual.of(parts)})


def missing_cells(label: str, found: list[tuple[str, list[int], int]], *, labels: Any = None) -> str:
    """The message for empty or NaN cells in one or more columns: each column, how many, its first rows.

    ``found`` holds (column, first 0-based rows, count) per column, in the table's order; ``labels``
    (a DataFrame's index) names the rows by their index labels instead of their numbers.
    """
    parts = [f"{name!r} {count} ({_rows_in(first, count, labels, 'en')})" for name, first, count in found]
    return f"{label} has empty or NaN cells: {', '.join(parts)}; fill them or use missing=\"drop\""


def _rows_in(first: list[int], count: int, labels: Any, lang: str) -> str:
    """The rows of a column's missing cells, short: ``rows 3, 7`` (``3, 7행``)."""
    rows = listed_rows(first, count, labels=labels, lang=lang)
    return rows.removesuffix(" (data rows, header not counted)").removesuffix(" (데이터 행, 머리글 제외)")


# the library names its parameters as Python does (lr=, missing="drop"); the command line shows its flags
FLAGS = {"lr": "--lr", "epochs": "--epochs", "batch_size": "--batch-size", "momentum": "--momentum",
         "scaling": "--scale", "dtype": "--dtype", "missing": "--missing", "x": "--x", "y": "--y",
         "engine": "--engine", "device": "--device", "fit_intercept": "--no-intercept", "sep": "--sep",
         "decimal": "--decimal", "formula": "--formula", "optimizer": "--optimizer", "stream": "--stream",
         "weights": "--weights", "checkpoint": "--checkpoint", "resume": "--resume",
         "checkpoint_every": "--checkpoint-every", "overwrite_checkpoint": "--overwrite-checkpoint",
         "ridge": "--ridge", "lasso": "--lasso", "elastic_net": "--elastic-net", "l1_ratio": "--l1-ratio",
         "run": "--run", "encoding": "--encoding", "thousands": "--thousands",
         "shuffle": "--shuffle"}
PYTHON_WORDS = re.compile(r'(?<![\w.\-\'"])(' + "|".join(FLAGS)
                          + r')=(?:"([^"]*)"|(None|False)\b|(True)\b|(\'[^\']*\')|(?=[\s,;)/]|$))')
# settings a run names as name=value on the command line too (compare --run "sgd lr=0.01 momentum=0.9")
RUN_SETTINGS = frozenset({"lr", "epochs", "batch_size", "momentum", "optimizer"})
# what a Python user does with a function, as the command line does it with a command
PHRASES = {
    "(save_model)": "(slopefit fit ... --save)",
    'save_model(model, "MODEL.json")': "slopefit fit DATA --save MODEL.json",
    "a file written by save_model": "a file saved with slopefit fit ... --save",
    "predict without intervals": "predict without --interval",
}


def cli_words(message: str) -> str:
    """A library message in the command line's words: ``missing="drop"`` -> ``--missing drop``, a bare
    ``epochs=`` (set it) -> ``--epochs``, ``stream=True`` -> ``--stream``, ``lr=None`` or ``stream=False``
    -> ``no --lr``, ``no --stream``; a number (``lr=0.01``, a value reported or suggested) reads the same
    in both and stays. What Python does with a function (:data:`PHRASES`: ``save_model``) becomes its
    command.

    Examples
    --------
    >>> cli_words('fill them or use missing="drop"; got lr=0, try lr=0.01, or raise epochs=')
    'fill them or use --missing drop; got lr=0, try lr=0.01, or raise --epochs'
    >>> cli_words('read it whole (stream=False); refit and save it again (save_model)')
    'read it whole (no --stream); refit and save it again (slopefit fit ... --save)'
    >>> cli_words("checkpoint='run.ckpt' already holds a run")
    "--checkpoint 'run.ckpt' already holds a run"
    """

    def flag(match: re.Match) -> str:
        name, quoted, off, on, shown = (match.group(i) for i in range(1, 6))
        if shown:  # a value shown as Python's repr ('a path'): the flag, then the value as it was; an
            # optimizer's setting (lr='fast' in a run "sgd lr=fast") is the command line's own syntax too
            return match.group(0) if name in RUN_SETTINGS else f"{FLAGS[name]} {shown}"
        if off:
            return f"no {FLAGS[name]}"
        if on:
            return FLAGS[name]
        return f"{FLAGS[name]} {quoted}" if quoted and name != "fit_intercept" else FLAGS[name]

    for python, command in PHRASES.items():
        message = message.replace(python, command)
    return PYTHON_WORDS.sub(flag, message)
