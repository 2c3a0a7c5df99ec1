"""Sample weights: weighted least squares equal to statsmodels' WLS on grunfeld, weighted ridge and
lasso equal to scikit-learn's with sample_weight, the weighted statistics pass, bad weights named."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.linear_model import Lasso, Ridge

from slopefit.data.datasets import Dataset, check_weights
from slopefit.data.weights import load_weighted
from slopefit.errors import DataError
from slopefit.solve.accumulation import compute_stats
from slopefit.solve.exact import weighted_exact
from slopefit.solve.penalties import Penalty
from slopefit.train.config import TrainConfig
from slopefit.train.estimator import LinearRegressor
from slopefit.train.training import fit


def _grunfeld():
    frame = sm.datasets.grunfeld.load_pandas().data
    X = frame[["value", "capital"]].to_numpy(dtype=np.float64)
    y = frame["invest"].to_numpy(dtype=np.float64)
    w = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    w[[3, 50]] = 0.0  # rows that count for nothing (statsmodels still counts them in nobs)
    return X, y, w


def _dataset(X, y, w) -> Dataset:
    return Dataset(X=X, y=y, feature_names=("value", "capital"), target_name="invest", weights=w, weights_name="w")


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_summary_equals_statsmodels_wls(fit_intercept):
    X, y, w = _grunfeld()
    exog = sm.add_constant(X, prepend=False) if fit_intercept else X
    ref = sm.WLS(y, exog, weights=w).fit()
    result = fit(_dataset(X, y, w), TrainConfig(fit_intercept=fit_intercept))
    s = result.summary()
    np.testing.assert_allclose(s.coef, ref.params, rtol=1e-6)
    np.testing.assert_allclose(s.std_err, ref.bse, rtol=1e-6)
    np.testing.assert_allclose(s.t, ref.tvalues, rtol=1e-6)
    np.testing.assert_allclose(s.p_value, ref.pvalues, rtol=1e-6, atol=1e-300)
    assert s.n == ref.nobs == len(y) and s.dof_resid == ref.df_resid
    assert s.sigma == pytest.approx(np.sqrt(ref.scale), rel=1e-6)
    assert s.r2 == pytest.approx(ref.rsquared, rel=1e-6)
    assert s.adj_r2 == pytest.approx(ref.rsquared_adj, rel=1e-6)
    assert s.f_stat == pytest.approx(ref.fvalue, rel=1e-6)
    # gradient descent reached the weighted optimum, and its loss is the weighted MSE
    params = np.append(result.coef, result.intercept) if fit_intercept else result.coef
    np.testing.assert_allclose(params, ref.params, rtol=1e-7)
    assert result.final_loss == pytest.approx(ref.ssr / w.sum(), rel=1e-9)
    assert "WLS at the exact optimum" in str(s)


def test_weighted_exact_on_rows_equals_statsmodels():
    X, y, w = _grunfeld()
    ref = sm.WLS(y, sm.add_constant(X, prepend=False), weights=w).fit()
    sol = weighted_exact(X, y, w)
    np.testing.assert_allclose(np.append(sol.coef, sol.intercept), ref.params, rtol=1e-10)


def test_weighted_statistics_pass_equals_numpy():
    """The pass's weighted sums: chunk by chunk, row- and column-major, against numpy's."""
    X, y, w = _grunfeld()
    whole = compute_stats([(X, y, w)], 2)
    chunks = compute_stats([(np.asfortranarray(X[:100]), y[:100], w[:100]), (X[100:], y[100:], w[100:])], 2,
                           chunk_rows=64)
    total = w.sum()
    x_mean = w @ X / total
    cxx = (X - x_mean).T @ ((X - x_mean) * w[:, None])
    for stats in (whole, chunks):
        assert stats.weighted and stats.n == len(y) and stats.total == pytest.approx(total, rel=1e-14)
        np.testing.assert_allclose(stats.x_mean, x_mean, rtol=1e-12)
        np.testing.assert_allclose(stats.centered()[0], cxx, rtol=1e-11)


def test_weighted_ridge_and_lasso_equal_scikit_learn():
    X, y, w = _grunfeld()
    for penalty, ref in ((Penalty("ridge", 5000.0), Ridge(alpha=5000.0, solver="svd")),
                         (Penalty("lasso", 20.0), Lasso(alpha=20.0, tol=1e-14, max_iter=1_000_000))):
        ref.fit(X, y, sample_weight=w)
        result = fit(_dataset(X, y, w), TrainConfig(penalty=penalty))
        for coef, intercept in ((result.exact.coef, result.exact.intercept), (result.coef, result.intercept)):
            np.testing.assert_allclose(coef, ref.coef_, rtol=1e-5)
            assert intercept == pytest.approx(ref.intercept_, rel=1e-5)


def test_integer_weights_equal_repeated_rows():
    """A weight of k is k copies of the row: an independent way to the same line (with weights of 0 and 1
    for the rows left out and kept)."""
    X, y, _ = _grunfeld()
    k = np.random.default_rng(3).integers(0, 4, len(y))
    repeated = fit(Dataset(X=np.repeat(X, k, axis=0), y=np.repeat(y, k), feature_names=("value", "capital"),
                           target_name="invest"))
    weighted = fit(_dataset(X, y, k.astype(float)))
    np.testing.assert_allclose(weighted.exact.coef, repeated.exact.coef, rtol=1e-10)
    assert weighted.exact.loss == pytest.approx(repeated.exact.loss, rel=1e-10)


def test_estimator_sample_weight():
    X, y, w = _grunfeld()
    ref = sm.WLS(y, sm.add_constant(X, prepend=False), weights=w).fit()
    for solver in ("gd", "exact"):
        model = LinearRegressor(solver=solver).fit(X, y, sample_weight=w)
        np.testing.assert_allclose(np.append(model.coef_, model.intercept_), ref.params, rtol=1e-7)
    ref_ridge = Ridge(alpha=5000.0).fit(X, y, sample_weight=w)
    model = LinearRegressor(penalty="ridge", alpha=5000.0).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model.coef_, ref_ridge.coef_, rtol=1e-5)


@pytest.mark.parametrize("weights, message", [
    ([1.0, -2.0, 1.0, -0.5], r"weights 'w' of t.csv are negative in rows 2, 4 \(data rows, header not counted\) "
                             r"\(first: -2\); weights must be >= 0"),
    ([1.0, np.nan, 1.0, 1.0], r"weights 'w' of t.csv have NaN or infinite values in row 2 "),
    ([0.0, 0.0, 0.0, 0.0], r"weights 'w' of t.csv sum to 0: no row counts"),
    (["a", "b", "c", "d"], r"weights 'w' of t.csv must be numbers"),
    ([1.0, 2.0], r"weights 'w' have 2 values for 4 rows"),
])
def test_bad_weights(weights, message):
    with pytest.raises(DataError, match=message):
        check_weights(np.array(weights), name="w", label="t.csv", n_rows=4)


def test_weight_column_is_not_a_feature(write_csv):
    path = write_csv("a,w,b,y\n1,1,2,3\n2,2,1,5\n3,1,5,6\n4,3,2,9\n5,1,4,9\n")
    ds = load_weighted(path, weights="w")
    assert ds.feature_names == ("a", "b") and ds.target_name == "y"
    np.testing.assert_array_equal(ds.weights, [1, 2, 1, 3, 1])
    ds = load_weighted(path, weights="w", x=["b"], y="a")
    assert ds.feature_names == ("b",) and ds.target_name == "a"
    np.testing.assert_array_equal(ds.y, [1, 2, 3, 4, 5])
