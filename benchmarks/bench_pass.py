"""The statistics pass at its floor (issue 11 item 3): every target as a ratio against a baseline
measured in the same run, interleaved.

    .venv/bin/python benchmarks/bench_pass.py [--n 10000000] [--d 16] [--parquet-rows 5000000]
        [--repeat 5] [--batch 1024] [--minibatch-rows 1000000] [--minibatch-d 8]
        [--only stats fit parquet minibatch] [--dir /tmp/slopefit-pass] [--json FILE]

``make bench-pass`` runs it at full size; ``--n 200000 --parquet-rows 200000 --repeat 3`` runs in
seconds. Baseline and candidate alternate (ABBA) ``--repeat`` times; each line gives the median
of the paired ratios and their range (min..max), which says how noisy the machine was.

1. ``compute_stats`` on n x d float32 rows <= 1.2 x a plain numpy float64 pass: shift by a
   per-column value, then one ``A.T @ A`` per cache-sized chunk (8192 rows) of ``[X - s, y - t, 1]``
   (numpy and its BLAS as they come; the pass deals a large block to torch's thread count, one torch
   thread each, see ``StatsAccumulator._add_parts``).
2. ``sf.fit`` to a 1e-6 relative gap (stats engine, sgd momentum 0.9, the reference included)
   <= 1.4 x the same numpy pass.
3. a streamed Parquet fit (``open_table``, chunks read ahead on a thread) <= 1 x reading the file
   and accumulating its chunks in sequence (the statistics pass alone, one thread).
4. a minibatch epoch (1M x 8 float32 rows, batch 1024) against one float32 ``X @ w`` (the faster of
   torch's default threads and one thread), interleaved: target 4 x (issue 22).

Nothing is asserted: time depends on the machine; the tests check correctness.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

NUMPY_CHUNK = 8192
SHIFT_ROWS = 65_536


def numpy_pass(X: np.ndarray, y: np.ndarray, chunk: int = NUMPY_CHUNK) -> np.ndarray:
    """The baseline: the Gram matrix of ``[X - s, y - t, 1]`` in float64, one ``A.T @ A`` a chunk."""
    n, d = X.shape
    s = X[:SHIFT_ROWS].mean(axis=0, dtype=np.float64)
    t = float(y[:SHIFT_ROWS].mean(dtype=np.float64))
    A = np.empty((chunk, d + 2))
    A[:, d + 1] = 1.0
    gram = np.zeros((d + 2, d + 2))
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        a = A[:m]
        np.subtract(X[start:start + m], s, out=a[:, :d])
        np.subtract(y[start:start + m], t, out=a[:, d])
        gram += a.T @ a
    return gram


def _seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def paired(baseline: Callable[[], object], candidate: Callable[[], object],
           repeat: int) -> tuple[float, float, np.ndarray]:
    """Median seconds of each and the paired ratios candidate / baseline, run ABBA-interleaved."""
    base, cand = [], []
    for k in range(repeat):
        if k % 2 == 0:
            base.append(_seconds(baseline))
            cand.append(_seconds(candidate))
        else:
            cand.append(_seconds(candidate))
            base.append(_seconds(baseline))
    ratios = np.array(cand) / np.array(base)
    return float(np.median(base)), float(np.median(cand)), ratios


def report(name: str, base: float, cand: float, ratios: np.ndarray, limit: float, what: str) -> dict:
    """Print one target's line; return it as a record (``bench_all.py`` gathers them into one table)."""
    ratio = float(np.median(ratios))
    status = "MET" if ratio <= limit else "MISSED"
    print(f"  {name:<44} {ratio:6.2f} (target <= {limit:g}) {status:<6}  range {ratios.min():.2f}..{ratios.max():.2f};"
          f"  {what} {base:.3f} s, candidate {cand:.3f} s", flush=True)
    return {"name": name, "baseline": what, "baseline_s": base, "candidate_s": cand, "ratio": ratio,
            "low": float(ratios.min()), "high": float(ratios.max()), "limit": limit}


def stats_target(X: np.ndarray, y: np.ndarray, repeat: int) -> list[dict]:
    from slopefit.solve.accumulation import compute_stats

    d = X.shape[1]
    compute_stats([(X[:20_000], y[:20_000])], d)  # one-off set-up costs, untimed
    numpy_pass(X[:20_000], y[:20_000])
    print(f"\n1. compute_stats on {X.shape[0]} x {d} float32 rows against the numpy float64 pass", flush=True)
    base, cand, ratios = paired(lambda: numpy_pass(X, y), lambda: compute_stats([(X, y)], d), repeat)
    return [report("compute_stats / numpy pass", base, cand, ratios, 1.2, "numpy pass")]


def fit_target(data, repeat: int) -> list[dict]:
    from slopefit.train.config import TrainConfig
    from slopefit.train.training import fit

    config = TrainConfig(lr=0.1, options={"momentum": 0.9}, epochs=1000, stop_gap=1e-6, log_every=1000)
    fit(type(data)(**{**data.__dict__, "X": data.X[:20_000], "y": data.y[:20_000]}), config)  # set-up costs
    results = []

    def run() -> None:
        results.append(fit(data, config))

    print(f"\n2. sf.fit to a 1e-6 gap on {data.n_samples} x {data.n_features} against the numpy pass", flush=True)
    base, cand, ratios = paired(lambda: numpy_pass(data.X, data.y), run, repeat)
    last = results[-1]
    record = report("fit / numpy pass", base, cand, ratios, 1.4, "numpy pass")
    print(f"     last fit: statistics {last.seconds_stats:.3f} s, reference {last.seconds_exact:.4f} s, loop "
          f"{last.seconds:.3f} s ({last.epochs_run} epochs), gap {last.relative_gap:.2g}", flush=True)
    return [record]


def parquet_target(rows: int, d: int, folder: Path, repeat: int) -> list[dict]:
    from bench_load import write_parquet  # a sibling script: the one writer of the benchmark table

    from slopefit.data.tables import open_table
    from slopefit.solve.accumulation import compute_stats
    from slopefit.solve.preparation import gather_stats
    from slopefit.train.config import TrainConfig
    from slopefit.train.training import fit

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"pass_{rows}_{d}.parquet"
    write_parquet(path, rows, d)
    config = TrainConfig(lr=0.1, options={"momentum": 0.9}, epochs=1000, stop_gap=1e-6, log_every=1000)
    source = open_table(path)

    def sequential() -> None:  # read, then accumulate, chunk after chunk, on one thread
        compute_stats(source.chunks(), d)

    results = []
    print(f"\n3. streamed Parquet fit, {rows} x {d} float32 ({path.stat().st_size / 2**20:.0f} MiB), "
          "against reading and accumulating in sequence", flush=True)
    fit(open_table(path), config)  # warm the page cache and the set-up costs
    base, cand, ratios = paired(sequential, lambda: results.append(fit(open_table(path), config)), repeat)
    records = [report("streamed fit / (read + accumulate)", base, cand, ratios, 1.0, "read + accumulate")]
    base, cand, ratios = paired(sequential, lambda: gather_stats(open_table(path)), repeat)
    records.append(report("statistics pass read ahead / (read + accumulate)", base, cand, ratios, 1.0,
                          "read + accumulate"))
    read = float(np.median([_seconds(lambda: [None for _ in source.chunks()]) for _ in range(max(repeat // 2, 1))]))
    print(f"     decoding alone (chunks, no accumulation): {read:.3f} s; last fit {results[-1].epochs_run} epochs, "
          f"gap {results[-1].relative_gap:.2g}", flush=True)
    return records


def minibatch_target(data, batch: int, repeat: int) -> list[dict]:
    """One more minibatch epoch of ``sf.fit`` (engine data, sgd momentum 0.9) against one float32 ``X @ w``.

    The epoch is the loop time of a 6-epoch fit minus that of a 1-epoch fit, over 5 (five epochs apart, so that
    a stall of the machine cannot make the difference negative, as 3 against 1 did): the set-up of
    a run (the statistics, the reference, the rows scaled into a tensor, the block Gram matrices of a
    block-shuffled run) cancels out and is printed beside it. ``X @ w`` is the faster of torch's default
    threads and one thread (a busy machine stalls torch's threads), measured between the two fits.
    """
    import torch

    from slopefit.solve.accumulation import one_torch_thread
    from slopefit.train.config import TrainConfig
    from slopefit.train.training import fit

    settings = dict(lr=0.01, options={"momentum": 0.9}, batch_size=batch, engine="data", log_every=1000)
    X, w = torch.from_numpy(data.X), torch.ones(data.n_features)
    steps = -(-data.n_samples // batch)

    def matvec() -> float:
        with one_torch_thread():
            one = _seconds(lambda: X @ w)
        return min(_seconds(lambda: X @ w), one)

    fit(type(data)(**{**data.__dict__, "X": data.X[:20_000], "y": data.y[:20_000]}), TrainConfig(**settings, epochs=1))
    epochs, bases, firsts = [], [], []
    for _ in range(repeat):
        one = fit(data, TrainConfig(**settings, epochs=1)).seconds
        bases.append(matvec())
        six = fit(data, TrainConfig(**settings, epochs=6)).seconds
        epochs.append((six - one) / 5)
        firsts.append(one - epochs[-1])
    ratios = np.array(epochs) / np.array(bases)
    print(f"\n4. minibatch epoch, {data.n_samples} x {data.n_features} float32, batch {batch} ({steps} steps), "
          "against one X @ w", flush=True)
    record = report("minibatch epoch / (X @ w)", float(np.median(bases)), float(np.median(epochs)), ratios, 4.0,
                    "X @ w")
    print(f"     {float(np.median(epochs)) / steps * 1e6:.1f} us a step; the first pass costs "
          f"{float(np.median(firsts)):.3f} s more (a run's set-up of the rows)", flush=True)
    return [record]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="rows in memory (targets 1, 2, 4)")
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--parquet-rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1024, help="minibatch rows (target 4)")
    parser.add_argument("--minibatch-rows", type=int, default=1_000_000, help="rows of the minibatch target")
    parser.add_argument("--minibatch-d", type=int, default=8, help="features of the minibatch target")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/slopefit-pass"), help="where the Parquet file is kept")
    parser.add_argument("--only", nargs="+", choices=("stats", "fit", "parquet", "minibatch"),
                        default=["stats", "fit", "parquet", "minibatch"])
    parser.add_argument("--json", type=Path, help="also write the targets' records to this file")
    args = parser.parse_args()

    import torch

    from slopefit.bench.harness import bench_data

    print(f"slopefit statistics pass: {args.n} x {args.d} float32 in memory, {args.parquet_rows} rows of Parquet; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.repeat} interleaved repeats",
          flush=True)
    data = bench_data(args.n, args.d) if {"stats", "fit"} & set(args.only) else None
    records = []
    if "stats" in args.only:
        records += stats_target(data.X, data.y, args.repeat)
    if "fit" in args.only:
        records += fit_target(data, args.repeat)
    if "parquet" in args.only:
        records += parquet_target(args.parquet_rows, args.d, args.dir, args.repeat)
    if "minibatch" in args.only:
        small = bench_data(args.minibatch_rows, args.minibatch_d)
        records += minibatch_target(small, args.batch, args.repeat)
    if args.json is not None:
        import json

        args.json.write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
