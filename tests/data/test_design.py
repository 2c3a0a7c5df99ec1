"""Categories and formulas (slopefit.data.design) against statsmodels' formula API on its own grunfeld data."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import slopefit as sf
from slopefit.data.design import Design, design_dataset
from slopefit.errors import ConfigError, DataError

sm = pytest.importorskip("statsmodels.api")
smf = pytest.importorskip("statsmodels.formula.api")

RTOL = 1e-6  # the bound; the exact solver keeps ~13 digits here, gradient descent stops at 1e-9
FIRMS = ['American Steel', 'Atlantic Refining', 'Chrysler', 'Diamond Match', 'General Electric', 'General Motors',
         'Goodyear', 'IBM', 'US Steel', 'Union Oil', 'Westinghouse']


@pytest.fixture(scope="module")
def grunfeld():
    frame = sm.datasets.grunfeld.load_pandas().data
    frame["firm"] = frame["firm"].astype(object)
    return frame


def by_name(result) -> dict[str, tuple[float, float]]:
    """Summary (coefficient, standard error) by statsmodels' parameter names."""
    s = result.summary()
    return {statsmodels_name(n): (c, e) for n, c, e in zip(s.names, s.coef, s.std_err, strict=True)}


def statsmodels_name(name: str) -> str:
    """Our column name as statsmodels' formula names it: ``firm[T.IBM]`` is ``C(firm)[T.IBM]`` there."""
    return "Intercept" if name == "intercept" else re.sub(r"^firm\[", "C(firm)[", name)


def assert_equal_to_statsmodels(result, reference) -> float:
    ours = by_name(result)
    assert set(ours) == set(reference.params.index)
    worst = 0.0
    for name, (coef, se) in ours.items():
        np.testing.assert_allclose(coef, reference.params[name], rtol=RTOL, err_msg=name)
        np.testing.assert_allclose(se, reference.bse[name], rtol=RTOL, err_msg=name)
        worst = max(worst, abs(coef / reference.params[name] - 1), abs(se / reference.bse[name] - 1))
    # gradient descent too: an automatic run stops once every coefficient is within 1e-9 of the optimum,
    # relative to the coefficient or to sqrt(rows) standard errors where that is larger (convergence.py)
    for name, value in zip(result.feature_names, result.coef, strict=True):
        target, se = reference.params[statsmodels_name(name)], reference.bse[statsmodels_name(name)]
        assert abs(value - target) <= RTOL * abs(target) + 2e-9 * np.sqrt(reference.nobs) * se, name
    return worst


def test_text_column_by_default_equals_statsmodels_c_firm(grunfeld, tmp_path):
    grunfeld.to_csv(tmp_path / "g.csv", index=False)
    reference = smf.ols("invest ~ value + capital + C(firm)", grunfeld).fit()
    data = sf.load_dataset(tmp_path / "g.csv", x=["value", "capital", "firm"], y="invest")
    assert data.feature_names[2:] == tuple(f"firm[T.{f}]" for f in FIRMS[1:])
    assert data.design.describe("en") == ["firm: 11 levels, reference 'American Steel'"]
    assert data.design.describe("ko") == ["firm: 수준 11개, 기준 수준 'American Steel'"]
    result = sf.fit(data)
    assert_equal_to_statsmodels(result, reference)
    builtin = sf.fit("grunfeld")  # the shipped table, its default columns
    np.testing.assert_allclose(builtin.exact.coef, result.exact.coef, rtol=1e-12)


@pytest.mark.parametrize("formula", [
    "invest ~ value + capital + C(firm)",
    "invest ~ value + capital + C(firm) + I(value**2) + value:capital",
    "invest ~ value + capital + C(firm) - 1",
    "np.log(invest) ~ value + C(year)",
])
def test_formulas_equal_statsmodels(grunfeld, formula):
    reference = smf.ols(formula, grunfeld).fit()
    result = sf.fit(grunfeld, formula=formula)
    assert result.config.fit_intercept == ("Intercept" in reference.params.index)
    assert_equal_to_statsmodels(result, reference)


def test_predictions_with_text_levels_equal_statsmodels_through_the_model_file(grunfeld, tmp_path):
    formula = "invest ~ center(value) + capital + C(firm) + I(value**2) + value:capital"
    reference = smf.ols(formula, grunfeld).fit()
    path = sf.save_model(sf.model_from_result(sf.fit("grunfeld", formula=formula)), tmp_path / "m.json")
    model = sf.load_model(path)
    rows = grunfeld.iloc[[3, 47, 101, 219]]  # the centering keeps the whole table's mean
    np.testing.assert_allclose(model.predict(rows), reference.predict(rows), rtol=RTOL)
    cells = rows[["value", "capital", "firm"]].values.tolist()  # rows of the table's columns, text included
    np.testing.assert_allclose(model.predict(cells), reference.predict(rows), rtol=RTOL)
    frame = reference.get_prediction(rows).summary_frame(alpha=0.05)
    interval = model.interval(rows)
    np.testing.assert_allclose(interval.conf_low, frame["mean_ci_lower"], rtol=RTOL)
    np.testing.assert_allclose(interval.pred_high, frame["obs_ci_upper"], rtol=RTOL)
    again = Design.from_dict(json.loads(json.dumps(model.design.to_dict())))
    assert again == model.design and model.design.formula == formula


def test_model_file_round_trip_keeps_the_levels(tmp_path):
    result = sf.fit("grunfeld")
    model = sf.model_from_result(result)
    loaded = sf.load_model(sf.save_model(model, tmp_path / "m.json"))
    assert loaded.design.levels == {"firm": FIRMS} and loaded.design.inputs == ("value", "capital", "firm")
    assert loaded.feature_names == result.feature_names
    rows = {"value": [1000.0, 2500.0], "capital": [100.0, 800.0], "firm": ["IBM", "American Steel"]}
    expected = result.coef[0] * np.array(rows["value"]) + result.coef[1] * np.array(rows["capital"])
    expected += result.intercept + np.array([result.coef[result.feature_names.index("firm[T.IBM]")], 0.0])
    np.testing.assert_allclose(loaded.predict(rows), expected, rtol=1e-12)
    assert json.loads((tmp_path / "m.json").read_text())["design"]["levels"]["firm"] == FIRMS


def test_an_unseen_level_is_named_with_the_known_ones(tmp_path):
    model = sf.model_from_result(sf.fit("grunfeld"))
    with pytest.raises(DataError, match=r"^'firm' value 'Apple' was not seen when the model was fitted; known "
                                        r"levels: 'American Steel', 'Atlantic Refining', .*'Westinghouse'$"):
        model.predict([[1000.0, 100.0, "Apple"]])
    formula = sf.model_from_result(sf.fit("grunfeld", formula="invest ~ value + C(firm)"))
    with pytest.raises(DataError, match=r"^'firm' value 'Apple' was not seen"):
        formula.predict({"value": [1.0], "firm": ["Apple"]})


def test_formula_errors_are_one_line(grunfeld):
    with pytest.raises(DataError, match=r"^the formula names column 'nothere', which is not in DataFrame; "
                                        r"available columns: invest, value, capital, firm, year$"):
        sf.load_dataset(grunfeld, formula="invest ~ value + nothere")
    with pytest.raises(DataError, match="the formula names column 'nothere'"):  # inside a stateful transform
        sf.load_dataset(grunfeld, formula="invest ~ center(nothere)")
    with pytest.raises(ConfigError, match="^cannot read the formula 'invest ~ value \\+'"):
        sf.load_dataset(grunfeld, formula="invest ~ value +")
    with pytest.raises(ConfigError, match="has no target"):
        sf.load_dataset(grunfeld, formula="value + capital")
    with pytest.raises(ConfigError, match="not both"):
        sf.load_dataset(grunfeld, formula="invest ~ value", y="invest")
    with pytest.raises(ConfigError, match="write '- 1' in the formula"):
        sf.fit(grunfeld, sf.TrainConfig(fit_intercept=False), formula="invest ~ value")


def test_a_typo_in_numbers_is_not_a_category():
    import pandas as pd

    frame = pd.DataFrame({"x": ["1.5", "2", "tall", "4"], "y": [1.0, 2.0, 3.0, 4.5]})
    with pytest.raises(DataError, match="column 'x' in t is not numeric: 'tall' in row 3"):
        design_dataset(frame, label="t")
    codes = pd.DataFrame({"g": ["a", "a", "b", "b", "c"], "x": [1.0, 2, 3, 4, 6], "y": [1.0, 2, 3, 5, 4]})
    assert design_dataset(codes, label="t").feature_names == ("g[T.b]", "g[T.c]", "x")


def test_empty_cells_in_a_category_drop_like_statsmodels(grunfeld, tmp_path):
    frame = grunfeld.copy()
    frame.loc[[4, 90], "firm"] = None
    frame.loc[[17], "value"] = np.nan
    frame.to_csv(tmp_path / "holes.csv", index=False)
    with pytest.raises(DataError, match=r"holes.csv has empty or NaN cells: 'value' 1 \(row 18\), 'firm' 2 "
                                        r"\(rows 5, 91\)"):
        sf.load_dataset(tmp_path / "holes.csv", x=["value", "capital", "firm"], y="invest")
    data = sf.load_dataset(tmp_path / "holes.csv", x=["value", "capital", "firm"], y="invest", missing="drop")
    assert data.dropped_rows == 3 and data.n_samples == 217
    reference = smf.ols("invest ~ value + capital + C(firm)", frame.dropna(subset=["value", "firm"])).fit()
    np.testing.assert_allclose(sf.fit(data).exact.intercept, reference.params["Intercept"], rtol=RTOL)


def test_categories_in_parquet_and_in_a_large_file_are_read_whole(grunfeld, tmp_path, monkeypatch):
    from slopefit.solve import preparation

    grunfeld.to_parquet(tmp_path / "g.parquet")
    reference = smf.ols("invest ~ value + capital + C(firm) + year", grunfeld).fit()
    monkeypatch.setattr(preparation, "EXACT_ON_ROWS_MAX", 10)  # as if the table were large
    for path in (tmp_path / "g.parquet", tmp_path / "g.csv"):
        if path.suffix == ".csv":
            grunfeld.to_csv(path, index=False)
        data = preparation.open_data(path, y="invest")
        assert isinstance(data, sf.Dataset) and "firm[T.IBM]" in data.feature_names
        np.testing.assert_allclose(sf.fit(data).exact.intercept, reference.params["Intercept"], rtol=RTOL)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
@pytest.mark.parametrize("formula", [None, "invest ~ value + capital + C(firm) + I(value**2) + value:capital + "
                                           "C(year)"], ids=["columns", "formula"])
def test_categories_and_formulas_on_a_file_read_in_chunks(grunfeld, tmp_path, suffix, formula):
    from slopefit.solve.preparation import open_data

    path = tmp_path / f"g.{suffix}"
    grunfeld.to_csv(path, index=False) if suffix == "csv" else grunfeld.to_parquet(path)
    # chunks of 37 rows: the first holds only General Motors and US Steel; the levels come from a first pass
    source = open_data(path, stream=True, chunk_rows=37, **({"formula": formula} if formula else {"y": "invest"}))
    assert isinstance(source, sf.TableSource) and source.design.levels[("C(firm)" if formula else "firm")][0] == \
        "American Steel"
    reference = smf.ols(formula or "invest ~ value + capital + C(firm) + year", grunfeld).fit()
    result = sf.fit(source)
    exact = {statsmodels_name(n): c for n, c in zip(result.feature_names, result.exact.coef, strict=True)}
    # a file read in chunks is solved from its statistics refined by residual passes: about 16 - log10(cond)
    # digits; the formula with I(value**2) and 20 year levels has cond ~ 1e8 after standardizing
    rtol = 1e-9 if formula is None else 1e-6
    for name in reference.params.index.drop("Intercept"):
        np.testing.assert_allclose(exact[name], reference.params[name], rtol=rtol, err_msg=name)
    np.testing.assert_allclose(result.exact.intercept, reference.params["Intercept"], rtol=rtol)
    model = sf.model_from_result(result)
    np.testing.assert_allclose(model.predict(grunfeld.iloc[:40]), reference.predict(grunfeld.iloc[:40]), rtol=1e-6)
    whole = source.read_all()  # the same columns as the whole load
    assert whole.feature_names == sf.load_dataset(path, **({"formula": formula} if formula else
                                                           {"y": "invest"})).feature_names


def test_a_stateful_transform_on_a_file_read_in_chunks_says_how_to_proceed(grunfeld, tmp_path):
    from slopefit.solve.preparation import open_data

    grunfeld.to_csv(tmp_path / "g.csv", index=False)
    with pytest.raises(DataError, match=r"^the formula's center\(value\) takes the mean or spread of the whole "
                                        r"table, and g.csv is read in chunks .*read it whole \(stream=False\)"):
        open_data(tmp_path / "g.csv", stream=True, formula="invest ~ center(value) + C(firm)")
    with pytest.raises(DataError, match="^the formula names column 'nothere', which is not in g.csv"):
        open_data(tmp_path / "g.csv", stream=True, formula="invest ~ nothere")
