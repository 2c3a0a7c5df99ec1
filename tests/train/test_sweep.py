"""Sweeps: the k-th vectorised run is the single run with the k-th settings."""

from __future__ import annotations

import numpy as np
import pytest

from slopefit.data.datasets import make_synthetic
from slopefit.data.sources import builtin
from slopefit.errors import ConfigError, DivergenceError
from slopefit.train.config import TrainConfig
from slopefit.train.sweep import grid, sweep
from slopefit.train.training import fit

BASES = {
    "sgd": TrainConfig(epochs=80, dtype="float64"),
    "sgd-nesterov-decay": TrainConfig(epochs=80, dtype="float64", options={"nesterov": True, "weight_decay": 0.01}),
    "adam": TrainConfig(optimizer="adam", epochs=80, dtype="float64"),
    "adamw": TrainConfig(optimizer="adamw", epochs=80, dtype="float64", options={"weight_decay": 0.1}),
    "adamw-default-decay": TrainConfig(optimizer="adamw", epochs=80, dtype="float64"),
    "rmsprop (one by one)": TrainConfig(optimizer="rmsprop", epochs=40, dtype="float64"),
}


@pytest.mark.parametrize("name", BASES)
def test_each_run_equals_the_single_run_with_its_settings(name):
    data = make_synthetic(400, 3, seed=13, offset=10.0)
    base = BASES[name]
    momenta = [0.0, 0.9] if name != "sgd-nesterov-decay" else [0.5, 0.9]
    if base.optimizer == "rmsprop":
        momenta = [0.0]
    configs = grid(base, [0.003, 0.03, 0.3, 5.0], momenta)
    result = sweep(data, configs)
    assert result.vectorised == (base.optimizer != "rmsprop")
    for k, config in enumerate(configs):
        try:
            single = fit(data, config)
        except DivergenceError as exc:
            assert result.diverged_at[k] == exc.epoch, config.describe()
            continue
        assert not result.diverged[k], config.describe()
        # Adam at lr 0.3, beta1 0 passes an unstable phase (~2x growth an epoch): one rounding per state entry per step
        # moves a loss by up to u*4e8 = 4e-8 (first-order bound); two operation orders differ by several roundings
        np.testing.assert_allclose(result.losses[k], single.history.losses, rtol=1e-6, err_msg=config.describe())
        np.testing.assert_allclose(result.coef[k], single.coef, rtol=1e-9)
        assert result.final_loss[k] == pytest.approx(single.final_loss, rel=1e-9)


def test_float32_sweeps_match_float32_runs():
    data = builtin("height-weight")
    configs = grid(TrainConfig(epochs=200, scaling="center"), [0.001, 0.01, 0.05], [0.0, 0.9])
    result = sweep(data, configs)
    for k, config in enumerate(configs):
        np.testing.assert_allclose(result.losses[k], fit(data, config).history.losses, rtol=1e-5)


def test_a_diverging_run_does_not_spoil_the_others():
    data = builtin("height-weight")
    lrs = [0.01, 10.0, 0.05]
    result = sweep(data, grid(TrainConfig(epochs=150, scaling="center"), lrs, [0.0]))
    assert result.diverged.tolist() == [False, True, False]
    assert np.isnan(result.losses[1, result.diverged_at[1]:]).all()
    for k in (0, 2):
        np.testing.assert_allclose(result.losses[k], fit(data, result.configs[k]).history.losses, rtol=1e-6)
    assert result.epochs_to_gap[2] < result.epochs_to_gap[0]  # the larger stable lr converges sooner
    assert result.best() == 2
    slow = sweep(data, grid(TrainConfig(epochs=5, scaling="center"), [0.001, 0.01, 10.0], [0.0]))
    assert (slow.epochs_to_gap[:2] == -1).all() and slow.best() == 1  # none reached the gap: the closest
    assert sweep(data, grid(TrainConfig(epochs=50, scaling="center"), [10.0], [0.0])).best() is None


def test_the_stability_boundary_is_where_theory_puts_it():
    data = builtin("height-weight")
    result = sweep(data, grid(TrainConfig(epochs=400, scaling="center"), [0.95 * 0.0862, 1.05 * 0.0862], [0.0]))
    assert result.lr_bound == pytest.approx(0.0862, abs=5e-5)
    assert result.diverged.tolist() == [False, True]
    momentum = sweep(data, grid(TrainConfig(epochs=600, scaling="center"),
                                [0.95 * 2 * 1.9 / result.lambda_max, 1.05 * 2 * 1.9 / result.lambda_max], [0.9]))
    assert momentum.diverged.tolist() == [False, True]


def test_sweeps_refuse_mixed_settings_and_minibatches():
    with pytest.raises(ConfigError, match="every run of a sweep shares epochs"):
        sweep(builtin("height-weight"), [TrainConfig(epochs=10), TrainConfig(epochs=20)])
    with pytest.raises(ConfigError, match="a sweep trains full batch"):
        sweep(builtin("height-weight"), [TrainConfig(engine="data", batch_size=2)])


def test_the_sweep_command_prints_a_table_and_saves_a_heatmap(run_cli, tmp_path):
    res = run_cli("sweep", "height-weight", "--scale", "center", "--lr", "0.01,0.05,0.1", "--momentum", "0,0.9",
                  "--epochs", "300", "--plot", tmp_path)
    assert res.code == 0, res.err
    assert "stable lr for full-batch sgd: < 0.08621" in res.out
    assert res.out.count("diverged at epoch") == 1  # lr 0.1 without momentum
    assert (tmp_path / "sweep.png").stat().st_size > 10_000


@pytest.mark.parametrize("args, message", [
    (["--lr", "abc"], "--lr 'abc' must be START:STOP:COUNT"),
    (["--lr", "0:1:5"], "needs positive ends"),
    (["--lr=-1,0.1"], "--lr values must be > 0"),
    (["--momentum", "x"], "--momentum 'x' must be START:STOP:COUNT"),
])
def test_bad_sweep_ranges_are_one_line(run_cli, tmp_path, args, message):
    res = run_cli("sweep", "height-weight", *args, "--plot", tmp_path)
    assert res.code == 2
    assert message in res.err and len(res.err.strip().splitlines()) == 1


def test_adamw_runs_without_their_own_decay_get_torchs_default():
    data = make_synthetic(200, 2, seed=25, offset=3.0)
    configs = [TrainConfig(optimizer="adamw", lr=0.1, epochs=60, dtype="float64"),
               TrainConfig(optimizer="adamw", lr=0.1, epochs=60, dtype="float64", options={"weight_decay": 0.3})]
    result = sweep(data, configs)
    for k, config in enumerate(configs):
        np.testing.assert_allclose(result.losses[k], fit(data, config).history.losses, rtol=1e-9)
