"""Per-epoch cost of slopefit's training loop against the plainest full-batch torch loop.

Both train the same float32 tensors for the same number of SGD-momentum epochs; the ratio
slopefit / plain is the overhead of history, divergence checks and callbacks. Run:

    .venv/bin/python benchmarks/bench_training_loop.py [--epochs 200]

Times are reported, never asserted on: they depend on the machine.
"""

from __future__ import annotations

import argparse
import time

import torch

from slopefit.data.datasets import make_synthetic
from slopefit.train.config import TrainConfig
from slopefit.train.training import fit


def plain_loop(X: torch.Tensor, y: torch.Tensor, epochs: int) -> float:
    """The lesson's loop, written plainly over the whole tensor (the baseline)."""
    W = torch.zeros(X.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([W, b], lr=0.01, momentum=0.9)
    start = time.perf_counter()
    for _ in range(epochs + 1):
        loss = ((X @ W + b - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    print(f"{'rows':>10} {'features':>8} {'plain ms/epoch':>15} {'slopefit ms/epoch':>18} {'ratio':>6}")
    for n, d in [(5, 1), (10_000, 4), (1_000_000, 4)]:
        data = make_synthetic(n, d, seed=0)
        # the data engine: the same O(N D) work per epoch as the plain loop (the stats engine does less)
        config = TrainConfig(lr=0.01, epochs=args.epochs, options={"momentum": 0.9}, engine="data")
        fit(data, TrainConfig(lr=0.01, epochs=5, engine="data"))  # warm-up
        ours = min(fit(data, config).seconds for _ in range(3))
        X = torch.as_tensor((data.X - data.X.mean(0)) / data.X.std(0), dtype=torch.float32)
        y = torch.as_tensor(data.y - data.y.mean(), dtype=torch.float32)
        plain = min(plain_loop(X, y, args.epochs) for _ in range(3))
        per = 1000 / (args.epochs + 1)
        print(f"{n:>10} {d:>8} {plain * per:>15.4f} {ours * per:>18.4f} {ours / plain:>6.2f}")


if __name__ == "__main__":
    main()
