"""The least-squares inference as pandas objects, in statsmodels' order and names: the intercept
first and called ``Intercept``, predictions with the columns of ``get_prediction().summary_frame()``.

The numbers come from :class:`slopefit.solve.inference.Summary` (the exact optimum); this module
only orders, names and frames them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from slopefit.solve.exact import ExactSolution
from slopefit.solve.inference import Summary


def statsmodels_names(names: tuple[str, ...]) -> tuple[list[int], list[str]]:
    """``(order, names)``: the positions of a summary's parameters with the intercept first, and their
    names with ``intercept`` called ``Intercept`` (statsmodels' formula API).

    Examples
    --------
    >>> statsmodels_names(("height", "intercept"))
    ([1, 0], ['Intercept', 'height'])
    """
    order = list(range(len(names)))
    if names and names[-1] == "intercept":
        order = [len(names) - 1, *order[:-1]]
    return order, ["Intercept" if names[i] == "intercept" else names[i] for i in order]


@dataclass(frozen=True)
class Prediction:
    """The least-squares line at new rows, with standard errors: statsmodels' ``PredictionResults``.

    Attributes
    ----------
    predicted_mean : ndarray (n_rows,), the line at the rows (the exact optimum's)
    se_mean : ndarray (n_rows,), standard error of the mean at each row
    se_obs : ndarray (n_rows,), standard error of a new observation (``sqrt(se_mean² + sigma²)``)
    dof_resid : int, the t distribution's degrees of freedom
    index : the rows' index (a DataFrame's), or None for 0..n-1
    """

    predicted_mean: np.ndarray
    se_mean: np.ndarray
    se_obs: np.ndarray
    dof_resid: int
    index: Any = None

    def summary_frame(self, alpha: float = 0.05):
        """A DataFrame of ``mean, mean_se, mean_ci_lower, mean_ci_upper, obs_ci_lower, obs_ci_upper`` at
        level ``1 - alpha`` (in (0, 1)), as statsmodels' ``get_prediction(...).summary_frame(alpha)``."""
        import pandas as pd

        from slopefit.solve import distributions as special  # scipy.special's names, without importing scipy

        if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
            raise ValueError(f"alpha must be in (0, 1), got alpha={alpha!r}; alpha=0.05 gives 95% intervals")
        q = special.stdtrit(self.dof_resid, 1 - alpha / 2) if self.dof_resid > 0 else np.nan
        m = self.predicted_mean
        return pd.DataFrame({"mean": m, "mean_se": self.se_mean,
                             "mean_ci_lower": m - q * self.se_mean, "mean_ci_upper": m + q * self.se_mean,
                             "obs_ci_lower": m - q * self.se_obs, "obs_ci_upper": m + q * self.se_obs},
                            index=self.index)


def prediction_frame(summary: Summary, rows: np.ndarray, line: ExactSolution, *, index: Any = None) -> Prediction:
    """:class:`Prediction` of the least-squares ``line`` at ``rows`` (the design matrix, (n_rows, n_features))."""
    cov = summary.cov_params()  # (n_params, n_params): features, then the intercept
    X = np.column_stack([rows, np.ones(len(rows))]) if summary.fit_intercept else rows  # (n_rows, n_params)
    se_mean = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", X, cov, X), 0.0))
    se_obs = np.sqrt(se_mean ** 2 + summary.sigma ** 2)
    return Prediction(predicted_mean=rows @ line.coef + line.intercept, se_mean=se_mean, se_obs=se_obs,
                      dof_resid=summary.dof_resid, index=index)
