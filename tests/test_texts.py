"""The one table of texts: every key in both languages with the same fields, every key the code asks
for present (read from the source with ``ast``), and the command line speaking the language of --lang:
Korean headings, tables, notes, warnings and errors with ``--lang ko`` (or a Korean locale), no Hangul
with ``--lang en`` but what the data holds."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from slopefit.texts import CLI_TEXT, PAGE_TEXT, SERVER_TEXT, TEXT, Bilingual, text

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "slopefit"
HANGUL = re.compile("[\uac00-\ud7a3]")
FIELD = re.compile(r"\{(\w+)")
HW_SLOPE = 105.6 / 58  # hand-computed Sxy / Sxx for height-weight
HW_INTERCEPT = 65.4 - HW_SLOPE * 171


# ---------------------------------------------------------------- the tables

@pytest.mark.parametrize("table", [TEXT, CLI_TEXT, PAGE_TEXT, SERVER_TEXT], ids=["lesson", "cli", "page", "server"])
def test_every_key_has_both_languages_and_the_same_fields(table):
    for key, values in table.items():
        assert set(values) == {"ko", "en"}, key
        assert sorted(FIELD.findall(values["ko"])) == sorted(FIELD.findall(values["en"])), key
        assert values["ko"].strip() and values["en"].strip(), key


def test_the_terminal_speaks_korean_in_korean_and_never_in_english():
    for key, values in CLI_TEXT.items():
        assert not HANGUL.search(values["en"]), key
        # a Korean text has Hangul, or is the same in both but for spacing (a symbol, a name: "MSE", "R^2")
        assert HANGUL.search(values["ko"]) or values["ko"].split() == values["en"].split(), key


def test_one_lookup_finds_each_key_in_one_place():
    assert set(TEXT) & set(CLI_TEXT) == set()


def test_a_bilingual_value_is_said_in_the_language_of_its_sentence():
    advice = Bilingual(ko="lr= 를 낮추세요", en="lower lr=")
    assert text("err.diverged", "ko", epoch=3, trend="x", run="sgd lr=5", advice=advice).endswith("lr= 를 낮추세요")
    assert text("err.diverged", "en", epoch=3, trend="x", run="sgd lr=5", advice=advice).endswith("; lower lr=")


def _keys_asked_for() -> tuple[set[str], set[str]]:
    """The keys the source passes to text()/t()/count() or raises with (key=), and the literal prefixes
    of keys built with an f-string (each must start some key)."""
    keys, prefixes = set(), set()

    def take(node: ast.AST, *, noun: bool = False) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if noun:
                keys.update({f"count.{node.value}.one", f"count.{node.value}.many"})
            else:
                keys.add(node.value)
        elif isinstance(node, ast.IfExp):
            take(node.body, noun=noun)
            take(node.orelse, noun=noun)
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            prefixes.add(node.values[0].value)

    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] in ("texts", "server"):  # the server's keys: tests/server
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in ("text", "t") and node.args:
                take(node.args[0])
            if name == "count" and len(node.args) >= 2:
                take(node.args[1], noun=True)
            for keyword in node.keywords:
                if keyword.arg == "key":
                    take(keyword.value)
    return keys, prefixes


def test_every_key_the_code_asks_for_is_in_the_table():
    keys, prefixes = _keys_asked_for()
    known = set(TEXT) | set(CLI_TEXT)
    assert len(keys) > 150, "the scan found too few keys: has text() been renamed?"
    assert sorted(keys - known) == []
    assert sorted(p for p in prefixes if not any(k.startswith(p) for k in known)) == []


def test_every_command_takes_lang():
    from slopefit.cli import build_parser

    for action in build_parser()._actions:  # noqa: SLF001 - argparse keeps its subcommands there
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            missing = [name for name, command in action.choices.items()
                       if "--lang" not in {o for a in command._actions for o in a.option_strings}]  # noqa: SLF001
            assert action.choices and missing == []


# ---------------------------------------------------------------- the command line in each language

def _slope_and_intercept(out: str, intercept: str) -> tuple[float, float]:
    """The gradient-descent column of the fit table: the height row and the intercept row."""
    slope = float(re.search(r"^height\s+(\S+)", out, re.M).group(1))
    b = float(re.search(rf"^{intercept}\s+(\S+)", out, re.M).group(1))
    return slope, b


def test_fit_in_korean_prints_its_table_and_notes_in_korean(run_cli):
    run = run_cli("fit", "height-weight", "--lang", "ko")
    assert run.code == 0, run.err
    for line in ("slopefit fit: height-weight (5행, 특성 1개 -> weight)", "자동 선택:", "경사하강법",
                 "정확한 해 (최소제곱)", "상대 차이", "손실 (MSE)", "초기 손실", "최소제곱 통계", "표준오차",
                 "수정 R^2", "F 통계량"):
        assert line in run.out, line
    assert "gradient descent" not in run.out and "least squares" not in run.out
    slope, intercept = _slope_and_intercept(run.out, "절편")
    # the run stops once every coefficient is within 1e-9 of the optimum; the table shows 10 digits
    assert slope == pytest.approx(HW_SLOPE, rel=1e-8)
    assert intercept == pytest.approx(HW_INTERCEPT, rel=1e-8)


def test_fit_in_english_prints_no_hangul(run_cli):
    run = run_cli("fit", "height-weight", "--lang", "en")
    assert run.code == 0, run.err
    assert not HANGUL.search(run.out + run.err)
    slope, intercept = _slope_and_intercept(run.out, "intercept")
    assert slope == pytest.approx(HW_SLOPE, rel=1e-8)
    assert intercept == pytest.approx(HW_INTERCEPT, rel=1e-8)


def test_english_keeps_the_data_s_own_korean(run_cli, write_csv):
    path = write_csv("키,몸무게\n166,58.7\n176,75.7\n171,62.1\n173,70.4\n169,60.1\n", "korean.csv")
    run = run_cli("fit", path, "--lang", "en")
    assert run.code == 0, run.err
    # Hangul only in the column names; everything slopefit says is English
    assert HANGUL.sub("", run.out.replace("키", "").replace("몸무게", "")) == run.out.replace("키", "").replace(
        "몸무게", "")
    assert float(re.search(r"^키\s+(\S+)", run.out, re.M).group(1)) == pytest.approx(HW_SLOPE, rel=1e-8)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_run_past_its_bound_is_warned_and_told_in_its_language(run_cli, lang):
    run = run_cli("fit", "height-weight", "--lr", "1.5", "--epochs", "3", "--lang", lang)
    assert run.code == 0, run.err
    # the bound is 2/λmax with λmax = 2 for standardized one-feature data (2 · the unit variance)
    assert "lr < 1 (2/λmax" in run.err
    if lang == "ko":
        assert run.err.startswith("경고: lr=1.5 는") and "참고: 정확한 최적값에 수렴하지 못함" in run.out
        assert "--lr 를 낮추세요" in run.out  # the Python word lr= becomes the flag in Korean too
    else:
        assert run.err.startswith("warning: lr=1.5 is past") and not HANGUL.search(run.out + run.err)


@pytest.mark.parametrize(("args", "korean", "english"), [
    (["fit", "/no/such.csv"], "데이터 파일 '/no/such.csv'이(가) 없습니다", "data file '/no/such.csv' does not exist"),
    (["fit", "height-weight", "--x", "nope"], "열 'nope'이(가) height-weight에 없습니다; 있는 열: height, weight",
     "column 'nope' is not in height-weight; available columns: height, weight"),
    (["fit", "height-weight", "--lr", "-1"], "학습률은 양수여야 합니다, 받은 값 lr=-1.0",
     "learning rate must be a positive number, got lr=-1.0"),
    (["fit", "height-weight", "--lr", "5", "--epochs", "200"], "학습이 epoch 5에서 발산했습니다",
     "training diverged at epoch 5"),
    (["predict", "/no/model.json", "1"], "모델 파일 '/no/model.json'이(가) 없습니다",
     "model file '/no/model.json' does not exist"),
    (["fit", "grunfeld", "--formula", "invest ~ C(class)"], "'class'은(는) Python 예약어입니다",
     "'class' is a Python keyword"),
    (["fit", "grunfeld", "--formula", "invest ~ value | capital"], "'|'로 나뉜 여러 부분",
     "several parts split by '|'"),
    (["fit", "grunfeld", "--formula", "invest ~ nope"], "수식이 열 'nope'을(를) 쓰지만 grunfeld.csv에 없습니다",
     "the formula names column 'nope', which is not in grunfeld.csv"),
])
def test_errors_are_one_line_in_the_language_asked(run_cli, args, korean, english):
    ko = run_cli(*args, "--lang", "ko")
    en = run_cli(*args, "--lang", "en")
    assert ko.code == en.code != 0
    for run, said in ((ko, korean), (en, english)):
        line = run.err.strip().splitlines()[-1]
        assert line.startswith("slopefit: ") and said in line and "Traceback" not in run.err
    assert not HANGUL.search(en.err)


@pytest.mark.parametrize("args, korean, english", [
    (["fit", "height-weight", "--scale", "standard"], "slopefit fit: --scale에 'standard'은(는) 쓸 수 없습니다 "
     "('none', 'center', 'standardize' 중 하나를 고르세요", "argument --scale: invalid choice: 'standard'"),
    (["fit", "height-weight", "--lr", "abc"], "slopefit fit: --lr에 준 'abc'은(는) 수가 아닙니다",
     "argument --lr: invalid float value: 'abc'"),
    (["fit", "height-weight", "--epochs", "1.5"], "slopefit fit: --epochs에 준 '1.5'은(는) 정수가 아닙니다",
     "argument --epochs: '1.5' is not a whole number"),
    (["fit", "height-weight", "--epochs", "0"], "slopefit fit: --epochs에는 1 이상의 정수를 주세요, 받은 값 '0'",
     "argument --epochs: '0' must be a whole number >= 1"),
    (["fit", "height-weight", "--nope"], "slopefit: 알 수 없는 인수입니다: --nope", "unrecognized arguments: --nope"),
    (["predict"], "slopefit predict: 꼭 주어야 하는 인수가 빠졌습니다: MODEL",
     "the following arguments are required: MODEL"),
])
def test_the_parser_s_own_errors_are_said_in_the_language_asked(run_cli, args, korean, english):
    """argparse words its errors in English; under --lang ko (given anywhere on the line) they are said again
    in Korean from the table of texts, one line, exit 2."""
    ko = run_cli(*args, "--lang", "ko")
    en = run_cli(*args, "--lang=en")
    assert ko.code == en.code == 2
    assert korean in ko.err and "--help 참고)" in ko.err and len(ko.err.strip().splitlines()) == 1
    assert english in en.err and not HANGUL.search(en.err)


def test_cells_a_file_lacks_or_cannot_read_are_named_in_korean(run_cli, write_csv):
    bad = write_csv("a,b,y\n1,2,3\n2,x,5\n3,4,7\n", "bad.csv")
    run = run_cli("fit", bad, "--lang", "ko")
    assert run.code == 1
    assert run.err == "slopefit: bad.csv의 열 'b'은(는) 숫자가 아닙니다: 2행 (데이터 행, 머리글 제외)에 'x'; 그 칸을 " \
                      "고치거나 --x / --y 로 숫자 열을 고르세요\n"
    holes = write_csv("a,b,y\n1,2,3\n2,3,5\n3,,7\n4,5,\n5,1,6\n", "holes.csv")
    run = run_cli("fit", holes, "--lang", "ko")
    assert run.err == ("slopefit: holes.csv에 비었거나 NaN인 칸이 있습니다: 'b' 1 (3행), 'y' 1 (4행); 채우거나 "
                       "--missing drop 을 쓰세요\n")
    run = run_cli("fit", holes, "--lang", "ko", "--missing", "drop")
    assert run.code == 0 and "빈 칸이 있는 2행을 뺐습니다 (5 -> 3행)" in run.out
    # three rows left, (1,2,3), (2,3,5), (5,1,6): y = a + b exactly, so both slopes are 1
    coef = {name: float(v) for name, v in re.findall(r"^([ab])\s+(\S+)", run.out, re.M)[:2]}
    assert coef["a"] == pytest.approx(1.0, abs=1e-7) and coef["b"] == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize("command", [
    ["compare", "height-weight", "--run", "sgd", "--run", "sgd lr=5"],
    ["sweep", "height-weight", "--lr", "0.01,0.5", "--momentum", "0"],
    ["advise", "height-weight"],
    ["step", "height-weight", "--steps", "1"],
    ["datasets"],
])
def test_every_command_speaks_korean_and_english(run_cli, tmp_path, command):
    plot = ["--plot", tmp_path] if command[0] in ("compare", "sweep") else []
    ko = run_cli(*command, *plot, "--lang", "ko")
    en = run_cli(*command, *plot, "--lang", "en")
    assert ko.code == en.code == 0, ko.err + en.err
    assert HANGUL.search(ko.out)
    assert not HANGUL.search(en.out + en.err)  # datasets' descriptions too are in the language asked
    if command[0] == "advise":  # 2/λmax with λmax = 2 for one standardized feature
        assert re.search(r"lr < 1\s", ko.out) and re.search(r"lr < 1\s", en.out)


def test_the_language_follows_a_korean_locale(run_cli, monkeypatch):
    monkeypatch.setenv("LC_ALL", "ko_KR.UTF-8")
    run = run_cli("fit", "height-weight", "--x", "nope")
    assert run.err.startswith("slopefit: 열 'nope'이(가)")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    run = run_cli("fit", "height-weight", "--x", "nope")
    assert run.err.startswith("slopefit: column 'nope' is not in height-weight")
