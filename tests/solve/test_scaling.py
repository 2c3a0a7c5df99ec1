"""Scaling round trips: data -> scaled -> original gives the input back."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from slopefit.errors import ConfigError
from slopefit.solve.scaling import Scaler

finite = st.floats(-1e4, 1e4, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(X=arrays(np.float64, (6, 2), elements=finite), coef=arrays(np.float64, 2, elements=finite),
       intercept=finite, method=st.sampled_from(["none", "center", "standardize"]))
def test_coefficients_round_trip(X, coef, intercept, method):
    y = X @ coef + intercept
    scaler = Scaler.fit(X, y, method)
    w_s, b_s = scaler.to_scaled(coef, intercept)
    back_coef, back_intercept = scaler.to_original(w_s, b_s)
    np.testing.assert_allclose(back_coef, coef, rtol=1e-9, atol=1e-9)
    assert back_intercept == pytest.approx(intercept, rel=1e-9, abs=1e-6)
    # a line in scaled units predicts the same as in original units
    scaled_pred = scaler.transform_X(X) @ w_s + b_s + scaler.y_mean
    np.testing.assert_allclose(scaled_pred, X @ coef + intercept, rtol=1e-8, atol=1e-6)


def test_center_is_the_lessons_centering():
    X = np.array([[166.0], [176.0], [171.0], [173.0], [169.0]])
    y = np.array([58.7, 75.7, 62.1, 70.4, 60.1])
    scaler = Scaler.fit(X, y, "center")
    np.testing.assert_allclose(scaler.transform_X(X)[:, 0], [-5, 5, 0, 2, -2])
    np.testing.assert_allclose(scaler.transform_y(y), [-6.7, 10.3, -3.3, 5.0, -5.3], atol=1e-12)


def test_standardize_gives_unit_variance_and_handles_constant_columns():
    X = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, 7.0], [6.0, 7.0]])
    scaler = Scaler.fit(X, np.zeros(4), "standardize")
    Z = scaler.transform_X(X)
    assert np.std(Z[:, 0]) == pytest.approx(1.0)
    assert scaler.x_scale[1] == 1.0 and np.all(Z[:, 1] == 0)


def test_no_shift_without_intercept():
    X = np.array([[1.0], [2.0], [4.0]])
    scaler = Scaler.fit(X, np.array([1.0, 2.0, 3.0]), "center", fit_intercept=False)
    assert scaler.x_mean[0] == 0.0 and scaler.y_mean == 0.0


def test_unknown_method():
    with pytest.raises(ConfigError, match="unknown scaling 'unit'"):
        Scaler.fit(np.ones((2, 1)), np.ones(2), "unit")
