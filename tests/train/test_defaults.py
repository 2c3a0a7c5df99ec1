"""Right by default: with no options, gradient descent lands on least squares on real tables.

The tables ship with scikit-learn and statsmodels; the oracle is ``numpy.linalg.lstsq`` on
``[X, 1]``. Target (the issue's): every coefficient within 1e-6, relative. The automatic run
stops once its certified distance is below 1e-9 of the coefficients' scale, so 1e-6 leaves
room for the difference between two float64 solvers (about cond * 1e-16 <= 1e-11 here).
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.datasets import load_diabetes

from slopefit.data.datasets import Dataset
from slopefit.train.config import TrainConfig
from slopefit.train.training import fit


def _table(name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    if name == "diabetes":
        bunch = load_diabetes()
        return bunch.data, bunch.target, tuple(bunch.feature_names)
    frame = {"longley": sm.datasets.longley, "stackloss": sm.datasets.stackloss,
             "scotland": sm.datasets.scotland}[name].load_pandas().data
    target = {"longley": "TOTEMP", "stackloss": "STACKLOSS", "scotland": "YES"}[name]
    X = frame.drop(columns=target)
    return X.to_numpy(dtype=float), frame[target].to_numpy(dtype=float), tuple(X.columns)


TABLES = ["diabetes", "longley", "stackloss", "scotland"]


def _lstsq(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]


@pytest.mark.parametrize("name", TABLES)
def test_fit_with_no_options_reaches_least_squares(name):
    X, y, names = _table(name)
    result = fit(Dataset(X=X, y=y, feature_names=names, target_name="y", name=name))
    want = _lstsq(X, y)
    got = np.append(result.coef, result.intercept)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert result.stop_reason == "converged" and result.epochs_run < result.config.epochs
    assert result.auto is not None and "heavy ball" in result.auto
    assert result.config.dtype == "float64" and result.engine == "stats"


@pytest.mark.parametrize("name", ["longley", "diabetes"])
def test_the_estimator_with_no_options_reaches_least_squares(name):
    from slopefit import LinearRegressor

    X, y, _ = _table(name)
    est = LinearRegressor().fit(X, y)
    np.testing.assert_allclose(np.append(est.coef_, est.intercept_), _lstsq(X, y), rtol=1e-6)


def test_the_cli_with_no_options_reaches_least_squares(run_cli, tmp_path):
    X, y, names = _table("longley")
    path = tmp_path / "longley.csv"
    rows = [",".join([*names, "TOTEMP"])]
    rows += [",".join(repr(float(v)) for v in [*x, t]) for x, t in zip(X, y, strict=True)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    run = run_cli("fit", path)
    assert run.code == 0, run.err
    assert "chosen: heavy ball from the curvature" in run.out
    assert "every coefficient within 1e-09 of the optimum" in run.out
    table: dict[str, list[str]] = {}
    for line in run.out.splitlines():  # the first table: gradient descent, exact, relative difference
        if line.split() and line.split()[0] in (*names, "intercept"):
            table.setdefault(line.split()[0], line.split()[1:])
    got = [float(table[n][0]) for n in (*names, "intercept")]
    np.testing.assert_allclose(got, _lstsq(X, y), rtol=1e-6)


def test_an_explicit_lr_still_means_what_it_says():
    """lr=0.01 for 1000 epochs in float32 (the old defaults) runs every epoch and does not converge on
    diabetes: the automatic choice does not leak into explicit settings."""
    X, y, names = _table("diabetes")
    result = fit(Dataset(X=X, y=y, feature_names=names, target_name="y"), TrainConfig(lr=0.01, dtype="float32"))
    assert result.epochs_run == 1000 and result.stop_reason == "epochs" and result.auto is None
    assert result.relative_gap > 1e-3


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_adaptive_optimizers_without_lr_ask_for_one_with_a_measured_suggestion(optimizer):
    from slopefit.errors import ConfigError

    X, y, names = _table("stackloss")
    with pytest.raises(ConfigError, match=rf"{optimizer} has no automatic step.*came closest .*try lr=\d"):
        fit(Dataset(X=X, y=y, feature_names=names, target_name="y"), TrainConfig(optimizer=optimizer))


def test_lbfgs_without_lr_takes_its_own_step():
    X, y, names = _table("scotland")
    result = fit(Dataset(X=X, y=y, feature_names=names, target_name="y"), TrainConfig(optimizer="lbfgs"))
    assert result.config.lr == 1.0
    np.testing.assert_allclose(np.append(result.coef, result.intercept), _lstsq(X, y), rtol=1e-6)


def test_collinear_features_get_the_minimum_norm_line_and_are_named():
    """stackloss with DUP = 2 * AIRFLOW has many least-squares lines (rank 3 of 4): the default run
    gives the one of minimum norm in standardized units, numpy's lstsq on the standardized columns."""
    X, y, names = _table("stackloss")
    X = np.column_stack([X, 2 * X[:, 0]])
    data = Dataset(X=X, y=y, feature_names=(*names, "DUP"), target_name="y", name="stackloss+DUP")
    result = fit(data)
    mean, std = X.mean(axis=0), X.std(axis=0)
    w = np.linalg.lstsq((X - mean) / std, y - y.mean(), rcond=None)[0]
    # cond of the 3 independent standardized columns is ~3, so 1e-6 (the automatic run's 1e-9 stop
    # with room) bounds the difference; DUP and AIRFLOW share the slope by their spreads (1 : 2)
    np.testing.assert_allclose(result.coef, w / std, rtol=1e-6)
    assert result.intercept == pytest.approx(y.mean() - mean @ (w / std), rel=1e-6)
    note = result.summary().notes()
    assert any(f"features {names[0]}, DUP are collinear: rank 3 of 4" in line and "minimum-norm" in line
               for line in note)


@pytest.mark.parametrize("rows", [5, 2])
def test_fewer_rows_than_parameters_get_the_minimum_norm_line(rows):
    X, y, names = _table("diabetes")
    result = fit(Dataset(X=X[:rows], y=y[:rows], feature_names=names, target_name="y"))
    Xs, ys = X[:rows], y[:rows]
    mean, std = Xs.mean(axis=0), Xs.std(axis=0)
    w = np.linalg.lstsq((Xs - mean) / std, ys - ys.mean(), rcond=None)[0]  # minimum norm, standardized units
    # every row fitted exactly; coefficients within 1e-6 (the run stops at 1e-9 of their scale)
    np.testing.assert_allclose(result.coef, w / std, rtol=1e-6, atol=1e-6 * np.abs(w / std).max())
    assert result.summary().notes()[-1].startswith(
        f"least squares has many answers ({rows} rows for 11 parameters: 10 features and the intercept)")


def test_an_automatic_minibatch_run_runs_its_epochs_and_says_why_it_stops_short():
    X, y, names = _table("stackloss")
    result = fit(Dataset(X=X, y=y, feature_names=names, target_name="y"), TrainConfig(batch_size=8, seed=1))
    assert result.config.epochs == 1000 and result.epochs_run == 1000
    assert "minibatch noise" in result.auto and result.config.dtype == "float32"
    lam_max = 2 * np.linalg.eigvalsh(np.corrcoef(X.T))[-1] * 1.05  # standardized: (2/N) Z^T Z = 2 corr, widened 5%
    assert result.config.lr == pytest.approx(1 / lam_max, rel=1e-9)
