"""Runs off the event loop: a small thread pool, a bounded number of jobs, cancellation, and
the stream of a job's events as JSON lines.

The web server's event loop never trains: each run is a job in a pool of a few threads (the
computation is torch's), at most ``max_jobs`` exist at a time (a request beyond gets "busy"),
and a job stops at its next epoch once cancelled (by its id, a closed page, or its time limit).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slopefit.errors import ConfigError, DataError, SlopefitError
from slopefit.server.playground import Cancelled, finite

log = logging.getLogger("slopefit.server")

FLUSH_SECONDS = 0.02  # events are sent in chunks at most this far apart


class Busy(Exception):
    """Every job slot is taken."""


@dataclass
class Job:
    """One run: its id, its cancel flag and the time it must end by (``time.monotonic()``)."""

    id: str
    deadline: float
    cancelled: threading.Event = field(default_factory=threading.Event)


def error_event(exc: BaseException) -> dict:
    """The event a failed job sends: the library's one-line message, the CLI's prefix, a kind."""
    if isinstance(exc, Cancelled):
        return {"type": "error", "kind": "cancelled", "message": "cancelled"}
    if isinstance(exc, ConfigError):
        return {"type": "error", "kind": "config", "message": f"slopefit: {exc}"}
    if isinstance(exc, DataError):
        return {"type": "error", "kind": "data", "message": f"slopefit: {exc}"}
    if isinstance(exc, SlopefitError):
        return {"type": "error", "kind": "run", "message": f"slopefit: {exc}"}
    log.exception("a run failed", exc_info=exc)
    return {"type": "error", "kind": "internal", "message": f"slopefit: internal error ({type(exc).__name__}: {exc})"}


class JobPool:
    """A few worker threads and at most ``max_jobs`` jobs at a time.

    Parameters
    ----------
    workers : int, default 2
        Threads that train (one per core is plenty: each run is small).
    max_jobs : int, default 64
        Jobs running or waiting; one more gets :class:`Busy`.
    max_seconds : float, default 60
        A job's wall-time limit, waiting included.
    """

    def __init__(self, *, workers: int = 2, max_jobs: int = 64, max_seconds: float = 60.0) -> None:
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slopefit-run")
        # what a page needs to show itself (the bowl, an upload's columns, the lesson, the font) does
        # not queue behind a class's training runs
        self.quick = ThreadPoolExecutor(max_workers=2, thread_name_prefix="slopefit-page")
        self.max_seconds = max_seconds
        self._slots = threading.BoundedSemaphore(max_jobs)
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def open(self) -> Job:
        """A new job, or :class:`Busy` when every slot is taken."""
        if not self._slots.acquire(blocking=False):
            raise Busy
        job = Job(id=secrets.token_hex(8), deadline=time.monotonic() + self.max_seconds)
        with self._lock:
            self._jobs[job.id] = job
        return job

    def close(self, job: Job) -> None:
        """Release ``job``'s slot (once)."""
        with self._lock:
            if self._jobs.pop(job.id, None) is None:
                return
        self._slots.release()

    def cancel(self, job_id: str) -> bool:
        """Ask the job ``job_id`` to stop; False when there is no such job (already finished)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            return False
        job.cancelled.set()
        return True

    async def call(self, job: Job, work: Callable[[Job], Any], *, quick: bool = False) -> Any:
        """``work(job)`` on a training thread (``quick``: on one of the page's own two threads);
        the job's slot is released when it ends."""
        loop = asyncio.get_running_loop()

        def run() -> Any:
            try:
                return work(job)
            finally:
                self.close(job)

        try:
            return await loop.run_in_executor(self.quick if quick else self.executor, run)
        finally:
            job.cancelled.set()

    async def stream(self, job: Job, work: Callable[[Job, Callable[[dict], None]], Any]) -> AsyncIterator[bytes]:
        """Run ``work(job, emit)`` on a worker thread and yield what it emits as JSON lines.

        The first line is ``{"type": "job", "id": ...}`` (the id to cancel with); an exception
        of ``work`` becomes one ``error`` event. Closing the stream (the page went away) cancels
        the job.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        pending: list[str] = [json.dumps({"type": "job", "id": job.id}) + "\n"]
        last = [0.0]

        def flush() -> None:
            if pending:
                chunk = "".join(pending)
                pending.clear()
                loop.call_soon_threadsafe(queue.put_nowait, chunk)
            last[0] = time.monotonic()

        def emit(event: dict) -> None:
            pending.append(json.dumps(finite(event), allow_nan=False, ensure_ascii=False) + "\n")
            if time.monotonic() - last[0] >= FLUSH_SECONDS:
                flush()

        def run() -> None:
            try:
                work(job, emit)
            except BaseException as exc:  # noqa: B036 - every failure becomes one event, never a dead server
                emit(error_event(exc))
            finally:
                self.close(job)  # the slot is free once the thread is, not when the page leaves
                flush()
                loop.call_soon_threadsafe(queue.put_nowait, None)

        future = loop.run_in_executor(self.executor, run)
        try:
            while (chunk := await queue.get()) is not None:
                yield chunk.encode("utf-8")
        finally:
            job.cancelled.set()  # a page that left stops its run at the next epoch
            if not future.done():
                future.add_done_callback(lambda f: f.exception())

    def shutdown(self) -> None:
        """Cancel every job and stop the threads."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancelled.set()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.quick.shutdown(wait=False, cancel_futures=True)
