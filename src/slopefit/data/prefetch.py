"""Chunks read ahead on a thread: decoding a file overlaps the statistics pass.

pyarrow decodes and parses with the GIL released and torch's products run without it, so a
reader thread that fills a small bounded queue keeps the second core busy with the next
chunks while the first accumulates the current one. The queue holds at most ``depth`` chunks
(bounded memory); an error raised while reading reaches the consumer as the same exception
(a :class:`slopefit.errors.DataError` keeps its one line), and a consumer that stops early
(its own error, Ctrl-C, a closed generator) stops the reader and closes the source.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

READ_AHEAD = 2  # chunks decoded ahead of the one being accumulated
_PUT_WAIT = 0.05  # seconds between the reader's checks that the consumer still wants chunks
_JOIN_WAIT = 5.0  # seconds the consumer waits for the reader to stop after the last chunk
THREAD_NAME = "slopefit-reader"
_END = object()


def decoding_threads() -> bool:
    """Whether pyarrow may decode on its own thread pool: not on the reader thread of :func:`read_ahead`,
    which has one core beside the pass (:func:`slopefit.solve.accumulation.threads_beside_a_reader`).
    There pyarrow's threads would take the pass's core: on 2 cores, 5M x 16 float32 rows of Parquet read
    ahead took 0.66 s (median of 6) decoded on one thread against 0.76 s on pyarrow's pool."""
    return threading.current_thread().name != THREAD_NAME


class _Failure:
    """An exception raised on the reader thread, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(chunks: Callable[..., Iterator[Any]], *, on_rows: Callable[[int], None] | None = None,
               depth: int = READ_AHEAD) -> Iterator[Any]:
    """The items of ``chunks(on_rows=...)``, produced on a reader thread up to ``depth`` ahead.

    Parameters
    ----------
    chunks : callable ``(*, on_rows) -> iterator``
        Makes the source iterator (e.g. :meth:`slopefit.data.tables.TableSource.chunks`); it is
        iterated on the reader thread only, and closed there when the consumer stops early.
    on_rows : callable or None, default None
        Called on the consumer's thread, as each item is handed over, with the row count the
        source reported for it (so a progress bar counts rows accumulated, not rows decoded).
    depth : int, default ``READ_AHEAD``
        Items held in the queue at most, >= 1.

    Yields
    ------
    object
        The source's items, in its order.

    Raises
    ------
    Exception
        Whatever the source raised, re-raised as the same object after the items before it.

    Examples
    --------
    >>> def source(*, on_rows=None):
    ...     for k in range(3):
    ...         if on_rows is not None:
    ...             on_rows(10 * (k + 1))
    ...         yield k
    >>> seen = []
    >>> list(read_ahead(source, on_rows=seen.append)), seen
    ([0, 1, 2], [10, 20, 30])
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    reader = threading.Thread(target=_read, args=(chunks, handoff, stop), name=THREAD_NAME, daemon=True)
    reader.start()
    try:
        while True:
            item = handoff.get()
            if item is _END:
                break
            if isinstance(item, _Failure):
                raise item.error
            value, rows = item
            if on_rows is not None and rows is not None:
                on_rows(rows)
            yield value
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting for room, then wait for it to close the source
            try:
                handoff.get_nowait()
            except queue.Empty:
                reader.join(_PUT_WAIT)
        reader.join(_JOIN_WAIT)


def _read(chunks: Callable[..., Iterator[Any]], handoff: queue.Queue, stop: threading.Event) -> None:
    """The reader thread: iterate the source, hand each item over with its row count."""
    rows: list[int | None] = [None]

    def counted(done: int) -> None:
        rows[0] = done

    source = None
    try:
        source = iter(chunks(on_rows=counted))
        for value in source:
            if not _put(handoff, (value, rows[0]), stop):
                return
        _put(handoff, _END, stop)
    except BaseException as error:  # noqa: BLE001 - every failure is the consumer's to raise
        _put(handoff, _Failure(error), stop)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def _put(handoff: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put ``item`` once there is room; False when the consumer stopped first."""
    while not stop.is_set():
        try:
            handoff.put(item, timeout=_PUT_WAIT)
            return True
        except queue.Full:
            continue
    return False
