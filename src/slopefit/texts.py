"""Every text slopefit shows a person, in Korean and English: the lesson's sentences, figure
labels, report headings. One table, looked up by key with :func:`text`.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata

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
    "fig.loss_log.weighted": {"ko": "손실 (가중 MSE, 로그 눈금)", "en": "loss (weighted MSE, log scale)"},
    "fig.loss_log.penalty": {"ko": "목적함수 (MSE + 벌점, 로그 눈금)", "en": "objective (MSE + penalty, log scale)"},
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
    "fig.exact.weighted": {"ko": "정확한 가중 최소제곱 해", "en": "exact weighted least squares"},
    "fig.exact.penalty": {"ko": "벌점 목적함수의 정확한 최적해", "en": "exact penalised optimum"},
    # figure and table texts of the commands
    "fig.loss_gap_log": {"ko": "손실 - 최솟값 (로그 눈금)", "en": "loss - loss* (log scale)"},
    "fig.compare.curves": {"ko": "손실 곡선 비교", "en": "loss curves"},
    "fig.landscape.title": {"ko": "손실 지형과 경로", "en": "loss landscape and paths"},
    "fig.start": {"ko": "시작점", "en": "start"},
    "fig.end": {"ko": "끝점", "en": "end"},
    "fig.now": {"ko": "현재", "en": "now"},
    "fig.floor": {"ko": "부동소수점 해상도 이하", "en": "below float resolution"},
    "fig.gap.title": {"ko": "최솟값까지의 차이", "en": "gap to the optimum"},
    "fig.centered": {"ko": " (중심화)", "en": " (centered)"},
    "fig.standardized": {"ko": " (표준화)", "en": " (standardized)"},
    "fig.sweep.colorbar": {"ko": "최종 상대 오차 (log10)", "en": "final relative gap (log10)"},
    "fig.diverged": {"ko": "발산", "en": "diverged"},
    "fig.sweep.boundary": {"ko": "이론상 안정 한계", "en": "stability bound in theory"},
    # which Hessian a stable bound is read from (messages._bound_text)
    "hessian.mse": {"ko": "MSE 헤세 행렬", "en": "the MSE Hessian"},
    "hessian.l1": {"ko": "MSE 헤세 행렬 (L1 항은 곡률을 더하지 않음)",
                   "en": "the MSE Hessian; the L1 part adds no curvature"},
    "hessian.penalised": {"ko": "벌점 목적함수의 매끄러운 부분(MSE + L2 항)의 헤세 행렬",
                          "en": "the Hessian of the penalised objective's smooth part, MSE + L2 term"},
    # regression diagnostics (figures.diagnostic_figures)
    "diag.resid.title": {"ko": "잔차 대 적합값", "en": "Residuals vs fitted"},
    "diag.fitted": {"ko": "적합값", "en": "fitted value"},
    "diag.resid": {"ko": "잔차", "en": "residual"},
    "diag.trend": {"ko": "추세 (국소 선형, lowess)", "en": "trend (local linear, lowess)"},
    "diag.qq.title": {"ko": "표준화 잔차의 정규 Q–Q 그림", "en": "Normal Q–Q plot of standardized residuals"},
    "diag.quantile": {"ko": "정규분포 이론 분위수", "en": "theoretical normal quantile"},
    "diag.student": {"ko": "표준화 잔차", "en": "standardized residual"},
    "diag.leverage.title": {"ko": "잔차 대 레버리지", "en": "Residuals vs leverage"},
    "diag.leverage": {"ko": "레버리지 (h_ii)", "en": "leverage (h_ii)"},
    "diag.cooks": {"ko": "쿡의 거리", "en": "Cook's distance"},
    "diag.all": {"ko": "{n:,}행 전체, 정확한 최소제곱 해에서", "en": "all {n:,} rows, at the exact least-squares optimum"},
    "diag.sampled": {"ko": "{n:,}행 중 무작위 {m:,}행 (seed {seed}), 정확한 최소제곱 해에서", "en": "{m:,} of {n:,} rows (random, seed {seed}), at the exact least-squares optimum"},
    "diag.undefined": {"ko": "잔차 분산 0 (정확히 맞음 또는 자유도 0): 표준화 잔차는 의미 없음", "en": "no residual variance (exact fit or no dof): standardized residuals mean nothing"},
    "diag.top_resid": {"ko": "표준화 잔차가 가장 큰 행 (행 번호)", "en": "largest |standardized residual| (row number)"},
    "diag.top_cooks": {"ko": "쿡의 거리가 가장 큰 행 (행 번호)", "en": "largest Cook's distance (row number)"},
    "diag.dropped": {"ko": "; 행 번호는 빈 칸이 있어 뺀 {k:,}행을 빼고 셈", "en": "; rows numbered after the {k:,} dropped"},
    "diag.weighted": {"ko": "가중치 {name!r}: √w·x 행의 레버리지, 피어슨 잔차 √w·e (가중 최소제곱)",
                      "en": "weights {name!r}: leverage of the rows √w·x, Pearson residuals √w·e (WLS)"},
    "diag.resid.weighted": {"ko": "피어슨 잔차 (√w·e)", "en": "Pearson residual (√w·e)"},
    "diag.penalised": {"ko": "잔차·Q–Q·레버리지 그림은 그리지 않음: {penalty}의 해는 최소제곱 해가 아니어서 "
                             "레버리지와 쿡의 거리가 성립하지 않음 (벌점 없이 다시 맞추면 그려짐)",
                       "en": "no residual, Q–Q or leverage figures: the {penalty} optimum is not least squares, "
                             "so leverage and Cook's distance do not hold for it (refit without the penalty "
                             "to draw them)"},
    "report.result": {"ko": "결과", "en": "Result"},
    "report.figures": {"ko": "그림", "en": "Figures"},
    "report.lesson.title": {"ko": "slopefit: 파이토치 선형 회귀 수업", "en": "slopefit: the PyTorch linear-regression lesson"},
    "lesson.saved": {"ko": "그림을 저장했습니다", "en": "Figures saved"},
    "design.reference": {"ko": "{name}: 수준 {count}개, 기준 수준 {reference!r}",
                         "en": "{name}: {count} levels, reference {reference!r}"},
    "design.full": {"ko": "{name}: 수준 {count}개, 모두 열로 (절편 없음)",
                    "en": "{name}: {count} levels, each its own column (no intercept)"},
    "s7": {"ko": "실습 3. 범주형 특성과 수식: Grunfeld 투자 자료", "en": "Exercise 3. Categories and a formula: the Grunfeld investment data"},
    "s7.intro": {
        "ko": "11개 기업의 20년(1935-1954) 자료 {rows}행: 투자(invest), 시장가치(value), 자본(capital), 기업(firm). 기업 이름은 글자라서 그대로는 곱할 수 없습니다.",
        "en": "{rows} rows, 11 firms over 20 years (1935-1954): investment (invest), market value (value), capital (capital) and the firm. A firm's name is text: it cannot be multiplied by a weight as it is.",
    },
    "s7.coding": {
        "ko": "그래서 기준 수준 하나를 빼고 나머지 수준마다 0/1 열을 만듭니다 (treatment coding, statsmodels와 같은 규칙: 수준을 정렬해 첫째가 기준). {levels} → 열 {count}개:",
        "en": "So every level but a reference gets a 0/1 column (treatment coding, statsmodels' rule: levels sorted, the first is the reference). {levels} -> {count} columns:",
    },
    "s7.fit": {
        "ko": "경사하강법(자동 설정, {epochs} epoch): value 기울기 {value:.4f}, capital 기울기 {capital:.4f}; 정확한 최소제곱해와의 최대 상대 차이 {worst:.1e}, R² {r2:.4f}",
        "en": "Gradient descent (automatic settings, {epochs} epochs): value slope {value:.4f}, capital slope {capital:.4f}; largest relative difference from the exact least squares {worst:.1e}, R² {r2:.4f}",
    },
    "s7.effect": {
        "ko": "기업 열의 계수는 기준 기업(American Steel)과의 차이입니다: value와 capital이 같을 때 IBM은 {ibm:+.2f}, US Steel은 {us:+.2f}만큼 투자가 다릅니다.",
        "en": "A firm's coefficient is its difference from the reference firm (American Steel) at the same value and capital: IBM {ibm:+.2f}, US Steel {us:+.2f}.",
    },
    "s7.formula": {
        "ko": "수식으로는 '{formula}': 제곱항 I(value**2)와 상호작용 value:capital까지 열 {columns}개 ({names} 포함), R² {r2:.4f}",
        "en": "As a formula, '{formula}': with the square I(value**2) and the interaction value:capital that is {columns} columns (ending {names}), R² {r2:.4f}",
    },
    "s7.predict": {
        "ko": "저장한 모델은 같은 변환을 다시 적용합니다: IBM, value 3000, capital 200 → invest 예측 {pred:.2f}",
        "en": "A saved model applies the same transforms again: IBM, value 3000, capital 200 -> predicted invest {pred:.2f}",
    },
    "s7.cli": {
        "ko": "명령줄에서: slopefit fit grunfeld,  slopefit fit grunfeld --formula \"invest ~ value + capital + C(firm)\" --save m.json,  slopefit predict m.json 3000 200 IBM",
        "en": "On the command line: slopefit fit grunfeld,  slopefit fit grunfeld --formula \"invest ~ value + capital + C(firm)\" --save m.json,  slopefit predict m.json 3000 200 IBM",
    },
}


def text(key: str, lang: str, **values) -> str:
    """The text ``key`` in ``lang`` ("ko" or "en"), with ``values`` filled in.

    Parameters
    ----------
    key : str
        A key of :data:`TEXT`, e.g. ``"fig.epoch"``.
    lang : {"ko", "en"}
        The language.
    **values
        Filled into the text's ``{name}`` fields (``str.format``).

    Returns
    -------
    str

    Raises
    ------
    KeyError
        When ``key`` or ``lang`` is not in the table, or a field of the text has no value.

    Examples
    --------
    >>> text("fig.epoch", "ko")
    '에포크 (epoch)'
    """
    return TEXT[key][lang].format(**values)


def display_width(text: str) -> int:
    """Terminal columns of ``text``: Hangul and other wide characters take two.

    Parameters
    ----------
    text : str

    Returns
    -------
    int
        Columns, >= 0 (East Asian wide and full-width characters count 2, others 1).

    Examples
    --------
    >>> display_width("ab"), display_width("기울기")
    (2, 6)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, columns: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``columns`` terminal columns (on the left with ``right``).

    Parameters
    ----------
    text : str
    columns : int
        The width to reach; text already this wide or wider is returned unchanged.
    right : bool, default False
        Right-align (pad on the left); keyword-only.

    Returns
    -------
    str

    Examples
    --------
    >>> pad("기울기", 8) + "|", pad("ab", 4, right=True)
    ('기울기  |', '  ab')
    """
    fill = " " * max(columns - display_width(text), 0)
    return fill + text if right else text + fill


def format_p(value: float) -> str:
    """A p-value as statsmodels prints it: ``<1e-16`` below double precision.

    Examples
    --------
    >>> format_p(0.01234567), format_p(1e-20), format_p(float("nan"))
    ('0.01235', '<1e-16', 'nan')
    """
    return "nan" if math.isnan(value) else ("<1e-16" if value < 1e-16 else f"{value:.4g}")


def text_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Left-aligned columns with a rule under the header, aligned for wide (Korean) characters."""
    widths = [max(display_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(pad(str(c), w) for c, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(pad(str(c), w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def html_table(header, rows, *, caption: str = "", foot: str = "") -> str:
    """A small HTML table, every cell escaped: header cells, rows of cells, an optional caption and
    a closing paragraph."""
    def cells(tag: str, values) -> str:
        return "".join(f"<{tag}>{html.escape(str(v))}</{tag}>" for v in values)

    parts = ["<table>"]
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append(f"<thead><tr>{cells('th', header)}</tr></thead><tbody>")
    parts += [f"<tr>{cells('td', row)}</tr>" for row in rows]
    parts.append("</tbody></table>")
    if foot:
        parts.append(f"<p>{html.escape(foot)}</p>")
    return "".join(parts)


# The playground's page (slopefit serve): labels, buttons and sentences, sent to the page as one table.
PAGE_TEXT: dict[str, dict[str, str]] = {
    "title": {"ko": "slopefit 놀이터: 경사하강법을 직접 돌려 보기", "en": "slopefit playground: gradient descent, hands on"},
    "subtitle": {"ko": "모든 숫자는 이 컴퓨터의 파이토치가 계산하고, 정확한 최소제곱 해와 비교합니다.",
                 "en": "Every number is computed by PyTorch on this computer and checked against the exact least-squares answer."},
    "data": {"ko": "데이터", "en": "Data"},
    "upload": {"ko": "CSV 올리기", "en": "Upload a CSV"},
    "uploaded": {"ko": "올린 파일", "en": "uploaded file"},
    "x": {"ko": "입력 x (여러 개: Ctrl/Cmd+클릭)", "en": "input x (several: Ctrl/Cmd-click)"},
    "y": {"ko": "목표 y", "en": "target y"},
    "scale": {"ko": "스케일링", "en": "Scaling"},
    "scale.none": {"ko": "없음 (none)", "en": "none"},
    "scale.center": {"ko": "중심화 (center)", "en": "center"},
    "scale.standardize": {"ko": "표준화 (standardize)", "en": "standardize"},
    "optimizer": {"ko": "옵티마이저", "en": "Optimizer"},
    "lr": {"ko": "학습률 lr", "en": "learning rate lr"},
    "momentum": {"ko": "모멘텀", "en": "momentum"},
    "epochs": {"ko": "에포크", "en": "epochs"},
    "batch": {"ko": "배치 크기 (비우면 전체)", "en": "batch size (empty: full batch)"},
    "run": {"ko": "학습 시작", "en": "Run"},
    "cancel": {"ko": "멈추기", "en": "Stop"},
    "clear": {"ko": "겹친 실행 지우기", "en": "Clear overlaid runs"},
    "final": {"ko": "마지막 에포크의 손실", "en": "loss at the last epoch"},
    "fit.line": {"ko": "데이터 위의 직선", "en": "The line over the data"},
    "fit.contour": {"ko": "손실 등고선 위의 경로 (클릭: 시작점)", "en": "The path on the loss contours (click: start here)"},
    "fit.curve": {"ko": "손실 곡선 (로그 척도, 점선: 최솟값 손실)", "en": "Loss curve (log scale, dashed: the optimum's loss)"},
    "exact": {"ko": "정확한 해 (최소제곱)", "en": "exact (least squares)"},
    "gd": {"ko": "경사하강법", "en": "gradient descent"},
    "advice": {"ko": "곡률이 말해 주는 것 (slopefit advise)", "en": "What the curvature says (slopefit advise)"},
    "advice.eig": {"ko": "헤세 행렬 고윳값", "en": "Hessian eigenvalues"},
    "advice.cond": {"ko": "조건수", "en": "condition number"},
    "advice.bound": {"ko": "안정한 학습률 상한", "en": "stable learning-rate bound"},
    "advice.best": {"ko": "가장 빠른 lr (모멘텀 없이)", "en": "fastest lr (no momentum)"},
    "advice.heavy": {"ko": "가장 빠른 모멘텀 설정", "en": "fastest momentum setting"},
    "advice.own": {"ko": "이 설정의 상한", "en": "this setting's bound"},
    "advice.none": {"ko": "이 옵티마이저에는 닫힌 형태의 상한이 없습니다", "en": "this optimizer has no closed-form bound"},
    "result.epochs": {"ko": "에포크", "en": "epochs"},
    "result.gap": {"ko": "최솟값까지의 차이 loss − loss*", "en": "gap to the optimum loss − loss*"},
    "result.rel": {"ko": "상대 차이", "en": "relative gap"},
    "result.line": {"ko": "직선", "en": "line"},
    "result.converged": {"ko": "수렴", "en": "converged"},
    "result.notconverged": {"ko": "아직 수렴하지 않음", "en": "not converged yet"},
    "download.model": {"ko": "모델 JSON 받기", "en": "Download model JSON"},
    "download.report": {"ko": "HTML 보고서 받기", "en": "Download HTML report"},
    "lesson": {"ko": "수업 따라가기", "en": "Walk the lesson"},
    "lesson.load": {"ko": "이 설정으로 학습", "en": "Train this"},
    "lesson.step": {"ko": "손으로 한 걸음: autograd의 W.grad, B.grad와 공식 (2/N)·Σ(Yp−Y)·X",
                    "en": "One step by hand: autograd's W.grad, B.grad next to the formula (2/N)·Σ(Yp−Y)·X"},
    "lesson.data": {"ko": "01 데이터: 키와 몸무게 그대로 (none)", "en": "01 The data: heights and weights as they are (none)"},
    "lesson.center": {"ko": "중심화 (center): 그릇 모양과 안정 한계가 바뀝니다", "en": "Centered (center): the bowl and the stable bound change"},
    "lesson.loop": {"ko": "200 에포크 반복 (SGD lr=0.01)", "en": "The 200-epoch loop (SGD lr=0.01)"},
    "lesson.slip": {"ko": "B/b 실수: 노트북의 반복문은 B를 0.998에 고정한 채 멈춥니다",
                    "en": "The B/b slip: the notebook's loop leaves B frozen at 0.998"},
    "lesson.ex1": {"ko": "실습 1: momentum=0.9", "en": "Exercise 1: momentum=0.9"},
    "lesson.ex2": {"ko": "실습 2: 키 → 몸무게", "en": "Exercise 2: height → weight"},
    "lesson.show": {"ko": "수업 전체 출력 보기", "en": "Show the whole lesson's output"},
    "sweep": {"ko": "lr × 모멘텀 스윕 (칸을 누르면 그 설정으로 학습)", "en": "lr × momentum sweep (click a cell to train it)"},
    "sweep.run": {"ko": "스윕 실행", "en": "Run the sweep"},
    "sweep.boundary": {"ko": "이론상 안정 한계 2(1+m)/λmax", "en": "stability bound in theory 2(1+m)/λmax"},
    "sweep.diverged": {"ko": "발산", "en": "diverged"},
    "sweep.color": {"ko": "색: 최종 상대 차이 (log10)", "en": "colour: final relative gap (log10)"},
    "epoch": {"ko": "에포크", "en": "epoch"},
    "loss": {"ko": "손실", "en": "loss"},
    "start": {"ko": "시작", "en": "start"},
    "minimum": {"ko": "최솟값", "en": "minimum"},
    "busy": {"ko": "계산 중…", "en": "computing…"},
    "multi": {"ko": "특성이 둘 이상: 학습이 끝나면 실제값과 예측값을 그립니다 (등고선 없음)",
              "en": "More than one feature: actual against predicted once a run ends (no contours)"},
    "actual": {"ko": "실제값", "en": "actual"},
    "predicted": {"ko": "예측값", "en": "predicted"},
    "lang.switch": {"ko": "English", "en": "한국어"},
}


def page_texts(lang: str) -> dict[str, str]:
    """Every text of the playground's page in ``lang`` ("ko" or "en"), by key.

    Examples
    --------
    >>> page_texts("ko")["run"]
    '학습 시작'
    """
    return {key: values[lang] for key, values in PAGE_TEXT.items()}


# the library names its parameters as Python does (lr=, missing="drop"); the command line shows its flags
FLAGS = {"lr": "--lr", "epochs": "--epochs", "batch_size": "--batch-size", "momentum": "--momentum",
         "scaling": "--scale", "dtype": "--dtype", "missing": "--missing", "x": "--x", "y": "--y",
         "engine": "--engine", "device": "--device", "fit_intercept": "--no-intercept", "sep": "--sep",
         "decimal": "--decimal", "formula": "--formula"}
PYTHON_WORDS = re.compile(r'(?<![\w.\-\'"])(' + "|".join(FLAGS) + r')=(?:"([^"]*)"|(None)\b|(?=[\s,;)]|$))')


def cli_words(message: str) -> str:
    """A library message in the command line's words: ``missing="drop"`` -> ``--missing drop``, a bare
    ``epochs=`` (set it) -> ``--epochs``, ``lr=None`` -> ``no --lr``; a number (``lr=0.01``, a value
    reported or suggested) reads the same in both and stays.

    Examples
    --------
    >>> cli_words('fill them or use missing="drop"; got lr=0, try lr=0.01, or raise epochs=')
    'fill them or use --missing drop; got lr=0, try lr=0.01, or raise --epochs'
    """

    def flag(match: re.Match) -> str:
        name, quoted, none = match.group(1), match.group(2), match.group(3)
        if none:
            return f"no {FLAGS[name]}"
        return f"{FLAGS[name]} {quoted}" if quoted and name != "fit_intercept" else FLAGS[name]

    return PYTHON_WORDS.sub(flag, message)
