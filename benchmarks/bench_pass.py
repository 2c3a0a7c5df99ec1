"""The statistics pass at its floor (issue 11 item 3): every target as a ratio against a baseline
measured in the same run, interleaved.

    .venv/bin/python benchmarks/bench_pass.py [--n 10000000] [--d 16] [--parquet-rows 5000000]
        [--repeat 5] [--batch 4096] [--only stats fit parquet minibatch] [--dir /tmp/slopefit-pass]

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
4. a minibatch epoch (batch 4096) against one float32 ``X @ w`` (the faster of torch's default
   threads and one thread), interleaved: target 4 x; where the time goes (the shuffle's gather,
   the Python loop, the batch arithmetic, the optimizer step, the rest) is printed beside it.

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


def report(name: str, base: float, cand: float, ratios: np.ndarray, limit: float, what: str) -> None:
    ratio = float(np.median(ratios))
    status = "MET" if ratio <= limit else "MISSED"
    print(f"  {name:<44} {ratio:6.2f} (target <= {limit:g}) {status:<6}  range {ratios.min():.2f}..{ratios.max():.2f};"
          f"  {what} {base:.3f} s, candidate {cand:.3f} s", flush=True)


def stats_target(X: np.ndarray, y: np.ndarray, repeat: int) -> None:
    from slopefit.solve.accumulation import compute_stats

    d = X.shape[1]
    compute_stats([(X[:20_000], y[:20_000])], d)  # one-off set-up costs, untimed
    numpy_pass(X[:20_000], y[:20_000])
    print(f"\n1. compute_stats on {X.shape[0]} x {d} float32 rows against the numpy float64 pass", flush=True)
    base, cand, ratios = paired(lambda: numpy_pass(X, y), lambda: compute_stats([(X, y)], d), repeat)
    report("compute_stats / numpy pass", base, cand, ratios, 1.2, "numpy pass")


def fit_target(data, repeat: int) -> None:
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
    report("fit / numpy pass", base, cand, ratios, 1.4, "numpy pass")
    print(f"     last fit: statistics {last.seconds_stats:.3f} s, reference {last.seconds_exact:.4f} s, loop "
          f"{last.seconds:.3f} s ({last.epochs_run} epochs), gap {last.relative_gap:.2g}", flush=True)


def parquet_target(rows: int, d: int, folder: Path, repeat: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from slopefit.data.tables import open_table
    from slopefit.solve.accumulation import compute_stats
    from slopefit.solve.preparation import gather_stats
    from slopefit.train.config import TrainConfig
    from slopefit.train.training import fit

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"pass_{rows}_{d}.parquet"
    if not path.exists():
        rng = np.random.default_rng(0)
        coef = rng.normal(0, 2, d)
        names = [f"x{j}" for j in range(d)] + ["y"]
        part = path.with_suffix(".part")
        with pq.ParquetWriter(part, pa.schema([(c, pa.float32()) for c in names])) as writer:
            for start in range(0, rows, 1_000_000):
                m = min(1_000_000, rows - start)
                X = 10.0 * np.arange(1, d + 1) + rng.standard_normal((m, d)) * np.linspace(0.5, 5, d)
                X = X.astype(np.float32)
                y = (X @ coef + 1.0 + rng.standard_normal(m)).astype(np.float32)
                writer.write_table(pa.table([*X.T, y], names=names))
        part.rename(path)
    config = TrainConfig(lr=0.1, options={"momentum": 0.9}, epochs=1000, stop_gap=1e-6, log_every=1000)
    source = open_table(path)

    def sequential() -> None:  # read, then accumulate, chunk after chunk, on one thread
        compute_stats(source.chunks(), d)

    results = []
    print(f"\n3. streamed Parquet fit, {rows} x {d} float32 ({path.stat().st_size / 2**20:.0f} MiB), "
          "against reading and accumulating in sequence", flush=True)
    fit(open_table(path), config)  # warm the page cache and the set-up costs
    base, cand, ratios = paired(sequential, lambda: results.append(fit(open_table(path), config)), repeat)
    report("streamed fit / (read + accumulate)", base, cand, ratios, 1.0, "read + accumulate")
    base, cand, ratios = paired(sequential, lambda: gather_stats(open_table(path)), repeat)
    report("statistics pass read ahead / (read + accumulate)", base, cand, ratios, 1.0, "read + accumulate")
    read = float(np.median([_seconds(lambda: [None for _ in source.chunks()]) for _ in range(max(repeat // 2, 1))]))
    print(f"     decoding alone (chunks, no accumulation): {read:.3f} s; last fit {results[-1].epochs_run} epochs, "
          f"gap {results[-1].relative_gap:.2g}", flush=True)


def minibatch_target(data, batch: int, repeat: int) -> None:
    import torch

    from slopefit.solve.accumulation import one_torch_thread
    from slopefit.solve.preparation import gather_stats
    from slopefit.train.engines import DataEngine
    from slopefit.train.loop import TorchRun, batch_closure
    from slopefit.train.optimizers import make_optimizer

    stats = gather_stats(data)
    scaler = stats.scaler("standardize")
    engine = DataEngine.from_arrays(data.X, data.y, scaler, dtype=torch.float32)
    d, n = data.n_features, data.n_samples
    W = torch.zeros(d, requires_grad=True)
    B = torch.zeros(1, requires_grad=True)
    optimizer = make_optimizer("sgd", [W, B], lr=0.01, options={"momentum": 0.9})
    run = TorchRun(engine, W, B, optimizer, batch_size=batch, generator=torch.Generator().manual_seed(0))
    X, w = engine.X, torch.ones(d)
    steps = -(-n // batch)

    def gather() -> None:
        order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
        torch.index_select(engine.X, 0, order, out=engine._shuffled[0])
        torch.index_select(engine.y, 0, order, out=engine._shuffled[1])

    def slices() -> None:
        Xs, ys = engine._shuffled
        for start in range(0, n, batch):
            Xs[start:start + batch], ys[start:start + batch]

    def arithmetic() -> None:
        Xs, ys = engine._shuffled
        for start in range(0, n, batch):
            batch_closure(Xs[start:start + batch], ys[start:start + batch], W, B)()

    def steps_alone() -> None:
        W.grad, B.grad = torch.zeros_like(W), torch.zeros_like(B)
        for _ in range(steps):
            optimizer.step()

    def matvec_one_thread() -> None:
        with one_torch_thread():
            X @ w

    run._minibatch_epoch()  # allocates the shuffle buffer; one-off costs
    timed = [(_seconds(lambda: X @ w), _seconds(matvec_one_thread), _seconds(run._minibatch_epoch))
             for _ in range(repeat)]
    matvec_default, matvec_one, epoch = (float(np.median(t)) for t in zip(*timed, strict=True))
    matvec = min(matvec_default, matvec_one)  # the faster of the two: a busy machine stalls torch's threads
    parts = {"gather (randperm + index_select)": float(np.median([_seconds(gather) for _ in range(repeat)]))}
    with one_torch_thread():  # as the epoch runs its steps
        for name, fn in (("Python loop and slicing", slices), ("batch arithmetic (closure)", arithmetic),
                         ("optimizer.step() alone", steps_alone)):
            parts[name] = float(np.median([_seconds(fn) for _ in range(repeat)]))
    print(f"\n4. minibatch epoch, {n} x {d} float32, batch {batch} ({steps} steps); one X @ w {matvec * 1e3:.2f} ms "
          f"(default threads {matvec_default * 1e3:.2f} ms, one thread {matvec_one * 1e3:.2f} ms)", flush=True)
    status = "MET" if epoch / matvec <= 4 else "MISSED"
    print(f"  {'minibatch epoch / (X @ w)':<44} {epoch / matvec:6.2f} (target <= 4) {status:<6}  epoch {epoch:.3f} s, "
          f"{epoch / steps * 1e6:.0f} us a step", flush=True)
    parts["epoch minus the parts above (noise: may be < 0)"] = epoch - sum(parts.values())
    for name, seconds in parts.items():
        print(f"     {name:<48} {seconds:.3f} s  {seconds / matvec:6.2f} x (X @ w)  "
              f"{seconds / steps * 1e6:6.1f} us a step")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="rows in memory (targets 1, 2, 4)")
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--parquet-rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/slopefit-pass"), help="where the Parquet file is kept")
    parser.add_argument("--only", nargs="+", choices=("stats", "fit", "parquet", "minibatch"),
                        default=["stats", "fit", "parquet", "minibatch"])
    args = parser.parse_args()

    import torch

    from slopefit.bench.harness import bench_data

    print(f"slopefit statistics pass: {args.n} x {args.d} float32 in memory, {args.parquet_rows} rows of Parquet; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.repeat} interleaved repeats",
          flush=True)
    data = bench_data(args.n, args.d) if {"stats", "fit", "minibatch"} & set(args.only) else None
    if "stats" in args.only:
        stats_target(data.X, data.y, args.repeat)
    if "fit" in args.only:
        fit_target(data, args.repeat)
    if "parquet" in args.only:
        parquet_target(args.parquet_rows, args.d, args.dir, args.repeat)
    if "minibatch" in args.only:
        minibatch_target(data, args.batch, args.repeat)


if __name__ == "__main__":
    main()
