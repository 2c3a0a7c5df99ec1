"""What a run gives back: the loss :class:`History`, :class:`Progress` events and :class:`FitResult`.

Values only: the loop in :mod:`slopefit.train.loop` fills them, views read them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slopefit.solve.exact import ExactSolution
from slopefit.solve.scaling import Scaler
from slopefit.solve.stats import SufficientStats
from slopefit.train.config import TrainConfig
from slopefit.train.convergence import is_converged, relative_gap


@dataclass(frozen=True)
class History:
    """Loss recorded during training: ``losses[i]`` is the MSE after ``epochs[i]`` updates/epochs.

    Attributes
    ----------
    epochs : tuple of int
        The epochs at which the loss was recorded, increasing (0 is the start).
    losses : tuple of float
        The MSE at each of those epochs (scaled units), same length as ``epochs``.
    params : tuple of tuple of float, default ()
        ``(W..., B)`` in scaled units at each recorded epoch when ``record_params`` was set, else empty.

    Examples
    --------
    >>> h = History(epochs=(0, 10), losses=(4.0, 1.0))
    >>> h.loss_at(10), h.as_array().shape
    (1.0, (2, 2))
    """

    epochs: tuple[int, ...]
    losses: tuple[float, ...]
    params: tuple[tuple[float, ...], ...] = ()  # (W..., B) in scaled units per record, with record_params

    def as_array(self) -> np.ndarray:
        """The lesson's ``hist``: an array of shape (n_records, 2) with columns epoch, loss."""
        return np.column_stack([np.array(self.epochs, dtype=np.float64), np.array(self.losses)])

    def loss_at(self, epoch: int) -> float:
        """The loss recorded at ``epoch``.

        Parameters
        ----------
        epoch : int
            One of :attr:`epochs`.

        Returns
        -------
        float

        Raises
        ------
        ValueError
            When no loss was recorded at ``epoch`` (from ``tuple.index``).
        """
        return self.losses[self.epochs.index(epoch)]


@dataclass(frozen=True)
class Progress:
    """What the loop reports to a callback at each recorded epoch.

    Attributes
    ----------
    epoch : int
        The epoch just recorded, >= 0.
    epochs : int
        The epochs the run may take in all (its budget).
    loss : float
        The loss at ``epoch``.
    params : tuple of float or None, default None
        ``(W..., B)`` in scaled units at ``epoch`` when the run records its parameters
        (``record_params``), else None: what a live view draws the line and the path from.
    """

    epoch: int
    epochs: int
    loss: float
    params: tuple[float, ...] | None = None


@dataclass(frozen=True)
class FitResult:
    """The outcome of :func:`slopefit.train.training.fit`, in the data's own units, next to the exact optimum.

    Attributes
    ----------
    coef : ndarray (n_features,), intercept : float
        The fitted line in original units.
    coef_scaled : ndarray (n_features,), intercept_scaled : float
        The same parameters as the optimizer saw them (scaled space).
    scaler : Scaler
    history : History
    config : TrainConfig
        The settings that ran: an automatic run's chosen lr, momentum, epochs and dtype filled in.
    epochs_run : int
        Updates (full batch) or passes (minibatch) actually made; fewer than ``config.budget``
        when a stopping rule ended the run.
    stop_reason : "epochs" | "tol" | "gap" | "converged"
        All epochs run; the loss changed by at most ``tol``; within ``stop_gap``; every
        coefficient within :data:`slopefit.train.config.AUTO_RTOL` of the optimum (automatic runs).
    final_loss : float
        MSE of the final parameters on the whole data, float64, original units.
    exact : ExactSolution, the least-squares optimum (its loss from its residuals)
    seconds : float, wall time of the training loop
    lr_bound : float
        2 / lambda_max of the Hessian on the scaled data: the full-batch SGD stability bound.
    feature_names : tuple of str, target_name : str
    baseline_loss : float
        The loss of the constant model: the target's variance (with an intercept) or its mean
        square (without); gaps are judged against it when the data fit a line exactly.
    feature_min, feature_max : ndarray (n_features,), the training range of each feature
    engine : "stats" | "data", the engine that ran
    n_samples : int, rows in the data
    stats : SufficientStats, the one-pass statistics of the data (for :meth:`summary`)
    auto : str or None, what an automatic run chose and why (one line), None when lr was given
    seconds_stats, seconds_exact : float, wall time of the statistics pass and of the exact solve
    rows_dropped : int, rows with empty cells left out (``missing="drop"``; 0 otherwise)
    rows : callable () -> iterable of (X, y), or None: the rows fitted on, for :meth:`summary`'s
        robust covariance (one more pass over a file read in chunks); left out of equality and repr
    weights_name : str or None, the column of sample weights (weighted least squares), None unweighted

    With ``config.penalty`` the losses (``final_loss``, ``exact.loss``, the history) are the penalised
    objective :meth:`loss_label` names, ``exact`` is its exact minimiser, and :meth:`summary` (the
    OLS inference) does not apply. With weights, the MSE is the weighted one.
    design : slopefit.data.design.Design or None, how the features were built from a table's columns
        (categories, a formula); in :meth:`to_dict` as ``design`` (None without one)

    :meth:`to_dict` gives what ``slopefit fit`` prints as JSON-ready values; in a notebook a
    result shows as an HTML table of the line next to the exact one.
    """

    coef: np.ndarray
    intercept: float
    coef_scaled: np.ndarray
    intercept_scaled: float
    scaler: Scaler
    history: History
    config: TrainConfig
    epochs_run: int
    stop_reason: str
    final_loss: float
    exact: ExactSolution
    seconds: float
    lr_bound: float
    feature_names: tuple[str, ...]
    target_name: str
    baseline_loss: float
    feature_min: np.ndarray
    feature_max: np.ndarray
    engine: str = "stats"
    n_samples: int = 0
    stats: SufficientStats | None = None
    auto: str | None = None
    seconds_stats: float = 0.0
    seconds_exact: float = 0.0
    rows_dropped: int = 0
    # () -> iterable of (X, y): the rows, for the residual pass of a robust summary; not compared or shown
    rows: Callable[[], Iterable[tuple[Any, Any]]] | None = field(default=None, compare=False, repr=False)
    design: Any = field(default=None, compare=False, repr=False)  # slopefit.data.design.Design of a table's columns
    weights_name: str | None = None
    objective: str = "least squares"  # what ``exact`` is the optimum of (slopefit.train.plan.Plan.objective)
    ols: ExactSolution | None = field(default=None, compare=False, repr=False)  # least squares, when exact is not

    @property
    def weight_decay(self) -> float:
        """torch's coupled ``weight_decay`` the run minimised with (0.0 when none; adamw's is decoupled)."""
        from slopefit.solve.decay import decay_of

        return decay_of(self.config.optimizer, self.config.options)

    @property
    def condition(self) -> float | None:
        """``λmax/λmin`` of the Hessian the run stepped on (scaled units); None without statistics."""
        if self.stats is None:
            return None
        from slopefit.solve.penalties import condition

        return condition(self.stats, self.scaler, self.config.penalty, fit_intercept=self.config.fit_intercept)

    @property
    def penalty_value(self) -> float:
        """What the penalty (or weight decay, ``wd/2 |theta|^2`` in scaled units) adds to the MSE at the
        fitted coefficients (0 without either)."""
        penalty = self.config.penalty
        if penalty is None:
            decay = self.weight_decay
            if not decay:
                return 0.0
            theta = np.append(self.coef_scaled, self.intercept_scaled) if self.config.fit_intercept \
                else np.asarray(self.coef_scaled)
            return 0.5 * decay * float(theta @ theta)
        total = self.stats.total if self.stats is not None else float(self.n_samples)
        return penalty.value(self.coef, total)

    def exact_label(self, lang: str = "en") -> str:
        """What the exact column is: ``"exact (least squares)"``, ``"exact (weighted least squares)"``,
        ``"exact (Lasso optimum)"`` (scikit-learn's estimator of the penalty); ``lang`` "en" or "ko"."""
        from slopefit.texts import text

        penalty = self.config.penalty
        weighted = "weighted" if self.weights_name else "plain"
        if penalty is None and self.weight_decay:
            return text(f"label.exact.decay.{weighted}", lang, decay=f"{self.weight_decay:g}")
        if penalty is None:
            return text(f"label.exact.{weighted}", lang)
        name = {"ridge": "Ridge", "lasso": "Lasso", "elasticnet": "ElasticNet"}[penalty.kind]
        return text(f"label.exact.penalty.{weighted}", lang, name=name)

    def loss_label(self, lang: str = "en") -> str:
        """What the losses are: ``"loss (MSE)"``, ``"loss (weighted MSE)"``, or the penalised objective
        (``"objective (MSE + 2α‖w‖₁)"``, N being the rows or the sum of the weights); ``lang`` "en" or "ko"."""
        from slopefit.texts import text

        mse = text("label.mse.weighted" if self.weights_name else "label.mse", lang)
        penalty = self.config.penalty
        if penalty is None and self.weight_decay:
            return text("label.objective.decay", lang, mse=mse, decay=f"{self.weight_decay:g}")
        if penalty is None:
            return text("label.loss", lang, mse=mse)
        return text("label.objective", lang, objective=penalty.objective().replace("MSE", mse))

    @property
    def initial_loss(self) -> float:
        """The first recorded loss: the loss at the starting parameters (scaled units)."""
        return self.history.losses[0]

    @property
    def loss_gap(self) -> float:
        """``loss - loss*``: how far above the exact optimum gradient descent stopped."""
        return self.final_loss - self.exact.loss

    @property
    def relative_gap(self) -> float:
        """``(loss - loss*) / loss*``; when the data fit a line exactly (loss* ~ 0), relative to
        the variance of the target (the loss of always predicting the mean) instead."""
        return float(relative_gap(self.final_loss, self.exact.loss, self.baseline_loss))

    @property
    def converged(self) -> bool:
        """Whether the relative gap is within :data:`slopefit.train.convergence.CONVERGED_GAP`."""
        return is_converged(self.relative_gap)

    @property
    def param_distance(self) -> float:
        """``||theta - theta*||`` over coefficients and intercept, original units."""
        diff = np.append(self.coef - self.exact.coef, self.intercept - self.exact.intercept)
        return float(np.linalg.norm(diff))

    @property
    def r2(self) -> float:
        """Coefficient of determination of the fitted line on the training data (weighted with weights)."""
        mse = self.final_loss - self.penalty_value
        return 1.0 - mse / self.baseline_loss if self.baseline_loss > 0 else float("nan")

    def predict(self, X: Any) -> Any:
        """Predictions in original units for new rows of the table the line was fitted on.

        With a :attr:`design` (a DataFrame or file fitted with categories or a formula) the rows
        are the table's own columns and go through the design as :meth:`slopefit.views.persistence.Model.predict`
        does (one path: :func:`slopefit.data.prediction.predict_rows`): the formula's transforms
        and the categories are applied. Without one they are the features, by name or in order.

        Parameters
        ----------
        X : pandas DataFrame, mapping of column -> values, or array-like of shape (n_samples, n_inputs)

        Returns
        -------
        pandas Series with the frame's index (a DataFrame in), else ndarray of shape (n_samples,)

        Raises
        ------
        DataError (a ValueError)
            A missing column or a row of the wrong width (named), an empty cell, an unseen level.
        """
        from slopefit.data.prediction import predict_rows

        return predict_rows(X, self.coef, self.intercept, design=self.design, feature_names=self.feature_names,
                            target_name=self.target_name)

    def predict_matrix(self, X: np.ndarray) -> np.ndarray:
        """``X @ coef + intercept`` for rows of the design matrix itself (``Dataset.X``), original units."""
        return np.asarray(X, dtype=np.float64) @ self.coef + self.intercept

    def summary(self, *, level: float = 0.95, cov_type: str = "nonrobust"):
        """The least-squares summary (standard errors, t, p, intervals, R², F), statsmodels'
        numbers: computed at the exact optimum, whatever gradient descent reached, with the
        residual sum of squares of the optimum's own residuals.

        The gradient-descent line differs from it by :attr:`param_distance`.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the intervals, in (0, 1); keyword-only.
        cov_type : "nonrobust" (default), "HC0", "HC1", "HC2" or "HC3"
            Classical standard errors, or statsmodels' heteroskedasticity-robust ones
            (``OLS.fit(cov_type=...)``: z statistics, normal p-values and intervals, robust Wald F),
            from one residual pass over :attr:`rows`; keyword-only.

        Returns
        -------
        slopefit.solve.inference.Summary

        Raises
        ------
        ValueError
            When this result carries no statistics (``stats`` is None), an unknown ``cov_type``, or a
            robust one without :attr:`rows`.

        Examples
        --------
        >>> from slopefit.data.sources import builtin
        >>> from slopefit.train.training import fit
        >>> s = fit(builtin("height-weight")).summary(cov_type="HC1")
        >>> s.cov_type, round(float(s.std_err[0]), 4)
        ('HC1', 0.3137)
        """
        from slopefit.solve.inference import summarize
        from slopefit.solve.minimum_norm import nonunique_note

        if self.stats is None:
            raise ValueError("this FitResult carries no statistics to summarise")
        if self.config.penalty is not None:
            raise ValueError(penalized_note(self.config.penalty))
        ols = self.ols or self.exact  # the OLS table is at the least-squares optimum, whatever the run minimised
        return summarize(self.stats, ols.coef, ols.intercept, fit_intercept=self.config.fit_intercept,
                         feature_names=self.feature_names, level=level, rss=ols.loss * self.stats.total,
                         cov_type=cov_type, rows=self.rows, nonunique=nonunique_note(ols),
                         rank=ols.rank)

    def to_dict(self, *, cov_type: str = "nonrobust") -> dict[str, Any]:
        """What ``slopefit fit`` prints, as JSON-ready values (``slopefit fit ... --json FILE``).

        NaN and infinite numbers become None (JSON null).

        Parameters
        ----------
        cov_type : str, default "nonrobust"
            The covariance of ``summary`` (see :meth:`summary`); keyword-only.

        Returns
        -------
        dict
            ``coef`` (feature name -> value), ``intercept``, ``exact`` (``coef``, ``intercept``, ``loss``),
            ``target``, ``initial_loss``, ``final_loss``, ``loss_gap``, ``relative_gap``, ``param_distance``,
            ``converged``, ``r2``; the settings that ran: ``optimizer``, ``lr``, ``momentum`` (None when not
            set), ``options``, ``scaling``, ``fit_intercept``, ``batch_size``, ``epochs`` (the budget),
            ``engine``, ``dtype``, ``device``, ``auto`` (what an automatic run chose, else None),
            ``epochs_run``, ``stop_reason``, ``lr_bound``, ``config`` (every setting); ``rows_used``,
            ``rows_dropped`` (rows left out by ``--missing drop``); ``seconds``
            (``stats``, ``exact``, ``descent``); ``summary``, :meth:`slopefit.solve.inference.Summary.report_dict`
            (None without statistics).

        Examples
        --------
        >>> import json
        >>> from slopefit.data.sources import builtin
        >>> from slopefit.train.training import fit
        >>> d = fit(builtin("height-weight")).to_dict()
        >>> sorted(d["coef"]), d["summary"]["names"], d["summary"]["cov_type"]
        (['height'], ['height', 'intercept'], 'nonrobust')
        >>> _ = json.dumps(d, allow_nan=False)
        """
        cfg = self.config
        names = list(self.feature_names)
        payload = {
            "target": self.target_name,
            "coef": dict(zip(names, (float(c) for c in self.coef), strict=True)),
            "intercept": float(self.intercept),
            "exact": {"coef": dict(zip(names, (float(c) for c in self.exact.coef), strict=True)),
                      "intercept": float(self.exact.intercept), "loss": float(self.exact.loss)},
            "initial_loss": float(self.initial_loss),
            "final_loss": float(self.final_loss),
            "loss_gap": float(self.loss_gap),
            "relative_gap": self.relative_gap,
            "param_distance": self.param_distance,
            "converged": bool(self.converged),
            "r2": float(self.r2),
            "optimizer": cfg.optimizer,
            "lr": cfg.lr,
            "momentum": cfg.options.get("momentum"),
            "options": cfg.to_dict()["options"],
            "scaling": cfg.scaling,
            "fit_intercept": cfg.fit_intercept,
            "batch_size": cfg.batch_size,
            "epochs": cfg.epochs,
            "engine": self.engine,
            "dtype": cfg.dtype,
            "device": cfg.device,
            "auto": self.auto,
            "epochs_run": int(self.epochs_run),
            "stop_reason": self.stop_reason,
            "lr_bound": float(self.lr_bound),
            "config": cfg.to_dict(),
            "rows_used": int(self.n_samples),
            "rows_dropped": int(self.rows_dropped),
            "seconds": {"stats": self.seconds_stats, "exact": self.seconds_exact, "descent": self.seconds},
            "summary": (None if self.stats is None or cfg.penalty is not None
                        else self.summary(cov_type=cov_type).report_dict()),
            "penalty": cfg.penalty.to_dict() if cfg.penalty is not None else None,
            "loss_label": self.loss_label(),
            "weights": self.weights_name,
            "design": None if self.design is None else self.design.to_dict(),
        }
        return _json_ready(payload)

    def _repr_html_(self) -> str:
        """The line next to the exact one, as an escaped HTML table for a notebook."""
        from slopefit.texts import html_table

        names = [*self.feature_names, *(["intercept"] if self.config.fit_intercept else [])]
        gd = [*self.coef, *([self.intercept] if self.config.fit_intercept else [])]
        ls = [*self.exact.coef, *([self.exact.intercept] if self.config.fit_intercept else [])]
        rows = [(name, f"{c:.10g}", f"{e:.10g}") for name, c, e in zip(names, gd, ls, strict=True)]
        rows.append((self.loss_label(), f"{self.final_loss:.10g}", f"{self.exact.loss:.10g}"))
        foot = (f"{self.config.describe()}: {self.epochs_run} epochs ({self.stop_reason}), relative gap "
                f"{self.relative_gap:.3g}, R² {self.r2:.6f}")
        return html_table(("", "gradient descent", self.exact_label()), rows,
                          caption=f"slopefit fit: {self.target_name} on {self.n_samples} rows", foot=foot)


def penalized_note(penalty, lang: str = "en") -> str:
    """Why a penalised fit has no OLS summary, in one line (``lang`` "en" or "ko")."""
    from slopefit.texts import text

    return text("note.penalised", lang, penalty=penalty.describe())


def _json_ready(value: Any) -> Any:
    """``value`` with NaN and infinities as None (JSON has neither) and numpy scalars as Python's."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
