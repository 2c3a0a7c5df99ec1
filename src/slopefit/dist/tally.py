"""Rows read by every process of a run, counted for process 0's progress bar.

Under torchrun each process reads its own share; the bar of process 0 should count them all.
A collective per chunk would hold every process at the pace of the slowest, so each process
instead writes its count into the key-value store torchrun's rendezvous gave the process group
(:attr:`slopefit.dist.group.Group.store`: a TCP store, one small message), at most every
``interval`` seconds and once at the end of its share; process 0 adds the others' last counts
to its own when it draws. Once the statistics are summed (one all-reduce that the pass makes
anyway), process 0 reports their exact row count.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class RowTally:
    """Counts the rows every process has read; process 0 reports the sum to ``on_rows``.

    Parameters
    ----------
    group : slopefit.dist.group.Group or None
        None: a run of one (its own rows are every row).
    on_rows : callable or None
        ``on_rows(rows)``, called in process 0 only.
    interval : float, default 0.25
        Least seconds between two writes (or reads) of the store by one process; keyword-only.
    """

    def __init__(self, group, on_rows: Callable[[int], None] | None, *, interval: float = 0.25) -> None:
        self.group = group
        self.on_rows = on_rows if group is None or group.leader else None
        self.interval = interval
        self.others = 0  # process 0: the other processes' rows, as last read from the store
        self._store = group.store if group is not None and group.world_size > 1 and on_rows is not None else None
        self._at = -float("inf")

    def read(self, rows: int) -> None:
        """This process has read ``rows`` rows of its share so far (called after every chunk)."""
        now = time.monotonic()
        if self._store is not None and now - self._at >= self.interval:
            self._at = now
            if self.group.leader:
                self.others = self._others()
            else:
                self._store.set(f"rows/{self.group.rank}", str(rows))
        if self.on_rows is not None:
            self.on_rows(rows + self.others)

    def done(self, rows: int) -> None:
        """Every process's rows are in the summed statistics: report ``rows``, their count."""
        if self.on_rows is not None:
            self.on_rows(int(rows))

    def _others(self) -> int:
        kv = self._store
        assert kv is not None
        keys = [f"rows/{r}" for r in range(1, self.group.world_size)]
        return sum((int(kv.get(k)) for k in keys if kv.check([k])), 0)
