"""The file readers under :mod:`slopefit.data.tables`: pyarrow's streaming Parquet and CSV readers, record
batches regrouped into chunks, and a CSV file's byte range (one process's share of a file).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from slopefit.data.cells import number_pattern, percent_cells, percent_note, text_numbers
from slopefit.data.columns import check_header, maybe_row_names, unnamed_columns
from slopefit.data.files import NULL_VALUES, Dialect
from slopefit.data.prefetch import decoding_threads
from slopefit.errors import DataError, row_numbers

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
    return pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=block, encoding=encoding,
                                                             use_threads=decoding_threads()),
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


def header_columns(path: Path, encoding: str, dialect: Dialect,
                   names: list[str]) -> tuple[list[str], list[str], list[str]]:
    """A CSV file's columns as a file read in chunks uses them, decided from its header and its first block
    of rows read as text: ``(names kept, notes, percent columns)``. Duplicate headers are refused
    (:func:`slopefit.data.columns.check_header`); a first column without a header whose first rows are
    distinct labels is R's row names, left out (:func:`slopefit.data.columns.unnamed_columns`); a column
    whose first cells all end in ``%`` is read as fractions (:func:`slopefit.data.cells.text_numbers`)."""
    check_header(names, path.name)
    try:
        block = next(iter(open_csv(path, encoding, names, 1024, dialect, as_text=True)))
    except Exception:  # noqa: BLE001 - an unreadable file is named by its first pass
        return names, [], []
    drop, notes = ([], []) if not maybe_row_names(names) else \
        unnamed_columns(names, lambda i: block.column(i).to_pylist(), path.name)
    kept = [c for i, c in enumerate(names) if i not in drop]
    percent = []
    for name in kept:
        cells = block.column(block.schema.get_field_index(name))
        if not any(c is not None and c.rstrip().endswith("%") for c in cells.to_pylist()):
            continue  # no percent cell: pyarrow.compute (which imports pandas) is not needed
        marked, filled = percent_cells(cells)
        if marked and marked == filled:
            percent.append(name)
            found, _ = text_numbers({name: cells}, thousands=dialect.thousands, decimal=dialect.decimal,
                                    label=path.name, percent=[name])
            notes.append(percent_note(name, cells, found[name]))
        elif marked:  # a few percent cells: refused if they are most of the column, as a whole load does
            text_numbers({name: cells}, thousands=None, decimal=dialect.decimal, label=path.name)
    return kept, notes, percent


def with_numbers(batches, converted: list[str], percent: list[str], dialect: Dialect, label: str):
    """The record batches with their ``converted`` columns (read as text: percent cells, numbers with
    thousands separators) as float64; a cell that is not such a number is a DataError naming it and its row."""
    import pyarrow as pa

    done = 0
    for batch in batches:
        if converted:
            cells = {c: batch.column(batch.schema.get_field_index(c)) for c in converted}
            found, _ = text_numbers(cells, thousands=dialect.thousands, decimal=dialect.decimal, label=label,
                                    percent=percent, offset=done)
            for name in converted:
                if name not in found:
                    _refuse_cell(cells[name], name, label, dialect, done)
            arrays = [found[c] if c in found else batch.column(i) for i, c in enumerate(batch.schema.names)]
            batch = pa.RecordBatch.from_arrays(
                [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays],
                names=batch.schema.names)
        done += batch.num_rows
        yield batch


def _refuse_cell(cells, name: str, label: str, dialect: Dialect, offset: int) -> None:
    """DataError naming the first cell of ``cells`` that is not a number written in ``dialect``."""
    pattern = re.compile(number_pattern(dialect.thousands, dialect.decimal))
    text = cells.to_pylist()
    bad = [bool(c and c.strip()) and not pattern.match(c.strip()) for c in text]
    example = text[bad.index(True)] if any(bad) else None
    raise DataError(f"column {name!r} in {label} is not numeric: {example!r} in {row_numbers(bad, offset=offset)}; "
                    "fix those cells or choose numeric columns with x=/y=")


def converted(source, text: Sequence[str] = ()) -> list[str]:
    """The CSV columns ``source`` reads as text and turns into numbers chunk by chunk (not the categories
    ``text``): its percent columns, and every numeric column when a thousands separator is given."""
    if source.format != "csv":
        return []
    return [c for c in source.read_columns if c not in text and (c in source.percent or source.dialect.thousands)]


def hold_table(source):
    """``source`` with its columns read whole into memory by pyarrow (multi-threaded, typed, one
    copy of the values: float32 columns stay float32, CSV cells are parsed as float64), so that
    every later pass slices them instead of reading the file again. Where the whole read fails
    (a text cell, an unreadable file), ``source`` is returned as it was: its first pass then
    names the problem as a chunked read does."""
    if source.design is not None or converted(source):  # text columns: read in chunks (categories, numbers)
        return source
    columns = [*source.feature_names, source.target_name]
    try:
        if source.format == "parquet":
            import pyarrow.parquet as pq

            table = pq.ParquetFile(source.path).read(columns=columns)  # not read_table: no pyarrow.dataset, pandas
        else:
            import pyarrow as pa
            import pyarrow.csv as pcsv

            table = pcsv.read_csv(source.path, read_options=pcsv.ReadOptions(encoding=source.encoding),
                                  parse_options=pcsv.ParseOptions(delimiter=source.dialect.sep),
                                  convert_options=pcsv.ConvertOptions(
                                      include_columns=columns, column_types={c: pa.float64() for c in columns},
                                      strings_can_be_null=True, null_values=NULL_VALUES,
                                      decimal_point=source.dialect.decimal))
    except Exception:  # noqa: BLE001 - the chunked read reports it, naming column, cell and rows
        return source
    return replace(source, table=table, n_rows=table.num_rows)
