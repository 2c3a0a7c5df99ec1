"""Every example in a docstring runs and prints what it shows: the examples are the reference's
first lines a reader copies, so a stale import or a wrong number there misleads as a wrong message
would. The numbers they show are checked by hand or by the tests they mirror, not taken from here."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "slopefit"
MODULES = sorted(".".join(("slopefit", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
                 for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    module = importlib.import_module(name)
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert failed == 0, f"{failed} docstring example(s) of {name} print something else (run python -m doctest)"
