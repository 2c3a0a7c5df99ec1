"""Columns near the ends of float64: fitted where their squares fit (1e-145 to 1e154, scaled to
statsmodels' answer on rescaled data), refused in one line naming the column and the factor beyond."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from slopefit.data.datasets import Dataset
from slopefit.errors import DataError
from slopefit.train.training import fit


def _table(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 2))  # (40, 2)
    y = X @ np.array([2.0, -1.0]) + 0.5 * rng.normal(size=40) + 3.0  # (40,)
    return X, y


@pytest.mark.parametrize("x_scale, y_scale", [(1e-140, 1.0), (1.0, 1e-140), (1e-100, 1e100), (1e150, 1e-100),
                                              (1.0, 1e150)])
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_large_and_small_columns_fit_as_their_rescaled_table(x_scale, y_scale):
    X, y = _table()
    scale = np.array([1.0, x_scale])  # the second feature in other units
    result = fit(Dataset(X=X * scale, y=y * y_scale, feature_names=("a", "b"), target_name="t", name="tab"))
    ref = sm.OLS(y, sm.add_constant(X)).fit()  # the same table in units near 1
    # the answer scales exactly: coef_j * x_scale_j / y_scale is the rescaled table's; cond([X, 1]) ~ 1.3,
    # so both solvers keep ~1e-15 and the automatic run stops at 1e-9 of each coefficient
    np.testing.assert_allclose(result.exact.coef * scale / y_scale, ref.params[1:], rtol=1e-10)
    np.testing.assert_allclose(result.coef * scale / y_scale, ref.params[1:], rtol=1e-7)
    assert result.exact.intercept / y_scale == pytest.approx(ref.params[0], rel=1e-10)
    assert result.summary().r2 == pytest.approx(ref.rsquared, rel=1e-10)


@pytest.mark.parametrize("x_scale, y_scale, message", [
    ((1.0, 1e200), 1.0, r"feature 'b' of tab has values near 2\.\d+e\+200, too large to square in float64; "
                        r"divide it by 1e\+101"),
    ((1.0, 1.0), 1e200, r"target 't' of tab has values near .*e\+200, too large to square in float64; divide"),
    ((1.0, 1e-200), 1.0, r"feature 'b' of tab varies only by 4\.\d+e-200, too little to square in float64; "
                         r"multiply it by 1e\+200"),
    ((1.0, 1.0), 1e-200, r"target 't' of tab has values near .*e-200, too little to square in float64; multiply"),
])
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_columns_beyond_the_squares_of_float64_are_named_with_the_factor(x_scale, y_scale, message):
    X, y = _table()
    with pytest.raises(DataError, match=message):
        fit(Dataset(X=X * np.array(x_scale), y=y * y_scale, feature_names=("a", "b"), target_name="t", name="tab"))


def test_the_suggested_factor_makes_the_table_fit():
    X, y = _table()
    big = X * np.array([1.0, 1e200])
    with pytest.raises(DataError) as refused:
        fit(Dataset(X=big, y=y, feature_names=("a", "b"), target_name="t", name="tab"))
    factor = float(str(refused.value).split("divide it by ")[1].split()[0])
    result = fit(Dataset(X=big / np.array([1.0, factor]), y=y, feature_names=("a", "b"), target_name="t"))
    ref = np.linalg.lstsq(np.column_stack([X, np.ones(40)]), y, rcond=None)[0]
    # the column is now X_b * 1e200 / factor: its coefficient is ref * factor / 1e200 (cond ~1.3, 1e-9 stop)
    np.testing.assert_allclose(result.coef[1] * 1e200 / factor, ref[1], rtol=1e-7)
