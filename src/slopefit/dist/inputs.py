"""Before a torchrun run trains: every process must have read the same data.

Each process fingerprints the files DATA names on its machine (name, size, and a SHA-256 of
their contents) and the fingerprints are compared in one collective. Two nodes given different
files under one name (a stale copy on one machine) would otherwise each read their share of their
own copy, and the run would fit a mixture of both: instead every process stops with one line
naming the nodes and the files that differ.

Files up to ``WHOLE_BYTES`` in all are hashed whole; beyond that, the size and ``SAMPLES`` blocks of
``BLOCK`` bytes spread evenly over each file (the first and the last among them) are hashed, so
that the check costs a few milliseconds, not a pass over terabytes; a copy of the same size that
differs only between two sampled blocks is then not caught.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Sequence
from pathlib import Path

from slopefit.dist.group import Group, gather_objects
from slopefit.errors import DataError

WHOLE_BYTES = 256 << 20  # files hashed whole up to this many bytes in all
BLOCK = 1 << 16  # bytes of one sampled block
SAMPLES = 64  # blocks sampled from a file, first and last included


def fingerprint(files: Sequence[Path], *, whole: bool | None = None) -> list[tuple[str, int, str]]:
    """``(name, size, sha256 hex)`` of each file, the hash of its whole contents or of sampled blocks.

    Parameters
    ----------
    files : sequence of Path
    whole : bool or None, default None
        Hash every byte (True), sampled blocks (False), or decide by the total size (None); keyword-only.

    Returns
    -------
    list of (str, int, str)
    """
    sizes = [os.stat(f).st_size for f in files]
    whole = sum(sizes) <= WHOLE_BYTES if whole is None else whole
    prints = []
    for f, size in zip(files, sizes, strict=True):
        digest = hashlib.sha256()
        with open(f, "rb") as fh:
            if whole:
                while block := fh.read(1 << 20):
                    digest.update(block)
            else:
                step = max((size - BLOCK) // (SAMPLES - 1), 1)
                for k in range(SAMPLES):
                    fh.seek(min(k * step, max(size - BLOCK, 0)))
                    digest.update(fh.read(BLOCK))
        prints.append((Path(f).name, size, digest.hexdigest()))
    return prints


def check_inputs_agree(group: Group | None, files: Sequence[Path]) -> None:
    """Compare this process's files with every other's (one collective); raise in every process if they differ.

    Parameters
    ----------
    group : Group or None
        None: a run of one, nothing to compare.
    files : sequence of Path
        The files DATA names here (:func:`slopefit.dist.shards.data_files`).

    Raises
    ------
    DataError
        In every process alike: the nodes (host and rank) and the files that differ.
    """
    if group is None or group.world_size < 2:
        return
    mine = (socket.gethostname(), fingerprint(files))
    every = gather_objects(group, mine)
    first_host, first = every[0]
    for rank, (host, prints) in enumerate(every[1:], start=1):
        if prints != first:
            raise DataError(_mismatch(first_host, first, rank, host, prints))


def _mismatch(host0: str, first: list, rank: int, host: str, prints: list) -> str:
    names0, names = {p[0]: p for p in first}, {p[0]: p for p in prints}
    for name in sorted(set(names0) | set(names)):
        a, b = names0.get(name), names.get(name)
        if a != b:
            here = "missing" if a is None else f"{a[1]:,} bytes, sha256 {a[2][:12]}"
            there = "missing" if b is None else f"{b[1]:,} bytes, sha256 {b[2][:12]}"
            return (f"the processes read different data: {name} is {here} on {host0} (rank 0) but {there} on "
                    f"{host} (rank {rank}); refusing to fit a mixture of both: give every node the same files "
                    "(copy them again)")
    return (f"the processes read different data: rank 0 on {host0} reads {len(first)} files in another order than "
            f"rank {rank} on {host}; give every node the same files")
