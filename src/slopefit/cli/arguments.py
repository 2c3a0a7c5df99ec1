"""The options several commands share, their argparse types, and the two things every
training command does with them: load the data and build a :class:`TrainConfig`."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple


class UsageError(Exception):
    """Raised instead of argparse's print-usage-and-exit, so that main() prints one line.

    ``key`` and ``values``: the same line in the table of texts (:mod:`slopefit.texts`), said in
    ``--lang``'s language by :meth:`said` (argparse's own errors, :func:`slopefit.cli._Parser.error`)."""

    def __init__(self, message: str = "", *, key: str | None = None, values: dict | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.values = dict(values or {})

    def said(self, lang: str) -> str:
        """The line in ``lang``: from the table of texts when it has a key, else as raised (English)."""
        if self.key is None or lang == "en":
            return str(self)
        from slopefit.texts import text

        return text(self.key, lang, **self.values)


def requested_lang(argv: Sequence[str]) -> str | None:
    """The value of ``--lang`` in ``argv`` (``--lang ko`` or ``--lang=ko``), read before the parser runs
    so that its own errors are said in that language; None when absent or not a language."""
    for k, arg in enumerate(argv):
        value = argv[k + 1] if arg == "--lang" and k + 1 < len(argv) else arg.partition("=")[2] \
            if arg.startswith("--lang=") else None
        if value in ("ko", "en"):
            return value
    return None


class Terminated(BaseException):  # noqa: N818 - named like KeyboardInterrupt, its sibling
    """SIGTERM arrived outside a checkpointed training loop: the command stops as after Ctrl-C
    (temporary files removed, a line saying what was written) and exits 143."""


def default_lang() -> str:
    """``ko`` when the locale is Korean, else ``en``."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


def add_lang_option(p: argparse.ArgumentParser) -> None:
    """``--lang ko|en``: the language of what the command prints (tables, notes, warnings, errors) and of its
    figures, from the locale by default (:func:`default_lang`)."""
    p.add_argument("--lang", choices=("ko", "en"), default=default_lang(),
                   help="language of the tables, notes, errors and figures (default: from the locale, "
                        "ko for a Korean one)")


def folds(text: str) -> int:
    """``--cv K``: an integer of at least 2."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of folds; give K >= 2, e.g. --cv 5") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"--cv {value} cannot both hold rows out and train on the rest; give K >= 2, "
                                         "e.g. --cv 5")
    return value


def fraction(text: str) -> float:
    """``--test-size F``: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give a fraction between 0 and 1, "
                                         "e.g. --test-size 0.2") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not strictly between 0 and 1; give the fraction of rows to "
                                         "hold out, e.g. --test-size 0.2")
    return value


def level(text: str) -> float:
    """argparse type: a confidence level strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1, e.g. 0.95")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number >= 1")
    return value


def add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA", help="built-in name (see 'slopefit datasets'), synthetic[:...], "
                   "or a CSV/Parquet file")
    p.add_argument("--x", nargs="+", metavar="COL", help="feature columns (default: all but the target)")
    p.add_argument("--y", metavar="COL", help="target column (default: the last column)")
    add_reading_options(p)
    p.add_argument("--missing", choices=("error", "drop"), default="error",
                   help="rows with empty or NaN cells in the columns used: error (default, naming them) or drop")


def separator(text: str) -> str:
    """argparse type: a CSV separator, ``tab`` or ``\\t`` for the tab."""
    value = "\t" if text in ("tab", "\\t") else text
    if value not in (",", ";", "\t", "|"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a separator; give ',' ';' 'tab' or '|'")
    return value


def add_reading_options(p: argparse.ArgumentParser) -> None:
    """How a CSV file writes its cells (detected unless given)."""
    p.add_argument("--sep", type=separator, default=None,
                   help="CSV separator: ',' ';' 'tab' or '|' (default: detected from the first lines)")
    p.add_argument("--decimal", choices=(".", ","), default=None,
                   help="decimal mark of a CSV file (default: ',' with the ';' separator when cells have commas)")
    p.add_argument("--encoding", metavar="NAME", default=None,
                   help="text encoding of a CSV file, any Python codec: cp949, utf-16, latin-1... (default: detected: "
                        "UTF-8 with or without BOM, UTF-16 with a BOM, CP949)")
    p.add_argument("--thousands", metavar="CHAR", default=None,
                   help="thousands separator of numbers: ',' reads \"139,750\", '.' reads \"1.234,5\" "
                        "(then the decimal comma) (default: none)")


def reading_of(args: argparse.Namespace) -> dict:
    """How the command line says a CSV file is read: ``sep``, ``decimal``, ``encoding``, ``thousands``."""
    return {k: getattr(args, k, None) for k in ("sep", "decimal", "encoding", "thousands")}


def add_penalty_options(p: argparse.ArgumentParser) -> None:
    """``--ridge``, ``--lasso``, ``--elastic-net`` with ``--l1-ratio`` (scikit-learn's alphas), and ``--weights``."""
    p.add_argument("--ridge", type=float, metavar="ALPHA",
                   help="ridge penalty, scikit-learn's Ridge: ||y - Xw - b||² + ALPHA·||w||² (intercept unpenalised)")
    p.add_argument("--lasso", type=float, metavar="ALPHA",
                   help="lasso penalty, scikit-learn's Lasso: ||y - Xw - b||²/(2n) + ALPHA·||w||₁ (exact zeros)")
    p.add_argument("--elastic-net", type=float, metavar="ALPHA",
                   help="elastic net, scikit-learn's ElasticNet: ||y - Xw - b||²/(2n) + ALPHA·R·||w||₁ "
                        "+ ALPHA·(1-R)/2·||w||² with R = --l1-ratio")
    p.add_argument("--l1-ratio", type=float, metavar="R", help="the elastic net's L1 share R in [0, 1] (default 0.5)")
    p.add_argument("--weights", metavar="COL",
                   help="column of sample weights >= 0 (weighted least squares, statsmodels' WLS); not a feature")


def penalty_of(args: argparse.Namespace):
    """The :class:`slopefit.solve.penalties.Penalty` the options ask for, or None (ConfigError: exit 2)."""
    from slopefit.solve.penalties import penalty_from

    return penalty_from(ridge=getattr(args, "ridge", None), lasso=getattr(args, "lasso", None),
                        elastic_net=getattr(args, "elastic_net", None), l1_ratio=getattr(args, "l1_ratio", None))


def add_training_options(p: argparse.ArgumentParser, *, epochs: int) -> None:
    """The options of every training command; ``epochs`` is the default with an explicit lr."""
    add_data_options(p)
    p.set_defaults(epochs_with_lr=epochs)
    p.add_argument("--epochs", type=positive_int, default=None,
                   help=f"epochs (default {epochs} with --lr; without --lr a budget of 100000: the run stops "
                        "once converged)")
    p.add_argument("--batch-size", type=positive_int, default=None,
                   help="minibatch size (default: full batch; 1 = one random row per step)")
    p.add_argument("--scale", choices=("none", "center", "standardize"), default="standardize",
                   help="scaling before training (default standardize; the lesson uses center)")
    p.add_argument("--log-every", type=positive_int, default=1, help="record the loss every N epochs")
    p.add_argument("--tol", type=float, default=None, help="stop when the loss changes by <= tol*loss in an epoch")
    p.add_argument("--seed", type=int, default=0, help="seed of the minibatch shuffle (default 0)")
    p.add_argument("--dtype", choices=("auto", "float32", "float64"), default="auto",
                   help="training precision (default auto: float64 on the stats engine, float32 on the rows)")
    p.add_argument("--no-intercept", action="store_true", help="fit a line through the origin (no B)")
    add_lang_option(p)
    p.add_argument("--formula", metavar='"Y ~ TERMS"',
                   help='the target and the terms instead of --x/--y, e.g. "invest ~ value + capital + C(firm) + '
                        'I(value**2) + value:capital" (formulaic; "- 1" fits no intercept)')
    add_engine_options(p)
    add_stream_options(p)
    p.add_argument("--shuffle", choices=("auto", "rows", "blocks"), default="auto",
                   help="minibatch shuffle: rows (a fresh permutation of every row each pass), blocks (of blocks of "
                        "up to 64 contiguous rows that tile the batches; each batch stepped from its Gram matrix); "
                        "auto (default): blocks from 65536 rows")


def add_stream_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stream", action="store_true",
                   help="read a CSV/Parquet file in chunks, never whole (automatic for files over 1 GiB, and "
                        "on the stats engine for files over 448 MB of values)")
    p.add_argument("--chunk-rows", type=positive_int, default=262_144, help="rows per chunk when streaming")


def add_engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=("auto", "data", "stats"), default="auto",
                   help="stats: full-batch loss from one pass of sufficient statistics, O(D^2) an epoch; "
                        "data: the loss on the rows; auto (default): stats unless --batch-size")
    p.add_argument("--device", choices=("cpu", "cuda", "mps"), default="cpu", help="torch device (default cpu)")


def optimizer_options(items: Sequence[str] | None) -> dict[str, str]:
    """``["nesterov=true", "betas=0.9,0.99"]`` -> ``{"nesterov": "true", "betas": "0.9,0.99"}``."""
    options: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"slopefit: --option {item!r} must look like KEY=VALUE, e.g. --option nesterov=true")
        options[key.replace("-", "_")] = value
    return options


def config_from(args: argparse.Namespace, optimizer: str, lr: float | None, options: dict):
    """The :class:`TrainConfig` the shared training options describe."""
    from slopefit.train.config import TrainConfig

    epochs = args.epochs if args.epochs is not None or lr is None else args.epochs_with_lr
    return TrainConfig(optimizer=optimizer, lr=lr, epochs=epochs, options=options,
                       batch_size=args.batch_size, scaling=args.scale, fit_intercept=not args.no_intercept,
                       log_every=args.log_every, tol=args.tol, seed=args.seed, dtype=args.dtype,
                       stop_gap=getattr(args, "stop_gap", None),
                       engine=args.engine, device=args.device, penalty=penalty_of(args),
                       shuffle=getattr(args, "shuffle", "auto"))


def load(args: argparse.Namespace):
    """The data named on the command line: a Dataset in memory, or a TableSource read in chunks
    (with --stream, for files over 1 GiB, and for large files whose rows the run does not need
    at hand: see :func:`slopefit.solve.preparation.open_data`)."""
    from slopefit.solve.preparation import open_data

    rows = getattr(args, "engine", "auto") == "data" or getattr(args, "batch_size", None) is not None
    # held-out scores train on subsets of the rows: they must be in memory
    rows = rows or getattr(args, "cv", None) is not None or getattr(args, "test_size", None) is not None
    formula = getattr(args, "formula", None)
    if formula is not None and (args.x or args.y):
        raise UsageError(f"slopefit: --formula names the target and the features; leave out "
                         f"{'--x' if args.x else '--y'} (the formula {formula!r})")
    data = open_data(args.data, x=args.x, y=args.y, chunk_rows=getattr(args, "chunk_rows", 262_144),
                     stream=getattr(args, "stream", False), rows=rows, **reading_of(args),
                     missing=getattr(args, "missing", "error"),
                     formula=formula, weights=getattr(args, "weights", None))
    design = getattr(data, "design", None)
    if design is not None and design.formula is not None and not design.intercept:
        args.no_intercept = True  # "- 1" in the formula: the reference of every run has no intercept either
    return data


def in_group(handler: Callable[[argparse.Namespace, object], int], args: argparse.Namespace) -> int:
    """``handler(args, group)``: inside torchrun's process group when started by torchrun
    (:mod:`slopefit.dist.group`; :func:`slopefit.cli.main` has silenced every process but 0), else
    with None."""
    from slopefit.dist.group import launched, session

    if not launched():
        return handler(args, None)
    with session(getattr(args, "device", "cpu")) as group:
        return handler(args, group)


class Share(NamedTuple):
    """What :func:`load_share` gives: this process's rows, and the statistics and exact optimum of every
    process's rows with the seconds each took (the report's "data pass" and "exact solve")."""

    data: Any
    stats: Any  # SufficientStats
    reference: Any  # ExactSolution
    seconds_stats: float
    seconds_exact: float


def load_share(args: argparse.Namespace, group, *, fit_intercept: bool, on_rows=None) -> Share:
    """This process's share of a run under torchrun or on several files
    (:func:`slopefit.dist.shards.open_share`), and the statistics and exact optimum of every process's rows."""
    from slopefit.dist.distributed import gather_stats, reference
    from slopefit.dist.shards import is_many, open_share

    formula = getattr(args, "formula", None)
    if formula is not None and (args.x or args.y):
        raise UsageError(f"slopefit: --formula names the target and the features; leave out "
                         f"{'--x' if args.x else '--y'} (the formula {formula!r})")
    if getattr(args, "weights", None) is not None:
        raise UsageError("slopefit: --weights needs one process reading one table; under torchrun or on several "
                         "files fit unweighted")
    if group is not None and not Path(args.data).exists() and not is_many(args.data):
        raise UsageError(f"slopefit: under torchrun DATA must be a file, a directory or a pattern of files that "
                         f"each process reads a share of, not {args.data!r}")
    data = open_share(args.data, rank=group.rank if group else 0, world_size=group.world_size if group else 1,
                      x=args.x, y=args.y, chunk_rows=getattr(args, "chunk_rows", 262_144), **reading_of(args),
                      missing=getattr(args, "missing", "error"),
                      formula=formula, group=group)
    if data.design is not None and data.design.formula is not None and not data.design.intercept:
        fit_intercept = False  # "- 1" in the formula, as in load
        args.no_intercept = True
    started = time.perf_counter()
    stats = gather_stats(data, group, on_rows=on_rows)
    passed = time.perf_counter()
    exact = reference(data, stats, group, fit_intercept=fit_intercept)
    return Share(data, stats, exact, seconds_stats=passed - started, seconds_exact=time.perf_counter() - passed)


def reading_notes(data, lang: str = "en") -> list[str]:
    """The lines that say how a file was read, when not plainly: its CSV dialect, the rows dropped
    for empty cells (known after a pass over a file read in chunks), each text column's levels."""
    from slopefit.texts import count, text

    notes = []
    if getattr(data, "dialect", None) is not None:
        dialect = data.dialect if isinstance(data.dialect, str) else data.dialect.describe()
        if dialect:
            notes.append(text("read.dialect", lang, name=data.name, dialect=dialect))
    dropped = getattr(data, "dropped_rows", 0)
    if dropped:
        kept = data.n_samples if hasattr(data, "n_samples") else data.tally.get("rows", 0)
        notes.append(text("read.dropped", lang, rows=count(dropped, "row", lang), before=kept + dropped, kept=kept))
    for note in getattr(data, "notes", ()):  # R's row names left out, percent cells read as fractions
        notes.append(getattr(note, "ko", note) if lang == "ko" else str(note))  # a Said note in the run's language
    if getattr(data, "design", None) is not None:
        notes.extend(data.design.describe(lang))  # "firm: 11 levels, reference 'American Steel'"
    return notes


def write_report(args: argparse.Namespace, command: str, text: str, images: Sequence[Path]) -> Path:
    """The HTML page of a command: its settings, what it printed, and its figures."""
    from slopefit.texts import text as t
    from slopefit.views.report import Section
    from slopefit.views.report import write_report as write

    settings = {k: v for k, v in vars(args).items()
                if k not in ("handler", "report", "epochs_with_lr", "needs_torch") and v not in (None, False)}
    return write(args.report, title=f"slopefit {command}: {args.data}", settings=settings, lang=args.lang,
                 sections=[Section(t("report.result", args.lang), text),
                           Section(t("report.figures", args.lang), images=images)])
