"""Regression diagnostics, drawn: residuals against fitted values with a trend, the normal Q-Q plot
of the studentized residuals, and leverage against studentized residual with Cook's distance
contours (the three panels of R's ``plot.lm`` that matter most for a line).

Points come as arrays; rows worth a look come as :class:`Marked` points, drawn in red and named.
The numbers are computed in :mod:`slopefit.solve.influence`, the labels chosen in :mod:`slopefit.views.figures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slopefit.views.plotting.style import figure_for, outside_legend, rc_params, save_figure


@dataclass(frozen=True)
class Marked:
    """One point to highlight and name.

    Attributes
    ----------
    x, y : float
        Where it is, in the axes' units.
    label : str
        Its name, drawn next to it (a row number).
    """

    x: float
    y: float
    label: str


def _points(ax, x: np.ndarray, y: np.ndarray) -> None:
    """The cloud: smaller and fainter as there are more points."""
    n = max(len(x), 1)
    size = 22 if n <= 200 else 10 if n <= 2000 else 5
    alpha = 0.75 if n <= 200 else 0.45 if n <= 2000 else 0.3
    ax.scatter(x, y, s=size, alpha=alpha, color="C0", edgecolors="none")


def _mark(ax, marked: Sequence[Marked], label: str) -> None:
    for i, point in enumerate(marked):
        ax.scatter([point.x], [point.y], s=40, facecolors="none", edgecolors="red", linewidths=1.2, zorder=3,
                   label=label if i == 0 and label else None)
        ax.annotate(point.label, (point.x, point.y), xytext=(4, 3), textcoords="offset points", fontsize=8,
                    color="darkred")


def _legend(fig, ax) -> None:
    """The legend under the axes, where it hides no point and no row number."""
    if ax.get_legend_handles_labels()[0]:
        outside_legend(fig, ax, fontsize=8)


def _titled(ax, title: str, note: str) -> None:
    ax.set_title(f"{title}\n{note}" if note else title, fontsize=10)


def draw_residuals(fitted, resid, *, trend: tuple[np.ndarray, np.ndarray] | None, marked: Sequence[Marked],
                   marked_label: str = "", xlabel: str, ylabel: str, title: str, note: str = "",
                   trend_label: str, ax=None):
    """Residuals against fitted values, the zero line and a trend (a pattern means a missed curve).

    Parameters
    ----------
    fitted, resid : array-like, shape (n_points,)
        The points.
    trend : (x, y) arrays or None
        The trend line (e.g. binned means), drawn in red; None for none; keyword-only.
    marked : sequence of Marked
        Rows to highlight and name; keyword-only.
    marked_label : str, default ""
        The legend's words for them ("" for none); keyword-only.
    xlabel, ylabel, title, note, trend_label : str
        Shown as given; ``note`` (e.g. which rows are drawn) goes under the title; keyword-only.

    Returns
    -------
    matplotlib Figure (a new one), or ``ax`` when given (``ax``: matplotlib Axes to draw on,
    keyword-only); the figure shows inline in a notebook, ``fig.savefig`` saves it.
    """
    import matplotlib

    with matplotlib.rc_context(rc_params()):
        fig, ax, given = figure_for(ax)
        _points(ax, np.asarray(fitted, dtype=np.float64), np.asarray(resid, dtype=np.float64))
        ax.axhline(0.0, linestyle="--", color="gray", linewidth=1)
        if trend is not None and len(trend[0]) > 1:
            ax.plot(trend[0], trend[1], "-", color="red", linewidth=1.5, label=trend_label)
        _mark(ax, marked, marked_label)
        _legend(fig, ax)
        ax.set(xlabel=xlabel, ylabel=ylabel)
        _titled(ax, title, note)
        return ax if given else fig


def plot_residuals(fitted, resid, path, **labels) -> Path:
    """:func:`draw_residuals` saved as PNG at ``path``, atomically (the command line's figures);
    returns ``path``. Raises OutputError when ``path`` cannot be written."""
    return save_figure(draw_residuals(fitted, resid, **labels), path)


def draw_qq(theoretical, ordered, *, marked: Sequence[Marked], marked_label: str = "", xlabel: str,
            ylabel: str, title: str, note: str = "", line_label: str, ax=None):
    """A normal Q-Q plot: ordered standardized residuals against normal quantiles, with y = x.

    Parameters
    ----------
    theoretical : array-like, shape (n_points,)
        Normal quantiles, ascending (:func:`slopefit.solve.influence.normal_quantiles`).
    ordered : array-like, shape (n_points,)
        The standardized residuals, ascending.
    marked : sequence of Marked
        Points to highlight and name; keyword-only.
    marked_label : str, default ""
        The legend's words for them ("" for none); keyword-only.
    xlabel, ylabel, title, note, line_label : str
        Shown as given; keyword-only.

    Returns
    -------
    matplotlib Figure (a new one), or ``ax`` when given (``ax``: matplotlib Axes to draw on,
    keyword-only); the figure shows inline in a notebook, ``fig.savefig`` saves it.
    """
    import matplotlib

    theoretical = np.asarray(theoretical, dtype=np.float64)
    ordered = np.asarray(ordered, dtype=np.float64)
    with matplotlib.rc_context(rc_params()):
        fig, ax, given = figure_for(ax)
        _points(ax, theoretical, ordered)
        if len(theoretical):
            lo, hi = float(theoretical[0]), float(theoretical[-1])
            ax.plot([lo, hi], [lo, hi], "--", color="gray", linewidth=1, label=line_label)
        _mark(ax, marked, marked_label)
        _legend(fig, ax)
        ax.set(xlabel=xlabel, ylabel=ylabel)
        _titled(ax, title, note)
        return ax if given else fig


def plot_qq(theoretical, ordered, path, **labels) -> Path:
    """:func:`draw_qq` saved as PNG at ``path``, atomically (the command line's figures);
    returns ``path``. Raises OutputError when ``path`` cannot be written."""
    return save_figure(draw_qq(theoretical, ordered, **labels), path)


def draw_leverage(leverage, student, *, n_params: int, levels: Sequence[float], marked: Sequence[Marked],
                  marked_label: str = "", xlabel: str, ylabel: str, title: str, note: str = "",
                  contour_label: str, ax=None):
    """Studentized residuals against leverage, with the Cook's distance contours ``D = level``:
    rows beyond them move the line most.

    Parameters
    ----------
    leverage, student : array-like, shape (n_points,)
        The points.
    n_params : int
        Parameters of the model (the contours depend on it); keyword-only.
    levels : sequence of float
        Cook's distances of the contours, e.g. (0.5, 1); keyword-only.
    marked : sequence of Marked
        Rows to highlight and name; keyword-only.
    marked_label : str, default ""
        The legend's words for them ("" for none); keyword-only.
    xlabel, ylabel, title, note, contour_label : str
        Shown as given; keyword-only.

    Returns
    -------
    matplotlib Figure (a new one), or ``ax`` when given (``ax``: matplotlib Axes to draw on,
    keyword-only); the figure shows inline in a notebook, ``fig.savefig`` saves it.
    """
    import matplotlib

    from slopefit.solve.influence import cooks_contour

    leverage = np.asarray(leverage, dtype=np.float64)
    student = np.asarray(student, dtype=np.float64)
    with matplotlib.rc_context(rc_params()):
        fig, ax, given = figure_for(ax)
        _points(ax, leverage, student)
        ax.axhline(0.0, linestyle=":", color="gray", linewidth=1)
        xs = np.concatenate([leverage, [m.x for m in marked]]) if marked else leverage
        ys = np.concatenate([student, [m.y for m in marked]]) if marked else student
        ys = ys[np.isfinite(ys)]
        right = min(1.0, float(np.nanmax(xs)) * 1.08) if len(xs) else 1.0
        ytop = max(float(np.abs(ys).max()) * 1.1, 2.5) if len(ys) else 2.5
        h = np.linspace(right / 400, right, 400)
        for i, level in enumerate(levels):
            r = cooks_contour(level, n_params, h)
            label = contour_label if i == 0 else None
            ax.plot(h, r, "--", color="red", linewidth=1, label=label)
            ax.plot(h, -r, "--", color="red", linewidth=1)
            if r[-1] < ytop:  # the level, at the right end of its contour where it is in view
                ax.annotate(f"{level:g}", (h[-1], r[-1]), xytext=(2, 0), textcoords="offset points", fontsize=8,
                            color="red", va="center")
        _mark(ax, marked, marked_label)
        ax.set_xlim(0.0, right * 1.04)
        ax.set_ylim(-ytop, ytop)
        ax.set(xlabel=xlabel, ylabel=ylabel)
        _legend(fig, ax)
        _titled(ax, title, note)
        return ax if given else fig


def plot_leverage(leverage, student, path, **labels) -> Path:
    """:func:`draw_leverage` saved as PNG at ``path``, atomically (the command line's figures);
    returns ``path``. Raises OutputError when ``path`` cannot be written."""
    return save_figure(draw_leverage(leverage, student, **labels), path)


