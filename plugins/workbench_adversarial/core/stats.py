"""Binomial confidence intervals for success rates (Qt-free, numpy/scipy)."""

from __future__ import annotations

import math

from scipy import stats


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials (Wilson 1927).

    centre = (k + z^2/2) / (n + z^2), half-width = z/(n + z^2) sqrt(k(n-k)/n + z^2/4).
    Returns (nan, nan) for n = 0.
    """
    if n <= 0:
        return math.nan, math.nan
    z = stats.norm.ppf(0.5 + confidence / 2.0)
    phat = k / n
    denom = 1.0 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson 1934) interval: Beta quantiles, lower B(a/2; k, n-k+1),
    upper B(1-a/2; k+1, n-k).  Returns (nan, nan) for n = 0."""
    if n <= 0:
        return math.nan, math.nan
    a = 1.0 - confidence
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


def interval(k: int, n: int, method: str = "wilson", confidence: float = 0.95) -> tuple[float, float]:
    if method == "wilson":
        return wilson_interval(k, n, confidence)
    if method in ("clopper-pearson", "clopper_pearson", "exact"):
        return clopper_pearson(k, n, confidence)
    raise ValueError(f"unknown interval method {method!r}: use wilson or clopper-pearson")
