"""A penalised or plain fit on columns in wildly different units: never a runaway line as a result,
and the messages name the Hessian the bound is read from and what to change."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.datasets import load_diabetes

from slopefit.errors import DivergenceError
from slopefit.solve.penalties import Penalty
from slopefit.train.loop import LoopRecord
from slopefit.train.messages import divergence_advice, not_converged_advice, unstable_lr_warning


@pytest.fixture(scope="module")
def units_csv(tmp_path_factory):
    """Diabetes with bmi in millionths (x 1e6) and bp shifted and stretched (x 100 + 1e4)."""
    frame = load_diabetes(as_frame=True).frame
    frame["bmi"] = frame["bmi"] * 1e6
    frame["bp"] = frame["bp"] * 100 + 1e4
    path = tmp_path_factory.mktemp("data") / "units.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    return path, frame


def _kappa(frame, scale_center: bool) -> float:
    """λmax/λmin of [X - mean (or X), 1]^T [..] / n: the curvature a run with --scale center/none sees."""
    X = frame.drop(columns="target").to_numpy()
    A = np.column_stack([X - X.mean(axis=0) if scale_center else X, np.ones(len(X))])
    lam = np.linalg.eigvalsh(A.T @ A / len(X))
    return float(lam[-1] / lam[0])


@pytest.mark.parametrize("scale", ["center", "none"])
def test_unstandardized_lasso_says_to_standardize(run_cli, units_csv, scale):
    path, frame = units_csv
    run = run_cli("fit", path, "--y", "target", "--lasso", "0.1", "--scale", scale, "--epochs", "2000")
    assert run.code == 0, run.err
    warning = [line for line in run.err.splitlines() if line.startswith("warning:")]  # before training
    assert len(warning) == 1 and warning[0].startswith(f"warning: with scale={scale} the Hessian has κ=")
    assert warning[0].endswith("use --scale standardize")
    chosen = next(line for line in run.out.splitlines() if line.startswith("chosen:"))
    momentum = re.search(r"momentum=1-([0-9.e+-]+)", chosen)
    assert momentum, chosen  # not printed as "momentum=1"
    lo, hi = (float(v) for v in re.search(r"λmin=([0-9.e+-]+), λmax=([0-9.e+-]+)", chosen).groups())
    kappa = hi / lo * 1.05**2  # the spectrum is widened 5% at both ends
    beta = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
    assert float(momentum.group(1)) == pytest.approx(1 - beta, rel=0.02)
    assert "taken as flat" in chosen  # λmin printed is the smallest eigenvalue the step plans for, and says so
    kappa = _kappa(frame, scale == "center")  # the whole spectrum, numpy's
    note = next(line for line in run.out.splitlines() if line.startswith("note: not converged"))
    assert "use --scale standardize" in note
    assert float(re.search(r"κ=([0-9.e+]+)", note).group(1)) == pytest.approx(kappa, rel=0.05)
    numbers = [float(v) for line in run.out.splitlines()[5:17] for v in re.findall(r"-?\d\.?\d*e[+-]\d+", line)]
    assert all(abs(v) < 1e12 for v in numbers)


def test_standardized_lasso_on_the_same_file_equals_scikit_learn(run_cli, units_csv, tmp_path):
    import json

    from sklearn.linear_model import Lasso

    path, frame = units_csv
    X, y = frame.drop(columns="target").to_numpy(), frame["target"].to_numpy()
    ref = Lasso(alpha=0.1, tol=1e-14, max_iter=1_000_000).fit(X, y)  # the penalty on the original units
    run = run_cli("fit", path, "--y", "target", "--lasso", "0.1", "--json", tmp_path / "r.json")
    assert run.code == 0, run.err
    assert "not converged" not in run.out
    coef = np.array(list(json.loads((tmp_path / "r.json").read_text())["coef"].values()))
    scale = X.std(0)  # compare in standardized units: bmi's coefficient is 1e6 times smaller than the rest
    np.testing.assert_allclose(coef * scale, ref.coef_ * scale, rtol=1e-5, atol=1e-5 * np.abs(ref.coef_ * scale).max())
    assert np.array_equal(coef == 0.0, ref.coef_ == 0.0)


def test_penalised_divergence_names_the_penalised_hessian(run_cli, units_csv):
    path, frame = units_csv
    X = frame.drop(columns="target").to_numpy()
    Xs = (X - X.mean(0)) / X.std(0)
    n = len(X)
    alpha = 50.0
    # Ridge's alpha ||w||^2 / n on the coefficients in original units is alpha / (n s_j^2) on the standardized ones
    ridge = np.diag(alpha / n / X.std(0) ** 2)
    q = np.block([[Xs.T @ Xs / n + ridge, np.zeros((10, 1))], [np.zeros((1, 10)), np.ones((1, 1))]])
    lam_max = 2 * np.linalg.eigvalsh(q)[-1]
    run = run_cli("fit", path, "--y", "target", "--ridge", str(alpha), "--optimizer", "sgd", "--lr", "5",
                  "--epochs", "500")
    assert run.code != 0 and run.err.count("\n") <= 2, run.err
    assert "training diverged" in run.err and "MSE + L2 term" in run.err and "MSE Hessian" not in run.err
    assert float(re.search(r"λmax=([0-9.e+]+)", run.err).group(1)) == pytest.approx(lam_max, rel=1e-3)


def test_messages_name_the_hessian():
    ridge, lasso, net = Penalty("ridge", 1.0), Penalty("lasso", 0.1), Penalty("elasticnet", 0.1, l1_ratio=0.5)
    plain = divergence_advice(4.0, "sgd", None, 1.0, scaling="standardize")
    assert "of the MSE Hessian)" in plain
    assert "smooth part, MSE + L2 term)" in divergence_advice(4.0, "sgd", None, 1.0, scaling="standardize",
                                                            penalty=ridge)
    assert "smooth part, MSE + L2 term)" in unstable_lr_warning(4.0, "sgd", None, 1.0, penalty=net)
    assert "the L1 part adds no curvature" in not_converged_advice(4.0, "sgd", None, 1.0, penalty=lasso)
    # 2/λmax = 0.5 for λmax = 4: the bound is the same number whichever Hessian it is named after
    assert "lr < 0.5 " in unstable_lr_warning(4.0, "sgd", None, 1.0, penalty=ridge)


def test_a_runaway_final_line_is_a_divergence_error():
    from slopefit.train.config import TrainConfig
    from slopefit.train.runner import _check_final

    record = LoopRecord(epochs=(0, 10), losses=np.array([[5.0], [4.0]]), params=(), epochs_run=10,
                        stop_reason="epochs", diverged_at=np.array([-1]), diverged_loss=np.array([np.nan]))
    cfg = TrainConfig(lr=0.1, penalty=Penalty("lasso", 0.1))
    _check_final(record, np.array([1.0, 2.0]), 0.5, 4.0, cfg, 0.2, 10.0)  # a sane line passes
    runaway = (([1e300, 2.0], 1e300), ([1e300, 2.0], np.inf), ([1.0, np.nan], 4.0), ([1.0, 2.0], 5.0 * 1e8 * 2))
    for coef, loss in runaway:
        with pytest.raises(DivergenceError, match="training diverged at epoch 10"):
            _check_final(record, np.array(coef), 0.5, loss, cfg, 0.2, 10.0)


def test_not_converged_advice_by_condition():
    tip = not_converged_advice(4.0, "sgd", None, 0.1, automatic=True, scaling="center", kappa=1e12)
    assert "κ=1e+12" in tip and "√κ/2 = 5e+05 epochs" in tip and 'use scaling="standardize"' in tip
    assert "singular" in not_converged_advice(4.0, "sgd", None, 0.1, automatic=True, scaling="none", kappa=np.inf)
    # standardized, or well conditioned: the budget is what ran out
    for scaling, kappa in (("standardize", 1e12), ("center", 1e3)):
        assert not_converged_advice(4.0, "sgd", None, 0.1, automatic=True, scaling=scaling,
                                    kappa=kappa) == "the budget ran out first: raise epochs="


def test_no_scaling_warning_where_the_budget_suffices(run_cli):
    run = run_cli("fit", "height-weight", "--scale", "center")  # the lesson's scaling: κ about 12
    assert run.code == 0 and "warning" not in run.err
