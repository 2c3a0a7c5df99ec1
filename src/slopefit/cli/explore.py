"""``slopefit compare`` and ``slopefit sweep``: several runs on the same data, side by side."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from slopefit.cli.arguments import (
    UsageError,
    add_penalty_options,
    add_training_options,
    config_from,
    in_group,
    load,
    load_share,
    optimizer_options,
    write_report,
)
from slopefit.errors import ConfigError
from slopefit.texts import count, text
from slopefit.views.tables import table

EXIT_OK, EXIT_FAILURE, EXIT_INTERRUPTED = 0, 1, 130


def add_parsers(sub) -> None:
    p = sub.add_parser("compare", help="train several optimizers from the same start and plot their losses")
    add_training_options(p, epochs=200)
    add_penalty_options(p)
    p.add_argument("--run", "--add-run", action="append", required=True, metavar='"NAME key=value ..."',
                   help='a run, e.g. "sgd lr=0.01 momentum=0.9" (repeatable; under torchrun write --add-run, '
                        "since torchrun reads --run as its own --run-path)")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate of runs that do not set lr= (default: chosen from the data, as fit does)")
    p.add_argument("--plot", default="figures", metavar="DIR",
                   help="where compare_loss.png and compare_gap.png go (default ./figures)")
    p.add_argument("--landscape", action="store_true",
                   help="also draw the MSE contours over (W, B) with every run's path (one-feature data)")
    p.add_argument("--animate", action="store_true",
                   help="also save landscape.gif and landscape.html: the lines moving over the data and the paths")
    p.add_argument("--report", metavar="FILE.html", help="also write one self-contained HTML page")
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser("sweep", help="train a grid of lr x momentum settings in one vectorised run")
    add_training_options(p, epochs=200)
    add_penalty_options(p)
    p.add_argument("--optimizer", default="sgd", help="sgd, adam or adamw run vectorised; others one by one")
    p.add_argument("--lr", default="1e-4:1:13", metavar="START:STOP:COUNT|a,b,..",
                   help="learning rates: COUNT log-spaced values, or a list (default 1e-4:1:13)")
    p.add_argument("--momentum", default="0,0.5,0.9", metavar="a,b,..|START:STOP:COUNT",
                   help="momentum values (beta1 for adam/adamw) (default 0,0.5,0.9)")
    p.add_argument("--option", action="append", metavar="KEY=VALUE", help="another optimizer option (repeatable)")
    p.add_argument("--gap", type=float, default=1e-6, help="relative gap counted as converged (default 1e-6)")
    p.add_argument("--plot", default="figures", metavar="DIR", help="where sweep.png goes (default ./figures)")
    p.set_defaults(handler=cmd_sweep)


def cmd_compare(args: argparse.Namespace) -> int:
    return in_group(_compare, args)


def _compare(args: argparse.Namespace, group) -> int:
    from dataclasses import replace

    from slopefit.dist.shards import is_many
    from slopefit.errors import DivergenceError
    from slopefit.solve.advise import stable_bound
    from slopefit.solve.preparation import gather_stats
    from slopefit.train.optimizers import parse_run
    from slopefit.train.plan import plan_fit
    from slopefit.train.training import fit
    from slopefit.views.figures import compare_figures, landscape_figures

    views = args.landscape or args.animate
    runs = []
    for spec in args.run:
        name, raw = parse_run(spec)
        lr_text = raw.pop("lr", args.lr)
        try:
            lr = None if lr_text is None or lr_text == "auto" else float(lr_text)
        except ValueError:
            raise ConfigError(f"lr={lr_text!r} in run {spec!r} is not a number; give a number or lr=auto") from None
        runs.append(replace(config_from(args, name, lr, raw), record_params=views))
    shared = group is not None or is_many(args.data)
    if shared:  # this process's share; the statistics and optimum of every process's rows
        data, stats, reference, *_ = load_share(args, group, fit_intercept=not args.no_intercept)
    else:
        data = load(args)
        stats = gather_stats(data)  # one pass and one exact solve for every run
    if views and (stats.n_features != 1 or args.no_intercept):
        raise UsageError(f"slopefit compare: --landscape and --animate draw the loss over (W, B), so they need one "
                         f"feature and an intercept; {data.name} has {stats.n_features} features"
                         + (" and --no-intercept" if args.no_intercept else "") + "; pick one with --x")
    if not shared:
        first = replace(runs[0], fit_intercept=not args.no_intercept)  # a formula's "- 1" is known once loaded
        reference = plan_fit(data, first, stats=stats).ols  # least squares: shared by every run
    rows, results = [], []
    for config in runs:
        try:
            result = fit(data, config, reference=reference, stats=stats)
        except DivergenceError as exc:
            own = stable_bound(2.0 / exc.bound, config.optimizer, config.options) if exc.bound > 0 else None
            why = (text("compare.stable", args.lang, bound=f"{own:.4g}") if own is not None
                   else text("compare.no_bound", args.lang, optimizer=config.optimizer))
            rows.append((config.describe(), "-", "-", "-", f"{exc.epoch}", "-",
                         text("status.diverged.why", args.lang, why=why)))
            continue
        results.append(result)
        rows.append((result.config.describe(), f"{result.final_loss:.6g}", f"{result.loss_gap:.3g}",
                     f"{result.relative_gap:.3g}", str(result.epochs_run), f"{result.seconds:.3f}",
                     text("status.converged" if result.converged else "status.not_converged", args.lang)))
    if group is not None and not group.leader:
        return EXIT_OK if results else EXIT_FAILURE  # process 0 alone prints and writes
    budget = (text("fit.epochs.fixed", args.lang, epochs=args.epochs) if args.epochs else
              text("compare.budget", args.lang, epochs=args.epochs_with_lr))
    header = tuple(text(f"compare.{name}", args.lang) for name in ("run", "final", "gap", "rel", "epochs",
                                                                   "seconds", "status"))
    page = (text("compare.title", args.lang, name=data.name, rows=count(stats.n, "row", args.lang),
                 scaling=args.scale, budget=budget)
            + f"\n{_objective_line(runs[0].penalty, args.weights, args.lang)}\n" + table(header, rows))
    figures = []
    if results:
        figures += compare_figures(data.name, results, args.plot, args.lang)
        if views:
            figures += landscape_figures(data, stats, results, args.plot, args.lang, still=args.landscape,
                                         moving=args.animate)
    print(page)
    for k, path in enumerate(figures):
        print(("" if k else "\n") + text("saved.figure", args.lang, path=path))
    if args.report:
        page += "\n" + "\n".join(text("saved.figure", args.lang, path=path) for path in figures)
        images = [path for path in figures if path.suffix == ".png"]  # the animation has its own page
        print(text("saved.report", args.lang, path=write_report(args, "compare", page, images)))
    return EXIT_OK if results else EXIT_FAILURE


def _objective_line(penalty, weights: str | None, lang: str = "en") -> str:
    """What every run minimises, when not the MSE: ``"penalty: lasso alpha=0.1 (...)"``, the weights; else ""."""
    lines = []
    if penalty is not None:
        from slopefit.views.tables import SKLEARN_ESTIMATORS

        lines.append(text("compare.penalty", lang, penalty=penalty.describe(),
                          estimator=SKLEARN_ESTIMATORS[penalty.kind], objective=penalty.objective()) + "\n")
    if weights is not None:
        lines.append(text("fit.weights", lang, name=weights) + "\n")
    return "".join(lines)


def _values(spec: str, flag: str, *, log: bool) -> list[float]:
    """``"A:B:N"`` -> N values from A to B (geometric for lr, even for momentum); else ``"a,b,c"``."""
    from slopefit.train.sweep import value_range

    try:
        if ":" in spec:
            low, high, count = spec.split(":")
            n = int(count)
            if n < 1:
                raise ValueError
            if log and (float(low) <= 0 or float(high) <= 0):
                raise UsageError(f"slopefit sweep: {flag} {spec!r} needs positive ends for a log-spaced range")
            return value_range(float(low), float(high), n, log=log)
        values = [float(v) for v in spec.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"slopefit sweep: {flag} {spec!r} must be START:STOP:COUNT (e.g. 1e-4:1:13) or a "
                         "comma list (e.g. 0,0.5,0.9)") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise UsageError(f"slopefit sweep: {flag} {spec!r} must list finite numbers")
    return values


def cmd_sweep(args: argparse.Namespace) -> int:
    return in_group(_sweep, args)


def _sweep(args: argparse.Namespace, group) -> int:
    from slopefit.dist.shards import is_many
    from slopefit.train.sweep import grid, sweep
    from slopefit.train.training import intercept_of
    from slopefit.views.figures import sweep_figure
    from slopefit.views.progress import ProgressBar

    lrs = _values(args.lr, "--lr", log=True)
    momenta = _values(args.momentum, "--momentum", log=False) if args.momentum else [0.0]
    if any(v <= 0 for v in lrs):
        raise UsageError(f"slopefit sweep: --lr values must be > 0, got {args.lr!r}")
    if not (math.isfinite(args.gap) and args.gap > 0):
        raise UsageError(f"slopefit sweep: --gap must be a relative gap > 0, got {args.gap:g}; e.g. --gap 1e-6")
    base = config_from(args, args.optimizer, lrs[0], optimizer_options(args.option))
    configs = grid(base, lrs, momenta)
    bar = ProgressBar()
    try:
        if group is not None or is_many(args.data):  # shares: the statistics of every process's rows
            data, stats, reference, *_ = load_share(args, group, fit_intercept=base.fit_intercept, on_rows=bar.rows)
            result = sweep(data, configs, gap=args.gap, stats=stats, reference=reference)
        else:
            data = load(args)
            configs = [intercept_of(getattr(data, "design", None), c) for c in configs]  # a formula's "- 1"
            result = sweep(data, configs, gap=args.gap, on_rows=bar.rows)
    except KeyboardInterrupt:
        bar.close()
        print(text("sweep.interrupted", args.lang), file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    if group is not None and not group.leader:
        return EXIT_OK  # process 0 alone prints and writes
    second = "beta1" if args.optimizer in ("adam", "adamw") else "momentum"
    rows = []
    for k, config in enumerate(configs):
        m = momenta[k // len(lrs)]
        if result.diverged[k]:
            rows.append((f"{config.lr:.4g}", f"{m:g}", "-", "-", "-",
                         text("status.diverged.at", args.lang, epoch=result.diverged_at[k])))
            continue
        reached = result.epochs_to_gap[k]
        rows.append((f"{config.lr:.4g}", f"{m:g}", f"{result.final_loss[k]:.6g}", f"{result.relative_gap[k]:.3g}",
                     str(reached) if reached >= 0 else "-",
                     text("status.converged" if result.relative_gap[k] <= args.gap else "status.not_converged",
                          args.lang)))
    how = text("sweep.vectorised" if result.vectorised else "sweep.penalty" if base.penalty is not None
               else "sweep.one_by_one", args.lang)
    print(text("sweep.title", args.lang, name=data.name, optimizer=args.optimizer, runs=len(configs),
               epochs=base.budget, seconds=f"{result.seconds:.3f}", how=how, scaling=args.scale,
               dtype=base.resolved_dtype()))
    print(_objective_line(base.penalty, args.weights, args.lang), end="")
    print(text("sweep.bound", args.lang, bound=f"{result.lr_bound:.4g}"))
    print()
    header = ("lr", second, text("compare.final", args.lang), text("compare.rel", args.lang),
              text("sweep.epochs_to", args.lang, gap=f"{args.gap:g}"), text("compare.status", args.lang))
    print(table(header, rows))
    best = result.best()
    if best is not None:
        reached = result.epochs_to_gap[best]
        key = "sweep.best.reached" if reached >= 0 else "sweep.best"
        print("\n" + text(key, args.lang, run=configs[best].describe(), rel=f"{result.relative_gap[best]:.3g}",
                          gap=f"{args.gap:g}", epoch=reached))
    path = sweep_figure(result, lrs, momenta, Path(args.plot), args.lang,
                        title=f"{data.name}: {args.optimizer}, {base.budget} epochs")
    print("\n" + text("saved.figure", args.lang, path=path))
    return EXIT_OK if best is not None else EXIT_FAILURE
