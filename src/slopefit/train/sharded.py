"""Minibatches under torchrun: :class:`ShardEngine` steps one global shuffle, each process holding
some of the rows of every batch (made by :func:`slopefit.train.engines.share_engine`)."""

from __future__ import annotations

import functools
import signal
from collections.abc import Callable

from slopefit.dist.group import Group, collective, gather_objects
from slopefit.solve.accumulation import one_torch_thread
from slopefit.train.batches import (
    BlockGrams,
    block_order_rows,
    block_rows,
    draw_blocks,
    gram_fits,
    gram_steps,
    resolve_shuffle,
)


class ShardEngine:
    """Minibatches of one global shuffle, each process holding some of the rows of every batch.

    Every process draws the same shuffle of all ``n`` rows from the run's generator, as
    :class:`slopefit.train.engines.DataEngine` does for one process, so global batch ``k`` is the
    same rows whatever the number of processes (:mod:`slopefit.train.batches`):

    * by blocks, each process holds the Gram matrices of the blocks of its rows
      (:class:`slopefit.train.batches.BlockGrams`); one all-reduce adds up the Gram matrices of
      :data:`slopefit.train.batches.CHUNK_STEPS` batches (and the processes' votes), then every
      process takes those steps with its own optimizer from the same sums: one collective for
      many steps;
    * by rows (the per-step path), a process gathers the rows of each batch it holds (they may be
      none), and :meth:`batch_closure` all-reduces ``[X_b^T r, sum r, r^T r]`` before setting
      ``W.grad = (2/m) X^T r`` and ``B.grad = (2/m) sum r``: one collective a step.

    Parameters
    ----------
    X : Tensor, shape (local rows, n_features)
        This process's scaled features, in data order.
    y : Tensor, shape (local rows,)
    stats_engine : StatsEngine
        The whole-data loss of each epoch.
    group : Group or None
    shuffle : {"auto", "rows", "blocks"}, default "auto"; keyword-only.

    Attributes
    ----------
    votes : callable or None
        ``votes() -> (a, b)``: two flags of this process added to each all-reduce of the steps (a
        checkpoint's signals: the processes learn of one at the same step, at no extra cost).
    agreed : int or None
        After a step with ``votes``: SIGTERM's or SIGINT's number when any process voted for it, else None.
    """

    def __init__(self, X, y, stats_engine, group: Group | None, *, shuffle: str = "auto") -> None:
        counts = [int(c) for c in gather_objects(group, int(X.shape[0]))]
        self.X, self.y = X, y
        self.stats_engine = stats_engine
        self.group = group
        self.shuffle = shuffle
        self.first = sum(counts[: group.rank]) if group is not None else 0  # global index of the first local row
        self.n = sum(counts)
        self._rows = 0  # rows of the global batch being stepped
        self._grams: BlockGrams | None = None
        self.votes: Callable[[], tuple[float, float]] | None = None
        self.agreed: int | None = None

    def loss(self, W, B):
        """The full-data MSE from the statistics (:meth:`StatsEngine.loss`)."""
        return self.stats_engine.loss(W, B)

    def whole_loss(self, W, B) -> float:
        """The full-data MSE as a float from the statistics."""
        return self.stats_engine.whole_loss(W, B)

    def minibatch_epoch(self, step: Callable, batch_size: int, generator, chunk: Callable | None = None) -> None:
        """One pass over the global shuffle: ``step(make)`` for each batch (see :meth:`DataEngine.minibatch_epoch`)."""
        import torch

        block = block_rows(batch_size)
        if resolve_shuffle(self.shuffle, self.n, batch_size) == "rows":
            order = torch.randperm(self.n, generator=generator)
        elif gram_fits(self.n, int(self.X.shape[1]), block):
            with one_torch_thread():
                if self._grams is None or self._grams.block != block:
                    self._grams = BlockGrams(self.X, self.y, block, first=self.first, n_rows=self.n)
                for M, rows in self._grams.chunks(draw_blocks(self.n, block, generator), batch_size, self._add_up):
                    gram_steps(step, chunk, M, rows)
            return
        else:
            order = block_order_rows(draw_blocks(self.n, block, generator), self.n, block)
        first, last = self.first, self.first + int(self.X.shape[0])
        where = torch.nonzero((order >= first) & (order < last)).squeeze(1)  # positions held here
        rows = (order[where] - first).to(self.X.device)
        Xs, ys = self.X.index_select(0, rows), self.y.index_select(0, rows)
        starts = list(range(0, self.n, batch_size))
        bounds = torch.searchsorted(where, torch.tensor([*starts, self.n])).tolist()
        for k, start in enumerate(starts):
            self._rows = min(batch_size, self.n - start)
            step(functools.partial(self.batch_closure, Xs[bounds[k]:bounds[k + 1]], ys[bounds[k]:bounds[k + 1]]))

    def _add_up(self, M):
        """The batches' Gram matrices ``M`` (K, p, p) summed over the processes, with the votes, in one all-reduce."""
        import torch

        if self.group is None and self.votes is None:
            return M
        parts = [M.reshape(-1)]
        if self.votes is not None:
            parts.append(torch.tensor(self.votes(), dtype=M.dtype))
        sums = torch.cat(parts)
        if self.group is not None:
            import torch.distributed as dist

            sums = sums.to(self.group.device)
            with collective("adding up the Gram matrices of minibatches"):
                dist.all_reduce(sums)
            sums = sums.cpu()
        if self.votes is not None:
            term, interrupt = sums[-2:].tolist()
            self.agreed = int(signal.SIGTERM) if term else (int(signal.SIGINT) if interrupt else None)
        return sums[:M.numel()].view(M.shape)

    def batch_closure(self, Xb, yb, W, B):
        """The closure of one step (see :func:`slopefit.train.loop.batch_closure`), with the sums all-reduced."""
        import torch

        rows, group, votes = self._rows, self.group, self.votes

        def closure():
            with torch.no_grad():
                residual = Xb @ W - yb if B is None else torch.addmv(B - yb, Xb, W)  # (local batch,) Yp - Y
                parts = [Xb.T @ residual, *([residual.sum(dim=0, keepdim=True)] if B is not None else []),
                         (residual @ residual).reshape(1)]
                if votes is not None:
                    parts.append(torch.tensor(votes(), dtype=residual.dtype, device=residual.device))
                sums = torch.cat(parts)
                if group is not None:
                    import torch.distributed as dist

                    with collective("adding up a minibatch gradient"):
                        dist.all_reduce(sums)
                if votes is not None:
                    term, interrupt = sums[-2:].tolist()
                    self.agreed = int(signal.SIGTERM) if term else (int(signal.SIGINT) if interrupt else None)
                    sums = sums[:-2]
                scale = 2.0 / rows
                d = W.shape[0]
                W.grad = sums[:d].mul(scale)
                if B is not None:
                    B.grad = sums[d:d + 1].mul(scale)
                return sums[-1] / rows

        return closure
