"""The teaching commands: ``lesson`` (the seed lesson replayed), ``step`` (a few updates in
full), ``advise`` (what the curvature says about the learning rate) and ``datasets``."""

from __future__ import annotations

import argparse
import math

from slopefit.cli.arguments import (
    add_data_options,
    add_lang_option,
    add_penalty_options,
    add_stream_options,
    default_lang,
    load,
    penalty_of,
    positive_int,
    reading_of,
)
from slopefit.errors import ConfigError
from slopefit.texts import count, text
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
    add_lang_option(p)
    p.set_defaults(handler=cmd_advise)

    p = sub.add_parser("step", help="a few gradient-descent steps printed in full: Yp, loss, gradients, updates")
    add_data_options(p)
    p.add_argument("--steps", type=positive_int, default=3, help="steps to print (default 3)")
    p.add_argument("--lr", type=float, default=0.001, help="learning rate (default 0.001, as the lesson)")
    p.add_argument("--scale", choices=("none", "center", "standardize"), default="center",
                   help="scaling (default center, as the lesson)")
    p.add_argument("--init", type=float, default=1.0, help="start value of W and B (default 1, as the lesson)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    add_lang_option(p)
    p.set_defaults(handler=cmd_step)

    p = sub.add_parser("datasets", help="list the built-in data")
    add_lang_option(p)
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
    print(table(tuple(text(f"datasets.{name}", args.lang) for name in ("name", "rows", "columns", "description")),
                rows))
    print("\n" + text("datasets.also", args.lang))
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
        print(text("saved.report", args.lang, path=page))
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
    _print_advice(args, data, stats, adv, run, lr, penalty)
    return EXIT_OK


def _print_advice(args: argparse.Namespace, data, stats, adv, run, lr: float, penalty) -> None:
    """What ``slopefit advise`` prints: the spectrum, the bounds and fastest settings, the measured run."""
    lang = args.lang
    lam = adv.eigenvalues
    shown = ", ".join(f"{v:.6g}" for v in (lam if len(lam) <= 8 else [*lam[:3], *lam[-3:]]))
    print(text("advise.title", lang, name=data.name, rows=count(stats.n, "row", lang),
               features=count(stats.n_features, "feature", lang), scaling=args.scale))
    if penalty is not None:
        print(text("advise.penalty", lang, penalty=penalty.describe(), objective=penalty.objective()))
    if getattr(data, "weights", None) is not None:
        print(text("advise.weights", lang, name=data.weights_name))
    print(text("advise.hessian", lang, values=shown) + (text("advise.ends", lang) if len(lam) > 8 else ""))
    print(text("advise.condition", lang) + "   ".join(f"{k} {v:.4g}" for k, v in adv.condition.items()))
    rows = [(text("advise.sgd", lang), f"lr < {adv.lr_bound:.6g}", "2/λmax")]
    for beta in sorted({0.5, 0.9, *([args.momentum] if args.momentum else [])}):
        rows.append((text("advise.momentum", lang, beta=f"{beta:g}"), f"lr < {adv.momentum_bound(beta):.6g}",
                     "2(1+β)/λmax"))
    rows.append((text("advise.fastest", lang), f"lr = {adv.best_lr:.6g}",
                 "2/(λmin+λmax); " + text("advise.rate", lang, rate=f"{adv.best_rate:.4g}")))
    rows.append((text("advise.heavy", lang), f"lr = {adv.heavy_ball_lr:.6g}, momentum {adv.heavy_ball_momentum:.4g}",
                 text("advise.rate", lang, rate=f"{adv.heavy_ball_rate:.4g}")))
    print()
    print(table(tuple(text(f"advise.{name}", lang) for name in ("stability", "lr", "why")), rows))
    if run.diverged_at is not None:
        measured = text("status.diverged.at", lang, epoch=run.diverged_at)
    elif run.epochs is not None:
        measured = f"{run.epochs}"
    else:
        measured = text("advise.not_reached", lang, epochs=run.max_epochs, gap=f"{run.final_gap:.3g}")
    predicted = text("advise.never", lang) if math.isinf(run.predicted) else f"{run.predicted:.0f}"
    run_text = f"lr={lr:.6g}" + (f", momentum {run.momentum:g}" if run.momentum else "")
    print("\n" + text("advise.measured", lang, run=run_text, tol=f"{args.tol:g}", predicted=predicted,
                      measured=measured))


def cmd_step(args: argparse.Namespace) -> int:
    from slopefit.data.sources import load_dataset
    from slopefit.teach.trace import trace_steps

    data = load_dataset(args.data, x=args.x, y=args.y, **reading_of(args), missing=args.missing)
    steps, _ = trace_steps(data, steps=args.steps, lr=args.lr, scaling=args.scale, init=args.init, dtype=args.dtype)
    lang = args.lang
    print(text("step.title", lang, name=data.name, scaling=args.scale, init=f"{args.init:g}", lr=f"{args.lr:g}",
               dtype=args.dtype))
    print("Yp = X @ W + B;  loss = mean((Yp - Y)^2);  dL/dW = (2/N)·Σ(Yp - Y)·X;  dL/dB = (2/N)·Σ(Yp - Y)")
    for k, step in enumerate(steps, start=1):
        yp = ", ".join(f"{v:.4f}" for v in step.Yp[:8]) + (", ..." if len(step.Yp) > 8 else "")
        print("\n" + text("step.heading", lang, k=k))
        print(f"W = {numbers(step.W)}, B = {step.B:.6g}")
        print(f"Yp = [{yp}]")
        print(f"{text('step.loss', lang)} = {step.loss:.4f}")
        rows = []
        for j, name in enumerate(data.feature_names):
            rows.append((f"dL/dW[{name}]", f"{step.grad_W[j]:.6g}", f"{step.formula_W[j]:.6g}",
                         f"{step.grad_W[j] - step.formula_W[j]:.2g}",
                         f"{step.W[j]:.6g} - {args.lr:g}·({step.grad_W[j]:.6g}) = {step.W_next[j]:.6g}"))
        rows.append(("dL/dB", f"{step.grad_B:.6g}", f"{step.formula_B:.6g}", f"{step.grad_B - step.formula_B:.2g}",
                     f"{step.B:.6g} - {args.lr:g}·({step.grad_B:.6g}) = {step.B_next:.6g}"))
        print(table(("", "autograd (.grad)", text("step.formula", lang), text("step.difference", lang),
                     text("step.update", lang)), rows))
    return EXIT_OK
