"""Shares of the data (slopefit.dist.shards) and the statistics gathered over them (slopefit.dist.distributed),
in one process: every share together is the whole table, in order, and the answer is numpy's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slopefit.data.datasets import Dataset
from slopefit.dist.distributed import gather_stats, reference, reshift
from slopefit.dist.shards import data_files, deal, is_many, open_share
from slopefit.errors import DataError
from slopefit.solve.accumulation import compute_stats
from slopefit.train.config import TrainConfig
from slopefit.train.training import fit


def table(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)) * [1.0, 5.0] + [10.0, 100.0]
    y = X @ [2.0, -1.0] + 3.0 + rng.normal(size=n) * 0.5
    return X, y


def write_parquet(path: Path, X: np.ndarray, y: np.ndarray, groups: list[int]) -> Path:
    t = pa.table({"a": X[:, 0], "b": X[:, 1], "y": y})
    with pq.ParquetWriter(path, t.schema) as w:
        start = 0
        for size in groups:
            w.write_table(t.slice(start, size))
            start += size
    return path


def lstsq(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)[0]


def test_deal_gives_contiguous_blocks_and_may_leave_a_process_none():
    assert deal([100, 100, 100, 100], 2) == [0, 0, 1, 1]
    assert deal([1500, 1400, 50, 50], 3) == [0, 2, 2, 2]  # process 1 gets nothing
    assert deal([5], 4) == [2]
    ranks = deal(list(np.random.default_rng(1).integers(1, 100, size=50)), 7)
    assert ranks == sorted(ranks) and set(ranks) == set(range(7))


@pytest.mark.parametrize("groups", [[1500, 1400, 50, 50], [50, 1750, 20, 1180], [3000]])
@pytest.mark.parametrize("world", [1, 2, 3, 4])
def test_parquet_shares_are_the_file_in_order(tmp_path, groups, world):
    X, y = table()
    path = write_parquet(tmp_path / "u.parquet", X, y, groups)
    shares = [open_share(path, rank=r, world_size=world) for r in range(world)]
    rows = [s.read_all() for s in shares]
    assert np.array_equal(np.concatenate([r[0] for r in rows]), X)
    assert np.array_equal(np.concatenate([r[1] for r in rows]), y)
    if groups[0] == 1500 and world == 3:
        assert shares[1].parts == () and len(rows[1][1]) == 0


@pytest.mark.parametrize("world", [1, 2, 3, 5])
def test_csv_byte_ranges_hold_every_line_once(tmp_path, world):
    X, y = table(997, seed=2)
    path = tmp_path / "u.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y}).to_csv(path, index=False)
    rows = [open_share(path, rank=r, world_size=world).read_all() for r in range(world)]
    assert np.array_equal(np.concatenate([r[1] for r in rows]), y)
    assert np.array_equal(np.concatenate([r[0] for r in rows]), X)


def test_a_directory_and_a_pattern_are_their_files_sorted(tmp_path):
    X, y = table()
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, (a, b) in enumerate([(0, 1000), (1000, 1100), (1100, 3000)]):
        write_parquet(parts / f"p{i}.parquet", X[a:b], y[a:b], [b - a])
    assert is_many(parts) and is_many(str(parts / "*.parquet")) and not is_many(parts / "p0.parquet")
    assert [p.name for p in data_files(str(parts / "p*.parquet"))] == ["p0.parquet", "p1.parquet", "p2.parquet"]
    for world in (1, 2, 3, 4):
        rows = [open_share(parts, rank=r, world_size=world).read_all() for r in range(world)]
        assert np.array_equal(np.concatenate([r[1] for r in rows]), y)


def test_files_that_do_not_fit_together_are_named(tmp_path):
    X, y = table(20)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    write_parquet(mixed / "a.parquet", X, y, [20])
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y}).to_csv(mixed / "b.csv", index=False)
    with pytest.raises(DataError, match="mixes Parquet and CSV"):
        open_share(mixed)
    other = tmp_path / "other"
    other.mkdir()
    write_parquet(other / "a.parquet", X, y, [20])
    pq.write_table(pa.table({"a": X[:, 0], "c": X[:, 1], "y": y}), other / "b.parquet")
    with pytest.raises(DataError, match="b.parquet has features a, c -> y but a.parquet has a, b -> y"):
        open_share(other)
    with pytest.raises(DataError, match="no file matches"):
        open_share(str(tmp_path / "none*.parquet"))


def test_reshift_moves_the_statistics_exactly():
    X, y = table()
    stats = compute_stats([(X, y)], 2)
    moved = reshift(stats, np.array([9.0, 104.0]), 1.5)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    cxx, cxy, cyy = moved.centered()
    assert np.allclose(cxx, Xc.T @ Xc, rtol=1e-12, atol=0)
    assert np.allclose(cxy, Xc.T @ yc, rtol=1e-12, atol=0)
    assert cyy == pytest.approx(float(yc @ yc), rel=1e-12)
    assert np.allclose(moved.x_mean, X.mean(axis=0), rtol=1e-14, atol=0)
    raw = moved.raw()[0]
    assert np.allclose(raw, X.T @ X, rtol=1e-13, atol=0)


def test_statistics_of_shares_are_those_of_the_whole(tmp_path):
    X, y = table()
    path = write_parquet(tmp_path / "u.parquet", X, y, [50, 1750, 20, 1180])
    share = open_share(path)
    stats = gather_stats(share, None)
    assert stats.n == 3000
    assert np.array_equal(stats.x_min, X.min(axis=0)) and np.array_equal(stats.x_max, X.max(axis=0))
    exact = reference(share, stats, None)
    want = lstsq(X, y)
    assert np.allclose(exact.coef, want[:2], rtol=1e-12, atol=0)
    assert exact.intercept == pytest.approx(want[2], rel=1e-11)


def test_a_bad_cell_in_a_share_names_its_rows_in_the_file(tmp_path):
    X, y = table()
    X[2500, 0] = np.nan
    path = write_parquet(tmp_path / "bad.parquet", X, y, [1500, 1400, 50, 50])
    share = open_share(path, rank=1, world_size=2)
    with pytest.raises(DataError, match=r"bad.parquet \(row groups 2-4 of 4: its rows 1501-3000, numbered from 1 "
                                        r"here\).*'a'.*\brow 1001\b"):
        gather_stats(share, None)


def test_a_run_of_one_on_a_directory_is_the_run_on_the_whole_table(tmp_path):
    X, y = table()
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, (a, b) in enumerate([(0, 1000), (1000, 1100), (1100, 3000)]):
        write_parquet(parts / f"p{i}.parquet", X[a:b], y[a:b], [b - a])
    whole = Dataset(X=X, y=y, feature_names=("a", "b"), target_name="y", name="whole")
    share = open_share(parts)
    stats = gather_stats(share, None)
    exact = reference(share, stats, None)
    for config, rtol in [(TrainConfig(), 1e-12),
                         (TrainConfig(lr=0.05, batch_size=64, epochs=4, dtype="float64", seed=3), 1e-10)]:
        one = fit(whole, config)
        shared = fit(share, config, stats=stats, reference=exact)
        assert np.allclose(shared.coef, one.coef, rtol=rtol, atol=0)
        assert shared.intercept == pytest.approx(one.intercept, rel=rtol)
        assert shared.epochs_run == one.epochs_run
    want = lstsq(X, y)
    automatic = fit(share, TrainConfig(), stats=stats, reference=exact)
    assert np.allclose(automatic.coef, want[:2], rtol=1e-8, atol=0)


def test_a_directory_of_csv_files_with_a_text_column_and_a_formula_in_one_process(tmp_path):
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    frame = sm.datasets.grunfeld.load_pandas().data
    frame["firm"] = frame["firm"].astype(str)
    parts = tmp_path / "parts"
    parts.mkdir()
    for k, (start, stop) in enumerate([(0, 90), (90, 150), (150, 220)]):  # each file holds only some firms
        frame.iloc[start:stop].to_csv(parts / f"part-{k}.csv", index=False)
    formula = "invest ~ value + capital + C(firm) + C(year)"
    share = open_share(parts, formula=formula)
    assert share.design is not None and len(share.design.levels["C(firm)"]) == 11
    result = fit(share, TrainConfig())
    model = smf.ols(formula, frame.astype({"year": int})).fit()  # whole-number years: C(year)[T.1936], as R names them
    want = dict(zip(model.params.index, model.params, strict=True))
    got = dict(zip(share.feature_names, result.exact.coef, strict=True), Intercept=result.exact.intercept)
    assert sorted(got) == sorted(want)
    scale = max(abs(v) for v in want.values())
    cond = np.linalg.cond(model.model.exog)
    assert max(abs(got[k] - want[k]) for k in want) <= max(1e-10, 10 * cond * np.finfo(float).eps) * scale
    text = open_share(parts, y="invest", x=["value", "capital", "firm"])
    assert [n for n in text.feature_names if n.startswith("firm")][0] == "firm[T.Atlantic Refining]"


def test_a_utf16_file_is_not_cut_by_bytes(tmp_path):
    """UTF-16 writes a line end in two bytes: a byte range would start mid-character, so it is refused."""
    import codecs

    from slopefit.dist.shards import open_share
    from slopefit.errors import DataError

    path = tmp_path / "u.csv"
    rows = "".join(f"{i},{2 * i + 1}\n" for i in range(100))
    path.write_bytes(codecs.BOM_UTF16_LE + ("a,b\n" + rows).encode("utf-16-le"))
    with pytest.raises(DataError, match=r"^u\.csv is UTF-16 text, which processes cannot share by byte ranges; "
                                        r"save it as CSV UTF-8 or Parquet"):
        open_share(path, rank=0, world_size=2)
    X, y = open_share(path, rank=0, world_size=1).read_all()
    assert y.tolist() == [2 * i + 1 for i in range(100)]  # the whole file, one process: read as written


def test_the_report_of_a_run_on_several_files_says_what_its_pass_and_solve_took(tmp_path, capsys, monkeypatch):
    """The time line's parts are the run's own: the statistics pass and the exact solve of the shares are
    counted (they were printed as 0.000 s: the pass was done before the fit and not timed)."""
    import json
    import time

    import slopefit.dist.distributed as distributed
    from slopefit.cli import main

    def slowed(work):  # each takes at least PAUSE seconds: a lower bound the report must show
        def run(*args, **kwargs):
            time.sleep(PAUSE)
            return work(*args, **kwargs)
        return run

    PAUSE = 0.2
    monkeypatch.setattr(distributed, "gather_stats", slowed(distributed.gather_stats))
    monkeypatch.setattr(distributed, "reference", slowed(distributed.reference))
    X, y = table()
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, (a, b) in enumerate([(0, 1000), (1000, 3000)]):
        write_parquet(parts / f"p{i}.parquet", X[a:b], y[a:b], [b - a])
    out = tmp_path / "run.json"
    assert main(["fit", str(parts), "--y", "y", "--json", str(out), "--lang", "en"]) == 0
    seconds = json.loads(out.read_text(encoding="utf-8"))["seconds"]
    assert seconds["stats"] >= PAUSE and seconds["exact"] >= PAUSE
    line = next(t for t in capsys.readouterr().out.splitlines() if t.startswith("time"))
    total = float(line.split()[1])
    # the printed total is the sum of its parts (rounded to 1 ms)
    assert total == pytest.approx(seconds["stats"] + seconds["exact"] + seconds["descent"], abs=2e-3)
