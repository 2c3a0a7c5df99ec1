"""The scikit-learn estimator: the official checks, and agreement with the exact solver."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.utils.estimator_checks import check_estimator

from slopefit import LinearRegressor
from slopefit.data.datasets import make_synthetic


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")  # array-API check needs SCIPY_ARRAY_API
def test_passes_scikit_learn_checks():
    # that check fits 30 features on fewer distinct rows, which slopefit refuses (no unique line), weighted or not
    underdetermined = {"check_sample_weight_equivalence_on_dense_data": "fewer rows than parameters is an error"}
    results = check_estimator(LinearRegressor(), on_fail=None, expected_failed_checks=underdetermined)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert failed == []
    assert len(results) > 40


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
