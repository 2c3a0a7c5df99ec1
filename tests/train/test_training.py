"""The training loop against the exact solver, the seed's numbers, and its own promises."""

from __future__ import annotations

import numpy as np
import pytest

from slopefit.data.datasets import make_synthetic
from slopefit.data.sources import builtin
from slopefit.errors import ConfigError, DivergenceError
from slopefit.solve.objective import stable_lr_bound
from slopefit.train.config import TrainConfig
from slopefit.train.results import Progress
from slopefit.train.training import fit

DATASETS = {
    "height-weight": lambda: builtin("height-weight"),
    "hours-ability": lambda: builtin("hours-ability"),
    "synthetic-1": lambda: make_synthetic(200, 1, seed=1, offset=50.0),
    "synthetic-5": lambda: make_synthetic(300, 5, seed=2, offset=20.0),
}
# Adam's normalised step turns float32 round-off near the optimum into full-size steps, so it
# reaches 1e-6 only in float64 with a constant learning rate (see the README's notes).
OPTIMIZERS = {
    "sgd-momentum": dict(optimizer="sgd", lr=0.05, options={"momentum": 0.9}, epochs=1000),
    "adam": dict(optimizer="adam", lr=0.5, epochs=2000, dtype="float64"),
    "lbfgs": dict(optimizer="lbfgs", lr=1.0, epochs=50),
}


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("engine", ["stats", "data"])
def test_reaches_the_exact_optimum(dataset, optimizer, engine):
    data = DATASETS[dataset]()
    result = fit(data, TrainConfig(**OPTIMIZERS[optimizer], engine=engine))
    assert result.engine == engine
    assert result.relative_gap <= 1e-6
    np.testing.assert_allclose(result.coef, result.exact.coef, rtol=1e-3, atol=1e-3)
    assert result.intercept == pytest.approx(result.exact.intercept, rel=1e-3, abs=1e-2)


@pytest.mark.parametrize("scaling", ["none", "center", "standardize"])
def test_every_scaling_reports_original_units(scaling):
    data = make_synthetic(100, 2, seed=4, offset=1.0)
    # with momentum 0.9, full-batch SGD is stable up to lr < 1.9 * (2 / lambda_max)
    lr = stable_lr_bound(data.X) if scaling == "none" else 0.05
    result = fit(data, TrainConfig(lr=lr, scaling=scaling, epochs=5000, options={"momentum": 0.9},
                                   dtype="float64"))
    np.testing.assert_allclose(result.coef, result.exact.coef, rtol=1e-6)
    assert result.intercept == pytest.approx(result.exact.intercept, rel=1e-6, abs=1e-6)
    np.testing.assert_allclose(result.predict(data.X), result.exact.predict(data.X), rtol=1e-6, atol=1e-6)


def test_history_matches_the_notebook_loop_semantics():
    """Loss at epoch k is the loss after k updates: hours-ability, SGD lr=0.01, 200 epochs."""
    result = fit(builtin("hours-ability"), TrainConfig(lr=0.01, epochs=200, scaling="none", log_every=10))
    assert result.history.epochs == tuple(range(0, 201, 10))
    # epoch 0: W = b = 0, so the loss is mean(200^2, 400^2, 600^2)
    assert result.history.losses[0] == pytest.approx((200**2 + 400**2 + 600**2) / 3)
    assert result.history.loss_at(200) == pytest.approx(297.66, abs=0.01)
    assert result.initial_loss == result.history.losses[0]


def test_plain_sgd_loss_never_increases_below_the_bound():
    data = builtin("height-weight")
    bound = stable_lr_bound(data.X - data.X.mean())
    result = fit(data, TrainConfig(lr=0.9 * bound, scaling="center", epochs=100, dtype="float64"))
    losses = np.array(result.history.losses)
    assert np.all(np.isfinite(losses))
    assert np.all(np.diff(losses) <= 1e-12 * losses[0])


def test_divergence_names_epoch_lr_and_bound():
    with pytest.raises(DivergenceError) as info:
        fit(builtin("height-weight"), TrainConfig(lr=0.1, scaling="center", epochs=500))
    err = info.value
    assert err.bound == pytest.approx(2 / 23.2)
    assert err.lr == 0.1 and 0 < err.epoch < 500
    assert f"epoch {err.epoch}" in str(err)
    assert "lr < 0.0862" in str(err)


def test_uncentered_bound_is_the_lesson_figure():
    with pytest.raises(DivergenceError, match=r"lr < 3\.418e-05"):
        fit(builtin("height-weight"), TrainConfig(lr=1e-4, scaling="none", epochs=2000))


def test_minibatch_one_sample_at_a_time_gets_close():
    """batch_size=1 is the 'one random sample' SGD; with a small lr it settles near the optimum."""
    data = make_synthetic(200, 2, seed=3, noise=0.1)
    result = fit(data, TrainConfig(lr=0.002, batch_size=1, epochs=40, seed=5))
    assert result.relative_gap < 0.05
    again = fit(data, TrainConfig(lr=0.002, batch_size=1, epochs=40, seed=5))
    np.testing.assert_array_equal(result.coef, again.coef)  # the seed fixes the shuffle


def test_minibatch_reaches_optimum_with_larger_batches():
    data = make_synthetic(1000, 3, seed=8)
    result = fit(data, TrainConfig(lr=0.05, batch_size=100, epochs=60, options={"momentum": 0.5},
                                   dtype="float64", seed=1))
    assert result.relative_gap < 1e-2
    np.testing.assert_allclose(result.coef, result.exact.coef, rtol=0.05, atol=0.01)


def test_tolerance_stops_early():
    result = fit(builtin("height-weight"), TrainConfig(lr=0.05, epochs=5000, tol=1e-9, dtype="float64"))
    assert result.stop_reason == "tol"
    assert result.epochs_run < 5000
    assert result.history.epochs[-1] == result.epochs_run
    assert result.relative_gap < 1e-6


def test_without_intercept_matches_exact_through_origin():
    data = make_synthetic(100, 2, seed=9, offset=1.0)
    result = fit(data, TrainConfig(lr=0.02, fit_intercept=False, epochs=2000, options={"momentum": 0.9},
                                   dtype="float64"))
    assert result.intercept == 0.0
    np.testing.assert_allclose(result.coef, result.exact.coef, rtol=1e-6)


def test_callback_sees_every_logged_epoch():
    seen: list[Progress] = []
    fit(builtin("hours-ability"), TrainConfig(lr=0.01, epochs=30, log_every=10), callback=seen.append)
    assert [p.epoch for p in seen] == [0, 10, 20, 30]
    assert all(p.epochs == 30 for p in seen)


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=0), "learning rate must be a positive number, got lr=0"),
    (dict(lr=-1.0), "got lr=-1.0"),
    (dict(epochs=0), "epochs must be a whole number >= 1, got epochs=0"),
    (dict(batch_size=0), "batch_size must be a whole number >= 1"),
    (dict(log_every=0), "log_every must be a whole number >= 1"),
    (dict(tol=-1.0), "tol must be >= 0"),
    (dict(dtype="float16"), "dtype must be one of auto, float32, float64"),
    (dict(scaling="minmax"), "unknown scaling 'minmax'; choose one of none, center, standardize"),
    (dict(optimizer="sgdd"), "unknown optimizer 'sgdd'"),
    (dict(optimizer="adam", options={"momentum": 0.9}), "optimizer 'adam' has no option 'momentum'"),
])
def test_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ConfigError) as info:
        TrainConfig(**kwargs)
    assert message in str(info.value)


def test_float32_and_float64_agree():
    data = builtin("height-weight")
    a = fit(data, TrainConfig(lr=0.05, epochs=500, options={"momentum": 0.9}, dtype="float32"))
    b = fit(data, TrainConfig(lr=0.05, epochs=500, options={"momentum": 0.9}, dtype="float64"))
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-5)


def test_hessian_matches_its_definition():
    from slopefit.solve.objective import hessian

    X = make_synthetic(30, 3, seed=1).X
    A = np.column_stack([X, np.ones(30)])
    np.testing.assert_allclose(hessian(X), 2 / 30 * A.T @ A, rtol=1e-12)
    np.testing.assert_allclose(hessian(X, fit_intercept=False), 2 / 30 * X.T @ X, rtol=1e-12)


def test_values_too_large_for_float32_are_a_data_error_on_the_rows():
    from slopefit.data.datasets import Dataset
    from slopefit.errors import DataError

    data = Dataset(X=np.array([[1.0], [2.0], [3.0]]), y=np.array([1e25, 3e25, 2e25]), feature_names=("x",),
                   target_name="y")
    with pytest.raises(DataError, match="already infinite in float32: the data's values are too large to square"):
        fit(data, TrainConfig(engine="data"))
    momentum = {"epochs": 300, "options": {"momentum": 0.9}}
    assert fit(data, TrainConfig(dtype="float64", engine="data", **momentum)).relative_gap < 1e-6
    # the stats engine squares in float64 whatever the parameters' dtype, so float32 copes
    assert fit(data, TrainConfig(engine="stats", **momentum)).relative_gap < 1e-6


def test_a_known_reference_is_used_as_is():
    from slopefit.solve.exact import solve_exact

    data = make_synthetic(100, 2, seed=3)
    reference = solve_exact(data.X, data.y)
    result = fit(data, TrainConfig(epochs=300, options={"momentum": 0.9}), reference=reference)
    assert result.exact is reference
    assert result.relative_gap == fit(data, TrainConfig(epochs=300, options={"momentum": 0.9})).relative_gap


@pytest.mark.parametrize("engine", ["stats", "data"])
def test_stop_gap_stops_at_the_first_epoch_within_the_gap(engine):
    data = make_synthetic(2000, 4, seed=14, offset=10.0)
    result = fit(data, TrainConfig(lr=0.1, options={"momentum": 0.9}, epochs=5000, stop_gap=1e-6, dtype="float64",
                                   engine=engine))
    assert result.stop_reason == "gap" and result.epochs_run < 5000
    assert result.relative_gap <= 1e-6
    before = (result.history.losses[-2] - result.exact.loss) / result.exact.loss
    assert before > 1e-6  # one epoch earlier it was not yet there
    with pytest.raises(ConfigError, match="stop_gap must be > 0"):
        TrainConfig(stop_gap=0)
