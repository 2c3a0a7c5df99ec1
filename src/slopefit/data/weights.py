"""Sample weights: weighted least squares through the same statistics pass.

With weights ``w_i >= 0`` the loss is ``MSE_w = sum_i w_i (y_i - x_i coef - b)^2 / sum_i w_i``
and every moment of :class:`slopefit.solve.stats.SufficientStats` becomes a weighted one (the pass
multiplies each shifted row by ``sqrt(w_i)`` before the same products; the count becomes
``N = sum w``). Its optimum is statsmodels' ``WLS(y, X, weights=w)``, and so is the summary:
``sigma^2 = sum w e^2 / (n - p)`` with ``n`` the number of rows (statsmodels' ``nobs``, zero
weights included), the covariance ``sigma^2 (A^T W A)^-1``, R² from the weighted sums of
squares about the weighted mean.

Here: the weight column read from a file (not a feature), its check (a bad weight is named
with its rows), the exact weighted optimum on the rows and the weighted MSE of a line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from slopefit.data.arrays import column_values
from slopefit.data.datasets import Dataset, check_weights
from slopefit.data.tables import TableSource
from slopefit.errors import ConfigError, DataError, row_numbers


def load_weighted(source: str | os.PathLike[str], *, weights: str, x=None, y=None, formula: str | None = None,
                  sep: str | None = None, decimal: str | None = None, missing: str = "error",
                  encoding: str | None = None, thousands: str | None = None) -> Dataset:
    """A CSV/Parquet file as a Dataset whose ``weights`` come from the column ``weights``.

    The weight column is never a feature: without ``x`` (and without a formula) the features are
    every column but the target and the weights; without ``y`` the target is the last column that is
    not the weights. Features are read as :func:`slopefit.data.files.load_file` reads them (text columns as
    categories, a formula's terms). Every row needs a weight: an empty cell there is an error, and so
    are rows dropped for empty cells elsewhere (``missing="drop"``), whose weights could not follow.

    Parameters
    ----------
    source : path
        A CSV or Parquet file.
    weights : str
        The weight column; keyword-only (as are all below).
    x, y, formula : the features and the target, as for :func:`slopefit.data.files.load_file`
    sep, decimal, missing, encoding, thousands : how the file is read (see :func:`slopefit.data.files.load_file`)

    Returns
    -------
    Dataset
        With ``weights`` (n_samples,) and ``weights_name``.

    Raises
    ------
    ConfigError
        The weight column is also named as a feature or as the target; rows dropped for empty cells.
    DataError
        Not a file, an unknown column, bad weights (see :func:`check_weights`).
    """
    from slopefit.data.columns import choose_columns
    from slopefit.data.files import csv_dialect, load_file, read_table
    from slopefit.data.tables import PARQUET_SUFFIXES

    path = Path(source)
    if not path.is_file():
        raise DataError(f"weights={weights!r} needs a CSV or Parquet file holding that column; {source} is not "
                        "a file")
    if y == weights or (x and weights in x):
        raise ConfigError(f"column {weights!r} is the weights (weights=); it cannot also be "
                          f"{'the target' if y == weights else 'a feature'}")
    reading: dict[str, Any] = {"sep": sep, "decimal": decimal, "encoding": encoding, "thousands": thousands}
    names = column_names(path, **reading)
    if weights not in names:
        raise DataError(f"weight column {weights!r} is not in {path.name}; available columns: {', '.join(names)}")
    if formula is None:
        x, y = choose_columns([c for c in names if c != weights], x=x, y=y, label=path.name)
    ds = load_file(path, x=x, y=y, formula=formula, missing=missing, **reading)
    if ds.dropped_rows:
        raise ConfigError(f"missing=\"drop\" left out {ds.dropped_rows} rows of {path.name} with empty cells, and "
                          f"their weights ({weights!r}) cannot follow them here; fill those cells or drop the rows "
                          "from the file")
    parquet = path.suffix.lower() in PARQUET_SUFFIXES
    frame = read_table(path, dialect=None if parquet else csv_dialect(path, **reading))
    w = _numeric_weights(frame[weights], weights, path.name)
    from dataclasses import replace

    return replace(ds, weights=check_weights(w, name=weights, label=path.name, n_rows=ds.n_samples),
                   weights_name=weights)


def _numeric_weights(series, name: str, label: str) -> np.ndarray:
    """The weight column as float64; a cell that is not a number is named with its rows."""
    import pandas as pd

    numeric = pd.to_numeric(series, errors="coerce")
    text = numeric.isna() & series.notna() & (series.astype(str).str.strip() != "")
    if text.any():
        raise DataError(f"weights {name!r} of {label} are not numbers in {row_numbers(text.to_numpy())} (first: "
                        f"{series[text].iloc[0]!r}); give every row a number >= 0")
    return numeric.to_numpy(dtype=np.float64)


def column_names(path: Path, *, sep: str | None = None, decimal: str | None = None, encoding: str | None = None,
                 thousands: str | None = None) -> list[str]:
    """The columns of a CSV file's header (a first column without a header left out: R's row names) or of
    a Parquet file's schema (no row read)."""
    from slopefit.data.files import csv_dialect, header_names, pandas_index_columns
    from slopefit.data.tables import PARQUET_SUFFIXES

    if path.suffix.lower() in PARQUET_SUFFIXES:
        import pyarrow.parquet as pq

        schema = pq.ParquetFile(path).schema_arrow
        index = pandas_index_columns(schema)
        return [c for c in schema.names if c not in index]
    dialect = csv_dialect(path, sep=sep, decimal=decimal, encoding=encoding, thousands=thousands)
    return [c for c in header_names(path, dialect) if c]


# --- a file read in chunks, with its weight column ------------------------------------------


@dataclass(frozen=True)
class WeightedTable(TableSource):
    """A CSV or Parquet file read in chunks whose column ``weights_name`` holds sample weights.

    :meth:`chunks` yields ``(X, y, w)``: the statistics pass (:func:`slopefit.solve.accumulation.compute_stats`)
    weights each row's products, exactly as for weights held in memory. The weight column is read in
    the same pass as the features (never a feature); a row dropped for an empty cell
    (``missing="drop"``) takes its weight with it; an empty weight is named as any empty cell is.
    Only full-batch runs on the statistics train on it (no minibatch shuffles).
    """

    weights_name: str = ""

    @property
    def read_columns(self) -> list[str]:
        """The features and the target, then the weight column."""
        return [*super().read_columns, self.weights_name]

    def _arrays(self, batch) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """X with the weights as one more column (so that rows dropped for empty cells drop their
        weights too), y, and the empty cells (the weight column's included), float64."""
        X, y, empty = super()._arrays(batch)
        w = column_values(batch.column(batch.schema.get_field_index(self.weights_name)))
        w = w.astype(np.float64)
        if np.isnan(w).any():
            empty[self.weights_name] = np.isnan(w)
        return np.column_stack([X.astype(np.float64, copy=False), w]), y.astype(np.float64, copy=False), empty

    def chunks(self, *, on_rows: Callable[[int], None] | None = None  # type: ignore[override]
               ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Yield ``(X, y, w)`` in file order, float64; a negative or infinite weight is named with its
        rows, and weights summing to 0 are refused at the end of the pass."""
        done, total = 0, 0.0
        for X, y in super().chunks(on_rows=on_rows):
            w = X[:, -1]
            bad = ~np.isfinite(w) | (w < 0)
            if bad.any():
                raise DataError(f"weights {self.weights_name!r} of {self.name} are negative or infinite in "
                                f"{row_numbers(bad, offset=done)} (first: {w[bad][0]:g}); weights must be "
                                "finite and >= 0")
            total += float(w.sum())
            done += len(y)
            yield X[:, :-1], y, w
        if done and not total > 0:
            raise DataError(f"weights {self.weights_name!r} of {self.name} sum to 0: no row counts; give some "
                            "rows a weight > 0")

    def shuffled_chunks(self, generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Not for a weighted table: weights train full batch on the statistics."""
        raise ConfigError(f"sample weights ({self.weights_name}) are trained full batch on the stats engine; "
                          "leave out batch_size= and engine=\"data\"")

    def read_all(self) -> Dataset:
        """The whole table as a weighted :class:`slopefit.data.datasets.Dataset` (it must fit)."""
        from slopefit.data.datasets import check_dataset

        parts = list(self.chunks())
        X, y, w = (np.concatenate([p[k] for p in parts]) for k in range(3))
        return check_dataset(Dataset(
            X=X, y=y, feature_names=self.feature_names, target_name=self.target_name, name=self.name,
            description={"ko": f"파일 {self.name}", "en": f"file {self.name}"}, dropped_rows=self.dropped_rows,
            dialect=self.dialect.describe() if self.format == "csv" else None, weights=w, notes=self.notes,
            weights_name=self.weights_name))


def open_weighted_table(path: str | os.PathLike[str], *, weights: str, x=None, y=None, chunk_rows: int,
                        sep: str | None = None, decimal: str | None = None, missing: str = "error",
                        encoding: str | None = None, thousands: str | None = None):
    """A CSV or Parquet file read in chunks of ``(X, y, w)``, the weights from its column ``weights``.

    Parameters
    ----------
    path : path
        A CSV or Parquet file.
    weights : str
        The weight column (not a feature); keyword-only (as are all below).
    x, y : the features and the target; default every column but the target and the weights, and the
        last column that is not the weights
    chunk_rows, sep, decimal, missing, encoding, thousands : as for :func:`slopefit.data.tables.open_table`

    Returns
    -------
    WeightedTable
        A :class:`slopefit.data.tables.TableSource` whose chunks carry the weights.

    Raises
    ------
    ConfigError
        The weight column named as a feature or the target; text columns or a formula (categories are
        read whole with weights: drop --stream).
    DataError
        Not a file, an unknown column.
    """
    from dataclasses import fields

    from slopefit.data.columns import choose_columns
    from slopefit.data.tables import open_table

    path = Path(path)
    if not path.is_file():
        raise DataError(f"weights={weights!r} needs a CSV or Parquet file holding that column; {path} is not a file")
    if y == weights or (x and weights in x):
        raise ConfigError(f"column {weights!r} is the weights (weights=); it cannot also be "
                          f"{'the target' if y == weights else 'a feature'}")
    reading: dict[str, Any] = {"sep": sep, "decimal": decimal, "encoding": encoding, "thousands": thousands}
    names = column_names(path, **reading)
    if weights not in names:
        raise DataError(f"weight column {weights!r} is not in {path.name}; available columns: {', '.join(names)}")
    x, y = choose_columns([c for c in names if c != weights], x=x, y=y, label=path.name)
    table = open_table(path, x=x, y=y, chunk_rows=chunk_rows, missing=missing, **reading)
    if table.design is not None:
        raise ConfigError(f"weights={weights!r} on a file read in chunks takes numeric columns only; "
                          f"{path.name} has text columns ({', '.join(table.design.text)}): read it whole "
                          "(stream=False)")
    return WeightedTable(**{f.name: getattr(table, f.name) for f in fields(table)}, weights_name=weights)
