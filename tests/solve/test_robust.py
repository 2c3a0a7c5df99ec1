"""Robust (HC0-HC3) standard errors and the collinearity note, against statsmodels."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import variance_inflation_factor

from slopefit.data.tables import open_table
from slopefit.solve.accumulation import compute_stats
from slopefit.solve.inference import summarize
from slopefit.solve.robust import robust_covariance
from slopefit.train.training import fit
from tests.train.test_results import statsmodels_data

HC_TYPES = ("HC0", "HC1", "HC2", "HC3")


def _ols(data, cov_type):
    return sm.OLS(data.y, sm.add_constant(data.X, prepend=False)).fit(cov_type=cov_type)


def _table(data, tmp_path, chunk_rows):
    path = tmp_path / f"{data.name}.csv"
    columns = [*data.feature_names, data.target_name]
    rows = np.column_stack([data.X, data.y])
    path.write_text(",".join(columns) + "\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in rows)
                    + "\n", encoding="utf-8")
    return open_table(path, x=list(data.feature_names), y=data.target_name, chunk_rows=chunk_rows)


@pytest.mark.parametrize("name", ["longley", "stackloss"])
@pytest.mark.parametrize("cov_type", HC_TYPES)
@pytest.mark.parametrize("chunked", [False, True])
def test_hc_standard_errors_equal_statsmodels(name, cov_type, chunked, tmp_path):
    data = statsmodels_data(name)
    source = _table(data, tmp_path, chunk_rows=5) if chunked else data
    summary = fit(source).summary(cov_type=cov_type)
    ols = _ols(data, cov_type)
    assert summary.cov_type == cov_type and not ols.use_t  # statsmodels' robust OLS: normal distribution
    np.testing.assert_allclose(summary.std_err, ols.bse, rtol=1e-6)
    np.testing.assert_allclose(summary.t, ols.tvalues, rtol=1e-6)
    np.testing.assert_allclose(summary.p_value, ols.pvalues, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(np.column_stack([summary.ci_low, summary.ci_high]), ols.conf_int(), rtol=1e-6)
    assert summary.f_stat == pytest.approx(ols.fvalue, rel=1e-6)  # the robust Wald F
    assert summary.f_p_value == pytest.approx(ols.f_pvalue, rel=1e-5)
    report = summary.report_dict()
    assert report["cov_type"] == cov_type and report["std_err"] == summary.std_err.tolist()


@pytest.mark.parametrize("cov_type", HC_TYPES)
def test_hc_without_intercept_equals_statsmodels(cov_type):
    data = statsmodels_data("stackloss")
    st = compute_stats([(data.X, data.y)], data.n_features)
    sol = st.solve(fit_intercept=False)
    summary = summarize(st, sol.coef, sol.intercept, fit_intercept=False, cov_type=cov_type,
                        rows=lambda: [(data.X, data.y)])
    ols = sm.OLS(data.y, data.X).fit(cov_type=cov_type)
    np.testing.assert_allclose(summary.std_err, ols.bse, rtol=1e-6)
    assert summary.f_stat == pytest.approx(ols.fvalue, rel=1e-6)


def test_nonrobust_is_unchanged_and_robust_needs_rows():
    data = statsmodels_data("stackloss")
    st = compute_stats([(data.X, data.y)], data.n_features)
    sol = st.solve()
    assert summarize(st, sol.coef, sol.intercept).cov_type == "nonrobust"
    with pytest.raises(ValueError, match="cov_type 'HC3' needs the rows"):
        summarize(st, sol.coef, sol.intercept, cov_type="HC3")
    with pytest.raises(ValueError, match="cov_type must be one of nonrobust, HC0, HC1, HC2, HC3, got 'HC9'"):
        summarize(st, sol.coef, sol.intercept, cov_type="HC9", rows=lambda: [(data.X, data.y)])
    with pytest.raises(ValueError, match="rows\\(\\) yielded 5 rows but the statistics hold 21"):
        robust_covariance(st, lambda: [(data.X[:5], data.y[:5])], sol.coef, sol.intercept, np.eye(3))


def test_robust_summary_header_and_columns():
    text = str(fit(statsmodels_data("stackloss")).summary(cov_type="HC1"))
    lines = text.splitlines()
    assert lines[0] == ("least-squares statistics (OLS at the exact optimum, 21 rows, 17 residual dof, "
                        "covariance HC1 (heteroskedasticity-robust)):")
    assert lines[1].split() == ["coef", "std", "err", "z", "P>|z|", "[0.025", "0.975]"]
    assert any(line.startswith("robust Wald F ") for line in lines)


def test_fit_result_keeps_its_rows_and_still_pickles():
    data = statsmodels_data("stackloss")
    result = fit(data)
    again = pickle.loads(pickle.dumps(result))
    np.testing.assert_allclose(again.summary(cov_type="HC3").std_err, _ols(data, "HC3").bse, rtol=1e-6)
    assert "rows=" not in repr(result)


def test_vif_note_names_the_collinear_features():
    data = statsmodels_data("longley")
    summary = fit(data).summary()
    design = sm.add_constant(data.X, prepend=False)
    want = [name for j, name in enumerate(data.feature_names) if variance_inflation_factor(design, j) > 10]
    assert summary.collinear() == tuple(want) == ("GNPDEFL", "GNP", "UNEMP", "POP", "YEAR")
    notes = [line for line in str(summary).splitlines() if line.startswith("note: nearly collinear")]
    assert len(notes) == 1
    assert notes[0].startswith("note: nearly collinear design: variance inflation factor above 10 for GNPDEFL (")
    assert "ARMED" not in notes[0] and all(f"{name} (" in notes[0] for name in want)
    assert "nearly collinear" in summary._repr_html_()


def test_no_vif_note_for_a_well_conditioned_design():
    summary = fit(statsmodels_data("stackloss")).summary()
    assert summary.collinear() == () and "collinear" not in str(summary)
