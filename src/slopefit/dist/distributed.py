"""Many processes, one answer: a fit started by ``torchrun``, on ``torch.distributed``.

``torchrun`` starts W processes and sets ``RANK``, ``WORLD_SIZE`` and the rendezvous in
their environment; :func:`start` joins its process group (gloo on the CPU, nccl with
``--device cuda``) with a timeout, so that a process that stops answering ends the run
instead of hanging it. Each process then reads only its share of the data
(:mod:`slopefit.dist.shards`) and:

* :func:`gather_stats`: the float64 statistics of every share, moved to one common shift
  (that of the first rows of the data) and summed over the processes, so that every
  process holds the same statistics and runs the same full-batch epochs;
* :func:`reference`: the exact optimum refined by residual passes whose sums are reduced
  over the processes;
* :class:`ShardEngine`: minibatches of a global shuffle drawn alike by every process from the
  run's seed (the same batches as one process); each process takes the batch's rows it holds
  and the gradient sums are all-reduced by hand before every optimizer step;
* :func:`agree`: an error in one process (a bad cell in its share) is raised by all; process 0 prints it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np

from slopefit.errors import ConfigError, DataError, SlopefitError
from slopefit.solve.stats import SufficientStats

TIMEOUT_ENV = "SLOPEFIT_DIST_TIMEOUT"  # seconds a collective may wait for the other processes
DEFAULT_TIMEOUT_S = 900.0


class GroupError(SlopefitError):
    """The process group broke: another process failed, was stopped, or did not answer in time."""


@dataclass(frozen=True)
class Group:
    """This process's place in a run started by torchrun.

    Attributes
    ----------
    rank : int
        This process, 0 to ``world_size - 1``; process 0 alone prints and writes files.
    world_size : int
        Processes in the run.
    backend : str
        ``"gloo"`` (CPU) or ``"nccl"`` (CUDA).
    """

    rank: int
    world_size: int
    backend: str

    @property
    def leader(self) -> bool:
        """Whether this is process 0, the one that prints and writes."""
        return self.rank == 0

    @property
    def device(self) -> str:
        """Where the tensors of collectives live: ``cuda`` for nccl, else ``cpu``."""
        return "cuda" if self.backend == "nccl" else "cpu"


def launched() -> bool:
    """Whether this process was started by torchrun (``RANK`` and ``WORLD_SIZE`` are set)."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def timeout_seconds() -> float:
    """How long a collective waits for the other processes: ``$SLOPEFIT_DIST_TIMEOUT`` or 900 s."""
    text = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(text) if text else DEFAULT_TIMEOUT_S
    except ValueError:
        raise ConfigError(f"{TIMEOUT_ENV}={text!r} is not a number of seconds; give e.g. {TIMEOUT_ENV}=600") from None
    if not value > 0:
        raise ConfigError(f"{TIMEOUT_ENV}={text!r} must be > 0 seconds")
    return value


def start(device: str = "cpu") -> Group | None:
    """Join torchrun's process group; None when not started by torchrun.

    Parameters
    ----------
    device : {"cpu", "cuda", "mps"}, default "cpu"
        The run's device: ``cuda`` uses nccl (one GPU a process, ``LOCAL_RANK``), else gloo.

    Returns
    -------
    Group or None

    Raises
    ------
    GroupError
        The rendezvous failed.
    """
    if not launched():
        return None
    import torch
    import torch.distributed as dist

    backend = "nccl" if device == "cuda" else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    timeout = timedelta(seconds=timeout_seconds())
    with collective("joining the process group"):
        if not dist.is_initialized():
            # torchrun keeps one store across the restarts of --max-restarts: a restarted round must not
            # read the addresses the killed round left there, so each round keys its own
            store, rank, world_size = next(dist.rendezvous("env://", timeout=timeout))
            attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
            keyed = dist.PrefixStore(f"slopefit/attempt_{attempt}/", store)
            dist.init_process_group(backend, store=keyed, rank=rank, world_size=world_size, timeout=timeout)
            _STORE[:] = [keyed]
    return Group(rank=dist.get_rank(), world_size=dist.get_world_size(), backend=backend)


_STORE: list = []  # the key-value store of the group this process started (slopefit.dist.tally)


def store():
    """The key-value store of the process group :func:`start` joined, or None (none joined, or joined elsewhere)."""
    return _STORE[0] if _STORE else None


def stop(group: Group | None) -> None:
    """Leave the process group (no collective: a process may leave while others still write)."""
    if group is None:
        return
    import torch.distributed as dist

    _STORE.clear()
    if dist.is_initialized():
        dist.destroy_process_group()


@contextmanager
def collective(what: str) -> Iterator[None]:
    """Turn torch.distributed's failures (a peer gone, a timeout) into one-line :class:`GroupError`."""
    try:
        yield
    except SlopefitError:
        raise
    except (RuntimeError, ValueError, ConnectionError, TimeoutError) as exc:
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise GroupError(f"the run's processes lost each other while {what} ({text}); another process failed, was "
                         f"stopped, or waited longer than {TIMEOUT_ENV}={timeout_seconds():g} s") from None


def all_sum(group: Group | None, values: np.ndarray, *, op: str = "sum") -> np.ndarray:
    """``values`` reduced over every process (``op``: ``"sum"``, ``"min"`` or ``"max"``), float64.

    Parameters
    ----------
    group : Group or None
        None: ``values`` itself (a run of one).
    values : ndarray
        The same shape in every process.
    op : {"sum", "min", "max"}, default "sum"; keyword-only.

    Returns
    -------
    ndarray of float64, the shape of ``values``: identical in every process.
    """
    values = np.asarray(values, dtype=np.float64)
    if group is None:
        return values.copy()
    import torch
    import torch.distributed as dist

    t = torch.as_tensor(values.copy(), device=group.device)
    with collective("adding up their statistics"):
        dist.all_reduce(t, op={"sum": dist.ReduceOp.SUM, "min": dist.ReduceOp.MIN, "max": dist.ReduceOp.MAX}[op])
    return t.cpu().numpy().reshape(values.shape)


def gather_objects(group: Group | None, item: Any) -> list[Any]:
    """Every process's ``item`` (picklable), in rank order; ``[item]`` for a run of one."""
    if group is None:
        return [item]
    import torch.distributed as dist

    out: list[Any] = [None] * group.world_size
    with collective("exchanging what each read"):
        dist.all_gather_object(out, item)
    return out


_ERRORS: dict[str, type[SlopefitError]] = {"DataError": DataError, "ConfigError": ConfigError}


def agree(group: Group | None, error: SlopefitError | None) -> None:
    """Every process learns whether any failed; all then raise the first failing process's error.

    Parameters
    ----------
    group : Group or None
    error : SlopefitError or None
        This process's error, or None.

    Raises
    ------
    SlopefitError
        The first failing process's error (its own class where known), in every process.
    """
    reports = gather_objects(group, None if error is None else (type(error).__name__, str(error)))
    for rank, report in enumerate(reports):
        if report is not None:
            if group is None or rank == group.rank:
                raise error  # type: ignore[misc]
            raise _ERRORS.get(report[0], SlopefitError)(report[1])


def reshift(stats: SufficientStats, x_shift: np.ndarray, y_shift: float) -> SufficientStats:
    """The same statistics about another shift: ``G' = T^T G T`` with ``M' = M T``, ``M = [X - s, y - t, 1]``.

    Parameters
    ----------
    stats : SufficientStats
    x_shift : ndarray, shape (n_features,)
    y_shift : float

    Returns
    -------
    SufficientStats
        ``stats`` itself when the shift is already the same.
    """
    delta = np.append(stats.x_shift - x_shift, stats.y_shift - y_shift)  # old shift - new shift
    if not delta.any():
        return stats
    d = stats.n_features
    T = np.eye(d + 2)
    T[d + 1, : d + 1] = delta
    gram = T.T @ stats.gram @ T
    return SufficientStats(n=stats.n, x_shift=np.asarray(x_shift, dtype=np.float64).copy(), y_shift=float(y_shift),
                           gram=(gram + gram.T) / 2.0, x_min=stats.x_min, x_max=stats.x_max)


def gather_stats(share, group: Group | None, *, on_rows: Callable[[int], None] | None = None) -> SufficientStats:
    """The statistics of every process's share, identical in every process.

    Each process accumulates its rows (:func:`slopefit.solve.accumulation.compute_stats`); the
    processes agree on any error; the shift of the first process holding rows becomes the
    common shift, every share's statistics are moved to it (:func:`reshift`) and summed, and
    the ranges are reduced to their minimum and maximum. The checks of
    :func:`slopefit.solve.preparation.gather_stats` then run on the sum, alike in every process.

    Parameters
    ----------
    share : Share
        This process's rows (:func:`slopefit.dist.shards.open_share`).
    group : Group or None
        None: a run of one (a directory or pattern read by one process).
    on_rows : callable, optional
        Called with the rows every process has read so far, in process 0 only (:class:`slopefit.dist.tally.RowTally`),
        at last with the rows of the statistics; keyword-only.

    Returns
    -------
    SufficientStats

    Raises
    ------
    DataError
        Any process's reading error (bad cells, empty cells), or too few rows, a constant feature.
    """
    from slopefit.solve.accumulation import compute_stats
    from slopefit.solve.preparation import check_stats
    from slopefit.dist.tally import RowTally

    d = share.n_features
    tally = RowTally(group, on_rows)
    counted = _Counted(share.chunks(on_rows=tally.read))
    local: SufficientStats | None = None
    error: SlopefitError | None = None
    label = share.parts[0].name if len(share.parts) == 1 else f"{share.name} (process {share.rank}'s share)"
    try:
        local = compute_stats(counted, d, names=[*share.feature_names, share.target_name], label=label)
    except DataError as exc:
        if counted.rows or not counted.finished:  # an empty share is no error: the others hold the rows
            error = exc
    agree(group, error)
    shifts = [s for s in gather_objects(group, None if local is None else (local.x_shift, local.y_shift))
              if s is not None]
    if not shifts:
        raise DataError(f"{share.name} has no rows; a line needs at least 2 rows of data")
    x_shift, y_shift = shifts[0]
    if local is None:
        gram, low, high = np.zeros((d + 2, d + 2)), np.full(d, np.inf), np.full(d, -np.inf)
    else:
        moved = reshift(local, x_shift, y_shift)
        gram, low, high = moved.gram, moved.x_min, moved.x_max
    gram = all_sum(group, gram)
    low, high = all_sum(group, low, op="min"), all_sum(group, high, op="max")
    share.tally["dropped"] = int(all_sum(group, np.array([share.local_dropped()]))[0])
    stats = SufficientStats(n=int(round(gram[d + 1, d + 1])), x_shift=np.asarray(x_shift, dtype=np.float64),
                            y_shift=float(y_shift), gram=gram, x_min=low, x_max=high)
    tally.done(stats.n)
    check_stats(stats, share)
    return stats


class _Counted:
    """An iterator of ``(X, y)`` chunks that counts their rows and knows when it ran out."""

    def __init__(self, chunks: Iterator) -> None:
        self._chunks = chunks
        self.rows = 0
        self.finished = False

    def __iter__(self) -> _Counted:
        return self

    def __next__(self):
        try:
            X, y = next(self._chunks)
        except StopIteration:
            self.finished = True
            raise
        self.rows += len(y)
        return X, y


def reference(share, stats: SufficientStats, group: Group | None, *, fit_intercept: bool = True):
    """The exact optimum of every process's rows: the statistics' normal equations refined by
    residual passes (:func:`slopefit.solve.refinement.refine`) whose sums are added over the processes.

    Parameters
    ----------
    share : Share
    stats : SufficientStats
        From :func:`gather_stats` (identical in every process).
    group : Group or None
    fit_intercept : bool, default True; keyword-only.

    Returns
    -------
    ExactSolution
        Identical in every process.
    """
    from slopefit.solve.preparation import reference_solution

    def reduce(n: int, rss: float, ax_r: np.ndarray, sum_r: float) -> tuple[int, float, np.ndarray, float]:
        total = all_sum(group, np.concatenate([[n, rss, sum_r], ax_r]))
        return int(round(total[0])), float(total[1]), total[3:], float(total[2])

    return reference_solution(share, fit_intercept=fit_intercept, stats=stats, reduce=reduce)


def share_engine(name: str, share, scaler, stats_engine, *, full_batch: bool, dtype, device: str):
    """The engine of a run on a :class:`slopefit.dist.shards.Share` (see :func:`slopefit.train.engines.make_engine`).

    Full batch on the rows is possible only for a run of one (its rows are all here); minibatches
    run on :class:`ShardEngine` over this process's rows held in memory.

    Raises
    ------
    ConfigError
        ``engine="data"`` full batch under torchrun.
    """
    from slopefit.train.engines import DataEngine

    if name == "stats":
        return stats_engine
    group = current()
    X, y = share.read_all()
    local = DataEngine.from_arrays(X, y, scaler, dtype=dtype, device=device, stats_engine=stats_engine)
    if full_batch:
        if group is not None and group.world_size > 1:
            raise ConfigError("under torchrun a full-batch run trains on the statistics added up over every "
                              "process (--engine stats, the default); --engine data needs --batch-size")
        return local
    return ShardEngine(local.X, local.y, stats_engine, group)


class ShardEngine:
    """Minibatches of one global shuffle, each process stepping with the batch rows it holds.

    Every process draws the same permutation of all ``n`` rows from the run's generator
    (``torch.randperm(n)``, as :class:`slopefit.train.engines.DataEngine` does for one process), so
    global batch ``k`` is the same rows whatever the number of processes; a process gathers
    the rows of each batch it holds (they may be none), and :meth:`batch_closure` all-reduces
    ``[X_b^T r, sum r, r^T r]`` before setting ``W.grad = (2/m) X^T r`` and ``B.grad = (2/m) sum r``.

    Parameters
    ----------
    X : Tensor, shape (local rows, n_features)
        This process's scaled features, in data order.
    y : Tensor, shape (local rows,)
    stats_engine : StatsEngine
        The whole-data loss of each epoch.
    group : Group or None

    Attributes
    ----------
    votes : callable or None
        ``votes() -> (a, b)``: two flags of this process added to each step's all-reduce (a
        checkpoint's signals: the processes learn of one at the same step, at no extra cost).
    agreed : int or None
        After a step with ``votes``: SIGTERM's or SIGINT's number when any process voted for it, else None.
    """

    def __init__(self, X, y, stats_engine, group: Group | None) -> None:
        counts = [int(c) for c in gather_objects(group, int(X.shape[0]))]
        self.X, self.y = X, y
        self.stats_engine = stats_engine
        self.group = group
        self.first = sum(counts[: group.rank]) if group is not None else 0  # global index of the first local row
        self.n = sum(counts)
        self._rows = 0  # rows of the global batch being stepped
        self.votes: Callable[[], tuple[float, float]] | None = None
        self.agreed: int | None = None

    def loss(self, W, B):
        """The full-data MSE from the statistics (:meth:`StatsEngine.loss`)."""
        return self.stats_engine.loss(W, B)

    def whole_loss(self, W, B) -> float:
        """The full-data MSE as a float from the statistics."""
        return self.stats_engine.whole_loss(W, B)

    def minibatch_epoch(self, step: Callable, batch_size: int, generator) -> None:
        """One pass over the global shuffle: ``step(Xb, yb)`` with this process's rows of each batch."""
        import torch

        order = torch.randperm(self.n, generator=generator)
        first, last = self.first, self.first + int(self.X.shape[0])
        where = torch.nonzero((order >= first) & (order < last)).squeeze(1)  # positions held here
        rows = (order[where] - first).to(self.X.device)
        Xs, ys = self.X.index_select(0, rows), self.y.index_select(0, rows)
        starts = list(range(0, self.n, batch_size))
        bounds = torch.searchsorted(where, torch.tensor([*starts, self.n])).tolist()
        for k, start in enumerate(starts):
            self._rows = min(batch_size, self.n - start)
            step(Xs[bounds[k]:bounds[k + 1]], ys[bounds[k]:bounds[k + 1]])

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


_CURRENT: list[Group] = []


def current() -> Group | None:  # the group this process joined with session(), or None
    return _CURRENT[-1] if _CURRENT else None


@contextmanager
def session(device: str = "cpu") -> Iterator[Group | None]:
    """Join torchrun's process group for the block (None when not under torchrun), then leave it."""
    group = start(device)
    if group is not None:
        _CURRENT.append(group)
    try:
        yield group
        if group is not None:  # a barrier: every process done (process 0's files written) before any leaves
            all_sum(group, np.zeros(1))
    finally:
        if group is not None:
            _CURRENT.pop()
            stop(group)
