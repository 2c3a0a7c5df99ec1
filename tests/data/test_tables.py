"""Files read in chunks give what reading them whole gives."""

from __future__ import annotations

import numpy as np
import pytest

from slopefit.data.datasets import make_synthetic
from slopefit.data.files import load_file
from slopefit.data.tables import open_table
from slopefit.errors import DataError
from slopefit.solve.accumulation import compute_stats
from slopefit.train.config import TrainConfig
from slopefit.train.training import fit


def _write(data, path, fmt, *, row_group_size=None):
    import pandas as pd

    frame = pd.DataFrame(data.X, columns=list(data.feature_names))
    frame[data.target_name] = data.y
    if fmt == "parquet":
        frame.to_parquet(path, row_group_size=row_group_size)
    else:
        frame.to_csv(path, index=False, float_format="%.17g")
    return path


@pytest.fixture(params=["csv", "parquet"])
def table(request, tmp_path):
    data = make_synthetic(3000, 3, seed=12, offset=100.0)
    path = _write(data, tmp_path / f"data.{request.param}", request.param, row_group_size=500)
    return data, path


def test_chunked_reading_gives_the_statistics_of_the_whole_file(table):
    data, path = table
    source = open_table(path, chunk_rows=256)
    chunks = list(source.chunks())
    assert len(chunks) > 1  # read in pieces, whatever the format
    if source.format == "parquet":  # row groups are cut at chunk_rows (CSV is cut by blocks of its text)
        assert len(chunks) > 3 and max(len(c[1]) for c in chunks) <= 256
    streamed = compute_stats(chunks, 3)
    whole = load_file(path)
    in_memory = compute_stats([(whole.X, whole.y)], 3)
    for got, want in zip(streamed.centered(), in_memory.centered(), strict=True):  # the shifts differ, the moments not
        np.testing.assert_allclose(got, want, rtol=1e-10)
    np.testing.assert_allclose(streamed.solve().coef, in_memory.solve().coef, rtol=1e-11)
    assert streamed.n == 3000


def test_a_file_fits_in_one_pass_to_the_exact_optimum(table):
    data, path = table
    rows_seen = []
    result = fit(open_table(path, chunk_rows=500), TrainConfig(optimizer="lbfgs", lr=1.0, epochs=20, dtype="float64"),
                 on_rows=rows_seen.append)
    assert rows_seen[-1] == 3000
    exact = load_file(path)
    from slopefit.solve.exact import solve_exact

    truth = solve_exact(exact.X, exact.y)
    np.testing.assert_allclose(result.exact.coef, truth.coef, rtol=1e-10)  # the reference, from one pass
    assert result.exact.loss == pytest.approx(truth.loss, rel=1e-10)
    assert result.relative_gap < 1e-6
    np.testing.assert_allclose(result.coef, truth.coef, rtol=1e-4)


def test_minibatches_stream_the_file(table):
    data, path = table
    source = open_table(path, chunk_rows=400)
    result = fit(source, TrainConfig(lr=0.01, batch_size=50, epochs=4, options={"momentum": 0.9},
                                     dtype="float64"))
    assert result.engine == "data"
    assert result.relative_gap < 1e-2


def test_a_shuffled_epoch_has_every_row_once_in_a_new_order(table):
    import torch

    data, path = table
    source = open_table(path, chunk_rows=300)
    parts = list(source.shuffled_chunks(torch.Generator().manual_seed(0)))
    y = np.concatenate([p[1] for p in parts])
    np.testing.assert_array_equal(np.sort(y), np.sort(data.y))
    assert not np.array_equal(y, data.y)
    if source.format == "csv":  # the text in its order: the first part already mixes in rows past the first chunk
        assert not set(parts[0][1].tolist()) <= set(data.y[:300].tolist())
    else:  # row groups (500 rows) in a seeded random order: seed 0 does not start at the file's first
        assert not set(parts[0][1].tolist()) <= set(data.y[:500].tolist())


def test_korean_cp949_csv_streams(tmp_path):
    path = tmp_path / "키몸무게.csv"
    path.write_bytes("키,몸무게\n166,58.7\n176,75.7\n171,62.1\n173,70.4\n169,60.1\n".encode("cp949"))
    source = open_table(path)
    assert source.feature_names == ("키",) and source.target_name == "몸무게"
    stats = compute_stats(source.chunks(), 1)
    assert stats.solve().coef[0] == pytest.approx(1.820689655, rel=1e-9)


@pytest.mark.parametrize("text, message", [
    ("a,b\n1,2\n,3\n4,5\n", r"data.csv has empty or NaN cells: 'a' 1 \(row 2\); fill them or use missing=\"drop\""),
    ("a,b\n1,2\nx,3\n", "cannot read data.csv: "),
    ("a,b\n1,2\n2,inf\n", "column 'b' in data.csv has NaN or infinite values in row 2"),
])
def test_bad_cells_are_named(write_csv, text, message):
    from slopefit.solve.preparation import gather_stats

    source = open_table(write_csv(text))
    with pytest.raises(DataError, match=message):
        gather_stats(source)


def test_unknown_columns_and_non_numeric_parquet_columns(tmp_path):
    import pandas as pd

    path = tmp_path / "t.parquet"
    pd.DataFrame({"x": [1.0, 2.0], "name": ["a", "b"], "y": [1.0, 2.0]}).to_parquet(path)
    with pytest.raises(DataError, match="column 'z' is not in t.parquet; available columns: x, name, y"):
        open_table(path, x=["z"])
    with pytest.raises(DataError, match="column 'name' in t.parquet is not numeric"):
        open_table(path, y="name")  # a text target (a text feature is a category: tests/data/test_design.py)
    with pytest.raises(DataError, match="does not exist"):
        open_table(tmp_path / "nothing.parquet")


# --- what the default path reads whole and what in chunks (issue 13) -------------------------


def test_open_data_reads_small_files_whole_and_large_ones_in_chunks(table, monkeypatch):
    from slopefit.data.datasets import Dataset
    from slopefit.data.tables import TableSource
    from slopefit.solve import preparation
    from slopefit.solve.preparation import open_data

    data, path = table
    assert isinstance(open_data(path), Dataset)  # 9000 values: the reference is solved on the rows
    assert preparation.row_passes(data, fit(data).stats) == 1
    monkeypatch.setattr(preparation, "EXACT_ON_ROWS_MAX", 1000)
    held = open_data(path, chunk_rows=700)  # 12000 values: held as pyarrow's columns, both passes from memory
    assert isinstance(held, TableSource) and held.table is not None and held.n_rows == 3000
    monkeypatch.setattr(preparation, "RESIDENT_BYTES", 1000)
    source = open_data(path, chunk_rows=700)  # read in chunks
    assert isinstance(source, TableSource) and source.chunk_rows == 700 and source.table is None
    assert isinstance(open_data(path, rows=True), Dataset)  # the data engine and minibatches hold the rows
    assert isinstance(open_data("height-weight"), Dataset)
    whole, streamed, from_memory = fit(load_file(path)), fit(source), fit(held)
    for result in (streamed, from_memory):
        np.testing.assert_allclose(result.exact.coef, whole.exact.coef, rtol=1e-10)
        assert result.exact.loss == pytest.approx(whole.exact.loss, rel=1e-10)
    # the statistics pass alone: the residual moments it gathers refine the optimum (no second pass)
    assert preparation.row_passes(source, streamed.stats) == 1


def test_whole_parquet_keeps_float32_columns_in_one_copy(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    values = np.random.default_rng(0).standard_normal((100, 3)).astype(np.float32)
    pq.write_table(pa.table({"a": values[:, 0], "b": values[:, 1], "y": values[:, 2]}), tmp_path / "f.parquet")
    ds = load_file(tmp_path / "f.parquet")
    assert ds.X.dtype == np.float32 and ds.y.dtype == np.float32 and ds.X.flags.c_contiguous
    np.testing.assert_array_equal(ds.X, values[:, :2])
    pq.write_table(pa.table({"a": values[:, 0], "b": values[:, 1].astype(np.float64), "y": values[:, 2]}),
                   tmp_path / "g.parquet")
    assert load_file(tmp_path / "g.parquet").X.dtype == np.float64


@pytest.mark.parametrize("cells, message", [
    ("176,heavy", "column 'weight' is not numeric: 'heavy' in rows 2, 9 (data rows"),
    ("tall,60", "column 'height' is not numeric: 'tall' in rows 2, 9 (data rows"),
])
def test_text_cells_in_a_file_read_in_chunks_are_named_with_their_rows(tmp_path, cells, message):
    rows = ["166,58.7"] * 12
    rows[1] = rows[8] = cells  # in different chunks of 4 rows
    path = tmp_path / "bad.csv"
    path.write_text("height,weight\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        list(open_table(path, chunk_rows=4).chunks())
    whole = message.replace("is not numeric", "in bad.csv is not numeric")
    with pytest.raises(DataError, match=whole.replace("(", r"\(")):  # the whole load names the same cells
        load_file(path)


def test_whole_csv_reading_keeps_korean_headers_and_spaces(tmp_path):
    for encoding, name in [("utf-8-sig", "bom.csv"), ("cp949", "cp949.csv")]:
        path = tmp_path / name
        path.write_text("키, 몸무게\n170, 60.5\n180, 70\n175, 66\n", encoding=encoding)
        ds = load_file(path)
        assert ds.feature_names == ("키",) and ds.target_name == "몸무게"
        np.testing.assert_array_equal(ds.y, [60.5, 70, 66])


def test_a_pandas_index_in_parquet_is_not_a_feature(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.5], "y": [2.0, 4.1, 5.9, 9.2]}, index=[10, 20, 30, 40])
    frame.index.name = "id"
    frame.to_parquet(tmp_path / "f.parquet")  # the index is stored as a column "id"
    assert load_file(tmp_path / "f.parquet").feature_names == ("x",)
    assert open_table(tmp_path / "f.parquet").feature_names == ("x",)


@pytest.mark.parametrize("cell, message", [
    ("heavy", r"cannot read bad.csv: column 'weight' is not numeric: 'heavy' in rows 2, 9 \(data rows"),
    ("", r"bad.csv has empty or NaN cells: 'weight' 2 \(rows 2, 9\); fill them or use missing=\"drop\""),
])
def test_a_held_file_names_bad_cells_as_a_chunked_read_does(tmp_path, monkeypatch, cell, message):
    from slopefit.solve import preparation
    from slopefit.solve.preparation import gather_stats, open_data

    rows = [f"{160 + k},{50 + k}" for k in range(12)]
    rows[1] = rows[8] = f"176,{cell}"
    path = tmp_path / "bad.csv"
    path.write_text("height,weight\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(preparation, "EXACT_ON_ROWS_MAX", 4)
    with pytest.raises(DataError, match=message):
        gather_stats(open_data(path, chunk_rows=4))


def test_a_file_that_grows_while_streamed_is_refused(tmp_path):
    """Rows appended during a pass (another program still writing the file): the pass is refused at
    its end instead of fitting rows of no one version of the file."""
    from slopefit.data.tables import open_table
    from slopefit.errors import DataError

    path = tmp_path / "growing.csv"
    path.write_text("x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(200)))
    source = open_table(path, chunk_rows=50)
    rows = 0
    with pytest.raises(DataError, match=r"growing.csv changed while it was being read \(size [\d,]+ -> [\d,]+ bytes\)"):
        for X, _ in source.chunks():
            if rows == 0:
                with open(path, "a") as fh:
                    fh.write("".join(f"{i},{2 * i + 1}\n" for i in range(200, 400)))
            rows += len(X)
    # the rows read before the refusal: the first pass's chunks, none of them the appended rows (x < 200)
    assert 0 < rows <= 400
