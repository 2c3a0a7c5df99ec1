"""Every figure slopefit draws. The only package that imports matplotlib and seaborn, lazily.

Loss curves, fitted lines and the sweep heatmap here; the loss landscape and its animation
in :mod:`slopefit.views.plotting.landscape`.

Figures are built on ``matplotlib.figure.Figure`` objects (no pyplot state), styled inside an
``rc_context`` (DejaVu Sans, falling back glyph by glyph to the bundled NanumGothic, so that
Korean renders as Hangul and math minus signs as minus signs), and saved atomically as PNG.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slopefit.atomic import atomic_path

FONT_FILE = Path(__file__).parents[2] / "fonts" / "NanumGothic.ttf"
FONT_FAMILY = "NanumGothic"  # the bundled font: Hangul (DejaVu Sans, first in line, has no Hangul)
DPI = 120


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


def rc_params() -> dict:
    """Matplotlib settings with the bundled Korean font, for your own plots:
    ``plt.rcParams.update(rc_params())`` (notebooks) or ``with matplotlib.rc_context(rc_params()):``.

    Registers the bundled NanumGothic with matplotlib's font manager on first use.

    Returns
    -------
    dict
        rcParams: font family (DejaVu Sans, then NanumGothic), dpi, grid.
    """
    from matplotlib import font_manager

    if FONT_FAMILY not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(FONT_FILE))
    return {
        # DejaVu Sans first: it has every glyph mathtext needs (the U+2212 minus of 10^-3 on log axes),
        # and matplotlib falls back to NanumGothic glyph by glyph for Hangul
        "font.family": ["DejaVu Sans", FONT_FAMILY],
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
        fig, ax = _new_figure()
        sns.scatterplot(x=np.asarray(x), y=np.asarray(y), ax=ax, s=60)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        return _save(fig, path)


def _readable_log_ticks(axis) -> None:
    """Give a log-scaled axis at least two labelled ticks whatever its span.

    Over more than two decades the labels sit on powers of ten; over one or two on 1, 2, 3 and 5
    times a power of ten; over less than about one decade (a loss from 13.35 to 13.30) on evenly
    spaced round numbers, as on a linear axis. Labels are plain text (``0.001``, ``1e-12``, ``13.31``)
    with as many digits as tell the ticks apart: the default mathtext labels show a lone ``10``
    or nothing at all on a narrow span.
    """
    from matplotlib.ticker import Formatter, Locator, LogLocator, MaxNLocator, NullFormatter

    class ReadableLogLocator(Locator):
        def __call__(self):
            return self.tick_values(*self.axis.get_view_interval())

        def tick_values(self, vmin, vmax):
            low, high = sorted((float(vmin), float(vmax)))
            if not high > 0:
                return np.array([])
            low = low if low > 0 else high * 1e-3
            decades = np.log10(high / low)
            if decades > 2:
                ticks = LogLocator(base=10, numticks=9).tick_values(low, high)
            elif decades > 0.8:  # 1, 2, 3, 5: the widest gap is log10(2) = 0.3 decade, so >= 2 fall inside
                ticks = LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0), numticks=16).tick_values(low, high)
            else:
                ticks = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
            return ticks[ticks > 0]

    class PlainFormatter(Formatter):
        """``%g`` with the fewest significant digits that keep each label within 0.1 % of a tick step."""

        digits = 3

        def set_locs(self, locs):
            super().set_locs(locs)
            values = np.sort(np.asarray([v for v in locs if v > 0], dtype=np.float64))
            step = float(np.min(np.diff(values))) if len(values) > 1 else (float(values[0]) if len(values) else 1.0)
            for digits in range(1, 17):
                if all(abs(float(f"{v:.{digits}g}") - v) <= 1e-3 * step for v in values):
                    break
            whole = values[(values >= 1) & (values < 1e6)]
            if len(whole):  # 20 and 50000, not 2e+01 and 5e+04
                digits = max(digits, int(np.floor(np.log10(whole[-1]))) + 1)
            self.digits = digits

        def __call__(self, x, pos=None):
            text = f"{x:.{self.digits}g}"
            mantissa, _, exponent = text.partition("e")
            return f"{mantissa}e{int(exponent)}" if exponent else text  # 1e6 and 1e-7, not 1e+06 and 1e-07

    axis.set_major_locator(ReadableLogLocator())
    axis.set_major_formatter(PlainFormatter())
    axis.set_minor_formatter(NullFormatter())


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


def plot_history(curves: Sequence[Curve], path, *, xlabel: str, ylabel: str, title: str,
                 log_y: bool = False, optimum: float | None = None, loss_dtype: str = "float64",
                 floor_label: str = "below float resolution") -> Path:
    """Loss curves against epochs, one per run, or their gaps to the optimum.

    Parameters
    ----------
    curves : sequence of Curve
    path : str or PathLike
        The PNG to write (atomically).
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
    Path
        ``path``.

    Raises
    ------
    OutputError
        When ``path`` cannot be written.

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
        fig, ax = _new_figure()
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
            _readable_log_ticks(ax.yaxis)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        if len(curves) > 1 or curves[0].label or clipped:
            if optimum is None:
                ax.legend()
            else:  # gaps fall across the whole height of the axes: the legend goes under them
                fig.legend(loc="outside lower center", ncols=2, fontsize=8)
        return _save(fig, path)


def plot_lines(x, y, lines: Sequence[Line], path, *, xlabel: str, ylabel: str, title: str,
               data_label: str, mark: tuple[float, float, str] | None = None) -> Path:
    """Data points with fitted lines over them, spanning a little beyond the data.

    ``mark = (x, y, label)`` adds one highlighted point (a prediction), and the lines reach it.

    Parameters
    ----------
    x, y : array-like, shape (n_samples,)
        The data points.
    lines : sequence of Line
        The lines to draw over them.
    path : str or os.PathLike
        The PNG to write (atomically).
    xlabel, ylabel, title : str
        Shown as given; keyword-only.
    data_label : str
        Legend text of the points; keyword-only.
    mark : (float, float, str) or None, default None
        One highlighted point and its legend text; keyword-only.

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

    x = np.asarray(x, dtype=np.float64)
    with matplotlib.rc_context(rc_params()):
        fig, ax = _new_figure()
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
        return _save(fig, path)


def plot_predicted(actual, predicted, path, *, xlabel: str, ylabel: str, title: str) -> Path:
    """Predicted against actual values (for data with several features), with the y = x line.

    Parameters
    ----------
    actual, predicted : array-like, shape (n_samples,)
        Target values and the model's predictions.
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

    actual = np.asarray(actual, dtype=np.float64)
    with matplotlib.rc_context(rc_params()):
        fig, ax = _new_figure()
        ax.scatter(actual, predicted, s=12, alpha=0.6)
        lo, hi = float(np.min(actual)), float(np.max(actual))
        ax.plot([lo, hi], [lo, hi], "--", color="gray", label="y = x")
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        ax.legend()
        return _save(fig, path)


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
        fig, ax = _new_figure(size=(max(6.4, 0.55 * len(lrs) + 2.5), max(3.2, 0.5 * len(momenta) + 1.8)))
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
        return _save(fig, path)


from slopefit.views.plotting.landscape import ParamPath, animate_paths, plot_landscape  # noqa: E402

__all__ = ["FONT_FAMILY", "FONT_FILE", "Curve", "Line", "ParamPath", "animate_paths", "plot_history", "plot_landscape",
           "plot_lines", "plot_predicted", "plot_scatter", "plot_sweep", "rc_params"]
