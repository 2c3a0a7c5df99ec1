"""When least squares has many answers: the one slopefit chooses, and the note that says so.

With fewer rows than parameters, or collinear columns, every ``theta* + v`` with ``v`` in the
null space of the design fits the rows equally well. slopefit does not refuse: both solvers
return the *minimum-norm* answer, and the result carries a one-line note saying that the answer
is not unique and which one was chosen.

Which minimum norm? Gradient descent from zero moves only along gradients, and every gradient
(full batch or minibatch, with heavy-ball momentum or L-BFGS) lies in the row space of the design
the optimizer sees: the *scaled* design ``[(X - x_mean) / x_scale, 1]`` of the run's
:class:`~slopefit.solve.scaling.Scaler`. It therefore ends at the point of that row space, the
solution of smallest norm **in the scaled parameters** ``(w_s, b_s)``. The exact reference is
that same point, so that the two agree:

* ``standardize`` (the default): the smallest ``sum (coef_j * std_j)^2`` (what an SVD of the
  centered, unit-norm columns gives: :func:`slopefit.solve.exact.solve_exact`);
* ``center``: the smallest ``sum coef_j^2`` (``numpy.linalg.lstsq`` on centered columns, as
  scikit-learn's ``LinearRegression``);
* ``none``: the smallest ``sum coef_j^2 + intercept^2`` (``numpy.linalg.pinv`` of ``[X, 1]``).

With an intercept and centered columns the intercept is unique all the same (``ybar - xbar @ coef``).
Every minimiser has the same loss, so the stopping rule (the relative gap ``F - F*``) is unchanged;
an adaptive optimizer (adam, rmsprop, adagrad) or a start away from zero may end at another
minimiser of the same loss.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from slopefit.solve.exact import ExactSolution, solve_exact
from slopefit.solve.scaling import Scaler
from slopefit.solve.stats import SufficientStats

SPACES = {  # what "minimum norm" measures, by scaling
    "standardize": "the smallest sum of (coefficient × standard deviation)², the standardized units gradient "
                   "descent moves in",
    "center": "the smallest sum of squared coefficients, as numpy's lstsq and scikit-learn give",
    "none": "the smallest sum of squared coefficients and intercept, as numpy's pinv gives",
}


def minimum_norm(solution: ExactSolution, stats: SufficientStats, scaler: Scaler, *, fit_intercept: bool = True,
                 why: str | None = None) -> ExactSolution:
    """The least-squares answer of smallest norm in ``scaler``'s parameters, from any least-squares answer.

    The answers differ by null directions of the curvature ``Q`` in scaled units
    (:meth:`slopefit.solve.stats.SufficientStats.curvature`); removing ``solution``'s component
    along them leaves the one answer in the row space, the minimum-norm one. ``solution.rank``
    (the numerical rank of the centered design, from the SVD of the rows or the statistics) says
    how many directions are null; the loss is unchanged.

    Parameters
    ----------
    solution : ExactSolution
        A least-squares answer in original units.
    stats : SufficientStats
        The statistics of the same data.
    scaler : Scaler
        The units in which the norm is measured (the run's scaling).
    fit_intercept : bool, default True; keyword-only
    why : str or None, default None; keyword-only
        Why the answer is not unique ("5 rows for 11 parameters"); default ``solution.nonunique``.

    Returns
    -------
    ExactSolution
        ``solution`` itself when the design has full rank; else the minimum-norm answer, whose
        ``nonunique`` says why and ``space`` in which units (:attr:`ExactSolution.note`).

    Examples
    --------
    Two copies of one column: any split of the slope 2 fits; the minimum-norm one halves it.

    >>> from slopefit.solve.accumulation import compute_stats
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]); y = np.array([0.0, 2.0, 4.0])
    >>> stats = compute_stats([(X, y)], 2)
    >>> one = ExactSolution(coef=np.array([2.0, 0.0]), intercept=0.0, loss=0.0, rank=1)
    >>> sol = minimum_norm(one, stats, stats.scaler("center"), why="collinear columns")
    >>> np.round(sol.coef, 12).tolist(), round(sol.intercept, 12)
    ([1.0, 1.0], 0.0)
    """
    d = stats.n_features
    n_params = d + int(fit_intercept)
    rank = solution.rank + int(fit_intercept)  # the constant column adds one to the centered design's rank
    if rank >= n_params:
        return solution
    q = stats.curvature(scaler, fit_intercept=fit_intercept)  # (n_params, n_params), scaled units
    spread = np.sqrt(np.clip(np.diag(q), 0.0, None))
    spread = np.where(spread > 0, spread, 1.0)
    # the null directions of Q: those of its unit-diagonal form mapped back (a column of 1e-200 and
    # one of 1e200 would otherwise leave the small one's directions below the rounding of the large)
    _, vectors = np.linalg.eigh(q / np.outer(spread, spread))  # ascending eigenvalues
    null, _ = np.linalg.qr(vectors[:, : n_params - rank] / spread[:, None])  # (n_params, n_null), orthonormal
    w, b = scaler.to_scaled(solution.coef, solution.intercept)
    theta = np.append(w, b) if fit_intercept else w  # (n_params,)
    theta = theta - null @ (null.T @ theta)
    coef, intercept = scaler.to_original(theta[:d], float(theta[d]) if fit_intercept else 0.0)
    return replace(solution, coef=coef, intercept=intercept if fit_intercept else 0.0,
                   nonunique=why or solution.nonunique or "collinear columns", space=scaler.method)


def minimum_norm_on_rows(X: np.ndarray, y: np.ndarray, scaler: Scaler, *, weights: np.ndarray | None = None,
                        fit_intercept: bool = True, why: str) -> ExactSolution:
    """The minimum-norm least-squares answer in ``scaler``'s parameters, solved on the rows.

    An SVD of the design exactly as the optimizer sees it (centered columns divided by
    ``scaler.x_scale``; ``[X, 1]`` itself with ``"none"``), refined in extended precision
    (:func:`slopefit.solve.exact.solve_exact` with ``column_scale``): as accurate as numpy's
    ``lstsq``/``pinv`` on that design, where projecting another answer (:func:`minimum_norm`) loses
    the digits by which the scalings differ.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features); y : ndarray, shape (n_samples,)
    scaler : Scaler
    weights : ndarray, shape (n_samples,), or None, default None; keyword-only
    fit_intercept : bool, default True; keyword-only
    why : str; keyword-only
        Why the answer is not unique (kept as ``nonunique``).

    Returns
    -------
    ExactSolution
        ``rank`` is that of the centered design, as :func:`slopefit.solve.exact.solve_exact` counts it.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]); y = np.array([1.0, 3.0, 5.0])
    >>> sol = minimum_norm_on_rows(X, y, Scaler.fit(X, y, "none"), why="copies")
    >>> np.round(sol.coef, 12).tolist(), round(sol.intercept, 12), sol.rank
    ([1.0, 1.0], 1.0, 1)
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, d = X.shape
    root = np.ones(n) if weights is None else np.sqrt(np.asarray(weights, dtype=np.float64))  # (n_samples,)
    if fit_intercept and scaler.method == "none":  # the intercept is a parameter like the others
        design = np.column_stack([X, np.ones(n)]) * root[:, None]  # (n_samples, n_features + 1)
        sol = solve_exact(design, y * root, fit_intercept=False, column_scale=np.ones(d + 1))
        coef, intercept, rank = sol.coef[:d], float(sol.coef[d]), sol.rank - 1
    elif fit_intercept and weights is not None:  # centered at the weighted means: the intercept is apart
        mean, y_mean = root**2 @ X / float(root @ root), float(root**2 @ y) / float(root @ root)
        sol = solve_exact((X - mean) * root[:, None], (y - y_mean) * root, fit_intercept=False,
                          column_scale=scaler.x_scale)
        coef, rank = sol.coef, sol.rank
        intercept = y_mean - float(mean @ coef)
    else:
        sol = solve_exact(X * root[:, None], y * root, fit_intercept=fit_intercept, column_scale=scaler.x_scale)
        coef, intercept, rank = sol.coef, sol.intercept, sol.rank
    residual = y - X @ coef - intercept
    loss = float(root**2 @ (residual * residual)) / float(root @ root)
    return ExactSolution(coef=coef, intercept=intercept, loss=loss, rank=max(rank, 0), nonunique=why,
                         space=scaler.method)


def nonunique_note(solution: ExactSolution) -> str | None:
    """The one-line note of an answer that is not unique: why, and which one was chosen; None if unique.

    Examples
    --------
    >>> sol = ExactSolution(coef=np.array([1.0, 1.0]), intercept=0.0, loss=0.0, rank=1,
    ...                     nonunique="x0, x1 are collinear", space="center")
    >>> note = nonunique_note(sol)
    >>> note.startswith("least squares has many answers (x0, x1 are"), note.endswith("and scikit-learn give")
    (True, True)
    """
    if solution.nonunique is None:
        return None
    return (f"least squares has many answers ({solution.nonunique}); this is the minimum-norm one: "
            f"{SPACES.get(solution.space or 'standardize', SPACES['standardize'])}")
