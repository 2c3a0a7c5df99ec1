"""Where data comes from: the lesson's built-in tables, CSV and Parquet files, and a
seeded synthetic generator. Everything ends as a validated :class:`Dataset`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from slopefit.errors import ConfigError, DataError

MAX_ROWS_LISTED = 5  # how many offending rows an error message lists before "..."


@dataclass(frozen=True)
class Dataset:
    """A regression table: features ``X``, target ``y`` and their names.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,), float64
    feature_names : tuple of str, one per column of ``X``
    target_name : str
    name : str
        Short name shown in tables ("height-weight", a file name, "synthetic").
    description : dict
        One line per language, keys ``"ko"`` and ``"en"``.
    true_coef, true_intercept : known generating coefficients (synthetic data only)
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_name: str
    name: str = "data"
    description: dict[str, str] = field(default_factory=dict)
    true_coef: np.ndarray | None = None
    true_intercept: float | None = None

    def __post_init__(self) -> None:
        """Shapes are checked when a Dataset is made (by a reader or by hand); values (NaN, a
        constant column, too few rows) when it is fitted, in the same pass that gathers its
        statistics."""
        X, y = np.asarray(self.X), np.asarray(self.y)
        if X.dtype.kind not in "f":
            X = _as_float(X, "features")
        if y.dtype.kind not in "f":
            y = _as_float(y, f"target {self.target_name!r}")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        if isinstance(self.feature_names, str):  # tuple("height") would be six one-letter names
            raise DataError(f"feature_names must be a sequence of names, one per column, got the string "
                            f"{self.feature_names!r}; write ({self.feature_names!r},) for one column")
        object.__setattr__(self, "feature_names", tuple(self.feature_names))
        if X.ndim != 2:
            raise DataError(f"features must be a 2-D table (rows x columns), got shape {X.shape}; "
                            "for one feature use X.reshape(-1, 1)")
        if y.ndim != 1:
            raise DataError(f"target must be one column, got shape {y.shape}; use y.ravel()")
        if X.shape[0] != y.shape[0]:
            raise DataError(f"features have {X.shape[0]} rows but the target has {y.shape[0]}; "
                            "give one target value per row")
        if len(self.feature_names) != X.shape[1]:
            raise DataError(f"{_count(X.shape[1], 'feature column')} but {_count(len(self.feature_names), 'name')} "
                            f"({', '.join(self.feature_names)}); give one name per column")

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])


# --- built-in data ---------------------------------------------------------------------

_BUILTINS: dict[str, dict] = {
    "height-weight": dict(
        X=[[166.0], [176.0], [171.0], [173.0], [169.0]],
        y=[58.7, 75.7, 62.1, 70.4, 60.1],
        feature_names=("height",),
        target_name="weight",
        description={
            "ko": "다섯 명의 신장(cm)과 체중(kg): 신장으로 체중 예측",
            "en": "five people's height (cm) and weight (kg): predict weight from height",
        },
    ),
    "hours-ability": dict(
        X=[[1.0], [2.0], [3.0]],
        y=[200.0, 400.0, 600.0],
        feature_names=("hours",),
        target_name="ability",
        description={
            "ko": "투자한 시간(시간)과 게임 캐릭터 능력치 향상(p)",
            "en": "hours invested and the game character's ability gain (points)",
        },
    ),
}


def builtin_names() -> tuple[str, ...]:
    """Names of the built-in datasets, in display order."""
    return tuple(_BUILTINS)


def builtin(name: str) -> Dataset:
    """Return a built-in dataset by name (``"height-weight"`` or ``"hours-ability"``).

    Raises
    ------
    DataError
        If ``name`` is not a built-in dataset.
    """
    if name not in _BUILTINS:
        raise DataError(
            f"unknown built-in dataset {name!r}; choose one of {', '.join(_BUILTINS)} "
            "or give a path to a CSV/Parquet file"
        )
    spec = _BUILTINS[name]
    return Dataset(
        X=np.array(spec["X"], dtype=np.float64),
        y=np.array(spec["y"], dtype=np.float64),
        feature_names=spec["feature_names"],
        target_name=spec["target_name"],
        name=name,
        description=dict(spec["description"]),
    )


# --- synthetic data --------------------------------------------------------------------


def make_synthetic(
    n_samples: int = 1000,
    n_features: int = 1,
    *,
    noise: float = 0.1,
    seed: int = 0,
    offset: float = 0.0,
    dtype: type = np.float64,
) -> Dataset:
    """Draw a regression problem with known true coefficients.

    ``X`` has columns ``offset * (j + 1) + N(0, scale_j)`` with scales from 0.5 to 5, the
    true coefficients and intercept are drawn from N(0, 2), and ``y = X @ coef + intercept
    + noise * N(0, 1)``.

    Parameters
    ----------
    n_samples : int, default 1000, >= 2
    n_features : int, default 1, >= 1
    noise : float, default 0.1, >= 0
        Standard deviation of the added Gaussian noise.
    seed : int, default 0
        Seed of the ``numpy.random.Generator``; the same seed gives the same data.
    offset : float, default 0.0
        Column ``j`` is shifted by ``offset * (j + 1)``, to mimic raw units (heights near 170).

    Examples
    --------
    >>> ds = make_synthetic(100, 3, seed=1)
    >>> ds.X.shape, ds.true_coef.shape
    ((100, 3), (3,))
    """
    if n_samples < 2:
        raise ConfigError(f"n_samples must be at least 2, got {n_samples}")
    if n_features < 1:
        raise ConfigError(f"n_features must be at least 1, got {n_features}")
    if noise < 0:
        raise ConfigError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    scales = np.linspace(0.5, 5.0, n_features)
    shifts = offset * np.arange(1, n_features + 1)
    X = shifts + rng.standard_normal((n_samples, n_features)) * scales  # (n_samples, n_features)
    coef = rng.normal(0.0, 2.0, n_features)
    intercept = float(rng.normal(0.0, 2.0))
    y = X @ coef + intercept + noise * rng.standard_normal(n_samples)  # (n_samples,)
    return Dataset(
        X=X.astype(dtype),
        y=y.astype(dtype),
        feature_names=tuple(f"x{j}" for j in range(n_features)),
        target_name="y",
        name="synthetic",
        description={
            "ko": f"합성 데이터: {n_samples}행, 특성 {n_features}개, 잡음 {noise}",
            "en": f"synthetic data: {n_samples} rows, {n_features} features, noise {noise}",
        },
        true_coef=coef,
        true_intercept=intercept,
    )


def parse_synthetic(spec: str) -> Dataset:
    """Build synthetic data from ``"synthetic"`` or ``"synthetic:n=1000,d=3,noise=0.1,seed=0"``."""
    keys = {"n": ("n_samples", int), "d": ("n_features", int), "noise": ("noise", float),
            "seed": ("seed", int), "offset": ("offset", float)}
    kwargs: dict[str, float | int] = {}
    _, _, rest = spec.partition(":")
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in keys:
            raise ConfigError(
                f"bad synthetic option {item!r}; use synthetic:n=ROWS,d=FEATURES,noise=SD,seed=INT,offset=X"
            )
        name, kind = keys[key.strip()]
        try:
            kwargs[name] = kind(value)
        except ValueError:
            raise ConfigError(f"synthetic option {key}={value!r} is not a valid {kind.__name__}") from None
    return make_synthetic(**kwargs)  # type: ignore[arg-type]


# --- files -------------------------------------------------------------------------------


def check_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if it names a file, else DataError saying what is there instead."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"data file {str(p)!r} does not exist; check the path or name a built-in dataset "
                        f"({', '.join(_BUILTINS)})")
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


def row_numbers(mask: np.ndarray, *, offset: int = 0) -> str:
    """'rows 3, 7' (1-based data rows, the header not counted), shortened past a few.

    ``mask`` marks rows of a chunk that starts ``offset`` rows into the table.
    """
    rows = np.flatnonzero(mask) + offset
    return listed_rows(rows[:MAX_ROWS_LISTED].tolist(), len(rows))


def listed_rows(first: list[int], count: int) -> str:
    """'rows 3, 7' from the first 0-based row indices (a few) and how many rows there are in all."""
    shown = ", ".join(str(r + 1) for r in first[:MAX_ROWS_LISTED])
    more = f" and {count - MAX_ROWS_LISTED} more" if count > MAX_ROWS_LISTED else ""
    word = "row" if count == 1 else "rows"
    return f"{word} {shown}{more} (data rows, header not counted)"


def _count(n: int, word: str) -> str:
    """``"1 row"``, ``"0 rows"``: a count for a message."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _as_float(values: np.ndarray, what: str) -> np.ndarray:
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{what} must be numbers, got values of type {values.dtype}") from None


def check_dataset(ds: Dataset) -> Dataset:
    """Validate a Dataset for fitting and return it unchanged.

    Raises
    ------
    DataError
        Mismatched lengths, fewer than 2 rows, non-finite values, or a constant feature column.
    """
    if ds.X.ndim != 2:
        raise DataError(f"features must be a 2-D table (rows x columns), got shape {ds.X.shape}")
    if ds.y.ndim != 1:
        raise DataError(f"target must be one column, got shape {ds.y.shape}")
    if ds.X.shape[0] != ds.y.shape[0]:
        raise DataError(f"features have {ds.X.shape[0]} rows but the target has {ds.y.shape[0]}; "
                        "give one target value per row")
    if len(ds.feature_names) != ds.X.shape[1]:
        raise DataError(f"{_count(ds.X.shape[1], 'feature column')} but {_count(len(ds.feature_names), 'name')}")
    if ds.n_samples < 2:
        raise DataError(f"{ds.name} has {_count(ds.n_samples, 'row')}; a line needs at least 2 rows of data")
    for j, name in enumerate(ds.feature_names):
        col = ds.X[:, j]
        if not np.isfinite(col).all():
            raise DataError(f"feature {name!r} has NaN or infinite values in {row_numbers(~np.isfinite(col))}; "
                            "fill or drop those rows")
        if np.ptp(col) == 0 and ds.n_samples > ds.n_features:  # fewer rows: reported as too few rows
            raise DataError(f"feature {name!r} is constant (every row is {_short(col[0])}): it carries no "
                            "information and makes the fit ill-posed; leave it out with --x")
    if not np.isfinite(ds.y).all():
        raise DataError(f"target {ds.target_name!r} has NaN or infinite values in "
                        f"{row_numbers(~np.isfinite(ds.y))}; fill or drop those rows")
    return ds


def _short(value: float) -> str:
    return str(int(value)) if math.isfinite(value) and float(value).is_integer() else f"{value:g}"


def load_dataset(
    source: str | os.PathLike[str],
    *,
    x: list[str] | tuple[str, ...] | None = None,
    y: str | None = None,
) -> Dataset:
    """Load data from a built-in name, ``synthetic[:options]``, or a CSV/Parquet path.

    Examples
    --------
    >>> load_dataset("height-weight").feature_names
    ('height',)
    """
    text = os.fspath(source)
    if text in _BUILTINS:
        ds = builtin(text)
    elif text == "synthetic" or text.startswith("synthetic:"):
        ds = parse_synthetic(text)
    else:
        return load_file(text, x=x, y=y)
    if x or y:
        ds = _select_builtin(ds, x, y)
    return check_dataset(ds)


def _select_builtin(ds: Dataset, x, y) -> Dataset:
    if y is not None and y != ds.target_name:
        raise DataError(f"column {y!r} is not the target of {ds.name}; its target is {ds.target_name!r}")
    wanted = list(x) if x else list(ds.feature_names)
    missing = [c for c in wanted if c not in ds.feature_names]
    if missing:
        raise DataError(f"column {missing[0]!r} is not in {ds.name}; available columns: "
                        f"{', '.join([*ds.feature_names, ds.target_name])}")
    idx = [ds.feature_names.index(c) for c in wanted]
    coef = ds.true_coef[idx] if ds.true_coef is not None and len(idx) == ds.n_features else None
    return Dataset(X=ds.X[:, idx], y=ds.y, feature_names=tuple(wanted), target_name=ds.target_name,
                   name=ds.name, description=ds.description, true_coef=coef,
                   true_intercept=ds.true_intercept if coef is not None else None)
