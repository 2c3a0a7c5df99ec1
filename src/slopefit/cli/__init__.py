"""The ``slopefit`` command: argv -> one library call per command -> printed tables.

The only package that prints or decides exit codes. A user error is one line on stderr and
exit 2 (usage) or 1 (data or run failure), never a traceback; Ctrl-C exits 130. Commands
live in their own modules (:mod:`.train`, :mod:`.explore`, :mod:`.teach`, :mod:`.bench`),
each adding its parsers; :mod:`slopefit.views.tables` formats. Nothing here imports numpy or torch at
import time, and nothing here computes: ``slopefit --help`` is fast.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

from slopefit.cli import bench, explore, serve, teach, train
from slopefit.cli.arguments import Terminated, UsageError, default_lang, requested_lang
from slopefit.errors import ConfigError, SlopefitError, cli_words
from slopefit.texts import CLI_TEXT, Bilingual, text

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader closed

__all__ = ["UsageError", "build_parser", "main", "run"]


# argparse's error messages, read back into a key of the table of texts and its fields
_ARGPARSE = [
    ("usage.invalid_choice",
     re.compile(r"argument (?P<arg>\S+): invalid choice: (?P<value>.*) \(choose from (?P<choices>.*)\)$")),
    ("usage.invalid_value", re.compile(r"argument (?P<arg>\S+): invalid (?P<type>\w+) value: (?P<value>.*)$")),
    ("usage.not_whole", re.compile(r"argument (?P<arg>\S+): (?P<value>'.*') is not a whole number$")),
    ("usage.not_counting", re.compile(r"argument (?P<arg>\S+): (?P<value>'.*') must be a whole number >= 1$")),
    ("usage.not_number", re.compile(r"argument (?P<arg>\S+): (?P<value>'.*') is not a number$")),
    ("usage.required", re.compile(r"the following arguments are required: (?P<args>.*)$")),
    ("usage.unrecognized", re.compile(r"unrecognized arguments: (?P<args>.*)$")),
    ("usage.expected_one", re.compile(r"argument (?P<arg>\S+): expected one argument$")),
    ("usage.expected_some", re.compile(r"argument (?P<arg>\S+): expected at least one argument$")),
    ("usage.not_with", re.compile(r"argument (?P<arg>\S+): not allowed with argument (?P<other>\S+)$")),
    ("usage.ambiguous", re.compile(r"ambiguous option: (?P<option>\S+) could match (?P<matches>.*)$")),
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        for key, pattern in _ARGPARSE:
            found = pattern.match(message)
            if found:
                values = {"prog": self.prog, **found.groupdict()}
                if "type" in values:  # "float" in English, "수" in Korean
                    kind = values.pop("type")
                    values["kind"] = Bilingual(ko=text(f"usage.kind.{kind}", "ko"), en=kind) \
                        if f"usage.kind.{kind}" in CLI_TEXT else kind
                raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)", key=key, values=values)
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each command module adds its own."""
    from slopefit.version import __version__

    parser = _Parser(prog="slopefit", description="Linear regression by gradient descent on PyTorch, "
                     "checked against the exact least-squares answer.")
    parser.add_argument("--version", action="version", version=f"slopefit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    teach.add_parsers(sub)
    train.add_parsers(sub)
    explore.add_parsers(sub)
    bench.add_parsers(sub)
    serve.add_parsers(sub)
    return parser


def _import_torch() -> None:
    """Import torch with Ctrl-C held back until the import is complete.

    An interrupt that lands inside ``import torch`` leaves it half-initialised, and the
    interpreter can then hang or die at exit instead of printing one line and exiting 130;
    the interrupt is delivered right after the import instead.
    """
    import signal
    import threading

    if "torch" in sys.modules or threading.current_thread() is not threading.main_thread():
        import torch  # noqa: F401
        return
    pending: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    try:
        import torch  # noqa: F401
    finally:
        signal.signal(signal.SIGINT, previous)
    if pending:
        raise KeyboardInterrupt


def _terminate(signum, frame) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    numpy's and pandas' RuntimeWarnings are not shown (slopefit's own line names what they flag).
    SIGTERM stops a command as Ctrl-C does (a checkpointed training loop catches it itself): its
    temporary files are removed and one line says what was and was not written; exit 143."""
    import signal
    import threading
    import warnings

    if threading.current_thread() is not threading.main_thread():
        return _main(argv)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with warnings.catch_warnings():
            # numpy's and pandas' arithmetic warnings (overflow, invalid value) never reach the terminal:
            # what they flag is checked and named by slopefit's own line (tests/cli/test_warnings.py)
            warnings.simplefilter("ignore", RuntimeWarning)
            return _main(argv)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv: Sequence[str] | None) -> int:
    if os.environ.get("RANK", "0") != "0" and "WORLD_SIZE" in os.environ:  # torchrun: process 0 alone writes
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the rest of this process
    # the language of an error met while parsing: --lang as given, else the locale's
    lang = requested_lang(list(sys.argv[1:] if argv is None else argv)) or default_lang()
    try:
        args = build_parser().parse_args(argv)
        lang = getattr(args, "lang", lang)
        if getattr(args, "needs_torch", True):  # the commands that train import torch first
            _import_torch()
        return int(args.handler(args))
    except UsageError as exc:
        print(exc.said(lang), file=sys.stderr)
        return EXIT_USAGE
    except SlopefitError as exc:  # in --lang's language when the table of texts has it; the library says lr=
        print(text("error", lang, error=cli_words(exc.said(lang))), file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_FAILURE
    except KeyboardInterrupt:
        print(text("interrupted", lang), file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print(text("terminated", lang), file=sys.stderr)
        return EXIT_TERMINATED
    except SystemExit as exc:  # --help and --version exit through argparse
        return int(exc.code or 0)


def run() -> None:
    """The console entry point: :func:`main`, and an exit after Ctrl-C that nothing can delay
    (files are written atomically, so there is nothing left to clean up)."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `slopefit ... | head`: the reader left; stop quietly, as cat does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os._exit(EXIT_BROKEN_PIPE)
    if code in (EXIT_INTERRUPTED, EXIT_TERMINATED) or ("RANK" in os.environ and "WORLD_SIZE" in os.environ):
        # under torchrun: gloo's threads may still be joinable when the interpreter's static objects
        # are destroyed, which aborts the process (SIGABRT) after its work is done and saved
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
