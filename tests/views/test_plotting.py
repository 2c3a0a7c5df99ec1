"""Figures: what is drawn is the data given, and a log axis always says what its values are."""

from __future__ import annotations

import numpy as np
import pytest

from slopefit.views.plotting.charts import Curve, plot_history


def _labelled_ticks(axis) -> list[tuple[float, str]]:
    """(position, label) of every visible major tick with a label, inside the axis's limits."""
    low, high = sorted(axis.get_view_interval())
    return [(tick.get_loc(), tick.label1.get_text()) for tick in axis.get_major_ticks()
            if tick.label1.get_visible() and tick.label1.get_text().strip() and low <= tick.get_loc() <= high]


@pytest.mark.parametrize(("start", "end"), [(13.35, 13.30), (5.0, 40.0), (40.0, 5.0), (1e-12, 10.0), (10.0, 1e-12),
                                            (2.0, 2.0 * (1 + 1e-9)), (0.9, 1.3)])
def test_a_log_axis_has_readable_labels_whatever_the_span(tmp_path, drawn, start, end):
    epochs = np.arange(50)
    losses = np.geomspace(start, end, 50)
    plot_history([Curve("run", epochs, losses)], tmp_path / "loss.png", xlabel="에포크", ylabel="손실 (로그 눈금)",
                 title="학습 곡선", log_y=True)
    ax = drawn().axes[0]
    ticks = _labelled_ticks(ax.yaxis)
    assert len(ticks) >= 2, ticks
    low, high = sorted(ax.get_ylim())
    step = min(np.diff(sorted(loc for loc, _ in ticks)))
    for loc, label in ticks:
        value = float(label.replace("\N{MINUS SIGN}", "-"))  # what the reader sees is a number...
        assert low <= value <= high  # ... inside the drawn range
        assert value == pytest.approx(loc, abs=1e-3 * step)  # ... and the one the tick stands at
    assert len({label for _, label in ticks}) == len(ticks)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_gap_is_drawn_as_loss_minus_the_optimum(tmp_path, drawn, dtype):
    optimum = 13.296
    epochs = np.arange(6)
    losses = [np.array([20.0, 15.0, 13.5, 13.3, 13.2961, 13.29601]),
              np.array([30.0, 14.0, 13.4, 13.31, 13.297, 13.2965])]
    plot_history([Curve("sgd", epochs, losses[0]), Curve("momentum", epochs, losses[1], "--")], tmp_path / "gap.png",
                 xlabel="epoch", ylabel="loss − loss* (log)", title="gap", optimum=optimum, loss_dtype=dtype)
    ax = drawn().axes[0]
    assert ax.get_yscale() == "log"
    lines = [line for line in ax.get_lines() if line.get_label() in {"sgd", "momentum"}]
    assert len(lines) == 2
    for line, loss in zip(lines, losses, strict=True):
        np.testing.assert_array_equal(line.get_xdata(), epochs)
        np.testing.assert_allclose(line.get_ydata(), [v - optimum for v in loss.tolist()], rtol=1e-12)
    assert len(_labelled_ticks(ax.yaxis)) >= 2


def test_gaps_below_float_resolution_sit_on_a_marked_floor(tmp_path, drawn):
    optimum = 13.296
    eps = float(np.finfo(np.float32).eps)
    losses = np.array([20.0, 14.0, 13.4, optimum, optimum * (1 - 3 * eps)])  # the last two: zero and rounding
    plot_history([Curve("adam", np.arange(5), losses)], tmp_path / "gap.png", xlabel="에포크",
                 ylabel="손실 − 최솟값 (로그)", title="최솟값까지의 차이", optimum=optimum, loss_dtype="float32",
                 floor_label="부동소수점 해상도 이하")
    fig = drawn()
    ax = fig.axes[0]
    (line,) = [line for line in ax.get_lines() if line.get_label() == "adam"]
    floor = eps * optimum
    np.testing.assert_allclose(line.get_ydata(), [20.0 - optimum, 14.0 - optimum, 13.4 - optimum, floor, floor],
                               rtol=1e-12)
    labels = [text.get_text() for text in fig.legends[0].get_texts()]  # under the axes, clear of the curves
    assert any(label.startswith("부동소수점 해상도 이하") for label in labels), labels


def test_a_gap_to_a_zero_optimum_floors_under_the_smallest_gap(tmp_path, drawn):
    plot_history([Curve("sgd", np.arange(4), [4.0, 1e-3, 1e-9, 0.0])], tmp_path / "gap.png", xlabel="epoch",
                 ylabel="loss − loss*", title="exact fit", optimum=0.0)
    (line, *_) = drawn().axes[0].get_lines()
    np.testing.assert_allclose(line.get_ydata(), [4.0, 1e-3, 1e-9, 1e-10], rtol=1e-12)


def test_a_weight_decayed_fit_draws_its_own_optimum_by_its_name(tmp_path):
    """The dashed line of a run with weight decay is the decayed optimum, not least squares: so named."""
    from slopefit.data.sources import builtin
    from slopefit.train.config import TrainConfig
    from slopefit.train.training import fit
    from slopefit.views.figures import draw_figure

    data = builtin("height-weight")
    result = fit(data, TrainConfig(options={"weight_decay": 0.1}))
    figure = draw_figure("fit", result, data, lang="en")
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "exact penalised optimum" in labels and "exact least squares" not in labels
