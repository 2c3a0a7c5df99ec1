"""Checkpoints: a run saved between two optimizer steps and resumed bit for bit.

A :class:`Checkpointer` given to :func:`slopefit.train.training.fit` saves, between two epochs of
the training loop (:func:`slopefit.train.loop.run_loop`'s ``on_epoch``) and, with minibatches,
between two steps of an epoch's pass (:attr:`slopefit.train.loop.TorchRun.on_step`), everything the
rest of the run depends on: the parameters, the optimizer's state, the epoch and step, the
state of the generator that draws the minibatch shuffles and the steps taken in the pass
under way (the data position: the pass's shuffle is drawn again from that state and its
first steps passed over), the loop's records so far (history, divergence limit, last loss)
and a *fingerprint* of the settings and of the data. It saves once ``every_steps`` optimizer
steps or ``every_seconds`` seconds have gone by (at the next step), and when SIGTERM or
SIGINT arrives (at the next step; then the run stops with :class:`Stopped`: exit 143 or 130).
Files are written atomically (:mod:`slopefit.atomic`) by process 0 alone.

Resuming restores all of it, so the run ends bit-identical to one never stopped (same
parameters, history and epochs). A checkpoint whose fingerprint differs from the run's (other
data, other settings, another number of processes) is refused, naming what differs.

The file proves itself: a header line, the SHA-256 of the body, then the body (``torch.save`` of
the payload: every tensor and the metadata). A flipped bit anywhere, a cut or an edited file
fails the checksum on resume and is refused in one line, never resumed into a wrong model.
A checkpoint belongs to its run: a fresh run (no ``resume``) whose path already holds a
checkpoint refuses to overwrite it unless told to (:func:`claim`).
"""

from __future__ import annotations

import hashlib
import math
import os
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np

from slopefit.errors import ConfigError, DataError, SlopefitError

FORMAT = "slopefit-checkpoint"
VERSION = 3  # 3: checksummed (MAGIC); 2: saves inside an epoch's pass; 1 and 2 (bare torch files) are still read
MAGIC = b"slopefit-checkpoint sha256 "  # the first line: MAGIC + 64 hex digits + newline, then the body
HEADER = len(MAGIC) + 64 + 1
EXIT_CODES: dict[int, int] = {int(signal.SIGTERM): 143, int(signal.SIGINT): 130}


class Stopped(SlopefitError):
    """The run was stopped by a signal after saving its checkpoint.

    Attributes
    ----------
    exit_code : int
        128 + the signal: 143 for SIGTERM, 130 for SIGINT.
    epoch : int
        The epoch the run stopped before (where a resumed run goes on), or the epoch whose
        pass it stopped in.
    within : int
        The steps of that epoch's pass taken before the stop (0: stopped between epochs).
    """

    def __init__(self, message: str, *, exit_code: int, epoch: int, within: int = 0) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.epoch = epoch
        self.within = within


def parse_every(text: str) -> tuple[int | None, float | None]:
    """``--checkpoint-every``: ``"500"`` (optimizer steps) or ``"30s"``, ``"5m"``, ``"1h"`` (time).

    Parameters
    ----------
    text : str

    Returns
    -------
    (steps, seconds)
        One of them set, the other None.

    Raises
    ------
    ConfigError
        Not a whole number of steps or a positive time.

    Examples
    --------
    >>> parse_every("200"), parse_every("90s"), parse_every("2m")
    ((200, None), (None, 90.0), (None, 120.0))
    """
    units = {"s": 1.0, "m": 60.0, "h": 3600.0}
    value = text.strip().lower()
    try:
        if value and value[-1] in units:
            seconds = float(value[:-1]) * units[value[-1]]
            if seconds > 0 and math.isfinite(seconds):
                return None, seconds
        elif int(value) >= 1:
            return int(value), None
    except ValueError:
        pass
    raise ConfigError(f"checkpoint_every= {text!r} is neither a number of optimizer steps (>= 1) nor a time "
                       "such as 30s, 5m or 1h")


def fingerprint(config, data, stats, *, world_size: int = 1) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: the settings that ran, the data, the processes.

    Parameters
    ----------
    config : TrainConfig
        The resolved settings (an automatic run's lr and momentum filled in).
    data : Dataset, TableSource or Share
    stats : SufficientStats
        The data's statistics; their values (to 9 significant digits) stand for the rows.
    world_size : int, default 1; keyword-only.

    Returns
    -------
    dict
        Field -> value, all JSON-ready.
    """
    values = np.concatenate([stats.gram.ravel(), stats.x_min, stats.x_max])
    digest = hashlib.sha256(" ".join(f"{v:.9e}" for v in values).encode()).hexdigest()[:16]
    return {**{k: v for k, v in config.to_dict().items()},
            "data": str(data.name), "columns": f"{', '.join(data.feature_names)} -> {data.target_name}",
            "rows": int(stats.n), "values": digest, "processes": int(world_size)}


class Checkpointer:
    """Saves a run between steps and resumes it (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint file (written atomically by process 0).
    every_steps : int or None, default None
        Save once this many optimizer steps have been taken since the last save (at that step); keyword-only.
    every_seconds : float or None, default None
        Save once this many seconds have passed since the last save (at the next step); keyword-only.
    resume : str or None, default None
        A checkpoint file to go on from, ``"auto"`` (``path`` when it exists, else a fresh
        start), or None (a fresh start, ``path`` overwritten); keyword-only.
    group : slopefit.dist.group.Group or None, default None
        The processes of a distributed run; keyword-only.

    Attributes
    ----------
    resumed_from : Path or None
        The file the run went on from, once :meth:`begin` ran.
    saves : list of (steps, seconds, bytes)
        Every save of this run: the optimizer steps taken since the run began, how long the
        save took, the file's size.
    """

    def __init__(self, path: str | os.PathLike[str], *, every_steps: int | None = None,
                 every_seconds: float | None = None, resume: str | None = None, group=None) -> None:
        self.path = Path(path)
        self.every_steps = every_steps
        self.every_seconds = every_seconds
        self.resume = resume
        self.group = group
        self.resumed_from: Path | None = None
        self.saves: list[tuple[int, float, int]] = []
        self._run: Any = None
        self._fingerprint: dict[str, Any] = {}
        self._minibatch = False
        self._state: Any = None  # the loop's state before the epoch under way
        self._steps = 0  # optimizer steps taken since the run began
        self._last_steps = 0
        self._last_time = time.monotonic()
        self._signal: int | None = None
        self._previous: dict[int, Any] = {}

    @property
    def leader(self) -> bool:
        """Whether this process writes the file (process 0, or a run of one)."""
        return self.group is None or self.group.rank == 0

    def begin(self, run, fingerprint: dict[str, Any], *, minibatch: bool):
        """Bind the run, restore it from the checkpoint to resume, and catch SIGTERM and SIGINT.

        Parameters
        ----------
        run : slopefit.train.loop.TorchRun
            The stepper (its W, B, optimizer and generator are saved and restored).
        fingerprint : dict
            From :func:`fingerprint`.
        minibatch : bool
            Whether an epoch is a pass of minibatch steps (then the run may be saved and stopped
            between two of them, and the processes of a distributed run agree on a signal at every
            step, within the step's own all-reduce) or one full-batch step; keyword-only.

        Returns
        -------
        slopefit.train.loop.LoopState
            Where the loop goes on from (epoch 0 for a fresh start).

        Raises
        ------
        DataError
            The checkpoint to resume is missing, unreadable, not a checkpoint, or of another run.
        """
        from slopefit.train.loop import LoopState

        self._run, self._fingerprint, self._minibatch = run, fingerprint, bool(minibatch)
        source = self.path if self.resume == "auto" else (Path(self.resume) if self.resume else None)
        state = LoopState.fresh(1)
        if source is not None and (self.resume != "auto" or source.exists()):
            state = self._restore(source)
            self.resumed_from = source
        self._state = state
        self._last_steps = self._steps
        if minibatch:
            run.on_step = self.at_step
            if self.group is not None and hasattr(run.engine, "votes"):
                run.engine.votes = self._votes  # the processes agree on a signal in each step's all-reduce
        self._catch()
        return state

    def at_epoch(self, state) -> None:
        """Between two epochs: save when due or when a signal came; after a signal, raise :class:`Stopped`."""
        self._state = state
        if not self._minibatch:
            self._steps = state.epoch  # one step an epoch
        stop = self._signal
        if self._minibatch and self.group is not None:
            from slopefit.dist.group import all_sum

            stop = int(all_sum(self.group, np.array([stop or 0]), op="max")[0]) or None
        if self._due() or stop:
            self.save(state)
        if stop:
            self._stop(stop, f"before epoch {state.epoch}", state.epoch, 0)

    def at_step(self, run) -> None:
        """After a minibatch step: save when due or when a signal came (the pass's position with it);
        after a signal, raise :class:`Stopped`. The processes of a distributed run agree on the
        signal in the step's own all-reduce (:attr:`slopefit.train.engines.ShardEngine.votes`)."""
        self._steps += 1
        stop = self._signal
        if self.group is not None:
            if getattr(run.engine, "votes", None) is not None:
                stop = run.engine.agreed
            else:  # an engine that adds up no votes: one all-reduce of the signal
                from slopefit.dist.group import all_sum

                stop = int(all_sum(self.group, np.array([stop or 0]), op="max")[0]) or None
        if self._due() or stop:
            self.save(self._state, run)
        if stop:
            epoch = self._state.epoch
            self._stop(stop, f"after step {run.pass_steps} of epoch {epoch + 1}", epoch, run.pass_steps)

    def _due(self) -> bool:
        return ((self.every_steps is not None and self._steps - self._last_steps >= self.every_steps)
                or (self.every_seconds is not None and time.monotonic() - self._last_time >= self.every_seconds))

    def _votes(self) -> tuple[float, float]:
        """This process's signal as (SIGTERM, SIGINT) flags, added up by a step's all-reduce."""
        return float(self._signal == signal.SIGTERM), float(self._signal == signal.SIGINT)

    def _stop(self, signum: int, where: str, epoch: int, within: int) -> None:
        name = signal.Signals(signum).name
        raise Stopped(f"stopped by {name} {where}; checkpoint saved to {self.path} "
                      f"(go on with resume={str(self.path)!r})",
                      exit_code=EXIT_CODES.get(signum, 128 + signum), epoch=epoch, within=within)

    def save(self, state, run=None) -> None:
        """Write the run as it stands before ``state.epoch`` or, given ``run`` (the stepper in a
        minibatch pass), after ``run.pass_steps`` steps of that epoch's pass; process 0 only, atomically."""
        import torch

        self._last_steps, self._last_time = self._steps, time.monotonic()
        if not self.leader:
            return
        started = time.perf_counter()
        within = 0 if run is None else int(run.pass_steps)
        run = self._run
        kept = None
        if within and run._kept is not run.params:
            kept = [p.detach().clone() for p in run._kept]
        payload = {
            "format": FORMAT, "version": VERSION, "fingerprint": self._fingerprint,
            "epoch": int(state.epoch), "steps": int(self._steps), "within": within,
            "pass": None if not within else {"loss": float(run.pass_loss), "worst": float(run.pass_worst),
                                             "kept": kept},
            "W": run.W.detach().clone(), "B": None if run.B is None else run.B.detach().clone(),
            "optimizer": run.optimizer.state_dict(),
            "generator": run.pass_start if within else run.generator.get_state(),
            "loop": {
                "epochs": [int(e) for e in state.epochs],
                "losses": torch.as_tensor(np.array(state.losses, dtype=np.float64)),
                "params": torch.as_tensor(np.array(state.params, dtype=np.float64)),
                "limit": None if state.limit is None else torch.as_tensor(np.asarray(state.limit, dtype=np.float64)),
                "previous": float(state.previous), "active": torch.as_tensor(state.active),
                "diverged_at": torch.as_tensor(state.diverged_at),
                "diverged_loss": torch.as_tensor(state.diverged_loss),
            },
        }
        import io

        from slopefit.atomic import atomic_path

        body = io.BytesIO()
        torch.save(payload, body)  # into memory: a full disk then fails in the write below, as an OSError
        digest = hashlib.sha256(body.getbuffer()).hexdigest()
        with atomic_path(self.path) as tmp, open(tmp, "wb") as fh:
            fh.write(MAGIC + digest.encode("ascii") + b"\n")
            fh.write(body.getbuffer())
        self.saves.append((int(self._steps), time.perf_counter() - started, self.path.stat().st_size))

    def close(self) -> None:
        """Give SIGTERM and SIGINT back their previous handlers."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    # --- inside -------------------------------------------------------------------------

    def _catch(self) -> None:
        import threading

        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        if self._signal is not None and signum == signal.SIGINT:  # a second Ctrl-C: stop now, save nothing more
            raise KeyboardInterrupt
        self._signal = signum

    def _restore(self, source: Path):
        if not source.is_file():
            raise DataError(f"checkpoint {str(source)!r} does not exist; give the file a run saved with checkpoint=, "
                            "or resume=\"auto\" to start fresh when there is none")
        payload = read_checkpoint(source)
        differs = [f"{key} {_show(payload['fingerprint'].get(key))} there, {_show(value)} here"
                   for key, value in self._fingerprint.items() if payload["fingerprint"].get(key) != value]
        if differs:
            raise DataError(f"checkpoint {str(source)!r} is of another run ({'; '.join(differs)}); refusing to resume "
                            "it: run with the same data and settings, or start fresh without resume=")
        try:
            return self._apply(payload)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError) as exc:
            raise DataError(f"checkpoint {str(source)!r} is damaged ({type(exc).__name__} in its "
                            f"{str(exc)[:60]!r}); start fresh without resume=, or give an intact copy") from None

    def _apply(self, payload: dict):
        import torch

        from slopefit.train.loop import LoopState

        run = self._run
        with torch.no_grad():
            run.W.copy_(payload["W"])
            if run.B is not None:
                run.B.copy_(payload["B"])
        run.optimizer.load_state_dict(payload["optimizer"])
        run.generator.set_state(payload["generator"])
        self._steps = int(payload["steps"])
        within = int(payload.get("within", 0))
        if within:
            inside = payload["pass"]
            run.resume_pass(inside["loss"], within, inside["worst"], inside["kept"])
        loop = payload["loop"]
        losses, params = loop["losses"].numpy(), loop["params"].numpy()
        return LoopState(epoch=int(payload["epoch"]), epochs=list(loop["epochs"]),
                         losses=[row for row in losses], params=[p for p in params],
                         limit=None if loop["limit"] is None else loop["limit"].numpy(),
                         previous=float(loop["previous"]), active=loop["active"].numpy().copy(),
                         diverged_at=loop["diverged_at"].numpy().copy(),
                         diverged_loss=loop["diverged_loss"].numpy().copy())


def read_checkpoint(source: str | os.PathLike[str]) -> dict[str, Any]:
    """The payload of a checkpoint file, its checksum verified (version 3) or, for the unchecked
    versions 1 and 2 (bare ``torch.save`` files), as read.

    Parameters
    ----------
    source : str or os.PathLike

    Returns
    -------
    dict
        The payload: ``format``, ``version``, ``fingerprint``, ``W``, ... (see :meth:`Checkpointer.save`).

    Raises
    ------
    DataError
        Unreadable, not a checkpoint, or damaged (the checksum differs): one line.
    """
    import io

    import torch

    source = Path(source)
    try:
        with open(source, "rb") as fh:
            head = fh.read(HEADER)
            body = fh.read() if head.startswith(MAGIC) else head + fh.read()
    except OSError as exc:
        raise DataError(f"cannot read checkpoint {str(source)!r}: {exc.strerror or exc}") from None
    if head.startswith(MAGIC):
        digest = head[len(MAGIC):HEADER - 1].decode("ascii", "replace")
        if hashlib.sha256(body).hexdigest() != digest or head[-1:] != b"\n":
            raise DataError(f"checkpoint {str(source)!r} is damaged: its SHA-256 checksum does not match its contents "
                            "(a changed or cut file); refusing to resume it: start fresh without resume=, or give "
                            "an intact copy")
    try:
        payload = torch.load(io.BytesIO(body), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch reports a bad file with many types
        raise DataError(f"{str(source)!r} is not a readable slopefit checkpoint ({type(exc).__name__}); "
                        "give a file saved with checkpoint=") from None
    if (not isinstance(payload, dict) or payload.get("format") != FORMAT or payload.get("version") not in (1, 2, 3)
            or not isinstance(payload.get("fingerprint"), dict)
            or (payload.get("version") == VERSION) != head.startswith(MAGIC)):
        raise DataError(f"{str(source)!r} is not a slopefit checkpoint of version {VERSION}; give a file saved "
                        "with checkpoint= by this slopefit")
    return payload


def claim(path: str | os.PathLike[str], *, resume: str | None, overwrite: bool) -> None:
    """Refuse to let a fresh run overwrite the checkpoint another run left at ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The run's ``--checkpoint`` file.
    resume : str or None
        ``--resume`` (then ``path`` is read first and its fingerprint checked: nothing to refuse here).
    overwrite : bool
        ``--overwrite-checkpoint``: start over, the file at ``path`` replaced at the first save.

    Raises
    ------
    DataError
        ``path`` holds a checkpoint (or any other file) and neither ``resume`` nor ``overwrite`` was given.
    """
    path = Path(path)
    if resume is not None or overwrite or not path.exists():
        return
    try:
        payload = read_checkpoint(path)
    except DataError:
        what = "a file that is not an intact slopefit checkpoint"
    else:
        mark, epoch, within = payload["fingerprint"], payload.get("epoch"), payload.get("within", 0)
        when = (f"after step {within} of epoch {int(epoch or 0) + 1}" if within else f"before epoch {epoch}")
        what = (f"the checkpoint of a run on {mark.get('data')} ({mark.get('columns')}, optimizer "
                f"{mark.get('optimizer')}) saved {when}")
    raise DataError(f"checkpoint={str(path)!r} already holds {what}; go on with "
                    f"resume={str(path)!r} (or resume=\"auto\"), choose another file, or start over with "
                    "overwrite_checkpoint=True")


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
