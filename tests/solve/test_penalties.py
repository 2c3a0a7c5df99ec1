"""Penalties against scikit-learn's Ridge, Lasso and ElasticNet on its own diabetes data, and on a
table with a column in large units: the exact optimum and gradient descent, the same lasso zeros."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNet, Lasso, Ridge

from slopefit.data.datasets import Dataset
from slopefit.errors import ConfigError
from slopefit.solve.accumulation import compute_stats
from slopefit.solve.advise import advise
from slopefit.solve.penalized_exact import optimality, solve_penalized
from slopefit.solve.penalties import Penalty, lr_bound, penalty_from
from slopefit.train.config import TrainConfig
from slopefit.train.training import fit

RTOL = 1e-5  # the bar against scikit-learn; both sides are far tighter (gd stops at 1e-9)


def _diabetes(large: bool = False) -> Dataset:
    X, y = load_diabetes(return_X_y=True)
    if large:  # one column in micro-units, one far from 0: the penalty must follow original units
        X = X.copy()
        X[:, 2] *= 1e6
        X[:, 3] = X[:, 3] * 100 + 1e4
    return Dataset(X=X, y=y, feature_names=tuple(f"x{j}" for j in range(X.shape[1])), target_name="y")


def _reference(kind: str, alpha: float, l1_ratio: float, fit_intercept: bool = True):
    if kind == "ridge":
        return Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="svd")
    if kind == "lasso":
        return Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-14, max_iter=1_000_000)
    return ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-14, max_iter=1_000_000)


def _relative(ours: np.ndarray, theirs: np.ndarray) -> float:
    """The worst coefficient's error relative to the largest coefficient (zeros compared exactly below)."""
    return float(np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs)))


CASES = [("ridge", 0.5, 0.0), ("lasso", 0.1, 1.0), ("elasticnet", 0.01, 0.5), ("lasso", 1.0, 1.0)]


@pytest.mark.parametrize("large", [False, True], ids=["diabetes", "large-units"])
@pytest.mark.parametrize("kind, alpha, l1_ratio", CASES)
def test_equals_scikit_learn(kind, alpha, l1_ratio, large):
    data = _diabetes(large)
    ref = _reference(kind, alpha, l1_ratio).fit(data.X, data.y)
    result = fit(data, TrainConfig(penalty=Penalty(kind, alpha, l1_ratio=l1_ratio)))
    assert result.stop_reason == "converged"
    for coef, intercept in ((result.exact.coef, result.exact.intercept), (result.coef, result.intercept)):
        np.testing.assert_allclose(coef, ref.coef_, rtol=RTOL, atol=RTOL * np.abs(ref.coef_).max())
        assert abs(intercept - ref.intercept_) <= RTOL * abs(ref.intercept_)
        # the same zeros, and exact ones: gradient descent's proximal step writes 0.0
        assert np.array_equal(np.flatnonzero(coef == 0.0), np.flatnonzero(ref.coef_ == 0.0))
    if kind == "lasso":
        assert (ref.coef_ == 0).sum() >= 3  # the test has zeros to compare


@pytest.mark.parametrize("kind, alpha, l1_ratio", CASES[:3])
def test_without_intercept(kind, alpha, l1_ratio):
    data = _diabetes()
    y = data.y - 100.0  # no intercept to lean on
    ref = _reference(kind, alpha, l1_ratio, fit_intercept=False).fit(data.X, y)
    result = fit(Dataset(X=data.X, y=y, feature_names=data.feature_names, target_name="y"),
                 TrainConfig(penalty=Penalty(kind, alpha, l1_ratio=l1_ratio), fit_intercept=False))
    assert _relative(result.exact.coef, ref.coef_) < RTOL and _relative(result.coef, ref.coef_) < RTOL
    assert np.array_equal(result.coef == 0, ref.coef_ == 0)


def test_exact_solution_satisfies_kkt():
    data = _diabetes()
    stats = compute_stats([(data.X, data.y)], data.n_features)
    for kind, alpha, ratio in CASES:
        penalty = Penalty(kind, alpha, l1_ratio=ratio)
        sol = solve_penalized(stats, penalty)
        scale = float(np.abs(stats.centered()[1]).max()) / stats.total  # the gradient's own size
        assert optimality(stats, penalty, sol.coef) <= 1e-10 * scale
        # and a perturbed point is not optimal
        assert optimality(stats, penalty, sol.coef * 1.01 + 1e-3) > 1e-6 * scale


def test_ridge_by_hand():
    """Ridge on one centered feature: w = Sxy / (Sxx + alpha)."""
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([1.0, 2.0, 2.0, 5.0])
    sxx, sxy = 5.0, float((X[:, 0] - 1.5) @ (y - 2.5))
    sol = solve_penalized(compute_stats([(X, y)], 1), Penalty("ridge", 3.0))
    assert sol.coef[0] == pytest.approx(sxy / (sxx + 3.0), rel=1e-14)
    assert sol.intercept == pytest.approx(2.5 - 1.5 * sxy / (sxx + 3.0), rel=1e-14)
    # its objective: MSE + alpha w^2 / n
    w, b = sol.coef[0], sol.intercept
    assert sol.loss == pytest.approx(np.mean((X[:, 0] * w + b - y) ** 2) + 3.0 * w * w / 4, rel=1e-13)


def test_curvature_in_advice_and_bound():
    """The ridge part adds 2 alpha / (n s_j^2) to the diagonal of the Hessian in standardized units:
    the eigenvalues and the bound 2 / lambda_max from numpy on the standardized rows."""
    data = _diabetes()
    n = data.n_samples
    alpha = 50.0
    s = data.X.std(axis=0)
    Xs = np.column_stack([(data.X - data.X.mean(axis=0)) / s, np.ones(n)])
    hessian = 2.0 * Xs.T @ Xs / n
    hessian[np.arange(10), np.arange(10)] += 2.0 * alpha / n / s ** 2
    expected = np.linalg.eigvalsh(hessian)
    stats = compute_stats([(data.X, data.y)], data.n_features)
    advice = advise(stats, penalty=Penalty("ridge", alpha))
    np.testing.assert_allclose(advice.eigenvalues, expected, rtol=1e-10)
    assert lr_bound(stats, stats.scaler("standardize"), Penalty("ridge", alpha)) == pytest.approx(
        2.0 / expected[-1], rel=1e-10)
    assert advise(stats).lambda_max < advice.lambda_max


def test_lasso_gradient_descent_with_plain_sgd_and_an_lr():
    data = _diabetes()
    ref = _reference("lasso", 0.1, 1.0).fit(data.X, data.y)
    # below the bound 2/λmax = 0.2485 of the smooth part; the momentum makes it a proximal heavy ball
    result = fit(data, TrainConfig(penalty=Penalty("lasso", 0.1), lr=0.2, options={"momentum": 0.8}, epochs=20000,
                                   dtype="float64", stop_gap=1e-15))
    assert result.stop_reason == "gap"
    assert _relative(result.coef, ref.coef_) < RTOL
    assert np.array_equal(result.coef == 0, ref.coef_ == 0)


def test_ridge_with_lbfgs_and_adam():
    data = _diabetes()
    ref = _reference("ridge", 0.5, 0.0).fit(data.X, data.y)
    result = fit(data, TrainConfig(optimizer="lbfgs", penalty=Penalty("ridge", 0.5)))
    assert _relative(result.coef, ref.coef_) < RTOL
    result = fit(data, TrainConfig(optimizer="adam", lr=0.5, epochs=1500, dtype="float64",
                                   penalty=Penalty("ridge", 0.5)))
    assert _relative(result.coef, ref.coef_) < 1e-3  # adam at a constant lr wanders near the optimum


def test_result_reports_the_objective():
    data = _diabetes()
    result = fit(data, TrainConfig(penalty=Penalty("lasso", 0.1)))
    mse = np.mean((data.X @ result.coef + result.intercept - data.y) ** 2)
    assert result.final_loss == pytest.approx(mse + 0.2 * np.abs(result.coef).sum(), rel=1e-12)
    assert result.loss_label() == "objective (MSE + 2α‖w‖₁)"
    assert result.r2 == pytest.approx(1 - mse / data.y.var(), rel=1e-10)
    with pytest.raises(ValueError, match="no standard errors, t, p or confidence intervals for a penalised fit"):
        result.summary()
    payload = result.to_dict()
    assert payload["summary"] is None and payload["penalty"] == {"kind": "lasso", "alpha": 0.1, "l1_ratio": 1.0}


@pytest.mark.parametrize("kwargs, message", [
    ({"ridge": -1.0}, r"the alpha of ridge= must be a number >= 0 \(scikit-learn's alpha\), got -1"),
    ({"lasso": float("nan")}, r"the alpha of lasso= must be a number >= 0 \(scikit-learn's alpha\), got nan"),
    ({"ridge": 1.0, "lasso": 1.0}, r"ridge= and lasso= were both given; choose one penalty"),
    ({"ridge": 1.0, "l1_ratio": 0.5}, r"l1_ratio= \(0.5\) applies to elastic_net= only"),
    ({"elastic_net": 1.0, "l1_ratio": 1.5}, r"l1_ratio must be between 0 and 1"),
])
def test_bad_penalties(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        penalty_from(**kwargs)


@pytest.mark.parametrize("settings, message", [
    ({"optimizer": "adam", "lr": 0.1}, "only plain sgd"),
    ({"optimizer": "lbfgs"}, "only plain sgd"),
    ({"batch_size": 10}, "full batch on the stats engine"),
    ({"engine": "data"}, "full batch on the stats engine"),
    ({"options": {"weight_decay": 0.1}}, "weight_decay is a second L2 penalty"),
    ({"options": {"momentum": 0.9, "nesterov": True}, "lr": 0.1}, "leave nesterov and dampening out"),
])
def test_runs_that_cannot_minimise_the_objective(settings, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(penalty=Penalty("lasso", 0.1), **settings)


def test_penalty_round_trips_through_config_dict():
    config = TrainConfig(penalty=Penalty("elasticnet", 0.2, l1_ratio=0.3))
    again = TrainConfig(**config.to_dict())
    assert again.penalty == config.penalty
