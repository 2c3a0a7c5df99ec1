"""The OLS summary and intervals against statsmodels, computed independently on the rows."""

from __future__ import annotations

import re

import numpy as np
import pytest
import statsmodels.api as sm

from slopefit.data.datasets import Dataset, make_synthetic
from slopefit.data.sources import builtin
from slopefit.solve.accumulation import compute_stats
from slopefit.solve.inference import summarize
from slopefit.train.config import TrainConfig
from slopefit.train.training import fit

CASES = {
    "height-weight": lambda: builtin("height-weight"),
    "synthetic-3-offsets": lambda: make_synthetic(200, 3, noise=2.0, seed=18, offset=100.0),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_summary_of_the_exact_line_matches_statsmodels(case, fit_intercept):
    data = CASES[case]()
    design = sm.add_constant(data.X, prepend=False) if fit_intercept else data.X
    ols = sm.OLS(data.y, design).fit()
    stats = compute_stats([(data.X, data.y)], data.n_features)
    summary = summarize(stats, ols.params[:data.n_features], ols.params[-1] if fit_intercept else 0.0,
                        fit_intercept=fit_intercept)
    np.testing.assert_allclose(summary.std_err, ols.bse, rtol=1e-7)
    np.testing.assert_allclose(summary.t, ols.tvalues, rtol=1e-7)
    np.testing.assert_allclose(summary.p_value, ols.pvalues, rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(np.column_stack([summary.ci_low, summary.ci_high]), ols.conf_int(), rtol=1e-7)
    assert summary.r2 == pytest.approx(ols.rsquared, rel=1e-9)
    assert summary.adj_r2 == pytest.approx(ols.rsquared_adj, rel=1e-9)
    assert summary.f_stat == pytest.approx(ols.fvalue, rel=1e-7)
    assert summary.f_p_value == pytest.approx(ols.f_pvalue, rel=1e-6, abs=1e-300)
    assert summary.sigma == pytest.approx(np.sqrt(ols.scale), rel=1e-9)
    assert summary.dof_resid == ols.df_resid


def test_intervals_for_new_rows_match_statsmodels():
    data = builtin("hours-ability")
    noisy = data.y + np.array([0.5, -1.0, 0.7])  # the lesson's data lie on a line; give them residuals
    ols = sm.OLS(noisy, sm.add_constant(data.X, prepend=False)).fit()
    stats = compute_stats([(data.X, noisy)], 1)
    summary = summarize(stats, ols.params[:1], ols.params[1])
    new = np.array([[2.5], [4.0]])
    yhat, c_lo, c_hi, p_lo, p_hi = summary.interval(new, ols.params[:1], ols.params[1])
    frame = ols.get_prediction(sm.add_constant(new, prepend=False, has_constant="add")).summary_frame(alpha=0.05)
    np.testing.assert_allclose(yhat, frame["mean"], rtol=1e-10)
    np.testing.assert_allclose(c_lo, frame["mean_ci_lower"], rtol=1e-8)
    np.testing.assert_allclose(c_hi, frame["mean_ci_upper"], rtol=1e-8)
    np.testing.assert_allclose(p_lo, frame["obs_ci_lower"], rtol=1e-8)
    np.testing.assert_allclose(p_hi, frame["obs_ci_upper"], rtol=1e-8)
    assert (p_hi - p_lo > c_hi - c_lo).all()  # a new value is less certain than the mean
    assert c_hi[1] - c_lo[1] > c_hi[0] - c_lo[0]  # 4 hours lies outside 1-3: a wider interval


def test_an_unconverged_fit_is_summarised_at_the_least_squares_optimum():
    """The summary means what its header says: statsmodels' OLS, whatever gradient descent reached."""
    data = make_synthetic(300, 2, seed=19, offset=5.0)
    result = fit(data, TrainConfig(lr=0.05, options={"momentum": 0.9}, epochs=40))  # stopped early on purpose
    assert result.relative_gap > 1e-3
    summary = result.summary()
    ols = sm.OLS(data.y, sm.add_constant(data.X, prepend=False)).fit()
    np.testing.assert_allclose(summary.coef, ols.params, rtol=1e-9)
    np.testing.assert_allclose(summary.std_err, ols.bse, rtol=1e-6)
    assert summary.sigma == pytest.approx(np.sqrt(ols.scale), rel=1e-9)
    assert summary.rss == pytest.approx(ols.ssr, rel=1e-9)


def test_model_files_give_intervals_and_flag_extrapolation(tmp_path):
    from slopefit.views.persistence import load_model, model_from_result, save_model

    data = make_synthetic(50, 1, noise=1.0, seed=20)
    result = fit(data, TrainConfig(lr=0.1, options={"momentum": 0.9}, epochs=300, dtype="float64"))
    model = load_model(save_model(model_from_result(result), tmp_path / "m.json"))
    inside, outside = float(data.X.mean()), float(data.X.max()) + 5
    X = np.array([[inside], [outside]])
    got = model.interval(X)
    want = result.summary().interval(X, result.coef, result.intercept)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    assert model.outside_range(X, per_feature=True)[:, 0].tolist() == [False, True]
    assert model.outside_range(X).tolist() == [False, True]  # one flag a row


def test_a_near_exact_line_gets_its_sigma_from_the_residual_pass():
    """y = 2x + 1 + 1e-6 noise on x = 1000..2999: n * stats.loss cancels (sigma 3e-3 instead of
    1e-6); the RSS from a residual pass at the exact line gives statsmodels' sigma."""
    from slopefit.solve.exact import solve_exact
    from slopefit.solve.refinement import residual_sum_of_squares

    x = np.arange(1000.0, 3000.0)
    X = x[:, None]
    y = 2 * x + 1 + 1e-6 * np.random.default_rng(0).standard_normal(len(x))
    ols = sm.OLS(y, sm.add_constant(X, prepend=False)).fit()
    exact = solve_exact(X, y)
    stats = compute_stats([(X, y)], 1)
    rss = residual_sum_of_squares((X, y), exact.coef, exact.intercept)
    summary = summarize(stats, exact.coef, exact.intercept, rss=rss)
    assert summary.sigma == pytest.approx(np.sqrt(ols.scale), rel=0.01)
    assert summary.rss == rss
    np.testing.assert_allclose(summary.std_err, ols.bse, rtol=0.01)
    assert summary.reason is None


def two_row_fit():
    from slopefit.data.datasets import Dataset

    data = Dataset(X=np.array([[1.0], [2.0]]), y=np.array([3.0, 5.0]), feature_names=("x",), target_name="y")
    return fit(data, TrainConfig(lr=0.1, epochs=50, dtype="float64"))


NO_DOF = r"no residual degrees of freedom \(2 rows, 2 parameters\): intervals need more rows than parameters"


def test_no_residual_degrees_of_freedom_give_nan_and_a_reason():
    summary = two_row_fit().summary()
    assert summary.dof_resid == 0
    for value in (summary.sigma, summary.f_stat, summary.f_p_value, summary.adj_r2):
        assert np.isnan(value)
    for values in (summary.std_err, summary.t, summary.p_value, summary.ci_low, summary.ci_high):
        assert np.isnan(values).all()
    assert summary.r2 == pytest.approx(1.0)  # two points lie on their line
    assert re.fullmatch(NO_DOF, summary.reason)
    yhat, *bounds = summary.interval(np.array([[1.5]]), np.array([2.0]), 1.0)
    assert yhat[0] == pytest.approx(4.0) and all(np.isnan(b).all() for b in bounds)


def test_a_saved_two_row_model_gives_nan_intervals(tmp_path):
    import json

    from slopefit.views.persistence import load_model, model_from_result, save_model

    path = save_model(model_from_result(two_row_fit()), tmp_path / "two.json")
    assert json.loads(path.read_text())["inference"]["sigma"] is None  # JSON has no NaN
    model = load_model(path)
    X = np.array([[1.5], [4.0]])
    yhat, *bounds = model.interval(X)
    np.testing.assert_allclose(yhat, model.predict(X), rtol=1e-15)
    np.testing.assert_allclose(yhat, [4.0, 9.0], rtol=1e-3)  # near the line through (1, 3) and (2, 5)
    assert all(np.isnan(b).all() for b in bounds)
    assert re.fullmatch(NO_DOF, model.interval_reason)


def test_fit_on_a_near_exact_line_reports_statsmodels_residual_error():
    """x = 1000..2999, y = 2x + 1 + 1e-6 noise: the summary of a fit gets sigma from the residuals."""
    rng = np.random.default_rng(7)
    x = np.arange(1000.0, 3000.0)
    y = 2 * x + 1 + 1e-6 * rng.standard_normal(x.size)
    result = fit(Dataset(X=x[:, None], y=y, feature_names=("x",), target_name="y"))
    ols = sm.OLS(y, sm.add_constant(x[:, None], prepend=False)).fit()
    assert result.summary().sigma == pytest.approx(np.sqrt(ols.scale), rel=1e-2)


def test_predict_interval_on_a_model_with_no_residual_dof(run_cli, write_csv, tmp_path):
    model = tmp_path / "two.json"
    path = write_csv("x,y\n1,3\n2,5\n")
    fitted = run_cli("fit", path, "--save", model)
    assert fitted.code == 0, fitted.err
    assert "no residual degrees of freedom (2 rows, 2 parameters)" in fitted.out
    run = run_cli("predict", model, "1.5", "--interval")
    assert run.code == 0 and "Traceback" not in run.err
    assert "no residual degrees of freedom" in run.err
    assert "nan" in run.out.lower()


def test_a_constant_target_has_no_f_statistic_as_statsmodels_says():
    import warnings

    import statsmodels.api as sm

    from slopefit.data.datasets import Dataset
    from slopefit.train.training import fit

    x = np.arange(1.0, 7.0)
    data = Dataset(X=x[:, None], y=np.full(6, 5.0), feature_names=("x",), target_name="y")
    summary = fit(data).summary()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels divides 0 by 0 here, and says so
        ols = sm.OLS(data.y, sm.add_constant(x)).fit()
        r2 = ols.rsquared  # computed on first access: inside the block
    # by hand: TSS = sum (y - mean y)^2 = 0, so R^2 = 1 - RSS/TSS and F = ((TSS - RSS)/1) / (RSS/4) are 0/0;
    # statsmodels divides the rounding of RSS by 0 (R^2 -inf here, F a finite number from rounding)
    assert float(np.sum((data.y - data.y.mean()) ** 2)) == 0.0 and not np.isfinite(r2)
    assert np.isnan(summary.r2) and np.isnan(summary.f_stat) and np.isnan(summary.f_p_value)
    assert "the target is constant" in str(summary) and "inf on" not in str(summary)
