"""Before the loop: the one pass of statistics over the data, and the exact optimum to compare with.

In-memory tables small enough get the reference from their rows (:func:`slopefit.exact.solve_exact`,
an SVD with refinement); files read in chunks and large tables from the sufficient statistics.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeGuard

import numpy as np

from slopefit.datasets import Dataset, _count, load_dataset
from slopefit.errors import DataError
from slopefit.exact import ExactSolution, solve_exact
from slopefit.refinement import refine
from slopefit.stats import SufficientStats, compute_stats
from slopefit.tables import DEFAULT_CHUNK_ROWS, PARQUET_SUFFIXES, TableSource, open_table

EXACT_ON_ROWS_MAX = 1_000_000  # values (rows x features) up to which the reference is solved on the rows
STREAM_BYTES = 1 << 30  # files larger than this are always read in chunks, whatever the run needs
# Rows needed twice (the statistics, then the residual pass of the refined reference): held in memory
# up to this many bytes of values, read twice in chunks above it, where a second pass over the file
# costs less than a resident copy (about 1.6M rows of 8 float64 features and a target)
RESIDENT_BYTES = 128 << 20


def open_data(source: str | os.PathLike[str], *, x: list[str] | tuple[str, ...] | None = None,
              y: str | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS, stream: bool = False,
              rows: bool = False) -> Dataset | TableSource:
    """The data a run names, read the cheapest way the run allows.

    A file is read in chunks (:func:`slopefit.tables.open_table`) when ``stream`` is set, when it
    is larger than ``STREAM_BYTES``, and when the run does not need its rows at hand and their
    values would take more than ``RESIDENT_BYTES`` in memory (for CSV: a file larger than that,
    at 8 bytes a value and about as many characters a cell): the statistics take one pass and
    the refined reference one more. Otherwise, and for built-in and synthetic data, it is
    loaded whole (:func:`slopefit.datasets.load_dataset`).

    Parameters
    ----------
    source : built-in name, ``synthetic[:options]``, or a CSV/Parquet path
    x, y : feature and target columns (default: every column but the last, and the last)
    chunk_rows : int, default 262144, rows per chunk when read in chunks
    stream : bool, default False, read a file in chunks whatever its size
    rows : bool, default False
        The run needs the rows in memory (the data engine, minibatches): load the file whole
        unless it is larger than ``STREAM_BYTES`` or ``stream`` is set.
    """
    path = Path(source)
    if not path.is_file():
        return load_dataset(source, x=x, y=y)
    size = path.stat().st_size
    if stream or size > STREAM_BYTES or (not rows and resident_bytes(path, x=x, y=y) > RESIDENT_BYTES):
        return open_table(path, x=x, y=y, chunk_rows=chunk_rows)
    return load_dataset(source, x=x, y=y)


def resident_bytes(path: Path, *, x: list[str] | tuple[str, ...] | None = None, y: str | None = None) -> int:
    """About how many bytes a file's values take in memory: for Parquet, rows x columns x the
    item size, from its metadata (no row read); for CSV, its size (8 bytes a float64 value, about
    as many characters a cell)."""
    if path.suffix.lower() not in PARQUET_SUFFIXES:
        return path.stat().st_size
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
    except Exception:  # noqa: BLE001 - not readable as Parquet: the whole load says why
        return 0
    used = [*x, y or schema.names[-1]] if x else schema.names
    float32 = all(schema.field(c).type == pa.float32() for c in used if c in schema.names)
    return pf.metadata.num_rows * len(used) * (4 if float32 else 8)


def row_passes(data: Dataset | TableSource, stats: SufficientStats, *, fit_intercept: bool = True) -> int:
    """Passes over the rows a fit of ``data`` reads: the statistics, then (for a file read in chunks
    or a table too large to solve on its rows) the residual passes of the refined reference."""
    if solves_on_rows(data):
        return 1
    return 1 + _refinement_passes(stats, fit_intercept)


def gather_stats(data: Dataset | TableSource, *, on_rows: Callable[[int], None] | None = None) -> SufficientStats:
    """The sufficient statistics of an in-memory dataset or of a file read in chunks.

    Parameters
    ----------
    data : Dataset or TableSource
    on_rows : callable, optional, called with the number of rows read so far

    Raises
    ------
    DataError
        Fewer than 2 rows, a constant feature, NaN or infinite values (named by column and row).
    """
    names = [*data.feature_names, data.target_name]
    if isinstance(data, Dataset):
        if data.n_samples < 2:
            raise DataError(f"{data.name} has {_count(data.n_samples, 'row')}; a line needs at least 2 rows of data")
        stats = compute_stats([(data.X, data.y)], data.n_features, names=names, label=data.name)
        if on_rows is not None:
            on_rows(data.n_samples)
    else:
        with _reader_threads():
            stats = compute_stats(data.chunks(on_rows=on_rows), data.n_features, names=names, label=data.name)
    if stats.n < 2:
        raise DataError(f"{data.name} has {_count(stats.n, 'row')}; a line needs at least 2 rows of data")
    constant = np.flatnonzero(stats.x_min == stats.x_max)
    if constant.size and stats.n > stats.n_features:  # with fewer rows, that is the problem to name (below)
        name = data.feature_names[int(constant[0])]
        raise DataError(f"feature {name!r} is constant (every row is {stats.x_min[constant[0]]:g}): it carries no "
                        "information and makes the fit ill-posed; leave it out with --x")
    return stats


@contextmanager
def _reader_threads() -> Iterator[None]:
    """Torch on one thread while a file is read in chunks: pyarrow parses the next blocks on the
    other cores meanwhile, and torch's worker threads (small per-chunk products) would only spin
    against its threads; 6-12 x slower on 2 cores. The previous setting is restored."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def solves_on_rows(data: Dataset | TableSource) -> TypeGuard[Dataset]:
    """Whether the reference comes from the rows (small in-memory tables: more digits) or the statistics."""
    return isinstance(data, Dataset) and data.n_samples * data.n_features <= EXACT_ON_ROWS_MAX


def reference_solution(data: Dataset | TableSource, *, fit_intercept: bool = True,
                       stats: SufficientStats | None = None) -> ExactSolution:
    """The float64 optimum :func:`slopefit.training.fit` compares with, its loss from the residuals.

    Small in-memory tables: :func:`solve_exact` on the rows (an SVD refined with extended-
    precision residuals). Otherwise the normal equations of the sufficient statistics
    (``stats`` if already gathered), refined by residual passes over the rows
    (:func:`slopefit.refinement.refine`): one pass, two where the normal equations' condition
    number exceeds 1e8, so that the answer keeps about ``16 - log10(cond)`` digits.

    Raises
    ------
    DataError
        Fewer rows than parameters, or collinear features (named): no unique line exists.
    """
    stats = stats or gather_stats(data)
    n_params = stats.n_features + (1 if fit_intercept else 0)
    if stats.n < n_params:
        raise DataError(f"{data.name} has {stats.n} rows for {n_params} parameters ({stats.n_features} features"
                        f"{' and the intercept' if fit_intercept else ''}): so few rows do not determine the line; "
                        f"use at least {n_params} rows, or fewer features with --x")
    if solves_on_rows(data):
        exact = solve_exact(data.X, data.y, fit_intercept=fit_intercept)
    else:
        exact = _refined(data, stats, fit_intercept)
    if exact.rank < stats.n_features:
        raise DataError(_collinear(stats, data.feature_names, exact.rank, fit_intercept, data.name))
    return exact


def _refined(data: Dataset | TableSource, stats: SufficientStats, fit_intercept: bool) -> ExactSolution:
    """The statistics' optimum refined by one residual pass over the rows (two when the
    normal matrix's condition number exceeds 1e8)."""
    if isinstance(data, Dataset):
        def chunks():
            return [(data.X, data.y)]
    else:
        chunks = data.chunks
    return refine(stats, chunks, stats.solve(fit_intercept=fit_intercept), fit_intercept=fit_intercept,
                  passes=_refinement_passes(stats, fit_intercept))


def _refinement_passes(stats: SufficientStats, fit_intercept: bool) -> int:
    """One residual pass, two where the normal matrix's condition number exceeds 1e8."""
    cxx = stats.centered()[0] if fit_intercept else stats.raw()[0]
    spread = np.sqrt(np.diag(cxx))
    lam = np.linalg.eigvalsh(cxx / np.outer(spread, spread))  # the correlation matrix the solve uses
    return 1 if lam[0] > 1e-8 * lam[-1] else 2


def _collinear(stats: SufficientStats, names, rank: int, fit_intercept: bool, label: str) -> str:
    """The message for a design whose columns are linearly dependent, naming the columns involved
    (those with weight in the null direction of the correlation matrix)."""
    cxx = stats.centered()[0] if fit_intercept else stats.raw()[0]
    spread = np.sqrt(np.diag(cxx))
    spread = np.where(spread > 0, spread, 1.0)
    _, vectors = np.linalg.eigh(cxx / np.outer(spread, spread))
    null = np.abs(vectors[:, 0])  # the direction the data do not determine
    involved = [names[j] for j in np.flatnonzero(null > 0.05 * null.max())]
    return (f"features {', '.join(involved)} of {label} are collinear: one is a linear combination of the others "
            f"(rank {rank} of {stats.n_features} features), so least squares has no unique line; leave one of "
            "them out with --x")
