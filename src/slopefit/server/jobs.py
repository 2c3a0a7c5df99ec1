"""Work off the event loop: a bounded number of jobs, training runs on worker processes
(:mod:`.workers`) streamed as JSON lines, other work on threads, and cancellation.

The web server's event loop never trains: each training run is a job for one of the worker
processes (one per core, so a class's runs use every core), the sweep and the downloads run on
a small thread pool, what a page needs to show itself (:meth:`JobPool.page`) on threads of its
own that take no job slot, so a page loads however many runs are open; at most ``max_jobs`` runs
exist at a time (a run beyond gets "busy"); a run waiting for a worker is told its place in the
queue; its time limit counts its running time only; it stops at its next epoch once cancelled
(by its id, a closed page, or its time limit), and says why.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slopefit.server.messages import Cancelled, Refused, say
from slopefit.server.workers import ProcessPool, Task, WorkersBroken, error_event

log = logging.getLogger("slopefit.server")


PAGE_THREADS = 4  # threads for what pages need to show themselves (bowl, lesson, upload, font)
QUEUE_POLL_SECONDS = 0.5  # a waiting run's place in the queue is re-sent this often when it moves


class Busy(Refused):
    """Every job slot is taken."""

    def __init__(self, slots: int = 0) -> None:
        super().__init__("err.busy", status=503, slots=slots)


@dataclass
class Job:
    """One run: its id and its cancel flag (set with the reason in :attr:`reason`)."""

    id: str
    cancelled: threading.Event = field(default_factory=threading.Event)
    reason: str = "left"  # why it was cancelled: "stopped" (the Stop button) or "left" (its page went away)
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
        A run's limit of running time (waiting for a worker not counted).
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
        self.quick = ThreadPoolExecutor(max_workers=PAGE_THREADS, thread_name_prefix="slopefit-page")
        self.max_seconds = max_seconds
        self.max_jobs = max_jobs
        self._slots = threading.BoundedSemaphore(max_jobs)
        self._jobs: dict[str, Job] = {}
        self._waiting: list[str] = []  # ids of the runs waiting for a worker, first come first
        self._lock = threading.Lock()

    def open(self) -> Job:
        """A new job, or :class:`Busy` when every slot is taken."""
        if not self._slots.acquire(blocking=False):
            raise Busy(self.max_jobs)
        job = Job(id=secrets.token_hex(8))
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
        job.reason = "stopped"
        job.cancelled.set()
        self._stop_worker(job)
        return True

    async def page(self, work: Callable[[], Any]) -> Any:
        """``work()`` on one of the page's own threads: no job slot, never behind a training run."""
        return await asyncio.get_running_loop().run_in_executor(self.quick, work)

    def place(self, job: Job) -> tuple[int, int]:
        """``job``'s place among the runs waiting for a worker (1: next) and how many wait."""
        with self._lock:
            waiting = list(self._waiting)
        return (waiting.index(job.id) + 1 if job.id in waiting else 0), len(waiting)

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

    async def stream(self, job: Job, prepare: Callable[[], tuple], on_result: Callable[[Any], None], *,
                     lang: str = "en") -> AsyncIterator[bytes]:
        """A training run on a worker process, its events yielded as JSON lines.

        ``prepare()`` (on a training thread) gives ``(data, request)``; the run then waits for a
        free worker process (:class:`.workers.ProcessPool`, first come first served), sending
        ``{"type": "queued", "place": k, "waiting": n}`` whenever its place changes; the worker
        trains it for at most ``max_seconds`` of running time and streams its events;
        ``on_result(result)`` keeps a finished run (called on a reader thread). The first line is
        ``{"type": "job", "id": ...}`` (the id to cancel with); a failure is one ``error`` event in
        ``lang``. Closing the stream (the page went away) cancels the run; the job's slot is free
        once its worker is.
        """
        if self.processes is None:
            raise RuntimeError("JobPool.start() first: no worker processes")
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        handed = False
        waiter = None

        def line(event: dict) -> bytes:
            return (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8")

        try:
            yield line({"type": "job", "id": job.id})
            try:
                data, request = await loop.run_in_executor(self.executor, prepare)
            except Exception as exc:
                yield line(error_event(exc, lang))
                return
            worker = None
            waiter = self._wait_for_worker(job, lang)
            async for event in waiter:
                if isinstance(event, dict):
                    yield line(event)
                else:
                    worker = event
            if worker is None:
                return

            def finish(result: Any) -> None:
                try:
                    if result is not None:
                        on_result(result)
                finally:
                    self.close(job)
                    loop.call_soon_threadsafe(queue.put_nowait, None)

            task = Task(payload=(data, request, self.max_seconds, lang),
                        deliver=lambda chunk: loop.call_soon_threadsafe(queue.put_nowait, chunk), finish=finish,
                        lang=lang)
            job.worker, job.task = worker, task
            worker.start(task, self.max_seconds)
            handed = True
            yield line({"type": "running"})
            while (chunk := await queue.get()) is not None:
                yield chunk.encode("utf-8")
        finally:
            job.cancelled.set()  # a page that left stops its run at the next epoch
            self._stop_worker(job)
            if waiter is not None:
                await waiter.aclose()  # a run that left while waiting leaves the queue now
            if not handed:
                self.close(job)

    async def _wait_for_worker(self, job: Job, lang: str) -> AsyncGenerator[Any, None]:
        """Wait for a free worker: yields ``queued`` events as the place moves, an ``error`` event
        if the run is cancelled or no worker can start, else the worker last."""
        assert self.processes is not None
        with self._lock:
            self._waiting.append(job.id)
        acquiring = asyncio.ensure_future(self.processes.acquire())
        shown, given = (0, 0), False
        try:
            while True:
                done, _ = await asyncio.wait({acquiring}, timeout=QUEUE_POLL_SECONDS)
                if done:
                    break
                if job.cancelled.is_set():
                    yield error_event(Cancelled(job.reason), lang)
                    return
                if (now := self.place(job)) != shown and now[0]:
                    shown = now
                    yield {"type": "queued", "place": now[0], "waiting": now[1]}
            try:
                worker = acquiring.result()
            except WorkersBroken as exc:
                yield {"type": "error", "kind": "internal", "message": say(exc.refused, lang)}
                return
            if job.cancelled.is_set():
                yield error_event(Cancelled(job.reason), lang)
                return
            given = True
            yield worker
        finally:
            with self._lock:
                if job.id in self._waiting:
                    self._waiting.remove(job.id)
            if not acquiring.done():
                acquiring.cancel()
            elif not given and not acquiring.cancelled() and acquiring.exception() is None:
                self.processes.release(acquiring.result())  # taken but not used: the next run's

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
