"""A community matron's caseload before and after: emergency admissions and bed days in the
year before and the year after each patient was taken on, against a comparison group matched on
risk score.

Pure: Ibis expressions and plain Python, no Django.

- **Windows.** For a patient taken on on date D: the year before is [D - 1 year, D), the year
  after [D, D + 1 year) (29 February shifts to 28 February). An emergency admission (admission
  methods 21-24, 28, 2A-2D, `risk_features.EMERGENCY_METHODS`) counts in the window its
  admission date falls in; its bed days are the spell's `length_of_stay` (as the risk features
  count them: the spell's whole stay, in the window it began in).
- **Comparison group.** Each caseload patient is matched to the patient of the pool (the
  case-finding list, less everyone on a caseload) whose risk score is nearest, without
  replacement: cases in descending score, ties broken by NHS number; a case with no pool member
  within `caliper` (when given) has no match. The match is given the case's date D, so both
  groups are followed over the same calendar windows.
- **Follow-up.** The year after may run past the last data in the warehouse; `data_end` (the
  last admission date held) says how much of it is observed, for both groups alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from pbc.analytics.population.risk_features import EMERGENCY_METHODS

CASE, COMPARISON = "caseload", "comparison"


def shift_year(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


@dataclass(frozen=True)
class Person:
    """One person followed: who, from when, in which group (`CASE` or `COMPARISON`), and the
    case they stand for (their own NHS number for a case)."""

    nhs_number: str
    index_date: dt.date
    group: str
    case: str
    score: float


def match_on_risk(
    cases: Sequence[tuple[str, float]],
    pool: Sequence[tuple[str, float]],
    caliper: float | None = None,
) -> dict[str, str | None]:
    """Case NHS number -> the pool member matched to it (nearest risk score, without
    replacement), or None when none is left within `caliper`. Pool members who are cases are
    never matched."""
    taken = {n for n, _ in cases}
    free = sorted((score, n) for n, score in pool if n not in taken)
    out: dict[str, str | None] = {}
    for nhs, score in sorted(cases, key=lambda c: (-c[1], c[0])):
        best: tuple[float, str, int] | None = None
        for i, (s, n) in enumerate(free):
            gap = abs(s - score)
            if caliper is not None and gap > caliper:
                continue
            if best is None or (gap, n) < (best[0], best[1]):
                best = (gap, n, i)
        if best is None:
            out[nhs] = None
            continue
        out[nhs] = best[1]
        del free[best[2]]
    return out


def followed(
    cases: Sequence[tuple[str, dt.date, float]],
    pool: Sequence[tuple[str, float]],
    caliper: float | None = None,
) -> list[Person]:
    """The caseload (NHS number, date taken on, risk score) and its matched comparison group,
    each comparison person with their case's date."""
    matches = match_on_risk([(n, s) for n, _, s in cases], pool, caliper)
    scores = dict(pool)
    people = []
    for nhs, taken_on, score in cases:
        people.append(Person(nhs, taken_on, CASE, nhs, score))
        match = matches.get(nhs)
        if match is not None:
            people.append(Person(match, taken_on, COMPARISON, nhs, scores[match]))
    return people


def people_table(people: Iterable[Person]) -> ir.Table:
    """The people followed as an Ibis memtable: one row each (`row` numbers them), with the
    year before's start and the year after's end."""
    rows = [
        {
            "row": i,
            "nhs_number": p.nhs_number,
            "group": p.group,
            "case": p.case,
            "index_date": p.index_date,
            "before_start": shift_year(p.index_date, -1),
            "after_end": shift_year(p.index_date, 1),
        }
        for i, p in enumerate(people)
    ]
    schema = ibis.schema(
        {
            "row": "int64",
            "nhs_number": "string",
            "group": "string",
            "case": "string",
            "index_date": "date",
            "before_start": "date",
            "after_end": "date",
        }
    )
    return ibis.memtable(rows, schema=schema)


def admissions_around(apc: ir.Table, people: ir.Table) -> ir.Table:
    """One row per person of `people` (`people_table`): their emergency admissions and
    emergency bed days in the year before and the year after their date.

    Columns: row, nhs_number, group, case, index_date, before_admissions, before_bed_days,
    after_admissions, after_bed_days."""
    e = apc.filter(apc.admission_method.isin(EMERGENCY_METHODS), apc.nhs_number.notnull())
    e = e.select(
        e_nhs=e.nhs_number,
        admission_date=e.admission_date,
        los=e.length_of_stay.fill_null(0).cast("int64"),
    )
    j = people.inner_join(e, people.nhs_number == e.e_nhs)
    before = (j.admission_date >= j.before_start) & (j.admission_date < j.index_date)
    after = (j.admission_date >= j.index_date) & (j.admission_date < j.after_end)
    agg = j.group_by(j.row.name("a_row")).aggregate(
        before_admissions=before.cast("int64").sum(),
        before_bed_days=ibis.ifelse(before, j.los, 0).cast("int64").sum(),
        after_admissions=after.cast("int64").sum(),
        after_bed_days=ibis.ifelse(after, j.los, 0).cast("int64").sum(),
    )
    out = people.left_join(agg, people.row == agg.a_row)
    counts = ("before_admissions", "before_bed_days", "after_admissions", "after_bed_days")
    return out.select(
        "row",
        "nhs_number",
        "group",
        "case",
        "index_date",
        **{c: out[c].fill_null(0).cast("int64") for c in counts},
    ).order_by("row")


@dataclass(frozen=True)
class GroupOutcome:
    people: int
    before_admissions: int
    after_admissions: int
    before_bed_days: int
    after_bed_days: int

    @property
    def admissions_change(self) -> int:
        return self.after_admissions - self.before_admissions

    @property
    def bed_days_change(self) -> int:
        return self.after_bed_days - self.before_bed_days


@dataclass(frozen=True)
class Comparison:
    caseload: GroupOutcome
    comparison: GroupOutcome
    unmatched: int  # cases without a comparison person

    @property
    def admissions_difference(self) -> int:
        """Change on the caseload less change in the comparison group (difference in
        differences; negative: fewer admissions than the comparison group's trend)."""
        return self.caseload.admissions_change - self.comparison.admissions_change

    @property
    def bed_days_difference(self) -> int:
        return self.caseload.bed_days_change - self.comparison.bed_days_change


def compare(rows: Iterable[dict[str, object]]) -> Comparison:
    """Totals per group from `admissions_around`'s rows (as dicts)."""
    rows = list(rows)

    def total(group: str) -> GroupOutcome:
        mine = [r for r in rows if r["group"] == group]
        return GroupOutcome(
            people=len(mine),
            **{
                k: sum(int(r[k]) for r in mine)  # type: ignore[call-overload]
                for k in (
                    "before_admissions",
                    "after_admissions",
                    "before_bed_days",
                    "after_bed_days",
                )
            },
        )

    cases = {r["case"] for r in rows if r["group"] == CASE}
    matched = {r["case"] for r in rows if r["group"] == COMPARISON}
    return Comparison(total(CASE), total(COMPARISON), len(cases - matched))


def observed_after(index_date: dt.date, data_end: dt.date | None) -> int:
    """Days of the year after `index_date` that the warehouse covers (0 to 365 or 366)."""
    if data_end is None:
        return 0
    end = min(shift_year(index_date, 1), data_end + dt.timedelta(days=1))
    return max(0, (end - index_date).days)
