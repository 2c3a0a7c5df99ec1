"""The t, F and normal functions of a summary against scipy.special's, and against 40-digit values
(mpmath) where scipy itself loses digits (tiny t with one degree of freedom)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import special

from slopefit.solve import distributions

# scipy's stdtrit is off by a factor of 2 below p ~ 1e-200 for small df (checked with 50-digit mpmath):
# the comparison stops at 1e-150
P_GRID = np.concatenate([np.logspace(-150, -1, 30), [0.3, 0.5, 0.7, 0.9, 0.975, 0.995], 1 - np.logspace(-14, -1, 15)])
T_GRID = np.concatenate([-np.logspace(-4, 4, 41), [0.0], np.logspace(-4, 4, 41)])


def tolerance(df: float) -> float:
    """The continued fraction takes O(sqrt(df)) terms, each rounding once: about 1e-13 up to 10^4
    degrees of freedom, 1e-10 at 10^7 (measured: 3e-14 and 1e-10)."""
    return 1e-12 if df <= 1e4 else 1e-9


@pytest.mark.parametrize("df", [2, 3, 4.5, 7, 10, 30, 100, 1000, 1e4, 1e5, 1e6, 1e7])
def test_t_distribution_equals_scipy(df):
    rtol = tolerance(df)
    # atol: tails below 1e-300 are subnormal, where scipy rounds to 0 earlier than we do
    np.testing.assert_allclose(distributions.stdtr(df, T_GRID), special.stdtr(df, T_GRID), rtol=rtol, atol=1e-300)
    np.testing.assert_allclose(distributions.t_sf(df, T_GRID), special.stdtr(df, -T_GRID), rtol=rtol, atol=1e-300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's own overflow in the far tail for small df
        ours, theirs = distributions.stdtrit(df, P_GRID), special.stdtrit(df, P_GRID)
    finite = np.isfinite(theirs)  # scipy gives inf for quantiles past 1e300 it cannot reach: ours are finite
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=10 * rtol, atol=0)
    assert np.isfinite(ours).all()


def test_t_cdf_with_one_degree_of_freedom_is_cauchy():
    """df = 1 is the Cauchy distribution: P(T <= t) = 1/2 + atan(t)/pi, a closed form to compare with
    (scipy's stdtr itself is off by 3e-9 relative at t = 1e-8)."""
    t = np.concatenate([-np.logspace(-8, 8, 33), np.logspace(-8, 8, 33)])
    exact = 0.5 + np.arctan(t) / np.pi
    lower = np.where(t < 0, np.arctan(1 / -t) / np.pi, np.nan)  # the lower tail with no cancellation
    exact = np.where(t < 0, lower, exact)
    np.testing.assert_allclose(distributions.stdtr(1, t), exact, rtol=1e-13)
    # back to t through the quantile where that is well conditioned: p = 1/2 + t/pi near 0 and
    # p = 1 - 1/(pi t) far out each keep only part of t's digits
    kept = (np.abs(t) > 1e-3) & (t < 1e3)
    np.testing.assert_allclose(distributions.stdtrit(1, exact[kept]), t[kept], rtol=1e-11)


@pytest.mark.parametrize("dfn", [1, 2, 5, 10, 50])
@pytest.mark.parametrize("dfd", [1, 3, 10, 100, 1e4])
def test_f_tail_equals_scipy(dfn, dfd):
    f = np.logspace(-6, 4, 41)
    # scipy rounds tails below about 1e-270 to 0 (F(50, 10^4) > 31.6 is 3.2424e-275 by 50-digit mpmath,
    # as here): compare where scipy's is a number
    theirs = special.fdtrc(dfn, dfd, f)
    kept = theirs > 1e-260
    np.testing.assert_allclose(distributions.fdtrc(dfn, dfd, f)[kept], theirs[kept], rtol=1e-11, atol=0)


def test_normal_functions_equal_scipy():
    z = np.linspace(-37, 37, 149)
    np.testing.assert_allclose(distributions.ndtr(z), special.ndtr(z), rtol=1e-12, atol=0)
    p = np.concatenate([np.logspace(-300, -1, 50), np.linspace(0.01, 0.99, 49)])
    np.testing.assert_allclose(distributions.ndtri(p), special.ndtri(p), rtol=1e-14, atol=0)


def test_edges_are_those_of_scipy():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NaN in is a NaN out, with no warning shown to the user
        assert np.isnan(distributions.stdtr(3, np.nan)) and np.isnan(distributions.stdtrit(3, 1.5))
    assert distributions.stdtrit(3, 0.5) == 0.0 and distributions.stdtrit(3, 1.0) == np.inf  # exact by definition
    assert distributions.fdtrc(2, 3, 0.0) == 1.0 and distributions.stdtr(5, np.inf) == 1.0
