"""Confidence intervals for proportions, counts and crude rates.

These follow PHEindicatormethods (UKHSA, R package, version 2.x), the reference
implementation behind Fingertips:

* Wilson score interval for proportions (Wilson 1927; Newcombe & Altman 2000).
* Byar's approximation to the Poisson interval for counts (Breslow & Day 1987).
* Exact Poisson interval through the chi-square distribution (Armitage & Berry 2002).
* Crude rates use the exact interval below 10 events and Byar's from 10.

All functions are pure. ``confidence`` is a fraction from 0.9 to 1 (0.95, 0.998) or, as the
reference also allows, a percentage from 90 to 100 (95, 99.8); anything else is refused with the
reference's message. At the top of the range (1, 100%) the limits are the widest possible, as
the reference gives them: 0 and 1 for a proportion, 0 and infinity for a count, and Byar's
lower limit missing.

A limit the reference reports as missing (NA) is None here: Byar's lower limit where its
formula goes below 0 (tiny counts at high confidence, and every count at 100%).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

from scipy.stats import chi2, norm

CountMethod = Literal["byars", "exact"]

#: Below this many events a crude rate uses the exact interval (PHEindicatormethods).
EXACT_BELOW_EVENTS = 10


@dataclass(frozen=True)
class Interval:
    """A point estimate with its lower and upper confidence limits (lower None: missing, where
    the reference reports NA)."""

    value: float
    lower: float | None
    upper: float

    def scaled(self, multiplier: float) -> Interval:
        """The interval times `multiplier` (a fraction as a percentage, say)."""
        lower = None if self.lower is None else self.lower * multiplier
        return Interval(self.value * multiplier, lower, self.upper * multiplier)


@dataclass(frozen=True)
class RateInterval(Interval):
    """An interval for a rate, naming the method used for the limits."""

    method: CountMethod


def z_score(confidence: float) -> float:
    """Two-sided standard normal quantile: ``z = Φ⁻¹(c + (1 − c)/2)`` (infinite at c = 1)."""
    c = check_confidence(confidence)
    return math.inf if c == 1 else _normal_quantile(c + (1 - c) / 2)


# SciPy's quantile functions cost tens of microseconds a call, and an indicator refresh asks for
# the same few (a handful of confidence levels, small whole counts) hundreds of thousands of times.
@functools.lru_cache(maxsize=256)
def _normal_quantile(p: float) -> float:
    return float(norm.ppf(p))


@functools.lru_cache(maxsize=4096)
def _chi2_quantile(p: float, degrees_of_freedom: float) -> float:
    return float(chi2.ppf(p, degrees_of_freedom))


def check_confidence(confidence: float) -> float:
    """The confidence level as a fraction: 0.9 to 1 as given, 90 to 100 divided by 100 (the
    reference's range); anything else refused with the reference's message."""
    if 0.9 <= confidence <= 1:
        return float(confidence)
    if 90 <= confidence <= 100:
        return float(confidence) / 100
    raise ValueError(
        f"confidence level must be between 90 and 100 or between 0.9 and 1, not {confidence!r}"
    )


def wilson_limits(x: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score limits for ``x`` successes out of ``n``.

    ``(2x + z² ∓ z·√(z² + 4x(1 − x/n))) / (2(n + z²))``
    """
    if n <= 0:
        raise ValueError("the denominator must be greater than zero")
    if x < 0 or x > n:
        raise ValueError("the numerator must be between zero and the denominator")
    z = z_score(confidence)
    if math.isinf(z):  # 100% confidence: the whole range, as the reference gives it
        return 0.0, 1.0
    root = z * math.sqrt(z * z + 4 * x * (1 - x / n))
    denominator = 2 * (n + z * z)
    # at x = 0 and x = n the limits are exactly 0 and 1; avoid rounding error there
    lower = 0.0 if x == 0 else max((2 * x + z * z - root) / denominator, 0.0)
    upper = 1.0 if x == n else min((2 * x + z * z + root) / denominator, 1.0)
    return lower, upper


def byars_limits(x: float, confidence: float = 0.95) -> tuple[float | None, float]:
    """Byar's approximate Poisson limits for an observed count ``x``.

    lower = ``x (1 − 1/(9x) − z/(3√x))³`` (0 when x is 0), None (missing, the reference's
    NA) where that goes below 0: tiny counts at high confidence, every count at 100%;
    upper = ``(x + 1) (1 − 1/(9(x + 1)) + z/(3√(x + 1)))³`` (infinite at 100%).

    Reference: PHEindicatormethods ``byars_lower`` / ``byars_upper``.
    """
    if x < 0:
        raise ValueError("the observed count must be zero or more")
    z = z_score(confidence)
    if math.isinf(z):
        return (0.0 if x == 0 else None), math.inf
    lower = 0.0 if x == 0 else x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
    upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3
    return (lower if lower >= 0 else None), upper


def exact_limits(x: float, confidence: float = 0.95) -> tuple[float, float]:
    """Exact Poisson limits for an observed count ``x`` via the chi-square distribution.

    lower = ``χ²⁻¹((1 − c)/2; 2x) / 2`` (0 when x is 0),
    upper = ``χ²⁻¹(c + (1 − c)/2; 2x + 2) / 2``.
    """
    if x < 0:
        raise ValueError("the observed count must be zero or more")
    alpha = 1 - check_confidence(confidence)
    lower = 0.0 if x == 0 else _chi2_quantile(alpha / 2, 2 * x) / 2
    upper = _chi2_quantile(1 - alpha / 2, 2 * x + 2) / 2
    return lower, upper


def count_limits(x: float, confidence: float, method: CountMethod) -> tuple[float | None, float]:
    """Poisson limits for a count by the named method."""
    if method == "byars":
        return byars_limits(x, confidence)
    if method == "exact":
        return exact_limits(x, confidence)
    raise ValueError(f"method must be 'byars' or 'exact', not {method!r}")


def rate_method(x: float) -> CountMethod:
    """PHEindicatormethods' choice: exact below 10 events, Byar's from 10."""
    return "exact" if x < EXACT_BELOW_EVENTS else "byars"


def proportion_ci(x: float, n: float, confidence: float = 0.95) -> Interval:
    """Proportion ``x/n`` with its Wilson score interval (a fraction, not a percentage).

    Reference: PHEindicatormethods ``phe_proportion`` / ``wilson_lower`` / ``wilson_upper``.
    """
    lower, upper = wilson_limits(x, n, confidence)
    return Interval(value=x / n, lower=lower, upper=upper)


def count_ci(x: float, confidence: float = 0.95, method: CountMethod = "byars") -> Interval:
    """A count with its Poisson interval, by Byar's method (default) or exactly.

    Reference: PHEindicatormethods ``byars_lower`` / ``byars_upper`` and the exact
    chi-square limits used inside ``phe_rate``.
    """
    lower, upper = count_limits(x, confidence, method)
    return Interval(value=float(x), lower=lower, upper=upper)


def rate_ci(
    x: float, n: float, multiplier: float = 100_000, confidence: float = 0.95
) -> RateInterval:
    """Crude rate ``x/n × multiplier``: exact limits below 10 events, Byar's from 10.

    Reference: PHEindicatormethods ``phe_rate`` / ``calculate_rate``.
    """
    if n <= 0:
        raise ValueError("the denominator must be greater than zero")
    method = rate_method(x)
    lower, upper = count_limits(x, confidence, method)
    return RateInterval(
        value=x / n * multiplier,
        lower=None if lower is None else lower / n * multiplier,
        upper=upper / n * multiplier,
        method=method,
    )
