"""Penalties on the coefficients, with scikit-learn's objectives and alphas, and their exact optimum.

With ``MSE = sum_i w_i (y_i - x_i w - b)^2 / N`` (``w_i`` = 1 and ``N`` = rows without sample
weights, ``N = sum_i w_i`` with them), every penalised fit minimises, in the data's own units,

    F(w, b) = MSE + l1 * ||w||_1 + l2 * ||w||^2                   (the intercept is not penalised)

and the three kinds are scikit-learn's objectives divided by a constant, so their alphas mean
what they mean there:

=============  ==========================================================  =================
kind           scikit-learn's objective                                     l1, l2
=============  ==========================================================  =================
ridge          ``Ridge``: ``||y - Xw - b||^2 + alpha ||w||^2`` (not / n)    0, alpha / N
lasso          ``Lasso``: ``||y - Xw - b||^2 / (2n) + alpha ||w||_1``       2 alpha, 0
elasticnet     ``ElasticNet``: ``... / (2n) + alpha r ||w||_1                2 alpha r,
               + alpha (1 - r) ||w||^2 / 2``                                alpha (1 - r)
=============  ==========================================================  =================

(``F`` is ``Ridge``'s objective / N and twice ``Lasso``'s and ``ElasticNet``'s; with
``sample_weight`` scikit-learn weights the squares the same way, rescaling the weights of
Lasso and ElasticNet to sum to n, which is what dividing by ``N = sum w`` does.)

Gradient descent works on scaled parameters (``w_s = w * x_scale``), so the penalty there is
``sum_j l1 / s_j |w_s,j| + l2 / s_j^2 w_s,j^2``: the ridge part adds ``diag(l2 / s^2)`` to the
curvature ``Q`` (and so to the stable bound and the automatic step), the L1 part is taken by a
proximal step (soft-thresholding by ``lr * l1 / s_j`` after each sgd step), which puts exact
zeros where the lasso has them. The exact optimum is the closed-form ridge solution, or
coordinate descent on the sufficient statistics followed by the linear solve on the active set
that the Karush-Kuhn-Tucker conditions then certify.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from slopefit.errors import ConfigError
from slopefit.solve.exact import ExactSolution
from slopefit.solve.scaling import Scaler
from slopefit.solve.stats import SufficientStats

PENALTIES = ("ridge", "lasso", "elasticnet")


@dataclass(frozen=True)
class Penalty:
    """A penalty on the coefficients, scikit-learn's parameters (see the module docstring).

    Attributes
    ----------
    kind : {"ridge", "lasso", "elasticnet"}
        ``Ridge``, ``Lasso`` or ``ElasticNet``.
    alpha : float
        The penalty's strength, finite and >= 0.
    l1_ratio : float
        The share of L1 in the elastic net, in [0, 1]; 1 for the lasso and 0 for ridge (set so).

    Raises
    ------
    ConfigError
        An unknown kind, a negative or non-finite alpha, an l1_ratio outside [0, 1].

    Examples
    --------
    >>> p = Penalty("elasticnet", 0.1, l1_ratio=0.5)
    >>> p.l1(100), p.l2(100), p.describe()
    (0.1, 0.05, 'elastic net alpha=0.1 l1_ratio=0.5')
    >>> Penalty("ridge", 2.0).l2(100)
    0.02
    """

    kind: str
    alpha: float
    l1_ratio: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in PENALTIES:
            raise ConfigError(f"penalty must be one of {', '.join(PENALTIES)}, got {self.kind!r}")
        if not (_is_number(self.alpha) and math.isfinite(self.alpha) and self.alpha >= 0):
            raise ConfigError(f"the penalty's alpha must be a number >= 0, got alpha={self.alpha!r}; "
                              "e.g. 0.1 (0 is least squares)")
        if self.kind == "elasticnet" and not (_is_number(self.l1_ratio) and 0.0 <= self.l1_ratio <= 1.0):
            raise ConfigError(f"l1_ratio must be between 0 and 1 (0: ridge part only, 1: the lasso), got "
                              f"l1_ratio={self.l1_ratio!r}; e.g. 0.5")
        ratio = {"ridge": 0.0, "lasso": 1.0}.get(self.kind, self.l1_ratio)
        object.__setattr__(self, "alpha", float(self.alpha))
        object.__setattr__(self, "l1_ratio", float(ratio))

    def l1(self, total: float) -> float:
        """The weight of ``||w||_1`` in ``F`` (``total`` = N, unused: the L1 weight does not depend on it)."""
        return 2.0 * self.alpha * self.l1_ratio if self.kind != "ridge" else 0.0

    def l2(self, total: float) -> float:
        """The weight of ``||w||^2`` in ``F``: ``alpha / N`` for ridge, ``alpha (1 - l1_ratio)`` otherwise.

        Parameters
        ----------
        total : float
            N: the rows, or the sum of the sample weights; > 0.
        """
        return self.alpha / total if self.kind == "ridge" else self.alpha * (1.0 - self.l1_ratio)

    @property
    def has_l1(self) -> bool:
        """Whether the penalty has an L1 part (a proximal step, exact zeros)."""
        return self.kind != "ridge" and self.alpha > 0 and self.l1_ratio > 0

    def value(self, coef: np.ndarray, total: float) -> float:
        """``l1 ||coef||_1 + l2 ||coef||^2``: what the penalty adds to the MSE.

        Parameters
        ----------
        coef : ndarray, shape (n_features,)
            Coefficients in original units.
        total : float
            N (rows or sum of weights), > 0.

        Returns
        -------
        float
            >= 0.
        """
        coef = np.asarray(coef, dtype=np.float64)
        return self.l1(total) * float(np.abs(coef).sum()) + self.l2(total) * float(coef @ coef)

    def describe(self) -> str:
        """``"ridge alpha=1"``, ``"elastic net alpha=0.1 l1_ratio=0.5"``."""
        if self.kind == "elasticnet":
            return f"elastic net alpha={self.alpha:g} l1_ratio={self.l1_ratio:g}"
        return f"{self.kind} alpha={self.alpha:g}"

    def objective(self) -> str:
        """What the loss printed is: ``"MSE + α‖w‖²/N"`` and so on (N: rows, or the sum of weights)."""
        return {"ridge": "MSE + α‖w‖²/N", "lasso": "MSE + 2α‖w‖₁",
                "elasticnet": "MSE + 2αr‖w‖₁ + α(1−r)‖w‖²"}[self.kind]

    def to_dict(self) -> dict[str, Any]:
        """``{"kind", "alpha", "l1_ratio"}``, JSON-ready; :meth:`from_dict` reverses it."""
        return {"kind": self.kind, "alpha": self.alpha, "l1_ratio": self.l1_ratio}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Penalty:
        """The penalty :meth:`to_dict` wrote."""
        return cls(str(data["kind"]), data["alpha"], l1_ratio=data.get("l1_ratio", 0.5))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def penalty_from(*, ridge: float | None = None, lasso: float | None = None, elastic_net: float | None = None,
                 l1_ratio: float | None = None) -> Penalty | None:
    """The one penalty asked for by ``ridge=``, ``lasso=`` or ``elastic_net=`` (the CLI's ``--ridge``...).

    Parameters
    ----------
    ridge, lasso, elastic_net : float or None
        Alphas; at most one given; keyword-only.
    l1_ratio : float or None
        The L1 share, only with ``elastic_net`` (default 0.5 there).

    Returns
    -------
    Penalty or None

    Raises
    ------
    ConfigError
        Two penalties at once, ``l1_ratio`` without the elastic net, or a value out of range.
    """
    given = [(name, value) for name, value in (("ridge", ridge), ("lasso", lasso),
                                               ("elastic_net", elastic_net)) if value is not None]
    if len(given) > 1:
        raise ConfigError(f"{given[0][0]}= and {given[1][0]}= were both given; choose one penalty (for both an L1 and "
                          "an L2 part use elastic_net= with l1_ratio=)")
    if l1_ratio is not None and elastic_net is None:
        raise ConfigError(f"l1_ratio= ({l1_ratio:g}) applies to elastic_net= only; add elastic_net=, or leave out "
                          "l1_ratio=")
    if not given:
        return None
    name, alpha = given[0]
    if not (math.isfinite(alpha) and alpha >= 0):
        raise ConfigError(f"the alpha of {name}= must be a number >= 0 (scikit-learn's alpha), got {alpha:g}; "
                          "e.g. 0.1")
    kind = {"ridge": "ridge", "lasso": "lasso", "elastic_net": "elasticnet"}[name]
    return Penalty(kind, alpha, l1_ratio=0.5 if l1_ratio is None else l1_ratio)


def check_run(penalty: Penalty | None, *, optimizer: str, options: Mapping[str, Any], batch_size: int | None,
              engine: str) -> None:
    """Refuse the runs that would not minimise the penalised objective (TrainConfig calls it).

    A penalty is trained full batch on the statistics (where its curvature and optimum are
    known); an L1 part needs sgd (momentum allowed): adaptive optimizers rescale each
    coordinate's step, so soft-thresholding by ``lr * l1`` would not be the proximal step of
    their update, and lbfgs's line search does not take one.

    Raises
    ------
    ConfigError
        The run and the penalty do not go together (the message says which setting to change).
    """
    if penalty is None:
        return
    if batch_size is not None or engine == "data":
        raise ConfigError(f"a penalty ({penalty.describe()}) is trained full batch on the stats engine; leave out "
                          "batch_size= and engine=\"data\"")
    if options.get("weight_decay"):
        raise ConfigError(f"weight_decay is a second L2 penalty, on the scaled coefficients; with "
                          f"{penalty.describe()} leave weight_decay out")
    if penalty.has_l1:
        if optimizer != "sgd":
            raise ConfigError(f"{penalty.describe()} has an L1 part, which gradient descent takes by a proximal step "
                              f"(soft-thresholding) that only plain sgd (with or without momentum) can make; "
                              f"{optimizer} rescales each step, so use optimizer=\"sgd\"")
        if options.get("nesterov") or options.get("dampening"):
            raise ConfigError(f"{penalty.describe()} takes its L1 part by proximal heavy-ball steps; leave nesterov "
                              "and dampening out")


# --- gradient descent on F --------------------------------------------------------------


def scaled_weights(penalty: Penalty, scaler: Scaler, total: float) -> tuple[np.ndarray, np.ndarray]:
    """``(l1 / s, l2 / s^2)``: the penalty's weights on the scaled coefficients, shape (n_features,) each."""
    s = np.asarray(scaler.x_scale, dtype=np.float64)
    return penalty.l1(total) / s, penalty.l2(total) / s ** 2


def curvature(stats: SufficientStats, scaler: Scaler, penalty: Penalty | None, *,
              fit_intercept: bool = True) -> np.ndarray:
    """Half the Hessian of the smooth part of ``F`` in scaled units: ``Q + diag(l2 / s^2, 0)``.

    Parameters
    ----------
    stats : SufficientStats
    scaler : Scaler
    penalty : Penalty or None
        None gives the MSE's own ``Q``.
    fit_intercept : bool, default True; keyword-only

    Returns
    -------
    ndarray, shape (n_params, n_params)
    """
    q = stats.curvature(scaler, fit_intercept=fit_intercept)
    if penalty is not None:
        d = stats.n_features
        q = q.copy()
        q[np.arange(d), np.arange(d)] += scaled_weights(penalty, scaler, stats.total)[1]
    return q


def condition(stats: SufficientStats, scaler: Scaler, penalty: Penalty | None, *, fit_intercept: bool = True) -> float:
    """``λmax/λmin`` of the Hessian (its smooth part with a penalty) in ``scaler``'s units; inf when singular.

    Examples
    --------
    >>> from slopefit.solve.accumulation import compute_stats
    >>> stats = compute_stats([(np.array([[1.0], [2.0], [3.0]]), np.array([1.0, 2.0, 4.0]))], 1)
    >>> round(condition(stats, stats.scaler("standardize"), None), 12)
    1.0
    """
    lam = np.linalg.eigvalsh(curvature(stats, scaler, penalty, fit_intercept=fit_intercept))
    return float(lam[-1] / lam[0]) if lam[0] > 0 else float("inf")


def lr_bound(stats: SufficientStats, scaler: Scaler, penalty: Penalty | None, *, fit_intercept: bool = True) -> float:
    """``2 / lambda_max`` of the smooth part's Hessian (the ridge part included): full-batch sgd's bound.

    Returns
    -------
    float
        > 0; inf when the Hessian is 0.
    """
    lam_max = 2.0 * float(np.linalg.eigvalsh(curvature(stats, scaler, penalty, fit_intercept=fit_intercept))[-1])
    return 2.0 / lam_max if lam_max > 0 else float("inf")


class PenaltyEngine:
    """``F`` in the scaled parameters, for the stats engine's full-batch steps.

    ``F(theta) = F* + G.d + d^T Q_s d + sum_j l1_j (|w_j| - |w*_j|)`` with ``d = theta - theta*``
    about the exact optimum theta*, ``Q_s`` the smooth part's curvature and ``G`` its gradient
    at theta* (from the KKT conditions: ``-l1_j sign(w*_j)`` where ``w*_j != 0``). The loss handed
    to autograd has the smooth part's gradient only (the L1 part is the proximal step's job,
    :meth:`prox`), and the value of ``F``; :meth:`gap` is ``F - F*`` as a sum of non-negative
    terms, with no cancellation against ``F*``.

    Parameters
    ----------
    stats : SufficientStats
    scaler : Scaler
    penalty : Penalty
    fit_intercept : bool; keyword-only
    device : str, default "cpu"; keyword-only
    ols : ExactSolution
        The least-squares optimum (the MSE's quadratic is expanded about it); keyword-only.
    optimum : ExactSolution
        The penalised optimum (:func:`slopefit.solve.penalized_exact.solve_penalized`); keyword-only.

    Attributes
    ----------
    q : Tensor (n_params, n_params), float64
        ``Q_s``: what the automatic step and the stop rule read.
    theta_star : Tensor (n_params,), float64
    loss_star : float
        ``F*``.
    """

    def __init__(self, stats: SufficientStats, scaler: Scaler, penalty: Penalty, *, fit_intercept: bool,
                 device: str = "cpu", ols: ExactSolution, optimum: ExactSolution) -> None:
        import torch

        f64: dict[str, Any] = {"dtype": torch.float64, "device": device}
        d = stats.n_features
        q0, theta_ols, _ = stats.quadratic(scaler, fit_intercept=fit_intercept, optimum=ols)
        l1w, l2w = scaled_weights(penalty, scaler, stats.total)
        q = curvature(stats, scaler, penalty, fit_intercept=fit_intercept)
        w_star, b_star = scaler.to_scaled(optimum.coef, optimum.intercept)
        theta_star = np.append(w_star, b_star) if fit_intercept else w_star
        grad = 2.0 * q0 @ (theta_star - theta_ols)  # (n_params,): the smooth part's gradient at theta*
        grad[:d] += 2.0 * l2w * w_star
        grad[d:] = 0.0  # the intercept is at its optimum
        on = w_star != 0
        grad[:d] = np.where(on, -l1w * np.sign(w_star), np.clip(grad[:d], -l1w, l1w))  # KKT's values
        self.q = torch.as_tensor(q, **f64)
        self.theta_star = torch.as_tensor(theta_star, **f64)
        self.loss_star = float(optimum.loss)
        self._grad = torch.as_tensor(grad, **f64)
        self._l1 = torch.as_tensor(l1w, **f64)
        self._sign = torch.as_tensor(np.sign(w_star), **f64)
        self._on = torch.as_tensor(on, device=device)
        self._d = d

    def _rest(self, theta):
        """``sum_j l1_j (|w_j| - |w*_j|) + G_j d_j`` over the coefficients, as non-negative terms (no graph)."""
        import torch

        w = theta[:self._d]
        kept = self._l1 * (w.abs() - self._sign * w)  # a coefficient of the optimum's support
        zero = self._grad[:self._d] * w + self._l1 * w.abs()  # a coefficient the optimum sets to 0
        return torch.where(self._on, kept, zero).clamp_min(0.0).sum()

    def loss(self, W, B):
        """``F`` at ``(W, B)`` as a torch scalar whose gradient is the smooth part's (see the class docstring)."""
        import torch

        from slopefit.solve.objective import stack_params

        theta = stack_params(W, B).to(torch.float64)
        delta = theta - self.theta_star
        smooth = self._grad @ delta + delta @ (self.q @ delta)
        with torch.no_grad():
            rest = self._rest(theta) - self._grad @ delta
        return self.loss_star + smooth + rest

    def whole_loss(self, W, B) -> float:
        """``F`` at ``(W, B)`` as a float."""
        import torch

        with torch.no_grad():
            return float(self.loss(W, B))

    def gap(self, W, B) -> float:
        """``F - F*`` >= 0 at ``(W, B)``: ``d^T Q_s d`` plus the non-negative L1 terms."""
        import torch

        from slopefit.solve.objective import stack_params

        with torch.no_grad():
            theta = stack_params(W, B).to(torch.float64)
            delta = theta - self.theta_star
            return float(delta @ (self.q @ delta) + self._rest(theta))

    def prox(self, W, before, optimizer) -> None:
        """The proximal step of the L1 part after an sgd step: ``W <- sign(W) max(|W| - lr l1, 0)``.

        With momentum the buffer is then set to the step actually taken, ``(before - W) / lr``, so
        that the next step is the proximal heavy ball ``prox(W_k - lr g + beta (W_k - W_k-1))``.

        Parameters
        ----------
        W : Tensor, shape (n_features,)
            The coefficients after the optimizer's step, changed in place.
        before : Tensor, shape (n_features,)
            The coefficients before it.
        optimizer : torch.optim.SGD
            The run's optimizer (its lr and momentum buffer).
        """
        import torch

        lr = float(optimizer.param_groups[0]["lr"])
        with torch.no_grad():
            threshold = (lr * self._l1).to(W.dtype)
            W.copy_(torch.sign(W) * torch.clamp_min(W.abs() - threshold, 0.0))
            W.add_(0.0)  # -0.0 + 0.0 is +0.0: a zero prints as 0
            buffer = optimizer.state.get(W, {}).get("momentum_buffer")
            if buffer is not None:
                buffer.copy_((before - W) / lr)
