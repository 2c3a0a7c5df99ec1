"""``fit``/``advise`` with --ridge, --lasso, --elastic-net and --weights end to end: the numbers against
scikit-learn and statsmodels, the labels, the model file, and every bad input as one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso


@pytest.fixture(scope="module")
def diabetes_csv(tmp_path_factory):
    X, y = load_diabetes(return_X_y=True)
    path = tmp_path_factory.mktemp("data") / "diabetes.csv"
    header = ",".join([*(f"x{j}" for j in range(10)), "y"])
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header=header, comments="", fmt="%.17g")
    return path, X, y


@pytest.fixture(scope="module")
def grunfeld_csv(tmp_path_factory):
    frame = sm.datasets.grunfeld.load_pandas().data[["value", "capital", "invest"]].copy()
    frame.insert(1, "w", np.random.default_rng(0).uniform(0.2, 3.0, len(frame)))
    path = tmp_path_factory.mktemp("data") / "grunfeld.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    return path, frame


def test_lasso_fit_equals_scikit_learn(run_cli, diabetes_csv, tmp_path):
    path, X, y = diabetes_csv
    ref = Lasso(alpha=0.1, tol=1e-14, max_iter=1_000_000).fit(X, y)
    run = run_cli("fit", path, "--lasso", "0.1", "--json", tmp_path / "r.json", "--save", tmp_path / "m.json")
    assert run.code == 0, run.err
    assert "penalty: lasso alpha=0.1 (scikit-learn's Lasso)" in run.out
    assert "objective (MSE + 2α‖w‖₁)" in run.out and "exact (Lasso optimum)" in run.out
    assert "note: no standard errors, t, p or confidence intervals for a penalised fit" in run.out
    assert "std err" not in run.out
    payload = json.loads((tmp_path / "r.json").read_text())
    coef = np.array([payload["coef"][f"x{j}"] for j in range(10)])
    np.testing.assert_allclose(coef, ref.coef_, rtol=1e-5, atol=1e-5 * np.abs(ref.coef_).max())
    assert np.array_equal(coef == 0.0, ref.coef_ == 0.0) and (coef == 0.0).sum() == 3
    assert payload["summary"] is None and payload["penalty"]["kind"] == "lasso"
    model = json.loads((tmp_path / "m.json").read_text())
    assert model["penalty"] == {"kind": "lasso", "alpha": 0.1, "l1_ratio": 1.0} and model["weights"] is None
    run = run_cli("predict", tmp_path / "m.json", *map(str, X[0]), "--interval")
    assert run.code == 1 and run.err.startswith("slopefit: intervals do not apply to a penalised fit")
    run = run_cli("predict", tmp_path / "m.json", *map(str, X[0]))
    assert run.code == 0 and float(run.out) == pytest.approx(float(X[0] @ ref.coef_ + ref.intercept_), rel=1e-6)


def test_weighted_fit_equals_statsmodels(run_cli, grunfeld_csv, tmp_path):
    path, frame = grunfeld_csv
    X = frame[["value", "capital"]].to_numpy()
    ref = sm.WLS(frame["invest"].to_numpy(), sm.add_constant(X, prepend=False), weights=frame["w"].to_numpy()).fit()
    run = run_cli("fit", path, "--weights", "w", "--json", tmp_path / "r.json", "--save", tmp_path / "m.json")
    assert run.code == 0, run.err
    assert "(220 rows, 2 features -> invest)" in run.out  # w is not a feature
    assert "weights: column 'w'" in run.out and "WLS at the exact optimum" in run.out
    assert "loss (weighted MSE)" in run.out
    summary = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert summary["names"] == ["value", "capital", "intercept"]
    np.testing.assert_allclose(summary["coef"], ref.params, rtol=1e-6)
    np.testing.assert_allclose(summary["std_err"], ref.bse, rtol=1e-6)
    assert summary["r2"] == pytest.approx(ref.rsquared, rel=1e-6)
    assert summary["f"] == pytest.approx(ref.fvalue, rel=1e-6)
    assert json.loads((tmp_path / "m.json").read_text())["weights"] == "w"
    run = run_cli("predict", tmp_path / "m.json", "1000", "200", "--interval")
    assert run.code == 1 and "intervals for a weighted fit (weights 'w') are not available" in run.err


def test_advise_with_ridge(run_cli, diabetes_csv):
    path, X, _ = diabetes_csv
    plain = run_cli("advise", path, "--max-epochs", "2000")
    ridge = run_cli("advise", path, "--ridge", "100", "--max-epochs", "2000")
    assert plain.code == ridge.code == 0, ridge.err
    assert "penalty: ridge alpha=100" in ridge.out
    bound = [float(line.split("lr < ")[1].split()[0]) for run in (plain, ridge)
             for line in run.out.splitlines() if line.startswith("full-batch sgd")]
    # the ridge part adds 2 alpha / (n s_j^2) to the Hessian's diagonal: its bound is lower
    n, s = X.shape[0], X.std(axis=0)
    Xs = np.column_stack([(X - X.mean(axis=0)) / s, np.ones(n)])
    hessian = 2 * Xs.T @ Xs / n
    hessian[np.arange(10), np.arange(10)] += 2 * 100 / n / s ** 2
    assert bound[1] == pytest.approx(2 / np.linalg.eigvalsh(hessian)[-1], rel=1e-5)
    assert bound[1] < bound[0]


@pytest.mark.parametrize("args, message", [
    (["--ridge", "-1"], ("slopefit: the alpha of --ridge must be a number >= 0 (scikit-learn's alpha), "
                         "got -1; e.g. 0.1")),
    (["--lasso", "nan"], "slopefit: the alpha of --lasso must be a number >= 0 (scikit-learn's alpha), got nan"),
    (["--lasso", "abc"], "slopefit fit: argument --lasso: invalid float value: 'abc'"),
    (["--ridge", "1", "--lasso", "1"], "slopefit: --ridge and --lasso were both given; choose one penalty"),
    (["--elastic-net", "1", "--l1-ratio", "1.5"], "slopefit: l1_ratio must be between 0 and 1"),
    (["--elastic-net", "1", "--l1-ratio", "-0.1"], "slopefit: l1_ratio must be between 0 and 1"),
    (["--lasso", "1", "--l1-ratio", "0.5"], "slopefit: --l1-ratio (0.5) applies to --elastic-net only"),
    (["--lasso", "1", "--optimizer", "adam", "--lr", "0.1"], "only plain sgd (with or without momentum) can make"),
    (["--ridge", "1", "--batch-size", "10"], "is trained full batch on the stats engine"),
    (["--weights", "w", "--cov", "HC1"], "slopefit fit: --cov HC1 is not available with --weights"),
    (["--weights", "w", "--y", "w"], "slopefit: column 'w' is the weights (--weights); it cannot also be the target"),
    (["--weights", "w", "--batch-size", "10"], "sample weights (w) are trained full batch on the stats engine"),
    (["--weights", "w", "--stream", "--batch-size", "10"], "sample weights (w) are trained full batch on the "
                                                          "stats engine"),
    (["--weights", "w", "--x", "w", "value"], "slopefit: column 'w' is the weights (--weights); it cannot also be a "
                                             "feature"),
])
def test_usage_errors(run_cli, grunfeld_csv, args, message):
    path, _ = grunfeld_csv
    run = run_cli("fit", path, *args)
    assert run.code == 2 and run.out == ""
    assert message in run.err and len(run.err.strip().splitlines()) == 1, run.err


@pytest.mark.parametrize("weights, message", [
    ("1,-2,1,1,1,1", "slopefit: weights 'w' of data.csv are negative in row 2 (data rows, header not counted) "
                     "(first: -2); weights must be >= 0"),
    ("1,x,1,1,1,1", "slopefit: weights 'w' of data.csv are not numbers in row 2 (data rows, header not counted) "
                    "(first: 'x'); give every row a number >= 0"),
    ("1,,1,1,1,1", "slopefit: weights 'w' of data.csv have NaN or infinite values in row 2"),
    ("1,nan,1,1,1,1", "slopefit: weights 'w' of data.csv have NaN or infinite values in row 2"),
    ("0,0,0,0,0,0", "slopefit: weights 'w' of data.csv sum to 0: no row counts"),
])
def test_bad_weight_cells(run_cli, write_csv, weights, message):
    rows = ["a,w,y"] + [f"{i},{w},{2 * i + (i % 3)}" for i, w in enumerate(weights.split(","), start=1)]
    run = run_cli("fit", write_csv("\n".join(rows) + "\n"), "--weights", "w")
    assert run.code == 1 and run.out == ""
    assert run.err.startswith(message) and len(run.err.strip().splitlines()) == 1, run.err


def test_weight_column_missing_or_not_a_file(run_cli, grunfeld_csv):
    path, _ = grunfeld_csv
    run = run_cli("fit", path, "--weights", "nope")
    assert run.code == 1 and run.err.startswith("slopefit: weight column 'nope' is not in grunfeld.csv; available "
                                                "columns: value, w, capital, invest")
    run = run_cli("fit", "height-weight", "--weights", "w")
    assert run.code == 1 and "needs a CSV or Parquet file holding that column" in run.err


def test_weights_with_dropped_rows_are_refused(run_cli, write_csv):
    path = write_csv("a,w,y\n1,1,2\n2,1,\n3,2,7\n4,1,9\n5,1,9\n")
    run = run_cli("fit", path, "--weights", "w", "--missing", "drop")
    assert run.code == 2
    assert run.err.startswith("slopefit: --missing drop left out 1 rows of data.csv with empty cells, and their "
                              "weights ('w') cannot follow them here")


def test_weights_with_categories_equal_statsmodels(run_cli, tmp_path):
    """grunfeld with its text column firm (indicators, reference 'American Steel') and weights: statsmodels'
    WLS on the same design."""
    import statsmodels.formula.api as smf

    frame = sm.datasets.grunfeld.load_pandas().data[["firm", "value", "capital", "invest"]].copy()
    frame.insert(1, "w", np.random.default_rng(5).uniform(0.5, 2.0, len(frame)))
    frame.to_csv(tmp_path / "g.csv", index=False, float_format="%.17g")
    ref = smf.wls("invest ~ value + capital + C(firm)", data=frame, weights=frame["w"]).fit()
    run = run_cli("fit", tmp_path / "g.csv", "--weights", "w", "--json", tmp_path / "r.json")
    assert run.code == 0, run.err
    summary = json.loads((tmp_path / "r.json").read_text())["summary"]
    ours = dict(zip(summary["names"], zip(summary["coef"], summary["std_err"], strict=True), strict=True))
    assert len(ours) == len(ref.params) == 13
    for name, value in ref.params.items():
        key = "intercept" if name == "Intercept" else name.replace("C(firm)", "firm")
        assert ours[key][0] == pytest.approx(value, rel=1e-6, abs=1e-6 * abs(ref.params).max())
        assert ours[key][1] == pytest.approx(ref.bse[name], rel=1e-6)


def test_plot_of_a_penalised_fit(run_cli, tmp_path):
    """The loss axis names the objective; no least-squares diagnostics for a penalised line."""
    run = run_cli("fit", "height-weight", "--ridge", "20", "--plot", tmp_path, "--lang", "ko")
    assert run.code == 0, run.err
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["fit.png", "gap.png", "loss.png"]
    assert "참고: 잔차·Q–Q·레버리지 그림은 그리지 않음: ridge alpha=20의 해는" in run.out  # all of it in Korean


def test_plot_of_a_weighted_fit_draws_the_wls_diagnostics(run_cli, grunfeld_csv, tmp_path):
    path, _ = grunfeld_csv
    run = run_cli("fit", path, "--weights", "w", "--plot", tmp_path)
    assert run.code == 0, run.err
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["fit.png", "gap.png", "leverage.png", "loss.png",
                                                               "qq.png", "residuals.png"]
    assert "no residual, Q–Q or leverage figures" not in run.out


def test_report_of_a_penalised_fit_says_why_no_diagnostics(run_cli, tmp_path):
    page = tmp_path / "r.html"
    run = run_cli("fit", "height-weight", "--lasso", "0.5", "--report", page)
    assert run.code == 0, run.err
    note = "no residual, Q–Q or leverage figures: the lasso alpha=0.5 optimum is not least squares"
    assert note in run.out and note in page.read_text(encoding="utf-8")
    assert run.out.count(note) == 1
