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
from slopefit.solve.penalties import Penalty, check_run
from slopefit.solve.scaling import check_scaling
from slopefit.train.batches import SHUFFLES
from slopefit.train.optimizers import check_options

DTYPES = ("auto", "float32", "float64")
EPOCHS_WITH_LR = 1000  # the epochs of a run given its lr and no epochs (the lesson's kind of loop)
EPOCHS_BUDGET = 100_000  # the most epochs an automatic run (no lr) may take before it stops unconverged
AUTO_RTOL = 1e-9  # an automatic run stops once every coefficient is this close to the optimum, relative
DEVICES = ("cpu", "cuda", "mps")
ENGINES = ("auto", "data", "stats")


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one gradient-descent run. Invalid values raise ConfigError at construction.

    With no ``lr`` the run is *automatic*: :func:`slopefit.train.training.fit` chooses the step
    from the curvature of the data (:func:`slopefit.train.autostep.auto_step`: heavy-ball lr and
    momentum for sgd, torch's own step for lbfgs; adaptive optimizers ask for ``lr`` with a
    suggestion measured on the data), trains in float64 on the stats engine, and stops once
    every coefficient is within ``AUTO_RTOL`` of the least-squares optimum, ``epochs``
    being a budget. Every explicit setting means exactly what it says.

    Attributes
    ----------
    optimizer : str, default "sgd"
        A name from :data:`slopefit.train.optimizers.OPTIMIZERS`.
    lr : float or None, default None
        Learning rate, finite and > 0; None chooses it from the data (an automatic run).
    epochs : int or None, default None
        Passes over the data (= updates when full batch), >= 1; None means 1000 with an ``lr`` or
        minibatches, a budget of 100000 for an automatic run (see :attr:`budget`).
    options : mapping, default {}
        Optimizer options by torch's names, e.g. ``{"momentum": 0.9}``; checked and normalised by
        :func:`slopefit.train.optimizers.check_options`.
    batch_size : int or None, default None
        Rows per step, >= 1; None is full batch (the lesson).
    scaling : {"none", "center", "standardize"}, default "standardize"
        How features and target are scaled before training; "center" is the lesson's.
    fit_intercept : bool, default True
        Learn B; False fits ``Yp = X @ W`` through the origin.
    log_every : int, default 1
        Record the loss every this many epochs, >= 1 (the lesson: 10); the last is always kept.
    tol : float or None, default None
        Stop when the loss changes by at most ``tol * loss`` over one epoch, >= 0; None: no such stop.
    stop_gap : float or None, default None
        Stop when the relative gap to the exact optimum is at most this, > 0; None: no such stop.
    seed : int, default 0
        Seeds the minibatch shuffle, >= 0.
    dtype : {"auto", "float32", "float64"}, default "auto"
        The parameters' dtype; "auto" is float64 on the stats engine, float32 on the rows.
    init : float, default 0.0
        Starting value of every W and of B, finite (the lesson's loop: zeros).
    engine : {"auto", "stats", "data"}, default "auto"
        "stats" (full batch, O(D^2) an epoch), "data" (the rows); "auto": stats when full batch.
    device : {"cpu", "cuda", "mps"}, default "cpu"
        Where the tensors live (availability is checked by :func:`check_device`, not here).
    record_params : bool, default False
        Keep (W, B) at every recorded epoch in :attr:`slopefit.train.results.History.params` (for paths).
    penalty : Penalty or None, default None
        A penalty on the coefficients in original units (:class:`slopefit.solve.penalties.Penalty`,
        scikit-learn's Ridge, Lasso or ElasticNet objective; a mapping is read by ``from_dict``):
        gradient descent then minimises the penalised objective, full batch on the stats engine.
    shuffle : {"auto", "rows", "blocks"}, default "auto"
        How a minibatch pass over rows in memory is shuffled (:mod:`slopefit.train.batches`): "rows",
        a fresh permutation of every row; "blocks", of blocks of contiguous rows (up to 64) that
        tile the batches, each batch stepped from its Gram matrix; "auto": blocks from 65536 rows.

    Raises
    ------
    ConfigError
        At construction, for any value out of its range, an unknown name, ``engine="stats"`` with a
        ``batch_size``, options the optimizer does not take, or settings that cannot converge.

    Examples
    --------
    >>> TrainConfig(lr=0.01, options={"momentum": 0.9}).describe()
    'sgd lr=0.01 momentum=0.9'
    >>> TrainConfig().budget, TrainConfig(lr=0.01).budget
    (100000, 1000)
    """

    optimizer: str = "sgd"  # a name from slopefit.train.optimizers.OPTIMIZERS
    lr: float | None = None  # learning rate, > 0; None = chosen from the data (an automatic run)
    epochs: int | None = None  # passes over the data (= updates when full batch), >= 1;
    #                            None = 1000 with an lr or minibatches, a budget of 100000 for an automatic run
    options: Mapping[str, Any] = field(default_factory=dict)  # optimizer options, e.g. {"momentum": 0.9}
    batch_size: int | None = None  # None = full batch (the lesson); 1 = one random row per step
    scaling: str = "standardize"  # "none" | "center" (the lesson) | "standardize" (robust default)
    fit_intercept: bool = True  # learn B; False fits Yp = X @ W through the origin
    log_every: int = 1  # record the loss every this many epochs (the lesson: 10); the last is always kept
    tol: float | None = None  # stop when the loss changes by <= tol * loss over one epoch
    stop_gap: float | None = None  # stop when the relative gap to the exact optimum is <= stop_gap
    seed: int = 0  # seeds the minibatch shuffle
    dtype: str = "auto"  # parameters' dtype: "float32" (the lesson), "float64", "auto": float64 on stats, else float32
    init: float = 0.0  # starting value of every W and of B (the lesson's loop: zeros)
    engine: str = "auto"  # "stats" (full batch, O(D^2) an epoch) | "data" (the rows) | "auto": stats if full batch
    device: str = "cpu"  # "cpu" | "cuda" | "mps"
    record_params: bool = False  # keep (W, B) at every recorded epoch in History.params (for paths)
    penalty: Penalty | None = None  # ridge / lasso / elastic net on the coefficients (sklearn's alphas)
    shuffle: str = "auto"  # minibatch shuffle: "rows" (every row) | "blocks" (of contiguous rows) | "auto"

    def __post_init__(self) -> None:
        if self.lr is not None and not (isinstance(self.lr, (int, float)) and not isinstance(self.lr, bool)
                                        and math.isfinite(self.lr) and self.lr > 0):
            raise ConfigError(f"learning rate must be a positive number, got lr={self.lr}; try lr=0.01, or leave "
                              "lr out to have it chosen from the data", key="err.lr", values={"lr": self.lr})
        if self.epochs is not None and (not isinstance(self.epochs, (int, np.integer))
                                        or isinstance(self.epochs, bool) or self.epochs < 1):
            raise ConfigError(f"epochs must be a whole number >= 1, got epochs={self.epochs}", key="err.epochs",
                              values={"epochs": self.epochs})
        if self.batch_size is not None and (not isinstance(self.batch_size, (int, np.integer))
                                            or isinstance(self.batch_size, bool) or self.batch_size < 1):
            raise ConfigError(f"batch_size must be a whole number >= 1 (or None for full batch), "
                              f"got batch_size={self.batch_size}")
        if (not isinstance(self.log_every, (int, np.integer)) or isinstance(self.log_every, bool)
                or self.log_every < 1):
            raise ConfigError(f"log_every must be a whole number >= 1, got log_every={self.log_every}")
        if not isinstance(self.seed, (int, np.integer)) or isinstance(self.seed, bool) or self.seed < 0:
            raise ConfigError(f"seed must be a whole number >= 0, got seed={self.seed!r}")
        if not (isinstance(self.init, (int, float)) and not isinstance(self.init, bool) and math.isfinite(self.init)):
            raise ConfigError(f"init (the starting value of W and B) must be a finite number, got init={self.init!r}; "
                              "try init=0")
        if self.tol is not None and not (_is_number(self.tol) and math.isfinite(self.tol) and self.tol >= 0):
            raise ConfigError(f"tol must be >= 0 (or None), got tol={self.tol}")
        if self.stop_gap is not None and not (_is_number(self.stop_gap) and math.isfinite(self.stop_gap)
                                              and self.stop_gap > 0):
            raise ConfigError(f"stop_gap must be > 0 (or None), got stop_gap={self.stop_gap}; try 1e-6")
        if self.dtype not in DTYPES:
            raise ConfigError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.engine not in ENGINES:
            raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.engine == "stats" and self.batch_size is not None:
            raise ConfigError(f"the stats engine computes full-batch losses only, but batch_size={self.batch_size}; "
                              "use engine=\"data\" for minibatches")
        if self.shuffle not in SHUFFLES:
            raise ConfigError(f"shuffle must be one of {', '.join(SHUFFLES)}, got shuffle={self.shuffle!r}")
        if self.device not in DEVICES:
            raise ConfigError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        for flag in ("fit_intercept", "record_params"):
            if not isinstance(getattr(self, flag), (bool, np.bool_)):
                raise ConfigError(f"{flag} must be True or False, got {flag}={getattr(self, flag)!r}")
        check_scaling(self.scaling)
        if not isinstance(self.options, Mapping):
            raise ConfigError(f"options must be a mapping of torch option names to values, got "
                              f"options={self.options!r}; e.g. options={{'momentum': 0.9}}, or {{}} for none")
        options = check_options(self.optimizer, self.options)
        if options.get("nesterov") and "momentum" not in options and self.lr is not None:
            raise ConfigError("nesterov=true needs momentum > 0 (torch's rule), but no momentum is given; "
                              "add momentum=0.9, or leave lr out to have it chosen")
        if (self.lr is None and self.optimizer == "sgd" and options.get("dampening", 0.0) >= 1.0
                and options.get("momentum", None) != 0):
            raise ConfigError("dampening=1 stops sgd's momentum buffer from taking in new gradients, so no lr "
                              "converges and none can be chosen; leave dampening out (torch's default 0)")
        object.__setattr__(self, "options", options)
        if isinstance(self.penalty, Mapping):
            object.__setattr__(self, "penalty", Penalty.from_dict(self.penalty))
        if self.penalty is not None and not isinstance(self.penalty, Penalty):
            raise ConfigError(f"penalty must be a slopefit.solve.penalties.Penalty or None, got {self.penalty!r}")
        check_run(self.penalty, optimizer=self.optimizer, options=options, batch_size=self.batch_size,
                  engine=self.engine)

    @property
    def automatic(self) -> bool:
        """Whether the step is chosen from the data (no ``lr`` given)."""
        return self.lr is None

    @property
    def budget(self) -> int:
        """The epochs the run may take: ``epochs``, or its default: 1000 with an lr or minibatches,
        100000 for a full-batch run that stops once converged."""
        if self.epochs is not None:
            return int(self.epochs)
        return EPOCHS_WITH_LR if self.lr is not None or self.batch_size is not None else EPOCHS_BUDGET

    def resolved_dtype(self) -> str:
        """The dtype "auto" stands for: float64 on the stats engine (an epoch costs O(D^2) either way),
        float32 on the rows (the lesson's)."""
        if self.dtype != "auto":
            return self.dtype
        return "float64" if self.resolved_engine() == "stats" else "float32"

    def resolved_engine(self) -> str:
        """The engine "auto" stands for: stats for full-batch runs, data for minibatches."""
        if self.engine != "auto":
            return self.engine
        return "stats" if self.batch_size is None else "data"

    def describe(self) -> str:
        """``"sgd lr=0.01 momentum=0.9"``: the run in the syntax of ``slopefit compare --run``."""
        opts = " ".join(f"{k}={_fmt(v)}" for k, v in self.options.items())
        lr = "auto" if self.lr is None else _fmt(self.lr)
        return f"{self.optimizer} lr={lr}" + (f" {opts}" if opts else "")

    def to_dict(self) -> dict[str, Any]:
        """Every field by name, JSON-ready (tuples in ``options`` become lists).

        Returns
        -------
        dict
            ``{"optimizer": ..., "lr": ..., ...}``: the keyword arguments that rebuild this config.
        """
        return {"optimizer": self.optimizer, "lr": self.lr, "epochs": self.epochs,
                "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.options.items()},
                "batch_size": self.batch_size, "scaling": self.scaling, "fit_intercept": self.fit_intercept,
                "log_every": int(self.log_every), "tol": self.tol, "stop_gap": self.stop_gap, "seed": self.seed,
                "dtype": self.dtype, "init": self.init, "engine": self.engine, "device": self.device,
                "record_params": self.record_params,
                "penalty": self.penalty.to_dict() if self.penalty is not None else None, "shuffle": self.shuffle}


def _is_number(value: Any) -> bool:
    """A real number, not a bool (True is an int to Python, never a tolerance to a user)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _fmt(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(_fmt(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def check_device(device: str) -> str:
    """Return ``device`` if torch can use it here, else raise ConfigError with the way out.

    Imports torch.

    Parameters
    ----------
    device : {"cpu", "cuda", "mps"}
        The device asked for.

    Returns
    -------
    str
        ``device``, unchanged.

    Raises
    ------
    ConfigError
        When ``device`` is "cuda" without CUDA, or "mps" without Apple's Metal backend.
    """
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' is not available here (torch.cuda.is_available() is False); "
                          "use device=\"cpu\"")
    if device == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ConfigError("device 'mps' is not available here (needs Apple silicon); use device=\"cpu\"")
    return device
