"""The lesson prints exactly what the notebook printed, and its figures render Korean."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

from slopefit.teach.lesson import run_lesson, save_figures

SEED_LOOP = """epoch = 0 loss = 185869.2656
epoch = 10 loss = 26191.6309
epoch = 20 loss = 3690.8821
epoch = 30 loss = 520.2183
epoch = 40 loss = 73.4279
epoch = 50 loss = 10.4696
epoch = 60 loss = 1.5975
epoch = 70 loss = 0.3473
epoch = 80 loss = 0.1712
epoch = 90 loss = 0.1464
epoch = 100 loss = 0.1429
epoch = 110 loss = 0.1424
epoch = 120 loss = 0.1423
epoch = 130 loss = 0.1423
epoch = 140 loss = 0.1423
epoch = 150 loss = 0.1423
epoch = 160 loss = 0.1423
epoch = 170 loss = 0.1423
epoch = 180 loss = 0.1423
epoch = 190 loss = 0.1423
epoch = 200 loss = 0.1423"""

# The notebook's hist array, as printed in its cell 55.
SEED_HIST = [185869.266, 26191.6309, 3690.88208, 520.218323, 73.4279480, 10.4695635, 1.59749067,
             0.347343534, 0.171174988, 0.146359429, 0.142860174, 0.142365798, 0.142302439, 0.142292589,
             0.142291188, 0.142285168, 0.142285168, 0.142285168, 0.142285168, 0.142285168, 0.142285168]


@pytest.fixture(scope="module", params=["ko", "en"])
def lesson(request):
    return run_lesson(request.param)


def printed(lesson) -> str:
    return "\n".join(line for section in lesson.sections for line in section.lines)


def test_sections_follow_the_notebook():
    titles = [s.title for s in run_lesson("ko").sections]
    assert titles == ["01. 데이터 확인", "02. 경사 계산 및 파라미터 수정",
                      "03. 실전 모델 만들어보기 - 선형회귀 구현하기", "04. 최종 학습 결과 확인",
                      "실습 1: momentum=0.9", "실습 2: 신장으로 체중 예측"]


@pytest.mark.parametrize("expected", [
    "tensor([-5.,  5.,  0.,  2., -2.])",
    "tensor([-6.7000, 10.3000, -3.3000,  5.0000, -5.3000])",
    "tensor([-4.,  6.,  1.,  3., -1.], grad_fn=<AddBackward0>)",
    "tensor(13.3520, grad_fn=<MeanBackward0>)",
    "None None",
    "tensor(-19.0400) tensor(2.0000)",
    "tensor(1.0190, grad_fn=<SubBackward0>)",
    "tensor(0.9980, grad_fn=<SubBackward0>)",
    "(array([166, 176, 171, 173, 169]), array([58.7, 75.7, 62.1, 70.4, 60.1]))",
    "W =  [",
    "B =  0.998",
])
def test_prints_the_notebooks_output(lesson, expected):
    assert expected in printed(lesson)


def test_prints_the_notebooks_loop(lesson):
    lines = [line for line in printed(lesson).splitlines() if line.startswith("epoch = ")]
    want = SEED_LOOP.splitlines()
    assert [line.split(" loss")[0] for line in lines] == [line.split(" loss")[0] for line in want]
    # float32 through 200 steps is 4e-5 (relative) from exact arithmetic; a CPU whose kernels round otherwise
    # (ATEN_CPU_CAPABILITY=default: no FMA) prints other last digits, so compare numbers, not text
    got, expected = ([float(line.split("loss = ")[1]) for line in text] for text in (lines, want))
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    assert lesson.seed_w == pytest.approx(199.57222, rel=1e-6)  # W's float32 rounding: 3e-7 from float64


def test_hist_is_the_notebooks(lesson):
    np.testing.assert_array_equal(lesson.seed_hist[:, 0], np.arange(0, 201, 10))
    np.testing.assert_allclose(lesson.seed_hist[:, 1], SEED_HIST, rtol=1e-4)  # float32 rounding, as above
    assert "[2.00000000e+02, 1.422" in printed(lesson)


def test_initial_and_final_loss_lines():
    text = printed(run_lesson("ko"))
    assert "초기 상태 : 손실 : 185869." in text  # a float32 mean of 3 squares: +-5 u32 = +-0.06 in another order
    assert "최종 상태 : 손실 : 0.1423" in text


def test_corrected_loops_and_momentum(lesson):
    assert lesson.sgd.history.loss_at(200) == pytest.approx(297.66, abs=0.01)
    assert lesson.sgd.coef[0] == pytest.approx(180.01, abs=0.01)
    assert lesson.sgd.intercept == pytest.approx(45.44, abs=0.01)
    assert lesson.momentum.history.loss_at(200) == pytest.approx(0.0013, abs=5e-5)
    assert lesson.momentum.coef[0] == pytest.approx(199.96, abs=0.01)
    assert lesson.momentum.intercept == pytest.approx(0.09, abs=0.005)
    four = float(lesson.momentum.predict(np.array([[4.0]]))[0])
    assert four == pytest.approx(800, abs=0.5)


def test_exercise_two_matches_the_exact_solution(lesson):
    hw = lesson.height_weight
    assert hw.coef[0] == pytest.approx(1.8207, abs=5e-5)
    assert hw.intercept == pytest.approx(-245.94, abs=5e-3)
    assert hw.coef[0] == pytest.approx(105.6 / 58, rel=1e-5)  # hand-computed Sxy / Sxx
    assert hw.relative_gap <= 1e-6
    assert "1.8207" in printed(lesson) and "-245.94" in printed(lesson)


def test_english_text():
    text = printed(run_lesson("en"))
    assert "initial state : loss : 185869.2656" in text and "B stays frozen at 0.998" in text


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_figures_render_without_missing_glyphs(tmp_path, lang, caplog):
    from matplotlib.font_manager import FontProperties, findfont

    from slopefit.views.plotting.style import FONT_FAMILY, FONT_FILE

    with warnings.catch_warnings(), caplog.at_level(logging.WARNING, logger="matplotlib"):
        warnings.simplefilter("error")  # any missing glyph warning fails
        paths = save_figures(run_lesson(lang), tmp_path)
    assert [r for r in caplog.records if r.name.startswith("matplotlib")] == []
    assert [p.name for p in paths] == ["01_height_weight_scatter.png", "02_loss_curve.png",
                                        "03_sgd_vs_momentum.png", "04_hours_ability_lines.png",
                                        "05_height_weight_fit.png"]
    for path in paths:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert findfont(FontProperties(family=FONT_FAMILY)) == str(FONT_FILE)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)  # no temp files left


def test_korean_text_uses_the_bundled_font():
    """Every Hangul character the figures use is in NanumGothic's character map."""
    from matplotlib.ft2font import FT2Font

    from slopefit.texts import TEXT
    from slopefit.views.plotting.style import FONT_FILE

    charmap = FT2Font(str(FONT_FILE)).get_charmap()
    korean = {ch for key, t in TEXT.items() if key.startswith("fig.") for ch in t["ko"] if ord(ch) > 127}
    assert korean and all(ord(ch) in charmap for ch in korean)


def test_the_categories_exercise_prints_statsmodels_numbers():
    import re

    import pandas as pd
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    from slopefit.teach.lesson import CATEGORY_FORMULA, run_categories

    frame = sm.datasets.grunfeld.load_pandas().data
    plain = smf.ols("invest ~ value + capital + C(firm)", frame).fit().params
    square = smf.ols(CATEGORY_FORMULA, frame).fit()
    ibm = float(square.predict(pd.DataFrame({"value": [3000.0], "capital": [200.0], "firm": ["IBM"]}))[0])
    for lang in ("ko", "en"):
        text = "\n".join(run_categories(lang).lines)
        assert "'American Steel'" in text and "firm[T.IBM]" in text
        assert f"{plain['value']:.4f}" in text and f"{plain['capital']:.4f}" in text
        assert f"{plain['C(firm)[T.IBM]']:+.2f}" in text and f"{plain['C(firm)[T.US Steel]']:+.2f}" in text
        assert f"R² {square.rsquared:.4f}" in text and f"{ibm:.2f}" in text
        assert float(re.search(r"(\d\.\de-\d\d)", text).group(1)) < 1e-6  # gradient descent against the exact line
    assert "기준 수준 'American Steel'" in "\n".join(run_categories("ko").lines)
