"""The lesson slopefit grew from, replayed step by step in Korean or English.

Sections follow the original notebook: 01 데이터 확인, 02 경사 계산 및 파라미터 수정,
03 선형회귀 구현, 04 최종 학습 결과 확인, then 실습 1 (momentum) and 실습 2 (height to
weight). Printed values use torch's and numpy's own formatting, so they read exactly as the
notebook printed them.

The notebook's training loop has a slip: it hands ``b`` to the optimizer but predicts with
the ``B`` left over from section 02, so the intercept stays frozen at 0.998. Section 03/04
replays that loop as written (the notebook's own code, kept verbatim so the slip can be
shown), then the lesson trains both parameters with :func:`slopefit.train.training.fit`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slopefit.texts import LANGS, pad, text, text_table
from slopefit.train.results import FitResult

NOTEBOOK_EPOCHS = 200  # the notebook's num_epochs
RUNS = ("loop", "exercise1", "exercise2")  # the lesson's own runs, as :func:`lesson_run` names them


def lesson_run(name: str):
    """The data set and the TrainConfig of one of the lesson's runs, as :func:`run_lesson` trains it.

    Parameters
    ----------
    name : {"loop", "exercise1", "exercise2"}
        The corrected 200-epoch loop (hours → ability, plain SGD), exercise 1 (the same with
        momentum 0.9), exercise 2 (height → weight, centered, momentum 0.9, 300 epochs).

    Returns
    -------
    (str, TrainConfig)
        The built-in data set's name and the configuration: the rows themselves (the data
        engine, float32 as the notebook), and for the loop the notebook's 201 steps
        (``range(num_epochs + 1)``).

    Raises
    ------
    ConfigError
        An unknown name.
    """
    from slopefit.train.config import TrainConfig

    if name in ("loop", "exercise1"):
        # the notebook makes 201 steps, each on the rows themselves (the data engine, as the lesson writes it)
        options = {"momentum": 0.9} if name == "exercise1" else {}
        return "hours-ability", TrainConfig(lr=0.01, epochs=NOTEBOOK_EPOCHS + 1, scaling="none", engine="data",
                                            options=options)
    if name == "exercise2":
        return "height-weight", TrainConfig(lr=0.01, epochs=300, scaling="center", options={"momentum": 0.9},
                                            engine="data")
    from slopefit.errors import ConfigError

    raise ConfigError(f"unknown lesson run {name!r}; choose one of {', '.join(RUNS)}")


def printed_loss(name: str, result: FitResult) -> float:
    """The loss the lesson prints for its run ``name`` (see :func:`lesson_run`): the loss the loop
    computed at epoch 200 (in float32, as the notebook's ``loss = {loss:.4f}``) for the loop and
    exercise 1, the final loss for exercise 2."""
    if name in ("loop", "exercise1"):
        return result.history.loss_at(NOTEBOOK_EPOCHS)
    return result.final_loss


@dataclass(frozen=True)
class Section:
    """A titled block of printed lines.

    Attributes
    ----------
    title : str
        The section's heading (e.g. "01 데이터 확인").
    lines : tuple of str
        The lines printed, in order.
    """

    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Lesson:
    """Everything the lesson printed and computed; figures are drawn from it by :func:`save_figures`.

    Attributes
    ----------
    lang : {"ko", "en"}
        The language the lesson was replayed in.
    sections : tuple of Section
        What it printed, section by section.
    seed_hist : ndarray, shape (21, 2)
        The notebook's ``hist``: epoch and loss of its own loop, as written.
    sgd : FitResult
        The corrected loop, plain SGD.
    momentum : FitResult
        The corrected loop, momentum 0.9.
    seed_w : float
        W after the notebook's loop, as written.
    seed_b : float
        The B that loop predicted with: section 02's, never updated (the notebook's slip).
    height_weight : FitResult
        Exercise 2: weight from height.
    """

    lang: str
    sections: tuple[Section, ...]
    seed_hist: np.ndarray  # (21, 2): the notebook's hist, epoch and loss
    sgd: FitResult  # corrected loop, plain SGD
    momentum: FitResult  # corrected loop, momentum 0.9
    seed_w: float
    seed_b: float
    height_weight: FitResult  # exercise 2


def run_lesson(lang: str = "ko") -> Lesson:
    """Replay the lesson in ``lang`` ("ko" or "en") and return what it printed and computed.

    Imports torch and trains four short runs.

    Parameters
    ----------
    lang : {"ko", "en"}, default "ko"
        The language of the printed texts.

    Returns
    -------
    Lesson

    Raises
    ------
    ConfigError
        When ``lang`` is not "ko" or "en".
    """
    if lang not in LANGS:
        from slopefit.errors import ConfigError

        raise ConfigError(f"unknown language {lang!r}; choose ko or en")
    from slopefit.data.sources import builtin
    from slopefit.train.training import fit

    first, second, B = _first_steps(lang)
    hist, Wl, loop_lines = _notebook_loop(B)
    loop_section = Section(text("s3", lang), (text("s3.intro", lang), ">>> X, Y", repr(_hours_tensors()), *loop_lines))
    sections = [first, second, loop_section]

    # 04 ---------------------------------------------------------------------------------
    sgd = fit(builtin(lesson_run("loop")[0]), lesson_run("loop")[1])
    momentum = fit(builtin(lesson_run("exercise1")[0]), lesson_run("exercise1")[1])
    sections.append(Section(text("s4", lang), (
        ">>> hist", repr(hist),
        ">>> print(\"W = \", W.data.numpy())", "W =  " + str(Wl.data.numpy()),
        ">>> print(\"B = \", B.data.numpy())", "B =  " + str(B.data.numpy()),
        text("s4.initial", lang, loss=hist[0, 1]),
        text("s4.final", lang, loss=hist[-1, 1]),
        text("s4.slip", lang, loss=hist[-1, 1]),
        text("s4.fixed", lang, loss=printed_loss("loop", sgd), w=sgd.coef[0], b=sgd.intercept),
        text("s4.why", lang, bound=sgd.lr_bound),
    )))

    # 실습 1 ------------------------------------------------------------------------------
    four = np.array([[4.0]])
    sections.append(Section(text("s5", lang), (
        ">>> optimizer = optim.SGD([W, b], lr=0.01, momentum=0.9)",
        text("s5.result", lang, loss=printed_loss("exercise1", momentum), w=momentum.coef[0],
             b=momentum.intercept, ratio=printed_loss("loop", sgd) / printed_loss("exercise1", momentum)),
        text("s5.answer", lang, pred=float(momentum.predict(four)[0]),
             exact=float(momentum.exact.predict(four)[0])),
    )))

    # 실습 2 ------------------------------------------------------------------------------
    hw_name, hw_config = lesson_run("exercise2")
    epochs = hw_config.epochs
    hw = fit(builtin(hw_name), hw_config)

    def row(what: str, gd: str, exact: str) -> str:
        return pad(what, 18) + pad(gd, 14, right=True) + pad(exact, 14, right=True)

    sections.append(Section(text("s6", lang), (
        text("s6.setup", lang, epochs=epochs),
        row(what="", gd=text("s6.gd", lang), exact=text("s6.exact", lang)),
        row(what=text("s6.slope", lang), gd=f"{hw.coef[0]:.4f}", exact=f"{hw.exact.coef[0]:.4f}"),
        row(what=text("s6.intercept", lang), gd=f"{hw.intercept:.2f}", exact=f"{hw.exact.intercept:.2f}"),
        row(what=text("s6.loss", lang), gd=f"{printed_loss('exercise2', hw):.4f}", exact=f"{hw.exact.loss:.4f}"),
        text("s6.gap", lang, gap=hw.loss_gap, rel=hw.relative_gap, dist=hw.param_distance),
        text("s6.read", lang, slope=hw.coef[0], pred=float(hw.predict(np.array([[175.0]]))[0])),
    )))
    return Lesson(lang=lang, sections=tuple(sections), seed_hist=hist, sgd=sgd, momentum=momentum,
                  seed_w=float(Wl.item()), seed_b=float(B.item()), height_weight=hw)


CATEGORY_FORMULA = "invest ~ value + capital + C(firm) + I(value**2) + value:capital"


def run_categories(lang: str = "ko") -> Section:
    """The exercise after the notebook: a text column (the firm) and a formula on the Grunfeld data.

    Parameters
    ----------
    lang : {"ko", "en"}, default "ko"

    Returns
    -------
    Section
        What it printed: the levels and the reference, the indicator columns of three firms,
        the line by gradient descent next to the exact one, the firm effects, a formula with a
        square and an interaction, and a prediction for a firm given by its name.
    """
    if lang not in LANGS:
        from slopefit.errors import ConfigError

        raise ConfigError(f"unknown language {lang!r}; choose ko or en")
    from slopefit.data.sources import builtin, load_dataset
    from slopefit.train.training import fit
    from slopefit.views.persistence import model_from_result

    data = builtin("grunfeld")
    design = data.design
    result = fit(data)
    firms = ("American Steel", "IBM", "US Steel")
    columns = [c for c in data.feature_names if c.startswith("firm[")][:2] + ["firm[T.IBM]", "firm[T.US Steel]"]
    indicator = {f: [float(design.matrix([[0.0, 0.0, f]])[0, data.feature_names.index(c)]) for c in columns]
                 for f in firms}
    effect = {c: float(result.coef[data.feature_names.index(c)]) for c in ("firm[T.IBM]", "firm[T.US Steel]")}
    formula = fit(load_dataset("grunfeld", formula=CATEGORY_FORMULA))
    model = model_from_result(formula)
    ibm = float(model.predict([[3000.0, 200.0, "IBM"]])[0])
    worst = float(np.max(np.abs(result.coef - result.exact.coef) / np.abs(result.exact.coef)))
    lines = [
        text("s7.intro", lang, rows=data.n_samples),
        text("s7.coding", lang, levels=design.describe(lang)[0], count=len(design.levels["firm"]) - 1),
        *("  " + line for line in text_table(("firm", *columns),
                                              [(f, *(f"{v:g}" for v in indicator[f])) for f in firms]).splitlines()),
        text("s7.fit", lang, value=result.coef[0], capital=result.coef[1], epochs=result.epochs_run, worst=worst,
             r2=result.r2),
        text("s7.effect", lang, ibm=effect["firm[T.IBM]"], us=effect["firm[T.US Steel]"]),
        text("s7.formula", lang, formula=CATEGORY_FORMULA, columns=len(formula.feature_names), r2=formula.r2,
             names=", ".join(formula.feature_names[-2:])),
        text("s7.predict", lang, pred=ibm),
        text("s7.cli", lang),
    ]
    return Section(text("s7", lang), tuple(lines))


def save_figures(lesson: Lesson, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Draw the lesson's five figures as PNG files in ``out_dir`` and return their paths.

    Parameters
    ----------
    lesson : Lesson
        From :func:`run_lesson` (its ``lang`` labels the figures).
    out_dir : str or os.PathLike
        The directory to write to (created if missing).

    Returns
    -------
    list of Path
        The five PNG files, in the lesson's order.

    Raises
    ------
    OutputError
        When a file cannot be written.
    """
    from slopefit.data.sources import builtin
    from slopefit.views import plotting

    lang = lesson.lang
    out = Path(out_dir)
    hw, hours = builtin("height-weight"), builtin("hours-ability")
    paths = [
        plotting.plot_scatter(hw.X[:, 0], hw.y, out / "01_height_weight_scatter.png",
                              xlabel=text("fig.height", lang), ylabel=text("fig.weight", lang),
                              title=text("fig.scatter.title", lang)),
        plotting.plot_history([plotting.Curve("", lesson.seed_hist[:, 0], lesson.seed_hist[:, 1], "--b")],
                              out / "02_loss_curve.png", xlabel=text("fig.epoch", lang),
                              ylabel=text("fig.loss", lang), title=text("fig.seed.title", lang)),
        plotting.plot_history(
            [plotting.Curve(text("fig.seedloop", lang), lesson.seed_hist[:, 0], lesson.seed_hist[:, 1], ":k"),
             plotting.Curve(text("fig.sgd", lang), *_curve(lesson.sgd), "--b"),
             plotting.Curve(text("fig.momentum", lang), *_curve(lesson.momentum), "-r")],
            out / "03_sgd_vs_momentum.png", xlabel=text("fig.epoch", lang),
            ylabel=text("fig.loss_log", lang), title=text("fig.compare.title", lang), log_y=True),
        plotting.plot_lines(
            hours.X[:, 0], hours.y,
            [plotting.Line(text("fig.seedloop", lang), lesson.seed_w, lesson.seed_b, ":k"),
             plotting.Line(text("fig.sgd", lang), float(lesson.sgd.coef[0]), lesson.sgd.intercept, "--b"),
             plotting.Line(text("fig.momentum", lang), float(lesson.momentum.coef[0]),
                           lesson.momentum.intercept, "-r")],
            out / "04_hours_ability_lines.png", xlabel=text("fig.hours", lang),
            ylabel=text("fig.ability", lang), title=text("fig.hours.title", lang),
            data_label=text("fig.data", lang),
            mark=(4.0, float(lesson.momentum.predict(np.array([[4.0]]))[0]), text("fig.four", lang))),
        plotting.plot_lines(
            hw.X[:, 0], hw.y,
            [plotting.Line(text("fig.gd", lang), float(lesson.height_weight.coef[0]),
                           lesson.height_weight.intercept, "-r"),
             plotting.Line(text("fig.exact", lang), float(lesson.height_weight.exact.coef[0]),
                           lesson.height_weight.exact.intercept, "--k")],
            out / "05_height_weight_fit.png", xlabel=text("fig.height", lang),
            ylabel=text("fig.weight", lang), title=text("fig.hw.title", lang),
            data_label=text("fig.data", lang)),
    ]
    return paths


def _curve(result: FitResult) -> tuple[list[int], list[float]]:
    """A FitResult's history up to epoch 200, the span the notebook prints."""
    pairs = [(e, v) for e, v in zip(result.history.epochs, result.history.losses, strict=True) if e <= 200]
    return [e for e, _ in pairs], [v for _, v in pairs]


def _first_steps(lang: str):
    """Sections 01 (the data, centered) and 02 (one manual step); returns them and the stepped B,
    which the notebook's loop goes on predicting with."""
    import torch

    height = [166, 176, 171, 173, 169]
    weight = [58.7, 75.7, 62.1, 70.4, 60.1]
    dat1, dat2 = np.array(height), np.array(weight)
    X = torch.tensor(dat1 - dat1.mean()).float()
    Y = torch.tensor(dat2 - dat2.mean()).float()
    first = Section(text("s1", lang), (
        text("s1.intro", lang),
        ">>> dat1, dat2",
        repr((dat1, dat2)),
        text("s1.center", lang),
        ">>> X = torch.tensor(dat1 - dat1.mean()).float()",
        ">>> Y = torch.tensor(dat2 - dat2.mean()).float()",
        ">>> print(X)", str(X),
        ">>> print(Y)", str(Y),
    ))

    W = torch.tensor(1.0, requires_grad=True).float()
    B = torch.tensor(1.0, requires_grad=True).float()
    Yp = W * X + B
    loss = ((Yp - Y) ** 2).mean()
    before = f"{str(W.grad)} {str(B.grad)}"
    loss.backward()
    grads = f"{str(W.grad)} {str(B.grad)}"
    residual = (Yp - Y).detach()
    grad_w = float(2 * (residual * X).mean())
    grad_b = float(2 * residual.mean())
    lr = 0.001
    assert W.grad is not None and B.grad is not None  # backward() filled them
    W = W - lr * W.grad
    B = B - lr * B.grad
    second = Section(text("s2", lang), (
        text("s2.pred", lang),
        ">>> Yp = W * X + B", ">>> print(Yp)", str(Yp),
        ">>> loss = ((Yp - Y) ** 2).mean()", ">>> print(loss)", str(loss),
        ">>> print(W.grad, B.grad)", before,
        ">>> loss.backward()", ">>> print(W.grad, B.grad)", grads,
        text("s2.analytic", lang, gw=grad_w, gb=grad_b),
        ">>> lr = 0.001", ">>> W = W - lr * W.grad", ">>> B = B - lr * B.grad",
        ">>> print(W)", str(W), ">>> print(B)", str(B),
        text("s2.after", lang),
    ))
    return first, second, B


def _hours_tensors():
    import torch

    return torch.FloatTensor([[1], [2], [3]]), torch.FloatTensor([[200], [400], [600]])


def _notebook_loop(B):
    """The notebook's loop, verbatim: it predicts with the ``B`` of section 02 (the slip).
    Returns its hist (epoch, loss rows), its W and the lines it printed."""
    import torch

    Wl = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([Wl, b], lr=0.01)
    num_epochs = NOTEBOOK_EPOCHS
    hist = np.zeros((0, 2))
    Xh, Yh = _hours_tensors()
    loop_lines = []
    for epoch in range(num_epochs + 1):
        Yp = Wl * Xh + B
        loss = ((Yp - Yh) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 10 == 0:
            hist = np.vstack((hist, np.array([epoch, loss.item()])))
            loop_lines.append(f"epoch = {epoch} loss = {loss:.4f}")
    return hist, Wl, loop_lines
