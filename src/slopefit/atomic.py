"""Write files so that a reader never sees half of one: write a temporary file, then rename.

The temporary file lies in the target's directory (so the rename stays on one file system) and
has a recognisable name, ``.NAME.PID-XXXX.slopefit-tmp``: the next write of ``NAME`` removes those
a killed process (SIGKILL, a power cut) left behind. Its bytes are flushed to the disk (fsync)
before the rename, and the directory after it. A failure while writing (a full disk, an I/O error,
permission) removes the temporary file and raises :class:`OutputError` naming the path and the
system's reason; the target is left exactly as it was.

The temporary file is created private (0600, by ``tempfile``); before the rename it is given the
mode a plain ``open(path, "w")`` would have left: the existing file's mode when ``path`` is
overwritten, else ``0o666 & ~umask``. A model or figure saved for a class stays readable by the
group when the user's umask says so.

Two processes writing one path are kept apart by :func:`output_lock`, an advisory lock the second
cannot take: it is refused in one line instead of both saying "saved".
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from slopefit.errors import OutputError

TEMP_SUFFIX = ".slopefit-tmp"  # the end of every temporary file's name
LOCK_SUFFIX = ".slopefit-lock"  # the end of every lock file's name


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows.

    Linux (4.7+) reports it in ``/proc/self/status``; elsewhere it is read by setting and at once
    restoring it with ``os.umask``, which is process-wide (another thread creating a file in
    between would get mode 0o077's files), so that is the fallback only.

    Returns
    -------
    int
        The umask's permission bits, e.g. ``0o022``.
    """
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _mode_for(target: Path) -> int:
    """The permission bits ``open(target, "w")`` would leave on ``target``."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)  # overwriting keeps the file's mode
    except OSError:
        return 0o666 & ~current_umask()


def reason(exc: OSError) -> str:
    """The system's reason for an OSError in a few words: ``"No space left on device (ENOSPC)"``."""
    code = errno.errorcode.get(exc.errno or 0)
    words = exc.strerror or str(exc) or type(exc).__name__
    return f"{words} ({code})" if code else words


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def sweep_temporaries(target: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files of ``target`` that a killed process left (its pid no longer runs).

    Parameters
    ----------
    target : str or os.PathLike
        The file whose leftovers (``.NAME.PID-XXXX.slopefit-tmp`` beside it) are removed.

    Returns
    -------
    list of Path
        The files removed.
    """
    target = Path(target)
    removed = []
    with contextlib.suppress(OSError):
        for leftover in target.parent.glob(f".{target.name}.*{TEMP_SUFFIX}"):
            pid = leftover.name[len(target.name) + 2:].split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    leftover.unlink()
                    removed.append(leftover)
    return removed


def _fsync(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success flush it to disk and rename it onto ``path``.

    If the body raises (an error, Ctrl-C), the temporary file is removed and ``path`` is left
    exactly as it was. An OSError while writing or renaming (a full disk, an I/O error) becomes
    an :class:`OutputError` naming ``path`` and the reason. The file written gets the mode a plain
    ``open(path, "w")`` would give it (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; missing parent directories are created. Must not be a directory.

    Yields
    ------
    Path
        A temporary file in the same directory, named ``.NAME.PID-XXXX.slopefit-tmp``.

    Raises
    ------
    OutputError
        When ``path`` is a directory, or its directory cannot be created or written to, or the
        writing fails.

    Examples
    --------
    >>> with atomic_path("model.json") as tmp:  # doctest: +SKIP
    ...     tmp.write_text("{}")
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"cannot write {str(target)!r}: it is a directory; give a file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_temporaries(target)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}-", suffix=TEMP_SUFFIX, dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {str(target)!r}: {reason(exc)}; choose another location") from None
    os.close(fd)
    tmp = Path(name)
    try:
        try:
            yield tmp
            # a file system without Unix modes (some mounted shares) refuses chmod; a plain open would
            # not have failed there, so neither does this
            with contextlib.suppress(OSError):
                os.chmod(tmp, _mode_for(target))
            _fsync(tmp)
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(f"cannot write {str(target)!r}: {reason(exc)}; nothing was written there "
                              "(free some space or choose another location)") from None
        with contextlib.suppress(OSError):  # the rename itself reaches the disk (not every system can)
            _fsync(target.parent, directory=True)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def lock_file(target: str | os.PathLike[str]) -> Path:
    """The lock file of ``target``: ``.NAME.slopefit-lock`` beside it."""
    target = Path(target)
    return target.parent / f".{target.name}{LOCK_SUFFIX}"


@contextlib.contextmanager
def output_lock(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold an advisory lock on writing ``target`` (a file or a directory of outputs) for the body.

    A second process asking for the same lock while the first holds it is refused at once (it
    does not wait: a run can last hours). The lock file is removed when the lock is let go. Where
    the system has no ``fcntl`` (Windows) no lock is taken.

    Parameters
    ----------
    target : str or os.PathLike

    Yields
    ------
    Path
        The lock file.

    Raises
    ------
    OutputError
        Another process holds the lock (its pid is named), or the lock file cannot be created.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield lock_file(target)
        return
    path = lock_file(target)
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot write {str(target)!r}: {reason(exc)}; choose another location") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise OutputError(f"another slopefit (pid {owner}) is writing {str(target)!r}; wait for it to end or "
                              "choose another path") from None
        try:  # the holder before us may have removed the file we opened: lock the one on disk
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)
