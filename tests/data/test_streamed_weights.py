"""Weights on a file read in chunks: the weight column goes through the same chunked statistics pass,
and the fit equals the whole-file fit and statsmodels' WLS."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from slopefit.data.weights import WeightedTable
from slopefit.errors import ConfigError, DataError
from slopefit.solve.preparation import open_data
from slopefit.train.training import fit


@pytest.fixture(scope="module")
def grunfeld_weighted(tmp_path_factory):
    frame = sm.datasets.grunfeld.load_pandas().data[["value", "capital", "invest"]].copy()
    frame.insert(1, "w", np.random.default_rng(3).uniform(0.1, 4.0, len(frame)))
    folder = tmp_path_factory.mktemp("data")
    csv, parquet = folder / "g.csv", folder / "g.parquet"
    frame.to_csv(csv, index=False, float_format="%.17g")
    frame.to_parquet(parquet, row_group_size=64)
    X = sm.add_constant(frame[["value", "capital"]].to_numpy(), prepend=False)
    return csv, parquet, frame, sm.WLS(frame["invest"].to_numpy(), X, weights=frame["w"].to_numpy()).fit()


def _rel(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)) / np.abs(np.asarray(b))))


@pytest.mark.parametrize("which", ["csv", "parquet"])
def test_chunked_weights_equal_whole_file_and_statsmodels(grunfeld_weighted, which):
    csv, parquet, frame, ref = grunfeld_weighted
    path = csv if which == "csv" else parquet
    chunked = open_data(path, weights="w", stream=True, chunk_rows=37)
    whole = open_data(path, weights="w")
    assert isinstance(chunked, WeightedTable) and not isinstance(whole, WeightedTable)
    assert chunked.feature_names == ("value", "capital") and chunked.target_name == "invest"
    res_c, res_w = fit(chunked), fit(whole)
    exact_c = np.append(res_c.exact.coef, res_c.exact.intercept)
    exact_w = np.append(res_w.exact.coef, res_w.exact.intercept)
    assert _rel(exact_c, ref.params) < 1e-10
    assert _rel(exact_c, exact_w) < 1e-10
    assert res_c.exact.loss == pytest.approx(ref.ssr / frame["w"].sum(), rel=1e-10)  # weighted MSE
    s = res_c.summary()
    assert s.weighted and _rel(s.std_err, ref.bse) < 1e-10
    assert s.r2 == pytest.approx(ref.rsquared, rel=1e-10) and s.f_stat == pytest.approx(ref.fvalue, rel=1e-10)
    # gradient descent stops once every coefficient is within 1e-9 of the optimum
    assert _rel(np.append(res_c.coef, res_c.intercept), ref.params) < 1e-8
    assert res_c.weights_name == "w"


def test_chunked_weighted_diagnostics_equal_statsmodels(grunfeld_weighted):
    from statsmodels.stats.outliers_influence import OLSInfluence

    from slopefit.solve.influence import influence_of

    csv, _, frame, ref = grunfeld_weighted
    root = np.sqrt(frame["w"].to_numpy())
    A = sm.add_constant(frame[["value", "capital"]].to_numpy(), prepend=False)
    infl = OLSInfluence(sm.OLS(root * frame["invest"].to_numpy(), root[:, None] * A).fit())  # WLS as whitened OLS
    inf = influence_of(fit(open_data(csv, weights="w", stream=True, chunk_rows=50)))
    assert _rel(inf.sample.leverage, infl.hat_matrix_diag) < 1e-8
    assert _rel(inf.sample.cooks, infl.cooks_distance[0]) < 1e-8


def test_rows_dropped_for_empty_cells_take_their_weights(tmp_path):
    rows = ["a,w,y"] + [f"{i},{1 + i % 3},{2 * i + (i % 4)}" for i in range(1, 41)]
    rows[7] = "7,2,"  # an empty target
    path = tmp_path / "d.csv"
    path.write_text("\n".join(rows) + "\n")
    res = fit(open_data(path, weights="w", stream=True, chunk_rows=8, missing="drop"))
    kept = [r.split(",") for r in rows[1:] if not r.endswith(",")]
    a, w, y = (np.array([float(r[k]) for r in kept]) for k in range(3))
    ref = sm.WLS(y, sm.add_constant(a), weights=w).fit()
    assert _rel([res.exact.intercept, res.exact.coef[0]], ref.params) < 1e-10
    assert res.rows_dropped == 1


@pytest.mark.parametrize("cell, message", [
    ("-1", "weights 'w' of d.csv are negative or infinite in row 5"),
    ("", r"d.csv has empty or NaN cells: 'w' 1 \(row 5\)"),
])
def test_bad_weights_in_chunks_are_named(tmp_path, cell, message):
    rows = ["a,w,y"] + [f"{i},1,{2 * i + (i % 3)}" for i in range(1, 21)]
    rows[5] = f"5,{cell},12"
    path = tmp_path / "d.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(DataError, match=message):
        fit(open_data(path, weights="w", stream=True, chunk_rows=3))


def test_zero_weights_and_text_columns(tmp_path):
    path = tmp_path / "z.csv"
    path.write_text("a,w,y\n" + "".join(f"{i},0,{i}\n" for i in range(1, 10)))
    with pytest.raises(DataError, match="sum to 0"):
        fit(open_data(path, weights="w", stream=True, chunk_rows=4))
    text = tmp_path / "t.csv"
    text.write_text("a,g,w,y\n" + "".join(f"{i},{'pq'[i % 2]},1,{i}\n" for i in range(1, 10)))
    with pytest.raises(ConfigError, match="numeric columns only"):
        open_data(text, weights="w", stream=True)


def test_cli_stream_with_weights(run_cli, grunfeld_weighted, tmp_path):
    import json

    csv, _, _, ref = grunfeld_weighted
    run = run_cli("fit", csv, "--weights", "w", "--stream", "--chunk-rows", "64", "--json", tmp_path / "r.json")
    assert run.code == 0, run.err
    assert "read in chunks of 64 rows: 220 rows, 1 pass" in run.out and "WLS at the exact optimum" in run.out
    summary = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert _rel(summary["coef"], ref.params) < 1e-8 and _rel(summary["std_err"], ref.bse) < 1e-8
