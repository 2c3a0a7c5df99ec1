"""The one pass: :class:`SufficientStats` accumulated chunk by chunk, in float64, on shifted columns.

Each slice of rows is converted into one float64 buffer holding ``M = [X - s, y - t, 1, r]``
(``s``, ``t``: the first rows' means, so offsets such as heights near 170 cost no digits; ``r``:
the residual of the first rows' least-squares line) and ``M^T M`` is added in place: the cross
products, the products with y, the sums, and the residual moments from which
:func:`slopefit.solve.refinement.refine_in_pass` refines the optimum without a second pass.
Column minima and maxima come in the same pass. NaN and infinite cells are named by column and row.
A large block is dealt to as many threads as torch is set to use, each on its own rows with one
torch thread, and their sums added (a pass fed by a reader thread leaves it a core:
:func:`threads_beside_a_reader`).

On the CPU the product goes to numpy's BLAS in pieces small enough to run on the calling thread
(:func:`_piece_rows`): for a tall, narrow ``M^T M`` torch's MKL took 2.3-3.5 x as long as
numpy's OpenBLAS on an AMD EPYC (``benchmarks/bench_pass.py``), and a BLAS call that spreads
itself over threads serialises the pass's own threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from slopefit.errors import DataError
from slopefit.solve.stats import LineResiduals, SufficientStats

DEFAULT_CHUNK_ROWS = 8192  # rows at a time of the residual passes over rows in memory (solve.robust)
CHUNK_CELLS = 1 << 20  # float64 cells of one slice's buffer M (8 MiB): see _chunk_rows
SHIFT_ROWS = 65_536  # leading rows whose means become the shift and whose least-squares line the provisional one
SPLIT_ROWS = 1 << 18  # a block is dealt to several threads in parts of at least this many rows
RANGE_FOLD = 64  # rows folded into one line when taking column minima and maxima
PIECE_CELLS = 1 << 18  # rows x width^2 of one BLAS product: OpenBLAS runs a product this small on one thread


class StatsAccumulator:
    """Accumulates :class:`SufficientStats` over chunks of rows, with torch, in float64.

    Each slice of ``chunk_rows`` rows is converted into one preallocated float64 buffer, in the
    slice's own layout, ``M = [X - s, y - t, 1, r]`` (``r = (y - t) - (X - s) @ c``: the residual of the
    provisional line ``c``, the least-squares line of the first rows, which passes through their
    means ``(s, t)``), and ``M^T M`` is added to the running sums in place: no Python work per row.

    Parameters
    ----------
    n_features : int
        Feature columns of every chunk, >= 1.
    device : str, default "cpu"
        Where the sums are accumulated; keyword-only.
    chunk_rows : int or None, default None
        Rows per slice of the working buffer, >= 1; None: :func:`_chunk_rows` of its width
        (8192 to 65536); keyword-only.
    """

    def __init__(self, n_features: int, *, device: str = "cpu", chunk_rows: int | None = None) -> None:
        import torch

        f64: dict[str, Any] = {"dtype": torch.float64, "device": device}
        d = n_features
        self.n_features = n_features
        self.device = device
        width = d + 3  # the columns of M: X - s, y - t, 1, r
        self.chunk_rows = chunk_rows if chunk_rows is not None else _chunk_rows(width)
        self.n = 0
        self._x_shift: Any = None  # tensor (n_features,) once the first rows are seen
        self._y_shift = 0.0
        self._minus_c: Any = None  # tensor (n_features,): minus the provisional line's coefficients
        self._gram = torch.zeros(width, width, **f64)  # sum of M^T M over the rows added
        self._buffers: dict[bool, Any] = {}  # M for one slice, by layout (column-major or not): see _buffer
        self._piece = _piece_rows(width)
        self._wide_min = torch.full((RANGE_FOLD * d,), np.inf, **f64)  # minima of row-major rows folded to lines
        self._wide_max = torch.full((RANGE_FOLD * d,), -np.inf, **f64)
        self._on_cpu = self._gram.device.type == "cpu"  # products and ranges by numpy (see the module's note)
        self._min = torch.full((d,), np.inf, **f64)  # of the rows reduced directly
        self._max = torch.full((d,), -np.inf, **f64)
        self._weight_total: float | None = None  # the sum of the sample weights, once any are given
        self._weighted_ones: set[bool] = set()  # the layouts whose column of ones holds sqrt(weights) instead
        self.parts = 1  # threads a large block is dealt to (:meth:`_add_parts`); compute_stats sets it

    def add(self, X, y, weights=None) -> None:
        """Add rows to the sums.

        Parameters
        ----------
        X : ndarray or Tensor, shape (rows, n_features)
            Features, any float dtype (accumulated in float64), row- or column-major.
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
        if self._x_shift is None:
            self._start(X, y)
        rows = int(X.shape[0])
        parts = min(self.parts, rows // SPLIT_ROWS) if self.device == "cpu" else 1
        if parts > 1:
            self._add_parts(X, y, root, parts)
        else:
            self._add_rows(X, y, root)
        self.n += rows

    def _add_rows(self, X, y, root) -> None:
        """Every slice of the rows, in order, on the calling thread."""
        column_major = X.stride(0) == 1 and X.shape[1] > 1  # chunks from files come this way
        for start in range(0, X.shape[0], self.chunk_rows):
            xb, yb = X[start:start + self.chunk_rows], y[start:start + self.chunk_rows]
            self._add_slice(xb, yb, column_major, None if root is None else root[start:start + self.chunk_rows])

    def _add_parts(self, X, y, root, parts: int) -> None:
        """A large block dealt in ``parts`` runs of whole slices to as many threads, each with its own
        buffers and sums (same shift, same provisional line) and one torch thread, then added in
        order. Torch's own worker threads would meet at a barrier after every small op of every
        slice, and one worker descheduled by another busy process stalls them all (measured 4-8x
        slower on a loaded 2-core machine); these threads never wait for each other."""
        bounds = [int(X.shape[0]) * k // parts // self.chunk_rows * self.chunk_rows for k in range(parts)]
        bounds.append(int(X.shape[0]))
        others = [self._sibling() for _ in range(parts - 1)]
        failed: list[BaseException] = []

        def run(acc: StatsAccumulator, lo: int, hi: int) -> None:
            try:
                with one_torch_thread():  # the setting is each thread's own
                    acc._add_rows(X[lo:hi], y[lo:hi], None if root is None else root[lo:hi])
            except BaseException as error:  # noqa: BLE001 - raised again on the calling thread
                failed.append(error)

        workers = [threading.Thread(target=run, args=(acc, bounds[k + 1], bounds[k + 2]), name="slopefit-pass",
                                    daemon=True) for k, acc in enumerate(others)]
        for worker in workers:
            worker.start()
        try:
            run(self, bounds[0], bounds[1])
        finally:
            for worker in workers:
                worker.join()
        if failed:
            raise failed[0]
        for acc in others:
            self._merge(acc)

    def _sibling(self) -> StatsAccumulator:
        """An empty accumulator with this one's shift and provisional line."""
        other = StatsAccumulator(self.n_features, device=self.device, chunk_rows=self.chunk_rows)
        other._x_shift, other._y_shift, other._minus_c = self._x_shift, self._y_shift, self._minus_c
        return other

    def _merge(self, other: StatsAccumulator) -> None:
        """Add the sums, minima and maxima of a sibling (same shift and provisional line)."""
        import torch

        self._gram += other._gram
        torch.minimum(self._min, other._min, out=self._min)
        torch.maximum(self._max, other._max, out=self._max)
        torch.minimum(self._wide_min, other._wide_min, out=self._wide_min)
        torch.maximum(self._wide_max, other._wide_max, out=self._wide_max)

    def _start(self, X, y) -> None:
        """The shift (the first rows' means) and the provisional line (their least-squares line,
        through their means), from the leading rows."""
        import torch

        head = max(self.chunk_rows, SHIFT_ROWS)
        head_x, head_y = X[:head].to(torch.float64), y[:head].to(torch.float64)
        self._x_shift, self._y_shift = head_x.mean(dim=0), float(head_y.mean())
        coef = _provisional_line(head_x - self._x_shift, head_y - self._y_shift)
        self._minus_c = torch.as_tensor(-coef, dtype=torch.float64, device=self.device)

    def _add_slice(self, xb, yb, column_major: bool, root=None) -> None:
        """One slice of rows: converted and shifted into the buffer of its layout (the copy
        never transposes: a column-major slice from a file costs an eighth of a transposing copy);
        weighted, every row of M is multiplied by ``root`` (sqrt of its weight)."""
        import torch

        m, d = xb.shape
        rows = self._buffer(m, column_major)  # (m, d + 3): [X - s, y - t, 1, r]
        bx, by, ones = rows[:, :d], rows[:, d], rows[:, d + 1]
        bx.copy_(xb).sub_(self._x_shift)  # converting, then shifting in cache: faster than one mixed sub
        by.copy_(yb).sub_(self._y_shift)  # float64 before the shift: float32 y - a float would round
        if root is not None:
            bx.mul_(root[:, None])
            by.mul_(root)
            ones.copy_(root)
            self._weighted_ones.add(column_major)
        elif column_major in self._weighted_ones:  # an earlier slice's weights are there
            ones.fill_(1.0)
            self._weighted_ones.discard(column_major)
        rows[:, d + 2].copy_(torch.addmv(by, bx, self._minus_c))  # r, times sqrt(weight) where weighted
        self._add_products(rows)
        if column_major:  # each column contiguous: reduced directly
            torch.minimum(self._min, xb.T.amin(dim=1), out=self._min)
            torch.maximum(self._max, xb.T.amax(dim=1), out=self._max)
        else:
            self._range_rows(xb)

    def _buffer(self, m: int, column_major: bool):
        """M for ``m`` rows, an (m, d + 3) view of the buffer of that layout: row-major, or each
        column contiguous (its storage (d + 3, rows)). A buffer is made, column of ones included,
        at the size of the first slices, at most ``chunk_rows``: a 5-row table does not pay for 8 MiB."""
        import torch

        buffer = self._buffers.get(column_major)
        if buffer is None or buffer.shape[0] < m:
            held = 0 if buffer is None else buffer.shape[0]
            size, width = min(max(m, 2 * held), self.chunk_rows), self.n_features + 3
            f64: dict[str, Any] = {"dtype": torch.float64, "device": self._gram.device}
            buffer = torch.ones(width, size, **f64).T if column_major else torch.ones(size, width, **f64)
            self._buffers[column_major] = buffer
            self._weighted_ones.discard(column_major)
        return buffer[:m]

    def _add_products(self, rows) -> None:
        """``M^T M`` of one slice added to the sums: on the CPU by numpy, a stack of pieces of
        ``_piece`` rows at a time (each product small enough to stay on the calling thread); on
        another device by torch."""
        if not self._on_cpu:
            self._gram.addmm_(rows.T, rows)
            return
        M, gram = rows.numpy(), self._gram.numpy()  # views: the sums are updated in place
        m, width = M.shape
        whole = m // self._piece * self._piece
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is named after the pass (_too_large)
            if whole:
                step, across = M.strides  # either layout: the pieces are views, nothing is copied
                stack = np.lib.stride_tricks.as_strided(M, shape=(whole // self._piece, self._piece, width),
                                                        strides=(self._piece * step, step, across), writeable=False)
                gram += np.matmul(stack.transpose(0, 2, 1), stack).sum(axis=0)
            if whole < m:
                gram += M[whole:].T @ M[whole:]

    def _range_rows(self, xb) -> None:
        """Column minima and maxima of a row-major slice. Reducing a tall row-major block over its
        rows is slow in torch (a short inner loop per row), so whole groups of ``RANGE_FOLD`` rows
        are folded into wide lines whose running minima and maxima are kept; the rest directly."""
        import torch

        rows, d = xb.shape
        whole = rows // RANGE_FOLD * RANGE_FOLD
        if whole:
            wide = xb[:whole].reshape(-1, RANGE_FOLD * d)  # (whole / RANGE_FOLD, RANGE_FOLD * d)
            if self._on_cpu:  # numpy reduces a tall block over its rows 2-3 x faster than torch
                values, low, high = wide.numpy(), self._wide_min.numpy(), self._wide_max.numpy()
                np.minimum(low, values.min(axis=0), out=low)
                np.maximum(high, values.max(axis=0), out=high)
            else:
                torch.minimum(self._wide_min, wide.amin(dim=0), out=self._wide_min)
                torch.maximum(self._wide_max, wide.amax(dim=0), out=self._wide_max)
        if whole < rows:
            torch.minimum(self._min, xb[whole:].amin(dim=0), out=self._min)
            torch.maximum(self._max, xb[whole:].amax(dim=0), out=self._max)

    def finite(self) -> bool:
        """Whether every value added so far was finite (NaN and inf reach the sums)."""
        import torch

        return bool(torch.isfinite(self._gram[: self.n_features + 1, self.n_features + 1]).all())

    def result(self) -> SufficientStats:
        """The statistics of every row added so far.

        Returns
        -------
        SufficientStats
            With the residual moments of the provisional line (``residuals``) when they are finite.

        Raises
        ------
        DataError
            When no rows were added.
        """
        if self.n == 0 or self._x_shift is None:
            raise DataError("the table has no rows; a line needs at least 2 rows of data")
        d = self.n_features
        whole = self._gram.cpu().numpy()  # M^T M, M = [X - s, y - t, 1, r]
        whole = (whole + whole.T) / 2.0  # general products: their two triangles may differ in the last bit
        gram = whole[:d + 2, :d + 2].copy()
        weighted = self._weight_total is not None
        gram[d + 1, d + 1] = self._weight_total if weighted else self.n
        x_min, x_max = self._min.cpu().numpy(), self._max.cpu().numpy()
        x_min = np.minimum(x_min, self._wide_min.cpu().numpy().reshape(RANGE_FOLD, d).min(axis=0))
        x_max = np.maximum(x_max, self._wide_max.cpu().numpy().reshape(RANGE_FOLD, d).max(axis=0))
        residuals = None
        if np.isfinite(whole[:, d + 2]).all():
            residuals = LineResiduals(coef=-self._minus_c.cpu().numpy(), offset=0.0, ax_r=whole[:d, d + 2].copy(),
                                      sum_r=float(whole[d + 1, d + 2]), rss=float(whole[d + 2, d + 2]))
        return SufficientStats(n=self.n, x_shift=self._x_shift.cpu().numpy(), y_shift=self._y_shift,
                               gram=gram, x_min=x_min.astype(np.float64), x_max=x_max.astype(np.float64),
                               weighted=weighted, residuals=residuals)


def _chunk_rows(width: int) -> int:
    """Rows of one slice of the pass for ``M`` of ``width`` columns: the largest power of two with
    ``rows * width <= CHUNK_CELLS``, from 8192 to 65536.

    Each slice costs about ten torch and numpy calls whatever its size; on 2 cores, 32768 rows at
    16 features took 0.8 x the time of 8192 (``benchmarks/bench_pass.py``), 65536 at 4 features 0.4 x.

    >>> _chunk_rows(19), _chunk_rows(7), _chunk_rows(203)
    (32768, 65536, 8192)
    """
    rows = max(CHUNK_CELLS // width, 8192)
    return min(1 << (rows.bit_length() - 1), 65536)


def _piece_rows(width: int) -> int:
    """Rows of one BLAS product of the CPU pass for ``M`` of ``width`` columns: the largest power of
    two with ``rows * width**2 <= PIECE_CELLS``, from 128 to 8192.

    OpenBLAS (numpy's BLAS) spreads a larger product over its own threads, and two of the pass's
    threads calling it at once then take turns; pieces this small run where they are called, so
    the threads of :meth:`StatsAccumulator._add_parts` add their rows side by side. Below 128 rows
    a piece costs more in calls than it saves (about 40 features and more: the pass is then
    1.0-1.7 x the numpy pass, against 0.8-1.1 x at 16 features).

    >>> _piece_rows(19), _piece_rows(4), _piece_rows(200)
    (512, 8192, 128)
    """
    rows = max(PIECE_CELLS // (width * width), 128)
    return min(1 << (rows.bit_length() - 1), 8192)


def _provisional_line(xs, ys) -> np.ndarray:
    """The coefficients of the least-squares line of a few rows whose columns are centered
    (float64 tensors shifted by their own means, so the line passes through 0), from their
    correlation-scaled normal equations. It only needs to be near the table's line (its residual
    moments are corrected exactly): minimum-norm when the rows do not determine it, zero when
    they are not finite."""
    cxx, cxy = (xs.T @ xs).cpu().numpy(), (xs.T @ ys).cpu().numpy()
    if not (np.isfinite(cxx).all() and np.isfinite(cxy).all()):
        return np.zeros(xs.shape[1])
    spread = np.sqrt(np.diag(cxx))
    spread = np.where(spread > 0, spread, 1.0)
    beta = np.linalg.lstsq(cxx / np.outer(spread, spread), cxy / spread, rcond=None)[0]
    return beta / spread


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


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Torch's CPU ops on the calling thread alone for the block (each part of the statistics pass,
    minibatch steps); the previous setting is restored.

    Split across torch's worker threads, every small op (one slice, one batch of a few thousand
    rows) waits for all of them, and one worker descheduled by any other busy process stalls it.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def threads_beside_a_reader() -> int:
    """Torch threads for a pass that a reader thread feeds (:mod:`slopefit.data.prefetch`): one core
    is left to the reader and pyarrow's decoding, at least one thread for the pass.

    On 2 cores, 4M x 16 float32 rows of Parquet: 0.98 x reading then accumulating with 1 torch
    thread, 1.27 x with 2 (the reader starved); in memory, 2 threads take 0.73 x the time of 1
    (``benchmarks/bench_pass.py``).
    """
    import torch

    return max(1, torch.get_num_threads() - 1)


def compute_stats(chunks: Iterable[tuple], n_features: int, *, device: str = "cpu",
                  chunk_rows: int | None = None, names: Sequence[str] | None = None,
                  label: str = "the data", threads: int | None = None) -> SufficientStats:
    """One pass over ``(X, y)`` chunks -> :class:`SufficientStats`.

    Parameters
    ----------
    chunks : iterable of (X, y) or (X, y, weights), X (rows, n_features) numpy or torch, row- or
        column-major; weights (rows,) >= 0 make the statistics weighted (see :meth:`StatsAccumulator.add`)
    n_features : int
    names : the feature names and then the target's, for error messages
    label : what the data is called in error messages ("data.csv")
    threads : int or None, default None
        Threads for the pass, each on its own rows with one torch thread (a large block is dealt
        in parts); None: torch's setting (``torch.get_num_threads()``, ``OMP_NUM_THREADS``).

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
    acc.parts = _threads_wanted(threads)
    with one_torch_thread():
        for X, y, *weights in chunks:
            rows_before = acc.n
            acc.add(X, y, weights[0] if weights else None)
            if not acc.finite():
                _raise_non_finite(np.asarray(X), np.asarray(y), rows_before, names, label)
    stats = acc.result()
    if not np.isfinite(stats.gram).all():
        raise DataError(_too_large(stats, names, label))
    return stats


def _too_large(stats, names, label: str) -> str:
    """The line for statistics that overflowed: the first column whose squares did, its largest
    value, and the power of ten to divide it by (the fit is the same in those units: a feature's
    coefficient, or the whole line for the target, scales by that factor)."""
    d = stats.n_features
    names = list(names) if names is not None else [*(f"column {j + 1}" for j in range(d)), "the target"]
    diagonal = np.diag(stats.gram)[: d + 1]
    j = int(np.flatnonzero(~np.isfinite(diagonal))[0]) if not np.isfinite(diagonal).all() else d
    largest = max(abs(float(stats.x_min[j])), abs(float(stats.x_max[j]))) if j < d else abs(stats.y_shift)
    factor = 10.0 ** max(int(np.ceil(np.log10(largest))) - 100, 100) if largest > 0 and np.isfinite(largest) \
        else 1e100
    kind = "feature" if j < d else "target"
    return (f"{kind} {names[j]!r} of {label} has values near {largest:.3g}, too large to square in float64; "
            f"divide it by {factor:.0e} (R² and t are the same in those units)")


def _threads_wanted(threads: int | None) -> int:
    """``threads``, or torch's own intra-op setting when None; at least 1."""
    if threads is None:
        import torch

        threads = torch.get_num_threads()
    return max(1, int(threads))


def _raise_non_finite(X: np.ndarray, y: np.ndarray, rows_before: int, names, label: str) -> None:
    from slopefit.errors import row_numbers

    columns = [*(X[:, j] for j in range(X.shape[1])), y]
    names = list(names) if names is not None else [f"column {j + 1}" for j in range(len(columns))]
    for name, values in zip(names, columns, strict=True):
        bad = ~np.isfinite(values)
        if bad.any():
            raise DataError(f"column {name!r} in {label} has NaN or infinite values in "
                            f"{row_numbers(bad, offset=rows_before)}; fill or drop those rows")
