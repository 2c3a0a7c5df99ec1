"""What the playground computes for a request: runs streamed epoch by epoch, the loss bowl and the
advisor's numbers for a data set and scaling, the lr x momentum sweep, the lesson's steps.

Every number comes from the library (:func:`slopefit.train.training.fit` with a progress callback,
:mod:`slopefit.solve.advise`, :mod:`slopefit.train.sweep`, :mod:`slopefit.teach.trace`, :mod:`slopefit.teach.lesson`,
and the landscape window of :mod:`slopefit.views.plotting.landscape`); this module only turns a
request into their arguments, checks its bounds, and their results into JSON-ready dicts.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from slopefit.data.datasets import Dataset, builtin_names
from slopefit.data.sources import builtin
from slopefit.errors import ConfigError
from slopefit.texts import cli_words
from slopefit.train.config import TrainConfig
from slopefit.train.plan import plan_fit

MAX_EPOCHS = 5000  # epochs one run may ask for
MAX_ROWS = 200_000  # rows a data set may have here (uploads are size-limited before that)
MAX_SWEEP_CELLS = 160  # lr x momentum cells of one sweep
MAX_SWEEP_EPOCHS = 1000
MAX_SECONDS = 60.0  # wall time of one run before it is stopped
POINTS_SHOWN = 400  # rows sent to draw the scatter
LANDSCAPE_POINTS = 64  # grid points per axis of the contour panel
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "lbfgs")
SCALINGS = ("none", "center", "standardize")

Emit = Callable[[dict], None]


class Flag(Protocol):
    """A cancel flag: :class:`threading.Event`, or a worker process's :func:`multiprocessing.Event`."""

    def is_set(self) -> bool: ...


class Cancelled(Exception):
    """The run was cancelled (by the learner, a closed page, or its time limit)."""


@dataclass(frozen=True)
class RunRequest:
    """One run as the page asks for it, checked against the server's bounds.

    Attributes
    ----------
    optimizer : str, lr : float, momentum : float
        The optimizer (a name of :data:`OPTIMIZERS`), its learning rate (> 0) and its momentum
        (sgd, rmsprop; beta1 for adam/adamw), in [0, 1).
    epochs : int, 1..MAX_EPOCHS
    batch_size : int or None, >= 1; None: full batch
    scaling : "none" | "center" | "standardize"
    start : (float, float) or None
        (W, B) to start from in the scaled units of ``scaling`` (a click on the contours);
        None starts at zeros.
    """

    optimizer: str
    lr: float
    momentum: float
    epochs: int
    batch_size: int | None
    scaling: str
    start: tuple[float, float] | None = None
    lesson: str | None = None  # one of the lesson's runs (slopefit.teach.lesson.RUNS): trained as the lesson trains it
    dataset: str | None = None  # the lesson run's data set

    def config(self) -> TrainConfig:
        """The TrainConfig of this run (record_params on: the page draws the path); a lesson run's
        is the lesson's own (:func:`slopefit.teach.lesson.lesson_run`)."""
        if self.lesson is not None:
            from dataclasses import replace

            from slopefit.teach.lesson import lesson_run

            return replace(lesson_run(self.lesson)[1], record_params=True)
        options: dict[str, Any] = {}
        if self.momentum:
            if self.optimizer in ("adam", "adamw"):
                options["betas"] = (self.momentum, 0.999)
            elif self.optimizer in ("sgd", "rmsprop"):
                options["momentum"] = self.momentum
            else:
                raise ConfigError(f"{self.optimizer} takes no momentum; set momentum to 0")
        return TrainConfig(optimizer=self.optimizer, lr=self.lr, epochs=self.epochs, options=options,
                           batch_size=self.batch_size, scaling=self.scaling, record_params=True)


def _number(body: Mapping[str, Any], key: str, default: Any = None) -> Any:
    value = body.get(key, default)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{key} must be a finite number, got {value!r}")
    return number


def parse_run(body: Mapping[str, Any]) -> RunRequest:
    """A :class:`RunRequest` from the page's JSON, or ConfigError naming the bad field.

    Parameters
    ----------
    body : mapping
        ``optimizer``, ``lr``, ``momentum``, ``epochs``, ``batch_size`` (empty: full batch),
        ``scale``, and optionally ``start`` ([W, B]); or ``lesson`` naming one of the lesson's
        runs (``loop``, ``exercise1``, ``exercise2``), whose settings are the lesson's own.

    Returns
    -------
    RunRequest

    Raises
    ------
    ConfigError
        A value missing, not a number, or outside the server's bounds.
    """
    if body.get("lesson"):
        return lesson_request(str(body["lesson"]))
    optimizer = str(body.get("optimizer", "sgd"))
    if optimizer not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    scaling = str(body.get("scale", "center"))
    if scaling not in SCALINGS:
        raise ConfigError(f"unknown scaling {scaling!r}; choose none, center or standardize")
    lr = _number(body, "lr")
    if lr is None or lr <= 0:
        raise ConfigError(f"lr must be a number > 0, got {body.get('lr')!r}; e.g. 0.01")
    momentum = _number(body, "momentum", 0.0)
    if not 0 <= momentum < 1:
        raise ConfigError(f"momentum must be in [0, 1), got {momentum:g}; e.g. 0.9")
    epochs = _number(body, "epochs", 200)
    if epochs != int(epochs) or not 1 <= epochs <= MAX_EPOCHS:
        raise ConfigError(f"epochs must be a whole number from 1 to {MAX_EPOCHS}, got {body.get('epochs')!r}")
    batch = _number(body, "batch_size")
    if batch is not None and (batch != int(batch) or batch < 1):
        raise ConfigError(f"batch size must be a whole number >= 1 (empty: full batch), got {body.get('batch_size')!r}")
    start = body.get("start")
    if start is not None:
        if not (isinstance(start, list | tuple) and len(start) == 2):
            raise ConfigError(f"start must be [W, B], got {start!r}")
        start = (_number({"W": start[0]}, "W"), _number({"B": start[1]}, "B"))
    return RunRequest(optimizer=optimizer, lr=float(lr), momentum=float(momentum), epochs=int(epochs),
                      batch_size=None if batch is None else int(batch), scaling=scaling, start=start)


def lesson_request(name: str) -> RunRequest:
    """The :class:`RunRequest` of the lesson's run ``name``, its settings taken from
    :func:`slopefit.teach.lesson.lesson_run` (the same code path as ``slopefit lesson``)."""
    from slopefit.teach.lesson import lesson_run

    dataset, config = lesson_run(name)
    return RunRequest(optimizer=config.optimizer, lr=config.lr, momentum=float(config.options.get("momentum", 0.0)),
                      epochs=config.epochs, batch_size=config.batch_size, scaling=config.scaling, lesson=name,
                      dataset=dataset)


def builtin_data(name: str) -> Dataset:
    """A built-in data set by its name in ``slopefit datasets``, or ConfigError (never a path)."""
    if name not in builtin_names():
        raise ConfigError(f"unknown data set {name!r}; choose one of {', '.join(builtin_names())} or upload a CSV")
    return builtin(name)


def check_rows(data: Dataset) -> Dataset:
    """``data`` when it has at most :data:`MAX_ROWS` rows, else ConfigError."""
    if data.n_samples > MAX_ROWS:
        raise ConfigError(f"{data.name} has {data.n_samples} rows; the playground takes at most {MAX_ROWS}: "
                          "use slopefit fit on the command line for larger tables")
    return data


def finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None (JSON has neither), arrays as lists."""
    if isinstance(value, np.ndarray):
        return finite(value.tolist())
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _shown_rows(data: Dataset) -> np.ndarray:
    """The rows drawn: all of a small table, else :data:`POINTS_SHOWN` evenly spaced ones."""
    return np.unique(np.linspace(0, data.n_samples - 1, min(data.n_samples, POINTS_SHOWN)).astype(int))


def _points(data: Dataset) -> dict:
    """The rows to draw over the line (one feature)."""
    rows = _shown_rows(data)
    return {"x": data.X[rows, 0].tolist(), "y": data.y[rows].tolist()}


def _predicted(data: Dataset, result) -> dict:
    """Actual against predicted for the rows drawn, by the run's line and by the exact one (several features)."""
    rows = _shown_rows(data)
    return {"actual": data.y[rows].tolist(), "predicted": result.predict_matrix(data.X[rows]).tolist(),
            "exact": result.exact.predict(data.X[rows]).tolist()}


def landscape(stats, scaler, path_w: list[float], path_b: list[float]) -> dict | None:
    """The contour panel: the loss above its minimum on a grid over the window the landscape
    figure uses for this path (:func:`slopefit.views.plotting.landscape.landscape_grid`), in the
    scaled (W, B) the optimizer sees; None for more than one feature."""
    from slopefit.views.plotting.landscape import ParamPath, landscape_grid

    if stats.n_features != 1:
        return None
    surface = stats.loss_surface(scaler)
    minimum = (float(surface.theta_star[0]), float(surface.theta_star[1]))
    ws = [w for w in path_w if math.isfinite(w)] or [minimum[0]]
    bs = [b for b in path_b if math.isfinite(b)] or [minimum[1]]
    path = ParamPath("", list(range(len(ws))), ws, bs, [], [])
    Wg, Bg, gap, rise = landscape_grid(surface, [path], minimum, points=LANDSCAPE_POINTS)
    top = float(np.nanmax(gap))
    low = 1e-3 * (rise if rise else top)  # as the landscape figure: innermost ellipse 1/30 of the window
    return {"w": [float(Wg.min()), float(Wg.max())], "b": [float(Bg.min()), float(Bg.max())],
            "n": LANDSCAPE_POINTS, "gap": [float(f"{v:.5g}") for v in gap.ravel()],
            "levels": np.geomspace(low, top, 12).tolist() if top > low > 0 else [],
            "minimum": list(minimum), "loss_star": surface.loss_star,
            "q": surface.q.tolist()}


def bowl(data: Dataset, scaling: str, *, optimizer: str = "sgd", lr: float | None = None,
         momentum: float = 0.0, start: tuple[float, float] | None = None, stats=None, exact=None) -> dict:
    """The data, the exact line, the advisor's numbers and the loss bowl for ``scaling``: what
    the page shows before a run (and beside it).

    Parameters
    ----------
    data : Dataset
    scaling : "none" | "center" | "standardize"
    optimizer, lr, momentum : the settings to judge against the bound (lr None: no judgement)
    start : (W, B) in scaled units, or None for zeros
    stats, exact : the data's statistics and exact optimum when already computed, else None

    Returns
    -------
    dict
        ``data`` (name, feature and target names, rows, points), ``exact`` (coef, intercept,
        loss), ``advice`` (eigenvalues, condition numbers, bounds, fastest settings), ``bound``
        (the run's own stable lr, its formula) and ``warning``, ``landscape`` (or None).
    """
    from slopefit.solve.advise import advise, describe_bound, stable_bound
    from slopefit.train.messages import unstable_lr_warning

    plan = plan_fit(data, TrainConfig(scaling=scaling), stats=stats, reference=exact)
    stats, exact, scaler = plan.stats, plan.ols, plan.scaler
    advice = advise(stats, scaling=scaling)
    options = {"momentum": momentum} if momentum and optimizer == "sgd" else {}
    own = stable_bound(advice.lambda_max, optimizer, options)
    warning = unstable_lr_warning(advice.lambda_max, optimizer, options, lr) if lr else None
    start = start or (0.0, 0.0)
    return finite({
        "data": {"name": data.name, "features": list(data.feature_names), "target": data.target_name,
                 "rows": data.n_samples, **(_points(data) if data.n_features == 1 else {})},
        "exact": {"coef": exact.coef.tolist(), "intercept": exact.intercept, "loss": exact.loss},
        "scaling": scaling,
        "advice": {"eigenvalues": advice.eigenvalues.tolist(), "condition": advice.condition,
                   "lr_bound": advice.lr_bound, "best_lr": advice.best_lr, "best_rate": advice.best_rate,
                   "heavy_ball_lr": advice.heavy_ball_lr, "heavy_ball_momentum": advice.heavy_ball_momentum,
                   "heavy_ball_rate": advice.heavy_ball_rate, "lambda_max": advice.lambda_max},
        "bound": {"lr": own, "formula": describe_bound(optimizer, options) if own is not None else None,
                  "optimizer": optimizer},
        "warning": warning,
        "landscape": landscape(stats, scaler, [start[0]], [start[1]]),
    })


def warm_up() -> None:
    """One tiny run, so that the first learner does not wait for torch's first-optimizer imports."""
    from slopefit.train.training import fit

    fit(builtin("hours-ability"), TrainConfig(lr=0.01, epochs=2, scaling="none"))


def lesson_format(loss: float) -> str:
    """A loss as the lesson's loop prints it (``epoch = 200 loss = 0.0013``): four decimals."""
    return f"{loss:.4f}"


def cli_format(loss: float) -> str:
    """A loss as ``slopefit fit`` prints its final loss: ten significant digits."""
    return f"{loss:.10g}"


def train(data: Dataset, request: RunRequest, emit: Emit, cancelled: Flag, *,
          deadline: float | None = None) -> Any:
    """Train ``request`` on ``data`` with :func:`slopefit.train.training.fit`, emitting every epoch.

    Events, in order: ``start`` (the bowl of :func:`bowl` and the settings), one ``epoch`` per
    recorded epoch (``e``, ``loss``, scaled ``w``/``b``, the line's ``slope``/``intercept`` in
    the data's units), then ``done`` (final loss in the lesson's and the CLI's formats, the
    line, the gap, epochs, seconds, the landscape over the whole path) or, on divergence,
    ``error`` with the library's one-line message (which quotes the stable bound).

    Parameters
    ----------
    data : Dataset
    request : RunRequest
    emit : callable
        Receives each event (a JSON-ready dict).
    cancelled : threading.Event or multiprocessing.Event
        Set to stop the run at its next epoch (raises :class:`Cancelled`).
    deadline : float or None
        ``time.monotonic()`` past which the run is stopped as cancelled.

    Returns
    -------
    FitResult or None
        The result (None when the run diverged).
    """
    import time

    from slopefit.errors import DivergenceError
    from slopefit.train.training import fit

    config = request.config()
    plan = plan_fit(data, config)
    stats, reference, scaler = plan.stats, plan.ols, plan.scaler
    start = request.start
    if start is not None and (stats.n_features != 1):
        raise ConfigError("a starting point (W, B) needs data with one feature")
    info = bowl(data, config.scaling, optimizer=config.optimizer, lr=config.lr, momentum=request.momentum,
                start=start, stats=stats, exact=reference)
    emit({"type": "start", "config": config.describe(), "epochs": config.budget, **info})
    one = stats.n_features == 1
    path_w: list[float] = []
    path_b: list[float] = []

    def progress(p) -> None:
        if cancelled.is_set() or (deadline is not None and time.monotonic() > deadline):
            raise Cancelled
        event: dict[str, Any] = {"type": "epoch", "e": p.epoch, "loss": p.loss}
        if p.params is not None and one:
            w, b = p.params[0], p.params[-1]
            coef, intercept = scaler.to_original(np.array([w]), b)
            path_w.append(w)
            path_b.append(b)
            event.update(w=w, b=b, slope=float(coef[0]), intercept=float(intercept))
        emit(event)  # made JSON-ready (NaN and infinities as null) by the stream

    try:
        result = fit(data, config, callback=progress, stats=stats, reference=reference, init_params=start)
    except DivergenceError as exc:
        message = f"slopefit: {cli_words(str(exc))}"
        emit(finite({"type": "error", "kind": "diverged", "message": message, "epoch": exc.epoch,
                     "bound": info["bound"]["lr"], "landscape": landscape(stats, scaler, path_w[:1], path_b[:1])}))
        return None
    if request.lesson is not None:  # the number the lesson prints for this run
        from slopefit.teach.lesson import printed_loss

        shown = lesson_format(printed_loss(request.lesson, result))
    else:
        shown = lesson_format(result.final_loss)
    emit(finite({
        "type": "done", "config": result.config.describe(), "epochs_run": result.epochs_run,
        "final_loss": result.final_loss, "final_loss_lesson": shown, "lesson": request.lesson,
        "final_loss_cli": cli_format(result.final_loss), "coef": result.coef.tolist(),
        "intercept": result.intercept, "loss_gap": result.loss_gap, "relative_gap": result.relative_gap,
        "converged": bool(result.converged), "seconds": result.seconds, "stop_reason": result.stop_reason,
        "landscape": landscape(stats, scaler, path_w, path_b) if one else None,
        "predicted": None if one else _predicted(data, result),
    }))
    return result


def sweep_grid(data: Dataset, body: Mapping[str, Any], cancelled: threading.Event) -> dict:
    """The lr x momentum sweep (:func:`slopefit.train.sweep.sweep`, one vectorised run) as a heatmap.

    Parameters
    ----------
    data : Dataset
    body : mapping
        ``scale``, ``epochs`` (<= MAX_SWEEP_EPOCHS), ``lr_min``, ``lr_max``, ``lr_count``,
        ``momenta`` (a list in [0, 1)); lr_count x len(momenta) <= MAX_SWEEP_CELLS.
    cancelled : threading.Event
        Checked before the run starts.

    Returns
    -------
    dict
        ``lrs``, ``momenta``, per cell (momentum-major) ``log_gap`` (log10 relative gap),
        ``diverged`` (epoch or -1), ``epochs_to_gap``; ``bounds`` 2(1+m)/λmax per momentum.
    """
    from slopefit.solve.advise import stable_bound
    from slopefit.train.sweep import grid, sweep, value_range

    scaling = str(body.get("scale", "center"))
    if scaling not in SCALINGS:
        raise ConfigError(f"unknown scaling {scaling!r}; choose none, center or standardize")
    epochs = _number(body, "epochs", 200)
    if epochs != int(epochs) or not 1 <= epochs <= MAX_SWEEP_EPOCHS:
        raise ConfigError(f"sweep epochs must be a whole number from 1 to {MAX_SWEEP_EPOCHS}, got {epochs:g}")
    lr_min, lr_max = _number(body, "lr_min", 1e-4), _number(body, "lr_max", 1.0)
    count = _number(body, "lr_count", 13)
    if not (0 < lr_min < lr_max) or count != int(count) or count < 2:
        raise ConfigError("the sweep's lr range must be 0 < lr_min < lr_max with lr_count >= 2 values")
    momenta = [float(m) for m in body.get("momenta", [0.0, 0.5, 0.9])]
    if not momenta or not all(0 <= m < 1 for m in momenta):
        raise ConfigError("the sweep's momenta must be numbers in [0, 1)")
    if int(count) * len(momenta) > MAX_SWEEP_CELLS:
        raise ConfigError(f"the sweep has {int(count) * len(momenta)} cells; the playground takes at most "
                          f"{MAX_SWEEP_CELLS}")
    if cancelled.is_set():
        raise Cancelled
    lrs = value_range(lr_min, lr_max, int(count), log=True)
    result = sweep(data, grid(TrainConfig(epochs=int(epochs), scaling=scaling), lrs, momenta))
    lam_max = result.lambda_max
    return finite({
        "lrs": lrs, "momenta": momenta, "epochs": int(epochs), "scaling": scaling,
        "log_gap": [math.log10(g) if g > 0 else -17.0 for g in result.relative_gap.tolist()],
        "diverged": result.diverged_at.tolist(), "epochs_to_gap": result.epochs_to_gap.tolist(),
        "gap": result.gap, "lambda_max": lam_max,
        "bounds": [stable_bound(lam_max, "sgd", {"momentum": m}) for m in momenta],
        "seconds": result.seconds,
    })


_LESSON_LOCK = threading.Lock()


def lesson(lang: str) -> dict:
    """The lesson replayed (:func:`slopefit.teach.lesson.run_lesson`) and its first manual step
    (:func:`slopefit.teach.trace.trace_steps`: ``W.grad``/``B.grad`` next to the formula), with the
    settings of each run the page can load into its controls; replayed once per language, a
    class opening the page at once waits for that one replay."""
    with _LESSON_LOCK:
        return _lesson(lang)


def _lesson_settings(name: str) -> dict:
    """The page's controls for the lesson's run ``name``, and its name (sent back with the run)."""
    run = lesson_request(name)
    return {"lesson": name, "dataset": run.dataset, "scale": run.scaling, "optimizer": run.optimizer, "lr": run.lr,
            "momentum": run.momentum, "epochs": run.epochs, "batch_size": ""}


@lru_cache(maxsize=2)
def _lesson(lang: str) -> dict:
    from slopefit.teach.lesson import RUNS, run_lesson
    from slopefit.teach.trace import trace_steps

    replay = run_lesson(lang)
    steps, scaler = trace_steps(builtin("height-weight"), steps=3, lr=0.001, scaling="center")
    return finite({
        "sections": [{"title": s.title, "lines": list(s.lines)} for s in replay.sections],
        "steps": [{"W": float(s.W[0]), "B": s.B, "loss": s.loss, "grad_W": float(s.grad_W[0]), "grad_B": s.grad_B,
                   "formula_W": float(s.formula_W[0]), "formula_B": s.formula_B,
                   "W_next": float(s.W_next[0]), "B_next": s.B_next} for s in steps],
        "slip": {"w": replay.seed_w, "b": replay.seed_b, "loss": float(replay.seed_hist[-1, 1])},
        "views": {  # settings shown without a run: the data, raw and centered
            "data": {"dataset": "height-weight", "scale": "none", "optimizer": "sgd", "lr": 0.001, "momentum": 0,
                     "epochs": 200, "batch_size": ""},
            "center": {"dataset": "height-weight", "scale": "center", "optimizer": "sgd", "lr": 0.001, "momentum": 0,
                       "epochs": 200, "batch_size": ""},
        },
        "runs": {name: _lesson_settings(name) for name in RUNS},
    })
