"""The text encoding of a CSV file: detected from its first bytes, or given (``encoding=``).

Detected without being asked: UTF-8 (with or without a BOM), UTF-16 with a BOM (little or big endian,
what Excel saves as "Unicode text"), UTF-16 without a BOM (every other byte zero) and CP949 (Korean
Windows' Excel). Anything else is one line naming the file and asking for ``encoding=``.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from slopefit.errors import DataError

HEAD_BYTES = 1 << 16  # the bytes an encoding and a dialect are detected from
UTF8 = "utf8"  # pyarrow's own fast path; a UTF-8 BOM is skipped by pyarrow and by "utf-8-sig" in Python
LABELS = {"utf-16": "UTF-16", "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE", "cp949": "CP949"}


def csv_encoding(path: Path, encoding: str | None = None) -> str:
    """The codec a CSV file is read with: ``encoding`` when given (checked to be a codec Python knows),
    else detected from the first bytes: ``"utf8"`` (BOM or not), ``"utf-16"`` (BOM, either byte order),
    ``"utf-16-le"``/``"utf-16-be"`` (no BOM, every other byte zero) or ``"cp949"``.

    Raises
    ------
    DataError
        An encoding Python does not know; a file that decodes as none of those (or as the one given).
    """
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    if encoding is not None:
        name = known_encoding(encoding)
        _check_decodes(head, name, path, given=True)
        return name
    if head.startswith(codecs.BOM_UTF8):
        return UTF8
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and _table_text(head, "utf-16"):
        return "utf-16"
    if len(head) >= 4 and head.count(0) * 3 >= len(head):  # ASCII text as UTF-16: half of its bytes are zero
        name = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        if _table_text(head, name):
            return name
    for name in (UTF8, "cp949"):
        if _decodes(head, name):
            return name
    _check_decodes(head, UTF8, path, given=False)
    return UTF8  # not reached: _check_decodes raised


def encoding_naming(path: Path, columns, encoding: str | None = None) -> str | None:
    """``encoding`` when given; else ``"cp949"`` where the file's first line names every one of
    ``columns`` read as CP949 but not read as UTF-8, else None (detect as :func:`csv_encoding` does).

    A short Hangul header (``키`` alone) can be valid UTF-8 too (``Ű``); a file of new rows for a
    model must hold the model's columns, which settles it.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = Path(d) / "new.csv"; _ = f.write_bytes("키\\n170\\n".encode("cp949"))
    ...     encoding_naming(f, ["키"]), encoding_naming(f, ["height"])
    ('cp949', None)
    """
    if encoding is not None:
        return encoding
    with open(path, "rb") as fh:
        first = fh.readline(HEAD_BYTES)
    if first.startswith(codecs.BOM_UTF8) or not _decodes(first, UTF8) or not _decodes(first, "cp949"):
        return None
    as_utf8, as_cp949 = first.decode("utf-8"), first.decode("cp949")
    if not all(str(c) in as_utf8 for c in columns) and all(str(c) in as_cp949 for c in columns):
        return "cp949"
    return None


def known_encoding(encoding: str) -> str:
    """``encoding`` as Python's codec name ("UTF-16" -> "utf-16", "euc-kr" -> "euc_kr"), UTF-8 as ``"utf8"``."""
    try:
        name = codecs.lookup(encoding).name
    except (LookupError, TypeError):
        raise DataError(f"encoding {encoding!r} is not one Python knows; give a name such as encoding=\"cp949\", "
                        "encoding=\"utf-16\" or encoding=\"latin-1\"") from None
    return UTF8 if name == "utf-8" else name


def python_codec(encoding: str) -> str:
    """The codec Python (and pandas) decode with: a UTF-8 file's BOM is skipped."""
    return "utf-8-sig" if encoding in (UTF8, "utf-8") else encoding


def describe_encoding(encoding: str, path: Path | None = None) -> str | None:
    """``"UTF-16 LE (BOM)"``, ``"CP949"``; None for UTF-8, the plain case."""
    if encoding == UTF8:
        return None
    label = LABELS.get(encoding, encoding)
    if encoding == "utf-16" and path is not None:
        with open(path, "rb") as fh:
            label += " LE (BOM)" if fh.read(2) == codecs.BOM_UTF16_LE else " BE (BOM)"
    return f"encoding {label}"


def _table_text(head: bytes, encoding: str) -> bool:
    """Whether ``head`` decodes as ``encoding`` into text that a table could be: lines or cells, and no
    control character (UTF-16 decodes almost any bytes, a binary file's too)."""
    try:
        text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=False)
    except UnicodeDecodeError:
        return False
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n")
    return controls == 0 and any(c in text for c in "\n,;\t|")


def _decodes(head: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(python_codec(encoding))().decode(head, final=len(head) < HEAD_BYTES)
    except UnicodeDecodeError:
        return False
    return True


def _check_decodes(head: bytes, encoding: str, path: Path, *, given: bool) -> None:
    """DataError naming the file and the first byte that does not decode, unless ``head`` decodes."""
    try:
        codecs.getincrementaldecoder(python_codec(encoding))().decode(head, final=len(head) < HEAD_BYTES)
    except UnicodeDecodeError as exc:
        byte = f"byte 0x{head[exc.start]:02x} at offset {exc.start}"
        if head.startswith(b"PK\x03\x04"):
            raise DataError(f"{path.name} is an Excel workbook or another zip file, not a CSV file; save it as "
                            "CSV (UTF-8) or Parquet first") from None
        if given:
            raise DataError(f"cannot read {path.name} as {encoding}: {byte} does not decode; give its encoding with "
                            "encoding= (e.g. encoding=\"cp949\" or encoding=\"latin-1\")") from None
        raise DataError(f"cannot read {path.name} as text: it is not UTF-8, UTF-16 or CP949 ({byte}); give its "
                        "encoding with encoding= (e.g. encoding=\"latin-1\"), or save it as CSV UTF-8; Parquet "
                        "files must end in .parquet") from None
