"""The step of a run given no lr: chosen from the curvature of the data (heavy ball for sgd,
torch's own step for lbfgs), or, for optimizers whose step does not follow from the
curvature, a suggestion measured by a short sweep on the data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from slopefit.errors import ConfigError
from slopefit.solve.advise import rate
from slopefit.solve.stats import SufficientStats

SPECTRUM_MARGIN = 1.05  # the automatic step plans for a spectrum 5% wider at both ends than measured
SUGGEST_LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)  # tried for adaptive optimizers
SUGGEST_EPOCHS = 1000


@dataclass(frozen=True)
class AutoStep:
    """The step an automatic run takes, and why.

    Attributes
    ----------
    lr : float
        The learning rate chosen, > 0.
    options : dict
        The optimizer options with the chosen momentum (if any) filled in.
    reason : str
        One line for the user: what was chosen from what.
    """

    lr: float
    options: dict[str, Any]
    reason: str


def near_one(value: float) -> str:
    """``value`` with 4 significant digits, or as ``1-4.8e-06`` when those would round it to 1.

    Examples
    --------
    >>> near_one(0.9), near_one(0.9999952), near_one(1.0)
    ('0.9', '1-4.8e-06', '1')
    """
    if value < 1.0 and f"{value:.4g}" == "1":
        return f"1-{1.0 - value:.2g}"
    return f"{value:.4g}"


def _spectrum(q: np.ndarray) -> tuple[float, float]:
    """Smallest non-zero and largest eigenvalue of the Hessian ``2 Q``, widened by SPECTRUM_MARGIN."""
    lam = np.clip(2.0 * np.linalg.eigvalsh(q), 0.0, None)
    hi = float(lam[-1])
    positive = lam[lam > 1e-12 * hi]  # a rank-deficient design: plan for the directions that move
    lo = float(positive[0]) if positive.size else hi
    return lo / SPECTRUM_MARGIN, hi * SPECTRUM_MARGIN


def auto_step(q: np.ndarray, optimizer: str, options: Mapping[str, Any] | None = None, *,
              full_batch: bool = True) -> AutoStep:
    """The learning rate (and momentum) of a run given no lr, from the curvature ``Q`` (half
    the MSE Hessian in the run's scaled units).

    * sgd, full batch, no momentum given: the heavy ball, ``lr = 4/(sqrt(λmax)+sqrt(λmin))^2``
      and ``β = ((sqrt(κ)-1)/(sqrt(κ)+1))^2``, the fastest stationary setting on a quadratic,
      for a spectrum ``SPECTRUM_MARGIN`` wider than measured at both ends (a guard against
      rounding in λmin and λmax that costs a few percent of speed);
    * sgd with a momentum β given: ``lr = (1+sqrt β)^2/λmax``, the largest lr at which every
      direction contracts at the rate sqrt β set by β (within the bound ``2(1+β)/λmax``);
      with nesterov, ``1/λmax``;
    * sgd with minibatches: ``lr = 1/λmax``, half the full-batch bound, no momentum;
    * lbfgs: lr 1 with the strong-Wolfe line search, torch's own step;
    * adam, adamw, rmsprop, adagrad: no step follows from the curvature alone; they raise
      ConfigError asking for lr (see :func:`suggest_lr` for a measured suggestion).

    Parameters
    ----------
    q : ndarray, shape (n_params, n_params)
        Half the MSE Hessian in the run's scaled units.
    optimizer : str
        The run's optimizer.
    options : mapping or None, default None
        The run's optimizer options (a given momentum is kept).
    full_batch : bool, default True
        Whether the run is full batch; keyword-only.

    Returns
    -------
    AutoStep

    Raises
    ------
    ConfigError
        For adam, adamw, rmsprop and adagrad, and for sgd with dampening >= 1.

    Examples
    --------
    >>> step = auto_step(np.diag([1.0, 0.25]), "sgd")  # λ = 2, 0.5; widened: 2.1, 0.5/1.05
    >>> round(step.lr, 4), round(step.options["momentum"], 4)  # 4/(√2.1+√0.476)², ((√4.41-1)/(√4.41+1))²
    (0.8741, 0.1259)
    """
    options = dict(options or {})
    if optimizer == "lbfgs":  # its own stopping tests would end it near 1e-9, short of the optimum
        options = {"tolerance_grad": 0.0, "tolerance_change": 0.0, **options}
        return AutoStep(1.0, options, "lbfgs: lr=1 with the strong-Wolfe line search (torch's own step), "
                        "its own early stops off")
    if optimizer != "sgd":
        raise ConfigError(f"{optimizer} has no automatic step: its step does not follow from the curvature "
                          f"alone; give lr=")
    lo, hi = _spectrum(q)
    where = f"λmin={lo * SPECTRUM_MARGIN:.4g}, λmax={hi / SPECTRUM_MARGIN:.4g} of the MSE Hessian, scaled units"
    flat = int(np.sum(2.0 * np.linalg.eigvalsh(q) < lo * SPECTRUM_MARGIN))
    if flat:  # below 1e-12 λmax: planned for as flat, and too slow for any step to reach
        where += (f"; {flat} smaller eigenvalue{'s' if flat > 1 else ''} under 1e-12 λmax "
                  f"{'are' if flat > 1 else 'is'} taken as flat")
    decay = float(options.get("weight_decay", 0.0))
    if decay:  # weight decay adds wd to every eigenvalue of the Hessian
        lo, hi = lo + decay, hi + decay
        where += f", plus weight_decay={decay:g}"
    if not full_batch:
        return AutoStep(1.0 / hi, options, f"sgd with minibatches: lr = 1/λmax = {1.0 / hi:.4g}, half the "
                        f"full-batch bound ({where})")
    dampening = float(options.get("dampening", 0.0))
    if dampening >= 1.0:
        raise ConfigError("dampening=1 stops the momentum buffer from taking in new gradients, so sgd never "
                          "converges; leave dampening out (torch's default 0)")
    damp = "" if not dampening else f", divided by 1-d for dampening={dampening:g}"
    beta = options.get("momentum")
    if beta is None:
        kappa = hi / lo
        beta = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
        options["momentum"] = beta
        if options.get("nesterov"):  # the heavy ball's lr is past Nesterov's bound; 1/λmax is inside it
            lr = 1.0 / hi  # torch allows no dampening with nesterov
            return AutoStep(lr, options, f"sgd with nesterov momentum {beta:.4g} (the heavy ball's): "
                            f"lr = 1/λmax = {lr:.4g} ({where})")
        lr = 4.0 / (math.sqrt(hi) + math.sqrt(lo)) ** 2 / (1.0 - dampening)
        contraction = rate(lr * (1.0 - dampening), np.array([lo, hi]), beta)
        return AutoStep(lr, options, f"heavy ball from the curvature: lr={lr:.4g}, momentum={near_one(beta)} "
                        f"(the fastest for {where}{damp}, spectrum widened 5%; error × {near_one(contraction)} "
                        "per epoch)")
    if options.get("nesterov"):
        lr = 1.0 / hi
        return AutoStep(lr, options, f"sgd with nesterov momentum {beta:g}: lr = 1/λmax = {lr:.4g} ({where})")
    if not beta:  # torch applies dampening to the momentum buffer only
        dampening, damp = 0.0, ""
    lr = (1.0 + math.sqrt(float(beta))) ** 2 / hi / (1.0 - dampening)
    return AutoStep(lr, options, f"sgd with momentum {beta:g}: lr = (1+√β)²/λmax = {lr:.4g} ({where}{damp})")


def suggest_lr(data, stats: SufficientStats, optimizer: str, options: Mapping[str, Any] | None, *,
               scaling: str = "standardize", fit_intercept: bool = True) -> tuple[float, float]:
    """The lr from SUGGEST_LRS whose run of ``optimizer`` came closest to the optimum in
    SUGGEST_EPOCHS full-batch epochs on this data, and the relative gap it reached.

    Parameters
    ----------
    data : Dataset or TableSource
        The data ``stats`` were gathered from.
    stats : SufficientStats
        Its statistics.
    optimizer : str
        The optimizer to try ("sgd", "adam" or "adamw": those :func:`slopefit.train.sweep.sweep` stacks).
    options : mapping or None
        Its options.
    scaling : str, default "standardize"
        The scaling of the runs; keyword-only.
    fit_intercept : bool, default True
        Whether the model has an intercept; keyword-only.

    Returns
    -------
    lr : float
        The best of :data:`SUGGEST_LRS` (the smallest when every run diverged).
    gap : float
        The relative gap it reached (NaN when every run diverged).
    """
    from slopefit.train.config import TrainConfig
    from slopefit.train.sweep import grid, sweep

    base = TrainConfig(optimizer=optimizer, lr=1.0, epochs=SUGGEST_EPOCHS, options=dict(options or {}),
                       scaling=scaling, fit_intercept=fit_intercept, dtype="float64", engine="stats")
    result = sweep(data, grid(base, SUGGEST_LRS), stats=stats)
    best = result.best()
    if best is None:
        return SUGGEST_LRS[0], math.nan
    return float(SUGGEST_LRS[best]), float(result.relative_gap[best])
