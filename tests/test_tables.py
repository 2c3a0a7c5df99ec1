"""Files read in chunks give what reading them whole gives."""

from __future__ import annotations

import numpy as np
import pytest

from slopefit.config import TrainConfig
from slopefit.datasets import load_file, make_synthetic
from slopefit.errors import DataError
from slopefit.stats import compute_stats
from slopefit.tables import open_table
from slopefit.training import fit


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
    assert len(chunks) > 3 and max(len(c[1]) for c in chunks) <= 256 or source.format == "csv"
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
    from slopefit.exact import solve_exact

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
    first_chunk_rows = set(data.y[:300].tolist())
    assert not set(parts[0][1].tolist()) <= first_chunk_rows or source.format == "parquet"


def test_korean_cp949_csv_streams(tmp_path):
    path = tmp_path / "키몸무게.csv"
    path.write_bytes("키,몸무게\n166,58.7\n176,75.7\n171,62.1\n173,70.4\n169,60.1\n".encode("cp949"))
    source = open_table(path)
    assert source.feature_names == ("키",) and source.target_name == "몸무게"
    stats = compute_stats(source.chunks(), 1)
    assert stats.solve().coef[0] == pytest.approx(1.820689655, rel=1e-9)


@pytest.mark.parametrize("text, message", [
    ("a,b\n1,2\n,3\n4,5\n", "column 'a' in data.csv has empty cells in row 2"),
    ("a,b\n1,2\nx,3\n", "cannot read data.csv: "),
    ("a,b\n1,2\n2,inf\n", "column 'b' in data.csv has NaN or infinite values in row 2"),
])
def test_bad_cells_are_named(write_csv, text, message):
    from slopefit.preparation import gather_stats

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
        open_table(path)
    with pytest.raises(DataError, match="does not exist"):
        open_table(tmp_path / "nothing.parquet")
