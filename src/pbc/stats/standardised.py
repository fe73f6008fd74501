"""Directly and indirectly standardised rates and ratios.

* DSR with Dobson confidence limits (Dobson et al. 1991, Stat Med 10:457-62), using
  Byar's limits for the total count (Breslow & Day 1987); not calculated below 10 events.
* ISR (indirectly standardised ratio, e.g. SMR) with exact Poisson limits below 10
  observed events and Byar's from 10 (Armitage & Berry 2002; Breslow & Day 1987).

Reference implementation: PHEindicatormethods ``calculate_dsr`` / ``phe_dsr`` and
``calculate_ISRatio`` / ``phe_isr``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pbc.stats.intervals import CountMethod, Interval, byars_limits, count_limits, rate_method

#: Minimum total events for a DSR to be published (PHEindicatormethods).
DSR_MINIMUM_EVENTS = 10


@dataclass(frozen=True)
class StandardPopulationBand:
    """One age band of a standard population (``end_age`` is None for the open band)."""

    start_age: int
    end_age: int | None
    population: float


@cache
def european_standard_population_2013() -> tuple[StandardPopulationBand, ...]:
    """The European Standard Population 2013, 19 bands 0-4 … 85-89, 90+ (sums to 100,000).

    Bundled as ``pbc/stats/data/esp2013.csv``.
    """
    text = resources.files("pbc.stats").joinpath("data/esp2013.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return tuple(
        StandardPopulationBand(
            start_age=int(row["start_age"]),
            end_age=int(row["end_age"]) if row["end_age"] else None,
            population=float(row["population"]),
        )
        for row in rows
    )


def esp2013_weights() -> tuple[float, ...]:
    """ESP 2013 populations in age order, for ``dsr(standard_populations=...)``."""
    return tuple(band.population for band in european_standard_population_2013())


@dataclass(frozen=True)
class IsrResult:
    """Observed and expected events and the standardised ratio with its interval."""

    observed: float
    expected: float
    interval: Interval
    method: CountMethod


def _same_length(*sequences: Sequence[float]) -> int:
    lengths = {len(s) for s in sequences}
    if len(lengths) != 1:
        raise ValueError("all inputs must have one value per standardisation category")
    return lengths.pop()


def dsr(
    counts: Sequence[float],
    populations: Sequence[float],
    standard_populations: Sequence[float] | None = None,
    multiplier: float = 100_000,
    confidence: float = 0.95,
) -> Interval | None:
    """Directly standardised rate with Dobson limits; ``None`` below 10 events.

    With events ``Oᵢ``, populations ``nᵢ`` and standard weights ``wᵢ`` per category:

    * ``DSR = Σ(wᵢ Oᵢ/nᵢ) / Σwᵢ × multiplier``
    * ``var = Σ(Oᵢ (wᵢ/nᵢ)²) / (Σwᵢ)²``
    * ``limit = DSR + √(var/O) × (Byars_limit(O) − O) × multiplier`` with ``O = ΣOᵢ``.

    ``standard_populations`` defaults to the European Standard Population 2013 (19 bands).
    """
    weights = esp2013_weights() if standard_populations is None else tuple(standard_populations)
    _same_length(counts, populations, weights)
    if any(c < 0 for c in counts):
        raise ValueError("counts must be zero or more")
    if any(n <= 0 for n in populations):
        raise ValueError("populations must be greater than zero")
    total = math.fsum(counts)
    if total < DSR_MINIMUM_EVENTS:
        return None
    weight_sum = math.fsum(weights)
    value = (
        math.fsum(o * w / n for o, n, w in zip(counts, populations, weights, strict=True))
        / weight_sum
        * multiplier
    )
    variance = (
        math.fsum(o * (w / n) ** 2 for o, n, w in zip(counts, populations, weights, strict=True))
        / weight_sum**2
    )
    lower_count, upper_count = byars_limits(total, confidence)
    scale = math.sqrt(variance / total) * multiplier
    return Interval(
        value=value,
        lower=value + scale * (lower_count - total),
        upper=value + scale * (upper_count - total),
    )


def isr(
    counts: Sequence[float],
    populations: Sequence[float],
    reference_counts: Sequence[float],
    reference_populations: Sequence[float],
    reference_value: float = 100,
    confidence: float = 0.95,
) -> IsrResult:
    """Indirectly standardised ratio ``O/E × reference_value``.

    ``E = Σ(reference_countsᵢ / reference_populationsᵢ × populationsᵢ)`` and
    ``O = Σcountsᵢ``; limits are ``Poisson_limit(O) / E × reference_value``, exact below
    10 observed events and Byar's from 10.
    """
    _same_length(counts, populations, reference_counts, reference_populations)
    if any(c < 0 for c in counts):
        raise ValueError("counts must be zero or more")
    if any(n < 0 for n in populations) or any(n <= 0 for n in reference_populations):
        raise ValueError("populations must be zero or more, reference populations above zero")
    observed = math.fsum(counts)
    expected = math.fsum(
        r / rn * n
        for r, rn, n in zip(reference_counts, reference_populations, populations, strict=True)
    )
    if expected <= 0:
        raise ValueError("expected events must be greater than zero")
    method = rate_method(observed)
    lower, upper = count_limits(observed, confidence, method)
    return IsrResult(
        observed=observed,
        expected=expected,
        interval=Interval(
            value=observed / expected * reference_value,
            lower=lower / expected * reference_value,
            upper=upper / expected * reference_value,
        ),
        method=method,
    )
