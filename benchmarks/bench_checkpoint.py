"""What a checkpoint costs: its size and the seconds of one save, against the epoch it interrupts.

A minibatch run (sgd with momentum, the state a checkpoint must keep) saves after every epoch; the
same run without checkpoints is the baseline measured in the same process. Run:

    .venv/bin/python benchmarks/bench_checkpoint.py [--rows 1000000] [--features 16] [--epochs 5]

Times are reported, never asserted on: they depend on the machine and its disk.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from slopefit.checkpoint import Checkpointer
from slopefit.config import TrainConfig
from slopefit.datasets import make_synthetic
from slopefit.training import fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=4096)
    args = parser.parse_args()
    data = make_synthetic(args.rows, args.features, noise=0.5, seed=0)
    config = TrainConfig(lr=0.01, options={"momentum": 0.9}, batch_size=args.batch_size, epochs=args.epochs)
    fit(data, TrainConfig(lr=0.01, batch_size=args.batch_size, epochs=1))  # warm up torch
    start = time.perf_counter()
    plain = fit(data, config)
    seconds_plain = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as scratch:
        ck = Checkpointer(Path(scratch) / "run.ckpt", every_steps=1)
        start = time.perf_counter()
        saved = fit(data, config, checkpoint=ck)
        seconds_saved = time.perf_counter() - start
    assert (saved.coef == plain.coef).all()  # checkpoints change nothing in the run
    per_save = [s for _, s, _ in ck.saves]
    print(f"{args.rows:,} rows x {args.features} features, batch {args.batch_size}, {args.epochs} epochs, "
          f"sgd momentum 0.9")
    print(f"run without checkpoints   {seconds_plain:.3f} s ({seconds_plain / args.epochs:.3f} s an epoch)")
    print(f"run saving every epoch    {seconds_saved:.3f} s ({len(ck.saves)} saves)")
    print(f"one save                  {min(per_save) * 1e3:.2f}-{max(per_save) * 1e3:.2f} ms, "
          f"{ck.saves[-1][2]:,} bytes; {sum(per_save) / seconds_plain * 100:.2f} % of the run")


if __name__ == "__main__":
    main()
