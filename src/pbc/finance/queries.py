"""What other apps read of finance, as plain data (no model instances leave the app)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pbc.analytics.finance.contracts import LineTerms, line_for
from pbc.finance.models import Contract, ContractLine, RefreshRun, SpendFact
from pbc.orgs.models import Locality
from pbc.periods import financial_year_of


def contract_lines(financial_year: str) -> dict[tuple[str, str], list[LineTerms]]:
    """(PCT code, provider code) → the terms of every line of the provider's contracts with the
    PCT in `financial_year` (`pbc.analytics.finance.contracts.LineTerms`), as the refresh reads
    them."""
    out: dict[tuple[str, str], list[LineTerms]] = {}
    for line in ContractLine.objects.filter(contract__financial_year=financial_year).values(
        "pk", "kind", "treatment_function_code", "budget_line", "annual_value", "starts", "ends",
        "contract__pct__code", "contract__provider__code",
    ):  # fmt: skip
        key = (line["contract__pct__code"], line["contract__provider__code"])
        out.setdefault(key, []).append(
            LineTerms(
                kind=line["kind"],
                treatment_function=line["treatment_function_code"],
                budget_line=line["budget_line"],
                annual_value=line["annual_value"],
                starts=line["starts"],
                ends=line["ends"],
                key=line["pk"],
            )
        )
    return out


def under_block(
    lines: dict[tuple[str, str], list[LineTerms]],
    pct: str,
    provider: str,
    month: dt.date,
    treatment_function: str,
) -> bool:
    """Whether an activity row of the provider for the PCT in `month` and `treatment_function`
    falls under a block line (`lines` from `contract_lines`): the line the refresh charges it by
    (`line_for`: the specialty's own line before the line for all activity) is a block, so the
    row was paid within the block, not charged on its own."""
    line = line_for(lines.get((pct, provider), ()), month, treatment_function)
    return line is not None and line.kind == Contract.Kind.BLOCK


def latest_refresh_month() -> dt.date | None:
    """The month the finance statements were last refreshed to (None: never)."""
    return RefreshRun.latest_month()


def latest_spend_month(locality: Locality) -> dt.date | None:
    """The latest month with spend recorded for the locality's practices (None: none)."""
    found: dt.date | None = (
        SpendFact.objects.filter(practice__locality=locality)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    return found


def has_spend(locality: Locality, month: dt.date) -> bool:
    """Whether spend is recorded for the locality's practices in `month` (its first day)."""
    return SpendFact.objects.filter(practice__locality=locality, month=month).exists()


def contracts_of(pct_code: str) -> dict[int, str]:
    """The PCT's contracts: id → "provider code year name", latest year first."""
    return {
        pk: f"{provider} {year} {name}"
        for pk, provider, year, name in Contract.objects.filter(pct__code=pct_code)
        .order_by("-financial_year", "provider__code", "name")
        .values_list("pk", "provider__code", "financial_year", "name")
    }


def invoiced_by_provider(
    locality: Locality, treatment_function_code: str, start: dt.date
) -> list[tuple[str, dt.date, int, object]]:
    """(provider code, month, activity, £ charged) of the activity providers invoiced for the
    locality's practices in the specialty from `start` (the refresh's facts), by provider and
    month."""
    from django.db.models import Sum

    rows = (
        SpendFact.objects.filter(
            practice__locality=locality,
            source=SpendFact.Source.ACTIVITY,
            treatment_function_code=treatment_function_code,
            month__gte=start,
            provider__isnull=False,
        )
        .values("provider__code", "month")
        .annotate(activity=Sum("activity"), charged=Sum("charged"))
        .order_by("provider__code", "month")
    )
    return [(r["provider__code"], r["month"], int(r["activity"]), r["charged"]) for r in rows]


@dataclass(frozen=True)
class QualityAtStake:
    """One quality measure of a contract, through a month (`pbc.finance.quality.schedule`)."""

    contract: str  # provider code and contract name
    measure: str
    threshold: Decimal
    withheld_percent: Decimal
    months_met: int
    months_below: int
    months_not_reported: int
    at_stake: Decimal  # in the year: every month below the threshold
    withheld: Decimal  # to the month


def quality_at_stake(pct_code: str, month: dt.date) -> list[QualityAtStake]:
    """The quality schedules of the PCT's contracts of `month`'s financial year, each measure
    from April to `month`: the money at stake in the year and withheld so far."""
    from pbc.finance import quality

    contracts = (
        Contract.objects.filter(
            pct__code=pct_code,
            financial_year=financial_year_of(month),
            quality_measures__isnull=False,
        )
        .distinct()
        .select_related("provider", "pct")
        .order_by("provider__code", "name")
    )
    return [
        QualityAtStake(
            f"{contract.provider.code} {contract.name}",
            m.name,
            m.threshold,
            m.withheld_percent,
            m.months_met,
            m.months_failed,
            m.months_not_reported,
            m.at_stake,
            m.withheld,
        )  # fmt: skip
        for contract in contracts
        for m in quality.schedule(contract, month)
    ]
