"""Regression diagnostics against statsmodels' OLSInfluence, scipy's probplot and statsmodels' lowess,
on tables statsmodels ships; the three figures drawn from them, in Korean and English."""

from __future__ import annotations

import numpy as np
import pytest

sm = pytest.importorskip("statsmodels.api")
from statsmodels.stats.outliers_influence import OLSInfluence  # noqa: E402

from slopefit.data.datasets import Dataset  # noqa: E402
from slopefit.solve.influence import cooks_contour, influence_of, local_trend, normal_quantiles  # noqa: E402
from slopefit.train.training import fit  # noqa: E402

EPS = np.finfo(np.float64).eps


def _shipped(name: str):
    ds = getattr(sm.datasets, name).load_pandas()
    X, y = ds.exog.to_numpy(np.float64), ds.endog.to_numpy(np.float64)
    data = Dataset(X=X, y=y, feature_names=tuple(map(str, ds.exog.columns)), target_name=str(ds.endog.name),
                   name=name)
    return data, OLSInfluence(sm.OLS(y, sm.add_constant(X)).fit())


def _rel(mine: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(mine - ref) / np.abs(ref)))


@pytest.mark.parametrize("name", ["stackloss", "longley"])
def test_leverage_studentized_residuals_and_cooks_distance_equal_statsmodels(name):
    data, ref = _shipped(name)
    inf = influence_of(fit(data))
    s = inf.sample
    assert not inf.sampled and s.rows.tolist() == list(range(data.n_samples))
    # statsmodels solves with the pseudo-inverse of the unscaled design [1, X]: its residuals carry a
    # relative error up to about eps * cond([1, X]) (4.9e9 for longley, 1.1e-6); stackloss is well
    # conditioned (cond 1.9e3), and there both agree to 1e-8
    cond = np.linalg.cond(sm.add_constant(data.X))
    tol = 1e-8 if name == "stackloss" else 8 * EPS * cond
    assert _rel(s.leverage, ref.hat_matrix_diag) < 1e-8  # (X'X)^-1 of the statistics: exact either way
    assert _rel(s.resid, ref.resid) < tol
    assert _rel(s.student, ref.resid_studentized_internal) < tol
    assert _rel(s.cooks, ref.cooks_distance[0]) < tol
    assert _rel(s.fitted, ref.results.fittedvalues) < 1e-8
    # the rows named on the figures are the largest of the whole table
    assert inf.top_cooks.rows.tolist() == np.argsort(-ref.cooks_distance[0])[:3].tolist()
    student = np.abs(ref.resid_studentized_internal)
    assert inf.top_student.rows.tolist() == np.argsort(-student)[:3].tolist()
    assert inf.n_params == data.n_features + 1


def test_stackloss_tolerance_is_the_claimed_one():
    data, _ = _shipped("stackloss")
    assert np.linalg.cond(sm.add_constant(data.X)) < 1e4  # so eps * cond is far below the 1e-8 asked


def test_without_intercept_leverage_equals_statsmodels():
    data, _ = _shipped("stackloss")
    from slopefit.train.config import TrainConfig

    ref = OLSInfluence(sm.OLS(data.y, data.X).fit())
    inf = influence_of(fit(data, TrainConfig(fit_intercept=False)))
    assert _rel(inf.sample.leverage, ref.hat_matrix_diag) < 1e-8
    assert _rel(inf.sample.student, ref.resid_studentized_internal) < 1e-8
    assert _rel(inf.sample.cooks, ref.cooks_distance[0]) < 1e-8
    assert inf.n_params == data.n_features


def test_a_chunked_file_is_sampled_and_each_sampled_row_is_exact(tmp_path):
    """A file read in chunks: a bounded seeded sample, every number of it equal to statsmodels'
    on the whole table, and the most influential rows found across all chunks."""
    from slopefit.data.tables import open_table

    rng = np.random.default_rng(3)
    n = 3_000
    X = rng.normal(size=(n, 2)) * [3.0, 0.5] + [100.0, -2.0]
    y = X @ [1.5, -4.0] + 7.0 + rng.standard_t(3, size=n)
    X[2_345, 0], y[2_345] = 125.0, 100.0  # a far row, deep in the fourth chunk
    path = tmp_path / "big.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,y", comments="", fmt="%.17g")
    source = open_table(path, y="y", chunk_rows=700)
    result = fit(source)
    inf = influence_of(result, limit=500)
    ref = OLSInfluence(sm.OLS(y, sm.add_constant(X)).fit())
    rows = inf.sample.rows
    assert inf.sampled and len(rows) == 500 and len(set(rows.tolist())) == 500 and inf.n == n
    assert np.all(np.diff(rows) > 0) and rows.min() >= 0 and rows.max() < n
    assert rows.max() - rows.min() > n // 2  # drawn from the whole file, not its first chunk
    assert _rel(inf.sample.leverage, ref.hat_matrix_diag[rows]) < 1e-8
    assert _rel(inf.sample.student, ref.resid_studentized_internal[rows]) < 1e-8
    assert _rel(inf.sample.cooks, ref.cooks_distance[0][rows]) < 1e-8
    assert inf.top_cooks.rows.tolist() == np.argsort(-ref.cooks_distance[0])[:3].tolist()
    assert inf.top_cooks.rows[0] == 2_345
    again = influence_of(result, limit=500)
    assert again.sample.rows.tolist() == rows.tolist()  # seeded
    assert influence_of(result, limit=500, seed=1).sample.rows.tolist() != rows.tolist()


@pytest.mark.parametrize("n", [2, 3, 10, 21, 1000])
def test_qq_quantiles_equal_scipy_probplot(n):
    from scipy import stats

    expected = stats.probplot(np.arange(float(n)), dist="norm")[0][0]
    assert np.allclose(normal_quantiles(n), expected, rtol=0, atol=8 * EPS)


@pytest.mark.parametrize("n", [5, 21, 400])
def test_trend_equals_statsmodels_lowess_without_robustness_passes(n):
    from statsmodels.nonparametric.smoothers_lowess import lowess

    rng = np.random.default_rng(n)
    x = rng.normal(size=n) * 10
    y = np.sin(x / 5) + rng.normal(size=n) * 0.3
    expected = lowess(y, x, frac=2 / 3, it=0, delta=0, return_sorted=True)
    at, trend = local_trend(x, y, x)
    assert np.array_equal(at, expected[:, 0])
    # sums over at most n weighted points: rounding grows like n * eps of the values' scale
    assert np.max(np.abs(trend - expected[:, 1])) < 16 * n * EPS * np.max(np.abs(y))


def test_cooks_contour_is_where_cooks_distance_equals_the_level():
    h = np.array([0.05, 0.2, 0.6])
    r = cooks_contour(0.5, 4, h)
    assert np.allclose(r * r * h / (4 * (1 - h)), 0.5, rtol=1e-14)  # D = r^2 h / (p (1 - h))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_diagnostic_figures_are_drawn_with_their_labels(tmp_path, drawn, lang):
    from slopefit.texts import text
    from slopefit.views.figures import diagnostic_figures

    data, ref = _shipped("stackloss")
    result = fit(data)
    paths = diagnostic_figures("stackloss", result, tmp_path, lang)
    assert [p.name for p in paths] == ["residuals.png", "qq.png", "leverage.png"]
    assert all(p.stat().st_size > 10_000 for p in paths)
    ax = drawn().axes[0]  # the leverage figure, the last one saved
    assert ax.get_xlabel() == text("diag.leverage", lang)
    assert text("diag.all", lang, n=21) in ax.get_title()
    names = sorted(t.get_text() for t in ax.texts if t.get_color() == "darkred")  # the rows named
    assert names == sorted(str(r + 1) for r in np.argsort(-ref.cooks_distance[0])[:3])  # rows 21, 1, 4
    levels = sorted(t.get_text() for t in ax.texts if t.get_color() == "red")
    assert levels == ["0.5", "1"]  # each contour's level, at its right end


def test_sampled_figures_say_how_many_rows(tmp_path, drawn):
    from slopefit.views.figures import diagnostic_figures

    rng = np.random.default_rng(0)
    X = rng.normal(size=(12_000, 1))
    data = Dataset(X=X, y=2 * X[:, 0] + rng.normal(size=12_000), feature_names=("x",), target_name="y", name="big")
    diagnostic_figures("big", fit(data), tmp_path, "en", limit=2_000)
    ax = drawn().axes[0]
    assert "2,000 of 12,000 rows (random, seed 0)" in ax.get_title()
    assert sum(len(c.get_offsets()) for c in ax.collections) >= 2_000


def test_an_exact_fit_names_no_row_and_says_why(tmp_path, drawn):
    """hours-ability lies on a line: its residuals are float64 rounding, nothing to standardize."""
    from slopefit.data.sources import builtin
    from slopefit.texts import text
    from slopefit.views.figures import diagnostic_figures

    result = fit(builtin("hours-ability"))
    assert not influence_of(result).standardized
    assert influence_of(fit(_shipped("stackloss")[0])).standardized
    diagnostic_figures("hours-ability", result, tmp_path, "ko")
    ax = drawn().axes[0]
    assert text("diag.undefined", "ko") in ax.get_title()
    assert [t.get_text() for t in ax.texts if t.get_color() == "darkred"] == []


def _grunfeld_weighted():
    frame = sm.datasets.grunfeld.load_pandas().data
    X, y = frame[["value", "capital"]].to_numpy(np.float64), frame["invest"].to_numpy(np.float64)
    w = np.random.default_rng(7).uniform(0.1, 5.0, len(y))
    data = Dataset(X=X, y=y, feature_names=("value", "capital"), target_name="invest", name="grunfeld",
                   weights=w, weights_name="w")
    wls = sm.WLS(y, sm.add_constant(X), weights=w).fit()
    # this statsmodels' WLS results have no get_influence; WLS is OLS on the rows sqrt(w) [1, x], sqrt(w) y,
    # and statsmodels' OLSInfluence of that model is the WLS influence (hat matrix of W^1/2 A)
    root = np.sqrt(w)
    ref = OLSInfluence(sm.OLS(root * y, root[:, None] * sm.add_constant(X)).fit())
    assert np.allclose(ref.results.params, wls.params, rtol=1e-10)
    return data, ref


def test_weighted_diagnostics_equal_statsmodels_wls():
    data, ref = _grunfeld_weighted()
    inf = influence_of(fit(data))
    s = inf.sample
    assert _rel(s.leverage, ref.hat_matrix_diag) < 1e-8
    assert _rel(s.student, ref.resid_studentized_internal) < 1e-8
    assert _rel(s.cooks, ref.cooks_distance[0]) < 1e-8
    assert _rel(s.resid, ref.resid) < 1e-8  # the whitened (Pearson) residual sqrt(w) e
    assert inf.top_cooks.rows.tolist() == np.argsort(-ref.cooks_distance[0])[:3].tolist()
    assert inf.sigma == pytest.approx(np.sqrt(ref.results.scale), rel=1e-10)
    # and the hat matrix written out: W^1/2 A (A^T W A)^-1 A^T W^1/2, numpy
    A = np.column_stack([np.ones(data.n_samples), data.X])
    root = np.sqrt(data.weights)
    hat = np.einsum("ij,ij->i", (root[:, None] * A) @ np.linalg.inv(A.T @ (data.weights[:, None] * A)),
                    root[:, None] * A)
    assert _rel(s.leverage, hat) < 1e-8


def test_a_penalised_fit_has_no_diagnostics():
    from slopefit.solve.penalties import Penalty
    from slopefit.train.config import TrainConfig

    data, _ = _shipped("stackloss")
    with pytest.raises(ValueError, match="penalised"):
        influence_of(fit(data, TrainConfig(penalty=Penalty("ridge", 1.0))))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_weighted_diagnostic_figures(tmp_path, drawn, lang):
    from slopefit.texts import text
    from slopefit.views.figures import fit_figures

    data, ref = _grunfeld_weighted()
    paths = fit_figures(data, fit(data), tmp_path, lang)
    assert [p.name for p in paths][-3:] == ["residuals.png", "qq.png", "leverage.png"]
    ax = drawn().axes[0]
    assert text("diag.weighted", lang, name="w") in ax.get_title()
    names = sorted(t.get_text() for t in ax.texts if t.get_color() == "darkred")
    assert names == sorted(str(r + 1) for r in np.argsort(-ref.cooks_distance[0])[:3])
