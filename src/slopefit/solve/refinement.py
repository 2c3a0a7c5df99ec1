"""Iterative refinement: the optimum of a large table to ``16 - log10(cond)`` digits, and
residual sums of squares, by passes over the rows.

The normal equations of :mod:`slopefit.solve.stats` square the design's condition number; a pass
that computes the residuals of the current line in float64 and solves for a correction with
the same normal matrix wins those digits back. The same pass gives the residual sum of
squares from the residuals themselves, never as ``y^T y - ...``, which cancels. The statistics
pass itself gathers the residual moments of a provisional line (:class:`slopefit.solve.stats.LineResiduals`),
so the first correction usually needs no pass of its own (:func:`refine_in_pass`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from slopefit.solve.accumulation import DEFAULT_CHUNK_ROWS
from slopefit.solve.exact import ExactSolution
from slopefit.solve.stats import SufficientStats

ChunkSource = Callable[[], Iterable[tuple[Any, Any]]]  # () -> iterable of (X (rows, n_features), y (rows,))


def refine(stats: SufficientStats, chunks: ChunkSource, solution: ExactSolution | None = None, *,
           fit_intercept: bool = True, passes: int = 2,
           reduce: Callable[..., tuple[int, float, np.ndarray, float]] | None = None) -> ExactSolution:
    """The optimum of a large table to ``16 - log10(cond)`` digits: iterative refinement of
    :meth:`SufficientStats.solve` with residual passes over the rows.

    The normal equations lose ``2 log10(cond)`` digits (``cond``: condition number of the
    standardized design). Each pass computes, chunk by chunk in float64 and on columns shifted
    by the statistics' shift, the residual ``r = y - X @ coef - intercept`` of the current line
    and accumulates ``A^T r`` (``A = [X - shift, 1]``); the correction solves the same
    correlation-scaled normal equations, ``(A^T A) delta = A^T r``, and is added. The error
    shrinks by about ``cond^2 * 1e-16`` a pass, down to the float64 residual's own rounding.

    Parameters
    ----------
    stats : SufficientStats
        The statistics of the rows that ``chunks`` yields.
    chunks : callable () -> iterable of (X, y)
        Called once per pass; each call yields the same rows in the same order. ``X`` has
        shape (rows, n_features), any float dtype and layout (float32, column-major); ``y``
        has shape (rows,).
    solution : ExactSolution, optional
        The starting line; default ``stats.solve(fit_intercept=fit_intercept)``.
    fit_intercept : bool, default True
    passes : int, default 2
        Passes over the rows, >= 1; two reach the float64 floor unless ``cond`` exceeds ~1e6.
    reduce : callable or None, default None
        ``reduce(n, rss, ax_r, sum_r) -> (n, rss, ax_r, sum_r)``: a pass's sums over this
        process's rows -> the sums over every process's (a distributed run, where ``chunks``
        yields one share of the rows).

    Returns
    -------
    ExactSolution
        ``loss`` is the mean of the squared float64 residuals of the last pass, carried to the
        returned line by the exact change of the quadratic (``-2 delta^T A^T r + delta^T A^T A
        delta``, tiny next to it): never ``y^T y - ...``, which cancels.

    Raises
    ------
    ValueError
        ``passes < 1``, or ``chunks`` yields another number of rows than ``stats.n``.

    Examples
    --------
    >>> import numpy as np
    >>> from slopefit.solve.accumulation import compute_stats
    >>> X = np.array([[166.], [176.], [171.], [173.], [169.]]); y = np.array([58.7, 75.7, 62.1, 70.4, 60.1])
    >>> st = compute_stats([(X, y)], 1)
    >>> sol = refine(st, lambda: [(X, y)])
    >>> round(float(sol.coef[0]), 6), round(sol.loss, 6)
    (1.82069, 4.539034)
    """
    if passes < 1:
        raise ValueError(f"passes must be at least 1 (one pass over the rows per correction), got {passes}")
    solution = solution or stats.solve(fit_intercept=fit_intercept)
    d = stats.n_features
    x_shift = stats.x_shift if fit_intercept else np.zeros(d)
    y_shift = stats.y_shift if fit_intercept else 0.0
    coef = np.asarray(solution.coef, dtype=np.float64).copy()
    # The line in shifted coordinates: y - y_shift = (X - x_shift) @ coef + offset
    offset = float(solution.intercept) + float(x_shift @ coef) - y_shift if fit_intercept else 0.0
    rss = 0.0
    rank = solution.rank
    for _ in range(passes):
        n, rss, ax_r, sum_r = _residual_pass(chunks(), coef, offset, x_shift, y_shift, gradient=True)
        if reduce is not None:
            n, rss, ax_r, sum_r = reduce(n, rss, ax_r, sum_r)
        if n != stats.n:
            raise ValueError(f"chunks() yielded {n} rows but the statistics hold {stats.n}; pass the "
                             "callable that yields the rows the statistics were computed from")
        coef, offset, rss, rank, _ = _corrected(stats, fit_intercept, coef, offset, rss, ax_r, sum_r)
    intercept = offset + y_shift - float(x_shift @ coef) if fit_intercept else 0.0
    return ExactSolution(coef=coef, intercept=intercept, loss=max(rss, 0.0) / stats.n, rank=int(rank))


ENOUGH_MARGIN = 64.0  # the rounding of a correction, in units of u * cond(corr) * |correction| (a margin)


def refine_in_pass(stats: SufficientStats) -> tuple[ExactSolution, bool] | None:
    """The optimum refined from the residual moments gathered in the statistics pass: one
    correction of the provisional line (:attr:`SufficientStats.residuals`), no pass over the rows.

    The provisional line is the first rows' least-squares line; the statistics pass summed, in
    float64, its residual ``r`` with ``A^T r`` and ``sum r^2`` beside the Gram matrix. The
    correction ``delta`` solves the same correlation-scaled normal equations as
    :func:`refine`'s passes do, so the result is what one residual pass from that line gives.
    Its rounding error is about ``u cond |delta|`` (``cond``: condition number of the
    correlation matrix, ``u = 2^-53``); a residual pass from the normal equations' solution
    reaches ``u sqrt(cond) (|beta| + sqrt(Cyy))`` (standardized units). ``enough`` says whether
    the first is below the second with a margin of ``ENOUGH_MARGIN``: if not, a residual pass
    from the returned line is still due.

    Parameters
    ----------
    stats : SufficientStats
        Statistics with an intercept model in mind (the shifted coordinates are the centered ones).

    Returns
    -------
    (ExactSolution, bool) or None
        The refined line with ``loss`` from the residuals (``sum r^2`` carried to the line by the
        exact change of the quadratic), and ``enough``; None when the statistics carry no
        residual moments.

    Examples
    --------
    >>> import numpy as np
    >>> from slopefit.solve.accumulation import compute_stats
    >>> X = np.array([[166.], [176.], [171.], [173.], [169.]]); y = np.array([58.7, 75.7, 62.1, 70.4, 60.1])
    >>> sol, enough = refine_in_pass(compute_stats([(X, y)], 1))
    >>> round(float(sol.coef[0]), 6), round(sol.loss, 6), enough
    (1.82069, 4.539034, True)
    """
    line = stats.residuals
    if line is None:
        return None
    coef, offset, rss, rank, d_coef = _corrected(stats, True, line.coef.astype(np.float64), float(line.offset),
                                                 line.rss, line.ax_r, line.sum_r)
    cxx, _, cyy = stats.centered()
    spread = np.sqrt(np.diag(cxx))
    spread = np.where(spread > 0, spread, 1.0)
    corr = cxx / np.outer(spread, spread)
    lam = np.linalg.eigvalsh(corr)
    cond = float(lam[-1] / lam[0]) if lam[0] > 0 else np.inf
    scale = float(np.linalg.norm(coef * spread)) + np.sqrt(cyy)
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 (a singular design) is NaN: not enough
        enough = bool(ENOUGH_MARGIN * np.sqrt(cond) * float(np.linalg.norm(d_coef * spread)) <= scale)
    intercept = offset + stats.y_shift - float(stats.x_shift @ coef)
    return ExactSolution(coef=coef, intercept=intercept, loss=max(rss, 0.0) / stats.total, rank=int(rank)), enough


def _corrected(stats: SufficientStats, fit_intercept: bool, coef: np.ndarray, offset: float, rss: float,
               ax_r: np.ndarray, sum_r: float) -> tuple[np.ndarray, float, float, int, np.ndarray]:
    """One correction of the line ``(coef, offset)`` (shifted coordinates; no offset without an
    intercept) from its residual moments ``rss = sum r^2``, ``ax_r = A^T r``, ``sum_r``:
    ``(coef, offset, rss, rank, d_coef)`` of the corrected line."""
    n, d = stats.total, stats.n_features  # the rows, or the sum of the weights
    cxx = stats.centered()[0] if fit_intercept else stats.raw()[0]  # (n_features, n_features)
    spread = np.sqrt(np.diag(cxx))
    spread = np.where(spread > 0, spread, 1.0)
    corr = cxx / np.outer(spread, spread)  # the matrix stats.solve() solves with: unit diagonal
    x_sums = stats.gram[:d, d + 1] if fit_intercept else np.zeros(d)  # (n_features,): sums of X - x_shift
    rhs = ax_r - x_sums * (sum_r / n)  # the centered normal equations' right-hand side
    beta, _, rank, _ = np.linalg.lstsq(corr, rhs / spread, rcond=None)
    d_coef = beta / spread
    d_offset = (sum_r - float(x_sums @ d_coef)) / n if fit_intercept else 0.0
    # RSS(theta + delta) = RSS - 2 delta^T A^T r + delta^T A^T A delta, A^T A in centered form
    rss += -2.0 * (float(d_coef @ ax_r) + d_offset * sum_r) + float(d_coef @ cxx @ d_coef) \
        + (n * (d_offset + float(x_sums @ d_coef) / n) ** 2 if fit_intercept else 0.0)
    return coef + d_coef, offset + d_offset, rss, int(rank), d_coef


def residual_sum_of_squares(data: ChunkSource | Iterable[tuple[Any, Any]] | tuple[Any, Any], coef: np.ndarray,
                            intercept: float, *, fit_intercept: bool = True,
                            shift: tuple[np.ndarray, float] | None = None) -> float:
    """``sum((y - X @ coef - intercept)^2)`` over the rows, from the residuals, in float64.

    With an intercept the residual is formed on shifted columns, ``(y - y_shift) - (X -
    x_shift) @ coef - offset``, so that large offsets in the data do not cancel its digits;
    the result does not depend on the shift otherwise. Unlike ``n * stats.loss(...)``, which
    subtracts nearly equal sums, it keeps its digits when the line fits almost exactly.

    Parameters
    ----------
    data : (X, y), an iterable of (X, y) chunks, or a callable returning one
        ``X`` of shape (rows, n_features), any float dtype and layout; ``y`` of shape (rows,).
    coef : ndarray, shape (n_features,)
        The line's coefficients in the data's units.
    intercept : float
        The line's intercept. Ignored (taken as 0) when ``fit_intercept`` is False.
    fit_intercept : bool, default True
    shift : (x_shift, y_shift), optional
        The centre to shift by, e.g. ``(stats.x_shift, stats.y_shift)``; default the first
        chunk's means. Unused without an intercept.

    Returns
    -------
    float
        The residual sum of squares, >= 0 (0.0 for no rows).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1000.], [1001.], [1002.]]); y = np.array([2001., 2003.5, 2005.])
    >>> residual_sum_of_squares((X, y), np.array([2.0]), 1.0)
    0.25
    """
    coef = np.asarray(coef, dtype=np.float64)
    if callable(data):
        data = data()
    elif isinstance(data, tuple) and len(data) == 2 and np.ndim(data[0]) == 2 and np.ndim(data[1]) == 1:
        data = [data]
    rows = iter(data)
    if not fit_intercept:
        zero = np.zeros(coef.shape[0])
        return _residual_pass(rows, coef, 0.0, zero, 0.0, gradient=False)[1]
    if shift is None:
        first = next(rows, None)
        if first is None:
            return 0.0
        x_shift = np.asarray(first[0], dtype=np.float64).mean(axis=0)
        y_shift = float(np.asarray(first[1], dtype=np.float64).mean())
        rows = _chain(first, rows)
    else:
        x_shift, y_shift = np.asarray(shift[0], dtype=np.float64), float(shift[1])
    offset = float(intercept) + float(x_shift @ coef) - y_shift
    return _residual_pass(rows, coef, offset, x_shift, y_shift, gradient=False)[1]


def _chain(first, rest: Iterator) -> Iterator:
    yield first
    yield from rest


def _residual_pass(chunks: Iterable[tuple[Any, Any]], coef: np.ndarray, offset: float, x_shift: np.ndarray,
                   y_shift: float, *, gradient: bool) -> tuple[int, float, np.ndarray, float]:
    """One float64 pass at the line ``y - y_shift = (X - x_shift) @ coef + offset``.

    Returns ``(n, sum r^2, (X - x_shift)^T r, sum r)`` with ``r`` the residual; the last two
    are zeros unless ``gradient``. Rows are converted ``DEFAULT_CHUNK_ROWS`` at a time.
    """
    n, rss = 0, 0.0
    ax_r, sum_r = np.zeros(coef.shape[0]), 0.0
    for X, y in chunks:
        X, y = as_numpy(X), as_numpy(y)
        for start in range(0, X.shape[0], DEFAULT_CHUNK_ROWS):
            xs = X[start:start + DEFAULT_CHUNK_ROWS].astype(np.float64) - x_shift  # (rows, n_features)
            r = (y[start:start + DEFAULT_CHUNK_ROWS].astype(np.float64) - y_shift) - xs @ coef - offset
            rss += float(r @ r)
            if gradient:
                ax_r += r @ xs
                sum_r += float(r.sum())
        n += X.shape[0]
    return n, rss, ax_r, sum_r


def as_numpy(a) -> np.ndarray:
    """A numpy view of a numpy array or a (CPU) torch tensor."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "detach"):  # a torch tensor
        return a.detach().cpu().numpy()
    return np.asarray(a)
