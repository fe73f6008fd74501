"""The board pack's prescribing incentive scheme (issue 19, item 5): for the locality's practices
and the report's financial year, each practice's targets met and the payment they would earn
if the year ended at the report's month, and the switch list ("Good Buys") with the potential
saving of each switch across the locality. Computed by `pbc.indicators.scheme` (the same
figures as the scheme pages) from the PCT's targets and switch list, from the prescribing of
April to the report's month; the saving per item is the PCT's own (all its practices)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from pbc import periods
from pbc.analytics.indicators import incentive as inc
from pbc.indicators import scheme as scheme_mod
from pbc.orgs.models import Locality, Practice

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PracticeRow:
    practice: str
    name: str
    met: int
    assessed: int  # targets with a value (denominator items)
    targets: int
    payment: Decimal
    potential_saving: Decimal


@dataclass(frozen=True)
class SwitchRow:
    saving: inc.SwitchSaving
    from_items: int  # the locality's items of the "from" presentation
    potential_saving: Decimal  # across the locality


@dataclass(frozen=True)
class SchemeSection:
    financial_year: str
    has_targets: bool
    practices: tuple[PracticeRow, ...]
    switches: tuple[SwitchRow, ...]
    titles: dict[str, str]
    problems: tuple[str, ...]

    @property
    def total_payment(self) -> Decimal:
        return sum((p.payment for p in self.practices), ZERO)

    @property
    def total_potential_saving(self) -> Decimal:
        return sum((s.potential_saving for s in self.switches), ZERO)

    @property
    def met(self) -> int:
        return sum(p.met for p in self.practices)

    @property
    def targets(self) -> int:
        return sum(p.targets for p in self.practices)


def scheme_section(locality: Locality, month: dt.date) -> SchemeSection:
    year = periods.financial_year_of(month)
    year_start = periods.year_start(year).year
    pct_practices = list(
        Practice.objects.filter(locality__pct=locality.pct).values_list("code", flat=True)
    )
    names = dict(locality.practices.values_list("code", "name"))
    whole = scheme_mod.scheme(locality.pct.code, pct_practices, year_start, through=month)
    if year_start not in whole.years:
        return SchemeSection(year, False, (), (), {}, ())
    mine = whole.for_practices(sorted(names))
    by_practice: dict[str, list[inc.Achievement]] = defaultdict(list)
    for a in mine.achievements:
        by_practice[a.practice].append(a)
    savings = mine.saving_by_practice()
    rows = tuple(
        PracticeRow(
            code,
            names[code],
            sum(1 for a in by_practice[code] if a.met),
            sum(1 for a in by_practice[code] if a.met is not None),
            len(by_practice[code]),
            mine.payments.get(code, ZERO),
            savings.get(code, ZERO),
        )
        for code in sorted(names)
    )
    items: dict[tuple[str, str], int] = defaultdict(int)
    saved: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for s in mine.practice_switches:
        items[(s.from_code, s.to_code)] += s.from_items
        saved[(s.from_code, s.to_code)] += s.potential_saving
    switches = tuple(
        SwitchRow(
            s,
            items[(s.switch.from_code, s.switch.to_code)],
            saved[(s.switch.from_code, s.switch.to_code)],
        )
        for s in mine.savings
    )
    return SchemeSection(year, True, rows, switches, mine.titles, mine.problems)
