"""Block-shuffled minibatches stepped from Gram matrices (slopefit.train.batches) against the same
batches stepped on their rows with torch's optimizers, against numpy, and against least squares."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from slopefit.data.datasets import make_synthetic
from slopefit.errors import ConfigError
from slopefit.train import engines
from slopefit.train.batches import BlockGrams, block_order_rows, block_rows, draw_blocks, resolve_shuffle
from slopefit.train.config import TrainConfig
from slopefit.train.training import fit


def test_the_block_divides_the_batch_and_auto_blocks_only_large_tables():
    # the largest divisor <= 64 and <= a quarter of the batch: every batch mixes >= 4 blocks
    assert [block_rows(m) for m in (1024, 1000, 100, 32, 97, 4, 3)] == [64, 50, 25, 8, 1, 1, 1]
    assert resolve_shuffle("auto", 65_535, 1024) == "rows"  # the lesson's sizes keep the per-row shuffle
    assert resolve_shuffle("auto", 65_536, 1024) == "blocks"
    assert resolve_shuffle("auto", 1 << 20, 97) == "rows"  # no block of >= 8 rows tiles a batch of 97
    assert resolve_shuffle("auto", 1 << 20, 16) == "rows"  # nor 4 blocks of >= 8 rows one of 16
    assert resolve_shuffle("rows", 1 << 20, 1024) == "rows"
    assert resolve_shuffle("blocks", 100, 10) == "blocks"


def test_an_unknown_shuffle_is_refused_by_name():
    with pytest.raises(ConfigError, match=r"shuffle must be one of auto, rows, blocks, got shuffle='random'"):
        TrainConfig(lr=0.01, batch_size=10, shuffle="random")


def test_a_block_pass_has_every_row_once_and_its_batches_are_whole_blocks():
    n, block = 1003, block_rows(32)  # 1003 = 125 blocks of 8 and 3 rows left over
    order = block_order_rows(draw_blocks(n, block, torch.Generator().manual_seed(3)), n, block).numpy()
    np.testing.assert_array_equal(np.sort(order), np.arange(n))
    assert set(order[-3:]) == {1000, 1001, 1002}  # the leftover rows close the pass
    starts = order[: 125 * 8].reshape(-1, block)
    np.testing.assert_array_equal(starts - starts[:, :1], np.tile(np.arange(block), (125, 1)))
    assert starts[:, 0].min() == 0 and np.all(starts[:, 0] % block == 0)


def test_block_grams_are_numpy_gram_matrices_and_shares_add_up_to_the_table():
    rng = np.random.default_rng(0)
    n, d, block = 203, 3, 8  # 25 whole blocks and 3 leftover rows
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    whole = BlockGrams(torch.from_numpy(X), torch.from_numpy(y), block)
    A = np.column_stack([X, np.ones(n), y])
    want = np.stack([A[j * block:(j + 1) * block].T @ A[j * block:(j + 1) * block] for j in range(n // block)]
                    + [A[200:].T @ A[200:], np.zeros((d + 2, d + 2))])
    # float64 sums of 8 products of O(1) numbers: a few ulps apart at most
    np.testing.assert_allclose(whole.table.numpy(), want, rtol=1e-12, atol=1e-12)
    cut = 101  # a share boundary inside block 12: each process holds part of it
    parts = [BlockGrams(torch.from_numpy(X[a:b]), torch.from_numpy(y[a:b]), block, first=a, n_rows=n)
             for a, b in ((0, cut), (cut, n))]
    np.testing.assert_allclose((parts[0].table + parts[1].table).numpy(), want, rtol=1e-12, atol=1e-12)


RUNS = [  # plain sgd: GramSgd's written-out steps; adam: torch's own step on each batch's Gram closure
    ("sgd", 0.01, {"momentum": 0.9}),
    ("sgd", 0.01, {"momentum": 0.5, "nesterov": True, "weight_decay": 0.01}),
    ("sgd", 0.01, {"momentum": 0.9, "dampening": 0.3}),
    ("sgd", 0.01, {}),
    ("adam", 0.1, {}),
]


@pytest.mark.parametrize(("optimizer", "lr", "options"), RUNS)
def test_gram_steps_follow_torch_steps_on_the_rows_of_the_same_batches(monkeypatch, optimizer, lr, options):
    data = make_synthetic(3001, 3, noise=1.0, seed=4, offset=5.0)
    config = TrainConfig(optimizer=optimizer, lr=lr, options=options, batch_size=100, epochs=4, dtype="float64",
                         shuffle="blocks", seed=7)
    gram = fit(data, config)
    monkeypatch.setattr(engines, "gram_fits", lambda *args: False)  # the same batches, stepped on the rows
    rows = fit(data, config)
    # float64: A^T (A theta~) against X^T (X w + b - y) differ by rounding, ~1e-15 relative on well-scaled
    # rows; 120 contractive steps at a stable lr carry it, not grow it; 1e-10 leaves room
    np.testing.assert_allclose(gram.coef, rows.coef, rtol=1e-10)
    assert gram.intercept == pytest.approx(rows.intercept, rel=1e-10)
    np.testing.assert_allclose(gram.history.losses, rows.history.losses, rtol=1e-10)
    # and both head for least squares (numpy): the excess loss over the optimum's is under a tenth of the start's
    start, best, end = losses_of(data, np.zeros(3), data.y.mean()), least_squares_loss(data), mse(data, gram)
    assert best <= end <= best + 0.1 * (start - best)


def least_squares_loss(data) -> float:
    A = np.column_stack([data.X.astype(np.float64), np.ones(data.n_samples)])
    theta = np.linalg.lstsq(A, data.y.astype(np.float64), rcond=None)[0]
    return losses_of(data, theta[:-1], theta[-1])


def losses_of(data, coef, intercept) -> float:
    return float(np.mean((data.X.astype(np.float64) @ coef + intercept - data.y.astype(np.float64)) ** 2))


def mse(data, result) -> float:
    return losses_of(data, result.coef, result.intercept)


def test_a_float32_run_by_blocks_reaches_least_squares():
    data = make_synthetic(70_000, 4, noise=1.0, seed=1, offset=10.0, dtype=np.float32)
    result = fit(data, TrainConfig(lr=0.01, options={"momentum": 0.9}, batch_size=1024, epochs=3))  # auto: blocks
    best = least_squares_loss(data)
    # constant-step SGD rests in a noise ball about the optimum: relative excess loss ~ lr·tr(H)/(2·batch), ~1e-4
    assert best <= mse(data, result) <= best * (1 + 1e-3)
