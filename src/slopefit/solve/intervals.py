"""Intervals for new rows: the confidence interval of the mean and the prediction interval
of a new observation, from what a fitted summary keeps (:class:`IntervalModel`, also what a
model file stores), and the one line that explains NaN intervals.

For a new row x: ``yhat -+ t sigma sqrt(1/N + (x - xbar)^T Cxx^-1 (x - xbar))`` for the mean,
and the same with ``1 +`` under the root for a new observation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from slopefit.errors import DataError


class Interval(NamedTuple):
    """Predictions for new rows with their two intervals; unpacks as the 5-tuple
    ``(mean, conf_low, conf_high, pred_low, pred_high)``.

    Attributes
    ----------
    mean : ndarray, shape (n_rows,)
        The predicted mean, ``X @ coef + intercept``.
    conf_low, conf_high : ndarray, shape (n_rows,)
        Confidence interval of the mean (NaN without residual degrees of freedom).
    pred_low, pred_high : ndarray, shape (n_rows,)
        Prediction interval of a new observation (NaN without residual degrees of freedom).
    """

    mean: np.ndarray
    conf_low: np.ndarray
    conf_high: np.ndarray
    pred_low: np.ndarray
    pred_high: np.ndarray


@dataclass(frozen=True)
class IntervalModel:
    """The part of a :class:`Summary` a saved model needs for ``predict --interval``.

    Attributes
    ----------
    n : int
        Rows the line was fitted on.
    dof_resid : int
        Residual degrees of freedom (<= 0: no intervals).
    sigma : float
        Residual standard error (NaN without residual degrees of freedom).
    level : float
        The default confidence level, in (0, 1).
    fit_intercept : bool
        Whether the line has an intercept.
    x_mean : ndarray, shape (n_features,)
        The features' means.
    cxx_inv : ndarray, shape (n_features, n_features)
        Inverse of the centered (raw without intercept) cross products of X.
    """

    n: int
    dof_resid: int
    sigma: float
    level: float
    fit_intercept: bool
    x_mean: np.ndarray
    cxx_inv: np.ndarray

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IntervalModel:
        """Read :meth:`Summary.to_dict`'s dict; a JSON null (a NaN when saved) reads back as NaN.

        Parameters
        ----------
        data : dict
            With the keys :meth:`Summary.to_dict` writes.

        Returns
        -------
        IntervalModel

        Raises
        ------
        KeyError, TypeError, ValueError
            When a key is missing or a value has the wrong type.
        """
        return cls(n=int(data["n"]), dof_resid=int(data["dof_resid"]), sigma=_float(data["sigma"]),
                   level=float(data["level"]), fit_intercept=bool(data["fit_intercept"]),
                   x_mean=np.asarray(data["x_mean"], dtype=np.float64),
                   cxx_inv=np.asarray(data["cxx_inv"], dtype=np.float64))

    @property
    def reason(self) -> str | None:
        """Why the intervals are NaN, in one line; None when they are not."""
        return no_dof_reason(self.n, self.dof_resid)

    def interval(self, X: np.ndarray, coef: np.ndarray, intercept: float, *,
                 level: float | None = None) -> Interval:
        """Predictions with confidence (mean) and prediction (new observation) intervals.

        Parameters
        ----------
        X : ndarray, shape (n_rows, n_features)
            Rows to predict for, original units (a single row may be 1-D).
        coef : ndarray, shape (n_features,)
            The line's coefficients.
        intercept : float
            The line's intercept.
        level : float or None, default None
            Confidence level in (0, 1); None uses :attr:`level`; keyword-only.

        Returns
        -------
        Interval
            ``(mean, conf_low, conf_high, pred_low, pred_high)``, arrays of shape (n_rows,), by name or
            unpacked; the bounds are NaN when there are no residual degrees of freedom (see :attr:`reason`).
        """
        from slopefit.solve import distributions as special  # scipy.special's names, without importing scipy

        X = np.atleast_2d(np.asarray(X, dtype=np.float64))  # (n_rows, n_features)
        level = self.level if level is None else level
        q = special.stdtrit(self.dof_resid, 0.5 + level / 2) if self.dof_resid > 0 else math.nan
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below, in one line
            yhat = X @ np.asarray(coef, dtype=np.float64) + intercept
            offset = X - self.x_mean if self.fit_intercept else X
            leverage = np.einsum("ij,jk,ik->i", offset, self.cxx_inv, offset) + (1.0 / self.n if self.fit_intercept
                                                                                  else 0.0)
            conf = q * self.sigma * np.sqrt(leverage)
            pred = q * self.sigma * np.sqrt(1.0 + leverage)
        if self.dof_resid > 0 and not (np.isfinite(conf).all() and np.isfinite(pred).all()):
            raise DataError("the intervals of these rows are not finite numbers: their distance from the fit's "
                            f"feature means ({_short(self.x_mean)}) overflows float64; predict them without "
                            "intervals, or check the model's inference numbers")
        return Interval(yhat, yhat - conf, yhat + conf, yhat - pred, yhat + pred)


def no_dof_reason(n: int, dof_resid: int) -> str | None:
    """The one line that explains NaN intervals when a fit has no residual degrees of freedom.

    Parameters
    ----------
    n : int
        Rows, >= 1.
    dof_resid : int
        Residual degrees of freedom.

    Returns
    -------
    str or None
        None when ``dof_resid > 0``, else the sentence.

    Examples
    --------
    >>> no_dof_reason(10, 8) is None
    True
    >>> no_dof_reason(2, 0)
    'no residual degrees of freedom (2 rows, 2 parameters): intervals need more rows than parameters'
    """
    if dof_resid > 0:
        return None
    params = n - dof_resid
    return (f"no residual degrees of freedom ({n} row{'s' if n != 1 else ''}, {params} parameter"
            f"{'s' if params != 1 else ''}): intervals need more rows than parameters")


def _float(value) -> float:
    """``float(value)``, with None (how JSON keeps a NaN) read as NaN."""
    return math.nan if value is None else float(value)


def _short(values: np.ndarray) -> str:
    """A few numbers for a message, never a whole long vector."""
    shown = ", ".join(f"{v:.4g}" for v in np.asarray(values).ravel()[:3])
    return shown + (", ..." if np.asarray(values).size > 3 else "")
