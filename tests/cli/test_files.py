"""What slopefit does with the user's files when things go wrong: outputs that would overwrite an
input, full disks, a second writer, FIFOs and devices, checkpoints of another run. Every case ends
with the input byte-identical (its SHA-256 compared) and no temporary file left behind."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from slopefit.atomic import TEMP_SUFFIX, output_lock
from tests.conftest import HEIGHT_WEIGHT_CSV

# the least-squares line of HEIGHT_WEIGHT_CSV, by numpy's lstsq: the independent answer of the fits below
_X = np.array([[166.0, 1], [176, 1], [171, 1], [173, 1], [169, 1]])
_Y = np.array([58.7, 75.7, 62.1, 70.4, 60.1])
SLOPE, INTERCEPT = np.linalg.lstsq(_X, _Y, rcond=None)[0]


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def data(tmp_path, write_csv):
    path = write_csv(HEIGHT_WEIGHT_CSV)
    return path, sha(path)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(TEMP_SUFFIX))


@pytest.mark.parametrize("flag", ["--save", "--json", "--report", "--checkpoint"])
@pytest.mark.parametrize("alias", ["same", "symlink", "hardlink"])
def test_an_output_that_is_the_input_is_refused_before_any_work(run_cli, data, tmp_path, flag, alias):
    path, before = data
    target = {"same": path, "symlink": tmp_path / "link.csv", "hardlink": tmp_path / "hard.csv"}[alias]
    if alias == "symlink":
        target.symlink_to(path)
    elif alias == "hardlink":
        os.link(path, target)
    run = run_cli("fit", path, flag, target)
    assert run.code == 1 and run.out == ""  # refused before the data were read: nothing printed
    assert f"{flag} '{target}' is the input DATA ('{path}'); refusing to overwrite what is read" in run.err
    assert len(run.err.strip().splitlines()) == 1 and sha(path) == before


def test_two_outputs_that_are_one_file_are_refused(run_cli, data, tmp_path):
    path, before = data
    run = run_cli("fit", path, "--save", tmp_path / "m.json", "--json", tmp_path / "m.json")
    assert run.code == 1 and "--save" in run.err and "--json" in run.err and "are one file" in run.err
    assert not (tmp_path / "m.json").exists() and sha(path) == before


def test_a_plot_directory_holding_the_input_figure_name_is_refused(run_cli, tmp_path):
    figure = tmp_path / "fit.png"
    figure.write_text(HEIGHT_WEIGHT_CSV)  # a CSV named like a figure --plot would write
    run = run_cli("fit", figure, "--plot", tmp_path)
    assert run.code == 1 and "--plot" in run.err and "is the input DATA" in run.err


def test_an_unwritable_output_directory_is_found_before_training(run_cli, data, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root may write anywhere")
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    run = run_cli("fit", data[0], "--save", locked / "m.json")
    assert run.code == 1 and run.out == "" and "permission denied" in run.err


def test_a_full_disk_while_saving_is_one_line_and_leaves_nothing(run_cli, data, tmp_path, monkeypatch):
    """ENOSPC injected at the flush of every file (os.fsync), as a small tmpfs would give it."""
    path, before = data

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("slopefit.atomic.os.fsync", full)
    run = run_cli("fit", path, "--save", tmp_path / "m.json", "--json", tmp_path / "r.json")
    assert run.code == 1
    line = run.err.strip().splitlines()[-1]
    assert f"cannot write '{tmp_path / 'm.json'}': No space left on device (ENOSPC)" in line
    assert "written: nothing; not written: --save" in line and "--json" in line
    assert "Traceback" not in run.err and not (tmp_path / "m.json").exists() and leftovers(tmp_path) == []
    assert sha(path) == before


def test_a_full_disk_at_the_second_file_says_which_was_written(run_cli, data, tmp_path, monkeypatch):
    path, before = data
    real, calls = os.fsync, []

    def second_full(fd):
        calls.append(fd)
        if len(calls) == 3:  # the model (its file, its directory), then the JSON results
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    monkeypatch.setattr("slopefit.atomic.os.fsync", second_full)
    run = run_cli("fit", path, "--save", tmp_path / "m.json", "--json", tmp_path / "r.json")
    assert run.code == 1
    assert f"written: --save {tmp_path / 'm.json'}; not written: --json {tmp_path / 'r.json'}" in run.err
    saved = json.loads((tmp_path / "m.json").read_text())  # whole, and right
    assert saved["coef"][0] == pytest.approx(SLOPE, rel=1e-8) and saved["intercept"] == pytest.approx(INTERCEPT,
                                                                                                      rel=1e-8)
    assert not (tmp_path / "r.json").exists() and leftovers(tmp_path) == [] and sha(path) == before


def test_ctrl_c_while_writing_says_what_was_written(run_cli, data, tmp_path, monkeypatch):
    path, before = data
    import slopefit.cli.train as train

    real = train._write_json

    def interrupted(payload, where):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "_write_json", interrupted)
    run = run_cli("fit", path, "--save", tmp_path / "m.json", "--json", tmp_path / "r.json")
    monkeypatch.setattr(train, "_write_json", real)
    assert run.code == 130
    assert (f"interrupted while writing the results; written: --save {tmp_path / 'm.json'}; "
            f"not written: --json {tmp_path / 'r.json'}") in run.err
    assert "nothing was saved" not in run.err and (tmp_path / "m.json").exists() and sha(path) == before


def test_a_second_writer_to_one_path_is_refused(run_cli, data, tmp_path):
    path, before = data
    with output_lock(tmp_path / "m.json"):  # another slopefit writing m.json (this process, another lock)
        run = run_cli("fit", path, "--save", tmp_path / "m.json")
    assert run.code == 1 and f"another slopefit (pid {os.getpid()}) is writing" in run.err
    assert not (tmp_path / "m.json").exists()
    run = run_cli("fit", path, "--save", tmp_path / "m.json")  # the lock let go: the next run writes
    assert run.code == 0 and json.loads((tmp_path / "m.json").read_text())["intercept"] == pytest.approx(
        INTERCEPT, rel=1e-8)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "m.json"] and sha(path) == before


def test_a_killed_runs_temporary_is_swept_by_the_next_write(run_cli, data, tmp_path):
    dead = tmp_path / f".m.json.{2 ** 22 + 7}-abcd{TEMP_SUFFIX}"  # a pid above Linux's default pid_max
    dead.write_text("half a model")
    run = run_cli("fit", data[0], "--save", tmp_path / "m.json")
    assert run.code == 0 and not dead.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_fifos_and_devices_are_refused_at_once(run_cli, tmp_path, kind):
    if kind == "fifo":
        target = tmp_path / "pipe.csv"
        os.mkfifo(target)  # reading it would block until a writer came
        words = "is a named pipe (FIFO), not a file"
    else:
        target = Path("/dev/zero")  # reading it would never end
        words = "is a device, not a file"
    for args in (("fit", target), ("fit", target, "--stream")):
        run = run_cli(*args)
        assert run.code == 1 and words in run.err and len(run.err.strip().splitlines()) == 1
    run = run_cli("predict", target, "1")
    assert run.code == 1 and "is not a regular file" in run.err


def test_a_checkpoint_of_another_run_is_not_overwritten(run_cli, data, tmp_path):
    path, _ = data
    ckpt = tmp_path / "run.ckpt"
    args = ("fit", path, "--lr", "0.001", "--epochs", "20", "--scale", "center", "--checkpoint", ckpt,
            "--checkpoint-every", "5")
    assert run_cli(*args).code == 0
    kept = sha(ckpt)
    run = run_cli(*args)  # a second fresh run at the same path: refused, the first run's file kept
    assert run.code == 1 and f"--checkpoint '{ckpt}' already holds the checkpoint of a run on data.csv" in run.err
    assert "--resume" in run.err and "--overwrite-checkpoint" in run.err and sha(ckpt) == kept
    assert run_cli(*args, "--overwrite-checkpoint").code == 0
    assert run_cli(*args, "--resume", ckpt).code == 0
