"""Every figure slopefit draws. The only module that imports matplotlib and seaborn, lazily.

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

FONT_FILE = Path(__file__).with_name("fonts") / "NanumGothic.ttf"
FONT_FAMILY = "NanumGothic"  # the bundled font: Hangul (DejaVu Sans, first in line, has no Hangul)
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


def rc_params() -> dict:
    """Matplotlib settings with the bundled Korean font, for your own plots:
    ``plt.rcParams.update(rc_params())`` (notebooks) or ``with matplotlib.rc_context(rc_params()):``."""
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
    """The lesson's first figure: ``sns.scatterplot(x=height, y=weight)``."""
    import matplotlib
    import seaborn as sns

    with matplotlib.rc_context(rc_params()):
        fig, ax = _new_figure()
        sns.scatterplot(x=np.asarray(x), y=np.asarray(y), ax=ax, s=60)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        return _save(fig, path)


def _readable_log_ticks(axis) -> None:
    """Give a log-scaled axis at least two labelled ticks whatever its span.

    Over more than two decades the labels sit on powers of ten; over one or two on 1, 2 and 5
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
            elif decades > 0.8:  # 1, 2, 5: the widest gap is log10(2.5) = 0.4 decade, so >= 2 fall inside
                ticks = LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12).tick_values(low, high)
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
    floor_label : str
        Legend text of the floor line (``"부동소수점 해상도 이하"`` in Korean).

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
            ax.legend()
        return _save(fig, path)


def plot_lines(x, y, lines: Sequence[Line], path, *, xlabel: str, ylabel: str, title: str,
               data_label: str, mark: tuple[float, float, str] | None = None) -> Path:
    """Data points with fitted lines over them, spanning a little beyond the data.

    ``mark = (x, y, label)`` adds one highlighted point (a prediction), and the lines reach it.
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
        for line in lines:
            ax.plot(grid, line.slope * grid + line.intercept, line.style, label=line.label)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        ax.legend()
        return _save(fig, path)


def plot_predicted(actual, predicted, path, *, xlabel: str, ylabel: str, title: str) -> Path:
    """Predicted against actual values (for data with several features), with the y = x line."""
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


@dataclass(frozen=True)
class ParamPath:
    """One run's way through parameter space: W and B at each recorded epoch (scaled units),
    and the same line in the data's units for drawing it over the data."""

    label: str
    epochs: Sequence[int]
    w: Sequence[float]
    b: Sequence[float]
    slopes: Sequence[float]
    intercepts: Sequence[float]


_PATH_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_PATH_STYLES = ("-", "--", "-.", ":")


def _curvature(loss_fn, minimum: tuple[float, float], steps: tuple[float, float]) -> np.ndarray:
    """``Q`` with ``loss(m + d) = loss(m) + d^T Q d`` for the quadratic ``loss_fn``, by central differences.

    The MSE of a line is exactly quadratic in (W, B), so the differences are exact up to rounding
    whatever the steps; steps as wide as the paths keep the rounding small next to the rise.
    """
    w, b = minimum
    h, k = steps

    def at(dw, db):
        return float(loss_fn(np.array([w + dw]), np.array([b + db]))[0])

    center = at(0.0, 0.0)
    q_ww = (at(h, 0.0) - 2 * center + at(-h, 0.0)) / (2 * h * h)
    q_bb = (at(0.0, k) - 2 * center + at(0.0, -k)) / (2 * k * k)
    q_wb = (at(h, k) - at(h, -k) - at(-h, k) + at(-h, -k)) / (8 * h * k)
    return np.array([[q_ww, q_wb], [q_wb, q_bb]])


def _landscape_window(loss_fn, paths: Sequence[ParamPath], minimum: tuple[float, float], pad: float = 1.15):
    """The (W, B) window to draw and the loss rise ``R`` above the minimum that it is built on.

    Each axis is drawn in its own units (W and B keep their meaning), but the window is not the
    paths' bounding box: it is the bounding box of the ellipse ``loss = loss* + R``, with ``R``
    the smallest rise whose box holds every path point (times ``pad``). So the loss rises by the
    same amount at the window's edge along each axis, every contour below ``R`` is a closed
    ellipse inside the window, and a path that moves 20 along W and 0.8 along B no longer turns
    the bowl into vertical bands. Falls back to the paths' box when the curvature is degenerate.
    """
    ws = np.concatenate([np.asarray(p.w, dtype=np.float64) for p in paths] + [[minimum[0]]])
    bs = np.concatenate([np.asarray(p.b, dtype=np.float64) for p in paths] + [[minimum[1]]])
    ws, bs = ws[np.isfinite(ws)], bs[np.isfinite(bs)]
    reach_w = float(np.max(np.abs(ws - minimum[0])))
    reach_b = float(np.max(np.abs(bs - minimum[1])))
    steps = (reach_w or max(abs(minimum[0]), 1.0), reach_b or max(abs(minimum[1]), 1.0))
    q = _curvature(loss_fn, minimum, steps)
    det = float(np.linalg.det(q))
    if np.all(np.isfinite(q)) and q[0, 0] > 0 and det > 0:
        # the ellipse d^T Q d = R reaches sqrt(R (Q^-1)_ii) along axis i
        q_inv = np.linalg.inv(q)
        rise = max(reach_w ** 2 / q_inv[0, 0], reach_b ** 2 / q_inv[1, 1])
        if not rise > 0:  # every path sits on the minimum
            rise = max(q[0, 0] * steps[0] ** 2, q[1, 1] * steps[1] ** 2)
        rise *= pad * pad
        half_w, half_b = np.sqrt(rise * q_inv[0, 0]), np.sqrt(rise * q_inv[1, 1])
        return (minimum[0] - half_w, minimum[0] + half_w), (minimum[1] - half_b, minimum[1] + half_b), rise

    def span(values):
        low, high = float(values.min()), float(values.max())
        more = 0.15 * (high - low) if high > low else max(1.0, abs(high))
        return low - more, high + more

    return span(ws), span(bs), None


def _landscape_grid(loss_fn, paths: Sequence[ParamPath], minimum: tuple[float, float], points: int = 160):
    """The window's grid and the loss above the minimum on it: ``(Wg, Bg, gap, rise)``."""
    (w0, w1), (b0, b1), rise = _landscape_window(loss_fn, paths, minimum)
    Wg, Bg = np.meshgrid(np.linspace(w0, w1, points), np.linspace(b0, b1, points))  # (points, points) each
    gap = loss_fn(Wg, Bg) - float(loss_fn(np.array([minimum[0]]), np.array([minimum[1]]))[0])
    return Wg, Bg, gap, rise


def _draw_contour(fig, ax, Wg, Bg, gap, rise, minimum, min_label, colorbar_label):
    """Filled contours of the loss above its minimum on log-spaced levels, a colour bar, the minimum."""
    from matplotlib.colors import LogNorm

    top = float(np.nanmax(gap))
    low = 1e-3 * (rise if rise else top)  # the innermost ellipse: 1/30 of the window across
    levels = np.geomspace(low, top, 16)
    norm = LogNorm(vmin=low, vmax=top)
    filled = ax.contourf(Wg, Bg, np.clip(gap, low * 0.5, None), levels=levels, norm=norm, cmap="Greys",
                         alpha=0.35, extend="min")
    ax.contour(Wg, Bg, gap, levels=levels, colors="#5a6b80", linewidths=0.6, alpha=0.8)
    bar = fig.colorbar(filled, ax=ax)
    bar.set_label(colorbar_label)
    _readable_log_ticks(bar.ax.yaxis)
    ax.plot(*minimum, marker="*", color="gold", markeredgecolor="black", markersize=16, linestyle="none",
            label=min_label, zorder=7)
    ax.set_xlim(float(Wg.min()), float(Wg.max()))
    ax.set_ylim(float(Bg.min()), float(Bg.max()))


def _path_style(i: int, n_paths: int) -> dict:
    """Colour, marker, line style and width of path ``i``. Colours differ for up to ten paths, markers
    for up to eight, line styles cycle through four; earlier paths are drawn wider, so that one
    hidden under a later one still shows at its edges."""
    width = 1.2 + 1.2 * (n_paths - 1 - i) / max(n_paths, 1)
    return dict(color=f"C{i % 10}", marker=_PATH_MARKERS[i % len(_PATH_MARKERS)],
                linestyle=_PATH_STYLES[i % len(_PATH_STYLES)], linewidth=width)


def _draw_paths(ax, paths: Sequence[ParamPath], upto: int | None, start_label: str, end_label: str) -> None:
    """Each path up to record ``upto`` (all when None): its line with markers spread along it (at
    staggered records, so that markers of overlapping paths do not cover each other), a start
    square and an end marker in the path's own shape."""
    n = len(paths)
    for i, p in enumerate(paths):
        style = _path_style(i, n)
        w = np.asarray(p.w, dtype=np.float64)[: None if upto is None else upto + 1]
        b = np.asarray(p.b, dtype=np.float64)[: None if upto is None else upto + 1]
        every = max(1, len(w) // 12)
        ax.plot(w, b, markersize=4, markevery=(min(i * max(1, every // n), len(w) - 1), every), label=p.label,
                zorder=4 + 0.1 * (n - i), **style)
        ax.plot(w[-1], b[-1], marker=style["marker"], color=style["color"], markersize=10, markeredgecolor="black",
                linestyle="none", zorder=6)
    starts = {(float(p.w[0]), float(p.b[0])) for p in paths}
    for k, (w0, b0) in enumerate(sorted(starts)):
        ax.plot(w0, b0, marker="s", color="white", markeredgecolor="black", markeredgewidth=1.5, markersize=9,
                linestyle="none", label=start_label if k == 0 else None, zorder=6)
    # one legend entry for every end marker: the paths' own shapes, shown big with a black edge
    ax.plot([], [], marker="o", color="gray", markeredgecolor="black", markersize=9, linestyle="none", label=end_label)


def plot_landscape(loss_fn, paths: Sequence[ParamPath], minimum: tuple[float, float], path, *, xlabel: str,
                   ylabel: str, title: str, min_label: str, start_label: str, end_label: str = "end",
                   colorbar_label: str = "loss − loss*") -> Path:
    """Contours of the MSE over (W, B) with each run's path from its start and the minimum.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(W, B)`` takes arrays of one shape and returns the loss at each point; a quadratic
        (the MSE of a line), whose curvature sets the window (see ``_landscape_window``).
    paths : sequence of ParamPath
        Drawn in distinct colours, markers and line styles, each with a start square and a big end
        marker, and named in the legend.
    minimum : (float, float)
        ``(W*, B*)``, marked with a star labelled ``min_label``.
    path : str or PathLike
        The PNG to write (atomically).
    xlabel, ylabel, title, min_label, start_label : str
    end_label : str, default "end"
        Legend text of the end markers (``"끝점"`` in Korean).
    colorbar_label : str, default "loss − loss*"
        The colour bar shows the loss above its minimum on log-spaced levels; say so
        (``"손실 − 최솟값 (로그 눈금)"`` in Korean).
    """
    import matplotlib

    with matplotlib.rc_context(rc_params()):
        fig, ax = _new_figure(size=(7.4, 6.4))
        Wg, Bg, gap, rise = _landscape_grid(loss_fn, paths, minimum)
        _draw_contour(fig, ax, Wg, Bg, gap, rise, minimum, min_label, colorbar_label)
        _draw_paths(ax, paths, None, start_label, end_label)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        fig.legend(loc="outside lower center", ncols=min(3, len(paths) + 3), fontsize=8)
        return _save(fig, path)


def animate_paths(x, y, loss_fn, paths: Sequence[ParamPath], minimum: tuple[float, float], gif_path, html_path, *,
                  xlabel: str, ylabel: str, wlabel: str, blabel: str, title: str, min_label: str,
                  data_label: str, epoch_label: str, max_frames: int = 40, start_label: str = "start",
                  end_label: str = "now", colorbar_label: str = "loss − loss*") -> tuple[Path, Path]:
    """The fitted lines moving over the data (left) while their points move on the contours (right).

    One frame per recorded epoch (at most ``max_frames``, evenly chosen), saved as a looping GIF and
    as a self-contained HTML page with a slider and a play button. The contour panel is drawn as
    in ``plot_landscape``; there the end marker is each run's point at the frame's epoch, so
    ``end_label`` defaults to ``"now"`` (``"현재"`` in Korean).
    """
    import base64
    import io

    import matplotlib
    from PIL import Image

    n_records = min(len(p.w) for p in paths)
    frames_at = np.unique(np.linspace(0, n_records - 1, min(max_frames, n_records)).round().astype(int))
    pngs: list[bytes] = []
    with matplotlib.rc_context(rc_params()):
        from matplotlib.figure import Figure

        Wg, Bg, gap, rise = _landscape_grid(loss_fn, paths, minimum, points=120)
        xs = np.linspace(float(np.min(x)), float(np.max(x)), 50)
        for k in frames_at:
            fig = Figure(figsize=(11.5, 5.0), layout="constrained")
            left, right = fig.subplots(1, 2)
            left.scatter(x, y, s=40, color="#333333", label=data_label, zorder=3)
            _draw_contour(fig, right, Wg, Bg, gap, rise, minimum, min_label, colorbar_label)
            for i, p in enumerate(paths):
                style = _path_style(i, len(paths))
                left.plot(xs, p.slopes[k] * xs + p.intercepts[k], color=style["color"],
                          linestyle=style["linestyle"], label=p.label)
            _draw_paths(right, paths, int(k), start_label, end_label)
            low, high = float(np.min(y)), float(np.max(y))
            pad = 0.5 * (high - low) if high > low else 1.0
            left.set_ylim(low - pad, high + pad)
            left.set(xlabel=xlabel, ylabel=ylabel, title=f"{title} ({epoch_label} {paths[0].epochs[k]})")
            right.set(xlabel=wlabel, ylabel=blabel, title=f"{epoch_label} {paths[0].epochs[k]}")
            left.legend(loc="upper left", fontsize=8)
            fig.legend(*right.get_legend_handles_labels(), loc="outside lower center", ncols=min(4, len(paths) + 3),
                       fontsize=8)
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=80)
            pngs.append(buffer.getvalue())
    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    with atomic_path(gif_path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=150, loop=0)
    sources = ",\n".join(f'"data:image/png;base64,{base64.b64encode(png).decode()}"' for png in pngs)
    epochs = ",".join(str(int(paths[0].epochs[k])) for k in frames_at)
    page = _PLAYER.format(title=_escape(title), frames=sources, epochs=epochs, count=len(pngs) - 1,
                          epoch_label=_escape(epoch_label))
    with atomic_path(html_path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return Path(gif_path), Path(html_path)


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)


_PLAYER = """<!DOCTYPE html>
<html lang="ko"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:"NanumGothic","Apple SD Gothic Neo","Malgun Gothic",sans-serif;margin:1.5em}}
img{{max-width:100%;border:1px solid #ccc}} .bar{{display:flex;gap:1em;align-items:center;margin:.6em 0}}
input[type=range]{{width:28em}}</style></head>
<body><h1>{title}</h1>
<div class="bar"><button id="play" type="button">▶</button>
<input id="slider" type="range" min="0" max="{count}" value="0">
<span id="label"></span></div>
<img id="frame" alt="{title}">
<script>
const frames = [{frames}];
const epochs = [{epochs}];
const img = document.getElementById("frame"), slider = document.getElementById("slider");
const label = document.getElementById("label"), play = document.getElementById("play");
let timer = null;
function show(i) {{ img.src = frames[i]; slider.value = i; label.textContent = "{epoch_label} " + epochs[i]; }}
slider.addEventListener("input", () => show(Number(slider.value)));
play.addEventListener("click", () => {{
  if (timer) {{ clearInterval(timer); timer = null; play.textContent = "▶"; return; }}
  play.textContent = "⏸";
  timer = setInterval(() => {{ const i = (Number(slider.value) + 1) % frames.length; show(i); }}, 150);
}});
show(0);
</script></body></html>
"""
