"""The advisor's check against reality: epochs predicted from the curvature beside the epochs a
real run took (``slopefit advise``, the playground's advisor).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from slopefit.errors import DivergenceError
from slopefit.solve.advise import Advice
from slopefit.solve.stats import SufficientStats
from slopefit.train.config import TrainConfig
from slopefit.train.convergence import gap_scale
from slopefit.train.plan import plan_fit
from slopefit.train.training import fit


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
                        tol: float = 1e-6, max_epochs: int = 100_000, fit_intercept: bool = True,
                        penalty=None) -> Prediction:
    """Run full-batch sgd at ``lr`` (and ``momentum``) on the stats engine, from zeros as
    :func:`slopefit.train.training.fit` starts, and set the epochs it took next to the prediction.

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
    penalty : slopefit.solve.penalties.Penalty or None, default None
        The run minimises the penalised objective (the gap is to its optimum).

    Returns
    -------
    Prediction
        A divergence is recorded in it, not raised.
    """
    import torch

    config = TrainConfig(lr=lr, options={"momentum": momentum} if momentum else {}, epochs=max_epochs,
                         scaling=advice.scaling, fit_intercept=fit_intercept, stop_gap=tol, dtype="float64",
                         log_every=max_epochs, engine="stats", penalty=penalty)
    plan = plan_fit(data, config, stats=stats)
    zero = torch.zeros(stats.n_features, dtype=torch.float64)  # where fit starts: every scaled parameter 0
    start_gap = plan.stats_engine().gap(zero, torch.zeros(1, dtype=torch.float64) if fit_intercept else None)
    scale = gap_scale(plan.exact.loss, plan.baseline)
    predicted = advice.predicted_epochs(lr, momentum=momentum, start_gap=start_gap, loss_star=scale, tol=tol)
    try:
        result = fit(data, config, stats=stats, reference=plan.ols)
    except DivergenceError as exc:
        return Prediction(lr, momentum, tol, predicted, None, math.nan, exc.epoch, max_epochs)
    epochs = result.epochs_run if result.stop_reason == "gap" else None
    return Prediction(lr, momentum, tol, predicted, epochs, result.relative_gap, None, max_epochs)
