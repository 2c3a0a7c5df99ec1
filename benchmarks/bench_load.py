"""The cost of fitting a file, as a ratio against reading it with pyarrow in the same run.

    .venv/bin/python benchmarks/bench_load.py [--rows 1000000 5000000] [--d 8] [--repeat 3]
        [--dir /tmp/slopefit-load] [--src src] [--formats csv parquet]

For each size a table of ``d`` float features and a target ``y`` is written once as CSV
(5 decimals, about 9 bytes a value) and as its float32 Parquet twin, then timed, best of
``--repeat``, each in a fresh process:

* import: ``python -c "import torch, slopefit"`` (and, for reference, with ``torch._dynamo``,
  which torch imports at the first ``torch.optim`` optimizer: start-up no fit can avoid);
* read: ``pyarrow.csv.read_csv`` / ``pyarrow.parquet.read_table`` of the whole file (timed
  inside the process, import excluded);
* fit: ``python -m slopefit fit FILE --y y`` wall time, and its peak resident memory
  (the child's own ``ru_maxrss``; this process stays small so that it is not inherited).

Target (issue 13): fit <= 2 x (import + read) and peak memory < 1 GB. Nothing is asserted:
time depends on the machine, and tests never check seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WRITE = """
import sys
import numpy as np, pyarrow as pa, pyarrow.csv as pc, pyarrow.parquet as pq
n, d, stem = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(0)
cols = {}
for j in range(d):
    cols[f"x{j}"] = np.round(10 * (j + 1) + rng.standard_normal(n) * (0.5 + 0.5 * j), 5)
coef = rng.normal(0, 2, d)
y = sum(c * cols[f"x{j}"] for j, c in enumerate(coef)) + 1.5 + rng.standard_normal(n)
cols["y"] = np.round(y, 5)
pc.write_csv(pa.table(cols), stem + ".csv.part")
pq.write_table(pa.table({k: pa.array(v.astype(np.float32)) for k, v in cols.items()}), stem + ".parquet.part")
"""

READ = """
import sys, time
import pyarrow.csv as pc, pyarrow.parquet as pq
path = sys.argv[1]
start = time.perf_counter()
table = pq.read_table(path) if path.endswith(".parquet") else pc.read_csv(path)
print(time.perf_counter() - start, table.num_rows)
"""


def make_files(folder: Path, rows: int, d: int) -> Path:
    """``folder/rows{rows}_d{d}.csv`` and ``.parquet``, written once (their stem is returned)."""
    stem = folder / f"rows{rows}_d{d}"
    if not (stem.with_suffix(".csv").exists() and stem.with_suffix(".parquet").exists()):
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", WRITE, str(rows), str(d), str(stem)], check=True)
        for suffix in (".csv", ".parquet"):
            os.replace(f"{stem}{suffix}.part", stem.with_suffix(suffix))
    return stem


def measured(argv: list[str], env: dict[str, str], repeat: int, scratch: Path) -> tuple[float, float, str]:
    """Best wall time of ``repeat`` child processes, the largest peak resident MB, the last stdout.

    The child is spawned (not forked from this process), and waited for with ``wait4``: its
    ``ru_maxrss`` is its own peak, not this process's size carried over a fork.
    """
    best, peak, out = float("inf"), 0.0, ""
    stdout = scratch / "child.out"
    for _ in range(repeat):
        start = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=[
            (os.POSIX_SPAWN_OPEN, 1, str(stdout), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)])
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"{' '.join(argv)} failed (exit {os.waitstatus_to_exitcode(status)})")
        best, peak = min(best, seconds), max(peak, usage.ru_maxrss / 1024)
        out = stdout.read_text()
    return best, peak, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--d", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/slopefit-load"))
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="slopefit sources to time (PYTHONPATH)")
    parser.add_argument("--formats", nargs="+", choices=("csv", "parquet"), default=["csv", "parquet"])
    parser.add_argument("--show", action="store_true", help="print what each fit printed")
    args = parser.parse_args()

    args.dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(args.src.resolve())}
    python = sys.executable
    imported = measured([python, "-c", "import torch, slopefit"], env, args.repeat, args.dir)[0]
    # torch imports torch._dynamo at the first torch.optim optimizer: start-up every fit pays beyond the import
    started = measured([python, "-c", "import torch, slopefit, torch._dynamo"], env, args.repeat, args.dir)[0]
    print(f"import torch, slopefit: {imported:.2f} s; with torch._dynamo (first optimizer): {started:.2f} s "
          f"(best of {args.repeat}); slopefit from {args.src}", flush=True)
    header = (f"{'file':<24} {'MB':>6} {'read s':>7} {'fit s':>7} {'peak MB':>8} "
              f"{'fit / (import + read)':>22}  target <= 2, < 1024 MB")
    print(header)
    print("-" * len(header), flush=True)
    for rows in args.rows:
        stem = make_files(args.dir, rows, args.d)
        for fmt in args.formats:
            path = stem.with_suffix("." + fmt)
            read = min(float(measured([python, "-c", READ, str(path)], env, 1, args.dir)[2].split()[0])
                       for _ in range(args.repeat))
            fit = [python, "-m", "slopefit", "fit", str(path), "--y", "y"]
            seconds, peak, out = measured(fit, env, args.repeat, args.dir)
            ratio = seconds / (imported + read)
            status = "MET" if ratio <= 2 and peak < 1024 else "MISSED"
            print(f"{path.name:<24} {path.stat().st_size / 1e6:6.0f} {read:7.2f} {seconds:7.2f} {peak:8.0f} "
                  f"{ratio:22.2f}  {status}", flush=True)
            if args.show:
                print(out)



def write_parquet(path: Path, rows: int, d: int) -> Path:
    """A float32 Parquet file of ``rows`` x ``d`` features and a target (seed 0), written once: the
    table every Parquet benchmark reads; an existing file is kept."""
    if path.exists():
        return path
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    coef = rng.normal(0, 2, d)
    names = [f"x{j}" for j in range(d)] + ["y"]
    part = path.with_suffix(".part")
    with pq.ParquetWriter(part, pa.schema([(c, pa.float32()) for c in names])) as writer:
        for start in range(0, rows, 1_000_000):
            m = min(1_000_000, rows - start)
            X = (10.0 * np.arange(1, d + 1) + rng.standard_normal((m, d)) * np.linspace(0.5, 5, d)).astype(np.float32)
            y = (X @ coef + 1.0 + rng.standard_normal(m)).astype(np.float32)
            writer.write_table(pa.table([*X.T, y], names=names))
    part.rename(path)
    return path


if __name__ == "__main__":
    main()
