"""The exact least-squares answer in float64: the reference every gradient-descent fit is
compared with, and the oracle of the tests.

Columns are centered (two-pass means) and scaled to unit norm, and the problem is solved
with the SVD of that design. The SVD's answer is then refined (Björck's iterative refinement
of the augmented system ``r + Z beta = y``, ``Z^T r = 0``): the residual and the correction's
right-hand side are computed from the original float64 rows in extended precision
(``numpy.longdouble``, 64-bit significand on x86), chunk by chunk, while the correction
itself is solved in float64 with the same SVD. Each step multiplies the error by about
``cond * 1e-16``, so a few steps reach the digits the float64 data allow, also on
polynomial designs and on tables whose residual dwarfs the signal, where one float64 solve
keeps ``16 - 2 log10(cond)`` digits at worst. Normal equations are never formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

REFINE_CHUNK_ROWS = 8192  # rows converted to longdouble at a time: ~1 MB at 8 features
MAX_REFINE_STEPS = 8  # corrections after the first solve; two or three suffice unless cond ~ 1e12+
_EXTENDED_EPS = float(np.finfo(np.longdouble).eps)  # 1.1e-19 on x86; 2.2e-16 where longdouble is double


@dataclass(frozen=True)
class ExactSolution:
    """The least-squares optimum theta* in the data's own units.

    Attributes
    ----------
    coef : ndarray, shape (n_features,)
        The coefficients.
    intercept : float
        The intercept (0.0 when fitted without intercept).
    loss : float
        The MSE at the optimum (L*), >= 0.
    rank : int
        Numerical rank of the centered design (of the raw design without intercept).
    nonunique : str or None, default None
        Why least squares has many answers here ("5 rows for 11 parameters"), None when it has one.
    space : str or None, default None
        The scaling in whose parameters this answer has the minimum norm, when ``nonunique``
        (see :mod:`slopefit.solve.minimum_norm`).
    """

    coef: np.ndarray
    intercept: float
    loss: float
    rank: int
    nonunique: str | None = None
    space: str | None = None

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions of the optimum: ``X @ coef + intercept`` in float64.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples,)
        """
        return np.asarray(X, dtype=np.float64) @ self.coef + self.intercept


def _mean(a: np.ndarray) -> np.ndarray:
    """Two-pass mean: the correction term removes most of the rounding of the first pass."""
    m = a.mean(axis=0)
    return m + (a - m).mean(axis=0)


def solve_exact(X: np.ndarray, y: np.ndarray, *, fit_intercept: bool = True,
                column_scale: np.ndarray | None = None) -> ExactSolution:
    """Solve ``min ||X @ coef + intercept - y||^2`` to the digits the float64 data allow.

    The coefficients agree with the exact (rational) least-squares answer on the same float64
    numbers to about ``cond * 1e-16`` relative, ``cond`` being the condition number of the
    centered, unit-norm design (see the module docstring). Rank-deficient designs get the
    minimum-norm coefficients of that scaled design (``numpy.linalg.lstsq`` on it).

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Any float dtype; converted to float64.
    y : array of shape (n_samples,)
    fit_intercept : bool, default True
        Whether to fit ``intercept``; without it the line passes through 0.
    column_scale : array of shape (n_features,), all > 0, optional
        The divisors of the centered columns before the SVD; default their norms (unit-norm
        columns, the best conditioned). Only a rank-deficient design notices: its answer is the
        one of smallest ``||coef * column_scale||`` (:mod:`slopefit.solve.minimum_norm`).

    Returns
    -------
    ExactSolution
        ``loss`` is the MSE of the returned line, from the refined extended-precision residual.

    Examples
    --------
    >>> import numpy as np
    >>> sol = solve_exact(np.array([[1.], [2.], [3.]]), np.array([200., 400., 600.]))
    >>> float(sol.coef[0]), float(sol.intercept)
    (200.0, 0.0)
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n_samples, n_features = X.shape
    if fit_intercept:
        x_mean, y_mean = _mean(X), float(_mean(y))
    else:
        x_mean, y_mean = np.zeros(n_features), 0.0
    factors = _factorize(X, x_mean, fit_intercept=fit_intercept, column_scale=column_scale)
    norms, rank = factors.norms, factors.rank

    # The iterate, in extended precision: the line (X - x_mean) @ coef + centre and its residual r.
    coef = np.zeros(n_features, dtype=np.longdouble)
    centre = np.longdouble(y_mean)
    r = np.zeros(n_samples, dtype=np.longdouble)  # (n_samples,)
    previous = np.inf
    for step in range(MAX_REFINE_STEPS + 1):  # step 0 is the plain float64 solve
        f, g = _augmented_residuals(X, y, x_mean, coef, centre, r)
        g = g[:n_features] / norms if not fit_intercept else \
            np.append(g[:n_features] / norms, g[n_features] / np.sqrt(n_samples))  # -Z^T r
        dbeta, z_dbeta = factors.correction(f, g)
        size = float(np.abs(dbeta).max()) if dbeta.size else 0.0
        if step > 0 and size >= previous:  # no longer shrinking: the last step reached the floor
            break
        coef += dbeta[:n_features] / norms
        if fit_intercept:
            centre += np.longdouble(dbeta[n_features] / np.sqrt(n_samples))
        r += f - z_dbeta
        scale = float(np.abs(np.asarray(coef, dtype=np.float64) * norms).max()) if n_features else 0.0
        if step > 0 and (size <= 4 * _EXTENDED_EPS * scale or size > previous / 4):
            break  # at the extended-precision floor, or converging too slowly to gain more
        previous = size
    if fit_intercept:
        intercept = float(centre - x_mean.astype(np.longdouble) @ coef)
    else:
        intercept = 0.0
    coef64 = np.asarray(coef, dtype=np.float64)
    loss = float((r @ r) / max(n_samples, 1))  # r is the refined residual, exact to the floor
    return ExactSolution(coef=coef64, intercept=intercept, loss=loss,
                         rank=rank - 1 if fit_intercept else rank)


@dataclass(frozen=True)
class _Factors:
    """A Householder QR of the scaled design ``Z = Q R`` and the SVD ``R = W diag(s) V^T``.

    ``Z = [(X - x_mean) / norms, 1 / sqrt(n)]`` (the constant column with an intercept). Only
    the numerical range is kept (``rank`` singular values), which makes every solve minimum-norm.
    """

    qr: np.ndarray  # (n_params, n_samples), numpy's raw QR: LAPACK's compact form of Q and R, transposed
    tau: np.ndarray  # (k,), k = min(n_samples, n_params): the reflectors' scales
    W: np.ndarray  # (k, rank)
    s: np.ndarray  # (rank,)
    V: np.ndarray  # (n_params, rank)
    norms: np.ndarray  # (n_features,): the centered columns' norms (1 where a column is zero)
    rank: int

    def correction(self, f: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Solve ``[I Z; Z^T 0] [dr; dbeta] = [f; g]``: ``dbeta = (Z^T Z)^+ (Z^T f - g)``.

        Returns ``(dbeta, Z @ dbeta)``, so that ``dr = f - Z @ dbeta``; float64, through the SVD
        (never ``Z^T Z``: its condition number is the square of Z's).
        """
        k = self.W.shape[0]
        qtf = self._apply_q(f, "T")[:k]  # (k,)
        dbeta = self.V @ ((self.W.T @ qtf) / self.s) - self.V @ ((self.V.T @ g) / self.s**2)
        rd = np.zeros(len(f))
        rd[:k] = self.W @ (self.s * (self.V.T @ dbeta))  # R @ dbeta, on the numerical range
        return dbeta, self._apply_q(rd, "N")

    def _apply_q(self, v: np.ndarray, trans: str) -> np.ndarray:
        """``Q^T v`` (``trans="T"``) or ``Q v`` (``"N"``), Q the product of the Householder reflections
        ``H_j = I - tau_j u_j u_j^T`` numpy's raw QR keeps (what LAPACK's dormqr applies), one O(n)
        reflection per column: no n x n Q, and no scipy import (0.3 s of every fit's start-up)."""
        out = np.array(v, dtype=np.float64)
        order = range(len(self.tau)) if trans == "T" else reversed(range(len(self.tau)))
        for j in order:  # H_j is symmetric: Q^T = H_{k-1}...H_0 applies H_0 first
            u = self.qr[j, j + 1:]  # (n - j - 1,): u_j below its leading 1
            dot = out[j] + u @ out[j + 1:]
            out[j] -= self.tau[j] * dot
            out[j + 1:] -= (self.tau[j] * dot) * u
        return out


def _factorize(X: np.ndarray, x_mean: np.ndarray, *, fit_intercept: bool,
               column_scale: np.ndarray | None = None) -> _Factors:
    """Center, scale to unit norm (or by ``column_scale``) and factor the design (numpy's Householder QR,
    kept in raw form)."""
    n_samples, n_features = X.shape
    Z = np.empty((n_samples, n_features + int(fit_intercept)))  # (n_samples, n_params)
    np.subtract(X, x_mean, out=Z[:, :n_features])
    norms = np.sqrt(np.einsum("ij,ij->j", Z[:, :n_features], Z[:, :n_features]))
    norms = np.where(norms > 0, norms, 1.0) if column_scale is None else np.asarray(column_scale, dtype=np.float64)
    Z[:, :n_features] /= norms  # unit-norm columns: the solver sees the design's real conditioning
    if fit_intercept:
        # The rounded means leave each centered column a tiny nonzero mean; on near-collinear
        # columns that is not negligible, so a unit-norm constant column absorbs it exactly.
        Z[:, n_features] = 1.0 / np.sqrt(n_samples)
    # raw: h (n_params, n_samples) holds R above its diagonal and the reflections' vectors below, by row
    h, tau = np.linalg.qr(Z, mode="raw")
    del Z
    k = min(h.shape)
    W, s, Vt = np.linalg.svd(np.triu(h.T[:k]), full_matrices=False)  # R = W diag(s) V^T
    cutoff = np.finfo(np.float64).eps * max(h.shape) * (s[0] if s.size else 0.0)  # lstsq's default
    rank = int((s > cutoff).sum()) if s.size and s[0] > 0 else 0
    return _Factors(qr=h, tau=tau, W=W[:, :rank], s=s[:rank], V=Vt[:rank].T, norms=norms, rank=rank)


def _augmented_residuals(X: np.ndarray, y: np.ndarray, x_mean: np.ndarray, coef: np.ndarray,
                         centre: np.longdouble, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The residuals of the augmented system, in extended precision, rounded to float64 at the end.

    Returns ``f = y - r - ((X - x_mean) @ coef + centre)`` of shape (n_samples,) and
    ``g = -[(X - x_mean)^T r, sum(r)]`` of shape (n_features + 1,). The rows are converted to
    longdouble ``REFINE_CHUNK_ROWS`` at a time, so memory stays one chunk above the data.
    """
    n_samples, n_features = X.shape
    f = np.empty(n_samples)  # (n_samples,)
    g = np.zeros(n_features + 1, dtype=np.longdouble)
    shift = x_mean.astype(np.longdouble)
    for start in range(0, n_samples, REFINE_CHUNK_ROWS):
        rows = slice(start, start + REFINE_CHUNK_ROWS)
        xc = X[rows].astype(np.longdouble) - shift  # (chunk, n_features)
        rc = r[rows]
        f[rows] = y[rows] - rc - (xc @ coef + centre)
        g[:n_features] -= rc @ xc
        g[n_features] -= rc.sum()
    return f, np.asarray(g, dtype=np.float64)


def weighted_exact(X: np.ndarray, y: np.ndarray, weights: np.ndarray, *, fit_intercept: bool = True) -> ExactSolution:
    """The weighted least-squares optimum on the rows (statsmodels' ``WLS``), float64.

    Rows centered at the weighted means and multiplied by ``sqrt(w)`` make it an unweighted
    problem through the origin, solved by :func:`slopefit.solve.exact.solve_exact` (SVD and refinement).

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
    y : ndarray, shape (n_samples,)
    weights : ndarray, shape (n_samples,), >= 0, not all 0
    fit_intercept : bool, default True; keyword-only

    Returns
    -------
    ExactSolution
        ``loss`` is ``MSE_w = sum w e^2 / sum w`` at the optimum.

    Examples
    --------
    >>> import numpy as np
    >>> sol = weighted_exact(np.array([[0.], [1.], [2.]]), np.array([0., 1., 5.]), np.array([1., 1., 0.]))
    >>> round(float(sol.coef[0]), 12), round(float(sol.intercept), 12), round(sol.loss, 12)
    (1.0, 0.0, 0.0)
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    x_mean = w @ X / total if fit_intercept else np.zeros(X.shape[1])
    y_mean = float(w @ y) / total if fit_intercept else 0.0
    root = np.sqrt(w)
    solution = solve_exact((X - x_mean) * root[:, None], (y - y_mean) * root, fit_intercept=False)
    intercept = y_mean - float(x_mean @ solution.coef) if fit_intercept else 0.0
    loss = weighted_mse(X, y, w, solution.coef, intercept)
    return ExactSolution(coef=solution.coef, intercept=intercept, loss=loss, rank=solution.rank)


def weighted_mse(X: np.ndarray, y: np.ndarray, weights: np.ndarray, coef: np.ndarray, intercept: float) -> float:
    """``sum w (y - X coef - intercept)^2 / sum w`` in float64.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_mse(np.array([[0.], [1.]]), np.array([1., 1.]), np.array([1., 3.]), np.array([0.]), 0.0)
    1.0
    """
    residual = np.asarray(y, dtype=np.float64) - np.asarray(X, dtype=np.float64) @ np.asarray(coef) - intercept
    w = np.asarray(weights, dtype=np.float64)
    return float(w @ (residual * residual)) / float(w.sum())
