"""Checkpoints (slopefit.train.checkpoint): a run stopped by a signal and resumed ends bit-identical to a
run never stopped; a checkpoint of another run is refused, naming what differs."""

from __future__ import annotations

import signal

import numpy as np
import pytest

from slopefit.data.datasets import make_synthetic
from slopefit.errors import ConfigError, DataError
from slopefit.train.checkpoint import Checkpointer, Stopped, parse_every
from slopefit.train.config import TrainConfig
from slopefit.train.training import fit

DATA = make_synthetic(400, 3, noise=0.3, seed=5)


def stopped_then_resumed(tmp_path, config, *, at: int, signum=signal.SIGTERM, every: int | None = None):
    """The run stopped by ``signum`` once epoch ``at`` was recorded, and the run that resumes it."""
    path = tmp_path / "run.ckpt"
    first = Checkpointer(path, every_steps=every)

    def send(progress) -> None:
        if progress.epoch == at:
            first._on_signal(signum, None)

    with pytest.raises(Stopped) as stop:
        fit(DATA, config, checkpoint=first, callback=send)
    resumed = Checkpointer(path, resume=str(path))
    return stop.value, first, fit(DATA, config, checkpoint=resumed), resumed


@pytest.mark.parametrize("config", [
    TrainConfig(optimizer="sgd", lr=0.02, options={"momentum": 0.9}, batch_size=32, epochs=12, seed=7),
    TrainConfig(optimizer="adam", lr=0.01, batch_size=50, epochs=10, dtype="float64", seed=1),
    TrainConfig(),  # automatic: heavy ball on the statistics, stops once converged
    TrainConfig(optimizer="lbfgs", lr=1.0, epochs=6),
], ids=["sgd-momentum-minibatch-float32", "adam-minibatch", "automatic", "lbfgs"])
def test_a_stopped_run_resumed_ends_bit_identical(tmp_path, config):
    whole = fit(DATA, config)
    at = 3
    stop, first, resumed, again = stopped_then_resumed(tmp_path, config, at=at)
    assert stop.exit_code == 143 and stop.epoch == at + 1
    said = str(stop)
    assert "stopped by SIGTERM before epoch 4" in said and "(go on with resume='" in said and "--" not in said
    assert again.resumed_from is not None and len(first.saves) == 1
    assert np.array_equal(resumed.coef, whole.coef) and resumed.intercept == whole.intercept
    assert np.array_equal(resumed.coef_scaled, whole.coef_scaled)
    assert resumed.history == whole.history and resumed.epochs_run == whole.epochs_run
    assert resumed.final_loss == whole.final_loss and resumed.stop_reason == whole.stop_reason
    exact = np.linalg.lstsq(np.column_stack([DATA.X, np.ones(DATA.n_samples)]), DATA.y, rcond=None)[0]
    if config.automatic:  # the independent answer, where the run converges to it
        assert np.allclose(resumed.coef, exact[:-1], rtol=1e-8, atol=1e-9)


def test_sigint_stops_with_130(tmp_path):
    stop, *_ = stopped_then_resumed(tmp_path, TrainConfig(lr=0.05, epochs=20), at=5, signum=signal.SIGINT)
    assert stop.exit_code == 130 and "SIGINT" in str(stop)


def test_saves_every_n_steps(tmp_path):
    config = TrainConfig(lr=0.01, batch_size=100, epochs=9)  # 4 steps an epoch
    ck = Checkpointer(tmp_path / "c.ckpt", every_steps=10)
    fit(DATA, config, checkpoint=ck)
    assert [steps for steps, _, _ in ck.saves] == [10, 20, 30]  # inside the passes of epochs 3, 5 and 8
    # each save wrote the whole checkpoint (how long it took is a benchmark's business, not a test's):
    # the file left is the last save, of the size recorded, and it reads back at its step
    from slopefit.train.checkpoint import read_checkpoint

    assert all(size > 0 for _, _, size in ck.saves)
    assert ck.saves[-1][2] == (tmp_path / "c.ckpt").stat().st_size
    assert read_checkpoint(tmp_path / "c.ckpt")["steps"] == 30
    full = Checkpointer(tmp_path / "f.ckpt", every_steps=4)
    fit(DATA, TrainConfig(lr=0.05, epochs=10), checkpoint=full)  # full batch: one step an epoch
    assert [steps for steps, _, _ in full.saves] == [4, 8]


class SignalAt(Checkpointer):
    """A checkpointer that receives ``signum`` just before its ``at``-th minibatch step is judged."""

    def __init__(self, path, *, at: int, signum=signal.SIGTERM, **kwargs) -> None:
        super().__init__(path, **kwargs)
        self.at, self.signum = at, signum

    def at_step(self, run) -> None:
        if self._steps + 1 == self.at:
            self._on_signal(self.signum, None)
        super().at_step(run)


@pytest.mark.parametrize("config", [
    TrainConfig(optimizer="sgd", lr=0.02, options={"momentum": 0.9}, batch_size=32, epochs=12, seed=7),
    TrainConfig(optimizer="adam", lr=0.01, batch_size=50, epochs=10, dtype="float64", seed=1, tol=1e-9,
                record_params=True),
], ids=["sgd-momentum-float32", "adam-tol-params"])
def test_a_run_stopped_inside_an_epoch_resumes_bit_identical(tmp_path, config):
    whole = fit(DATA, config)
    steps = -(-DATA.n_samples // int(config.batch_size))  # 13 or 8 an epoch
    at = 3 * steps + 5  # step 5 of the fourth pass
    path = tmp_path / "mid.ckpt"
    first = SignalAt(path, at=at)
    with pytest.raises(Stopped) as stop:
        fit(DATA, config, checkpoint=first)
    assert stop.value.exit_code == 143 and (stop.value.epoch, stop.value.within) == (3, 5)
    assert "stopped by SIGTERM after step 5 of epoch 4" in str(stop.value)
    assert [s for s, _, _ in first.saves] == [at]
    again = SignalAt(path, at=at + 2 * steps, resume=str(path))  # stopped a second time, two passes on
    with pytest.raises(Stopped):
        fit(DATA, config, checkpoint=again)
    resumed = fit(DATA, config, checkpoint=Checkpointer(path, resume=str(path)))
    assert np.array_equal(resumed.coef, whole.coef) and resumed.intercept == whole.intercept
    assert resumed.history == whole.history and resumed.epochs_run == whole.epochs_run
    assert resumed.final_loss == whole.final_loss and resumed.stop_reason == whole.stop_reason
    if config.optimizer == "sgd":  # it reaches the optimum's noise ball: its loss within 1 % of lstsq's
        A = np.column_stack([DATA.X, np.ones(DATA.n_samples)])
        best = np.mean((DATA.y - A @ np.linalg.lstsq(A, DATA.y, rcond=None)[0]) ** 2)
        assert best <= resumed.final_loss < 1.01 * best


def test_every_save_inside_the_epochs_resumes_bit_identical(tmp_path):
    config = TrainConfig(lr=0.01, batch_size=64, epochs=6, seed=3)  # 7 steps an epoch: saves fall mid-pass
    whole = fit(DATA, config)
    path = tmp_path / "every.ckpt"
    ck = Checkpointer(path, every_steps=9)
    fit(DATA, config, checkpoint=ck)
    assert [s for s, _, _ in ck.saves] == [9, 18, 27, 36]
    resumed = fit(DATA, config, checkpoint=Checkpointer(path, resume=str(path)))  # from step 36: epoch 6's pass
    assert np.array_equal(resumed.coef, whole.coef) and resumed.history == whole.history


def test_resume_auto_starts_fresh_without_a_file_and_goes_on_with_one(tmp_path):
    path = tmp_path / "auto.ckpt"
    config = TrainConfig(lr=0.05, epochs=30)
    ck = Checkpointer(path, every_steps=7, resume="auto")
    plain = fit(DATA, config, checkpoint=ck)
    assert ck.resumed_from is None and path.exists()
    again = Checkpointer(path, resume="auto")
    assert fit(DATA, config, checkpoint=again).history == plain.history and again.resumed_from == path


def test_a_checkpoint_of_another_run_is_refused_naming_what_differs(tmp_path):
    path = tmp_path / "c.ckpt"
    config = TrainConfig(lr=0.05, epochs=10)
    fit(DATA, config, checkpoint=Checkpointer(path, every_steps=2))
    with pytest.raises(DataError, match=r"of another run \(lr 0.05 there, 0.01 here\); refusing to resume"):
        fit(DATA, TrainConfig(lr=0.01, epochs=10), checkpoint=Checkpointer(path, resume=str(path)))
    other = make_synthetic(401, 3, noise=0.3, seed=5)
    with pytest.raises(DataError, match=r"rows 400 there, 401 here; values [0-9a-f]+ there, [0-9a-f]+ here"):
        fit(other, config, checkpoint=Checkpointer(path, resume=str(path)))
    with pytest.raises(DataError, match="does not exist"):
        fit(DATA, config, checkpoint=Checkpointer(tmp_path / "none.ckpt", resume=str(tmp_path / "none.ckpt")))
    junk = tmp_path / "junk.ckpt"
    junk.write_text("not a checkpoint")
    with pytest.raises(DataError, match="not a readable slopefit checkpoint"):
        fit(DATA, config, checkpoint=Checkpointer(junk, resume=str(junk)))


def test_parse_every():
    assert parse_every("250") == (250, None)
    assert parse_every("1.5m") == (None, 90.0)
    for bad in ("0", "-3s", "soon", "2d"):
        with pytest.raises(ConfigError, match="checkpoint_every= '"):
            parse_every(bad)


def test_a_file_streamed_in_chunks_resumes_inside_an_epoch_bit_identical(tmp_path):
    from slopefit.data.tables import open_table
    from tests.dist.test_shards import lstsq, table, write_parquet

    X, y = table(1200, seed=4)
    path = write_parquet(tmp_path / "t.parquet", X, y, [500, 400, 300])
    config = TrainConfig(lr=0.03, batch_size=64, epochs=5, dtype="float64", seed=9)  # ~20 steps a pass

    def source():
        return open_table(path, chunk_rows=250)

    whole = fit(source(), config)
    ckpt = tmp_path / "s.ckpt"
    with pytest.raises(Stopped) as stop:
        fit(source(), config, checkpoint=SignalAt(ckpt, at=2 * 20 + 7))
    assert stop.value.epoch == 2 and 0 < stop.value.within < 20  # inside the third pass, past its first chunk
    resumed = fit(source(), config, checkpoint=Checkpointer(ckpt, resume=str(ckpt)))
    assert np.array_equal(resumed.coef, whole.coef) and resumed.intercept == whole.intercept
    assert resumed.history == whole.history
    best = lstsq(X, y)
    A = np.column_stack([X, np.ones(len(y))])
    assert np.mean((y - A @ best) ** 2) <= resumed.final_loss < 1.01 * np.mean((y - A @ best) ** 2)  # its noise ball


def _saved_run(tmp_path):
    """A minibatch run stopped by SIGTERM once its second epoch was recorded: its checkpoint file and config."""
    config = TrainConfig(optimizer="sgd", lr=0.02, batch_size=32, epochs=6, seed=7, dtype="float64")
    path = tmp_path / "run.ckpt"
    first = Checkpointer(path)

    def send(progress) -> None:
        if progress.epoch == 2:
            first._on_signal(signal.SIGTERM, None)

    with pytest.raises(Stopped):
        fit(DATA, config, checkpoint=first, callback=send)
    return path, config


@pytest.mark.parametrize("where", ["weights", "header", "middle", "last byte"])
def test_a_flipped_bit_is_refused_never_resumed(tmp_path, where):
    """A bit flipped inside the weights tensor (found by its own bytes in the file), in the checksum
    line, in the middle or at the end of the file: one line, and no run goes on from it."""
    from slopefit.train.checkpoint import read_checkpoint

    path, config = _saved_run(tmp_path)
    raw = bytearray(path.read_bytes())
    weights = read_checkpoint(path)["W"].numpy().tobytes()
    at = {"weights": raw.find(weights) + len(weights) // 2, "header": 40, "middle": len(raw) // 2,
          "last byte": len(raw) - 1}[where]
    assert raw.find(weights) > 0
    raw[at] ^= 0x10
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="is damaged: its SHA-256 checksum does not match its contents") as err:
        fit(DATA, config, checkpoint=Checkpointer(path, resume=str(path)))
    assert "\n" not in str(err.value)


def test_a_checkpoint_damaged_in_its_structure_is_one_line(tmp_path):
    """A payload edited and its checksum recomputed (what no accident does): still one line, no traceback."""
    import hashlib
    import io

    import torch

    from slopefit.train.checkpoint import MAGIC, read_checkpoint

    path, config = _saved_run(tmp_path)
    for damage in ("no loop", "W of another shape"):
        payload = read_checkpoint(path)
        if damage == "no loop":
            del payload["loop"]
        else:
            payload["W"] = torch.zeros(7, 2, dtype=torch.float64)
        body = io.BytesIO()
        torch.save(payload, body)
        bad = tmp_path / "bad.ckpt"
        bad.write_bytes(MAGIC + hashlib.sha256(body.getvalue()).hexdigest().encode() + b"\n" + body.getvalue())
        with pytest.raises(DataError, match=r"checkpoint .*bad.ckpt' is damaged \((KeyError|RuntimeError) in its"):
            fit(DATA, config, checkpoint=Checkpointer(bad, resume=str(bad)))


def test_claim_refuses_a_fresh_run_over_a_checkpoint(tmp_path):
    from slopefit.train.checkpoint import claim

    path, _ = _saved_run(tmp_path)
    with pytest.raises(DataError, match=r"already holds the checkpoint of a run on synthetic.* saved "
                                        r"(after step \d+ of epoch|before epoch) 3"):
        claim(path, resume=None, overwrite=False)
    claim(path, resume=str(path), overwrite=False)  # going on from it, or starting over on purpose: allowed
    claim(path, resume=None, overwrite=True)
    other = tmp_path / "notes.txt"
    other.write_text("my notes")
    with pytest.raises(DataError, match="already holds a file that is not an intact slopefit checkpoint"):
        claim(other, resume=None, overwrite=False)
