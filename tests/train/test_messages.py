"""Advice that fits the run, and validation at every door (issue "Right answers by default", items 3 and 4).

Every bound a message quotes is recomputed here from numpy's eigenvalues of the MSE Hessian
``(2/N) AᵀA`` (A: the scaled design with a column of ones), never copied from our own output.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from slopefit.data.datasets import Dataset
from slopefit.data.sources import builtin
from slopefit.errors import ConfigError, DataError, DivergenceError
from slopefit.solve.advise import stable_bound
from slopefit.train.config import TrainConfig
from slopefit.train.messages import not_converged_advice
from slopefit.train.optimizers import check_options
from slopefit.train.training import fit


def _lam_max_centered(data: Dataset) -> float:
    """λmax of the Hessian (2/N) AᵀA of the MSE in centred units, by numpy."""
    A = np.c_[data.X - data.X.mean(axis=0), np.ones(data.n_samples)]  # (N, D + 1)
    return float(np.linalg.eigvalsh(2.0 / data.n_samples * A.T @ A).max())


HW = builtin("height-weight")
LAM = _lam_max_centered(HW)  # 23.2


# --- item 3: advice that fits the run ------------------------------------------------------


def test_a_stable_momentum_run_is_not_told_to_go_below_two_over_lambda_max():
    beta = 0.9
    plain, heavy = 2.0 / LAM, 2.0 * (1.0 + beta) / LAM
    lr = 0.5 * (plain + heavy)  # past 2/λmax, inside 2(1+β)/λmax: stable with momentum
    result = fit(HW, TrainConfig(lr=lr, options={"momentum": beta}, scaling="center", epochs=5))
    assert not result.converged  # too few epochs, not too large an lr
    note = not_converged_advice(2.0 / result.lr_bound, "sgd", result.config.options, lr)
    assert f"lr < {heavy:.4g}" in note and "2(1+β)/λmax, β=0.9" in note
    assert f"lr < {plain:.4g}" not in note and "lower" not in note and "past the stable bound" not in note
    assert "epochs=" in note and "lr=None to have" in note


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "adagrad"])
def test_no_momentum_tip_for_optimizers_without_momentum(run_cli, optimizer):
    run = run_cli("fit", "height-weight", "--optimizer", optimizer, "--lr", "0.001", "--epochs", "5")
    assert run.code == 0, run.err
    note = next(line for line in run.out.splitlines() if line.startswith("note: not converged"))
    assert "--momentum" not in note
    rejected = run_cli("fit", "height-weight", "--optimizer", optimizer, "--lr", "0.001", "--momentum", "0.9")
    assert rejected.code == 2 and f"optimizer '{optimizer}' has no option 'momentum'" in rejected.err


def test_a_diverging_rmsprop_is_told_it_has_no_bound_and_to_lower_lr():
    with pytest.raises(DivergenceError) as caught:
        fit(HW, TrainConfig(optimizer="rmsprop", lr=1e6, epochs=50))
    message = str(caught.value)
    assert "rmsprop has no closed-form stable bound; lower the learning rate (try lr=100000)" in message
    assert "below" not in message and "inside" not in message and "lr <" not in message


def test_weight_decay_stops_at_its_own_optimum_and_is_named(run_cli):
    decay = 0.5
    result = fit(HW, TrainConfig(lr=0.1, options={"weight_decay": decay}, epochs=2000, dtype="float64"))
    # the decayed optimum, by numpy in standardized units: (H + wd I) θ = (2/N) Aᵀ y, H = (2/N) AᵀA
    X = (HW.X - HW.X.mean(axis=0)) / HW.X.std(axis=0)
    A = np.c_[X, np.ones(HW.n_samples)]
    theta = np.linalg.solve(2.0 / HW.n_samples * A.T @ A + decay * np.eye(2), 2.0 / HW.n_samples * A.T @ HW.y)
    # a 2x2 solve with cond(H + wd I) ~ 1: float64 rounding is ~1e-15; the run stops at a gap of 1e-6 or less
    assert result.coef_scaled[0] == pytest.approx(theta[0], rel=1e-6)
    w_exact, _ = result.scaler.to_scaled(result.exact.coef, result.exact.intercept)
    assert w_exact[0] == pytest.approx(theta[0], rel=1e-12)
    assert result.converged and "weight_decay=0.5" in result.exact_label()
    note = not_converged_advice(2.0 / result.lr_bound, "sgd", result.config.options, 0.1)
    assert note.startswith("weight_decay=0.5 pulls the coefficients toward 0")
    assert "set weight_decay=0 for the least-squares line" in note
    # the automatic run of the command line: stops at the decayed optimum within a few epochs, and says so
    run = run_cli("fit", "height-weight", "--option", "weight_decay=0.1")
    assert run.code == 0, run.err
    assert "exact (least squares + weight_decay=0.1)" in run.out
    epochs = int(re.search(r"^epochs +(\d+)", run.out, re.M).group(1))
    assert epochs < 1000 and "every coefficient within" in run.out


def test_adamws_default_weight_decay_is_named(run_cli):
    run = run_cli("fit", "height-weight", "--optimizer", "adamw", "--lr", "0.1", "--epochs", "3000",
                  "--dtype", "float64")
    assert run.code == 0, run.err
    assert "weight_decay=0.01 (adamw's default) pulls the coefficients toward 0" in run.out


def test_warning_and_error_quote_the_same_bound(run_cli):
    bound = 2.0 / LAM
    run = run_cli("fit", "height-weight", "--scale", "center", "--lr", "0.09", "--epochs", "2000")
    assert run.code == 1
    warning, error = run.err.strip().splitlines()
    quoted = f"lr < {bound:.4g} (2/λmax, λmax={LAM:.4g} of the MSE Hessian)"
    assert warning.startswith("warning: lr=0.09 is past the stable bound") and quoted in warning
    assert error.startswith("slopefit: training diverged") and quoted in error


@pytest.mark.parametrize("options, bound", [
    ({"weight_decay": 2.0}, lambda lam: 2.0 / (lam + 2.0)),
    ({"momentum": 0.5, "dampening": 0.5}, lambda lam: 2.0 * 1.5 / (0.5 * lam)),
])
def test_the_bound_counts_weight_decay_and_dampening(options, bound):
    """torch's sgd is heavy ball with step lr(1-d) on H + wd I; the bound moves with both."""
    expected = bound(LAM)
    assert stable_bound(LAM, "sgd", options) == pytest.approx(expected, rel=1e-12)
    below = fit(HW, TrainConfig(lr=0.97 * expected, options=options, scaling="center", epochs=3000, dtype="float64"))
    assert below.history.losses[-1] < below.history.losses[0]
    with pytest.raises(DivergenceError) as caught:
        fit(HW, TrainConfig(lr=1.03 * expected, options=options, scaling="center", epochs=3000, dtype="float64"))
    assert f"lr < {expected:.4g}" in str(caught.value)


def test_automatic_sgd_with_weight_decay_converges_to_the_penalised_optimum():
    result = fit(HW, TrainConfig(options={"weight_decay": 3.0}, scaling="center"))  # heavy ball on H + wd I
    assert result.history.losses[-1] < result.history.losses[0] and math.isfinite(result.final_loss)


# --- item 4: validation at every door ------------------------------------------------------

BAD_DATASETS = [
    (dict(X=[[1.0]], y=[2.0]), "fit", "has 1 row; a line needs at least 2 rows of data"),
    (dict(X=[[1.0, 3.0], [1.0, 4.0], [1.0, 5.0]], y=[1.0, 2.0, 3.0], feature_names=("a", "b")), "fit",
     "feature 'a' is constant (every row is 1)"),
    (dict(X=[[1.0], [np.nan], [3.0]], y=[1.0, 2.0, 3.0]), "fit",
     "column 'x' in data has NaN or infinite values in row 2"),
    (dict(X=[[1.0], [2.0], [3.0]], y=[1.0, np.inf, 3.0]), "fit", "column 'y' in data has NaN or infinite values"),
    (dict(X=[1.0, 2.0, 3.0], y=[1.0, 2.0, 3.0]), "build",
     "features must be a 2-D table (rows x columns), got shape (3,)"),
    (dict(X=[[1.0], [2.0], [3.0]], y=[1.0, 2.0]), "build", "features have 3 rows but the target has 2"),
    (dict(X=[[1.0], [2.0], [3.0]], y=[1.0, 2.0, 3.0], feature_names=("x", "z")), "build",
     "1 feature column but 2 names (x, z); give one name per column"),
    (dict(X=[[1.0], [2.0], [3.0]], y=[1.0, 2.0, 3.0], feature_names="xz"), "build",
     "feature_names must be a sequence of names, one per column, got the string 'xz'"),
]


@pytest.mark.parametrize("fields, when, message", BAD_DATASETS, ids=[m[:30] for _, _, m in BAD_DATASETS])
@pytest.mark.parametrize("config", [TrainConfig(), TrainConfig(lr=0.01, epochs=5, batch_size=1)],
                         ids=["auto", "minibatch"])
def test_a_hand_built_dataset_is_validated_like_a_file(fields, when, message, config):
    fields = {"feature_names": ("x",), "target_name": "y", **fields}
    with pytest.raises(DataError) as caught:
        fit(Dataset(**fields), config)
    assert message in str(caught.value)
    if when == "fit":  # the shape is fine: the values are checked in the pass that gathers statistics
        Dataset(**fields)


def test_the_estimator_rejects_bad_data():
    from slopefit import LinearRegressor

    with pytest.raises(ValueError, match="minimum of 2 is required"):
        LinearRegressor().fit(np.array([[1.0]]), np.array([2.0]))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        LinearRegressor().fit(np.array([[1.0], [np.nan], [3.0]]), np.array([1.0, 2.0, 3.0]))
    with pytest.raises(DataError, match="is constant"):
        LinearRegressor().fit(np.array([[1.0, 3.0], [1.0, 4.0], [1.0, 5.0]]), np.array([1.0, 2.0, 3.0]))


BAD_CONFIGS = [
    (dict(init=float("nan")), "init (the starting value of W and B) must be a finite number, got init=nan"),
    (dict(init=True), "got init=True"),
    (dict(seed=-1), "seed must be a whole number >= 0, got seed=-1"),
    (dict(seed=1.5), "got seed=1.5"),
    (dict(seed=True), "got seed=True"),
    (dict(tol=float("nan")), "tol must be >= 0 (or None), got tol=nan"),
    (dict(tol=-1.0), "got tol=-1.0"),
    (dict(tol=True), "got tol=True"),
    (dict(stop_gap=0.0), "stop_gap must be > 0 (or None), got stop_gap=0.0; try 1e-6"),
    (dict(stop_gap=float("nan")), "got stop_gap=nan"),
    (dict(log_every=0), "log_every must be a whole number >= 1, got log_every=0"),
    (dict(log_every=2.5), "got log_every=2.5"),
    (dict(log_every=True), "got log_every=True"),
    (dict(batch_size=True), "batch_size must be a whole number >= 1"),
    (dict(fit_intercept="no"), "fit_intercept must be True or False, got fit_intercept='no'"),
    (dict(options=None), "options must be a mapping of torch option names to values"),
]


@pytest.mark.parametrize("fields, message", BAD_CONFIGS, ids=[m[:30] for _, m in BAD_CONFIGS])
def test_train_config_validates_every_field(fields, message):
    with pytest.raises(ConfigError) as caught:
        TrainConfig(lr=0.01, **fields)
    assert message in str(caught.value)


def test_a_nan_init_is_blamed_on_init_not_on_the_data():
    with pytest.raises(ConfigError) as caught:
        fit(HW, TrainConfig(lr=0.01, init=float("nan")))
    assert "init" in str(caught.value) and "data" not in str(caught.value)


BAD_OPTIONS = [
    ("sgd", {"momentum": 1.5}, "sgd option momentum must be in [0, 1), got 1.5; try 0.9"),
    ("sgd", {"momentum": -0.1}, "momentum must be in [0, 1), got -0.1"),
    ("rmsprop", {"momentum": 1.0}, "rmsprop option momentum must be in [0, 1), got 1"),
    ("sgd", {"dampening": 1.5}, "sgd option dampening must be in [0, 1], got 1.5; try 0"),
    ("adam", {"betas": "0.9,1.0"}, "adam option betas must each be in [0, 1), got 0.9,1; try 0.9,0.999"),
    ("adamw", {"betas": (-0.1, 0.9)}, "adamw option betas must each be in [0, 1), got -0.1,0.9"),
    ("adam", {"eps": 0.0}, "adam option eps must be > 0, got 0; try 1e-8"),
    ("adagrad", {"eps": -1.0}, "adagrad option eps must be > 0, got -1; try 1e-10"),
    ("sgd", {"weight_decay": -0.5}, "sgd option weight_decay must be >= 0, got -0.5; try 0"),
    ("adam", {"weight_decay": float("nan")}, "adam option weight_decay must be >= 0, got nan"),
    ("rmsprop", {"alpha": 0.0}, "rmsprop option alpha must be in (0, 1], got 0; try 0.99"),
    ("rmsprop", {"alpha": 1.5}, "alpha must be in (0, 1], got 1.5"),
    ("adagrad", {"lr_decay": -1.0}, "adagrad option lr_decay must be >= 0, got -1; try 0"),
    ("lbfgs", {"max_iter": 0}, "lbfgs option max_iter must be >= 1, got 0; try 20"),
    ("lbfgs", {"history_size": "0"}, "lbfgs option history_size must be >= 1, got 0; try 100"),
    ("lbfgs", {"max_iter": "2.5"}, "option max_iter='2.5' for lbfgs: expected a whole number"),
    ("sgd", {"nesterov": True, "momentum": 0.0}, "nesterov=true needs momentum > 0 (torch's rule), got momentum=0"),
    ("sgd", {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "nesterov=true needs dampening=0 (torch's rule), got dampening=0.1"),
]


@pytest.mark.parametrize("name, options, message", BAD_OPTIONS, ids=[m[:40] for _, _, m in BAD_OPTIONS])
def test_optimizer_options_are_range_checked(name, options, message):
    with pytest.raises(ConfigError) as caught:
        check_options(name, options)
    assert message in str(caught.value)


def test_options_in_range_pass_and_torch_accepts_them():
    import torch

    from slopefit.train.optimizers import make_optimizer

    w = torch.zeros(1, requires_grad=True)
    for name, options in [("sgd", {"momentum": 0.0, "dampening": 1.0, "weight_decay": 0.0}),
                          ("sgd", {"momentum": 0.9, "nesterov": True}), ("adam", {"betas": (0.0, 0.0), "eps": 1e-12}),
                          ("rmsprop", {"alpha": 1.0, "momentum": 0.0}), ("adagrad", {"lr_decay": 0.0}),
                          ("lbfgs", {"max_iter": 1, "history_size": 1})]:
        make_optimizer(name, [w], lr=0.1, options=options)


def test_nesterov_with_an_lr_needs_a_momentum():
    with pytest.raises(ConfigError, match="nesterov=true needs momentum > 0 .* but no momentum is given"):
        TrainConfig(lr=0.1, options={"nesterov": True})
    auto = fit(HW, TrainConfig(options={"nesterov": True}))  # an automatic run fills momentum in
    assert auto.config.options["momentum"] > 0 and auto.converged


CLI_DOORS = [
    ["fit", "height-weight", "--chunk-rows", "0"],
    ["fit", "height-weight", "--momentum", "1.5"],
    ["advise", "height-weight", "--momentum", "1.5"],
    ["sweep", "height-weight", "--gap", "-1"],
    ["advise", "height-weight", "--max-epochs", "0"],
    ["compare", "height-weight", "--run", "sgd lr=0.1 momentum=1.5"],
    ["sweep", "height-weight", "--momentum", "1.5"],
    ["fit", "height-weight", "--optimizer", "rmsprop", "--lr", "0.1", "--option", "alpha=0"],
]


@pytest.mark.parametrize("argv", CLI_DOORS, ids=[" ".join(a) for a in CLI_DOORS])
def test_cli_usage_errors_exit_2_with_one_line(run_cli, argv):
    run = run_cli(*argv)
    assert run.code == 2 and run.out == ""
    assert len(run.err.strip().splitlines()) == 1 and "Traceback" not in run.err
