"""Before the loop: the one pass of statistics over the data, and the exact optimum to compare with.

In-memory tables small enough get the reference from their rows (:func:`slopefit.solve.exact.solve_exact`,
an SVD with refinement); files read in chunks and large tables from the sufficient statistics.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

from slopefit.data.datasets import Dataset
from slopefit.data.prefetch import read_ahead
from slopefit.data.sources import load_dataset
from slopefit.data.tables import (
    DEFAULT_CHUNK_ROWS,
    PARQUET_SUFFIXES,
    TableSource,
    category_columns,
    hold_table,
    open_table,
)
from slopefit.errors import DataError, count_of
from slopefit.solve.accumulation import compute_stats, threads_beside_a_reader
from slopefit.solve.exact import ExactSolution, solve_exact
from slopefit.solve.minimum_norm import minimum_norm, minimum_norm_on_rows
from slopefit.solve.refinement import refine, refine_in_pass
from slopefit.solve.scaling import Scaler
from slopefit.solve.stats import SufficientStats

# below this a column's squares (1e-290) lose digits to float64's subnormal range (from 2.2e-308)
SQUARE_FLOOR = 1e-145
EXACT_ON_ROWS_MAX = 1_000_000  # values (rows x features) up to which the reference is solved on the rows
STREAM_BYTES = 1 << 30  # files larger than this are always read in chunks, whatever the run needs
# Rows needed twice (the statistics, then the residual pass of the refined reference) are held in
# memory, as pyarrow's typed columns, up to this many bytes of values (about 6M rows of 8 float64
# features and a target); above, a second pass over the file costs less than a resident copy.
RESIDENT_BYTES = 448 << 20


def open_data(source: str | os.PathLike[str], *, x: list[str] | tuple[str, ...] | None = None,
              y: str | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS, stream: bool = False,
              rows: bool = False, sep: str | None = None, decimal: str | None = None,
              missing: str = "error", formula: str | None = None,
              weights: str | None = None, encoding: str | None = None,
              thousands: str | None = None) -> Dataset | TableSource:
    """The data a run names, read the cheapest way the run allows.

    * built-in and synthetic data, small files (at most about ``EXACT_ON_ROWS_MAX`` values: the
      reference is solved on the rows), and runs that
      need the rows at hand (``rows``: the data engine, minibatches): a Dataset
      (:func:`slopefit.data.datasets.load_dataset`);
    * ``stream``, files over ``STREAM_BYTES``, and files whose values would take more than
      ``RESIDENT_BYTES``: read in chunks (:func:`slopefit.data.tables.open_table`), one pass for the
      statistics and one for the residuals of the refined reference;
    * otherwise: a TableSource holding pyarrow's columns (:func:`slopefit.data.tables.hold_table`),
      read once, both passes from memory.

    Parameters
    ----------
    source : built-in name, ``synthetic[:options]``, or a CSV/Parquet path
    x, y : feature and target columns (default: every column but the last, and the last)
    chunk_rows : int, default 262144, rows per chunk
    stream : bool, default False, read a file in chunks whatever its size
    rows : bool, default False, the run needs the rows in memory as a Dataset
    sep, decimal : str or None, default None, a CSV file's separator and decimal mark (else detected)
    encoding, thousands : str or None, default None, a CSV file's encoding (else detected) and thousands
        separator (:func:`slopefit.data.files.load_file`)
    missing : "error" (default) or "drop", rows of a file with empty cells in the columns used
    weights : str or None, default None, a column of the file holding sample weights (not a feature):
        with ``stream`` (or a file over ``STREAM_BYTES``) read in chunks of ``(X, y, w)``
        (:func:`slopefit.data.weights.open_weighted_table`), else read whole
        (:func:`slopefit.data.weights.load_weighted`)
    formula : str or None, the target and the terms (:mod:`slopefit.data.design`); a table with a formula
        or text feature columns (categories) is read whole
    """
    path = Path(source)
    reading: dict[str, Any] = {"sep": sep, "decimal": decimal, "missing": missing, "encoding": encoding,
                               "thousands": thousands}
    if weights is not None:
        from slopefit.data.weights import load_weighted, open_weighted_table

        if not rows and formula is None and path.is_file() and (stream or path.stat().st_size > STREAM_BYTES):
            return open_weighted_table(path, weights=weights, x=x, y=y, chunk_rows=chunk_rows, **reading)
        return load_weighted(source, weights=weights, x=x, y=y, formula=formula, **reading)
    if not path.is_file():
        return load_dataset(source, x=x, y=y, formula=formula, missing=missing)
    if stream or path.stat().st_size > STREAM_BYTES:
        return open_table(path, x=x, y=y, chunk_rows=chunk_rows, formula=formula, **reading)
    values, resident = _file_size(path, x=x, y=y)
    if rows or values <= EXACT_ON_ROWS_MAX or formula is not None:
        return load_dataset(source, x=x, y=y, formula=formula, **reading)
    table = open_table(path, x=x, y=y, chunk_rows=chunk_rows, levels=False, **reading)
    if category_columns(table):  # text feature columns (categories): read whole, no pass for their levels
        return load_dataset(source, x=x, y=y, **reading)
    return hold_table(table) if resident <= RESIDENT_BYTES else table


def _file_size(path: Path, *, x, y) -> tuple[int, int]:
    """About how many values a file holds, and how many bytes they take in memory: for Parquet
    from its metadata (no row read); for CSV from its size and the cells of its first 64 KB
    (parsed as float64, 8 bytes a cell). A file that cannot be read counts as small (the whole
    load then says what is wrong)."""
    if path.suffix.lower() not in PARQUET_SUFFIXES:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
        # every cell ends in a separator or a newline (a decimal comma counts twice: an estimate)
        cells = max(sum(head.count(c) for c in (b",", b";", b"\t", b"|", b"\n")), 1)
        values = path.stat().st_size * cells // max(len(head), 1)
        return values, values * 8
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
    except Exception:  # noqa: BLE001
        return 0, 0
    used = [*x, y or schema.names[-1]] if x else list(schema.names)
    float32 = all(schema.field(c).type == pa.float32() for c in used if c in schema.names)
    rows = pf.metadata.num_rows
    return rows * len(used), rows * len(used) * (4 if float32 else 8)


def row_passes(data: Dataset | TableSource, stats: SufficientStats, *, fit_intercept: bool = True) -> int:
    """Passes over the rows a fit of ``data`` reads: the statistics, then (for a file read in chunks
    or a table too large to solve on its rows) the residual passes of the refined reference that
    the statistics pass's own residual moments leave due (none for a weighted file read in chunks)."""
    if solves_on_rows(data) or getattr(data, "weights_name", None):
        return 1
    return 1 + _residual_passes(stats, fit_intercept)


def gather_stats(data: Dataset | TableSource, *, on_rows: Callable[[int], None] | None = None) -> SufficientStats:
    """The sufficient statistics of an in-memory dataset or of a file read in chunks.

    Parameters
    ----------
    data : Dataset or TableSource
        The rows in memory, or a file read in chunks.
    on_rows : callable or None, default None
        Called with the number of rows read so far; keyword-only.

    Returns
    -------
    SufficientStats
        Counts, sums, cross-products, minima and maxima of features and target.

    Raises
    ------
    DataError
        Fewer than 2 rows, a constant feature, NaN or infinite values (named by column and row).
    """
    names = [*data.feature_names, data.target_name]
    if isinstance(data, Dataset):
        if data.n_samples < 2:
            raise DataError(f"{data.name} has {count_of(data.n_samples, 'row')}; a line needs at least 2 rows of data")
        chunk = (data.X, data.y) if data.weights is None else (data.X, data.y, data.weights)
        stats = compute_stats([chunk], data.n_features, names=names, label=data.name)
        if on_rows is not None:
            on_rows(data.n_samples)
    else:
        # the file decoded on a reader thread while this one accumulates
        stats = compute_stats(read_ahead(data.chunks, on_rows=on_rows), data.n_features, names=names,
                              label=data.name, threads=threads_beside_a_reader())
    check_stats(stats, data)
    return stats


def check_stats(stats: SufficientStats, data) -> None:
    """The checks every statistics pass ends with: at least 2 rows, no constant feature.

    Parameters
    ----------
    stats : SufficientStats
    data : Dataset, TableSource or Share
        Gives the names in the message.

    Raises
    ------
    DataError
    """
    if stats.n < 2:
        raise DataError(f"{data.name} has {count_of(stats.n, 'row')}; a line needs at least 2 rows of data")
    constant = np.flatnonzero(stats.x_min == stats.x_max)
    tiny = np.flatnonzero((stats.x_max - stats.x_min > 0) & (stats.x_max - stats.x_min < SQUARE_FLOOR))
    if tiny.size:  # its squares underflow: it would look constant, or collinear of rank 0
        j = int(tiny[0])
        raise DataError(_too_small(f"feature {data.feature_names[j]!r}", stats.x_max[j] - stats.x_min[j], data.name,
                                   "varies only by"))
    if 0 < abs(stats.y_shift) < SQUARE_FLOOR:
        raise DataError(_too_small(f"target {data.target_name!r}", abs(stats.y_shift), data.name, "has values near"))
    if constant.size:
        name = data.feature_names[int(constant[0])]
        raise DataError(f"feature {name!r} is constant (every row is {stats.x_min[constant[0]]:g}): it carries no "
                        "information and makes the fit ill-posed; leave it out of x=")


def _too_small(what: str, size: float, label: str, how: str) -> str:
    """The line for a column too small to square in float64, with the power of ten to multiply it by."""
    factor = 10.0 ** -int(np.floor(np.log10(size)))
    return (f"{what} of {label} {how} {size:.3g}, too little to square in float64; multiply it by {factor:.0e} "
            "(R² and t are the same in those units)")


def solves_on_rows(data: Dataset | TableSource) -> TypeGuard[Dataset]:
    """Whether the reference comes from the rows (small in-memory tables: more digits) or the statistics.

    Parameters
    ----------
    data : Dataset or TableSource

    Returns
    -------
    bool
        True for a :class:`Dataset` of at most ``EXACT_ON_ROWS_MAX`` values (rows x features), and
        for every weighted one (the residual passes of the statistics' reference are unweighted).
    """
    return isinstance(data, Dataset) and (data.n_samples * data.n_features <= EXACT_ON_ROWS_MAX
                                          or data.weights is not None)


def reference_solution(data: Dataset | TableSource, *, fit_intercept: bool = True,
                       stats: SufficientStats | None = None, reduce: Callable | None = None) -> ExactSolution:
    """The float64 optimum :func:`slopefit.train.training.fit` compares with, its loss from the residuals.

    Small in-memory tables: :func:`solve_exact` on the rows (an SVD refined with extended-
    precision residuals). Otherwise the normal equations of the sufficient statistics
    (``stats`` if already gathered), refined by residual passes over the rows
    (:func:`slopefit.solve.refinement.refine`) so that the answer keeps about ``16 - log10(cond)``
    digits: with an intercept, the residual moments of a provisional line gathered in the
    statistics pass give the first correction (:func:`slopefit.solve.refinement.refine_in_pass`) and
    a pass is made only where its rounding may exceed that; otherwise one pass, two where the
    normal equations' condition number exceeds 1e8.

    Parameters
    ----------
    data : Dataset or TableSource
        The data to solve on.
    fit_intercept : bool, default True
        Whether the line has an intercept; keyword-only.
    stats : SufficientStats or None, default None
        The statistics of ``data`` if already gathered; None gathers them (one pass); keyword-only.
    reduce : callable or None, default None
        Adds each residual pass's sums over the processes of a distributed run (see
        :func:`slopefit.solve.refinement.refine`); keyword-only.

    Returns
    -------
    ExactSolution
        The least-squares optimum in original units, with its loss, rank and singular values.

    Fewer rows than parameters, or collinear features, have many least-squares answers: the one
    returned is the minimum-norm one in standardized units (:mod:`slopefit.solve.minimum_norm`), its
    ``nonunique`` saying why; :func:`slopefit.train.plan.plan_fit` moves it to the run's own scaling.
    """
    stats = stats or gather_stats(data)
    if solves_on_rows(data) and data.weights is not None:
        from slopefit.solve.exact import weighted_exact

        exact = weighted_exact(data.X, data.y, data.weights, fit_intercept=fit_intercept)
    elif solves_on_rows(data):
        exact = solve_exact(data.X, data.y, fit_intercept=fit_intercept)
    elif getattr(data, "weights_name", None):  # a weighted file read in chunks: the weighted normal equations
        exact = stats.solve(fit_intercept=fit_intercept)
    else:
        exact = _refined(data, stats, fit_intercept, reduce)
    if exact.rank < stats.n_features:  # many answers: the minimum-norm one in standardized units
        why = _nonunique(stats, data.feature_names, exact.rank, fit_intercept)
        exact = minimum_norm(exact, stats, stats.scaler("standardize", fit_intercept=fit_intercept),
                             fit_intercept=fit_intercept, why=why)
    return exact


def minimum_norm_reference(data: Dataset | TableSource, stats: SufficientStats, ols: ExactSolution,
                           scaler: Scaler, *, fit_intercept: bool = True) -> ExactSolution:
    """The least-squares answer a run with ``scaler`` compares with, where there are many
    (``ols.nonunique``): the minimum-norm one in its scaled parameters (:mod:`slopefit.solve.minimum_norm`).

    From the rows where the reference is (:func:`solves_on_rows`: an SVD of the scaled design, numpy's
    ``lstsq`` digits); else ``ols`` projected with the statistics' curvature. ``ols`` itself where unique.

    Parameters
    ----------
    data : Dataset or TableSource
    stats : SufficientStats
    ols : ExactSolution
        :func:`reference_solution`'s answer.
    scaler : Scaler
        The run's scaling.
    fit_intercept : bool, default True; keyword-only

    Returns
    -------
    ExactSolution
    """
    if ols.nonunique is None:
        return ols
    if solves_on_rows(data):
        return minimum_norm_on_rows(data.X, data.y, scaler, weights=data.weights, fit_intercept=fit_intercept,
                                    why=ols.nonunique)
    return minimum_norm(ols, stats, scaler, fit_intercept=fit_intercept)


@dataclass(frozen=True)
class Rows:
    """The rows of a Dataset or TableSource as a zero-argument callable yielding ``(X, y)`` chunks
    (what residual passes take); picklable, unlike a closure, so a FitResult holding one pickles.

    Examples
    --------
    >>> from slopefit.data.sources import builtin
    >>> [X.shape for X, _ in Rows(builtin("height-weight"))()]
    [(5, 1)]
    """

    data: Dataset | TableSource

    def __call__(self) -> Iterable[tuple[np.ndarray, np.ndarray]]:
        """One pass over the rows: the whole Dataset as one chunk, or the file's chunks (read ahead on a thread)."""
        if isinstance(self.data, Dataset):
            return [(self.data.X, self.data.y)]
        return read_ahead(self.data.chunks)


def _refined(data: Dataset | TableSource, stats: SufficientStats, fit_intercept: bool,
             reduce: Callable | None = None) -> ExactSolution:
    """The statistics' optimum refined by residual passes over the rows: none where the moments
    gathered in the statistics pass suffice (:func:`slopefit.solve.refinement.refine_in_pass`), else one
    from the normal equations' solution (two when the normal matrix's condition number exceeds 1e8).
    ``reduce`` sums a pass over every process (torchrun); statistics all-reduced that way carry no
    residual moments, so their passes are always made."""
    in_pass = refine_in_pass(stats) if fit_intercept else None
    if in_pass is not None and in_pass[1]:
        return in_pass[0]
    # as without the moments: from the normal equations' solution (the provisional line was far)
    return refine(stats, Rows(data), stats.solve(fit_intercept=fit_intercept), fit_intercept=fit_intercept,
                  passes=_refinement_passes(stats, fit_intercept), reduce=reduce)


def _residual_passes(stats: SufficientStats, fit_intercept: bool) -> int:
    """Residual passes over the rows :func:`_refined` makes."""
    in_pass = refine_in_pass(stats) if fit_intercept else None
    if in_pass is not None and in_pass[1]:
        return 0
    return _refinement_passes(stats, fit_intercept)


def _refinement_passes(stats: SufficientStats, fit_intercept: bool) -> int:
    """One residual pass, two where the normal matrix's condition number exceeds 1e8."""
    cxx = stats.centered()[0] if fit_intercept else stats.raw()[0]
    spread = np.sqrt(np.diag(cxx))
    spread = np.where(spread > 0, spread, 1.0)  # a zero column (underflowed squares) is refused elsewhere
    lam = np.linalg.eigvalsh(cxx / np.outer(spread, spread))  # the correlation matrix the solve uses
    return 1 if lam[0] > 1e-8 * lam[-1] else 2


def _nonunique(stats: SufficientStats, names, rank: int, fit_intercept: bool) -> str:
    """Why least squares has many answers, in a few words: too few rows, or the collinear columns
    named (those with weight in the null directions of the correlation matrix)."""
    n_params = stats.n_features + int(fit_intercept)
    if stats.n < n_params:
        return (f"{stats.n} rows for {n_params} parameters: {stats.n_features} features"
                f"{' and the intercept' if fit_intercept else ''}")
    cxx = stats.centered()[0] if fit_intercept else stats.raw()[0]
    spread = np.sqrt(np.diag(cxx))
    spread = np.where(spread > 0, spread, 1.0)
    _, vectors = np.linalg.eigh(cxx / np.outer(spread, spread))
    null = np.linalg.norm(vectors[:, : max(stats.n_features - rank, 1)], axis=1)  # the undetermined directions
    involved = [names[j] for j in np.flatnonzero(null > 0.05 * null.max())]
    return f"features {', '.join(involved)} are collinear: rank {rank} of {stats.n_features}"
