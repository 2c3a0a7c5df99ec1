"""Text for the terminal: aligned tables (Hangul takes two columns), numbers, and the blocks
each command prints. Pure formatting: every number comes from a library result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from slopefit.texts import text_table


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns with a rule under the header, aligned for wide (Korean) characters."""
    return text_table(tuple(header), [tuple(r) for r in rows])


def numbers(values) -> str:
    """``[1.5, -2]``: a vector with ten significant digits."""
    return "[" + ", ".join(f"{v:.10g}" for v in values) + "]"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def heldout_table(cv) -> str:
    """The held-out scores of ``slopefit fit --cv/--test-size``: one row a fold, then mean ± sd."""
    def score(value: float, digits: str) -> str:
        return format(value, digits) if math.isfinite(value) else "n/a"

    title = (f"held-out scores: {cv.folds}-fold cross-validation (seed {cv.seed})" if cv.method == "kfold"
             else f"held-out scores: one train/test split (seed {cv.seed})")
    rows = [[str(i + 1), str(cv.rows[i]), score(cv.r2[i], ".4f"), score(cv.rmse[i], ".6g"), score(cv.mae[i], ".6g")]
            for i in range(cv.folds)]
    if cv.folds > 1:
        rows.append(["mean ± sd", "",
                     *(f"{score(cv.mean(name), digits)} ± {score(cv.sd(name), digits)}"
                       for name, digits in (("r2", ".4f"), ("rmse", ".6g"), ("mae", ".6g")))])
    note = "the line above is fitted on all rows; each fold's on the rows it did not hold out"
    return "\n".join([title, table(["fold", "held-out rows", "R²", "RMSE", "MAE"], rows), note])


def fit_report(data, result, *, passes: int | None = None, cov_type: str = "nonrobust") -> str:
    """What ``slopefit fit`` prints: settings, the line next to the exact one, the gap, the OLS block.

    ``passes``: the passes over the rows of a file (a line says how it was read), None to say nothing.
    ``cov_type``: the OLS block's covariance, "nonrobust" or "HC0" ... "HC3".
    """
    from slopefit.errors import cli_words
    from slopefit.train.config import AUTO_RTOL
    from slopefit.train.convergence import CONVERGED_GAP
    from slopefit.train.messages import not_converged_advice

    cfg = result.config
    batch = "full batch" if cfg.batch_size is None or cfg.batch_size >= result.n_samples \
        else f"batch size {cfg.batch_size}"
    budgeted = result.auto is not None and batch == "full batch"  # an automatic run that stops once converged
    epochs = f"budget {cfg.epochs} epochs" if budgeted else f"{cfg.epochs} epochs"
    head = [
        f"slopefit fit: {data.name} ({result.n_samples} rows, {plural(data.n_features, 'feature')} -> "
        f"{data.target_name})",
        f"settings: {cfg.describe()}, scale={cfg.scaling}, {batch}, {epochs}, {cfg.dtype}, "
        f"{result.engine} engine on {cfg.device}",
    ]
    if passes is not None:
        why = "the statistics, then the residuals that refine the exact optimum" if passes > 1 else "the statistics"
        over = f"{passes} pass{'es' if passes != 1 else ''} ({why})"
        if getattr(data, "table", None) is not None:
            head.append(f"read whole into pyarrow's columns: {result.n_samples:,} rows held in memory, {over}; "
                        "a larger file is read in chunks instead")
        elif hasattr(data, "chunk_rows"):
            head.append(f"read in chunks of {data.chunk_rows:,} rows: {result.n_samples:,} rows, {over}, "
                        "not held in memory")
        else:
            head.append(f"read whole: {result.n_samples:,} rows held in memory, {over}")
    if cfg.penalty is not None:
        estimator = SKLEARN_ESTIMATORS[cfg.penalty.kind]
        head.append(f"penalty: {cfg.penalty.describe()} (scikit-learn's {estimator}); gradient "
                    f"descent minimises {result.loss_label().split(' (', 1)[1][:-1]}, N = "
                    f"{'the sum of the weights' if result.weights_name else 'rows'}, the intercept unpenalised")
    if result.weights_name:
        head.append(f"weights: column {result.weights_name!r} (weighted least squares; not a feature)")
    if result.auto:
        head.append(f"chosen: {result.auto} (give --lr to set the step yourself)")
    head.append("")
    rows = []
    names = [*data.feature_names, *(["intercept"] if cfg.fit_intercept else [])]
    gd = [*result.coef, *([result.intercept] if cfg.fit_intercept else [])]
    ls = [*result.exact.coef, *([result.exact.intercept] if cfg.fit_intercept else [])]
    for name, c, e in zip(names, gd, ls, strict=True):
        rows.append((name, f"{c:.10g}", f"{e:.10g}", f"{abs(c - e) / abs(e):.2g}" if e else f"{abs(c - e):.2g}"))
    rows.append((result.loss_label(), f"{result.final_loss:.10g}", f"{result.exact.loss:.10g}", ""))
    stopped = {"tol": "tolerance reached", "gap": f"within --stop-gap {cfg.stop_gap} of the optimum",
               "converged": f"every coefficient within {AUTO_RTOL:g} of the optimum",
               "epochs": "budget spent before converging" if budgeted else "all epochs run"}[result.stop_reason]
    total = result.seconds_stats + result.seconds_exact + result.seconds
    tail = [
        "",
        f"initial loss   {result.initial_loss:.10g}",
        f"final loss     {result.final_loss:.10g}",
        f"loss - loss*   {result.loss_gap:.3g}   (relative gap {result.relative_gap:.3g})",
        f"|theta - theta*| {result.param_distance:.3g}   (coefficients and intercept, original units)",
        f"scaled space   W = {numbers(result.coef_scaled)}, B = {result.intercept_scaled:.10g}   "
        f"(what the optimizer saw, scale={cfg.scaling})",
        f"R^2            {result.r2:.6f}",
        f"epochs         {result.epochs_run} ({stopped})",
        f"time           {total:.3f} s = data pass {result.seconds_stats:.3f} s + exact solve "
        f"{result.seconds_exact:.3f} s + gradient descent {result.seconds:.3f} s",
    ]
    if not result.converged:
        advice = not_converged_advice(2.0 / result.lr_bound, cfg.optimizer, cfg.options, cfg.lr,
                                      automatic=result.auto is not None,
                                      batch_size=None if batch == "full batch" else cfg.batch_size,
                                      penalty=cfg.penalty, scaling=cfg.scaling, kappa=result.condition)
        tail.append(f"note: not converged to the exact optimum (relative gap > {CONVERGED_GAP:g}); "
                    f"{cli_words(advice)}")
    if cfg.penalty is not None:
        from slopefit.train.results import penalized_note

        inference = f"note: {penalized_note(cfg.penalty)}"
    else:
        inference = str(result.summary(cov_type=cov_type))
    return "\n".join(head + [table(("", "gradient descent", result.exact_label(), "relative difference"), rows)]
                     + tail + ["", inference])


# the scikit-learn estimator each penalty matches
SKLEARN_ESTIMATORS = {"ridge": "Ridge", "lasso": "Lasso", "elasticnet": "ElasticNet"}
