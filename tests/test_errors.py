"""The library's messages speak Python (``lr=``, ``missing="drop"``, ``save_model``); the command line
translates them into its flags with :func:`slopefit.errors.cli_words`. Read from the source with ``ast``
so that a new message naming a flag fails here, whoever adds it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from slopefit.errors import FLAGS, PHRASES, cli_words

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "slopefit"
FLAG = re.compile(r"(?<![\w-])--[a-z]")
# the command line (its own messages are in its words) and the table of texts (the CLI's and page's sentences)
OWN_WORDS = ("cli", "texts")


def _message_strings(tree: ast.AST):
    """Every string constant inside a ``raise`` or a ``warnings.warn(...)`` call."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) or (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "warn"):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    yield sub


def test_no_message_raised_from_python_names_a_command_line_flag():
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] in OWN_WORDS:
            continue
        for const in _message_strings(ast.parse(path.read_text(encoding="utf-8"))):
            if FLAG.search(const.value):
                found.append(f"{path.relative_to(PACKAGE)}:{const.lineno}: {const.value[:80]!r}")
    assert found == [], "messages naming a flag (use the Python parameter, cli_words translates):\n" + "\n".join(found)


def test_every_phrase_the_command_line_translates_is_still_said_somewhere():
    source = "".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py")
                     if p.relative_to(PACKAGE).parts[0] not in OWN_WORDS and p.name != "errors.py")
    # a phrase is written in Python source, so its quotes may be escaped there
    missing = [k for k in PHRASES if k not in source and k.replace('"', '\\"') not in source]
    assert missing == []


def test_every_flag_named_is_one_the_command_line_has():
    """FLAGS's right side: each is an option of some slopefit command (read from its parser, no guessing)."""
    import argparse

    from slopefit.cli import build_parser

    options = set()
    for action in build_parser()._actions:  # noqa: SLF001 - argparse keeps its subcommands there
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for command in action.choices.values():
                options |= {o for a in command._actions for o in a.option_strings}  # noqa: SLF001
    assert options and [f for f in FLAGS.values() if f not in options] == []


@pytest.mark.parametrize(("python", "command"), [
    ('fill them or use missing="drop"', "fill them or use --missing drop"),
    ("read it whole (stream=False)", "read it whole (no --stream)"),
    ("start over with overwrite_checkpoint=True", "start over with --overwrite-checkpoint"),
    ("ridge= and lasso= were both given", "--ridge and --lasso were both given"),
    ("use optimizer=\"sgd\"", "use --optimizer sgd"),
    ("got lr=0.5, try lr=0.01", "got lr=0.5, try lr=0.01"),  # a value reads the same in both
    ("create one with save_model(model, \"MODEL.json\")", "create one with slopefit fit DATA --save MODEL.json"),
])
def test_cli_words_turns_python_parameters_into_flags(python, command):
    assert cli_words(python) == command


def test_a_missing_column_from_python_names_y_and_the_command_line_names_its_flag(tmp_path):
    import pandas as pd

    import slopefit as sf

    frame = pd.DataFrame({"a": [1.0, 2.0, None, 4.0], "b": [2.0, 4.1, 5.9, 8.2]})
    with pytest.raises(ValueError) as raised:
        sf.fit(frame, y="b")
    message = str(raised.value)
    assert 'missing="drop"' in message and "--" not in message
    assert "--missing drop" in cli_words(message)
