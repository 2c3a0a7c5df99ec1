"""torch's ``weight_decay`` as the objective it really is, and that objective's exact optimum.

sgd, adam, rmsprop and adagrad add ``weight_decay * theta`` to the gradient of every parameter,
so a run of them minimises, in the scaled parameters ``theta = (w_s[, b_s])`` it steps on,

    F(theta) = MSE(theta) + wd/2 |theta|^2

whose optimum solves ``(2Q + wd I) theta_d = 2Q theta_ols`` (``Q`` half the MSE Hessian): a ridge
problem in the scaled space, the intercept included. adamw decays the parameters outside the
adaptive step (decoupled), so its fixed point is not the optimum of any loss; it is left out
here and its runs keep least squares as their reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from slopefit.solve.exact import ExactSolution
from slopefit.solve.objective import stack_params
from slopefit.solve.scaling import Scaler
from slopefit.solve.stats import SufficientStats

COUPLED = ("sgd", "adam", "rmsprop", "adagrad")  # optimizers whose weight_decay is added to the gradient


def decay_of(optimizer: str, options: Mapping[str, Any] | None) -> float:
    """The coupled ``weight_decay`` of a run (0.0 when none, or for adamw's decoupled decay).

    Examples
    --------
    >>> decay_of("sgd", {"weight_decay": 0.1}), decay_of("adamw", {"weight_decay": 0.1}), decay_of("sgd", None)
    (0.1, 0.0, 0.0)
    """
    if optimizer not in COUPLED:
        return 0.0
    return float((options or {}).get("weight_decay", 0.0) or 0.0)


def decayed_curvature(q: np.ndarray, weight_decay: float) -> np.ndarray:
    """Half the Hessian of ``MSE + wd/2 |theta|^2`` from ``q``, half the MSE's: ``Q + wd/2 I``."""
    return q + 0.5 * weight_decay * np.eye(len(q))


def decayed_optimum(stats: SufficientStats, scaler: Scaler, weight_decay: float, *, fit_intercept: bool,
                    ols: ExactSolution) -> ExactSolution:
    """The optimum of ``MSE + wd/2 |theta|^2`` in the scaled parameters, back in original units.

    Parameters
    ----------
    stats : SufficientStats
    scaler : Scaler
        The run's scaling: the decay acts on the parameters in its units.
    weight_decay : float
        torch's ``weight_decay``, > 0.
    fit_intercept : bool; keyword-only
    ols : ExactSolution
        The least-squares optimum (the MSE's quadratic is expanded about it); keyword-only.

    Returns
    -------
    ExactSolution
        ``coef`` and ``intercept`` in original units; ``loss`` is ``F*``, the objective at the optimum.

    Examples
    --------
    One standardized feature, ``Q = [[1, 0], [0, 1]]`` with the intercept: ``theta_d = theta_ols / (1 + wd/2)``.

    >>> from slopefit.data.sources import builtin
    >>> from slopefit.solve.preparation import gather_stats, reference_solution
    >>> data = builtin("height-weight"); stats = gather_stats(data); ols = reference_solution(data, stats=stats)
    >>> scaler = stats.scaler("standardize")
    >>> sol = decayed_optimum(stats, scaler, 0.1, fit_intercept=True, ols=ols)
    >>> w_ols, _ = scaler.to_scaled(ols.coef, ols.intercept); w_d, _ = scaler.to_scaled(sol.coef, sol.intercept)
    >>> round(float(w_d[0] / w_ols[0]), 12) == round(1 / 1.05, 12)
    True
    """
    q, theta_ols, loss_ols = stats.quadratic(scaler, fit_intercept=fit_intercept, optimum=ols)
    n_params = len(theta_ols)
    theta = np.linalg.solve(2.0 * q + weight_decay * np.eye(n_params), 2.0 * q @ theta_ols)  # (n_params,)
    delta = theta - theta_ols
    loss = float(loss_ols + delta @ q @ delta + 0.5 * weight_decay * theta @ theta)
    coef, intercept = scaler.to_original(theta[:stats.n_features], float(theta[-1]) if fit_intercept else 0.0)
    return ExactSolution(coef=coef, intercept=intercept if fit_intercept else 0.0, loss=loss, rank=ols.rank)


class DecayEngine:
    """``F = MSE + wd/2 |theta|^2`` for the stats engine's full-batch steps.

    The loss handed to autograd has the value of ``F`` and the gradient of the MSE alone: the
    optimizer adds ``wd * theta`` itself. :meth:`gap` is ``F - F* = d^T (Q + wd/2 I) d`` with
    ``d = theta - theta_d``, with no cancellation against ``F*``.

    Attributes
    ----------
    q : Tensor (n_params, n_params), float64
        ``Q``, half the MSE Hessian: what the automatic step reads (it adds the decay itself).
    theta_star : Tensor (n_params,), float64
        The decayed optimum, scaled units.
    loss_star : float
        ``F*``.
    """

    def __init__(self, stats: SufficientStats, scaler: Scaler, weight_decay: float, *, fit_intercept: bool,
                 device: str = "cpu", ols: ExactSolution, optimum: ExactSolution) -> None:
        import torch

        q, _, _ = stats.quadratic(scaler, fit_intercept=fit_intercept, optimum=ols)
        w_star, b_star = scaler.to_scaled(optimum.coef, optimum.intercept)
        theta_star = np.append(w_star, b_star) if fit_intercept else w_star
        f64: dict[str, Any] = {"dtype": torch.float64, "device": device}
        self.q = torch.as_tensor(q, **f64)
        self._q_objective = torch.as_tensor(decayed_curvature(q, weight_decay), **f64)
        self.theta_star = torch.as_tensor(theta_star, **f64)
        self.loss_star = float(optimum.loss)
        self._decay = float(weight_decay)

    def loss(self, W, B):
        """``F`` at ``(W, B)`` as a torch scalar whose gradient is the MSE's (see the class docstring)."""
        import torch

        theta = stack_params(W, B).to(torch.float64)
        delta = theta - self.theta_star
        half_square = 0.5 * self._decay * (theta @ theta)
        with torch.no_grad():
            kept = half_square.detach()
        return self.loss_star + delta @ (self._q_objective @ delta) - half_square + kept

    def whole_loss(self, W, B) -> float:
        """``F`` at ``(W, B)`` as a float."""
        import torch

        with torch.no_grad():
            return float(self.loss(W, B))

    def gap(self, W, B) -> float:
        """``F - F*`` >= 0 at ``(W, B)``."""
        import torch

        with torch.no_grad():
            theta = stack_params(W, B).to(torch.float64)
            delta = theta - self.theta_star
            return float(delta @ (self._q_objective @ delta))
