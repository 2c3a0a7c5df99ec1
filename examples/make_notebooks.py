"""Write examples/lesson_{ko,en}.ipynb and examples/api_{ko,en}.ipynb (without outputs).

    .venv/bin/python examples/make_notebooks.py

The lesson notebooks walk the lesson with the library; the api notebooks fit a DataFrame as a data
scientist would (``sf.fit``, ``params``, ``conf_int()``, predictions through a formula, figures inline).
The test suite executes all four.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

TEXT = {
    "ko": {
        "title": "# slopefit으로 따라가는 파이토치 선형 회귀 수업\n\n"
                 "다섯 사람의 키와 몸무게, 중심화, `Yp = W*X + B`, MSE, `loss.backward()`, 수동 업데이트, "
                 "`torch.optim.SGD` 루프, 모멘텀 실습, 키→몸무게 실습을 slopefit 라이브러리로 다시 해 봅니다. "
                 "모든 답은 정확한 최소제곱 해와 비교합니다.",
        "s1": "## 01. 데이터와 중심화\n키(cm)와 몸무게(kg)에서 평균을 빼면 경사하강법이 빨라집니다.",
        "s2": "## 02. 한 걸음: autograd와 공식\nW = B = 1에서 시작해 lr = 0.001로 한 걸음. "
              "`dL/dW = (2/N)·Σ(Yp−Y)·X`, `dL/dB = (2/N)·Σ(Yp−Y)` 가 autograd와 같은지 봅니다 (−19.04와 2.00).",
        "s3": "## 03. SGD 루프와 손실 기록\n공부 시간→능력 데이터(1, 2, 3시간 → 200, 400, 600)를 201걸음 학습합니다.",
        "s4": "## 실습 1. 모멘텀\n같은 학습률에 momentum=0.9를 더하면 손실이 훨씬 빨리 줄어듭니다. "
              "4시간은 학습 범위(1~3시간) 밖이므로 외삽입니다.",
        "s5": "## 실습 2. 키로 몸무게 예측\n경사하강법의 기울기와 절편을 정확한 해, 통계 요약과 함께 봅니다.",
        "s6": "## 학습률은 어떻게 고를까\n헤시안의 고유값이 안정 한계 2/λmax와 가장 빠른 학습률을 알려 줍니다.",
        "s7": "## 학습률을 고르지 않으면\n`sf.fit(data)`처럼 lr을 주지 않으면 slopefit이 데이터의 곡률"
              "(헤시안의 고유값)에서 헤비볼 학습률과 모멘텀을 고르고, 모든 계수가 최소제곱 해에 1e-9 이내로 다가가면 멈춥니다. "
              "scikit-learn에 들어 있는 실제 데이터(당뇨병 442명 × 10개 특성)에서도 그렇습니다.",
        "epoch": "에포크", "loss": "손실 (MSE, 로그 눈금)", "hours": "공부 시간", "ability": "능력",
        "plain": "SGD", "momentum": "SGD + 모멘텀 0.9",
    },
    "en": {
        "title": "# The PyTorch linear-regression lesson with slopefit\n\n"
                 "Five people's heights and weights, centering, `Yp = W*X + B`, MSE, `loss.backward()`, a manual "
                 "update, a `torch.optim.SGD` loop, the momentum exercise and the height-to-weight exercise, redone "
                 "with the slopefit library. Every answer is checked against the exact least-squares solution.",
        "s1": "## 01. Data and centering\nSubtracting the means from height (cm) and weight (kg) makes gradient "
              "descent fast.",
        "s2": "## 02. One step: autograd and the formula\nFrom W = B = 1 with lr = 0.001: does "
              "`dL/dW = (2/N)·Σ(Yp−Y)·X`, `dL/dB = (2/N)·Σ(Yp−Y)` match autograd? (−19.04 and 2.00)",
        "s3": "## 03. The SGD loop and its loss history\nHours of study → ability (1, 2, 3 hours → 200, 400, 600), "
              "201 steps.",
        "s4": "## Exercise 1. Momentum\nThe same learning rate with momentum=0.9 drives the loss down much faster. "
              "4 hours lies outside the training range (1–3 hours): an extrapolation.",
        "s5": "## Exercise 2. Weight from height\nGradient descent's slope and intercept next to the exact answer "
              "and a statistical summary.",
        "s6": "## Choosing the learning rate\nThe Hessian's eigenvalues give the stability bound 2/λmax and the "
              "fastest learning rate.",
        "s7": "## When you do not choose the learning rate\nWith no lr, as in `sf.fit(data)`, slopefit chooses the "
              "heavy-ball learning rate and momentum from the curvature of the data (the Hessian's eigenvalues) and "
              "stops once every coefficient is within 1e-9 of least squares: also on a real table that ships with "
              "scikit-learn (diabetes, 442 people × 10 features).",
        "epoch": "epoch", "loss": "loss (MSE, log scale)", "hours": "hours", "ability": "ability",
        "plain": "SGD", "momentum": "SGD + momentum 0.9",
    },
}

SETUP = """import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

import slopefit as sf
from slopefit.views.plotting import rc_params

warnings.filterwarnings("error", message="Glyph")  # a missing Korean glyph is an error, never a box
plt.rcParams.update(rc_params())  # the bundled NanumGothic: Hangul in every figure"""

DATA = """data = sf.builtin("height-weight")
X = torch.tensor(data.X[:, 0] - data.X[:, 0].mean()).float()
Y = torch.tensor(data.y - data.y.mean()).float()
print(X, Y)"""

STEP = """from slopefit.teach.trace import trace_steps

steps, _ = trace_steps(data, steps=1, lr=0.001, scaling="center", init=1.0)
first = steps[0]
print("loss", round(first.loss, 4))
print("autograd:", first.grad_W, first.grad_B)
print("formula: ", first.formula_W, first.formula_B)
print("after the step: W =", first.W_next, "B =", first.B_next)
assert abs(first.grad_W[0] - (-19.04)) < 1e-4 and abs(first.grad_B - 2.0) < 1e-5"""

LOOP = """hours = sf.builtin("hours-ability")
loop = dict(lr=0.01, epochs=201, scaling="none", engine="data", log_every=10)
plain = sf.fit(hours, sf.TrainConfig(**loop))
hist = plain.history.as_array()  # the lesson's hist: (epoch, loss) rows
print(hist[:3])
print("W =", plain.coef, "B =", plain.intercept, " exact:", plain.exact.coef, plain.exact.intercept)"""

MOMENTUM = """momentum = sf.fit(hours, sf.TrainConfig(**loop, options={{"momentum": 0.9}}))
fig, ax = plt.subplots(figsize=(6, 4))
for result, label in [(plain, "{plain}"), (momentum, "{momentum}")]:
    ax.plot(result.history.epochs, result.history.losses, label=label)
ax.set(yscale="log", xlabel="{epoch}", ylabel="{loss}")
ax.legend()
plt.show()

yhat, c_lo, c_hi, p_lo, p_hi = momentum.summary().interval(np.array([[4.0]]), momentum.coef, momentum.intercept)
print("4 →", round(float(yhat[0]), 2), " exact:", float(momentum.exact.predict(np.array([[4.0]]))[0]))
print("outside the training range:", 4.0 > hours.X.max())"""

HEIGHT = """hw = sf.fit(data, sf.TrainConfig(lr=0.01, epochs=300, scaling="center", options={"momentum": 0.9}))
print("slope", hw.coef[0], "exact", hw.exact.coef[0])
print("intercept", hw.intercept, "exact", hw.exact.intercept)
s = hw.summary()
for name, c, se, t, p in zip(s.names, s.coef, s.std_err, s.t, s.p_value, strict=True):
    print(f"{name:10} {c:10.4f} ± {se:.4f}   t {t:6.2f}   p {p:.4f}")
print("R²", round(s.r2, 4), "adj. R²", round(s.adj_r2, 4))
assert abs(hw.coef[0] - hw.exact.coef[0]) < 1e-5"""

ADVISE = """from slopefit.solve.advise import advise
from slopefit.solve.accumulation import compute_stats

stats = compute_stats([(data.X, data.y)], 1)
a = advise(stats, scaling="center")
print("eigenvalues", a.eigenvalues, " bound 2/λmax =", round(a.lr_bound, 4), " fastest lr", round(a.best_lr, 4))
fig, ax = plt.subplots(figsize=(6, 3.5))
hours_x = np.linspace(0.5, 4.5, 20)
ax.scatter(hours.X[:, 0], hours.y, color="black")
ax.plot(hours_x, momentum.coef[0] * hours_x + momentum.intercept, "r-")
ax.set(xlabel="{hours}", ylabel="{ability}")
plt.show()"""


DEFAULTS = """from sklearn.datasets import load_diabetes

auto = sf.fit(data)
print(auto.auto)
print("epochs", auto.epochs_run, auto.stop_reason, " slope", auto.coef[0], " exact", auto.exact.coef[0])

bunch = load_diabetes()
diabetes = sf.Dataset(X=bunch.data, y=bunch.target, feature_names=tuple(bunch.feature_names), target_name="y",
                      name="diabetes")
real = sf.fit(diabetes)
worst = np.max(np.abs(real.coef - real.exact.coef) / np.abs(real.exact.coef))
print("diabetes:", real.epochs_run, "epochs,", real.stop_reason, " worst coefficient vs exact", f"{worst:.1e}")
assert worst < 1e-6"""


def build(lang: str) -> nbformat.NotebookNode:
    t = TEXT[lang]
    cells = [new_markdown_cell(t["title"]), new_code_cell(SETUP),
             new_markdown_cell(t["s1"]), new_code_cell(DATA),
             new_markdown_cell(t["s2"]), new_code_cell(STEP),
             new_markdown_cell(t["s3"]), new_code_cell(LOOP),
             new_markdown_cell(t["s4"]), new_code_cell(MOMENTUM.format(**t)),
             new_markdown_cell(t["s5"]), new_code_cell(HEIGHT),
             new_markdown_cell(t["s6"]), new_code_cell(ADVISE.format(**t)),
             new_markdown_cell(t["s7"]), new_code_cell(DEFAULTS)]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


API_TEXT = {
    "ko": {
        "title": "# slopefit을 데이터 과학자처럼: DataFrame, 공식, 예측, 그림\n\n"
                 "statsmodels의 grunfeld 데이터(기업 11곳 × 20년의 투자)를 `sf.fit`으로 적합하고, statsmodels와 같은 "
                 "이름(`params`, `conf_int()`, `get_prediction`)으로 읽고, 공식을 거쳐 새 DataFrame을 예측하고, "
                 "그림 두 장을 노트북 안에 그립니다.",
        "fit": "## 적합\n`sf.fit(데이터, formula=...)`: 목표 변수와 항을 공식으로 줍니다 (`np.log`, 범주 `C(firm)`). "
               "학습률을 주지 않으면 데이터의 곡률에서 고르고, 최소제곱 해에 다가가면 멈춥니다.",
        "params": "## 계수와 신뢰구간\n정확한 최소제곱 해의 추론입니다. 절편이 먼저, 이름은 statsmodels처럼 `Intercept`. "
                  "경사하강법의 계수는 `coef`와 `intercept`에 있습니다.",
        "predict": "## 새 행 예측\n새 DataFrame의 원래 열(value, capital, firm)을 주면 공식의 로그와 범주가 그대로 "
                   "적용됩니다. statsmodels의 예측과 비교합니다.",
        "figures": "## 그림\n`r.plot(kind)`는 matplotlib Figure를 돌려주어 노트북에 바로 보입니다. "
                   "저장은 `fig.savefig(...)`.",
    },
    "en": {
        "title": "# slopefit as a data scientist uses it: a DataFrame, a formula, predictions, figures\n\n"
                 "statsmodels' grunfeld data (11 firms × 20 years of investment) fitted with `sf.fit`, read with "
                 "statsmodels' names (`params`, `conf_int()`, `get_prediction`), new rows predicted through the "
                 "formula, and two figures shown inline.",
        "fit": "## Fitting\n`sf.fit(data, formula=...)`: the target and the terms in a formula (`np.log`, the "
               "category `C(firm)`). With no learning rate given, slopefit chooses it from the data's curvature "
               "and stops at the least-squares optimum.",
        "params": "## Coefficients and confidence intervals\nThe inference of the exact least-squares line, intercept "
                  "first and named `Intercept` as in statsmodels; gradient descent's own line is `coef` and "
                  "`intercept`.",
        "predict": "## Predicting new rows\nNew rows come as the table's own columns (value, capital, firm): the "
                   "formula's log and categories are applied to them. Compared with statsmodels' predictions.",
        "figures": "## Figures\n`r.plot(kind)` returns a matplotlib Figure, shown inline; save it with "
                   "`fig.savefig(...)`.",
    },
}

API_FIT = """import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

import slopefit as sf

grunfeld = sm.datasets.grunfeld.load_pandas().data
formula = "invest ~ np.log(value) + capital + C(firm)"
r = sf.fit(grunfeld, formula=formula)
print(repr(r))
r"""

API_PARAMS = """ols = smf.ols(formula, grunfeld).fit()
print("params vs statsmodels, worst relative difference:",
      f"{np.max(np.abs(r.params - ols.params) / np.abs(ols.params)):.1e}")
table = pd.concat([r.params.rename("coef"), r.bse.rename("std err"), r.conf_int()], axis=1)
table.head(4)"""

API_PREDICT = """new = pd.DataFrame({"value": [1000.0, 2500.0, 4000.0], "capital": [200.0, 300.0, 1500.0],
                    "firm": ["IBM", "General Electric", "US Steel"]}, index=["a", "b", "c"])
predicted = r.predict(new)
worst = np.max(np.abs(predicted - ols.predict(new)) / np.abs(ols.predict(new)))
print(predicted.round(2).to_dict(), f" vs statsmodels: {worst:.1e}")
assert worst < 1e-6
r.get_prediction(new).summary_frame(alpha=0.05).round(2)"""

API_LOSS = """r.plot("gap", lang="{lang}")"""

API_RESIDUALS = """fig = r.plot("residuals", lang="{lang}")
fig"""


def build_api(lang: str) -> nbformat.NotebookNode:
    t = API_TEXT[lang]
    cells = [new_markdown_cell(t["title"]),
             new_markdown_cell(t["fit"]), new_code_cell(API_FIT),
             new_markdown_cell(t["params"]), new_code_cell(API_PARAMS),
             new_markdown_cell(t["predict"]), new_code_cell(API_PREDICT),
             new_markdown_cell(t["figures"]), new_code_cell(API_LOSS.format(lang=lang)),
             new_code_cell(API_RESIDUALS.format(lang=lang))]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def main() -> None:
    here = Path(__file__).parent
    for lang in ("ko", "en"):
        nbformat.write(build(lang), here / f"lesson_{lang}.ipynb")
        nbformat.write(build_api(lang), here / f"api_{lang}.ipynb")


if __name__ == "__main__":
    main()
