"""Directly and indirectly standardised rates and ratios.

* DSR with Dobson confidence limits (Dobson et al. 1991, Stat Med 10:457-62), using
  Byar's limits for the total count (Breslow & Day 1987); not calculated below 10 events.
  A missing count (None: the reference's NA) counts as no events, as the reference does.
* DSR of events that are not independent (a person admitted three times counts three events):
  the same value, with the variance built from the frequency distribution of events per
  person (Fingertips technical guidance, DSR chapter; PHEindicatormethods
  ``calculate_dsr(independent_events = FALSE)``), so the limits are wider.
* ISR (indirectly standardised ratio, e.g. SMR) with exact Poisson limits below 10
  observed events and Byar's from 10 (Armitage & Berry 2002; Breslow & Day 1987).

Reference implementation: PHEindicatormethods ``calculate_dsr`` / ``phe_dsr`` and
``calculate_ISRatio`` / ``phe_isr``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
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


def _same_length(*sequences: Sequence[float | None]) -> int:
    lengths = {len(s) for s in sequences}
    if len(lengths) != 1:
        raise ValueError("all inputs must have one value per standardisation category")
    return lengths.pop()


def _known(counts: Sequence[float | None]) -> list[float]:
    """Counts with a missing one (None) as 0, the reference's ``na.zero``; negative refused."""
    known = [0.0 if c is None else float(c) for c in counts]
    if any(c < 0 for c in known):
        raise ValueError("counts must be zero or more")
    return known


def _dsr_parts(
    counts: Sequence[float],
    populations: Sequence[float],
    weights: Sequence[float],
    multiplier: float,
) -> tuple[float, float]:
    """(DSR, its variance without the multiplier) of one set of counts."""
    if any(n <= 0 for n in populations):
        raise ValueError("populations must be greater than zero")
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
    return value, variance


def _dobson(
    value: float, variance: float, total: float, multiplier: float, confidence: float
) -> Interval:
    lower_count, upper_count = byars_limits(total, confidence)
    scale = math.sqrt(variance / total) * multiplier
    return Interval(
        value=value,
        lower=None if lower_count is None else value + scale * (lower_count - total),
        upper=value + scale * (upper_count - total),
    )


def dsr(
    counts: Sequence[float | None],
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

    A missing count (None) is no events in its category. ``standard_populations`` defaults to
    the European Standard Population 2013 (19 bands).
    """
    weights = esp2013_weights() if standard_populations is None else tuple(standard_populations)
    _same_length(counts, populations, weights)
    known = _known(counts)
    if any(n <= 0 for n in populations):
        raise ValueError("populations must be greater than zero")
    total = math.fsum(known)
    if total < DSR_MINIMUM_EVENTS:
        return None
    value, variance = _dsr_parts(known, populations, weights, multiplier)
    return _dobson(value, variance, total, multiplier, confidence)


def dsr_non_independent(
    persons_by_frequency: Mapping[int, Sequence[float | None]],
    populations: Sequence[float],
    standard_populations: Sequence[float] | None = None,
    multiplier: float = 100_000,
    confidence: float = 0.95,
) -> Interval | None:
    """Directly standardised rate of events that are not independent, from the person-level
    frequency distribution: ``persons_by_frequency[f][i]`` people had ``f`` events each in
    category ``i`` (None: missing, none). ``None`` below 10 events.

    * events ``Oᵢ = Σ_f f × persons_f,ᵢ``; the DSR is that of ``Oᵢ`` (as `dsr`);
    * ``var = Σ_f f² × var_f``, ``var_f`` the DSR variance of ``persons_f`` alone;
    * limits as `dsr` (Dobson, Byar's on ``O = ΣOᵢ``) with that variance.

    Reference: PHEindicatormethods ``calculate_dsr(independent_events = FALSE)``.
    """
    weights = esp2013_weights() if standard_populations is None else tuple(standard_populations)
    if not persons_by_frequency:
        raise ValueError("give the persons for at least one event frequency")
    if any(f < 1 for f in persons_by_frequency):
        raise ValueError("event frequencies must be 1 or more")
    persons = {f: _known(p) for f, p in persons_by_frequency.items()}
    for p in persons.values():
        _same_length(p, populations, weights)
    events = [math.fsum(f * p[i] for f, p in persons.items()) for i in range(len(populations))]
    total = math.fsum(events)
    if total < DSR_MINIMUM_EVENTS:
        if any(n <= 0 for n in populations):
            raise ValueError("populations must be greater than zero")
        return None
    value, _ = _dsr_parts(events, populations, weights, multiplier)
    variance = math.fsum(
        f * f * _dsr_parts(p, populations, weights, multiplier)[1] for f, p in persons.items()
    )
    return _dobson(value, variance, total, multiplier, confidence)


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
            lower=None if lower is None else lower / expected * reference_value,
            upper=upper / expected * reference_value,
        ),
        method=method,
    )
