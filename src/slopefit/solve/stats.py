"""Sufficient statistics of least squares: everything full-batch MSE needs, in one pass.

MSE is quadratic in theta = (W, B). With ``A = [X, 1]``,

    L(theta) = (theta^T (A^T A) theta - 2 theta^T A^T y + y^T y) / N,

so ``A^T A``, ``A^T y``, ``y^T y`` and ``N`` determine the loss, its gradient and its
Hessian at every theta. One streaming pass (:mod:`slopefit.solve.accumulation`) accumulates
them, chunk by chunk, in float64 (even for float32 data: a float32 product is exact in float64, a float32 sum is not) on
columns shifted by a per-column reference value taken from the first chunk, so that large
offsets (heights near 170, timestamps) do not cancel away the digits of the spread.

From the statistics come the scaling, the exact optimum (normal equations, solved on the
correlation matrix), the loss of any line in float64 and the quadratic that the stats
engine hands to autograd: after the pass an epoch costs O(D^2) instead of O(N D).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slopefit.solve.exact import ExactSolution
from slopefit.solve.scaling import Scaler


@dataclass(frozen=True)
class LineResiduals:
    """Moments of the residual ``r = (y - y_shift) - (X - x_shift) @ coef - offset`` of one line,
    summed over the same rows as the statistics, in float64.

    Attributes
    ----------
    coef : ndarray (n_features,), offset : float
        The line, in the statistics' shifted coordinates.
    ax_r : ndarray (n_features,)
        ``(X - x_shift)^T r``.
    sum_r : float
        ``sum r``.
    rss : float
        ``sum r^2``, from the residuals themselves.
    """

    coef: np.ndarray
    offset: float
    ax_r: np.ndarray
    sum_r: float
    rss: float


@dataclass(frozen=True)
class SufficientStats:
    """The moments of a table after one pass.

    Attributes
    ----------
    n : int
        Number of rows.
    x_shift : ndarray (n_features,), y_shift : float
        Reference values subtracted before accumulating (the first chunk's means).
    gram : ndarray (n_features + 2, n_features + 2), float64
        ``M^T M`` with ``M = [X - x_shift, y - y_shift, 1]``: the cross products, the sums
        (last column) and ``n`` (last entry).
    x_min, x_max : ndarray (n_features,)
        The range of every feature, for extrapolation warnings.
    weighted : bool, default False
        Whether each row's products were multiplied by its sample weight: the moments are then
        weighted ones and :attr:`total` (the last entry of ``gram``) is the sum of the weights.
    residuals : LineResiduals or None, default None
        The residual moments of a provisional line gathered in the same pass (the first
        rows' least-squares line; weighted as the rest): :func:`slopefit.solve.refinement.refine_in_pass`
        refines the optimum from them without another pass over the rows. None: not gathered.
    """

    n: int
    x_shift: np.ndarray
    y_shift: float
    gram: np.ndarray
    x_min: np.ndarray
    x_max: np.ndarray
    weighted: bool = False
    residuals: LineResiduals | None = None

    @property
    def n_features(self) -> int:
        """The number of feature columns."""
        return int(self.x_shift.shape[0])

    @property
    def total(self) -> float:
        """``N`` of every mean and of the MSE: the rows, or the sum of the sample weights."""
        return float(self.gram[-1, -1])

    # --- moments ------------------------------------------------------------------------

    @property
    def x_mean(self) -> np.ndarray:
        """The features' means, shape (n_features,)."""
        d = self.n_features
        return self.x_shift + self.gram[:d, d + 1] / self.total

    @property
    def y_mean(self) -> float:
        """The target's mean."""
        d = self.n_features
        return self.y_shift + float(self.gram[d, d + 1]) / self.total

    def centered(self) -> tuple[np.ndarray, np.ndarray, float]:
        """``(Cxx, Cxy, Cyy)``: sums of products of the centered columns, float64.

        ``Cxx`` has shape (n_features, n_features) and ``Cxy`` (n_features,). The shift made
        the column sums small, so removing them here cancels few digits.
        """
        d = self.n_features
        sums = self.gram[: d + 1, d + 1]  # (n_features + 1,): sums of X - x_shift, then y - y_shift
        c = self.gram[: d + 1, : d + 1] - np.outer(sums, sums) / self.total
        c = (c + c.T) / 2.0
        return c[:d, :d], c[:d, d], max(float(c[d, d]), 0.0)

    def raw(self) -> tuple[np.ndarray, np.ndarray, float]:
        """``(X^T X, X^T y, y^T y)`` about the origin, for fits without an intercept."""
        d = self.n_features
        shift = np.append(self.x_shift, self.y_shift)  # (n_features + 1,)
        sums = self.gram[: d + 1, d + 1]
        g = self.gram[: d + 1, : d + 1] + np.outer(sums, shift) + np.outer(shift, sums) \
            + self.total * np.outer(shift, shift)
        return g[:d, :d], g[:d, d], float(g[d, d])

    @property
    def target_variance(self) -> float:
        """The target's (population) variance, ``Cyy / n``."""
        return self.centered()[2] / self.total

    def baseline_loss(self, *, fit_intercept: bool = True) -> float:
        """The loss of the constant model: the target's variance, or its mean square without
        an intercept (the line through 0 that predicts 0). Gaps are judged against it when the
        data fit a line exactly (see :mod:`slopefit.train.convergence`).

        Parameters
        ----------
        fit_intercept : bool, default True
            Whether the model has an intercept; keyword-only.

        Returns
        -------
        float
            >= 0.
        """
        return self.target_variance if fit_intercept else self.raw()[2] / self.total

    # --- what the statistics determine --------------------------------------------------

    def scaler(self, method: str = "center", *, fit_intercept: bool = True) -> Scaler:
        """The :class:`Scaler` that ``Scaler.fit`` would learn from the same rows.

        Parameters
        ----------
        method : {"none", "center", "standardize"}, default "center"
            The scaling.
        fit_intercept : bool, default True
            Whether the model has an intercept; keyword-only.

        Returns
        -------
        Scaler

        Raises
        ------
        ConfigError
            When ``method`` is not a known scaling.
        """
        second = np.diag(self.centered()[0] if fit_intercept else self.raw()[0]) / self.total
        return Scaler.from_moments(method, x_mean=self.x_mean, x_second=second, y_mean=self.y_mean,
                                   fit_intercept=fit_intercept)

    def solve(self, *, fit_intercept: bool = True) -> ExactSolution:
        """The least-squares optimum from the normal equations, float64.

        The equations are solved on the correlation matrix (unit diagonal), which has the
        conditioning of the standardized design squared: about ``16 - 2 log10(cond)`` digits,
        against ``16 - log10(cond)`` for :func:`slopefit.solve.exact.solve_exact` on the data.
        Rank-deficient designs get the minimum-norm coefficients.

        Parameters
        ----------
        fit_intercept : bool, default True
            Whether the line has an intercept; keyword-only.

        Returns
        -------
        ExactSolution
            Its ``loss`` is ``(Cyy - Cxy . coef) / n``, clipped at 0 (cancels when the fit is near exact;
            :func:`slopefit.solve.refinement.refine` gets it from residuals instead).
        """
        cxx, cxy, cyy = self.centered() if fit_intercept else self.raw()
        spread = np.sqrt(np.diag(cxx))
        spread = np.where(spread > 0, spread, 1.0)
        corr = cxx / np.outer(spread, spread)  # (n_features, n_features)
        beta, _, rank, _ = np.linalg.lstsq(corr, cxy / spread, rcond=None)
        coef = beta / spread
        intercept = self.y_mean - float(self.x_mean @ coef) if fit_intercept else 0.0
        loss = max(cyy - float(cxy @ coef), 0.0) / self.total  # residual sum of squares / N
        return ExactSolution(coef=coef, intercept=intercept, loss=loss, rank=int(rank))

    def loss(self, coef: np.ndarray, intercept: float, *, fit_intercept: bool = True,
             optimum: ExactSolution | None = None) -> float:
        """MSE of a line in the data's own units, float64, without touching the data.

        Written as ``L* + (theta - theta*)^T (A^T A / N) (theta - theta*)``, which has no
        cancellation near the optimum (``optimum`` defaults to :meth:`solve`).

        Parameters
        ----------
        coef : ndarray, shape (n_features,)
            The line's coefficients, original units.
        intercept : float
            The line's intercept (ignored without an intercept).
        fit_intercept : bool, default True
            Whether the line has an intercept; keyword-only.
        optimum : ExactSolution or None, default None
            The optimum to expand about; None solves the statistics; keyword-only.

        Returns
        -------
        float
            The MSE, >= ``optimum.loss``.
        """
        optimum = optimum or self.solve(fit_intercept=fit_intercept)
        cxx = self.centered()[0] if fit_intercept else self.raw()[0]
        dw = np.asarray(coef, dtype=np.float64) - optimum.coef
        value = optimum.loss + float(dw @ cxx @ dw) / self.total
        if fit_intercept:  # the line's error at the centroid
            value += (float(intercept) - optimum.intercept + float(self.x_mean @ dw)) ** 2
        return value

    def quadratic(self, scaler: Scaler, *, fit_intercept: bool = True,
                  optimum: ExactSolution | None = None) -> tuple[np.ndarray, np.ndarray, float]:
        """The loss in the scaled parameters ``theta_s = (w_s[, b_s])`` the optimizer sees.

        Parameters
        ----------
        scaler : Scaler
            The scaling of the parameters.
        fit_intercept : bool, default True
            Whether theta includes the intercept; keyword-only.
        optimum : ExactSolution or None, default None
            The optimum to expand about; None solves the statistics; keyword-only.

        Returns
        -------
        Q : ndarray, shape (n_params, n_params)
            ``A_s^T A_s / N``, half the Hessian; n_params = n_features (+ 1).
        theta_star : ndarray, shape (n_params,)
            The optimum in scaled units.
        loss_star : float
            The loss at the optimum; ``L(theta_s) = loss_star + (theta_s - theta_star)^T Q (theta_s - theta_star)``.
        """
        optimum = optimum or self.solve(fit_intercept=fit_intercept)
        w_star, b_star = scaler.to_scaled(optimum.coef, optimum.intercept)
        theta_star = np.append(w_star, b_star) if fit_intercept else w_star
        return self.curvature(scaler, fit_intercept=fit_intercept), theta_star, optimum.loss

    def loss_surface(self, scaler: Scaler) -> LossSurface:
        """The MSE over the scaled (W, B) of a one-feature line with intercept, as a callable
        on grids (for the loss landscape).

        Parameters
        ----------
        scaler : Scaler
            The scaling of (W, B).

        Returns
        -------
        LossSurface

        Raises
        ------
        ValueError
            When the data have more than one feature.
        """
        if self.n_features != 1:
            raise ValueError(f"a loss surface over (W, B) needs one feature, got {self.n_features}")
        q, theta_star, loss_star = self.quadratic(scaler)
        return LossSurface(q=q, theta_star=theta_star, loss_star=loss_star)

    def curvature(self, scaler: Scaler, *, fit_intercept: bool = True) -> np.ndarray:
        """``Q = A_s^T A_s / N`` in the scaled parameters, half the MSE Hessian: shape (n_params, n_params).

        It depends on the data and the scaling only, not on where the optimum is.

        Parameters
        ----------
        scaler : Scaler
            The scaling of the parameters.
        fit_intercept : bool, default True
            Whether the parameters include B (last); keyword-only.

        Returns
        -------
        ndarray, shape (n_params, n_params)
            n_params = n_features (+ 1).
        """
        cxx = self.centered()[0] if fit_intercept else self.raw()[0]
        s = scaler.x_scale
        q_ww = cxx / np.outer(s, s) / self.total  # (n_features, n_features)
        if not fit_intercept:
            return q_ww
        a = (self.x_mean - scaler.x_mean) / s  # the scaled features' means (0 once centered)
        return np.block([[q_ww + np.outer(a, a), a[:, None]], [a[None, :], np.ones((1, 1))]])


@dataclass(frozen=True)
class LossSurface:
    """``L(W, B) = L* + (theta - theta*)^T Q (theta - theta*)`` for theta = (W, B), scaled units.

    Attributes
    ----------
    q : ndarray, shape (2, 2)
        Half the Hessian, scaled units.
    theta_star : ndarray, shape (2,)
        The optimum (W*, B*), scaled units.
    loss_star : float
        The loss at the optimum.

    Examples
    --------
    >>> import numpy as np
    >>> surface = LossSurface(q=np.eye(2), theta_star=np.array([1.0, 2.0]), loss_star=3.0)
    >>> float(surface(2.0, 2.0)), float(surface(1.0, 2.0))
    (4.0, 3.0)
    """

    q: np.ndarray
    theta_star: np.ndarray
    loss_star: float

    def __call__(self, W, B):
        """The loss at ``W``, ``B`` (floats or arrays of one shape, e.g. a meshgrid).

        Parameters
        ----------
        W, B : float or ndarray
            Scaled parameters, of one shape.

        Returns
        -------
        float or ndarray
            Of the shape of ``W``.
        """
        dw, db = W - self.theta_star[0], B - self.theta_star[1]
        return self.loss_star + self.q[0, 0] * dw * dw + 2 * self.q[0, 1] * dw * db + self.q[1, 1] * db * db
