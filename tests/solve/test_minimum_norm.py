"""Many least-squares answers: the minimum-norm one in the run's scaled units, against numpy and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from slopefit.data.datasets import Dataset
from slopefit.solve.accumulation import compute_stats
from slopefit.solve.minimum_norm import minimum_norm, minimum_norm_on_rows, nonunique_note
from slopefit.solve.preparation import reference_solution
from slopefit.train.config import TrainConfig
from slopefit.train.plan import plan_fit
from slopefit.train.training import fit


def _numpy_minimum_norm(X: np.ndarray, y: np.ndarray, scaling: str) -> tuple[np.ndarray, float]:
    """The oracle: numpy's pinv of the design the optimizer sees, [(X - mean) / scale, 1], mapped back."""
    mean = X.mean(axis=0) if scaling != "none" else np.zeros(X.shape[1])
    scale = X.std(axis=0) if scaling == "standardize" else np.ones(X.shape[1])
    y_mean = y.mean() if scaling != "none" else 0.0
    theta = np.linalg.pinv(np.column_stack([(X - mean) / scale, np.ones(len(X))])) @ (y - y_mean)
    coef = theta[:-1] / scale
    return coef, theta[-1] + y_mean - mean @ coef


def _longley_with_copy() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Longley (statsmodels) with GNP2 = 2 GNP: rank 6 of 7 features, 16 rows."""
    frame = sm.datasets.longley.load_pandas().data
    X = frame.drop(columns="TOTEMP")
    X["GNP2"] = 2 * X["GNP"]
    return X.to_numpy(dtype=float), frame["TOTEMP"].to_numpy(dtype=float), tuple(X.columns)


@pytest.mark.parametrize("scaling", ["standardize", "center", "none"])
def test_plan_reference_is_numpys_minimum_norm_in_the_scaled_units(scaling):
    X, y, names = _longley_with_copy()
    plan = plan_fit(Dataset(X=X, y=y, feature_names=names, target_name="TOTEMP"), TrainConfig(scaling=scaling))
    coef, intercept = _numpy_minimum_norm(X, y, scaling)
    # longley's 6 independent standardized columns have cond ~ 4e3 (scaled [X, 1] up to ~1e9 with
    # "none": YEAR ~ 1950 beside the constant); numpy's pinv keeps ~cond * 1e-16 of each
    cond = np.linalg.cond(np.column_stack([X[:, :6] - X[:, :6].mean(axis=0), np.ones(16)]))
    tol = max(cond * 1e-15, 1e-12)
    np.testing.assert_allclose(plan.ols.coef, coef, rtol=tol, atol=tol * np.abs(coef).max())
    assert plan.ols.intercept == pytest.approx(intercept, rel=tol)
    assert plan.ols.nonunique == "features GNP, GNP2 are collinear: rank 6 of 7" and plan.ols.space == scaling


def test_rows_and_statistics_give_the_same_minimum_norm_line():
    """The reference from the rows (an SVD of the centered design) is numpy's lstsq; the statistics'
    one (a projection of the normal equations' answer) agrees to the digits the projection keeps."""
    X, y, _ = _longley_with_copy()
    stats = compute_stats([(X, y)], X.shape[1])
    scaler = stats.scaler("center")
    coef, intercept = _numpy_minimum_norm(X, y, "center")
    from_rows = minimum_norm_on_rows(X, y, scaler, why="copy")
    # cond of the centered longley design without the copy ~ 1e5 (YEAR 4.6 beside GNP 99 in spread):
    # both SVDs keep ~cond * 1e-16
    np.testing.assert_allclose(from_rows.coef, coef, rtol=1e-10, atol=1e-10 * np.abs(coef).max())
    assert from_rows.intercept == pytest.approx(intercept, rel=1e-10)
    from_stats = minimum_norm(stats.solve(), stats, scaler, why="copy")
    # the null vector from the unit-diagonal eigenproblem is good to eps / gap ~ 2e-13 (gap 5.7e-4);
    # in centered units its error on YEAR is ~2e-9 and meets YEAR's slope 1829: ~4e-6 on a shift of
    # ~1e-2 along (GNP, GNP2), so about 1e-3 of those two coefficients (an order of magnitude: the
    # Gram's rounding depends on the BLAS's summation order, 1.0e-3 and 1.5e-3 measured), the rest far better
    np.testing.assert_allclose(from_stats.coef, coef, rtol=5e-3)
    np.testing.assert_allclose(np.delete(from_stats.coef, [1, 6]), np.delete(coef, [1, 6]), rtol=1e-6)
    np.testing.assert_allclose(from_stats.coef[[0, 2, 3, 4, 5]], coef[[0, 2, 3, 4, 5]], rtol=1e-7)


def test_summary_matches_statsmodels_where_the_line_is_one_of_many():
    """What is unique (fitted values, R², sigma, F and its degrees of freedom) equals statsmodels'
    OLS (pinv, df_model = rank - 1); the note says which line was chosen."""
    X, y, names = _longley_with_copy()
    result = fit(Dataset(X=X, y=y, feature_names=names, target_name="TOTEMP", name="longley+GNP2"))
    with pytest.warns(UserWarning, match="rank-deficient"):  # statsmodels says so too, then uses pinv
        ref = sm.OLS(y, sm.add_constant(X)).fit()
    summary = result.summary()
    # the fitted values are unique; cond(longley) ~ 4e3 in standardized units, the run stops at 1e-9
    np.testing.assert_allclose(result.exact.predict(X), ref.fittedvalues, rtol=1e-9)
    assert (summary.dof_model, summary.dof_resid) == (int(ref.df_model), int(ref.df_resid)) == (6, 9)
    assert summary.r2 == pytest.approx(ref.rsquared, rel=1e-10)
    assert summary.sigma == pytest.approx(np.sqrt(ref.scale), rel=1e-8)
    assert summary.f_stat == pytest.approx(ref.fvalue, rel=1e-7)
    assert nonunique_note(result.exact) in summary.notes()


def test_full_rank_is_left_alone():
    X, y, _ = _longley_with_copy()
    X = X[:, :6]
    stats = compute_stats([(X, y)], 6)
    solution = reference_solution(Dataset(X=X, y=y, feature_names=tuple("abcdef"), target_name="y"), stats=stats)
    assert solution.nonunique is None and nonunique_note(solution) is None
    assert minimum_norm(solution, stats, stats.scaler("none")) is solution


def test_no_intercept_wide_table_is_numpys_pinv():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(4, 9)), rng.normal(size=4)
    result = fit(Dataset(X=X, y=y, feature_names=tuple(f"x{j}" for j in range(9)), target_name="y"),
                 TrainConfig(fit_intercept=False, scaling="none"))
    # 4 Gaussian rows: singular values within a factor ~5; the run stops at 1e-9 of the coefficients
    want = np.linalg.pinv(X) @ y
    np.testing.assert_allclose(result.coef, want, rtol=0, atol=1e-7 * np.abs(want).max())
    assert result.exact.nonunique == "4 rows for 9 parameters: 9 features"
