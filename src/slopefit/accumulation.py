"""The one pass: :class:`SufficientStats` accumulated chunk by chunk, in float64, on shifted columns.

Each chunk is converted into a cache-sized float64 buffer, shifted by the first rows' means
(so offsets such as heights near 170 cost no digits), and BLAS adds its cross products,
its products with y and its sums in place; column minima and maxima come in the same pass.
NaN and infinite cells are named by column and row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from slopefit.errors import DataError
from slopefit.stats import SufficientStats

DEFAULT_CHUNK_ROWS = 8192  # rows converted to float64 at a time: 1 MB at 16 features, stays in cache
SHIFT_ROWS = 65_536  # leading rows whose means become the shift
RANGE_FOLD = 64  # rows folded into one line when taking column minima and maxima


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
        self._weight_total: float | None = None  # the sum of the sample weights, once any are given

    def add(self, X, y, weights=None) -> None:
        """Add rows to the sums.

        Parameters
        ----------
        X : ndarray or Tensor, shape (rows, n_features)
            Features, any float dtype (accumulated in float64).
        y : ndarray or Tensor, shape (rows,)
            Target.
        weights : ndarray or Tensor, shape (rows,), or None, default None
            Sample weights, >= 0 (checked by the caller): each shifted row is multiplied by
            ``sqrt(weight)`` before the same products, so the sums become weighted sums and
            the count the sum of the weights. Give them for every chunk or for none.
        """
        import torch

        X, y = as_tensor(X, self.device), as_tensor(y, self.device)
        root = None
        if weights is not None:
            root = as_tensor(weights, self.device).to(torch.float64).sqrt()  # (rows,)
            self._weight_total = (self._weight_total or 0.0) + float(root @ root)
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
            if root is not None:  # weighted: every product of the chunk carries sqrt(w) twice
                ones = root[start:start + self.chunk_rows]
                by.mul_(ones)
            if column_major:  # shift in the source's layout: (n_features, m), no transposing copy
                bxt = self._bx.view(-1)[:m * self.n_features].view(self.n_features, m)
                torch.sub(xb.T, self._x_shift[:, None], out=bxt)
                if root is not None:
                    bxt.mul_(ones)
                self._xx.addmm_(bxt, bxt.T)
                self._xy.addmv_(bxt, by)
                self._x1.addmv_(bxt, ones)
            else:
                bx = self._bx[:m]
                torch.sub(xb, self._x_shift, out=bx)  # (m, n_features), float64
                if root is not None:
                    bx.mul_(ones[:, None])
                self._xx.addmm_(bx.T, bx)
                self._xy.addmv_(bx.T, by)
                self._x1.addmv_(bx.T, ones)
            self._yy.add_(by @ by)
            self._y1.add_(by @ ones)
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
        weighted = self._weight_total is not None
        gram[d + 1, d + 1] = self._weight_total if weighted else self.n
        return SufficientStats(n=self.n, x_shift=self._x_shift.cpu().numpy(), y_shift=self._y_shift,
                               gram=gram, x_min=self._min.cpu().numpy(), x_max=self._max.cpu().numpy(),
                               weighted=weighted)


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
    chunks : iterable of (X, y) or (X, y, weights), X (rows, n_features) numpy or torch, row- or
        column-major; weights (rows,) >= 0 make the statistics weighted (see :meth:`StatsAccumulator.add`)
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
    for X, y, *weights in chunks:
        rows_before = acc.n
        acc.add(X, y, weights[0] if weights else None)
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
