"""Start-up: ``slopefit fit height-weight`` (5 rows) against ``python -c "import torch"``, the floor
any fit pays. Both are run in turn, whole processes, and the ratio is taken pair by pair so that a
machine's drift cancels; the median ratio is the figure (issue goal: at most 1.15).

    python benchmarks/bench_startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    fit = [sys.executable, "-m", "slopefit", "fit", "height-weight"]
    floor = [sys.executable, "-c", "import torch"]
    seconds(fit), seconds(floor)  # warm the file cache
    pairs = [(seconds(fit), seconds(floor)) for _ in range(args.runs)]
    ratios = [a / b for a, b in pairs]
    print(f"slopefit fit height-weight   median {statistics.median(a for a, _ in pairs):.3f} s")
    print(f"python -c 'import torch'     median {statistics.median(b for _, b in pairs):.3f} s")
    print(f"ratio (pair by pair)         median {statistics.median(ratios):.3f}  "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f}; goal <= 1.15)")


if __name__ == "__main__":
    main()
