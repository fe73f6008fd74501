"""Inequalities: life expectancy at birth by deprivation quintile, and the gap to the average.

The national target of 2008/09 was to narrow the gap in life expectancy between the most
deprived fifth of areas and the average. Here, for each financial year the data cover:

- **deprivation**: the national IMD quintile of the LSOA a person lives in (`lsoa_code` on
  `patients` and `deaths`, joined to an `imd_lsoa` edition through `lsoa_quintiles`; the
  edition by `edition_for`), not an attribute of the person; someone whose LSOA is missing or
  not in the edition counts in the average only. Without any IMD edition loaded, the quintile
  the register records is used;
- **population**: people registered and alive on 1 October (mid-year), by the 20 abridged
  life-table bands (0, 1-4, 5-9, ..., 85-89, 90+) and deprivation quintile (1 = most deprived);
- **deaths**: registered deaths (`deaths`) in the financial year, by age at death and quintile;
- **life expectancy**: Chiang II with Silcocks' 95% limits (`pbc.stats.life_expectancy`), for
  each quintile and for everyone ("average");
- **mortality rate**: deaths per 100,000 a year directly standardised to the European Standard
  Population 2013 with Dobson 95% limits (`pbc.stats.dsr`), per quintile and overall;
- **trajectory**: "halve the difference" as a straight line from the first year's gap (the
  baseline) to half of it in 2010/11 (`TARGET_YEAR_START`); each year's gap is better than
  the trajectory when its upper 95% limit is below the line, worse when its lower limit is
  above it, else consistent with it (`against_halving`);
- **gap**: the average minus the most deprived fifth (years by which the most deprived fall
  short; positive = a gap to close). Its 95% limits combine the two standard errors
  as if independent (the most deprived fifth is part of the average, so this is conservative:
  the true interval is a little narrower).

Persons (both sexes together): a locality's most deprived fifth is a few thousand people, and
splitting it by sex leaves too few deaths for a stable life table. The statistics package
withholds a figure when the population is 5,000 or less or the interval is wider than 20 years;
the reason is carried through for the page.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from pbc.analytics.population.cohort import age_on, registered_on
from pbc.periods import FinancialYear
from pbc.stats import STANDARD_START_AGES, Interval, LifeExpectancyBand, dsr, life_expectancy

QUINTILES = (1, 2, 3, 4, 5)
ALL = 0  # quintile key of the whole population ("average")
Z95 = 1.959963984540054


def start_age(age: ir.IntegerValue) -> ir.IntegerValue:
    """Start age of the abridged life-table band holding `age`."""
    return ibis.cases(
        (age < 1, 0),
        (age < 5, 1),
        (age >= 90, 90),
        else_=(age // 5) * 5,
    ).cast("int64")


def _in_practices(t: ir.Table, practices: Sequence[str] | None) -> ir.Table:
    return t if practices is None else t.filter(t.gp_practice_code.isin(list(practices)))


def _by_area(t: ir.Table, areas: ir.Table | None) -> ir.Table:
    """`t` with deprivation_quintile the IMD quintile of its LSOA (`areas`: lsoa_code,
    deprivation_quintile, from `lsoa_quintiles`), missing where the LSOA is missing or not in
    the edition; without `areas`, the quintile the register records."""
    if areas is None:
        return t.mutate(deprivation_quintile=t.deprivation_quintile.cast("int64"))
    a = areas.select(_lsoa=areas.lsoa_code, _area_quintile=areas.deprivation_quintile)
    j = t.left_join(a, t.lsoa_code == a._lsoa)
    return j.mutate(deprivation_quintile=j._area_quintile.cast("int64")).drop(
        "_lsoa", "_area_quintile"
    )


def populations(
    patients: ir.Table,
    year_start: int,
    practices: Sequence[str] | None = None,
    areas: ir.Table | None = None,
) -> ir.Table:
    """Mid-year population: deprivation_quintile, start_age, population. With `areas`, the
    quintile is the IMD quintile of the patient's LSOA (missing where it is not known)."""
    people = _in_practices(registered_on(patients, dt.date(year_start, 10, 1)), practices)
    people = _by_area(people, areas)
    people = people.mutate(start_age=start_age(people.age))
    return people.group_by(["deprivation_quintile", "start_age"]).aggregate(
        population=people.count()
    )


def deaths_in_year(
    deaths: ir.Table,
    year_start: int,
    practices: Sequence[str] | None = None,
    areas: ir.Table | None = None,
) -> ir.Table:
    """Deaths in the financial year: deprivation_quintile, start_age, deaths (with `areas`, by
    the IMD quintile of the LSOA of residence at death)."""
    lo = ibis.literal(dt.date(year_start, 4, 1), type="date")
    hi = ibis.literal(dt.date(year_start + 1, 4, 1), type="date")
    d = _in_practices(deaths, practices)
    d = d.filter(d.date_of_death >= lo, d.date_of_death < hi)
    d = _by_area(d, areas)
    d = d.mutate(start_age=start_age(d.age_at_death.cast("int64")))
    return d.group_by(["deprivation_quintile", "start_age"]).aggregate(deaths=d.count())


def edition_for(editions: Iterable[str], year_start: int) -> str | None:
    """The IMD edition to read a financial year's deprivation from: the latest published by
    the year's end (the 2007 indices for 2007/08 to 2009/10), else the earliest loaded (a
    later edition is the nearest there is)."""
    loaded = sorted({str(e) for e in editions})
    if not loaded:
        return None
    by_then = [e for e in loaded if int(e) <= year_start + 1]
    return by_then[-1] if by_then else loaded[0]


def years_covered(deaths: ir.Table) -> ir.Table:
    """First and last death date (first_death, last_death)."""
    return deaths.aggregate(
        first_death=deaths.date_of_death.min(), last_death=deaths.date_of_death.max()
    )


@dataclass(frozen=True)
class QuintileLe:
    quintile: int  # 1-5, or ALL (0) for everyone
    population: int
    deaths: int
    at_birth: LifeExpectancyBand
    # Directly age-standardised mortality per 100,000 (ESP 2013) with Dobson 95% limits;
    # None below 10 deaths or where an age band has no population (`mortality_rate`).
    mortality: Interval | None = None


@dataclass(frozen=True)
class Gap:
    value: float | None
    lower: float | None
    upper: float | None
    reason: str | None = None


@dataclass(frozen=True)
class YearLe:
    year: str  # '2007/08'
    quintiles: tuple[QuintileLe, ...]  # 1..5 then ALL
    # People and deaths with no quintile (no LSOA, or one not in the IMD edition): in the
    # average, in no quintile.
    unknown_population: int = 0
    unknown_deaths: int = 0

    def of(self, quintile: int) -> QuintileLe:
        return next(q for q in self.quintiles if q.quintile == quintile)

    @property
    def gap(self) -> Gap:
        """The average minus the most deprived fifth, with approximate 95% limits."""
        q1, avg = self.of(1).at_birth, self.of(ALL).at_birth
        if q1.value is None or avg.value is None:
            return Gap(None, None, None, q1.reason or avg.reason or "interval too wide")
        if None in (q1.lower, q1.upper, avg.lower, avg.upper):
            return Gap(avg.value - q1.value, None, None)
        se = math.hypot(
            (float(q1.upper) - float(q1.lower)) / (2 * Z95),  # type: ignore[arg-type]
            (float(avg.upper) - float(avg.lower)) / (2 * Z95),  # type: ignore[arg-type]
        )
        value = avg.value - q1.value
        return Gap(value, value - Z95 * se, value + Z95 * se)


def _le(pop: Mapping[int, int], dth: Mapping[int, int]) -> LifeExpectancyBand:
    ages = list(STANDARD_START_AGES)
    bands = life_expectancy(ages, [pop.get(a, 0) for a in ages], [dth.get(a, 0) for a in ages])
    return bands[0]


def mortality_rate(pop: Mapping[int, int], dth: Mapping[int, int]) -> Interval | None:
    """All-age, all-cause mortality per 100,000 a year, directly standardised to the European
    Standard Population 2013 (19 bands: the life table's 0 and 1-4 together as 0-4), with
    Dobson 95% limits (`pbc.stats.dsr`). None below 10 deaths, or where a band has no people
    (a rate per person needs people in every band)."""
    ages = [a for a in STANDARD_START_AGES if a != 1]
    people = [pop.get(a, 0) + (pop.get(1, 0) if a == 0 else 0) for a in ages]
    deaths = [dth.get(a, 0) + (dth.get(1, 0) if a == 0 else 0) for a in ages]
    if any(n <= 0 for n in people):
        return None
    return dsr(deaths, people)


def _quintile_key(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):  # None, NaN, pd.NA: not known
        return None


def year_life_expectancy(
    year: str, population_rows: Iterable[Mapping[str, Any]], death_rows: Iterable[Mapping[str, Any]]
) -> YearLe:
    """Life expectancy at birth and standardised mortality per quintile and overall from
    `populations`/`deaths_in_year`. A row with no quintile counts in the average only."""
    pops: dict[int, dict[int, int]] = {q: {} for q in (*QUINTILES, ALL)}
    dths: dict[int, dict[int, int]] = {q: {} for q in (*QUINTILES, ALL)}
    unknown = {"population": 0, "deaths": 0}
    for target, rows, col in ((pops, population_rows, "population"), (dths, death_rows, "deaths")):
        for r in rows:
            q, a, n = _quintile_key(r["deprivation_quintile"]), int(r["start_age"]), int(r[col])
            if q is None:
                unknown[col] += n
            for key in (q, ALL):
                if key is not None and key in target:
                    target[key][a] = target[key].get(a, 0) + n
    out = [
        QuintileLe(
            q,
            sum(pops[q].values()),
            sum(dths[q].values()),
            _le(pops[q], dths[q]),
            mortality_rate(pops[q], dths[q]),
        )
        for q in (*QUINTILES, ALL)
    ]
    return YearLe(year, tuple(out), unknown["population"], unknown["deaths"])


def imd_quintile(rank: int, areas: int, decile: int | None = None) -> int:
    """The national IMD quintile of an LSOA (1 = the most deprived fifth of England's LSOAs):
    from its published decile where there is one (deciles 1-2 are quintile 1, ...), else
    from its rank among `areas` LSOAs (rank 1 the most deprived): ceil(5 x rank / areas)."""
    if decile is not None:
        if not 1 <= decile <= 10:
            raise ValueError(f"IMD decile {decile} is not 1-10")
        return (decile + 1) // 2
    if not 1 <= rank <= areas:
        raise ValueError(f"IMD rank {rank} is not 1-{areas}")
    return -(-5 * rank // areas)


def lsoa_quintiles(imd: ir.Table, edition: str) -> ir.Table:
    """lsoa_code, deprivation_quintile for one edition of `imd_lsoa` (national quintiles, as
    `imd_quintile`): what a patient's LSOA is joined to."""
    t = imd.filter(imd.imd_edition == edition)
    areas = t.count().as_scalar()
    from_rank = ((t.imd_rank * 5 + areas - 1) // areas).cast("int64")
    from_decile = ((t.imd_decile + 1) // 2).cast("int64")
    return t.select("lsoa_code", deprivation_quintile=ibis.coalesce(from_decile, from_rank))


# The halving target's horizon: the plans' "halve the difference" carries the national
# 2010 inequalities target, so the trajectory reaches half the baseline gap in 2010/11.
TARGET_YEAR_START = 2010


@dataclass(frozen=True)
class TrajectoryPoint:
    year: str  # '2007/08'
    gap: Gap
    target: float  # the trajectory's gap for the year
    status: str  # "better than trajectory", "worse than trajectory", "consistent with trajectory"


def halving_target(baseline_gap: float, baseline_year: int, target_year: int, year: int) -> float:
    """The gap a straight line from the baseline year's gap to half of it in `target_year`
    allows in `year` (start years of financial years; flat at half after the target year)."""
    if target_year <= baseline_year:
        raise ValueError("the target year must come after the baseline year")
    share = min(max(year - baseline_year, 0), target_year - baseline_year)
    return baseline_gap * (1 - 0.5 * share / (target_year - baseline_year))


def trajectory_status(gap: Gap, target: float) -> str:
    """Better: the gap's upper 95% limit is below the trajectory; worse: its lower limit is
    above it; otherwise (or without limits) consistent with it."""
    if gap.upper is not None and gap.upper < target:
        return "better than trajectory"
    if gap.lower is not None and gap.lower > target:
        return "worse than trajectory"
    return "consistent with trajectory"


def against_halving(
    years: Sequence[YearLe], target_year: int = TARGET_YEAR_START
) -> dict[str, TrajectoryPoint]:
    """Each year's gap against the halving trajectory, by year label. The baseline is the
    first year with a gap value; nothing before it (or without a gap) is judged."""
    known = [y for y in years if y.gap.value is not None]
    if not known:
        return {}
    base_year = int(known[0].year[:4])
    if target_year <= base_year:
        return {}
    base_gap = float(known[0].gap.value)  # type: ignore[arg-type]
    out: dict[str, TrajectoryPoint] = {}
    for y in known:
        target = halving_target(base_gap, base_year, target_year, int(y.year[:4]))
        out[y.year] = TrajectoryPoint(y.year, y.gap, target, trajectory_status(y.gap, target))
    return out


def halving_line(
    years: Sequence[YearLe], target_year: int = TARGET_YEAR_START
) -> list[tuple[str, float]]:
    """The halving trajectory to draw: (year label, the gap the line allows) for every year
    from the baseline (the first year with a gap) to the target year, the years without data
    included; empty when there is no baseline or it is not before the target year."""
    known = [y for y in years if y.gap.value is not None]
    if not known:
        return []
    base_year = int(known[0].year[:4])
    if target_year <= base_year:
        return []
    base_gap = float(known[0].gap.value)  # type: ignore[arg-type]
    return [
        (str(FinancialYear(y)), halving_target(base_gap, base_year, target_year, y))
        for y in range(base_year, target_year + 1)
    ]


def financial_years(first_day: dt.date, last_day: dt.date) -> list[int]:
    """Start years of the whole financial years between two dates."""
    first_day, last_day = _as_date(first_day), _as_date(last_day)
    first, last = FinancialYear.of(first_day), FinancialYear.of(last_day)
    if first_day > first.start:
        first += 1  # the first year is incomplete
    if last_day < last.end:
        last -= 1  # the last year is incomplete
    return list(range(first.start_year, last.start_year + 1))


def _as_date(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


__all__ = [
    "ALL",
    "TARGET_YEAR_START",
    "Gap",
    "QuintileLe",
    "YearLe",
    "TrajectoryPoint",
    "against_halving",
    "age_on",
    "deaths_in_year",
    "edition_for",
    "financial_years",
    "halving_line",
    "halving_target",
    "imd_quintile",
    "lsoa_quintiles",
    "mortality_rate",
    "populations",
    "trajectory_status",
    "year_life_expectancy",
    "years_covered",
]
