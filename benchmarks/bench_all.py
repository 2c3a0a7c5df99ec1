"""Every ratio of issue 22 in one run, each against its baseline measured in the same run: one table.

    .venv/bin/python benchmarks/bench_all.py [--quick] [--src src] [--dir /tmp/slopefit-bench]

``make bench`` runs it at the issue's sizes; ``make bench BENCH_ARGS=--quick`` at smaller ones (a few
minutes on 2 cores). ``--src DIR`` times another checkout's sources (e.g. the commit before a change)
with the same command. Every figure is a median of paired, alternating runs; the range says how
noisy the machine was. Nothing is asserted: times depend on the machine, and tests never check seconds.

====================================  =========================================  ======
ratio                                 baseline                                   goal
====================================  =========================================  ======
start-up                              ``python -c "import torch"``               1.15
torchrun, 2 processes                 the same minibatch command, 1 process      1.0
minibatch epoch (batch 1024)          one float32 ``X @ w`` over the same rows   4
fit a CSV / a Parquet file            import + pyarrow's read of the file        2
streamed Parquet fit                  read, then accumulate, in sequence         1.0
statistics pass / fit to a 1e-6 gap   numpy's chunked float64 pass               1.2 / 1.4
====================================  =========================================  ======

The parts come from the other benchmarks: ``bench_startup.py``'s pairing, ``bench_load.py``'s files
and child processes, ``bench_pass.py``'s targets (run as a child, ``--json``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_load import READ, make_files, measured, write_parquet  # noqa: E402  (a sibling script, not a package)

Row = dict


def seconds(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def paired_commands(candidate: list[str], baseline: list[str], env: dict[str, str], runs: int) -> Row:
    """Medians of alternating runs of two commands and of their pair-by-pair ratios."""
    seconds(candidate, env), seconds(baseline, env)  # the file cache warm
    pairs = []
    for k in range(runs):
        if k % 2 == 0:
            a = seconds(candidate, env)
            b = seconds(baseline, env)
        else:
            b = seconds(baseline, env)
            a = seconds(candidate, env)
        pairs.append((a, b))
    ratios = [a / b for a, b in pairs]
    return {"baseline_s": statistics.median(b for _, b in pairs), "candidate_s": statistics.median(a for a, _ in pairs),
            "ratio": statistics.median(ratios), "low": min(ratios), "high": max(ratios)}


def startup(env: dict[str, str], runs: int) -> Row:
    row = paired_commands([sys.executable, "-m", "slopefit", "fit", "height-weight"],
                          [sys.executable, "-c", "import torch"], env, runs)
    return {**row, "name": "start-up: slopefit fit height-weight", "baseline": "import torch", "limit": 1.15}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(env: dict[str, str], folder: Path, rows: int, runs: int) -> Row:
    """2 processes against 1: the whole ``torchrun`` command, 5 epochs of batch-1024 sgd on rows x 8, float64."""
    path = write_parquet(folder / f"torchrun_{rows}_8.parquet", rows, 8)

    def command(nproc: int) -> list[str]:
        return [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc), "--master-addr",
                "127.0.0.1", "--master-port", str(free_port()), "-m", "slopefit", "fit", str(path), "--y", "y",
                "--batch-size", "1024", "--lr", "0.01", "--epochs", "5", "--dtype", "float64",
                "--save", str(folder / f"torchrun{nproc}.json")]

    env = {**env, "OMP_NUM_THREADS": "1"}  # two processes on a 2-core machine: one thread each
    row = paired_commands(command(2), command(1), env, runs)
    coef = [np.array(json.loads((folder / f"torchrun{k}.json").read_text())["coef"]) for k in (1, 2)]
    differs = float(np.max(np.abs(coef[1] - coef[0]) / np.abs(coef[0])))
    return {**row, "name": f"torchrun 2 processes ({rows:,} x 8, batch 1024, 5 epochs)",
            "baseline": "1 process", "limit": 1.0, "note": f"coefficients differ by {differs:.1e} relative"}


def files(env: dict[str, str], folder: Path, rows: int, runs: int) -> list[Row]:
    """``slopefit fit FILE`` against import + pyarrow's read of the file (bench_load.py's processes)."""
    python = sys.executable
    imported = measured([python, "-c", "import torch, slopefit"], env, runs, folder)[0]
    stem = make_files(folder, rows, 8)
    out = []
    for fmt in ("csv", "parquet"):
        path = stem.with_suffix("." + fmt)
        read = min(float(measured([python, "-c", READ, str(path)], env, 1, folder)[2].split()[0]) for _ in range(runs))
        fit, peak, _ = measured([python, "-m", "slopefit", "fit", str(path), "--y", "y"], env, runs, folder)
        ratio = fit / (imported + read)
        out.append({"name": f"fit a {fmt} file ({rows:,} x 8)", "baseline": "import + pyarrow read",
                    "baseline_s": imported + read, "candidate_s": fit, "ratio": ratio, "low": ratio, "high": ratio,
                    "limit": 2.0, "note": f"best of {runs}; peak {peak:.0f} MB"})
    return out


def passes(env: dict[str, str], folder: Path, size: dict, repeat: int) -> list[Row]:
    """bench_pass.py's targets, run as a child on the sources timed."""
    target = folder / "pass.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_pass.py"), "--n", str(size["pass"]),
                    "--parquet-rows", str(size["parquet"]), "--minibatch-rows", str(size["minibatch"]),
                    "--repeat", str(repeat), "--dir", str(folder), "--json", str(target)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return json.loads(target.read_text())


# rows of each part: the sizes, --quick (minutes on 2 cores), --tiny (the test that runs the script)
SIZES = {
    "issue": {"runs": 9, "torchrun": 1_000_000, "files": 5_000_000, "pass": 10_000_000, "parquet": 5_000_000,
              "minibatch": 1_000_000},
    "quick": {"runs": 5, "torchrun": 200_000, "files": 1_000_000, "pass": 1_000_000, "parquet": 1_000_000,
              "minibatch": 1_000_000},
    "tiny": {"runs": 1, "torchrun": 20_000, "files": 2_000, "pass": 30_000, "parquet": 30_000, "minibatch": 30_000},
}


def show(rows: list[Row]) -> str:
    header = ("ratio", "baseline", "baseline s", "slopefit s", "ratio", "range", "goal", "")
    lines = [(r["name"], r["baseline"], f"{r['baseline_s']:.3f}", f"{r['candidate_s']:.3f}", f"{r['ratio']:.2f}",
              f"{r['low']:.2f}..{r['high']:.2f}", f"<= {r['limit']:g}", "met" if r["ratio"] <= r["limit"] else "MISSED")
             for r in rows]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines, strict=True)]
    text = ["| " + " | ".join(str(x).ljust(w) for x, w in zip(header, widths, strict=True)) + " |",
            "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    text += ["| " + " | ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)) + " |" for line in lines]
    notes = [f"- {r['name']}: {r['note']}" for r in rows if r.get("note")]
    return "\n".join(text + ([""] + notes if notes else []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller tables and fewer runs (minutes, not an hour)")
    parser.add_argument("--tiny", action="store_true", help="tiny tables, one run each: checks the script runs")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the slopefit sources to time (PYTHONPATH)")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/slopefit-bench"), help="where the files are kept")
    parser.add_argument("--only", nargs="+", choices=("startup", "torchrun", "files", "passes"),
                        default=["startup", "torchrun", "files", "passes"])
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(args.src.resolve()), "PYTHONWARNINGS": "ignore"}
    level = "tiny" if args.tiny else "quick" if args.quick else "issue"
    size = SIZES[level]
    runs = size["runs"]
    print(f"slopefit benchmarks ({level} sizes), sources {args.src}", flush=True)
    rows: list[Row] = []
    if "startup" in args.only:
        rows.append(startup(env, runs))
    if "torchrun" in args.only:
        rows.append(torchrun(env, args.dir, size["torchrun"], min(runs, 3)))
    if "files" in args.only:
        rows += files(env, args.dir, size["files"], min(runs, 3))
    if "passes" in args.only:
        rows += passes(env, args.dir, size, min(runs, 5))
    print(show(rows))


if __name__ == "__main__":
    main()
