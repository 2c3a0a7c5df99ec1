"""Training runs in worker processes: a pool started with the server, each process with torch
imported and one intra-op thread, streaming a run's events back in chunks.

Threads in one process share one interpreter lock, so runs on threads use about one core
however many there are; here each run has a process of its own. A process receives a run
(its data, the request, the seconds it may take), trains it with
:func:`slopefit.server.playground.train`, and sends its events as JSON lines, gathered into
one message at most :data:`FLUSH_SECONDS` apart (one message per epoch would cost more in
pickling and pipes than the epoch itself), then the result. A run is cancelled through a flag
shared with its process, read between epochs. A process that dies (killed, out of memory) is
replaced, and its run ends with one ``error`` event; one that outlives its run's time limit
by :data:`GRACE_SECONDS` is killed and replaced the same way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slopefit.errors import ConfigError, DataError, SlopefitError
from slopefit.server.playground import Cancelled
from slopefit.texts import cli_words

log = logging.getLogger("slopefit.server")

FLUSH_SECONDS = 0.02  # a run's events are sent in chunks at most this far apart
GRACE_SECONDS = 5.0  # past a run's time limit, its process is killed after this long
MAX_FAILED_STARTS = 3  # processes in a row dead before they were ready: no more are started


class WorkersBroken(Exception):
    """No worker process can start (each died while starting); its message is the page's one line."""


@dataclass
class Task:
    """One run for a worker: what it trains and where its messages go (parent side).

    Attributes
    ----------
    payload : tuple
        ``(data, request, seconds)``: the Dataset, the RunRequest, and the seconds it may take.
    deliver : callable
        Called on the worker's reader thread with each chunk of JSON lines (``str``).
    finish : callable
        Called on the reader thread once, with the run's result (None: diverged, cancelled,
        failed or the process died; its error event was delivered before).
    """

    payload: tuple
    deliver: Callable[[str], Any]
    finish: Callable[[Any], None]


def _serve(tasks, events, cancel) -> None:
    """A worker process's loop: train each task it is sent until it is sent None (or the parent goes)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops its workers
    import torch

    torch.set_num_threads(1)  # one process per core: threads inside a run would only contend
    from slopefit.server import playground

    playground.warm_up()
    events.send(("ready", None))
    while True:
        try:
            task = tasks.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        events.send(("end", _run(events, cancel, *task)))
    events.close()
    os._exit(0)  # nothing left to flush: skip the interpreter's teardown (a second or more with torch loaded)


def _run(events, cancel, data, request, seconds: float) -> Any:
    """One run in a worker process: its events sent in chunks; its result (None when it failed)."""
    from slopefit.server import playground

    pending: list[str] = []
    last = time.monotonic()

    def flush() -> None:
        nonlocal last
        if pending:
            events.send(("chunk", "".join(pending)))
            pending.clear()
        last = time.monotonic()

    def emit(event: dict) -> None:
        pending.append(json.dumps(playground.finite(event), allow_nan=False, ensure_ascii=False) + "\n")
        if time.monotonic() - last >= FLUSH_SECONDS:
            flush()

    result = None
    try:
        result = playground.train(data, request, emit, cancel, deadline=time.monotonic() + seconds)
    except BaseException as exc:  # noqa: B036 - every failure becomes one event, never a dead worker
        emit(error_event(exc))
    flush()
    return result


class Worker:
    """One worker process and the thread that reads what it sends."""

    def __init__(self, pool: ProcessPool, index: int) -> None:
        ctx = pool.context
        self.pool = pool
        self.index = index
        tasks_child, self.tasks = ctx.Pipe(duplex=False)  # (receiving end, sending end)
        self.events, events_child = ctx.Pipe(duplex=False)
        self.cancel = ctx.Event()
        self.task: Task | None = None
        self.ready = False  # torch imported and warmed up: it reads its tasks
        self.deadline = 0.0
        self.process = ctx.Process(target=pool.target, args=(tasks_child, events_child, self.cancel),
                                   name=f"slopefit-worker-{index}", daemon=True)
        self.process.start()
        tasks_child.close()
        events_child.close()
        self.reader = threading.Thread(target=self._read, name=f"slopefit-reader-{index}", daemon=True)
        self.reader.start()

    def start(self, task: Task, seconds: float) -> None:
        """Send ``task`` (on the event loop's thread, with this worker idle)."""
        self.cancel.clear()
        self.task = task
        self.deadline = time.monotonic() + seconds
        try:
            self.tasks.send(task.payload)
        except (OSError, ValueError):  # the process is gone: its reader ends the task
            self.process.kill()

    def _read(self) -> None:
        while True:
            try:
                kind, value = self.events.recv()
            except (EOFError, OSError):
                break
            except Exception as exc:  # a message that cannot be unpickled: the run's end is lost
                log.exception("a worker's message could not be read", exc_info=exc)
                self.process.kill()
                break
            try:
                if kind == "ready":
                    self.ready = True
                    self.pool._ready(self)
                elif kind == "chunk" and self.task is not None:
                    self.task.deliver(value)
                elif kind == "end" and self.task is not None:
                    ended, self.task = self.task, None
                    ended.finish(value)
                    self.pool._ready(self)
            except RuntimeError:  # the event loop closed under us: the server is stopping
                return
        self.process.join(timeout=5)
        task, self.task = self.task, None
        try:
            if task is not None:
                code = self.process.exitcode
                task.deliver(json.dumps({"type": "error", "kind": "internal", "message": (
                    f"slopefit: the process running this run stopped (exit code {code}); run it again")}) + "\n")
                task.finish(None)
            self.pool._died(self)
        except RuntimeError:  # the event loop closed under us: the server is stopping
            return


class ProcessPool:
    """Worker processes, each training one run at a time; runs wait (first come, first served)
    for a free one.

    Parameters
    ----------
    size : int
        Worker processes (one per core is right: a run keeps its core busy).
    target : callable, optional
        What each process runs, ``target(tasks, events, cancel)``; the worker loop by default
        (tests give one that fails).
    """

    def __init__(self, size: int, *, target: Callable[..., None] | None = None) -> None:
        self.target = target or _serve
        self.context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self.size = size
        self.loop: asyncio.AbstractEventLoop | None = None
        self.idle: asyncio.Queue[Worker] | None = None
        self.workers: list[Worker] = []
        self.closed = False
        self.started = 0  # processes started, replacements included
        self.failed_starts = 0  # processes in a row that died before they were ready
        self.broken: str | None = None  # why no process can start (runs are refused with it)
        self._watch: asyncio.Task | None = None

    def start(self) -> None:
        """Start the processes (on the event loop that will use them); they take runs once ready."""
        self.loop = asyncio.get_running_loop()
        self.idle = asyncio.Queue()
        for index in range(self.size):
            self._spawn(index)
        self._watch = self.loop.create_task(self._watchdog())

    async def _watchdog(self) -> None:
        while not self.closed:
            await asyncio.sleep(1.0)
            self.kill_overdue()

    def _spawn(self, index: int) -> None:
        self.started += 1
        worker = Worker(self, index)
        self.workers.append(worker)

    def _ready(self, worker: Worker) -> None:  # on a reader thread
        self.failed_starts = 0
        if self.loop is not None and not self.closed:
            self.loop.call_soon_threadsafe(self.idle.put_nowait, worker)  # type: ignore[union-attr]

    def _died(self, worker: Worker) -> None:  # on the dead worker's reader thread
        if self.closed or self.loop is None:
            return
        code = worker.process.exitcode
        if not worker.ready:
            self.failed_starts += 1
        if self.failed_starts >= MAX_FAILED_STARTS:  # it would die again: no endless restarts
            self.broken = (f"slopefit: the playground's worker processes cannot start (exit code {code}, "
                           f"{self.failed_starts} times in a row); see the server's log and restart slopefit serve")
            log.error("worker process %s died before it was ready (exit code %s), %d times in a row; "
                      "no more are started", worker.process.pid, code, self.failed_starts)
        else:
            log.warning("worker process %s stopped (exit code %s); starting another", worker.process.pid, code)

        def replace() -> None:
            if worker in self.workers:
                self.workers.remove(worker)
            if not self.closed and self.broken is None:
                self._spawn(worker.index)

        self.loop.call_soon_threadsafe(replace)

    async def acquire(self) -> Worker:
        """A free, live worker (waits for one)."""
        assert self.idle is not None, "ProcessPool.start() first"
        while True:
            if self.broken is not None:
                raise WorkersBroken(self.broken)
            try:
                worker = await asyncio.wait_for(self.idle.get(), timeout=1.0)
            except TimeoutError:
                continue
            if worker.process.is_alive() and worker in self.workers:
                return worker

    def release(self, worker: Worker) -> None:
        """Give back a worker taken by :meth:`acquire` and not used (on the event loop's thread)."""
        if self.idle is not None and not self.closed:
            self.idle.put_nowait(worker)

    def kill_overdue(self) -> None:
        """Kill each process still on a run :data:`GRACE_SECONDS` past its limit (its reader replaces it)."""
        now = time.monotonic()
        for worker in list(self.workers):
            if worker.task is not None and now > worker.deadline + GRACE_SECONDS:
                log.warning("worker process %s overran its run's time limit; killing it", worker.process.pid)
                worker.process.kill()

    def shutdown(self, timeout: float = 3.0) -> None:
        """Stop every process: asked first (a run stops at its next epoch), killed after ``timeout``
        seconds; one still starting (importing torch) is stopped at once."""
        self.closed = True
        if self._watch is not None:
            self._watch.cancel()
        for worker in self.workers:
            worker.cancel.set()
            if not worker.ready:
                worker.process.terminate()
                continue
            try:
                worker.tasks.send(None)
            except (OSError, ValueError):
                pass
        end = time.monotonic() + timeout
        for worker in self.workers:
            worker.process.join(timeout=max(0.0, end - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=1)


def error_event(exc: BaseException) -> dict:
    """The event a failed job sends: the library's one-line message, the CLI's prefix, a kind."""
    if isinstance(exc, Cancelled):
        return {"type": "error", "kind": "cancelled", "message": "cancelled"}
    if isinstance(exc, ConfigError):
        return {"type": "error", "kind": "config", "message": f"slopefit: {cli_words(str(exc))}"}
    if isinstance(exc, DataError):
        return {"type": "error", "kind": "data", "message": f"slopefit: {cli_words(str(exc))}"}
    if isinstance(exc, SlopefitError):
        return {"type": "error", "kind": "run", "message": f"slopefit: {cli_words(str(exc))}"}
    log.exception("a run failed", exc_info=exc)
    return {"type": "error", "kind": "internal", "message": f"slopefit: internal error ({type(exc).__name__}: {exc})"}
