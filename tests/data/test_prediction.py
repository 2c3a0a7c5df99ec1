"""New rows through the design (slopefit.data.prediction): a fit and a model file predict alike,
applying a formula's transforms and categories, checked against statsmodels' own predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import slopefit as sf
from slopefit.data.prediction import feature_rows, predict_rows
from slopefit.errors import DataError

sm = pytest.importorskip("statsmodels.api")
smf = pytest.importorskip("statsmodels.formula.api")

RTOL = 1e-6  # the bound; the automatic run stops with every coefficient within 1e-9 of the optimum


@pytest.fixture(scope="module")
def grunfeld():
    frame = sm.datasets.grunfeld.load_pandas().data
    frame["firm"] = frame["firm"].astype(object)
    return frame


@pytest.fixture(scope="module")
def formula_fit(grunfeld):
    formula = "invest ~ np.log(value) + capital + C(firm)"
    return sf.fit(grunfeld, formula=formula), smf.ols(formula, grunfeld).fit()


def test_a_result_and_its_model_predict_through_the_formula_like_statsmodels(formula_fit, grunfeld):
    result, ols = formula_fit
    rows = grunfeld.iloc[[0, 1, 25, 60, 130, 199]]  # several firms, so that the categories matter
    want = ols.predict(rows)
    got = result.predict(rows)
    assert isinstance(got, pd.Series) and list(got.index) == list(rows.index) and got.name == "invest"
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=RTOL)
    from_model = sf.model_from_result(result).predict(rows)
    np.testing.assert_allclose(from_model.to_numpy(), want.to_numpy(), rtol=RTOL)


def test_only_the_columns_the_formula_reads_are_needed(grunfeld):
    result = sf.fit(grunfeld, formula="invest ~ np.log(value)")
    want = smf.ols("invest ~ np.log(value)", grunfeld).fit().predict(grunfeld[["value"]].head(2))
    np.testing.assert_allclose(result.predict(grunfeld[["value"]].head(2)).to_numpy(), want.to_numpy(), rtol=RTOL)


def test_a_row_of_the_wrong_width_names_the_columns(grunfeld):
    result = sf.fit(grunfeld, formula="invest ~ np.log(value)")
    with pytest.raises(DataError, match=r"a row of 3 values, but the model reads 1 \(value\)"):
        result.predict(np.ones((2, 3)))


def test_a_missing_column_is_named(formula_fit, grunfeld):
    result, _ = formula_fit
    with pytest.raises(DataError, match=r"column 'capital' \(read by the model\) is not in the new rows"):
        result.predict(grunfeld[["value", "firm"]])


def test_without_a_design_rows_are_the_features_by_name_or_in_order():
    coef, intercept = np.array([2.0, -1.0]), 0.5
    frame = pd.DataFrame({"b": [1.0, 2.0], "a": [3.0, 4.0]}, index=[10, 11])
    got = predict_rows(frame, coef, intercept, design=None, feature_names=("a", "b"), target_name="y")
    np.testing.assert_allclose(got.to_numpy(), [2 * 3 - 1 + 0.5, 2 * 4 - 2 + 0.5], rtol=1e-15)  # by hand
    assert list(got.index) == [10, 11]
    with pytest.raises(DataError, match=r"have shape \(2, 3\), but the model reads rows of 2 feature\(s\) \(a, b\)"):
        feature_rows(np.ones((2, 3)), design=None, feature_names=("a", "b"))
    with pytest.raises(DataError, match=r"column 'a' \(read by the model\) is not in the new rows"):
        feature_rows({"b": [1.0]}, design=None, feature_names=("a", "b"))


def test_a_builtin_fit_predicts_arrays_as_before():
    result = sf.fit("height-weight")
    X = np.array([[160.0], [180.0]])
    np.testing.assert_allclose(result.predict(X), X @ result.coef + result.intercept, rtol=1e-15)
