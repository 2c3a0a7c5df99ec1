"""Every figure slopefit draws. The only module that imports matplotlib and seaborn, lazily.

Figures are built on ``matplotlib.figure.Figure`` objects (no pyplot state), styled inside an
``rc_context`` with the bundled NanumGothic font so that Korean renders as Hangul, and saved
atomically as PNG.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slopefit.atomic import atomic_path

FONT_FILE = Path(__file__).with_name("fonts") / "NanumGothic.ttf"
FONT_FAMILY = "NanumGothic"  # covers Hangul and Latin; DejaVu Sans is the fallback for anything else
DPI = 120


@dataclass(frozen=True)
class Curve:
    """One loss curve: a label and (epochs, losses)."""

    label: str
    epochs: Sequence[float] | np.ndarray
    losses: Sequence[float] | np.ndarray
    style: str = "-"


@dataclass(frozen=True)
class Line:
    """A fitted line ``y = slope * x + intercept`` to draw over data."""

    label: str
    slope: float
    intercept: float
    style: str = "-"


def _rc() -> dict:
    from matplotlib import font_manager

    if FONT_FAMILY not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(FONT_FILE))
    return {
        "font.family": [FONT_FAMILY, "DejaVu Sans"],
        "axes.unicode_minus": False,  # NanumGothic has no U+2212 minus sign; use '-'
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "axes.grid": True,
        "grid.alpha": 0.3,
    }


def _new_figure(size=(6.4, 4.4)):
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.subplots()


def _save(fig, path: str | os.PathLike[str]) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return Path(path)


def plot_scatter(x, y, path, *, xlabel: str, ylabel: str, title: str) -> Path:
    """The lesson's first figure: ``sns.scatterplot(x=height, y=weight)``."""
    import matplotlib
    import seaborn as sns

    with matplotlib.rc_context(_rc()):
        fig, ax = _new_figure()
        sns.scatterplot(x=np.asarray(x), y=np.asarray(y), ax=ax, s=60)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        return _save(fig, path)


def plot_history(curves: Sequence[Curve], path, *, xlabel: str, ylabel: str, title: str,
                 log_y: bool = False) -> Path:
    """Loss curves against epochs, one per run; ``log_y`` when losses span orders of magnitude."""
    import matplotlib

    with matplotlib.rc_context(_rc()):
        fig, ax = _new_figure()
        for curve in curves:
            losses = np.asarray(curve.losses, dtype=np.float64)
            if log_y:
                losses = np.where(losses > 0, losses, np.nan)
            ax.plot(np.asarray(curve.epochs), losses, curve.style, label=curve.label)
        if log_y:
            from matplotlib.ticker import FuncFormatter, NullFormatter

            ax.set_yscale("log")
            # plain-text tick labels: the default mathtext labels need a U+2212 minus glyph
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        if len(curves) > 1 or curves[0].label:
            ax.legend()
        return _save(fig, path)


def plot_lines(x, y, lines: Sequence[Line], path, *, xlabel: str, ylabel: str, title: str,
               data_label: str, mark: tuple[float, float, str] | None = None) -> Path:
    """Data points with fitted lines over them, spanning a little beyond the data.

    ``mark = (x, y, label)`` adds one highlighted point (a prediction), and the lines reach it.
    """
    import matplotlib

    x = np.asarray(x, dtype=np.float64)
    with matplotlib.rc_context(_rc()):
        fig, ax = _new_figure()
        ax.scatter(x, y, s=50, color="tab:blue", zorder=3, label=data_label)
        lo, hi = float(x.min()), float(x.max())
        if mark is not None:
            lo, hi = min(lo, mark[0]), max(hi, mark[0])
            ax.scatter([mark[0]], [mark[1]], s=90, marker="*", color="tab:orange", zorder=4, label=mark[2])
        pad = 0.1 * (hi - lo)
        grid = np.linspace(lo - pad, hi + pad, 100)
        for line in lines:
            ax.plot(grid, line.slope * grid + line.intercept, line.style, label=line.label)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        ax.legend()
        return _save(fig, path)


def plot_predicted(actual, predicted, path, *, xlabel: str, ylabel: str, title: str) -> Path:
    """Predicted against actual values (for data with several features), with the y = x line."""
    import matplotlib

    actual = np.asarray(actual, dtype=np.float64)
    with matplotlib.rc_context(_rc()):
        fig, ax = _new_figure()
        ax.scatter(actual, predicted, s=12, alpha=0.6)
        lo, hi = float(np.min(actual)), float(np.max(actual))
        ax.plot([lo, hi], [lo, hi], "--", color="gray", label="y = x")
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        ax.legend()
        return _save(fig, path)


def plot_sweep(lrs: Sequence[float], momenta: Sequence[float], gaps: np.ndarray, path, *, xlabel: str,
               ylabel: str, title: str, colorbar: str, diverged_label: str) -> Path:
    """Heatmap of a sweep's final relative gap (log10) over the lr x momentum grid.

    ``gaps`` has shape (len(momenta), len(lrs)); NaN cells (diverged runs) are drawn grey with
    an x, so that the unstable region is visible next to the fast one.
    """
    import matplotlib
    from matplotlib.colors import ListedColormap

    gaps = np.asarray(gaps, dtype=np.float64)
    with matplotlib.rc_context({**_rc(), "axes.grid": False}):
        fig, ax = _new_figure(size=(max(6.4, 0.55 * len(lrs) + 2.5), max(3.2, 0.5 * len(momenta) + 1.8)))
        shown = np.log10(np.clip(gaps, 1e-16, None))
        image = ax.imshow(np.ma.masked_invalid(shown), cmap="viridis_r", aspect="auto", origin="lower",
                          vmin=min(-16.0, float(np.nanmin(shown))) if np.isfinite(shown).any() else -16, vmax=None)
        ax.imshow(np.where(np.isnan(gaps), 1.0, np.nan), cmap=ListedColormap(["#bbbbbb"]), aspect="auto",
                  origin="lower")
        for i, j in zip(*np.nonzero(np.isnan(gaps)), strict=True):
            ax.text(j, i, "×", ha="center", va="center", color="#444444", fontsize=9)
        ax.set_xticks(range(len(lrs)), [f"{v:.3g}" for v in lrs], rotation=60, ha="right")
        ax.set_yticks(range(len(momenta)), [f"{v:g}" for v in momenta])
        ax.set(xlabel=xlabel, ylabel=ylabel, title=f"{title}\n(× = {diverged_label})")
        bar = fig.colorbar(image, ax=ax)
        bar.set_label(colorbar)
        return _save(fig, path)
