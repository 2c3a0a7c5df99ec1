"""The lesson slopefit grew from, replayed step by step in Korean or English.

Sections follow the original notebook: 01 데이터 확인, 02 경사 계산 및 파라미터 수정,
03 선형회귀 구현, 04 최종 학습 결과 확인, then 실습 1 (momentum) and 실습 2 (height to
weight). Printed values use torch's and numpy's own formatting, so they read exactly as the
notebook printed them.

The notebook's training loop has a slip: it hands ``b`` to the optimizer but predicts with
the ``B`` left over from section 02, so the intercept stays frozen at 0.998. Section 03/04
replays that loop as written (the notebook's own code, kept verbatim so the slip can be
shown), then the lesson trains both parameters with :func:`slopefit.training.fit`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from slopefit.training import FitResult

LANGS = ("ko", "en")

TEXT: dict[str, dict[str, str]] = {
    "s1": {"ko": "01. 데이터 확인", "en": "01. Looking at the data"},
    "s1.intro": {
        "ko": "다섯 명의 신장(cm)과 체중(kg): (166, 58.7), (176, 75.7), (171, 62.1), (173, 70.4), (169, 60.1)",
        "en": "Five people's height (cm) and weight (kg): (166, 58.7), (176, 75.7), (171, 62.1), "
              "(173, 70.4), (169, 60.1)",
    },
    "s1.center": {
        "ko": "평균을 빼서 중심화합니다 (신장 평균 171, 체중 평균 65.4). 경사하강법이 훨씬 안정적이 됩니다.",
        "en": "Center both columns by subtracting the mean (height 171, weight 65.4): gradient descent "
              "becomes far more stable.",
    },
    "s2": {"ko": "02. 경사 계산 및 파라미터 수정", "en": "02. Computing the gradient and updating the parameters"},
    "s2.pred": {"ko": "예측 함수 Yp = W * X + B, 초깃값 W = B = 1.0", "en": "Prediction Yp = W * X + B, starting at W = B = 1.0"},
    "s2.analytic": {
        "ko": "직접 계산한 경사: dL/dW = (2/N)·Σ(Yp−Y)·X = {gw:.4f}, dL/dB = (2/N)·Σ(Yp−Y) = {gb:.4f} (autograd와 같음)",
        "en": "By hand: dL/dW = (2/N)·Σ(Yp−Y)·X = {gw:.4f}, dL/dB = (2/N)·Σ(Yp−Y) = {gb:.4f} (same as autograd)",
    },
    "s2.after": {
        "ko": "W는 증가하는 방향으로, B는 감소하는 방향으로 조금씩 변했습니다. 이 계산의 반복이 경사하강법입니다.",
        "en": "W moved up and B moved down a little. Repeating this step is gradient descent.",
    },
    "s3": {"ko": "03. 실전 모델 만들어보기 - 선형회귀 구현하기", "en": "03. A real model: implementing linear regression"},
    "s3.intro": {
        "ko": "투자한 시간과 게임 캐릭터 능력치 향상: 1시간→200, 2시간→400, 3시간→600. SGD lr=0.01, 200 epoch.",
        "en": "Hours invested and ability gained: 1→200, 2→400, 3→600. SGD lr=0.01, 200 epochs.",
    },
    "s4": {"ko": "04. 최종 학습 결과 확인", "en": "04. The final result"},
    "s4.initial": {"ko": "초기 상태 : 손실 : {loss:.4f}", "en": "initial state : loss : {loss:.4f}"},
    "s4.final": {"ko": "최종 상태 : 손실 : {loss:.4f}", "en": "final state : loss : {loss:.4f}"},
    "s4.slip": {
        "ko": "주의: 이 반복문은 옵티마이저에 b를 넘기지만 예측에는 02절의 B(0.998)를 씁니다. 그래서 B는 "
              "0.998에 고정되고 손실은 {loss:.4f}에서 멈춥니다.",
        "en": "Note: this loop gives b to the optimizer but predicts with B left over from section 02 "
              "(0.998), so B stays frozen at 0.998 and the loss stalls at {loss:.4f}.",
    },
    "s4.fixed": {
        "ko": "W와 b를 모두 학습하도록 고치면 (SGD lr=0.01, 같은 반복 횟수): epoch 200 손실 = {loss:.4f}, "
              "W = {w:.4f}, b = {b:.4f}. 아직 수렴하지 못했습니다.",
        "en": "Training both W and b (SGD lr=0.01, the same loop): loss at epoch 200 = {loss:.4f}, "
              "W = {w:.4f}, b = {b:.4f}. Not converged yet.",
    },
    "s4.why": {
        "ko": "데이터가 중심화되지 않아 W와 b가 강하게 얽혀 있어 평범한 SGD는 느립니다 "
              "(안정한 학습률 상한 2/λmax = {bound:.3f}).",
        "en": "The data are not centered, so W and b are strongly coupled and plain SGD is slow "
              "(stable learning-rate bound 2/λmax = {bound:.3f}).",
    },
    "s5": {"ko": "실습 1: momentum=0.9", "en": "Exercise 1: momentum=0.9"},
    "s5.result": {
        "ko": "momentum=0.9: epoch 200 손실 = {loss:.4f}, W = {w:.4f}, b = {b:.4f}. 같은 200 epoch에서 "
              "손실이 {ratio:,.0f}배 작습니다.",
        "en": "momentum=0.9: loss at epoch 200 = {loss:.4f}, W = {w:.4f}, b = {b:.4f}: {ratio:,.0f} times "
              "lower than plain SGD after the same 200 epochs.",
    },
    "s5.answer": {
        "ko": "4시간 투자한다면? 모델의 예측: {pred:.2f} (정확한 최소제곱 답: {exact:.2f}). 학습 범위 1–3시간 밖이라 외삽입니다.",
        "en": "What do 4 hours give? The model predicts {pred:.2f} (exact least squares: {exact:.2f}). "
              "4 is outside the trained range 1–3: an extrapolation.",
    },
    "s6": {"ko": "실습 2: 신장으로 체중 예측", "en": "Exercise 2: predicting weight from height"},
    "s6.setup": {
        "ko": "중심화한 데이터에서 SGD lr=0.01 momentum=0.9, {epochs} epoch 학습 후 원래 단위로 되돌립니다.",
        "en": "SGD lr=0.01 momentum=0.9 on the centered data for {epochs} epochs, then back to original units.",
    },
    "s6.table": {"ko": "{what:<18}{gd:>14}{exact:>14}", "en": "{what:<18}{gd:>14}{exact:>14}"},
    "s6.gd": {"ko": "경사하강법", "en": "gradient desc."},
    "s6.exact": {"ko": "정확한 해", "en": "exact"},
    "s6.slope": {"ko": "기울기 (kg/cm)", "en": "slope (kg/cm)"},
    "s6.intercept": {"ko": "절편 (kg)", "en": "intercept (kg)"},
    "s6.loss": {"ko": "손실 (MSE)", "en": "loss (MSE)"},
    "s6.gap": {
        "ko": "차이: 손실 − 최적 손실 = {gap:.3g} (상대 {rel:.3g}), ‖θ − θ*‖ = {dist:.3g}",
        "en": "gap: loss − optimum = {gap:.3g} (relative {rel:.3g}), ‖θ − θ*‖ = {dist:.3g}",
    },
    "s6.read": {
        "ko": "키가 1cm 크면 체중이 약 {slope:.2f}kg 더 나갑니다. 175cm라면 약 {pred:.1f}kg.",
        "en": "Each extra cm of height adds about {slope:.2f} kg. At 175 cm: about {pred:.1f} kg.",
    },
    # figure texts
    "fig.scatter.title": {"ko": "신장과 체중 (다섯 명)", "en": "Height and weight (five people)"},
    "fig.height": {"ko": "신장 (cm)", "en": "height (cm)"},
    "fig.weight": {"ko": "체중 (kg)", "en": "weight (kg)"},
    "fig.epoch": {"ko": "에포크 (epoch)", "en": "epoch"},
    "fig.loss": {"ko": "손실 (MSE)", "en": "loss (MSE)"},
    "fig.loss_log": {"ko": "손실 (MSE, 로그 눈금)", "en": "loss (MSE, log scale)"},
    "fig.seed.title": {"ko": "학습 곡선 (노트북의 반복문, B 고정)", "en": "Loss curve (the notebook's loop, B frozen)"},
    "fig.compare.title": {"ko": "SGD와 momentum 비교 (W, b 모두 학습)", "en": "SGD vs momentum (both W and b trained)"},
    "fig.sgd": {"ko": "SGD lr=0.01", "en": "SGD lr=0.01"},
    "fig.momentum": {"ko": "SGD lr=0.01, momentum=0.9", "en": "SGD lr=0.01, momentum=0.9"},
    "fig.seedloop": {"ko": "노트북의 반복문 (B=0.998 고정)", "en": "notebook's loop (B frozen at 0.998)"},
    "fig.hours": {"ko": "투자 시간 (시간)", "en": "hours invested"},
    "fig.ability": {"ko": "능력치 향상 (p)", "en": "ability gained (points)"},
    "fig.hours.title": {"ko": "시간–능력치 데이터와 학습된 직선", "en": "Hours vs ability with the fitted lines"},
    "fig.four": {"ko": "4시간 예측 (외삽)", "en": "prediction at 4 hours (extrapolation)"},
    "fig.actual": {"ko": "실제값", "en": "actual"},
    "fig.predicted": {"ko": "예측값", "en": "predicted"},
    "fig.data": {"ko": "데이터", "en": "data"},
    "fig.hw.title": {"ko": "신장으로 체중 예측: 경사하강법과 정확한 해", "en": "Weight from height: gradient descent and exact"},
    "fig.gd": {"ko": "경사하강법", "en": "gradient descent"},
    "fig.exact": {"ko": "정확한 최소제곱 해", "en": "exact least squares"},
}


def text(key: str, lang: str, **values) -> str:
    """The lesson's text ``key`` in ``lang``, with ``values`` filled in."""
    return TEXT[key][lang].format(**values)


@dataclass(frozen=True)
class Section:
    """A titled block of printed lines."""

    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Lesson:
    """Everything the lesson printed and computed; figures are drawn from it by :func:`save_figures`."""

    lang: str
    sections: tuple[Section, ...]
    seed_hist: np.ndarray  # (21, 2): the notebook's hist, epoch and loss
    sgd: FitResult  # corrected loop, plain SGD
    momentum: FitResult  # corrected loop, momentum 0.9
    seed_w: float
    seed_b: float
    height_weight: FitResult  # exercise 2


def run_lesson(lang: str = "ko") -> Lesson:
    """Replay the lesson in ``lang`` ("ko" or "en") and return what it printed and computed."""
    if lang not in LANGS:
        from slopefit.errors import ConfigError

        raise ConfigError(f"unknown language {lang!r}; choose ko or en")
    import torch

    from slopefit.datasets import builtin
    from slopefit.training import TrainConfig, fit

    sections: list[Section] = []

    # 01 ---------------------------------------------------------------------------------
    height = [166, 176, 171, 173, 169]
    weight = [58.7, 75.7, 62.1, 70.4, 60.1]
    dat1, dat2 = np.array(height), np.array(weight)
    X = torch.tensor(dat1 - dat1.mean()).float()
    Y = torch.tensor(dat2 - dat2.mean()).float()
    sections.append(Section(text("s1", lang), (
        text("s1.intro", lang),
        ">>> dat1, dat2",
        repr((dat1, dat2)),
        text("s1.center", lang),
        ">>> X = torch.tensor(dat1 - dat1.mean()).float()",
        ">>> Y = torch.tensor(dat2 - dat2.mean()).float()",
        ">>> print(X)", str(X),
        ">>> print(Y)", str(Y),
    )))

    # 02 ---------------------------------------------------------------------------------
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
    sections.append(Section(text("s2", lang), (
        text("s2.pred", lang),
        ">>> Yp = W * X + B", ">>> print(Yp)", str(Yp),
        ">>> loss = ((Yp - Y) ** 2).mean()", ">>> print(loss)", str(loss),
        ">>> print(W.grad, B.grad)", before,
        ">>> loss.backward()", ">>> print(W.grad, B.grad)", grads,
        text("s2.analytic", lang, gw=grad_w, gb=grad_b),
        ">>> lr = 0.001", ">>> W = W - lr * W.grad", ">>> B = B - lr * B.grad",
        ">>> print(W)", str(W), ">>> print(B)", str(B),
        text("s2.after", lang),
    )))

    # 03: the notebook's loop, verbatim (it predicts with the B above: the slip) --------
    Wl = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([Wl, b], lr=0.01)
    num_epochs = 200
    hist = np.zeros((0, 2))
    Xh = torch.FloatTensor([[1], [2], [3]])
    Yh = torch.FloatTensor([[200], [400], [600]])
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
    sections.append(Section(text("s3", lang), (
        text("s3.intro", lang),
        ">>> X, Y", repr((Xh, Yh)),
        *loop_lines,
    )))

    # 04 ---------------------------------------------------------------------------------
    hours = builtin("hours-ability")
    # the notebook makes 201 steps, each on the rows themselves (the data engine, as the lesson writes it)
    loop: dict[str, Any] = dict(lr=0.01, epochs=num_epochs + 1, scaling="none", engine="data")
    sgd = fit(hours, TrainConfig(**loop))
    momentum = fit(hours, TrainConfig(**loop, options={"momentum": 0.9}))
    sections.append(Section(text("s4", lang), (
        ">>> hist", repr(hist),
        ">>> print(\"W = \", W.data.numpy())", "W =  " + str(Wl.data.numpy()),
        ">>> print(\"B = \", B.data.numpy())", "B =  " + str(B.data.numpy()),
        text("s4.initial", lang, loss=hist[0, 1]),
        text("s4.final", lang, loss=hist[-1, 1]),
        text("s4.slip", lang, loss=hist[-1, 1]),
        text("s4.fixed", lang, loss=sgd.history.loss_at(num_epochs), w=sgd.coef[0], b=sgd.intercept),
        text("s4.why", lang, bound=sgd.lr_bound),
    )))

    # 실습 1 ------------------------------------------------------------------------------
    four = np.array([[4.0]])
    sections.append(Section(text("s5", lang), (
        ">>> optimizer = optim.SGD([W, b], lr=0.01, momentum=0.9)",
        text("s5.result", lang, loss=momentum.history.loss_at(num_epochs), w=momentum.coef[0],
             b=momentum.intercept,
             ratio=sgd.history.loss_at(num_epochs) / momentum.history.loss_at(num_epochs)),
        text("s5.answer", lang, pred=float(momentum.predict(four)[0]),
             exact=float(momentum.exact.predict(four)[0])),
    )))

    # 실습 2 ------------------------------------------------------------------------------
    epochs = 300
    hw = fit(builtin("height-weight"),
             TrainConfig(lr=0.01, epochs=epochs, scaling="center", options={"momentum": 0.9}, engine="data"))
    row = TEXT["s6.table"][lang]
    sections.append(Section(text("s6", lang), (
        text("s6.setup", lang, epochs=epochs),
        row.format(what="", gd=text("s6.gd", lang), exact=text("s6.exact", lang)),
        row.format(what=text("s6.slope", lang), gd=f"{hw.coef[0]:.4f}", exact=f"{hw.exact.coef[0]:.4f}"),
        row.format(what=text("s6.intercept", lang), gd=f"{hw.intercept:.2f}", exact=f"{hw.exact.intercept:.2f}"),
        row.format(what=text("s6.loss", lang), gd=f"{hw.final_loss:.4f}", exact=f"{hw.exact.loss:.4f}"),
        text("s6.gap", lang, gap=hw.loss_gap, rel=hw.relative_gap, dist=hw.param_distance),
        text("s6.read", lang, slope=hw.coef[0], pred=float(hw.predict(np.array([[175.0]]))[0])),
    )))
    return Lesson(lang=lang, sections=tuple(sections), seed_hist=hist, sgd=sgd, momentum=momentum,
                  seed_w=float(Wl.item()), seed_b=float(B.item()), height_weight=hw)


def save_figures(lesson: Lesson, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Draw the lesson's five figures as PNG files in ``out_dir`` and return their paths."""
    from slopefit import plotting
    from slopefit.datasets import builtin

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
