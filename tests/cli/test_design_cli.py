"""Categories and formulas end to end: fit, predict, compare, sweep and datasets on grunfeld."""

from __future__ import annotations

import json

import numpy as np
import pytest

from slopefit.cli import main

sm = pytest.importorskip("statsmodels.api")
smf = pytest.importorskip("statsmodels.formula.api")


@pytest.fixture(scope="module")
def grunfeld():
    frame = sm.datasets.grunfeld.load_pandas().data
    frame["firm"] = frame["firm"].astype(object)
    return frame


def test_fit_grunfeld_by_default_announces_the_levels_and_writes_statsmodels_names(grunfeld, tmp_path, capsys):
    assert main(["fit", "grunfeld", "--y", "invest", "--json", str(tmp_path / "r.json"), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "firm: 11 levels, reference 'American Steel'"
    payload = json.loads((tmp_path / "r.json").read_text())
    reference = smf.ols("invest ~ value + capital + C(firm)", grunfeld).fit()
    assert list(payload["coef"]) == ["value", "capital", *(n.replace("C(firm)", "firm")
                                                           for n in reference.params.index[1:11 + 1 - 1])]
    assert payload["coef"]["firm[T.IBM]"] == pytest.approx(reference.params["C(firm)[T.IBM]"], rel=1e-6)
    std_err = dict(zip(payload["summary"]["names"], payload["summary"]["std_err"], strict=True))
    assert std_err["firm[T.IBM]"] == pytest.approx(reference.bse["C(firm)[T.IBM]"], rel=1e-6)
    assert std_err["intercept"] == pytest.approx(reference.bse["Intercept"], rel=1e-6)
    assert payload["design"]["levels"]["firm"][0] == "American Steel"
    assert main(["fit", "grunfeld", "--lang", "ko"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "firm: 수준 11개, 기준 수준 'American Steel'"


def test_fit_formula_then_predict_text_values_equals_statsmodels(grunfeld, tmp_path, capsys):
    formula = "invest ~ value + capital + C(firm) + I(value**2) + value:capital"
    model = tmp_path / "m.json"
    assert main(["fit", "grunfeld", "--formula", formula, "--save", str(model)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "C(firm): 11 levels, reference 'American Steel'"
    assert "I(value ** 2)" in out and "value:capital" in out
    reference = smf.ols(formula, grunfeld).fit()
    rows = grunfeld.iloc[[0, 66, 150]]
    values = [str(v) for row in rows[["value", "capital", "firm"]].values.tolist() for v in row]
    assert main(["predict", str(model), *values]) == 0
    predicted = [float(line) for line in capsys.readouterr().out.split()]
    np.testing.assert_allclose(predicted, reference.predict(rows), rtol=1e-6)
    rows.to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", str(model), "--csv", str(tmp_path / "new.csv")]) == 0
    np.testing.assert_allclose([float(v) for v in capsys.readouterr().out.split()], reference.predict(rows),
                               rtol=1e-6)
    assert main(["predict", str(model), "3000", "200", "IBM", "--interval"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:4] == ["value", "capital", "firm", "invest"]


@pytest.mark.parametrize("argv, code, message", [
    (["predict", "{model}", "3000", "200", "Apple"], 1,
     "slopefit: 'firm' value 'Apple' was not seen when the model was fitted; known levels: 'American Steel', "),
    (["predict", "{model}", "3000", "200"], 2, "do not fill whole rows of 3 columns (value, capital, firm)"),
    (["predict", "{model}", "3000", "lots", "IBM"], 2, "'lots' is not a number; give numeric values ('capital'"),
    (["fit", "grunfeld", "--formula", "invest ~ value + nothere"], 1,
     "slopefit: the formula names column 'nothere', which is not in grunfeld.csv; available columns: invest, "
     "value, capital, firm, year"),
    (["fit", "grunfeld", "--formula", "invest ~ value", "--x", "value"], 2, "--formula names the target"),
    (["fit", "grunfeld", "--formula", "invest ~ value", "--no-intercept"], 2, "write '- 1' in the formula"),
    (["fit", "grunfeld", "--formula", "invest ~ ~"], 2, "cannot read the formula"),
])
def test_bad_input_is_one_line(tmp_path, capsys, argv, code, message):
    model = tmp_path / "m.json"
    assert main(["fit", "grunfeld", "--save", str(model)]) == 0
    capsys.readouterr()
    assert main([a.replace("{model}", str(model)) for a in argv]) == code
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_compare_and_sweep_take_a_formula_without_an_intercept(grunfeld, tmp_path, capsys):
    formula = "invest ~ value + capital + C(firm) - 1"
    reference = smf.ols(formula, grunfeld).fit()
    assert main(["compare", "grunfeld", "--formula", formula, "--run", "sgd", "--run", "lbfgs",
                 "--plot", str(tmp_path)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith(("sgd", "lbfgs"))]
    assert len(rows) == 2 and all(line.rstrip().endswith("converged") and "not" not in line for line in rows)
    loss = float(rows[0].split()[-6])  # final loss: the MSE of the no-intercept optimum
    assert loss == pytest.approx(reference.ssr / reference.nobs, rel=5e-6)  # printed to 6 digits
    assert main(["sweep", "grunfeld", "--formula", formula, "--lr", "0.1,0.5", "--momentum", "0.9", "--epochs",
                 "400", "--plot", str(tmp_path)]) == 0
    assert "best: sgd lr=0.5 momentum=0.9" in capsys.readouterr().out


def test_datasets_lists_grunfeld_with_its_columns(capsys):
    assert main(["datasets", "--lang", "en"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("grunfeld"))
    assert "220" in line and "value, capital, firm -> invest" in line


def test_streamed_categories_fit_like_a_whole_load(grunfeld, tmp_path, capsys):
    grunfeld.to_csv(tmp_path / "g.csv", index=False)
    assert main(["fit", str(tmp_path / "g.csv"), "--y", "invest", "--stream", "--chunk-rows", "50",
                 "--json", str(tmp_path / "s.json")]) == 0
    assert "firm: 11 levels, reference 'American Steel'" in capsys.readouterr().out
    assert main(["fit", str(tmp_path / "g.csv"), "--y", "invest", "--json", str(tmp_path / "w.json")]) == 0
    streamed, whole = (json.loads((tmp_path / f"{k}.json").read_text()) for k in "sw")
    assert list(streamed["coef"]) == list(whole["coef"])
    reference = smf.ols("invest ~ value + capital + C(firm) + year", grunfeld).fit()
    assert streamed["exact"]["coef"]["firm[T.IBM]"] == pytest.approx(reference.params["C(firm)[T.IBM]"], rel=1e-9)


def test_lesson_part_categories_prints_exercise_3_alone(tmp_path, capsys):
    assert main(["lesson", "--part", "categories", "--lang", "en", "--out", str(tmp_path / "figs")]) == 0
    out = capsys.readouterr().out
    assert out.lstrip().startswith("== Exercise 3. Categories and a formula") and "01." not in out
    assert "firm: 11 levels, reference 'American Steel'" in out and not (tmp_path / "figs").exists()
