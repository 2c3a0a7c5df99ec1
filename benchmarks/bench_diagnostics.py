"""The cost of the diagnostics pass (leverage, studentized residuals, Cook's distance of every row,
a bounded sample kept) as a ratio against the statistics pass over the same rows, in the same run.

    .venv/bin/python benchmarks/bench_diagnostics.py [--rows 2000000] [--d 8] [--repeat 3]
        [--chunk-rows 262144] [--dir /tmp/slopefit-diag-bench]

A Parquet file of ``d`` float32 features and a target is written once, opened in chunks
(:func:`slopefit.data.tables.open_table`, as ``--stream`` reads it), and timed, best of ``--repeat``:

* stats: :func:`slopefit.solve.preparation.gather_stats`, the pass every fit makes;
* diagnostics: :func:`slopefit.solve.influence.influence` at the exact optimum (what ``fit --plot`` adds).

Both read the file; the ratio is what ``--plot`` adds to a fit of a large file. Expected: about
1-2x (one more read, and a (rows, d) x (d, d) product a chunk). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--d", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk-rows", type=int, default=262_144)
    parser.add_argument("--dir", default="/tmp/slopefit-diag-bench")
    args = parser.parse_args()

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from slopefit.data.tables import open_table
    from slopefit.solve.influence import influence
    from slopefit.solve.preparation import gather_stats

    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"rows{args.rows}_d{args.d}.parquet"
    if not path.exists():
        rng = np.random.default_rng(0)
        X = rng.standard_normal((args.rows, args.d)).astype(np.float32)
        y = X @ rng.normal(size=args.d).astype(np.float32) + rng.standard_normal(args.rows).astype(np.float32)
        cols = {f"x{j}": X[:, j] for j in range(args.d)} | {"y": y}
        pq.write_table(pa.table(cols), path.with_suffix(".part"))
        path.with_suffix(".part").rename(path)
    source = open_table(path, y="y", chunk_rows=args.chunk_rows)

    def best(fn) -> float:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    stats = gather_stats(source)
    sol = stats.solve()
    t_stats = best(lambda: gather_stats(source))
    t_diag = best(lambda: influence(stats, source.chunks, sol.coef, sol.intercept))
    print(f"{args.rows} rows x {args.d} features, chunks of {args.chunk_rows}, best of {args.repeat}")
    print(f"statistics pass   {t_stats:8.3f} s")
    print(f"diagnostics pass  {t_diag:8.3f} s   ratio {t_diag / t_stats:.2f}")


if __name__ == "__main__":
    main()
