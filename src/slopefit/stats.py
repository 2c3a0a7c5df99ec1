"""Sufficient statistics of least squares: everything full-batch MSE needs, in one pass.

MSE is quadratic in theta = (W, B). With ``A = [X, 1]``,

    L(theta) = (theta^T (A^T A) theta - 2 theta^T A^T y + y^T y) / N,

so ``A^T A``, ``A^T y``, ``y^T y`` and ``N`` determine the loss, its gradient and its
Hessian at every theta. One streaming pass accumulates them, chunk by chunk, in float64
(even for float32 data: a float32 product is exact in float64, a float32 sum is not) on
columns shifted by a per-column reference value taken from the first chunk, so that large
offsets (heights near 170, timestamps) do not cancel away the digits of the spread.

From the statistics come the scaling, the exact optimum (normal equations, solved on the
correlation matrix), the loss of any line in float64 and the quadratic that the stats
engine hands to autograd: after the pass an epoch costs O(D^2) instead of O(N D).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from slopefit.errors import DataError
from slopefit.exact import ExactSolution
from slopefit.scaling import Scaler

DEFAULT_CHUNK_ROWS = 8192  # rows converted to float64 at a time: 1 MB at 16 features, stays in cache
SHIFT_ROWS = 65_536  # leading rows whose means become the shift
RANGE_FOLD = 64  # rows folded into one line when taking column minima and maxima


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
    """

    n: int
    x_shift: np.ndarray
    y_shift: float
    gram: np.ndarray
    x_min: np.ndarray
    x_max: np.ndarray

    @property
    def n_features(self) -> int:
        """The number of feature columns."""
        return int(self.x_shift.shape[0])

    # --- moments ------------------------------------------------------------------------

    @property
    def x_mean(self) -> np.ndarray:
        """The features' means, shape (n_features,)."""
        d = self.n_features
        return self.x_shift + self.gram[:d, d + 1] / self.n

    @property
    def y_mean(self) -> float:
        """The target's mean."""
        d = self.n_features
        return self.y_shift + float(self.gram[d, d + 1]) / self.n

    def centered(self) -> tuple[np.ndarray, np.ndarray, float]:
        """``(Cxx, Cxy, Cyy)``: sums of products of the centered columns, float64.

        ``Cxx`` has shape (n_features, n_features) and ``Cxy`` (n_features,). The shift made
        the column sums small, so removing them here cancels few digits.
        """
        d = self.n_features
        sums = self.gram[: d + 1, d + 1]  # (n_features + 1,): sums of X - x_shift, then y - y_shift
        c = self.gram[: d + 1, : d + 1] - np.outer(sums, sums) / self.n
        c = (c + c.T) / 2.0
        return c[:d, :d], c[:d, d], max(float(c[d, d]), 0.0)

    def raw(self) -> tuple[np.ndarray, np.ndarray, float]:
        """``(X^T X, X^T y, y^T y)`` about the origin, for fits without an intercept."""
        d = self.n_features
        shift = np.append(self.x_shift, self.y_shift)  # (n_features + 1,)
        sums = self.gram[: d + 1, d + 1]
        g = self.gram[: d + 1, : d + 1] + np.outer(sums, shift) + np.outer(shift, sums) \
            + self.n * np.outer(shift, shift)
        return g[:d, :d], g[:d, d], float(g[d, d])

    @property
    def target_variance(self) -> float:
        """The target's (population) variance, ``Cyy / n``."""
        return self.centered()[2] / self.n

    def baseline_loss(self, *, fit_intercept: bool = True) -> float:
        """The loss of the constant model: the target's variance, or its mean square without
        an intercept (the line through 0 that predicts 0). Gaps are judged against it when the
        data fit a line exactly (see :mod:`slopefit.convergence`).

        Parameters
        ----------
        fit_intercept : bool, default True
            Whether the model has an intercept; keyword-only.

        Returns
        -------
        float
            >= 0.
        """
        return self.target_variance if fit_intercept else self.raw()[2] / self.n

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
        second = np.diag(self.centered()[0] if fit_intercept else self.raw()[0]) / self.n
        return Scaler.from_moments(method, x_mean=self.x_mean, x_second=second, y_mean=self.y_mean,
                                   fit_intercept=fit_intercept)

    def solve(self, *, fit_intercept: bool = True) -> ExactSolution:
        """The least-squares optimum from the normal equations, float64.

        The equations are solved on the correlation matrix (unit diagonal), which has the
        conditioning of the standardized design squared: about ``16 - 2 log10(cond)`` digits,
        against ``16 - log10(cond)`` for :func:`slopefit.exact.solve_exact` on the data.
        Rank-deficient designs get the minimum-norm coefficients.

        Parameters
        ----------
        fit_intercept : bool, default True
            Whether the line has an intercept; keyword-only.

        Returns
        -------
        ExactSolution
            Its ``loss`` is ``(Cyy - Cxy . coef) / n``, clipped at 0 (cancels when the fit is near exact;
            :func:`slopefit.refinement.refine` gets it from residuals instead).
        """
        cxx, cxy, cyy = self.centered() if fit_intercept else self.raw()
        spread = np.sqrt(np.diag(cxx))
        spread = np.where(spread > 0, spread, 1.0)
        corr = cxx / np.outer(spread, spread)  # (n_features, n_features)
        beta, _, rank, _ = np.linalg.lstsq(corr, cxy / spread, rcond=None)
        coef = beta / spread
        intercept = self.y_mean - float(self.x_mean @ coef) if fit_intercept else 0.0
        loss = max(cyy - float(cxy @ coef), 0.0) / self.n  # residual sum of squares / N
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
        value = optimum.loss + float(dw @ cxx @ dw) / self.n
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
        q_ww = cxx / np.outer(s, s) / self.n  # (n_features, n_features)
        if not fit_intercept:
            return q_ww
        a = (self.x_mean - scaler.x_mean) / s  # the scaled features' means (0 once centered)
        return np.block([[q_ww + np.outer(a, a), a[:, None]], [a[None, :], np.ones((1, 1))]])

    def lr_bound(self, scaler: Scaler, *, fit_intercept: bool = True) -> float:
        """``2 / lambda_max`` of the MSE Hessian ``2 Q`` in scaled units: the full-batch SGD bound.

        Parameters
        ----------
        scaler : Scaler
            The scaling of the parameters.
        fit_intercept : bool, default True
            Whether the model has an intercept; keyword-only.

        Returns
        -------
        float
            > 0; inf when the Hessian is 0.
        """
        lam_max = 2.0 * float(np.linalg.eigvalsh(self.curvature(scaler, fit_intercept=fit_intercept))[-1])
        return 2.0 / lam_max if lam_max > 0 else float("inf")


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


class StatsAccumulator:
    """Accumulates :class:`SufficientStats` over chunks of rows, with torch, in float64.

    Each slice of ``chunk_rows`` rows is shifted into one preallocated, cache-sized float64
    buffer; BLAS then adds its cross products, its products with y and its sums in place:
    no per-chunk allocation, no Python work per row.

    Parameters
    ----------
    n_features : int
        Feature columns of every chunk, >= 1.
    device : str, default "cpu"
        Where the sums are accumulated; keyword-only.
    chunk_rows : int, default ``DEFAULT_CHUNK_ROWS``
        Rows per slice of the working buffer, >= 1; keyword-only.
    """

    def __init__(self, n_features: int, *, device: str = "cpu", chunk_rows: int = DEFAULT_CHUNK_ROWS) -> None:
        import torch

        f64: dict[str, Any] = {"dtype": torch.float64, "device": device}
        self.n_features = n_features
        self.device = device
        self.chunk_rows = chunk_rows
        self.n = 0
        self._x_shift: Any = None  # tensor (n_features,) once the first rows are seen
        self._y_shift = 0.0
        self._xx = torch.zeros(n_features, n_features, **f64)  # sum (x - s)(x - s)^T
        self._xy = torch.zeros(n_features, **f64)  # sum (x - s)(y - t)
        self._x1 = torch.zeros(n_features, **f64)  # sum (x - s)
        self._yy = torch.zeros((), **f64)
        self._y1 = torch.zeros((), **f64)
        self._bx = torch.empty(chunk_rows, n_features, **f64)
        self._by = torch.empty(chunk_rows, **f64)
        self._ones = torch.ones(chunk_rows, **f64)
        self._min: Any = None
        self._max: Any = None

    def add(self, X, y) -> None:
        """Add rows to the sums.

        Parameters
        ----------
        X : ndarray or Tensor, shape (rows, n_features)
            Features, any float dtype (accumulated in float64).
        y : ndarray or Tensor, shape (rows,)
            Target.
        """
        import torch

        X, y = as_tensor(X, self.device), as_tensor(y, self.device)
        if X.shape[0] == 0:
            return
        if self._x_shift is None:  # the first rows' means: close enough to center every later chunk
            head = max(self.chunk_rows, SHIFT_ROWS)
            head_x, head_y = X[:head].to(torch.float64), y[:head].to(torch.float64)
            self._x_shift, self._y_shift = head_x.mean(dim=0), float(head_y.mean())
            self._min, self._max = head_x.amin(dim=0), head_x.amax(dim=0)
        column_major = X.stride(0) == 1 and X.shape[1] > 1  # chunks from files come this way
        for start in range(0, X.shape[0], self.chunk_rows):
            xb, yb = X[start:start + self.chunk_rows], y[start:start + self.chunk_rows]
            m = xb.shape[0]
            by, ones = self._by[:m], self._ones[:m]
            by.copy_(yb)  # a float32 y minus a Python float would be rounded to float32
            by.sub_(self._y_shift)
            if column_major:  # shift in the source's layout: (n_features, m), no transposing copy
                bxt = self._bx.view(-1)[:m * self.n_features].view(self.n_features, m)
                torch.sub(xb.T, self._x_shift[:, None], out=bxt)
                self._xx.addmm_(bxt, bxt.T)
                self._xy.addmv_(bxt, by)
                self._x1.addmv_(bxt, ones)
            else:
                bx = self._bx[:m]
                torch.sub(xb, self._x_shift, out=bx)  # (m, n_features), float64
                self._xx.addmm_(bx.T, bx)
                self._xy.addmv_(bx.T, by)
                self._x1.addmv_(bx.T, ones)
            self._yy.add_(by @ by)
            self._y1.add_(by.sum())
            low, high = _column_range(xb)
            torch.minimum(self._min, low, out=self._min)
            torch.maximum(self._max, high, out=self._max)
        self.n += int(X.shape[0])

    def finite(self) -> bool:
        """Whether every value added so far was finite (NaN and inf reach the sums)."""
        import torch

        return bool(torch.isfinite(self._x1).all()) and bool(torch.isfinite(self._y1))

    def result(self) -> SufficientStats:
        """The statistics of every row added so far.

        Returns
        -------
        SufficientStats

        Raises
        ------
        DataError
            When no rows were added.
        """
        if self.n == 0 or self._x_shift is None or self._min is None or self._max is None:
            raise DataError("the table has no rows; a line needs at least 2 rows of data")
        d = self.n_features
        gram = np.empty((d + 2, d + 2))
        xx = self._xx.cpu().numpy()
        gram[:d, :d] = (xx + xx.T) / 2.0
        gram[:d, d] = gram[d, :d] = self._xy.cpu().numpy()
        gram[:d, d + 1] = gram[d + 1, :d] = self._x1.cpu().numpy()
        gram[d, d] = float(self._yy)
        gram[d, d + 1] = gram[d + 1, d] = float(self._y1)
        gram[d + 1, d + 1] = self.n
        return SufficientStats(n=self.n, x_shift=self._x_shift.cpu().numpy(), y_shift=self._y_shift,
                               gram=gram, x_min=self._min.cpu().numpy(), x_max=self._max.cpu().numpy())


def as_tensor(array, device: str = "cpu"):
    """A torch view of a numpy array (a copy only when moving to another device).

    Read-only arrays (pandas gives some) are viewed too: nothing here writes to them.

    Parameters
    ----------
    array : ndarray or Tensor
        The values (a tensor passes through, moved to ``device`` if needed).
    device : str, default "cpu"
        The device of the result.

    Returns
    -------
    Tensor
        Of the array's dtype and shape.
    """
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.as_tensor(array, device=device)


def _column_range(X):
    """Per-column min and max of ``X`` (rows, n_features).

    Reducing a tall row-major block over its rows is slow in torch (a short inner loop per
    row), so rows are folded into wide lines of ``RANGE_FOLD`` rows first.
    """
    import torch

    if X.stride(0) == 1 and X.shape[1] > 1:  # column-major chunks (from files): each column is contiguous
        return X.T.amin(dim=1), X.T.amax(dim=1)
    rows, d = X.shape
    whole = rows // RANGE_FOLD * RANGE_FOLD
    lows, highs = [], []
    if whole:
        wide = X[:whole].reshape(-1, RANGE_FOLD * d)  # (rows / fold, fold * n_features)
        lows.append(wide.amin(dim=0).reshape(RANGE_FOLD, d).amin(dim=0))
        highs.append(wide.amax(dim=0).reshape(RANGE_FOLD, d).amax(dim=0))
    if whole < rows:
        lows.append(X[whole:].amin(dim=0))
        highs.append(X[whole:].amax(dim=0))
    return torch.stack(lows).amin(dim=0), torch.stack(highs).amax(dim=0)


def compute_stats(chunks: Iterable[tuple], n_features: int, *, device: str = "cpu",
                  chunk_rows: int = DEFAULT_CHUNK_ROWS, names: Sequence[str] | None = None,
                  label: str = "the data") -> SufficientStats:
    """One pass over ``(X, y)`` chunks -> :class:`SufficientStats`.

    Parameters
    ----------
    chunks : iterable of (X, y), X (rows, n_features) numpy or torch, row- or column-major
    n_features : int
    names : the feature names and then the target's, for error messages
    label : what the data is called in error messages ("data.csv")

    Raises
    ------
    DataError
        NaN or infinite values (naming the column and the rows), or no rows at all.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[166.], [176.], [171.], [173.], [169.]]); y = np.array([58.7, 75.7, 62.1, 70.4, 60.1])
    >>> st = compute_stats([(X, y)], 1)
    >>> st.n, round(float(st.solve().coef[0]), 6)
    (5, 1.82069)
    """
    acc = StatsAccumulator(n_features, device=device, chunk_rows=chunk_rows)
    for X, y in chunks:
        rows_before = acc.n
        acc.add(X, y)
        if not acc.finite():
            _raise_non_finite(np.asarray(X), np.asarray(y), rows_before, names, label)
    stats = acc.result()
    if not np.isfinite(stats.gram).all():
        raise DataError(f"{label} has values too large to square in float64; express them in larger units")
    return stats


def _raise_non_finite(X: np.ndarray, y: np.ndarray, rows_before: int, names, label: str) -> None:
    from slopefit.errors import row_numbers

    columns = [*(X[:, j] for j in range(X.shape[1])), y]
    names = list(names) if names is not None else [f"column {j + 1}" for j in range(len(columns))]
    for name, values in zip(names, columns, strict=True):
        bad = ~np.isfinite(values)
        if bad.any():
            raise DataError(f"column {name!r} in {label} has NaN or infinite values in "
                            f"{row_numbers(bad, offset=rows_before)}; fill or drop those rows")


# --- passes over the rows at a given line: residuals, and refinement of the optimum ---------------
