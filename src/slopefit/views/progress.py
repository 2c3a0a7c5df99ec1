"""A one-line progress bar on stderr, drawn from the training loop's callback."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from slopefit.train.results import Progress


class ProgressBar:
    """Render :class:`Progress` events as ``[#####.....] epoch 120/200  loss 1.2345``.

    Draws only when ``stream`` is a terminal, at most every ``interval`` seconds, and remembers
    the last epoch seen (for the message after Ctrl-C).

    Parameters
    ----------
    stream : text stream or None, default None
        Where to draw; None means ``sys.stderr``. Nothing is drawn unless ``stream.isatty()``.
    width : int, default 30
        Characters between the brackets, >= 1; keyword-only.
    interval : float, default 0.1
        Least seconds between two redraws, >= 0 (the last epoch is always drawn); keyword-only.

    Attributes
    ----------
    stream : text stream
        The stream drawn on.
    enabled : bool
        Whether ``stream`` is a terminal (otherwise every call only records the epoch).
    width : int
    interval : float
    last_epoch : int
        The epoch of the last event received, drawn or not (0 before the first).
    """

    def __init__(self, stream: TextIO | None = None, *, width: int = 30, interval: float = 0.1) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self.interval = interval
        self.last_epoch = 0
        self._drawn_at = 0.0
        self._shown = False

    def __call__(self, event: Progress) -> None:
        """Record ``event.epoch`` and redraw the bar if it is due.

        Parameters
        ----------
        event : Progress
            The loop's report: epoch reached, epochs in all, current loss.
        """
        self.last_epoch = event.epoch
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._drawn_at < self.interval and event.epoch < event.epochs:
            return
        self._drawn_at = now
        filled = int(self.width * event.epoch / max(event.epochs, 1))
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r[{bar}] epoch {event.epoch}/{event.epochs}  loss {event.loss:.6g}   ")
        self.stream.flush()
        self._shown = True

    def rows(self, count: int, total: int | None = None) -> None:
        """Show rows read so far (the statistics pass over a file).

        Parameters
        ----------
        count : int
            Rows read so far, >= 0.
        total : int or None, default None
            Rows in the file, when known; None (or 0) shows the count alone.
        """
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._drawn_at < self.interval:
            return
        self._drawn_at = now
        self.stream.write(f"\rreading rows: {count:,}" + (f" / {total:,}" if total else "") + "   ")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        """End the bar's line so that what follows starts on a fresh one."""
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False
