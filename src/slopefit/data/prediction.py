"""New rows through a fitted line: the one path from a table's own columns to predictions.

A fit (:class:`slopefit.train.results.FitResult`) and a model file
(:class:`slopefit.views.persistence.Model`) both predict here, so that both apply the same
:class:`slopefit.data.design.Design` (a formula's transforms, the categories) to new rows. The
coefficients are in original units: the scaling the optimizer saw is already folded into them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from slopefit.errors import DataError


def feature_rows(X: Any, *, design: Any, feature_names: Sequence[str], label: str = "the new rows") -> np.ndarray:
    """The design matrix (n_rows, n_features) of new rows, as the fit built its own.

    Parameters
    ----------
    X : pandas DataFrame, mapping of column -> values, or array-like rows
        With a ``design``: the table's own columns (``design.inputs``), or rows of one value per
        input; without one: the features themselves, by name (a DataFrame or mapping) or in the
        order of ``feature_names`` (an array of shape (n_rows, n_features)).
    design : slopefit.data.design.Design or None
        How the features were built from a table's columns (None: they are the table's columns).
    feature_names : sequence of str, the features, in the order of the coefficients
    label : str, what the rows are called in messages; keyword-only

    Returns
    -------
    ndarray, shape (n_rows, n_features), float64

    Raises
    ------
    DataError (a ValueError)
        A column the model reads is missing (named, with the columns given), a row of the wrong
        width (the columns expected named), an empty cell, text in a numeric column, or an unseen level.
    """
    names = list(feature_names)
    if hasattr(X, "to_frame") and not _is_frame(X):  # a pandas Series: one named column
        X = X.to_frame()
    if design is not None:
        rows = design.matrix(X, label=label)  # the formula's transforms and the categories, as fitted
    elif _is_table(X):
        rows = _named_columns(X, names, label)
    else:
        rows = np.asarray(X, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != len(names):
        raise DataError(f"{label} have shape {rows.shape}, but the model reads rows of {len(names)} "
                        f"feature(s) ({', '.join(names)}); give a 2-D table with those columns")
    return rows


def predict_rows(X: Any, coef: np.ndarray, intercept: float, *, design: Any, feature_names: Sequence[str],
                 target_name: str | None = None, label: str = "the new rows") -> Any:
    """Predictions ``rows @ coef + intercept`` for new rows (see :func:`feature_rows`), original units.

    Returns
    -------
    pandas Series named ``target_name`` with the frame's index when ``X`` is a pandas DataFrame,
    else ndarray of shape (n_rows,), float64.

    Examples
    --------
    >>> predict_rows([[1.0], [2.0]], np.array([2.0]), 1.0, design=None, feature_names=("x",))
    array([3., 5.])
    """
    rows = feature_rows(X, design=design, feature_names=feature_names, label=label)
    values = rows @ np.asarray(coef, dtype=np.float64) + float(intercept)  # (n_rows,)
    if _is_frame(X):
        import pandas as pd

        return pd.Series(values, index=X.index, name=target_name)
    return values


def _is_frame(X: Any) -> bool:
    return hasattr(X, "columns") and hasattr(X, "iloc")


def _is_table(X: Any) -> bool:
    return _is_frame(X) or isinstance(X, Mapping)


def _named_columns(X: Any, names: list[str], label: str) -> np.ndarray:
    given = [str(c) for c in (X.columns if _is_frame(X) else X.keys())]
    absent = [n for n in names if n not in given]
    if absent:
        raise DataError(f"column {absent[0]!r} (read by the model) is not in {label}; available columns: "
                        f"{', '.join(given) or 'none'}")
    lookup = {str(c): c for c in (X.columns if _is_frame(X) else X.keys())}
    columns = []
    for n in names:
        try:
            columns.append(np.asarray(X[lookup[n]], dtype=np.float64))
        except (TypeError, ValueError):
            raise DataError(f"column {n!r} of {label} holds values that are not numbers; the model reads "
                            "it as a number") from None
    return np.ascontiguousarray(np.column_stack(columns))  # (n_rows, n_features)


def check_no_blank_lines(p: Path, dialect) -> None:
    """DataError when a CSV file of new rows has a blank line before its last row: the readers skip blank
    lines, so each prediction would no longer stand beside the line it was made for (blank lines at
    the very end are harmless and allowed)."""
    from slopefit.data.encodings import python_codec
    from slopefit.texts import Bilingual, text

    if dialect is None:  # Parquet: rows, not lines
        return
    lines = p.read_bytes().decode(python_codec(dialect.encoding), errors="replace").splitlines()
    filled = [k for k, line in enumerate(lines) if line.strip()]
    blank = [k + 1 for k in range(filled[-1] if filled else 0) if not lines[k].strip()]
    if blank:
        shown = ", ".join(map(str, blank[:5])) + (", …" if len(blank) > 5 else "")
        where = Bilingual(en=f"line {shown}" if len(blank) == 1 else f"lines {shown}", ko=f"{shown}번째 줄")
        raise DataError(text("err.blank_lines", "en", label=p.name, where=where), key="err.blank_lines",
                        values={"label": p.name, "where": where})


def _new_rows(path: str | os.PathLike[str], columns: Sequence[str], role: str, reading: dict):
    """The table of new rows at ``path`` as a pandas DataFrame holding ``columns`` (``role``: how a message
    names them), after the checks both readers make: blank lines, the columns, at least one row."""
    from slopefit.data.encodings import encoding_naming
    from slopefit.data.files import check_file, csv_dialect, read_table

    p = check_file(path)
    encoding = encoding_naming(p, columns, reading.pop("encoding", None))
    dialect = None if p.suffix.lower() in (".parquet", ".pq") else csv_dialect(p, encoding=encoding, **reading)
    check_no_blank_lines(p, dialect)
    frame = read_table(path, dialect=dialect)
    frame.columns = [str(c) for c in frame.columns]
    for col in columns:
        if col not in frame.columns:
            raise DataError(f"column {col!r} ({role}) is not in {p.name}; "
                            f"available columns: {', '.join(frame.columns)}")
    if len(frame) == 0:
        raise DataError(f"{p.name} has no data rows; add rows of {', '.join(columns)}")
    return frame


def read_features(path: str | os.PathLike[str], columns: tuple[str, ...] | list[str], *,
                  sep: str | None = None, decimal: str | None = None, encoding: str | None = None,
                  thousands: str | None = None) -> np.ndarray:
    """Read the named numeric columns of a CSV/Parquet file as an array (n_rows, len(columns)).

    Used to predict on new rows: the same checks as :func:`slopefit.data.files.load_file` (unknown column,
    non-numeric or missing cells) without requiring a target column; ``sep``, ``decimal``, ``encoding`` and
    ``thousands`` as there.
    """
    from slopefit.data.columns import finite_column, numeric_column

    frame = _new_rows(path, columns, "a feature of the model",
                      {"sep": sep, "decimal": decimal, "encoding": encoding, "thousands": thousands})
    label = Path(path).name
    return np.column_stack([finite_column(numeric_column(frame[c], c, label), c, label) for c in columns])


def read_columns(path: str | os.PathLike[str], columns: tuple[str, ...] | list[str], *,
                 sep: str | None = None, decimal: str | None = None, encoding: str | None = None,
                 thousands: str | None = None) -> list[list]:
    """The named columns of a CSV/Parquet file as rows of cells (numbers, or text where a column holds
    text): the new rows of a model whose design reads a table's columns (:mod:`slopefit.data.design`)."""
    frame = _new_rows(path, columns, "read by the model",
                      {"sep": sep, "decimal": decimal, "encoding": encoding, "thousands": thousands})
    return frame[list(columns)].astype(object).where(frame[list(columns)].notna(), None).values.tolist()
