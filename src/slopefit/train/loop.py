"""The one training loop, for one run or for K runs stacked side by side.

The loop knows epochs, records, stopping and divergence; what one epoch does is the job
of a *stepper*. :class:`TorchRun` steps one parameter vector with any ``torch.optim``
optimizer (full batch, as the lesson does, or minibatches); the batched sweep
(:mod:`slopefit.train.sweep`) steps K stacked parameter vectors with the update rules written
out. Both answer the same three calls, so both get the same rules from
:mod:`slopefit.train.convergence`:

``advance(epoch, step=..., keep=...) -> (loss, worst)``
    The loss of every run at its current parameters (after ``epoch`` updates), shape (K,);
    then, with ``step``, one update. ``worst`` (K,) is the largest minibatch loss seen
    during that update, or None when the update judged no loss of its own. With ``keep``
    the stepper remembers the parameters the loss was taken at.
``judged() -> ndarray (K, n_params)``: the remembered parameters (scaled units).
``judged_gap() -> float``: ``loss - loss*`` at the remembered parameters of the run (K = 1).
``restore()``: put the remembered parameters back (a run stopped at the epoch it judged).
``freeze(mask)``: stop updating the runs in ``mask`` (they diverged).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from slopefit.train.batches import GramSgd, batch_closure
from slopefit.train.convergence import divergence_limit, has_diverged
from slopefit.train.results import Progress

__all__ = ["LoopRecord", "LoopState", "Stepper", "TorchRun", "batch_closure", "run_loop"]


class Stepper(Protocol):
    """What :func:`run_loop` steps: K runs' parameters and what one epoch does to them (see the module docstring)."""

    def advance(self, epoch: int, *, step: bool, keep: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """The loss of every run at its current parameters, then (with ``step``) one epoch of updates.

        Parameters
        ----------
        epoch : int
            Updates (full batch) or passes (minibatches) made so far, >= 0.
        step : bool
            Whether to take the epoch's update(s) after taking the loss (False at the last epoch).
        keep : bool
            Whether to remember the parameters the loss was taken at (for :meth:`judged`, :meth:`restore`).

        Returns
        -------
        loss : ndarray, shape (K,)
            The loss of each run after ``epoch`` updates.
        worst : ndarray, shape (K,), or None
            The largest minibatch loss seen during the update; None when the update judged no loss of its own.
        """
        ...

    def judged(self) -> np.ndarray:
        """The parameters the last loss was taken at, shape (K, n_params), scaled units (W..., then B)."""
        ...

    def judged_gap(self) -> float:
        """``loss - loss*`` at the parameters the last loss was taken at, for a single run (K = 1)."""
        ...

    def restore(self) -> None:
        """Put the remembered parameters back (a run stopped at the epoch it judged)."""
        ...

    def freeze(self, mask: np.ndarray) -> None:
        """Stop updating the runs where ``mask`` (shape (K,), bool) is True: they diverged."""
        ...


@dataclass(frozen=True)
class LoopRecord:
    """What the loop saw.

    Attributes
    ----------
    epochs : tuple of int
        The recorded epochs, increasing.
    losses : ndarray, shape (n_records, K)
        The loss of every run at each recorded epoch (NaN once diverged).
    params : tuple of ndarray, shape (K, n_params) each
        The parameters at each record (with ``record_params``; else empty).
    epochs_run : int
        The last epoch reached (fewer than asked when a rule stopped the loop).
    stop_reason : {"epochs", "tol", "gap", "diverged"}
        Budget spent; loss change within ``tol``; gap within ``gap_target``; every run diverged.
    diverged_at : ndarray of int, shape (K,)
        The epoch each run diverged at, or -1.
    diverged_loss : ndarray, shape (K,)
        The loss that showed it (NaN where the run did not diverge).
    """

    epochs: tuple[int, ...]
    losses: np.ndarray
    params: tuple[np.ndarray, ...]
    epochs_run: int
    stop_reason: str
    diverged_at: np.ndarray
    diverged_loss: np.ndarray


@dataclass
class LoopState:
    """Where the loop stands before judging ``epoch``: what a checkpoint keeps of it (:mod:`slopefit.train.checkpoint`).

    Attributes
    ----------
    epoch : int
        The next epoch to judge (updates made so far, full batch; passes, minibatches).
    epochs, losses, params : list
        The records so far (as in :class:`LoopRecord`).
    limit : ndarray or None
        The divergence limit, set at epoch 0.
    previous : float
        The loss of run 0 at the last epoch (for ``tol``).
    active, diverged_at, diverged_loss : ndarray, shape (K,)
        Which runs still step, and where and how the others diverged.
    """

    epoch: int
    epochs: list[int]
    losses: list[np.ndarray]
    params: list[np.ndarray]
    limit: Any
    previous: float
    active: np.ndarray
    diverged_at: np.ndarray
    diverged_loss: np.ndarray

    @classmethod
    def fresh(cls, runs: int) -> LoopState:
        """The state before epoch 0 of ``runs`` runs."""
        return cls(epoch=0, epochs=[], losses=[], params=[], limit=None, previous=math.nan,
                   active=np.ones(runs, dtype=bool), diverged_at=np.full(runs, -1),
                   diverged_loss=np.full(runs, math.nan))


def run_loop(
    stepper: Stepper,
    *,
    runs: int,
    epochs: int,
    baseline: float,
    log_every: int = 1,
    tol: float | None = None,
    gap_target: float | None = None,
    record_params: bool = False,
    every_epoch_judged: bool = True,
    callback: Callable[[Progress], None] | None = None,
    start: LoopState | None = None,
    on_epoch: Callable[[LoopState], None] | None = None,
) -> LoopRecord:
    """Run ``epochs`` epochs of ``stepper`` and record the losses.

    Parameters
    ----------
    stepper : Stepper
        The runs to step.
    runs : int
        K, the number of runs the stepper carries, >= 1; keyword-only (as are all below).
    epochs : int
        The budget of updates (full batch) or passes (minibatches), >= 1.
    baseline : float
        The loss of the constant model, >= 0; it floors the divergence limit (see
        :func:`slopefit.train.convergence.divergence_limit`).
    log_every : int, default 1
        Record every this many epochs, >= 1 (the last is always recorded).
    tol : float or None, default None
        Stop when the loss changes by at most ``tol`` times the previous loss over one epoch, >= 0
        (K = 1; None: never).
    gap_target : float or None, default None
        Stop once the gap ``loss - loss*`` is at or below this, >= 0 (K = 1; None: never).
    record_params : bool, default False
        Keep the parameters of every record.
    every_epoch_judged : bool, default True
        True when every epoch's loss is cheap (full batch: the step computes it anyway);
        False for minibatches, whose whole-data loss is taken only where it is recorded or
        a rule needs it.
    callback : callable or None, default None
        Called with :class:`Progress` at every record (the loss of run 0).
    start : LoopState or None, default None
        Where to go on from (a run resumed from a checkpoint, its stepper restored to match); None: epoch 0.
    on_epoch : callable or None, default None
        Called with the :class:`LoopState` before every epoch after the first (a checkpoint saves it there).

    Returns
    -------
    LoopRecord
        The recorded epochs and losses, where and why the loop stopped, which runs diverged.
        Divergence is recorded, not raised: the caller decides what it means.
    """
    may_stop = tol is not None or gap_target is not None
    keep = may_stop or record_params
    state = start or LoopState.fresh(runs)
    active, diverged_at, diverged_loss = state.active, state.diverged_at, state.diverged_loss
    seen_epochs, seen_losses, seen_params = state.epochs, state.losses, state.params
    limit, previous = state.limit, state.previous
    stop_reason, last = "epochs", epochs

    def diverge(mask: np.ndarray, epoch: int, loss: np.ndarray) -> None:
        diverged_at[mask] = epoch
        diverged_loss[mask] = loss[mask]
        active[mask] = False
        stepper.freeze(mask)

    for epoch in range(state.epoch, epochs + 1):
        if on_epoch is not None and epoch > state.epoch:
            on_epoch(LoopState(epoch=epoch, epochs=seen_epochs, losses=seen_losses, params=seen_params,
                               limit=limit, previous=previous, active=active, diverged_at=diverged_at,
                               diverged_loss=diverged_loss))
        is_last = epoch == epochs
        judge = every_epoch_judged or may_stop or is_last or epoch % log_every == 0
        loss, worst = stepper.advance(epoch, step=not is_last, keep=keep)
        loss = np.where(active, loss, math.nan) if judge else np.full(runs, math.nan)
        if limit is None:
            limit = divergence_limit(loss, baseline)
        if judge:
            bad = active & has_diverged(loss, limit)
            if bad.any():
                diverge(bad, epoch, loss)
                loss = np.where(active, loss, math.nan)
        if not active.any():
            stop_reason, last = "diverged", epoch
            break
        current = float(loss[0])
        converged = (tol is not None and epoch > 0
                     and abs(previous - current) <= tol * max(abs(previous), 1e-300))
        close_enough = judge and gap_target is not None and stepper.judged_gap() <= gap_target
        if epoch % log_every == 0 or is_last or converged or close_enough:
            seen_epochs.append(epoch)
            seen_losses.append(loss)
            params = stepper.judged() if record_params else None
            if params is not None:
                seen_params.append(params)
            if callback is not None:
                callback(Progress(epoch=epoch, epochs=epochs, loss=current,
                                  params=None if params is None else tuple(float(v) for v in params[0])))
        if converged or close_enough:
            stop_reason, last = ("tol" if converged else "gap"), epoch
            if not is_last:
                stepper.restore()
            break
        previous = current
        if worst is not None:  # a minibatch of the next epoch already blew up
            bad = active & has_diverged(worst, limit)
            if bad.any():
                diverge(bad, epoch + 1, worst)
                if not active.any():
                    stop_reason, last = "diverged", epoch + 1
                    break
    losses = np.array(seen_losses).reshape(len(seen_losses), runs)
    return LoopRecord(epochs=tuple(seen_epochs), losses=losses, params=tuple(seen_params), epochs_run=last,
                      stop_reason=stop_reason, diverged_at=diverged_at, diverged_loss=diverged_loss)


class TorchRun:
    """One run: W (and B) stepped by a ``torch.optim`` optimizer on an engine's loss.

    Full batch, each epoch is ``optimizer.step(closure)`` whose closure computes the loss
    at the current parameters (as the lesson's loop does: the loss before the update is
    the loss after ``epoch`` updates). With ``batch_size``, each epoch is one pass over a
    fresh seeded shuffle, one optimizer step per batch, and the loss recorded is the
    whole-data loss before the pass.

    Parameters
    ----------
    engine : StatsEngine, DataEngine or StreamEngine
        Computes the loss (``loss``, with a graph; ``whole_loss``, a float) and minibatch passes.
    W : Tensor, shape (n_features,), requires_grad
        The coefficients, updated in place.
    B : Tensor, shape (1,), requires_grad, or None
        The intercept, updated in place; None without an intercept.
    optimizer : torch.optim.Optimizer
        Built over ``[W]`` or ``[W, B]``.
    batch_size : int or None
        Rows per step, >= 1; None is full batch; keyword-only.
    generator : torch.Generator
        Draws the minibatch shuffles; keyword-only.
    stats_engine : StatsEngine or None, default None
        Gives the gap to the optimum at any parameters (needed by :meth:`judged_gap`); keyword-only.
    prox : callable or None, default None
        ``prox(W, W_before, optimizer)`` after each full-batch step: the proximal step of a
        non-smooth penalty (:meth:`slopefit.solve.penalties.PenaltyEngine.prox`); keyword-only.
    """

    def __init__(self, engine, W, B, optimizer, *, batch_size: int | None, generator, stats_engine=None,
                 prox=None) -> None:
        self.engine = engine
        self.stats_engine = stats_engine  # a StatsEngine: the gap to the optimum at any parameters
        self.W, self.B = W, B
        self.params = [W] if B is None else [W, B]
        self.optimizer = optimizer
        self.batch_size = batch_size
        self.generator = generator
        self.prox = prox
        self._kept: list = []
        self.on_step: Callable[[TorchRun], None] | None = None  # after every minibatch step (a checkpoint's hook)
        self.pass_start: Any = None  # the generator's state that drew the shuffle of the pass under way
        self.pass_loss = math.nan  # the whole-data loss taken before that pass
        self.pass_steps = 0  # its steps taken so far
        self.pass_worst = -math.inf  # the largest batch loss of those steps
        self._resume: tuple[float, int, float] | None = None  # (loss, steps, worst) of a pass to go on with

    def _closure(self):
        self.optimizer.zero_grad()
        loss = self.engine.loss(self.W, self.B)
        loss.backward()
        return loss

    def advance(self, epoch: int, *, step: bool, keep: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """The loss at the current parameters, then one epoch of steps: see :meth:`Stepper.advance` (K = 1)."""
        if self._resume is not None:  # a pass stopped between two steps: its loss was taken before the save
            taken, done, so_far = self._resume
            self._resume = None  # the parameters the loss was taken at are kept since (resume_pass)
            return np.array([taken]), np.array([self._minibatch_epoch(taken, skip=done, worst=so_far)])
        self._kept = [p.detach().clone() for p in self.params] if keep and step else self.params
        if self.batch_size is None:
            if step and self.prox is not None:
                before = self.W.detach().clone()
                loss = float(self.optimizer.step(self._closure).detach())
                self.prox(self.W, before, self.optimizer)
                return np.array([loss]), None
            if step:
                return np.array([float(self.optimizer.step(self._closure).detach())]), None
            return np.array([self.engine.whole_loss(self.W, self.B)]), None
        whole = float(self.engine.whole_loss(self.W, self.B))
        worst = self._minibatch_epoch(whole) if step else None
        return np.array([whole]), (None if worst is None else np.array([worst]))

    def resume_pass(self, loss: float, steps: int, worst: float, kept: list | None) -> None:
        """Go on, at the next :meth:`advance`, with a pass stopped after ``steps`` of its steps.

        The generator must hold the state that drew the pass's shuffle (:attr:`pass_start`) and
        W, B and the optimizer the state after those steps; the pass is drawn again and its first
        ``steps`` batches passed over, so the run goes on as if never stopped.

        Parameters
        ----------
        loss : float
            The whole-data loss taken before the pass (:attr:`pass_loss`).
        steps : int
            Steps of the pass already taken, >= 0.
        worst : float
            The largest batch loss of those steps (:attr:`pass_worst`).
        kept : list of Tensor or None
            The parameters the loss was taken at (None: the loop keeps none).
        """
        self._resume = (float(loss), int(steps), float(worst))
        self._kept = self.params if kept is None else list(kept)

    def judged(self) -> np.ndarray:
        """The parameters the last loss was taken at, shape (1, n_params), float64: see :meth:`Stepper.judged`."""
        return np.concatenate([p.detach().reshape(-1).double().cpu().numpy() for p in self._kept])[None, :]

    def judged_gap(self) -> float:
        """``loss - loss*`` at the judged parameters, from ``stats_engine`` (which must be set)."""
        kept = self._kept
        return self.stats_engine.gap(kept[0], kept[1] if len(kept) > 1 else None)

    def restore(self) -> None:
        """Copy the parameters kept by the last :meth:`advance` back into W (and B)."""
        import torch

        with torch.no_grad():
            for p, saved in zip(self.params, self._kept, strict=True):
                p.copy_(saved)

    def freeze(self, mask: np.ndarray) -> None:
        """A single run that diverged ends the loop; nothing to hold still."""

    def _minibatch_epoch(self, loss: float, *, skip: int = 0, worst: float = -math.inf) -> float:
        """One pass over a fresh seeded shuffle; returns the largest batch loss (divergence shows there first).

        The batch gradient is the lesson's formula written out, ``dL/dW = (2/n) X^T (Yp - Y)``
        and ``dL/dB = (2/n) sum(Yp - Y)``, set on ``W.grad`` and ``B.grad`` directly: the same
        numbers autograd gives (a test holds them together) at half the cost of a graph per batch.
        The first ``skip`` batches are drawn but not stepped (a pass resumed after them). Where the
        engine steps from batch Gram matrices and the optimizer is plain SGD with no hook between
        steps, the pass's steps are :class:`slopefit.train.batches.GramSgd`'s, many at a time.
        """
        W, B = self.W, self.B
        self.pass_start, self.pass_loss, self.pass_steps, self.pass_worst = self.generator.get_state(), loss, 0, worst
        on_step = self.on_step

        def step(make) -> None:  # make(W, B): the batch's closure (an engine's minibatch_epoch)
            if self.pass_steps < skip:
                self.pass_steps += 1
                return
            loss = float(self.optimizer.step(make(W, B)))
            worst = self.pass_worst
            if not math.isnan(worst) and (math.isnan(loss) or loss > worst):  # NaN, once seen, stays
                self.pass_worst = loss
            self.pass_steps += 1
            if on_step is not None:
                on_step(self)

        fast = GramSgd(self.optimizer, W, B) if on_step is None and not skip and GramSgd.applies(self.optimizer) \
            else None

        def chunk(M, rows) -> None:  # the steps of many batches at once (GramSgd), where the engine has their M
            assert fast is not None  # the engine asks for chunks only when GramSgd applies
            self.pass_worst = fast.run(M, rows, self.pass_worst)
            self.pass_steps += len(rows)

        self.engine.minibatch_epoch(step, self.batch_size, self.generator, chunk=None if fast is None else chunk)
        if fast is not None:
            fast.write_back()
        return self.pass_worst
