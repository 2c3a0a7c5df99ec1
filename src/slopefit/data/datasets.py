"""Where data comes from: :class:`Dataset`, the lesson's built-in tables and a seeded
synthetic generator; :func:`load_dataset` also opens CSV and Parquet files (read whole by
:mod:`slopefit.data.files`). Everything ends as a validated :class:`Dataset`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slopefit.errors import ConfigError, DataError, count_of, row_numbers


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
    dropped_rows : int, rows of the file left out for empty cells (``missing="drop"``)
    dialect : str or None, how a CSV file was read when not the plain comma ("separator ';', decimal comma")
    weights : ndarray of shape (n_samples,) or None, sample weights >= 0 (weighted least squares)
    weights_name : str or None, the column the weights came from
    design : slopefit.data.design.Design or None, how the columns of ``X`` were built from a table's columns
        (text columns as indicators, a formula's terms); None when they are the table's numeric columns
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_name: str
    name: str = "data"
    description: dict[str, str] = field(default_factory=dict)
    true_coef: np.ndarray | None = None
    true_intercept: float | None = None
    dropped_rows: int = 0
    dialect: str | None = None
    weights: np.ndarray | None = None
    weights_name: str | None = None
    design: Any = None

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
            raise DataError(f"{count_of(X.shape[1], 'feature column')} but {count_of(len(self.feature_names), 'name')} "
                            f"({', '.join(self.feature_names)}); give one name per column")
        if self.weights is not None:
            object.__setattr__(self, "weights", check_weights(self.weights, name=self.weights_name or "sample_weight",
                                                              label=self.name, n_rows=X.shape[0]))

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])


# --- built-in data ---------------------------------------------------------------------

BUILTIN_TABLES: dict[str, dict] = {
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


# tables shipped as files in slopefit/data (their source and license: slopefit/data/README.md)
BUILTIN_FILES: dict[str, dict] = {
    "grunfeld": dict(
        file="grunfeld.csv", x=("value", "capital", "firm"), y="invest",
        description={
            "ko": "Grunfeld 투자 자료 (statsmodels, 공공 영역): 11개 기업 × 20년, 기업(firm)은 범주",
            "en": "Grunfeld investment data (statsmodels, public domain): 11 firms x 20 years, firm is a category",
        },
    ),
}


def builtin_names() -> tuple[str, ...]:
    """Names of the built-in datasets, in display order."""
    return (*BUILTIN_TABLES, *BUILTIN_FILES)


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
        raise DataError(f"{count_of(ds.X.shape[1], 'feature column')} but {count_of(len(ds.feature_names), 'name')}")
    if ds.n_samples < 2:
        raise DataError(f"{ds.name} has {count_of(ds.n_samples, 'row')}; a line needs at least 2 rows of data")
    for j, name in enumerate(ds.feature_names):
        col = ds.X[:, j]
        if not np.isfinite(col).all():
            raise DataError(f"feature {name!r} has NaN or infinite values in {row_numbers(~np.isfinite(col))}; "
                            "fill or drop those rows")
        if np.ptp(col) == 0 and ds.n_samples > ds.n_features:  # fewer rows: reported as too few rows
            raise DataError(f"feature {name!r} is constant (every row is {_short(col[0])}): it carries no "
                            "information and makes the fit ill-posed; leave it out of x=")
    if not np.isfinite(ds.y).all():
        raise DataError(f"target {ds.target_name!r} has NaN or infinite values in "
                        f"{row_numbers(~np.isfinite(ds.y))}; fill or drop those rows")
    return ds


def _short(value: float) -> str:
    return str(int(value)) if math.isfinite(value) and float(value).is_integer() else f"{value:g}"


def check_weights(weights, *, name: str = "sample_weight", label: str = "the data", n_rows: int | None = None
                  ) -> np.ndarray:
    """``weights`` as float64 if every one is a finite number >= 0 and they do not sum to 0.

    Parameters
    ----------
    weights : array-like, shape (n_rows,)
        The sample weights.
    name : str, default "sample_weight"
        What they are called in messages (the column's name); keyword-only.
    label : str, default "the data"
        The table they belong to; keyword-only.
    n_rows : int or None, default None
        The rows they must match; keyword-only.

    Returns
    -------
    ndarray, shape (n_rows,), float64

    Raises
    ------
    DataError
        Non-numeric, NaN, infinite or negative weights (named with their first rows), another
        number of weights than rows, or weights summing to 0.

    Examples
    --------
    >>> check_weights([1, 2, 0.5]).tolist()
    [1.0, 2.0, 0.5]
    """
    values = np.asarray(weights)
    if values.dtype.kind not in "biuf":
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError):
            raise DataError(f"weights {name!r} of {label} must be numbers, got values of type {values.dtype}; "
                            "give a numeric column") from None
    values = values.astype(np.float64, copy=False)
    if values.ndim != 1:
        raise DataError(f"weights {name!r} must be one value per row, got shape {values.shape}")
    if n_rows is not None and values.shape[0] != n_rows:
        raise DataError(f"weights {name!r} have {values.shape[0]} values for {n_rows} rows; give one weight per row")
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(f"weights {name!r} of {label} have NaN or infinite values in {row_numbers(bad)}; "
                        "give every row a finite weight >= 0")
    negative = values < 0
    if negative.any():
        raise DataError(f"weights {name!r} of {label} are negative in {row_numbers(negative)} (first: "
                        f"{values[negative][0]:g}); weights must be >= 0")
    if not values.sum() > 0:
        raise DataError(f"weights {name!r} of {label} sum to 0: no row counts; give some rows a weight > 0")
    return values
