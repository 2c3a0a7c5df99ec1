"""Optimizers by name: one table from a short name and its options to a ``torch.optim`` instance.

=========  =====================  =========================================================
name       torch class            options (torch's own names)
=========  =====================  =========================================================
sgd        torch.optim.SGD        momentum, dampening, nesterov, weight_decay
adam       torch.optim.Adam       betas, eps, weight_decay, amsgrad
adamw      torch.optim.AdamW      betas, eps, weight_decay, amsgrad
rmsprop    torch.optim.RMSprop    alpha, eps, weight_decay, momentum, centered
adagrad    torch.optim.Adagrad    lr_decay, weight_decay, eps, initial_accumulator_value
lbfgs      torch.optim.LBFGS      max_iter, history_size, tolerance_grad, tolerance_change,
                                  line_search_fn (default "strong_wolfe")
=========  =====================  =========================================================

Plain SGD with momentum updates, for gradient g of parameters theta,
``v <- momentum * v + (1 - dampening) * g`` and ``theta <- theta - lr * v``
(``theta <- theta - lr * (g + momentum * v)`` with nesterov).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from slopefit.errors import ConfigError
from slopefit.train.eager import eager, prepare


def _bool(text: str | bool) -> bool:
    if isinstance(text, bool):
        return text
    lowered = str(text).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _pair(text: str | tuple) -> tuple[float, float]:
    if isinstance(text, (tuple, list)):
        a, b = text
        return float(a), float(b)
    parts = str(text).strip("()[] ").split(",")
    if len(parts) != 2:
        raise ValueError(f"expected two numbers like 0.9,0.999, got {text!r}")
    return float(parts[0]), float(parts[1])


def _whole(text: str | int) -> int:
    """A whole number: ``"20"`` or ``20``, never ``1.5`` truncated to 1."""
    if isinstance(text, bool):
        raise ValueError(f"expected a whole number, got {text!r}")
    value = float(text)
    if not value.is_integer():
        raise ValueError(f"expected a whole number, got {text!r}")
    return int(value)


def _line_search(text: str | None) -> str | None:
    if text is None or str(text).lower() in ("none", ""):
        return None
    if str(text) != "strong_wolfe":
        raise ValueError(f"expected strong_wolfe or none, got {text!r}")
    return "strong_wolfe"


@dataclass(frozen=True)
class OptimizerSpec:
    """How to build one optimizer: its torch class name, option parsers and defaults.

    Attributes
    ----------
    torch_name : str
        The class in ``torch.optim`` (e.g. "SGD").
    options : mapping of str to callable
        Each option slopefit accepts, by torch's name, with the function that converts its value.
    defaults : mapping of str to object
        Options passed unless given (lbfgs: ``line_search_fn="strong_wolfe"``).
    """

    torch_name: str
    options: Mapping[str, Callable[[Any], Any]]
    defaults: Mapping[str, Any]


OPTIMIZERS: dict[str, OptimizerSpec] = {
    "sgd": OptimizerSpec("SGD", {"momentum": float, "dampening": float, "nesterov": _bool,
                                 "weight_decay": float}, {}),
    "adam": OptimizerSpec("Adam", {"betas": _pair, "eps": float, "weight_decay": float,
                                   "amsgrad": _bool}, {}),
    "adamw": OptimizerSpec("AdamW", {"betas": _pair, "eps": float, "weight_decay": float,
                                     "amsgrad": _bool}, {}),
    "rmsprop": OptimizerSpec("RMSprop", {"alpha": float, "eps": float, "weight_decay": float,
                                         "momentum": float, "centered": _bool}, {}),
    "adagrad": OptimizerSpec("Adagrad", {"lr_decay": float, "weight_decay": float, "eps": float,
                                         "initial_accumulator_value": float}, {}),
    "lbfgs": OptimizerSpec("LBFGS", {"max_iter": _whole, "history_size": _whole, "tolerance_grad": float,
                                     "tolerance_change": float, "line_search_fn": _line_search},
                           {"line_search_fn": "strong_wolfe"}),
}


def check_options(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Validate an optimizer name and convert its options to their types.

    Parameters
    ----------
    name : str
        A key of :data:`OPTIMIZERS`: "sgd", "adam", "adamw", "rmsprop", "adagrad" or "lbfgs".
    options : mapping of str to object
        Options by torch's names; values may be strings (from the command line).

    Returns
    -------
    dict
        The options converted to their types.

    Raises
    ------
    ConfigError
        Unknown optimizer, unknown option, a value of the wrong type, or out of its range
        (momentum in [0, 1), dampening in [0, 1], betas each in [0, 1), eps > 0,
        weight_decay >= 0, alpha in (0, 1], lr_decay >= 0, max_iter and history_size >= 1;
        nesterov with momentum 0 or dampening).
    """
    if name not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    spec = OPTIMIZERS[name]
    parsed: dict[str, Any] = {}
    for key, value in options.items():
        if key not in spec.options:
            raise ConfigError(f"optimizer {name!r} has no option {key!r}; its options are "
                              f"{', '.join(spec.options)}")
        try:
            parsed[key] = spec.options[key](value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"option {key}={value!r} for {name}: {exc}") from None
    for key, value in parsed.items():
        _check_range(name, key, value)
    _check_nesterov(name, parsed)
    return parsed


# option -> (is the value allowed, the rule as text, a value to try); torch's defaults are the tries
_UNIT = (lambda v: 0.0 <= v < 1.0, "in [0, 1)")
_NON_NEGATIVE = (lambda v: v >= 0.0, ">= 0")
_POSITIVE = (lambda v: v > 0.0, "> 0")
_RANGES: dict[str, tuple[Callable[[float], bool], str, str]] = {
    "momentum": (*_UNIT, "0.9"),
    "dampening": (lambda v: 0.0 <= v <= 1.0, "in [0, 1]", "0"),
    "betas": (*_UNIT, "0.9,0.999"),
    "eps": (*_POSITIVE, "1e-8"),
    "weight_decay": (*_NON_NEGATIVE, "0"),
    "alpha": (lambda v: 0.0 < v <= 1.0, "in (0, 1]", "0.99"),
    "lr_decay": (*_NON_NEGATIVE, "0"),
    "initial_accumulator_value": (*_NON_NEGATIVE, "0"),
    "max_iter": (lambda v: v >= 1, ">= 1", "20"),
    "history_size": (lambda v: v >= 1, ">= 1", "100"),
    "tolerance_grad": (*_NON_NEGATIVE, "1e-7"),
    "tolerance_change": (*_NON_NEGATIVE, "1e-9"),
}


def _check_range(name: str, key: str, value: Any) -> None:
    """ConfigError unless ``value`` of option ``key`` is in the range torch's update rule needs."""
    if key not in _RANGES:
        return
    allowed, rule, example = _RANGES[key]
    if key == "eps" and name == "adagrad":
        example = "1e-10"
    values = value if isinstance(value, tuple) else (value,)
    if all(math.isfinite(v) and allowed(v) for v in values):
        return
    shown = ",".join(f"{v:g}" for v in values)
    rule = f"each be {rule}" if isinstance(value, tuple) else f"be {rule}"
    raise ConfigError(f"{name} option {key} must {rule}, got {shown}; try {example}")


def _check_nesterov(name: str, parsed: Mapping[str, Any]) -> None:
    """torch's rule: Nesterov momentum needs a momentum > 0 and no dampening. A missing
    momentum is left to the caller (an automatic run or a sweep fills it in)."""
    if name != "sgd" or not parsed.get("nesterov"):
        return
    if "momentum" in parsed and parsed["momentum"] <= 0:
        raise ConfigError(f"nesterov=true needs momentum > 0 (torch's rule), got momentum={parsed['momentum']:g}; "
                          "try momentum=0.9, or nesterov=false")
    if parsed.get("dampening", 0.0) != 0:
        raise ConfigError(f"nesterov=true needs dampening=0 (torch's rule), got dampening={parsed['dampening']:g}; "
                          "leave dampening out, or nesterov=false")


def make_optimizer(name: str, params: Iterable, *, lr: float, options: Mapping[str, Any] | None = None):
    """Build ``torch.optim.<Class>(params, lr=lr, **options)`` for a short optimizer name.

    Parameters
    ----------
    name : str
        A key of :data:`OPTIMIZERS`.
    params : iterable of Tensor
        The parameters to optimize (W, and B when fitted).
    lr : float
        The learning rate, > 0; keyword-only.
    options : mapping or None, default None
        Optimizer options by torch's names (see :func:`check_options`); keyword-only.

    Returns
    -------
    torch.optim.Optimizer

    Raises
    ------
    ConfigError
        For what :func:`check_options` rejects, or a value torch itself rejects.

    Examples
    --------
    >>> import torch
    >>> w = torch.zeros(1, requires_grad=True)
    >>> make_optimizer("sgd", [w], lr=0.01, options={"momentum": 0.9}).defaults["momentum"]
    0.9
    """
    import torch

    spec = OPTIMIZERS.get(name)
    parsed = check_options(name, options or {})
    kwargs = {**spec.defaults, **parsed}  # type: ignore[union-attr]
    cls = getattr(torch.optim, spec.torch_name)  # type: ignore[union-attr]
    prepare()  # torch's compiler guards called without importing torch._dynamo (slopefit.train.eager)
    try:
        return eager(cls(list(params), lr=lr, **kwargs))
    except ValueError as exc:  # torch names the bad value, e.g. "Invalid momentum value: -1"
        raise ConfigError(f"{name}: {exc}; check the option values") from None


def parse_run(text: str) -> tuple[str, dict[str, str]]:
    """Split a run description like ``"sgd lr=0.01 momentum=0.9"`` into name and raw options.

    Parameters
    ----------
    text : str
        An optimizer name, then ``key=value`` words ("-" in a key reads as "_").

    Returns
    -------
    name : str
        The optimizer name, lower-cased (not checked here).
    options : dict of str to str
        The raw option values, unconverted.

    Raises
    ------
    ConfigError
        When ``text`` is empty, starts with an option, or has a word that is not ``key=value``.

    Examples
    --------
    >>> parse_run("sgd lr=0.01 momentum=0.9")
    ('sgd', {'lr': '0.01', 'momentum': '0.9'})
    """
    words = text.split()
    if not words:
        raise ConfigError("empty run=; write it like \"sgd lr=0.01 momentum=0.9\"")
    name, *rest = words
    if "=" in name:
        raise ConfigError(f"run {text!r} must start with an optimizer name ({', '.join(OPTIMIZERS)}), "
                          "like \"sgd lr=0.01 momentum=0.9\"")
    options: dict[str, str] = {}
    for word in rest:
        key, sep, value = word.partition("=")
        if not sep or not key or not value:
            raise ConfigError(f"bad option {word!r} in run {text!r}; write options as key=value")
        options[key.replace("-", "_")] = value
    return name.lower(), options
