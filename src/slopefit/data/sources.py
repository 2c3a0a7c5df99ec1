"""Where a Dataset comes from: a built-in name, ``synthetic[:options]``, a CSV or Parquet path or a
pandas DataFrame, each read by the floor below it and returned as one validated :class:`Dataset`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from slopefit.data.datasets import BUILTIN_FILES, BUILTIN_TABLES, Dataset, check_dataset, parse_synthetic
from slopefit.errors import DataError


def _builtin_file(name: str, *, x=None, y=None, formula: str | None = None, missing: str = "error") -> Dataset:
    """A built-in table shipped as a file: its default columns unless ``x``, ``y`` or ``formula`` say otherwise."""
    from dataclasses import replace

    from slopefit.data.files import load_file

    spec = BUILTIN_FILES[name]
    if formula is None:
        x = x or (list(spec["x"]) if y is None or y == spec["y"] else None)
        y = y or spec["y"]
    ds = load_file(Path(__file__).parent / spec["file"], x=x, y=y, formula=formula, missing=missing)
    return replace(ds, name=name, description=dict(spec["description"]))


def load_dataset(
    source: str | os.PathLike[str],
    *,
    x: str | Sequence[str] | None = None,
    y: str | None = None,
    formula: str | None = None,
    **reading,
) -> Dataset:
    """Load data from a built-in name, ``synthetic[:options]``, a CSV/Parquet path or a pandas DataFrame.

    ``formula`` (``"invest ~ value + capital + C(firm)"``): the target and the terms, instead of
    ``x`` and ``y`` (:func:`slopefit.data.design.design_dataset`). Text columns among the features become
    indicator columns (``firm[T.IBM]``). ``reading``: ``sep``, ``decimal`` and ``missing`` of a file
    (:func:`slopefit.data.files.load_file`).

    Examples
    --------
    >>> load_dataset("height-weight").feature_names
    ('height',)
    >>> load_dataset("grunfeld", formula="invest ~ value + C(firm)").feature_names[:2]
    ('value', 'C(firm)[T.Atlantic Refining]')
    """
    x = [x] if isinstance(x, str) else (list(x) if x is not None else None)  # x="bmi": one column, not its letters
    if hasattr(source, "columns") and hasattr(source, "iloc"):  # a pandas DataFrame
        from slopefit.data.design import design_dataset

        return design_dataset(source, x=x, y=y, formula=formula, label="DataFrame", name="DataFrame",
                              index=getattr(source, "index", None),
                              missing=reading.get("missing", "error"))
    text = os.fspath(source)
    if text in BUILTIN_FILES:
        return _builtin_file(text, x=x, y=y, formula=formula, missing=reading.get("missing", "error"))
    if formula is not None and (text in BUILTIN_TABLES or text == "synthetic" or text.startswith("synthetic:")):
        import pandas as pd

        from slopefit.data.design import design_dataset

        whole = builtin(text) if text in BUILTIN_TABLES else parse_synthetic(text)
        frame = pd.DataFrame({**{c: whole.X[:, j] for j, c in enumerate(whole.feature_names)},
                              whole.target_name: whole.y})
        return design_dataset(frame, x=x, y=y, formula=formula, label=whole.name, name=whole.name,
                              description=whole.description)
    if text in BUILTIN_TABLES:
        ds = builtin(text)
    elif text == "synthetic" or text.startswith("synthetic:"):
        ds = parse_synthetic(text)
    else:
        from slopefit.data.files import load_file

        return load_file(text, x=x, y=y, formula=formula, **reading)
    if x or y:
        ds = _select_builtin(ds, x, y)
    return check_dataset(ds)


def _select_builtin(ds: Dataset, x, y) -> Dataset:
    if y is not None and y != ds.target_name:
        raise DataError(f"column {y!r} is not the target of {ds.name}; its target is {ds.target_name!r}")
    wanted = list(x) if x else list(ds.feature_names)
    missing = [c for c in wanted if c not in ds.feature_names]
    if missing:
        columns = ", ".join([*ds.feature_names, ds.target_name])
        raise DataError(f"column {missing[0]!r} is not in {ds.name}; available columns: {columns}",
                        key="err.no_column", values={"column": missing[0], "label": ds.name, "columns": columns})
    idx = [ds.feature_names.index(c) for c in wanted]
    coef = ds.true_coef[idx] if ds.true_coef is not None and len(idx) == ds.n_features else None
    return Dataset(X=ds.X[:, idx], y=ds.y, feature_names=tuple(wanted), target_name=ds.target_name,
                   name=ds.name, description=ds.description, true_coef=coef,
                   true_intercept=ds.true_intercept if coef is not None else None)


def builtin(name: str) -> Dataset:
    """Return a built-in dataset by name (``"height-weight"`` or ``"hours-ability"``).

    Raises
    ------
    DataError
        If ``name`` is not a built-in dataset.
    """
    if name in BUILTIN_FILES:
        return _builtin_file(name)
    if name not in BUILTIN_TABLES:
        raise DataError(
            f"unknown built-in dataset {name!r}; choose one of {', '.join(BUILTIN_TABLES)} "
            "or give a path to a CSV/Parquet file"
        )
    spec = BUILTIN_TABLES[name]
    return Dataset(
        X=np.array(spec["X"], dtype=np.float64),
        y=np.array(spec["y"], dtype=np.float64),
        feature_names=spec["feature_names"],
        target_name=spec["target_name"],
        name=name,
        description=dict(spec["description"]),
    )
