"""The columns of a table as a regression reads them: which are features and which the target,
numeric cells (a text cell named with its rows), infinite cells, and the rule for empty cells.

The lowest floor of the readers: :mod:`slopefit.data.design`, :mod:`slopefit.data.files` and
:mod:`slopefit.data.tables` share these checks, so that every reader words a bad column alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from slopefit.data.cells import Said, not_numeric_fix, said
from slopefit.errors import DataError, row_numbers
from slopefit.texts import Bilingual

MISSING = ("error", "drop")
_NUMBER_LIKE = re.compile(r"^[\s\d.,;:|+\-eE]*\d[\s\d.,;:|+\-eE]*$")  # "1;2", "1.5", "2024-01-05", "3+"


def check_missing(missing: str) -> None:
    if missing not in MISSING:
        raise ValueError(f"missing must be 'error' or 'drop', got {missing!r}")


def choose_columns(columns: list[str], *, x=None, y=None, label: str) -> tuple[list[str], str]:
    """Feature and target names from a table's columns: ``y`` (default the last column) and ``x``
    (default every other column), checked to exist, to differ and to be listed once.

    Raises DataError naming the file (``label``) and the columns it has.
    """
    if len(columns) < 2:
        raise DataError(f"{label} has {len(columns)} column ({', '.join(columns) or 'none'}); it needs at least "
                        "one feature column and one target column, with a header row")
    target = y if y is not None else columns[-1]
    features = list(x) if x else [c for c in columns if c != target]
    for col in [*features, target]:
        if col not in columns:
            raise DataError(f"column {col!r} is not in {label}; available columns: {', '.join(columns)}",
                            key="err.no_column", values={"column": col, "label": label, "columns": ", ".join(columns)})
    if target in features:
        raise DataError(f"column {target!r} is both a feature (x=) and the target (y=); pick it once")
    if len(set(features)) != len(features):
        dupes = sorted({c for c in features if features.count(c) > 1})
        raise DataError(f"feature column {dupes[0]!r} is given more than once; list each column once")
    return features, target


def numeric_column(series, name: str, label: str, *, labels=None) -> np.ndarray:
    import pandas as pd

    numeric = pd.to_numeric(series, errors="coerce")
    bad_text = numeric.isna() & series.notna() & (series.astype(str).str.strip() != "")
    if bad_text.any():
        rows = row_numbers(bad_text.to_numpy(), labels=labels)  # labels: a DataFrame's index
        example = series[bad_text].iloc[0]
        said = Bilingual(ko=row_numbers(bad_text.to_numpy(), labels=labels, lang="ko"), en=rows)
        fix = Bilingual(ko=not_numeric_fix(example, "ko"), en=not_numeric_fix(example))
        raise DataError(f"column {name!r} in {label} is not numeric: {example!r} in {rows}; {fix.en}",
                        key="err.not_numeric",
                        values={"column": name, "label": label, "example": example, "rows": said, "fix": fix})
    return numeric.to_numpy(dtype=np.float64)


def number_like(cell: Any) -> bool:
    """Whether a text cell is made of digits and separators ("1;2", "1.5", "2024-01-05", "3+")."""
    return bool(_NUMBER_LIKE.match(str(cell)))


def _plain_number(cell: str) -> bool:
    """Whether a cell is a finite number written plainly (ASCII, no ``_``): one ``float()`` and pandas'
    ``to_numeric`` read alike."""
    if not cell.isascii() or "_" in cell:
        return False
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False


def holds_categories(cells: Sequence[str]) -> bool:
    """Whether a column's non-empty cells (stripped text) are categories rather than numbers with a
    few stray cells.

    A column with no text cell is numeric. Otherwise it holds categories when its cells are text: at
    least a third of them (and two or more) do not read as numbers and either one of those is a word (ggplot2's mpg
    ``drv`` 4/f/r, flights' ``carrier`` 9E/UA) or the column has few distinct values; or it has few
    distinct values and each cell that is not a number is a repeated number-like level (a kids column
    0, 1, 2, 3+). What is left is a mostly numeric column with stray cells ("heavy" among weights, a
    decimal comma, dates): a data error that names the cell, not a category.
    """
    present = [c for c in cells if c]
    if all(_plain_number(str(c)) for c in present):  # the usual column of numbers: no need of pandas (0.3 s)
        return False
    import pandas as pd

    numbers = pd.to_numeric(pd.Series(present, dtype=object), errors="coerce")
    text = [c for c, n in zip(present, numbers, strict=True) if n != n]  # NaN: not a number
    if not text:
        return False
    distinct = len(set(present))
    few = distinct <= 50 and distinct <= max(2, len(present) // 2)
    mostly_text = len(text) >= 2 and 3 * len(text) >= len(present)  # one text cell is a stray cell
    if mostly_text and (few or not all(number_like(c) for c in text)):
        return True
    return few and all(number_like(c) and text.count(c) >= 2 for c in set(text))


def finite_column(values: np.ndarray, name: str, label: str) -> np.ndarray:
    """``values`` if every one is finite, else DataError naming the rows: empty or NA cells as missing (a
    fit names or drops them before; new rows to predict come here with them), infinite ones as infinite."""
    missing = np.isnan(values)
    if missing.any():
        raise DataError(f"column {name!r} in {label} has empty or NA cells in {row_numbers(missing)}; "
                        "give a value in every cell")
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(f"column {name!r} in {label} has infinite cells in {row_numbers(bad)}; "
                        "fix or drop those rows")
    return values


MAX_LEVELS = 1000  # more distinct text values than this in one column is an identifier, not a category


def check_level_count(name: str, levels: Sequence[Any], n_rows: int, label: str) -> None:
    if len(levels) > MAX_LEVELS or (len(levels) > 50 and len(levels) > n_rows // 2):
        raise DataError(f"column {name!r} in {label} has {len(levels)} distinct values in {n_rows} rows: as "
                        f"categories that is {len(levels) - 1} indicator columns (an identifier?); leave it out")


def plain(value: Any) -> Any:
    """numpy scalars as Python ones (for JSON and messages)."""
    return value.item() if isinstance(value, np.generic) else value


def check_header(names: Sequence[str], label: str) -> None:
    """DataError when two columns share a header: neither the first nor a renamed copy (pandas' ``a.1``) is
    known to be the column meant, and a renamed one would change what ``x=``, ``y=`` or a formula names."""
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name:
            seen.setdefault(name, []).append(i + 1)
    twice = {name: where for name, where in seen.items() if len(where) > 1}
    if twice:
        parts = [f"{name!r} (columns {', '.join(map(str, where))})" for name, where in twice.items()]
        raise DataError(f"{label} has duplicate headers: {', '.join(parts)}; rename them in the file so that each "
                        "column has its own header")


ROW_NAMES = "rownames"  # the header the Rdatasets collection's CSV files give R's row names
FRAME_ROW_NAMES = (ROW_NAMES, "Unnamed: 0")  # and in a DataFrame: pandas names write.csv's empty header so


def frame_row_names(frame, label: str, *, target: str | None) -> Said | None:
    """The note for a DataFrame's first column when it holds R's row names, else None: headed
    ``rownames`` (the Rdatasets collection's tables) or ``Unnamed: 0`` (pandas reading R's ``write.csv``),
    with a distinct, non-empty label in every row, and not the target. The caller leaves it out of
    the features it chooses (``x=`` not given), as a file's reader does (:func:`unnamed_columns`)."""
    if len(frame.columns) < 2 or str(frame.columns[0]) not in FRAME_ROW_NAMES or str(frame.columns[0]) == target:
        return None
    labels = _row_labels(frame.iloc[:, 0].tolist())
    if labels is None:
        return None
    return said("read.row_names_headed", label=label, header=str(frame.columns[0]), shown=_shown(labels))


def _row_labels(cells: Sequence) -> list | None:
    """The cells of a column when they can be row names: one distinct, non-empty label in every row
    (None, NaN and blank cells are empty); else None."""
    labels = [c for c in cells if c is not None and c == c and str(c).strip() != ""]
    if not labels or len(labels) != len(cells) or len(set(map(str, labels))) != len(labels):
        return None
    return labels


def maybe_row_names(names: Sequence[str]) -> bool:
    """Whether a header may hold columns :func:`unnamed_columns` leaves out (an empty header, or ``rownames``
    first): only then are their cells looked at."""
    return "" in names or (len(names) > 0 and names[0] == ROW_NAMES)


def unnamed_columns(names: Sequence[str], cells_of, label: str) -> tuple[list[int], list[str]]:
    """The positions of the columns with an empty header to leave out, and a note for each.

    ``cells_of(i)`` gives the cells (text or numbers, None for empty) of column ``i``. The first column
    with no header (or the header ``rownames`` the Rdatasets collection's files give it) and a distinct,
    non-empty cell in every row is R's ``write.csv`` row names (``"1"``, ``"2"``, …, or names such as
    mtcars' cars) or pandas' index: left out. A column with no header and
    no cell (a separator at the end of every line) is left out too.

    Raises
    ------
    DataError
        Any other column without a header: it cannot be named with ``x=`` or in a formula.
    """
    drop: list[int] = []
    notes: list[str] = []
    for i, name in enumerate(names):
        if name and not (i == 0 and name == ROW_NAMES):
            continue
        every = cells_of(i)
        cells = [c for c in every if c is not None and str(c).strip() != ""]
        if i == 0 and _row_labels(every) is not None:
            drop.append(i)
            key = "read.row_names_headed" if name else "read.row_names"
            notes.append(said(key, label=label, header=name, shown=_shown(cells)))
        elif name:  # a column called "rownames" that does not hold row names: an ordinary column
            continue
        elif not cells:
            drop.append(i)
            notes.append(said("read.empty_column", label=label, column=i + 1))
        else:
            raise DataError(f"column {i + 1} of {label} has no header (first cell {cells[0]!r}); give it a header "
                            "in the file so that x=, y= or a formula can name it")
    return drop, notes


def _shown(cells: Sequence) -> str:
    shown = ", ".join(repr(str(c)) for c in cells[:3])
    return shown + (", …" if len(cells) > 3 else "")
