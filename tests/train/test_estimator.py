"""The scikit-learn estimator: the official checks, and agreement with the exact solver."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.utils.estimator_checks import check_estimator, check_sample_weight_equivalence_on_dense_data

from slopefit import LinearRegressor
from slopefit.data.datasets import make_synthetic


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")  # array-API check needs SCIPY_ARRAY_API
@pytest.mark.parametrize("solver", [pytest.param("gd", marks=pytest.mark.slow), "exact"])  # gd: ~5 s of checks
def test_passes_scikit_learn_checks(solver):
    # no check is expected to fail: the underdetermined ones (30 features on 15 rows) get the minimum-norm line
    results = check_estimator(LinearRegressor(solver=solver), on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert failed == []
    assert not any(r["status"] == "xfail" for r in results)
    assert len(results) > 40


@pytest.mark.parametrize("solver", ["gd", "exact"])
def test_weights_equal_repeated_rows_with_more_features_than_rows(solver):
    """scikit-learn's check_sample_weight_equivalence_on_dense_data, once refused: 30 features on 15
    rows, integer weights against repeated rows; both are the minimum-norm line of one problem."""
    check_sample_weight_equivalence_on_dense_data("LinearRegressor", LinearRegressor(solver=solver))


@pytest.mark.parametrize("scaling", ["standardize", "center", "none"])
@pytest.mark.parametrize("solver", ["gd", "exact"])
def test_wide_table_gets_the_minimum_norm_line_of_its_scaling(solver, scaling):
    """The first 5 rows of diabetes (10 features): the minimum-norm least-squares line in the units
    of ``scaling``, against numpy: lstsq on standardized or centered columns, pinv of [X, 1]."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    X, y = X[:5], y[:5]
    mean = X.mean(axis=0)
    if scaling == "none":
        theta = np.linalg.pinv(np.column_stack([X, np.ones(5)])) @ y
        coef, intercept = theta[:-1], theta[-1]
    else:
        spread = X.std(axis=0) if scaling == "standardize" else np.ones(X.shape[1])
        w = np.linalg.lstsq((X - mean) / spread, y - y.mean(), rcond=None)[0]
        coef, intercept = w / spread, y.mean() - mean @ (w / spread)
    est = LinearRegressor(solver=solver, scaling=scaling).fit(X, y)
    # the 5 x 11 design has 5 singular values within a factor ~10 of each other: the exact solvers
    # agree to ~1e-14; gradient descent stops at 1e-9 of the coefficients' scale, hence 1e-7
    scale = np.abs(coef).max()
    np.testing.assert_allclose(est.coef_, coef, rtol=0, atol=1e-7 * scale)
    assert est.intercept_ == pytest.approx(intercept, rel=1e-7)
    np.testing.assert_allclose(est.predict(X), y, rtol=1e-7)  # 5 rows, 11 parameters: every row on the line
    assert est.note_.startswith("least squares has many answers (5 rows for 11 parameters")
    assert LinearRegressor(solver=solver).fit(X[:, :3], y).note_ is None  # 5 rows, 4 parameters: unique


@pytest.mark.parametrize("solver, engine", [("gd", "stats"), ("gd", "data"), ("exact", "auto")])
def test_agrees_with_scikit_learn(solver, engine):
    data = make_synthetic(300, 4, seed=6, offset=10.0)
    ours = LinearRegressor(solver=solver, dtype="float64", engine=engine).fit(data.X, data.y)
    ref = LinearRegression().fit(data.X, data.y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-6)
    assert ours.score(data.X, data.y) == pytest.approx(ref.score(data.X, data.y), rel=1e-9)


def test_fitted_attributes_and_feature_names():
    import pandas as pd

    frame = pd.DataFrame({"height": [166.0, 176, 171, 173, 169], "age": [30.0, 41, 25, 35, 28]})
    y = np.array([58.7, 75.7, 62.1, 70.4, 60.1])
    est = LinearRegressor(lr=0.01, epochs=500).fit(frame, y)
    assert est.n_features_in_ == 2
    assert list(est.feature_names_in_) == ["height", "age"]
    assert est.n_iter_ == 500 and est.history_.epochs[-1] == 500
    exact = LinearRegressor(solver="exact").fit(frame, y)
    np.testing.assert_allclose(est.coef_, exact.coef_, rtol=1e-4)


def test_clone_pickle_and_params():
    est = LinearRegressor(optimizer="adam", lr=0.1, epochs=50)
    assert clone(est).get_params() == est.get_params()
    data = make_synthetic(50, 2, seed=1)
    with pytest.warns(ConvergenceWarning, match="did not converge"):  # 50 epochs of adam: short on purpose
        est.fit(data.X, data.y)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(data.X), est.predict(data.X))
    est.set_params(lr=0.2)
    assert est.lr == 0.2


def test_bad_parameters_are_reported_at_fit():
    X, y = np.array([[1.0], [2.0], [3.0]]), np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="solver must be one of gd, exact"):
        LinearRegressor(solver="qr").fit(X, y)
    with pytest.raises(ValueError, match="learning rate must be a positive number"):
        LinearRegressor(lr=-1).fit(X, y)


def test_missing_scikit_learn_is_explained(monkeypatch):
    import sys

    import slopefit

    monkeypatch.setitem(sys.modules, "sklearn", None)  # an import of sklearn now fails
    monkeypatch.delitem(sys.modules, "slopefit.train.estimator", raising=False)
    monkeypatch.delitem(sys.modules, "sklearn.base", raising=False)
    with pytest.raises(ImportError, match=r"needs scikit-learn: pip install 'slopefit\[sklearn\]'"):
        slopefit.LinearRegressor  # noqa: B018
