"""The file readers under :mod:`slopefit.data.tables`: pyarrow's streaming Parquet and CSV readers, record
batches regrouped into chunks, and a CSV file's byte range (one process's share of a file).
"""

from __future__ import annotations

import io
from pathlib import Path

from slopefit.data.files import NULL_VALUES, Dialect

CSV_BLOCK_BYTES = 4 << 20  # bytes of CSV text parsed at a time


def open_parquet(path: Path):
    """A Parquet reader that reads as it goes: pre-buffering would pull the whole file into memory."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)


def rechunked(batches, rows: int):
    """Tables of at least ``rows`` rows (the last one fewer) from the record batches of small blocks."""
    import pyarrow as pa

    pending, count = [], 0
    for batch in batches:
        pending.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(pending)
            pending, count = [], 0
    if count:
        yield pa.Table.from_batches(pending)


def open_csv(path: Path | io.RawIOBase, encoding: str, columns: list[str] | None, chunk_rows: int,
              dialect: Dialect, *, as_text: bool = False, text: tuple[str, ...] | list[str] = ()):
    import pyarrow as pa
    import pyarrow.csv as pcsv

    # blocks of a few MB parse fastest (in parallel, and in cache); rechunked makes chunks of them
    width = len(columns) if columns else 8
    block = max(1 << 16, min(CSV_BLOCK_BYTES, chunk_rows * width * 24))
    convert = None
    if columns is not None:
        kind = pa.string() if as_text else pa.float64()
        convert = pcsv.ConvertOptions(include_columns=columns,
                                      column_types={c: pa.string() if c in text else kind for c in columns},
                                      strings_can_be_null=True, null_values=NULL_VALUES,
                                      decimal_point=dialect.decimal)
    return pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=block, encoding=encoding),
                         parse_options=pcsv.ParseOptions(delimiter=dialect.sep), convert_options=convert)


def line_start(fh, position: int) -> int:
    """The offset of the first line that starts at or after byte ``position`` of the open binary
    file ``fh`` (``position`` itself when a line starts there; the file's size when none does)."""
    if position <= 0:
        return 0
    fh.seek(position - 1)
    fh.readline()  # the rest of the line that holds byte position - 1
    return fh.tell()


class ByteRange(io.RawIOBase):
    """A CSV file's header line followed by its lines that start in ``[start, stop)``: what one
    process of a distributed run reads of a file shared by byte ranges (:mod:`slopefit.dist.shards`)."""

    def __init__(self, path: Path, start: int, stop: int) -> None:
        super().__init__()
        self._fh = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._header = self._fh.readline()
        begin = max(line_start(self._fh, start), len(self._header))
        end = max(line_start(self._fh, stop), begin)
        self._fh.seek(begin)
        self._left = end - begin

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._header:
            n = min(len(view), len(self._header))
            view[:n], self._header = self._header[:n], self._header[n:]
            return n
        n = self._fh.readinto(view[:min(len(view), self._left)]) if self._left > 0 else 0
        self._left -= n or 0
        return n or 0

    def close(self) -> None:
        self._fh.close()
        super().close()


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
