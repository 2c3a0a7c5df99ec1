"""The functional API a notebook starts from: ``slopefit.fit(data, y=..., ...)`` and its :class:`Result`.

One way in, in every habit: a pandas DataFrame with ``y=`` (and ``x=``) or a ``formula``, a path, a
built-in name, a :class:`slopefit.data.datasets.Dataset`, or arrays ``fit(X, y)``; the settings of
:class:`slopefit.train.config.TrainConfig` as keywords (``lr=``, ``optimizer=``, ``epochs=``) and
optimizer options too (``momentum=0.9``).

The :class:`Result` is a :class:`slopefit.train.results.FitResult` (gradient descent's ``coef`` and
``intercept``) with statsmodels' names for the exact least-squares inference (``params``, ``bse``,
``conf_int()``, ``get_prediction()``: intercept first, named ``Intercept``) and figures as objects
(:meth:`Result.plot`). It sits on the top floor: it reads the plots of ``views/``, which
``train/results.py`` may not import.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from slopefit.data.datasets import Dataset
from slopefit.data.tables import TableSource
from slopefit.errors import DataNote
from slopefit.train.config import TrainConfig
from slopefit.train.results import FitResult, Progress
from slopefit.views.frames import Prediction, prediction_frame, statsmodels_names

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# keywords that say how a file or a table is read, not how it is fitted
READING = ("missing", "sep", "decimal", "encoding", "thousands", "stream", "chunk_rows", "weights")
PLOT_KINDS = ("loss", "gap", "fit", "residuals", "qq", "leverage")


def fit(data: pd.DataFrame | str | os.PathLike[str] | Dataset | TableSource | np.ndarray | Sequence[Sequence[float]],
        y: str | pd.Series | np.ndarray | Sequence[float] | None = None,
        x: str | Sequence[str] | None = None,
        formula: str | None = None,
        config: TrainConfig | None = None,
        *,
        callback: Callable[[Progress], None] | None = None,
        **config_fields: Any) -> Result:
    """Fit a line by gradient descent and set it beside the exact least-squares answer.

    Parameters
    ----------
    data : pandas DataFrame, path (CSV/Parquet), built-in name, Dataset, TableSource, or a 2-D array X
        The table. A DataFrame needs its target named (``y=`` or ``formula=``); a built-in data set
        keeps its known target; with an array, ``y`` holds the target values.
    y : str, or array-like of target values, default None
        The target column of ``data`` (a name), or the target itself when ``data`` is an array or a
        DataFrame of features (``fit(X, y)``, scikit-learn's habit). A string with ``~`` is a formula.
    x : str or sequence of str, default None
        The feature columns (default: every column but the target).
    formula : str, default None
        ``"invest ~ np.log(value) + capital + C(firm)"`` (formulaic's Wilkinson notation), instead of x/y;
        with ``y=`` it may be the right side alone (``y="invest", formula="np.log(value) + C(firm)"``).
    config : TrainConfig, default None
        The run's settings; keywords below override its fields.
    callback : callable, optional
        Called with a :class:`slopefit.train.results.Progress` at each recorded epoch; keyword-only.
    **config_fields
        Fields of :class:`TrainConfig` (``lr=0.01``, ``optimizer="adam"``, ``epochs=500``, ...), optimizer
        options (``momentum=0.9``, ``betas=(0.9, 0.99)``), and how to read the table: ``missing="drop"``,
        ``sep=``, ``decimal=``, ``encoding=``, ``thousands=``; for a file, ``stream=True`` (read in chunks,
        bounded memory), ``chunk_rows=`` and ``weights=`` (a column of sample weights).

    Returns
    -------
    Result

    Raises
    ------
    DataError, ConfigError, DivergenceError (all ValueError)
        A bad column or cell, a setting out of range, a run that blew up: one line naming the fix.
    TypeError
        ``data`` of a kind not listed above.

    Warns
    -----
    ConvergenceWarning
        When gradient descent stopped above the exact optimum (relative gap > 1e-6).

    Examples
    --------
    >>> import slopefit as sf
    >>> r = sf.fit("height-weight")
    >>> r.params.round(4).to_dict()
    {'Intercept': -245.9379, 'height': 1.8207}
    """
    if isinstance(y, TrainConfig) and config is None:  # fit(data, config): the signature before y=
        y, config = None, y
    reading = {k: config_fields.pop(k) for k in READING if k in config_fields}
    config = _config(config, config_fields)
    if isinstance(y, str) and "~" in y and formula is None:  # fit(df, "y ~ x"): statsmodels' order
        y, formula = None, y
    if isinstance(y, str) and isinstance(formula, str):  # y="salary", formula="rank + sex" (or "~ rank + sex")
        left, tilde, right = formula.partition("~")
        if not tilde or not left.strip():  # only the right side: y is its target
            y, formula = None, f"{y} ~ {(right if tilde else left).strip()}"
    x = [x] if isinstance(x, str) else x
    dataset, index = _dataset(data, y=y, x=x, formula=formula, reading=reading)
    for note in getattr(dataset, "notes", ()):  # R's row names left out, percent cells read as fractions
        warnings.warn(str(note), DataNote, stacklevel=2)
    from slopefit.train.training import fit as train

    result = as_result(train(dataset, config, callback=callback), dataset, index)
    if not result.converged:
        from slopefit.train.messages import convergence_message

        warnings.warn(convergence_message(result), convergence_warning(), stacklevel=2)
    return result


def convergence_warning() -> type[Warning]:
    """:class:`slopefit.errors.ConvergenceWarning` (scikit-learn's subclass when it is installed)."""
    from slopefit.errors import convergence_warning as made

    return made()


def _config(config: TrainConfig | None, given: dict[str, Any]) -> TrainConfig:
    config = config or TrainConfig()
    names = {f.name for f in fields(TrainConfig)}
    settings = {k: v for k, v in given.items() if k in names}
    options = {k: v for k, v in given.items() if k not in names}  # momentum=, betas=: the optimizer's own
    if options:
        settings["options"] = {**dict(settings.get("options", config.options)), **options}
    return replace(config, **settings) if settings else config


def _dataset(data: Any, *, y: Any, x: Sequence[str] | None, formula: str | None,
             reading: dict[str, Any]) -> tuple[Dataset | TableSource, Any]:
    """The rows to fit and, for a DataFrame, the index of the rows used (None otherwise)."""
    from slopefit.data.sources import load_dataset

    if isinstance(data, (Dataset, TableSource)):
        if y is not None or x is not None or formula is not None:
            raise TypeError("a Dataset already names its features and target; fit it without y=, x= or formula=")
        return data, None
    if _is_frame(data):
        if y is not None and not isinstance(y, str):  # fit(X_frame, y_values)
            data, y = _joined(data, y), _target_name(y, data)
        if y is None and formula is None:
            from slopefit.errors import DataError

            columns = ", ".join(map(str, data.columns))
            raise DataError(f"which column is the target? name it with y= (one of {columns}), "
                            "or give formula='target ~ a + b'")
        frame = data
        dataset = load_dataset(frame, x=x, y=y, formula=formula, **reading)
        return dataset, _rows_used(frame, dataset, x=x, y=y, formula=formula)
    if isinstance(data, (str, os.PathLike)):
        if {"stream", "chunk_rows", "weights"} & set(reading):  # read in chunks, or with a weight column
            from slopefit.solve.preparation import open_data

            return open_data(data, x=list(x) if x is not None else None, y=y, formula=formula, **reading), None
        return load_dataset(data, x=x, y=y, formula=formula, **reading), None
    if y is None or isinstance(y, str):
        raise TypeError(f"fit takes a pandas DataFrame, a path, a built-in name, a Dataset or arrays (X, y); got "
                        f"{type(data).__name__} without target values: give them as fit(X, y)")
    X = np.asarray(data, dtype=np.float64)
    X = X[:, None] if X.ndim == 1 else X
    names = tuple(x) if x is not None else tuple(f"x{j}" for j in range(X.shape[1] if X.ndim == 2 else 0))
    return Dataset(X=X, y=np.asarray(y, dtype=np.float64), feature_names=names,
                   target_name=_target_name(y, None), name="arrays"), None


def _is_frame(data: Any) -> bool:
    return hasattr(data, "columns") and hasattr(data, "iloc")


def _target_name(y: Any, frame: Any) -> str:
    name = getattr(y, "name", None)
    name = str(name) if name is not None else "y"
    return name if frame is None or name not in frame.columns else f"{name}_target"


def _joined(frame, y):
    import pandas as pd

    values = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if len(values) != len(frame):
        from slopefit.errors import DataError

        raise DataError(f"y has {len(values)} values but the DataFrame has {len(frame)} rows; give one target "
                        "value per row")
    return pd.concat([frame.reset_index(drop=True), pd.Series(values, name=_target_name(y, frame))], axis=1
                     ).set_axis(frame.index)


def _rows_used(frame, dataset, *, x, y, formula):
    """The DataFrame's index of the rows fitted on (rows with empty cells dropped with missing="drop")."""
    if dataset.dropped_rows == 0:
        return frame.index
    design = dataset.design
    used = list(design.inputs) + ([] if formula is not None else [design.target])
    return frame.index[frame[used].notna().all(axis=1).to_numpy()]


def as_result(result: FitResult, data: Any = None, index: Any = None) -> Result:
    """The :class:`Result` of a :class:`FitResult` (the same fields), remembering the rows it was fitted on."""
    values = {f.name: getattr(result, f.name) for f in fields(FitResult)}
    made = Result(**values)
    object.__setattr__(made, "_data", data if isinstance(data, Dataset) else None)
    object.__setattr__(made, "_index", index)
    return made


@dataclass(frozen=True, repr=False)
class Result(FitResult):
    """A fit as a data scientist reads it: :class:`FitResult` plus statsmodels' names.

    Gradient descent's line is ``coef``/``intercept`` (and :meth:`predict`); the inference is at the
    exact least-squares optimum (statsmodels' numbers), intercept first and named ``Intercept``:
    ``params``, ``bse``, ``tvalues``, ``pvalues``, ``conf_int(alpha)``, ``cov_params()``, ``rsquared``,
    ``rsquared_adj``, ``fvalue``, ``f_pvalue``, ``nobs``, ``df_resid``, ``df_model``, ``fittedvalues``,
    ``resid``, ``get_prediction(rows).summary_frame(alpha)``; :meth:`plot` draws a figure.
    """

    def _ols(self):
        return self.summary()

    def _series(self, values: np.ndarray):
        import pandas as pd

        summary = self._ols()
        order, names = statsmodels_names(summary.names)
        return pd.Series(np.asarray(values)[order], index=names)

    @property
    def params(self) -> pd.Series:
        """The exact least-squares coefficients, ``Intercept`` first (gradient descent's: ``coef``, ``intercept``)."""
        return self._series(self._ols().coef)

    @property
    def bse(self) -> pd.Series:
        """Standard errors of :attr:`params`."""
        return self._series(self._ols().std_err)

    @property
    def tvalues(self) -> pd.Series:
        """t statistics of :attr:`params`."""
        return self._series(self._ols().t)

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of :attr:`tvalues`."""
        return self._series(self._ols().p_value)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals of :attr:`params` at level ``1 - alpha``: columns 0 (lower) and 1 (upper)."""
        import pandas as pd

        summary = self.summary(level=1.0 - _alpha(alpha))
        order, names = statsmodels_names(summary.names)
        return pd.DataFrame({0: summary.ci_low[order], 1: summary.ci_high[order]}, index=names)

    def cov_params(self) -> pd.DataFrame:
        """The covariance matrix of :attr:`params` (classical, ``sigma² (XᵀX)⁻¹``)."""
        import pandas as pd

        summary = self._ols()
        order, names = statsmodels_names(summary.names)
        cov = summary.cov_params()[np.ix_(order, order)]
        return pd.DataFrame(cov, index=names, columns=names)

    rsquared = property(lambda self: self._ols().r2, doc="R² of the least-squares line (uncentered without intercept).")
    rsquared_adj = property(lambda self: self._ols().adj_r2, doc="Adjusted R².")
    fvalue = property(lambda self: self._ols().f_stat, doc="F statistic that every slope is zero.")
    f_pvalue = property(lambda self: self._ols().f_p_value, doc="p-value of :attr:`fvalue`.")
    nobs = property(lambda self: float(self.n_samples), doc="Rows fitted on (a float, as statsmodels gives it).")
    df_resid = property(lambda self: float(self._ols().dof_resid), doc="Residual degrees of freedom.")
    df_model = property(lambda self: float(self._ols().dof_model), doc="Model degrees of freedom (features).")
    scale = property(lambda self: self._ols().sigma ** 2, doc="Residual variance ``rss / df_resid``.")

    @property
    def fittedvalues(self) -> pd.Series:
        """The least-squares line at the rows fitted on, with the DataFrame's index."""
        import pandas as pd

        X = self._fitted_rows().X
        ols = self.ols or self.exact
        return pd.Series(X @ ols.coef + ols.intercept, index=self._row_index(len(X)), name=self.target_name)

    @property
    def resid(self) -> pd.Series:
        """``y - fittedvalues`` at the rows fitted on."""
        return self._fitted_rows().y - self.fittedvalues

    def _fitted_rows(self) -> Dataset:
        data = getattr(self, "_data", None)
        if data is None:
            raise ValueError("this result does not hold its rows (fitted on a file read in chunks); "
                             "use predict() on the rows instead")
        return data

    def _row_index(self, n: int):
        import pandas as pd

        index = getattr(self, "_index", None)
        return index if index is not None and len(index) == n else pd.RangeIndex(n)

    def get_prediction(self, exog: Any) -> Prediction:
        """Predictions of the least-squares line at new rows with their standard errors and intervals.

        Parameters
        ----------
        exog : the new rows, as :meth:`predict` takes them (a DataFrame of the table's columns)

        Returns
        -------
        Prediction
            ``predicted_mean``, ``se_mean``, ``se_obs`` and ``summary_frame(alpha=0.05)``: statsmodels'
            columns ``mean, mean_se, mean_ci_lower, mean_ci_upper, obs_ci_lower, obs_ci_upper``.
        """
        from slopefit.data.prediction import feature_rows

        if self.weights_name:
            raise ValueError(f"prediction intervals of a weighted fit (weights {self.weights_name!r}) need each new "
                             "row's weight, which is not available here; use predict()")
        rows = feature_rows(exog, design=self.design, feature_names=self.feature_names)
        index = exog.index if _is_frame(exog) else None
        return prediction_frame(self._ols(), rows, self.ols or self.exact, index=index)

    def plot(self, kind: str = "loss", ax: Axes | None = None, *, path: str | os.PathLike[str] | None = None,
             lang: str = "en") -> Figure | Axes:
        """Draw one figure of this fit: a matplotlib Figure to show or customise (Axes when ``ax`` is given).

        Parameters
        ----------
        kind : "loss" | "gap" | "fit" | "residuals" | "qq" | "leverage", default "loss"
        ax : matplotlib Axes, optional, where to draw (then it is returned)
        path : path, optional, also save the figure there as PNG; keyword-only
        lang : "en" | "ko", the labels' language; keyword-only
        """
        from slopefit.views.figures import draw_figure

        if kind not in PLOT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(PLOT_KINDS)}, got kind={kind!r}")
        return draw_figure(kind, self, self._fitted_rows(), ax=ax, path=path, lang=lang)

    def __repr__(self) -> str:
        state = "converged" if self.converged else f"NOT converged (relative gap {self.relative_gap:.2g})"
        return (f"<slopefit Result: {self.target_name} ~ {_short(self.feature_names)}; {self.n_samples} rows; "
                f"{self.config.describe()}; {self.epochs_run} epochs, {state}; R² {self.r2:.4f}>")

    def _repr_html_(self) -> str:
        from html import escape

        html = super()._repr_html_()
        if self.converged:
            return html
        warning = f"<p><strong>Not converged.</strong> {escape(_advice(self))}</p>"
        return warning + html


def _alpha(alpha: float) -> float:
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise ValueError(f"alpha must be in (0, 1), got alpha={alpha!r}; alpha=0.05 gives 95% intervals")
    return float(alpha)


def _short(names: Sequence[str], limit: int = 4) -> str:
    shown = " + ".join(names[:limit])
    return shown + (f" + ... ({len(names)} features)" if len(names) > limit else "")


def _advice(result: FitResult) -> str:
    from slopefit.train.messages import convergence_message

    return convergence_message(result)
