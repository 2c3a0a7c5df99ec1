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
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from slopefit.data.datasets import Dataset
from slopefit.data.sources import builtin
from slopefit.server.checks import MAX_POINTS, RunRequest, SweepRequest, lesson_request
from slopefit.server.messages import Cancelled, Refused
from slopefit.texts import server_text
from slopefit.train.config import TrainConfig
from slopefit.train.plan import plan_fit

MAX_SECONDS = 60.0  # running time of one run (waiting for a worker not counted) before it is stopped
POINTS_SHOWN = 400  # rows sent to draw the scatter
LANDSCAPE_POINTS = 64  # grid points per axis of the contour panel
HISTORY_POINTS = 300  # epochs streamed per run at most (evenly spaced, the first and last kept): drawing stays fast

Emit = Callable[[dict], None]


class Flag(Protocol):
    """A cancel flag: :class:`threading.Event`, or a worker process's :func:`multiprocessing.Event`."""

    def is_set(self) -> bool: ...


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
         momentum: float = 0.0, start: tuple[float, float] | None = None, stats=None, exact=None,
         lang: str = "en") -> dict:
    """The data, the exact line, the advisor's numbers and the loss bowl for ``scaling``: what
    the page shows before a run (and beside it).

    Parameters
    ----------
    data : Dataset
    scaling : "none" | "center" | "standardize"
    optimizer, lr, momentum : the settings to judge against the bound (lr None: no judgement)
    start : (W, B) in scaled units, or None for zeros
    stats, exact : the data's statistics and exact optimum when already computed, else None
    lang : "ko" | "en", the language of the warning

    Returns
    -------
    dict
        ``data`` (name, feature and target names, rows, points, ``editable``: one feature and every
        row drawn, so the page may edit them), ``exact`` (coef, intercept,
        loss), ``advice`` (eigenvalues, condition numbers, bounds, fastest settings), ``bound``
        (the run's own stable lr, its formula) and ``warning``, ``landscape`` (or None).
    """
    from slopefit.solve.advise import advise, describe_bound, stable_bound
    plan = plan_fit(data, TrainConfig(scaling=scaling), stats=stats, reference=exact)
    stats, exact, scaler = plan.stats, plan.ols, plan.scaler
    advice = advise(stats, scaling=scaling)
    options = {"momentum": momentum} if momentum and optimizer == "sgd" else {}
    own = stable_bound(advice.lambda_max, optimizer, options)
    warning = None
    if lr is not None and own is not None and lr >= own:  # past the bound: the page's words, not the CLI's
        warning = server_text("warn.lr", lang, lr=lr, optimizer=optimizer, bound=own,
                              formula=describe_bound(optimizer, options))
    start = start or (0.0, 0.0)
    return finite({
        "data": {"name": data.name, "features": list(data.feature_names), "target": data.target_name,
                 "rows": data.n_samples, **(_points(data) if data.n_features == 1 else {}),
                 "editable": data.n_features == 1 and data.n_samples <= MAX_POINTS},  # every point drawn, so editable
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


def thinned(epochs: int, points: int = HISTORY_POINTS) -> int:
    """Every how many epochs a run of ``epochs`` epochs streams one (its first and last always):
    at most about ``points`` events whatever the epochs.

    Examples
    --------
    >>> thinned(200), thinned(5000)
    (1, 17)
    """
    return max(1, math.ceil((epochs + 1) / points))


def train(data: Dataset, request: RunRequest, emit: Emit, cancelled: Flag, *,
          deadline: float | None = None, seconds: float = MAX_SECONDS, lang: str = "en") -> Any:
    """Train ``request`` on ``data`` with :func:`slopefit.train.training.fit`, emitting its epochs.

    Events, in order: ``start`` (the bowl of :func:`bowl` and the settings), ``epoch`` events
    (``e``, ``loss``, scaled ``w``/``b``, the line's ``slope``/``intercept`` in the data's units;
    every :func:`thinned` epoch, the first and the last), then ``done`` (final loss in the lesson's
    and the CLI's formats, the line, the gap, epochs, seconds, the landscape over the whole path)
    or, on divergence, ``error`` with its one line in ``lang`` (which quotes the stable bound).

    Parameters
    ----------
    data : Dataset
    request : RunRequest
    emit : callable
        Receives each event (a JSON-ready dict).
    cancelled : threading.Event or multiprocessing.Event
        Set to stop the run at its next epoch (raises :class:`Cancelled`, reason ``stopped``).
    deadline : float or None
        ``time.monotonic()`` past which the run is stopped (:class:`Cancelled`, reason ``time``).
    seconds : float
        The running time the deadline allows (quoted when it is reached).
    lang : "ko" | "en"

    Returns
    -------
    FitResult or None
        The result (None when the run diverged).
    """
    import time

    from slopefit.errors import DivergenceError
    from slopefit.server.messages import say
    from slopefit.train.training import fit

    config = request.config()
    plan = plan_fit(data, config)
    stats, reference, scaler = plan.stats, plan.ols, plan.scaler
    start = request.start
    if start is not None and (stats.n_features != 1):
        raise Refused("err.start_features")
    info = bowl(data, config.scaling, optimizer=config.optimizer, lr=config.lr, momentum=request.momentum,
                start=start, stats=stats, exact=reference, lang=lang)
    emit({"type": "start", "config": config.describe(), "epochs": config.budget, **info})
    one = stats.n_features == 1
    every = thinned(config.budget)
    path_w: list[float] = []
    path_b: list[float] = []
    held: list[dict] = []  # the last epoch not streamed yet: sent at the end

    def progress(p) -> None:
        if cancelled.is_set():
            raise Cancelled("stopped")
        if deadline is not None and time.monotonic() > deadline:
            raise Cancelled("time", seconds)
        event: dict[str, Any] = {"type": "epoch", "e": p.epoch, "loss": p.loss}
        if p.params is not None and one:
            w, b = p.params[0], p.params[-1]
            coef, intercept = scaler.to_original(np.array([w]), b)
            path_w.append(w)
            path_b.append(b)
            event.update(w=w, b=b, slope=float(coef[0]), intercept=float(intercept))
        held[:] = [event]
        if p.epoch % every == 0 or p.epoch >= config.budget or not math.isfinite(p.loss):
            emit(event)  # made JSON-ready (NaN and infinities as null) by the stream
            held.clear()

    try:
        result = fit(data, config, callback=progress, stats=stats, reference=reference, init_params=start)
    except DivergenceError as exc:
        for event in held:
            emit(event)
        emit(finite({"type": "error", "kind": "diverged", "message": say(exc, lang), "epoch": exc.epoch,
                     "bound": info["bound"]["lr"], "landscape": landscape(stats, scaler, path_w[:1], path_b[:1])}))
        return None
    for event in held:
        emit(event)
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


def sweep_grid(data: Dataset, request: SweepRequest, cancelled: threading.Event) -> dict:
    """The lr x momentum sweep (:func:`slopefit.train.sweep.sweep`, one vectorised run) as a heatmap.

    Parameters
    ----------
    data : Dataset
    request : SweepRequest
        Checked by :func:`slopefit.server.checks.parse_sweep`.
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

    if cancelled.is_set():
        raise Cancelled("left")
    momenta = list(request.momenta)
    lrs = value_range(request.lr_min, request.lr_max, request.lr_count, log=True)
    result = sweep(data, grid(TrainConfig(epochs=request.epochs, scaling=request.scaling), lrs, momenta))
    lam_max = result.lambda_max
    return finite({
        "lrs": lrs, "momenta": momenta, "epochs": request.epochs, "scaling": request.scaling,
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
