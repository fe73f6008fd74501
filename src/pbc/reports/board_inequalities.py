"""The board pack's inequalities (issue 19, items 4 and 1): the plans' "halve the difference in
life expectancy between the poorest 20% of communities and the average", for the locality and
its PCT, as the inequalities page computes it (`pbc.population.queries.locality_inequalities`,
the page's own stored figures): each whole financial year ended by the report's month, the gap
(average minus the most deprived fifth, 95% limits) against the halving trajectory (from the
first year's gap to half of it in 2010/11) and its status, and the latest such year's all-cause
mortality of the most deprived fifth against the average (directly standardised, Dobson 95%
limits). Aggregates only; a withheld life table is shown with its reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pbc.analytics.population import inequalities as iq
from pbc.orgs.models import Locality
from pbc.periods import FinancialYear
from pbc.population.queries import locality_inequalities
from pbc.stats import Interval


@dataclass(frozen=True)
class GapYear:
    year: str
    gap: iq.Gap
    target: float | None  # the halving trajectory's gap for the year
    status: str | None  # better than / worse than / consistent with trajectory


@dataclass(frozen=True)
class AreaInequalities:
    name: str
    years: tuple[GapYear, ...]
    baseline: tuple[str, float] | None  # (year, gap) the trajectory starts from
    target: tuple[str, float] | None  # (year, half the baseline gap)
    mortality_year: str | None
    most_deprived: Interval | None  # all-cause mortality per 100,000, Q1
    average: Interval | None  # and everyone

    @property
    def latest(self) -> GapYear | None:
        known = [y for y in self.years if y.gap.value is not None]
        return known[-1] if known else None


@dataclass(frozen=True)
class InequalitiesSection:
    areas: tuple[AreaInequalities, ...]

    @property
    def empty(self) -> bool:
        return not any(a.years for a in self.areas)


def _ended_by(year: str, month: dt.date) -> bool:
    return FinancialYear(int(year[:4])).end < month


def _area(name: str, years: list[iq.YearLe], month: dt.date) -> AreaInequalities:
    shown = [y for y in years if _ended_by(y.year, month)]
    trajectory = iq.against_halving(shown)
    line = iq.halving_line(shown)
    with_rates = [y for y in shown if y.of(1).mortality or y.of(iq.ALL).mortality]
    last = with_rates[-1] if with_rates else None
    return AreaInequalities(
        name,
        tuple(
            GapYear(
                y.year,
                y.gap,
                trajectory[y.year].target if y.year in trajectory else None,
                trajectory[y.year].status if y.year in trajectory else None,
            )
            for y in shown
        ),
        line[0] if line else None,
        line[-1] if line else None,
        last.year if last else None,
        last.of(1).mortality if last else None,
        last.of(iq.ALL).mortality if last else None,
    )


def inequalities_section(locality: Locality, month: dt.date) -> InequalitiesSection:
    month = month.replace(day=1)
    series, _ = locality_inequalities(locality)
    return InequalitiesSection(
        tuple(_area(name, list(years), month) for name, years in series.items())
    )
