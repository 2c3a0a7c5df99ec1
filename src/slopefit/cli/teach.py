"""The teaching commands: ``lesson`` (the seed lesson replayed), ``step`` (a few updates in
full), ``advise`` (what the curvature says about the learning rate) and ``datasets``."""

from __future__ import annotations

import argparse
import math

from slopefit.cli.arguments import (
    add_data_options,
    add_penalty_options,
    add_stream_options,
    default_lang,
    load,
    penalty_of,
    positive_int,
    reading_of,
)
from slopefit.errors import ConfigError
from slopefit.views.tables import numbers, table

EXIT_OK = 0


def add_parsers(sub) -> None:
    p = sub.add_parser("lesson", help="replay the PyTorch linear-regression lesson with its figures")
    p.add_argument("--lang", choices=("ko", "en"), default=default_lang(), help="language (default: from locale)")
    p.add_argument("--out", default="figures", metavar="DIR", help="where to save figures (default ./figures)")
    p.add_argument("--report", metavar="FILE.html", help="also write one self-contained HTML page")
    p.add_argument("--part", choices=("notebook", "categories", "all"), default="notebook",
                   help="notebook (default): the lesson as the notebook has it; categories: exercise 3, a text "
                        "column and a formula on the Grunfeld data (no figures); all: both")
    p.set_defaults(handler=cmd_lesson)

    p = sub.add_parser("advise", help="eigenvalues, condition numbers and stable learning rates of the data's MSE")
    add_data_options(p)
    p.add_argument("--scale", choices=("none", "center", "standardize"), default="standardize")
    p.add_argument("--lr", type=float, default=None, help="lr of the measured run (default: the fastest plain lr)")
    p.add_argument("--momentum", type=float, default=None, help="momentum of the measured run")
    p.add_argument("--tol", type=float, default=1e-6, help="relative gap to reach (default 1e-6)")
    p.add_argument("--max-epochs", type=positive_int, default=100_000, help="budget of the measured run")
    p.add_argument("--no-intercept", action="store_true")
    add_penalty_options(p)
    add_stream_options(p)
    p.set_defaults(handler=cmd_advise)

    p = sub.add_parser("step", help="a few gradient-descent steps printed in full: Yp, loss, gradients, updates")
    add_data_options(p)
    p.add_argument("--steps", type=positive_int, default=3, help="steps to print (default 3)")
    p.add_argument("--lr", type=float, default=0.001, help="learning rate (default 0.001, as the lesson)")
    p.add_argument("--scale", choices=("none", "center", "standardize"), default="center",
                   help="scaling (default center, as the lesson)")
    p.add_argument("--init", type=float, default=1.0, help="start value of W and B (default 1, as the lesson)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.set_defaults(handler=cmd_step)

    p = sub.add_parser("datasets", help="list the built-in data")
    p.add_argument("--lang", choices=("ko", "en"), default=default_lang())
    p.set_defaults(handler=cmd_datasets, needs_torch=False)


def cmd_datasets(args: argparse.Namespace) -> int:
    from slopefit.data.datasets import builtin_names
    from slopefit.data.sources import builtin

    rows = []
    for name in builtin_names():
        ds = builtin(name)
        columns = ds.design.inputs if ds.design is not None else ds.feature_names  # a text column, not its indicators
        rows.append((name, str(ds.n_samples), f"{', '.join(columns)} -> {ds.target_name}",
                     ds.description[args.lang]))
    print(table(("name", "rows", "columns", "description"), rows))
    print("\nAlso: synthetic[:n=ROWS,d=FEATURES,noise=SD,seed=INT,offset=X], or a path to a CSV/Parquet file.")
    return EXIT_OK


def cmd_lesson(args: argparse.Namespace) -> int:
    from slopefit.teach.lesson import run_lesson, save_figures
    from slopefit.texts import text

    shown: list = []
    if args.part != "categories":
        lesson = run_lesson(args.lang)
        shown += lesson.sections
    if args.part != "notebook":
        from slopefit.teach.lesson import run_categories

        shown.append(run_categories(args.lang))
    for section in shown:
        print(f"\n== {section.title} ==")
        print("\n".join(section.lines))
    paths = save_figures(lesson, args.out) if args.part != "categories" else []
    if paths:
        print(f"\n{text('lesson.saved', args.lang)} ({len(paths)}):")
    for path in paths:
        print(f"  {path}")
    if args.report:
        from slopefit.views.report import Section, write_report

        sections = [Section(s.title, "\n".join(s.lines)) for s in shown]
        sections.append(Section(text("report.figures", args.lang), images=paths))
        page = write_report(args.report, title=text("report.lesson.title", args.lang), sections=sections,
                            lang=args.lang)
        print(f"report saved to {page}")
    return EXIT_OK


def cmd_advise(args: argparse.Namespace) -> int:
    from slopefit.solve.advise import advise
    from slopefit.solve.preparation import gather_stats
    from slopefit.teach.advise import predict_and_measure

    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise ConfigError(f"learning rate must be a positive number, got lr={args.lr}")
    if not (math.isfinite(args.tol) and 0 < args.tol < 1):
        raise ConfigError(f"--tol must be between 0 and 1 (a relative gap), got {args.tol}; try 1e-6")
    if args.momentum is not None and not 0 <= args.momentum < 1:
        raise ConfigError(f"--momentum must be in [0, 1), got {args.momentum:g}; try 0.9")
    penalty = penalty_of(args)
    data = load(args)
    stats = gather_stats(data)
    fit_intercept = not args.no_intercept
    adv = advise(stats, scaling=args.scale, fit_intercept=fit_intercept, penalty=penalty)
    lr = args.lr if args.lr is not None else adv.best_lr
    run = predict_and_measure(data, stats, adv, lr=lr, momentum=args.momentum or 0.0, tol=args.tol,
                              max_epochs=args.max_epochs, fit_intercept=fit_intercept, penalty=penalty)
    lam = adv.eigenvalues
    shown = ", ".join(f"{v:.6g}" for v in (lam if len(lam) <= 8 else [*lam[:3], *lam[-3:]]))
    print(f"slopefit advise: {data.name} ({stats.n} rows, {stats.n_features} feature"
          f"{'s' if stats.n_features > 1 else ''}), scale={args.scale}")
    if penalty is not None:
        print(f"penalty: {penalty.describe()}; the objective is {penalty.objective()}, its smooth part's Hessian "
              "below (a ridge part adds 2·l2/s² to the diagonal; an L1 part adds no curvature)")
    if getattr(data, "weights", None) is not None:
        print(f"weights: column {data.weights_name!r} (weighted MSE, N = sum of the weights)")
    print(f"Hessian of the MSE, (2/N)·AᵀA with A = [X, 1], in scaled units: eigenvalues {shown}"
          + (" (smallest and largest three)" if len(lam) > 8 else ""))
    print("condition number λmax/λmin:  " + "   ".join(f"{k} {v:.4g}" for k, v in adv.condition.items()))
    rows = [("full-batch sgd", f"lr < {adv.lr_bound:.6g}", "2/λmax")]
    for beta in sorted({0.5, 0.9, *([args.momentum] if args.momentum else [])}):
        rows.append((f"sgd, momentum {beta:g}", f"lr < {adv.momentum_bound(beta):.6g}", "2(1+β)/λmax"))
    rows.append(("fastest plain sgd", f"lr = {adv.best_lr:.6g}", f"2/(λmin+λmax); error × {adv.best_rate:.4g} "
                 "per epoch"))
    rows.append(("fastest heavy ball", f"lr = {adv.heavy_ball_lr:.6g}, momentum {adv.heavy_ball_momentum:.4g}",
                 f"error × {adv.heavy_ball_rate:.4g} per epoch"))
    print()
    print(table(("stability and speed", "learning rate", "why"), rows))
    if run.diverged_at is not None:
        measured = f"diverged at epoch {run.diverged_at}"
    elif run.epochs is not None:
        measured = f"{run.epochs}"
    else:
        measured = f"not reached in {run.max_epochs} epochs (gap {run.final_gap:.3g})"
    predicted = "never (unstable)" if math.isinf(run.predicted) else f"{run.predicted:.0f}"
    print(f"\nat lr={lr:.6g}{f', momentum {run.momentum:g}' if run.momentum else ''}: epochs to a relative gap of "
          f"{args.tol:g}, predicted from the rate {predicted}, measured {measured}")
    return EXIT_OK


def cmd_step(args: argparse.Namespace) -> int:
    from slopefit.data.sources import load_dataset
    from slopefit.teach.trace import trace_steps

    data = load_dataset(args.data, x=args.x, y=args.y, **reading_of(args), missing=args.missing)
    steps, _ = trace_steps(data, steps=args.steps, lr=args.lr, scaling=args.scale, init=args.init, dtype=args.dtype)
    print(f"slopefit step: {data.name}, scale={args.scale}, start W = B = {args.init:g}, lr={args.lr:g}, {args.dtype}")
    print("Yp = X @ W + B;  loss = mean((Yp - Y)^2);  dL/dW = (2/N)·Σ(Yp - Y)·X;  dL/dB = (2/N)·Σ(Yp - Y)")
    for k, step in enumerate(steps, start=1):
        yp = ", ".join(f"{v:.4f}" for v in step.Yp[:8]) + (", ..." if len(step.Yp) > 8 else "")
        print(f"\n-- step {k} --")
        print(f"W = {numbers(step.W)}, B = {step.B:.6g}")
        print(f"Yp = [{yp}]")
        print(f"loss = {step.loss:.4f}")
        rows = []
        for j, name in enumerate(data.feature_names):
            rows.append((f"dL/dW[{name}]", f"{step.grad_W[j]:.6g}", f"{step.formula_W[j]:.6g}",
                         f"{step.grad_W[j] - step.formula_W[j]:.2g}",
                         f"{step.W[j]:.6g} - {args.lr:g}·({step.grad_W[j]:.6g}) = {step.W_next[j]:.6g}"))
        rows.append(("dL/dB", f"{step.grad_B:.6g}", f"{step.formula_B:.6g}", f"{step.grad_B - step.formula_B:.2g}",
                     f"{step.B:.6g} - {args.lr:g}·({step.grad_B:.6g}) = {step.B_next:.6g}"))
        print(table(("", "autograd (.grad)", "formula", "difference", "update: new = old - lr·grad"), rows))
    return EXIT_OK
