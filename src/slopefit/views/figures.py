"""The figures each command saves, composed from its results: loss curves, the fitted line,
the regression diagnostics, the loss landscape with the runs' paths, the sweep's heatmap.

:mod:`slopefit.views.plotting` draws; this module decides what is drawn, with which labels (from
:mod:`slopefit.texts`, Korean or English), and returns the paths of the files it wrote.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from slopefit.data.datasets import Dataset
from slopefit.solve.influence import SAMPLE_ROWS, TOP_ROWS
from slopefit.solve.stats import SufficientStats
from slopefit.texts import text
from slopefit.train.results import FitResult
from slopefit.views.plotting.style import save_figure

PLOT_ROWS = 20_000  # rows of a file read in chunks that scatter plots draw


def plot_sample(data, limit: int = PLOT_ROWS) -> Dataset:
    """In-memory rows to draw: the data itself, or the first rows of a file read in chunks.

    Parameters
    ----------
    data : Dataset or TableSource
        The data.
    limit : int, default ``PLOT_ROWS``
        The most rows taken from a file (of its first chunk), >= 1.

    Returns
    -------
    Dataset
        ``data`` itself when in memory; else its first rows, named so.
    """
    if isinstance(data, Dataset):
        return data
    X, y = next(iter(data.chunks()))
    return Dataset(X=X[:limit], y=y[:limit], feature_names=data.feature_names, target_name=data.target_name,
                   name=f"{data.name}, first {min(limit, len(y))} rows")


FIT_KINDS = ("loss", "gap", "fit")  # drawn for every fit
DIAGNOSTIC_KINDS = ("residuals", "qq", "leverage")  # drawn for a least-squares fit that holds its rows


def fit_figures(data, result: FitResult, out: str | os.PathLike[str], lang: str) -> list[Path]:
    """``loss.png`` (the history, log scale), ``gap.png`` (loss - loss*: what "converged" means),
    ``fit.png`` (the line over the data, or predicted against actual for several features), and the
    diagnostics of :func:`diagnostic_figures` when the result carries its statistics and rows: each
    drawn by :func:`draw_figure` (what ``result.plot(kind)`` shows in a notebook) and saved.

    Parameters
    ----------
    data : Dataset or TableSource
        The data the result was fitted on.
    result : FitResult
        The fit.
    out : str or os.PathLike
        The directory to write to (created if missing).
    lang : {"ko", "en"}
        The language of the labels.

    Returns
    -------
    list of Path
        The PNG files: loss, gap, fit, then residuals, qq, leverage.
    """
    out = Path(out)
    paths = [save_figure(draw_figure(kind, result, data, lang=lang), out / f"{kind}.png") for kind in FIT_KINDS]
    # the diagnostics of the least-squares (or WLS) line: not drawn for a penalised fit (see diagnostics_note)
    if result.stats is not None and result.rows is not None and result.config.penalty is None:
        paths.extend(diagnostic_figures(data.name, result, out, lang))
    return paths


def draw_figure(kind: str, result: FitResult, data, *, ax=None, path: str | os.PathLike[str] | None = None,
                lang: str = "en"):
    """One figure of a fit as a matplotlib Figure (``ax``'s when given): "loss", "gap", "fit",
    "residuals", "qq" or "leverage"; saved as PNG at ``path`` too when given.

    Raises
    ------
    ValueError
        A diagnostic of a penalised fit (:func:`diagnostics_note` says why) or of one without its rows.
    """
    if kind in DIAGNOSTIC_KINDS:
        if result.config.penalty is not None:
            raise ValueError(diagnostics_note(result, "en"))
        if result.stats is None or result.rows is None:
            raise ValueError(f"the {kind} figure needs the rows the line was fitted on; this result does not hold them")
        drawn = _diagnostic_drawings(data.name, result, lang, limit=SAMPLE_ROWS)[kind](ax)
    else:
        drawn = _fit_drawing(kind, result, plot_sample(data), lang, ax)
    if path is not None:
        save_figure(drawn if ax is None else ax.figure, path)
    return drawn


def _fit_drawing(kind: str, result: FitResult, sample: Dataset, lang: str, ax):
    from slopefit.views.plotting.charts import Curve, Line, draw_history, draw_lines, draw_predicted

    # a penalised (or weight-decayed) or weighted fit minimised another loss than the MSE: say which
    penalised = result.config.penalty is not None or result.weight_decay > 0
    penalty = ".penalty" if penalised else ".weighted" if result.weights_name else ""
    curve = [Curve(result.config.describe(), result.history.epochs, result.history.losses)]
    if kind == "loss":
        return draw_history(curve, xlabel=text("fig.epoch", lang), ylabel=text("fig.loss_log" + penalty, lang),
                            title=sample.name, log_y=True, ax=ax)
    if kind == "gap":
        return _gap_drawing(curve, result, sample.name, lang, ax)
    if sample.n_features == 1:
        return draw_lines(
            sample.X[:, 0], sample.y,
            [Line(text("fig.gd", lang), float(result.coef[0]), result.intercept, "-r"),
             Line(text("fig.exact" + penalty, lang), float(result.exact.coef[0]), result.exact.intercept, "--k")],
            xlabel=sample.feature_names[0], ylabel=sample.target_name, title=sample.name,
            data_label=text("fig.data", lang), ax=ax)
    return draw_predicted(sample.y, result.predict_matrix(sample.X),
                          xlabel=f"{sample.target_name} ({text('fig.actual', lang)})",
                          ylabel=f"{sample.target_name} ({text('fig.predicted', lang)})", title=sample.name, ax=ax)


def diagnostics_note(result: FitResult, lang: str) -> str | None:
    """Why :func:`fit_figures` drew no diagnostics for ``result`` (a penalised fit), or None when it drew them.

    Parameters
    ----------
    result : FitResult
    lang : {"ko", "en"}

    Returns
    -------
    str or None
    """
    if result.config.penalty is None:
        return None
    return text("diag.penalised", lang, penalty=result.config.penalty.describe())


def diagnostic_figures(name: str, result: FitResult, out: str | os.PathLike[str], lang: str, *,
                       limit: int = SAMPLE_ROWS) -> list[Path]:
    """``residuals.png`` (residuals against fitted values, with a local-linear trend), ``qq.png``
    (normal Q-Q plot of the standardized residuals) and ``leverage.png`` (standardized residuals
    against leverage, Cook's distance contours 0.5 and 1), at the exact least-squares optimum; for
    a weighted fit those of the rows ``√w·x`` with Pearson residuals ``√w·e`` (statsmodels' WLS).

    The most influential rows of the whole table are named by their 1-based row number (of the rows
    fitted); beyond ``limit`` rows a seeded random sample is drawn, and each figure says so.

    Parameters
    ----------
    name : str
        The data's name, for the titles.
    result : FitResult
        The fit, carrying its statistics and rows.
    out : str or os.PathLike
        The directory to write to (created if missing).
    lang : {"ko", "en"}
        The language of the labels.
    limit : int, default ``SAMPLE_ROWS`` (5000)
        The most points drawn; keyword-only.

    Returns
    -------
    list of Path
        The three PNG files.
    """
    drawings = _diagnostic_drawings(name, result, lang, limit=limit)
    return [save_figure(drawings[kind](None), Path(out) / f"{kind}.png") for kind in DIAGNOSTIC_KINDS]


def _diagnostic_drawings(name: str, result: FitResult, lang: str, *, limit: int) -> dict:
    """kind -> a function of ``ax`` (or None) drawing that diagnostic; the influence is computed once."""
    from slopefit.solve.influence import COOK_LEVELS, influence_of, local_trend, normal_quantiles
    from slopefit.views.plotting.diagnostics import Marked, draw_leverage, draw_qq, draw_residuals

    diag = influence_of(result, limit=limit)
    s = diag.sample
    note = (text("diag.sampled", lang, m=len(s), n=diag.n, seed=diag.seed) if diag.sampled
            else text("diag.all", lang, n=diag.n))
    if result.rows_dropped:
        note += text("diag.dropped", lang, k=result.rows_dropped)
    if result.weights_name:
        note += "\n" + text("diag.weighted", lang, name=result.weights_name)
    if not diag.standardized:
        note += "\n" + text("diag.undefined", lang)
    order = np.argsort(s.student, kind="stable")
    shown = order[np.isfinite(s.student[order])]
    quantiles = normal_quantiles(len(shown))
    rank = {int(i): k for k, i in enumerate(shown)}
    named = TOP_ROWS if diag.standardized else 0  # no row stands out when the residuals are rounding
    top = shown[np.argsort(-np.abs(s.student[shown]), kind="stable")[:named]]  # the sample's largest |r|
    t, c = diag.top_student, diag.top_cooks
    return {
        "residuals": lambda ax: draw_residuals(
            s.fitted, s.resid, trend=local_trend(s.fitted, s.resid),
            marked=[Marked(float(t.fitted[i]), float(t.resid[i]), str(int(t.rows[i]) + 1))
                    for i in range(min(named, len(t)))],
            xlabel=text("diag.fitted", lang), ylabel=text("diag.resid.weighted" if result.weights_name else
                                                          "diag.resid", lang),
            title=f"{name}: {text('diag.resid.title', lang)}", note=note,
            trend_label=text("diag.trend", lang), marked_label=text("diag.top_resid", lang), ax=ax),
        "qq": lambda ax: draw_qq(
            quantiles, s.student[shown],
            marked=[Marked(float(quantiles[rank[int(i)]]), float(s.student[i]), str(int(s.rows[i]) + 1))
                    for i in top],
            xlabel=text("diag.quantile", lang), ylabel=text("diag.student", lang),
            title=f"{name}: {text('diag.qq.title', lang)}", note=note, line_label="y = x",
            marked_label=text("diag.top_resid", lang), ax=ax),
        "leverage": lambda ax: draw_leverage(
            s.leverage, s.student, n_params=diag.n_params, levels=COOK_LEVELS,
            marked=[Marked(float(c.leverage[i]), float(c.student[i]), str(int(c.rows[i]) + 1))
                    for i in range(min(named, len(c)))],
            xlabel=text("diag.leverage", lang), ylabel=text("diag.student", lang),
            title=f"{name}: {text('diag.leverage.title', lang)}", note=note,
            contour_label=text("diag.cooks", lang), marked_label=text("diag.top_cooks", lang), ax=ax),
    }


def _gap_drawing(curves, result: FitResult, name: str, lang: str, ax=None):
    from slopefit.views.plotting.charts import draw_history

    return draw_history(curves, xlabel=text("fig.epoch", lang), ylabel=text("fig.loss_gap_log", lang),
                        title=f"{name}: {text('fig.gap.title', lang)}", log_y=True, optimum=result.exact.loss,
                        loss_dtype=result.config.dtype, floor_label=text("fig.floor", lang), ax=ax)


def _gap_figure(curves, result: FitResult, path: Path, name: str, lang: str) -> Path:
    return save_figure(_gap_drawing(curves, result, name, lang), path)


def compare_figures(name: str, results: Sequence[FitResult], out: str | os.PathLike[str], lang: str) -> list[Path]:
    """``compare_loss.png`` and ``compare_gap.png``: every run's loss, and its gap to the optimum, on log axes.

    Parameters
    ----------
    name : str
        The data's name, for the titles.
    results : sequence of FitResult
        The runs, on the same data (the first one's optimum and dtype set the gap figure's floor); at least one.
    out : str or os.PathLike
        The directory to write to (created if missing).
    lang : {"ko", "en"}
        The language of the labels.

    Returns
    -------
    list of Path
        The two PNG files.
    """
    from slopefit.views.plotting.charts import Curve, plot_history

    curves = [Curve(r.config.describe(), r.history.epochs, r.history.losses) for r in results]
    loss = plot_history(curves, Path(out) / "compare_loss.png", xlabel=text("fig.epoch", lang),
                        ylabel=text("fig.loss_log", lang), title=f"{name}: {text('fig.compare.curves', lang)}",
                        log_y=True)
    return [loss, _gap_figure(curves, results[0], Path(out) / "compare_gap.png", name, lang)]


def landscape_figures(data, stats: SufficientStats, results: Sequence[FitResult], out: str | os.PathLike[str],
                      lang: str, *, still: bool = True, moving: bool = False) -> list[Path]:
    """The runs' paths over the MSE contours in the scaled (W, B) the optimizer saw:
    ``landscape.png`` (``still``), and ``landscape.gif`` + ``landscape.html`` (``moving``).

    Parameters
    ----------
    data : Dataset or TableSource
        One feature, fitted with an intercept.
    stats : SufficientStats
        Its statistics.
    results : sequence of FitResult
        The runs, each with ``record_params`` set (their paths), sharing the first one's scaler; at least one.
    out : str or os.PathLike
        The directory to write to (created if missing).
    lang : {"ko", "en"}
        The language of the labels.
    still : bool, default True
        Write ``landscape.png``; keyword-only.
    moving : bool, default False
        Write ``landscape.gif`` and ``landscape.html``; keyword-only.

    Returns
    -------
    list of Path
        The files written, in that order.
    """
    from slopefit.views.plotting.landscape import ParamPath, animate_paths, plot_landscape

    scaler = results[0].scaler
    surface = stats.loss_surface(scaler)
    theta_star = surface.theta_star
    paths = []
    for result in results:
        params = np.array(result.history.params)  # (n_records, 2): W, B in scaled units
        slopes, intercepts = scaler.path_to_original(params[:, :1], params[:, 1])
        paths.append(ParamPath(result.config.describe(), result.history.epochs, params[:, 0].tolist(),
                               params[:, 1].tolist(), slopes[:, 0].tolist(), intercepts.tolist()))
    unit = {"none": "", "center": text("fig.centered", lang),
            "standardize": text("fig.standardized", lang)}[scaler.method]
    labels = dict(xlabel="W" + unit, ylabel="B" + unit, min_label=text("fig.exact", lang))
    minimum = (float(theta_star[0]), float(theta_star[1]))
    out = Path(out)
    saved = []
    if still:
        saved.append(plot_landscape(surface, paths, minimum, out / "landscape.png",
                                    title=f"{data.name}: {text('fig.landscape.title', lang)}",
                                    start_label=text("fig.start", lang), end_label=text("fig.end", lang),
                                    colorbar_label=text("fig.loss_gap_log", lang), **labels))
    if moving:
        sample = plot_sample(data)
        saved.extend(animate_paths(sample.X[:, 0], sample.y, surface, paths, minimum,
                                   out / "landscape.gif", out / "landscape.html",
                                   xlabel=data.feature_names[0], ylabel=data.target_name,
                                   wlabel=labels["xlabel"], blabel=labels["ylabel"], title=data.name,
                                   min_label=labels["min_label"], data_label=text("fig.data", lang),
                                   epoch_label=text("fig.epoch", lang), start_label=text("fig.start", lang),
                                   end_label=text("fig.now", lang), colorbar_label=text("fig.loss_gap_log", lang)))
    return saved


def sweep_figure(result, lrs: Sequence[float], momenta: Sequence[float], out: str | os.PathLike[str], lang: str, *,
                 title: str) -> Path:
    """``sweep.png``: the final relative gap over the lr x momentum grid, with the stability
    bound theory gives (sgd) drawn across it.

    Parameters
    ----------
    result : SweepResult
        A sweep over ``grid(base, lrs, momenta)`` (lr varying fastest).
    lrs : sequence of float
        The grid's learning rates.
    momenta : sequence of float
        The grid's momenta (beta1 for adam/adamw).
    out : str or os.PathLike
        The directory to write to (created if missing).
    lang : {"ko", "en"}
        The language of the labels.
    title : str
        The figure's title; keyword-only.

    Returns
    -------
    Path
        ``out / "sweep.png"``.
    """
    from slopefit.solve.advise import describe_bound, stable_bound
    from slopefit.views.plotting.charts import plot_sweep

    base = result.configs[0]
    second = "beta1" if base.optimizer in ("adam", "adamw") else "momentum"
    gaps = np.where(result.diverged, np.nan, result.relative_gap).reshape(len(momenta), len(lrs))
    bounds = [stable_bound(result.lambda_max, base.optimizer, {**base.options, "momentum": m}) for m in momenta]
    theory = None if any(b is None for b in bounds) else [float(b) for b in bounds if b is not None]
    formula = describe_bound(base.optimizer, {**base.options, "momentum": 0.5}).split(",")[0]
    return plot_sweep(lrs, momenta, gaps, Path(out) / "sweep.png", xlabel="lr (learning rate)", ylabel=second,
                      title=title, colorbar=text("fig.sweep.colorbar", lang),
                      diverged_label=text("fig.diverged", lang), boundary=theory,
                      boundary_label=f"{text('fig.sweep.boundary', lang)}: lr = {formula}")
