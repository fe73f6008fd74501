"""What other apps read of finance, as plain data (no model instances leave the app)."""

from __future__ import annotations

import datetime as dt

from pbc.finance.models import Contract, ContractLine, RefreshRun, SpendFact
from pbc.orgs.models import Locality


def block_contracts(
    financial_year: str,
) -> dict[tuple[str, str], list[tuple[dt.date, dt.date | None]]]:
    """(PCT code, provider code) → the periods (from, up to but not including; None: open) in
    `financial_year` when a block line for all of the provider's activity is in force."""
    out: dict[tuple[str, str], list[tuple[dt.date, dt.date | None]]] = {}
    for pct, provider, starts, ends in ContractLine.objects.filter(
        contract__financial_year=financial_year,
        kind=Contract.Kind.BLOCK,
        treatment_function_code="",
    ).values_list("contract__pct__code", "contract__provider__code", "starts", "ends"):
        out.setdefault((pct, provider), []).append((starts, ends))
    return out


def under_block(
    blocks: dict[tuple[str, str], list[tuple[dt.date, dt.date | None]]],
    pct: str,
    provider: str,
    month: dt.date,
) -> bool:
    """Whether the provider's activity for the PCT in `month` is under a block (`blocks` from
    `block_contracts`)."""
    return any(
        starts <= month and (ends is None or month < ends)
        for starts, ends in blocks.get((pct, provider), [])
    )


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
