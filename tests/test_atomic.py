"""Atomic writes: the file appears whole or not at all, with the mode a plain open() would give."""

from __future__ import annotations

import os
import stat

import pytest

from slopefit.atomic import atomic_path, current_umask
from slopefit.errors import OutputError


@pytest.fixture
def umask():
    """Set the process umask for one test and put the old one back."""
    old = os.umask(0o022)
    os.umask(old)

    def set_to(mask: int) -> None:
        os.umask(mask)

    yield set_to
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_new_file_gets_the_mode_of_a_plain_open(tmp_path, umask, mask, expected):
    umask(mask)
    assert current_umask() == mask
    with atomic_path(tmp_path / "model.json") as tmp:
        tmp.write_text("{}")
    # the independent answer: what open(..., "w") does under the same umask
    with open(tmp_path / "plain.json", "w") as plain:
        plain.write("{}")
    assert _mode(tmp_path / "model.json") == expected == _mode(tmp_path / "plain.json")


def test_overwriting_keeps_the_existing_mode(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "figure.png"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert _mode(target) == 0o640


def test_a_failure_leaves_nothing_half_written(tmp_path, umask):
    umask(0o002)
    target = tmp_path / "model.json"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]
    with pytest.raises(RuntimeError, match="boom"), atomic_path(tmp_path / "new.json") as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(OutputError, match="it is a directory; give a file name"), atomic_path(tmp_path):
        pass


def test_the_umask_without_proc(umask, monkeypatch):
    umask(0o027)

    def no_proc(*args, **kwargs):
        raise FileNotFoundError("/proc/self/status")

    monkeypatch.setattr("slopefit.atomic.open", no_proc, raising=False)
    assert current_umask() == 0o027
    assert os.umask(0o027) == 0o027  # read and put back, not left changed
