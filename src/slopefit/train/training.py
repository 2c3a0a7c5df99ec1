"""``fit``: gradient descent on MSE with any torch optimizer, from data to :class:`FitResult`.

One call walks the whole pipeline::

    gather_stats (one pass) -> Scaler -> engine (stats or rows) -> optimizer
        -> run_loop (slopefit.train.loop) -> parameters back in original units -> FitResult

Full batch (the lesson's way) or minibatches drawn by a seeded generator. The numbers in
the result are in the data's own units and sit next to the exact least-squares answer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import cast

import numpy as np

from slopefit.data.datasets import Dataset
from slopefit.data.tables import TableSource
from slopefit.dist.shards import Share
from slopefit.errors import ConfigError, DataError, DivergenceError
from slopefit.solve.exact import ExactSolution, weighted_mse
from slopefit.solve.objective import mse_float64
from slopefit.solve.penalized_exact import solve_penalized
from slopefit.solve.penalties import PenaltyEngine
from slopefit.solve.penalties import lr_bound as penalized_lr_bound
from slopefit.solve.preparation import Rows, gather_stats, reference_solution, solves_on_rows
from slopefit.solve.stats import SufficientStats
from slopefit.train.autostep import SUGGEST_EPOCHS, SUGGEST_LRS, AutoStep, auto_step, suggest_lr
from slopefit.train.checkpoint import Checkpointer, fingerprint
from slopefit.train.config import AUTO_RTOL, TrainConfig, check_device
from slopefit.train.convergence import coefficient_gap, divergence_limit, gap_scale, has_diverged, loss_trend
from slopefit.train.engines import StatsEngine, make_engine
from slopefit.train.loop import LoopRecord, TorchRun, run_loop
from slopefit.train.optimizers import make_optimizer
from slopefit.train.results import FitResult, History, Progress


def fit(
    data: Dataset | TableSource,
    config: TrainConfig | None = None,
    *,
    callback: Callable[[Progress], None] | None = None,
    reference: ExactSolution | None = None,
    on_rows: Callable[[int], None] | None = None,
    stats: SufficientStats | None = None,
    formula: str | None = None,
    init_params: tuple[float, ...] | None = None,
    checkpoint: Checkpointer | None = None,
) -> FitResult:
    """Fit ``Yp = X @ W + B`` to ``data`` by gradient descent on MSE.

    Each epoch of full-batch training computes the loss at the current parameters, records it,
    and takes one optimizer step with its gradient (as the lesson's loop does), so
    ``history.loss_at(k)`` is the loss after ``k`` updates. Minibatch training takes one step
    per batch of a fresh seeded shuffle and records the whole-data loss after each epoch.

    One pass over the data first gathers its sufficient statistics (:mod:`slopefit.solve.stats`):
    they give the scaling, the stable learning-rate bound, the exact optimum of large tables
    and, with ``engine="stats"``, every full-batch loss and gradient at O(D^2) per epoch.

    Parameters
    ----------
    data : Dataset or TableSource
        The rows in memory, or a file read in chunks (see :func:`slopefit.data.tables.open_table`);
        at least 2 rows and as many rows as parameters.
    config : TrainConfig or None, default None
        The settings of the run; None means ``TrainConfig()`` (an automatic sgd run).
    callback : callable, optional
        Called with a :class:`Progress` at every recorded epoch (the CLI draws its progress bar).
    reference : ExactSolution, optional
        The exact optimum of ``data`` if already known (see :func:`slopefit.solve.preparation.reference_solution`);
        several runs on the same data solve it once.
    on_rows : callable, optional
        Called with the number of rows read so far during the statistics pass.
    stats : SufficientStats, optional
        The statistics of ``data`` if already gathered (:func:`gather_stats`): no pass is made.
    formula : str, optional
        ``"invest ~ value + capital + C(firm)"``: the target and the terms of ``data`` given as a
        table (a built-in name, a path, a pandas DataFrame; see :func:`slopefit.data.datasets.load_dataset`);
        ``- 1`` fits no intercept.
    init_params : tuple of float, optional
        ``(W..., B)`` in the scaled units of ``config.scaling`` to start from (B left out without
        an intercept), instead of ``config.init`` everywhere (the playground's click on the contours).
    checkpoint : Checkpointer, optional
        Saves the run between steps and resumes it bit for bit (:mod:`slopefit.train.checkpoint`).

    Returns
    -------
    FitResult
        The fitted line in original units, its history and the exact optimum beside it; its
        ``config`` is the one that ran (an automatic run's lr, options, epochs and dtype filled in).

    Raises
    ------
    DivergenceError
        The loss became non-finite or exploded; the message gives the epoch, lr and stable bound.
    DataError
        The loss at the starting point is already not finite (values too large for the dtype);
        or the data cannot give a unique line (too few rows, a constant or collinear feature,
        NaN or infinite values: see :func:`slopefit.solve.preparation.gather_stats` and
        :func:`slopefit.solve.preparation.reference_solution`).
    ConfigError
        The device is not available here, or an adaptive optimizer was given no ``lr`` (the
        message suggests one measured on the data).

    Examples
    --------
    >>> from slopefit.data.datasets import builtin
    >>> res = fit(builtin("height-weight"), TrainConfig(lr=0.01, options={"momentum": 0.9}, epochs=300))
    >>> round(float(res.coef[0]), 4)
    1.8207
    """
    import torch

    config = config or TrainConfig()
    if formula is not None or not isinstance(data, (Dataset, TableSource, Share)):  # Share: slopefit.dist.shards
        from slopefit.data.sources import load_dataset

        data = load_dataset(data, formula=formula)  # type: ignore[arg-type]
    config = intercept_of(getattr(data, "design", None), config)
    device = check_device(config.device)
    clock = time.perf_counter()
    weighted = data if isinstance(data, Dataset) and data.weights is not None else None  # the rows with weights
    weights_name = (None if weighted is None else (weighted.weights_name or "sample_weight")) \
        or getattr(data, "weights_name", None)  # or a weighted file read in chunks
    if weights_name is not None and (config.batch_size is not None or config.engine == "data"):
        raise ConfigError(f"sample weights ({weights_name}) are trained full batch on the stats engine; drop "
                          "--batch-size and --engine data")
    stats = stats or gather_stats(data, on_rows=on_rows)
    seconds_stats, clock = time.perf_counter() - clock, time.perf_counter()
    scaler = stats.scaler(config.scaling, fit_intercept=config.fit_intercept)
    ols = reference or reference_solution(data, fit_intercept=config.fit_intercept, stats=stats)
    penalty = config.penalty
    exact = ols if penalty is None else solve_penalized(stats, penalty, fit_intercept=config.fit_intercept, ols=ols)
    seconds_exact = time.perf_counter() - clock
    lr_bound = penalized_lr_bound(stats, scaler, penalty, fit_intercept=config.fit_intercept)
    baseline = stats.baseline_loss(fit_intercept=config.fit_intercept)
    # the quadratic about the exact optimum: gradient descent on the stats engine converges to it
    stats_engine: StatsEngine | PenaltyEngine
    if penalty is None:
        stats_engine = StatsEngine(stats, scaler, fit_intercept=config.fit_intercept, device=device, optimum=exact)
    else:
        stats_engine = PenaltyEngine(stats, scaler, penalty, fit_intercept=config.fit_intercept, device=device,
                                     ols=ols, optimum=exact)
    full_batch = config.batch_size is None or config.batch_size >= stats.n
    asked = config
    config, auto = _resolve(config, data, stats, stats_engine, full_batch=full_batch)
    assert config.lr is not None  # resolved
    dtype = getattr(torch, config.dtype)
    engine_name = config.resolved_engine()
    # a PenaltyEngine answers what make_engine asks of a StatsEngine (loss, whole_loss, gap, q)
    engine = make_engine(engine_name, data, scaler, cast(StatsEngine, stats_engine), full_batch=full_batch,
                         dtype=dtype, device=device)

    n_params = stats.n_features + config.fit_intercept
    first = [float(config.init)] * n_params if init_params is None else [float(v) for v in init_params]
    if len(first) != n_params or not all(np.isfinite(first)):
        raise ConfigError(f"init_params must give {n_params} finite values (W..., B), got {init_params!r}")
    W = torch.tensor(first[:stats.n_features], dtype=dtype, device=device, requires_grad=True)
    B = (torch.tensor(first[stats.n_features:], dtype=dtype, device=device, requires_grad=True)
         if config.fit_intercept else None)
    optimizer = make_optimizer(config.optimizer, [W] if B is None else [W, B], lr=config.lr, options=config.options)
    prox = stats_engine.prox if isinstance(stats_engine, PenaltyEngine) and penalty and penalty.has_l1 else None
    run = TorchRun(engine, W, B, optimizer, batch_size=None if full_batch else config.batch_size,
                   generator=torch.Generator().manual_seed(int(config.seed)), stats_engine=stats_engine, prox=prox)
    gap_target = _gap_target(config, asked.automatic and full_batch, exact, baseline, stats_engine, scaler)
    start = time.perf_counter()
    resumed = None
    if checkpoint is not None:
        world = checkpoint.group.world_size if checkpoint.group is not None else 1
        resumed = checkpoint.begin(run, fingerprint(config, data, stats, world_size=world), minibatch=not full_batch)
    try:
        record = run_loop(run, runs=1, epochs=config.budget, baseline=baseline, log_every=config.log_every,
                          tol=config.tol, record_params=config.record_params, every_epoch_judged=full_batch,
                          gap_target=gap_target, callback=callback, start=resumed,
                          on_epoch=checkpoint.at_epoch if checkpoint is not None else None)
    finally:
        if checkpoint is not None:
            checkpoint.close()
    seconds = time.perf_counter() - start
    if record.stop_reason == "diverged":
        raise _divergence(record, config, lr_bound)
    stop_reason = record.stop_reason
    if stop_reason == "gap" and config.stop_gap is None:
        stop_reason = "converged"

    w_scaled = W.detach().to(torch.float64).cpu().numpy().copy()
    b_scaled = float(B.detach()[0]) if B is not None else 0.0
    coef, intercept = scaler.to_original(w_scaled, b_scaled)
    if not config.fit_intercept:
        intercept = 0.0
    if weighted is not None and weighted.weights is not None:
        final_loss = weighted_mse(weighted.X, weighted.y, weighted.weights, coef, intercept)
    elif solves_on_rows(data):
        final_loss = mse_float64(data.X, data.y, coef, intercept, fit_intercept=config.fit_intercept)
    else:
        final_loss = stats.loss(coef, intercept, fit_intercept=config.fit_intercept, optimum=ols)
    if penalty is not None:  # the objective gradient descent minimised
        final_loss += penalty.value(coef, stats.total)
    _check_final(record, coef, intercept, final_loss, config, lr_bound, baseline)
    history = History(record.epochs, tuple(float(v) for v in record.losses[:, 0]),
                      tuple(tuple(float(v) for v in p[0]) for p in record.params))
    return FitResult(
        coef=coef, intercept=intercept, coef_scaled=w_scaled, intercept_scaled=b_scaled, scaler=scaler,
        history=history, config=config, epochs_run=record.epochs_run, stop_reason=stop_reason,
        final_loss=final_loss, exact=exact, seconds=seconds, lr_bound=lr_bound,
        feature_names=data.feature_names, target_name=data.target_name, baseline_loss=baseline,
        feature_min=stats.x_min, feature_max=stats.x_max, engine=engine_name, n_samples=stats.n, stats=stats,
        auto=auto.reason if auto is not None else None, seconds_stats=seconds_stats, seconds_exact=seconds_exact,
        rows_dropped=int(getattr(data, "dropped_rows", 0) or 0), rows=Rows(data), design=getattr(data, "design", None),
        weights_name=weights_name,
    )


def intercept_of(design, config: TrainConfig) -> TrainConfig:
    """``config`` with the intercept a formula asks for: ``- 1`` (or ``+ 0``) fits none; a formula
    with an intercept and ``fit_intercept=False`` is a ConfigError (the formula says it)."""
    if design is None or design.formula is None:
        return config
    if not design.intercept:
        return replace(config, fit_intercept=False)
    if not config.fit_intercept:
        raise ConfigError(f"the formula {design.formula!r} has an intercept but the line is asked to have none "
                          "(--no-intercept / fit_intercept=False); write '- 1' in the formula instead")
    return config


def _gap_target(config: TrainConfig, automatic: bool, exact: ExactSolution, baseline: float,
                stats_engine: StatsEngine | PenaltyEngine, scaler) -> float | None:
    """The gap ``loss - loss*`` at which the run stops: ``stop_gap`` of the gap scale; for an
    automatic run, the gap that puts every coefficient within AUTO_RTOL of the optimum; else None."""
    scale = gap_scale(exact.loss, baseline)
    if config.stop_gap is not None:
        return config.stop_gap * scale
    if not automatic:
        return None
    optimum = np.append(exact.coef, exact.intercept) if config.fit_intercept else exact.coef
    return coefficient_gap(stats_engine.q.cpu().numpy(), optimum, scaler.jacobian(fit_intercept=config.fit_intercept),
                           loss_scale=scale, rtol=AUTO_RTOL)


def _resolve(config: TrainConfig, data, stats: SufficientStats, stats_engine: StatsEngine | PenaltyEngine, *,
             full_batch: bool) -> tuple[TrainConfig, AutoStep | None]:
    """The config with every automatic setting made concrete: lr (and momentum) from the
    curvature, the epoch budget, the dtype. An adaptive optimizer with no lr gets ConfigError
    with the lr that came closest in a short sweep on this data."""
    auto = None
    lr, options = config.lr, dict(config.options)
    if config.automatic:
        try:
            auto = auto_step(stats_engine.q.cpu().numpy(), config.optimizer, config.options, full_batch=full_batch)
        except ConfigError as exc:
            best, gap = suggest_lr(data, stats, config.optimizer, config.options, scaling=config.scaling,
                                   fit_intercept=config.fit_intercept)
            raise ConfigError(f"{exc}; on this data, of lr in {SUGGEST_LRS[0]:g}..{SUGGEST_LRS[-1]:g} over "
                              f"{SUGGEST_EPOCHS} full-batch epochs lr={best:g} came closest (relative gap {gap:.2g}): "
                              f"try --lr {best:g}") from None
        lr, options = auto.lr, auto.options
        if full_batch:
            stop = (f"stops once every coefficient is within {AUTO_RTOL:g} of the optimum (relative to the "
                    "coefficient, or to √rows standard errors where that is larger)")
        else:
            stop = f"runs its {config.budget} epochs (minibatch noise keeps a constant step off the exact optimum)"
        reason = auto.reason if config.penalty is None else auto.reason.replace(
            "of the MSE Hessian", "of the penalised objective's Hessian (its smooth part)")
        auto = replace(auto, reason=f"{reason}; {stop}")
    return replace(config, lr=lr, options=options, epochs=config.budget, dtype=config.resolved_dtype()), auto


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
                         f"in {config.dtype}: the data's values are too large to square; use --dtype float64 "
                         "or express the target in larger units")
    lam_max = 2.0 / lr_bound if lr_bound > 0 else 0.0
    advice = divergence_advice(lam_max, config.optimizer, config.options, lr, scaling=config.scaling,
                               batch_size=config.batch_size, penalty=config.penalty)
    return DivergenceError(f"training diverged at epoch {epoch}: the loss {loss_trend(loss)} with "
                           f"{config.describe()}; {advice}", epoch=epoch, lr=lr, bound=lr_bound)
