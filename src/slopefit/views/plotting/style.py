"""How every figure looks: the bundled Korean font, matplotlib's settings, a new figure, and an
atomic save. The figure modules beside this one build on it; nothing else imports matplotlib.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np

from slopefit.atomic import atomic_path

FONT_FILE = Path(__file__).parents[2] / "fonts" / "NanumGothic.ttf"


FONT_FAMILY = "NanumGothic"  # the bundled font: Hangul (DejaVu Sans, first in line, has no Hangul)


DPI = 120


@functools.cache
def inline_figure() -> type:
    """A ``matplotlib.figure.Figure`` that a notebook shows inline as PNG, without pyplot (``_repr_png_``)."""
    import io

    from matplotlib.figure import Figure

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png")
        return buffer.getvalue()

    return type("Figure", (Figure,), {"_repr_png_": _repr_png_, "__module__": Figure.__module__})


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


def new_figure(size=(6.4, 4.4)):
    fig = inline_figure()(figsize=size, layout="constrained")
    return fig, fig.subplots()


def figure_for(ax=None):
    """``(fig, ax, given)``: a new figure and its axes, or ``ax`` (a user's matplotlib Axes) and its figure."""
    if ax is not None:
        return ax.figure, ax, True
    fig, ax = new_figure()
    return fig, ax, False


def outside_legend(fig, ax, **options) -> None:
    """The legend under the axes on a figure of :func:`new_figure` (constrained layout), else in the axes."""
    if fig.get_layout_engine() is not None and len(fig.axes) == 1:
        fig.legend(loc="outside lower center", ncols=2, **options)
    else:
        ax.legend(**options)


def save_figure(fig, path: str | os.PathLike[str]) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return Path(path)


def readable_log_ticks(axis) -> None:
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
