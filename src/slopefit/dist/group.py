"""torchrun's process group: joining it, leaving it, and the collectives every other module of
``dist/`` builds on (sums, gathered objects, an error raised by every process).

``torchrun`` starts W processes and sets ``RANK``, ``WORLD_SIZE`` and the rendezvous in their
environment; :func:`start` joins the group (gloo on the CPU, nccl with ``--device cuda``) with a
timeout, so that a process that stops answering ends the run instead of hanging it. The group a
process joined is a value (:class:`Group`) handed to whoever needs it; nothing is kept in a module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np

from slopefit.errors import ConfigError, DataError, SlopefitError


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
    store : torch.distributed.Store or None
        The key-value store of the group this process started, keyed by torchrun's restart round
        (None when the group was joined elsewhere).
    """

    rank: int
    world_size: int
    backend: str
    store: Any = field(default=None, repr=False, compare=False)  # torchrun's key-value store (slopefit.dist.tally)

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
    keyed = None
    with collective("joining the process group"):
        if not dist.is_initialized():
            # torchrun keeps one store across the restarts of --max-restarts: a restarted round must not
            # read the addresses the killed round left there, so each round keys its own
            store, rank, world_size = next(dist.rendezvous("env://", timeout=timeout))
            attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
            keyed = dist.PrefixStore(f"slopefit/attempt_{attempt}/", store)
            dist.init_process_group(backend, store=keyed, rank=rank, world_size=world_size, timeout=timeout)
    return Group(rank=dist.get_rank(), world_size=dist.get_world_size(), backend=backend, store=keyed)


def stop(group: Group | None) -> None:
    """Leave the process group (no collective: a process may leave while others still write)."""
    if group is None:
        return
    import torch.distributed as dist

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


@contextmanager
def session(device: str = "cpu") -> Iterator[Group | None]:
    """Join torchrun's process group for the block (None when not under torchrun), then leave it."""
    group = start(device)
    try:
        yield group
        if group is not None:  # a barrier: every process done (process 0's files written) before any leaves
            all_sum(group, np.zeros(1))
    finally:
        stop(group)
