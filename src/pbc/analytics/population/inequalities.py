"""Inequalities: life expectancy at birth by deprivation quintile, and the gap to the average.

The national target of 2008/09 was to narrow the gap in life expectancy between the most
deprived fifth of areas and the average. Here, for each financial year the data cover:

- **population**: people registered and alive on 1 October (mid-year), by the 20 abridged
  life-table bands (0, 1-4, 5-9, ..., 85-89, 90+) and deprivation quintile (1 = most deprived);
- **deaths**: registered deaths (`deaths`) in the financial year, by age at death and quintile;
- **life expectancy**: Chiang II with Silcocks' 95% limits (`pbc.stats.life_expectancy`), for
  each quintile and for everyone ("average");
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
from pbc.stats import STANDARD_START_AGES, LifeExpectancyBand, life_expectancy

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


def populations(
    patients: ir.Table, year_start: int, practices: Sequence[str] | None = None
) -> ir.Table:
    """Mid-year population: deprivation_quintile, start_age, population."""
    people = _in_practices(registered_on(patients, dt.date(year_start, 10, 1)), practices)
    people = people.mutate(start_age=start_age(people.age))
    return people.group_by(["deprivation_quintile", "start_age"]).aggregate(
        population=people.count()
    )


def deaths_in_year(
    deaths: ir.Table, year_start: int, practices: Sequence[str] | None = None
) -> ir.Table:
    """Deaths in the financial year: deprivation_quintile, start_age, deaths."""
    lo = ibis.literal(dt.date(year_start, 4, 1), type="date")
    hi = ibis.literal(dt.date(year_start + 1, 4, 1), type="date")
    d = _in_practices(deaths, practices)
    d = d.filter(d.date_of_death >= lo, d.date_of_death < hi)
    d = d.mutate(
        deprivation_quintile=d.deprivation_quintile.cast("int64"),
        start_age=start_age(d.age_at_death.cast("int64")),
    )
    return d.group_by(["deprivation_quintile", "start_age"]).aggregate(deaths=d.count())


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


def year_life_expectancy(
    year: str, population_rows: Iterable[Mapping[str, Any]], death_rows: Iterable[Mapping[str, Any]]
) -> YearLe:
    """Life expectancy at birth per quintile and overall from `populations`/`deaths_in_year`."""
    pops: dict[int, dict[int, int]] = {q: {} for q in (*QUINTILES, ALL)}
    dths: dict[int, dict[int, int]] = {q: {} for q in (*QUINTILES, ALL)}
    for target, rows, col in ((pops, population_rows, "population"), (dths, death_rows, "deaths")):
        for r in rows:
            q, a, n = int(r["deprivation_quintile"]), int(r["start_age"]), int(r[col])
            for key in (q, ALL):
                if key in target:
                    target[key][a] = target[key].get(a, 0) + n
    out = [
        QuintileLe(q, sum(pops[q].values()), sum(dths[q].values()), _le(pops[q], dths[q]))
        for q in (*QUINTILES, ALL)
    ]
    return YearLe(year, tuple(out))


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
    "financial_years",
    "halving_target",
    "imd_quintile",
    "lsoa_quintiles",
    "populations",
    "trajectory_status",
    "year_life_expectancy",
    "years_covered",
]
