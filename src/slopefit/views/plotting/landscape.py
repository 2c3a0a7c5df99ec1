"""The loss landscape: MSE contours over (W, B) with the runs' paths, still and animated.

The window is the box of the ellipse ``loss = loss* + R`` around the minimum, ``R`` the
smallest rise that holds every path, so the bowl is visible whatever the units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slopefit.atomic import atomic_path
from slopefit.views.plotting.style import new_figure, rc_params, readable_log_ticks, save_figure


@dataclass(frozen=True)
class ParamPath:
    """One run's way through parameter space: W and B at each recorded epoch (scaled units),
    and the same line in the data's units for drawing it over the data.

    Attributes
    ----------
    label : str
        Legend text (the run's settings).
    epochs : sequence of int
        The recorded epochs.
    w, b : sequence of float
        W and B at each recorded epoch, scaled units (the contour panel's axes).
    slopes, intercepts : sequence of float
        The same lines in the data's own units (drawn over the data in :func:`animate_paths`).
    """

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
    # a reach at rounding's size is none (a centered fit's B* is 0 up to ~1e-14): a step that small
    # would measure the curvature in rounding noise and draw a window of width 1e-14
    tiny = 1e-9 * max(abs(minimum[0]), abs(minimum[1]), reach_w, reach_b, 1.0)
    reach_w, reach_b = (reach if reach > tiny else 0.0 for reach in (reach_w, reach_b))
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


def landscape_grid(loss_fn, paths: Sequence[ParamPath], minimum: tuple[float, float], points: int = 160):
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
    readable_log_ticks(bar.ax.yaxis)
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
        Shown as given; keyword-only (as are all below).
    end_label : str, default "end"
        Legend text of the end markers (``"끝점"`` in Korean).
    colorbar_label : str, default "loss − loss*"
        The colour bar shows the loss above its minimum on log-spaced levels; say so
        (``"손실 − 최솟값 (로그 눈금)"`` in Korean).

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

    with matplotlib.rc_context(rc_params()):
        fig, ax = new_figure(size=(7.4, 6.4))
        Wg, Bg, gap, rise = landscape_grid(loss_fn, paths, minimum)
        _draw_contour(fig, ax, Wg, Bg, gap, rise, minimum, min_label, colorbar_label)
        _draw_paths(ax, paths, None, start_label, end_label)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        fig.legend(loc="outside lower center", ncols=min(3, len(paths) + 3), fontsize=8)
        return save_figure(fig, path)


def animate_paths(x, y, loss_fn, paths: Sequence[ParamPath], minimum: tuple[float, float], gif_path, html_path, *,
                  xlabel: str, ylabel: str, wlabel: str, blabel: str, title: str, min_label: str,
                  data_label: str, epoch_label: str, max_frames: int = 40, start_label: str = "start",
                  end_label: str = "now", colorbar_label: str = "loss − loss*") -> tuple[Path, Path]:
    """The fitted lines moving over the data (left) while their points move on the contours (right).

    One frame per recorded epoch (at most ``max_frames``, evenly chosen), saved as a looping GIF and
    as a self-contained HTML page with a slider and a play button. The contour panel is drawn as
    in ``plot_landscape``; there the end marker is each run's point at the frame's epoch, so
    ``end_label`` defaults to ``"now"`` (``"현재"`` in Korean).

    Parameters
    ----------
    x, y : array-like, shape (n_samples,)
        The data (one feature), original units.
    loss_fn : callable
        ``loss_fn(W, B)`` over arrays, as in :func:`plot_landscape`.
    paths : sequence of ParamPath
        The runs, with the same recorded epochs.
    minimum : (float, float)
        ``(W*, B*)`` in scaled units.
    gif_path, html_path : str or os.PathLike
        The GIF and the HTML page to write (atomically).
    xlabel, ylabel : str
        The data panel's axis labels; keyword-only (as are all below).
    wlabel, blabel : str
        The contour panel's axis labels.
    title, min_label, data_label, epoch_label : str
        The title, the minimum's, the data's and the slider's labels.
    max_frames : int, default 40
        The most frames, >= 1.
    start_label : str, default "start"
        Legend text of the start markers.
    end_label : str, default "now"
        Legend text of the current-point markers.
    colorbar_label : str, default "loss − loss*"
        The colour bar's label.

    Returns
    -------
    (Path, Path)
        ``gif_path`` and ``html_path``.

    Raises
    ------
    OutputError
        When a file cannot be written.
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

        Wg, Bg, gap, rise = landscape_grid(loss_fn, paths, minimum, points=120)
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
