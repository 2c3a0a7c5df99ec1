"""The command line end to end: every command, and every error path with its message."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from slopefit.solve.exact import solve_exact
from tests.conftest import HEIGHT_WEIGHT_CSV

HW_SLOPE = 105.6 / 58  # hand-computed Sxy / Sxx for height-weight
HW_INTERCEPT = 65.4 - HW_SLOPE * 171


def slopefit(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "slopefit", *args], capture_output=True, text=True, **kwargs)


def test_help_does_not_import_heavy_packages():
    code = ("import sys; from slopefit.cli import main; rc = main(['--help']); "
            "print(rc, sorted(m for m in ('torch', 'pandas', 'matplotlib', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "0 []"
    assert "lesson" in out and "compare" in out


def test_console_script_runs():
    proc = slopefit("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("slopefit ")


@pytest.mark.parametrize("lang, marker", [("ko", "초기 상태 : 손실 : 185869.2656"),
                                          ("en", "initial state : loss : 185869.2656")])
def test_lesson(run_cli, tmp_path, lang, marker):
    run = run_cli("lesson", "--lang", lang, "--out", tmp_path / "figs")
    assert run.code == 0, run.err
    assert "tensor(-19.0400) tensor(2.0000)" in run.out
    assert "epoch = 200 loss = 0.1423" in run.out and "W =  [199.57222]" in run.out
    assert marker in run.out
    assert len(list((tmp_path / "figs").glob("*.png"))) == 5


@pytest.mark.slow
def test_lesson_language_from_locale(monkeypatch, run_cli, tmp_path):
    monkeypatch.setenv("LC_ALL", "ko_KR.UTF-8")
    run = run_cli("lesson", "--out", tmp_path)
    assert "01. 데이터 확인" in run.out
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    run = run_cli("lesson", "--out", tmp_path)
    assert "01. Looking at the data" in run.out


def test_datasets(run_cli):
    run = run_cli("datasets", "--lang", "en")
    assert run.code == 0
    assert "height-weight  5" in run.out and "hours -> ability" in run.out
    assert "다섯 명" in run_cli("datasets", "--lang", "ko").out


def test_fit_save_predict(run_cli, tmp_path):
    model = tmp_path / "hw.json"
    run = run_cli("fit", "height-weight", "--lr", "0.01", "--momentum", "0.9", "--epochs", "500", "--save", model,
                  "--plot", tmp_path / "plots")
    assert run.code == 0, run.err
    rows: dict[str, list[str]] = {}
    for line in run.out.splitlines():  # the first table: gradient descent next to exact
        if line.strip():
            rows.setdefault(line.split()[0], line.split()[1:])
    gd, exact = (float(v) for v in rows["height"][:2])
    assert gd == pytest.approx(HW_SLOPE, rel=1e-6) and exact == pytest.approx(HW_SLOPE, rel=1e-9)
    assert float(rows["intercept"][1]) == pytest.approx(HW_INTERCEPT, rel=1e-9)
    assert "R^2" in run.out and "relative gap" in run.out and "epochs         500" in run.out
    assert json.loads(model.read_text())["feature_names"] == ["height"]
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["fit.png", "gap.png", "leverage.png", "loss.png",
                                                                     "qq.png", "residuals.png"]

    run = run_cli("predict", model, "170", "175")
    assert run.code == 0, run.err
    values = [float(v) for v in run.out.split()]
    np.testing.assert_allclose(values, [HW_INTERCEPT + HW_SLOPE * 170, HW_INTERCEPT + HW_SLOPE * 175], rtol=1e-6)


def test_predict_csv_and_several_features(run_cli, write_csv, tmp_path):
    path = write_csv("a,b,t\n1,2,3.5\n2,1,4.1\n3,5,10.2\n4,3,9.9\n5,5,13.1\n")
    model = tmp_path / "m.json"
    assert run_cli("fit", path, "--optimizer", "lbfgs", "--lr", "1", "--epochs", "30", "--save", model).code == 0
    exact = solve_exact(np.array([[1, 2], [2, 1], [3, 5], [4, 3], [5, 5.0]]), np.array([3.5, 4.1, 10.2, 9.9, 13.1]))
    run = run_cli("predict", model, "1", "1", "2", "2")
    np.testing.assert_allclose([float(v) for v in run.out.split()], exact.predict(np.array([[1, 1], [2, 2.0]])),
                               rtol=1e-5)
    new = write_csv("b,a\n1,1\n2,2\n", name="new.csv")
    run = run_cli("predict", model, "--csv", new)
    np.testing.assert_allclose([float(v) for v in run.out.split()], exact.predict(np.array([[1, 1], [2, 2.0]])),
                               rtol=1e-5)
    run = run_cli("predict", model, "1", "2", "3")
    assert run.code == 2
    assert "3 values do not fill whole rows of 2 features (a, b); give a multiple of 2 values" in run.err


def test_compare(run_cli, tmp_path):
    run = run_cli("compare", "hours-ability", "--scale", "none", "--epochs", "200",
                  "--run", "sgd lr=0.01", "--run", "sgd lr=0.01 momentum=0.9", "--run", "sgd lr=0.5",
                  "--plot", tmp_path)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    plain = next(line for line in lines if line.startswith("sgd lr=0.01 "))
    momentum = next(line for line in lines if line.startswith("sgd lr=0.01 momentum=0.9"))
    assert float(plain.split()[2]) > 100 and float(momentum.split()[3]) < 0.01  # final losses
    assert "diverged (stable for lr < 0.1803)" in run.out  # 2/λmax, λmax = (2/3)·(17 + √265)/2
    assert (tmp_path / "compare_loss.png").exists() and (tmp_path / "compare_gap.png").exists()


def test_fit_minibatch_and_other_optimizers(run_cli):
    for args in (["--batch-size", "2", "--epochs", "300", "--lr", "0.01"],
                 ["--optimizer", "adam", "--lr", "0.5", "--dtype", "float64", "--epochs", "2000"],
                 ["--optimizer", "sgd", "--momentum", "0.9", "--option", "nesterov=true"]):
        run = run_cli("fit", "height-weight", *args)
        assert run.code == 0, run.err
        gd = float(next(line for line in run.out.splitlines() if line.startswith("height ")).split()[1])
        assert gd == pytest.approx(HW_SLOPE, rel=0.02)


# --- errors: one line, no traceback, the right exit code -----------------------------------

ERRORS = [
    (["fit", "missing.csv"], 1, "data file 'missing.csv' does not exist"),
    (["fit", "{csv}", "--x", "age"], 1, "column 'age' is not in data.csv; available columns: height, weight"),
    (["fit", "{bad}"], 1, "column 'weight' in bad.csv is not numeric: 'heavy' in row 2"),
    (["fit", "{nan}"], 1, "nan.csv has empty or NaN cells: 'weight' 2 (rows 2, 3); fill them or use --missing drop"),
    (["fit", "{one}"], 1, "one.csv has 1 row; a line needs at least 2 rows of data"),
    (["fit", "{const}"], 1, "feature 'age' is constant (every row is 30)"),
    (["fit", "height-weight", "--lr", "0"], 2, "learning rate must be a positive number, got lr=0.0"),
    (["fit", "height-weight", "--lr", "-0.1"], 2, "got lr=-0.1"),
    (["fit", "height-weight", "--lr", "fast"], 2, "argument --lr: invalid float value: 'fast'"),
    (["fit", "height-weight", "--epochs", "0"], 2, "argument --epochs: '0' must be a whole number >= 1"),
    (["fit", "height-weight", "--batch-size", "0"], 2, "argument --batch-size: '0' must be a whole number >= 1"),
    (["fit", "height-weight", "--chunk-rows", "0"], 2, "argument --chunk-rows: '0' must be a whole number >= 1"),
    (["advise", "height-weight", "--max-epochs", "0"], 2, "argument --max-epochs: '0' must be a whole number >= 1"),
    (["advise", "height-weight", "--momentum", "1.5"], 2, "--momentum must be in [0, 1), got 1.5; try 0.9"),
    (["sweep", "height-weight", "--gap", "-1"], 2, "--gap must be a relative gap > 0, got -1; e.g. --gap 1e-6"),
    (["fit", "height-weight", "--optimizer", "sdg"], 2, "unknown optimizer 'sdg'; choose one of sgd, adam"),
    (["fit", "height-weight", "--optimizer", "adam", "--momentum", "0.9"], 2,
     "optimizer 'adam' has no option 'momentum'; its options are betas, eps, weight_decay, amsgrad"),
    (["fit", "height-weight", "--option", "nesterov"], 2, "--option 'nesterov' must look like KEY=VALUE"),
    (["fit", "height-weight", "--scale", "none", "--lr", "0.001"], 1,
     "training diverged at epoch"),
    (["fit", "height-weight", "--scale", "center", "--lr", "0.1"], 1,
     "full-batch sgd on this data is stable only for lr < 0.08621 (2/λmax, λmax=23.2 of the MSE Hessian)"),
    (["predict", "{csv}", "1"], 1, "is not a slopefit model: not valid JSON"),
    (["predict", "{old}", "1"], 1, "has model format version 0, but this slopefit reads version 1"),
    (["predict", "nothing.json", "1"], 1, "model file 'nothing.json' does not exist"),
    (["predict", "{model}", "abc"], 2, "'abc' is not a number"),
    (["compare", "height-weight", "--run", "sgd speed=3"], 2, "optimizer 'sgd' has no option 'speed'"),
    (["compare", "height-weight"], 2, "the following arguments are required: --run"),
    (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
    (["fit", "height-weight", "--engine", "stats", "--batch-size", "2"], 2,
     "the stats engine computes full-batch losses only, but batch_size=2; use --engine data for minibatches"),
    (["fit", "{bad}", "--stream"], 1, "cannot read bad.csv: "),
    (["fit", "{mpg}", "--formula", "hwy ~ C(class)"], 2,
     "the term 'C(class)' is not valid Python; 'class' is a Python keyword: quote the column as `class` or Q('class')"),
    (["fit", "{mpg}", "--formula", "hwy ~ displ | displ"], 2, "the formula 'hwy ~ displ | displ' has several parts"),
    (["fit", "{mpg}", "--formula", "hwy ~ np.log(displ"], 2, "cannot read the formula 'hwy ~ np.log(displ'"),
    (["fit", "{nan}", "--stream"], 1,
     "nan.csv has empty or NaN cells: 'weight' 2 (rows 2, 3); fill them or use --missing drop"),
    (["fit", "{const}", "--stream"], 1, "feature 'age' is constant (every row is 30)"),
    (["fit", "{one}", "--stream"], 1, "one.csv has 1 row; a line needs at least 2 rows of data"),
    (["fit", "height-weight", "--stop-gap", "0"], 2, "stop_gap must be > 0 (or None), got stop_gap=0.0"),
    (["bench", "--n", "100", "--skip", "sklearn"], 2, "unknown benchmark method 'sklearn'"),
    (["step", "height-weight", "--steps", "0"], 2, "argument --steps: '0' must be a whole number >= 1"),
    (["step", "height-weight", "--lr", "-1"], 2, "learning rate must be a positive number, got lr=-1.0"),
    (["step", "missing.csv"], 1, "data file 'missing.csv' does not exist"),
    (["advise", "height-weight", "--lr", "0"], 2, "learning rate must be a positive number, got lr=0.0"),
    (["advise", "height-weight", "--tol", "2"], 2, "--tol must be between 0 and 1"),
    (["advise", "{nan}"], 1, "nan.csv has empty or NaN cells: 'weight' 2 (rows 2, 3)"),
    (["predict", "{model}", "1", "--interval"], 1, "this model file has no interval information"),
    (["predict", "{model}", "1", "--interval", "--level", "95"], 2, "'95' must be between 0 and 1"),
    (["sweep", "height-weight", "--optimizer", "adam", "--batch-size", "4"], 2, "a sweep trains full batch"),
    (["fit", "height-weight", "--momentum", "1.5"], 2, "sgd option momentum must be in [0, 1), got 1.5; try 0.9"),
    (["fit", "height-weight", "--momentum", "-0.5"], 2, "sgd option momentum must be in [0, 1), got -0.5; try 0.9"),
    (["compare", "height-weight", "--run", "sgd lr=0.1 momentum=1.5"], 2, "momentum must be in [0, 1), got 1.5"),
    (["sweep", "height-weight", "--momentum", "1.5"], 2, "sgd option momentum must be in [0, 1), got 1.5"),
    (["fit", "height-weight", "--option", "dampening=2"], 2, "sgd option dampening must be in [0, 1], got 2; try 0"),
    (["fit", "height-weight", "--lr", "0.1", "--option", "nesterov=true"], 2,
     "nesterov=true needs momentum > 0 (torch's rule), but no momentum is given"),
    (["fit", "height-weight", "--optimizer", "adam", "--lr", "0.1", "--option", "betas=1.5,0.9"], 2,
     "adam option betas must each be in [0, 1), got 1.5,0.9; try 0.9,0.999"),
    (["fit", "height-weight", "--optimizer", "adam", "--lr", "0.1", "--option", "eps=0"], 2,
     "adam option eps must be > 0, got 0; try 1e-8"),
    (["fit", "height-weight", "--optimizer", "rmsprop", "--lr", "0.1", "--option", "alpha=0"], 2,
     "rmsprop option alpha must be in (0, 1], got 0; try 0.99"),
    (["fit", "height-weight", "--optimizer", "lbfgs", "--option", "max_iter=0"], 2,
     "lbfgs option max_iter must be >= 1, got 0; try 20"),
    (["fit", "height-weight", "--option", "weight_decay=-1"], 2, "sgd option weight_decay must be >= 0, got -1"),
    (["fit", "height-weight", "--optimizer", "rmsprop", "--lr", "1e6"], 1,
     "rmsprop has no closed-form stable bound; lower the learning rate (try lr=100000)"),
]


def test_streamed_files_fit_like_loaded_ones(run_cli, tmp_path):
    import pandas as pd

    from slopefit.data.datasets import make_synthetic

    data = make_synthetic(3000, 2, seed=16, offset=50.0)
    frame = pd.DataFrame(data.X, columns=["a", "b"]).assign(y=data.y)
    for name in ("t.csv", "t.parquet"):
        path = tmp_path / name
        frame.to_csv(path, index=False) if name.endswith("csv") else frame.to_parquet(path)
        args = ("fit", path, "--lr", "0.1", "--momentum", "0.9", "--epochs", "300", "--dtype", "float64")
        loaded, streamed = run_cli(*args), run_cli(*args, "--stream", "--chunk-rows", "700")
        assert loaded.code == streamed.code == 0, streamed.err
        assert "3000 rows" in streamed.out and "stats engine on cpu" in streamed.out
        coef = [line.split()[1:3] for line in streamed.out.splitlines() if line.startswith(("a ", "b "))][:2]
        want = [line.split()[1:3] for line in loaded.out.splitlines() if line.startswith(("a ", "b "))][:2]
        assert len(coef) == 2
        for (gd, exact), (gd_want, exact_want) in zip(coef, want, strict=True):
            assert float(exact) == pytest.approx(float(exact_want), rel=1e-9)
            assert float(gd) == pytest.approx(float(gd_want), rel=1e-6)


def test_output_into_a_closed_pipe_stops_quietly(tmp_path):
    # 4000 table rows: far more than a pipe holds, so the writer meets the closed pipe
    command = (f"{sys.executable} -m slopefit sweep height-weight --lr 1e-4:1:400 --momentum 0:0.9:10 --epochs 20 "
               f"--plot {tmp_path} | head -1")
    proc = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120)
    assert proc.stdout.startswith("slopefit sweep: height-weight")
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr


def test_a_missing_gpu_is_one_line(run_cli):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    for command in (["fit", "height-weight"], ["sweep", "height-weight"], ["compare", "height-weight", "--run", "sgd"],
                    ["bench", "--n", "100"]):
        res = run_cli(*command, "--device", "cuda")
        assert res.code == 2 and "device 'cuda' is not available here" in res.err, command
        assert len(res.err.strip().splitlines()) == 1


@pytest.fixture
def files(tmp_path, write_csv):
    model = {"format": "slopefit-model", "format_version": 1, "coef": [2.0], "intercept": 1.0,
             "feature_names": ["x"], "target_name": "y"}
    (tmp_path / "model.json").write_text(json.dumps(model))
    (tmp_path / "old.json").write_text(json.dumps({**model, "format_version": 0}))
    return {
        "csv": write_csv(HEIGHT_WEIGHT_CSV),
        "bad": write_csv("height,weight\n166,58.7\n176,heavy\n171,62.1\n", "bad.csv"),
        "nan": write_csv("height,weight\n166,58.7\n176,\n171,NaN\n169,60.1\n", "nan.csv"),
        "one": write_csv("height,weight\n166,58.7\n", "one.csv"),
        "mpg": write_csv("displ,class,hwy\n1.8,compact,29\n5.3,suv,20\n5.7,2seater,26\n2.4,midsize,26\n", "mpg.csv"),
        "const": write_csv("height,age,weight\n166,30,58.7\n176,30,75.7\n171,30,62.1\n", "const.csv"),
        "model": tmp_path / "model.json",
        "old": tmp_path / "old.json",
    }


@pytest.mark.parametrize("argv, code, message", ERRORS, ids=[" ".join(a) for a, _, _ in ERRORS])
def test_error_paths(run_cli, files, argv, code, message):
    run = run_cli(*[a.format(**files) if a.startswith("{") else a for a in argv])
    assert run.code == code
    assert message in run.err
    errors = [line for line in run.err.strip().splitlines() if not line.startswith("warning: ")]
    assert len(errors) == 1, run.err  # one line (after fit's warning of an unstable lr, where it applies)
    assert "Traceback" not in run.err
    assert run.out == ""


def test_divergence_writes_no_model(run_cli, tmp_path):
    model = tmp_path / "never.json"
    run = run_cli("fit", "height-weight", "--scale", "center", "--lr", "0.2", "--save", model)
    assert run.code == 1 and not model.exists()


@pytest.mark.slow
def test_ctrl_c_stops_cleanly(tmp_path):
    model = tmp_path / "m.json"
    proc = subprocess.Popen([sys.executable, "-m", "slopefit", "fit", "synthetic:n=200000,d=8", "--lr", "0.01",
                             "--epochs", "1000000", "--save", str(model)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            # a shell that starts a job with & (CI runners do) hands it SIGINT ignored;
                            # give the child the disposition a terminal user's process has
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(5)  # past start-up and into training
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted" in err and "nothing was saved" in err  # at epoch N, or before training on a slow machine
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert not model.exists()


def test_compare_rejects_a_non_numeric_lr(run_cli):
    run = run_cli("compare", "height-weight", "--run", "sgd lr=fast")
    assert run.code == 2 and "lr='fast' in run 'sgd lr=fast' is not a number" in run.err


def test_predict_csv_missing_column(run_cli, write_csv, files):
    path = write_csv("z\n1\n2\n", name="new.csv")
    run = run_cli("predict", files["model"], "--csv", path)
    assert run.code == 1
    assert "column 'x' (a feature of the model) is not in new.csv; available columns: z" in run.err


@pytest.mark.parametrize("cell, said", [("NA", "has empty or NA cells in row 2"),
                                        ("nan", "has empty or NA cells in row 2"),
                                        ("inf", "has infinite cells in row 2")])
def test_predict_csv_names_a_missing_cell_missing_and_an_infinite_one_infinite(run_cli, write_csv, files, cell, said):
    path = write_csv(f"x\n1\n{cell}\n3\n", name="new.csv")
    run = run_cli("predict", files["model"], "--csv", path)
    assert run.code == 1 and f"column 'x' in new.csv {said}" in run.err and run.err.count("\n") == 1


@pytest.mark.parametrize("text, lines", [("x\n1\n\n3\n", "line 3"), ("x,z\n1,0\n\n\n3,0\n", "lines 3, 4")])
def test_predict_csv_refuses_blank_lines_among_its_rows(run_cli, write_csv, files, text, lines):
    """A blank line is skipped by the readers: the predictions after it would stand beside the wrong lines
    (3 lines in, 2 predictions out). Blank lines at the end change nothing and are allowed."""
    path = write_csv(text, name="new.csv")
    run = run_cli("predict", files["model"], "--csv", path, "--lang", "en")
    assert run.code == 1 and run.err.count("\n") == 1
    assert f"new.csv has blank lines among its rows ({lines}); predictions are made one per line" in run.err
    run = run_cli("predict", files["model"], "--csv", path, "--lang", "ko")
    assert run.code == 1 and "빈 줄" in run.err and lines.split()[-1] in run.err
    ended = write_csv("x\n1\n3\n\n\n", name="ended.csv")
    run = run_cli("predict", files["model"], "--csv", ended, "--lang", "en")
    assert run.code == 0
    # the model is y = 2x + 1: one prediction per row, in order
    assert [float(v) for v in run.out.split()[-2:]] == pytest.approx([3.0, 7.0], rel=1e-12)


def test_predict_csv_of_one_hangul_column_in_cp949(run_cli, tmp_path):
    """'키' in CP949 is also valid UTF-8 ('Ű'): the model's column names settle which encoding the file is."""
    model = {"format": "slopefit-model", "format_version": 1, "coef": [2.0], "intercept": 1.0,
             "feature_names": ["키"], "target_name": "몸무게"}
    (tmp_path / "m.json").write_text(json.dumps(model, ensure_ascii=False), encoding="utf-8")
    new = tmp_path / "new.csv"
    new.write_bytes("키\n170\n180\n".encode("cp949"))
    run = run_cli("predict", tmp_path / "m.json", "--csv", new, "--lang", "en")
    assert run.code == 0, run.err
    # y = 2x + 1 at 170 and 180
    assert [float(v) for v in run.out.split()] == pytest.approx([341.0, 361.0], rel=1e-12)


def test_predict_from_a_model_that_stopped_early_says_so(run_cli, tmp_path):
    """A model saved from a run that did not converge predicts with its descent's line: the note says
    so, with the gap the fit reported; a converged model predicts without it."""
    early, done = tmp_path / "early.json", tmp_path / "done.json"
    fitted = run_cli("fit", "height-weight", "--lr", "0.0001", "--epochs", "5", "--save", early, "--lang", "en")
    assert fitted.code == 0
    assert run_cli("fit", "height-weight", "--save", done, "--lang", "en").code == 0
    run = run_cli("predict", early, "170", "--lang", "en")
    assert run.code == 0 and "early.json was saved from a run that stopped before the optimum" in run.err
    saved = json.loads(early.read_text(encoding="utf-8"))
    # the gap printed is the fit's own: (final loss - exact loss) / exact loss, from the file's losses
    gap = (saved["final_loss"] - saved["exact_loss"]) / saved["exact_loss"]
    assert f"relative gap {gap:.2g})" in run.err
    assert run_cli("predict", early, "170", "--lang", "ko").err.startswith("참고: early.json은(는) 최적에 닿기 전에")
    run = run_cli("predict", done, "170", "--lang", "en")
    assert run.code == 0 and run.err == ""


def test_unwritable_output_is_one_line(run_cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    run = run_cli("lesson", "--lang", "en", "--out", blocker / "figs")
    assert run.code == 1
    assert f"cannot write '{blocker / 'figs'}" in run.err and "choose another location" in run.err
    assert len(run.err.strip().splitlines()) == 1 and "Traceback" not in run.err
    run = run_cli("fit", "height-weight", "--save", tmp_path)
    assert run.code == 1 and "is a directory; give a file name" in run.err


def test_predict_rejects_non_finite_values(run_cli, files):
    run = run_cli("predict", files["model"], "nan")
    assert run.code == 2 and "'nan' is not a finite number" in run.err


def test_step_reproduces_the_lesson_section_02(run_cli):
    res = run_cli("step", "height-weight", "--steps", "2")
    assert res.code == 0, res.err
    assert "Yp = [-4.0000, 6.0000, 1.0000, 3.0000, -1.0000]" in res.out
    assert "loss = 13.3520" in res.out
    first = res.out.split("-- step 2 --")[0]
    assert "-19.04" in first and "1 - 0.001·(-19.04) = 1.01904" in first
    assert "1 - 0.001·(2) = 0.998" in first


def test_advise_gives_the_seed_bounds_and_a_measured_run(run_cli):
    res = run_cli("advise", "height-weight", "--scale", "center")
    assert res.code == 0, res.err
    assert "lr < 0.0862069" in res.out and "lr < 0.163793" in res.out  # 2/λmax, 2(1.9)/λmax
    predicted, measured = res.out.split("predicted from the rate ")[1].split(", measured ")
    assert abs(int(predicted) - int(measured)) <= 3  # plain sgd follows the rate closely
    raw = run_cli("advise", "height-weight", "--scale", "none", "--max-epochs", "10")
    assert "lr < 3.41" in raw.out and "not reached in 10 epochs" in raw.out
    hours = run_cli("advise", "hours-ability", "--scale", "none", "--max-epochs", "10")
    assert "lr < 0.18" in hours.out


def test_fit_warns_before_an_unstable_lr(run_cli):
    res = run_cli("fit", "height-weight", "--scale", "center", "--lr", "0.09", "--epochs", "50")
    assert res.err.startswith("warning: lr=0.09 is past the stable bound of full-batch sgd on this data, "
                              "lr < 0.08621 (2/λmax, λmax=23.2 of the MSE Hessian)")  # 2/λmax, as in the lesson
    assert "expect divergence" in res.err
    ok = run_cli("fit", "height-weight", "--scale", "center", "--lr", "0.09", "--momentum", "0.9", "--epochs", "50")
    assert "warning" not in ok.err  # momentum 0.9 raises the bound to 0.164


def test_fit_prints_the_statistical_summary(run_cli):
    res = run_cli("fit", "height-weight", "--momentum", "0.9", "--epochs", "300")
    assert "least-squares statistics (OLS at the exact optimum, 5 rows, 3 residual dof):" in res.out
    line = next(row for row in res.out.splitlines() if row.startswith("height ") and "0.36" in row)
    assert line.split()[1:3] == ["1.82069", "0.3612"]  # coef and its standard error (statsmodels: 0.361154)
    assert "R^2 0.894421   adj. R^2 0.859229" in res.out  # statsmodels: 0.8592286
    assert "F-statistic 25.4149 on 1 and 3 dof, p-value 0.01505" in res.out


def test_predict_interval_flags_the_lessons_four_hours(run_cli, tmp_path):
    model = tmp_path / "h.json"
    assert run_cli("fit", "hours-ability", "--momentum", "0.9", "--epochs", "300", "--save", model).code == 0
    res = run_cli("predict", model, "2", "4", "--interval")
    assert res.code == 0, res.err
    rows = res.out.splitlines()
    assert "95% confidence (mean)" in rows[0] and "95% prediction (new value)" in rows[0]
    assert rows[2].split()[1] == "400" and "extrapolation" not in rows[2]
    assert rows[3].split()[1] == "800" and rows[3].endswith("extrapolation")
    assert "outside the training range of hours (1 to 3): extrapolation" in res.err
    plain = run_cli("predict", model, "4")
    assert float(plain.out) == pytest.approx(800, rel=1e-6) and "extrapolation" in plain.err


def test_fit_says_when_a_file_was_read_in_chunks(run_cli, tmp_path, monkeypatch):
    from slopefit.solve import preparation

    def same_to_the_digits_printed(got: str, want: str) -> None:
        """The lines on x, the intercept and R^2 of two outputs agree word by word, numbers to their
        printed digits: a read in chunks sums in another order and solves from the statistics, a whole
        read solves on the rows; the two answers differ by rounding (~1e-15 relative), and each side
        rounds to half a unit of its last digit, so two printings are at most one unit apart."""
        def lines(out: str) -> list[list[str]]:
            return [line.split() for line in out.splitlines() if line.startswith(("x ", "intercept", "R^2 "))]

        def unit(word: str) -> float:  # one unit in the last digit printed
            mantissa, _, exponent = word.lower().partition("e")
            return 10.0 ** (int(exponent or 0) - len(mantissa.partition(".")[2]))

        assert [len(line) for line in lines(got)] == [len(line) for line in lines(want)] != []
        for got_line, want_line in zip(lines(got), lines(want), strict=True):
            for a, b in zip(got_line, want_line, strict=True):
                try:
                    x, y = float(a), float(b)
                except ValueError:  # words, and p-values printed as <1e-16
                    assert a == b, (got_line, want_line)
                    continue
                assert abs(x - y) <= (1 + 1e-9) * max(unit(a), unit(b)), (got_line, want_line)

    rows = "\n".join(f"{x},{2 * x + 1 + (x % 3) * 0.1}" for x in range(50))
    path = tmp_path / "big.csv"
    path.write_text("x,y\n" + rows + "\n")
    whole = run_cli("fit", path)
    assert whole.code == 0 and "read in chunks" not in whole.out
    monkeypatch.setattr(preparation, "EXACT_ON_ROWS_MAX", 10)
    held = run_cli("fit", path)
    # one pass: the residuals of the first rows' line, gathered with the statistics, refine the optimum
    assert "read whole into pyarrow's columns: 50 rows held in memory, 1 pass (the statistics);" in held.out
    monkeypatch.setattr(preparation, "RESIDENT_BYTES", 100)
    streamed = run_cli("fit", path, "--chunk-rows", "16")
    assert streamed.code == 0
    assert "read in chunks of 16 rows: 50 rows, 1 pass (the statistics), not held in memory" in streamed.out
    same_to_the_digits_printed(streamed.out, whole.out)
    # first rows unlike the rest (the first chunk's slope is -2, the others' +2): the refinement reads the
    # file again (the first chunk, ~6000 rows, is what the first 64 KB of CSV text hold)
    odd = tmp_path / "odd.csv"
    odd.write_text("x,y\n" + "\n".join(f"{x % 97},{(-2 if x < 8000 else 2) * (x % 97) + (x % 3) * 0.1}"
                                         for x in range(20_000)))
    monkeypatch.setattr(preparation, "EXACT_ON_ROWS_MAX", 10**6)
    odd_whole = run_cli("fit", odd)
    monkeypatch.setattr(preparation, "EXACT_ON_ROWS_MAX", 10)
    odd_streamed = run_cli("fit", odd, "--chunk-rows", "1000")
    assert "read in chunks of 1,000 rows: 20,000 rows, 2 passes (the statistics, then the residuals" in odd_streamed.out
    same_to_the_digits_printed(odd_streamed.out, odd_whole.out)


def test_fit_json_writes_what_fit_prints_and_statsmodels_agrees(run_cli, tmp_path):
    from statsmodels.datasets import longley

    from tests.train.test_results import check_report_against_statsmodels, statsmodels_data

    frame = longley.load_pandas()
    data_csv = tmp_path / "longley.csv"
    frame.data.to_csv(data_csv, index=False, columns=[*frame.exog.columns, frame.endog.name])
    out = tmp_path / "out" / "fit.json"
    run = run_cli("fit", data_csv, "--json", out)
    assert run.code == 0, run.err
    assert run.out.rstrip().endswith(f"results saved to {out}")
    report = json.loads(out.read_text(encoding="utf-8"))
    check_report_against_statsmodels(report, statsmodels_data("longley"))
    assert report["target"] == "TOTEMP" and report["stop_reason"] == "converged"
    for key in ("optimizer", "lr", "momentum", "epochs_run", "relative_gap", "auto", "config", "intercept"):
        assert key in report
    printed = run.out.split("least-squares statistics")[1]
    assert f"R^2 {report['summary']['r2']:.6f}" in printed
    assert [p.name for p in out.parent.iterdir()] == ["fit.json"]  # written atomically: no temporary left


@pytest.mark.parametrize("stream", [False, True])
def test_fit_cov_prints_and_saves_robust_standard_errors(run_cli, tmp_path, stream):
    import statsmodels.api as sm
    from statsmodels.datasets import longley

    frame = longley.load_pandas()
    data_csv = tmp_path / "longley.csv"
    frame.data.to_csv(data_csv, index=False, columns=[*frame.exog.columns, frame.endog.name])
    out = tmp_path / "fit.json"
    run = run_cli("fit", data_csv, "--cov", "HC3", "--json", out,
                  *(["--stream", "--chunk-rows", "5"] if stream else []))
    assert run.code == 0, run.err
    printed = run.out.split("least-squares statistics")[1]
    assert printed.startswith(" (OLS at the exact optimum, 16 rows, 9 residual dof, covariance HC3 "
                              "(heteroskedasticity-robust)):")
    assert "P>|z|" in printed and "robust Wald F" in printed
    assert ("note: nearly collinear design: variance inflation factor above 10 for GNPDEFL (136), GNP (1.79e+03), "
            "UNEMP (33.6), POP (399), YEAR (759)") in printed
    summary = json.loads(out.read_text(encoding="utf-8"))["summary"]
    ols = sm.OLS(frame.endog, sm.add_constant(frame.exog, prepend=False)).fit(cov_type="HC3")
    assert summary["cov_type"] == "HC3"
    np.testing.assert_allclose(summary["std_err"], ols.bse, rtol=1e-6)
    assert summary["f"] == pytest.approx(ols.fvalue, rel=1e-6)


def test_fit_cov_rejects_an_unknown_type(run_cli):
    run = run_cli("fit", "height-weight", "--cov", "HC9")
    assert run.code == 2 and "argument --cov: invalid choice: 'HC9'" in run.err


def test_fit_json_of_a_run_with_lr_keeps_its_settings(run_cli, tmp_path):
    out = tmp_path / "fit.json"
    assert run_cli("fit", "height-weight", "--lr", "0.01", "--momentum", "0.9", "--epochs", "40",
                   "--scale", "center", "--json", out).code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert (report["optimizer"], report["lr"], report["momentum"], report["epochs_run"]) == ("sgd", 0.01, 0.9, 40)
    assert report["auto"] is None and report["stop_reason"] == "epochs" and report["summary"]["vif"] is None
    assert report["coef"].keys() == {"height"}
