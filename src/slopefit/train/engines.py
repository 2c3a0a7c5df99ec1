"""Engines: where the training loop gets its loss and gradients from.

Every engine exposes the same two things to :func:`slopefit.train.training.fit`:

* ``loss(W, B)``: the full-data MSE as a differentiable torch scalar, for full-batch steps;
* ``whole_loss(W, B)``: the full-data MSE as a float, for the history of minibatch runs.

``StatsEngine`` evaluates the MSE as a quadratic in theta from the sufficient statistics
(O(D^2) per epoch, float64, through autograd). ``DataEngine`` evaluates it on the rows
(O(N D) per epoch, the lesson's ``((X @ W + B - Y) ** 2).mean()``) and also runs
minibatch epochs; ``StreamEngine`` runs minibatch epochs over a file read in chunks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from slopefit.data.datasets import Dataset
from slopefit.dist.shards import Share
from slopefit.errors import ConfigError
from slopefit.solve.accumulation import as_tensor, one_torch_thread
from slopefit.solve.objective import mse, predict, stack_params
from slopefit.solve.scaling import Scaler
from slopefit.solve.stats import SufficientStats
from slopefit.train.batches import (
    BlockGrams,
    batch_closure,
    block_order_rows,
    block_rows,
    draw_blocks,
    gram_fits,
    gram_steps,
    resolve_shuffle,
)

SCALE_CHUNK_ROWS = 1 << 18  # rows scaled at a time when copying a table into a training tensor


class StatsEngine:
    """Full-batch MSE from sufficient statistics: ``L* + (theta - theta*)^T Q (theta - theta*)``.

    The parameters stay in the run's dtype; the quadratic is evaluated in float64 and autograd
    carries the gradient ``2 Q (theta - theta*)`` back to ``W.grad`` and ``B.grad``.

    Parameters
    ----------
    stats : SufficientStats
        The statistics of the data.
    scaler : Scaler
        The scaling the parameters live in.
    fit_intercept : bool
        Whether theta includes B; keyword-only.
    device : {"cpu", "cuda", "mps"}, default "cpu"
        Where ``q`` and ``theta_star`` are held; keyword-only.
    optimum : ExactSolution or None, default None
        The exact optimum to expand about (more digits than solving the statistics); keyword-only.

    Attributes
    ----------
    q : Tensor, shape (n_params, n_params), float64
        Half the MSE Hessian in scaled units.
    theta_star : Tensor, shape (n_params,), float64
        The optimum in scaled units.
    loss_star : float
        The loss at the optimum.
    """

    def __init__(self, stats: SufficientStats, scaler: Scaler, *, fit_intercept: bool, device: str = "cpu",
                 optimum=None) -> None:
        import torch

        q, theta_star, loss_star = stats.quadratic(scaler, fit_intercept=fit_intercept, optimum=optimum)
        self.q = torch.as_tensor(q, dtype=torch.float64, device=device)  # (n_params, n_params)
        self.theta_star = torch.as_tensor(theta_star, dtype=torch.float64, device=device)  # (n_params,)
        self.loss_star = float(loss_star)

    def loss(self, W, B):
        """The full-data MSE at ``(W, B)`` as a differentiable torch scalar (for full-batch steps).

        Parameters
        ----------
        W : Tensor, shape (n_features,)
            The coefficients (scaled units).
        B : Tensor, shape (1,), or None
            The intercept; None without an intercept.

        Returns
        -------
        Tensor, shape ()
        """
        import torch

        delta = stack_params(W, B).to(torch.float64) - self.theta_star  # (n_params,)
        return self.loss_star + delta @ (self.q @ delta)

    def whole_loss(self, W, B) -> float:
        """The full-data MSE at ``(W, B)`` as a float, without a graph (the history of minibatch runs).

        Parameters
        ----------
        W : Tensor, shape (n_features,)
        B : Tensor, shape (1,), or None

        Returns
        -------
        float
        """
        import torch

        with torch.no_grad():
            return float(self.loss(W, B))

    def gap(self, W, B) -> float:
        """``loss - loss*`` as ``d^T Q d``, computed from the distance itself: no cancellation
        against ``loss*``, so gaps far below ``loss*``'s rounding are still resolved.

        Parameters
        ----------
        W : Tensor, shape (n_features,)
        B : Tensor, shape (1,), or None

        Returns
        -------
        float
            ``d^T Q d`` >= 0 with ``d = theta - theta*`` (scaled units).
        """
        import torch

        with torch.no_grad():
            delta = stack_params(W, B).to(torch.float64) - self.theta_star
            return float(delta @ (self.q @ delta))


class DataEngine:
    """MSE on the rows themselves, held as one scaled tensor in the run's dtype.

    Minibatch epochs shuffle by rows or by blocks (:mod:`slopefit.train.batches`). By rows, a seeded
    shuffle of the rows is gathered into a second buffer once per epoch and the batches are
    contiguous slices of it; by blocks, each batch's step comes from its Gram matrix, the sum of
    its blocks' (:class:`slopefit.train.batches.BlockGrams`, made once). The loss recorded per epoch
    is the float64 quadratic of ``stats_engine`` (a :class:`StatsEngine`) when given, so it costs
    no pass over the data.

    Parameters
    ----------
    X : Tensor, shape (n_samples, n_features)
        The scaled features, in the run's dtype and device.
    y : Tensor, shape (n_samples,)
        The scaled target.
    stats_engine : StatsEngine or None, default None
        Gives :meth:`whole_loss` without a pass over the rows; keyword-only.
    shuffle : {"auto", "rows", "blocks"}, default "auto"
        How minibatch passes shuffle (:func:`slopefit.train.batches.resolve_shuffle`); keyword-only.
    """

    def __init__(self, X, y, *, stats_engine: StatsEngine | None = None, shuffle: str = "auto") -> None:
        self.X = X  # (n_samples, n_features), scaled
        self.y = y  # (n_samples,), scaled
        self.stats_engine = stats_engine
        self.shuffle = shuffle
        self._shuffled: Any = None  # (X, y) buffers of the shuffled epoch, allocated on first use
        self._grams: BlockGrams | None = None  # the block Gram matrices, made at the first block-shuffled pass

    @classmethod
    def from_arrays(cls, X: np.ndarray, y: np.ndarray, scaler: Scaler, *, dtype, device: str = "cpu",
                    stats_engine: StatsEngine | None = None, shuffle: str = "auto") -> DataEngine:
        """Scale ``X`` and ``y`` chunk by chunk into tensors of ``dtype`` (one copy of the data).

        Parameters
        ----------
        X : ndarray, shape (n_samples, n_features)
            Features in original units.
        y : ndarray, shape (n_samples,)
            Target in original units.
        scaler : Scaler
            The scaling to apply (features: ``(X - x_mean) / x_scale``; target: ``y - y_mean``).
        dtype : torch.dtype
            The tensors' dtype; keyword-only.
        device : str, default "cpu"
            The tensors' device; keyword-only.
        stats_engine : StatsEngine or None, default None
            Passed on to the engine; keyword-only.
        shuffle : {"auto", "rows", "blocks"}, default "auto"
            Passed on to the engine; keyword-only.

        Returns
        -------
        DataEngine
        """
        import torch

        n_samples, n_features = X.shape
        Xt = torch.empty(n_samples, n_features, dtype=dtype, device=device)
        yt = torch.empty(n_samples, dtype=dtype, device=device)
        mean = torch.as_tensor(scaler.x_mean, dtype=torch.float64, device=device)
        scale = torch.as_tensor(scaler.x_scale, dtype=torch.float64, device=device)
        for start in range(0, n_samples, SCALE_CHUNK_ROWS):
            stop = min(start + SCALE_CHUNK_ROWS, n_samples)
            xb = as_tensor(X[start:stop], device).to(torch.float64)
            Xt[start:stop] = (xb - mean) / scale
            yt[start:stop] = as_tensor(y[start:stop], device).to(torch.float64) - scaler.y_mean
        return cls(Xt, yt, stats_engine=stats_engine, shuffle=shuffle)

    def loss(self, W, B):
        """The full-data MSE at ``(W, B)`` as a differentiable torch scalar (for full-batch steps).

        Parameters
        ----------
        W : Tensor, shape (n_features,)
            The coefficients (scaled units).
        B : Tensor, shape (1,), or None
            The intercept; None without an intercept.

        Returns
        -------
        Tensor, shape ()
        """
        return mse(predict(self.X, W, B), self.y)

    def whole_loss(self, W, B) -> float:
        """The full-data MSE at ``(W, B)`` as a float, without a graph (the history of minibatch runs).

        Parameters
        ----------
        W : Tensor, shape (n_features,)
        B : Tensor, shape (1,), or None

        Returns
        -------
        float
        """
        import torch

        if self.stats_engine is not None:
            return self.stats_engine.whole_loss(W, B)
        with torch.no_grad():
            return float(self.loss(W, B))

    def minibatch_epoch(self, step: Callable, batch_size: int, generator, chunk: Callable | None = None) -> None:
        """One pass over a fresh seeded shuffle: ``step(make)`` for each batch, ``make(W, B)`` its closure.

        Parameters
        ----------
        step : callable
            ``step(make)``: ``make(W, B)`` gives the batch's closure (the batch MSE, gradients set on
            ``W.grad`` and ``B.grad``) for ``optimizer.step``.
        batch_size : int
            Rows per batch, >= 1 (the last batch of a pass may be smaller).
        generator : torch.Generator
            Draws the shuffle.
        chunk : callable or None, default None
            ``chunk(M, rows)`` takes the steps of many batches at once from their Gram matrices
            (:class:`slopefit.train.batches.GramSgd`) where a pass has them (block shuffle), instead of ``step``.
        """
        import torch

        n_samples = self.X.shape[0]
        block = block_rows(batch_size)
        if resolve_shuffle(self.shuffle, n_samples, batch_size) == "rows":
            order = torch.randperm(n_samples, generator=generator)
        elif gram_fits(n_samples, self.X.shape[1], block):
            with one_torch_thread():
                if self._grams is None or self._grams.block != block:
                    self._grams = BlockGrams(self.X, self.y, block)
                for M, rows in self._grams.chunks(draw_blocks(n_samples, block, generator), batch_size):
                    gram_steps(step, chunk, M, rows)
            return
        else:  # blocks whose Gram matrices would outgrow the rows: the same batches, stepped on the rows
            order = block_order_rows(draw_blocks(n_samples, block, generator), n_samples, block)
        if self._shuffled is None:
            self._shuffled = (torch.empty_like(self.X), torch.empty_like(self.y))
        Xs, ys = self._shuffled
        order = order.to(self.X.device)
        torch.index_select(self.X, 0, order, out=Xs)  # one gather; the batches are then contiguous slices
        torch.index_select(self.y, 0, order, out=ys)
        with one_torch_thread():  # small per-batch ops: worker threads would stall them (see one_torch_thread)
            for start in range(0, n_samples, batch_size):
                step(functools.partial(batch_closure, Xs[start:start + batch_size], ys[start:start + batch_size]))


class StreamEngine:
    """Minibatch epochs over a :class:`slopefit.data.tables.TableSource`, one chunk in memory at a time.

    Losses come from ``stats_engine``: the rows are never all in memory.

    Parameters
    ----------
    source : TableSource
        The file, read in shuffled chunks.
    scaler : Scaler
        The scaling applied to each chunk.
    stats_engine : StatsEngine
        Gives :meth:`loss` and :meth:`whole_loss`.
    dtype : torch.dtype
        The batches' dtype; keyword-only.
    device : str, default "cpu"
        The batches' device; keyword-only.
    """

    def __init__(self, source, scaler: Scaler, stats_engine: StatsEngine, *, dtype, device: str = "cpu") -> None:
        self.source = source
        self.scaler = scaler
        self.stats_engine = stats_engine
        self.dtype = dtype
        self.device = device

    def loss(self, W, B):
        """The full-data MSE from the statistics: :meth:`StatsEngine.loss`."""
        return self.stats_engine.loss(W, B)

    def whole_loss(self, W, B) -> float:
        """The full-data MSE as a float from the statistics: :meth:`StatsEngine.whole_loss`."""
        return self.stats_engine.whole_loss(W, B)

    def minibatch_epoch(self, step: Callable, batch_size: int, generator, chunk: Callable | None = None) -> None:
        """One pass over the file's chunks in a seeded shuffled order: ``step(make)`` for each batch.

        Parameters
        ----------
        step : callable
            ``step(make)``: ``make(W, B)`` gives the batch's closure (:meth:`DataEngine.minibatch_epoch`).
        chunk : callable or None
            Not used: the batches of a file are stepped on their rows.
        batch_size : int
            Rows per batch, >= 1 (the last batch of each chunk may be smaller).
        generator : torch.Generator
            Draws the shuffle.
        """
        import torch

        for X, y in self.source.shuffled_chunks(generator):
            Xt = torch.as_tensor(self.scaler.transform_X(X), dtype=self.dtype, device=self.device)
            yt = torch.as_tensor(self.scaler.transform_y(y), dtype=self.dtype, device=self.device)
            with one_torch_thread():
                for start in range(0, len(yt), batch_size):
                    step(functools.partial(batch_closure, Xt[start:start + batch_size], yt[start:start + batch_size]))


def make_engine(name: str, data, scaler: Scaler, stats_engine: StatsEngine, *, full_batch: bool, dtype,
                device: str, shuffle: str = "auto") -> StatsEngine | DataEngine | StreamEngine:
    """The engine ``name`` ("stats" or "data") for ``data``, a Dataset or a TableSource.

    ``stats_engine`` is the data's :class:`StatsEngine`: the stats engine itself, and the
    whole-data loss of minibatch runs.

    Parameters
    ----------
    name : {"stats", "data"}
        The resolved engine (:meth:`slopefit.train.config.TrainConfig.resolved_engine`).
    data : Dataset or TableSource
        The rows, in memory or in a file.
    scaler : Scaler
        The run's scaling.
    stats_engine : StatsEngine
        The data's quadratic; returned as is for "stats".
    full_batch : bool
        Whether the run is full batch; a file's rows are then read into memory; keyword-only.
    dtype : torch.dtype
        The dtype of the rows' tensors; keyword-only.
    device : str
        Where the tensors live; keyword-only.
    shuffle : {"auto", "rows", "blocks"}, default "auto"
        How minibatch passes over rows in memory shuffle (:mod:`slopefit.train.batches`); keyword-only.

    Returns
    -------
    StatsEngine, DataEngine or StreamEngine
        ``stats_engine`` for "stats"; for "data", a :class:`DataEngine` on a Dataset or on a
        file read whole (full batch), else a :class:`StreamEngine` over the file.
    """

    if name == "stats":
        return stats_engine
    if isinstance(data, Share):  # this process's share of a run of several (slopefit.dist.distributed)
        return share_engine(name, data, scaler, stats_engine, full_batch=full_batch, dtype=dtype, device=device,
                            shuffle=shuffle)
    if isinstance(data, Dataset):
        return DataEngine.from_arrays(data.X, data.y, scaler, dtype=dtype, device=device, stats_engine=stats_engine,
                                      shuffle=shuffle)
    if full_batch:  # the loss on every row at every epoch: the file has to fit in memory
        rows = data.read_all()
        return DataEngine.from_arrays(rows.X, rows.y, scaler, dtype=dtype, device=device)
    return StreamEngine(data, scaler, stats_engine, dtype=dtype, device=device)


def share_engine(name: str, share, scaler, stats_engine, *, full_batch: bool, dtype, device: str,
                 shuffle: str = "auto"):
    """The engine of a run on a :class:`slopefit.dist.shards.Share` (see :func:`slopefit.train.engines.make_engine`).

    Full batch on the rows is possible only for a run of one (its rows are all here); minibatches
    run on :class:`ShardEngine` over this process's rows held in memory.

    Raises
    ------
    ConfigError
        ``engine="data"`` full batch under torchrun.
    """
    if name == "stats":
        return stats_engine
    group = share.group
    X, y = share.read_all()
    local = DataEngine.from_arrays(X, y, scaler, dtype=dtype, device=device, stats_engine=stats_engine)
    if full_batch:
        if group is not None and group.world_size > 1:
            raise ConfigError("under torchrun a full-batch run trains on the statistics added up over every "
                              "process (engine=\"stats\", the default); engine=\"data\" needs batch_size=")
        return local
    from slopefit.train.sharded import ShardEngine

    return ShardEngine(local.X, local.y, stats_engine, group, shuffle=shuffle)
