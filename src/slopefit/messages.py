"""What a run is told: why its loss blew up, why it stopped short of the optimum, and a
warning before an lr past its bound. Every message quotes the bound of the run's own
optimizer and momentum from :mod:`slopefit.advise`, with the same digits everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slopefit.advise import describe_bound, stable_bound


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
