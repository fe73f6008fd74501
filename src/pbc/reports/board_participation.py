"""The board pack's validation participation (issue 20, item 7): which of the locality's
practices reviewed their findings each month of the year to the report's month, as the
participation page counts it (`pbc.validation.participation`: a practice took part in a month
when one of its own users accepted, challenged or asked about one of its findings of that
month). Aggregates only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pbc import periods
from pbc.orgs.models import Locality
from pbc.validation import participation


@dataclass(frozen=True)
class MonthFigure:
    month: dt.date
    took_part: int
    with_findings: int


@dataclass(frozen=True)
class PracticeFigure:
    practice: str
    name: str
    months_taken_part: int
    months_with_findings: int


@dataclass(frozen=True)
class ParticipationSection:
    months: tuple[MonthFigure, ...]  # April to the report's month
    practices: tuple[PracticeFigure, ...]

    @property
    def latest(self) -> MonthFigure | None:
        """The report's month, or the latest month before it with findings."""
        with_findings = [m for m in self.months if m.with_findings]
        return with_findings[-1] if with_findings else None

    @property
    def practices_taking_part(self) -> int:
        """Practices that took part in at least one month of the year so far."""
        return sum(1 for p in self.practices if p.months_taken_part)

    @property
    def practices_with_findings(self) -> int:
        return sum(1 for p in self.practices if p.months_with_findings)


def participation_section(locality: Locality, month: dt.date) -> ParticipationSection:
    month = month.replace(day=1)
    data = participation.report(locality, periods.financial_year_of(month))
    months = [m for m in data.months if m <= month]
    p = data.participation
    return ParticipationSection(
        tuple(MonthFigure(m, *p.month_figure(m)) for m in months),
        tuple(
            PracticeFigure(
                code,
                data.names.get(code, code),
                sum(1 for m in months if p.cell(code, m).took_part),
                sum(1 for m in months if p.cell(code, m).findings),
            )
            for code in p.practices
        ),
    )
