"""Statements from the app database: approved budgets + spend facts → `analytics.finance.statement`.

A practice's budget for a line is its approved version's amounts (recurrent and non-recurrent);
the monthly budget is that amount profiled (`profiles.profile`): emergency lines follow the
practice's PCT's last-year monthly shape of that line, the others are flat. A practice without
an approved budget has a zero budget (its spend still shows). The deficit repayment line (a
negative budget: the practice's share of an approved repayment instalment) is in a statement
only when a budget has it. A locality's or PCT's statement is
built from the sums of its practices' inputs, so budgets and actuals reconcile exactly.

The prescribing variance is split into budget setting, volume and price
(`pbc.analytics.finance.prescribing.PriceVolume`) over each practice's actual months to the
report month (the stored `PrescribingChange` rows) against its profiled prescribing budget for
the same months; a locality's or PCT's split is the sum of its practices'.

Hospital activity charged per row is invoiced or expected (`invoicing`): each month and provider
of the year to the report month says whether its activity is invoiced (the provider's invoice,
or activity that carries its own charge), expected (an extract with no invoice yet, counted at
its expected cost at tariff) or part invoiced, and the year's activity spend splits into the
two totals.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from pbc.analytics.finance import freed, profiles
from pbc.analytics.finance import statement as st
from pbc.analytics.finance.lines import LINES, BudgetLine
from pbc.analytics.finance.money import ZERO, round_money
from pbc.analytics.finance.prescribing import PriceVolume
from pbc.finance.models import (
    BudgetAmount,
    BudgetVersion,
    FinanceSetting,
    PrescribingChange,
    RefreshRun,
    SpendFact,
)
from pbc.orgs.models import Practice
from pbc.periods import add_years, financial_year_of, month_number

# The spend lines, then the deficit repayment line where a budget has one.
STATEMENT_LINES = (*LINES, BudgetLine.DEFICIT_REPAYMENT)


def default_month() -> dt.date | None:
    return RefreshRun.latest_month()


Series = dict[tuple[int, str, str], dict[str, list[Decimal]]]


def _spend(
    practice_ids: Sequence[int], years: Sequence[str]
) -> tuple[Series, set[tuple[int, str, int]], set[str]]:
    """(practice, year, line) → {"recurrent": 12 months, "nonrecurrent": 12 months};
    the estimated (practice, line, month number) of the years; years with any facts."""
    series: Series = {}
    estimated: set[tuple[int, str, int]] = set()
    years_present: set[str] = set()
    rows = (
        SpendFact.objects.filter(practice_id__in=practice_ids, financial_year__in=years)
        .values("practice_id", "financial_year", "month", "line", "recurrent", "estimated")
        .annotate(total=Sum("charged"))
    )
    for r in rows:
        key = (r["practice_id"], r["financial_year"], r["line"])
        entry = series.setdefault(key, {"recurrent": [ZERO] * 12, "nonrecurrent": [ZERO] * 12})
        i = month_number(r["month"]) - 1
        entry["recurrent" if r["recurrent"] else "nonrecurrent"][i] += round_money(r["total"])
        years_present.add(r["financial_year"])
        if r["estimated"]:
            estimated.add((r["practice_id"], r["line"], i + 1))
    return series, estimated, years_present


def approved_budgets(
    practice_ids: Sequence[int], fy: str
) -> dict[tuple[int, str], tuple[Decimal, Decimal]]:
    """(practice, line) → (recurrent, non-recurrent) of the approved version."""
    out: dict[tuple[int, str], tuple[Decimal, Decimal]] = {}
    for a in BudgetAmount.objects.filter(
        version__practice_id__in=practice_ids,
        version__financial_year=fy,
        version__status=BudgetVersion.Status.APPROVED,
    ).select_related("version"):
        key = (a.version.practice_id, a.line)
        rec, non = out.get(key, (ZERO, ZERO))
        out[key] = (rec + a.amount, non) if a.recurrent else (rec, non + a.amount)
    return out


def pct_shapes(pct_id: int, fy: str) -> dict[str, list[Decimal]]:
    """Each line's monthly spend across the PCT last year (the seasonal budget profile)."""
    shapes: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO] * 12)
    rows = (
        SpendFact.objects.filter(
            practice__locality__pct_id=pct_id, financial_year=add_years(fy, -1)
        )
        .values("month", "line")
        .annotate(total=Sum("charged"))
    )
    for r in rows:
        shapes[r["line"]][month_number(r["month"]) - 1] += round_money(r["total"])
    return dict(shapes)


def practice_inputs(practices: Sequence[Practice], month: dt.date) -> dict[int, list[st.LineInput]]:
    """Each practice's statement inputs (one per budget line) for the report month."""
    fy = financial_year_of(month)
    ly, yb = add_years(fy, -1), add_years(fy, -2)
    ids = [p.pk for p in practices]
    series, estimated, years = _spend(ids, [fy, ly, yb])
    budgets = approved_budgets(ids, fy)
    shapes_by_pct: dict[int, dict[str, list[Decimal]]] = {}
    out: dict[int, list[st.LineInput]] = {}
    zeros = [ZERO] * 12
    for p in practices:
        pct_id = p.locality.pct_id
        if pct_id not in shapes_by_pct:
            shapes_by_pct[pct_id] = pct_shapes(pct_id, fy)
        inputs = []
        for line in STATEMENT_LINES:
            if line not in LINES and (p.pk, line.value) not in budgets:
                continue  # the deficit repayment line, only in a year with an instalment
            rec_budget, non_budget = budgets.get((p.pk, line.value), (ZERO, ZERO))
            shape = shapes_by_pct[pct_id].get(line.value)
            this = series.get((p.pk, fy, line.value), {"recurrent": zeros, "nonrecurrent": zeros})

            def total(
                year: str, line_value: str = line.value, pk: int = p.pk
            ) -> list[Decimal] | None:
                if year not in years:
                    return None
                s = series.get((pk, year, line_value))
                if s is None:
                    return list(zeros)
                return [a + b for a, b in zip(s["recurrent"], s["nonrecurrent"], strict=True)]

            inputs.append(
                st.LineInput(
                    line=line.value,
                    budget_months=profiles.profile(line, rec_budget + non_budget, shape),
                    recurrent_budget=rec_budget,
                    actual=list(this["recurrent"]),
                    nonrecurrent_actual=list(this["nonrecurrent"]),
                    last_year=total(ly),
                    year_before=total(yb),
                    estimated=frozenset(
                        i for (pk, ln, i) in estimated if pk == p.pk and ln == line.value
                    ),
                )
            )
        out[p.pk] = inputs
    return out


def combined_inputs(inputs: Iterable[list[st.LineInput]]) -> list[st.LineInput]:
    per_line: dict[str, list[st.LineInput]] = defaultdict(list)
    for practice_lines in inputs:
        for li in practice_lines:
            per_line[li.line].append(li)
    return [st.combine(per_line[line.value]) for line in STATEMENT_LINES if per_line[line.value]]


INVOICED = "invoiced"
EXPECTED = "expected (no invoice yet)"
PART_INVOICED = "part invoiced, part expected"


@dataclass(frozen=True)
class InvoiceMonth:
    """One month's hospital activity from one provider, charged per row: what is invoiced and
    what is expected (no invoice yet: counted at its expected cost)."""

    month: dt.date
    provider_code: str
    provider_name: str
    invoiced: Decimal
    expected: Decimal
    invoiced_activity: int
    expected_activity: int
    has_invoiced: bool
    has_expected: bool

    @property
    def status(self) -> str:
        if self.has_expected and self.has_invoiced:
            return PART_INVOICED
        return EXPECTED if self.has_expected else INVOICED

    @property
    def total(self) -> Decimal:
        return self.invoiced + self.expected


@dataclass(frozen=True)
class Invoicing:
    """The year's hospital activity charged per row, to the report month, by month and
    provider; `invoiced` + `expected` is the activity part of the statement's actual."""

    months: list[InvoiceMonth]
    invoiced: Decimal
    expected: Decimal

    @property
    def total(self) -> Decimal:
        return self.invoiced + self.expected


def invoicing(practice_ids: Sequence[int], month: dt.date) -> Invoicing:
    """Which months and providers of the year to `month` are invoiced and which expected."""
    rows = (
        SpendFact.objects.filter(
            practice_id__in=practice_ids,
            financial_year=financial_year_of(month),
            month__lte=month,
            source=SpendFact.Source.ACTIVITY,
        )
        .values("month", "provider__code", "provider__name", "expected")
        .annotate(charged=Sum("charged"), activity=Sum("activity"), facts=Count("id"))
    )
    cells: dict[tuple[dt.date, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["month"], r["provider__code"] or "")
        cell = cells.setdefault(
            key,
            {"provider_name": r["provider__name"] or "unknown provider", "invoiced": ZERO,
             "expected": ZERO, "invoiced_activity": 0, "expected_activity": 0,
             "has_invoiced": False, "has_expected": False},
        )  # fmt: skip
        kind = "expected" if r["expected"] else "invoiced"
        cell[kind] += round_money(r["charged"])
        cell[f"{kind}_activity"] += int(r["activity"] or 0)
        cell[f"has_{kind}"] = True
    months = [InvoiceMonth(m, code, **c) for (m, code), c in sorted(cells.items())]
    return Invoicing(
        months,
        sum((m.invoiced for m in months), ZERO),
        sum((m.expected for m in months), ZERO),
    )


@dataclass(frozen=True)
class Report:
    """A statement for a set of practices, with each practice's own statement."""

    month: dt.date
    statement: st.Statement
    practices: list[tuple[Practice, st.Statement]]
    practice_share: Decimal
    # The prescribing variance split (None before any prescribing data of the year has arrived)
    # for the whole set and by practice (primary key).
    prescribing: PriceVolume | None = None
    practice_prescribing: dict[int, PriceVolume] = field(default_factory=dict)
    # Hospital activity invoiced and expected, by month and provider (None: not worked out).
    invoicing: Invoicing | None = None

    @property
    def financial_year(self) -> str:
        return financial_year_of(self.month)

    def net_position(self) -> freed.NetPosition:
        return freed.net_position(
            [
                freed.Position(
                    p.code,
                    s.total.annual_budget,
                    s.total.forecast_outturn,
                    s.total.underlying_variance,
                )
                for p, s in self.practices
            ],
            self.practice_share,
        )


def prescribing_splits(
    inputs: dict[int, list[st.LineInput]], month: dt.date
) -> dict[int, PriceVolume]:
    """Each practice's prescribing split over its actual months of the year to `month`."""
    months: dict[int, dict[int, tuple[Decimal, Decimal, Decimal]]] = defaultdict(dict)
    for c in PrescribingChange.objects.filter(
        practice_id__in=list(inputs), financial_year=financial_year_of(month), month__lte=month
    ):
        months[c.practice_id][month_number(c.month)] = (
            c.cost, c.cost_last_year, c.at_last_year_prices,
        )  # fmt: skip
    out = {}
    for pk, lines in inputs.items():
        budget = next(li.budget_months for li in lines if li.line == BudgetLine.PRESCRIBING)
        out[pk] = PriceVolume.of_months(months.get(pk, {}), budget)
    return out


def report(practices: Sequence[Practice], month: dt.date) -> Report:
    practices = list(practices)
    m = month_number(month)
    inputs = practice_inputs(practices, month)
    per_practice = [(p, st.build(inputs[p.pk], m)) for p in practices]
    combined = combined_inputs(inputs[p.pk] for p in practices) if practices else []
    share = FinanceSetting.in_force("practice_share", month)
    splits = prescribing_splits(inputs, month)
    total = PriceVolume.total(splits.values())
    return Report(month, st.build(combined, m), per_practice, share,
                  total if total.months else None, splits,
                  invoicing([p.pk for p in practices], month))  # fmt: skip
