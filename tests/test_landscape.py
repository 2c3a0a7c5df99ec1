"""Paths over the loss landscape: every recorded point is where its recorded loss says it is."""

from __future__ import annotations

import numpy as np
import pytest

from slopefit.config import TrainConfig
from slopefit.datasets import builtin
from slopefit.engines import StatsEngine
from slopefit.training import fit


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
