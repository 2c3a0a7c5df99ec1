"""Batched sweeps: K settings of one optimizer trained together in one vectorised run.

The parameters of all K runs are stacked along a leading axis, ``theta`` of shape
(K, n_params), and trained full batch on the stats engine's quadratic: one epoch is a
(K, P) x (P, P) product, whatever the number of rows. The update rules are torch's own,
written out for a per-run learning rate and momentum:

SGD (``torch.optim.SGD``)
    ``g <- grad + weight_decay * theta``; ``v <- g`` at the first step, then
    ``v <- momentum * v + (1 - dampening) * g``; ``theta <- theta - lr * v``
    (``theta <- theta - lr * (g + momentum * v)`` with nesterov).
Adam / AdamW (``torch.optim.Adam``, ``AdamW``)
    ``m <- beta1 m + (1 - beta1) g``, ``s <- beta2 s + (1 - beta2) g^2``,
    ``theta <- theta - lr / (1 - beta1^t) * m / (sqrt(s) / sqrt(1 - beta2^t) + eps)``.

Other optimizers, and runs a setting keeps apart, are trained one by one with :func:`fit`.
A run that diverges is frozen and reported; the others go on untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from slopefit.data.datasets import Dataset
from slopefit.data.tables import TableSource
from slopefit.errors import ConfigError, DivergenceError
from slopefit.solve.decay import decay_of
from slopefit.solve.exact import ExactSolution
from slopefit.solve.stats import SufficientStats
from slopefit.train.config import TrainConfig, check_device
from slopefit.train.convergence import relative_gap
from slopefit.train.engines import StatsEngine
from slopefit.train.loop import run_loop
from slopefit.train.plan import Plan, plan_fit
from slopefit.train.runner import concrete, run_planned

VECTORISED = ("sgd", "adam", "adamw")
SHARED = ("optimizer", "epochs", "scaling", "fit_intercept", "dtype", "init", "device", "penalty")  # one per sweep


@dataclass(frozen=True)
class SweepResult:
    """K runs side by side. Arrays have a leading axis of length K, in the order of ``configs``.

    Attributes
    ----------
    configs : tuple of TrainConfig
        The runs' settings.
    losses : ndarray, shape (K, epochs + 1), float64
        ``losses[k, t]``: the loss of run k after t updates (NaN after a divergence).
    final_loss, relative_gap : ndarray, shape (K,)
        Each run's loss at its end and its relative gap to the exact optimum.
    diverged_at : ndarray of int, shape (K,)
        The epoch of divergence, or -1.
    epochs_to_gap : ndarray of int, shape (K,)
        First epoch whose relative gap is <= ``gap``, or -1 when never reached.
    coef : ndarray, shape (K, n_features)
        Each run's coefficients, original units.
    intercept : ndarray, shape (K,)
        Each run's intercept, original units.
    exact : ExactSolution
        The least-squares optimum.
    lr_bound : float
        2 / lambda_max (full-batch SGD without momentum).
    lambda_max : float
        Largest eigenvalue of the MSE Hessian in scaled units.
    gap : float
        The tolerance of ``epochs_to_gap``.
    seconds : float
        Wall time of the training.
    vectorised : bool
        False when the runs were trained one by one.
    """

    configs: tuple[TrainConfig, ...]
    losses: np.ndarray
    final_loss: np.ndarray
    relative_gap: np.ndarray
    diverged_at: np.ndarray
    epochs_to_gap: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    exact: ExactSolution
    lr_bound: float
    lambda_max: float
    gap: float
    seconds: float
    vectorised: bool

    @property
    def diverged(self) -> np.ndarray:
        """Which runs diverged, ndarray of bool, shape (K,)."""
        return self.diverged_at >= 0

    def best(self) -> int | None:
        """Index of the run that reached ``gap`` soonest; if none did, the one that got closest;
        None when every run diverged.

        Returns
        -------
        int or None
            An index into ``configs``.
        """
        runs = np.flatnonzero(~self.diverged)
        if runs.size == 0:
            return None
        reached = runs[self.epochs_to_gap[runs] >= 0]
        if reached.size:
            return int(reached[np.argmin(self.epochs_to_gap[reached])])
        return int(runs[np.nanargmin(self.relative_gap[runs])])


def grid(base: TrainConfig, lrs: Sequence[float], momenta: Sequence[float] | None = None) -> list[TrainConfig]:
    """The lr x momentum grid around ``base``, lr varying fastest. For adam/adamw, "momentum"
    is beta1 (beta2 stays at the base's value, default 0.999).

    Parameters
    ----------
    base : TrainConfig
        The settings every run shares.
    lrs : sequence of float
        The learning rates, each > 0.
    momenta : sequence of float or None, default None
        The momenta (beta1 for adam/adamw), each in [0, 1); None keeps the base's options.

    Returns
    -------
    list of TrainConfig
        ``len(lrs) * len(momenta)`` configs (``len(lrs)`` without momenta).

    Raises
    ------
    ConfigError
        When an lr or momentum is out of range (from :class:`TrainConfig`).

    Examples
    --------
    >>> [c.describe() for c in grid(TrainConfig(), [0.1, 0.01], [0.5, 0.9])]
    ['sgd lr=0.1 momentum=0.5', 'sgd lr=0.01 momentum=0.5', 'sgd lr=0.1 momentum=0.9', 'sgd lr=0.01 momentum=0.9']
    """
    configs = []
    for m in momenta if momenta is not None else [None]:
        for lr in lrs:
            options = dict(base.options)
            if m is not None:
                if base.optimizer in ("adam", "adamw"):
                    options["betas"] = (float(m), tuple(options.get("betas", (0.9, 0.999)))[1])
                else:
                    options["momentum"] = float(m)
            configs.append(replace(base, lr=float(lr), options=options))
    return configs


def sweep(
    data: Dataset | TableSource,
    configs: Sequence[TrainConfig],
    *,
    gap: float = 1e-6,
    stats: SufficientStats | None = None,
    reference: ExactSolution | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> SweepResult:
    """Train every config full batch from the same start, vectorised where the optimizer allows.

    Parameters
    ----------
    data : Dataset or TableSource
        The data every run trains on.
    configs : sequence of TrainConfig
        Full batch (no ``batch_size``), each with an lr; they must share optimizer, epochs,
        scaling, fit_intercept, dtype, init and device, and differ in lr and options.
    gap : float, default 1e-6
        Relative gap to the exact optimum counted as converged (``epochs_to_gap``), > 0; keyword-only.
    stats : SufficientStats or None, default None
        The data's statistics, if already gathered; keyword-only.
    reference : ExactSolution or None, default None
        The data's exact optimum, if already known; keyword-only.
    on_rows : callable or None, default None
        Called with the rows read so far during the statistics pass; keyword-only.

    Returns
    -------
    SweepResult
        Divergent runs are recorded in it (``diverged_at``), not raised.

    Raises
    ------
    ConfigError
        No configs, configs that differ in a shared setting, a ``batch_size``, a config without
        lr, or a device that is not available.
    DataError
        The data give no unique line (see :func:`slopefit.solve.preparation.reference_solution`).

    Examples
    --------
    With momentum 0.9 the centered heights (λmax = 23.2) are stable for lr < 2(1 + 0.9)/23.2 = 0.164:

    >>> from slopefit.data.sources import builtin
    >>> res = sweep(builtin("height-weight"), grid(TrainConfig(epochs=300, scaling="center"), [0.01, 0.2], [0.9]))
    >>> res.diverged.tolist()
    [False, True]
    """
    configs = tuple(configs)
    base = _check_sweep(configs)
    check_device(base.device)
    # the runs differ in their options: the reference is least squares (or the shared penalty's optimum)
    plan = plan_fit(data, replace(base, options={}), stats=stats, reference=reference, on_rows=on_rows)
    stats, optimum, exact, scaler, penalty = plan.stats, plan.ols, plan.exact, plan.scaler, plan.penalty
    lam_max, baseline = plan.lam_max, plan.baseline

    start = time.perf_counter()
    if penalty is None and base.optimizer in VECTORISED and not any(c.options.get("amsgrad") for c in configs):
        stats_engine = StatsEngine(stats, scaler, fit_intercept=base.fit_intercept, device=base.device,
                                   optimum=optimum)
        stacked = StackedRun(stats_engine, configs)
        record = run_loop(stacked, runs=len(configs), epochs=base.budget, baseline=baseline)
        losses = np.full((len(configs), base.budget + 1), np.nan)  # (K, epochs + 1); NaN once diverged
        losses[:, :len(record.epochs)] = record.losses.T
        theta = stacked.theta.detach().double().cpu().numpy()
        vectorised = True
    else:
        losses, theta, failed = _train_one_by_one(data, configs, plan)  # fit() takes a penalty's prox steps
        vectorised = False
    seconds = time.perf_counter() - start

    diverged_at = np.array([int(np.argmax(~np.isfinite(row))) if not np.isfinite(row).all() else -1
                            for row in losses]) if vectorised else failed
    d = stats.n_features
    coef = np.full((len(configs), d), np.nan)
    intercept = np.full(len(configs), np.nan)
    final = np.full(len(configs), np.nan)
    for k, row in enumerate(theta):
        if diverged_at[k] >= 0:
            continue
        coef[k], b = scaler.to_original(row[:d], row[d] if base.fit_intercept else 0.0)
        intercept[k] = b if base.fit_intercept else 0.0
        final[k] = stats.loss(coef[k], intercept[k], fit_intercept=base.fit_intercept, optimum=optimum)
        if penalty is not None:
            final[k] += penalty.value(coef[k], stats.total)
        final[k] += 0.5 * decay_of(configs[k].optimizer, configs[k].options) * float(row @ row)  # fit's objective
    relative = relative_gap(final, exact.loss, baseline)
    reached = relative_gap(losses, exact.loss, baseline) <= gap
    epochs_to_gap = np.where(reached.any(axis=1), np.argmax(reached, axis=1), -1)
    return SweepResult(configs=configs, losses=losses, final_loss=final, relative_gap=relative,
                       diverged_at=diverged_at, epochs_to_gap=epochs_to_gap, coef=coef, intercept=intercept,
                       exact=exact, lr_bound=2.0 / lam_max if lam_max > 0 else np.inf, lambda_max=lam_max,
                       gap=gap, seconds=seconds, vectorised=vectorised)


def _check_sweep(configs: tuple[TrainConfig, ...]) -> TrainConfig:
    """The shared settings of a sweep's runs (the first config), or ConfigError."""
    if not configs:
        raise ConfigError("a sweep needs at least one configuration")
    for name in SHARED:
        values = {str(getattr(c, name)) for c in configs}
        if len(values) > 1:
            raise ConfigError(f"every run of a sweep shares {name}, but got {', '.join(sorted(values))}; "
                              "sweep them separately")
    if any(c.batch_size is not None for c in configs):
        raise ConfigError("a sweep trains full batch on the sufficient statistics; leave out batch_size= "
                          "(compare minibatch runs with 'slopefit compare')")
    if any(c.lr is None for c in configs):
        raise ConfigError("every run of a sweep needs its lr (a sweep compares learning rates); build them with grid()")
    return configs[0]


class StackedRun:
    """K runs of sgd, adam or adamw as one (K, n_params) tensor: a stepper for :func:`slopefit.train.loop.run_loop`.

    Each epoch evaluates the K quadratics ``L* + (theta_k - theta*)^T Q (theta_k - theta*)`` in
    float64, takes their gradients with autograd, and applies torch's update rule (module
    docstring) with each run's own lr and options, held as (K, 1) columns.

    Parameters
    ----------
    stats_engine : StatsEngine
        The data's quadratic (:class:`slopefit.train.engines.StatsEngine`; its matrix Q is ``stats_engine.q``).
    configs : sequence of TrainConfig
        The runs, sharing optimizer, dtype and device (those of ``configs[0]`` are used).
    """

    def __init__(self, stats_engine: StatsEngine, configs: Sequence[TrainConfig]) -> None:
        import torch

        base = configs[0]
        self.engine = stats_engine
        self.optimizer = base.optimizer
        self.dtype, self.device = getattr(torch, base.resolved_dtype()), base.device
        k, p = len(configs), stats_engine.theta_star.shape[0]

        def column(key: str, default) -> torch.Tensor:
            """One option of every run, as a (K, 1) tensor."""
            return torch.tensor([[float(c.options.get(key, default))] for c in configs], dtype=self.dtype,
                                device=self.device)

        lrs = [c.lr for c in configs if c.lr is not None]  # every run has one (checked by sweep)
        self.lr = torch.tensor([[float(lr)] for lr in lrs], dtype=self.dtype, device=self.device)
        self.decay = column("weight_decay", 1e-2 if self.optimizer == "adamw" else 0.0)  # torch's defaults
        if self.optimizer in ("adam", "adamw"):
            betas = [tuple(c.options.get("betas", (0.9, 0.999))) for c in configs]
            self.beta1 = torch.tensor([[float(b[0])] for b in betas], dtype=self.dtype, device=self.device)
            self.beta2 = torch.tensor([[float(b[1])] for b in betas], dtype=self.dtype, device=self.device)
            self.eps = column("eps", 1e-8)
            self.m = torch.zeros(k, p, dtype=self.dtype, device=self.device)
            self.s = torch.zeros(k, p, dtype=self.dtype, device=self.device)
        else:
            self.momentum = column("momentum", 0.0)
            self.dampening = column("dampening", 0.0)
            self.nesterov = column("nesterov", False) != 0
            self.has_momentum = self.momentum != 0
            self.buf = torch.zeros(k, p, dtype=self.dtype, device=self.device)
        self.theta = torch.full((k, p), float(base.init), dtype=self.dtype, device=self.device, requires_grad=True)
        self.active = torch.ones(k, 1, dtype=torch.bool, device=self.device)
        self._kept = self.theta.detach().clone()

    def advance(self, epoch: int, *, step: bool, keep: bool) -> tuple[np.ndarray, None]:
        """The K losses at the current parameters, then one update of each
        (see :meth:`slopefit.train.loop.Stepper.advance`).

        Returns ``(loss (K,), None)``: full batch, there is no minibatch loss of its own.
        """
        import torch

        if keep:
            self._kept = self.theta.detach().clone()
        delta = self.theta.to(torch.float64) - self.engine.theta_star  # (K, n_params)
        loss = self.engine.loss_star + ((delta @ self.engine.q) * delta).sum(dim=1)  # (K,)
        values = loss.detach().cpu().numpy().copy()
        if self.optimizer != "adamw":  # a coupled weight decay: the run minimises MSE + wd/2 |theta|^2 (as fit records)
            with torch.no_grad():
                theta = self.theta.to(torch.float64)
                values += (0.5 * self.decay[:, 0].to(torch.float64) * (theta * theta).sum(dim=1)).cpu().numpy()
        if step and bool(self.active.any()):
            grad, = torch.autograd.grad(loss[self.active[:, 0]].sum(), self.theta)
            with torch.no_grad():
                self._update(grad, epoch)
        return values, None

    def _update(self, grad, epoch: int) -> None:
        import torch

        lr, active, theta = self.lr, self.active, self.theta
        if self.optimizer in ("adam", "adamw"):
            if self.optimizer == "adamw":  # decoupled decay shrinks theta itself
                theta.mul_(torch.where(active, 1 - lr * self.decay, 1.0))
            else:
                grad = grad + self.decay * theta
            t = epoch + 1
            self.m.lerp_(grad, 1 - self.beta1)
            self.s.mul_(self.beta2).add_((1 - self.beta2) * grad * grad)
            denom = self.s.sqrt() / (1 - self.beta2**t).sqrt() + self.eps
            update = lr / (1 - self.beta1**t) * self.m / denom
        else:
            grad = grad + self.decay * theta
            if epoch == 0:
                self.buf = grad.clone()
            else:
                self.buf = torch.where(self.has_momentum, self.momentum * self.buf + (1 - self.dampening) * grad, grad)
            update = lr * torch.where(self.nesterov, grad + self.momentum * self.buf, self.buf)
        theta.sub_(torch.where(active, update, 0.0))

    def judged(self) -> np.ndarray:
        """The parameters the last loss was taken at, shape (K, n_params)
        (see :meth:`slopefit.train.loop.Stepper.judged`)."""
        return self._kept.to(dtype=self.engine.q.dtype).cpu().numpy()

    def judged_gap(self) -> float:
        """Not available: a sweep runs all its epochs (no ``tol`` or gap stop).

        Raises
        ------
        NotImplementedError
            Always.
        """
        raise NotImplementedError("a sweep stops on its epochs only")

    def restore(self) -> None:
        """Put the parameters kept by the last ``advance`` back."""
        import torch

        with torch.no_grad():
            self.theta.copy_(self._kept)

    def freeze(self, mask: np.ndarray) -> None:
        """Runs in ``mask`` diverged: they stop moving and hold zeros, finite and harmless."""
        import torch

        frozen = torch.as_tensor(mask, device=self.device)[:, None]
        self.active &= ~frozen
        with torch.no_grad():
            self.theta.copy_(torch.where(self.active, self.theta, 0.0))


def _train_one_by_one(data, configs, plan: Plan):
    """Each config through :func:`slopefit.train.runner.run_planned`: the losses (K, epochs + 1), the final
    scaled parameters (K, n_params) and the epoch each run diverged at (-1: it did not)."""
    stats = plan.stats
    losses = np.full((len(configs), configs[0].budget + 1), np.nan)
    theta = np.zeros((len(configs), stats.n_features + (1 if configs[0].fit_intercept else 0)))
    failed = np.full(len(configs), -1)
    for k, config in enumerate(configs):
        try:
            own = concrete(replace(config, log_every=1, tol=None))
            run_plan = plan_fit(data, own, stats=stats, reference=plan.ols)
            result = run_planned(data, run_plan, own, run_plan.stats_engine(own.device))
        except DivergenceError as exc:
            losses[k, exc.epoch:] = np.inf
            failed[k] = exc.epoch
            continue
        losses[k, :len(result.history.losses)] = result.history.losses
        theta[k] = np.append(result.coef_scaled, result.intercept_scaled)[:theta.shape[1]]
    return losses, theta, failed


def value_range(low: float, high: float, count: int, *, log: bool = True) -> list[float]:
    """``count`` values from ``low`` to ``high``: log-spaced (learning rates) or evenly spaced (momenta).

    Parameters
    ----------
    low, high : float
        The ends, both included (> 0 when ``log``).
    count : int
        How many values, >= 1 (1 gives ``[low]``).
    log : bool, default True
        Log-spaced (``numpy.geomspace``) or evenly spaced (``numpy.linspace``); keyword-only.

    Returns
    -------
    list of float

    Examples
    --------
    >>> value_range(1e-3, 1e-1, 3)
    [0.001, 0.01, 0.1]
    """
    values = np.geomspace(low, high, count) if log else np.linspace(low, high, count)
    return [float(v) for v in values]
