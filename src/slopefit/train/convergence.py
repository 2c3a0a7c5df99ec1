"""The one rule for "how far from the optimum": the gap, its scale, "converged" and "diverged".

Every loop (single runs, stacked sweeps), every table (fit, compare, sweep, bench) and every
note reads its verdict from here, so a run called converged in one view is converged in all.

The gap of a line is ``loss - loss*``, its distance above the exact least-squares optimum.
It is judged relative to ``loss*``; when the data fit a line (almost) exactly, ``loss*`` is
about 0 and the gap is judged relative to the *baseline loss* instead: the loss of
predicting the target's mean (or 0 without an intercept).

A run has diverged when its loss is no longer finite or has grown ``EXPLODE_FACTOR`` times
above the loss at its start.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

CONVERGED_GAP = 1e-6  # relative gap at or below which a run counts as converged
EXPLODE_FACTOR = 1e8  # a loss this many times above the starting loss counts as diverged
EXACT_FIT = 1e-12  # loss* below this fraction of the baseline loss: the data lie on a line


def gap_scale(loss_star: float, baseline: float) -> float:
    """What a gap is measured against: ``loss*``, or ``baseline`` when the data fit a line exactly.

    Parameters
    ----------
    loss_star : float
        The loss at the exact optimum, >= 0.
    baseline : float
        The loss of the constant model (the target's variance; with no intercept, its mean square), >= 0.

    Returns
    -------
    float
        ``loss_star`` when it exceeds ``EXACT_FIT * baseline``, else ``baseline``.

    Examples
    --------
    >>> gap_scale(2.0, 10.0), gap_scale(1e-20, 10.0)
    (2.0, 10.0)
    """
    return loss_star if loss_star > EXACT_FIT * baseline else baseline


def relative_gap(loss: Any, loss_star: float, baseline: float) -> Any:
    """The relative gap ``(loss - loss*) / gap_scale(loss*, baseline)``.

    Where the scale is 0 (a constant target fitted exactly) the absolute gap is returned.

    Parameters
    ----------
    loss : float or ndarray
        The loss (or losses, one per run or record) to judge, >= ``loss_star`` up to rounding.
    loss_star : float
        The loss at the exact optimum, >= 0.
    baseline : float
        The loss of the constant model, >= 0 (see :func:`gap_scale`).

    Returns
    -------
    float or ndarray
        The relative gap, of the type and shape of ``loss``.

    Examples
    --------
    >>> relative_gap(3.0, 2.0, 10.0)
    0.5
    """
    scale = gap_scale(loss_star, baseline)
    return (loss - loss_star) / scale if scale > 0 else loss - loss_star


def target_loss(loss_star: float, baseline: float, gap: float) -> float:
    """The loss at which the relative gap reaches ``gap``: the inverse of :func:`relative_gap`.

    Parameters
    ----------
    loss_star : float
        The loss at the exact optimum, >= 0.
    baseline : float
        The loss of the constant model, >= 0 (see :func:`gap_scale`).
    gap : float
        The relative gap wanted, >= 0 (e.g. ``CONVERGED_GAP``).

    Returns
    -------
    float
        ``loss_star + gap * gap_scale(loss_star, baseline)``.

    Examples
    --------
    >>> target_loss(2.0, 10.0, 0.5)
    3.0
    """
    return loss_star + gap * gap_scale(loss_star, baseline)


def is_converged(gap: float, tol: float = CONVERGED_GAP) -> bool:
    """Whether a relative gap counts as converged (``gap <= tol``).

    Parameters
    ----------
    gap : float
        A relative gap, as from :func:`relative_gap`; NaN is never converged.
    tol : float, default ``CONVERGED_GAP`` (1e-6)
        The largest relative gap that counts as converged, >= 0.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_converged(1e-7), is_converged(1e-3), is_converged(float("nan"))
    (True, False, False)
    """
    return bool(gap <= tol)


def divergence_limit(start_loss: Any, baseline: float) -> Any:
    """The loss above which a run that started at ``start_loss`` has diverged.

    A start at (or near) the optimum gets a floor of ``EXACT_FIT * baseline`` (1e-12 of it) so that
    rounding noise is never taken for an explosion. Works elementwise on an array of runs.

    Parameters
    ----------
    start_loss : float or ndarray
        The loss at the start of the run (or of each run), >= 0.
    baseline : float
        The loss of the constant model, >= 0 (see :func:`gap_scale`).

    Returns
    -------
    float or ndarray
        ``EXPLODE_FACTOR * max(start_loss, floor)``, elementwise (a numpy scalar for a float).

    Examples
    --------
    >>> float(divergence_limit(2.0, 10.0))
    200000000.0
    """
    floor = EXACT_FIT * max(baseline, 1e-300)
    with np.errstate(over="ignore"):  # a loss near 1e300: no finite limit, a non-finite loss still stops
        return EXPLODE_FACTOR * np.maximum(start_loss, floor)


def has_diverged(loss: Any, limit: Any) -> Any:
    """Whether a loss is non-finite or above ``limit``: elementwise for arrays, a bool for floats.

    Parameters
    ----------
    loss : float or ndarray
        The current loss of one run, or of each run.
    limit : float or ndarray
        The limit from :func:`divergence_limit`, broadcastable against ``loss``.

    Returns
    -------
    bool or ndarray of bool

    Examples
    --------
    >>> has_diverged(1.0, 10.0), has_diverged(float("nan"), 10.0), has_diverged(11.0, 10.0)
    (False, True, True)
    """
    bad = ~np.isfinite(loss) | (np.asarray(loss) > limit)
    return bool(bad) if np.ndim(bad) == 0 else bad


def loss_trend(loss: float, lang: str = "en") -> str:
    """How a loss that is not usable any more went wrong, for messages.

    Parameters
    ----------
    loss : float
        The loss at which the run was judged diverged.
    lang : {"en", "ko"}, default "en"

    Returns
    -------
    str
        ``"became NaN"``, ``"became infinite"`` or ``"exploded to <loss>"``.

    Examples
    --------
    >>> loss_trend(float("inf")), loss_trend(3e9)
    ('became infinite', 'exploded to 3e+09')
    """
    from slopefit.texts import text

    if math.isnan(loss):
        return text("trend.nan", lang)
    if math.isinf(loss):
        return text("trend.inf", lang)
    return text("trend.exploded", lang, loss=f"{loss:.4g}")


def coefficient_gap(q: np.ndarray, optimum: np.ndarray, to_original: np.ndarray, *, loss_scale: float,
                    rtol: float) -> float:
    """The gap ``loss - loss*`` below which every parameter is within ``rtol`` of the optimum.

    On a quadratic ``loss - loss* = d^T Q d`` for the distance ``d = theta - theta*`` in
    scaled units, and the largest change of parameter j (original units, ``to_original @ d``)
    that a gap ``g`` allows is ``sqrt(g C_jj)`` with ``C = T Q^-1 T^T``. So a gap at most

        ``g* = rtol^2 min_j (|theta*_j| + sqrt(loss_scale C_jj))^2 / C_jj``

    puts every parameter within ``rtol (|theta*_j| + sqrt(loss_scale C_jj))`` of its optimum:
    relative to the parameter, or, for a parameter near 0, to how far it moves when the loss
    grows by ``loss_scale`` (its natural scale).

    Parameters
    ----------
    q : ndarray, shape (n_params, n_params)
        Half the MSE Hessian in scaled units (symmetric, positive semi-definite).
    optimum : ndarray, shape (n_params,)
        The optimum in original units (coefficients, then intercept).
    to_original : ndarray, shape (n_params, n_params)
        T: a distance in scaled units -> the same distance in original units.
    loss_scale : float
        What a gap is measured against, >= 0 (see :func:`gap_scale`); keyword-only.
    rtol : float
        The relative tolerance on every parameter, > 0; keyword-only.

    Returns
    -------
    float
        The largest gap ``g*`` >= 0; 0.0 when no parameter can move.

    Examples
    --------
    One parameter at 2 with unit curvature: within half of 2 once the gap is at most 0.25 * 2**2.

    >>> import numpy as np
    >>> coefficient_gap(np.eye(1), np.array([2.0]), np.eye(1), loss_scale=0.0, rtol=0.5)
    1.0
    """
    c = to_original @ np.linalg.pinv(q, hermitian=True) @ to_original.T
    spread = np.sqrt(np.clip(np.diag(c), 0.0, None))  # (n_params,)
    moving = spread > 0
    if not moving.any():
        return 0.0
    allowed = np.abs(optimum[moving]) / spread[moving] + math.sqrt(max(loss_scale, 0.0))
    return float(rtol**2 * np.min(allowed) ** 2)
