"""``fit``: gradient descent on MSE with any torch optimizer, from data to :class:`FitResult`.

One call walks the whole pipeline::

    plan_fit (statistics, exact optimum, scaler, bound: slopefit.train.plan) -> automatic settings
        -> run_planned (engine, optimizer, the loop: slopefit.train.runner) -> FitResult

Full batch (the lesson's way) or minibatches drawn by a seeded generator. The numbers in
the result are in the data's own units and sit next to the exact answer of the objective
the run minimised.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from slopefit.data.datasets import Dataset
from slopefit.data.tables import TableSource
from slopefit.dist.shards import Share
from slopefit.errors import ConfigError
from slopefit.solve.exact import ExactSolution
from slopefit.solve.preparation import gather_stats
from slopefit.solve.stats import SufficientStats
from slopefit.train.autostep import SUGGEST_EPOCHS, SUGGEST_LRS, AutoStep, auto_step, suggest_lr
from slopefit.train.checkpoint import Checkpointer
from slopefit.train.config import AUTO_RTOL, TrainConfig, check_device
from slopefit.train.plan import Plan, plan_fit
from slopefit.train.results import FitResult, Progress
from slopefit.train.runner import RunInfo, run_planned


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
    >>> from slopefit.data.sources import builtin
    >>> res = fit(builtin("height-weight"), TrainConfig(lr=0.01, options={"momentum": 0.9}, epochs=300))
    >>> round(float(res.coef[0]), 4)
    1.8207
    """
    config = config or TrainConfig()
    if formula is not None or not isinstance(data, (Dataset, TableSource, Share)):  # Share: slopefit.dist.shards
        from slopefit.data.sources import load_dataset

        data = load_dataset(data, formula=formula)  # type: ignore[arg-type]
    config = intercept_of(getattr(data, "design", None), config)
    device = check_device(config.device)
    weights_name = _weights_name(data, config)
    clock = time.perf_counter()
    stats = stats or gather_stats(data, on_rows=on_rows)
    seconds_stats, clock = time.perf_counter() - clock, time.perf_counter()
    plan = plan_fit(data, config, stats=stats, reference=reference)
    seconds_exact = time.perf_counter() - clock
    stats_engine = plan.stats_engine(device)  # the objective's quadratic about its exact optimum
    resolved, auto = _resolve(config, data, plan, stats_engine)
    info = RunInfo(auto=auto.reason if auto is not None else None, automatic=config.automatic,
                   seconds_stats=seconds_stats, seconds_exact=seconds_exact, weights_name=weights_name)
    return run_planned(data, plan, resolved, stats_engine, device=device, info=info, callback=callback,
                       init_params=init_params, checkpoint=checkpoint)


def _weights_name(data, config: TrainConfig) -> str | None:
    """The sample-weight column of the rows or of a weighted file (None unweighted); weights train
    full batch on the stats engine (ConfigError otherwise)."""
    weighted = isinstance(data, Dataset) and data.weights is not None
    name = (data.weights_name or "sample_weight") if weighted else getattr(data, "weights_name", None)
    if name is not None and (config.batch_size is not None or config.engine == "data"):
        raise ConfigError(f"sample weights ({name}) are trained full batch on the stats engine; drop "
                          "batch_size= and engine=\"data\"")
    return name


def intercept_of(design, config: TrainConfig) -> TrainConfig:
    """``config`` with the intercept a formula asks for: ``- 1`` (or ``+ 0``) fits none; a formula
    with an intercept and ``fit_intercept=False`` is a ConfigError (the formula says it)."""
    if design is None or design.formula is None:
        return config
    if not design.intercept:
        return replace(config, fit_intercept=False)
    if not config.fit_intercept:
        raise ConfigError(f"the formula {design.formula!r} has an intercept but the line is asked to have none "
                          "(fit_intercept=False); write '- 1' in the formula instead")
    return config


def _resolve(config: TrainConfig, data, plan: Plan, stats_engine) -> tuple[TrainConfig, AutoStep | None]:
    """The config with every automatic setting made concrete: lr (and momentum) from the
    curvature, the epoch budget, the dtype. An adaptive optimizer with no lr gets ConfigError
    with the lr that came closest in a short sweep on this data."""
    auto = None
    lr, options = config.lr, dict(config.options)
    if config.automatic:
        try:
            auto = auto_step(stats_engine.q.cpu().numpy(), config.optimizer, config.options, full_batch=plan.full_batch)
        except ConfigError as exc:
            best, gap = suggest_lr(data, plan.stats, config.optimizer, config.options, scaling=config.scaling,
                                   fit_intercept=config.fit_intercept)
            raise ConfigError(f"{exc}; on this data, of lr in {SUGGEST_LRS[0]:g}..{SUGGEST_LRS[-1]:g} over "
                              f"{SUGGEST_EPOCHS} full-batch epochs lr={best:g} came closest (relative gap {gap:.2g}): "
                              f"try lr={best:g}") from None
        lr, options = auto.lr, auto.options
        if plan.full_batch:
            stop = (f"stops once every coefficient is within {AUTO_RTOL:g} of the optimum (relative to the "
                    "coefficient, or to √rows standard errors where that is larger)")
        else:
            stop = f"runs its {config.budget} epochs (minibatch noise keeps a constant step off the exact optimum)"
        reason = auto.reason if config.penalty is None else auto.reason.replace(
            "of the MSE Hessian", "of the penalised objective's Hessian (its smooth part)")
        auto = replace(auto, reason=f"{reason}; {stop}")
    return replace(config, lr=lr, options=options, epochs=config.budget, dtype=config.resolved_dtype()), auto
