"""Regression diagnostics per row: fitted values, residuals, leverage, studentized residuals and
Cook's distance at the exact least-squares optimum, what the diagnostics figures draw.

For a line fitted to N rows with p parameters (D features and the intercept), with ``A = [X, 1]``:

    h_i = a_i^T (A^T A)^-1 a_i = 1/N + (x_i - xbar)^T Cxx^-1 (x_i - xbar)     leverage
    r_i = e_i / (sigma sqrt(1 - h_i)),  sigma^2 = RSS / (N - p)               internally studentized
    D_i = r_i^2 h_i / (p (1 - h_i))                                            Cook's distance

(without an intercept ``h_i = x_i^T (X^T X)^-1 x_i``): statsmodels' ``OLSInfluence``
``hat_matrix_diag``, ``resid_studentized_internal`` and ``cooks_distance[0]``. With sample weights
``w_i`` the same formulas hold for the rows of ``W^1/2 A`` (statsmodels' ``WLS(...).get_influence()``):
``h_i = w_i (1/sum(w) + (x_i - xbar_w)^T Cxx_w^-1 (x_i - xbar_w))`` with the weighted means and
cross products, the residual is the Pearson residual ``sqrt(w_i) e_i`` and ``RSS = sum_i w_i e_i^2``. ``Cxx^-1`` comes
from the sufficient statistics of every row, so the numbers of any row are exact even when only a
sample of a large table is kept: one float64 pass over the rows computes them for each chunk,
keeps a seeded random sample of at most ``limit`` rows (chosen before the pass, so memory stays
bounded) and the few rows of the whole table with the largest Cook's distance and studentized
residual.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from slopefit.solve.accumulation import DEFAULT_CHUNK_ROWS
from slopefit.solve.refinement import as_numpy
from slopefit.solve.stats import SufficientStats

SAMPLE_ROWS = 5_000  # rows the diagnostics figures draw at most
TOP_ROWS = 3  # rows named on the figures: the largest Cook's distances, the largest |studentized residual|
COOK_LEVELS = (0.5, 1.0)  # Cook's distance contours, as R's plot.lm draws them


@dataclass(frozen=True)
class RowDiagnostics:
    """The diagnostics of some rows, parallel arrays of shape (n_rows,).

    Attributes
    ----------
    rows : ndarray of int
        0-based positions among the rows fitted, ascending.
    fitted : ndarray
        ``x_i @ coef + intercept``.
    resid : ndarray
        ``y_i - fitted_i``; with sample weights the Pearson residual ``sqrt(w_i) (y_i - fitted_i)``.
    leverage : ndarray
        ``h_i``, in [0, 1].
    student : ndarray
        Internally studentized residuals ``e_i / (sigma sqrt(1 - h_i))`` (NaN where ``h_i = 1`` or
        there are no residual degrees of freedom).
    cooks : ndarray
        Cook's distance ``r_i^2 h_i / (p (1 - h_i))``.
    """

    rows: np.ndarray
    fitted: np.ndarray
    resid: np.ndarray
    leverage: np.ndarray
    student: np.ndarray
    cooks: np.ndarray

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def take(self, index: np.ndarray) -> RowDiagnostics:
        """These diagnostics at ``index`` (positions into the arrays), in that order."""
        return RowDiagnostics(*(getattr(self, f)[index] for f in _FIELDS))

    @staticmethod
    def concat(parts: Iterable[RowDiagnostics]) -> RowDiagnostics:
        """Parts joined, in the order given."""
        parts = list(parts)
        if not parts:
            return _empty()
        return RowDiagnostics(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


_FIELDS = ("rows", "fitted", "resid", "leverage", "student", "cooks")


def _empty() -> RowDiagnostics:
    return RowDiagnostics(np.zeros(0, dtype=np.int64), *(np.zeros(0) for _ in _FIELDS[1:]))


@dataclass(frozen=True)
class Influence:
    """Diagnostics of a fitted line: a sample of its rows and its most influential ones.

    Attributes
    ----------
    sample : RowDiagnostics
        Every row (``n <= limit``), or a seeded random sample of ``limit`` rows.
    top_cooks : RowDiagnostics
        The ``top`` rows of the whole table with the largest Cook's distance, largest first.
    top_student : RowDiagnostics
        The ``top`` rows of the whole table with the largest ``|studentized residual|``, largest first.
    n : int
        Rows fitted.
    n_params : int
        Parameters: features, and the intercept when fitted.
    sigma : float
        Residual standard error ``sqrt(RSS / (n - p))`` (NaN with no residual degrees of freedom).
    seed : int
        The seed of the sample.
    y_scale : float, default nan
        The target's root mean square (what float64 rounding of a residual is relative to).
    """

    sample: RowDiagnostics
    top_cooks: RowDiagnostics
    top_student: RowDiagnostics
    n: int
    n_params: int
    sigma: float
    seed: int
    y_scale: float = math.nan

    @property
    def sampled(self) -> bool:
        """Whether :attr:`sample` holds fewer rows than were fitted."""
        return len(self.sample) < self.n

    @property
    def standardized(self) -> bool:
        """Whether studentized residuals and Cook's distances mean anything: False with no residual
        degrees of freedom, or when the line fits every row to float64 rounding (sigma within
        ``64 eps`` of the target's scale, so the residuals are rounding)."""
        return math.isfinite(self.sigma) and not self.sigma <= 64 * np.finfo(np.float64).eps * self.y_scale


def influence(stats: SufficientStats, rows: Callable[[], Iterable[tuple[Any, Any]]], coef: np.ndarray,
              intercept: float, *, fit_intercept: bool = True, rss: float | None = None, limit: int = SAMPLE_ROWS,
              seed: int = 0, top: int = TOP_ROWS) -> Influence:
    """Leverage, studentized residuals and Cook's distance of the line ``X @ coef + intercept``.

    Parameters
    ----------
    stats : SufficientStats
        The statistics of the rows ``rows`` yields (weighted ones when the rows carry weights).
    rows : callable () -> iterable of (X, y) or (X, y, w)
        Yields the rows once, in a fixed order: ``X`` of shape (rows, n_features), ``y`` of shape (rows,),
        and with sample weights ``w`` of shape (rows,) (the weighted leverage and Pearson residuals).
    coef : ndarray, shape (n_features,); intercept : float
        The line: the least-squares optimum for statsmodels' numbers.
    fit_intercept : bool, default True; keyword-only
    rss : float, optional
        The line's (weighted) residual sum of squares (e.g. ``total * exact.loss`` from a residual pass);
        default the sum of the (weighted) squared residuals of this pass; keyword-only.
    limit : int, default 5000
        The most rows kept in :attr:`Influence.sample`, >= 1; keyword-only.
    seed : int, default 0
        Seeds the choice of the sample when there are more rows than ``limit``; keyword-only.
    top : int, default 3
        How many of the most influential rows to keep, >= 0; keyword-only.

    Returns
    -------
    Influence

    Raises
    ------
    ValueError
        ``limit < 1``, ``top < 0``, or ``rows`` yielding another number of rows than ``stats.n``.

    Examples
    --------
    >>> import numpy as np
    >>> from slopefit.solve.accumulation import compute_stats
    >>> X = np.array([[1.], [2.], [3.], [4.], [10.]]); y = np.array([1., 3., 2., 5., 9.])
    >>> st = compute_stats([(X, y)], 1); sol = st.solve()
    >>> inf = influence(st, lambda: [(X, y)], sol.coef, sol.intercept)
    >>> round(float(inf.sample.leverage[4]), 4), int(inf.top_cooks.rows[0])
    (0.92, 4)
    """
    from slopefit.solve.inference import inverse_matrix

    if limit < 1:
        raise ValueError(f"limit must be at least 1 row, got {limit}")
    if top < 0:
        raise ValueError(f"top must be >= 0, got {top}")
    coef = np.asarray(coef, dtype=np.float64)
    d, n = stats.n_features, stats.n
    p = d + (1 if fit_intercept else 0)
    cxx = stats.centered()[0] if fit_intercept else stats.raw()[0]
    cxx_inv = inverse_matrix(cxx)  # (n_features, n_features)
    x_mean = stats.x_mean if fit_intercept else np.zeros(d)
    y_mean = stats.y_mean if fit_intercept else 0.0
    # the line on centered columns: y - y_mean = (X - x_mean) @ coef + offset
    offset = float(intercept) + float(x_mean @ coef) - y_mean if fit_intercept else 0.0
    inv_total = 1.0 / stats.total if fit_intercept else 0.0  # 1/n, or 1/sum(w)
    chosen = np.arange(n) if n <= limit else np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))
    parts: list[tuple[np.ndarray, ...]] = []  # (rows, fitted, resid, leverage) of the sampled rows
    best_cooks: list[tuple[np.ndarray, ...]] = []
    best_resid: list[tuple[np.ndarray, ...]] = []
    done, rss_pass = 0, 0.0
    for chunk in rows():
        X, y = as_numpy(chunk[0]), as_numpy(chunk[1])
        weights = as_numpy(chunk[2]) if len(chunk) > 2 else None
        for start in range(0, X.shape[0], DEFAULT_CHUNK_ROWS):
            xc = X[start:start + DEFAULT_CHUNK_ROWS].astype(np.float64) - x_mean  # (rows, n_features)
            yc = y[start:start + DEFAULT_CHUNK_ROWS].astype(np.float64) - y_mean
            e = yc - xc @ coef - offset
            h = np.einsum("ij,ij->i", xc @ cxx_inv, xc) + inv_total
            fitted = (yc - e) + y_mean
            if weights is not None:  # the rows of W^1/2 A: leverage times w, the Pearson residual
                w = weights[start:start + DEFAULT_CHUNK_ROWS].astype(np.float64)
                h = h * w
                e = e * np.sqrt(w)
            index = np.arange(done, done + xc.shape[0])
            rss_pass += float(e @ e)
            lo, hi = np.searchsorted(chosen, [done, done + xc.shape[0]])
            if hi > lo:
                at = chosen[lo:hi] - done
                parts.append((index[at], fitted[at], e[at], h[at]))
            if top:
                # Cook's distance grows with e^2 h / (1 - h)^2, the studentized residual with e^2 / (1 - h):
                # the same order as the final numbers (sigma and p are common factors)
                with np.errstate(divide="ignore", invalid="ignore"):
                    best_cooks.append(_largest((index, fitted, e, h), e * e * h / (1.0 - h) ** 2, top))
                    best_resid.append(_largest((index, fitted, e, h), e * e / (1.0 - h), top))
                    best_cooks = [_largest(_join(best_cooks), _cooks_key(_join(best_cooks)), top)]
                    best_resid = [_largest(_join(best_resid), _resid_key(_join(best_resid)), top)]
            done += xc.shape[0]
    if done != n:
        raise ValueError(f"rows() yielded {done} rows but the statistics hold {n}; pass the callable that "
                         "yields the rows the statistics were computed from")
    rss = rss_pass if rss is None else float(rss)
    dof = n - p
    sigma = math.sqrt(rss / dof) if dof > 0 else math.nan

    def finish(cols: tuple[np.ndarray, ...]) -> RowDiagnostics:
        index, fitted, e, h = cols
        with np.errstate(divide="ignore", invalid="ignore"):
            student = e / (sigma * np.sqrt(1.0 - h))
            cooks = student * student * h / (p * (1.0 - h))
        return RowDiagnostics(index.astype(np.int64), fitted, e, h, student, cooks)

    sample = finish(_join(parts)) if parts else _empty()
    top_cooks = finish(_join(best_cooks)) if best_cooks else _empty()
    top_student = finish(_join(best_resid)) if best_resid else _empty()
    y_scale = math.sqrt(stats.target_variance + stats.y_mean ** 2)
    return Influence(sample=sample, top_cooks=top_cooks, top_student=top_student, n=n, n_params=p, sigma=sigma,
                     seed=seed, y_scale=y_scale)


def influence_of(result, *, limit: int = SAMPLE_ROWS, seed: int | None = None, top: int = TOP_ROWS) -> Influence:
    """:func:`influence` of a fit at its exact optimum, where its summary is computed.

    Parameters
    ----------
    result : FitResult
        A fit carrying its statistics and rows (what :func:`slopefit.train.training.fit` returns).
    limit : int, default 5000; keyword-only
    seed : int or None, default None: the fit's own ``config.seed``; keyword-only
    top : int, default 3; keyword-only

    Returns
    -------
    Influence

    Raises
    ------
    ValueError
        When the result carries no statistics or rows.
    """
    if result.stats is None or result.rows is None:
        raise ValueError("this FitResult carries no statistics or rows to compute diagnostics from")
    rows = result.rows
    weights = getattr(getattr(rows, "data", None), "weights", None)
    if weights is not None:  # the weighted rows of a Dataset: leverage of W^1/2 A, Pearson residuals
        data = rows.data

        def rows():
            return [(data.X, data.y, weights)]

    # the exact loss is RSS / N (N = sum of the weights with weights); a penalised optimum's loss includes its penalty
    if result.config.penalty is not None:
        raise ValueError("no least-squares diagnostics for a penalised fit: its optimum is not least squares")
    return influence(result.stats, rows, result.exact.coef, result.exact.intercept,
                     fit_intercept=result.config.fit_intercept, rss=result.exact.loss * result.stats.total,
                     limit=limit, seed=result.config.seed if seed is None else seed, top=top)


def normal_quantiles(n: int) -> np.ndarray:
    """The theoretical quantiles of a normal Q-Q plot of ``n`` points: Filliben's estimate of the
    uniform order statistic medians through the normal quantile function (``scipy.stats.probplot``'s).

    Parameters
    ----------
    n : int
        Points, >= 0.

    Returns
    -------
    ndarray, shape (n,)
        Ascending.

    Examples
    --------
    >>> normal_quantiles(3).round(4).tolist()
    [-0.8193, 0.0, 0.8193]
    """
    from slopefit.solve import distributions as special  # scipy.special's names, without importing scipy

    if n == 0:
        return np.zeros(0)
    m = (np.arange(1, n + 1) - 0.3175) / (n + 0.365)
    m[-1] = 0.5 ** (1.0 / n)
    m[0] = 1.0 - m[-1]
    return special.ndtri(m)


def local_trend(x: np.ndarray, y: np.ndarray, at: np.ndarray | None = None, *,
                frac: float = 2.0 / 3.0) -> tuple[np.ndarray, np.ndarray]:
    """A smooth trend of ``y`` along ``x``: at each point a straight line fitted by weighted least
    squares to the ``frac`` share of the points nearest in ``x``, tricube weights (lowess without its
    robustness passes: statsmodels' ``lowess(y, x, frac, it=0, delta=0)`` at the same points).

    Parameters
    ----------
    x, y : ndarray, shape (n_points,)
        The points (non-finite ones are left out).
    at : ndarray or None, default None
        Where to evaluate the trend; None: 60 points evenly across the range of ``x``.
    frac : float, default 2/3
        The share of the points each local line is fitted to, in (0, 1] (R's ``lowess`` default); keyword-only.

    Returns
    -------
    (ndarray, ndarray)
        The trend's x (``at``, sorted) and y; empty with fewer than 3 finite points.

    Examples
    --------
    >>> xs = np.arange(6.0)
    >>> [round(float(v), 9) for v in local_trend(xs, 2 * xs + 1, np.array([0.5, 4.0]))[1]]
    [2.0, 9.0]
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 3:
        return np.zeros(0), np.zeros(0)
    at = np.linspace(x.min(), x.max(), 60) if at is None else np.sort(np.asarray(at, dtype=np.float64))
    k = max(2, min(len(x), int(frac * len(x) + 1e-10)))
    trend = np.empty(len(at))
    for start in range(0, len(at), 64):  # (64, n_points) distances at a time
        dist = np.abs(x[None, :] - at[start:start + 64, None])
        radius = np.partition(dist, k - 1, axis=1)[:, k - 1:k]  # the k-th nearest distance
        radius = np.where(radius > 0, radius, 1.0)
        w = np.clip(1.0 - (dist / radius) ** 3, 0.0, None) ** 3  # tricube weights
        sw = w.sum(axis=1)
        mx, my = (w @ x) / sw, (w @ y) / sw
        dx = x[None, :] - mx[:, None]
        sxx = (w * dx * dx).sum(axis=1)
        sxy = (w * dx * (y[None, :] - my[:, None])).sum(axis=1)
        slope = np.divide(sxy, sxx, out=np.zeros_like(sxy), where=sxx > 0)
        trend[start:start + 64] = my + slope * (at[start:start + 64] - mx)
    return at, trend


def cooks_contour(level: float, n_params: int, leverage: np.ndarray) -> np.ndarray:
    """The standardized residual at which Cook's distance equals ``level``, as a function of leverage:
    ``sqrt(level p (1 - h) / h)`` (its negative is the lower contour).

    Parameters
    ----------
    level : float
        Cook's distance, > 0.
    n_params : int
        Parameters of the model, p.
    leverage : ndarray
        Leverage values in (0, 1].

    Returns
    -------
    ndarray
        Same shape as ``leverage``.
    """
    h = np.asarray(leverage, dtype=np.float64)
    return np.sqrt(level * n_params * (1.0 - h) / h)


def _join(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    return tuple(np.concatenate([part[j] for part in parts]) for j in range(4))


def _cooks_key(cols: tuple[np.ndarray, ...]) -> np.ndarray:
    e, h = cols[2], cols[3]
    return e * e * h / (1.0 - h) ** 2


def _resid_key(cols: tuple[np.ndarray, ...]) -> np.ndarray:
    e, h = cols[2], cols[3]
    return e * e / (1.0 - h)


def _largest(cols: tuple[np.ndarray, ...], key: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """The ``k`` entries of ``cols`` with the largest ``key`` (NaN last), largest first, ties by row."""
    key = np.where(np.isnan(key), -np.inf, key)
    if len(key) > k:  # the k largest (and any tied with the k-th) first, in linear time; then sorted
        kth = np.partition(key, len(key) - k)[len(key) - k]
        near = np.flatnonzero(key >= kth)
        cols, key = tuple(c[near] for c in cols), key[near]
    order = np.lexsort((cols[0], -key))[:k]
    return tuple(c[order] for c in cols)
