"""Model files: a fitted line saved as human-readable JSON, and loaded back without torch.

The file holds the coefficients in original units, the scaling, feature and target names,
the training settings, the final and exact losses, and two versions: ``format_version``
(of this layout; a file of another version is refused) and the slopefit version that wrote it.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from slopefit.atomic import atomic_path
from slopefit.errors import ModelFileError

FORMAT_NAME = "slopefit-model"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Model:
    """A fitted line ready to predict: ``y = X @ coef + intercept`` in original units.

    Attributes
    ----------
    coef : ndarray, shape (n_features,)
        The coefficients, original units.
    intercept : float
        The intercept (0.0 for a line through the origin).
    feature_names : tuple of str
        The features, in the order of ``coef``.
    target_name : str
        The predicted column.
    feature_min, feature_max : ndarray, shape (n_features,), or None, default None
        The training range of each feature (for :meth:`outside_range`); None when unknown.
    info : dict, default {}
        Scaling, training settings, losses, versions and (for intervals) ``"inference"``.

    Examples
    --------
    >>> import numpy as np
    >>> m = Model(coef=np.array([2.0]), intercept=1.0, feature_names=("x",), target_name="y",
    ...           feature_min=np.array([0.0]), feature_max=np.array([10.0]))
    >>> m.predict(np.array([[3.0]])), m.outside_range(np.array([[12.0], [5.0]]))
    (array([7.]), array([ True, False]))
    >>> m.outside_range(np.array([[12.0]]), per_feature=True)
    array([[ True]])
    """

    coef: np.ndarray
    intercept: float
    feature_names: tuple[str, ...]
    target_name: str
    feature_min: np.ndarray | None = None
    feature_max: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)  # scaling, training settings, losses, versions

    @property
    def n_features(self) -> int:
        """The number of features the model takes."""
        return int(self.coef.shape[0])

    def predict(self, X: Any) -> np.ndarray:
        """Predictions in original units: ``X @ coef + intercept``.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features); with a :attr:`design`, the table's columns
            instead (a DataFrame, a mapping column -> values, or rows of ``design.inputs``)

        Returns
        -------
        pandas Series with the frame's index (a DataFrame in), else ndarray of shape (n_samples,)

        Raises
        ------
        DataError (a ValueError)
            When X is not 2-D with ``n_features`` columns, or a column the model reads is missing (named).
        """
        from slopefit.data.prediction import predict_rows

        return predict_rows(X, self.coef, self.intercept, design=self.design, feature_names=self.feature_names,
                            target_name=self.target_name)

    @property
    def design(self):
        """How the features are built from a table's columns (:class:`slopefit.data.design.Design`: the
        levels of text columns, a formula), or None when they are the table's numeric columns. With
        a design, :meth:`predict`, :meth:`interval` and :meth:`outside_range` take the table's own
        columns: a pandas DataFrame, a mapping of column -> values, or rows of one value per
        ``design.inputs`` (text for categories).

        Raises ModelFileError when the file's design record is damaged.
        """
        if self.info.get("design") is None:
            return None
        from slopefit.data.design import Design

        try:
            return Design.from_dict(self.info["design"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelFileError(f"this model file's design (categories, formula) is damaged (field {exc}); "
                                 "refit and save it again (save_model)") from None

    def _rows(self, X: Any) -> np.ndarray:
        from slopefit.data.prediction import feature_rows

        return feature_rows(X, design=self.design, feature_names=self.feature_names)

    def interval(self, X: Any, *, level: float | None = None):
        """``(mean, conf_low, conf_high, pred_low, pred_high)`` for rows X: the confidence interval of
        the mean and the prediction interval of a new observation (see :mod:`slopefit.solve.inference`).

        The bounds are NaN when the fit had no residual degrees of freedom (as many parameters as
        rows); :attr:`interval_reason` then says so in one line.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
            Rows in original units.
        level : float or None, default None
            Confidence level in (0, 1); None uses the level saved with the model; keyword-only.

        Returns
        -------
        slopefit.solve.inference.Interval
            Arrays of shape (n_samples,) named ``mean``, ``conf_low``, ``conf_high``, ``pred_low``,
            ``pred_high``; it unpacks as that 5-tuple.

        Raises
        ------
        ModelFileError
            When the file was saved without the statistics intervals need, or they are damaged.
        ValueError
            When X is not 2-D with ``n_features`` columns.
        """
        return self._interval_model().interval(self._rows(X), self.coef, self.intercept, level=level)

    @property
    def interval_reason(self) -> str | None:
        """Why :meth:`interval` gives NaN bounds, in one line to show the user; None when it does not.

        Raises ModelFileError when the file was saved without the statistics intervals need.
        """
        return self._interval_model().reason

    def _interval_model(self):
        from slopefit.solve.intervals import IntervalModel

        if self.info.get("penalty"):
            raise ModelFileError(f"intervals do not apply to a penalised fit ({self.info['penalty'].get('kind')} "
                                 f"alpha={self.info['penalty'].get('alpha')}): the penalty biases the line; predict "
                                 "without intervals, or refit without the penalty")
        if self.info.get("weights"):
            raise ModelFileError(f"intervals for a weighted fit (weights {self.info['weights']!r}) are not available: "
                                 "a new row's variance depends on its weight; predict without intervals")
        if not isinstance(self.info.get("inference"), dict):
            raise ModelFileError("this model file has no interval information (saved by an older slopefit); "
                                 "refit and save it again (save_model)")
        try:
            return IntervalModel.from_dict(self.info["inference"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"this model file's interval information is damaged (field {exc}); "
                                 "refit and save it again (save_model)") from None

    def outside_range(self, X: Any, *, per_feature: bool = False) -> np.ndarray:
        """Which rows lie outside the training range (extrapolation) in any feature.

        Parameters
        ----------
        X : array-like, shape (n_rows, n_features)
        per_feature : bool, default False
            Give one flag per cell (row, feature) instead of one per row; keyword-only.

        Returns
        -------
        ndarray of bool, shape (n_rows,), or (n_rows, n_features) with ``per_feature``
            All False when the model has no training range.

        Raises
        ------
        ValueError
            When X is not 2-D with ``n_features`` columns.
        """
        X = self._rows(X)
        if self.feature_min is None or self.feature_max is None:
            cells = np.zeros(X.shape, dtype=bool)
        else:
            cells = (X < self.feature_min) | (X > self.feature_max)  # (n_rows, n_features)
        return cells if per_feature else np.asarray(cells.any(axis=1))

    @property
    def relative_gap(self) -> float | None:
        """The relative gap ``(loss - loss*) / loss*`` of the run the model was saved from, as
        :attr:`slopefit.train.results.FitResult.relative_gap` has it; None where the file does not say
        (no losses kept) or the optimum is not least squares' (a penalised fit).

        Examples
        --------
        >>> m = Model(coef=np.array([2.0]), intercept=1.0, feature_names=("x",), target_name="y",
        ...           info={"final_loss": 4.5, "exact_loss": 4.0, "r2": 0.5})
        >>> m.relative_gap
        0.125
        """
        from slopefit.train.convergence import relative_gap

        final, star, r2 = (self.info.get(k) for k in ("final_loss", "exact_loss", "r2"))
        if self.info.get("penalty") is not None or not isinstance(final, (int, float)) \
                or not isinstance(star, (int, float)):
            return None
        baseline = final / (1.0 - r2) if isinstance(r2, (int, float)) and r2 < 1.0 else 0.0  # the constant's loss
        return float(relative_gap(float(final), float(star), baseline))


def model_from_result(result) -> Model:
    """The :class:`Model` of a :class:`slopefit.train.results.FitResult` (or any object with its fields).

    Parameters
    ----------
    result : FitResult
        A finished fit; with ``stats`` its summary is kept for intervals.

    Returns
    -------
    Model
    """
    from slopefit.version import __version__

    info = {
        "scaling": result.scaler.to_dict(),
        "training": result.config.to_dict(),
        "epochs_run": int(result.epochs_run),
        "initial_loss": result.initial_loss,
        "final_loss": result.final_loss,
        "exact_loss": result.exact.loss,
        "exact_coef": result.exact.coef.tolist(),
        "exact_intercept": result.exact.intercept,
        "r2": result.r2,
        "rows_used": int(result.n_samples),
        "rows_dropped": int(getattr(result, "rows_dropped", 0)),
        "weights": getattr(result, "weights_name", None),
        "penalty": result.config.penalty.to_dict() if result.config.penalty is not None else None,
        "slopefit_version": __version__,
    }
    if getattr(result, "stats", None) is not None and info["penalty"] is None and info["weights"] is None:
        info["inference"] = result.summary().to_dict()
    if getattr(result, "design", None) is not None:
        info["design"] = result.design.to_dict()  # the levels and the formula: new rows get the same columns
    return Model(coef=np.asarray(result.coef, dtype=np.float64), intercept=float(result.intercept),
                 feature_names=tuple(result.feature_names), target_name=result.target_name,
                 feature_min=np.asarray(result.feature_min), feature_max=np.asarray(result.feature_max),
                 info=info)


def save_model(model: Model, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` as JSON to ``path`` atomically (a failure leaves no half-written file).

    NaN and infinite numbers are written as JSON null.

    Parameters
    ----------
    model : Model
        The model to save.
    path : str or os.PathLike
        The file to write (overwritten if it exists).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        When ``path`` cannot be written.

    Examples
    --------
    >>> save_model(model_from_result(result), "model.json")  # doctest: +SKIP
    """
    payload = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "slopefit_version": model.info.get("slopefit_version"),
        "feature_names": list(model.feature_names),
        "target_name": model.target_name,
        "coef": model.coef.tolist(),
        "intercept": model.intercept,
        "feature_min": None if model.feature_min is None else model.feature_min.tolist(),
        "feature_max": None if model.feature_max is None else model.feature_max.tolist(),
        **{k: v for k, v in model.info.items() if k != "slopefit_version"},
    }
    text = json.dumps(_finite(payload), indent=2, ensure_ascii=False) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _finite(value):
    """JSON has no NaN/inf: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def load_model(path: str | os.PathLike[str]) -> Model:
    """Read a model file written by :func:`save_model`.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.

    Returns
    -------
    Model
        Fields not of the line itself land in ``info``.

    Raises
    ------
    ModelFileError
        Missing/unreadable file, not a regular file, too large, not JSON, not a slopefit model,
        another format version, or a field that fails the schema (:mod:`slopefit.views.modelschema`:
        a number not finite or of the wrong type, lengths that do not match the feature names).
    """
    from slopefit.views.modelschema import validate

    p = Path(path)
    label = repr(str(p))
    data = _decode(_read_bounded(p), label)
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{label} is not a slopefit model (no \"format\": \"{FORMAT_NAME}\"); "
                             "create one with save_model(model, \"MODEL.json\")", key="err.not_model",
                             values={"label": label, "format": FORMAT_NAME})
    version = data.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:  # true == 1 in Python: not a version
        raise ModelFileError(f"{label} has model format version {excerpt_of(version)}, but this slopefit reads "
                             f"version {FORMAT_VERSION}; refit and save it again (save_model), or use the "
                             f"slopefit version that wrote it ({excerpt_of(data.get('slopefit_version'))})",
                             key="err.model_version", values={"label": label, "version": excerpt_of(version),
                                                              "ours": FORMAT_VERSION,
                                                              "writer": excerpt_of(data.get("slopefit_version"))})
    checked = validate(data, label)
    coef = np.asarray(checked.coef, dtype=np.float64)
    intercept = float(checked.intercept)
    names, target = tuple(checked.feature_names), checked.target_name
    bounds = [None if v is None else np.asarray(v, dtype=np.float64)
              for v in (checked.feature_min, checked.feature_max)]
    known = {"format", "format_version", "coef", "intercept", "feature_names", "target_name",
             "feature_min", "feature_max"}
    info = {k: v for k, v in data.items() if k not in known}
    return Model(coef=coef, intercept=intercept, feature_names=names, target_name=target,
                 feature_min=bounds[0], feature_max=bounds[1], info=info)


def excerpt_of(value: Any) -> str:
    """A short repr of ``value`` for a message (:func:`slopefit.views.modelschema.excerpt`)."""
    from slopefit.views.modelschema import excerpt

    return excerpt(value)


def _read_bounded(p: Path) -> bytes:
    """The bytes of a model file: a regular file, at most :data:`MAX_BYTES`, read no further than its size."""
    import stat

    from slopefit.views.modelschema import MAX_BYTES

    try:
        if not stat.S_ISREG(os.stat(p).st_mode):  # before open: opening a FIFO blocks until a writer comes
            raise ModelFileError(f"model file {str(p)!r} is not a regular file (a device, a pipe or a socket); "
                                 "give a file written by save_model")
        with open(p, "rb", buffering=0) as fh:
            info = os.fstat(fh.fileno())
            if info.st_size > MAX_BYTES:
                raise ModelFileError(f"model file {str(p)!r} is {info.st_size / (1 << 20):.0f} MiB, more than a "
                                     f"model file can be ({MAX_BYTES >> 20} MiB); give a file written by save_model")
            return fh.read(info.st_size)
    except FileNotFoundError:
        raise ModelFileError(f"model file {str(p)!r} does not exist; create one with "
                             "save_model(model, \"MODEL.json\")", key="err.no_model", values={"path": str(p)}) from None
    except OSError as exc:
        raise ModelFileError(f"cannot read model file {str(p)!r}: {exc.strerror or type(exc).__name__}") from None


def _decode(raw: bytes, label: str) -> Any:
    """JSON bytes -> Python values, or ModelFileError (not JSON, not UTF-8, nested too deeply)."""
    import msgspec

    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise ModelFileError(f"{label} is not a slopefit model: not valid JSON ({str(exc)[:80]}); "
                             "create one with save_model(model, \"MODEL.json\")", key="err.model_json",
                             values={"label": label, "why": str(exc)[:80]}) from None
    except RecursionError:
        raise ModelFileError(f"{label} is not a slopefit model: its JSON is nested too deeply; "
                             "create one with save_model(model, \"MODEL.json\")") from None
