"""Held-out scores: folds, scores against scikit-learn on the same folds, the CLI end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from slopefit.data.datasets import Dataset, make_synthetic
from slopefit.data.sources import builtin
from slopefit.errors import DataError
from slopefit.solve.exact import solve_exact
from slopefit.train.config import TrainConfig
from slopefit.train.validation import (
    CrossValidation,
    cross_validate,
    holdout,
    holdout_indices,
    kfold_indices,
    require_rows,
    scores,
)


@pytest.fixture(scope="module")
def diabetes() -> Dataset:
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes()
    return Dataset(X=bunch.data, y=bunch.target.astype(np.float64), feature_names=tuple(bunch.feature_names),
                   target_name="progression", name="diabetes")


def test_diabetes_5_fold_r2_equals_sklearn_on_the_same_folds(diabetes):
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import KFold, cross_val_score

    cv = cross_validate(diabetes, k=5, seed=0)
    same_folds = cross_val_score(LinearRegression(), diabetes.X, diabetes.y,
                                 cv=kfold_indices(diabetes.n_samples, 5, seed=0))
    np.testing.assert_allclose(cv.r2, same_folds, rtol=0, atol=1e-6)  # each fold converges to least squares
    sklearn_folds = cross_val_score(LinearRegression(), diabetes.X, diabetes.y,
                                    cv=KFold(5, shuffle=True, random_state=0))
    assert abs(cv.mean("r2") - sklearn_folds.mean()) < 0.02  # other folds, the same estimate
    assert cv.mean("r2") == pytest.approx(0.48, abs=0.02)  # what issue 10 quotes
    assert cv.rows == [89, 89, 88, 88, 88]


def test_rmse_and_mae_match_sklearn_metrics(diabetes):
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    train, test = holdout_indices(diabetes.n_samples, 0.25, seed=7)
    cv = holdout(diabetes, test_size=0.25, seed=7)
    yhat = LinearRegression().fit(diabetes.X[train], diabetes.y[train]).predict(diabetes.X[test])
    assert cv.folds == 1 and cv.rows == [test.size] and math.isnan(cv.sd("r2"))
    assert cv.r2[0] == pytest.approx(r2_score(diabetes.y[test], yhat), abs=1e-9)
    assert cv.rmse[0] == pytest.approx(math.sqrt(mean_squared_error(diabetes.y[test], yhat)), rel=1e-9)
    assert cv.mae[0] == pytest.approx(mean_absolute_error(diabetes.y[test], yhat), rel=1e-9)


def test_folds_partition_the_rows_and_follow_the_seed():
    splits = kfold_indices(23, 4, seed=3)
    tests = np.concatenate([test for _, test in splits])
    assert sorted(tests.tolist()) == list(range(23))
    assert [t.size for _, t in splits] == [6, 6, 6, 5]
    for train, test in splits:
        assert np.intersect1d(train, test).size == 0 and train.size + test.size == 23
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(splits, kfold_indices(23, 4, seed=3), strict=True))
    assert not np.array_equal(splits[0][1], kfold_indices(23, 4, seed=4)[0][1])
    train, test = holdout_indices(10, 0.2, seed=0)
    assert test.size == 2 and train.size == 8 and np.union1d(train, test).tolist() == list(range(10))


@pytest.mark.parametrize("call, match", [
    (lambda: kfold_indices(10, 1, seed=0), "Invalid number of folds: 1; give k >= 2"),
    (lambda: kfold_indices(10, 6, seed=0), r"k=6 on 10 rows leaves fewer than 2 held-out rows .* give k <= 5"),
    (lambda: holdout_indices(10, 1.5, seed=0), "Invalid test size: 1.5; give a fraction strictly between 0 and 1"),
    (lambda: holdout_indices(10, 0.05, seed=0), "holds out 1; keep at least 2 rows on each side"),
])
def test_bad_folds_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_scores_of_a_perfect_and_a_constant_fit():
    y = np.array([1.0, 2.0, 4.0])
    assert scores(y, y) == (1.0, 0.0, 0.0)
    r2, rmse, mae = scores(y, np.full(3, y.mean()))
    assert r2 == pytest.approx(0.0) and mae == pytest.approx(np.mean(np.abs(y - y.mean())))
    assert math.isnan(scores(np.ones(2), np.zeros(2))[0])


@pytest.mark.slow
def test_every_fold_uses_the_config_and_to_dict_is_plain_json():
    data = make_synthetic(n_samples=60, n_features=2, noise=0.1, seed=1)
    cv = cross_validate(data, TrainConfig(optimizer="adam", lr=0.05, epochs=3000), k=3, seed=2)
    assert isinstance(cv, CrossValidation) and cv.folds == 3 and min(cv.r2) > 0.9
    payload = json.loads(json.dumps(cv.to_dict(), allow_nan=False))
    assert payload["method"] == "kfold" and payload["seed"] == 2 and payload["rows"] == [20, 20, 20]
    assert payload["r2"] == cv.r2 and len(payload["rmse"]) == len(payload["mae"]) == 3


def test_a_file_read_in_chunks_is_refused(write_csv):
    from slopefit.data.tables import open_table

    source = open_table(write_csv("x,y\n1,2\n2,3\n3,5\n4,4\n"))
    with pytest.raises(DataError, match=r"need the rows in memory, and data.csv is read in chunks .* "
                                        r"read it whole \(stream=False\)"):
        cross_validate(source, k=2, seed=0)
    assert require_rows(builtin("height-weight")).n_samples == 5


# --- the command line --------------------------------------------------------------------------------------


def test_fit_cv_prints_the_folds_and_writes_them_to_json(run_cli, tmp_path):
    data = make_synthetic(n_samples=40, n_features=2, noise=0.5, seed=4)
    path = tmp_path / "small.csv"
    rows = ["a,b,y", *(f"{x[0]!r},{x[1]!r},{t!r}" for x, t in zip(data.X.tolist(), data.y.tolist(), strict=True))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out, model = tmp_path / "fit.json", tmp_path / "model.json"
    run = run_cli("fit", path, "--cv", "4", "--seed", "5", "--json", out, "--save", model)
    assert run.code == 0, run.err
    expected = cross_validate(data, TrainConfig(seed=5), k=4, seed=5)
    printed = run.out.split("held-out scores: 4-fold cross-validation (seed 5)")[1]
    for i in range(4):
        assert f"{expected.r2[i]:.4f}" in printed
    assert f"{expected.mean('r2'):.4f} ± {expected.sd('r2'):.4f}" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["cv"]["rows"] == [10, 10, 10, 10]
    np.testing.assert_allclose(report["cv"]["r2"], expected.r2, rtol=1e-9)
    exact = solve_exact(data.X, data.y)  # the line printed and saved is fitted on all rows
    saved = json.loads(model.read_text(encoding="utf-8"))
    assert report["rows_used"] == saved["rows_used"] == 40
    np.testing.assert_allclose(list(report["coef"].values()), exact.coef, rtol=1e-6)
    np.testing.assert_allclose(saved["coef"], exact.coef, rtol=1e-6)


def test_fit_test_size_scores_one_split(run_cli):
    run = run_cli("fit", "synthetic", "--test-size", "0.25", "--seed", "1")
    assert run.code == 0, run.err
    assert "held-out scores: one train/test split (seed 1)" in run.out and "mean ± sd" not in run.out


@pytest.mark.parametrize("args, message", [
    (["--cv", "1"], "--cv 1 cannot both hold rows out and train on the rest; give K >= 2"),
    (["--cv", "two"], "'two' is not a whole number of folds"),
    (["--test-size", "1.5"], "1.5 is not strictly between 0 and 1"),
    (["--test-size", "0"], "0 is not strictly between 0 and 1"),
    (["--cv", "5", "--test-size", "0.2"], "argument --test-size: not allowed with argument --cv"),
    (["--cv", "5"], "k=5 on 5 rows leaves fewer than 2 held-out rows in a fold; give k <= 2"),
    (["--cv", "9"], "k=9 on 5 rows leaves fewer than 2 held-out rows in a fold; give k <= 2"),
    (["--test-size", "0.1"], "0.1 of 5 rows holds out 1; keep at least 2 rows on each side"),
])
def test_fit_heldout_usage_errors_exit_2(run_cli, args, message):
    """One line on stderr, and nothing printed before it: no full fit for folds that cannot be dealt."""
    run = run_cli("fit", "height-weight", *args)
    assert run.code == 2 and message in run.err and "Traceback" not in run.err
    assert run.out == "" and run.err.strip().count("\n") == 0


def test_fit_cv_of_a_streamed_file_is_one_line_before_the_fit(run_cli, write_csv):
    run = run_cli("fit", write_csv("x,y\n1,2\n2,3\n3,5\n4,4\n5,7\n"), "--cv", "2", "--stream")
    assert run.code == 1 and run.out == ""
    assert run.err.strip().count("\n") == 0 and "read it whole (no --stream) or use a smaller file" in run.err
