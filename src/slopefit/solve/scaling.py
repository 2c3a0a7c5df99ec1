"""Scaling of the data before training, and the way back to the data's own units.

The lesson centers both columns (X - mean, Y - mean) so that gradient descent is fast.
slopefit offers ``none``, ``center`` and ``standardize`` (center X and divide it by its
standard deviation; center Y). Y is never divided by anything, so the MSE in scaled space
is the MSE in the data's own units and losses are comparable across scalings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from slopefit.errors import ConfigError

ScalingMethod = Literal["none", "center", "standardize"]
SCALING_METHODS: tuple[str, ...] = ("none", "center", "standardize")


@dataclass(frozen=True)
class Scaler:
    """An affine change of units: ``X_s = (X - x_mean) / x_scale`` and ``y_s = y - y_mean``.

    Attributes
    ----------
    method : {"none", "center", "standardize"}
        The scaling rule this scaler came from.
    x_mean : ndarray, shape (n_features,)
        The shift subtracted from each feature: the feature means with "center" or
        "standardize" and an intercept; zeros with "none" or without an intercept.
    x_scale : ndarray, shape (n_features,)
        The divisor of each feature, all > 0: standard deviations (root mean squares without an
        intercept) with "standardize", else ones; a zero-variance column keeps scale 1.
    y_mean : float
        The shift subtracted from the target: its mean, or 0.0 where ``x_mean`` is zeros.

    Examples
    --------
    >>> import numpy as np
    >>> s = Scaler.fit(np.array([[0.0], [4.0]]), np.array([2.0, 6.0]), "standardize")
    >>> s.x_mean, s.x_scale, s.y_mean
    (array([2.]), array([2.]), 4.0)
    >>> s.transform_X(np.array([[0.0], [4.0]]))
    array([[-1.],
           [ 1.]])
    >>> s.to_original(np.array([2.0]), 0.0)
    (array([1.]), 2.0)
    """

    method: str
    x_mean: np.ndarray
    x_scale: np.ndarray
    y_mean: float

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, method: str = "center", *, fit_intercept: bool = True) -> Scaler:
        """Learn the shift and scale of ``method`` from rows (see :meth:`from_moments` for the rule).

        Parameters
        ----------
        X : ndarray, shape (n_samples, n_features)
            Features in original units, n_samples >= 1.
        y : ndarray, shape (n_samples,)
            Target in original units.
        method : {"none", "center", "standardize"}, default "center"
            The scaling (the lesson's is "center").
        fit_intercept : bool, default True
            Whether the model has an intercept (without one nothing is shifted); keyword-only.

        Returns
        -------
        Scaler

        Raises
        ------
        ConfigError
            When ``method`` is not a known scaling.
        """
        X = np.asarray(X)
        x_mean = X.mean(axis=0, dtype=np.float64)
        y_mean = float(np.mean(y, dtype=np.float64))
        if fit_intercept:
            second = np.asarray(np.mean((X - x_mean) ** 2, axis=0, dtype=np.float64))
        else:
            second = np.asarray(np.mean(np.square(X, dtype=np.float64), axis=0))
        return cls.from_moments(method, x_mean=x_mean, x_second=second, y_mean=y_mean, fit_intercept=fit_intercept)

    @classmethod
    def from_moments(cls, method: str, *, x_mean: np.ndarray, x_second: np.ndarray, y_mean: float,
                     fit_intercept: bool = True) -> Scaler:
        """The one scaling rule, from the columns' moments (rows: :meth:`fit`; a pass of
        statistics: :meth:`slopefit.solve.stats.SufficientStats.scaler`).

        ``center`` subtracts the means; ``standardize`` also divides X by the root of
        ``x_second`` (the variance; a zero-variance column keeps scale 1). Without an
        intercept, shifting would change the model, so only ``standardize``'s division is kept,
        by the root mean square (``x_second`` is then the raw second moment).

        Parameters
        ----------
        method : {"none", "center", "standardize"}
            The scaling.
        x_mean : ndarray, shape (n_features,)
            The features' means; keyword-only (as are all below).
        x_second : ndarray, shape (n_features,)
            The features' variances (with an intercept) or raw second moments (without), >= 0.
        y_mean : float
            The target's mean.
        fit_intercept : bool, default True
            Whether the model has an intercept.

        Returns
        -------
        Scaler

        Raises
        ------
        ConfigError
            When ``method`` is not a known scaling.
        """
        check_scaling(method)
        n_features = len(x_mean)
        shift = method != "none" and fit_intercept
        x_shift = np.asarray(x_mean, dtype=np.float64) if shift else np.zeros(n_features)
        x_scale = np.ones(n_features)
        if method == "standardize":
            spread = np.sqrt(np.maximum(np.asarray(x_second, dtype=np.float64), 0.0))
            x_scale = np.where(spread > 0, spread, 1.0)
        return cls(method=method, x_mean=x_shift, x_scale=x_scale, y_mean=float(y_mean) if shift else 0.0)

    def transform_X(self, X: np.ndarray) -> np.ndarray:
        """Features in scaled units: ``(X - x_mean) / x_scale``.

        Parameters
        ----------
        X : ndarray, shape (n_samples, n_features)
            Features in original units.

        Returns
        -------
        ndarray, shape (n_samples, n_features)
        """
        return (X - self.x_mean) / self.x_scale

    def transform_y(self, y: np.ndarray) -> np.ndarray:
        """Target in scaled units: ``y - y_mean``.

        Parameters
        ----------
        y : ndarray, shape (n_samples,)
            Target in original units.

        Returns
        -------
        ndarray, shape (n_samples,)
        """
        return y - self.y_mean

    def to_original(self, w_scaled: np.ndarray, b_scaled: float) -> tuple[np.ndarray, float]:
        """Coefficients learned on scaled data, expressed in the data's own units.

        ``y = X_s @ w_s + b_s + y_mean`` with ``X_s = (X - m) / s`` gives
        ``coef = w_s / s`` and ``intercept = b_s + y_mean - m @ coef``.

        Parameters
        ----------
        w_scaled : ndarray, shape (n_features,)
            Coefficients in scaled units.
        b_scaled : float
            Intercept in scaled units (0.0 without an intercept).

        Returns
        -------
        coef : ndarray, shape (n_features,), float64
        intercept : float
        """
        coef = np.asarray(w_scaled, dtype=np.float64) / self.x_scale
        intercept = float(b_scaled) + self.y_mean - float(self.x_mean @ coef)
        return coef, intercept

    def path_to_original(self, W: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`to_original` for many records at once (a training path).

        Parameters
        ----------
        W : ndarray, shape (n_records, n_features)
            Coefficients in scaled units, one row per record.
        B : ndarray, shape (n_records,)
            Intercepts in scaled units.

        Returns
        -------
        coef : ndarray, shape (n_records, n_features)
        intercept : ndarray, shape (n_records,)
        """
        coef = np.asarray(W, dtype=np.float64) / self.x_scale
        return coef, np.asarray(B, dtype=np.float64) + self.y_mean - coef @ self.x_mean

    def jacobian(self, *, fit_intercept: bool = True) -> np.ndarray:
        """``T``: a change ``d`` of the scaled parameters (W, B) is ``T @ d`` in original units
        (coefficients, then intercept).

        Parameters
        ----------
        fit_intercept : bool, default True
            Whether the parameters include the intercept; keyword-only.

        Returns
        -------
        ndarray, shape (n_params, n_params)
            n_params = n_features (+ 1 with an intercept).
        """
        inv = np.diag(1.0 / self.x_scale)  # (n_features, n_features)
        if not fit_intercept:
            return inv
        d = len(self.x_scale)
        t = np.eye(d + 1)
        t[:d, :d] = inv
        t[d, :d] = -self.x_mean / self.x_scale
        return t

    def to_scaled(self, coef: np.ndarray, intercept: float) -> tuple[np.ndarray, float]:
        """The inverse of :meth:`to_original`: a line in original units, in scaled units.

        Parameters
        ----------
        coef : ndarray, shape (n_features,)
        intercept : float

        Returns
        -------
        w_scaled : ndarray, shape (n_features,)
        b_scaled : float
        """
        coef = np.asarray(coef, dtype=np.float64)
        w_scaled = coef * self.x_scale
        b_scaled = float(intercept) - self.y_mean + float(self.x_mean @ coef)
        return w_scaled, b_scaled

    def to_dict(self) -> dict:
        """The fields as JSON-ready values (arrays as lists), for the model file.

        Returns
        -------
        dict
            ``{"method", "x_mean", "x_scale", "y_mean"}``; :meth:`from_dict` reads it back.
        """
        return {"method": self.method, "x_mean": self.x_mean.tolist(), "x_scale": self.x_scale.tolist(),
                "y_mean": self.y_mean}

    @classmethod
    def from_dict(cls, data: dict) -> Scaler:
        """The scaler :meth:`to_dict` wrote.

        Parameters
        ----------
        data : dict
            With keys "method", "x_mean", "x_scale", "y_mean".

        Returns
        -------
        Scaler

        Raises
        ------
        KeyError
            When a key is missing.
        """
        return cls(method=str(data["method"]), x_mean=np.asarray(data["x_mean"], dtype=np.float64),
                   x_scale=np.asarray(data["x_scale"], dtype=np.float64), y_mean=float(data["y_mean"]))


def check_scaling(method: str) -> str:
    """Return ``method`` if it is a known scaling, else raise ConfigError.

    Parameters
    ----------
    method : str
        A scaling name; one of :data:`SCALING_METHODS`.

    Returns
    -------
    str
        ``method``, unchanged.

    Raises
    ------
    ConfigError
        When ``method`` is not one of "none", "center", "standardize".
    """
    if method not in SCALING_METHODS:
        raise ConfigError(f"unknown scaling {method!r}; choose one of {', '.join(SCALING_METHODS)}")
    return method
