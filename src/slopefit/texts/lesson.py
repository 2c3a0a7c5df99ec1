"""The lesson's sentences, figure labels, report headings and the terminal's words, in Korean and English."""

from __future__ import annotations

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
