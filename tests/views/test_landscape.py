"""Paths over the loss landscape: every recorded point is where its recorded loss says it is."""

from __future__ import annotations

import numpy as np
import pytest

from slopefit.data.sources import builtin
from slopefit.solve.penalties import lr_bound as penalized_lr_bound
from slopefit.train.config import TrainConfig
from slopefit.train.engines import StatsEngine
from slopefit.train.training import fit


@pytest.mark.parametrize("options", [{}, {"momentum": 0.9}])
@pytest.mark.parametrize("engine", ["stats", "data"])
def test_recorded_parameters_carry_the_recorded_losses(options, engine):
    import torch

    data = builtin("hours-ability")
    result = fit(data, TrainConfig(lr=0.01, epochs=120, scaling="none", options=options, log_every=7,
                                   record_params=True, engine=engine, dtype="float64"))
    params = np.array(result.history.params)
    assert params.shape == (len(result.history.epochs), 2)
    assert params[0].tolist() == [0.0, 0.0]  # the common start
    quadratic = StatsEngine(result.stats, result.scaler, fit_intercept=True)
    for (w, b), loss in zip(params, result.history.losses, strict=True):
        at = quadratic.whole_loss(torch.tensor([w], dtype=torch.float64), torch.tensor([b], dtype=torch.float64))
        assert at == pytest.approx(loss, rel=1e-9)
    np.testing.assert_allclose(params[-1], [result.coef_scaled[0], result.intercept_scaled], rtol=1e-12)


@pytest.mark.slow
def test_landscape_and_animation_files(run_cli, tmp_path):
    from PIL import Image

    res = run_cli("compare", "hours-ability", "--scale", "none", "--epochs", "30", "--run", "sgd lr=0.01",
                  "--run", "adam lr=10", "--landscape", "--animate", "--plot", tmp_path)
    assert res.code == 0, res.err
    assert (tmp_path / "landscape.png").stat().st_size > 20_000
    gif = Image.open(tmp_path / "landscape.gif")
    assert gif.n_frames == 31  # epochs 0..30, one frame each (under the 40-frame cap)
    page = (tmp_path / "landscape.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 31


def test_the_landscape_needs_one_feature(run_cli, tmp_path):
    res = run_cli("compare", "synthetic:n=50,d=2", "--run", "sgd", "--landscape", "--plot", tmp_path)
    assert res.code == 2
    assert "need one feature and an intercept; synthetic has 2 features" in res.err
    assert len(res.err.strip().splitlines()) == 1


def _linnerud_views(scale: str):
    """loss_fn, paths and minimum for Weight -> Chins (sklearn's linnerud), built as ``compare --landscape`` does."""
    from sklearn.datasets import load_linnerud

    from slopefit.data.datasets import Dataset
    from slopefit.solve.preparation import gather_stats
    from slopefit.views.plotting.landscape import ParamPath

    raw = load_linnerud()
    data = Dataset(X=raw.target[:, [raw.target_names.index("Weight")]].astype(np.float64),
                   y=raw.data[:, raw.feature_names.index("Chins")].astype(np.float64),
                   feature_names=("Weight",), target_name="Chins", name="linnerud")
    stats = gather_stats(data)
    scaler = stats.scaler(scale)
    bound = penalized_lr_bound(stats, scaler, None)
    configs = [TrainConfig(lr=0.5 * bound, epochs=40, scaling=scale, record_params=True),
               TrainConfig(lr=0.05 * bound, epochs=40, scaling=scale, options={"momentum": 0.9}, record_params=True),
               TrainConfig(optimizer="adam", lr=0.5, epochs=40, scaling=scale, record_params=True)]
    results = [fit(data, config) for config in configs]
    q, theta_star, loss_star = stats.quadratic(scaler)

    def loss_fn(W, B):
        dw, db = W - theta_star[0], B - theta_star[1]
        return loss_star + q[0, 0] * dw * dw + 2 * q[0, 1] * dw * db + q[1, 1] * db * db

    paths = []
    for result in results:
        params = np.array(result.history.params)  # (n_records, 2): W, B in scaled units
        slopes = params[:, 0] / scaler.x_scale[0]
        intercepts = params[:, 1] + scaler.y_mean - scaler.x_mean[0] * slopes
        paths.append(ParamPath(result.config.describe(), result.history.epochs, params[:, 0].tolist(),
                               params[:, 1].tolist(), slopes.tolist(), intercepts.tolist()))
    return data, loss_fn, paths, (float(theta_star[0]), float(theta_star[1])), loss_star


def _closed_inside(contours, ax):
    """(level, vertices) of every contour level drawn as closed loops lying wholly inside the axes."""
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    found = []
    for level, path in zip(contours.levels, contours.get_paths(), strict=True):
        loops = path.to_polygons(closed_only=False)
        if not loops:
            continue
        inside = all(np.all((v[:, 0] > x0) & (v[:, 0] < x1) & (v[:, 1] > y0) & (v[:, 1] < y1)) for v in loops)
        closed = all(np.allclose(v[0], v[-1]) for v in loops)
        if inside and closed:
            found.append((level, np.concatenate(loops)))
    return found


@pytest.mark.parametrize("scale", ["none", "center", "standardize"])
def test_the_landscape_shows_the_bowl(tmp_path, drawn, scale):
    from matplotlib.contour import ContourSet

    from slopefit.views.plotting.landscape import plot_landscape

    _, loss_fn, paths, minimum, loss_star = _linnerud_views(scale)
    plot_landscape(loss_fn, paths, minimum, tmp_path / "landscape.png", xlabel="W", ylabel="B",
                   title="linnerud: 손실 지형과 경로", min_label="정확한 최소제곱 해", start_label="시작점",
                   end_label="끝점", colorbar_label="손실 − 최솟값 (로그 눈금)")
    fig = drawn()
    ax = fig.axes[0]
    (lines,) = [c for c in ax.collections if isinstance(c, ContourSet) and not c.filled]
    (filled,) = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled]
    assert filled.colorbar is not None and filled.colorbar.ax.get_ylabel() == "손실 − 최솟값 (로그 눈금)"

    closed = _closed_inside(lines, ax)
    assert len(closed) >= 3
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    level, vertices = closed[-1]  # the widest closed contour: an ellipse across most of the window each way
    assert np.ptp(vertices[:, 0]) > 0.5 * (x1 - x0) and np.ptp(vertices[:, 1]) > 0.5 * (y1 - y0)
    # the contour is where the loss stands that much above its minimum (the loss, not the plot, says so)
    np.testing.assert_allclose(loss_fn(vertices[:, 0], vertices[:, 1]) - loss_star, level, rtol=0.05)

    for p in paths:  # every path point is in view
        assert x0 <= min(p.w) and max(p.w) <= x1 and y0 <= min(p.b) and max(p.b) <= y1
    drawn_paths = [line for line in ax.get_lines() if line.get_label() in {p.label for p in paths}]
    assert len(drawn_paths) == len(paths)
    for prop in ("get_color", "get_marker", "get_linestyle"):
        assert len({getattr(line, prop)() for line in drawn_paths}) == len(paths), prop
    legend = [text.get_text() for text in fig.legends[0].get_texts()]
    assert {p.label for p in paths} | {"시작점", "끝점", "정확한 최소제곱 해"} <= set(legend)


def test_a_minimum_off_the_start_by_rounding_alone_keeps_a_readable_window():
    """Centered data put B* at 0 up to rounding (here ~1e-14 away from a start at B = 0): the window
    still spans the bowl along B as numpy's curvature says, not the rounding's 1e-14."""
    from slopefit.data.datasets import Dataset
    from slopefit.train.plan import plan_fit
    from slopefit.views.plotting.landscape import ParamPath, landscape_grid

    xy = np.array([[166, 58.7], [176, 77.74], [171, 62.1], [173, 70.4], [169, 60.1], [166.86, 75.3]])
    data = Dataset(X=xy[:, :1], y=xy[:, 1], feature_names=("height",), target_name="weight")
    plan = plan_fit(data, TrainConfig(scaling="center"))
    surface = plan.stats.loss_surface(plan.scaler)
    minimum = (float(surface.theta_star[0]), float(surface.theta_star[1]))
    Wg, Bg, gap, rise = landscape_grid(surface, [ParamPath("", [0], [0.0], [0.0], [], [])], minimum, points=16)
    # the MSE rises by d^T Q d, Q = (1/N) A^T A with A = [x_c, 1]: the ellipse gap = rise reaches
    # sqrt(rise (Q^-1)_ii) along each axis (Q by numpy here)
    xc = xy[:, 0] - xy[:, 0].mean()
    A = np.column_stack([xc, np.ones_like(xc)])
    q_inv = np.linalg.inv(A.T @ A / len(xc))
    half_b = (Bg.max() - Bg.min()) / 2
    assert half_b == pytest.approx(np.sqrt(rise * q_inv[1, 1]), rel=1e-6)  # a finite difference's accuracy
    assert half_b > 1.0
