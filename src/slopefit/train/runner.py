"""The loop of one planned run: parameters from their start, the optimizer, the engine, the loop,
and the line back in original units as a :class:`FitResult`.

:func:`slopefit.train.training.fit` plans a run (:mod:`slopefit.train.plan`), makes its automatic
settings concrete and calls :func:`run_planned`; :func:`slopefit.train.sweep.sweep` calls it for the
runs it cannot stack. The config here is concrete: it has its lr, epochs and dtype.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import cast

import numpy as np

from slopefit.errors import ConfigError, DataError, DivergenceError
from slopefit.solve.exact import weighted_mse
from slopefit.solve.objective import mse_float64
from slopefit.solve.penalties import PenaltyEngine
from slopefit.solve.preparation import Rows, solves_on_rows
from slopefit.texts import Bilingual
from slopefit.train.checkpoint import Checkpointer, fingerprint
from slopefit.train.config import TrainConfig
from slopefit.train.convergence import divergence_limit, has_diverged, loss_trend
from slopefit.train.engines import StatsEngine, make_engine
from slopefit.train.loop import LoopRecord, TorchRun, run_loop
from slopefit.train.optimizers import make_optimizer
from slopefit.train.plan import Plan
from slopefit.train.results import FitResult, History, Progress


@dataclass(frozen=True)
class RunInfo:
    """What a run reports beside its line: how its settings were chosen and where its time went."""

    auto: str | None = None  # why the automatic lr (and momentum) were chosen; None when given
    automatic: bool = False  # whether the run stops at the coefficient target of an automatic run
    seconds_stats: float = 0.0  # the statistics pass
    seconds_exact: float = 0.0  # the exact solves
    weights_name: str | None = None  # the sample-weight column, if any


def concrete(config: TrainConfig) -> TrainConfig:
    """``config`` with its budget and dtype made concrete (an lr must be given)."""
    return replace(config, epochs=config.budget, dtype=config.resolved_dtype())


def run_planned(data, plan: Plan, config: TrainConfig, stats_engine, *, device: str = "cpu", info: RunInfo = RunInfo(),
                callback: Callable[[Progress], None] | None = None, init_params: tuple[float, ...] | None = None,
                checkpoint: Checkpointer | None = None) -> FitResult:
    """Train ``config`` (concrete: lr, epochs and dtype set) on ``data`` from its plan.

    Parameters
    ----------
    data : Dataset, TableSource or Share
    plan : Plan
        From :func:`slopefit.train.plan.plan_fit` for this data and config.
    config : TrainConfig
        Concrete (see :func:`concrete`).
    stats_engine : StatsEngine, PenaltyEngine or DecayEngine
        ``plan.stats_engine(device)``: the full-batch losses and the gap to the optimum.
    device : str, default "cpu"; keyword-only
    info : RunInfo; keyword-only
    callback, init_params, checkpoint : see :func:`slopefit.train.training.fit`; keyword-only

    Returns
    -------
    FitResult

    Raises
    ------
    DivergenceError
        The loss became non-finite or exploded.
    ConfigError
        ``init_params`` of the wrong length or not finite.
    """
    import torch

    assert config.lr is not None and config.epochs is not None  # concrete
    stats, scaler, penalty = plan.stats, plan.scaler, plan.penalty
    dtype = getattr(torch, config.dtype)
    engine_name = config.resolved_engine()
    # a PenaltyEngine answers what make_engine asks of a StatsEngine (loss, whole_loss, gap, q)
    engine = make_engine(engine_name, data, scaler, cast(StatsEngine, stats_engine), full_batch=plan.full_batch,
                         dtype=dtype, device=device, shuffle=config.shuffle)
    W, B = _start(config, stats.n_features, init_params, dtype=dtype, device=device)
    optimizer = make_optimizer(config.optimizer, [W] if B is None else [W, B], lr=config.lr, options=config.options)
    prox = stats_engine.prox if isinstance(stats_engine, PenaltyEngine) and penalty and penalty.has_l1 else None
    run = TorchRun(engine, W, B, optimizer, batch_size=None if plan.full_batch else config.batch_size,
                   generator=torch.Generator().manual_seed(int(config.seed)), stats_engine=stats_engine, prox=prox)
    gap_target = plan.gap_target(config, stats_engine, automatic=info.automatic)
    start = time.perf_counter()
    resumed = None
    if checkpoint is not None:
        world = checkpoint.group.world_size if checkpoint.group is not None else 1
        fingerprinted = fingerprint(config, data, stats, world_size=world)
        resumed = checkpoint.begin(run, fingerprinted, minibatch=not plan.full_batch)
    try:
        record = run_loop(run, runs=1, epochs=config.epochs, baseline=plan.baseline, log_every=config.log_every,
                          tol=config.tol, record_params=config.record_params, every_epoch_judged=plan.full_batch,
                          gap_target=gap_target, callback=callback, start=resumed,
                          on_epoch=checkpoint.at_epoch if checkpoint is not None else None)
    finally:
        if checkpoint is not None:
            checkpoint.close()
    seconds = time.perf_counter() - start
    if record.stop_reason == "diverged":
        raise _divergence(record, config, plan.lr_bound)
    stop_reason = record.stop_reason
    if stop_reason == "gap" and config.stop_gap is None:
        stop_reason = "converged"

    w_scaled = W.detach().to(torch.float64).cpu().numpy().copy()
    b_scaled = float(B.detach()[0]) if B is not None else 0.0
    coef, intercept = scaler.to_original(w_scaled, b_scaled)
    if not config.fit_intercept:
        intercept = 0.0
    final_loss = _objective_value(data, plan, coef, intercept, w_scaled, b_scaled)
    _check_final(record, coef, intercept, final_loss, config, plan.lr_bound, plan.baseline)
    history = History(record.epochs, tuple(float(v) for v in record.losses[:, 0]),
                      tuple(tuple(float(v) for v in p[0]) for p in record.params))
    return FitResult(
        coef=coef, intercept=intercept, coef_scaled=w_scaled, intercept_scaled=b_scaled, scaler=scaler,
        history=history, config=config, epochs_run=record.epochs_run, stop_reason=stop_reason,
        final_loss=final_loss, exact=plan.exact, seconds=seconds, lr_bound=plan.lr_bound,
        feature_names=data.feature_names, target_name=data.target_name, baseline_loss=plan.baseline,
        feature_min=stats.x_min, feature_max=stats.x_max, engine=engine_name, n_samples=stats.n, stats=stats,
        auto=info.auto, seconds_stats=info.seconds_stats, seconds_exact=info.seconds_exact,
        rows_dropped=int(getattr(data, "dropped_rows", 0) or 0), rows=Rows(data), design=getattr(data, "design", None),
        weights_name=info.weights_name, objective=plan.objective, ols=plan.ols,
    )


def _start(config: TrainConfig, n_features: int, init_params, *, dtype, device: str):
    """W and B at the run's starting point: ``config.init`` everywhere, or ``init_params``."""
    import torch

    n_params = n_features + config.fit_intercept
    first = [float(config.init)] * n_params if init_params is None else [float(v) for v in init_params]
    if len(first) != n_params or not all(np.isfinite(first)):
        raise ConfigError(f"init_params must give {n_params} finite values (W..., B), got {init_params!r}")
    W = torch.tensor(first[:n_features], dtype=dtype, device=device, requires_grad=True)
    B = (torch.tensor(first[n_features:], dtype=dtype, device=device, requires_grad=True)
         if config.fit_intercept else None)
    return W, B


def _objective_value(data, plan: Plan, coef: np.ndarray, intercept: float, w_scaled: np.ndarray,
                     b_scaled: float) -> float:
    """The objective the run minimised, at its final line, recomputed in float64 from the rows
    where they are in memory (weighted when they carry weights), else from the statistics."""
    weights = getattr(data, "weights", None) if solves_on_rows(data) else None
    if weights is not None:
        loss = weighted_mse(data.X, data.y, weights, coef, intercept)
    elif solves_on_rows(data):
        loss = mse_float64(data.X, data.y, coef, intercept, fit_intercept=plan.fit_intercept)
    else:
        loss = plan.stats.loss(coef, intercept, fit_intercept=plan.fit_intercept, optimum=plan.ols)
    if plan.penalty is not None:
        loss += plan.penalty.value(coef, plan.stats.total)
    if plan.weight_decay:
        theta = np.append(w_scaled, b_scaled) if plan.fit_intercept else w_scaled
        loss += 0.5 * plan.weight_decay * float(theta @ theta)
    return loss


def _check_final(record: LoopRecord, coef: np.ndarray, intercept: float, final_loss: float, config: TrainConfig,
                 lr_bound: float, baseline: float) -> None:
    """Raise DivergenceError when the line a run ends with is not finite or its loss (recomputed from
    the final coefficients in original units) is past the divergence limit of its start: such a line
    is never reported as a result, whatever the loop's own losses said."""
    start = float(record.losses[0, 0]) if record.losses.size else math.nan
    limit = divergence_limit(start, baseline) if math.isfinite(start) else math.inf
    if np.all(np.isfinite(coef)) and math.isfinite(intercept) and not has_diverged(final_loss, limit):
        return
    epoch = record.epochs_run
    bad = replace(record, diverged_at=np.array([max(epoch, 1)]), diverged_loss=np.array([
        final_loss if math.isfinite(final_loss) else math.inf]))
    raise _divergence(bad, config, lr_bound)


def _divergence(record: LoopRecord, config: TrainConfig, lr_bound: float) -> Exception:
    """The error for a run the loop stopped as diverged, with the advisor's reason."""
    from slopefit.train.messages import divergence_advice

    epoch, loss = int(record.diverged_at[0]), float(record.diverged_loss[0])
    lr = float(config.lr) if config.lr is not None else float("nan")  # resolved: always set here
    if epoch == 0:  # before any update: the numbers themselves do not fit the dtype
        return DataError(f"the loss at the starting point is already {'NaN' if np.isnan(loss) else 'infinite'} "
                         f"in {config.dtype}: the data's values are too large to square; use dtype=\"float64\" "
                         "or express the target in larger units")
    lam_max = 2.0 / lr_bound if lr_bound > 0 else 0.0
    def advice(lang: str) -> str:
        return divergence_advice(lam_max, config.optimizer, config.options, lr, scaling=config.scaling,
                                 batch_size=config.batch_size, penalty=config.penalty, lang=lang)

    trend = Bilingual.of(lambda lang: loss_trend(loss, lang))
    return DivergenceError(f"training diverged at epoch {epoch}: the loss {trend} with "
                           f"{config.describe()}; {advice('en')}", epoch=epoch, lr=lr, bound=lr_bound,
                           key="err.diverged", values={"epoch": epoch, "trend": trend, "run": config.describe(),
                                                       "advice": Bilingual.of(advice)})
