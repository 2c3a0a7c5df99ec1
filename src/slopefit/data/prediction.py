"""New rows through a fitted line: the one path from a table's own columns to predictions.

A fit (:class:`slopefit.train.results.FitResult`) and a model file
(:class:`slopefit.views.persistence.Model`) both predict here, so that both apply the same
:class:`slopefit.data.design.Design` (a formula's transforms, the categories) to new rows. The
coefficients are in original units: the scaling the optimizer saw is already folded into them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
