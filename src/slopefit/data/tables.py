"""Tables read in chunks, never whole: CSV and Parquet files larger than memory.

A :class:`TableSource` names a file and its columns and yields ``(X, y)`` chunks of at
most ``chunk_rows`` rows through pyarrow's streaming readers. The stats engine fits such a
file in one pass with bounded memory; minibatch training streams it once per epoch with a
shuffle within chunks and across neighbouring chunks (:func:`shuffled_chunks`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from slopefit.data.arrays import column_values
from slopefit.data.cells import not_numeric_fix
from slopefit.data.columns import check_missing, choose_columns
from slopefit.data.files import (
    Dialect,
    check_file,
    check_unchanged,
    csv_dialect,
    file_signature,
    pandas_index_columns,
)
from slopefit.data.prefetch import decoding_threads
from slopefit.data.readers import (  # noqa: F401 - hold_table: read by slopefit.solve.preparation
    ByteRange,
    converted,
    first_line,
    header_columns,
    hold_table,
    open_csv,
    open_parquet,
    rechunked,
    with_numbers,
)
from slopefit.errors import MAX_ROWS_LISTED, DataError, EmptyCells, listed_rows

DEFAULT_CHUNK_ROWS = 262_144  # rows per chunk read from a file: 17 MB at 16 float32 columns
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class TableSource:
    """A CSV or Parquet file read in chunks.

    Attributes
    ----------
    path : Path
    feature_names : tuple of str, target_name : str
    name : str, the file name shown in tables
    format : "csv" | "parquet"
    n_rows : int or None, known up front for Parquet only
    chunk_rows : int
    encoding : str, the codec of a CSV file's text ("utf8", "utf-16", "cp949", or the one given)
    table : pyarrow.Table or None
        The file's columns, read whole and held (see :func:`hold_table`): every pass takes its
        chunks from memory instead of reading the file again. None: read from the file.
    dialect : Dialect, the separator and decimal mark of a CSV file
    missing : "error" | "drop", what rows with empty cells (or NaN) in the columns used are
    tally : dict, what the last whole pass found: ``"dropped"`` rows left out for empty cells
    design : slopefit.data.design.Design or None, how text columns (categories) or a formula make the
        features (``feature_names`` are then its columns), with the levels of the whole file
    columns : tuple of str, the file's columns read (default: the features and the target)
    groups : tuple of int or None
        A share of a Parquet file (:mod:`slopefit.dist.shards`): only these row groups, in this order.
    byte_range : (int, int) or None
        A share of a CSV file: only the lines that start in ``[start, stop)`` bytes (the header
        is read from the top); no quoted cell may span lines.
    notes : tuple of str, what reading the file did (R's row names left out, percent cells as fractions)
    percent : tuple of str, the CSV columns of percent cells (``5%``), read as fractions (0.05)
    """

    path: Path
    feature_names: tuple[str, ...]
    target_name: str
    name: str
    format: str
    n_rows: int | None
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    encoding: str = "utf8"
    table: Any = field(default=None, repr=False, compare=False)
    dialect: Dialect = Dialect()
    missing: str = "error"
    tally: dict = field(default_factory=dict, repr=False, compare=False)
    design: Any = field(default=None, repr=False, compare=False)
    columns: tuple[str, ...] = ()
    groups: tuple[int, ...] | None = None
    byte_range: tuple[int, int] | None = None
    notes: tuple[str, ...] = ()
    percent: tuple[str, ...] = ()

    @property
    def read_columns(self) -> list[str]:
        """The file's columns a pass reads: the features and the target, or those a design needs."""
        return list(self.columns) or [*self.feature_names, self.target_name]

    @property
    def dropped_rows(self) -> int:
        """Rows left out for empty cells in the last whole pass (0 before one)."""
        return self.tally.get("dropped", 0)

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def chunks(self, *, on_rows: Callable[[int], None] | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(X, y)`` in file order: X (rows, n_features), y (rows,); float32 if every
        column is float32, else float64. ``on_rows`` is called with the rows read so far."""
        for X, y, done in self._complete(self._batches()):
            if on_rows is not None:
                on_rows(done)
            yield X, y

    def _complete(self, batches) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        """``(X, y, rows read so far)`` of each batch with the rows that have empty or NaN cells left out
        (``missing="drop"``, counted in ``tally``), or, once a batch has some, none: the rest are read to
        name every such column, with counts and first rows, in one DataError worded as a whole load
        words it (:class:`slopefit.errors.EmptyCells`)."""
        names = self.read_columns
        found = EmptyCells()
        done = dropped = 0
        for batch in batches:
            X, y, empty = self._arrays(batch)
            if empty:
                if self.missing == "drop":
                    keep = ~np.logical_or.reduce(list(empty.values()))
                    X, y = X[keep], y[keep]
                    dropped += len(keep) - len(y)
                else:
                    for name, mask in empty.items():
                        found.add(name, mask, done)
            done += batch.num_rows
            if not found:
                yield X, y, done
        if found:
            raise found.error(self.name, names)
        self.tally["dropped"], self.tally["rows"] = dropped, done - dropped

    def _batches(self, order: Sequence[int] | None = None):
        if self.table is not None:  # held in memory: zero-copy slices of its columns, in file order
            yield from self.table.to_batches(max_chunksize=self.chunk_rows)
            return
        before = file_signature(self.path)  # a file that changes during the pass is refused at its end
        try:
            yield from self._file_batches(order)
        except DataError:
            check_unchanged(self.path, before, self.name)  # the failure came from the change: say so
            raise
        check_unchanged(self.path, before, self.name)

    def _file_batches(self, order: Sequence[int] | None):
        columns = self.read_columns
        try:
            if self.format == "parquet":
                pf = open_parquet(self.path)
                order = order if order is not None else self.groups
                threads = decoding_threads()
                if order is None:
                    yield from pf.iter_batches(batch_size=self.chunk_rows, columns=columns, use_threads=threads)
                    return
                for group in order:
                    yield from pf.read_row_group(group, columns=columns, use_threads=threads).to_batches(
                        max_chunksize=self.chunk_rows)
                return
            text = self.design.text if self.design is not None else ()
            numbers = converted(self, text)
            batches = open_csv(self._csv_input(), self.encoding, columns, self.chunk_rows, self.dialect,
                               text=(*text, *numbers))
            yield from rechunked(with_numbers(batches, numbers, list(self.percent), self.dialect, self.name),
                                 self.chunk_rows)
        except DataError:
            raise
        except Exception as exc:  # pyarrow reports conversion and I/O problems with its own types
            if self.format == "csv" and "conversion error" in str(exc):
                raise DataError(self._text_cells() or f"cannot read {self.name}: {first_line(exc)}") from None
            raise DataError(f"cannot read {self.name}: {first_line(exc)}") from None

    def _text_cells(self, text: Sequence[str] = ()) -> str | None:
        """The message for cells that are not numbers, found in a second pass over the file read as
        text: the first such column, its first bad cell and their rows (as a whole load names them)."""
        import pandas as pd
        import pyarrow as pa

        text = self.design.text if self.design is not None else text  # categories: text by right
        names = [c for c in self.read_columns if c not in text and c not in converted(self, text)]
        found: dict[str, tuple[object, list[int], int]] = {}  # column -> (example, first rows, count)
        done = 0
        try:
            for batch in open_csv(self._csv_input(), self.encoding, names, self.chunk_rows, self.dialect,
                                   as_text=True):
                for name in names:
                    cells = batch.column(batch.schema.get_field_index(name)).cast(pa.string()).to_pandas()
                    if self.dialect.decimal == ",":
                        cells = cells.str.replace(",", ".", regex=False)
                    bad = pd.to_numeric(cells, errors="coerce").isna() & cells.notna() & (cells.str.strip() != "")
                    if bad.any():
                        rows = (np.flatnonzero(bad.to_numpy()) + done).tolist()
                        example, first, count = found.get(name, (cells[bad].iloc[0], [], 0))
                        found[name] = (example, (first + rows)[:MAX_ROWS_LISTED], count + len(rows))
                done += batch.num_rows
        except Exception:  # noqa: BLE001 - the caller reports pyarrow's own message instead
            return None
        for name in names:
            if name in found:
                example, first, count = found[name]
                return (f"cannot read {self.name}: column {name!r} is not numeric: {example!r} in "
                        f"{listed_rows(first, count)}; {not_numeric_fix(example)}")
        return None

    def _arrays(self, batch) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """X (rows, n_features), y (rows,), and the empty or NaN cells of each column that has some."""
        if self.design is not None:
            return self._designed(batch)
        columns, empty = [], {}
        for name in [*self.feature_names, self.target_name]:
            # empty cells arrive as NaN; a column's sum is NaN exactly when it holds a NaN (or both
            # infinities), so only those columns are searched cell by cell
            values = column_values(batch.column(batch.schema.get_field_index(name)))
            if values.dtype.kind == "f":
                with np.errstate(over="ignore", invalid="ignore"):
                    if np.isnan(values.sum()):
                        mask = np.isnan(values)
                        if mask.any():
                            empty[name] = mask
            columns.append(values)
        dtype = np.float32 if all(c.dtype == np.float32 for c in columns) else np.float64
        # the columns side by side (contiguous copies); X is the (rows, n_features) transposed view.
        # Infinite cells are caught by the statistics pass, which names their rows.
        X = np.stack(columns[:-1]).astype(dtype, copy=False).T
        y = columns[-1].astype(dtype, copy=False)
        return X, y, empty

    def _csv_input(self):
        """What pyarrow reads a CSV file from: its path, or the lines of its ``byte_range``."""
        return self.path if self.byte_range is None else ByteRange(self.path, *self.byte_range)

    def _designed(self, batch) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """X, y and empty cells of a batch through the design: text cells encoded with the whole
        file's levels (an empty one holds a known level until its row is dropped or named)."""
        design, columns, empty = self.design, {}, {}
        for name in self.read_columns:
            col = batch.column(batch.schema.get_field_index(name))
            if name in design.text:
                if col.null_count:
                    empty[name] = col.is_null().to_numpy(zero_copy_only=False)
                filler = design.placeholder(name)
                columns[name] = np.array([filler if v is None else v for v in col.to_pylist()], dtype=object)
            else:
                columns[name] = column_values(col).astype(np.float64)  # empty cells: NaN
                if np.isnan(columns[name]).any():
                    empty[name] = np.isnan(columns[name])
        X = design.encode({c: columns[c] for c in design.inputs})  # (rows, n_features)
        return X, design.target_values(columns), empty

    def row_groups(self) -> int:
        """Blocks that can be read in any order: Parquet row groups (1 for CSV, read in order)."""
        if self.format != "parquet":
            return 1
        if self.groups is not None:
            return len(self.groups)
        return open_parquet(self.path).metadata.num_row_groups

    def shuffled_chunks(self, generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch of rows in a seeded shuffled order, in chunks, with bounded memory.

        Parquet row groups are visited in a random order; each chunk is shuffled together with
        the half of the previous chunk that was held back, so rows also mix across chunks.
        """
        import torch

        order = None
        if self.format == "parquet":
            order = torch.randperm(self.row_groups(), generator=generator).tolist()
            if self.groups is not None:
                order = [self.groups[i] for i in order]
        held: tuple[np.ndarray, np.ndarray] | None = None
        for X, y, _ in self._complete(self._batches(order)):
            if held is not None:
                X, y = np.concatenate([held[0], X]), np.concatenate([held[1], y])
            perm = torch.randperm(len(y), generator=generator).numpy()
            keep = len(y) // 2
            held = (X[perm[keep:]], y[perm[keep:]])
            yield X[perm[:keep]], y[perm[:keep]]
        if held is not None:
            yield held

    def read_all(self):
        """The whole table as an in-memory :class:`slopefit.data.datasets.Dataset` (it must fit)."""
        from slopefit.data.datasets import Dataset, check_dataset

        parts = list(self.chunks())
        return check_dataset(Dataset(
            X=np.concatenate([p[0] for p in parts]), y=np.concatenate([p[1] for p in parts]),
            feature_names=self.feature_names, target_name=self.target_name, name=self.name,
            description={"ko": f"파일 {self.name}", "en": f"file {self.name}"}, dropped_rows=self.dropped_rows,
            dialect=self.dialect.describe() if self.format == "csv" else None, design=self.design,
            notes=self.notes))


def open_table(
    path: str | os.PathLike[str],
    *,
    x: list[str] | tuple[str, ...] | None = None,
    y: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    sep: str | None = None,
    decimal: str | None = None,
    missing: str = "error",
    formula: str | None = None,
    levels: bool = True,
    encoding: str | None = None,
    thousands: str | None = None,
) -> TableSource:
    """Open a CSV or Parquet file for chunked reading, checking its columns up front.

    Parameters
    ----------
    path : a ``.parquet``/``.pq`` file, or a CSV file (UTF-8, with or without BOM, or CP949)
    x : feature columns, default every column except the target
    y : target column, default the last column
    chunk_rows : int, default 262144, rows per chunk
    sep, decimal : str or None, default None: a CSV file's separator and decimal mark, else detected
    encoding, thousands : str or None, default None: a CSV file's encoding (else detected) and thousands
        separator (:func:`slopefit.data.files.load_file`)
    missing : "error" (default) or "drop": rows with empty cells in the columns used are an error
        naming every such column, or are left out (counted in ``dropped_rows`` after a pass)
    formula : str or None, default None: the target and the terms instead of ``x`` and ``y``
        (:mod:`slopefit.data.design`; stateful transforms such as ``center`` need a whole load)
    levels : bool, default True: text feature columns (categories) get their levels in a first
        pass and are encoded chunk by chunk (``design``); False leaves them to the caller

    Raises
    ------
    DataError
        Missing file, unknown or non-numeric columns, a formula with a stateful transform.

    Examples
    --------
    >>> src = open_table("heights.csv", y="weight")  # doctest: +SKIP
    >>> sum(len(chunk_y) for _, chunk_y in src.chunks())  # doctest: +SKIP
    5
    """
    p = check_file(path)
    check_missing(missing)
    if chunk_rows < 1:
        raise DataError(f"chunk_rows must be >= 1, got {chunk_rows}")
    source, schema, names = _unnamed_source(p, chunk_rows=chunk_rows, sep=sep, decimal=decimal, missing=missing,
                                            encoding=encoding, thousands=thousands)
    fmt = source.format
    if formula is not None:
        from slopefit.data.formulas import formula_columns
        from slopefit.errors import ConfigError

        if x or y:
            raise ConfigError("give the columns either in the formula or with x= and y=, not both")
        used, inputs, forced = formula_columns(formula, names, label=p.name)
        return _with_design(source, used, inputs, target=None, formula=formula, forced=forced)
    features, target = choose_columns(names, x=x, y=y, label=p.name)
    source = replace(source, feature_names=tuple(features), target_name=target)
    if levels and category_columns(source):  # text columns: categories, levels from a first pass
        return _with_design(source, [*features, target], features, target=target, formula=None)
    if fmt == "parquet":
        import pyarrow.types as pat

        for col in [*features, target]:
            kind = schema.field(col).type
            if not (pat.is_integer(kind) or pat.is_floating(kind) or (not levels and _is_text(kind))):
                raise DataError(f"column {col!r} in {p.name} is not numeric (its type is {kind}); "
                                "choose numeric columns with x=/y=")
    return source


def _unnamed_source(p: Path, *, chunk_rows: int, sep: str | None, decimal: str | None, missing: str,
                    encoding: str | None = None, thousands: str | None = None) -> tuple[TableSource, Any, list[str]]:
    """A TableSource of the file with no columns chosen yet, its schema and its column names."""
    fmt = "parquet" if p.suffix.lower() in PARQUET_SUFFIXES else "csv"
    n_rows, dialect = None, Dialect()
    try:
        if fmt == "parquet":
            pf = open_parquet(p)
            schema, n_rows = pf.schema_arrow, pf.metadata.num_rows
        else:
            dialect = csv_dialect(p, sep=sep, decimal=decimal, encoding=encoding, thousands=thousands)
            encoding = dialect.encoding
            schema = open_csv(p, encoding, None, 1024, dialect).schema
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"cannot read {p.name} as {'Parquet' if fmt == 'parquet' else 'CSV'}: "
                        f"{first_line(exc)}") from None
    index = pandas_index_columns(schema) if fmt == "parquet" else []  # pandas reads them as the index
    names = [str(c) for c in schema.names if c not in index]
    notes: list[str] = []
    percent: list[str] = []
    if fmt == "csv":
        names, notes, percent = header_columns(p, encoding or "utf-8", dialect, names)
    source = TableSource(path=p, feature_names=(), target_name="", name=p.name, format=fmt, n_rows=n_rows,
                         chunk_rows=chunk_rows, encoding=encoding or "utf8", dialect=dialect, missing=missing,
                         notes=tuple(notes), percent=tuple(percent))
    return source, schema, names


def category_columns(source: TableSource) -> list[str]:
    """The feature columns of a file that hold text (categories: their levels need the whole table):
    Parquet string columns; CSV columns whose cells in the first block are text by
    :func:`slopefit.data.columns.holds_categories` (a few stray cells among numbers are not a category)."""
    try:
        if source.format == "parquet":
            schema = open_parquet(source.path).schema_arrow
            return [c for c in source.feature_names if _is_text(schema.field(c).type)]
        from slopefit.data.cells import parse_numbers
        from slopefit.data.columns import holds_categories

        batch = next(iter(open_csv(source.path, source.encoding, list(source.feature_names), 1024,
                                    source.dialect, as_text=True)))
    except Exception:  # noqa: BLE001 - an unreadable file is named by its first pass
        return []
    found = []
    for name in source.feature_names:
        column = batch.column(batch.schema.get_field_index(name))
        if name in source.percent or (source.dialect.thousands and parse_numbers(
                column, thousands=source.dialect.thousands, decimal=source.dialect.decimal) is not None):
            continue  # numbers written as text
        cells = [c.strip() for c in column.to_pylist() if c and c.strip()]
        if holds_categories(cells):
            found.append(name)
    return found


def _is_text(kind) -> bool:
    import pyarrow.types as pat

    return bool(pat.is_string(kind) or pat.is_large_string(kind) or pat.is_dictionary(kind))


def _with_design(source: TableSource, used: list[str], inputs: list[str], *, target: str | None,
                 formula: str | None, forced: set[str] | frozenset = frozenset()) -> TableSource:
    """``source`` reading ``used`` through a design: one first pass gathers the levels of its text
    columns (and of numeric columns inside ``C(...)``, ``forced``); the design is built on the first chunk."""
    from slopefit.data.design import streamed_design

    text = category_columns(replace(source, feature_names=tuple(inputs), target_name=target or "")) if inputs else []
    levels: dict[str, set] = {c: set() for c in [*text, *(c for c in inputs if c in forced and c not in text)]}
    first: dict[str, np.ndarray] | None = None
    reader = replace(source, columns=tuple(used))
    try:  # pyarrow's conversion and I/O errors as one line
        for batch in _plain_batches(reader, text):
            if first is None:
                first = {c: (np.array(batch.column(c).to_pylist(), dtype=object) if c in text
                             else column_values(batch.column(c)).astype(np.float64)) for c in used}
            for c in levels:
                levels[c].update(v for v in batch.column(c).unique().to_pylist() if v is not None and v != "")
                if len(levels[c]) > 1000:
                    break
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001
        cells = reader._text_cells(text) if "conversion error" in str(exc) else None
        raise DataError(cells or f"cannot read {source.name}: {first_line(exc)}") from None
    if first is None:
        raise DataError(f"{source.name} has no data rows")
    for c in text:
        first[c] = np.array([v if v not in (None, "") else None for v in first[c]], dtype=object)
    design = streamed_design(first, {c: list(v) for c, v in levels.items()}, inputs=inputs,
                             target=target or "", text=text, formula=formula, label=source.name)
    return replace(source, feature_names=design.columns, target_name=design.target, design=design,
                   columns=tuple(used))


def _plain_batches(source: TableSource, text: list[str]):
    """The record batches of ``source.columns``, text columns as text, before any design exists."""
    if source.format == "parquet":
        yield from open_parquet(source.path).iter_batches(batch_size=source.chunk_rows, columns=list(source.columns))
        return
    numbers = converted(source, text)
    yield from with_numbers(open_csv(source.path, source.encoding, list(source.columns), source.chunk_rows,
                                     source.dialect, text=[*text, *numbers]), numbers, list(source.percent),
                            source.dialect, source.name)
