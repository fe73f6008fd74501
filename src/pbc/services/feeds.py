"""What other apps read from services: spend for finance, counts for indicators.

Finance (budget lines):
- `enhanced_services_spend(practice_code, financial_year)`: paid enhanced-service claims by the
  month they were paid (the enhanced services line). Approved but unpaid claims are not spend.
- `cost_per_case_spend(practice_code, financial_year)`: per-case provider services from current
  provider returns (the community and provider services line), by the month the return covers;
  quarterly returns carry no cost. Rows whose cost or practice failed validation count nothing.

Indicators (quarterly):
- `extended_hours_offered(quarter, locality=None, pct=None)`: practices signed up to the
  extended hours LES at any time in the quarter ÷ practices, with its percentage.
- `smoking_quitters(quarter, locality=None, pct=None)`: four-week quitters claimed in the quarter
  (claims not rejected) against the target (the specification's quarterly target × practices
  signed up in the quarter).

Every function returns Decimal money keyed by the first day of the month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from pbc.orgs.models import Practice
from pbc.services import periods
from pbc.services.models import Claim, ProviderReturn, SignUp
from pbc.services.reports import row_cost
from pbc.services.return_templates import TEMPLATES
from pbc.services.validation import from_json

ZERO = Decimal("0.00")


def _months(financial_year: str) -> dict[dt.date, Decimal]:
    return {m: ZERO for m in periods.months_of_year(financial_year)}


def enhanced_services_spend(practice_code: str, financial_year: str) -> dict[dt.date, Decimal]:
    """Paid enhanced-service claims of a practice by payment month: all twelve months."""
    months = _months(financial_year)
    rows = (
        Claim.objects.filter(
            practice__code=practice_code,
            status=Claim.Status.PAID,
            paid_month__in=list(months),
        )
        .values("paid_month")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        months[row["paid_month"]] += row["total"]
    return months


def cost_per_case_spend(practice_code: str, financial_year: str) -> dict[dt.date, Decimal]:
    """Per-case provider spend for a practice's patients by month covered: all twelve months."""
    months = _months(financial_year)
    returns = ProviderReturn.objects.filter(
        current=True, period__in=list(months), contract__locality__practices__code=practice_code
    ).select_related("contract")
    for provider_return in returns:
        template = TEMPLATES[provider_return.contract.template]
        if not template.cost or template.frequency != "monthly":
            continue
        for stored in provider_return.rows.filter(gp_practice_code=practice_code):
            values = from_json(template, stored.values)
            months[provider_return.period] += row_cost(template, provider_return.contract, values)
    return months


def _practices(locality: str | None, pct: str | None) -> Any:
    query = Practice.objects.all()
    if locality:
        query = query.filter(locality__slug=locality)
    if pct:
        query = query.filter(locality__pct__code=pct)
    return query


def _signed_up(service_key: str, quarter: dt.date, practices: Any) -> Any:
    start = periods.quarter_of(quarter)
    end = periods.quarter_end(start)
    return SignUp.objects.filter(
        specification__service__key=service_key,
        specification__financial_year=periods.financial_year_of(start),
        practice__in=practices,
        signed_on__lte=end,
    ).filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=start))


def extended_hours_offered(
    quarter: dt.date, locality: str | None = None, pct: str | None = None
) -> dict[str, Any]:
    """{"numerator", "denominator", "percent"} for practices offering extended hours."""
    practices = _practices(locality, pct)
    total = practices.count()
    offering = _signed_up("extended-hours", quarter, practices).values("practice").distinct()
    count = offering.count()
    return {
        "quarter": periods.quarter_label(quarter),
        "numerator": count,
        "denominator": total,
        "percent": (Decimal(100 * count) / total).quantize(Decimal("0.1")) if total else None,
    }


def smoking_quitters(
    quarter: dt.date, locality: str | None = None, pct: str | None = None
) -> dict[str, Any]:
    """{"quitters", "target", "percent_of_target"} for the quarter."""
    start = periods.quarter_of(quarter)
    practices = _practices(locality, pct)
    quitters = (
        Claim.objects.filter(
            specification__service__key="smoking-cessation", quarter=start, practice__in=practices
        )
        .exclude(status=Claim.Status.REJECTED)
        .aggregate(total=Sum("units"))["total"]
        or 0
    )
    target = 0
    for sign_up in _signed_up("smoking-cessation", start, practices).select_related(
        "specification"
    ):
        target += sign_up.specification.target_per_quarter or 0
    return {
        "quarter": periods.quarter_label(start),
        "quitters": quitters,
        "target": target,
        "percent_of_target": (
            (Decimal(100 * quitters) / target).quantize(Decimal("0.1")) if target else None
        ),
    }
