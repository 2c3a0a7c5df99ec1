"""Held-out scores: a train/test split and K-fold cross-validation of one TrainConfig.

Rows are dealt into folds by one seeded permutation (``numpy.random.default_rng(seed)``).
Each fold trains with :func:`slopefit.train.training.fit` on a Dataset of its training rows, with
the same settings (automatic ones resolved afresh on those rows, as a full fit resolves them),
and is scored in float64 on the rows it never saw: R² (about the held-out rows' own mean, as
``sklearn.metrics.r2_score``), RMSE and MAE.

The rows must be in memory: a file read in chunks (:class:`slopefit.data.tables.TableSource`) is
refused with a :class:`DataError` rather than read whole behind the caller's back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from slopefit.data.datasets import Dataset
from slopefit.errors import DataError
from slopefit.train.config import TrainConfig

MIN_TEST_ROWS = 2  # R² of one held-out row is undefined (no spread about its mean)


@dataclass(frozen=True)
class CrossValidation:
    """Scores of each held-out fold, in fold order.

    method : "kfold" or "holdout"
    seed : the seed of the permutation that dealt the rows
    rows : held-out rows of each fold
    r2, rmse, mae : one score per fold (R² is NaN on a fold whose target is constant)
    """

    method: str
    seed: int
    rows: list[int]
    r2: list[float]
    rmse: list[float]
    mae: list[float]

    @property
    def folds(self) -> int:
        return len(self.rows)

    def mean(self, score: str) -> float:
        """The mean of ``score`` ("r2", "rmse" or "mae") over the folds."""
        return float(np.mean(getattr(self, score)))

    def sd(self, score: str) -> float:
        """The sample standard deviation (ddof=1) of ``score`` over the folds; NaN for one fold."""
        values = getattr(self, score)
        return float(np.std(values, ddof=1)) if len(values) > 1 else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (a NaN R² becomes None)."""
        def clean(values: list[float]) -> list[float | None]:
            return [v if math.isfinite(v) else None for v in values]

        return {"method": self.method, "seed": self.seed, "rows": list(self.rows),
                "r2": clean(self.r2), "rmse": clean(self.rmse), "mae": clean(self.mae)}


def kfold_indices(n: int, k: int, *, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train, test)`` row indices of ``k`` folds of ``n`` rows dealt by a seeded permutation.

    Fold sizes differ by at most one (the first ``n % k`` folds hold one row more, as
    scikit-learn's KFold); training indices are sorted.

    Raises
    ------
    ValueError
        ``k`` below 2, or so many folds that one would hold fewer than 2 rows.
    """
    check_heldout(n, k=k)
    order = np.random.default_rng(seed).permutation(n)
    return [(np.setdiff1d(order, test), test) for test in np.array_split(order, k)]


def check_heldout(n: int, *, k: int | None = None, test_size: float | None = None) -> None:
    """Whether ``k`` folds, or holding out ``test_size`` of the rows, can be dealt from ``n`` rows: what
    :func:`kfold_indices` and :func:`holdout_indices` check, without dealing (a caller checks this
    before a long full fit).

    Parameters
    ----------
    n : int
        Rows.
    k : int or None, default None
        Folds; keyword-only.
    test_size : float or None, default None
        The fraction held out; keyword-only.

    Raises
    ------
    ValueError
        ``k`` below 2 or leaving fewer than 2 rows in a fold; ``test_size`` not strictly between 0 and 1,
        or leaving fewer than 2 rows on either side.

    Examples
    --------
    >>> check_heldout(21, k=25)
    Traceback (most recent call last):
    ...
    ValueError: Invalid number of folds: k=25 on 21 rows leaves fewer than 2 held-out rows in a fold; give k <= 10
    """
    if k is not None:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
            raise ValueError(f"Invalid number of folds: {k!r}; give k >= 2")
        if n // k < MIN_TEST_ROWS:
            raise ValueError(f"Invalid number of folds: k={k} on {n} rows leaves fewer than {MIN_TEST_ROWS} "
                             f"held-out rows in a fold; give k <= {max(n // MIN_TEST_ROWS, 1)}")
    if test_size is not None:
        if not 0.0 < float(test_size) < 1.0:
            raise ValueError(f"Invalid test size: {test_size!r}; give a fraction strictly between 0 and 1, e.g. 0.2")
        n_test = math.ceil(test_size * n)
        if n_test < MIN_TEST_ROWS or n - n_test < MIN_TEST_ROWS:
            raise ValueError(f"Invalid test size: {test_size:g} of {n} rows holds out {n_test}; "
                             f"keep at least {MIN_TEST_ROWS} rows on each side")


def holdout_indices(n: int, test_size: float, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train, test)`` row indices: the first ``ceil(test_size * n)`` rows of a seeded
    permutation held out, the rest (sorted) to train on.

    Raises
    ------
    ValueError
        ``test_size`` not strictly between 0 and 1, or fewer than 2 rows held out or left to train on.
    """
    check_heldout(n, test_size=test_size)
    n_test = math.ceil(test_size * n)
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_test:]), order[:n_test]


def scores(y: np.ndarray, yhat: np.ndarray) -> tuple[float, float, float]:
    """R², RMSE and MAE of predictions ``yhat`` of ``y`` (both (n_rows,)), in float64."""
    y = np.asarray(y, dtype=np.float64)
    residual = y - np.asarray(yhat, dtype=np.float64)
    sse = float(residual @ residual)
    spread = y - y.mean()
    sst = float(spread @ spread)
    r2 = 1.0 - sse / sst if sst > 0 else math.nan
    return r2, math.sqrt(sse / y.size), float(np.mean(np.abs(residual)))


def cross_validate(data: Dataset, config: TrainConfig | None = None, *, k: int = 5,
                   seed: int = 0) -> CrossValidation:
    """Held-out scores of ``config`` on ``k`` folds of ``data`` (see :func:`kfold_indices`).

    Parameters
    ----------
    data : Dataset
        The rows, in memory.
    config : TrainConfig or None, default None
        The settings of every fold's run (None: ``TrainConfig()``).
    k : int, default 5
        Folds, at least 2 and at most ``n_rows // 2``.
    seed : int, default 0
        Seed of the permutation that deals the rows.

    Returns
    -------
    CrossValidation
        R², RMSE and MAE of each fold on its held-out rows.

    Raises
    ------
    ValueError
        A bad ``k``.
    DataError
        ``data`` is read in chunks; or a fold's training rows cannot give a unique line.

    Examples
    --------
    >>> from slopefit.data.datasets import make_synthetic
    >>> cv = cross_validate(make_synthetic(n_samples=100, noise=0.1), k=5, seed=0)
    >>> cv.folds, cv.mean("r2") > 0.9
    (5, True)
    """
    rows = require_rows(data)
    return _score_folds(rows, config, kfold_indices(rows.n_samples, k, seed=seed), method="kfold", seed=seed)


def holdout(data: Dataset, config: TrainConfig | None = None, *, test_size: float = 0.2,
            seed: int = 0) -> CrossValidation:
    """Held-out scores of ``config`` on one train/test split of ``data`` (see :func:`holdout_indices`).

    Parameters and results as :func:`cross_validate`, with ``test_size`` (0 < test_size < 1,
    default 0.2) the fraction of rows held out; the result has one fold.
    """
    rows = require_rows(data)
    split = holdout_indices(rows.n_samples, test_size, seed=seed)
    return _score_folds(rows, config, [split], method="holdout", seed=seed)


def require_rows(data) -> Dataset:
    """``data`` itself when its rows are in memory; DataError for a file read in chunks (a caller
    checks this before a long full fit), TypeError for anything else."""
    if isinstance(data, Dataset):
        return data
    if hasattr(data, "chunks"):
        raise DataError(f"held-out scores need the rows in memory, and {getattr(data, 'name', 'the file')} is "
                        "read in chunks (stream=True, or a file over 1 GiB); read it whole (stream=False) or use a "
                        "smaller file")
    raise TypeError(f"data must be a Dataset, got {type(data).__name__}")


def _score_folds(data: Dataset, config: TrainConfig | None, splits: list[tuple[np.ndarray, np.ndarray]], *,
                 method: str, seed: int) -> CrossValidation:
    from slopefit.train.training import fit

    config = config or TrainConfig()
    r2, rmse, mae, rows = [], [], [], []
    for i, (train, test) in enumerate(splits):
        part = replace(data, X=data.X[train], y=data.y[train], name=f"{data.name} (fold {i + 1} training rows)",
                       dropped_rows=0, weights=None if data.weights is None else data.weights[train])
        try:
            result = fit(part, config)
        except DataError as exc:
            raise DataError(f"fold {i + 1} of {len(splits)} ({train.size} training rows): {exc}") from None
        yhat = data.X[test] @ np.asarray(result.coef, dtype=np.float64) + float(result.intercept)  # (n_test,)
        fold = scores(data.y[test], yhat)
        r2.append(fold[0])
        rmse.append(fold[1])
        mae.append(fold[2])
        rows.append(int(test.size))
    return CrossValidation(method=method, seed=int(seed), rows=rows, r2=r2, rmse=rmse, mae=mae)
