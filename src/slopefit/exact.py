"""The exact least-squares answer in float64: the reference every gradient-descent fit is
compared with, and the oracle of the tests.

Numerically stable: columns are centered (two-pass means) and scaled to unit norm, the
problem is solved by an SVD-based least-squares routine, and one step of iterative
refinement recovers the digits lost to rounding. Normal equations are never formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slopefit.objective import mse_float64


@dataclass(frozen=True)
class ExactSolution:
    """The least-squares optimum theta* in the data's own units.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
    intercept : float (0.0 when fitted without intercept)
    loss : float, the MSE at the optimum (L*)
    rank : int, numerical rank of the centered design
    """

    coef: np.ndarray
    intercept: float
    loss: float
    rank: int

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) @ self.coef + self.intercept


def _mean(a: np.ndarray) -> np.ndarray:
    """Two-pass mean: the correction term removes most of the rounding of the first pass."""
    m = a.mean(axis=0)
    return m + (a - m).mean(axis=0)


def solve_exact(X: np.ndarray, y: np.ndarray, *, fit_intercept: bool = True) -> ExactSolution:
    """Solve ``min ||X @ coef + intercept - y||^2`` in float64.

    Rank-deficient designs get the minimum-norm coefficients, as ``numpy.linalg.lstsq`` gives.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,)
    fit_intercept : bool, default True

    Examples
    --------
    >>> import numpy as np
    >>> sol = solve_exact(np.array([[1.], [2.], [3.]]), np.array([200., 400., 600.]))
    >>> float(round(sol.coef[0], 6)), round(sol.intercept, 6)
    (200.0, 0.0)
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if fit_intercept:
        x_mean, y_mean = _mean(X), float(_mean(y))
    else:
        x_mean, y_mean = np.zeros(X.shape[1]), 0.0
    Xc = X - x_mean  # (n_samples, n_features)
    yc = y - y_mean  # (n_samples,)
    norms = np.sqrt((Xc**2).sum(axis=0))
    norms = np.where(norms > 0, norms, 1.0)
    Z = Xc / norms  # unit-norm columns: the solver sees the design's real conditioning
    if fit_intercept:
        # The rounded means leave each centered column a tiny nonzero mean; on near-collinear
        # columns that is not negligible, so a unit-norm constant column absorbs it exactly.
        Z = np.column_stack([Z, np.full(len(Z), 1.0 / np.sqrt(len(Z)))])
    beta, _, rank, _ = np.linalg.lstsq(Z, yc, rcond=None)
    correction, *_ = np.linalg.lstsq(Z, yc - Z @ beta, rcond=None)  # iterative refinement
    beta = beta + correction
    n_features = X.shape[1]
    coef = beta[:n_features] / norms
    if fit_intercept:
        rank -= 1
        intercept = y_mean + float(beta[n_features]) / np.sqrt(len(Z)) - float(x_mean @ coef)
    else:
        intercept = 0.0
    loss = mse_float64(X, y, coef, intercept, fit_intercept=fit_intercept)
    return ExactSolution(coef=coef, intercept=intercept, loss=loss, rank=int(rank))
