"""What a checkpoint costs: its size, the seconds of one save, the per-step hook, and a resume inside a pass.

A minibatch run (sgd with momentum, the state a checkpoint must keep) is timed three ways in the
same process: without checkpoints (the baseline), with a checkpointer that never comes due (what
looking at the clock and the signal after every step costs), and saving every ``--every`` steps
(saves fall inside the epochs' passes). Then the run is resumed from its last save, inside a pass:
the pass's shuffle is drawn again and its first steps passed over. Run:

    .venv/bin/python benchmarks/bench_checkpoint.py [--rows 1000000] [--features 16] [--epochs 5] [--every 50]

Times are reported, never asserted on: they depend on the machine and its disk.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from slopefit.data.datasets import make_synthetic
from slopefit.train.checkpoint import Checkpointer
from slopefit.train.config import TrainConfig
from slopefit.train.training import fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--every", type=int, default=50, help="optimizer steps between saves")
    args = parser.parse_args()
    data = make_synthetic(args.rows, args.features, noise=0.5, seed=0)
    config = TrainConfig(lr=0.01, options={"momentum": 0.9}, batch_size=args.batch_size, epochs=args.epochs)
    steps = -(-args.rows // args.batch_size)
    fit(data, TrainConfig(lr=0.01, batch_size=args.batch_size, epochs=1))  # warm up torch

    def timed(checkpoint=None):
        start = time.perf_counter()
        result = fit(data, config, checkpoint=checkpoint)
        return result, time.perf_counter() - start

    plain, seconds_plain = timed()
    with tempfile.TemporaryDirectory() as scratch:
        idle = Checkpointer(Path(scratch) / "idle.ckpt", every_steps=10**9)
        _, seconds_idle = timed(idle)
        path = Path(scratch) / "run.ckpt"
        ck = Checkpointer(path, every_steps=args.every)
        saved, seconds_saved = timed(ck)
        resumed, seconds_resumed = timed(Checkpointer(path, resume=str(path)))
    assert (saved.coef == plain.coef).all() and (resumed.coef == plain.coef).all()  # bit for bit
    per_save = [s for _, s, _ in ck.saves]
    last = ck.saves[-1][0]
    print(f"{args.rows:,} rows x {args.features} features, batch {args.batch_size} ({steps} steps a pass), "
          f"{args.epochs} epochs, sgd momentum 0.9")
    print(f"run without checkpoints      {seconds_plain:.3f} s (the whole fit, statistics pass included)")
    print(f"checkpointer never due       {seconds_idle:.3f} s ({(seconds_idle / seconds_plain - 1) * 100:+.1f} %: "
          "the per-step hook)")
    print(f"saving every {args.every:<4d} steps     {seconds_saved:.3f} s ({len(ck.saves)} saves, "
          f"{(seconds_saved / seconds_plain - 1) * 100:+.1f} %)")
    print(f"one save                     {min(per_save) * 1e3:.2f}-{max(per_save) * 1e3:.2f} ms "
          f"(median {sorted(per_save)[len(per_save) // 2] * 1e3:.2f}), {ck.saves[-1][2]:,} bytes")
    print(f"resumed from step {last} (step {last % steps} of pass {last // steps + 1}): {seconds_resumed:.3f} s "
          f"for the {args.epochs * steps - last} steps left "
          "(statistics pass included), bit-identical")


if __name__ == "__main__":
    main()
