"""CSV and Parquet files read whole: typed columns from pyarrow, encodings (UTF-8, BOM, CP949),
column choice, and the messages that name a bad cell by column, value and row.

Files read in chunks live in :mod:`slopefit.tables`, which shares the helpers here.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from slopefit.datasets import Dataset, builtin_names, check_dataset
from slopefit.errors import DataError, row_numbers


def check_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if it names a file, else DataError saying what is there instead."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"data file {str(p)!r} does not exist; check the path or name a built-in dataset "
                        f"({', '.join(builtin_names())})")
    if p.is_dir():
        raise DataError(f"data path {str(p)!r} is a directory; give a CSV or Parquet file")
    return p


def read_table(path: str | os.PathLike[str]):
    """Read a CSV or Parquet file into a pandas DataFrame, turning failures into DataError."""
    import pandas as pd

    p = check_file(path)
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(p)
        try:
            return pd.read_csv(p, skipinitialspace=True, encoding="utf-8-sig")  # also UTF-8 with a BOM
        except UnicodeDecodeError:
            return pd.read_csv(p, skipinitialspace=True, encoding="cp949")  # Korean Excel's default
    except PermissionError:
        raise DataError(f"cannot read {str(p)!r}: permission denied") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {str(p)!r} is empty; it needs a header row and at least 2 data rows") from None
    except UnicodeDecodeError:
        raise DataError(f"cannot read {str(p)!r} as text (UTF-8 or CP949); is it a CSV file? "
                        "Parquet files must end in .parquet") from None
    except (pd.errors.ParserError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot parse {str(p)!r} as {'Parquet' if suffix in ('.parquet', '.pq') else 'CSV'}: "
                        f"{first}") from None


def load_file(
    path: str | os.PathLike[str],
    *,
    x: list[str] | tuple[str, ...] | None = None,
    y: str | None = None,
) -> Dataset:
    """Load a CSV or Parquet file as a Dataset.

    Parameters
    ----------
    path : path to a ``.csv`` file (anything else that is not ``.parquet``/``.pq`` is read as CSV)
    x : feature column names, default every column except the target
    y : target column name, default the last column

    Raises
    ------
    DataError
        Missing or unreadable file, unknown or non-numeric column, missing/non-finite cells,
        fewer than 2 rows, a constant feature column.
    """
    label = Path(path).name
    table = _read_arrow(check_file(path))
    if table is not None:  # typed columns: numeric ones are taken as they are, without a look at text
        features, target = choose_columns(table.column_names, x=x, y=y, label=label)
        if all(_numeric_type(table.schema.field(c).type) for c in [*features, target]):
            X, target_values = _typed_columns(table, features, target, label)
            del table
            return check_dataset(Dataset(
                X=X, y=target_values, feature_names=tuple(features), target_name=target, name=label,
                description={"ko": f"파일 {label}", "en": f"file {label}"},
            ))
    # a column pyarrow could not type as numbers (or a file it could not read): pandas, cell by cell,
    # so that the message names the column, a bad cell and its rows
    frame = read_table(path)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    features, target = choose_columns(columns, x=x, y=y, label=label)
    X = np.column_stack([_numeric_column(frame[c], c, label) for c in features])
    target_values = _numeric_column(frame[target], target, label)
    return check_dataset(Dataset(
        X=X, y=target_values, feature_names=tuple(features), target_name=target, name=label,
        description={"ko": f"파일 {label}", "en": f"file {label}"},
    ))


# pandas' default missing-value markers, so that pyarrow reads the same cells as empty
NULL_VALUES = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
                "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]


def _read_arrow(p: Path):
    """The whole file as a pyarrow Table with typed columns, or None where pyarrow cannot read it
    the way pandas would (the caller then reads it with pandas and reports what is wrong)."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            table = pq.read_table(p)
            table = table.drop_columns(pandas_index_columns(table.schema))  # pandas reads them as the index
        else:
            table = pcsv.read_csv(p, read_options=pcsv.ReadOptions(encoding=csv_encoding(p)),
                                  convert_options=pcsv.ConvertOptions(null_values=NULL_VALUES))
            table = table.rename_columns([str(c).lstrip() for c in table.column_names])  # skipinitialspace
    except Exception:  # noqa: BLE001 - any failure is reported by the pandas reader, with today's messages
        return None
    names = [str(c) for c in table.column_names]
    if len(set(names)) != len(names) or "" in names:  # pandas renames these ("a.1", "Unnamed: 0")
        return None
    return table


def pandas_index_columns(schema) -> list[str]:
    """The columns of a Parquet schema that pandas wrote from a DataFrame's index (not data columns)."""
    meta = schema.pandas_metadata or {}
    return [c for c in meta.get("index_columns", []) if isinstance(c, str) and c in schema.names]


def _numeric_type(kind) -> bool:
    import pyarrow.types as pat

    return bool(pat.is_integer(kind) or pat.is_floating(kind))


def _typed_columns(table, features: list[str], target: str, label: str) -> tuple[np.ndarray, np.ndarray]:
    """X (n_rows, n_features) and y from numeric pyarrow columns: float32 if every column is
    float32 (the engines compute in float64 anyway), else float64; one copy of the values."""
    import pyarrow as pa

    dtype = np.float32 if all(table.schema.field(c).type == pa.float32() for c in [*features, target]) \
        else np.float64
    X = np.empty((table.num_rows, len(features)), dtype=dtype)  # (n_rows, n_features)
    for j, name in enumerate(features):
        X[:, j] = _finite_column(table.column(name).to_numpy(), name, label)
    y = np.ascontiguousarray(_finite_column(table.column(target).to_numpy(), target, label), dtype=dtype)
    return X, y


def choose_columns(columns: list[str], *, x=None, y=None, label: str) -> tuple[list[str], str]:
    """Feature and target names from a table's columns: ``y`` (default the last column) and ``x``
    (default every other column), checked to exist, to differ and to be listed once.

    Raises DataError naming the file (``label``) and the columns it has.
    """
    if len(columns) < 2:
        raise DataError(f"{label} has {len(columns)} column ({', '.join(columns) or 'none'}); it needs at least "
                        "one feature column and one target column, with a header row")
    target = y if y is not None else columns[-1]
    features = list(x) if x else [c for c in columns if c != target]
    for col in [*features, target]:
        if col not in columns:
            raise DataError(f"column {col!r} is not in {label}; available columns: {', '.join(columns)}")
    if target in features:
        raise DataError(f"column {target!r} is both a feature (--x) and the target (--y); pick it once")
    if len(set(features)) != len(features):
        dupes = sorted({c for c in features if features.count(c) > 1})
        raise DataError(f"feature column {dupes[0]!r} is given more than once; list each column once")
    return features, target


def read_features(path: str | os.PathLike[str], columns: tuple[str, ...] | list[str]) -> np.ndarray:
    """Read the named numeric columns of a CSV/Parquet file as an array (n_rows, len(columns)).

    Used to predict on new rows: the same checks as :func:`load_file` (unknown column, non-numeric
    or missing cells) without requiring a target column.
    """
    frame = read_table(path)
    frame.columns = [str(c) for c in frame.columns]
    label = Path(path).name
    for col in columns:
        if col not in frame.columns:
            raise DataError(f"column {col!r} (a feature of the model) is not in {label}; "
                            f"available columns: {', '.join(frame.columns)}")
    if len(frame) == 0:
        raise DataError(f"{label} has no data rows; add rows of {', '.join(columns)}")
    return np.column_stack([_numeric_column(frame[c], c, label) for c in columns])


def _numeric_column(series, name: str, label: str) -> np.ndarray:
    import pandas as pd

    numeric = pd.to_numeric(series, errors="coerce")
    bad_text = numeric.isna() & series.notna() & (series.astype(str).str.strip() != "")
    if bad_text.any():
        rows = row_numbers(bad_text.to_numpy())
        example = series[bad_text].iloc[0]
        raise DataError(f"column {name!r} in {label} is not numeric: {example!r} in {rows}; "
                        "fix those cells or choose numeric columns with --x/--y")
    return _finite_column(numeric.to_numpy(dtype=np.float64), name, label)


def _finite_column(values: np.ndarray, name: str, label: str) -> np.ndarray:
    """``values`` if every one is finite (empty cells arrive as NaN), else DataError naming their rows."""
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(f"column {name!r} in {label} has empty, NaN or infinite cells in {row_numbers(bad)}; "
                        "fill or drop those rows")
    return values


def csv_encoding(path: Path) -> str:
    """UTF-8 (a BOM is fine) unless the first bytes are not UTF-8; then CP949, Korean Excel's default."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the end of the sample
            return "cp949"
    return "utf8"
