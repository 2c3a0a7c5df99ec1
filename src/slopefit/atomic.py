"""Write files so that a reader never sees half of one: write a temporary file, then rename.

The temporary file is created private (0600, by ``tempfile``); before the rename it is given the
mode a plain ``open(path, "w")`` would have left: the existing file's mode when ``path`` is
overwritten, else ``0o666 & ~umask``. A model or figure saved for a class stays readable by the
group when the user's umask says so.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from slopefit.errors import OutputError


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


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    If the body raises (an error, Ctrl-C), the temporary file is removed and
    ``path`` is left exactly as it was. The file written gets the mode a plain
    ``open(path, "w")`` would give it (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; missing parent directories are created. Must not be a directory.

    Yields
    ------
    Path
        A temporary file in the same directory (so the rename stays on one file system).

    Raises
    ------
    OutputError
        When ``path`` is a directory, or its directory cannot be created or written to.

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
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {str(target)!r}: {exc.strerror or exc}; choose another location") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # a file system without Unix modes (some mounted shares) refuses chmod; a plain open would
        # not have failed there, so neither does this
        with contextlib.suppress(OSError):
            os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
