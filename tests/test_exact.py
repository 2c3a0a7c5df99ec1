"""The exact solver against independent answers: hand-computed values, rational arithmetic,
and the coefficients that generated synthetic data."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from slopefit.datasets import builtin, make_synthetic
from slopefit.exact import solve_exact


def rational_least_squares(X: np.ndarray, y: np.ndarray) -> list[Fraction]:
    """Solve the normal equations of [X, 1] exactly in rational arithmetic (floats are rationals)."""
    rows = [[Fraction(float(v)) for v in row] + [Fraction(1)] for row in X]
    ys = [Fraction(float(v)) for v in y]
    p = len(rows[0])
    gram = [[sum(r[i] * r[j] for r in rows) for j in range(p)] for i in range(p)]
    rhs = [sum(r[i] * t for r, t in zip(rows, ys, strict=True)) for i in range(p)]
    # Gauss-Jordan elimination, exact
    m = [gram[i] + [rhs[i]] for i in range(p)]
    for col in range(p):
        pivot = next(r for r in range(col, p) if m[r][col] != 0)
        m[col], m[pivot] = m[pivot], m[col]
        m[col] = [v / m[col][col] for v in m[col]]
        for r in range(p):
            if r != col and m[r][col] != 0:
                factor = m[r][col]
                m[r] = [a - factor * b for a, b in zip(m[r], m[col], strict=True)]
    return [m[i][p] for i in range(p)]


def significant_digits(approx: np.ndarray, exact: np.ndarray) -> float:
    err = np.max(np.abs(approx - exact) / np.abs(exact))
    return float(-np.log10(err)) if err > 0 else 17.0


def test_height_weight_matches_hand_computation():
    # centered: Sxy = 105.6, Sxx = 58 -> slope 105.6/58, intercept 65.4 - slope*171
    sol = solve_exact(builtin("height-weight").X, builtin("height-weight").y)
    assert sol.coef[0] == pytest.approx(105.6 / 58, rel=1e-14)
    assert sol.intercept == pytest.approx(65.4 - 105.6 / 58 * 171, rel=1e-13)
    assert sol.coef[0] == pytest.approx(1.8207, abs=5e-5)
    assert sol.intercept == pytest.approx(-245.94, abs=5e-3)


def test_hours_ability_is_an_exact_line():
    sol = solve_exact(builtin("hours-ability").X, builtin("hours-ability").y)
    assert sol.coef[0] == pytest.approx(200.0, rel=1e-14)
    assert sol.intercept == pytest.approx(0.0, abs=1e-11)
    assert sol.loss == pytest.approx(0.0, abs=1e-20)


@pytest.mark.parametrize("n_features", [1, 3, 8])
def test_recovers_true_coefficients_without_noise(n_features):
    ds = make_synthetic(200, n_features, noise=0.0, seed=n_features, offset=100.0)
    sol = solve_exact(ds.X, ds.y)
    np.testing.assert_allclose(sol.coef, ds.true_coef, rtol=1e-9, atol=1e-10)
    assert sol.intercept == pytest.approx(ds.true_intercept, abs=1e-7)


def test_recovers_true_coefficients_within_noise():
    ds = make_synthetic(20000, 4, noise=0.5, seed=7)
    sol = solve_exact(ds.X, ds.y)
    # standard error of each coefficient is about noise / (scale * sqrt(n)) <= 0.5 / (0.5 * 141)
    np.testing.assert_allclose(sol.coef, ds.true_coef, atol=5 * 0.5 / (0.5 * np.sqrt(20000)))


@pytest.mark.parametrize("offset", [0.0, 1e4, 1e6, 1e8])
def test_ill_conditioned_designs_keep_ten_digits(offset):
    """Large column offsets and two columns with correlation 1 - 5e-9 (condition number 2.3e4 after
    centering and scaling); the oracle is exact rational arithmetic on the same float64 numbers."""
    collinearity = 1e-4
    rng = np.random.default_rng(42)
    n = 40
    base = rng.standard_normal(n)
    X = np.column_stack([
        offset + base,
        offset + base + collinearity * rng.standard_normal(n),  # nearly the same column
        2 * offset + rng.standard_normal(n),
    ])
    y = 3.0 * X[:, 0] - 1.0 * X[:, 1] + 0.5 * X[:, 2] + rng.standard_normal(n)
    exact = np.array([float(v) for v in rational_least_squares(X, y)])
    sol = solve_exact(X, y)
    assert significant_digits(sol.coef, exact[:3]) >= 10
    assert significant_digits(np.array([sol.intercept]), exact[3:]) >= 10


def test_without_intercept_matches_projection():
    X = np.array([[1.0], [2.0], [4.0]])
    y = np.array([2.0, 3.0, 9.0])
    sol = solve_exact(X, y, fit_intercept=False)
    assert sol.coef[0] == pytest.approx((2 + 6 + 36) / 21, rel=1e-14)
    assert sol.intercept == 0.0
