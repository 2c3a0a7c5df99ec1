"""A request's values, typed and bounded at the edge: a run's settings (:func:`parse_run`), the
sweep's (:func:`parse_sweep`), a data set's name, columns and size, and a run's steps.

JSON bodies must give numbers as JSON numbers (a boolean, a list, an object or text is refused);
a query string's values are text and are read as numbers. Every refusal is a :class:`Refused`
naming the page's control, the value and the rule.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from slopefit.data.datasets import Dataset, builtin_names
from slopefit.server.messages import Refused
from slopefit.train.config import TrainConfig

MAX_EPOCHS = 5000  # epochs one run may ask for
MAX_LR = 1e3  # past this every data set diverges at once: a typo, not a setting
MAX_ROWS = 200_000  # rows a data set may have here (uploads are size-limited before that)
MAX_STEPS = 200_000  # optimizer steps of one run (rows / batch x epochs): a worker is never stuck in one epoch
MAX_SWEEP_CELLS = 160  # lr x momentum cells of one sweep
MAX_SWEEP_EPOCHS = 1000
MAX_SWEEP_MOMENTA = 16
MAX_SWEEP_LRS = 64
MAX_COLUMNS = 64  # feature columns one request may name
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "lbfgs")
SCALINGS = ("none", "center", "standardize")


def shown(value: Any) -> str:
    """``value`` as a message quotes it: its JSON, cut at 40 characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


@overload
def number(body: Mapping[str, Any], key: str, default: float, *, query: bool = False) -> float: ...
@overload
def number(body: Mapping[str, Any], key: str, default: None = None, *, query: bool = False) -> float | None: ...
def number(body: Mapping[str, Any], key: str, default: float | None = None, *, query: bool = False) -> float | None:
    """``body[key]`` as a finite float, ``default`` when absent, null or empty; Refused otherwise.
    ``query``: the value is a query string's text."""
    value = body.get(key, default)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int | float | str) or (isinstance(value, str) and not query):
        raise Refused("err.number", control=f"ctl.{key}", got=shown(value))
    try:
        result = float(value)
    except (ValueError, OverflowError):
        raise Refused("err.number", control=f"ctl.{key}", got=shown(value)) from None
    if not math.isfinite(result):
        raise Refused("err.number", control=f"ctl.{key}", got=shown(value))
    return result


@overload
def integer(body: Mapping[str, Any], key: str, default: int, low: int, high: int, *,
            query: bool = False, control: str | None = None) -> int: ...
@overload
def integer(body: Mapping[str, Any], key: str, default: None, low: int, high: int, *,
            query: bool = False, control: str | None = None) -> int | None: ...
def integer(body: Mapping[str, Any], key: str, default: int | None, low: int, high: int, *,
            query: bool = False, control: str | None = None) -> int | None:
    """``body[key]`` as a whole number in [low, high] (``default`` when absent), else Refused."""
    value = number(body, key, None, query=query)
    if value is None:
        return default
    if value != int(value) or not low <= value <= high:
        raise Refused("err.integer", control=control or f"ctl.{key}", low=low, high=high, got=shown(body.get(key)))
    return int(value)


def choice(body: Mapping[str, Any], key: str, default: str, choices: tuple[str, ...]) -> str:
    """``body[key]``, one of ``choices``; Refused otherwise."""
    value = body.get(key, default)
    if not isinstance(value, str) or value not in choices:
        raise Refused("err.choice", control=f"ctl.{key}", got=shown(value), choices=", ".join(choices))
    return value


def text(body: Mapping[str, Any], key: str, default: str = "") -> str:
    """``body[key]`` as text of at most 200 characters; Refused when another type."""
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > 200:
        raise Refused("err.text", control=f"ctl.{key}", got=shown(value))
    return value


def columns(value: Any) -> list[str] | None:
    """The feature columns a request names: one name, a list of names, or none (None)."""
    if value is None or value == "" or value == []:
        return None
    names = [value] if isinstance(value, str) else value
    if (not isinstance(names, list) or not all(isinstance(n, str) and 0 < len(n) <= 200 for n in names)
            or len(set(names)) != len(names) or len(names) > MAX_COLUMNS):
        raise Refused("err.columns", got=shown(value))
    return names


@dataclass(frozen=True)
class RunRequest:
    """One run as the page asks for it, checked against the server's bounds.

    Attributes
    ----------
    optimizer : str, lr : float, momentum : float
        The optimizer (a name of :data:`OPTIMIZERS`), its learning rate (0 < lr <= MAX_LR) and its
        momentum (sgd, rmsprop; beta1 for adam/adamw), in [0, 1).
    epochs : int, 1..MAX_EPOCHS
    batch_size : int or None, 1..MAX_ROWS; None: full batch
    scaling : "none" | "center" | "standardize"
    start : (float, float) or None
        (W, B) to start from in the scaled units of ``scaling`` (a click on the contours); None: zeros.
    lesson, dataset : the lesson's run and its data set, or None
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
                raise Refused("err.momentum_none", optimizer=self.optimizer)
        return TrainConfig(optimizer=self.optimizer, lr=self.lr, epochs=self.epochs, options=options,
                           batch_size=self.batch_size, scaling=self.scaling, record_params=True)


def parse_run(body: Mapping[str, Any], *, query: bool = False) -> RunRequest:
    """A :class:`RunRequest` from the page's JSON (``query``: from a query string's text).

    Parameters
    ----------
    body : mapping
        ``optimizer``, ``lr``, ``momentum``, ``epochs``, ``batch_size`` (empty or null: full batch),
        ``scale``, and optionally ``start`` ([W, B]); or ``lesson`` naming one of the lesson's runs
        (``loop``, ``exercise1``, ``exercise2``), whose settings are the lesson's own.

    Raises
    ------
    Refused
        A value of the wrong type or outside the server's bounds (the control, the value, the rule).
    """
    from slopefit.teach.lesson import RUNS

    if body.get("lesson"):
        return lesson_request(choice(body, "lesson", "", RUNS))
    optimizer = choice(body, "optimizer", "sgd", OPTIMIZERS)
    scaling = choice(body, "scale", "center", SCALINGS)
    lr = number(body, "lr", query=query)
    if lr is None or not 0 < lr <= MAX_LR:
        raise Refused("err.lr", high=MAX_LR, got=shown(body.get("lr")))
    momentum = number(body, "momentum", 0.0, query=query)
    if not 0 <= momentum < 1:
        raise Refused("err.momentum", got=shown(body.get("momentum")))
    epochs = integer(body, "epochs", 200, 1, MAX_EPOCHS, query=query)
    batch = integer(body, "batch_size", None, 1, MAX_ROWS, query=query)
    start = body.get("start")
    if start is not None:
        if not (isinstance(start, list | tuple) and len(start) == 2):
            raise Refused("err.start", got=shown(start))
        w, b = number({"W": start[0]}, "W", query=query), number({"B": start[1]}, "B", query=query)
        if w is None or b is None:
            raise Refused("err.start", got=shown(body.get("start")))
        start = (w, b)
    return RunRequest(optimizer=optimizer, lr=lr, momentum=momentum, epochs=epochs, batch_size=batch,
                      scaling=scaling, start=start)


def lesson_request(name: str) -> RunRequest:
    """The :class:`RunRequest` of the lesson's run ``name``, its settings taken from
    :func:`slopefit.teach.lesson.lesson_run` (the same code path as ``slopefit lesson``)."""
    from slopefit.teach.lesson import lesson_run

    dataset, config = lesson_run(name)
    return RunRequest(optimizer=config.optimizer, lr=config.lr, momentum=float(config.options.get("momentum", 0.0)),
                      epochs=config.epochs, batch_size=config.batch_size, scaling=config.scaling, lesson=name,
                      dataset=dataset)


@dataclass(frozen=True)
class SweepRequest:
    """The lr x momentum sweep as the page asks for it: ``lr_count`` log-spaced lrs in
    [lr_min, lr_max], the momenta, epochs and scaling."""

    scaling: str
    epochs: int
    lr_min: float
    lr_max: float
    lr_count: int
    momenta: tuple[float, ...]


def parse_sweep(body: Mapping[str, Any]) -> SweepRequest:
    """A :class:`SweepRequest` from the page's JSON; Refused for a value of the wrong type or out of bounds."""
    scaling = choice(body, "scale", "center", SCALINGS)
    epochs = integer(body, "epochs", 200, 1, MAX_SWEEP_EPOCHS, control="ctl.sweep_epochs")
    lr_min, lr_max = number(body, "lr_min", 1e-4), number(body, "lr_max", 1.0)
    count = integer(body, "lr_count", 13, 2, MAX_SWEEP_LRS)
    if not 0 < lr_min < lr_max <= MAX_LR:
        raise Refused("err.sweep_range", high=MAX_SWEEP_LRS)
    momenta = body.get("momenta", [0.0, 0.5, 0.9])
    if (not isinstance(momenta, list) or not 1 <= len(momenta) <= MAX_SWEEP_MOMENTA
            or not all(isinstance(m, int | float) and not isinstance(m, bool) and 0 <= m < 1 for m in momenta)):
        raise Refused("err.momenta", high=MAX_SWEEP_MOMENTA, got=shown(momenta))
    if count * len(momenta) > MAX_SWEEP_CELLS:
        raise Refused("err.sweep_cells", cells=count * len(momenta), high=MAX_SWEEP_CELLS)
    return SweepRequest(scaling=scaling, epochs=epochs, lr_min=lr_min, lr_max=lr_max, lr_count=count,
                        momenta=tuple(float(m) for m in momenta))


def builtin_data(name: Any) -> Dataset:
    """A built-in data set by its name in ``slopefit datasets``, or Refused (never a path)."""
    from slopefit.data.sources import builtin

    if not isinstance(name, str) or name not in builtin_names():
        raise Refused("err.choice", control="ctl.dataset", got=shown(name), choices=", ".join(builtin_names()))
    return builtin(name)


def check_rows(data: Dataset) -> Dataset:
    """``data`` when it has at most :data:`MAX_ROWS` rows, else Refused."""
    if data.n_samples > MAX_ROWS:
        raise Refused("err.rows", name=data.name, rows=data.n_samples, high=MAX_ROWS)
    return data


def check_steps(data: Dataset, run: RunRequest) -> None:
    """Refused when ``run`` on ``data`` takes more than :data:`MAX_STEPS` optimizer steps (a large
    table at a tiny batch size): the message names the batch size that would fit."""
    rows = data.n_samples
    batch = min(run.batch_size or rows, rows)
    steps = math.ceil(rows / batch) * run.epochs
    if steps > MAX_STEPS:
        need = math.ceil(rows / max(1, MAX_STEPS // run.epochs)) if run.epochs <= MAX_STEPS else rows
        raise Refused("err.steps", steps=steps, rows=rows, batch=batch, epochs=run.epochs, high=MAX_STEPS,
                      need=min(need, rows))


MAX_POINTS = 200  # points of a data set the page lets a learner edit (and of the edited points sent back)
MAX_POINT_VALUE = 1e9  # |x| and |y| of an edited point: past this a point left the plot, not the data


def points(value: Any, *, query: bool = False) -> list[tuple[float, float]] | None:
    """The points a learner edited on the line plot, or None when the request names none.

    Parameters
    ----------
    value : list of [x, y] JSON number pairs, or (``query``) text ``"x,y;x,y;..."``
        Each x and y finite, at most :data:`MAX_POINT_VALUE` in size (a boolean or text in JSON
        refused); from 1 to :data:`MAX_POINTS` points (a line's other needs, two rows and an x
        that varies, are the library's checks, worded in the page's language).

    Raises
    ------
    Refused
        The wrong shape or type (``err.points``), too many points (``err.points_count``) or a value
        out of bounds (``err.point_value``).
    """
    if value is None or value == "":
        return None
    if query and isinstance(value, str):
        pairs: Any = [part.split(",") for part in value.split(";")]
    elif not query and isinstance(value, list):
        pairs = value
    else:
        raise Refused("err.points", got=shown(value))
    if not 1 <= len(pairs) <= MAX_POINTS:
        raise Refused("err.points_count", count=len(pairs), high=MAX_POINTS)
    result = []
    for k, pair in enumerate(pairs, start=1):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise Refused("err.points", got=shown(pair))
        xy = []
        for item in pair:
            typed = isinstance(item, int | float) or (query and isinstance(item, str))
            if isinstance(item, bool) or not typed:
                raise Refused("err.points", got=shown(pair))
            try:
                value_ = float(item)
            except (ValueError, OverflowError):
                raise Refused("err.points", got=shown(pair)) from None
            if not (math.isfinite(value_) and abs(value_) <= MAX_POINT_VALUE):
                raise Refused("err.point_value", index=k, got=shown(pair), high=MAX_POINT_VALUE)
            xy.append(value_)
        result.append((xy[0], xy[1]))
    return result


def edited(data: Dataset, pairs: list[tuple[float, float]]) -> Dataset:
    """``data`` with its rows replaced by the learner's points: the same column names, its name
    with ``-edited`` (``hours-ability-edited``, ``t-edited.csv``); Refused unless ``data`` has one
    feature column."""
    if data.n_features != 1:
        raise Refused("err.points_features", features=data.n_features)
    root, dot, ext = data.name.rpartition(".")
    name = f"{root}-edited.{ext}" if dot and root else f"{data.name}-edited"
    xy = np.array(pairs, dtype=np.float64)  # (n_points, 2)
    return Dataset(X=xy[:, :1], y=xy[:, 1], feature_names=data.feature_names, target_name=data.target_name,
                   name=name, description=data.description)
