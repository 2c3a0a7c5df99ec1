"""The t, F and normal distribution functions a regression summary needs, in numpy and ``math``.

They are scipy.special's ``stdtr``, ``stdtrit``, ``fdtrc``, ``ndtr`` and ``ndtri`` (what
``scipy.stats.t`` and ``.f`` call), written here so that a fit's summary does not import scipy:
its array-API layer costs 0.3 s or more of every command's start-up. The test suite compares each
with scipy to about 1e-12 relative.

The t and F tails are regularized incomplete beta functions ``I_x(a, b)``, evaluated by their
continued fraction (modified Lentz; Numerical Recipes 6.4) on the side of ``x`` where it converges
fast, with ``x`` and ``1 - x`` computed separately so that neither tail loses digits to a
subtraction. Quantiles are Newton steps from a normal start, safeguarded by bisection.
"""

from __future__ import annotations

import math

import numpy as np

TINY = 1e-300  # Lentz's guard against a zero denominator
MAX_TERMS = 10_000  # the continued fraction converges in O(sqrt(max(a, b))) terms


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (converges fast for x < (a + 1) / (a + b + 2))."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > TINY else TINY)
    h = d
    for m in range(1, MAX_TERMS):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > TINY else TINY)
            c = 1.0 + aa / c
            c = c if abs(c) > TINY else TINY
            step = d * c
            h *= step
        if abs(step - 1.0) < 1e-16:
            break
    return h


def _log_beta(a: float, b: float) -> float:
    """log B(a, b); for a large argument, log Gamma(a) - log Gamma(a + b) by Stirling's series, which
    keeps the digits math.lgamma's difference of two large numbers would lose (a t test on 10^6 rows)."""
    if a < b:
        a, b = b, a
    if a < 10.0:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    def w(z: float) -> float:  # log Gamma(z) - [(z - 1/2) log z - z + log(2 pi) / 2], z >= 10: 1e-17
        z2 = z * z
        return (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - 1.0 / (1680.0 * z2)) / z2) / z2) / z

    # log Gamma(a) - log Gamma(a + b) = -(a - 1/2) log1p(b / a) - b log(a + b) + b + w(a) - w(a + b)
    head = -(a - 0.5) * math.log1p(b / a) - b * math.log(a + b) + b + w(a) - w(a + b)
    return math.lgamma(b) + head


def beta_tails(a: float, b: float, x: float, y: float, log_x: float, log_y: float) -> tuple[float, float]:
    """``(I_x(a, b), 1 - I_x(a, b))`` for ``x + y = 1``, given both and their logs, each computed on its own
    (``log_x = -log1p(t^2 / df)``, not ``log(x)``: near 1 the rounding of x would cost digits)."""
    if log_x == -math.inf:
        return 0.0, 1.0
    if log_y == -math.inf:
        return 1.0, 0.0
    front = math.exp(a * log_x + b * log_y - _log_beta(a, b))
    if x < (a + 1.0) / (a + b + 2.0):
        low = front * _beta_fraction(a, b, x) / a
        return low, 1.0 - low
    high = front * _beta_fraction(b, a, y) / b
    return 1.0 - high, high


def _t_tail(df: float, t: float) -> float:
    """P(T > t) for t >= 0 (or +inf df: the normal tail)."""
    if math.isinf(df):
        return 0.5 * math.erfc(t / math.sqrt(2.0))
    if t == 0.0:
        return 0.5
    log_x = -_log1p_t2(df, t)  # x = df / (df + t^2) and y = 1 - x, each computed on its own
    x = math.exp(log_x)
    y = -math.expm1(log_x)
    log_y = 2.0 * math.log(t) - math.log(df) + log_x
    return 0.5 * beta_tails(df / 2.0, 0.5, x, y, log_x, log_y)[0]


def stdtr(df, t):
    """P(T <= t), T Student's t with ``df`` degrees of freedom (scipy.special.stdtr)."""
    return _vectorized(lambda d, v: math.nan if math.isnan(v) or not d > 0 else
                       (1.0 - _t_tail(d, v) if v >= 0 else _t_tail(d, -v)), df, t)


def t_sf(df, t):
    """P(T > t): the upper tail, exact in its own digits far out (for p-values)."""
    return _vectorized(lambda d, v: math.nan if math.isnan(v) or not d > 0 else
                       (_t_tail(d, v) if v >= 0 else 1.0 - _t_tail(d, -v)), df, t)


def stdtrit(df, p):
    """The t such that P(T <= t) = p (scipy.special.stdtrit)."""
    return _vectorized(_t_quantile, df, p)


def _t_quantile(df: float, p: float) -> float:
    if math.isnan(p) or not df > 0 or not 0.0 <= p <= 1.0:
        return math.nan
    if p in (0.0, 1.0):
        return math.copysign(math.inf, p - 0.5)
    if p == 0.5:
        return 0.0
    upper = min(p, 1.0 - p)  # solve P(T > t) = upper for t > 0, then give t its sign
    target = math.log(upper)
    # Newton on u = log t: log P(T > e^u) is nearly linear in u far out (the tail falls as t^-df)
    u = math.log(max(-_normal_quantile(upper), 1e-3))
    low, high = -math.inf, math.inf  # a bracket on u, narrowed by every evaluation
    for _ in range(300):
        if u > 709.0:  # past the largest double: the quantile is out of range
            return math.copysign(math.inf, p - 0.5)
        t = math.exp(u)
        tail = _t_tail(df, t)
        if tail > upper:
            low = u
        else:
            high = u
        slope = -_t_density(df, t) * t / tail if tail > 0 else -math.inf
        proposal = u - (math.log(tail) - target) / slope if tail > 0 and slope < 0 else math.nan
        if not (low < proposal < high):  # Newton left the bracket: bisect it, or step out of a side
            if math.isfinite(low) and math.isfinite(high):
                proposal = 0.5 * (low + high)
            else:
                proposal = u + (1.0 if math.isinf(high) else -1.0)
        if abs(proposal - u) <= 1e-15 * max(1.0, abs(proposal)):
            u = proposal
            break
        u = proposal
    t = math.exp(u)
    return t if p > 0.5 else -t


def _log1p_t2(df: float, t: float) -> float:
    """log(1 + t^2 / df), without overflow for t past 1e154."""
    if t < 1e150:
        return math.log1p(t * t / df)
    log_ratio = 2.0 * math.log(t) - math.log(df)
    return log_ratio + math.log1p(math.exp(-log_ratio))


def _t_density(df: float, t: float) -> float:
    if math.isinf(df):
        return math.exp(-0.5 * t * t) / math.sqrt(2.0 * math.pi)
    log = (math.lgamma((df + 1.0) / 2.0) - math.lgamma(df / 2.0) - 0.5 * math.log(df * math.pi)
           - (df + 1.0) / 2.0 * _log1p_t2(df, t))
    return math.exp(log)


def fdtrc(dfn, dfd, f):
    """P(F > f), F with (``dfn``, ``dfd``) degrees of freedom (scipy.special.fdtrc)."""
    def tail(n: float, d: float, v: float) -> float:
        if math.isnan(v) or not (n > 0 and d > 0):
            return math.nan
        if v <= 0:
            return 1.0
        ratio = n * v / d
        log_x = -math.log1p(ratio)
        return beta_tails(d / 2.0, n / 2.0, 1.0 / (1.0 + ratio), ratio / (1.0 + ratio), log_x,
                          math.log(ratio) + log_x)[0]

    with np.errstate(invalid="ignore"):
        out = np.vectorize(tail, otypes=[np.float64])(dfn, dfd, f)
    return out[()] if out.ndim == 0 else out


def ndtr(z):
    """P(Z <= z), Z standard normal (scipy.special.ndtr)."""
    return _vectorized(lambda _, v: 0.5 * math.erfc(-v / math.sqrt(2.0)), 0.0, z)


def ndtri(p):
    """The z such that P(Z <= z) = p (scipy.special.ndtri)."""
    return _vectorized(lambda _, v: _normal_quantile(v), 0.0, p)


def _normal_quantile(p: float) -> float:
    """Acklam's rational start, then two Newton steps on erfc (full double precision)."""
    if math.isnan(p) or not 0.0 <= p <= 1.0:
        return math.nan
    if p in (0.0, 1.0):
        return math.copysign(math.inf, p - 0.5)
    a = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
         -3.066479806614716e+01, 2.506628277459239e+00)
    b = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
         -1.328068155288572e+01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
         4.374664141464968e+00, 2.938163982698783e+00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)
    q = min(p, 1.0 - p)
    if q < 0.02425:
        r = math.sqrt(-2.0 * math.log(q))
        z = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / \
            ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1.0)  # negative: the lower tail
    else:
        r = (q - 0.5) ** 2
        z = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * (q - 0.5) / \
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
    for _ in range(3):  # Newton on the lower tail q = erfc(-z / sqrt 2) / 2, in relative terms
        tail = 0.5 * math.erfc(-z / math.sqrt(2.0))
        density = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        if density == 0.0:
            break
        z -= (tail - q) / density
    return z if p <= 0.5 else -z


def _vectorized(function, first, second):
    with np.errstate(invalid="ignore"):  # a NaN in gives a NaN out, as scipy's do, without numpy's note
        out = np.vectorize(lambda u, v: function(float(u), float(v)), otypes=[np.float64])(first, second)
    return out[()] if out.ndim == 0 else out
