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

from slopefit.errors import ConfigError
from slopefit.stats import SufficientStats


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
        A name from :data:`slopefit.optimizers.OPTIMIZERS`; only "sgd" has a closed-form bound.
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
            :func:`slopefit.convergence.gap_scale` (``loss*``, or the baseline loss when the data fit
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


def advise(stats: SufficientStats, *, scaling: str = "standardize", fit_intercept: bool = True) -> Advice:
    """Eigenvalues, condition numbers, bounds and the best settings for full-batch SGD.

    Parameters
    ----------
    stats : SufficientStats
        The statistics of the data.
    scaling : {"none", "center", "standardize"}, default "standardize"
        The scaling the advice is for (condition numbers are given for all three); keyword-only.
    fit_intercept : bool, default True
        Whether the model has an intercept; keyword-only.

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
    >>> from slopefit.stats import compute_stats
    >>> X = np.array([[166.], [176.], [171.], [173.], [169.]]); y = np.array([58.7, 75.7, 62.1, 70.4, 60.1])
    >>> round(advise(compute_stats([(X, y)], 1), scaling="center").lr_bound, 4)
    0.0862
    """

    def eigen(method: str) -> np.ndarray:
        q = stats.curvature(stats.scaler(method, fit_intercept=fit_intercept), fit_intercept=fit_intercept)
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


# --- messages: the bound that applies to a run, and what to change -------------------------


def _bound_text(lam_max: float, optimizer: str, options: Mapping[str, Any] | None) -> str | None:
    """``"lr < 0.0862 (2/λmax, λmax=23.2)"``: the one way every message prints a bound, or None."""
    bound = stable_bound(lam_max, optimizer, options)
    if bound is None:
        return None
    return f"lr < {bound:.4g} ({describe_bound(optimizer, options)}, λmax={lam_max:.4g} of the MSE Hessian)"


def _decay_note(optimizer: str, options: Mapping[str, Any] | None) -> str | None:
    """Weight decay, when it is why the answer is not least squares (adamw decays by default)."""
    decay = float((options or {}).get("weight_decay", 1e-2 if optimizer == "adamw" else 0.0))
    if decay <= 0:
        return None
    default = " (adamw's default)" if optimizer == "adamw" and "weight_decay" not in (options or {}) else ""
    return (f"weight_decay={decay:g}{default} pulls the coefficients toward 0, so the run minimises a penalised "
            "loss whose optimum is not least squares; set weight_decay=0 for the least-squares line")


def divergence_advice(lam_max: float, optimizer: str, options: Mapping[str, Any] | None, lr: float, *,
                      scaling: str, batch_size: int | None = None) -> str:
    """Why a run's loss blew up and what to change, for the DivergenceError message.

    ``lam_max`` is the largest eigenvalue of the MSE Hessian in the run's scaled units. The
    bound named is the one of the run's own optimizer and momentum (``2(1+β)/λmax`` with
    heavy-ball momentum); optimizers with no closed-form bound are told so.

    Parameters
    ----------
    lam_max : float
        The largest eigenvalue of the MSE Hessian in the run's scaled units.
    optimizer : str
        The run's optimizer.
    options : mapping or None
        The run's optimizer options.
    lr : float
        The run's learning rate, > 0.
    scaling : str
        The run's scaling (a run not standardized is told to standardize); keyword-only.
    batch_size : int or None, default None
        The run's minibatch size; None for full batch; keyword-only.

    Returns
    -------
    str
        The advice, to follow "training diverged ...; " in the message.
    """
    bound = stable_bound(lam_max, optimizer, options) if lam_max > 0 else None
    if bound is not None and lr >= bound:
        advice = (f"full-batch {optimizer} on this data is stable only for "
                  f"{_bound_text(lam_max, optimizer, options)}; lower the learning rate, or leave --lr out to have "
                  "it chosen from the data")
    elif bound is not None and batch_size is not None:
        advice = (f"lr is inside the full-batch bound, {_bound_text(lam_max, optimizer, options)}, but minibatches "
                  f"of {batch_size} rows make noisier steps; lower the learning rate or raise --batch-size")
    elif bound is not None:
        advice = (f"lr is inside the full-batch bound, {_bound_text(lam_max, optimizer, options)}, so the data's "
                  "values are the likely cause; use --dtype float64")
    else:
        advice = (f"{optimizer} has no closed-form stable bound; lower the learning rate (try lr={lr / 10:g})")
    if scaling != "standardize":
        advice += ", or scale the data (--scale standardize)"
    return advice


def not_converged_advice(lam_max: float, optimizer: str, options: Mapping[str, Any] | None, lr: float, *,
                         automatic: bool = False, batch_size: int | None = None) -> str:
    """What to change when a run ended above the optimum, for the "not converged" note.

    Parameters
    ----------
    lam_max : float
        The largest eigenvalue of the MSE Hessian in the run's scaled units.
    optimizer : str
        The run's optimizer.
    options : mapping or None
        The run's optimizer options.
    lr : float
        The run's learning rate, > 0.
    automatic : bool, default False
        Whether the lr was chosen from the data; keyword-only.
    batch_size : int or None, default None
        The run's minibatch size; None for full batch; keyword-only.

    Returns
    -------
    str
        One clause: what to change.
    """
    bound = stable_bound(lam_max, optimizer, options)
    if bound is not None and lr >= bound and not automatic:
        return f"lr={lr:g} is past the stable bound: {_bound_text(lam_max, optimizer, options)}; lower --lr"
    decay = _decay_note(optimizer, options)
    if decay:
        return decay
    if batch_size is not None:
        return (f"minibatches of {batch_size} rows give noisy steps, and a constant lr settles at a distance set "
                "by that noise: a smaller --lr, a larger --batch-size, or full batch (leave --batch-size out)")
    if automatic:
        return "the budget ran out first: raise --epochs"
    if optimizer == "sgd" and bound is None:  # dampening=1: the momentum buffer stops taking in gradients
        return "dampening=1 stops sgd's momentum buffer from taking in new gradients; leave dampening out"
    if optimizer == "sgd":
        tip = "" if (options or {}).get("momentum") else " or --momentum 0.9"
        return (f"more --epochs, a larger --lr (inside {_bound_text(lam_max, optimizer, options)}){tip}, or leave "
                "--lr out to have lr and momentum chosen from the data")
    return f"more --epochs or another --lr ({optimizer} has no closed-form bound; 'slopefit sweep' compares lrs)"


def unstable_lr_warning(lam_max: float, optimizer: str, options: Mapping[str, Any] | None, lr: float) -> str | None:
    """A warning before training when full-batch ``optimizer`` at ``lr`` is past its stable bound, else None.

    Parameters
    ----------
    lam_max : float
        The largest eigenvalue of the MSE Hessian in the run's scaled units.
    optimizer : str
        The run's optimizer.
    options : mapping or None
        The run's optimizer options.
    lr : float
        The learning rate to check, > 0.

    Returns
    -------
    str or None
        None when ``lr`` is inside the bound, or the optimizer has none.

    Examples
    --------
    >>> unstable_lr_warning(2.0, "sgd", None, 0.5) is None  # the bound is 2/2 = 1
    True
    """
    bound = stable_bound(lam_max, optimizer, options)
    if bound is None or lr < bound:
        return None
    return (f"lr={lr:g} is past the stable bound of full-batch {optimizer} on this data, "
            f"{_bound_text(lam_max, optimizer, options)}; expect divergence (see slopefit advise)")


@dataclass(frozen=True)
class Prediction:
    """Epochs to a relative gap, predicted from the rate and measured by a run.

    Attributes
    ----------
    lr, momentum : float
        The run's settings.
    tol : float
        The relative gap aimed at.
    predicted : float
        Epochs from :meth:`Advice.predicted_epochs` (inf when unstable).
    epochs : int or None
        Epochs the run took to reach ``tol`` (None: not reached or diverged).
    final_gap : float
        The run's relative gap at its end (NaN when it diverged).
    diverged_at : int or None
        The epoch it diverged at; None when it did not.
    max_epochs : int
        The run's budget.
    """

    lr: float
    momentum: float
    tol: float
    predicted: float
    epochs: int | None
    final_gap: float
    diverged_at: int | None
    max_epochs: int


def predict_and_measure(data, stats: SufficientStats, advice: Advice, *, lr: float, momentum: float = 0.0,
                        tol: float = 1e-6, max_epochs: int = 100_000, fit_intercept: bool = True) -> Prediction:
    """Run full-batch sgd at ``lr`` (and ``momentum``) on the stats engine, from zeros as
    :func:`slopefit.training.fit` starts, and set the epochs it took next to the prediction.

    Parameters
    ----------
    data : Dataset or TableSource
        The data ``stats`` were gathered from.
    stats : SufficientStats
        Its statistics.
    advice : Advice
        From :func:`advise` on ``stats`` (its scaling is used).
    lr : float
        The learning rate, > 0; keyword-only (as are all below).
    momentum : float, default 0.0
        Heavy-ball momentum, in [0, 1).
    tol : float, default 1e-6
        The relative gap to reach, > 0.
    max_epochs : int, default 100000
        The run's budget, >= 1.
    fit_intercept : bool, default True
        Whether the model has an intercept.

    Returns
    -------
    Prediction
        A divergence is recorded in it, not raised.
    """
    from slopefit.config import TrainConfig
    from slopefit.convergence import gap_scale
    from slopefit.errors import DivergenceError
    from slopefit.training import fit

    scaler = stats.scaler(advice.scaling, fit_intercept=fit_intercept)
    q, theta_star, loss_star = stats.quadratic(scaler, fit_intercept=fit_intercept)
    start_gap = float(theta_star @ q @ theta_star)  # every scaled parameter 0
    scale = gap_scale(loss_star, stats.baseline_loss(fit_intercept=fit_intercept))
    predicted = advice.predicted_epochs(lr, momentum=momentum, start_gap=start_gap, loss_star=scale, tol=tol)
    config = TrainConfig(lr=lr, options={"momentum": momentum} if momentum else {}, epochs=max_epochs,
                         scaling=advice.scaling, fit_intercept=fit_intercept, stop_gap=tol, dtype="float64",
                         log_every=max_epochs, engine="stats")
    try:
        result = fit(data, config, stats=stats)
    except DivergenceError as exc:
        return Prediction(lr, momentum, tol, predicted, None, math.nan, exc.epoch, max_epochs)
    epochs = result.epochs_run if result.stop_reason == "gap" else None
    return Prediction(lr, momentum, tol, predicted, epochs, result.relative_gap, None, max_epochs)


# --- the automatic step: what a run with no lr uses -----------------------------------------

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
                          f"alone; give --lr (lr=...)")
    lo, hi = _spectrum(q)
    where = f"λmin={lo * SPECTRUM_MARGIN:.4g}, λmax={hi / SPECTRUM_MARGIN:.4g} of the MSE Hessian, scaled units"
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
        return AutoStep(lr, options, f"heavy ball from the curvature: lr={lr:.4g}, momentum={beta:.4g} "
                        f"(the fastest for {where}{damp}, spectrum widened 5%; error × {contraction:.4g} per epoch)")
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
        The optimizer to try ("sgd", "adam" or "adamw": those :func:`slopefit.sweep.sweep` stacks).
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
    from slopefit.config import TrainConfig
    from slopefit.sweep import grid, sweep

    base = TrainConfig(optimizer=optimizer, lr=1.0, epochs=SUGGEST_EPOCHS, options=dict(options or {}),
                       scaling=scaling, fit_intercept=fit_intercept, dtype="float64", engine="stats")
    result = sweep(data, grid(base, SUGGEST_LRS), stats=stats)
    best = result.best()
    if best is None:
        return SUGGEST_LRS[0], math.nan
    return float(SUGGEST_LRS[best]), float(result.relative_gap[best])
