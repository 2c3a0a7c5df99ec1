"""How sure a fitted line is: the statistics an OLS summary reports, and intervals for predictions.

Under the classical assumptions (errors independent with constant variance sigma^2; normal
for the t and F tests), for a line fitted to N rows with D features and an intercept:

    sigma^2 = RSS / (N - D - 1)                     residual variance (RSE = sigma)
    Var(coef) = sigma^2 Cxx^-1                      Cxx: centered cross products of X
    Var(intercept) = sigma^2 (1/N + xbar^T Cxx^-1 xbar)
    t = coef / se,  p = 2 P(T > |t|),  CI = coef -+ t_{0.975, N-D-1} se
    R^2 = 1 - RSS/TSS,  adj R^2 = 1 - (1 - R^2)(N - 1)/(N - D - 1),  F = ((TSS - RSS)/D) / sigma^2

and for a new row x the mean's confidence interval and a new observation's prediction
interval are ``yhat -+ t sigma sqrt(1/N + (x - xbar)^T Cxx^-1 (x - xbar))`` and the same with
``1 +`` under the root. Without an intercept the centered sums become raw ones, the degrees
of freedom N - D, and R^2 the uncentered one (as statsmodels reports it).

Everything comes from :class:`slopefit.solve.stats.SufficientStats`, so files read in chunks get
the same summary. The line may be the exact optimum or a gradient-descent fit; the residuals
are those of the line given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from slopefit.solve.intervals import Interval, IntervalModel, no_dof_reason
from slopefit.solve.robust import COV_TYPES, robust_covariance
from slopefit.solve.stats import SufficientStats
from slopefit.texts import format_p, html_table, text, text_table

VIF_THRESHOLD = 10.0  # statsmodels' rule of thumb: a variance inflation factor above it flags collinearity


@dataclass(frozen=True)
class Summary:
    """An OLS summary of one line. Per-parameter arrays list the features, then the intercept.

    Attributes
    ----------
    names : tuple of str
        Parameter names: the features, then "intercept" when fitted.
    coef, std_err, t, p_value, ci_low, ci_high : ndarray, shape (n_params,)
        Estimate, standard error, t statistic, two-sided p-value and confidence bounds per parameter.
    level : float
        The confidence level of the intervals, in (0, 1) (0.95 by default).
    n : int
        Rows.
    dof_resid : int
        Residual degrees of freedom: N - D - 1 (N - D without intercept).
    dof_model : int
        Model degrees of freedom: D.
    rss : float
        Residual sum of squares.
    sigma : float
        Residual standard error, ``sqrt(rss / dof_resid)``.
    r2, adj_r2 : float
        R^2 and adjusted R^2 (uncentered without an intercept).
    f_stat, f_p_value : float
        The F statistic of the regression and its p-value.
    fit_intercept : bool
        Whether the line has an intercept.
    x_mean : ndarray, shape (n_features,)
        The features' means (what intervals for new rows are centered on).
    cxx_inv : ndarray, shape (n_features, n_features)
        Inverse of the centered cross products of X (raw ones when there is no intercept).
    vif : ndarray, shape (n_features,), or None, default None
        Variance inflation factors, ``1 / (1 - R_j^2)`` with ``R_j^2`` from regressing feature j on
        the others and a constant: the diagonal of the inverse correlation matrix. None with one
        feature (nothing to regress on); inf for a feature the others determine exactly.
    cov_type : str, default "nonrobust"
        The covariance behind the standard errors: "nonrobust" (t statistics), or statsmodels'
        heteroskedasticity-consistent "HC0" to "HC3" (z statistics, normal p-values and intervals,
        F the robust Wald test). Intervals for new rows (:meth:`interval`) stay the classical ones.
    weighted : bool, default False
        Weighted least squares (statsmodels' ``WLS``): the sums of squares are weighted, ``n`` and the
        degrees of freedom still count rows.
    nonunique : str or None, default None
        With fewer rows than parameters or collinear columns: the note that the line is the
        minimum-norm one of many (:func:`slopefit.solve.minimum_norm.nonunique_note`), shown under the table.

    ``str(summary)`` is the statsmodels-style table ``slopefit fit`` prints; :meth:`report_dict`
    the same numbers for JSON; in a notebook it shows as an HTML table.

    With no residual degrees of freedom (as many parameters as rows) sigma, standard errors,
    t, p, F and every interval are NaN, and :attr:`reason` says why in one line.
    """

    names: tuple[str, ...]
    coef: np.ndarray
    std_err: np.ndarray
    t: np.ndarray
    p_value: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    level: float
    n: int
    dof_resid: int
    dof_model: int
    rss: float
    sigma: float
    r2: float
    adj_r2: float
    f_stat: float
    f_p_value: float
    fit_intercept: bool
    x_mean: np.ndarray
    cxx_inv: np.ndarray
    vif: np.ndarray | None = None
    cov_type: str = "nonrobust"
    weighted: bool = False
    nonunique: str | None = None  # the note of a line that is one of many (slopefit.solve.minimum_norm)

    def interval(self, X: np.ndarray, coef: np.ndarray, intercept: float, *,
                 level: float | None = None) -> Interval:
        """Predictions with confidence (mean) and prediction (new observation) intervals.

        Parameters
        ----------
        X : ndarray, shape (n_rows, n_features)
            Rows to predict for, original units (a single row may be 1-D).
        coef : ndarray, shape (n_features,)
            The line's coefficients.
        intercept : float
            The line's intercept.
        level : float or None, default None
            Confidence level in (0, 1); None uses :attr:`level`; keyword-only.

        Returns
        -------
        Interval
            ``(mean, conf_low, conf_high, pred_low, pred_high)``, arrays of shape (n_rows,), by name or
            unpacked; the bounds are NaN when there are no residual degrees of freedom (see :attr:`reason`).

        Raises
        ------
        ValueError
            For a weighted summary (a new row's variance depends on its weight; not provided).
        """
        if self.weighted:
            raise ValueError("intervals for new rows of a weighted fit are not available: a new row's variance "
                             "depends on its weight")
        return IntervalModel.from_dict(self.to_dict()).interval(X, coef, intercept, level=level)

    def cov_params(self) -> np.ndarray:
        """The classical covariance of the parameters (features, then the intercept), shape (n_params, n_params):
        ``sigma² (XᵀX)⁻¹`` written with the centered cross products (the intercept's row from the means).

        Raises ValueError for a robust summary (its sandwich is not kept)."""
        if self.cov_type != "nonrobust":
            raise ValueError(f"the covariance matrix is kept for the classical summary only, not cov_type="
                             f"{self.cov_type!r}; use std_err")
        sigma2 = self.sigma ** 2
        cov = sigma2 * self.cxx_inv  # (n_features, n_features)
        if not self.fit_intercept:
            return cov
        across = -cov @ self.x_mean  # Cov(coef, intercept)
        var_b = self.std_err[-1] ** 2
        return np.block([[cov, across[:, None]], [across[None, :], np.array([[var_b]])]])

    @property
    def reason(self) -> str | None:
        """Why sigma, p-values and intervals are NaN, in one line; None when they are not."""
        return no_dof_reason(self.n, self.dof_resid)

    def to_dict(self) -> dict[str, Any]:
        """What a model file keeps to give intervals later (JSON-ready): the fields of :class:`IntervalModel`.

        Returns
        -------
        dict
            ``n``, ``dof_resid``, ``sigma``, ``level``, ``fit_intercept``, ``x_mean``, ``cxx_inv``
            (not the whole summary).
        """
        return {"n": self.n, "dof_resid": self.dof_resid, "sigma": self.sigma, "level": self.level,
                "fit_intercept": self.fit_intercept, "x_mean": self.x_mean.tolist(),
                "cxx_inv": self.cxx_inv.tolist()}

    def report_dict(self) -> dict[str, Any]:
        """The whole summary as plain Python values (JSON-ready but for NaN, which stays a float NaN).

        Not :meth:`to_dict`, which keeps only what a model file needs for intervals.

        Returns
        -------
        dict
            Parallel lists ``names``, ``coef``, ``std_err``, ``t``, ``p``, ``ci_low``, ``ci_high``
            (features, then "intercept"); scalars ``level``, ``n``, ``dof_resid``, ``dof_model``, ``rss``,
            ``sigma``, ``r2``, ``adj_r2``, ``f``, ``f_p``, ``cov_type`` ("nonrobust", "HC0" ... "HC3"); ``vif``, feature
            name -> factor, or None with one feature.
        """
        features = self.names[:len(self.x_mean)]
        vif = None if self.vif is None else {name: float(v) for name, v in zip(features, self.vif, strict=True)}
        return {"names": list(self.names), "coef": self.coef.tolist(), "std_err": self.std_err.tolist(),
                "t": self.t.tolist(), "p": self.p_value.tolist(), "ci_low": self.ci_low.tolist(),
                "ci_high": self.ci_high.tolist(), "level": self.level, "n": self.n, "dof_resid": self.dof_resid,
                "dof_model": self.dof_model, "rss": self.rss, "sigma": self.sigma, "r2": self.r2,
                "adj_r2": self.adj_r2, "f": self.f_stat, "f_p": self.f_p_value, "cov_type": self.cov_type,
                "vif": vif}

    def _rows(self, lang: str = "en") -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        """The coefficient table as text: its header and one row per parameter."""
        stat = "t" if self.cov_type == "nonrobust" else "z"
        header = ("", text("ols.coef", lang), text("ols.se", lang), stat, f"P>|{stat}|",
                  f"[{(1 - self.level) / 2:.3g}", f"{1 - (1 - self.level) / 2:.3g}]")
        intercept = text("fit.intercept", lang)
        rows: list[tuple[str, ...]] = [
            (intercept if name == "intercept" and self.fit_intercept and k == len(self.names) - 1 else str(name),
             f"{c:.6g}", f"{se:.4g}", f"{t:.3f}", format_p(p), f"{lo:.6g}", f"{hi:.6g}")
            for k, (name, c, se, t, p, lo, hi) in enumerate(zip(self.names, self.coef, self.std_err, self.t,
                                                                self.p_value, self.ci_low, self.ci_high, strict=True))]
        return header, rows

    def __str__(self) -> str:
        """The statsmodels-style block ``slopefit fit`` prints: coefficients with standard errors,
        t, p and intervals, then R², the residual standard error and F."""
        return self.render("en")

    def render(self, lang: str = "en") -> str:
        """:meth:`__str__` in ``lang`` ("en" or "ko"): every heading and note from :mod:`slopefit.texts`."""
        cov = "" if self.cov_type == "nonrobust" else text("ols.cov", lang, cov=self.cov_type)
        lines = [text("ols.head", lang, kind="WLS" if self.weighted else "OLS", n=self.n, dof=self.dof_resid,
                      cov=cov),
                 text_table(*self._rows(lang)),
                 text("ols.fit", lang, r2=f"{self.r2:.6f}", adj=f"{self.adj_r2:.6f}", sigma=f"{self.sigma:.6g}",
                      dof=self.dof_resid),
                 text("ols.f" if self.cov_type == "nonrobust" else "ols.f.robust", lang, f=f"{self.f_stat:.6g}",
                      model=self.dof_model, dof=self.dof_resid, p=format_p(self.f_p_value))]
        lines += [text("note", lang, note=note) for note in self.notes(lang)]
        return "\n".join(lines)

    def collinear(self, threshold: float = VIF_THRESHOLD) -> tuple[str, ...]:
        """The features whose variance inflation factor exceeds ``threshold``.

        Parameters
        ----------
        threshold : float, default 10
            statsmodels' rule of thumb: above 10 a feature is nearly a combination of the others.

        Returns
        -------
        tuple of str
            Feature names in column order; empty with one feature.
        """
        if self.vif is None:
            return ()
        return tuple(name for name, v in zip(self.names, self.vif, strict=False) if v > threshold)

    def notes(self, lang: str = "en") -> list[str]:
        """One-line notes under the table: no residual dof; nearly collinear features (VIF > 10)."""
        notes = []
        if self.reason:  # English as the library words it (a row, rows); Korean from the table
            notes.append(self.reason if lang == "en" else text("ols.no_dof", lang, n=self.n,
                                                               params=self.n - self.dof_resid))
        if math.isnan(self.r2) and self.rss == 0 and self.dof_resid > 0:
            notes.append(text("ols.constant", lang))
        if self.nonunique:  # exactly collinear: every VIF is inf, and this note says more
            notes.append(self.nonunique)
        elif self.collinear() and self.vif is not None:
            factors = ", ".join(f"{name} ({v:.3g})" for name, v in zip(self.names, self.vif, strict=False)
                                if v > VIF_THRESHOLD)
            notes.append(text("ols.collinear", lang, threshold=f"{VIF_THRESHOLD:g}", factors=factors))
        return notes

    def _repr_html_(self) -> str:
        """The same table for a notebook: escaped HTML."""
        header, rows = self._rows()
        foot = (f"{self.n} rows, {self.dof_resid} residual dof; R² {self.r2:.6f}, adj. R² {self.adj_r2:.6f}, "
                f"residual std error {self.sigma:.6g}; F {self.f_stat:.6g}, p-value {format_p(self.f_p_value)}")
        for note in self.notes():
            foot += f"; note: {note}"
        kind = "WLS" if self.weighted else "OLS"
        cov = "" if self.cov_type == "nonrobust" else text("ols.cov", "en", cov=self.cov_type)
        return html_table(header, rows, caption=f"least-squares statistics ({kind} at the exact optimum{cov})",
                          foot=foot)


def summarize(stats: SufficientStats, coef: np.ndarray, intercept: float, *, fit_intercept: bool = True,
              feature_names: tuple[str, ...] | None = None, level: float = 0.95,
              rss: float | None = None, cov_type: str = "nonrobust",
              rows: Callable[[], Iterable[tuple[Any, Any]]] | None = None,
              nonunique: str | None = None, rank: int | None = None) -> Summary:
    """The OLS summary of the line ``X @ coef + intercept`` on the data behind ``stats``.

    Parameters
    ----------
    stats : SufficientStats
    coef : array of shape (n_features,), intercept : float
        The line to summarise (the exact optimum for the textbook summary).
    fit_intercept : bool, default True
    feature_names : tuple of str, optional
    level : float, default 0.95
        Confidence level of the intervals, in (0, 1).
    rss : float, optional
        The line's residual sum of squares from a pass over the rows
        (:func:`slopefit.solve.stats.residual_sum_of_squares`). Default ``n * stats.loss(...)``, which
        subtracts nearly equal sums and keeps few digits when the line fits almost exactly.
    cov_type : "nonrobust" (default), "HC0", "HC1", "HC2" or "HC3"
        The covariance of the parameters. "nonrobust": ``sigma^2 (A^T A)^-1``, t distribution.
        HC0-HC3: the sandwich covariance of :func:`slopefit.solve.robust.robust_covariance` (one pass
        over ``rows``); then, as statsmodels' ``OLS.fit(cov_type=...)`` does, z statistics with
        normal p-values and intervals, and F the Wald test that every slope is zero (F
        distribution on ``dof_model`` and ``dof_resid``).
    rows : callable () -> iterable of (X, y), optional
        The rows behind ``stats``; needed for HC0-HC3.
    nonunique : str, optional
        The note of a line that is one of many least-squares lines (shown under the table).
    rank : int, optional
        The numerical rank of the (centered) design, :attr:`ExactSolution.rank`; default full rank.
        Below it the model and residual degrees of freedom count independent columns, as
        statsmodels' (``df_model = rank - 1``, ``df_resid = n - rank`` with the constant).

    With ``n`` rows and as many parameters, sigma, standard errors, t, p, F and the intervals
    are NaN, and ``Summary.reason`` says why; nothing raises.

    Examples
    --------
    >>> import numpy as np
    >>> from slopefit.solve.accumulation import compute_stats
    >>> X = np.array([[166.], [176.], [171.], [173.], [169.]]); y = np.array([58.7, 75.7, 62.1, 70.4, 60.1])
    >>> st = compute_stats([(X, y)], 1); sol = st.solve()
    >>> s = summarize(st, sol.coef, sol.intercept)
    >>> round(float(s.std_err[0]), 4), round(s.r2, 4)
    (0.3612, 0.8944)
    """
    # the t and F distribution functions scipy.stats.t and .f call, without importing scipy
    # (0.3-0.8 s of start-up for every fit): slopefit.solve.distributions
    from slopefit.solve import distributions as special  # scipy.special's names, without importing scipy

    if not (isinstance(level, (int, float)) and not isinstance(level, bool) and 0 < level < 1):
        hint = f"; for a {level:g}% interval write level={level / 100:g}" if isinstance(level, (int, float)) \
            and 1 < level < 100 else ""
        raise ValueError(f"level must be in (0, 1), got level={level!r}{hint}")
    coef = np.asarray(coef, dtype=np.float64)
    d, n, total = stats.n_features, stats.n, stats.total  # total: rows, or the sum of the weights
    names = tuple(feature_names or (f"x{j}" for j in range(d))) + (("intercept",) if fit_intercept else ())
    cxx, _, tss = stats.centered() if fit_intercept else stats.raw()
    x_mean = stats.x_mean if fit_intercept else np.zeros(d)
    cxx_inv = inverse_matrix(cxx)
    if rss is None:
        rss = total * stats.loss(coef, intercept, fit_intercept=fit_intercept)
    rss = float(rss)
    dof_model = d if rank is None else min(rank, d)
    dof_resid = n - dof_model - (1 if fit_intercept else 0)
    sigma2 = rss / dof_resid if dof_resid > 0 else math.nan
    # standard errors as sigma * sqrt(diag): their squares may overflow (a target near 1e100 on a feature
    # near 1e-100 has coefficients near 1e200 and variances near 1e400)
    sigma = math.sqrt(sigma2) if sigma2 >= 0 else math.nan
    std_err = sigma * np.sqrt(np.clip(np.diag(cxx_inv), 0.0, None))
    params = coef
    if fit_intercept:
        std_err = np.append(std_err, sigma * math.sqrt(max(1.0 / total + float(x_mean @ cxx_inv @ x_mean), 0.0)))
        params = np.append(coef, intercept)
    robust = None
    if cov_type != "nonrobust":
        if cov_type not in COV_TYPES:
            raise ValueError(f"cov_type must be one of {', '.join(COV_TYPES)}, got {cov_type!r}")
        if rows is None:
            raise ValueError(f"cov_type {cov_type!r} needs the rows (a residual pass): pass rows=")
        if stats.weighted:
            raise ValueError(f"cov_type {cov_type!r} is not available for a weighted fit here; use the classical "
                             "(nonrobust) WLS standard errors")
        robust = robust_covariance(stats, rows, coef, intercept, cxx_inv, cov_type=cov_type,
                                   fit_intercept=fit_intercept)
        std_err = np.sqrt(np.maximum(np.diag(robust), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = params / std_err
    if dof_resid <= 0:
        p_value, q = np.full_like(t, math.nan), math.nan
    elif robust is None:
        p_value, q = 2 * special.stdtr(dof_resid, -np.abs(t)), special.stdtrit(dof_resid, 0.5 + level / 2)
    else:  # statsmodels' robust OLS: use_t=False, the normal distribution
        p_value, q = 2 * special.ndtr(-np.abs(t)), special.ndtri(0.5 + level / 2)
    r2 = 1.0 - rss / tss if tss > 0 else math.nan
    adj = 1.0 - (1.0 - r2) * (n - (1 if fit_intercept else 0)) / dof_resid if dof_resid > 0 else math.nan
    if dof_resid <= 0:
        f_stat = math.nan
    else:
        # a constant target (tss 0) leaves nothing to explain: F is 0/0, not a perfect fit's inf
        f_stat = math.nan if not tss > 0 else ((tss - rss) / dof_model) / sigma2 if sigma2 > 0 else math.inf
    if robust is not None and dof_resid > 0:
        f_stat = _wald_f(coef, robust[:d, :d])
    f_p = float(special.fdtrc(dof_model, dof_resid, f_stat)) if dof_resid > 0 else math.nan
    return Summary(names=names, coef=params, std_err=std_err, t=t, p_value=p_value, ci_low=params - q * std_err,
                   ci_high=params + q * std_err, level=level, n=n, dof_resid=dof_resid, dof_model=dof_model,
                   rss=rss, sigma=math.sqrt(sigma2) if sigma2 >= 0 else math.nan, r2=r2, adj_r2=adj,
                   f_stat=f_stat, f_p_value=f_p, fit_intercept=fit_intercept, x_mean=x_mean, cxx_inv=cxx_inv,
                   vif=variance_inflation(stats.centered()[0]), cov_type=cov_type, weighted=stats.weighted,
                   nonunique=nonunique)


def _wald_f(coef: np.ndarray, cov: np.ndarray) -> float:
    """The Wald F statistic that every slope is zero, ``coef^T cov^-1 coef / D`` (statsmodels'
    robust ``fvalue``)."""
    try:
        return float(coef @ np.linalg.solve(cov, coef)) / coef.shape[0]
    except np.linalg.LinAlgError:
        return math.nan


def variance_inflation(cxx: np.ndarray) -> np.ndarray | None:
    """Variance inflation factors from the centered cross products of X: the diagonal of the
    inverse correlation matrix, ``1 / (1 - R_j^2)`` with ``R_j^2`` from regressing feature j on the
    others and a constant (statsmodels' ``variance_inflation_factor`` on a design with a constant).

    Parameters
    ----------
    cxx : ndarray, shape (n_features, n_features)
        Centered cross products ``(X - xbar)^T (X - xbar)``.

    Returns
    -------
    ndarray, shape (n_features,), or None
        None with one feature; inf for a feature the others (or a constant) determine exactly.
    """
    d = cxx.shape[0]
    if d < 2:
        return None
    spread = np.sqrt(np.diag(cxx))  # (n_features,)
    vif = np.full(d, math.inf)
    varying = spread > 0
    corr = cxx[np.ix_(varying, varying)] / np.outer(spread[varying], spread[varying])
    if np.linalg.matrix_rank(corr, hermitian=True) == corr.shape[0]:
        vif[varying] = np.diag(np.linalg.inv(corr))
    return vif


def inverse_matrix(cxx: np.ndarray) -> np.ndarray:
    """``Cxx^-1`` through the correlation matrix (unit diagonal), pseudo-inverse if singular."""
    spread = np.sqrt(np.diag(cxx))
    spread = np.where(spread > 0, spread, 1.0)
    corr_inv = np.linalg.pinv(cxx / np.outer(spread, spread), hermitian=True)
    return corr_inv / np.outer(spread, spread)
