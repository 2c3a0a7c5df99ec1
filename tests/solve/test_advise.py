"""The advisor's theory against what training actually does."""

from __future__ import annotations

import math

import numpy as np
import pytest

from slopefit.data.datasets import make_synthetic
from slopefit.data.sources import builtin
from slopefit.errors import DivergenceError
from slopefit.solve.accumulation import compute_stats
from slopefit.solve.advise import advise, rate, stable_bound
from slopefit.train.config import TrainConfig
from slopefit.train.sweep import grid, sweep
from slopefit.train.training import fit


def _stats(data):
    return compute_stats([(data.X, data.y)], data.n_features)


def test_the_seed_bounds():
    hw, hours = builtin("height-weight"), builtin("hours-ability")
    assert advise(_stats(hw), scaling="center").lr_bound == pytest.approx(0.0862, abs=5e-5)
    assert advise(_stats(hw), scaling="none").lr_bound == pytest.approx(3.42e-5, rel=2e-3)
    assert advise(_stats(hours), scaling="none").lr_bound == pytest.approx(0.180, abs=5e-4)
    assert advise(_stats(hw), scaling="standardize").condition["standardize"] == pytest.approx(1.0)


@pytest.mark.parametrize("options", [{}, {"momentum": 0.9}, {"momentum": 0.5, "nesterov": True}])
def test_bounds_separate_converging_from_diverging_runs(options):
    data = make_synthetic(300, 3, seed=22, offset=5.0)
    stats = _stats(data)
    lam_max = advise(stats, scaling="center").lambda_max
    bound = stable_bound(lam_max, "sgd", options)
    below = fit(data, TrainConfig(lr=0.97 * bound, scaling="center", options=options, epochs=3000, dtype="float64"))
    assert below.history.losses[-1] < below.history.losses[0]
    with pytest.raises(DivergenceError) as caught:
        fit(data, TrainConfig(lr=1.03 * bound, scaling="center", options=options, epochs=3000, dtype="float64"))
    assert f"{bound:.3g}" in str(caught.value)  # the error quotes the same bound


def test_the_fastest_settings_beat_their_neighbours():
    data = make_synthetic(400, 3, seed=23, offset=5.0)
    a = advise(_stats(data), scaling="center")
    assert a.best_rate < rate(0.8 * a.best_lr, a.eigenvalues) and a.best_rate < rate(1.2 * a.best_lr, a.eigenvalues)
    kappa = a.lambda_max / a.lambda_min
    assert a.best_rate == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-9)
    assert a.heavy_ball_rate == pytest.approx((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1), rel=1e-3)
    assert a.heavy_ball_rate < a.best_rate


def test_predicted_epochs_match_a_measured_plain_run():
    data = make_synthetic(400, 3, seed=24, offset=5.0)
    stats = _stats(data)
    a = advise(stats, scaling="center")
    result = fit(data, TrainConfig(lr=a.best_lr, scaling="center", epochs=100_000, stop_gap=1e-6, dtype="float64",
                                   engine="stats"))
    predicted = a.predicted_epochs(a.best_lr, start_gap=result.initial_loss - result.exact.loss,
                                   loss_star=result.exact.loss, tol=1e-6)
    assert result.stop_reason == "gap"
    assert abs(predicted - result.epochs_run) <= 0.15 * result.epochs_run + 3


def test_the_sweep_boundary_is_the_advisors():
    data = builtin("height-weight")
    a = advise(_stats(data), scaling="center")
    momenta = [0.0, 0.5, 0.9]
    lrs = np.array([[0.95, 1.05]]) * np.array([[a.momentum_bound(m)] for m in momenta])
    for m, (low, high) in zip(momenta, lrs, strict=True):
        result = sweep(data, grid(TrainConfig(epochs=800, scaling="center"), [low, high], [m]))
        assert result.diverged.tolist() == [False, True], m
