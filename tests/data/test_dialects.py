"""CSV dialects (separator, decimal comma) and rows with empty cells, checked against statsmodels' OLS
on the tables it ships."""

from __future__ import annotations

import numpy as np
import pytest

from slopefit.data.files import load_file
from slopefit.errors import DataError
from slopefit.solve.exact import solve_exact
from slopefit.solve.preparation import gather_stats, open_data, reference_solution


def _longley():
    import statsmodels.datasets.longley as longley

    frame = longley.load_pandas().data
    return frame[[*[c for c in frame.columns if c != "TOTEMP"], "TOTEMP"]]


def _ols(frame, target, **kwargs):
    import statsmodels.api as sm

    features = [c for c in frame.columns if c != target]
    return sm.OLS(frame[target], sm.add_constant(frame[features]), **kwargs).fit().params.to_numpy()


@pytest.mark.parametrize("sep, decimal, note", [
    (",", ".", None),
    (";", ",", "separator ';', decimal comma"),
    ("\t", ".", "separator '\\t'"),
    ("|", ".", "separator '|'"),
])
def test_a_dialect_is_detected_and_fits_the_same_line(tmp_path, sep, decimal, note):
    frame = _longley()
    plain, other = tmp_path / "plain.csv", tmp_path / "other.csv"
    frame.to_csv(plain, index=False)
    frame.to_csv(other, index=False, sep=sep, decimal=decimal)
    base, data = load_file(plain), load_file(other)
    assert data.dialect == note
    assert np.array_equal(data.X, base.X) and np.array_equal(data.y, base.y)
    exact = solve_exact(data.X, data.y)
    params = _ols(frame, "TOTEMP")  # const first
    assert exact.intercept == pytest.approx(params[0], rel=1e-9)
    np.testing.assert_allclose(exact.coef, params[1:], rtol=1e-9)
    streamed = open_data(other, stream=True)
    assert streamed.dialect.describe() == note
    assert np.array_equal(streamed.read_all().X, base.X)


def test_sep_overrides_detection(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a;b|c\n1;2|3\n4;5|6\n7;8|10\n")  # ';' and '|' split every line alike
    with pytest.raises(DataError, match=r"^cannot tell the separator of d\.csv: ';' and '\|' both split every "
                                        r"line alike; give it with sep="):
        load_file(path)
    assert open_data(path, sep=";", stream=True).feature_names == ("a",)
    with pytest.raises(DataError, match="column 'a;b' in d.csv is not numeric: '1;2'"):
        load_file(path, sep="|")
    semicolons = tmp_path / "s.csv"
    semicolons.write_text("a;b\n1;2\n2;4.5\n3;5\n")
    assert load_file(semicolons).y.tolist() == [2, 4.5, 5]
    with pytest.raises(DataError, match=r"s\.csv has 1 column \(a;b\)"):
        load_file(semicolons, sep=",")


def _stackloss_with_holes(tmp_path):
    import statsmodels.datasets.stackloss as stackloss

    frame = stackloss.load_pandas().data
    frame = frame[["AIRFLOW", "WATERTEMP", "ACIDCONC", "STACKLOSS"]].copy()
    frame.loc[3, "AIRFLOW"] = np.nan
    frame.loc[[7, 8], "WATERTEMP"] = np.nan
    frame.loc[8, "STACKLOSS"] = np.nan
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return frame, path


def test_every_column_with_empty_cells_is_named(tmp_path):
    _, path = _stackloss_with_holes(tmp_path)
    message = ("data.csv has empty or NaN cells: 'AIRFLOW' 1 (row 4), 'WATERTEMP' 2 (rows 8, 9), "
               "'STACKLOSS' 1 (row 9); fill them or use missing=\"drop\"")
    with pytest.raises(DataError) as whole:
        load_file(path)
    assert str(whole.value) == message
    for chunk_rows in (4, 1000):
        with pytest.raises(DataError) as streamed:
            gather_stats(open_data(path, stream=True, chunk_rows=chunk_rows))
        assert str(streamed.value) == message


def test_missing_drop_matches_statsmodels(tmp_path):
    frame, path = _stackloss_with_holes(tmp_path)
    params = _ols(frame, "STACKLOSS", missing="drop")
    whole = load_file(path, missing="drop")
    assert whole.dropped_rows == 3 and whole.n_samples == 18
    exact = solve_exact(whole.X, whole.y)
    assert exact.intercept == pytest.approx(params[0], rel=1e-9)
    np.testing.assert_allclose(exact.coef, params[1:], rtol=1e-9)
    for chunk_rows in (4, 1000):
        streamed = open_data(path, stream=True, chunk_rows=chunk_rows, missing="drop")
        stats = gather_stats(streamed)
        assert stats.n == 18 and streamed.dropped_rows == 3
        solution = reference_solution(streamed, stats=stats)
        assert solution.intercept == pytest.approx(params[0], rel=1e-9)
        np.testing.assert_allclose(solution.coef, params[1:], rtol=1e-9)


def test_only_the_columns_used_drop_rows(tmp_path):
    frame, path = _stackloss_with_holes(tmp_path)
    data = load_file(path, x=["ACIDCONC"], y="AIRFLOW", missing="drop")
    assert data.dropped_rows == 1 and data.n_samples == 20


@pytest.mark.parametrize("holes", [{"AIRFLOW": [3]}, {"AIRFLOW": [3], "WATERTEMP": [7, 8], "STACKLOSS": [8]}])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_file_read_in_chunks_names_empty_and_nan_cells_as_a_whole_load_does(tmp_path, holes, suffix):
    """One wording for missing cells, whole or in chunks, one column or several: in a Parquet file
    they are float NaN (not null), which the chunked reader used to leave to the statistics pass."""
    import statsmodels.datasets.stackloss as stackloss

    frame = stackloss.load_pandas().data[["AIRFLOW", "WATERTEMP", "ACIDCONC", "STACKLOSS"]].copy()
    for column, rows in holes.items():
        frame.loc[rows, column] = np.nan
    path = tmp_path / f"data{suffix}"
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({c: pa.array(frame[c].to_numpy(), from_pandas=False) for c in frame.columns})
        assert table.column("AIRFLOW").null_count == 0  # float NaN, not a null (pandas would write nulls)
        pq.write_table(table, path)
    else:
        frame.to_csv(path, index=False)
    # the rows and counts by hand: 1-based data rows of the NaN cells, columns in the table's order
    parts = [f"'{c}' {len(holes[c])} ({'row' if len(holes[c]) == 1 else 'rows'} "
             f"{', '.join(str(r + 1) for r in holes[c])})" for c in frame.columns if c in holes]
    message = f"data{suffix} has empty or NaN cells: {', '.join(parts)}; fill them or use missing=\"drop\""
    with pytest.raises(DataError) as whole:
        load_file(path)
    assert str(whole.value) == message
    for chunk_rows in (4, 1000):
        with pytest.raises(DataError) as streamed:
            gather_stats(open_data(path, stream=True, chunk_rows=chunk_rows))
        assert str(streamed.value) == message
