"""Before any work: the files a command will write, checked against the files it reads and each other.

Every output path (``--save``, ``--json``, ``--report``, ``--checkpoint``, the figures of ``--plot``)
is resolved (symlinks followed; hard links found by device and inode) and compared with every input
(DATA and its files, ``--resume``) and with the other outputs: a clash is refused in one line naming
both flags, so that ``slopefit fit data.csv --save data.csv`` cannot destroy the data. Each output's
directory must exist or be creatable, be writable and have room for roughly what will be written,
and each output is locked (:func:`slopefit.atomic.output_lock`) for the whole run, so that a second
run writing the same file is refused instead of both saying "saved".
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from slopefit.atomic import output_lock
from slopefit.errors import OutputError

FIGURES = ("loss.png", "gap.png", "fit.png", "residuals.png", "qq.png", "leverage.png")  # what --plot writes
MIB = 1 << 20
# room asked of a directory before training, roughly what is written there (a refusal names it)
ROOM = {"--save": MIB, "--json": MIB, "--report": 8 * MIB, "--plot": 8 * MIB, "--checkpoint": 4 * MIB}


@dataclass(frozen=True)
class Place:
    """A file a command reads or writes: the flag that named it and its path."""

    flag: str
    path: Path


def inputs_of(args: argparse.Namespace) -> list[Place]:
    """The files the command line reads: DATA (a file, or each file of a directory or pattern), ``--resume``."""
    places = []
    data = getattr(args, "data", None)
    if data is not None:
        from slopefit.dist.shards import is_many

        if Path(data).exists() or is_many(data):
            from slopefit.dist.shards import data_files

            with contextlib.suppress(Exception):  # an unreadable DATA is named by the read itself
                places += [Place("DATA", f) for f in data_files(data)]
    for flag in ("resume", "csv", "model"):
        value = getattr(args, flag, None)
        if value and value != "auto":
            places.append(Place("MODEL" if flag == "model" else f"--{flag}", Path(value)))
    return places


def outputs_of(args: argparse.Namespace) -> list[Place]:
    """The files the command line writes (the figures of ``--plot`` one by one)."""
    places = [Place(f"--{flag}", Path(getattr(args, flag))) for flag in ("save", "json", "report", "checkpoint")
              if getattr(args, flag, None)]
    if getattr(args, "plot", None):
        places += [Place("--plot", Path(args.plot) / name) for name in FIGURES]
    return places


def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    """The resolved path, and (device, inode) when the file exists (hard links share them)."""
    try:
        info = os.stat(path)
        inode = (info.st_dev, info.st_ino)
    except OSError:
        inode = None
    return os.path.realpath(path), inode


def _same(a: Place, b: Place) -> bool:
    (real_a, inode_a), (real_b, inode_b) = _identity(a.path), _identity(b.path)
    return real_a == real_b or (inode_a is not None and inode_a == inode_b)


def check_clashes(args: argparse.Namespace) -> None:
    """Refuse an output that is an input, or two outputs that are one file.

    Raises
    ------
    OutputError
        Naming both flags and the file.
    """
    outputs = outputs_of(args)
    resume_is_checkpoint = bool(getattr(args, "checkpoint", None) and getattr(args, "resume", None)
                                and args.resume != "auto"
                                and _same(Place("", Path(args.checkpoint)), Place("", Path(args.resume))))
    for out in outputs:
        for inp in inputs_of(args):
            if out.flag == "--checkpoint" and inp.flag == "--resume" and resume_is_checkpoint:
                continue  # going on from a checkpoint and saving it again is what --resume is for
            if _same(out, inp):
                raise OutputError(f"{out.flag} {str(out.path)!r} is the input {inp.flag} ({str(inp.path)!r}); "
                                  f"refusing to overwrite what is read: give {out.flag} another file")
    for i, a in enumerate(outputs):
        for b in outputs[i + 1:]:
            if a.flag != b.flag and _same(a, b):
                raise OutputError(f"{a.flag} {str(a.path)!r} and {b.flag} {str(b.path)!r} are one file; "
                                  "give each its own path")


def _existing_ancestor(path: Path) -> Path:
    here = path.absolute()
    while not here.exists() and here != here.parent:
        here = here.parent
    return here


def check_writable(flag: str, path: Path, *, directory: bool = False) -> None:
    """Refuse an output that cannot be written: a directory (or, for ``--plot``, a file) in the way,
    something that is not a regular file, a directory that cannot be created or written, no room.

    Raises
    ------
    OutputError
    """
    shown = f"{flag} {str(path)!r}"
    if path.exists():
        if directory and not path.is_dir():
            raise OutputError(f"{shown} is a file, not a directory; give a directory for the figures")
        if not directory and path.is_dir():
            raise OutputError(f"{shown} is a directory; give a file name")
        if not directory and not path.is_file():
            raise OutputError(f"{shown} is not a regular file (a device, a pipe or a socket); give a file name")
    where = _existing_ancestor(path if directory else path.parent)
    if not where.is_dir():
        raise OutputError(f"{shown} cannot be written: {str(where)!r} is a file, not a directory; "
                          "choose another location")
    if not os.access(where, os.W_OK | os.X_OK):
        raise OutputError(f"{shown} cannot be written: permission denied in {str(where)!r}; "
                          "choose another location")
    free = shutil.disk_usage(where).free
    if free < ROOM[flag]:
        raise OutputError(f"{shown} cannot be written: {free / MIB:.1f} MiB free in {str(where)!r}, about "
                          f"{ROOM[flag] / MIB:.0f} MiB needed; free some space or choose another location")


def claim_outputs(args: argparse.Namespace, stack: contextlib.ExitStack, *, lock: bool = True) -> None:
    """Check every output of ``args`` (clashes, writability) and lock each for the rest of ``stack``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    stack : contextlib.ExitStack
        Holds the locks until the command ends.
    lock : bool, default True
        Take the locks (process 0 of a torchrun run alone writes, so alone locks); keyword-only.

    Raises
    ------
    OutputError
        One line naming the flag, the path and what to do.
    """
    check_clashes(args)
    for flag in ("save", "json", "report", "checkpoint"):
        if getattr(args, flag, None):
            check_writable(f"--{flag}", Path(getattr(args, flag)))
    if getattr(args, "plot", None):
        check_writable("--plot", Path(args.plot), directory=True)
    if not lock:
        return
    for flag in ("save", "json", "report", "checkpoint", "plot"):
        if getattr(args, flag, None):
            stack.enter_context(output_lock(Path(getattr(args, flag))))
