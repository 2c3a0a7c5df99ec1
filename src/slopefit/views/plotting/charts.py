"""Loss curves, fitted lines, predicted against actual, and the sweep heatmap.

Figures are built on ``matplotlib.figure.Figure`` objects (no pyplot state), styled inside an
``rc_context`` (:mod:`slopefit.views.plotting.style`) and saved atomically as PNG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slopefit.views.plotting.style import (
    figure_for,
    new_figure,
    outside_legend,
    rc_params,
    readable_log_ticks,
    save_figure,
)


@dataclass(frozen=True)
class Curve:
    """One loss curve: a label and (epochs, losses).

    Attributes
    ----------
    label : str
        Legend text ("" for none).
    epochs : sequence of float
        The x values.
    losses : sequence of float
        The y values, same length as ``epochs``.
    style : str, default "-"
        A matplotlib format string ("--b", ":k").
    """

    label: str
    epochs: Sequence[float] | np.ndarray
    losses: Sequence[float] | np.ndarray
    style: str = "-"


@dataclass(frozen=True)
class Line:
    """A fitted line ``y = slope * x + intercept`` to draw over data.

    Attributes
    ----------
    label : str
        Legend text.
    slope : float
        The coefficient, original units.
    intercept : float
        The intercept, original units.
    style : str, default "-"
        A matplotlib format string.
    """

    label: str
    slope: float
    intercept: float
    style: str = "-"


def plot_scatter(x, y, path, *, xlabel: str, ylabel: str, title: str) -> Path:
    """The lesson's first figure: ``sns.scatterplot(x=height, y=weight)``.

    Parameters
    ----------
    x, y : array-like, shape (n_samples,)
        The points.
    path : str or os.PathLike
        The PNG to write (atomically).
    xlabel, ylabel, title : str
        Shown as given; keyword-only.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        When ``path`` cannot be written.
    """
    import matplotlib
    import seaborn as sns

    with matplotlib.rc_context(rc_params()):
        fig, ax = new_figure()
        sns.scatterplot(x=np.asarray(x), y=np.asarray(y), ax=ax, s=60)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        return save_figure(fig, path)


def _gap_floor(optimum: float, losses: Sequence[np.ndarray], loss_dtype: str) -> float:
    """The smallest gap ``loss - optimum`` a run's losses can resolve: one float step at the optimum.

    With ``optimum == 0`` (data on a line) every loss is its own gap, so the floor sits a decade
    under the smallest positive one.
    """
    floor = float(np.finfo(np.dtype(loss_dtype)).eps) * abs(float(optimum))
    if floor > 0:
        return floor
    positive = [float(np.min(gap[gap > 0])) for gap in losses if np.any(gap > 0)]
    return 0.1 * min(positive) if positive else 1.0


def draw_history(curves: Sequence[Curve], *, xlabel: str, ylabel: str, title: str,
                 log_y: bool = False, optimum: float | None = None, loss_dtype: str = "float64",
                 floor_label: str = "below float resolution", ax=None):
    """Loss curves against epochs, one per run, or their gaps to the optimum.

    Parameters
    ----------
    curves : sequence of Curve
    xlabel, ylabel, title : str
        Shown as given; with ``optimum`` the y label should say it is a gap
        (``"loss − loss* (log scale)"``, ``"손실 − 최솟값 (로그 눈금)"``).
    log_y : bool, default False
        A log y axis, when losses span orders of magnitude. Its ticks are always labelled,
        even over a fraction of a decade.
    optimum : float or None, default None
        The minimum loss ``loss*``. When given, each curve is drawn as ``loss - loss*`` on a
        log axis: the gap that "converged" is about. Gaps at or below one float step at the
        optimum (``eps(loss_dtype) * |loss*|``; negative ones come from rounding) are drawn on
        that floor, marked by a dotted line labelled ``floor_label``.
    loss_dtype : {"float64", "float32"}, default "float64"
        The float type the losses were computed in; it sets the floor.
    floor_label : str, default "below float resolution"
        Legend text of the floor line (``"부동소수점 해상도 이하"`` in Korean).

    Returns
    -------
    matplotlib Figure (a new one), or ``ax`` when given (``ax``: matplotlib Axes to draw on,
    keyword-only); the figure shows inline in a notebook, ``fig.savefig`` saves it.

    Examples
    --------
    >>> plot_history([Curve("sgd", [0, 1, 2], [4.0, 2.5, 2.01])], "gap.png", xlabel="epoch",  # doctest: +SKIP
    ...              ylabel="loss − loss*", title="gap", optimum=2.0)
    """
    import matplotlib

    shown = [np.asarray(curve.losses, dtype=np.float64) for curve in curves]
    floor = None
    if optimum is not None:
        log_y = True
        shown = [losses - float(optimum) for losses in shown]
        floor = _gap_floor(optimum, shown, loss_dtype)
    with matplotlib.rc_context(rc_params()):
        fig, ax, given = figure_for(ax)
        clipped = False
        for curve, values in zip(curves, shown, strict=True):
            if floor is not None:
                below = np.isfinite(values) & (values <= floor)
                clipped = clipped or bool(below.any())
                values = np.where(below, floor, values)
            if log_y:
                values = np.where(values > 0, values, np.nan)
            ax.plot(np.asarray(curve.epochs), values, curve.style, label=curve.label)
        if clipped:
            ax.axhline(floor, linestyle=":", color="gray", linewidth=1.2, label=f"{floor_label} ({floor:.1e})")
        if log_y:
            ax.set_yscale("log")
            readable_log_ticks(ax.yaxis)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        if len(curves) > 1 or curves[0].label or clipped:
            if optimum is None:
                ax.legend()
            else:  # gaps fall across the whole height of the axes: the legend goes under them
                outside_legend(fig, ax, fontsize=8)
        return ax if given else fig


def plot_history(curves: Sequence[Curve], path, **labels) -> Path:
    """:func:`draw_history` saved as PNG at ``path``, atomically (the command line's figures);
    returns ``path``. Raises OutputError when ``path`` cannot be written."""
    return save_figure(draw_history(curves, **labels), path)


def draw_lines(x, y, lines: Sequence[Line], *, xlabel: str, ylabel: str, title: str,
               data_label: str, mark: tuple[float, float, str] | None = None, ax=None):
    """Data points with fitted lines over them, spanning a little beyond the data.

    ``mark = (x, y, label)`` adds one highlighted point (a prediction), and the lines reach it.

    Parameters
    ----------
    x, y : array-like, shape (n_samples,)
        The data points.
    lines : sequence of Line
        The lines to draw over them.
    xlabel, ylabel, title : str
        Shown as given; keyword-only.
    data_label : str
        Legend text of the points; keyword-only.
    mark : (float, float, str) or None, default None
        One highlighted point and its legend text; keyword-only.

    Returns
    -------
    matplotlib Figure (a new one), or ``ax`` when given (``ax``: matplotlib Axes to draw on,
    keyword-only); the figure shows inline in a notebook, ``fig.savefig`` saves it.
    """
    import matplotlib

    x = np.asarray(x, dtype=np.float64)
    with matplotlib.rc_context(rc_params()):
        fig, ax, given = figure_for(ax)
        ax.scatter(x, y, s=50, color="tab:blue", zorder=3, label=data_label)
        lo, hi = float(x.min()), float(x.max())
        if mark is not None:
            lo, hi = min(lo, mark[0]), max(hi, mark[0])
            ax.scatter([mark[0]], [mark[1]], s=90, marker="*", color="tab:orange", zorder=4, label=mark[2])
        pad = 0.1 * (hi - lo)
        grid = np.linspace(lo - pad, hi + pad, 100)
        for i, line in enumerate(lines):  # earlier lines on top: a dotted line stays visible on a solid one
            ax.plot(grid, line.slope * grid + line.intercept, line.style, label=line.label, zorder=2.9 - 0.1 * i,
                    linewidth=2.2 if ":" in line.style else 1.5)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        ax.legend()
        return ax if given else fig


def plot_lines(x, y, lines: Sequence[Line], path, **labels) -> Path:
    """:func:`draw_lines` saved as PNG at ``path``, atomically (the command line's figures);
    returns ``path``. Raises OutputError when ``path`` cannot be written."""
    return save_figure(draw_lines(x, y, lines, **labels), path)


def draw_predicted(actual, predicted, *, xlabel: str, ylabel: str, title: str, ax=None):
    """Predicted against actual values (for data with several features), with the y = x line.

    Parameters
    ----------
    actual, predicted : array-like, shape (n_samples,)
        Target values and the model's predictions.
    xlabel, ylabel, title : str
        Shown as given; keyword-only.

    Returns
    -------
    matplotlib Figure (a new one), or ``ax`` when given (``ax``: matplotlib Axes to draw on,
    keyword-only); the figure shows inline in a notebook, ``fig.savefig`` saves it.
    """
    import matplotlib

    actual = np.asarray(actual, dtype=np.float64)
    with matplotlib.rc_context(rc_params()):
        fig, ax, given = figure_for(ax)
        ax.scatter(actual, predicted, s=12, alpha=0.6)
        lo, hi = float(np.min(actual)), float(np.max(actual))
        ax.plot([lo, hi], [lo, hi], "--", color="gray", label="y = x")
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        ax.legend()
        return ax if given else fig


def plot_predicted(actual, predicted, path, **labels) -> Path:
    """:func:`draw_predicted` saved as PNG at ``path``, atomically (the command line's figures);
    returns ``path``. Raises OutputError when ``path`` cannot be written."""
    return save_figure(draw_predicted(actual, predicted, **labels), path)


def plot_sweep(lrs: Sequence[float], momenta: Sequence[float], gaps: np.ndarray, path, *, xlabel: str,
               ylabel: str, title: str, colorbar: str, diverged_label: str,
               boundary: Sequence[float] | None = None, boundary_label: str = "") -> Path:
    """Heatmap of a sweep's final relative gap (log10) over the lr x momentum grid.

    ``gaps`` has shape (len(momenta), len(lrs)); NaN cells (diverged runs) are drawn grey with
    an x, so that the unstable region is visible next to the fast one. ``boundary`` gives, per
    momentum, the largest stable lr in theory; it is drawn as a dashed line between the cells.

    Parameters
    ----------
    lrs : sequence of float
        The grid's learning rates (columns), increasing, > 0.
    momenta : sequence of float
        The grid's momenta (rows).
    gaps : ndarray, shape (len(momenta), len(lrs))
        Final relative gaps; NaN for diverged runs.
    path : str or os.PathLike
        The PNG to write (atomically).
    xlabel, ylabel, title : str
        Shown as given; keyword-only (as are all below).
    colorbar : str
        The colour bar's label.
    diverged_label : str
        Legend text of the diverged cells.
    boundary : sequence of float or None, default None
        The theoretical stable bound per momentum; None draws no boundary.
    boundary_label : str, default ""
        Legend text of the boundary.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        When ``path`` cannot be written.
    """
    import matplotlib
    from matplotlib.colors import ListedColormap

    gaps = np.asarray(gaps, dtype=np.float64)
    with matplotlib.rc_context({**rc_params(), "axes.grid": False}):
        fig, ax = new_figure(size=(max(6.4, 0.55 * len(lrs) + 2.5), max(3.2, 0.5 * len(momenta) + 1.8)))
        shown = np.log10(np.clip(gaps, 1e-16, None))
        image = ax.imshow(np.ma.masked_invalid(shown), cmap="viridis_r", aspect="auto", origin="lower",
                          vmin=min(-16.0, float(np.nanmin(shown))) if np.isfinite(shown).any() else -16, vmax=None)
        ax.imshow(np.where(np.isnan(gaps), 1.0, np.nan), cmap=ListedColormap(["#bbbbbb"]), aspect="auto",
                  origin="lower")
        for i, j in zip(*np.nonzero(np.isnan(gaps)), strict=True):
            ax.text(j, i, "×", ha="center", va="center", color="#444444", fontsize=9)
        if boundary is not None and len(lrs) > 1:
            logs = np.log(np.asarray(lrs, dtype=np.float64))
            xs, ys = [], []
            for i, bound in enumerate(boundary):
                # between the last stable and the first unstable column, in log-lr position
                pos = float(np.interp(np.log(bound), logs, np.arange(len(lrs)), left=-0.5, right=len(lrs) - 0.5))
                xs += [pos, pos]
                ys += [i - 0.5, i + 0.5]
            ax.plot(xs, ys, "--", color="white", linewidth=2.2)
            ax.plot(xs, ys, "--", color="crimson", linewidth=1.4, label=boundary_label)
            ax.legend(loc="upper left", fontsize=8, framealpha=0.85)
            ax.set_xlim(-0.5, len(lrs) - 0.5)
            ax.set_ylim(-0.5, len(momenta) - 0.5)
        ax.set_xticks(range(len(lrs)), [f"{v:.3g}" for v in lrs], rotation=60, ha="right")
        ax.set_yticks(range(len(momenta)), [f"{v:g}" for v in momenta])
        ax.set(xlabel=xlabel, ylabel=ylabel, title=f"{title}\n(× = {diverged_label})")
        bar = fig.colorbar(image, ax=ax)
        bar.set_label(colorbar)
        return save_figure(fig, path)


