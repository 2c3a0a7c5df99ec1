"""The schema of a model file, checked by msgspec before anything in it is used.

Every number must be a finite number of the right type (``true`` is not a coefficient, ``"1.5"``
is not an intercept, ``1e999`` is not finite), every list of the right length (one coefficient,
one training minimum and maximum per feature; an inference matrix of ``n_features`` squared),
and the file of a bounded size. A refusal names the field and shows a short excerpt of the bad
value, never the whole of it.

msgspec rather than pydantic: it is made for exactly this (typed structs, constraints, the path of
the bad field in its message), is small, has no dependencies, and imports in a few milliseconds,
which ``slopefit predict``'s start-up pays for.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from slopefit.errors import ModelFileError

MAX_BYTES = 64 << 20  # a model file larger than this is refused before it is read
MAX_FEATURES = 100_000  # coefficients in one model file
LARGEST = 1.7976931348623157e308  # the largest finite float64: inf and NaN fall outside [-LARGEST, LARGEST]

Finite = Annotated[float, Meta(ge=-LARGEST, le=LARGEST)]
NonNegative = Annotated[float, Meta(ge=0.0, le=LARGEST)]
Count = Annotated[int, Meta(ge=0)]
Name = Annotated[str, Meta(max_length=10_000)]
Vector = Annotated[list[Finite], Meta(max_length=MAX_FEATURES)]
Names = Annotated[list[Name], Meta(min_length=1, max_length=MAX_FEATURES)]


class Scaling(Struct, kw_only=True):
    """How the features and the target were scaled for training (:mod:`slopefit.solve.scaling`)."""

    method: Literal["none", "center", "standardize"]
    x_mean: Vector
    x_scale: Vector
    y_mean: Finite


class PenaltyRecord(Struct, kw_only=True):
    """A ridge, lasso or elastic-net penalty (:mod:`slopefit.solve.penalties`)."""

    kind: Literal["ridge", "lasso", "elasticnet"]
    alpha: NonNegative
    l1_ratio: Annotated[float, Meta(ge=0.0, le=1.0)] | None = None


class Training(Struct, kw_only=True):
    """The settings of the run (:class:`slopefit.train.config.TrainConfig`); every field optional."""

    optimizer: Name | None = None
    lr: NonNegative | None = None
    epochs: Count | None = None
    options: dict[Name, Any] = {}
    batch_size: Annotated[int, Meta(ge=1)] | None = None
    scaling: Name | None = None
    fit_intercept: bool = True
    log_every: Annotated[int, Meta(ge=1)] | None = None
    tol: NonNegative | None = None
    stop_gap: NonNegative | None = None
    seed: int | None = None
    dtype: Name | None = None
    init: Finite | None = None
    engine: Name | None = None
    device: Name | None = None
    record_params: bool = False
    penalty: PenaltyRecord | None = None
    world_size: Annotated[int, Meta(ge=1)] | None = None
    shuffle: Name | None = None


class Inference(Struct, kw_only=True):
    """What prediction intervals need (:class:`slopefit.solve.intervals.IntervalModel`)."""

    n: Annotated[int, Meta(ge=1)]
    dof_resid: Count
    sigma: NonNegative | None  # null: no residual degrees of freedom
    level: Annotated[float, Meta(gt=0.0, lt=1.0)]
    fit_intercept: bool
    x_mean: Vector
    cxx_inv: Annotated[list[Vector], Meta(max_length=MAX_FEATURES)]


Level = str | int | float | bool | None


class DesignRecord(Struct, kw_only=True):
    """How the features are built from a table's columns (:class:`slopefit.data.design.Design`)."""

    target: Name
    columns: Names
    inputs: Annotated[list[Name], Meta(max_length=MAX_FEATURES)]
    text: Annotated[list[Name], Meta(max_length=MAX_FEATURES)] = []
    levels: dict[Name, Annotated[list[Level], Meta(max_length=MAX_FEATURES)]] = {}
    formula: Name | None = None
    intercept: bool = True
    kinds: dict[Name, Name] = {}
    transforms: dict[Name, Any] = {}


class ModelFile(Struct, kw_only=True):
    """A model file as :func:`slopefit.views.persistence.save_model` writes it."""

    format: Literal["slopefit-model"]
    format_version: int
    slopefit_version: Name | None = None
    feature_names: Names
    target_name: Name
    coef: Vector
    intercept: Finite
    feature_min: Vector | None = None
    feature_max: Vector | None = None
    scaling: Scaling | None = None
    training: Training | None = None
    epochs_run: Count | None = None
    initial_loss: NonNegative | None = None
    final_loss: NonNegative | None = None
    exact_loss: NonNegative | None = None
    exact_coef: Vector | None = None
    exact_intercept: Finite | None = None
    r2: Finite | None = None
    rows_used: Count | None = None
    rows_dropped: Count | None = None
    weights: Name | None = None
    penalty: PenaltyRecord | None = None
    inference: Inference | None = None
    design: DesignRecord | None = None


def excerpt(value: Any, *, width: int = 40) -> str:
    """A short picture of ``value``: its repr cut to ``width`` characters, with the length of a long list."""
    shown = repr(value)
    if len(shown) > width:
        shown = shown[:width] + "..."
    if isinstance(value, (list, dict, str)) and len(value) > 8:
        shown += f" ({len(value):,} {'characters' if isinstance(value, str) else 'items'})"
    return shown


def _at(document: Any, where: str) -> Any:
    """The value at msgspec's path ``$.coef[3]`` in the decoded document (``...`` where it cannot tell)."""
    import re

    value = document
    for key, index in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", where.removeprefix("$")):
        try:
            value = value[key] if key else value[int(index)]
        except (KeyError, IndexError, TypeError):
            return ...
    return value


def validate(document: Any, label: str) -> ModelFile:
    """``document`` (decoded JSON) checked against :class:`ModelFile`, then its lengths against each other.

    Parameters
    ----------
    document : Any
        The file's JSON, decoded.
    label : str
        The file, as messages name it.

    Returns
    -------
    ModelFile

    Raises
    ------
    ModelFileError
        One line: the field, what was expected, a short excerpt of what was found.
    """
    try:
        model = msgspec.convert(document, ModelFile)
    except msgspec.ValidationError as exc:
        what, _, where = str(exc).rpartition(" - at `")
        where = where.rstrip("`") or "$"
        found = _at(document, where)
        shown = "" if found is ... else f", found {excerpt(found)}"
        raise ModelFileError(f"{label} is a damaged slopefit model: field {where.removeprefix('$.')} "
                             f"{what[:1].lower()}{what[1:]}{shown}; refit and save it again", key="err.model_damaged",
                             values={"label": label, "field": where.removeprefix("$."),
                                     "what": f"{what[:1].lower()}{what[1:]}{shown}"}) from None
    _check_lengths(model, label)
    return model


def _covariance_like(rows: list[list[float]]) -> bool:
    """Whether a matrix is symmetric positive semi-definite, as an inverse Gram matrix is: else a
    row's leverage could be negative and its interval NaN."""
    import numpy as np

    matrix = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(rows))  # (n_features, n_features)
    scale = float(np.abs(matrix).max(initial=0.0))
    if not np.isfinite(scale):  # finite entries whose products overflow: no usable covariance
        return False
    # computed in float64 and saved with repr: asymmetry and negative eigenvalues only from rounding,
    # a few ulps times the matrix's size; 1e-9 of its largest entry leaves room for a condition number of 1e6
    tolerance = 1e-9 * scale
    if np.abs(matrix - matrix.T).max(initial=0.0) > tolerance:
        return False
    with np.errstate(all="ignore"):
        eigenvalues = np.linalg.eigvalsh(matrix) if matrix.size else np.zeros(0)
    return bool(np.isfinite(eigenvalues).all() and (eigenvalues >= -tolerance).all())


def _check_lengths(model: ModelFile, label: str) -> None:
    d = len(model.feature_names)
    vectors = {"coef": model.coef, "feature_min": model.feature_min, "feature_max": model.feature_max,
               "exact_coef": model.exact_coef}
    if model.scaling is not None:
        vectors |= {"scaling.x_mean": model.scaling.x_mean, "scaling.x_scale": model.scaling.x_scale}
    if model.inference is not None:
        vectors["inference.x_mean"] = model.inference.x_mean
        inference = model.inference
        if (inference.sigma is None) != (inference.dof_resid == 0) or inference.dof_resid >= inference.n:
            raise ModelFileError(f"{label} is a damaged slopefit model: field inference.sigma "
                                 f"{excerpt(inference.sigma)} does not fit {inference.dof_resid} residual degrees of "
                                 f"freedom of {inference.n} rows (null exactly when there are none); refit and save "
                                 "it again")
        rows = inference.cxx_inv
        if len(rows) != d or any(len(row) != d for row in rows):
            shape = f"{len(rows)} rows of {sorted({len(r) for r in rows}) or [0]} values"
            raise ModelFileError(f"{label} is a damaged slopefit model: field inference.cxx_inv must be "
                                 f"{d} x {d} (one row and column per feature), found {shape}; refit and save it again")
        if not _covariance_like(rows):
            raise ModelFileError(f"{label} is a damaged slopefit model: field inference.cxx_inv {excerpt(rows)} is "
                                 "not symmetric positive semi-definite (an inverse Gram matrix is); refit and save it "
                                 "again")
    for name, values in vectors.items():
        if values is not None and len(values) != d:
            raise ModelFileError(f"{label} is a damaged slopefit model: field {name} has {len(values)} values for "
                                 f"{d} features ({excerpt(model.feature_names)}); refit and save it again")
    if model.feature_min is not None and model.feature_max is not None and any(
            lo > hi for lo, hi in zip(model.feature_min, model.feature_max, strict=True)):
        raise ModelFileError(f"{label} is a damaged slopefit model: a feature_min exceeds its feature_max "
                             f"({excerpt(model.feature_min)} > {excerpt(model.feature_max)}); refit and save it again")
