"""Sufficient statistics against the exact solver and against the rows they summarise."""

from __future__ import annotations

import numpy as np
import pytest

from slopefit.data.datasets import make_synthetic
from slopefit.data.sources import builtin
from slopefit.solve.accumulation import compute_stats
from slopefit.solve.exact import solve_exact
from slopefit.solve.objective import mse_float64, stable_lr_bound
from slopefit.solve.penalties import lr_bound as penalized_lr_bound
from slopefit.solve.refinement import refine, residual_sum_of_squares
from slopefit.solve.scaling import Scaler


def _digits(got: np.ndarray, want: np.ndarray) -> float:
    """Significant digits of agreement, worst coefficient."""
    rel = np.abs(np.asarray(got) - want) / np.abs(want)
    return float(-np.log10(max(rel.max(), 1e-17)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("offset", [0.0, 170.0, 1e4])
def test_well_conditioned_data_keep_ten_digits(dtype, offset):
    data = make_synthetic(50_000, 6, seed=5, offset=offset, dtype=dtype)
    exact = solve_exact(data.X, data.y)  # float64 on the same (float32-rounded) numbers
    stats = compute_stats([(data.X, data.y)], 6)
    sol = stats.solve()
    assert _digits(sol.coef, exact.coef) >= 10
    assert sol.intercept == pytest.approx(exact.intercept, rel=1e-9)
    assert sol.loss == pytest.approx(exact.loss, rel=1e-9)


def test_offset_near_collinear_design_keeps_five_digits():
    rng = np.random.default_rng(7)
    n = 20_000
    base = rng.standard_normal(n)
    X = np.column_stack([1e4 + base, 1e4 + base + 1e-3 * rng.standard_normal(n),  # correlation 1 - 5e-7
                         170 + 10 * rng.standard_normal(n)]).astype(np.float32)
    y = (X.astype(np.float64) @ [1.5, -0.5, 2.0] + 3.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)
    cond = np.linalg.cond((X - X.mean(0)) / X.std(0))
    assert cond > 1e3  # the case is as bad as its name says
    exact = solve_exact(X, y)
    sol = compute_stats([(X, y)], 3).solve()
    # moments summed over N rows in a thread-dependent order: ~sqrt(N)*u relative, times the covariance's condition
    # (1.9e6) and |coef| / |coef[1]| (87) is 2.6e-6 on coef[1]: 5.6 digits (an uncentred sum would keep none)
    assert _digits(sol.coef, exact.coef) >= 5


def test_chunks_of_any_size_give_the_same_statistics():
    data = make_synthetic(1000, 3, seed=2, offset=100.0)
    whole = compute_stats([(data.X, data.y)], 3)
    pieces = [(data.X[i:i + 37], data.y[i:i + 37]) for i in range(0, 1000, 37)]
    chunked = compute_stats(pieces, 3, chunk_rows=16)
    np.testing.assert_allclose(chunked.solve().coef, whole.solve().coef, rtol=1e-11)
    np.testing.assert_allclose(chunked.centered()[0], whole.centered()[0], rtol=1e-11)
    assert chunked.n == whole.n == 1000
    np.testing.assert_array_equal(chunked.x_min, data.X.min(axis=0))
    np.testing.assert_array_equal(chunked.x_max, data.X.max(axis=0))


@pytest.mark.parametrize("method", ["none", "center", "standardize"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_the_scaler_matches_the_one_fitted_on_rows(method, fit_intercept):
    data = make_synthetic(500, 3, seed=3, offset=20.0)
    got = compute_stats([(data.X, data.y)], 3).scaler(method, fit_intercept=fit_intercept)
    want = Scaler.fit(data.X, data.y, method, fit_intercept=fit_intercept)
    np.testing.assert_allclose(got.x_mean, want.x_mean, rtol=1e-12)
    np.testing.assert_allclose(got.x_scale, want.x_scale, rtol=1e-10)
    assert got.y_mean == pytest.approx(want.y_mean, rel=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_loss_of_any_line_matches_the_rows(fit_intercept):
    data = make_synthetic(400, 2, seed=4, offset=50.0)
    stats = compute_stats([(data.X, data.y)], 2)
    rng = np.random.default_rng(0)
    exact = solve_exact(data.X, data.y, fit_intercept=fit_intercept)
    for scale in (1e-6, 1e-2, 1.0):
        coef = exact.coef + scale * rng.standard_normal(2)
        intercept = exact.intercept + scale * rng.standard_normal() if fit_intercept else 0.0
        want = mse_float64(data.X, data.y, coef, intercept, fit_intercept=fit_intercept)
        assert stats.loss(coef, intercept, fit_intercept=fit_intercept) == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("method", ["none", "center", "standardize"])
def test_quadratic_is_the_mse_in_scaled_units(method):
    data = builtin("height-weight")
    stats = compute_stats([(data.X, data.y)], 1)
    scaler = stats.scaler(method)
    q, theta_star, loss_star = stats.quadratic(scaler)
    Xs, ys = scaler.transform_X(data.X), scaler.transform_y(data.y)
    for theta in ([0.0, 0.0], [1.0, -2.0], [3.0, 50.0]):
        theta = np.array(theta)
        direct = float(np.mean((Xs @ theta[:1] + theta[1] - ys) ** 2))
        d = theta - theta_star
        assert loss_star + d @ q @ d == pytest.approx(direct, rel=1e-10)
    bound = penalized_lr_bound(stats, scaler, None)
    assert bound == pytest.approx(stable_lr_bound(Xs), rel=1e-10)


def test_the_seed_bounds_come_out_of_the_statistics():
    hw, hours = builtin("height-weight"), builtin("hours-ability")
    hw_stats = compute_stats([(hw.X, hw.y)], 1)
    assert penalized_lr_bound(hw_stats, hw_stats.scaler("center"), None) == pytest.approx(0.0862, abs=5e-5)
    assert penalized_lr_bound(hw_stats, hw_stats.scaler("none"), None) == pytest.approx(3.42e-5, rel=1e-3)
    hours_stats = compute_stats([(hours.X, hours.y)], 1)
    assert penalized_lr_bound(hours_stats, hours_stats.scaler("none"), None) == pytest.approx(0.180, abs=5e-4)


def test_non_finite_rows_are_a_data_error():
    from slopefit.errors import DataError

    X = np.array([[1.0], [np.inf], [3.0]])
    message = r"column 'h' in t.csv has NaN or infinite values in row 2 \(data rows, header not counted\); fill"
    with pytest.raises(DataError, match=message):
        compute_stats([(X, np.array([1.0, 2.0, 3.0]))], 1, names=["h", "w"], label="t.csv")
    with pytest.raises(DataError, match="column 'w' in the data has NaN or infinite values in row 5"):
        compute_stats([(np.ones((3, 1)), np.ones(3)), (np.ones((2, 1)), np.array([1.0, np.nan]))], 1,
                      names=["h", "w"])


def test_column_major_chunks_give_the_same_statistics():
    data = make_synthetic(5000, 4, seed=17, offset=30.0, dtype=np.float32)
    by_rows = compute_stats([(data.X, data.y)], 4, chunk_rows=700)
    by_columns = compute_stats([(np.asfortranarray(data.X), data.y)], 4, chunk_rows=700)
    for got, want in zip(by_columns.centered(), by_rows.centered(), strict=True):
        # a near-zero cross moment: another order of N terms moves it by <= N*u*sqrt(G_ii G_jj) <= 5.5e-13 * max|G|
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
    np.testing.assert_array_equal(by_columns.x_min, data.X.min(axis=0))
    np.testing.assert_array_equal(by_columns.x_max, data.X.max(axis=0))


def near_collinear(n: int = 120_000, seed: int = 11):
    """Two columns with correlation 1 - 1e-9 around 1000 and a third around 50: cond ~4e4 standardized."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal(n)
    X = np.column_stack([1e3 + base, 1e3 + base + 5e-5 * rng.standard_normal(n), 50 + 5 * rng.standard_normal(n)])
    return X, X @ [1.5, -0.5, 2.0] + 3.0 + 0.1 * rng.standard_normal(n)


@pytest.mark.parametrize("layout", ["float64", "float32-column-major"])
def test_refinement_recovers_the_digits_the_normal_equations_lose(layout):
    X, y = near_collinear()
    if layout != "float64":
        X, y = np.asfortranarray(X.astype(np.float32)), y.astype(np.float32)
    cond = np.linalg.cond((X - X.mean(0)) / X.std(0))
    assert 1e4 < cond < 1e5  # as bad as the name says

    def chunks():
        return ((X[i:i + 25_000], y[i:i + 25_000]) for i in range(0, len(y), 25_000))

    stats = compute_stats(chunks(), 3)
    oracle = solve_exact(X, y)  # the rows' SVD with extended-precision refinement (test_exact checks it)
    plain, refined = stats.solve(), refine(stats, chunks)
    # Normal equations keep ~16 - 2 log10(cond) digits; residual passes in float64 ~16 - log10(cond),
    # less ~2.5 for the cancellation inside each residual (predictions ~2000, residuals ~0.1).
    assert _digits(refined.coef, oracle.coef) >= 16 - np.log10(cond) - 2.5
    assert _digits(refined.coef, oracle.coef) >= _digits(plain.coef, oracle.coef) + 2.5
    assert refined.intercept == pytest.approx(oracle.intercept, rel=1e-10)
    assert refined.loss == pytest.approx(oracle.loss, rel=1e-10)
    assert refined.rank == 3


def test_refinement_without_intercept_and_its_errors():
    X, y = near_collinear(20_000)
    X[:, :2] -= 1e3  # through the origin, the offsets would make the raw design singular in float64
    stats = compute_stats([(X, y)], 3)
    oracle = solve_exact(X, y, fit_intercept=False)
    refined = refine(stats, lambda: [(X, y)], fit_intercept=False, passes=3)
    assert _digits(refined.coef, oracle.coef) >= _digits(stats.solve(fit_intercept=False).coef, oracle.coef)
    assert _digits(refined.coef, oracle.coef) >= 8
    assert refined.intercept == 0.0
    with pytest.raises(ValueError, match="passes must be at least 1 .* got 0"):
        refine(stats, lambda: [(X, y)], passes=0)
    with pytest.raises(ValueError, match="chunks\\(\\) yielded 10 rows but the statistics hold 20000"):
        refine(stats, lambda: [(X[:10], y[:10])])


def test_residual_sum_of_squares_matches_rational_arithmetic():
    from fractions import Fraction

    X, y = near_collinear(300, seed=2)
    coef, intercept = np.array([1.5, -0.5, 2.0]), 3.0
    exact = sum((Fraction(float(t)) - sum(Fraction(float(v)) * Fraction(float(c)) for v, c in
                                          zip(row, coef, strict=True)) - Fraction(intercept)) ** 2
                for row, t in zip(X, y, strict=True))
    pieces = [(X[i:i + 70], y[i:i + 70]) for i in range(0, 300, 70)]
    for data in [(X, y), pieces, lambda: iter(pieces)]:
        assert residual_sum_of_squares(data, coef, intercept) == pytest.approx(float(exact), rel=1e-12)
    stats = compute_stats([(X, y)], 3)
    shifted = residual_sum_of_squares((X, y), coef, intercept, shift=(stats.x_shift, stats.y_shift))
    assert shifted == pytest.approx(float(exact), rel=1e-12)
    without = sum((Fraction(float(t)) - sum(Fraction(float(v)) * Fraction(float(c)) for v, c in
                                            zip(row, coef, strict=True))) ** 2 for row, t in zip(X, y, strict=True))
    assert residual_sum_of_squares(pieces, coef, 99.0, fit_intercept=False) == pytest.approx(float(without), rel=1e-12)


# --- the residual moments gathered in the statistics pass (issue 11 item 3) ------------------


@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_statistics_pass_gathers_the_residuals_of_the_first_rows_line(layout):
    data = make_synthetic(30_000, 4, seed=23, offset=50.0, dtype=np.float32)
    X = np.asfortranarray(data.X) if layout == "columns" else data.X
    stats = compute_stats(((X[i:i + 7000], data.y[i:i + 7000]) for i in range(0, 30_000, 7000)), 4, chunk_rows=3000)
    line = stats.residuals
    assert line is not None and line.offset == 0.0
    # the provisional line is the least-squares line of the first rows (the first chunk: fewer than SHIFT_ROWS)
    np.testing.assert_allclose(line.coef, solve_exact(data.X[:7000], data.y[:7000]).coef, rtol=1e-9)
    # its residual moments, summed here in one numpy float64 pass of its own
    xs = data.X.astype(np.float64) - stats.x_shift
    r = (data.y.astype(np.float64) - stats.y_shift) - xs @ line.coef
    # sums of N products in another order: |error| <= N u sum|terms| (N = 3e4: 3.3e-12); 1e-12 of sum|terms| holds
    np.testing.assert_allclose(line.ax_r, xs.T @ r, rtol=0, atol=1e-12 * float((np.abs(xs).T @ np.abs(r)).max()))
    assert line.sum_r == pytest.approx(float(r.sum()), abs=1e-12 * float(np.abs(r).sum()))
    assert line.rss == pytest.approx(float(r @ r), rel=1e-12)


def test_reference_refined_in_the_statistics_pass_matches_the_exact_solver():
    from slopefit.solve.preparation import reference_solution, row_passes
    from slopefit.solve.refinement import refine_in_pass

    data = make_synthetic(200_000, 6, seed=3, offset=170.0, dtype=np.float32)  # 1.2M values: solved from the stats
    stats = compute_stats([(data.X, data.y)], 6)
    refined, enough = refine_in_pass(stats)
    assert enough and row_passes(data, stats) == 1  # the statistics pass alone
    reference = reference_solution(data, stats=stats)
    np.testing.assert_array_equal(reference.coef, refined.coef)  # the same line: no pass changed it
    oracle = solve_exact(data.X, data.y)
    cond = np.linalg.cond((data.X - data.X.mean(0)) / data.X.std(0))
    # one correction keeps ~16 - log10(cond) digits (cond ~1 here) less ~2.5 for the residuals' cancellation
    assert _digits(refined.coef, oracle.coef) >= 16 - np.log10(cond) - 2.5
    assert refined.intercept == pytest.approx(oracle.intercept, rel=1e-12)
    assert refined.loss == pytest.approx(oracle.loss, rel=1e-12)


@pytest.mark.parametrize("order", ["as drawn", "sorted"])
def test_a_far_provisional_line_gets_its_residual_passes(order, monkeypatch):
    from slopefit.data.datasets import Dataset
    from slopefit.solve import preparation
    from slopefit.solve.preparation import reference_solution, row_passes
    from slopefit.solve.refinement import refine_in_pass

    monkeypatch.setattr(preparation, "EXACT_ON_ROWS_MAX", 1000)  # solved from the statistics, as large tables are
    X, y = near_collinear()
    if order == "sorted":  # the first rows see a narrow slice of the third feature
        keep = np.argsort(X[:, 2])
        X, y = X[keep], y[keep]
    data = Dataset(X=X, y=y, feature_names=("a", "b", "c"), target_name="y", name="t", description={})
    stats = compute_stats([(X, y)], 3)
    # the first rows barely determine the collinear direction: the correction is too large to trust
    assert refine_in_pass(stats)[1] is False
    assert row_passes(data, stats) == 3  # cond(corr) ~1.6e9 > 1e8: two residual passes, as before
    oracle, cond = solve_exact(X, y), np.linalg.cond((X - X.mean(0)) / X.std(0))
    refined = reference_solution(data, stats=stats)
    assert _digits(refined.coef, oracle.coef) >= 16 - np.log10(cond) - 2.5
    assert refined.loss == pytest.approx(oracle.loss, rel=1e-10)


def test_weighted_statistics_refine_in_pass_to_statsmodels_wls():
    import statsmodels.api as sm

    from slopefit.solve.refinement import refine_in_pass

    data = make_synthetic(50_000, 3, seed=8, offset=40.0)
    w = np.random.default_rng(4).uniform(0.1, 3.0, 50_000)
    chunks = [(data.X[i:i + 9000], data.y[i:i + 9000], w[i:i + 9000]) for i in range(0, 50_000, 9000)]
    stats = compute_stats(chunks, 3)
    refined, enough = refine_in_pass(stats)
    oracle = sm.WLS(data.y, sm.add_constant(data.X), weights=w).fit()  # QR on sqrt(w)-scaled rows
    assert enough and stats.weighted and stats.total == pytest.approx(w.sum(), rel=1e-14)
    # both near the float64 floor of this well-conditioned design (cond ~1; offsets 40: ~2 digits of cancellation)
    np.testing.assert_allclose(refined.coef, oracle.params[1:], rtol=1e-11)
    assert refined.intercept == pytest.approx(oracle.params[0], rel=1e-11)
    assert refined.loss == pytest.approx(float(w @ oracle.resid ** 2) / w.sum(), rel=1e-11)


@pytest.mark.parametrize("weighted", [False, True])
def test_a_block_dealt_to_several_threads_gives_the_statistics_of_one(weighted, monkeypatch):
    import slopefit.solve.accumulation as accumulation
    from slopefit.errors import DataError

    monkeypatch.setattr(accumulation, "SPLIT_ROWS", 1000)  # parts of >= 1000 rows: 5000 rows in 3 parts
    dealt = []
    add_parts = accumulation.StatsAccumulator._add_parts
    monkeypatch.setattr(accumulation.StatsAccumulator, "_add_parts",
                        lambda self, X, y, root, parts: (dealt.append(parts), add_parts(self, X, y, root, parts)))
    rng = np.random.default_rng(5)
    X = rng.normal(170.0, [5.0, 50.0, 0.5], size=(5000, 3)).astype(np.float32)
    y = (X @ np.array([1.5, -0.2, 3.0]) + rng.normal(size=5000)).astype(np.float32)
    w = rng.uniform(0.0, 2.0, 5000) if weighted else None
    chunk = (X, y) if w is None else (X, y, w)
    one = compute_stats([chunk], 3, chunk_rows=256, threads=1)
    three = compute_stats([chunk], 3, chunk_rows=256, threads=3)
    assert dealt == [3]
    # the independent answer: least squares on the same float64 rows (weighted: rows times sqrt(w))
    root = np.ones(5000) if w is None else np.sqrt(w)
    A = np.c_[X.astype(np.float64), np.ones(5000)] * root[:, None]
    want = np.linalg.lstsq(A, y.astype(np.float64) * root, rcond=None)[0]
    cond = np.linalg.cond(A)
    for stats in (one, three):
        # normal equations on shifted columns: error about u * cond(A)^2 with the shift taking most of it
        np.testing.assert_allclose(stats.solve().coef, want[:3], rtol=1e3 * np.finfo(float).eps * cond)
        np.testing.assert_array_equal(stats.x_min, X.min(axis=0))
        np.testing.assert_array_equal(stats.x_max, X.max(axis=0))
        assert stats.n == 5000
    # same sums added in another order: equal to rounding of float64 sums over 5000 rows
    np.testing.assert_allclose(three.centered()[0], one.centered()[0], rtol=5000 * np.finfo(float).eps)
    bad = X.copy()
    bad[4321, 1] = np.nan  # in the last part, accumulated on a worker thread
    with pytest.raises(DataError, match="row 4322"):
        compute_stats([(bad, y)], 3, chunk_rows=256, threads=3, names=["a", "b", "c", "y"])


@pytest.mark.parametrize("layout", ["rows", "columns"])
@pytest.mark.parametrize("weighted", [False, True])
def test_the_products_in_pieces_are_the_sums_over_every_row(layout, weighted):
    from slopefit.solve import accumulation

    """The pass adds M^T M in pieces of rows by numpy's BLAS, from a buffer of the chunk's layout;
    the independent answer is M^T M of all the rows at once, M = sqrt(w) [X - s, y - t, 1, r]."""
    rng = np.random.default_rng(23)
    n, d = 9001, 12  # pieces of 1024 rows (width 15), slices of 3000: remainders of both are added too
    X = rng.normal(50.0, np.geomspace(0.1, 10.0, d), size=(n, d)).astype(np.float32)
    y = (X @ rng.normal(size=d) + rng.normal(size=n)).astype(np.float32)
    w = rng.uniform(0.0, 3.0, n) if weighted else np.ones(n)
    arrange = np.asfortranarray if layout == "columns" else np.ascontiguousarray
    cuts = [0, 2500, 2501, n]  # chunks of 2500, 1 and 6500 rows
    chunks = [(arrange(X[a:b]), y[a:b], w[a:b]) if weighted else (arrange(X[a:b]), y[a:b])
              for a, b in zip(cuts, cuts[1:], strict=False)]
    stats = compute_stats(chunks, d, chunk_rows=3000)
    assert accumulation._piece_rows(d + 3) == 1024
    xs = X.astype(np.float64) - stats.x_shift
    ys = y.astype(np.float64) - stats.y_shift
    r = ys - xs @ stats.residuals.coef
    M = np.sqrt(w)[:, None] * np.column_stack([xs, ys, np.ones(n), r])
    want = M.T @ M
    scale = np.sqrt(np.outer(np.diag(want), np.diag(want)))
    # sums of n float64 products in another order: within n * u of the sqrt(G_ii G_jj) scale
    np.testing.assert_array_less(np.abs(stats.gram[:d + 1, :d + 1] - want[:d + 1, :d + 1]),
                                 n * np.finfo(float).eps * scale[:d + 1, :d + 1] + 1e-300)
    assert stats.gram[d + 1, d + 1] == pytest.approx(w.sum(), rel=n * np.finfo(float).eps)
    r_scale = float(np.sqrt(want[d + 2, d + 2] * np.diag(want)[:d].max()))
    np.testing.assert_allclose(stats.residuals.ax_r, want[:d, d + 2], rtol=0, atol=n * np.finfo(float).eps * r_scale)
    assert stats.residuals.rss == pytest.approx(want[d + 2, d + 2], rel=n * np.finfo(float).eps)
    np.testing.assert_array_equal(stats.x_min, X.min(axis=0))
    np.testing.assert_array_equal(stats.x_max, X.max(axis=0))
