"""The playground under a class: 30 learners each training 1000 epochs at once, against one alone.

Starts ``slopefit serve --port 0`` on 127.0.0.1, then measures in the same run:

* alone: one 1000-epoch run (height-weight, center, sgd lr 0.01 momentum 0.9), request to last
  event, median of 5; the page (``GET /?lang=ko``), median of 20;
* together: 30 such runs started at once (threads), each one's request-to-last-event time,
  the CPU time the server and its worker processes used meanwhile (cores busy = CPU time / wall),
  and, every 50 ms meanwhile, a page load and its bowl (``/api/bowl``: data, advice, contours);

and reports the ratios (a run among 30 / alone; a page under load / idle). Run:

    .venv/bin/python benchmarks/bench_playground.py [--clients 30] [--epochs 1000]

Times are reported, never asserted on: they depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_server(workers: int | None) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONUNBUFFERED": "1"}
    extra = ["--workers", str(workers)] if workers else []
    proc = subprocess.Popen([sys.executable, "-m", "slopefit", "serve", "--port", "0", *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            found = re.search(r"(http://127\.0\.0\.1:\d+/)", lines.get(timeout=0.5))
        except queue.Empty:
            continue
        if found:
            return proc, found.group(1)
    proc.kill()
    raise SystemExit("the server did not start in 60 s")


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of ``pid`` and its live descendants so far, from /proc; None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, ValueError, IndexError):
        return None
    for child in children:
        total += cpu_seconds(int(child)) or 0.0
    return total


def train(base: str, epochs: int) -> float:
    body = json.dumps({"dataset": "height-weight", "scale": "center", "optimizer": "sgd", "lr": 0.01,
                       "momentum": 0.9, "epochs": epochs}).encode()
    start = time.perf_counter()
    request = urllib.request.Request(base + "api/train", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        last = json.loads(response.read().decode().splitlines()[-1])
    if last["type"] != "done":
        raise RuntimeError(f"a run failed: {last}")
    return time.perf_counter() - start


def page(base: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(base + "?lang=ko", timeout=60) as response:
        response.read()
    return time.perf_counter() - start


def bowl(base: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(base + "api/bowl?dataset=height-weight&scale=center", timeout=60) as response:
        response.read()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None, help="the server's --workers (default: its own)")
    args = parser.parse_args()
    proc, base = start_server(args.workers)
    try:
        train(base, args.epochs)  # torch's first-optimizer imports, out of the figures
        alone = statistics.median(train(base, args.epochs) for _ in range(5))
        idle = statistics.median(page(base) for _ in range(20))
        bowl_idle = statistics.median(bowl(base) for _ in range(20))
        runs: list[float] = []
        pages: list[float] = []
        bowls: list[float] = []
        finished = threading.Event()

        def visitor() -> None:
            while not finished.is_set():
                pages.append(page(base))
                bowls.append(bowl(base))
                time.sleep(0.05)

        learners = [threading.Thread(target=lambda: runs.append(train(base, args.epochs)))
                    for _ in range(args.clients)]
        watcher = threading.Thread(target=visitor)
        cpu = cpu_seconds(proc.pid)
        wall = time.perf_counter()
        watcher.start()
        for thread in learners:
            thread.start()
        for thread in learners:
            thread.join(timeout=600)
        wall = time.perf_counter() - wall
        cpu = None if cpu is None else (cpu_seconds(proc.pid) or 0.0) - cpu
        finished.set()
        watcher.join(timeout=60)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    runs.sort()
    print(f"{args.clients} learners x {args.epochs} epochs, all succeeded: {len(runs) == args.clients}")
    print(f"one run alone (median of 5)        {alone:.3f} s")
    print(f"all {args.clients} together, wall            {wall:.2f} s  = {wall / alone:.1f} x one run alone")
    print(f"a run among them: median / max     {statistics.median(runs):.2f} s / {runs[-1]:.2f} s"
          f"  = {statistics.median(runs) / alone:.1f} x / {runs[-1] / alone:.1f} x alone")
    if cpu is not None:
        print(f"server CPU while they ran          {cpu:.2f} s = {cpu / wall:.2f} cores busy on average "
              f"(of {os.cpu_count()}; load average {os.getloadavg()[0]:.2f})")
    print(f"page load idle (median of 20)      {1000 * idle:.1f} ms")
    print(f"page load under load: median / max {1000 * statistics.median(pages):.1f} ms / {1000 * max(pages):.1f} ms"
          f"  = {statistics.median(pages) / idle:.1f} x / {max(pages) / idle:.1f} x idle ({len(pages)} loads)")
    print(f"its bowl (/api/bowl) idle (median)  {1000 * bowl_idle:.1f} ms")
    print(f"its bowl under load: median / max  {1000 * statistics.median(bowls):.1f} ms / {1000 * max(bowls):.1f} ms"
          f"  = {statistics.median(bowls) / bowl_idle:.1f} x / {max(bowls) / bowl_idle:.1f} x idle")


if __name__ == "__main__":
    main()
