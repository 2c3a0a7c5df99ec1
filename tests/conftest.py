"""Shared fixtures: CSV files to read and a runner for the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from slopefit.cli import main


@dataclass
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def no_missing_glyphs(caplog):
    """A glyph a font lacks is drawn as a box; matplotlib logs it (mathtext) or warns (text, made an
    error in pyproject.toml). Either fails the test."""
    yield
    missing = [r.getMessage() for r in caplog.records if "glyph" in r.getMessage().lower()]
    assert missing == [], missing[:3]


@pytest.fixture
def run_cli(capsys):
    """Run ``slopefit ARGS...`` in-process and return its exit code, stdout and stderr."""

    def run(*args: str) -> CliRun:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write a CSV file from text and return its path."""

    def write(text: str, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


HEIGHT_WEIGHT_CSV = "height,weight\n166,58.7\n176,75.7\n171,62.1\n173,70.4\n169,60.1\n"


@pytest.fixture
def drawn(monkeypatch):
    """The figures the plotting functions save, drawn again with the project's fonts for inspection."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from slopefit.views import figures as composed
    from slopefit.views import plotting
    from slopefit.views.plotting import charts, diagnostics, landscape, style

    figures = []
    save = style.save_figure

    def keep(fig, path):
        figures.append(fig)
        return save(fig, path)

    monkeypatch.setattr(charts, "save_figure", keep)
    monkeypatch.setattr(landscape, "save_figure", keep)
    monkeypatch.setattr(diagnostics, "save_figure", keep)
    monkeypatch.setattr(composed, "save_figure", keep)  # fit_figures saves what draw_figure drew

    def last():
        fig = figures[-1]
        with matplotlib.rc_context(plotting.rc_params()):
            FigureCanvasAgg(fig).draw()
        return fig

    return last
