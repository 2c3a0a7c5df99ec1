"""The ``slopefit`` command: argv -> library calls -> printed tables.

The only module that prints or decides exit codes. A user error is one line on stderr and
exit 2 (usage) or 1 (data or run failure), never a traceback; Ctrl-C exits 130. torch,
pandas, matplotlib and scikit-learn are imported only inside the commands that need them,
so ``slopefit --help`` is fast.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from slopefit.errors import ConfigError, SlopefitError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader closed


class UsageError(Exception):
    """Raised instead of argparse's print-usage-and-exit, so that main() prints one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def default_lang() -> str:
    """``ko`` when the locale is Korean, else ``en``."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


# --- commands -----------------------------------------------------------------------------


def cmd_datasets(args: argparse.Namespace) -> int:
    from slopefit.datasets import builtin, builtin_names

    rows = []
    for name in builtin_names():
        ds = builtin(name)
        rows.append((name, str(ds.n_samples), f"{', '.join(ds.feature_names)} -> {ds.target_name}",
                     ds.description[args.lang]))
    print(_table(("name", "rows", "columns", "description"), rows))
    print("\nAlso: synthetic[:n=ROWS,d=FEATURES,noise=SD,seed=INT,offset=X], or a path to a CSV/Parquet file.")
    return EXIT_OK


def cmd_lesson(args: argparse.Namespace) -> int:
    from slopefit.lesson import run_lesson, save_figures

    lesson = run_lesson(args.lang)
    for section in lesson.sections:
        print(f"\n== {section.title} ==")
        print("\n".join(section.lines))
    paths = save_figures(lesson, args.out)
    print(f"\n{'그림을 저장했습니다' if args.lang == 'ko' else 'Figures saved'} ({len(paths)}):")
    for path in paths:
        print(f"  {path}")
    if args.report:
        from slopefit.report import Section, write_report

        sections = [Section(s.title, "\n".join(s.lines)) for s in lesson.sections]
        sections.append(Section("그림" if args.lang == "ko" else "Figures", images=paths))
        title = ("slopefit: 파이토치 선형 회귀 수업" if args.lang == "ko"
                 else "slopefit: the PyTorch linear-regression lesson")
        print(f"report saved to {write_report(args.report, title=title, sections=sections, lang=args.lang)}")
    return EXIT_OK


class _Tee:
    """stdout that also keeps what was printed, for the HTML report."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def text(self) -> str:
        return "".join(self.parts)


def _report_of(args: argparse.Namespace, command: str, text: str, images: Sequence[Path]) -> Path:
    from slopefit.report import Section, write_report

    settings = {k: v for k, v in vars(args).items() if k not in ("handler", "report") and v not in (None, False)}
    title = f"slopefit {command}: {args.data}"
    return write_report(args.report, title=title, settings=settings, lang=args.lang,
                        sections=[Section("결과" if args.lang == "ko" else "Result", text),
                                  Section("그림" if args.lang == "ko" else "Figures", images=images)])


def _config_from(args: argparse.Namespace, optimizer: str, lr: float, options: dict):
    from slopefit.config import TrainConfig

    return TrainConfig(optimizer=optimizer, lr=lr, epochs=args.epochs, options=options,
                       batch_size=args.batch_size, scaling=args.scale, fit_intercept=not args.no_intercept,
                       log_every=args.log_every, tol=args.tol, seed=args.seed, dtype=args.dtype,
                       stop_gap=getattr(args, "stop_gap", None),
                       engine=args.engine, device=args.device)


STREAM_BYTES = 1 << 30  # files larger than this are read in chunks even without --stream


def _load(args: argparse.Namespace):
    """The data named on the command line: a Dataset in memory, or a TableSource read in chunks
    (with --stream, or for files over 1 GiB)."""
    from slopefit.datasets import load_dataset

    path = Path(args.data)
    if args.stream or (path.is_file() and path.stat().st_size > STREAM_BYTES):
        from slopefit.tables import open_table

        return open_table(path, x=args.x, y=args.y, chunk_rows=args.chunk_rows)
    return load_dataset(args.data, x=args.x, y=args.y)


def _plot_sample(data, limit: int = 20_000):
    """In-memory rows to draw: the data itself, or the first rows of a file read in chunks."""
    from slopefit.datasets import Dataset

    if isinstance(data, Dataset):
        return data
    X, y = next(iter(data.chunks()))
    return Dataset(X=X[:limit], y=y[:limit], feature_names=data.feature_names, target_name=data.target_name,
                   name=f"{data.name}, first {min(limit, len(y))} rows")


def _warn_if_unstable(stats, config) -> None:
    """One line on stderr before training when full-batch sgd's lr is past the stable bound."""
    from slopefit.advise import describe_bound, stable_bound

    if config.batch_size is not None:
        return
    lam_max = 2.0 / stats.lr_bound(stats.scaler(config.scaling, fit_intercept=config.fit_intercept),
                                   fit_intercept=config.fit_intercept)
    bound = stable_bound(lam_max, config.optimizer, config.options)
    if bound is not None and config.lr >= bound:
        print(f"warning: lr={config.lr:g} is above the stable bound {bound:.4g} of full-batch "
              f"{config.optimizer} on this data ({describe_bound(config.optimizer, config.options)}, "
              f"λmax={lam_max:.4g}); expect divergence (see slopefit advise)", file=sys.stderr)


def cmd_advise(args: argparse.Namespace) -> int:
    from slopefit.advise import advise
    from slopefit.config import TrainConfig
    from slopefit.preparation import gather_stats
    from slopefit.training import fit

    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise ConfigError(f"learning rate must be a positive number, got lr={args.lr}")
    if not (math.isfinite(args.tol) and 0 < args.tol < 1):
        raise ConfigError(f"--tol must be between 0 and 1 (a relative gap), got {args.tol}; try 1e-6")
    data = _load(args)
    stats = gather_stats(data)
    fit_intercept = not args.no_intercept
    adv = advise(stats, scaling=args.scale, fit_intercept=fit_intercept)
    lam = adv.eigenvalues
    shown = ", ".join(f"{v:.6g}" for v in (lam if len(lam) <= 8 else [*lam[:3], *lam[-3:]]))
    print(f"slopefit advise: {data.name} ({stats.n} rows, {stats.n_features} feature"
          f"{'s' if stats.n_features > 1 else ''}), scale={args.scale}")
    print(f"Hessian of the MSE, (2/N)·AᵀA with A = [X, 1], in scaled units: eigenvalues {shown}"
          + (" (smallest and largest three)" if len(lam) > 8 else ""))
    print("condition number λmax/λmin:  " + "   ".join(f"{k} {v:.4g}" for k, v in adv.condition.items()))
    rows = [("full-batch sgd", f"lr < {adv.lr_bound:.6g}", "2/λmax")]
    for beta in sorted({0.5, 0.9, *( [args.momentum] if args.momentum else [])}):
        rows.append((f"sgd, momentum {beta:g}", f"lr < {adv.momentum_bound(beta):.6g}", "2(1+β)/λmax"))
    rows.append(("fastest plain sgd", f"lr = {adv.best_lr:.6g}", f"2/(λmin+λmax); error × {adv.best_rate:.4g} "
                 "per epoch"))
    rows.append(("fastest heavy ball", f"lr = {adv.heavy_ball_lr:.6g}, momentum {adv.heavy_ball_momentum:.4g}",
                 f"error × {adv.heavy_ball_rate:.4g} per epoch"))
    print()
    print(_table(("stability and speed", "learning rate", "why"), rows))
    lr = args.lr if args.lr is not None else adv.best_lr
    momentum = args.momentum or 0.0
    config = TrainConfig(lr=lr, options={"momentum": momentum} if momentum else {}, epochs=args.max_epochs,
                         scaling=args.scale, fit_intercept=fit_intercept, stop_gap=args.tol, dtype="float64",
                         log_every=args.max_epochs, engine="stats")
    from slopefit.errors import DivergenceError

    # the gap at the start (every scaled parameter 0, as fit starts), from the quadratic
    q, theta_star, loss_star = stats.quadratic(stats.scaler(args.scale, fit_intercept=fit_intercept),
                                               fit_intercept=fit_intercept)
    start_gap = float(theta_star @ q @ theta_star)
    try:
        result = fit(data, config, stats=stats)
        measured = (f"{result.epochs_run}" if result.stop_reason == "gap"
                    else f"not reached in {args.max_epochs} epochs (gap {result.relative_gap:.3g})")
    except DivergenceError as exc:
        measured = f"diverged at epoch {exc.epoch}"
    scale = loss_star if loss_star > 1e-12 * stats.target_variance else stats.target_variance
    predicted = adv.predicted_epochs(lr, momentum=momentum, start_gap=start_gap, loss_star=scale, tol=args.tol)
    print(f"\nat lr={lr:.6g}{f', momentum {momentum:g}' if momentum else ''}: epochs to a relative gap of "
          f"{args.tol:g}, predicted from the rate {'never (unstable)' if math.isinf(predicted) else f'{predicted:.0f}'}"
          f", measured {measured}")
    return EXIT_OK


def cmd_step(args: argparse.Namespace) -> int:
    from slopefit.datasets import load_dataset
    from slopefit.trace import trace_steps

    data = load_dataset(args.data, x=args.x, y=args.y)
    steps, _ = trace_steps(data, steps=args.steps, lr=args.lr, scaling=args.scale, init=args.init, dtype=args.dtype)
    names = data.feature_names
    print(f"slopefit step: {data.name}, scale={args.scale}, start W = B = {args.init:g}, lr={args.lr:g}, {args.dtype}")
    print("Yp = X @ W + B;  loss = mean((Yp - Y)^2);  dL/dW = (2/N)·Σ(Yp - Y)·X;  dL/dB = (2/N)·Σ(Yp - Y)")
    for k, step in enumerate(steps, start=1):
        yp = ", ".join(f"{v:.4f}" for v in step.Yp[:8]) + (", ..." if len(step.Yp) > 8 else "")
        print(f"\n-- step {k} --")
        print(f"W = {_numbers(step.W)}, B = {step.B:.6g}")
        print(f"Yp = [{yp}]")
        print(f"loss = {step.loss:.4f}")
        rows = []
        for j, name in enumerate(names):
            rows.append((f"dL/dW[{name}]", f"{step.grad_W[j]:.6g}", f"{step.formula_W[j]:.6g}",
                         f"{step.grad_W[j] - step.formula_W[j]:.2g}",
                         f"{step.W[j]:.6g} - {args.lr:g}·({step.grad_W[j]:.6g}) = {step.W_next[j]:.6g}"))
        rows.append(("dL/dB", f"{step.grad_B:.6g}", f"{step.formula_B:.6g}", f"{step.grad_B - step.formula_B:.2g}",
                     f"{step.B:.6g} - {args.lr:g}·({step.grad_B:.6g}) = {step.B_next:.6g}"))
        print(_table(("", "autograd (.grad)", "formula", "difference", "update: new = old - lr·grad"), rows))
    return EXIT_OK


def cmd_fit(args: argparse.Namespace) -> int:
    from slopefit.progress import ProgressBar
    from slopefit.preparation import gather_stats
    from slopefit.training import fit

    options = _options(args.option)
    if args.momentum is not None:
        options["momentum"] = args.momentum
    config = _config_from(args, args.optimizer, args.lr, options)
    bar = ProgressBar()
    try:
        data = _load(args)
        stats = gather_stats(data, on_rows=bar.rows)
        _warn_if_unstable(stats, config)
        result = fit(data, config, callback=bar, stats=stats)
    except KeyboardInterrupt:
        bar.close()
        print(f"slopefit fit: interrupted at epoch {bar.last_epoch}; nothing was saved", file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    summary = _fit_summary(data, result)
    print(summary)
    if args.save:
        from slopefit.persistence import model_from_result, save_model

        print(f"\nmodel saved to {save_model(model_from_result(result), args.save)}")
    figures: list[Path] = []
    if args.plot:
        figures = _fit_figures(_plot_sample(data), result, Path(args.plot), args.lang)
        for path in figures:
            print(f"figure saved to {path}")
    if args.report:
        import tempfile

        with tempfile.TemporaryDirectory() as scratch:
            figures = figures or _fit_figures(_plot_sample(data), result, Path(scratch), args.lang)
            print(f"report saved to {_report_of(args, 'fit', summary, figures)}")
    return EXIT_OK


def cmd_predict(args: argparse.Namespace) -> int:
    import numpy as np

    from slopefit.persistence import load_model

    model = load_model(args.model)
    d = model.n_features
    if args.csv and args.values:
        raise UsageError("slopefit predict: give VALUES or --csv FILE, not both")
    if args.csv:
        from slopefit.datasets import read_features

        X = read_features(args.csv, model.feature_names)
    else:
        if not args.values:
            raise UsageError(f"slopefit predict: give values to predict ({d} per row: "
                             f"{', '.join(model.feature_names)}) or --csv FILE")
        numbers = []
        for text in args.values:
            try:
                value = float(text)
            except ValueError:
                raise UsageError(f"slopefit predict: {text!r} is not a number; give numeric values") from None
            if not math.isfinite(value):
                raise UsageError(f"slopefit predict: {text!r} is not a finite number; give finite values")
            numbers.append(value)
        if len(numbers) % d:
            raise UsageError(f"slopefit predict: {len(numbers)} values do not fill whole rows of {d} features "
                             f"({', '.join(model.feature_names)}); give a multiple of {d} values")
        X = np.array(numbers, dtype=np.float64).reshape(-1, d)  # (n_rows, n_features)
    outside = model.outside_range(X)
    if args.interval:
        yhat, c_lo, c_hi, p_lo, p_hi = model.interval(X, level=args.level)
        pct = f"{100 * args.level:g}%"
        rows = []
        for i in range(len(X)):
            rows.append([*(f"{v:.6g}" for v in X[i]), f"{yhat[i]:.6g}", f"[{c_lo[i]:.6g}, {c_hi[i]:.6g}]",
                         f"[{p_lo[i]:.6g}, {p_hi[i]:.6g}]"])
            if outside.any():
                rows[-1].append("extrapolation" if outside[i].any() else "")
        header = [*model.feature_names, model.target_name, f"{pct} confidence (mean)", f"{pct} prediction (new value)"]
        print(_table(header + ([""] if outside.any() else []), rows))
    else:
        for value in model.predict(X):
            print(f"{value:.10g}")
    if outside.any() and model.feature_min is not None and model.feature_max is not None:
        sys.stdout.flush()  # the note follows the rows it is about
        j = int(np.flatnonzero(outside.any(axis=0))[0])
        count = int(outside.any(axis=1).sum())
        print(f"note: {count} row{'s' if count > 1 else ''} outside the training range of "
              f"{model.feature_names[j]} ({model.feature_min[j]:g} to {model.feature_max[j]:g}): extrapolation, "
              "the line is only known where it was fitted", file=sys.stderr)
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    if not args.report:
        return _compare(args)
    tee = _Tee(sys.stdout)
    saved, sys.stdout = sys.stdout, tee
    try:
        code = _compare(args)
    finally:
        sys.stdout = saved
    text = tee.text()
    images = [Path(line.split("figure saved to ", 1)[1].strip()) for line in text.splitlines()
              if line.startswith("figure saved to ") and line.strip().endswith(".png")]
    print(f"report saved to {_report_of(args, 'compare', text, images)}")
    return code


def _compare(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from slopefit.errors import DivergenceError
    from slopefit.optimizers import parse_run
    from slopefit.preparation import gather_stats, reference_solution
    from slopefit.training import fit

    views = args.landscape or args.animate
    runs = []
    for text in args.run:
        name, raw = parse_run(text)
        lr_text = raw.pop("lr", args.lr)
        try:
            lr = float(lr_text)
        except ValueError:
            raise ConfigError(f"lr={lr_text!r} in run {text!r} is not a number") from None
        runs.append(replace(_config_from(args, name, lr, raw), record_params=views))
    data = _load(args)
    stats = gather_stats(data)  # one pass and one exact solve for every run
    if views and (stats.n_features != 1 or args.no_intercept):
        raise UsageError(f"slopefit compare: --landscape and --animate draw the loss over (W, B), so they need one "
                         f"feature and an intercept; {data.name} has {stats.n_features} features"
                         + (" and --no-intercept" if args.no_intercept else "") + "; pick one with --x")
    reference = reference_solution(data, fit_intercept=not args.no_intercept, stats=stats)
    rows, curves, results = [], [], []
    from slopefit.plotting import Curve

    for config in runs:
        try:
            result = fit(data, config, reference=reference, stats=stats)
            results.append(result)
        except DivergenceError as exc:
            rows.append((config.describe(), "-", "-", "-", f"{exc.epoch}", "-", f"diverged (lr bound {exc.bound:.3g})"))
            continue
        rows.append((config.describe(), f"{result.final_loss:.6g}", f"{result.loss_gap:.3g}",
                     f"{result.relative_gap:.3g}", str(result.epochs_run), f"{result.seconds:.3f}",
                     "converged" if result.relative_gap <= 1e-6 else "not converged"))
        curves.append(Curve(config.describe(), result.history.epochs, result.history.losses))
    print(f"slopefit compare: {data.name} ({stats.n} rows), scale={args.scale}, {args.epochs} epochs, "
          "same start (zeros) for every run\n")
    print(_table(("run", "final loss", "loss - loss*", "relative gap", "epochs", "seconds", "status"), rows))
    if curves:
        from slopefit.lesson import text
        from slopefit.plotting import plot_history

        path = plot_history(curves, Path(args.plot) / "compare_loss.png", xlabel=text("fig.epoch", args.lang),
                            ylabel=text("fig.loss_log", args.lang), title=f"{data.name}: " +
                            ("손실 곡선 비교" if args.lang == "ko" else "loss curves"), log_y=True)
        print(f"\nfigure saved to {path}")
    if results and views:
        for path in _landscape_views(data, stats, results, args):
            print(f"figure saved to {path}")
    return EXIT_OK if curves else EXIT_FAILURE


def _landscape_views(data, stats, results, args) -> list[Path]:
    """compare --landscape / --animate: the runs' paths over the MSE contours, still and moving."""
    import numpy as np

    from slopefit.lesson import text
    from slopefit.plotting import ParamPath, animate_paths, plot_landscape

    scaler = results[0].scaler
    q, theta_star, loss_star = stats.quadratic(scaler)

    def loss_fn(W, B):
        dw, db = W - theta_star[0], B - theta_star[1]
        return loss_star + q[0, 0] * dw * dw + 2 * q[0, 1] * dw * db + q[1, 1] * db * db

    paths = []
    for result in results:
        params = np.array(result.history.params)  # (n_records, 2): W, B in scaled units
        slopes = params[:, 0] / scaler.x_scale[0]
        intercepts = params[:, 1] + scaler.y_mean - scaler.x_mean[0] * slopes
        paths.append(ParamPath(result.config.describe(), result.history.epochs, params[:, 0].tolist(),
                               params[:, 1].tolist(), slopes.tolist(), intercepts.tolist()))
    ko = args.lang == "ko"
    unit = {"none": "", "center": (" (중심화)" if ko else " (centered)"),
            "standardize": (" (표준화)" if ko else " (standardized)")}[args.scale]
    labels = dict(xlabel="W" + unit, ylabel="B" + unit, min_label=text("fig.exact", args.lang))
    out = Path(args.plot)
    saved = []
    if args.landscape:
        saved.append(plot_landscape(loss_fn, paths, (theta_star[0], theta_star[1]), out / "landscape.png",
                                    title=f"{data.name}: " + ("손실 지형과 경로" if ko else "loss landscape and paths"),
                                    start_label="시작점" if ko else "start", **labels))
    if args.animate:
        sample = _plot_sample(data)
        saved.extend(animate_paths(sample.X[:, 0], sample.y, loss_fn, paths, (theta_star[0], theta_star[1]),
                                   out / "landscape.gif", out / "landscape.html",
                                   xlabel=data.feature_names[0], ylabel=data.target_name,
                                   wlabel=labels["xlabel"], blabel=labels["ylabel"], title=data.name,
                                   min_label=labels["min_label"], data_label=text("fig.data", args.lang),
                                   epoch_label=text("fig.epoch", args.lang)))
    return saved


def cmd_sweep(args: argparse.Namespace) -> int:
    import numpy as np

    from slopefit.progress import ProgressBar
    from slopefit.sweep import grid, sweep

    lrs = _values(args.lr, "--lr", log=True)
    momenta = _values(args.momentum, "--momentum", log=False) if args.momentum else [0.0]
    if any(v <= 0 for v in lrs):
        raise UsageError(f"slopefit sweep: --lr values must be > 0, got {args.lr!r}")
    base = _config_from(args, args.optimizer, lrs[0], _options(args.option))
    configs = grid(base, lrs, momenta)
    bar = ProgressBar()
    try:
        data = _load(args)
        result = sweep(data, configs, gap=args.gap, on_rows=bar.rows)
    except KeyboardInterrupt:
        bar.close()
        print("slopefit sweep: interrupted; nothing was saved", file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    second = "beta1" if args.optimizer in ("adam", "adamw") else "momentum"
    rows = []
    for k, config in enumerate(configs):
        m = momenta[k // len(lrs)]
        if result.diverged[k]:
            rows.append((f"{config.lr:.4g}", f"{m:g}", "-", "-", "-", f"diverged at epoch {result.diverged_at[k]}"))
            continue
        reached = result.epochs_to_gap[k]
        rows.append((f"{config.lr:.4g}", f"{m:g}", f"{result.final_loss[k]:.6g}", f"{result.relative_gap[k]:.3g}",
                     str(reached) if reached >= 0 else "-",
                     "converged" if result.relative_gap[k] <= args.gap else "not converged"))
    how = "one vectorised run" if result.vectorised else "one run at a time (not vectorised for this optimizer)"
    print(f"slopefit sweep: {data.name}, {args.optimizer}, {len(configs)} runs x {args.epochs} epochs in "
          f"{result.seconds:.3f} s ({how}); scale={args.scale}, {args.dtype}")
    print(f"stable lr for full-batch sgd: < {result.lr_bound:.4g} (2/λmax); with momentum m: < 2(1+m)/λmax")
    print()
    print(_table(("lr", second, "final loss", "relative gap", f"epochs to {args.gap:g}", "status"), rows))
    best = result.best()
    if best is not None:
        reached = result.epochs_to_gap[best]
        print(f"\nbest: {configs[best].describe()} (relative gap {result.relative_gap[best]:.3g}"
              + (f", reached {args.gap:g} at epoch {reached})" if reached >= 0 else ")"))
    from slopefit.advise import describe_bound, stable_bound
    from slopefit.plotting import plot_sweep

    gaps = np.where(result.diverged, np.nan, result.relative_gap).reshape(len(momenta), len(lrs))
    bounds = [stable_bound(result.lambda_max, args.optimizer, {**base.options, "momentum": m}) for m in momenta]
    theory = None if any(b is None for b in bounds) else [float(b) for b in bounds if b is not None]
    formula = describe_bound(args.optimizer, {**base.options, "momentum": 0.5}).split(",")[0]
    path = plot_sweep(lrs, momenta, gaps, Path(args.plot) / "sweep.png", xlabel="lr (learning rate)",
                      ylabel=second, title=f"{data.name}: {args.optimizer}, {args.epochs} epochs",
                      colorbar=("최종 상대 오차 (log10)" if args.lang == "ko" else "final relative gap (log10)"),
                      diverged_label=("발산" if args.lang == "ko" else "diverged"), boundary=theory,
                      boundary_label=("이론상 안정 한계" if args.lang == "ko" else "stability bound in theory")
                      + f": lr = {formula}")
    print(f"\nfigure saved to {path}")
    return EXIT_OK if best is not None else EXIT_FAILURE


def cmd_bench(args: argparse.Namespace) -> int:
    import json

    from slopefit.bench import check_methods, run_bench
    from slopefit.config import check_device

    check_device(args.device)
    skip = [m.strip() for item in args.skip or () for m in item.split(",") if m.strip()]
    check_methods(skip)
    print(f"slopefit bench: {args.n} rows x {args.d} float32 features, target: relative gap <= {args.gap:g} "
          f"to the float64 optimum; {args.dtype} on {args.device}", flush=True)

    def show(record) -> None:
        gap = "-" if record.rel_gap is None else f"{record.rel_gap:.2g}"
        epochs = record.epochs if record.epochs is not None else "-"
        print(f"  {record.method:<19} {record.seconds:9.3f} s   gap {gap:<8}  epochs {epochs}", flush=True)

    records = run_bench(args.n, args.d, skip=skip, gap=args.gap, dtype=args.dtype, device=args.device,
                        on_record=show)
    by_name = {r.method: r for r in records}
    floor = by_name.get("floor-gram")
    ours = by_name.get("slopefit-stats")
    rows = []
    for r in records:
        reached = "-" if r.rel_gap is None else ("yes" if r.rel_gap <= args.gap else "no")
        rows.append((r.method, f"{r.seconds:.3f}", "-" if r.rel_gap is None else f"{r.rel_gap:.2g}", reached,
                     "-" if r.epochs is None else str(r.epochs),
                     f"{r.seconds / floor.seconds:.1f}" if floor else "-",
                     f"{r.seconds / ours.seconds:.1f}" if ours else "-"))
    print()
    print(_table(("method", "seconds", "rel gap", f"<= {args.gap:g}", "epochs", "x floor-gram",
                  "x slopefit-stats"), rows))
    if args.json:
        from slopefit.atomic import atomic_path

        with atomic_path(args.json) as tmp:
            Path(tmp).write_text(json.dumps([r.to_dict() for r in records], indent=2) + "\n", encoding="utf-8")
        print(f"\nrecords saved to {args.json}")
    return EXIT_OK


# --- helpers ------------------------------------------------------------------------------


def _values(spec: str, flag: str, *, log: bool) -> list[float]:
    """``"A:B:N"`` -> N values from A to B (geometric for lr, even for momentum); else ``"a,b,c"``."""
    import numpy as np

    try:
        if ":" in spec:
            low, high, count = spec.split(":")
            n = int(count)
            if n < 1:
                raise ValueError
            if log:
                if float(low) <= 0 or float(high) <= 0:
                    raise UsageError(f"slopefit sweep: {flag} {spec!r} needs positive ends for a log-spaced range")
                return np.geomspace(float(low), float(high), n).tolist()
            return np.linspace(float(low), float(high), n).tolist()
        values = [float(v) for v in spec.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"slopefit sweep: {flag} {spec!r} must be START:STOP:COUNT (e.g. 1e-4:1:13) or a "
                         "comma list (e.g. 0,0.5,0.9)") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise UsageError(f"slopefit sweep: {flag} {spec!r} must list finite numbers")
    return values



def _options(items: Sequence[str] | None) -> dict[str, str]:
    options: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"slopefit: --option {item!r} must look like KEY=VALUE, e.g. --option nesterov=true")
        options[key.replace("-", "_")] = value
    return options


def _width(text: str) -> int:
    """Terminal columns of ``text``: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns with a rule under the header, aligned for wide (Korean) characters."""
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(str(c), w) for c, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(str(c), w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _fit_summary(data, result) -> str:
    cfg = result.config
    batch = "full batch" if cfg.batch_size is None or cfg.batch_size >= result.n_samples \
        else f"batch size {cfg.batch_size}"
    head = [
        f"slopefit fit: {data.name} ({result.n_samples} rows, {data.n_features} feature"
        f"{'s' if data.n_features > 1 else ''} -> {data.target_name})",
        f"settings: {cfg.describe()}, scale={cfg.scaling}, {batch}, {cfg.epochs} epochs, {cfg.dtype}, "
        f"{result.engine} engine on {cfg.device}",
        "",
    ]
    rows = [(name, f"{c:.10g}", f"{e:.10g}") for name, c, e in
            zip(data.feature_names, result.coef, result.exact.coef, strict=True)]
    if cfg.fit_intercept:
        rows.append(("intercept", f"{result.intercept:.10g}", f"{result.exact.intercept:.10g}"))
    rows.append(("loss (MSE)", f"{result.final_loss:.10g}", f"{result.exact.loss:.10g}"))
    stopped = {"tol": "tolerance reached", "gap": f"within --stop-gap {cfg.stop_gap} of the optimum",
               "epochs": "all epochs run"}[result.stop_reason]
    tail = [
        "",
        f"initial loss   {result.initial_loss:.10g}",
        f"final loss     {result.final_loss:.10g}",
        f"loss - loss*   {result.loss_gap:.3g}   (relative gap {result.relative_gap:.3g})",
        f"|theta - theta*| {result.param_distance:.3g}   (coefficients and intercept, original units)",
        f"scaled space   W = {_numbers(result.coef_scaled)}, B = {result.intercept_scaled:.10g}   "
        f"(what the optimizer saw, scale={cfg.scaling})",
        f"R^2            {result.r2:.6f}",
        f"epochs         {result.epochs_run} ({stopped})",
        f"time           {result.seconds:.3f} s",
    ]
    if result.relative_gap > 1e-6:
        if cfg.optimizer == "sgd" and cfg.lr >= result.lr_bound:
            advice = f"lr={cfg.lr:g} is at or above the stable bound {result.lr_bound:.3g} (2/λmax); lower --lr"
        else:
            advice = (f"consider more --epochs, a larger --lr (below the stable bound {result.lr_bound:.3g}) "
                      "or --momentum 0.9")
        tail.append(f"note: not converged to the exact optimum (relative gap > 1e-6); {advice}")
    return "\n".join(head + [_table(("", "gradient descent", "exact (least squares)"), rows)] + tail
                     + ["", _summary_table(result.summary())])


def _summary_table(summary) -> str:
    """The statsmodels-style block: coefficients with standard errors, t, p and intervals, then fit."""
    low = f"[{(1 - summary.level) / 2:.3g}"
    high = f"{1 - (1 - summary.level) / 2:.3g}]"
    rows = [(name, f"{c:.6g}", f"{se:.4g}", f"{t:.3f}", _p(p), f"{lo:.6g}", f"{hi:.6g}")
            for name, c, se, t, p, lo, hi in zip(summary.names, summary.coef, summary.std_err, summary.t,
                                                 summary.p_value, summary.ci_low, summary.ci_high, strict=True)]
    lines = [f"statistics of the fitted line (OLS, {summary.n} rows, {summary.dof_resid} residual dof):",
             _table(("", "coef", "std err", "t", "P>|t|", low, high), rows),
             f"R^2 {summary.r2:.6f}   adj. R^2 {summary.adj_r2:.6f}   residual std error {summary.sigma:.6g} "
             f"on {summary.dof_resid} dof",
             f"F-statistic {summary.f_stat:.6g} on {summary.dof_model} and {summary.dof_resid} dof, "
             f"p-value {_p(summary.f_p_value)}"]
    if summary.dof_resid <= 0:
        lines.append("note: as many parameters as rows: no residual degrees of freedom, no standard errors")
    return "\n".join(lines)


def _p(value: float) -> str:
    return "nan" if math.isnan(value) else ("<1e-16" if value < 1e-16 else f"{value:.4g}")


def _numbers(values) -> str:
    return "[" + ", ".join(f"{v:.10g}" for v in values) + "]"


def _fit_figures(data, result, out: Path, lang: str) -> list[Path]:
    from slopefit.lesson import text
    from slopefit.plotting import Curve, Line, plot_history, plot_lines, plot_predicted

    paths = [plot_history([Curve(result.config.describe(), result.history.epochs, result.history.losses)],
                          out / "loss.png", xlabel=text("fig.epoch", lang), ylabel=text("fig.loss_log", lang),
                          title=data.name, log_y=True)]
    if data.n_features == 1:
        paths.append(plot_lines(
            data.X[:, 0], data.y,
            [Line(text("fig.gd", lang), float(result.coef[0]), result.intercept, "-r"),
             Line(text("fig.exact", lang), float(result.exact.coef[0]), result.exact.intercept, "--k")],
            out / "fit.png", xlabel=data.feature_names[0], ylabel=data.target_name, title=data.name,
            data_label=text("fig.data", lang)))
    else:
        paths.append(plot_predicted(data.y, result.predict(data.X), out / "fit.png",
                                    xlabel=f"{data.target_name} ({text('fig.actual', lang)})",
                                    ylabel=f"{data.target_name} ({text('fig.predicted', lang)})",
                                    title=data.name))
    return paths


# --- parser -------------------------------------------------------------------------------


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1, e.g. 0.95")
    return value


def _positive_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _add_training_options(p: argparse.ArgumentParser, *, epochs: int) -> None:
    p.add_argument("data", metavar="DATA", help="built-in name (see 'slopefit datasets'), synthetic[:...], "
                   "or a CSV/Parquet file")
    p.add_argument("--x", nargs="+", metavar="COL", help="feature columns (default: all but the target)")
    p.add_argument("--y", metavar="COL", help="target column (default: the last column)")
    p.add_argument("--epochs", type=_positive_int, default=epochs, help=f"epochs (default {epochs})")
    p.add_argument("--batch-size", type=_positive_int, default=None,
                   help="minibatch size (default: full batch; 1 = one random row per step)")
    p.add_argument("--scale", choices=("none", "center", "standardize"), default="standardize",
                   help="scaling before training (default standardize; the lesson uses center)")
    p.add_argument("--log-every", type=_positive_int, default=1, help="record the loss every N epochs")
    p.add_argument("--tol", type=float, default=None, help="stop when the loss changes by <= tol*loss in an epoch")
    p.add_argument("--seed", type=int, default=0, help="seed of the minibatch shuffle (default 0)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="training precision")
    p.add_argument("--no-intercept", action="store_true", help="fit a line through the origin (no B)")
    p.add_argument("--lang", choices=("ko", "en"), default=default_lang(), help="language of figure labels")
    _add_engine_options(p)
    p.add_argument("--stream", action="store_true",
                   help="read a CSV/Parquet file in chunks, never whole (automatic for files over 1 GiB)")
    p.add_argument("--chunk-rows", type=_positive_int, default=262_144, help="rows per chunk when streaming")


def _add_engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=("auto", "data", "stats"), default="auto",
                   help="stats: full-batch loss from one pass of sufficient statistics, O(D^2) an epoch; "
                        "data: the loss on the rows; auto (default): stats unless --batch-size")
    p.add_argument("--device", choices=("cpu", "cuda", "mps"), default="cpu", help="torch device (default cpu)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="slopefit", description="Linear regression by gradient descent on PyTorch, "
                     "checked against the exact least-squares answer.")
    from slopefit import __version__

    parser.add_argument("--version", action="version", version=f"slopefit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("lesson", help="replay the PyTorch linear-regression lesson with its figures")
    p.add_argument("--lang", choices=("ko", "en"), default=default_lang(), help="language (default: from locale)")
    p.add_argument("--out", default="figures", metavar="DIR", help="where to save figures (default ./figures)")
    p.add_argument("--report", metavar="FILE.html", help="also write one self-contained HTML page")
    p.set_defaults(handler=cmd_lesson)

    p = sub.add_parser("fit", help="fit a line by gradient descent and compare it with the exact answer")
    _add_training_options(p, epochs=1000)
    p.add_argument("--optimizer", default="sgd", help="sgd, adam, adamw, rmsprop, adagrad or lbfgs (default sgd)")
    p.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    p.add_argument("--momentum", type=float, default=None, help="momentum (sgd, rmsprop)")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="another optimizer option, e.g. nesterov=true, betas=0.9,0.99 (repeatable)")
    p.add_argument("--stop-gap", type=float, default=None, metavar="GAP",
                   help="stop once the relative gap to the exact optimum is <= GAP, e.g. 1e-6")
    p.add_argument("--save", metavar="MODEL.json", help="save the fitted model as JSON")
    p.add_argument("--plot", metavar="DIR", help="save loss.png and fit.png in DIR")
    p.add_argument("--report", metavar="FILE.html", help="also write one self-contained HTML page")
    p.set_defaults(handler=cmd_fit)

    p = sub.add_parser("predict", help="predict with a saved model")
    p.add_argument("model", metavar="MODEL.json")
    p.add_argument("values", nargs="*", metavar="VALUE", help="feature values, filling rows of the model's width")
    p.add_argument("--csv", metavar="FILE", help="predict every row of a CSV/Parquet file")
    p.add_argument("--interval", action="store_true",
                   help="also print confidence (mean) and prediction (new value) intervals, and flag extrapolation")
    p.add_argument("--level", type=_level, default=0.95, help="confidence level of --interval (default 0.95)")
    p.set_defaults(handler=cmd_predict)

    p = sub.add_parser("compare", help="train several optimizers from the same start and plot their losses")
    _add_training_options(p, epochs=200)
    p.add_argument("--run", action="append", required=True, metavar='"NAME key=value ..."',
                   help='a run, e.g. "sgd lr=0.01 momentum=0.9" (repeatable)')
    p.add_argument("--lr", type=float, default=0.01, help="learning rate of runs that do not set lr=")
    p.add_argument("--plot", default="figures", metavar="DIR", help="where compare_loss.png goes (default ./figures)")
    p.add_argument("--landscape", action="store_true",
                   help="also draw the MSE contours over (W, B) with every run's path (one-feature data)")
    p.add_argument("--animate", action="store_true",
                   help="also save landscape.gif and landscape.html: the lines moving over the data and the paths")
    p.add_argument("--report", metavar="FILE.html", help="also write one self-contained HTML page")
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser("sweep", help="train a grid of lr x momentum settings in one vectorised run")
    _add_training_options(p, epochs=200)
    p.add_argument("--optimizer", default="sgd", help="sgd, adam or adamw run vectorised; others one by one")
    p.add_argument("--lr", default="1e-4:1:13", metavar="START:STOP:COUNT|a,b,..",
                   help="learning rates: COUNT log-spaced values, or a list (default 1e-4:1:13)")
    p.add_argument("--momentum", default="0,0.5,0.9", metavar="a,b,..|START:STOP:COUNT",
                   help="momentum values (beta1 for adam/adamw) (default 0,0.5,0.9)")
    p.add_argument("--option", action="append", metavar="KEY=VALUE", help="another optimizer option (repeatable)")
    p.add_argument("--gap", type=float, default=1e-6, help="relative gap counted as converged (default 1e-6)")
    p.add_argument("--plot", default="figures", metavar="DIR", help="where sweep.png goes (default ./figures)")
    p.set_defaults(handler=cmd_sweep)

    p = sub.add_parser("bench", help="time slopefit against scikit-learn and a plain torch loop on the same data")
    p.add_argument("--n", type=_positive_int, default=1_000_000, help="rows (default 1000000)")
    p.add_argument("--d", type=_positive_int, default=16, help="features (default 16)")
    p.add_argument("--gap", type=float, default=1e-6, help="relative gap every method aims for (default 1e-6)")
    p.add_argument("--skip", action="append", metavar="METHOD", help="leave a method out (repeatable or a,b)")
    p.add_argument("--json", metavar="FILE", help="write the records as a JSON list")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="training precision")
    p.add_argument("--device", choices=("cpu", "cuda", "mps"), default="cpu", help="torch device (default cpu)")
    p.set_defaults(handler=cmd_bench)

    p = sub.add_parser("advise", help="eigenvalues, condition numbers and stable learning rates of the data's MSE")
    p.add_argument("data", metavar="DATA", help="built-in name, synthetic[:...], or a CSV/Parquet file")
    p.add_argument("--x", nargs="+", metavar="COL")
    p.add_argument("--y", metavar="COL")
    p.add_argument("--scale", choices=("none", "center", "standardize"), default="standardize")
    p.add_argument("--lr", type=float, default=None, help="lr of the measured run (default: the fastest plain lr)")
    p.add_argument("--momentum", type=float, default=None, help="momentum of the measured run")
    p.add_argument("--tol", type=float, default=1e-6, help="relative gap to reach (default 1e-6)")
    p.add_argument("--max-epochs", type=_positive_int, default=100_000, help="budget of the measured run")
    p.add_argument("--no-intercept", action="store_true")
    p.add_argument("--stream", action="store_true", help="read a file in chunks")
    p.add_argument("--chunk-rows", type=_positive_int, default=262_144)
    p.set_defaults(handler=cmd_advise)

    p = sub.add_parser("step", help="a few gradient-descent steps printed in full: Yp, loss, gradients, updates")
    p.add_argument("data", metavar="DATA", help="built-in name, synthetic[:...], or a CSV/Parquet file")
    p.add_argument("--x", nargs="+", metavar="COL")
    p.add_argument("--y", metavar="COL")
    p.add_argument("--steps", type=_positive_int, default=3, help="steps to print (default 3)")
    p.add_argument("--lr", type=float, default=0.001, help="learning rate (default 0.001, as the lesson)")
    p.add_argument("--scale", choices=("none", "center", "standardize"), default="center",
                   help="scaling (default center, as the lesson)")
    p.add_argument("--init", type=float, default=1.0, help="start value of W and B (default 1, as the lesson)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.set_defaults(handler=cmd_step)

    p = sub.add_parser("datasets", help="list the built-in data")
    p.add_argument("--lang", choices=("ko", "en"), default=default_lang())
    p.set_defaults(handler=cmd_datasets)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    try:
        args = build_parser().parse_args(argv)
        if args.handler not in (cmd_predict, cmd_datasets):  # the commands that train import torch first
            _import_torch()
        return int(args.handler(args))
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"slopefit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SlopefitError as exc:
        print(f"slopefit: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("slopefit: interrupted; nothing was saved", file=sys.stderr)
        return EXIT_INTERRUPTED
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
    if code == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
