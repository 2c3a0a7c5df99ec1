"""The settings of one gradient-descent run: :class:`TrainConfig`, checked when it is made.

Every field has the name torch or the lesson gives it and a comment saying what it means;
an invalid value raises :class:`slopefit.errors.ConfigError` naming the field and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slopefit.errors import ConfigError
from slopefit.optimizers import check_options
from slopefit.scaling import check_scaling

DTYPES = ("float32", "float64")
DEVICES = ("cpu", "cuda", "mps")
ENGINES = ("auto", "data", "stats")


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


def check_device(device: str) -> str:
    """Return ``device`` if torch can use it here, else raise ConfigError with the way out."""
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' is not available here (torch.cuda.is_available() is False); "
                          "use --device cpu")
    if device == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ConfigError("device 'mps' is not available here (needs Apple silicon); use --device cpu")
    return device
