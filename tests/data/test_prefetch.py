"""Chunks read ahead on a thread: the same statistics, the same errors, and a reader that stops."""

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slopefit.data.datasets import make_synthetic
from slopefit.data.prefetch import THREAD_NAME, read_ahead
from slopefit.data.tables import open_table
from slopefit.errors import DataError
from slopefit.solve.accumulation import compute_stats
from slopefit.solve.preparation import gather_stats


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME and t.is_alive()]


@pytest.fixture
def parquet(tmp_path):
    data = make_synthetic(20_000, 4, seed=31, offset=60.0, dtype=np.float32)
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({**{f"x{j}": data.X[:, j] for j in range(4)}, "y": data.y}), path, row_group_size=3000)
    return data, path


def test_read_ahead_gives_the_sequential_statistics_bit_for_bit(parquet):
    data, path = parquet
    source = open_table(path, chunk_rows=2500)
    counts_seq: list[int] = []
    counts_ahead: list[int] = []
    sequential = compute_stats(source.chunks(on_rows=counts_seq.append), 4)
    ahead = compute_stats(read_ahead(source.chunks, on_rows=counts_ahead.append), 4)
    # the same chunks in the same order through the same float64 operations: identical sums
    np.testing.assert_array_equal(ahead.gram, sequential.gram)
    np.testing.assert_array_equal(ahead.x_min, sequential.x_min)
    assert counts_ahead == counts_seq and counts_seq[-1] == 20_000
    # and the statistics of the rows themselves (an independent float64 sum over the whole table)
    xs = data.X.astype(np.float64) - ahead.x_shift
    np.testing.assert_allclose(ahead.gram[:4, :4], xs.T @ xs, rtol=1e-12)
    np.testing.assert_array_equal(ahead.x_max, data.X.max(axis=0))
    assert not _readers()


def test_an_error_in_the_reader_is_the_same_one_line_error(tmp_path):
    rows = ["a,b,y"] + [f"{i % 7},{i % 5 + 0.5},{i}" for i in range(5000)]
    rows[3500] = "1,oops,2"
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(rows) + "\n")
    source = open_table(path, chunk_rows=1000)
    with pytest.raises(DataError) as sequential:
        compute_stats(source.chunks(), 2)
    with pytest.raises(DataError) as ahead:
        gather_stats(source)
    assert str(ahead.value) == str(sequential.value) and "\n" not in str(ahead.value)
    assert "'b'" in str(ahead.value) and "oops" in str(ahead.value)
    assert not _readers()


def test_a_consumer_that_stops_early_stops_the_reader():
    closed = threading.Event()
    made = []

    def endless(*, on_rows=None):
        try:
            k = 0
            while True:  # never ends by itself: only the consumer's stop ends it
                k += 1
                made.append(k)
                yield k
        finally:
            closed.set()

    chunks = read_ahead(endless, depth=2)
    assert [next(chunks) for _ in range(3)] == [1, 2, 3]
    chunks.close()
    assert closed.wait(5.0) and not _readers()
    assert len(made) <= 3 + 2 + 1  # bounded: at most depth ahead, and the one waiting for room


def test_an_error_while_accumulating_stops_the_reader(parquet):
    data, path = parquet
    X = data.X.copy()
    X[12_345, 2] = np.inf  # the reader passes it on; the statistics pass names it (NaN is the reader's to name)
    pq.write_table(pa.table({**{f"x{j}": X[:, j] for j in range(4)}, "y": data.y}), path, row_group_size=3000)
    with pytest.raises(DataError, match="column 'x2' in t.parquet has NaN or infinite values in row 12346"):
        gather_stats(open_table(path, chunk_rows=2500))
    assert not _readers()


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth must be at least 1, got 0"):
        next(read_ahead(lambda **_: iter([1]), depth=0))
