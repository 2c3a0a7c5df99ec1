"""slopefit: linear regression by gradient descent on PyTorch, checked against the exact answer.

Importing slopefit does not import torch; fitting does. ``LinearRegressor`` needs scikit-learn
and is imported on first use.
"""

from __future__ import annotations

from slopefit.api import Result, fit
from slopefit.data.datasets import Dataset, make_synthetic
from slopefit.data.sources import builtin, load_dataset
from slopefit.data.tables import TableSource, open_table
from slopefit.errors import (
    ConfigError,
    DataError,
    DataNote,
    DivergenceError,
    ModelFileError,
    OutputError,
    SlopefitError,
)
from slopefit.solve.accumulation import compute_stats
from slopefit.solve.exact import ExactSolution, solve_exact
from slopefit.solve.penalties import Penalty
from slopefit.solve.preparation import gather_stats, reference_solution
from slopefit.solve.scaling import Scaler
from slopefit.solve.stats import SufficientStats
from slopefit.train.config import TrainConfig
from slopefit.train.results import FitResult, History, Progress
from slopefit.train.sweep import SweepResult, grid, sweep
from slopefit.train.validation import CrossValidation, cross_validate, holdout
from slopefit.version import __version__  # noqa: E402
from slopefit.views.persistence import Model, load_model, model_from_result, save_model

__all__ = [
    "ConfigError", "ConvergenceWarning", "CrossValidation", "DataError", "DataNote", "Dataset", "DivergenceError",
    "ExactSolution", "FitResult", "History", "LinearRegressor", "Model", "ModelFileError", "OutputError", "Penalty",
    "Progress", "Result", "Scaler", "SlopefitError", "SufficientStats", "SweepResult", "TableSource", "TrainConfig",
    "builtin", "compute_stats", "cross_validate", "fit", "gather_stats", "grid", "holdout", "load_dataset",
    "load_model", "make_synthetic", "model_from_result", "open_table", "reference_solution", "save_model",
    "solve_exact", "sweep", "__version__",
]


def __getattr__(name: str):
    if name == "ConvergenceWarning":  # scikit-learn's subclass when it is installed: made on first use
        from slopefit.errors import convergence_warning

        return convergence_warning()
    if name == "LinearRegressor":
        try:
            from slopefit.train.estimator import LinearRegressor
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] != "sklearn":
                raise
            raise ImportError("slopefit.LinearRegressor needs scikit-learn: "
                              "pip install 'slopefit[sklearn]' (or pip install scikit-learn)") from None
        return LinearRegressor
    raise AttributeError(f"module 'slopefit' has no attribute {name!r}")
