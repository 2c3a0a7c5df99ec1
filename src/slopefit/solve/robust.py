"""Heteroskedasticity-consistent (sandwich) covariance of the least-squares line: HC0 to HC3.

With ``A = [X, 1]`` (one row ``a_i`` per observation), residuals ``e_i`` and the bread
``B = (A^T A)^-1``, the covariance of the parameters is ``B (sum_i w_i a_i a_i^T) B`` with

    HC0: w_i = e_i^2                     HC2: w_i = e_i^2 / (1 - h_i)
    HC1: w_i = e_i^2 n / (n - p)         HC3: w_i = e_i^2 / (1 - h_i)^2

``p`` parameters and leverage ``h_i = a_i^T B a_i``: statsmodels' ``cov_type="HC0"..."HC3"``.
The bread comes from the sufficient statistics; the "meat" takes one float64 pass over the
rows. The pass works on columns centered at the features' means, where ``A^T A`` is
block-diagonal (``Cxx`` and ``n``), and the result is carried back to the original intercept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from slopefit.solve.accumulation import DEFAULT_CHUNK_ROWS
from slopefit.solve.refinement import as_numpy
from slopefit.solve.stats import SufficientStats

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")  # what Summary and ``slopefit fit --cov`` accept


def robust_covariance(stats: SufficientStats, rows: Callable[[], Iterable[tuple[Any, Any]]], coef: np.ndarray,
                      intercept: float, cxx_inv: np.ndarray, *, cov_type: str = "HC3",
                      fit_intercept: bool = True) -> np.ndarray:
    """The sandwich covariance of ``(coef..., intercept)`` for the line ``X @ coef + intercept``.

    Parameters
    ----------
    stats : SufficientStats
        The statistics of the rows ``rows`` yields.
    rows : callable () -> iterable of (X, y)
        Yields the rows once: ``X`` of shape (rows, n_features), ``y`` of shape (rows,).
    coef : ndarray, shape (n_features,); intercept : float
        The line (the least-squares optimum for statsmodels' numbers).
    cxx_inv : ndarray, shape (n_features, n_features)
        Inverse of the centered cross products of X (raw ones without an intercept).
    cov_type : "HC0", "HC1", "HC2" or "HC3", default "HC3"; keyword-only
    fit_intercept : bool, default True; keyword-only

    Returns
    -------
    ndarray, shape (n_params, n_params)
        Features first, then the intercept when fitted.

    Raises
    ------
    ValueError
        An unknown ``cov_type``, or ``rows`` yielding another number of rows than ``stats.n``.

    Examples
    --------
    >>> import numpy as np
    >>> from slopefit.solve.accumulation import compute_stats
    >>> X = np.array([[1.], [2.], [3.], [4.]]); y = np.array([1., 3., 2., 5.])
    >>> st = compute_stats([(X, y)], 1); sol = st.solve()
    >>> cov = robust_covariance(st, lambda: [(X, y)], sol.coef, sol.intercept, np.array([[0.2]]), cov_type="HC0")
    >>> round(float(np.sqrt(cov[0, 0])), 6)
    0.237908
    """
    if cov_type not in COV_TYPES[1:]:
        raise ValueError(f"cov_type must be one of {', '.join(COV_TYPES[1:])} for a robust covariance, "
                         f"got {cov_type!r}")
    coef = np.asarray(coef, dtype=np.float64)
    d, n = stats.n_features, stats.n
    p = d + (1 if fit_intercept else 0)
    x_mean = stats.x_mean if fit_intercept else np.zeros(d)
    # the line on centered columns: y - y_mean = (X - x_mean) @ coef + offset
    y_mean = stats.y_mean if fit_intercept else 0.0
    offset = float(intercept) + float(x_mean @ coef) - y_mean if fit_intercept else 0.0
    meat = np.zeros((p, p))
    seen = 0
    for X, y in rows():
        X, y = as_numpy(X), as_numpy(y)
        for start in range(0, X.shape[0], DEFAULT_CHUNK_ROWS):
            xc = X[start:start + DEFAULT_CHUNK_ROWS].astype(np.float64) - x_mean  # (rows, n_features)
            e = (y[start:start + DEFAULT_CHUNK_ROWS].astype(np.float64) - y_mean) - xc @ coef - offset
            leverage = np.einsum("ij,jk,ik->i", xc, cxx_inv, xc) + (1.0 / n if fit_intercept else 0.0)
            w = e * e * _weight(cov_type, leverage, n, p)  # (rows,)
            a = np.column_stack([xc, np.ones(xc.shape[0])]) if fit_intercept else xc  # (rows, n_params)
            meat += (a * w[:, None]).T @ a
        seen += X.shape[0]
    if seen != n:
        raise ValueError(f"rows() yielded {seen} rows but the statistics hold {n}; pass the callable that "
                         "yields the rows the statistics were computed from")
    bread = np.zeros((p, p))
    bread[:d, :d] = cxx_inv
    if fit_intercept:
        bread[d, d] = 1.0 / n
    cov = bread @ meat @ bread
    if fit_intercept:
        # the original intercept is offset + y_mean - x_mean @ coef: a linear map of the centered parameters
        to_original = np.eye(p)
        to_original[d, :d] = -x_mean
        cov = to_original @ cov @ to_original.T
    return (cov + cov.T) / 2.0


def _weight(cov_type: str, leverage: np.ndarray, n: int, p: int) -> np.ndarray | float:
    """The factor multiplying ``e_i^2`` in the meat for each HC type."""
    if cov_type == "HC0":
        return 1.0
    if cov_type == "HC1":
        return n / (n - p) if n > p else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        if cov_type == "HC2":
            return 1.0 / (1.0 - leverage)
        return 1.0 / (1.0 - leverage) ** 2
