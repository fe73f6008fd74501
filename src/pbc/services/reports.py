"""Provider performance from stored returns: per provider (contract) and across providers.

Only current returns count (a resubmission replaces the earlier one). In a return accepted with
known problems, a bad cell is stored as blank, so each measure uses the cells that passed:
a row with a bad appointment outcome still counts as a referral but not in the DNA rate.

Measures (each template declares which apply):
- volume: referrals (or admissions, or the counts a quarterly return gives) by period;
- DNA rate: appointments not attended ÷ appointments booked, with a Wilson 95% interval;
- waiting-time distribution: days from referral to first appointment or contact, in weeks bands
  (0–2, 2–4, 4–8, 8–13, 13–18, 18+), with the median; or the bands a quarterly return gives;
- response-time compliance: rows meeting the standard ÷ rows it applies to, Wilson 95%;
- outcomes: counts of each code of the template's outcome columns;
- cost per case: the contract's price per case × cases, or the return's cost column, ÷ cases
  with a valid cost (a row whose cost cell failed is not a £0 case: it is left out of both).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pbc.services.models import ProviderContract, ProviderReturn
from pbc.services.return_templates import TEMPLATES, ReturnTemplate
from pbc.services.validation import from_json, period_label
from pbc.stats import Interval, proportion_ci

WAIT_BANDS = ((14, "0–2 weeks"), (28, "2–4 weeks"), (56, "4–8 weeks"), (91, "8–13 weeks"),
              (126, "13–18 weeks"), (None, "18 weeks or more"))  # fmt: skip


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int
    interval: Interval | None

    @property
    def percent(self) -> float | None:
        return None if self.interval is None else 100 * self.interval.value


def rate(x: int, n: int) -> Rate:
    return Rate(x, n, proportion_ci(x, n) if n > 0 else None)


@dataclass
class ProviderSummary:
    contract: ProviderContract
    template: ReturnTemplate
    returns: list[ProviderReturn]
    volume_by_period: dict[str, int] = field(default_factory=dict)
    volume: int = 0
    rows: int = 0
    rows_with_problems: int = 0
    dna: Rate | None = None
    waits: dict[str, int] = field(default_factory=dict)
    median_wait_days: float | None = None
    compliance: Rate | None = None
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    cost: Decimal | None = None
    cases: int = 0

    @property
    def cost_per_case(self) -> Decimal | None:
        if self.cost is None or self.cases == 0:
            return None
        return (self.cost / self.cases).quantize(Decimal("0.01"))


def _band(days: int) -> str:
    for limit, label in WAIT_BANDS:
        if limit is None or days < limit:
            return label
    raise AssertionError("unreachable")


def case_cost(
    template: ReturnTemplate, contract: ProviderContract, values: dict[str, Any]
) -> Decimal | None:
    """The cost of one row's case, or None when there is none to count: the template carries
    no cost, the contract has no price per case, or the row's cost cell failed validation."""
    if template.cost == "contract":
        return contract.price_per_case
    if template.cost:
        cost: Decimal | None = values.get(template.cost)
        return cost
    return None


def row_cost(
    template: ReturnTemplate, contract: ProviderContract, values: dict[str, Any]
) -> Decimal:
    """What a row adds to spend: its case cost, nothing when it has none."""
    return case_cost(template, contract, values) or Decimal("0.00")


def summarise(contract: ProviderContract, returns: list[ProviderReturn]) -> ProviderSummary:
    template = TEMPLATES[contract.template]
    summary = ProviderSummary(contract, template, returns)
    dna_x = dna_n = met = applicable = cases = 0
    waits: list[int] = []
    bands: Counter[str] = Counter()
    outcomes: dict[str, Counter[str]] = {c: Counter() for c in template.outcomes}
    cost = Decimal("0.00")
    for provider_return in sorted(returns, key=lambda r: r.period):
        label = period_label(template, provider_return.period)
        summary.volume_by_period.setdefault(label, 0)
        for stored in provider_return.rows.all():
            values = from_json(template, stored.values)
            summary.rows += 1
            summary.rows_with_problems += bool(stored.problems)
            count = template.volume(values)
            summary.volume += count
            summary.volume_by_period[label] += count
            if template.dna is not None:
                x, n = template.dna(values)
                dna_x, dna_n = dna_x + x, dna_n + n
            if template.wait_days is not None:
                days = template.wait_days(values)
                if days is not None:
                    waits.append(days)
                    bands[_band(days)] += 1
            if template.wait_bands is not None:
                bands.update(template.wait_bands(values))
            if template.compliance is not None:
                ok = template.compliance.met(values)
                if ok is not None:
                    applicable += 1
                    met += ok
            for column in template.outcomes:
                if values.get(column) is not None:
                    outcomes[column][values[column]] += 1
            if template.cost:
                this_case = case_cost(template, contract, values)
                if this_case is not None:
                    cost += this_case
                    cases += 1
    if template.dna is not None:
        summary.dna = rate(dna_x, dna_n)
    if template.wait_days is not None or template.wait_bands is not None:
        labels = [label for _, label in WAIT_BANDS] if template.wait_days else list(bands)
        summary.waits = {label: bands.get(label, 0) for label in labels}
    summary.median_wait_days = statistics.median(waits) if waits else None
    if template.compliance is not None:
        summary.compliance = rate(met, applicable)
    summary.outcomes = {
        column: {
            choice: outcomes[column].get(choice, 0) for choice in template.column(column).choices
        }
        for column in template.outcomes
    }
    if template.cost:
        summary.cost = cost
        summary.cases = cases
    return summary


def current_returns(
    contract: ProviderContract, start: dt.date | None = None, end: dt.date | None = None
) -> list[ProviderReturn]:
    query = contract.returns.filter(current=True).prefetch_related("rows")
    if start is not None:
        query = query.filter(period__gte=start)
    if end is not None:
        query = query.filter(period__lte=end)
    return list(query)


@dataclass
class TemplateReport:
    template: ReturnTemplate
    providers: list[ProviderSummary]

    @property
    def total_volume(self) -> int:
        return sum(s.volume for s in self.providers)

    @property
    def dna(self) -> Rate | None:
        rates = [s.dna for s in self.providers if s.dna is not None]
        if not rates:
            return None
        return rate(sum(r.numerator for r in rates), sum(r.denominator for r in rates))

    @property
    def compliance(self) -> Rate | None:
        rates = [s.compliance for s in self.providers if s.compliance is not None]
        if not rates:
            return None
        return rate(sum(r.numerator for r in rates), sum(r.denominator for r in rates))

    @property
    def cost_per_case(self) -> Decimal | None:
        cost = sum((s.cost for s in self.providers if s.cost is not None), Decimal("0.00"))
        cases = sum(s.cases for s in self.providers if s.cost is not None)
        return (cost / cases).quantize(Decimal("0.01")) if cases else None


def locality_report(
    contracts: list[ProviderContract],
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[TemplateReport]:
    """One section per template; one summary per provider contract; across-provider totals."""
    by_template: dict[str, list[ProviderSummary]] = {}
    for contract in contracts:
        by_template.setdefault(contract.template, []).append(
            summarise(contract, current_returns(contract, start, end))
        )
    return [
        TemplateReport(TEMPLATES[key], by_template[key]) for key in TEMPLATES if key in by_template
    ]
