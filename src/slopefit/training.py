"""The one training loop: gradient descent on MSE with any torch optimizer.

Full batch (the lesson's way) or minibatches drawn by a seeded generator. The loop
records the loss history like the lesson's ``hist`` array, stops on a tolerance, detects
divergence, reports progress through a callback and returns a :class:`FitResult` whose
numbers are in the data's own units and sit next to the exact least-squares answer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import numpy as np

from slopefit.advise import describe_bound, stable_bound
from slopefit.datasets import Dataset
from slopefit.engines import ENGINES, DataEngine, StatsEngine, StreamEngine
from slopefit.errors import ConfigError, DataError, DivergenceError
from slopefit.exact import ExactSolution, solve_exact
from slopefit.objective import mse_float64
from slopefit.optimizers import check_options, make_optimizer
from slopefit.scaling import Scaler, check_scaling
from slopefit.stats import SufficientStats, compute_stats
from slopefit.tables import TableSource

EXPLODE_FACTOR = 1e8  # a loss this many times above the starting loss counts as diverged
DTYPES = ("float32", "float64")
DEVICES = ("cpu", "cuda", "mps")
EXACT_ON_ROWS_MAX = 1_000_000  # values (rows x features) up to which the reference is solved on the rows


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one gradient-descent run. Invalid values raise ConfigError at construction."""

    optimizer: str = "sgd"  # a name from slopefit.optimizers.OPTIMIZERS
    lr: float = 0.01  # learning rate, > 0
    epochs: int = 1000  # passes over the data (= updates when full batch), >= 1
    options: Mapping[str, Any] = field(default_factory=dict)  # optimizer options, e.g. {"momentum": 0.9}
    batch_size: int | None = None  # None = full batch (the lesson); 1 = one random row per step
    scaling: str = "standardize"  # "none" | "center" (the lesson) | "standardize" (robust default)
    fit_intercept: bool = True  # learn B; False fits Yp = X @ W through the origin
    log_every: int = 1  # record the loss every this many epochs (the lesson: 10); the last is always kept
    tol: float | None = None  # stop when the loss changes by <= tol * loss over one epoch
    stop_gap: float | None = None  # stop when the relative gap to the exact optimum is <= stop_gap
    seed: int = 0  # seeds the minibatch shuffle
    dtype: str = "float32"  # tensor dtype of the training ("float32" as in the lesson, or "float64")
    init: float = 0.0  # starting value of every W and of B (the lesson's loop: zeros)
    engine: str = "auto"  # "stats" (full batch, O(D^2) an epoch) | "data" (the rows) | "auto": stats if full batch
    device: str = "cpu"  # "cpu" | "cuda" | "mps"
    record_params: bool = False  # keep (W, B) at every recorded epoch in History.params (for paths)

    def __post_init__(self) -> None:
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ConfigError(f"learning rate must be a positive number, got lr={self.lr}; try lr=0.01")
        if not isinstance(self.epochs, (int, np.integer)) or isinstance(self.epochs, bool) or self.epochs < 1:
            raise ConfigError(f"epochs must be a whole number >= 1, got epochs={self.epochs}")
        if self.batch_size is not None and (not isinstance(self.batch_size, (int, np.integer))
                                            or self.batch_size < 1):
            raise ConfigError(f"batch_size must be a whole number >= 1 (or None for full batch), "
                              f"got batch_size={self.batch_size}")
        if not isinstance(self.log_every, (int, np.integer)) or self.log_every < 1:
            raise ConfigError(f"log_every must be a whole number >= 1, got log_every={self.log_every}")
        if self.tol is not None and not (math.isfinite(self.tol) and self.tol >= 0):
            raise ConfigError(f"tol must be >= 0 (or None), got tol={self.tol}")
        if self.stop_gap is not None and not (math.isfinite(self.stop_gap) and self.stop_gap > 0):
            raise ConfigError(f"stop_gap must be > 0 (or None), got stop_gap={self.stop_gap}; try 1e-6")
        if self.dtype not in DTYPES:
            raise ConfigError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.engine not in ENGINES:
            raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.engine == "stats" and self.batch_size is not None:
            raise ConfigError(f"the stats engine computes full-batch losses only, but batch_size={self.batch_size}; "
                              "use engine='data' (--engine data) for minibatches")
        if self.device not in DEVICES:
            raise ConfigError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        check_scaling(self.scaling)
        object.__setattr__(self, "options", check_options(self.optimizer, self.options))

    def resolved_engine(self) -> str:
        """The engine "auto" stands for: stats for full-batch runs, data for minibatches."""
        if self.engine != "auto":
            return self.engine
        return "stats" if self.batch_size is None else "data"

    def describe(self) -> str:
        """``"sgd lr=0.01 momentum=0.9"``: the run in the syntax of ``slopefit compare --run``."""
        opts = " ".join(f"{k}={_fmt(v)}" for k, v in self.options.items())
        return f"{self.optimizer} lr={_fmt(self.lr)}" + (f" {opts}" if opts else "")

    def to_dict(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer, "lr": self.lr, "epochs": int(self.epochs),
                "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.options.items()},
                "batch_size": self.batch_size, "scaling": self.scaling, "fit_intercept": self.fit_intercept,
                "log_every": int(self.log_every), "tol": self.tol, "stop_gap": self.stop_gap, "seed": self.seed,
                "dtype": self.dtype, "init": self.init, "engine": self.engine, "device": self.device,
                "record_params": self.record_params}


def _fmt(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(_fmt(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class History:
    """Loss recorded during training: ``losses[i]`` is the MSE after ``epochs[i]`` updates/epochs."""

    epochs: tuple[int, ...]
    losses: tuple[float, ...]
    params: tuple[tuple[float, ...], ...] = ()  # (W..., B) in scaled units per record, with record_params

    def as_array(self) -> np.ndarray:
        """The lesson's ``hist``: an array of shape (n_records, 2) with columns epoch, loss."""
        return np.column_stack([np.array(self.epochs, dtype=np.float64), np.array(self.losses)])

    def loss_at(self, epoch: int) -> float:
        return self.losses[self.epochs.index(epoch)]


@dataclass(frozen=True)
class Progress:
    """What the loop reports to a callback at each recorded epoch."""

    epoch: int
    epochs: int
    loss: float


@dataclass(frozen=True)
class FitResult:
    """The outcome of :func:`fit`, in the data's own units, next to the exact optimum.

    Attributes
    ----------
    coef : ndarray (n_features,), intercept : float
        The fitted line in original units.
    coef_scaled : ndarray (n_features,), intercept_scaled : float
        The same parameters as the optimizer saw them (scaled space).
    scaler : Scaler
    history : History
    config : TrainConfig
    epochs_run : int
        Updates (full batch) or passes (minibatch) actually made; fewer than ``config.epochs``
        when the tolerance stopped the run.
    stop_reason : "epochs" | "tol" | "gap"
    final_loss : float
        MSE of the final parameters on the whole data, float64, original units.
    exact : ExactSolution
    seconds : float
        Wall time of the training loop.
    lr_bound : float
        2 / lambda_max of the Hessian on the scaled data: the full-batch SGD stability bound.
    engine : "stats" | "data", the engine that ran
    n_samples : int, rows in the data
    stats : SufficientStats, the one-pass statistics of the data (for :meth:`summary`)
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
    target_variance: float
    feature_min: np.ndarray
    feature_max: np.ndarray
    engine: str = "stats"
    n_samples: int = 0
    stats: SufficientStats | None = None

    @property
    def initial_loss(self) -> float:
        return self.history.losses[0]

    @property
    def loss_gap(self) -> float:
        """``loss - loss*``: how far above the exact optimum gradient descent stopped."""
        return self.final_loss - self.exact.loss

    @property
    def relative_gap(self) -> float:
        """``(loss - loss*) / loss*``; when the data fit a line exactly (loss* ~ 0), relative to
        the variance of the target (the loss of always predicting the mean) instead."""
        scale = self.exact.loss if self.exact.loss > 1e-12 * self.target_variance else self.target_variance
        return self.loss_gap / scale if scale > 0 else self.loss_gap

    @property
    def param_distance(self) -> float:
        """``||theta - theta*||`` over coefficients and intercept, original units."""
        diff = np.append(self.coef - self.exact.coef, self.intercept - self.exact.intercept)
        return float(np.linalg.norm(diff))

    @property
    def r2(self) -> float:
        """Coefficient of determination of the fitted line on the training data."""
        return 1.0 - self.final_loss / self.target_variance if self.target_variance > 0 else float("nan")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions in original units for X of shape (n_samples, n_features)."""
        return np.asarray(X, dtype=np.float64) @ self.coef + self.intercept

    def summary(self, *, level: float = 0.95, exact: bool = False):
        """The OLS summary (standard errors, t, p, intervals, R², F) of the fitted line, or of the
        exact optimum with ``exact=True``: a :class:`slopefit.inference.Summary`."""
        from slopefit.inference import summarize

        if self.stats is None:
            raise ValueError("this FitResult carries no statistics to summarise")
        coef, intercept = (self.exact.coef, self.exact.intercept) if exact else (self.coef, self.intercept)
        return summarize(self.stats, coef, intercept, fit_intercept=self.config.fit_intercept,
                         feature_names=self.feature_names, level=level)


def fit(
    data: Dataset | TableSource,
    config: TrainConfig | None = None,
    *,
    callback: Callable[[Progress], None] | None = None,
    reference: ExactSolution | None = None,
    on_rows: Callable[[int], None] | None = None,
    stats: SufficientStats | None = None,
) -> FitResult:
    """Fit ``Yp = X @ W + B`` to ``data`` by gradient descent on MSE.

    Each epoch of full-batch training computes the loss at the current parameters, records it,
    and takes one optimizer step with its gradient (as the lesson's loop does), so
    ``history.loss_at(k)`` is the loss after ``k`` updates. Minibatch training takes one step
    per batch of a fresh seeded shuffle and records the whole-data loss after each epoch.

    One pass over the data first gathers its sufficient statistics (:mod:`slopefit.stats`):
    they give the scaling, the stable learning-rate bound, the exact optimum of large tables
    and, with ``engine="stats"``, every full-batch loss and gradient at O(D^2) per epoch.

    Parameters
    ----------
    data : Dataset, or TableSource (a file read in chunks; see :func:`slopefit.tables.open_table`)
    config : TrainConfig, default TrainConfig()
    callback : callable, optional
        Called with a :class:`Progress` at every recorded epoch (the CLI draws its progress bar).
    reference : ExactSolution, optional
        The exact optimum of ``data`` if already known (see :func:`reference_solution`);
        several runs on the same data solve it once.
    on_rows : callable, optional
        Called with the number of rows read so far during the statistics pass.
    stats : SufficientStats, optional
        The statistics of ``data`` if already gathered (:func:`gather_stats`): no pass is made.

    Returns
    -------
    FitResult

    Raises
    ------
    DivergenceError
        The loss became non-finite or exploded; the message gives the epoch, lr and stable bound.

    Examples
    --------
    >>> from slopefit.datasets import builtin
    >>> res = fit(builtin("height-weight"), TrainConfig(lr=0.01, options={"momentum": 0.9}, epochs=300))
    >>> round(float(res.coef[0]), 4)
    1.8207
    """
    import torch

    config = config or TrainConfig()
    device = check_device(config.device)
    stats = stats or gather_stats(data, on_rows=on_rows)
    scaler = stats.scaler(config.scaling, fit_intercept=config.fit_intercept)
    from_stats = stats.solve(fit_intercept=config.fit_intercept)
    exact = reference or (solve_exact(data.X, data.y, fit_intercept=config.fit_intercept)
                          if _solve_on_rows(data) else from_stats)
    lr_bound = stats.lr_bound(scaler, fit_intercept=config.fit_intercept)
    dtype = getattr(torch, config.dtype)
    quadratic = StatsEngine(stats, scaler, fit_intercept=config.fit_intercept, device=device, optimum=from_stats)
    engine_name = config.resolved_engine()
    full_batch = config.batch_size is None or config.batch_size >= stats.n
    engine = _make_engine(engine_name, data, scaler, quadratic, full_batch=full_batch, dtype=dtype, device=device)

    n_features = stats.n_features
    W = torch.full((n_features,), float(config.init), dtype=dtype, device=device, requires_grad=True)
    B = (torch.full((1,), float(config.init), dtype=dtype, device=device, requires_grad=True)
         if config.fit_intercept else None)
    params = [W] if B is None else [W, B]
    optimizer = make_optimizer(config.optimizer, params, lr=config.lr, options=config.options)
    generator = torch.Generator().manual_seed(int(config.seed))

    def full_closure():
        optimizer.zero_grad()
        loss = engine.loss(W, B)
        loss.backward()
        return loss

    variance = stats.target_variance if config.fit_intercept else stats.raw()[2] / stats.n
    target = -math.inf  # the loss at which stop_gap is reached
    if config.stop_gap is not None:
        target = exact.loss + config.stop_gap * (exact.loss if exact.loss > 1e-12 * variance else variance)
    may_stop = config.tol is not None or config.stop_gap is not None
    snapshot: list = []
    params_seen: list[tuple[float, ...]] = []
    epochs_seen: list[int] = []
    losses: list[float] = []
    limit = math.inf
    previous = math.nan
    stop_reason = "epochs"
    last = config.epochs
    start = time.perf_counter()
    for epoch in range(config.epochs + 1):
        is_last = epoch == config.epochs
        must_check = (full_batch or config.tol is not None or config.stop_gap is not None or is_last
                      or epoch % config.log_every == 0)
        if full_batch and not is_last:
            if may_stop or config.record_params:  # the step below moves on from the point the loss is of
                snapshot = [p.detach().clone() for p in params]
            loss = float(optimizer.step(full_closure).detach())  # loss before this step = after `epoch` updates
        else:
            snapshot = params
            loss = engine.whole_loss(W, B) if must_check else math.nan
        if epoch == 0:
            limit = EXPLODE_FACTOR * max(loss, 1e-12 * max(variance, 1e-300))
        if must_check:
            _check_divergence(loss, limit, epoch, config, lr_bound)
        converged = (config.tol is not None and epoch > 0
                     and abs(previous - loss) <= config.tol * max(abs(previous), 1e-300))
        close_enough = must_check and loss <= target
        if epoch % config.log_every == 0 or is_last or converged or close_enough:
            epochs_seen.append(epoch)
            losses.append(loss)
            if config.record_params:
                params_seen.append(tuple(float(v) for p in snapshot for v in p.detach().reshape(-1).tolist()))
            if callback is not None:
                callback(Progress(epoch=epoch, epochs=config.epochs, loss=loss))
        if converged or close_enough:
            stop_reason, last = ("tol" if converged else "gap"), epoch
            if full_batch and not is_last:
                with torch.no_grad():  # return the parameters after `epoch` updates, whose loss was judged
                    for p, saved in zip(params, snapshot, strict=True):
                        p.copy_(saved)
            break
        previous = loss
        if not full_batch and not is_last:
            _minibatch_epoch(engine, W, B, optimizer, config, generator, epoch + 1, lr_bound, limit)
    seconds = time.perf_counter() - start

    with torch.no_grad():
        w_scaled = W.detach().to(torch.float64).cpu().numpy().copy()
        b_scaled = float(B.detach()[0]) if B is not None else 0.0
    coef, intercept = scaler.to_original(w_scaled, b_scaled)
    if not config.fit_intercept:
        intercept = 0.0
    if _solve_on_rows(data):
        final_loss = mse_float64(data.X, data.y, coef, intercept, fit_intercept=config.fit_intercept)
    else:
        final_loss = stats.loss(coef, intercept, fit_intercept=config.fit_intercept, optimum=from_stats)
    return FitResult(
        coef=coef, intercept=intercept, coef_scaled=w_scaled, intercept_scaled=b_scaled, scaler=scaler,
        history=History(tuple(epochs_seen), tuple(losses), tuple(params_seen)), config=config, epochs_run=last,
        stop_reason=stop_reason, final_loss=final_loss, exact=exact, seconds=seconds, lr_bound=lr_bound,
        feature_names=data.feature_names, target_name=data.target_name, target_variance=variance,
        feature_min=stats.x_min, feature_max=stats.x_max, engine=engine_name, n_samples=stats.n, stats=stats,
    )


def _make_engine(name: str, data: Dataset | TableSource, scaler: Scaler, quadratic: StatsEngine, *,
                 full_batch: bool, dtype, device: str) -> StatsEngine | DataEngine | StreamEngine:
    """The engine the loop draws its losses from (see :mod:`slopefit.engines`)."""
    if name == "stats":
        return quadratic
    if isinstance(data, Dataset):
        return DataEngine.from_arrays(data.X, data.y, scaler, dtype=dtype, device=device, exact_loss=quadratic)
    if full_batch:  # the loss on every row at every epoch: the file has to fit in memory
        rows = data.read_all()
        return DataEngine.from_arrays(rows.X, rows.y, scaler, dtype=dtype, device=device)
    return StreamEngine(data, scaler, quadratic, dtype=dtype, device=device)


def gather_stats(data: Dataset | TableSource, *, on_rows: Callable[[int], None] | None = None) -> SufficientStats:
    """The sufficient statistics of an in-memory dataset or of a file read in chunks."""
    if isinstance(data, Dataset):
        stats = compute_stats([(data.X, data.y)], data.n_features)
        if on_rows is not None:
            on_rows(data.n_samples)
        return stats
    stats = compute_stats(data.chunks(on_rows=on_rows), data.n_features,
                          names=[*data.feature_names, data.target_name], label=data.name)
    if stats.n < 2:
        raise DataError(f"{data.name} has {stats.n} row; a line needs at least 2 rows of data")
    constant = np.flatnonzero(stats.x_min == stats.x_max)
    if constant.size:
        name = data.feature_names[int(constant[0])]
        raise DataError(f"feature {name!r} is constant (every row is {stats.x_min[constant[0]]:g}): it carries no "
                        "information and makes the fit ill-posed; leave it out with --x")
    return stats


def _solve_on_rows(data: Dataset | TableSource) -> TypeGuard[Dataset]:
    """Small in-memory tables get the reference from the rows (SVD, more digits); others from the statistics."""
    return isinstance(data, Dataset) and data.n_samples * data.n_features <= EXACT_ON_ROWS_MAX


def reference_solution(data: Dataset | TableSource, *, fit_intercept: bool = True,
                       stats: SufficientStats | None = None) -> ExactSolution:
    """The float64 optimum :func:`fit` compares with: :func:`solve_exact` on the rows of a small
    in-memory table, the normal equations of the sufficient statistics otherwise."""
    if _solve_on_rows(data):
        return solve_exact(data.X, data.y, fit_intercept=fit_intercept)
    return (stats or gather_stats(data)).solve(fit_intercept=fit_intercept)


def check_device(device: str) -> str:
    """Return ``device`` if torch can use it here, else raise ConfigError with the way out."""
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' is not available here (torch.cuda.is_available() is False); "
                          "use --device cpu")
    if device == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ConfigError("device 'mps' is not available here (needs Apple silicon); use --device cpu")
    return device


def _minibatch_epoch(engine, W, B, optimizer, config, generator, epoch, lr_bound, limit) -> None:
    """One pass over a fresh seeded shuffle, one optimizer step per batch.

    The batch gradient is the lesson's formula written out, ``dL/dW = (2/n) X^T (Yp - Y)`` and
    ``dL/dB = (2/n) sum(Yp - Y)``, set on ``W.grad`` and ``B.grad`` directly: the same numbers
    autograd gives (a test holds them together) at half the cost of a graph per batch.
    """
    import torch

    def step(Xb, yb):
        def closure():
            with torch.no_grad():
                residual = Xb @ W - yb if B is None else torch.addmv(B - yb, Xb, W)  # (batch,) Yp - Y
                scale = 2.0 / residual.shape[0]
                W.grad = (Xb.T @ residual).mul_(scale)
                if B is not None:
                    B.grad = residual.sum(dim=0, keepdim=True).mul_(scale)
                return residual.square().mean()

        loss = float(optimizer.step(closure))
        _check_divergence(loss, limit, epoch, config, lr_bound)

    engine.minibatch_epoch(step, config.batch_size, generator)


def _check_divergence(loss: float, limit: float, epoch: int, config: TrainConfig, bound: float) -> None:
    if math.isfinite(loss) and loss <= limit:
        return
    what = "became " + ("NaN" if math.isnan(loss) else "infinite") if not math.isfinite(loss) \
        else f"exploded to {loss:.4g}"
    if epoch == 0:  # before any update: the numbers themselves do not fit the dtype
        raise DataError(f"the loss at the starting point is already {'NaN' if math.isnan(loss) else 'infinite'} "
                        f"in {config.dtype}: the data's values are too large to square; use --dtype float64 "
                        "or express the target in larger units")
    own = stable_bound(2.0 / bound, config.optimizer, config.options) if bound > 0 else None
    if own is not None and config.lr >= own:
        advice = (f"full-batch gradient descent on this data is stable only for lr < {own:.3g} "
                  f"({describe_bound(config.optimizer, config.options)} of the MSE Hessian, "
                  f"λmax={2.0 / bound:.4g}); lower the learning rate")
    else:
        advice = (f"lr is below the plain full-batch bound {bound:.3g} (2/λmax), so try a smaller lr, "
                  f"less momentum or another optimizer")
    if config.scaling != "standardize":
        advice += ", or scale the data (--scale standardize)"
    raise DivergenceError(f"training diverged at epoch {epoch}: the loss {what} with {config.describe()}; "
                          f"{advice}", epoch=epoch, lr=config.lr, bound=bound)
