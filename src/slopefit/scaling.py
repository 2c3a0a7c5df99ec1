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
    method : "none" | "center" | "standardize"
    x_mean : ndarray of shape (n_features,)
    x_scale : ndarray of shape (n_features,), all > 0 (a zero-variance column keeps scale 1)
    y_mean : float
    """

    method: str
    x_mean: np.ndarray
    x_scale: np.ndarray
    y_mean: float

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, method: str = "center", *, fit_intercept: bool = True) -> Scaler:
        """Learn the shift and scale of ``method`` from rows (see :meth:`from_moments` for the rule)."""
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
        statistics: :meth:`slopefit.stats.SufficientStats.scaler`).

        ``center`` subtracts the means; ``standardize`` also divides X by the root of
        ``x_second`` (the variance; a zero-variance column keeps scale 1). Without an
        intercept, shifting would change the model, so only ``standardize``'s division is kept,
        by the root mean square (``x_second`` is then the raw second moment).
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
        """Features in scaled units, shape (n_samples, n_features)."""
        return (X - self.x_mean) / self.x_scale

    def transform_y(self, y: np.ndarray) -> np.ndarray:
        """Target in scaled units, shape (n_samples,)."""
        return y - self.y_mean

    def to_original(self, w_scaled: np.ndarray, b_scaled: float) -> tuple[np.ndarray, float]:
        """Coefficients learned on scaled data, expressed in the data's own units.

        ``y = X_s @ w_s + b_s + y_mean`` with ``X_s = (X - m) / s`` gives
        ``coef = w_s / s`` and ``intercept = b_s + y_mean - m @ coef``.
        """
        coef = np.asarray(w_scaled, dtype=np.float64) / self.x_scale
        intercept = float(b_scaled) + self.y_mean - float(self.x_mean @ coef)
        return coef, intercept

    def path_to_original(self, W: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`to_original` for many records at once: ``W`` (n_records, n_features) and ``B``
        (n_records,) in scaled units -> coefficients (n_records, n_features) and intercepts (n_records,)."""
        coef = np.asarray(W, dtype=np.float64) / self.x_scale
        return coef, np.asarray(B, dtype=np.float64) + self.y_mean - coef @ self.x_mean

    def jacobian(self, *, fit_intercept: bool = True) -> np.ndarray:
        """``T``: a change ``d`` of the scaled parameters (W, B) is ``T @ d`` in original units
        (coefficients, then intercept); shape (n_params, n_params)."""
        inv = np.diag(1.0 / self.x_scale)  # (n_features, n_features)
        if not fit_intercept:
            return inv
        d = len(self.x_scale)
        t = np.eye(d + 1)
        t[:d, :d] = inv
        t[d, :d] = -self.x_mean / self.x_scale
        return t

    def to_scaled(self, coef: np.ndarray, intercept: float) -> tuple[np.ndarray, float]:
        """The inverse of :meth:`to_original`."""
        coef = np.asarray(coef, dtype=np.float64)
        w_scaled = coef * self.x_scale
        b_scaled = float(intercept) - self.y_mean + float(self.x_mean @ coef)
        return w_scaled, b_scaled

    def to_dict(self) -> dict:
        return {"method": self.method, "x_mean": self.x_mean.tolist(), "x_scale": self.x_scale.tolist(),
                "y_mean": self.y_mean}

    @classmethod
    def from_dict(cls, data: dict) -> Scaler:
        return cls(method=str(data["method"]), x_mean=np.asarray(data["x_mean"], dtype=np.float64),
                   x_scale=np.asarray(data["x_scale"], dtype=np.float64), y_mean=float(data["y_mean"]))


def check_scaling(method: str) -> str:
    """Return ``method`` if it is a known scaling, else raise ConfigError."""
    if method not in SCALING_METHODS:
        raise ConfigError(f"unknown scaling {method!r}; choose one of {', '.join(SCALING_METHODS)}")
    return method
