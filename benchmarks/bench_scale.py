"""The scale targets, each as a ratio against a baseline measured in the same run.

    .venv/bin/python benchmarks/bench_scale.py [--n 10000000] [--d 16] [--parquet-rows 50000000]
        [--skip-bench] [--skip-parquet] [--skip-sweep] [--skip-minibatch]

Targets (on a 2-core machine, float32 features with offsets):

1. a slopefit fit to a 1e-6 relative gap <= 3 x the floor (one float32 X.T @ X), >= 15 x
   faster than scikit-learn's LinearRegression and >= 60 x faster than the plain loop;
2. a minibatch epoch (batch 4096) <= 4 x one X @ w pass;
3. the stats engine on a 50M x 16 float32 Parquet file: peak memory < 1 GB and <= 2 x the
   time pyarrow needs to read the file;
4. a sweep of 256 configurations x 200 epochs on 1M rows <= 3 x one configuration.

Each line prints the measured figures, the ratio and MET or MISSED. Nothing is asserted:
time depends on the machine; the tests check correctness.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def report(name: str, ratio: float, limit: float, detail: str, *, at_least: bool = False) -> None:
    met = ratio >= limit if at_least else ratio <= limit
    sign = ">=" if at_least else "<="
    print(f"{name:<46} {ratio:8.2f} (target {sign} {limit:g})  {'MET' if met else 'MISSED'}   {detail}", flush=True)


def fit_targets(n: int, d: int) -> None:
    from slopefit.bench.harness import run_bench

    records = {r.method: r for r in run_bench(n, d, skip=("sklearn-sgd",))}
    ours = records["slopefit-stats"]
    floor = records["floor-gram"].seconds
    print(f"\n1. fit at {n} x {d} float32: slopefit-stats {ours.seconds:.3f} s, {ours.epochs} epochs, "
          f"gap {ours.rel_gap:.2g}")
    report("   slopefit-stats / floor-gram", ours.seconds / floor, 3, f"floor {floor:.3f} s")
    report("   sklearn-linear / slopefit-stats", records["sklearn-linear"].seconds / ours.seconds, 15,
           f"sklearn {records['sklearn-linear'].seconds:.3f} s, gap {records['sklearn-linear'].rel_gap:.2g}",
           at_least=True)
    report("   naive-loop / slopefit-stats", records["naive-loop"].seconds / ours.seconds, 60,
           f"loop {records['naive-loop'].seconds:.3f} s, {records['naive-loop'].epochs} epochs", at_least=True)


def minibatch_target(n: int, d: int) -> None:
    import torch

    from slopefit.bench.harness import bench_data
    from slopefit.train.config import TrainConfig
    from slopefit.train.training import fit

    data = bench_data(n, d)
    X = torch.from_numpy(data.X)
    w = torch.ones(d)
    matvec = min(_timed(lambda: X @ w) for _ in range(3))
    config = dict(lr=0.01, options={"momentum": 0.9}, batch_size=4096, engine="data", log_every=1000)
    fit(bench_data(20_000, d), TrainConfig(**config, epochs=1))  # warm-up
    one = fit(data, TrainConfig(**config, epochs=1)).seconds
    three = fit(data, TrainConfig(**config, epochs=3)).seconds
    epoch = (three - one) / 2  # the loop's time for one more epoch, set-up excluded
    print(f"\n2. minibatch epoch at {n} x {d}, batch 4096: {epoch:.3f} s; one X @ w: {matvec:.4f} s")
    report("   minibatch epoch / (X @ w)", epoch / matvec, 4, "")


def parquet_target(rows: int, d: int) -> None:
    from bench_load import write_parquet  # a sibling script: the one writer of the benchmark table

    folder = Path(tempfile.mkdtemp(prefix="slopefit-bench-"))
    path = folder / "big.parquet"
    print(f"\n3. writing {rows} x {d} float32 Parquet file ...", flush=True)
    write_parquet(path, rows, d)
    size = path.stat().st_size
    reader = "import sys, time, pyarrow.parquet as pq\n" \
             "t = time.perf_counter()\n" \
             "pf = pq.ParquetFile(sys.argv[1], pre_buffer=False, buffer_size=1 << 20)\n" \
             "for b in pf.iter_batches(batch_size=262144): pass\n" \
             "print(time.perf_counter() - t)\n"
    # peak memory from VmHWM: getrusage's ru_maxrss survives exec and would report the parent's size
    ours = ("import sys, time, torch\nfrom slopefit.data.tables import open_table\n"
            "from slopefit.train.config import TrainConfig\nfrom slopefit.train.training import fit\n"
            "t = time.perf_counter()\n"
            "r = fit(open_table(sys.argv[1]), TrainConfig(lr=0.1, options={'momentum': 0.9}, epochs=1000, "
            "stop_gap=1e-6, log_every=1000))\nseconds = time.perf_counter() - t\n"
            "hwm = next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM'))\n"
            "print(seconds, hwm / 1024, r.relative_gap, r.epochs_run)\n")
    read = min(float(_run(reader, path)) for _ in range(2))
    seconds, peak_mb, gap, epochs = _run(ours, path).split()
    print(f"   file {size / 2**30:.2f} GiB; pyarrow streaming read {read:.2f} s; slopefit fit {float(seconds):.2f} s, "
          f"{epochs} epochs, gap {float(gap):.2g}, peak RSS {float(peak_mb):.0f} MB")
    report("   fit / pyarrow read", float(seconds) / read, 2, "")
    report("   peak memory (GB)", float(peak_mb) / 1024, 1, "VmHWM of the whole process, torch included")
    path.unlink()
    folder.rmdir()


def sweep_target() -> None:
    from slopefit.bench.harness import bench_data
    from slopefit.train.config import TrainConfig
    from slopefit.train.sweep import grid, sweep
    from slopefit.train.training import fit

    data = bench_data(1_000_000, 16)
    base = TrainConfig(epochs=200, log_every=200)
    fit(bench_data(10_000, 16), base)  # warm-up
    start = time.perf_counter()
    fit(data, base)
    one = time.perf_counter() - start
    configs = grid(base, np.geomspace(1e-4, 1.0, 32).tolist(), np.linspace(0, 0.95, 8).tolist())
    start = time.perf_counter()
    result = sweep(data, configs)
    many = time.perf_counter() - start
    print(f"\n4. sweep at 1M x 16: {len(configs)} configs x 200 epochs {many:.3f} s; one config {one:.3f} s; "
          f"{int(result.diverged.sum())} diverged")
    report("   sweep / one configuration", many / one, 3, "")


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _run(code: str, path: Path) -> str:
    out = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return out.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--parquet-rows", type=int, default=50_000_000)
    for part in ("bench", "minibatch", "parquet", "sweep"):
        parser.add_argument(f"--skip-{part}", action="store_true")
    args = parser.parse_args()
    if not args.skip_bench:
        fit_targets(args.n, args.d)
    if not args.skip_minibatch:
        minibatch_target(args.n, args.d)
    if not args.skip_parquet:
        parquet_target(args.parquet_rows, args.d)
    if not args.skip_sweep:
        sweep_target()


if __name__ == "__main__":
    main()
