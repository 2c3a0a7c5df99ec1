"""The engines agree: the stats engine's losses and gradients are those of the rows."""

from __future__ import annotations

import numpy as np
import pytest

from slopefit.data.datasets import make_synthetic
from slopefit.data.sources import builtin
from slopefit.errors import ConfigError
from slopefit.solve.accumulation import compute_stats
from slopefit.solve.exact import solve_exact
from slopefit.train.config import TrainConfig
from slopefit.train.engines import DataEngine, StatsEngine
from slopefit.train.training import fit

# Stable settings: past the stability bound rounding differences grow with every step and
# two correct engines part ways (center scaling here has lr bound 0.037, standardize 0.96).
RUNS = {
    "sgd": dict(optimizer="sgd", lr=0.02, epochs=200),
    "sgd-momentum": dict(optimizer="sgd", lr=0.01, options={"momentum": 0.9}, epochs=200),
    "nesterov": dict(optimizer="sgd", lr=0.01, options={"momentum": 0.9, "nesterov": True}, epochs=200),
    "adam": dict(optimizer="adam", lr=0.05, epochs=200),
    "rmsprop": dict(optimizer="rmsprop", lr=0.001, epochs=200),
    "lbfgs": dict(optimizer="lbfgs", lr=1.0, epochs=10),
}


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("scaling", ["center", "standardize"])
def test_stats_and_data_engines_give_the_same_history(run, scaling):
    data = make_synthetic(500, 3, seed=8, offset=30.0)
    common = dict(RUNS[run], scaling=scaling, dtype="float64")
    by_stats = fit(data, TrainConfig(**common, engine="stats"))
    by_rows = fit(data, TrainConfig(**common, engine="data"))
    assert by_stats.history.epochs == by_rows.history.epochs
    np.testing.assert_allclose(by_stats.history.losses, by_rows.history.losses, rtol=1e-5)
    np.testing.assert_allclose(by_stats.coef, by_rows.coef, rtol=1e-5)


def test_float32_histories_agree_too():
    data = builtin("height-weight")
    common = dict(lr=0.01, options={"momentum": 0.9}, epochs=300, scaling="center")
    by_stats = fit(data, TrainConfig(**common, engine="stats"))
    by_rows = fit(data, TrainConfig(**common, engine="data"))
    np.testing.assert_allclose(by_stats.history.losses[:100], by_rows.history.losses[:100], rtol=1e-5)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_autograd_on_the_quadratic_gives_the_analytic_gradient(fit_intercept):
    import torch

    data = make_synthetic(200, 2, seed=9, offset=5.0)
    stats = compute_stats([(data.X, data.y)], 2)
    scaler = stats.scaler("standardize", fit_intercept=fit_intercept)
    quadratic = StatsEngine(stats, scaler, fit_intercept=fit_intercept)
    rows = DataEngine.from_arrays(data.X, data.y, scaler, dtype=torch.float64)
    W = torch.tensor([0.3, -1.2], dtype=torch.float64, requires_grad=True)
    B = torch.tensor([0.7], dtype=torch.float64, requires_grad=True) if fit_intercept else None
    quadratic.loss(W, B).backward()
    grads = [W.grad.clone()] + ([B.grad.clone()] if B is not None else [])
    # the lesson's formulas: dL/dW = (2/N) sum((Yp - Y) X), dL/dB = (2/N) sum(Yp - Y)
    Xs, ys = scaler.transform_X(data.X), scaler.transform_y(data.y)
    residual = Xs @ W.detach().numpy() + (float(B.detach()) if B is not None else 0.0) - ys
    np.testing.assert_allclose(grads[0].numpy(), 2 / len(ys) * Xs.T @ residual, rtol=1e-10)
    if fit_intercept:
        np.testing.assert_allclose(grads[1].numpy(), [2 * residual.mean()], rtol=1e-10)
    assert quadratic.whole_loss(W, B) == pytest.approx(float(rows.loss(W, B).detach()), rel=1e-12)


def test_minibatches_use_the_data_engine_and_reach_the_optimum():
    data = make_synthetic(5000, 3, seed=10, offset=10.0)
    result = fit(data, TrainConfig(lr=0.01, batch_size=64, epochs=20, options={"momentum": 0.9},
                                   dtype="float64"))
    assert result.engine == "data"
    exact = solve_exact(data.X, data.y)
    np.testing.assert_allclose(result.coef, exact.coef, rtol=1e-2)
    assert result.relative_gap < 1e-2


def test_minibatch_runs_are_reproducible_from_the_seed():
    data = make_synthetic(1000, 2, seed=11)
    config = TrainConfig(lr=0.01, batch_size=32, epochs=3, seed=4)
    a, b = fit(data, config), fit(data, config)
    np.testing.assert_array_equal(a.coef, b.coef)
    c = fit(data, TrainConfig(lr=0.01, batch_size=32, epochs=3, seed=5))
    assert not np.array_equal(a.coef, c.coef)


def test_the_stats_engine_refuses_minibatches():
    with pytest.raises(ConfigError, match="the stats engine computes full-batch losses only, but batch_size=8"):
        TrainConfig(engine="stats", batch_size=8)


def test_an_unknown_engine_or_device_is_named():
    with pytest.raises(ConfigError, match="engine must be one of auto, data, stats, got 'fast'"):
        TrainConfig(engine="fast")
    with pytest.raises(ConfigError, match="device must be one of cpu, cuda, mps, got 'tpu'"):
        TrainConfig(device="tpu")


def test_a_missing_gpu_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the error is for machines without it")
    with pytest.raises(ConfigError, match="device 'cuda' is not available here"):
        fit(builtin("height-weight"), TrainConfig(device="cuda"))


def test_minibatch_gradients_written_out_equal_autograd():
    import torch

    from slopefit.solve.objective import mse, predict
    from slopefit.train.loop import batch_closure

    data = make_synthetic(64, 3, seed=15, offset=2.0)
    stats = compute_stats([(data.X, data.y)], 3)
    rows = DataEngine.from_arrays(data.X, data.y, stats.scaler("standardize"), dtype=torch.float64)
    W = torch.tensor([0.5, -0.25, 1.0], dtype=torch.float64, requires_grad=True)
    B = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    seen = []

    class Recorder(torch.optim.SGD):  # records the gradients of the first batch instead of stepping
        def step(self, closure):
            loss = closure()
            seen.append((W.grad.clone(), B.grad.clone(), float(loss)))
            return loss

    Recorder([W, B], lr=0.0).step(batch_closure(rows.X, rows.y, W, B))  # one batch of all 64 rows
    W.grad = B.grad = None
    loss = mse(predict(rows.X, W, B), rows.y)  # one batch of all 64 rows: the same sum in any order
    loss.backward()
    np.testing.assert_allclose(seen[0][0].numpy(), W.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(seen[0][1].numpy(), B.grad.numpy(), rtol=1e-10)
    assert seen[0][2] == pytest.approx(loss.item(), rel=1e-12)
