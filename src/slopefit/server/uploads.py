"""Tables learners upload: kept in a private temporary folder under a random token, read with
the command line's own reader and checks (:func:`slopefit.data.files.load_file`), so a bad file gets
the same one-line message ``slopefit fit`` prints.

A request names an upload by its token only; no path a request gives is ever opened.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from slopefit.data.datasets import Dataset
from slopefit.errors import DataError
from slopefit.server.messages import Refused

MAX_UPLOAD_BYTES = 2 << 20  # 2 MiB: a classroom table, not a data warehouse
MAX_UPLOADS = 200  # the oldest upload is forgotten beyond this


@dataclass(frozen=True)
class Upload:
    """One uploaded table: its token, the name shown (the learner's file name, made safe), its
    columns, those that are numeric, and the columns the page starts with: ``y`` the last numeric
    column, ``x`` the first numeric one before it (the first and last columns when too few are numeric)."""

    token: str
    name: str
    path: Path
    columns: tuple[str, ...]
    numeric: tuple[str, ...] = ()

    @property
    def y(self) -> str:
        return self.numeric[-1] if len(self.numeric) >= 2 else self.columns[-1]

    @property
    def x(self) -> str:
        return self.numeric[0] if len(self.numeric) >= 2 else self.columns[0]


def safe_name(name: str) -> str:
    """The file name to show and to read under: its last part, letters, digits, ``._-`` and
    Hangul kept, anything else replaced; ``.csv`` added unless it ends in .csv/.parquet/.pq.

    Examples
    --------
    >>> safe_name("../../etc/passwd"), safe_name("키 몸무게.csv")
    ('passwd.csv', '키_몸무게.csv')
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^0-9A-Za-z._\-\uac00-\ud7a3]", "_", base).lstrip(".") or "upload"
    base = base[:80]
    if not base.lower().endswith((".csv", ".parquet", ".pq")):
        base += ".csv"
    return base


class UploadStore:
    """Uploaded tables by token, at most :data:`MAX_UPLOADS`, in one temporary folder removed by :meth:`close`."""

    def __init__(self, *, limit: int = MAX_UPLOADS) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="slopefit-uploads-"))
        self._uploads: OrderedDict[str, Upload] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def add(self, name: str, content: bytes) -> Upload:
        """Keep ``content`` under a new token and read its header.

        Parameters
        ----------
        name : str
            The learner's file name (only its safe last part is kept).
        content : bytes
            The file, at most :data:`MAX_UPLOAD_BYTES`.

        Returns
        -------
        Upload

        Raises
        ------
        DataError
            The file is too large, or cannot be read as a table (the CLI's message).
        """
        if len(content) > MAX_UPLOAD_BYTES:
            raise Refused("err.upload_large", status=413, limit=f"{MAX_UPLOAD_BYTES >> 20} MiB")
        token = secrets.token_urlsafe(12)
        folder = self._root / token
        folder.mkdir()
        path = folder / safe_name(name)
        path.write_bytes(content)
        try:
            columns, numeric = _columns(path)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        upload = Upload(token=token, name=path.name, path=path, columns=columns, numeric=numeric)
        with self._lock:
            self._uploads[token] = upload
            while len(self._uploads) > self._limit:
                _, old = self._uploads.popitem(last=False)
                shutil.rmtree(old.path.parent, ignore_errors=True)
        return upload

    def get(self, token: str) -> Upload:
        """The upload of ``token``, or ConfigError when there is none (expired or never made)."""
        with self._lock:
            upload = self._uploads.get(str(token))
        if upload is None:
            raise Refused("err.upload_gone")
        return upload

    def dataset(self, token: str, *, x: str | list[str] | tuple[str, ...] | None, y: str | None) -> Dataset:
        """The upload read as ``slopefit fit FILE --x X1 [X2 ...] --y Y`` reads it (``x``: one column
        name or several).

        Raises
        ------
        ConfigError
            Unknown token.
        DataError
            The CLI's message: an unknown or non-numeric column, empty cells, too few rows, ...
        """
        from slopefit.data.files import load_file

        upload = self.get(str(token))
        names = [x] if isinstance(x, str) else list(x or [])
        return load_file(upload.path, x=[n for n in names if n] or None, y=y or None)

    def close(self) -> None:
        """Remove every uploaded file."""
        with self._lock:
            self._uploads.clear()
        shutil.rmtree(self._root, ignore_errors=True)


def _columns(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The column names of a CSV/Parquet file, read as the CLI reads it (dialect detected), and
    the names of its numeric columns."""
    from slopefit.data.files import csv_dialect, read_table

    dialect = None if path.suffix.lower() in (".parquet", ".pq") else csv_dialect(path)
    frame = read_table(path, dialect=dialect)
    names = tuple(str(c) for c in frame.columns)
    if len(names) < 2:
        raise DataError(f"{path.name} has {len(names)} column; a line needs a feature column and a target column")
    numeric = tuple(str(c) for c in frame.columns if frame[c].dtype.kind in "iuf")
    return names, numeric
