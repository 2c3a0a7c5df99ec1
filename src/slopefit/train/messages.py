"""What a run is told: why its loss blew up, why it stopped short of the optimum, and a
warning before an lr past its bound. Every message quotes the bound of the run's own
optimizer and momentum from :mod:`slopefit.solve.advise`, with the same digits everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from slopefit.solve.advise import describe_bound, stable_bound
from slopefit.texts import text
from slopefit.train.config import TrainConfig
from slopefit.train.plan import Plan

ILL_CONDITIONED = 1e8  # a condition number above which an automatic run not standardized is told to standardize


def hessian_name(penalty: Any = None, lang: str = "en") -> str:
    """Which Hessian a bound's λmax belongs to: the MSE's, or the penalised objective's smooth part.

    Parameters
    ----------
    penalty : Penalty or None, default None
        The run's penalty; one with an L2 part adds its curvature (the stable bound includes it).
    lang : {"en", "ko"}, default "en"

    Returns
    -------
    str

    Examples
    --------
    >>> from slopefit.solve.penalties import Penalty
    >>> hessian_name(), hessian_name(Penalty("ridge", 1.0), "ko")
    ('the MSE Hessian', '벌점 목적함수의 매끄러운 부분(MSE + L2 항)의 헤세 행렬')
    """
    if penalty is None or penalty.alpha == 0:
        return text("hessian.mse", lang)
    return text("hessian.l1" if penalty.l1_ratio >= 1.0 else "hessian.penalised", lang)


def _bound_text(lam_max: float, optimizer: str, options: Mapping[str, Any] | None,
                penalty: Any = None, lang: str = "en") -> str | None:
    """``"lr < 0.0862 (2/λmax, λmax=23.2 of the MSE Hessian)"``: the one way every message prints a bound, or None."""
    bound = stable_bound(lam_max, optimizer, options)
    if bound is None:
        return None
    return text("advice.bound", lang, bound=f"{bound:.4g}", rule=describe_bound(optimizer, options),
                lam=f"{lam_max:.4g}", hessian=hessian_name(penalty, lang))


def _decay_note(optimizer: str, options: Mapping[str, Any] | None, lang: str = "en") -> str | None:
    """Weight decay, when it is why the answer is not least squares (adamw decays by default)."""
    decay = float((options or {}).get("weight_decay", 1e-2 if optimizer == "adamw" else 0.0))
    if decay <= 0:
        return None
    default = optimizer == "adamw" and "weight_decay" not in (options or {})
    return text("advice.decay.adamw" if default else "advice.decay", lang, decay=f"{decay:g}")


def divergence_advice(lam_max: float, optimizer: str, options: Mapping[str, Any] | None, lr: float, *,
                      scaling: str, batch_size: int | None = None, penalty: Any = None, lang: str = "en") -> str:
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
    penalty : Penalty or None, default None
        The run's penalty: ``lam_max`` is then that of the objective's smooth part; keyword-only.
    lang : {"en", "ko"}, default "en"
        The language (:mod:`slopefit.texts`); keyword-only.

    Returns
    -------
    str
        The advice, to follow "training diverged ...; " in the message.
    """
    bound = stable_bound(lam_max, optimizer, options) if lam_max > 0 else None
    bound_text = _bound_text(lam_max, optimizer, options, penalty, lang)
    if bound is not None and lr >= bound:
        advice = text("advice.diverged.past", lang, optimizer=optimizer, bound=bound_text)
    elif bound is not None and batch_size is not None:
        advice = text("advice.diverged.batch", lang, bound=bound_text, batch=batch_size)
    elif bound is not None:
        advice = text("advice.diverged.values", lang, bound=bound_text)
    else:
        advice = text("advice.diverged.no_bound", lang, optimizer=optimizer, lr=f"{lr / 10:g}")
    if scaling != "standardize":
        advice += text("advice.diverged.scale", lang)
    return advice


def not_converged_advice(lam_max: float, optimizer: str, options: Mapping[str, Any] | None, lr: float, *,
                         automatic: bool = False, batch_size: int | None = None, penalty: Any = None,
                         scaling: str = "standardize", kappa: float | None = None, lang: str = "en") -> str:
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
    penalty : Penalty or None, default None
        The run's penalty (which Hessian ``lam_max`` belongs to); keyword-only.
    scaling : str, default "standardize"
        The run's scaling; keyword-only.
    kappa : float or None, default None
        The condition number ``λmax/λmin`` of the Hessian in the run's scaled units; an automatic run
        not standardized whose κ is large is told to standardize; keyword-only.
    lang : {"en", "ko"}, default "en"
        The language (:mod:`slopefit.texts`); keyword-only.

    Returns
    -------
    str
        One clause: what to change.
    """
    bound = stable_bound(lam_max, optimizer, options)
    bound_text = _bound_text(lam_max, optimizer, options, penalty, lang)
    if bound is not None and lr >= bound and not automatic:
        return text("advice.past", lang, lr=f"{lr:g}", bound=bound_text)
    decay = _decay_note(optimizer, options, lang)
    if decay:
        return decay
    if batch_size is not None:
        return text("advice.batch", lang, batch=batch_size)
    if automatic and scaling != "standardize" and kappa is not None and kappa > ILL_CONDITIONED:
        if not math.isfinite(kappa):
            return text("advice.singular", lang, scaling=scaling)
        return text("advice.kappa", lang, scaling=scaling, kappa=f"{kappa:.2g}", epochs=f"{math.sqrt(kappa) / 2:.2g}")
    if automatic:
        return text("advice.budget", lang)
    if optimizer == "sgd" and bound is None:  # dampening=1: the momentum buffer stops taking in gradients
        return text("advice.dampening", lang)
    if optimizer == "sgd":
        tip = "advice.sgd.momentum" if (options or {}).get("momentum") else "advice.sgd"
        return text(tip, lang, bound=bound_text)
    return text("advice.other", lang, optimizer=optimizer)


def unstable_lr_warning(lam_max: float, optimizer: str, options: Mapping[str, Any] | None, lr: float, *,
                        penalty: Any = None, lang: str = "en") -> str | None:
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
    penalty : Penalty or None, default None
        The run's penalty (which Hessian ``lam_max`` belongs to); keyword-only.

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
    return text("warn.unstable", lang, lr=f"{lr:g}", optimizer=optimizer,
                bound=_bound_text(lam_max, optimizer, options, penalty, lang))


def slow_scaling_warning(kappa: float, scaling: str, budget: int, lang: str = "en") -> str | None:
    """A warning before an automatic run whose scaling leaves the Hessian so ill-conditioned that
    even the heavy ball (about √κ/2 epochs per factor e of the error) cannot converge in ``budget``.

    Parameters
    ----------
    kappa : float
        ``λmax/λmin`` of the Hessian in the run's scaled units (inf: singular to rounding).
    scaling : str
        The run's scaling (never "standardize" here: the advice is to standardize).
    budget : int
        The run's epoch budget.

    Returns
    -------
    str or None
        None when about 30 factors e (1e-13) fit in the budget, or κ is at most ``ILL_CONDITIONED``.

    Examples
    --------
    >>> slow_scaling_warning(1e4, "center", 100_000) is None
    True
    >>> slow_scaling_warning(1e14, "center", 100_000).split(":")[0]
    'with scale=center the Hessian has κ=1e+14'
    """
    if not kappa > ILL_CONDITIONED:
        return None
    if math.isfinite(kappa) and 30 * math.sqrt(kappa) / 2 <= budget:
        return None
    epochs = (text("warn.slow.epochs", lang, epochs=f"{30 * math.sqrt(kappa) / 2:.2g}") if math.isfinite(kappa)
              else text("warn.slow.any", lang))
    return text("warn.slow", lang, scaling=scaling, kappa=f"{kappa:.2g}", epochs=epochs, budget=budget)


def run_warnings(plan: Plan, config: TrainConfig, lang: str = "en") -> list[str]:
    """The warnings a full-batch run is given before it starts: an lr past its stable bound, or an
    automatic run whose scaling is too ill-conditioned to converge in its budget.

    Parameters
    ----------
    plan : Plan
        From :func:`slopefit.train.plan.plan_fit` for this data and config.
    config : TrainConfig
        The run as asked (before its automatic settings are made concrete).

    Returns
    -------
    list of str
        Empty when there is nothing to say (and always for minibatch runs).
    """
    if config.batch_size is not None:
        return []
    if config.lr is not None:
        warning = unstable_lr_warning(plan.lam_max, config.optimizer, config.options, config.lr,
                                      penalty=config.penalty, lang=lang)
    elif config.scaling != "standardize":
        warning = slow_scaling_warning(plan.condition, config.scaling, config.budget, lang)
    else:
        warning = None
    return [warning] if warning else []


def convergence_message(result: Any, *, exact: str = "result.params (and result.summary())") -> str:
    """The :class:`slopefit.errors.ConvergenceWarning` of a run that stopped above the optimum: the gap,
    the run, and what to change (Python's parameter names), in one line.

    Parameters
    ----------
    result : slopefit.train.results.FitResult, not converged
    exact : str, where the exact least-squares answer is to be read; keyword-only

    Returns
    -------
    str
    """
    from slopefit.train.convergence import CONVERGED_GAP

    cfg = result.config
    full = cfg.batch_size is None or cfg.batch_size >= result.n_samples
    advice = not_converged_advice(2.0 / result.lr_bound, cfg.optimizer, cfg.options, cfg.lr,
                                  automatic=result.auto is not None, batch_size=None if full else cfg.batch_size,
                                  penalty=cfg.penalty, scaling=cfg.scaling, kappa=result.condition)
    return (f"gradient descent did not converge: after {result.epochs_run} epochs of {cfg.describe()} the loss is "
            f"{result.relative_gap:.3g} above the exact optimum, relative (converged means <= {CONVERGED_GAP:g}); "
            f"{advice}. The exact least-squares answer is {exact}")
