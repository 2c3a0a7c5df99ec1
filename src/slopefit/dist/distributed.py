"""Many processes, one answer: the statistics and the exact optimum of a fit started by ``torchrun``.

Each process reads only its share of the data (:mod:`slopefit.dist.shards`) inside the process
group it joined (:mod:`slopefit.dist.group`), and:

* :func:`gather_stats`: the float64 statistics of every share, moved to one common shift
  (that of the first rows of the data) and summed over the processes, so that every
  process holds the same statistics and runs the same full-batch epochs;
* :func:`reference`: the exact optimum refined by residual passes whose sums are reduced
  over the processes.

Minibatches of a global shuffle, each process stepping with the batch rows it holds, are
:class:`slopefit.train.engines.ShardEngine`'s.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np

from slopefit.dist.group import Group, agree, all_sum, gather_objects
from slopefit.dist.tally import RowTally
from slopefit.errors import DataError, SlopefitError
from slopefit.solve.accumulation import compute_stats
from slopefit.solve.preparation import check_stats, reference_solution
from slopefit.solve.stats import SufficientStats


def reshift(stats: SufficientStats, x_shift: np.ndarray, y_shift: float) -> SufficientStats:
    """The same statistics about another shift: ``G' = T^T G T`` with ``M' = M T``, ``M = [X - s, y - t, 1]``.

    Parameters
    ----------
    stats : SufficientStats
    x_shift : ndarray, shape (n_features,)
    y_shift : float

    Returns
    -------
    SufficientStats
        ``stats`` itself when the shift is already the same.
    """
    delta = np.append(stats.x_shift - x_shift, stats.y_shift - y_shift)  # old shift - new shift
    if not delta.any():
        return stats
    d = stats.n_features
    T = np.eye(d + 2)
    T[d + 1, : d + 1] = delta
    gram = T.T @ stats.gram @ T
    return SufficientStats(n=stats.n, x_shift=np.asarray(x_shift, dtype=np.float64).copy(), y_shift=float(y_shift),
                           gram=(gram + gram.T) / 2.0, x_min=stats.x_min, x_max=stats.x_max)


def gather_stats(share, group: Group | None, *, on_rows: Callable[[int], None] | None = None) -> SufficientStats:
    """The statistics of every process's share, identical in every process.

    Each process accumulates its rows (:func:`slopefit.solve.accumulation.compute_stats`); the
    processes agree on any error; the shift of the first process holding rows becomes the
    common shift, every share's statistics are moved to it (:func:`reshift`) and summed, and
    the ranges are reduced to their minimum and maximum. The checks of
    :func:`slopefit.solve.preparation.gather_stats` then run on the sum, alike in every process.

    Parameters
    ----------
    share : Share
        This process's rows (:func:`slopefit.dist.shards.open_share`).
    group : Group or None
        None: a run of one (a directory or pattern read by one process).
    on_rows : callable, optional
        Called with the rows every process has read so far, in process 0 only (:class:`slopefit.dist.tally.RowTally`),
        at last with the rows of the statistics; keyword-only.

    Returns
    -------
    SufficientStats

    Raises
    ------
    DataError
        Any process's reading error (bad cells, empty cells), or too few rows, a constant feature.
    """
    d = share.n_features
    tally = RowTally(group, on_rows)
    counted = _Counted(share.chunks(on_rows=tally.read))
    local: SufficientStats | None = None
    error: SlopefitError | None = None
    label = share.parts[0].name if len(share.parts) == 1 else f"{share.name} (process {share.rank}'s share)"
    try:
        local = compute_stats(counted, d, names=[*share.feature_names, share.target_name], label=label)
    except DataError as exc:
        if counted.rows or not counted.finished:  # an empty share is no error: the others hold the rows
            error = exc
    agree(group, error)
    shifts = [s for s in gather_objects(group, None if local is None else (local.x_shift, local.y_shift))
              if s is not None]
    if not shifts:
        raise DataError(f"{share.name} has no rows; a line needs at least 2 rows of data")
    x_shift, y_shift = shifts[0]
    if local is None:
        gram, low, high = np.zeros((d + 2, d + 2)), np.full(d, np.inf), np.full(d, -np.inf)
    else:
        moved = reshift(local, x_shift, y_shift)
        gram, low, high = moved.gram, moved.x_min, moved.x_max
    gram = all_sum(group, gram)
    low, high = all_sum(group, low, op="min"), all_sum(group, high, op="max")
    share.tally["dropped"] = int(all_sum(group, np.array([share.local_dropped()]))[0])
    stats = SufficientStats(n=int(round(gram[d + 1, d + 1])), x_shift=np.asarray(x_shift, dtype=np.float64),
                            y_shift=float(y_shift), gram=gram, x_min=low, x_max=high)
    tally.done(stats.n)
    check_stats(stats, share)
    return stats


class _Counted:
    """An iterator of ``(X, y)`` chunks that counts their rows and knows when it ran out."""

    def __init__(self, chunks: Iterator) -> None:
        self._chunks = chunks
        self.rows = 0
        self.finished = False

    def __iter__(self) -> _Counted:
        return self

    def __next__(self):
        try:
            X, y = next(self._chunks)
        except StopIteration:
            self.finished = True
            raise
        self.rows += len(y)
        return X, y


def reference(share, stats: SufficientStats, group: Group | None, *, fit_intercept: bool = True):
    """The exact optimum of every process's rows: the statistics' normal equations refined by
    residual passes (:func:`slopefit.solve.refinement.refine`) whose sums are added over the processes.

    Parameters
    ----------
    share : Share
    stats : SufficientStats
        From :func:`gather_stats` (identical in every process).
    group : Group or None
    fit_intercept : bool, default True; keyword-only.

    Returns
    -------
    ExactSolution
        Identical in every process.
    """
    def reduce(n: int, rss: float, ax_r: np.ndarray, sum_r: float) -> tuple[int, float, np.ndarray, float]:
        total = all_sum(group, np.concatenate([[n, rss, sum_r], ax_r]))
        return int(round(total[0])), float(total[1]), total[3:], float(total[2])

    return reference_solution(share, fit_intercept=fit_intercept, stats=stats, reduce=reduce)


