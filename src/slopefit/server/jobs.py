"""Work off the event loop: a bounded number of jobs, training runs on worker processes
(:mod:`.workers`) streamed as JSON lines, other work on threads, and cancellation.

The web server's event loop never trains: each training run is a job for one of the worker
processes (one per core, so a class's runs use every core), the sweep and the downloads run on
a small thread pool, what a page needs to show itself on two threads of its own; at most
``max_jobs`` jobs exist at a time (a request beyond gets "busy"), and a run stops at its next
epoch once cancelled (by its id, a closed page, or its time limit).
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

from slopefit.server.playground import Cancelled
from slopefit.server.workers import ProcessPool, Task, WorkersBroken, error_event

log = logging.getLogger("slopefit.server")


class Busy(Exception):
    """Every job slot is taken."""


@dataclass
class Job:
    """One run: its id, its cancel flag and the time it must end by (``time.monotonic()``)."""

    id: str
    deadline: float
    cancelled: threading.Event = field(default_factory=threading.Event)
    worker: Any = None  # the worker process running it, once handed to one
    task: Any = None


class JobPool:
    """Worker processes that train, a few threads, and at most ``max_jobs`` jobs at a time.

    Parameters
    ----------
    workers : int, default 2
        Worker processes that train (started by :meth:`start`; one per core).
    max_jobs : int, default 64
        Jobs running or waiting; one more gets :class:`Busy`.
    max_seconds : float, default 60
        A job's wall-time limit, waiting included.
    threads : int, default 2
        Threads for the sweep and the downloads.
    """

    def __init__(self, *, workers: int = 2, max_jobs: int = 64, max_seconds: float = 60.0,
                 threads: int = 2) -> None:
        self.process_count = workers
        self.processes: ProcessPool | None = None
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="slopefit-run")
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
        self._stop_worker(job)
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

    async def stream(self, job: Job, prepare: Callable[[], tuple],
                     on_result: Callable[[Any], None]) -> AsyncIterator[bytes]:
        """A training run on a worker process, its events yielded as JSON lines.

        ``prepare()`` (on one of the page's threads) gives ``(data, request)``; the run waits for
        a free worker process (:class:`.workers.ProcessPool`), which trains it and streams its
        events; ``on_result(result)`` keeps a finished run (called on a reader thread). The first
        line is ``{"type": "job", "id": ...}`` (the id to cancel with); a failure is one
        ``error`` event. Closing the stream (the page went away) cancels the run; the job's slot
        is free once its worker is.
        """
        if self.processes is None:
            raise RuntimeError("JobPool.start() first: no worker processes")
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        handed = False
        try:
            yield (json.dumps({"type": "job", "id": job.id}) + "\n").encode("utf-8")
            try:
                data, request = await loop.run_in_executor(self.quick, prepare)
            except Exception as exc:
                yield (json.dumps(error_event(exc), ensure_ascii=False) + "\n").encode("utf-8")
                return
            try:
                worker = await self.processes.acquire()
            except WorkersBroken as exc:
                yield (json.dumps({"type": "error", "kind": "internal", "message": str(exc)}) + "\n").encode("utf-8")
                return
            if job.cancelled.is_set():
                self.processes.release(worker)
                yield (json.dumps(error_event(Cancelled())) + "\n").encode("utf-8")
                return

            def finish(result: Any) -> None:
                try:
                    if result is not None:
                        on_result(result)
                finally:
                    self.close(job)
                    loop.call_soon_threadsafe(queue.put_nowait, None)

            task = Task(payload=(data, request, max(0.0, job.deadline - time.monotonic())),
                        deliver=lambda chunk: loop.call_soon_threadsafe(queue.put_nowait, chunk), finish=finish)
            job.worker, job.task = worker, task
            worker.start(task, job.deadline - time.monotonic())
            handed = True
            while (chunk := await queue.get()) is not None:
                yield chunk.encode("utf-8")
        finally:
            job.cancelled.set()  # a page that left stops its run at the next epoch
            self._stop_worker(job)
            if not handed:
                self.close(job)

    def _stop_worker(self, job: Job) -> None:
        """Set the cancel flag of the process running ``job``, if it still is."""
        worker = job.worker
        if worker is not None and job.task is not None and worker.task is job.task:
            worker.cancel.set()

    def start(self) -> None:
        """Start the worker processes (on the running event loop)."""
        self.processes = ProcessPool(self.process_count)
        self.processes.start()

    def shutdown(self) -> None:
        """Cancel every job and stop the threads and processes."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancelled.set()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.quick.shutdown(wait=False, cancel_futures=True)
        if self.processes is not None:
            self.processes.shutdown()
