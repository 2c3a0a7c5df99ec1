"""Side-by-side timing: slopefit against what a user would pick instead, on the same data.

One process, one synthetic table (float32 features with offsets and different scales), one
float64 reference optimum; every method runs until its loss is within ``gap`` (relative)
of that optimum or its budget of epochs is spent, and reports seconds, the gap it reached
and the epochs it took:

==================  ===========================================================================
method              what it is
==================  ===========================================================================
floor-gram          one float32 ``X.T @ X``: reading the data once, the least any fit can cost
floor-matvec        one float32 ``X @ w``: the yardstick of a minibatch epoch
sklearn-linear      ``sklearn.linear_model.LinearRegression().fit`` on the float32 table
sklearn-sgd         ``StandardScaler`` + ``SGDRegressor`` (20 epochs, no early stop)
naive-loop          the lesson's loop written plainly over the whole tensor: standardize, then
                    ``((X @ W + B - y) ** 2).mean()``, ``backward()``, SGD momentum 0.9
slopefit-stats      :func:`slopefit.fit` on the stats engine, same optimizer settings
slopefit-data       :func:`slopefit.fit` on the data engine, full batch, same settings
slopefit-minibatch  :func:`slopefit.fit` on the data engine, batch 4096
==================  ===========================================================================
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from slopefit.data.datasets import Dataset, make_synthetic
from slopefit.errors import ConfigError
from slopefit.solve.exact import ExactSolution, solve_exact
from slopefit.solve.objective import mse_float64
from slopefit.train.config import TrainConfig
from slopefit.train.training import fit

METHODS = ("floor-gram", "floor-matvec", "sklearn-linear", "sklearn-sgd", "naive-loop", "slopefit-stats",
           "slopefit-data", "slopefit-minibatch")
LR, MOMENTUM = 0.1, 0.9  # one optimizer setting for every gradient-descent method (standardized data)
MAX_EPOCHS = 1000  # full-batch budget
MINIBATCH, MINIBATCH_LR, MINIBATCH_EPOCHS = 4096, 0.01, 3
SKLEARN_SGD_EPOCHS = 20


@dataclass(frozen=True)
class BenchRecord:
    """One method's result: ``rel_gap`` and ``epochs`` are None where they do not apply.

    Attributes
    ----------
    method : str
        A name from :data:`METHODS`.
    seconds : float
        Wall time of the method on the table.
    rel_gap : float or None
        The relative gap its line reached to the reference optimum; None for the floors.
    epochs : int or None
        Epochs (or iterations) it took; None where the method has none.
    """

    method: str
    seconds: float
    rel_gap: float | None
    epochs: int | None

    def to_dict(self) -> dict:
        """The fields by name (``dataclasses.asdict``), JSON-ready."""
        return asdict(self)


def check_methods(names: Sequence[str]) -> None:
    """Raise ConfigError naming the first of ``names`` that is not a benchmark method.

    Parameters
    ----------
    names : sequence of str
        Method names to check against :data:`METHODS`.

    Raises
    ------
    ConfigError
        When a name is not in :data:`METHODS`.

    Examples
    --------
    >>> check_methods(["floor-gram", "naive-loop"])  # known: nothing happens
    """
    unknown = [m for m in names if m not in METHODS]
    if unknown:
        raise ConfigError(f"unknown benchmark method {unknown[0]!r}; methods are {', '.join(METHODS)}")


def bench_data(n: int, d: int, *, seed: int = 0) -> Dataset:
    """The benchmark table: float32 features with offsets (10, 20, ...) and scales 0.5 to 5.

    Parameters
    ----------
    n : int
        Rows, >= 1.
    d : int
        Features, >= 1.
    seed : int, default 0
        Seeds the generator; keyword-only.

    Returns
    -------
    Dataset
        From :func:`slopefit.data.datasets.make_synthetic` with noise 1.
    """
    return make_synthetic(n, d, noise=1.0, seed=seed, offset=10.0, dtype=np.float32)


def run_bench(
    n: int = 1_000_000,
    d: int = 16,
    *,
    skip: Sequence[str] = (),
    gap: float = 1e-6,
    dtype: str = "float32",
    device: str = "cpu",
    seed: int = 0,
    on_record: Callable[[BenchRecord], None] | None = None,
) -> list[BenchRecord]:
    """Time every method of :data:`METHODS` not in ``skip`` on ``bench_data(n, d)``.

    The reference optimum is :func:`slopefit.solve.exact.solve_exact` on the float32 numbers, in
    float64, untimed. Each method first runs once untimed on a small table (one-off set-up costs).

    Parameters
    ----------
    n : int, default 1000000
        Rows of the table, >= 1.
    d : int, default 16
        Features, >= 1.
    skip : sequence of str, default ()
        Methods not to run; keyword-only (as are all below).
    gap : float, default 1e-6
        The relative gap each gradient-descent method runs to, > 0.
    dtype : {"float32", "float64"}, default "float32"
        The torch dtype the naive loop and slopefit's runs train in (data and parameters).
    device : {"cpu", "cuda", "mps"}, default "cpu"
        Where torch methods run.
    seed : int, default 0
        Seeds the table.
    on_record : callable or None, default None
        Called with each :class:`BenchRecord` as soon as it is measured.

    Returns
    -------
    list of BenchRecord
        In the order of :data:`METHODS`.

    Raises
    ------
    ConfigError
        When ``skip`` names an unknown method.
    """
    check_methods(skip)
    data = bench_data(n, d, seed=seed)
    exact = solve_exact(data.X, data.y)
    small = bench_data(min(n, 4096), d, seed=seed + 1)  # first calls pay one-off set-up costs (LAPACK,
    small_exact = solve_exact(small.X, small.y)  # torch's kernels, imports): pay them untimed
    for method in METHODS:
        if method not in skip and method not in ("sklearn-sgd",):
            _RUNNERS[method](small, small_exact, gap=gap, dtype=dtype, device=device)
    records = []
    for method in METHODS:
        if method in skip:
            continue
        gc.collect()
        record = _RUNNERS[method](data, exact, gap=gap, dtype=dtype, device=device)
        records.append(record)
        if on_record is not None:
            on_record(record)
    return records


def _gap(data: Dataset, exact: ExactSolution, coef, intercept) -> float:
    loss = mse_float64(data.X, data.y, np.asarray(coef, dtype=np.float64), float(intercept))
    return (loss - exact.loss) / exact.loss


def _best_of(fn: Callable[[], object], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _floor_gram(data, exact, **_) -> BenchRecord:
    import torch

    X = torch.from_numpy(data.X)
    return BenchRecord("floor-gram", _best_of(lambda: X.T @ X), None, None)


def _floor_matvec(data, exact, **_) -> BenchRecord:
    import torch

    X = torch.from_numpy(data.X)
    w = torch.ones(X.shape[1], dtype=X.dtype)
    return BenchRecord("floor-matvec", _best_of(lambda: X @ w), None, None)


def _sklearn_linear(data, exact, **_) -> BenchRecord:
    from sklearn.linear_model import LinearRegression

    start = time.perf_counter()
    model = LinearRegression().fit(data.X, data.y)
    seconds = time.perf_counter() - start
    return BenchRecord("sklearn-linear", seconds, _gap(data, exact, model.coef_, model.intercept_), None)


def _sklearn_sgd(data, exact, **_) -> BenchRecord:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = make_pipeline(StandardScaler(), SGDRegressor(max_iter=SKLEARN_SGD_EPOCHS, tol=None, random_state=0))
        model.fit(data.X, data.y)
    seconds = time.perf_counter() - start
    scaler, sgd = model[0], model[1]
    coef = sgd.coef_ / scaler.scale_
    intercept = float(sgd.intercept_[0]) - float(scaler.mean_ @ coef)
    return BenchRecord("sklearn-sgd", seconds, _gap(data, exact, coef, intercept), SKLEARN_SGD_EPOCHS)


def _naive_loop(data, exact, *, gap, dtype, device) -> BenchRecord:
    """The lesson's loop, written as a user would: no statistics, no tricks."""
    import torch

    target = exact.loss * (1 + gap)
    start = time.perf_counter()
    X = torch.as_tensor(data.X, device=device)
    y = torch.as_tensor(data.y, device=device)
    mean, std = X.mean(dim=0), X.std(dim=0)
    X = ((X - mean) / std).to(getattr(torch, dtype))
    y = y.to(getattr(torch, dtype))
    W = torch.zeros(X.shape[1], dtype=X.dtype, device=device, requires_grad=True)
    B = torch.zeros(1, dtype=X.dtype, device=device, requires_grad=True)
    optimizer = torch.optim.SGD([W, B], lr=LR, momentum=MOMENTUM)
    epochs = MAX_EPOCHS
    for epoch in range(MAX_EPOCHS):
        Yp = X @ W + B
        loss = ((Yp - y) ** 2).mean()
        if loss.item() <= target:
            epochs = epoch
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    coef = W.detach().double().cpu().numpy() / std.double().cpu().numpy()
    intercept = float(B.detach()[0]) - float(mean.double().cpu().numpy() @ coef)
    return BenchRecord("naive-loop", seconds, _gap(data, exact, coef, intercept), epochs)


def _slopefit(method: str, config: TrainConfig) -> Callable[..., BenchRecord]:
    def run(data, exact, *, gap, dtype, device) -> BenchRecord:
        from dataclasses import replace

        cfg = replace(config, dtype=dtype, device=device, stop_gap=gap)
        start = time.perf_counter()
        result = fit(data, cfg, reference=exact)
        seconds = time.perf_counter() - start
        return BenchRecord(method, seconds, result.relative_gap, result.epochs_run)

    return run


_FULL_BATCH: dict[str, Any] = {"lr": LR, "options": {"momentum": MOMENTUM}, "epochs": MAX_EPOCHS,
                               "log_every": MAX_EPOCHS}
_RUNNERS: dict[str, Callable[..., BenchRecord]] = {
    "floor-gram": _floor_gram,
    "floor-matvec": _floor_matvec,
    "sklearn-linear": _sklearn_linear,
    "sklearn-sgd": _sklearn_sgd,
    "naive-loop": _naive_loop,
    "slopefit-stats": _slopefit("slopefit-stats", TrainConfig(**_FULL_BATCH, engine="stats")),
    "slopefit-data": _slopefit("slopefit-data", TrainConfig(**_FULL_BATCH, engine="data")),
    "slopefit-minibatch": _slopefit("slopefit-minibatch", TrainConfig(
        lr=MINIBATCH_LR, options={"momentum": MOMENTUM}, epochs=MINIBATCH_EPOCHS, batch_size=MINIBATCH,
        engine="data", log_every=1)),
}
