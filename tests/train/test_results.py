"""FitResult and Summary as data (JSON-ready dicts), as text and as HTML, against statsmodels."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.datasets import longley, stackloss
from statsmodels.stats.outliers_influence import variance_inflation_factor

from slopefit.data.datasets import Dataset
from slopefit.data.sources import builtin
from slopefit.solve.inference import variance_inflation
from slopefit.solve.intervals import Interval
from slopefit.train.config import TrainConfig
from slopefit.train.training import fit

DATASETS = {"longley": longley, "stackloss": stackloss}


def statsmodels_data(name: str) -> Dataset:
    frame = DATASETS[name].load_pandas()
    return Dataset(X=frame.exog.to_numpy(dtype=np.float64), y=frame.endog.to_numpy(dtype=np.float64),
                   feature_names=tuple(frame.exog.columns), target_name=str(frame.endog.name), name=name)


def check_report_against_statsmodels(report: dict, data: Dataset) -> None:
    """The ``summary`` and ``vif`` of a report dict equal statsmodels' OLS on the same rows, to 1e-6."""
    design = sm.add_constant(data.X, prepend=False)
    ols = sm.OLS(data.y, design).fit()
    summary = report["summary"]
    assert summary["names"] == [*data.feature_names, "intercept"]
    for key, want in [("coef", ols.params), ("std_err", ols.bse), ("t", ols.tvalues), ("p", ols.pvalues),
                      ("ci_low", ols.conf_int()[:, 0]), ("ci_high", ols.conf_int()[:, 1])]:
        np.testing.assert_allclose(summary[key], want, rtol=1e-6, atol=1e-300, err_msg=key)
    for key, want in [("r2", ols.rsquared), ("adj_r2", ols.rsquared_adj), ("f", ols.fvalue), ("f_p", ols.f_pvalue),
                      ("sigma", math.sqrt(ols.scale))]:
        assert summary[key] == pytest.approx(want, rel=1e-6, abs=1e-300), key
    assert summary["cov_type"] == ols.cov_type == "nonrobust"
    with_constant = sm.add_constant(data.X, prepend=True)
    want_vif = {name: variance_inflation_factor(with_constant, j + 1) for j, name in enumerate(data.feature_names)}
    assert summary["vif"].keys() == want_vif.keys()
    for name, want in want_vif.items():
        assert summary["vif"][name] == pytest.approx(want, rel=1e-6), name
    np.testing.assert_allclose(list(report["exact"]["coef"].values()), ols.params[:-1], rtol=1e-6)
    assert report["exact"]["intercept"] == pytest.approx(ols.params[-1], rel=1e-6)
    assert report["rows_used"] == data.n_samples and report["rows_dropped"] == 0


@pytest.mark.parametrize("name", DATASETS)
def test_to_dict_is_json_and_its_summary_is_statsmodels(name):
    data = statsmodels_data(name)
    result = fit(data)
    report = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    check_report_against_statsmodels(report, data)
    assert list(report["coef"]) == list(data.feature_names)
    np.testing.assert_allclose(list(report["coef"].values()), result.coef, rtol=0)
    assert report["intercept"] == result.intercept
    assert report["optimizer"] == "sgd" and report["auto"] == result.auto and report["auto"]
    assert report["lr"] == result.config.lr and report["momentum"] == result.config.options["momentum"]
    assert report["epochs_run"] == result.epochs_run and report["stop_reason"] == result.stop_reason
    assert report["relative_gap"] == pytest.approx(result.relative_gap)


def test_to_dict_of_a_run_given_its_lr_has_no_auto_line_and_no_momentum():
    report = fit(builtin("height-weight"), TrainConfig(lr=0.01, epochs=50, scaling="center")).to_dict()
    assert report["auto"] is None and report["momentum"] is None and report["lr"] == 0.01
    assert report["epochs_run"] == 50 and report["stop_reason"] == "epochs"
    assert report["summary"]["vif"] is None  # one feature: nothing to regress it on


def test_nan_becomes_null():
    data = Dataset(X=np.array([[1.0], [2.0]]), y=np.array([1.0, 3.0]), feature_names=("x",), target_name="y",
                   name="two rows")
    report = fit(data).to_dict()
    text = json.dumps(report, allow_nan=False)  # raises on a NaN left in
    assert report["summary"]["sigma"] is None and report["summary"]["p"] == [None, None]
    assert json.loads(text)["summary"]["f_p"] is None


def test_variance_inflation_of_collinear_and_constant_features_is_inf():
    x = np.arange(6.0)
    X = np.column_stack([x, 2 * x + 1, np.sin(x)])  # (6, 3): the second is the first, rescaled
    centered = X - X.mean(axis=0)
    vif = variance_inflation(centered.T @ centered)
    assert math.isinf(vif[0]) and math.isinf(vif[1]) and math.isinf(vif[2])
    X = np.column_stack([x, np.ones(6), np.sin(x)])  # a constant column: the constant determines it
    centered = X - X.mean(axis=0)
    vif = variance_inflation(centered.T @ centered)
    assert math.isinf(vif[1]) and vif[0] == pytest.approx(1 / (1 - np.corrcoef(x, np.sin(x))[0, 1] ** 2))


def test_summary_prints_the_table_the_cli_shows():
    summary = fit(statsmodels_data("longley")).summary()
    text = str(summary)
    lines = text.splitlines()
    # every number of the table is statsmodels' to the digits printed: coef and the interval with 6
    # significant digits (rounding moves them by <= 5e-6 relative), std err and P>|t| with 4 (<= 5e-4),
    # t with 3 decimals (<= 5e-4 absolute); plus what statsmodels' own solve may lose, eps * cond([X, 1])
    # relative on coef and std err (pinv of the unscaled design, cond 4.9e9 on longley: 1.1e-6; 1e-12
    # measured here), carried into t = coef / se (twice that), p (times 2 f(t) |t| / p <= 6.7 here) and
    # the bounds coef -+ q se (an error in either moves a bound by that share of |coef| + q se)
    data = longley.load_pandas()
    design = sm.add_constant(data.exog, prepend=False)
    ols = sm.OLS(data.endog, design).fit()
    solver = np.finfo(np.float64).eps * np.linalg.cond(design)
    printed = np.array([[float(v) for v in line.split()[1:]] for line in lines[3:10]])  # (7, 6)
    coef, std_err, t, p, low, high = printed.T
    np.testing.assert_allclose(coef, ols.params.to_numpy(), rtol=5e-6 + solver)
    np.testing.assert_allclose(std_err, ols.bse.to_numpy(), rtol=5e-4 + solver)
    np.testing.assert_allclose(t, ols.tvalues.to_numpy(), rtol=2 * solver, atol=5e-4)
    np.testing.assert_allclose(p, ols.pvalues.to_numpy(), rtol=5e-4 + 7 * 2 * solver)
    bounds = ols.conf_int().to_numpy()  # (7, 2)
    spread = np.abs(ols.params.to_numpy()) + (bounds[:, 1] - bounds[:, 0]) / 2  # |coef| + q se
    for got, want in ((low, bounds[:, 0]), (high, bounds[:, 1])):
        assert np.all(np.abs(got - want) <= 5e-6 * np.abs(want) + solver * spread), (got, want)
    assert lines[0] == "least-squares statistics (OLS at the exact optimum, 16 rows, 9 residual dof):"
    assert lines[1].split() == ["coef", "std", "err", "t", "P>|t|", "[0.025", "0.975]"]
    assert [line.split()[0] for line in lines[3:10]] == ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR",
                                                         "intercept"]
    assert lines[10].startswith("R^2 0.995479   adj. R^2 0.992465")  # statsmodels' longley R²


def test_html_tables_are_escaped():
    data = Dataset(X=np.array([[1.0], [2.0], [3.0], [4.0]]), y=np.array([1.0, 2.5, 2.9, 4.2]),
                   feature_names=("<b>&x",), target_name="y<", name="html")
    result = fit(data)
    for page in (result._repr_html_(), result.summary()._repr_html_()):
        assert page.startswith("<table>") and "</table>" in page
        assert "&lt;b&gt;&amp;x" in page and "<b>" not in page
    assert "<td>intercept</td>" in result.summary()._repr_html_()


def test_intervals_are_named_and_still_unpack():
    result = fit(builtin("height-weight"))
    got = result.summary().interval(np.array([[170.0], [180.0]]), result.exact.coef, result.exact.intercept)
    assert isinstance(got, Interval) and len(got) == 5
    mean, conf_low, conf_high, pred_low, pred_high = got
    assert got.mean is mean and got.conf_low is conf_low and got.pred_high is pred_high
    assert (got.pred_low < got.conf_low).all() and (got.conf_high < got.pred_high).all()
    assert got._fields == ("mean", "conf_low", "conf_high", "pred_low", "pred_high")
