"""``compare`` and ``sweep`` with --lasso/--ridge/--elastic-net and --weights: every run minimises the
objective scikit-learn's estimators (or statsmodels' WLS) minimise, and reaches their optimum."""

from __future__ import annotations

import re

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNet, Lasso, Ridge


@pytest.fixture(scope="module")
def diabetes_csv(tmp_path_factory):
    X, y = load_diabetes(return_X_y=True)
    path = tmp_path_factory.mktemp("data") / "diabetes.csv"
    header = ",".join([*(f"x{j}" for j in range(10)), "y"])
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header=header, comments="", fmt="%.17g")
    return path, X, y


def _rows(out: str) -> dict[str, list[str]]:
    """The table's rows by their first cell (the run or the lr), split on two or more spaces."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"-+  -+", line)) + 1
    rows = {}
    for line in lines[start:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        rows[f"{cells[0]} {cells[1]}"] = cells
    return rows


def test_compare_under_lasso_reaches_scikit_learn(run_cli, diabetes_csv, tmp_path):
    path, X, y = diabetes_csv
    ref = Lasso(alpha=0.1, tol=1e-14, max_iter=1_000_000).fit(X, y)
    # F = MSE + 2 alpha ||w||_1 is twice Lasso's objective ||y - Xw - b||^2 / (2n) + alpha ||w||_1
    objective = float(np.mean((y - X @ ref.coef_ - ref.intercept_) ** 2) + 2 * 0.1 * np.abs(ref.coef_).sum())
    run = run_cli("compare", path, "--lasso", "0.1", "--run", "sgd", "--run", "sgd momentum=0.9 lr=0.05",
                  "--epochs", "2000", "--plot", tmp_path)
    assert run.code == 0, run.err
    assert "penalty: lasso alpha=0.1 (scikit-learn's Lasso): every loss below is the objective MSE + 2α‖w‖₁" in run.out
    lines = [line for line in run.out.splitlines() if line.startswith("sgd ")]
    assert len(lines) == 2
    for line in lines:
        cells = re.split(r"\s{2,}", line.strip())
        final, relative, status = float(cells[1]), float(cells[3]), cells[-1]
        assert status == "converged" and relative <= 1e-6
        assert final == pytest.approx(objective, rel=5e-6)  # printed to 6 significant digits


def test_compare_refuses_adam_under_lasso(run_cli, diabetes_csv, tmp_path):
    path, _, _ = diabetes_csv
    run = run_cli("compare", path, "--lasso", "0.1", "--run", "adam lr=0.1", "--plot", tmp_path)
    assert run.code == 2 and len(run.err.strip().splitlines()) == 1
    assert "only plain sgd (with or without momentum) can make" in run.err


@pytest.mark.parametrize("flag, estimator, objective", [
    (["--ridge", "2"], Ridge(alpha=2.0), lambda mse, w, n: mse + 2.0 * (w @ w) / n),
    (["--elastic-net", "0.05", "--l1-ratio", "0.3"], ElasticNet(alpha=0.05, l1_ratio=0.3, tol=1e-14, max_iter=10**6),
     lambda mse, w, n: mse + 2 * 0.05 * 0.3 * np.abs(w).sum() + 0.05 * 0.7 * (w @ w)),
])
def test_sweep_under_a_penalty_reaches_scikit_learn(run_cli, diabetes_csv, tmp_path, flag, estimator, objective):
    path, X, y = diabetes_csv
    ref = estimator.fit(X, y)
    target = objective(float(np.mean((y - X @ ref.coef_ - ref.intercept_) ** 2)), ref.coef_, len(y))
    run = run_cli("sweep", path, *flag, "--lr", "0.005,0.02", "--momentum", "0.9", "--epochs", "1500",
                  "--plot", tmp_path)
    assert run.code == 0, run.err
    rows = _rows(run.out)
    assert len(rows) == 2
    for cells in rows.values():
        assert cells[-1] == "converged"
        assert float(cells[2]) == pytest.approx(target, rel=5e-6)


def test_sweep_with_weights_reaches_statsmodels_wls(run_cli, tmp_path):
    frame = sm.datasets.grunfeld.load_pandas().data[["value", "capital", "invest"]].copy()
    frame.insert(1, "w", np.random.default_rng(5).uniform(0.2, 3.0, len(frame)))
    path = tmp_path / "g.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    X = sm.add_constant(frame[["value", "capital"]].to_numpy())
    ref = sm.WLS(frame["invest"].to_numpy(), X, weights=frame["w"].to_numpy()).fit()
    run = run_cli("sweep", path, "--weights", "w", "--lr", "0.1,0.3", "--momentum", "0.5", "--epochs", "500",
                  "--plot", tmp_path)
    assert run.code == 0, run.err
    assert "weights: column 'w' (weighted least squares; not a feature)" in run.out
    for cells in _rows(run.out).values():
        assert cells[-1] == "converged"
        assert float(cells[2]) == pytest.approx(ref.ssr / frame["w"].sum(), rel=5e-6)  # the weighted MSE
