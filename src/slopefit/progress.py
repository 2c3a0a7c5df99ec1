"""A one-line progress bar on stderr, drawn from the training loop's callback."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from slopefit.results import Progress


class ProgressBar:
    """Render :class:`Progress` events as ``[#####.....] epoch 120/200  loss 1.2345``.

    Draws only when ``stream`` is a terminal, at most every ``interval`` seconds, and remembers
    the last epoch seen (for the message after Ctrl-C).
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
        """Show rows read so far (the statistics pass over a file)."""
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
