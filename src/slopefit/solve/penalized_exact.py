"""The exact optimum of a penalised objective (:mod:`slopefit.solve.penalties`), from the sufficient statistics.

Ridge is a linear solve in standardized units; with an L1 part, coordinate descent runs until the
active set settles, then the linear system on that set with its signs is solved and the
Karush-Kuhn-Tucker conditions certify it. :func:`optimality` measures how far any coefficients are
from that optimum (0 exactly there).
"""

from __future__ import annotations

import math

import numpy as np

from slopefit.solve.exact import ExactSolution
from slopefit.solve.penalties import Penalty
from slopefit.solve.stats import SufficientStats

CD_MAX_SWEEPS = 100_000  # coordinate-descent sweeps before the active set is taken as found anyway
CD_SETTLE = 1e-10  # relative change per sweep below which the active set is tried in a linear solve
CD_STEADY = 10  # sweeps with the same signs after which the active set is tried (and at 10x, 100x multiples)


def solve_penalized(stats: SufficientStats, penalty: Penalty, *, fit_intercept: bool = True,
                    ols: ExactSolution | None = None) -> ExactSolution:
    """The exact minimiser of ``F`` from the sufficient statistics, float64.

    In standardized units (``beta = w * sd``, the correlation matrix ``R``) ridge is the linear
    solve ``(R + diag(l2 / sd^2)) beta = r``; with an L1 part, coordinate descent runs until the
    active set settles, then the linear system on that set with its signs is solved and the
    Karush-Kuhn-Tucker conditions are checked (every zero's gradient within its L1 weight, every
    sign kept); descent resumes if they fail. The answer is then exact to rounding.

    Parameters
    ----------
    stats : SufficientStats
        The (possibly weighted) statistics of the data.
    penalty : Penalty
        The penalty.
    fit_intercept : bool, default True
        Whether the (unpenalised) intercept is fitted; keyword-only.
    ols : ExactSolution or None, default None
        The least-squares optimum, for the loss without cancellation; keyword-only.

    Returns
    -------
    ExactSolution
        ``coef``, ``intercept``, ``loss`` = ``F`` at the optimum (MSE plus penalty), ``rank``.

    Examples
    --------
    >>> import numpy as np
    >>> from slopefit.solve.accumulation import compute_stats
    >>> X = np.array([[0.], [1.], [2.], [3.]]); y = np.array([0., 1., 2., 3.])
    >>> sol = solve_penalized(compute_stats([(X, y)], 1), Penalty("ridge", 5.0))
    >>> round(float(sol.coef[0]), 12)  # sum (x - 1.5)^2 = 5: 5 / (5 + 5)
    0.5
    """
    cxx, cxy, _ = stats.centered() if fit_intercept else stats.raw()
    total = stats.total
    d = stats.n_features
    sd = np.sqrt(np.diag(cxx) / total)
    sd = np.where(sd > 0, sd, 1.0)
    corr = cxx / np.outer(sd, sd) / total  # (d, d)
    r = cxy / sd / total  # (d,)
    l1 = np.full(d, penalty.l1(total)) / sd  # the weights of |beta_j|
    l2 = np.full(d, penalty.l2(total)) / sd ** 2  # the weights of beta_j^2
    if not penalty.has_l1:
        beta = np.linalg.solve(corr + np.diag(l2), r) if d else np.zeros(0)
    else:
        beta = _lasso_cd(corr, r, l1, l2)
    coef = beta / sd
    intercept = stats.y_mean - float(stats.x_mean @ coef) if fit_intercept else 0.0
    mse = stats.loss(coef, intercept, fit_intercept=fit_intercept, optimum=ols)
    return ExactSolution(coef=coef, intercept=intercept, loss=mse + penalty.value(coef, total), rank=d)


def _lasso_cd(corr: np.ndarray, r: np.ndarray, l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
    """``argmin beta^T R beta - 2 beta^T r + sum l1 |beta| + sum l2 beta^2``: coordinate descent,
    then the active set's linear solve, certified by the KKT conditions."""
    d = r.shape[0]
    beta = np.zeros(d)
    diag = np.diag(corr) + l2
    g = np.zeros(d)  # R @ beta, kept up to date coordinate by coordinate
    pattern, steady = np.zeros(d), 0
    for sweep in range(CD_MAX_SWEEPS):
        change = 0.0
        for j in range(d):
            z = r[j] - g[j] + corr[j, j] * beta[j]
            new = math.copysign(max(abs(z) - l1[j] / 2.0, 0.0), z) / diag[j]
            if new != beta[j]:
                g += corr[:, j] * (new - beta[j])
                change = max(change, abs(new - beta[j]))
                beta[j] = new
        change /= max(float(np.abs(beta).max()), 1e-300)
        signs = np.sign(beta)
        steady = steady + 1 if np.array_equal(signs, pattern) else 0
        pattern = signs
        # the signs have held for a while (or descent has settled): try the active set's linear solve
        if change <= CD_SETTLE or steady in (CD_STEADY, 10 * CD_STEADY) or steady % (100 * CD_STEADY) == 0 < steady:
            polished = _active_set_solve(corr, r, l1, l2, beta)
            if polished is not None:
                return polished
            if change == 0.0:  # a fixed point the solve does not confirm: nothing more to gain
                return beta
        if sweep % 1000 == 999:
            g = corr @ beta  # against drift in the running products
    return beta


def _active_set_solve(corr: np.ndarray, r: np.ndarray, l1: np.ndarray, l2: np.ndarray,
                      beta: np.ndarray) -> np.ndarray | None:
    """The exact solution on ``beta``'s active set and signs, or None when the KKT conditions fail."""
    active = np.flatnonzero(beta != 0)
    signs = np.sign(beta[active])
    exact = np.zeros_like(beta)
    if active.size:
        system = corr[np.ix_(active, active)] + np.diag(l2[active])
        exact[active] = np.linalg.solve(system, r[active] - l1[active] * signs / 2.0)
        if np.any(np.sign(exact[active]) != signs):
            return None
    grad = 2.0 * (corr @ exact - r) + 2.0 * l2 * exact  # the smooth part's gradient
    zeros = np.setdiff1d(np.arange(beta.shape[0]), active)
    slack = 1e-12 * max(float(np.abs(r).max()), 1e-300)  # rounding in the gradient
    if np.any(np.abs(grad[zeros]) > l1[zeros] + slack):
        return None
    return exact


def optimality(stats: SufficientStats, penalty: Penalty, coef: np.ndarray, *, fit_intercept: bool = True) -> float:
    """The smallest subgradient of ``F`` at ``coef`` (intercept at its optimum), in the MSE's
    units per unit of standardized coefficient: 0 exactly at the optimum.

    Parameters
    ----------
    stats : SufficientStats
    penalty : Penalty
    coef : ndarray, shape (n_features,)
        Coefficients in original units.
    fit_intercept : bool, default True; keyword-only

    Returns
    -------
    float
        ``max_j |g_j|`` of the minimum-norm subgradient in standardized units, >= 0.
    """
    cxx, cxy, _ = stats.centered() if fit_intercept else stats.raw()
    total = stats.total
    sd = np.sqrt(np.diag(cxx) / total)
    beta = np.asarray(coef, dtype=np.float64) * sd
    grad = 2.0 * ((cxx @ coef - cxy) / total) / sd + 2.0 * penalty.l2(total) / sd ** 2 * beta  # d/d beta
    l1 = penalty.l1(total) / sd
    sub = np.where(beta != 0, grad + l1 * np.sign(beta), np.sign(grad) * np.maximum(np.abs(grad) - l1, 0.0))
    return float(np.abs(sub).max()) if sub.size else 0.0
