"""The documentation cannot go stale: every ``sh``/``console`` command and ``python`` block in the
READMEs and guides runs (or says why not, in a ``<!-- not run: REASON -->`` line above it), the
numbers a page shows from a deterministic run are the numbers the command prints, and the site builds
with ``mkdocs build --strict``."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from slopefit.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", ROOT / "README.ko.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"(?:<!-- not run: (?P<reason>[^>]*?) -->\n)?```(?P<info>[a-z]*)\n(?P<body>.*?)\n```", re.S)
NUMBER = re.compile(r"^[-+−]?\d[\d.,]*(e[-+]?\d+)?%?$")


@dataclass(frozen=True)
class Block:
    page: Path
    info: str
    body: str
    reason: str | None

    def commands(self) -> list[str]:
        """The shell commands of the block: ``$``-prefixed lines of a console block, every line of a sh
        block (comments and continuation lines joined)."""
        lines = self.body.replace("\\\n", " ").splitlines()
        if self.info == "console":
            lines = [line[2:] for line in lines if line.startswith("$ ")]
        return [line.split("  #")[0].strip() for line in lines if line.strip() and not line.startswith("#")]

    def steps(self) -> list[tuple[str, list[str]]]:
        """``(command, the lines shown after it)`` for each command of the block (none shown in a sh block)."""
        if self.info != "console":
            return [(command, []) for command in self.commands()]
        steps: list[tuple[str, list[str]]] = []
        for line in self.body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:].split("  #")[0].strip(), []))
            elif steps:
                steps[-1][1].append(line)
        return steps


def blocks() -> list[Block]:
    found = []
    for page in PAGES:
        for m in FENCE.finditer(page.read_text(encoding="utf-8")):
            found.append(Block(page, m.group("info"), m.group("body"), m.group("reason")))
    return found


BLOCKS = blocks()
RUN = [b for b in BLOCKS if b.info in ("sh", "console", "python") and b.reason is None]


def name(block: Block) -> str:
    return f"{block.page.relative_to(ROOT)}:{block.body.splitlines()[0][:50]}"


def test_every_code_block_says_what_it_is():
    untagged = [name(b) for b in BLOCKS if b.info == ""]
    assert untagged == [], "tag each block: sh, console, python (run) or text (shown only)"
    shell_in_text = [name(b) for b in BLOCKS if b.info == "text" and re.search(r"^(\$ |slopefit |make )", b.body, re.M)]
    assert shell_in_text == [], "a command is tagged sh (and run, or marked <!-- not run: why -->)"
    assert all(b.reason.strip() for b in BLOCKS if b.reason is not None)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.info in ("sh", "console")], ids=name)
def test_every_documented_command_parses(block):
    """Fast: a renamed flag or command breaks this before anything runs."""
    parser = exact_flags(build_parser())
    for command in block.commands():
        words = shlex.split(command)
        if words[0] != "slopefit":
            assert block.reason is not None, f"{command!r} is not a slopefit command: mark it not run, with why"
            continue
        with contextlib.redirect_stderr(io.StringIO()) as err:
            try:
                parser.parse_args(words[1:])
            except SystemExit as exc:
                raise AssertionError(f"{command!r} does not parse: {err.getvalue().strip()}") from exc


def exact_flags(parser):
    """The parser and its subcommands' parsers with abbreviations off: a documented ``--scale`` must
    be a flag, not the prefix of a renamed ``--scaling``."""
    import argparse

    parser.allow_abbrev = False
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                exact_flags(sub)
    return parser


def _numbers_agree(shown: str, printed: list[str]) -> bool:
    """A shown line agrees when a printed line has the same words and numbers within the shown digits."""
    words = shown.split()
    for line in printed:
        other = line.split()
        if len(other) != len(words):
            continue
        ok = True
        for a, b in zip(words, other, strict=True):
            if NUMBER.match(a) and NUMBER.match(b):
                x, y = float(a.replace("−", "-").rstrip("%").replace(",", "")), float(
                    b.replace("−", "-").rstrip("%").replace(",", ""))
                digits = len(re.sub(r"e.*|[^0-9]", "", a.lower().lstrip("0.-+")))
                ok &= abs(x - y) <= 10.0 ** (1 - max(digits, 1)) * max(abs(x), 1e-300) + 1e-300
            else:
                ok &= a == b
        if ok:
            return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("block", RUN, ids=name)
def test_every_documented_example_runs(block, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # files the examples write land here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if block.info == "python":
        namespace: dict = {}
        for earlier in [b for b in RUN if b.page == block.page and b.info == "python"]:
            exec(compile(earlier.body, str(block.page), "exec"), namespace)  # the page's blocks in order
            if earlier is block:
                break
        return
    for command, shown in block.steps():
        code = main(shlex.split(command)[1:])
        out = capsys.readouterr()
        refused = bool(shown) and shown[0].startswith("slopefit: ")  # the page shows the one-line refusal
        assert (code != 0) == refused, f"{command!r} exited {code}: {out.err.strip()[-400:]}"
        printed = (out.err if refused else out.out).splitlines()
        # the deterministic lines a page shows are what the command prints (timings and paths vary)
        kept = [s for s in shown if s.strip() and s != "..." and not re.search(r"\btime\b|seconds|saved to|/tmp", s)]
        wrong = [s for s in kept if not _numbers_agree(s, printed)]
        assert wrong == [], command


@pytest.mark.slow
def test_the_site_builds_strictly_in_both_languages(tmp_path):
    site = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, run.stderr[-2000:]
    english, korean = (site / "index.html").read_text(), (site / "ko" / "index.html").read_text()
    assert "gradient descent" in english and "경사하강법" in korean
    reference = (site / "reference" / "index.html").read_text()
    assert all(name in reference for name in ("LinearRegressor", "load_dataset", "TrainConfig"))
