"""``slopefit fit`` and ``slopefit predict``: train a line on data, use a saved one."""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

from slopefit.cli.arguments import (
    Terminated,
    UsageError,
    add_lang_option,
    add_penalty_options,
    add_reading_options,
    add_training_options,
    config_from,
    folds,
    fraction,
    in_group,
    level,
    load,
    load_share,
    optimizer_options,
    reading_notes,
    reading_of,
    write_report,
)
from slopefit.errors import SlopefitError, cli_words
from slopefit.texts import count, text
from slopefit.views.tables import heldout_table, table

EXIT_OK, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 130, 143


def add_parsers(sub) -> None:
    p = sub.add_parser("fit", help="fit a line by gradient descent and compare it with the exact answer")
    add_training_options(p, epochs=1000)
    add_penalty_options(p)
    p.add_argument("--optimizer", default="sgd", help="sgd, adam, adamw, rmsprop, adagrad or lbfgs (default sgd)")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: chosen from the curvature of the data, and the run stops once "
                        "converged; the lesson uses 0.01)")
    p.add_argument("--momentum", type=float, default=None, help="momentum (sgd, rmsprop)")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="another optimizer option, e.g. nesterov=true, betas=0.9,0.99 (repeatable)")
    p.add_argument("--stop-gap", type=float, default=None, metavar="GAP",
                   help="stop once the relative gap to the exact optimum is <= GAP, e.g. 1e-6")
    p.add_argument("--save", metavar="MODEL.json", help="save the fitted model as JSON")
    p.add_argument("--plot", metavar="DIR", help="save loss.png, gap.png (loss - loss*), fit.png and the diagnostics "
                   "residuals.png, qq.png, leverage.png (Cook's distance) in DIR")
    p.add_argument("--report", metavar="FILE.html", help="also write one self-contained HTML page")
    p.add_argument("--json", metavar="FILE.json",
                   help="also write the results as JSON: the line, the exact one, the OLS summary, the settings")
    p.add_argument("--cov", default="nonrobust", choices=("nonrobust", "HC0", "HC1", "HC2", "HC3"),
                   help="covariance of the OLS summary: nonrobust (default) or statsmodels' heteroskedasticity-"
                        "robust HC0-HC3 (one more pass over the rows; z statistics, robust Wald F)")
    p.add_argument("--checkpoint", metavar="FILE",
                   help="save the run to FILE between two optimizer steps (every --checkpoint-every, and on "
                        "SIGTERM/SIGINT at the next step, which then exit 143/130): parameters, optimizer state, "
                        "RNG state, position in the epoch, history")
    p.add_argument("--checkpoint-every", default="60s", metavar="N|TIME",
                   help="optimizer steps (e.g. 500; minibatch steps count inside an epoch) or time (30s, 5m, 1h) "
                        "between checkpoints (default 60s)")
    p.add_argument("--resume", metavar="FILE|auto",
                   help="go on from a checkpoint, ending bit-identical to a run never stopped; auto: from "
                        "--checkpoint FILE when it exists, else start fresh (for torchrun --max-restarts)")
    p.add_argument("--overwrite-checkpoint", action="store_true",
                   help="start over even though --checkpoint FILE holds a checkpoint (by default that is refused, "
                        "so that no run's progress is lost)")
    heldout = p.add_mutually_exclusive_group()
    heldout.add_argument("--cv", type=folds, metavar="K",
                         help="also score K-fold cross-validation (rows dealt by --seed): held-out R², RMSE, MAE "
                              "per fold; the line shown and saved is still fitted on all rows")
    heldout.add_argument("--test-size", type=fraction, metavar="F",
                         help="also score one train/test split holding out a fraction F of the rows (by --seed)")
    p.set_defaults(handler=cmd_fit)

    p = sub.add_parser("predict", help="predict with a saved model")
    p.add_argument("model", metavar="MODEL.json")
    p.add_argument("values", nargs="*", metavar="VALUE", help="feature values, filling rows of the model's width")
    p.add_argument("--csv", metavar="FILE", help="predict every row of a CSV/Parquet file")
    add_reading_options(p)
    p.add_argument("--interval", action="store_true",
                   help="also print confidence (mean) and prediction (new value) intervals, and flag extrapolation")
    p.add_argument("--level", type=level, default=0.95, help="confidence level of --interval (default 0.95)")
    add_lang_option(p)
    p.set_defaults(handler=cmd_predict, needs_torch=False)


def cmd_fit(args: argparse.Namespace) -> int:
    return in_group(_claimed_fit, args)


def _claimed_fit(args: argparse.Namespace, group) -> int:
    """:func:`_fit`, once every output is checked and locked (:mod:`slopefit.cli.outputs`) and the
    checkpoint is known not to be another run's; every process of a torchrun run agrees first."""
    from slopefit.cli.outputs import claim_outputs
    from slopefit.dist.group import agree
    from slopefit.errors import SlopefitError
    from slopefit.train.checkpoint import claim

    leader = group is None or group.leader
    with contextlib.ExitStack() as claims:
        error = None
        try:
            claim_outputs(args, claims, lock=leader)
            if args.checkpoint and leader:
                claim(args.checkpoint, resume=args.resume, overwrite=args.overwrite_checkpoint)
        except SlopefitError as exc:
            error = exc
        agree(group, error)
        return _fit(args, group)


def _fit(args: argparse.Namespace, group) -> int:
    from slopefit.dist.shards import is_many
    from slopefit.solve.preparation import gather_stats, row_passes
    from slopefit.train.checkpoint import Stopped
    from slopefit.train.messages import run_warnings
    from slopefit.train.plan import plan_fit
    from slopefit.train.training import fit, intercept_of
    from slopefit.views.progress import ProgressBar
    from slopefit.views.tables import fit_report

    options = optimizer_options(args.option)
    if args.momentum is not None:
        options["momentum"] = args.momentum
    config = config_from(args, args.optimizer, args.lr, options)
    if args.weights is not None and args.cov != "nonrobust":
        raise UsageError(f"slopefit fit: --cov {args.cov} is not available with --weights; the WLS summary's "
                         "standard errors are the classical ones (drop --cov)")
    checkpoint = _checkpointer(args, group)
    bar = ProgressBar()
    bar.enabled = bar.enabled and (group is None or group.leader)  # process 0 alone draws
    reference = None
    try:
        if group is not None or is_many(args.data):
            if group is not None and (args.cv is not None or args.test_size is not None or args.cov != "nonrobust"):
                raise UsageError("slopefit fit: --cv, --test-size and --cov HC0-HC3 need every row in one process; "
                                 "run them without torchrun")
            share = load_share(args, group, fit_intercept=config.fit_intercept, on_rows=bar.rows)
            data, stats, reference = share.data, share.stats, share.reference
            pass_seconds, exact_seconds = share.seconds_stats, share.seconds_exact
        else:
            data = load(args)
            exact_seconds = 0.0
        config = intercept_of(getattr(data, "design", None), config)  # a formula's "- 1": no intercept
        if args.cv is not None or args.test_size is not None:
            from slopefit.train.validation import check_heldout, require_rows

            # before the full fit: a file read in chunks cannot be dealt into folds, nor 21 rows into 25
            try:
                check_heldout(require_rows(data).n_samples, k=args.cv, test_size=args.test_size)
            except SlopefitError:  # a DataError is a ValueError too: it stays a data failure
                raise
            except ValueError as exc:
                raise UsageError(f"slopefit fit: {exc}") from None
        started = time.perf_counter()
        if reference is None:
            stats = gather_stats(data, on_rows=bar.rows)
            pass_seconds = time.perf_counter() - started
        plan = plan_fit(data, config, stats=stats, reference=reference)
        for warning in run_warnings(plan, config, args.lang):
            print(text("warning", args.lang, warning=cli_words(warning)), file=sys.stderr)
        result = fit(data, config, callback=bar, stats=plan.stats, reference=plan.ols, checkpoint=checkpoint)
        result = replace(result, seconds_stats=pass_seconds or result.seconds_stats,
                         seconds_exact=exact_seconds or result.seconds_exact)
    except Stopped as stop:
        bar.close()
        print(f"slopefit fit: {cli_words(str(stop))}", file=sys.stderr)
        return stop.exit_code
    except (KeyboardInterrupt, Terminated) as exc:
        bar.close()
        how = text("how.terminated" if isinstance(exc, Terminated) else "how.interrupted", args.lang)
        print(text("fit.stopped", args.lang, how=how, epoch=bar.last_epoch), file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    bar.close()
    if group is not None and not group.leader:
        return EXIT_OK  # process 0 alone prints and writes files
    # a file read in chunks, or one held in memory for a second pass: say which
    passes = row_passes(data, stats, fit_intercept=config.fit_intercept) if Path(args.data).is_file() else 1
    notes = reading_notes(data, args.lang)
    if reference is not None:  # shares read by one process each (slopefit.dist.shards)
        passes, world = row_passes(data, stats, fit_intercept=config.fit_intercept), data.world_size
        notes.append(text("fit.shares", args.lang, shares=count(world, "share", args.lang),
                          processes=count(world, "process", args.lang), rows=result.n_samples,
                          passes=count(passes, "pass", args.lang), share=data.describe()))
        if config.batch_size is not None:
            notes.append(_minibatch_note(config, result.n_samples, len(result.coef)))
    summary = fit_report(data, result, passes=passes if reference is None and (passes > 1 or hasattr(
        data, "chunk_rows")) else None, cov_type=args.cov, lang=args.lang)
    summary = "\n".join([*notes, summary])
    print(summary)
    cv = None
    if args.cv is not None or args.test_size is not None:
        try:
            cv = _heldout(data, config, args)
        except (KeyboardInterrupt, Terminated) as exc:
            how = text("how.terminated" if isinstance(exc, Terminated) else "how.interrupted", args.lang)
            print(text("fit.stopped.heldout", args.lang, how=how), file=sys.stderr)
            return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
        print(f"\n{heldout_table(cv, args.lang)}")
    if checkpoint is not None and checkpoint.resumed_from is not None:
        print(text("fit.resumed", args.lang, path=checkpoint.resumed_from))
    return _write_honestly(args, group, data, result, summary, cv)


def _minibatch_note(config, n_rows: int, n_features: int) -> str:
    """How the processes of a minibatch run added up their batches (slopefit.train.batches)."""
    from slopefit.train.batches import CHUNK_STEPS, minibatch_path

    shuffle, block, from_grams = minibatch_path(config.shuffle, n_rows, int(config.batch_size), n_features)
    if from_grams:
        return (f"minibatches shuffled by blocks of {block} rows: one all-reduce adds up the Gram matrices of "
                f"up to {CHUNK_STEPS} batches, then every process takes their steps")
    how = "by rows" if shuffle == "rows" else f"by blocks of {block} rows, too many for their Gram matrices"
    return (f"minibatches shuffled {how}: the per-step path, one all-reduce a step"
            + (f" (--shuffle blocks takes one for up to {CHUNK_STEPS} steps)" if shuffle == "rows" else ""))


def _write_honestly(args: argparse.Namespace, group, data, result, summary: str, cv) -> int:
    """:func:`_write_outputs`; after a failure, Ctrl-C or SIGTERM, one line saying exactly which files
    were written (whole) and which were not (nothing of them left behind)."""
    from slopefit.errors import OutputError

    written: list[str] = []
    try:
        _write_outputs(args, group, data, result, summary, cv, written)
    except (KeyboardInterrupt, Terminated, OutputError) as exc:
        wanted = [f"--{flag} {getattr(args, flag)}" for flag in ("save", "json", "plot", "report")
                  if getattr(args, flag, None)]
        done = [w for w in wanted if w.split()[0] in {d.split()[0] for d in written}]
        left = [w for w in wanted if w not in done]
        how = (text("how.terminated", args.lang) if isinstance(exc, Terminated) else text(
            "how.interrupted", args.lang) if isinstance(exc, KeyboardInterrupt) else cli_words(str(exc)))
        nothing = text("write.nothing", args.lang)
        print(text("write.stopped", args.lang, how=how, written=", ".join(written) or nothing,
                   left=", ".join(left) or nothing), file=sys.stderr)
        return (EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
                if isinstance(exc, KeyboardInterrupt) else 1)
    return EXIT_OK


def _write_outputs(args: argparse.Namespace, group, data, result, summary: str, cv, written: list[str]) -> None:
    """What --save, --json, --plot and --report ask for, each file written atomically, the lines
    saying where, and in ``written`` each one done (``"--save model.json"``)."""
    from slopefit.views.figures import diagnostics_note, fit_figures

    if args.save:
        from slopefit.views.persistence import model_from_result, save_model

        model = model_from_result(result)
        model.info["training"]["world_size"] = group.world_size if group is not None else 1
        print("\n" + text("saved.model", args.lang, path=save_model(model, args.save)))
        written.append(f"--save {args.save}")
    if args.json:
        payload = result.to_dict(cov_type=args.cov)
        if cv is not None:
            payload["cv"] = cv.to_dict()
        print(text("saved.results", args.lang, path=_write_json(payload, args.json)))
        written.append(f"--json {args.json}")
    figures: list[Path] = []
    why = diagnostics_note(result, args.lang) if args.plot or args.report else None  # no diagnostics drawn
    if args.plot:
        figures = fit_figures(data, result, args.plot, args.lang)
        for path in figures:
            print(text("saved.figure", args.lang, path=path))
        written.append(f"--plot {args.plot}")
    if args.report:
        import tempfile

        with tempfile.TemporaryDirectory() as scratch:
            figures = figures or fit_figures(data, result, scratch, args.lang)
            page = summary if why is None else f"{summary}\n\n{text('note', args.lang, note=why)}"
            print(text("saved.report", args.lang, path=write_report(args, "fit", page, figures)))
        written.append(f"--report {args.report}")
    if why is not None:
        print(text("note", args.lang, note=why))


def _checkpointer(args: argparse.Namespace, group):
    """The :class:`Checkpointer` that --checkpoint, --checkpoint-every and --resume ask for, or None."""
    if not args.checkpoint and not args.resume:
        return None
    from slopefit.train.checkpoint import Checkpointer, parse_every

    if args.resume == "auto" and not args.checkpoint:
        raise UsageError("slopefit fit: --resume auto goes on from the --checkpoint file; give --checkpoint FILE too")
    steps, seconds = parse_every(args.checkpoint_every) if args.checkpoint else (None, None)
    return Checkpointer(args.checkpoint or args.resume, every_steps=steps, every_seconds=seconds,
                        resume=args.resume, group=group)


def _heldout(data, config, args: argparse.Namespace):
    """The held-out scores --cv or --test-size asks for (library ValueError -> UsageError)."""
    from slopefit.train.validation import cross_validate, holdout

    try:
        if args.cv is not None:
            return cross_validate(data, config, k=args.cv, seed=args.seed)
        return holdout(data, config, test_size=args.test_size, seed=args.seed)
    except SlopefitError:  # a fold's DataError or DivergenceError is a ValueError too: not a usage error
        raise
    except ValueError as exc:
        raise UsageError(f"slopefit fit: {exc}") from None


def _write_json(payload: dict, path: str) -> Path:
    """``payload`` as JSON in ``path``, written atomically (OutputError when it cannot be)."""
    import json

    from slopefit.atomic import atomic_path

    text = json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _rows_from_values(values: list[str], model) -> list[list]:
    """VALUE arguments -> rows of the model's width, or UsageError naming the bad value. With a
    design (categories, a formula) a row holds the table's columns, text for the text ones."""
    design = model.design
    columns = design.inputs if design is not None else model.feature_names
    text = set(design.text) if design is not None else set()
    d = len(columns)
    numbers: list = []
    for k, cell in enumerate(values):
        if columns[k % d] in text:
            numbers.append(cell)
            continue
        try:
            value = float(cell)
        except ValueError:
            raise UsageError(f"slopefit predict: {cell!r} is not a number; give numeric values"
                             + (f" ({columns[k % d]!r} is numeric)" if design is not None else "")) from None
        if not math.isfinite(value):
            raise UsageError(f"slopefit predict: {cell!r} is not a finite number; give finite values")
        numbers.append(value)
    if len(numbers) % d:
        raise UsageError(f"slopefit predict: {len(numbers)} values do not fill whole rows of {d} "
                         f"{'columns' if design is not None else 'features'} ({', '.join(columns)}); "
                         f"give a multiple of {d} values")
    return [numbers[i:i + d] for i in range(0, len(numbers), d)]


def _cell(value) -> str:
    return value if isinstance(value, str) else f"{value:.6g}"


def cmd_predict(args: argparse.Namespace) -> int:
    from slopefit.views.persistence import load_model

    model = load_model(args.model)
    if args.csv and args.values:
        raise UsageError("slopefit predict: give VALUES or --csv FILE, not both")
    from slopefit.train.convergence import is_converged

    gap = model.relative_gap
    design = model.design
    columns = design.inputs if design is not None else model.feature_names
    if args.csv and design is not None:
        from slopefit.data.prediction import read_columns

        X = read_columns(args.csv, columns, **reading_of(args))
    elif args.csv:
        from slopefit.data.prediction import read_features

        X = read_features(args.csv, model.feature_names, **reading_of(args)).tolist()
    elif args.values:
        X = _rows_from_values(args.values, model)
    else:
        raise UsageError(f"slopefit predict: give values to predict ({len(columns)} per row: "
                         f"{', '.join(columns)}) or --csv FILE")
    outside = model.outside_range(X, per_feature=True).tolist()  # (n_rows, n_features) of bool
    flagged = [any(row) for row in outside]
    if args.interval:
        if model.interval_reason:
            print(text("note", args.lang, note=model.interval_reason), file=sys.stderr)
        yhat, c_lo, c_hi, p_lo, p_hi = model.interval(X, level=args.level)
        pct = f"{100 * args.level:g}%"
        rows = []
        for i, x in enumerate(X):
            rows.append([*(_cell(v) for v in x), f"{yhat[i]:.6g}", f"[{c_lo[i]:.6g}, {c_hi[i]:.6g}]",
                         f"[{p_lo[i]:.6g}, {p_hi[i]:.6g}]"])
            if any(flagged):
                rows[-1].append(text("predict.extrapolation", args.lang) if flagged[i] else "")
        header = [*columns, model.target_name, text("predict.confidence", args.lang, level=pct),
                  text("predict.prediction", args.lang, level=pct)]
        print(table(header + ([text("predict.range", args.lang)] if any(flagged) else []), rows))
    else:
        for value in model.predict(X):
            print(f"{value:.10g}")
    if gap is not None and not is_converged(gap):  # the file keeps the descent's line, not least squares'
        sys.stdout.flush()  # the note follows the rows it is about
        print(text("predict.unconverged", args.lang, model=Path(args.model).name, gap=f"{gap:.2g}"), file=sys.stderr)
    if any(flagged) and model.feature_min is not None and model.feature_max is not None:
        sys.stdout.flush()  # the note follows the rows it is about
        j = next(j for j in range(model.n_features) if any(row[j] for row in outside))
        print(text("predict.outside", args.lang, rows=count(sum(flagged), "row", args.lang),
                   name=model.feature_names[j], low=f"{model.feature_min[j]:g}", high=f"{model.feature_max[j]:g}"),
              file=sys.stderr)
    return EXIT_OK
