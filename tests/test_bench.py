"""The benchmark runs at a tiny size: every method, honest gaps, JSON records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from slopefit.bench.harness import METHODS, bench_data, run_bench
from slopefit.errors import ConfigError
from slopefit.solve.exact import solve_exact


def test_every_method_reports_a_gap_against_the_same_optimum():
    records = {r.method: r for r in run_bench(3000, 4, skip=("sklearn-sgd",))}
    assert set(records) == set(METHODS) - {"sklearn-sgd"}
    for name in ("slopefit-stats", "slopefit-data"):
        assert records[name].rel_gap <= 1e-6 and 0 < records[name].epochs < 1000
    assert records["slopefit-stats"].epochs == records["slopefit-data"].epochs  # same optimizer path
    assert records["naive-loop"].rel_gap < 1e-5
    assert records["sklearn-linear"].rel_gap < 1e-3
    # the floors fit no line and run no epochs; every loop reports its epochs (the seconds are
    # reported for the benchmark's tables, never asserted: they depend on the machine)
    for floor in ("floor-gram", "floor-matvec"):
        assert records[floor].rel_gap is None and records[floor].epochs is None
    for loop in ("naive-loop", "slopefit-stats", "slopefit-data", "slopefit-minibatch"):
        assert isinstance(records[loop].epochs, int) and records[loop].epochs > 0


def test_the_benchmark_data_has_offsets_and_float32_features():
    data = bench_data(1000, 3)
    assert data.X.dtype == np.float32
    means, spreads = data.X.mean(axis=0), data.X.std(axis=0)
    assert np.all(np.diff(means) > 5) and np.all(np.diff(spreads) > 0)
    assert solve_exact(data.X, data.y).coef == pytest.approx(data.true_coef, rel=0.1)


@pytest.mark.slow
def test_bench_command_writes_json_records(run_cli, tmp_path):
    out = tmp_path / "bench.json"
    res = run_cli("bench", "--n", "2000", "--d", "3", "--skip", "sklearn-sgd", "--skip", "naive-loop",
                  "--json", out)
    assert res.code == 0, res.err
    records = json.loads(out.read_text())
    assert [r["method"] for r in records] == [m for m in METHODS if m not in ("sklearn-sgd", "naive-loop")]
    assert all(set(r) == {"method", "seconds", "rel_gap", "epochs"} for r in records)
    assert "x floor-gram" in res.out and "slopefit-stats" in res.out


def test_an_unknown_method_is_named():
    with pytest.raises(ConfigError, match="unknown benchmark method 'sklearn'; methods are floor-gram"):
        run_bench(100, 2, skip=("sklearn",))


@pytest.mark.slow
def test_load_benchmark_runs_at_a_tiny_size(tmp_path):
    """benchmarks/bench_load.py writes its files, fits them in child processes and prints its table
    (no time is asserted)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_load.py"
    run = subprocess.run([sys.executable, str(script), "--rows", "300", "--d", "2", "--repeat", "1",
                          "--formats", "parquet", "--dir", str(tmp_path)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "rows300_d2.parquet" in run.stdout and "fit / (import + read)" in run.stdout


@pytest.mark.slow
def test_the_benchmark_table_runs_at_a_tiny_size(tmp_path):
    """benchmarks/bench_all.py (``make bench``) measures every ratio and prints one table of them
    (no time is asserted)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_all.py"
    run = subprocess.run([sys.executable, str(script), "--tiny", "--dir", str(tmp_path)], capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    for name in ("start-up", "torchrun 2 processes", "fit a csv file", "fit a parquet file", "compute_stats / numpy",
                 "fit / numpy pass", "streamed fit", "minibatch epoch / (X @ w)"):
        assert name in run.stdout, run.stdout
