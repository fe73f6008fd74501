"""Funnel plot control limits and significance (PHE Fingertips method).

Limits are drawn at 95% (≈2σ) and 99.8% (≈3σ) around the overall average.

* Proportions: the exact Wilson-score funnel. For denominator ``n``, average ``p`` and
  ``z = Φ⁻¹(P)`` (P = 0.975 or 0.999), the limits are the roots of the Wilson score test,
  ``(p(n/z² + 1) ∓ √(64p²(n/z² + 1)² − 64(1/z² + 1/n)·p·(n(p(n/z² + 2) − 1) + z²(p − 1)))/8)
  / (1/z² + 1/n) / n``, clamped to [0, 1]. Reference: PHEindicatormethods
  ``sigma_adjustment`` / ``calculate_funnel_limits(statistic = "proportion")``.
* Ratios (e.g. ISR, observed/expected) and rates: exact Poisson limits. At denominator
  ``d`` the expected count is ``μ = average × d``; the upper limit is ``O_u/d`` where the
  exact lower confidence limit of ``O_u`` equals μ, ``χ²⁻¹((1 − c)/2; 2O_u)/2 = μ``,
  and the lower limit is ``O_l/d`` where ``χ²⁻¹((1 + c)/2; 2O_l + 2)/2 = μ`` (0 when no
  O_l ≥ 0 exists). At integer O these are the points PHEindicatormethods
  ``poisson_funnel`` tabulates (it finds them by bisection to a step of 1e-7 in
  μ/(μ + O + 1); ``tests/stats/test_funnels_reference.py`` compares ``funnel_limits`` at its
  published denominators to a relative 1e-6, and to that step's precision where coarser).
* Significance: proportions against the Wilson funnel; ratios by whether the Byar's/exact
  interval of O/E excludes 1; rates by whether the interval of O/d excludes the
  weighted average Σx/Σd (``assign_funnel_significance``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scipy.optimize import brentq
from scipy.stats import chi2, norm

from pbc.stats.intervals import count_limits, rate_method

Statistic = Literal["proportion", "rate", "ratio"]
Significance = Literal["high", "low", "not significant"]
Side = Literal["low", "high"]
_SIDES: tuple[Side, Side, Side, Side] = ("low", "high", "low", "high")

#: Two-sided confidence of the inner and outer funnels.
INNER_CONFIDENCE = 0.95
OUTER_CONFIDENCE = 0.998

DEFAULT_MULTIPLIERS: dict[str, float] = {"proportion": 100, "rate": 100_000, "ratio": 100}


@dataclass(frozen=True)
class FunnelLimits:
    """Control limits at one denominator, in the statistic's multiplied units."""

    denominator: float
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float


@dataclass(frozen=True)
class FunnelSignificance:
    """Whether one unit lies above, below or within the 95% and 99.8% limits."""

    significance_95: Significance
    significance_998: Significance


def wilson_funnel_limit(
    tail_probability: float, denominator: float, average: float, side: Literal["low", "high"]
) -> float:
    """Proportion (0-1) on the Wilson funnel; PHEindicatormethods ``sigma_adjustment``.

    ``tail_probability`` is the normal quantile probability, 0.975 for the 95% funnel and
    0.999 for the 99.8% funnel.
    """
    z2 = float(norm.ppf(tail_probability)) ** 2
    n = denominator
    p = average
    first = p * (n / z2 + 1)
    radicand = (-8 * p * (n / z2 + 1)) ** 2 - 64 * (1 / z2 + 1 / n) * p * (
        n * (p * (n / z2 + 2) - 1) + z2 * (p - 1)
    )
    adjustment = math.sqrt(max(radicand, 0.0)) / 8
    last = 1 / z2 + 1 / n
    numerator = first - adjustment if side == "low" else first + adjustment
    return numerator / last / n


def _poisson_boundary_count(mean: float, confidence: float, side: Literal["low", "high"]) -> float:
    """Continuous count O whose exact Poisson limit equals ``mean``.

    ``high``: lower limit ``χ²⁻¹((1 − c)/2; 2O)/2 = mean``;
    ``low``: upper limit ``χ²⁻¹((1 + c)/2; 2O + 2)/2 = mean`` (0 if none is ≥ 0).
    """
    alpha = 1 - confidence
    if side == "high":

        def gap(o: float) -> float:
            return float(chi2.ppf(alpha / 2, 2 * o)) / 2 - mean

        low_bracket = 1e-12
    else:

        def gap(o: float) -> float:
            return float(chi2.ppf(1 - alpha / 2, 2 * o + 2)) / 2 - mean

        low_bracket = 0.0
        if gap(0.0) >= 0:
            return 0.0
    high_bracket = mean + 10 * math.sqrt(mean) + 50
    return float(brentq(gap, low_bracket, high_bracket, xtol=1e-12, rtol=1e-14))


def funnel_limits(
    statistic: Statistic,
    average: float,
    denominators: Sequence[float],
    multiplier: float | None = None,
) -> list[FunnelLimits]:
    """95% and 99.8% funnel limits at each denominator.

    ``average`` is on the natural scale: a proportion (0-1), events per unit of
    denominator for a rate, or the reference ratio (usually 1) for a ratio, where the
    denominators are expected counts. ``multiplier`` defaults to 100 (proportion,
    percentage), 100,000 (rate) or 100 (ratio, ISR style).
    """
    if statistic not in DEFAULT_MULTIPLIERS:
        raise ValueError("statistic must be 'proportion', 'rate' or 'ratio'")
    scale = DEFAULT_MULTIPLIERS[statistic] if multiplier is None else multiplier
    if any(d <= 0 for d in denominators):
        raise ValueError("denominators must be greater than zero")
    if statistic == "proportion" and not 0 <= average <= 1:
        raise ValueError("a proportion average must be between 0 and 1")
    if statistic != "proportion" and average <= 0:
        raise ValueError("a rate or ratio average must be greater than zero")
    rows = [_limits_at(statistic, average, d, scale) for d in denominators]
    return rows


def _limits_at(statistic: Statistic, average: float, d: float, scale: float) -> FunnelLimits:
    """The four limits at one denominator (see ``funnel_limits``)."""
    if statistic == "proportion":
        low_95, high_95, low_998, high_998 = (
            min(max(wilson_funnel_limit(probability, d, average, side), 0.0), 1.0) * scale
            for probability, side in zip((0.975, 0.975, 0.999, 0.999), _SIDES, strict=True)
        )
    else:
        mean = average * d
        low_95, high_95, low_998, high_998 = (
            _poisson_boundary_count(mean, confidence, side) / d * scale
            for confidence, side in zip(
                (INNER_CONFIDENCE, INNER_CONFIDENCE, OUTER_CONFIDENCE, OUTER_CONFIDENCE),
                _SIDES,
                strict=True,
            )
        )
    return FunnelLimits(d, low_95, high_95, low_998, high_998)


def _label(low_998: bool, low_95: bool, high_998: bool, high_95: bool) -> FunnelSignificance:
    if low_998:
        return FunnelSignificance("low", "low")
    if low_95:
        return FunnelSignificance("low", "not significant")
    if high_998:
        return FunnelSignificance("high", "high")
    if high_95:
        return FunnelSignificance("high", "not significant")
    return FunnelSignificance("not significant", "not significant")


def funnel_significance(
    statistic: Statistic,
    numerators: Sequence[float],
    denominators: Sequence[float],
) -> list[FunnelSignificance]:
    """Whether each unit is significantly high, low or neither at 95% and at 99.8%.

    * ``proportion``: ``x/n`` against the Wilson funnel at the average ``Σx/Σn``.
    * ``ratio`` (denominators are expected counts): the interval of ``O/E`` (exact below
      10 events, Byar's from 10) against 1.
    * ``rate``: the interval of ``x/d`` against the weighted average ``Σx/Σd``. For
      directly standardised rates pass the derived denominators ``x × multiplier / DSR``;
      PHEindicatormethods does not assess DSRs below 10 events.

    Reference: PHEindicatormethods ``assign_funnel_significance``.
    """
    if len(numerators) != len(denominators):
        raise ValueError("numerators and denominators must have the same length")
    if any(x < 0 for x in numerators) or any(d <= 0 for d in denominators):
        raise ValueError("numerators must be zero or more and denominators above zero")
    results: list[FunnelSignificance] = []
    if statistic == "proportion":
        if any(x > d for x, d in zip(numerators, denominators, strict=True)):
            raise ValueError("numerators must not exceed denominators for a proportion")
        average = math.fsum(numerators) / math.fsum(denominators)
        for x, n in zip(numerators, denominators, strict=True):
            p = x / n
            results.append(
                _label(
                    p < wilson_funnel_limit(0.999, n, average, "low"),
                    p < wilson_funnel_limit(0.975, n, average, "low"),
                    p > wilson_funnel_limit(0.999, n, average, "high"),
                    p > wilson_funnel_limit(0.975, n, average, "high"),
                )
            )
        return results
    if statistic not in ("rate", "ratio"):
        raise ValueError("statistic must be 'proportion', 'rate' or 'ratio'")
    target = 1.0 if statistic == "ratio" else math.fsum(numerators) / math.fsum(denominators)
    for x, d in zip(numerators, denominators, strict=True):
        method = rate_method(x)
        lower_998, upper_998 = count_limits(x, OUTER_CONFIDENCE, method)
        lower_95, upper_95 = count_limits(x, INNER_CONFIDENCE, method)
        results.append(
            _label(
                upper_998 / d < target,
                upper_95 / d < target,
                lower_998 is not None and lower_998 / d > target,
                lower_95 is not None and lower_95 / d > target,
            )
        )
    return results
