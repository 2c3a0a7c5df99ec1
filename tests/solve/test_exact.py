"""The exact solver against independent answers: hand-computed values, rational arithmetic,
and the coefficients that generated synthetic data."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from slopefit.data.datasets import make_synthetic
from slopefit.data.sources import builtin
from slopefit.solve.exact import solve_exact


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


# --- tables where one float64 solve loses digits: the refinement gets them back ---------------

EXTENDED_EPS = float(np.finfo(np.longdouble).eps)  # 1.1e-19 with x86's 80-bit longdouble


def polynomial(degree: int, *, noise: float, n: int = 30, seed: int = 0):
    """x, x^2, ..., x^degree on x in [1, 2]: columns nearly collinear (cond 1e6 at degree 6, 3e8 at 8)."""
    x = np.linspace(1.0, 2.0, n)
    X = np.column_stack([x**k for k in range(1, degree + 1)])
    return X, X.sum(axis=1) + 1.0 + noise * np.random.default_rng(seed).standard_normal(n)


def wampler5_like(seed: int = 0, r2: float = 0.002):
    """NIST's Wampler5 layout: x^1..x^5 on x = 0..20 plus a large error nearly orthogonal to the
    design, so that R^2 = 0.002: the residual dwarfs the signal (float64 solvers keep ~6 digits)."""
    x = np.arange(21.0)
    X = np.column_stack([x**k for k in range(1, 6)])
    design = np.column_stack([X, np.ones_like(x)])
    signal = X.sum(axis=1) + 1.0
    error = np.random.default_rng(seed).standard_normal(21)
    error -= design @ np.linalg.lstsq(design, error, rcond=None)[0]
    spread = signal - signal.mean()
    error *= np.sqrt((spread @ spread) * (1.0 / r2 - 1.0) / (error @ error))
    return X, np.round(signal + error)


def longley():
    import statsmodels.api as sm

    data = sm.datasets.longley.load_pandas()
    return data.exog.to_numpy(np.float64), data.endog.to_numpy(np.float64)


HARD_TABLES = {
    "poly6": lambda: polynomial(6, noise=0.01),
    "poly8": lambda: polynomial(8, noise=0.01),
    "poly8-noisy": lambda: polynomial(8, noise=100.0),
    "wampler5-like": wampler5_like,
    "longley": longley,
}


def scaled_design(X: np.ndarray) -> np.ndarray:
    """The centered, unit-norm design with the unit-norm constant column: what the solver factors."""
    centered = X - X.mean(axis=0)
    return np.column_stack([centered / np.linalg.norm(centered, axis=0), np.full(len(X), 1 / np.sqrt(len(X)))])


@pytest.fixture(scope="module", params=list(HARD_TABLES))
def hard_table(request):
    X, y = HARD_TABLES[request.param]()
    rational = rational_least_squares(X, y)  # coef..., intercept
    residuals = [Fraction(float(t)) - sum(Fraction(float(v)) * c for v, c in zip(row, rational[:-1], strict=True))
                 - rational[-1] for row, t in zip(X, y, strict=True)]
    rss = float(sum(r * r for r in residuals))
    return request.param, X, y, np.array([float(v) for v in rational]), rss


def test_hard_tables_reach_the_digits_of_extended_precision(hard_table):
    """Normwise error in the scaled coefficients (what conditioning speaks of) against the
    least-squares perturbation bound (Golub & Van Loan, Thm 5.3.1) at the precision of the
    refined residuals: the refinement's fixed point is defined by residuals exact to
    EXTENDED_EPS, and such a perturbation moves the answer by EXTENDED_EPS * (cond +
    cond^2 * |r| / |Z beta|); 4 float64 ulps more for rounding the answer; a factor 10 of
    slack for the bound's constants. A float64 solve has 2.2e-16 in place of 1.1e-19."""
    name, X, y, exact, rss = hard_table
    cond = np.linalg.cond(scaled_design(X))
    norms = np.linalg.norm(X - X.mean(axis=0), axis=0)
    fitted = np.sqrt(max(float(((y - y.mean()) ** 2).sum()) - rss, 0.0))  # |Z beta|
    bound = 10 * EXTENDED_EPS * (cond + cond**2 * np.sqrt(rss) / fitted) + 4 * np.finfo(np.float64).eps
    sol = solve_exact(X, y)
    beta, beta_exact = sol.coef * norms, exact[:-1] * norms
    assert np.linalg.norm(beta - beta_exact) / np.linalg.norm(beta_exact) <= bound, name
    assert sol.loss == pytest.approx(rss / len(y), rel=1e-12)


@pytest.mark.skipif(EXTENDED_EPS > 1e-18, reason="numpy.longdouble is float64 on this platform")
def test_hard_tables_gain_digits_over_a_float64_solve(hard_table):
    """The refined answer keeps at least 2 more digits than numpy.linalg.lstsq on [X, 1]
    (worst coefficient, relative to the rational answer) on every table."""
    name, X, y, exact, _ = hard_table
    sol = solve_exact(X, y)
    lstsq = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)[0]
    ours = significant_digits(np.append(sol.coef, sol.intercept), exact)
    float64 = significant_digits(lstsq, exact)
    assert ours >= float64 + 2, f"{name}: {ours:.1f} digits against lstsq's {float64:.1f}"


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_rank_deficient_designs_get_the_minimum_norm_answer(fit_intercept):
    """A repeated column, a doubled one and a zero one: the minimum-norm answer on the centered,
    unit-norm design (lstsq's), mapped back to the data's units; the duplicates share equally."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(50)
    X = np.column_stack([x, x, 2 * x, np.zeros(50)])
    y = 3 * x + 1 + rng.standard_normal(50)
    sol = solve_exact(X, y, fit_intercept=fit_intercept)
    shift = X.mean(axis=0) if fit_intercept else np.zeros(4)
    norms = np.linalg.norm(X - shift, axis=0)
    norms[norms == 0] = 1.0
    Z = (X - shift) / norms
    target = y - y.mean() if fit_intercept else y
    want = np.linalg.lstsq(Z, target, rcond=None)[0] / norms
    np.testing.assert_allclose(sol.coef, want, rtol=1e-12, atol=1e-15)
    # the duplicates share equally and the zero column gets nothing, to rounding: in the units of Z
    # (unit-norm columns) the numerical range has rank 1 and condition number 1, where an SVD solve
    # is accurate to a few ulps (2.2e-16) of |beta| (1.2 ulps measured on this machine; 8 allowed)
    beta = sol.coef * norms  # (4,)
    ulps = 8 * np.finfo(np.float64).eps * np.linalg.norm(beta)
    assert abs(beta[0] - beta[1]) <= ulps and abs(beta[0] - beta[2]) <= ulps and abs(beta[3]) <= ulps
    assert sol.rank == 1
