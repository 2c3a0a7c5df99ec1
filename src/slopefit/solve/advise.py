"""The learning-rate advisor: what the curvature of the MSE says about a good learning rate.

Full-batch gradient descent on a quadratic moves each eigen-direction of the Hessian
``H = (2/N) A^T A`` independently. With eigenvalue lambda, plain SGD multiplies the error by
``1 - lr lambda`` per epoch, so it converges exactly when ``lr < 2 / lambda_max``. With
momentum beta (torch's ``v <- beta v + g; theta <- theta - lr v``) the error follows
``e_{t+1} = (1 + beta - lr lambda) e_t - beta e_{t-1}``, stable exactly when
``lr lambda < 2 (1 + beta)`` (Nesterov: ``lr lambda < 2 (1 + beta) / (1 + 2 beta)``).

The convergence rate rho (per epoch) is the largest |root| of those recurrences over the
eigenvalues; the loss gap shrinks like rho^(2t), so reaching a relative gap ``tol`` from a
starting gap g0 takes about ``log(tol L* / g0) / (2 log rho)`` epochs. The best plain lr is
``2 / (lambda_min + lambda_max)`` (rho = (kappa - 1)/(kappa + 1)); the best heavy ball is
``lr = 4 / (sqrt(lambda_max) + sqrt(lambda_min))^2``, ``beta = ((sqrt(kappa) - 1)/(sqrt(kappa) + 1))^2``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from slopefit.solve.stats import SufficientStats


def stable_bound(lam_max: float, optimizer: str = "sgd", options: Mapping[str, Any] | None = None) -> float | None:
    """The largest stable lr of full-batch ``optimizer`` on a quadratic with top eigenvalue ``lam_max``,
    or None where no such bound exists in closed form (adaptive methods, L-BFGS).

    For sgd, torch's update with weight decay wd, momentum β and dampening d is heavy ball
    with step ``lr (1 - d)`` on the Hessian ``H + wd I``, so the bound is
    ``2(1+β) / ((1-d)(λmax+wd))`` (Nesterov: ``2(1+β) / ((1+2β)(λmax+wd))``; torch forbids
    dampening with it). Dampening applies only with momentum, and d = 1 never moves past the
    first step, so it has no bound.

    Parameters
    ----------
    lam_max : float
        The largest eigenvalue of the MSE Hessian in the run's scaled units; <= 0 gives None.
    optimizer : str, default "sgd"
        A name from :data:`slopefit.train.optimizers.OPTIMIZERS`; only "sgd" has a closed-form bound.
    options : mapping or None, default None
        The optimizer's options (momentum, nesterov, dampening, weight_decay are read).

    Returns
    -------
    float or None

    Examples
    --------
    >>> stable_bound(2.0), stable_bound(2.0, "sgd", {"momentum": 0.5}), stable_bound(2.0, "adam")
    (1.0, 1.5, None)
    """
    if optimizer != "sgd" or lam_max <= 0:
        return None
    options = options or {}
    beta = float(options.get("momentum", 0.0))
    curvature = lam_max + float(options.get("weight_decay", 0.0))
    if beta and options.get("nesterov"):
        return 2.0 * (1.0 + beta) / ((1.0 + 2.0 * beta) * curvature)
    damping = 1.0 - float(options.get("dampening", 0.0)) if beta else 1.0
    if damping <= 0:
        return None
    return 2.0 * (1.0 + beta) / (damping * curvature)


def describe_bound(optimizer: str, options: Mapping[str, Any] | None) -> str:
    """The formula behind :func:`stable_bound` and its settings, for messages:
    ``"2/λmax"``, ``"2(1+β)/λmax, β=0.9"``, ``"2/(λmax+wd), wd=0.5"``...

    Parameters
    ----------
    optimizer : str
        The optimizer's name (only "sgd" formulas are meaningful; see :func:`stable_bound`).
    options : mapping or None
        The optimizer's options.

    Returns
    -------
    str

    Examples
    --------
    >>> describe_bound("sgd", {"momentum": 0.9}), describe_bound("sgd", {"weight_decay": 0.5})
    ('2(1+β)/λmax, β=0.9', '2/(λmax+wd), wd=0.5')
    """
    options = options or {}
    beta = float(options.get("momentum", 0.0))
    decay = float(options.get("weight_decay", 0.0))
    dampening = float(options.get("dampening", 0.0)) if beta and not options.get("nesterov") else 0.0
    curvature = "(λmax+wd)" if decay else "λmax"
    if not beta:
        formula = f"2/{curvature}"
    elif options.get("nesterov"):
        formula = f"2(1+β)/((1+2β){curvature})"
    elif dampening:
        formula = f"2(1+β)/((1-d){curvature})"
    else:
        formula = f"2(1+β)/{curvature}"
    settings = [f"β={beta:g}"] if beta else []
    settings += [f"d={dampening:g}"] if dampening else []
    settings += [f"wd={decay:g}"] if decay else []
    return ", ".join([formula, *settings])


def rate(lr: float, eigenvalues: np.ndarray, momentum: float = 0.0) -> float:
    """Per-epoch contraction of the error of full-batch SGD (with heavy-ball momentum): the
    spectral radius over the eigenvalues; >= 1 means no convergence.

    Parameters
    ----------
    lr : float
        The learning rate, > 0.
    eigenvalues : ndarray, shape (n_params,)
        Eigenvalues of the MSE Hessian, >= 0.
    momentum : float, default 0.0
        Heavy-ball momentum (torch's, non-Nesterov), in [0, 1).

    Returns
    -------
    float
        The per-epoch factor rho >= 0 on the error; the loss gap shrinks like rho^2.

    Examples
    --------
    >>> import numpy as np
    >>> float(rate(0.5, np.array([1.0, 3.0])))  # max(|1 - 0.5|, |1 - 1.5|)
    0.5
    """
    worst = 0.0
    for lam in np.asarray(eigenvalues, dtype=np.float64):
        if momentum == 0.0:
            radius = abs(1.0 - lr * lam)
        else:
            radius = float(np.max(np.abs(np.roots([1.0, -(1.0 + momentum - lr * lam), momentum]))))
        worst = max(worst, radius)
    return worst


@dataclass(frozen=True)
class Advice:
    """The curvature of one dataset's MSE and what it implies.

    Attributes
    ----------
    scaling : str
        The scaling the eigenvalues are for.
    eigenvalues : ndarray, shape (n_params,)
        Eigenvalues of the MSE Hessian in scaled units, ascending, >= 0.
    condition : dict of str to float
        Scaling name -> condition number lambda_max / lambda_min (inf when lambda_min is 0).
    lr_bound : float
        2 / lambda_max: the stable bound of plain full-batch SGD.
    best_lr, best_rate : float
        Plain SGD's fastest lr, ``2 / (lambda_min + lambda_max)``, and its per-epoch rate.
    heavy_ball_lr, heavy_ball_momentum, heavy_ball_rate : float
        The fastest momentum setting and its per-epoch rate.
    """

    scaling: str
    eigenvalues: np.ndarray
    condition: dict[str, float]
    lr_bound: float
    best_lr: float
    best_rate: float
    heavy_ball_lr: float
    heavy_ball_momentum: float
    heavy_ball_rate: float

    @property
    def lambda_max(self) -> float:
        """The largest eigenvalue of the Hessian (scaled units)."""
        return float(self.eigenvalues[-1])

    @property
    def lambda_min(self) -> float:
        """The smallest eigenvalue of the Hessian (scaled units)."""
        return float(self.eigenvalues[0])

    def momentum_bound(self, momentum: float) -> float:
        """The largest stable lr of heavy-ball SGD with ``momentum``: ``2 (1 + momentum) / lambda_max``.

        Parameters
        ----------
        momentum : float
            torch's (non-Nesterov) momentum, in [0, 1).

        Returns
        -------
        float
        """
        return 2.0 * (1.0 + momentum) / self.lambda_max

    def predicted_epochs(self, lr: float, *, momentum: float = 0.0, start_gap: float, loss_star: float,
                         tol: float) -> float:
        """Epochs until the relative gap is below ``tol``, from the convergence rate (inf if unstable).

        Parameters
        ----------
        lr : float
            The learning rate, > 0.
        momentum : float, default 0.0
            Heavy-ball momentum, in [0, 1); keyword-only (as are all below).
        start_gap : float
            The gap ``loss - loss*`` at the start, >= 0.
        loss_star : float
            What the relative gap is measured against: the gap scale of
            :func:`slopefit.train.convergence.gap_scale` (``loss*``, or the baseline loss when the data fit
            a line exactly), > 0.
        tol : float
            The relative gap to reach, > 0.

        Returns
        -------
        float
            Epochs (not rounded); 0.0 when the start is already within ``tol``; inf when the rate is >= 1.
        """
        rho = rate(lr, self.eigenvalues, momentum)
        if rho >= 1.0:
            return math.inf
        target = tol * loss_star
        if start_gap <= target:
            return 0.0
        return math.log(target / start_gap) / (2.0 * math.log(rho)) if rho > 0 else 1.0


def advise(stats: SufficientStats, *, scaling: str = "standardize", fit_intercept: bool = True,
           penalty=None) -> Advice:
    """Eigenvalues, condition numbers, bounds and the best settings for full-batch SGD.

    With a penalty the Hessian is that of the objective's smooth part: a ridge part adds
    ``2 l2 / s_j^2`` to the diagonal (:func:`slopefit.solve.penalties.curvature`); an L1 part has
    no curvature (its proximal step does not move the bound).

    Parameters
    ----------
    stats : SufficientStats
        The statistics of the data.
    scaling : {"none", "center", "standardize"}, default "standardize"
        The scaling the advice is for (condition numbers are given for all three); keyword-only.
    fit_intercept : bool, default True
        Whether the model has an intercept; keyword-only.
    penalty : slopefit.solve.penalties.Penalty or None, default None
        The penalty whose curvature is added; keyword-only.

    Returns
    -------
    Advice

    Raises
    ------
    ConfigError
        When ``scaling`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from slopefit.solve.accumulation import compute_stats
    >>> X = np.array([[166.], [176.], [171.], [173.], [169.]]); y = np.array([58.7, 75.7, 62.1, 70.4, 60.1])
    >>> round(advise(compute_stats([(X, y)], 1), scaling="center").lr_bound, 4)
    0.0862
    """

    from slopefit.solve.penalties import curvature

    def eigen(method: str) -> np.ndarray:
        q = curvature(stats, stats.scaler(method, fit_intercept=fit_intercept), penalty, fit_intercept=fit_intercept)
        return np.clip(2.0 * np.linalg.eigvalsh(q), 0.0, None)

    condition = {}
    for method in ("none", "center", "standardize"):
        lam = eigen(method)
        condition[method] = float(lam[-1] / lam[0]) if lam[0] > 0 else math.inf
    lam = eigen(scaling)
    lo, hi = float(lam[0]), float(lam[-1])
    kappa = hi / lo if lo > 0 else math.inf
    best_lr = 2.0 / (lo + hi)
    hb_lr = 4.0 / (math.sqrt(hi) + math.sqrt(lo)) ** 2
    hb_beta = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2 if math.isfinite(kappa) else 1.0
    return Advice(scaling=scaling, eigenvalues=lam, condition=condition, lr_bound=2.0 / hi, best_lr=best_lr,
                  best_rate=rate(best_lr, lam), heavy_ball_lr=hb_lr, heavy_ball_momentum=hb_beta,
                  heavy_ball_rate=rate(hb_lr, lam, hb_beta))


