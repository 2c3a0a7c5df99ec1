"""Text for the terminal: aligned tables (Hangul takes two columns), numbers, and the blocks
each command prints. Pure formatting: every number comes from a library result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from slopefit.texts import count, text, text_table


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns with a rule under the header, aligned for wide (Korean) characters."""
    return text_table(tuple(header), [tuple(r) for r in rows])


def numbers(values) -> str:
    """``[1.5, -2]``: a vector with ten significant digits."""
    return "[" + ", ".join(f"{v:.10g}" for v in values) + "]"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def heldout_table(cv, lang: str = "en") -> str:
    """The held-out scores of ``slopefit fit --cv/--test-size``: one row a fold, then mean ± sd."""
    def score(value: float, digits: str) -> str:
        return format(value, digits) if math.isfinite(value) else "n/a"

    title = (text("cv.title.kfold", lang, folds=cv.folds, seed=cv.seed) if cv.method == "kfold"
             else text("cv.title.split", lang, seed=cv.seed))
    rows = [[str(i + 1), str(cv.rows[i]), score(cv.r2[i], ".4f"), score(cv.rmse[i], ".6g"), score(cv.mae[i], ".6g")]
            for i in range(cv.folds)]
    if cv.folds > 1:
        rows.append([text("cv.mean", lang), "",
                     *(f"{score(cv.mean(name), digits)} ± {score(cv.sd(name), digits)}"
                       for name, digits in (("r2", ".4f"), ("rmse", ".6g"), ("mae", ".6g")))])
    header = [text("cv.fold", lang), text("cv.rows", lang), "R²", "RMSE", "MAE"]
    return "\n".join([title, table(header, rows), text("cv.note", lang)])


def _reading_line(data, result, passes: int, lang: str) -> str:
    """How a file was read: whole into pyarrow, in chunks, or whole into memory, and the passes over it."""
    over = text("fit.passes.many" if passes > 1 else "fit.passes.one", lang, passes=passes)
    if getattr(data, "table", None) is not None:
        return text("fit.read.arrow", lang, rows=result.n_samples, over=over)
    if hasattr(data, "chunk_rows"):
        return text("fit.read.chunks", lang, chunk=data.chunk_rows, rows=result.n_samples, over=over)
    return text("fit.read.whole", lang, rows=result.n_samples, over=over)


def _chosen_line(result, lang: str) -> str:
    """How an automatic run chose its step: the library's own line in English; in Korean, the step
    chosen (the optimizer's settings) and the rule that stops it."""
    if lang == "en":
        return text("fit.chosen", lang, reason=result.auto)
    return text("fit.chosen.ko", lang, run=result.config.describe())


def _head(data, result, *, passes: int | None, lang: str) -> list[str]:
    """The lines above the table: the data, the settings, how the file was read, the objective."""
    cfg = result.config
    full = cfg.batch_size is None or cfg.batch_size >= result.n_samples
    batch = text("fit.batch.full", lang) if full else text("fit.batch.size", lang, size=cfg.batch_size)
    budgeted = result.auto is not None and full  # an automatic run that stops once converged
    epochs = text("fit.epochs.budget" if budgeted else "fit.epochs.fixed", lang, epochs=cfg.epochs)
    head = [text("fit.title", lang, name=data.name, rows=result.n_samples,
                 features=count(data.n_features, "feature", lang), target=data.target_name),
            text("fit.settings", lang, run=cfg.describe(), scaling=cfg.scaling, batch=batch, epochs=epochs,
                 dtype=cfg.dtype, engine=result.engine, device=cfg.device)]
    if passes is not None:
        head.append(_reading_line(data, result, passes, lang))
    if cfg.penalty is not None:
        over = text("fit.penalty.weights" if result.weights_name else "fit.penalty.rows", lang)
        head.append(text("fit.penalty", lang, penalty=cfg.penalty.describe(),
                         estimator=SKLEARN_ESTIMATORS[cfg.penalty.kind],
                         objective=result.loss_label().split(" (", 1)[1][:-1], over=over))
    if result.weights_name:
        head.append(text("fit.weights", lang, name=result.weights_name))
    if result.auto:
        head.append(_chosen_line(result, lang))
    return head


def fit_report(data, result, *, passes: int | None = None, cov_type: str = "nonrobust", lang: str = "en") -> str:
    """What ``slopefit fit`` prints: settings, the line next to the exact one, the gap, the OLS block.

    ``passes``: the passes over the rows of a file (a line says how it was read), None to say nothing.
    ``cov_type``: the OLS block's covariance, "nonrobust" or "HC0" ... "HC3".
    ``lang``: "en" or "ko", the language of every heading and note (:mod:`slopefit.texts`).
    """
    from slopefit.errors import cli_words
    from slopefit.train.config import AUTO_RTOL
    from slopefit.train.convergence import CONVERGED_GAP
    from slopefit.train.messages import not_converged_advice

    cfg = result.config
    full = cfg.batch_size is None or cfg.batch_size >= result.n_samples
    budgeted = result.auto is not None and full
    head = [*_head(data, result, passes=passes, lang=lang), ""]
    rows = []
    names = [*data.feature_names, *([text("fit.intercept", lang)] if cfg.fit_intercept else [])]
    gd = [*result.coef, *([result.intercept] if cfg.fit_intercept else [])]
    ls = [*result.exact.coef, *([result.exact.intercept] if cfg.fit_intercept else [])]
    for name, c, e in zip(names, gd, ls, strict=True):
        rows.append((name, f"{c:.10g}", f"{e:.10g}", f"{abs(c - e) / abs(e):.2g}" if e else f"{abs(c - e):.2g}"))
    rows.append((result.loss_label(lang), f"{result.final_loss:.10g}", f"{result.exact.loss:.10g}", ""))
    stop = "budget" if result.stop_reason == "epochs" and budgeted else result.stop_reason
    stopped = text(f"fit.stop.{stop}", lang, gap=cfg.stop_gap, rtol=f"{AUTO_RTOL:g}")
    total = result.seconds_stats + result.seconds_exact + result.seconds
    tail = [
        "",
        text("fit.initial", lang, loss=f"{result.initial_loss:.10g}"),
        text("fit.final", lang, loss=f"{result.final_loss:.10g}"),
        text("fit.gap", lang, gap=f"{result.loss_gap:.3g}", rel=f"{result.relative_gap:.3g}"),
        text("fit.distance", lang, dist=f"{result.param_distance:.3g}"),
        text("fit.scaled", lang, w=numbers(result.coef_scaled), b=f"{result.intercept_scaled:.10g}",
             scaling=cfg.scaling),
        text("fit.r2", lang, r2=f"{result.r2:.6f}"),
        text("fit.epochs", lang, epochs=result.epochs_run, why=stopped),
        text("fit.time", lang, total=f"{total:.3f}", stats=f"{result.seconds_stats:.3f}",
             exact=f"{result.seconds_exact:.3f}", gd=f"{result.seconds:.3f}"),
    ]
    if not result.converged:
        advice = not_converged_advice(2.0 / result.lr_bound, cfg.optimizer, cfg.options, cfg.lr,
                                      automatic=result.auto is not None,
                                      batch_size=None if full else cfg.batch_size,
                                      penalty=cfg.penalty, scaling=cfg.scaling, kappa=result.condition, lang=lang)
        tail.append(text("fit.not_converged", lang, gap=f"{CONVERGED_GAP:g}", advice=cli_words(advice)))
    if cfg.penalty is not None:
        from slopefit.train.results import penalized_note

        inference = text("note", lang, note=penalized_note(cfg.penalty, lang))
    else:
        inference = result.summary(cov_type=cov_type).render(lang)
    header = ("", text("fit.gd", lang), result.exact_label(lang), text("fit.reldiff", lang))
    return "\n".join(head + [table(header, rows)] + tail + ["", inference])


# the scikit-learn estimator each penalty matches
SKLEARN_ESTIMATORS = {"ridge": "Ridge", "lasso": "Lasso", "elasticnet": "ElasticNet"}
