"""CSV and Parquet files read whole: typed columns from pyarrow, encodings (:mod:`slopefit.data.encodings`),
numbers written as text (:mod:`slopefit.data.cells`), headers (R's row names, duplicates), column choice,
and the messages that name a bad cell by column, value and row.

Files read in chunks live in :mod:`slopefit.data.tables`, which shares the helpers here.
"""

from __future__ import annotations

import csv
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slopefit.data.arrays import column_values
from slopefit.data.cells import GROUPED, check_thousands, comma_meaning, text_numbers
from slopefit.data.columns import (
    check_header,
    check_missing,
    choose_columns,
    finite_column,
    maybe_row_names,
    numeric_column,
    unnamed_columns,
)
from slopefit.data.datasets import Dataset, builtin_names, check_dataset
from slopefit.data.design import design_dataset, needs_design
from slopefit.data.encodings import (
    HEAD_BYTES,
    UTF8,
    csv_encoding,
    describe_encoding,
    python_codec,
)
from slopefit.errors import DataError, EmptyCells


def check_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if it names a regular file, else DataError saying what is there instead.

    A FIFO, a device (``/dev/zero``) or a socket is refused at once: reading one could block forever
    or never end."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"data file {str(p)!r} does not exist; check the path or name a built-in dataset "
                        f"({', '.join(builtin_names())})", key="err.no_file",
                        values={"path": str(p), "builtins": ", ".join(builtin_names())})
    if p.is_dir():
        raise DataError(f"data path {str(p)!r} is a directory; give a CSV or Parquet file")
    check_regular(p)
    return p


def check_regular(p: Path) -> None:
    """DataError unless ``p`` is a regular file (symlinks followed): not a FIFO, device or socket."""
    try:
        mode = os.stat(p).st_mode
    except OSError as exc:
        raise DataError(f"cannot read {str(p)!r}: {exc.strerror or type(exc).__name__}") from None
    if not stat.S_ISREG(mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(
            mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        raise DataError(f"data path {str(p)!r} is {kind}, not a file; slopefit reads only regular CSV or Parquet "
                        "files: save the data to a file first")


def file_signature(p: Path) -> tuple[int, int]:
    """``(size, modification time in ns)`` of a file: what :func:`check_unchanged` compares."""
    info = os.stat(p)
    return info.st_size, info.st_mtime_ns


def check_unchanged(p: Path, before: tuple[int, int], label: str | None = None) -> None:
    """DataError when the file's size or modification time differs from ``before`` (taken before a read):
    it was written to while being read, so what was read is no one version of it."""
    try:
        after = file_signature(p)
    except OSError:
        after = (-1, -1)
    if after != before:
        raise DataError(f"{label or p.name} changed while it was being read (size {before[0]:,} -> {after[0]:,} "
                        "bytes); wait until whatever writes it has finished, or fit a copy of it")


SEPARATORS = (",", ";", "\t", "|")  # the separators a CSV file's header and first lines are tried with
DECIMALS = (".", ",")


@dataclass(frozen=True)
class Dialect:
    """How a CSV file writes its cells.

    Attributes
    ----------
    sep : str, one of ``SEPARATORS``: what separates the cells of a line
    decimal : str, "." or ",": the decimal mark of numbers (European spreadsheets write ``1,5;2,25``)
    thousands : str or None: the thousands separator of numbers (``"139,750"``, ``"1.234,5"``), None: none
    encoding : str, the codec the text is read with (:func:`slopefit.data.encodings.csv_encoding`)
    encoding_label : str or None, how a note names an encoding that is not UTF-8 ("encoding UTF-16 LE (BOM)")
    """

    sep: str = ","
    decimal: str = "."
    thousands: str | None = None
    encoding: str = UTF8
    encoding_label: str | None = None

    def describe(self) -> str | None:
        """``"separator ';', decimal comma, thousands '.', encoding CP949"``, or None for a plain UTF-8 CSV."""
        parts = [f"separator {self.sep!r}" if self.sep != "," or self.decimal != "." else None,
                 "decimal comma" if self.decimal == "," else None,
                 f"thousands {self.thousands!r}" if self.thousands else None, self.encoding_label]
        return ", ".join(p for p in parts if p) or None


def csv_dialect(path: Path, *, sep: str | None = None, decimal: str | None = None,
                encoding: str | None = None, thousands: str | None = None) -> Dialect:
    """The separator, decimal mark and encoding of a CSV file: those given, else detected from its first
    lines (the encoding by :func:`slopefit.data.encodings.csv_encoding`); ``thousands`` only when given.

    The separator is the one of ``,`` ``;`` tab ``|`` that the header holds and every one of the
    first lines holds as often (outside quotes); with ``;`` a comma inside the cells is a decimal
    comma. A file with no such separator is read as a plain CSV (its messages then say what is
    wrong).

    Raises
    ------
    DataError
        Two separators fit the file equally well: ``sep=`` decides; an encoding that does not fit.
    """
    if sep is not None and sep not in SEPARATORS:
        raise DataError(f"separator {sep!r} is not one of {', '.join(map(repr, SEPARATORS))}; "
                        "give one of those with sep=")
    if decimal is not None and decimal not in DECIMALS:
        raise DataError(f"decimal mark {decimal!r} is not '.' or ','; give decimal=\".\" or decimal=\",\"")
    encoding = csv_encoding(path, encoding)
    lines = _head_lines(path, encoding)
    if sep is None:
        fits = [c for c in SEPARATORS if lines and _count(lines[0], c) > 0
                and all(_count(line, c) == _count(lines[0], c) for line in lines[1:])]
        if len(fits) > 1:
            raise DataError(f"cannot tell the separator of {path.name}: {' and '.join(map(repr, fits))} both split "
                            "every line alike; give it with sep= (e.g. sep=\";\")")
        sep = fits[0] if fits else ","
    if decimal is None and thousands in (",", "."):
        decimal = "." if thousands == "," else ","  # 139,750.5 or 1.234,5
    if decimal is None:
        decimal = _decimal_of(lines, sep, path.name)
    if sep == decimal:
        raise DataError(f"separator and decimal mark are both {sep!r}; give another sep= or decimal=")
    check_thousands(thousands, decimal=decimal)
    return Dialect(sep=sep, decimal=decimal, thousands=thousands, encoding=encoding,
                   encoding_label=describe_encoding(encoding, path))


def _decimal_of(lines: list[str], sep: str, label: str) -> str:
    """The decimal mark of a file separated by ``sep`` (not a comma): a comma when its number cells have
    one that only a decimal comma explains (``2,25``), else a point.

    Raises DataError when every comma could be either (``139,750``): ``decimal=`` or ``thousands=`` decides."""
    if sep == ",":
        return "."
    cells = [c for row in csv.reader(lines[1:], delimiter=sep) for c in row]
    meaning = comma_meaning(cells)
    if meaning == "ambiguous":
        example = next(c.strip() for c in cells if "," in c and GROUPED.match(c.strip()))
        raise DataError(f"cannot tell what the comma in {label}'s numbers means ({example!r}): a decimal comma or a "
                        "thousands separator; give decimal=\",\" or thousands=\",\"")
    return "," if meaning == "decimal" else "."


def _head_lines(path: Path, encoding: str, *, count: int = 50) -> list[str]:
    """The first non-empty lines of a text file (at most ``count``, whole lines of its first 64 KB)."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    text = head.decode(python_codec(encoding), errors="replace")
    lines = text.splitlines()
    if len(head) == HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    return [line for line in lines if line.strip()][:count]


def _count(line: str, sep: str) -> int:
    """How often ``sep`` separates cells of ``line`` (quoted text left out)."""
    return re.sub(r'"[^"]*"', "", line).count(sep)


def header_names(p: Path, dialect: Dialect) -> list[str]:
    """The names of a CSV file's header line as written (stripped; empty and repeated ones kept)."""
    with open(p, encoding=python_codec(dialect.encoding), errors="replace", newline="") as fh:
        return [c.strip() for c in next(csv.reader(fh, delimiter=dialect.sep), [])]


def read_table(path: str | os.PathLike[str], *, dialect: Dialect | None = None, notes: list[str] | None = None):
    """Read a CSV or Parquet file into a pandas DataFrame, turning failures into DataError.

    A CSV file's header is checked (:func:`slopefit.data.columns.check_header`), its columns without a
    header left out or refused (:func:`slopefit.data.columns.unnamed_columns`), its numbers written as text
    read (:func:`slopefit.data.cells.text_numbers`); what was done is appended to ``notes``."""
    import pandas as pd

    p = check_file(path)
    suffix = p.suffix.lower()
    dialect = dialect or Dialect()
    cells = {"sep": dialect.sep, "decimal": dialect.decimal, "thousands": dialect.thousands}
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(p)
        names = header_names(p, dialect)
        check_header(names, p.name)
        frame = pd.read_csv(p, skipinitialspace=True, encoding=python_codec(dialect.encoding), low_memory=False,
                            **cells)  # low_memory=False: one dtype per column, no DtypeWarning
    except PermissionError:
        raise DataError(f"cannot read {str(p)!r}: permission denied") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {str(p)!r} is empty; it needs a header row and at least 2 data rows") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"cannot read {p.name} as {dialect.encoding}: byte 0x{exc.object[exc.start]:02x} does not "
                        "decode; give its encoding with encoding= (e.g. encoding=\"cp949\" or encoding=\"latin-1\"), "
                        "or save it as CSV UTF-8") from None
    except (pd.errors.ParserError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot parse {str(p)!r} as {'Parquet' if suffix in ('.parquet', '.pq') else 'CSV'}: "
                        f"{first}") from None
    if len(names) == frame.shape[1]:
        drop, found = unnamed_columns(names, lambda i: frame.iloc[:, i].tolist(), p.name)
        frame = frame.drop(columns=[frame.columns[i] for i in drop])
        notes = notes if notes is not None else []
        notes.extend(found)
        frame = _frame_numbers(frame, dialect, p.name, notes)
    return frame


def _frame_numbers(frame, dialect: Dialect, label: str, notes: list[str]):
    """``frame`` with its text columns of percent cells read as numbers (pandas has read thousands already)."""
    import pyarrow as pa

    text = {str(c): pa.array([None if v is None or v != v else str(v) for v in frame[c]], pa.string())
            for c in frame.columns if frame[c].dtype == object or str(frame[c].dtype).startswith(("str", "string"))}
    found, said = text_numbers(text, thousands=dialect.thousands, decimal=dialect.decimal, label=label)
    notes.extend(said)
    for name, values in found.items():
        frame[name] = values.to_numpy(zero_copy_only=False)
    return frame


def load_file(
    path: str | os.PathLike[str],
    *,
    x: list[str] | tuple[str, ...] | None = None,
    y: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    missing: str = "error",
    formula: str | None = None,
    encoding: str | None = None,
    thousands: str | None = None,
) -> Dataset:
    """Load a CSV or Parquet file as a Dataset.

    Parameters
    ----------
    path : path to a ``.csv`` file (anything else that is not ``.parquet``/``.pq`` is read as CSV)
    x : feature column names, default every column except the target
    y : target column name, default the last column
    sep, decimal : str or None, default None: the CSV separator and decimal mark, else detected
        (:func:`csv_dialect`)
    encoding : str or None, default None: the CSV file's text encoding (any Python codec name), else
        detected: UTF-8 (BOM or not), UTF-16 with a BOM, CP949 (:func:`slopefit.data.encodings.csv_encoding`)
    thousands : str or None, default None: the thousands separator of numbers (``","`` reads ``"139,750"``;
        ``"."`` reads ``"1.234,5"`` with the decimal comma)
    missing : "error" (default) or "drop": rows with an empty or NaN cell in the columns used
        are an error naming every such column, or are left out (counted in ``dropped_rows``)
    formula : str or None, default None: the target and the terms instead of ``x`` and ``y``
        (:func:`slopefit.data.design.design_dataset`); text feature columns become indicator columns
        either way

    Percent cells (``5.0%``) are read as fractions (0.05), R's row names (a first column with no header)
    are left out, each with a note (``Dataset.notes``).

    Raises
    ------
    DataError
        Missing or unreadable file, unknown or non-numeric column, missing/non-finite cells,
        fewer than 2 rows, a constant feature column, duplicate headers, a text encoding that does not fit.
    """
    check_missing(missing)
    label = Path(path).name
    p = check_file(path)
    before = file_signature(p)
    dialect = None if p.suffix.lower() in (".parquet", ".pq") else csv_dialect(
        p, sep=sep, decimal=decimal, encoding=encoding, thousands=thousands)
    table, notes = _read_arrow(p, dialect)
    check_unchanged(p, before, label)
    columns: dict[str, np.ndarray] | None = None
    dtype: type = np.float64
    describe = {"name": label, "description": {"ko": f"파일 {label}", "en": f"file {label}"},
                "dialect": dialect.describe() if dialect else None, "notes": tuple(notes)}
    if table is not None:  # typed columns: numeric ones are taken as they are, without a look at text
        if formula is not None:
            return _designed(table.to_pandas(), label, describe, formula=formula, missing=missing)
        features, target = choose_columns(table.column_names, x=x, y=y, label=label)
        if all(_numeric_type(table.schema.field(c).type) for c in [*features, target]):
            columns, dtype = _typed_columns(table, [*features, target])
            del table
        elif not all(_numeric_type(table.schema.field(c).type) or _text_type(table.schema.field(c).type)
                     for c in features):
            pass  # dates, lists...: named by the cell-by-cell read below
        elif any(_text_type(table.schema.field(c).type) for c in features):  # categories, or a typo in numbers
            return _designed(table.select([*features, target]).to_pandas(), label, describe, x=features, y=target,
                             missing=missing)
    if columns is None:
        # a column pyarrow could not type as numbers (or a file it could not read): pandas, cell by
        # cell, so that the message names the column, a bad cell and its rows
        notes = []
        frame = read_table(path, dialect=dialect, notes=notes)
        describe["notes"] = tuple(notes)
        names = [str(c) for c in frame.columns]
        frame.columns = names
        if formula is not None:
            return _designed(frame, label, describe, formula=formula, missing=missing)
        features, target = choose_columns(names, x=x, y=y, label=label)
        if needs_design(frame, features):
            return _designed(frame[[*features, target]], label, describe, x=features, y=target, missing=missing)
        columns = {c: numeric_column(frame[c], c, label) for c in [*features, target]}
    X, target_values, dropped = _complete_rows(columns, features, target, label, missing=missing, dtype=dtype)
    return check_dataset(Dataset(
        X=X, y=target_values, feature_names=tuple(features), target_name=target, name=label,
        description={"ko": f"파일 {label}", "en": f"file {label}"}, dropped_rows=dropped,
        dialect=dialect.describe() if dialect else None, notes=tuple(describe["notes"] or ()),
    ))


def _designed(frame, label: str, describe: dict, *, x=None, y=None, formula: str | None = None,
              missing: str) -> Dataset:
    """A table with text feature columns or a formula: its design matrix (:mod:`slopefit.data.design`)."""
    return design_dataset(frame, x=x, y=y, formula=formula, label=label, missing=missing, **describe)


def _complete_rows(columns: dict[str, np.ndarray], features: list[str], target: str, label: str, *,
                   missing: str, dtype) -> tuple[np.ndarray, np.ndarray, int]:
    """X (n_rows, n_features), y and the rows dropped, from columns whose empty cells are NaN:
    with ``missing="drop"`` the rows with a NaN in any of them are left out; otherwise NaN cells are
    one error naming every such column (:class:`slopefit.errors.EmptyCells`, as a file read in chunks
    words it). Infinite cells are an error naming their column and rows."""
    names = [*features, target]
    empty = {c: np.isnan(columns[c]) for c in names}
    keep = None
    if missing == "drop":
        incomplete = np.logical_or.reduce([empty[c] for c in names])
        if incomplete.any():
            keep = ~incomplete
    else:
        found = EmptyCells()
        for c in names:
            found.add(c, empty[c])
        if found:
            raise found.error(label, names)
    n_rows = len(columns[target]) if keep is None else int(keep.sum())
    X = np.empty((n_rows, len(features)), dtype=dtype)  # (n_rows, n_features)
    for j, name in enumerate(features):
        values = columns[name] if keep is None else columns[name][keep]
        X[:, j] = finite_column(values, name, label)
    values = columns[target] if keep is None else columns[target][keep]
    y = np.ascontiguousarray(finite_column(values, target, label), dtype=dtype)
    return X, y, 0 if keep is None else len(keep) - n_rows


# pandas' default missing-value markers, so that pyarrow reads the same cells as empty
NULL_VALUES = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
                "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]


def _read_arrow(p: Path, dialect: Dialect | None):
    """The whole file as a pyarrow Table with typed columns, or None where pyarrow cannot read it
    the way pandas would (the caller then reads it with pandas and reports what is wrong), and the
    notes of what was done to a CSV file's columns (:func:`tidy_columns`)."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    if dialect is not None:
        check_header(header_names(p, dialect), p.name)
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            table = pq.ParquetFile(p).read()  # read_table would import pyarrow.dataset and pandas
            table = table.drop_columns(pandas_index_columns(table.schema))  # pandas reads them as the index
        else:
            dialect = dialect or Dialect()
            table = pcsv.read_csv(p, read_options=pcsv.ReadOptions(encoding=dialect.encoding),
                                  parse_options=pcsv.ParseOptions(delimiter=dialect.sep),
                                  convert_options=pcsv.ConvertOptions(null_values=NULL_VALUES, strings_can_be_null=True,
                                                                      decimal_point=dialect.decimal))
            table = table.rename_columns([str(c).lstrip() for c in table.column_names])  # skipinitialspace
    except Exception:  # noqa: BLE001 - any failure is reported by the pandas reader, with today's messages
        return None, []
    if dialect is None:
        return table, []
    return tidy_columns(table, dialect, p.name)


def tidy_columns(table, dialect: Dialect, label: str, *, percent: list[str] | None = None, offset: int = 0):
    """A CSV file's pyarrow table (or record batch) with its columns without a header left out or refused
    (:func:`slopefit.data.columns.unnamed_columns`) and its text columns of numbers read as numbers
    (:func:`slopefit.data.cells.text_numbers`), and the notes that say so."""
    import pyarrow as pa
    import pyarrow.types as pat

    names = [str(c) for c in table.column_names]
    drop, notes = ([], []) if not maybe_row_names(names) else \
        unnamed_columns(names, lambda i: table.column(i).to_pylist(), label)
    for i in sorted(drop, reverse=True):
        table = table.remove_column(i)
    text = {c: table.column(c).cast(pa.string()) for c in table.column_names
            if pat.is_string(table.schema.field(c).type) or pat.is_large_string(table.schema.field(c).type)}
    found, said = text_numbers(text, thousands=dialect.thousands, decimal=dialect.decimal, label=label,
                               percent=percent, offset=offset)
    for name, values in found.items():
        table = table.set_column(table.schema.get_field_index(name), name, values)
    return table, notes + said


def pandas_index_columns(schema) -> list[str]:
    """The columns of a Parquet schema that pandas wrote from a DataFrame's index (not data columns)."""
    meta = schema.pandas_metadata or {}
    return [c for c in meta.get("index_columns", []) if isinstance(c, str) and c in schema.names]


def _numeric_type(kind) -> bool:
    import pyarrow.types as pat

    return bool(pat.is_integer(kind) or pat.is_floating(kind))


def _text_type(kind) -> bool:
    import pyarrow.types as pat

    return bool(pat.is_string(kind) or pat.is_large_string(kind) or pat.is_dictionary(kind))


def _typed_columns(table, names: list[str]) -> tuple[dict[str, np.ndarray], type]:
    """The numeric pyarrow columns as arrays, empty cells NaN, and the dtype of X and y: float32
    if every column is float32 (the engines compute in float64 anyway), else float64."""
    import pyarrow as pa

    dtype = np.float32 if all(table.schema.field(c).type == pa.float32() for c in names) else np.float64
    columns = {}
    for name in names:
        column = table.column(name)
        if column.null_count:  # as floats: the empty cells become NaN
            column = column.cast(pa.float64())
        columns[name] = column_values(column)
    return columns, dtype
