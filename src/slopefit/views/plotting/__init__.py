"""Every figure slopefit draws: the only package that imports matplotlib and seaborn, lazily.

Figures are built on ``matplotlib.figure.Figure`` objects (no pyplot state), styled inside an
``rc_context`` (DejaVu Sans, falling back glyph by glyph to the bundled NanumGothic, so that
Korean renders as Hangul and math minus signs as minus signs), and saved atomically as PNG:

* :mod:`~slopefit.views.plotting.style`: the font, matplotlib's settings, a new figure, the save;
* :mod:`~slopefit.views.plotting.charts`: loss curves, fitted lines, predicted against actual, sweeps;
* :mod:`~slopefit.views.plotting.landscape`: the loss landscape and its animation;
* :mod:`~slopefit.views.plotting.diagnostics`: residuals, Q-Q and leverage.
"""

from slopefit.views.plotting.charts import (
           Curve,
           Line,
           plot_history,
           plot_lines,
           plot_predicted,
           plot_scatter,
           plot_sweep,
)
from slopefit.views.plotting.landscape import ParamPath, animate_paths, plot_landscape
from slopefit.views.plotting.style import DPI, FONT_FAMILY, FONT_FILE, rc_params

__all__ = ["DPI", "FONT_FAMILY", "FONT_FILE", "Curve", "Line", "ParamPath", "animate_paths", "plot_history",
           "plot_landscape", "plot_lines", "plot_predicted", "plot_scatter", "plot_sweep", "rc_params"]
