"""The plan of a fit: everything a run needs before its loop, built once from (data, config).

Every caller that trains, sweeps, compares, advises or draws (``fit``, ``sweep``, the estimator,
the CLI, the playground) asks :func:`plan_fit` for the same values::

    data ──► statistics (one float64 pass) ──► least-squares optimum (the reference)
                                           ──► the optimum of the objective the run minimises
                                               (least squares, a penalty, or torch's weight decay)
         ──► scaler ──► stable lr bound, baseline loss ──► the stats engine and the stopping target

so that a rule about any of them is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from slopefit.solve.decay import DecayEngine, decay_of, decayed_curvature, decayed_optimum
from slopefit.solve.exact import ExactSolution
from slopefit.solve.penalized_exact import solve_penalized
from slopefit.solve.penalties import Penalty, PenaltyEngine, condition
from slopefit.solve.penalties import lr_bound as penalized_lr_bound
from slopefit.solve.preparation import gather_stats, minimum_norm_reference, reference_solution
from slopefit.solve.scaling import Scaler
from slopefit.solve.stats import SufficientStats
from slopefit.train.config import AUTO_RTOL, TrainConfig
from slopefit.train.convergence import coefficient_gap, gap_scale
from slopefit.train.engines import StatsEngine


@dataclass(frozen=True)
class Plan:
    """What a run of one configuration needs before its first epoch.

    Attributes
    ----------
    stats : SufficientStats
        The data's float64 statistics (one pass over the rows).
    scaler : Scaler
        The map between original units and the scaled units the optimizer sees.
    ols : ExactSolution
        The least-squares optimum: the reference of every summary and of the OLS table. Where it is
        not unique (fewer rows than parameters, collinear columns), the minimum-norm one in the
        scaled parameters ``scaler`` gives the optimizer: the point gradient descent from zero
        reaches (:mod:`slopefit.solve.minimum_norm`).
    exact : ExactSolution
        The optimum of the objective the run minimises: ``ols``, the penalised optimum of
        ``config.penalty``, or the optimum torch's ``weight_decay`` moves the run to.
    objective : str
        What ``exact`` is the optimum of, in words ("least squares", "ridge alpha=0.1", ...).
    lr_bound : float
        The largest stable lr of full-batch sgd without momentum, ``2/λmax``: on the penalised
        objective with a penalty, on the MSE otherwise (weight decay is added to λmax by the
        advisor, :func:`slopefit.solve.advise.stable_bound`).
    baseline : float
        The loss of the best constant (the scale of relative gaps).
    full_batch : bool
        Whether every step sees every row.
    fit_intercept : bool
    penalty : Penalty or None
    weight_decay : float
        torch's coupled L2 ``weight_decay`` of the run's optimizer (0 when none).
    """

    stats: SufficientStats
    scaler: Scaler
    ols: ExactSolution
    exact: ExactSolution
    objective: str
    lr_bound: float
    baseline: float
    full_batch: bool
    fit_intercept: bool
    penalty: Penalty | None
    weight_decay: float

    @property
    def lam_max(self) -> float:
        """The largest eigenvalue of the objective's Hessian (scaled units), ``2/lr_bound``."""
        return 2.0 / self.lr_bound if self.lr_bound > 0 else 0.0

    @property
    def condition(self) -> float:
        """``λmax/λmin`` of the Hessian (its smooth part with a penalty), scaled units; inf when singular."""
        return condition(self.stats, self.scaler, self.penalty, fit_intercept=self.fit_intercept)

    def stats_engine(self, device: str = "cpu") -> StatsEngine | PenaltyEngine | DecayEngine:
        """The objective as a quadratic (plus L1 terms) about ``exact``: every full-batch loss and
        gradient at O(D^2) per epoch, and the gap ``F - F*`` the stopping rule reads."""
        if self.penalty is not None:
            return PenaltyEngine(self.stats, self.scaler, self.penalty, fit_intercept=self.fit_intercept,
                                 device=device, ols=self.ols, optimum=self.exact)
        if self.weight_decay:
            return DecayEngine(self.stats, self.scaler, self.weight_decay, fit_intercept=self.fit_intercept,
                               device=device, ols=self.ols, optimum=self.exact)
        return StatsEngine(self.stats, self.scaler, fit_intercept=self.fit_intercept, device=device,
                           optimum=self.exact)

    def gap_target(self, config: TrainConfig, engine: Any, *, automatic: bool) -> float | None:
        """The gap ``F - F*`` at which the run stops: ``stop_gap`` of the gap scale; for an
        automatic full-batch run, the gap that puts every coefficient within AUTO_RTOL of the
        optimum (read from the objective's curvature ``engine.q``); else None (the run uses its
        budget or its ``tol``)."""
        scale = gap_scale(self.exact.loss, self.baseline)
        if config.stop_gap is not None:
            return config.stop_gap * scale
        if not (automatic and self.full_batch):
            return None
        optimum = np.append(self.exact.coef, self.exact.intercept) if self.fit_intercept else self.exact.coef
        q = engine.q.cpu().numpy()  # (n_params, n_params): half the Hessian the optimizer steps on
        if self.weight_decay:  # the run minimises MSE + wd/2 |theta|^2: its curvature is Q + wd/2 I
            q = decayed_curvature(q, self.weight_decay)
        return coefficient_gap(q, optimum, self.scaler.jacobian(fit_intercept=self.fit_intercept),
                               loss_scale=scale, rtol=AUTO_RTOL)


def plan_fit(data: Any, config: TrainConfig, *, stats: SufficientStats | None = None,
             reference: ExactSolution | None = None, on_rows: Any = None) -> Plan:
    """Build the :class:`Plan` of a run of ``config`` on ``data``.

    Parameters
    ----------
    data : Dataset, TableSource or Share
        The rows (in memory, a file read in chunks, or this process's share under torchrun).
    config : TrainConfig
        The run's settings (its scaling, intercept, penalty, optimizer options and batch size are read).
    stats : SufficientStats, optional
        The data's statistics if already gathered (several runs on one table make one pass); keyword-only.
    reference : ExactSolution, optional
        The data's least-squares optimum if already known; keyword-only.
    on_rows : callable, optional
        Called with the rows read so far during the statistics pass; keyword-only.

    Returns
    -------
    Plan

    Raises
    ------
    DataError
        The data cannot be fitted (see :func:`slopefit.solve.preparation.gather_stats`).

    Examples
    --------
    >>> from slopefit.data.sources import builtin
    >>> plan = plan_fit(builtin("height-weight"), TrainConfig(options={"weight_decay": 0.1}))
    >>> plan.objective, round(float(plan.ols.coef[0]), 4) != round(float(plan.exact.coef[0]), 4)
    ('least squares with weight_decay=0.1 on the scaled parameters', True)
    """
    fit_intercept = config.fit_intercept
    stats = stats or gather_stats(data, on_rows=on_rows)
    scaler = stats.scaler(config.scaling, fit_intercept=fit_intercept)
    ols = reference or reference_solution(data, fit_intercept=fit_intercept, stats=stats)
    # many answers (ols.nonunique): the one gradient descent from zero reaches, minimum norm in these units
    ols = minimum_norm_reference(data, stats, ols, scaler, fit_intercept=fit_intercept)
    penalty = config.penalty
    decay = decay_of(config.optimizer, config.options)
    if penalty is not None:
        exact = solve_penalized(stats, penalty, fit_intercept=fit_intercept, ols=ols)
        objective = penalty.describe()
        bound = penalized_lr_bound(stats, scaler, penalty, fit_intercept=fit_intercept)
    elif decay:
        exact = decayed_optimum(stats, scaler, decay, fit_intercept=fit_intercept, ols=ols)
        objective = f"least squares with weight_decay={decay:g} on the scaled parameters"
        bound = penalized_lr_bound(stats, scaler, None, fit_intercept=fit_intercept)  # the MSE's: the advisor
        # adds weight_decay to its curvature (slopefit.solve.advise.stable_bound)
    else:
        exact, objective = ols, "least squares"
        bound = penalized_lr_bound(stats, scaler, None, fit_intercept=fit_intercept)
    full_batch = config.batch_size is None or config.batch_size >= stats.n
    return Plan(stats=stats, scaler=scaler, ols=ols, exact=exact, objective=objective, lr_bound=bound,
                baseline=stats.baseline_loss(fit_intercept=fit_intercept), full_batch=full_batch,
                fit_intercept=fit_intercept, penalty=penalty, weight_decay=decay)
