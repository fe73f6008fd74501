"""What other apps read of finance, as plain data (no model instances leave the app)."""

from __future__ import annotations

import datetime as dt

from pbc.finance.models import Contract, RefreshRun, SpendFact
from pbc.orgs.models import Locality


def block_contracts(financial_year: str) -> set[tuple[str, str]]:
    """The (PCT code, provider code) pairs on a block contract in `financial_year`."""
    return set(
        Contract.objects.filter(
            financial_year=financial_year, kind=Contract.Kind.BLOCK
        ).values_list("pct__code", "provider__code")
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
