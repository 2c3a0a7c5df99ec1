"""The batches of a minibatch pass: which rows make each batch, and least squares stepped from
each batch's Gram matrix instead of its rows.

Two shuffles (``TrainConfig.shuffle``; what is random in each):

* ``"rows"``: every pass is a fresh uniform permutation of all the rows, ``torch.randperm(n)``
  drawn from the run's generator, and batch k is rows ``k*m .. (k+1)*m - 1`` of it. Exact, and
  the lesson's; on a large table drawing the permutation and gathering the rows one by one cost
  about 20 ``X @ w`` passes.
* ``"blocks"``: the rows are cut into blocks of ``b`` contiguous rows, ``b`` the largest divisor of
  the batch size up to 64 and up to a quarter of the batch (:func:`block_rows`). Every pass is a
  fresh uniform permutation of the blocks, ``torch.randperm(n // b)``, and batch k is blocks
  ``k*c .. (k+1)*c - 1`` of it (``c = m // b``): the batches are random, the rows of one block always train together. A
  permutation of the rows inside a block would only reorder the rows inside one batch, which
  changes no gradient, so none is drawn. The ``n % b`` rows past the last whole block close every
  pass (they are in its last batch).

"auto" is "blocks" from :data:`BLOCK_SHUFFLE_ROWS` rows on (where a block of at least 8 rows
divides the batch size), else "rows": a table under 65536 rows of 8 float32 features is 2 MiB,
it sits in cache and its per-row shuffle costs little, and the lesson's tables (5 to a few
thousand rows), whose printed numbers are tested, keep their trajectories exactly.

With blocks, a batch's least-squares gradient is affine in the parameters: with
``A = [X, 1, y]`` (float64) and ``M = A^T A``, ``theta~ = [W, B, -1]`` gives the residuals
``A theta~``, the batch loss ``theta~^T M theta~ / m`` and the gradient ``(2/m) (M theta~)[:d+1]``.
:class:`BlockGrams` holds ``M`` of every block once per run (one pass over the rows); a batch's
``M`` is the sum of its blocks', so a pass costs a sum over the block table and one small
matrix-vector product a step, and a run under torchrun adds up :data:`CHUNK_STEPS` batches' ``M``
in one collective (each process holds the blocks of its rows) before every process takes those
steps with its own optimizer, the same steps in every process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

SHUFFLES = ("auto", "rows", "blocks")
BLOCK_SHUFFLE_ROWS = 1 << 16  # "auto" shuffles by blocks from this many rows on (see the module docstring)
MAX_BLOCK_ROWS = 64  # the largest block: 2 KiB of 8 float32 features, copied and summed as one piece
MIN_AUTO_BLOCK_ROWS = 8  # "auto" keeps the per-row shuffle when no block this large divides the batch
CHUNK_STEPS = 256  # batches whose Gram matrices are summed (and, under torchrun, added up) at once
TABLE_ROWS = 1 << 14  # rows turned into block Gram matrices at a time (float64, a few MiB)


def block_rows(batch_size: int) -> int:
    """The rows of a block: the largest divisor of ``batch_size`` that is at most :data:`MAX_BLOCK_ROWS`
    and at most a quarter of the batch (every batch mixes at least 4 blocks drawn from anywhere).

    Examples
    --------
    >>> block_rows(1024), block_rows(1000), block_rows(100), block_rows(32), block_rows(97)
    (64, 50, 25, 8, 1)
    """
    return max(b for b in range(1, max(min(batch_size // 4, MAX_BLOCK_ROWS), 1) + 1) if batch_size % b == 0)


def resolve_shuffle(shuffle: str, n_rows: int, batch_size: int) -> str:
    """The shuffle ``"auto"`` stands for on ``n_rows`` rows in batches of ``batch_size`` ("rows" or "blocks").

    Examples
    --------
    >>> resolve_shuffle("auto", 1000, 100), resolve_shuffle("auto", 1 << 20, 1024), resolve_shuffle("rows", 1 << 20, 64)
    ('rows', 'blocks', 'rows')
    """
    if shuffle != "auto":
        return shuffle
    large = n_rows >= BLOCK_SHUFFLE_ROWS and block_rows(batch_size) >= MIN_AUTO_BLOCK_ROWS
    return "blocks" if large else "rows"


def gram_fits(n_rows: int, n_features: int, block: int) -> bool:
    """Whether :class:`BlockGrams` of ``n_rows`` rows is at most 64 MiB or twice the rows' float32 bytes.

    Examples
    --------
    >>> gram_fits(1_000_000, 8, 64), gram_fits(1_000_000, 200, 4)
    (True, False)
    """
    table = (n_rows // block + 2) * (n_features + 2) ** 2 * 8
    return table <= max(64 << 20, 2 * n_rows * (n_features + 1) * 4)


def minibatch_path(shuffle: str, n_rows: int, batch_size: int, n_features: int) -> tuple[str, int, bool]:
    """How a minibatch pass over rows in memory runs: ``(shuffle, block, from_grams)``.

    ``shuffle`` is the resolved "rows" or "blocks"; ``from_grams`` whether the steps come from the
    batches' Gram matrices (:class:`BlockGrams`; under torchrun one collective for up to
    :data:`CHUNK_STEPS` steps) rather than from their rows (one collective a step).

    Examples
    --------
    >>> minibatch_path("auto", 1 << 20, 1024, 8), minibatch_path("auto", 1000, 100, 8)
    (('blocks', 64, True), ('rows', 1, False))
    """
    resolved = resolve_shuffle(shuffle, n_rows, batch_size)
    if resolved == "rows":
        return "rows", 1, False
    block = block_rows(batch_size)
    return "blocks", block, gram_fits(n_rows, n_features, block)


def draw_blocks(n_rows: int, block: int, generator):
    """The order of the whole blocks of one pass: ``torch.randperm(n_rows // block)`` from ``generator``."""
    import torch

    return torch.randperm(n_rows // block, generator=generator)


def block_order_rows(order, n_rows: int, block: int):
    """The row order a block order stands for: each block's rows in place, the leftover rows last.

    Parameters
    ----------
    order : Tensor of int64, shape (n_rows // block,)
    n_rows, block : int

    Returns
    -------
    Tensor of int64, shape (n_rows,)
    """
    import torch

    rows = (order[:, None] * block + torch.arange(block)).reshape(-1)  # (whole blocks * block,)
    return torch.cat([rows, torch.arange(rows.shape[0], n_rows)])


class BlockGrams:
    """``M = A^T A`` (float64, ``A = [X, 1, y]``) of every block of ``block`` rows of a table, or of the
    part of it one process holds; the batch Gram matrices of a block-shuffled pass.

    Parameters
    ----------
    X : Tensor, shape (local rows, n_features)
        Rows ``first .. first + local rows - 1`` of the table, scaled, in the run's dtype.
    y : Tensor, shape (local rows,)
    block : int
        Rows a block, >= 1.
    first : int, default 0
        The table's index of the first local row; keyword-only.
    n_rows : int or None, default None
        The table's rows (None: the local rows, a run of one); keyword-only.

    Attributes
    ----------
    upper : Tensor, shape (n_rows // block + 2, p (p + 1) / 2), float64, p = n_features + 2
        The upper triangle of block j's ``M`` (the part of it held here; zeros for blocks held
        elsewhere); then the leftover rows' and a zero block (the padding of the last batch).
    """

    def __init__(self, X, y, block: int, *, first: int = 0, n_rows: int | None = None) -> None:
        import torch

        self.n_rows = int(X.shape[0]) if n_rows is None else int(n_rows)
        self.block = block
        self.whole = self.n_rows // block  # whole blocks
        d = int(X.shape[1])
        self.p = p = d + 2
        self._rows, self._cols = torch.triu_indices(p, p)
        self.upper = torch.zeros(self.whole + 2, self._rows.shape[0], dtype=torch.float64)
        local = int(X.shape[0])
        start = first - first % block  # the first local row's block begins here
        step = max(TABLE_ROWS // block, 1) * block
        for lo in range(start, min(first + local, self.whole * block), step):
            hi = min(lo + step, self.whole * block)  # whole blocks lo .. hi
            a, b = max(lo, first), min(hi, first + local)  # the rows of them held here
            A = torch.zeros(hi - lo, p, dtype=torch.float64)  # rows held elsewhere stay zero
            A[a - lo:b - lo, :d] = X[a - first:b - first]
            A[a - lo:b - lo, d] = 1.0
            A[a - lo:b - lo, d + 1] = y[a - first:b - first]
            A = A.view(-1, block, p)  # (blocks, block, p)
            self.upper[lo // block:hi // block] = torch.bmm(A.transpose(1, 2), A)[:, self._rows, self._cols]
        tail_lo = max(self.whole * block, first)
        if first + local > tail_lo:  # the leftover rows past the last whole block
            A = torch.ones(first + local - tail_lo, p, dtype=torch.float64)
            A[:, :d] = X[tail_lo - first:]
            A[:, d + 1] = y[tail_lo - first:]
            self.upper[self.whole] = (A.T @ A)[self._rows, self._cols]

    def full(self, upper):
        """Symmetric matrices (K, p, p) from their upper triangles (K, p (p + 1) / 2)."""
        import torch

        M = torch.empty(upper.shape[0], self.p, self.p, dtype=upper.dtype)
        M[:, self._rows, self._cols] = upper
        M[:, self._cols, self._rows] = upper
        return M

    @property
    def table(self):
        """Every block's ``M``, shape (n_rows // block + 2, p, p)."""
        return self.full(self.upper)

    def chunks(self, order, batch_size: int, reduce: Callable | None = None) -> Iterator[tuple]:
        """The ``(M, rows)`` of each batch of a pass in the block order ``order``, :data:`CHUNK_STEPS` at a time.

        Parameters
        ----------
        order : Tensor of int64, shape (n_rows // block,)
            From :func:`draw_blocks`.
        batch_size : int
            Rows a batch, a multiple of ``block``.
        reduce : callable or None
            ``reduce(U) -> U`` on each chunk's upper triangles (K, p (p + 1) / 2) before they are
            used (their sum over the processes).

        Yields
        ------
        M : Tensor, shape (K, p, p), float64
        rows : list of int, length K
            Each batch's rows.
        """
        import torch
        import torch.nn.functional as F

        per = batch_size // self.block  # blocks a batch
        n, whole = self.n_rows, self.whole
        batches = -(-n // batch_size)
        pad = batches * per - whole  # the last batch: its blocks, the leftover rows, then zero blocks
        sequence = torch.cat([order, torch.tensor([whole] + [whole + 1] * (pad - 1), dtype=order.dtype)]) \
            if pad > 0 else order
        for k0 in range(0, batches, CHUNK_STEPS):
            k1 = min(k0 + CHUNK_STEPS, batches)
            U = F.embedding_bag(sequence[k0 * per:k1 * per].view(k1 - k0, per), self.upper, mode="sum")  # (K, T)
            if reduce is not None:
                U = reduce(U)
            yield self.full(U), [min(batch_size, n - k * batch_size) for k in range(k0, k1)]


def gram_closure(M, rows: int, W, B):
    """The closure of one least-squares step from the batch's ``M`` (see the module docstring).

    Parameters
    ----------
    M : Tensor, shape (n_features + 2, n_features + 2), float64
    rows : int
        The batch's rows, >= 1.
    W : Tensor, shape (n_features,)
        ``W.grad`` is set to ``(2/m) X^T (Yp - Y)``, in W's dtype.
    B : Tensor, shape (1,), or None
        ``B.grad`` is set to ``(2/m) sum(Yp - Y)``; None without an intercept.

    Returns
    -------
    callable
        ``closure() -> Tensor``: the batch MSE (float64, no graph), for ``optimizer.step(closure)``.
    """
    import torch

    d = W.shape[0]

    def closure():
        with torch.no_grad():
            theta = torch.empty(d + 2, dtype=torch.float64)  # [W, B, -1]
            theta[:d] = W
            theta[d] = 0.0 if B is None else B[0]
            theta[d + 1] = -1.0
            v = M @ theta  # (p,): A^T (A theta~), A theta~ = Yp - Y
            W.grad = v[:d].mul(2.0 / rows).to(W.dtype)
            if B is not None:
                B.grad = v[d:d + 1].mul(2.0 / rows).to(B.dtype)
            return (theta @ v) / rows

    return closure


def gram_steps(step: Callable, chunk: Callable | None, M, rows: list[int]) -> None:
    """The steps of a chunk of batches: ``chunk(M, rows)`` at once when given, else ``step(make)`` for each."""
    if chunk is not None:
        chunk(M, rows)
        return
    for k, m in enumerate(rows):
        step(functools.partial(gram_closure, M[k], m))


def batch_closure(Xb, yb, W, B):
    """The closure of one minibatch step: sets the lesson's gradient formula on ``.grad``, returns the loss.

    Parameters
    ----------
    Xb : Tensor, shape (batch, n_features)
        The batch's (scaled) features.
    yb : Tensor, shape (batch,)
        The batch's (scaled) target.
    W : Tensor, shape (n_features,)
        The coefficients; ``W.grad`` is set to ``(2/n) Xb^T (Yp - Y)``.
    B : Tensor, shape (1,), or None
        The intercept; ``B.grad`` is set to ``(2/n) sum(Yp - Y)``. None without an intercept.

    Returns
    -------
    callable
        ``closure() -> Tensor``: the batch MSE (no graph), for ``optimizer.step(closure)``.
    """
    import torch

    def closure():
        with torch.no_grad():
            residual = Xb @ W - yb if B is None else torch.addmv(B - yb, Xb, W)  # (batch,) Yp - Y
            scale = 2.0 / residual.shape[0]
            W.grad = (Xb.T @ residual).mul_(scale)
            if B is not None:
                B.grad = residual.sum(dim=0, keepdim=True).mul_(scale)
            return residual.square().mean()

    return closure


class GramSgd:
    """``torch.optim.SGD``'s update written out in float64 for steps from batch Gram matrices: a pass's
    steps without a torch call a step (the sweep's way, :mod:`slopefit.train.sweep`).

    For each batch, as torch's ``_single_tensor_sgd`` does (``theta`` is ``[W, B]``)::

        g = (2/m) (M theta~)[:d+1] + weight_decay * theta
        buf = g at the first step, else momentum * buf + (1 - dampening) * g   (momentum != 0)
        theta -= lr * (g + momentum * buf if nesterov else buf)                (buf = g without momentum)

    The parameters and the momentum buffer stay in float64 during a pass and go back into W, B and
    the optimizer's state (in their dtype) at :meth:`write_back`: the same trajectory as torch's
    steps within the run's float rounding.

    Parameters
    ----------
    optimizer : torch.optim.SGD
    W : Tensor, shape (n_features,)
    B : Tensor, shape (1,), or None
    """

    def __init__(self, optimizer, W, B) -> None:
        import numpy as np

        group = optimizer.param_groups[0]
        self.optimizer, self.W, self.B = optimizer, W, B
        self.lr, self.momentum = float(group["lr"]), float(group["momentum"])
        self.dampening, self.nesterov = float(group["dampening"]), bool(group["nesterov"])
        self.decay = float(group["weight_decay"])
        d = int(W.shape[0])
        self.q = d + (B is not None)  # the parameters stepped
        self.theta = np.zeros(d + 2)  # [W, B, -1]: B stays 0 without an intercept
        self.theta[:d] = W.detach().double().cpu().numpy()
        if B is not None:
            self.theta[d] = float(B.detach()[0])
        self.theta[d + 1] = -1.0
        buffers = [optimizer.state.get(p, {}).get("momentum_buffer") for p in self.params]
        self.buf = None if any(b is None for b in buffers) else np.concatenate(
            [b.detach().double().cpu().numpy().reshape(-1) for b in buffers])
        self.used = False

    @property
    def params(self) -> list:
        """W, and B when fitted: the optimizer's parameters."""
        return [self.W] if self.B is None else [self.W, self.B]

    @staticmethod
    def applies(optimizer) -> bool:
        """Whether ``optimizer`` is a plain ``torch.optim.SGD`` over one group (no maximize, a float lr)."""
        import torch

        if type(optimizer) is not torch.optim.SGD or len(optimizer.param_groups) != 1:
            return False
        group = optimizer.param_groups[0]
        return not group.get("maximize", False) and isinstance(group["lr"], float)

    def run(self, M, rows: list[int], worst: float) -> float:
        """The steps of one chunk of batches: ``M`` (K, p, p) and their rows; returns the largest batch loss
        (``worst`` and theirs; NaN, once seen, stays)."""
        import numpy as np

        self.used = True
        grams = M.numpy()  # (K, p, p)
        m = np.asarray(rows, dtype=np.float64)
        seen = np.empty((len(rows), self.theta.shape[0]))  # the parameters each batch's loss is taken at
        with np.errstate(all="ignore"):  # a diverging run overflows: the loop reads it from the losses
            if self.nesterov or self.dampening >= 1.0:
                self._steps(grams, m, seen)
            else:
                self._heavy_ball(grams, m, seen)
            losses = np.einsum("kp,kpq,kq->k", seen, grams, seen) / m  # theta~^T M theta~ / m
        if np.isnan(worst) or np.isnan(losses).any():
            return float("nan")
        return max(worst, float(losses.max()))

    def _heavy_ball(self, grams, m, seen) -> None:
        """sgd without nesterov, dampening < 1: ``u = lr * buf`` and each step's matrix scaled once,
        ``u <- momentum u + (lr (1 - dampening) (2/m) M[:q] + lr (1 - dampening) wd [I 0]) theta~``,
        ``theta <- theta - u`` (the first step with momentum: ``u = lr g``, torch's undampened start)."""
        import numpy as np

        theta, q, momentum = self.theta, self.q, self.momentum
        keep = (1.0 - self.dampening) if momentum else 1.0
        scale = self.lr * keep * 2.0 / m  # (K,)
        G = grams[:, :q, :] * scale[:, None, None]  # (K, q, p)
        if self.decay:
            G[:, np.arange(q), np.arange(q)] += self.lr * keep * self.decay
        u = None if self.buf is None else self.buf * self.lr
        for k in range(G.shape[0]):
            seen[k] = theta
            step = G[k] @ theta
            if not momentum:
                u = step
            elif u is None:
                u = step / keep  # torch's first buffer is the gradient itself, undampened
            else:
                u *= momentum
                u += step
            theta[:q] -= u
        if momentum and u is not None:
            self.buf = u / self.lr

    def _steps(self, grams, m, seen) -> None:
        """torch's rule step by step (nesterov, or dampening 1)."""
        theta, q, lr, momentum = self.theta, self.q, self.lr, self.momentum
        keep, decay = 1.0 - self.dampening, self.decay
        for k in range(grams.shape[0]):
            seen[k] = theta
            g = (grams[k, :q] @ theta) * (2.0 / m[k])
            if decay:
                g += decay * theta[:q]
            if momentum:
                if self.buf is None:
                    self.buf = g.copy()
                else:
                    self.buf *= momentum
                    self.buf += keep * g
                g = g + momentum * self.buf if self.nesterov else self.buf
            theta[:q] -= lr * g

    def write_back(self) -> None:
        """Put the parameters and the momentum buffer back into W, B and the optimizer's state."""
        import torch

        if not self.used:
            return
        d = int(self.W.shape[0])
        with torch.no_grad():
            self.W.copy_(torch.from_numpy(self.theta[:d]))
            if self.B is not None:
                self.B.copy_(torch.from_numpy(self.theta[d:d + 1]))
        if self.momentum and self.buf is not None:
            for p, part in zip(self.params, (self.buf[:d], self.buf[d:d + 1]), strict=False):
                self.optimizer.state[p]["momentum_buffer"] = torch.from_numpy(part.copy()).to(p.dtype)
