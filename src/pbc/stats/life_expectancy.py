"""Life expectancy from an abridged life table (Chiang II) with Silcocks' variance.

Reference implementation: PHEindicatormethods ``phe_life_expectancy`` (the PHE Life
Expectancy Calculator), after Chiang (1968), Newell (1994) and Silcocks, Jenner & Reza
(2001, J Epidemiol Community Health 55:38-43). For age band i with start age xᵢ, width
nᵢ (the open last band uses ``nᵢ = 2/Mᵢ``), deaths Dᵢ, population Pᵢ:

* ``Mᵢ = Dᵢ/Pᵢ``; ``aᵢ = 0.1`` for age 0, else 0.5;
* ``qᵢ = nᵢMᵢ / (1 + nᵢMᵢ(1 − aᵢ))`` (1 if ``Dᵢ > Pᵢ/nᵢ/aᵢ``), ``pᵢ = 1 − qᵢ``;
* ``l₀ = 100,000``, ``lᵢ = lᵢ₋₁pᵢ₋₁``, ``dᵢ = lᵢ − lᵢ₊₁``;
* ``Lᵢ = nᵢ(lᵢ₊₁ + aᵢdᵢ)``, last ``L = l/M``; ``Tᵢ = Σ_{j≥i} Lⱼ``; ``eᵢ = Tᵢ/lᵢ``;
* ``S²(pᵢ) = qᵢ²(1 − qᵢ)/Dᵢ`` (0 when dᵢ = 0), last band ``4/(D M²)``;
* ``var(eᵢ) = Σ_{j≥i} lⱼ²((1 − aⱼ)nⱼ + eⱼ₊₁)² S²(pⱼ) / lᵢ²``, last term ``(l/2)² S²``;
* limits ``eᵢ ± z·√var(eᵢ)``.

Validity rules of the reference package: no result when any band has negative deaths,
a population of zero or less, more deaths than population, when the bands are not the
20 standard ones, when the total population is 5,000 or less, or when there are no
deaths in the last band. A value (not its limits) is suppressed when the 95% interval
is wider than 20 years.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import norm

from pbc.stats.intervals import check_confidence

#: The 20 start ages of the ONS/PHE abridged life table: 0, 1-4, 5-9, …, 85-89, 90+.
STANDARD_START_AGES: tuple[int, ...] = (0, 1, *range(5, 95, 5))
MINIMUM_TOTAL_POPULATION = 5000
MAXIMUM_95_INTERVAL_WIDTH = 20.0


@dataclass(frozen=True)
class LifeExpectancyBand:
    """Life expectancy at the start of one age band.

    ``value`` is None when the 95% interval is wider than 20 years (the limits are
    still given); everything is None, with a ``reason``, when the table is invalid.
    """

    start_age: int
    value: float | None
    lower: float | None
    upper: float | None
    reason: str | None = None


def _invalid(start_ages: Sequence[int], reason: str) -> list[LifeExpectancyBand]:
    return [LifeExpectancyBand(age, None, None, None, reason) for age in sorted(start_ages)]


def _validity_problem(
    start_ages: Sequence[int],
    populations: Sequence[float],
    deaths: Sequence[float],
    minimum_total_population: float,
) -> str | None:
    if tuple(sorted(start_ages)) != STANDARD_START_AGES:
        return "age bands must be the 20 standard bands 0, 1-4, 5-9, ..., 85-89, 90+"
    if any(d < 0 for d in deaths):
        return "negative deaths"
    if any(p <= 0 for p in populations):
        return "zero or negative population"
    if any(d > p for d, p in zip(deaths, populations, strict=True)):
        return "more deaths than population"
    if math.fsum(populations) <= minimum_total_population:
        return f"total population of {minimum_total_population:,} or less"
    return None


def life_expectancy(
    start_ages: Sequence[int],
    populations: Sequence[float],
    deaths: Sequence[float],
    confidence: float = 0.95,
    *,
    minimum_total_population: float = MINIMUM_TOTAL_POPULATION,
    maximum_95_interval_width: float = MAXIMUM_95_INTERVAL_WIDTH,
) -> list[LifeExpectancyBand]:
    """Life expectancy at each band's start age, in age order."""
    confidence = check_confidence(confidence)
    if not len(start_ages) == len(populations) == len(deaths):
        raise ValueError("start_ages, populations and deaths must have the same length")
    problem = _validity_problem(start_ages, populations, deaths, minimum_total_population)
    order = sorted(range(len(start_ages)), key=lambda i: start_ages[i])
    if problem is not None:
        return _invalid(start_ages, problem)
    ages = [start_ages[i] for i in order]
    pops = [float(populations[i]) for i in order]
    dths = [float(deaths[i]) for i in order]
    if dths[-1] == 0:
        return _invalid(start_ages, "no deaths in the last age band")

    k = len(ages)
    rates = [d / p for d, p in zip(dths, pops, strict=True)]
    widths = [float(b - a) for a, b in zip(ages, ages[1:], strict=False)] + [2 / rates[-1]]
    fractions = [0.1 if age == 0 else 0.5 for age in ages]
    q = []
    for d, p, m, n, a in zip(dths, pops, rates, widths, fractions, strict=True):
        q.append(m * n / (1 + m * n * (1 - a)) if d <= p / n / a else 1.0)
    survivors = [100_000.0]
    for i in range(1, k):
        survivors.append(survivors[-1] * (1 - q[i - 1]))
    dying = [survivors[i] - (survivors[i + 1] if i + 1 < k else 0.0) for i in range(k)]
    years_lived = [
        widths[i] * (survivors[i + 1] + fractions[i] * dying[i])
        if i + 1 < k
        else survivors[i] / rates[i]
        for i in range(k)
    ]
    remaining = [math.fsum(years_lived[i:]) for i in range(k)]
    expectancy = [remaining[i] / survivors[i] if survivors[i] > 0 else 0.0 for i in range(k)]

    survival_variance = [
        0.0 if dying[i] == 0 else q[i] ** 2 * (1 - q[i]) / dths[i] for i in range(k)
    ]
    survival_variance[-1] = 4 / (dths[-1] * rates[-1] ** 2)
    weighted = [
        survival_variance[i]
        * survivors[i] ** 2
        * ((1 - fractions[i]) * widths[i] + expectancy[i + 1]) ** 2
        if i + 1 < k
        else (survivors[i] / 2) ** 2 * survival_variance[i]
        for i in range(k)
    ]
    z = float(norm.ppf(confidence + (1 - confidence) / 2))
    z95 = float(norm.ppf(0.975))
    bands = []
    for i in range(k):
        if survivors[i] <= 0:
            bands.append(LifeExpectancyBand(ages[i], None, None, None, "no survivors"))
            continue
        standard_error = math.sqrt(math.fsum(weighted[i:]) / survivors[i] ** 2)
        too_wide = 2 * z95 * standard_error > maximum_95_interval_width
        bands.append(
            LifeExpectancyBand(
                start_age=ages[i],
                value=None if too_wide else expectancy[i],
                lower=expectancy[i] - z * standard_error,
                upper=expectancy[i] + z * standard_error,
                reason=f"95% interval wider than {maximum_95_interval_width:g} years"
                if too_wide
                else None,
            )
        )
    return bands
