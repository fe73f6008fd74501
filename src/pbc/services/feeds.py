"""What other apps read from services: spend for finance, counts for indicators.

Finance (budget lines):
- `enhanced_services_spend(practice_code, financial_year)`: paid enhanced-service claims by the
  month they were paid (the enhanced services line). Approved but unpaid claims are not spend.
- `cost_per_case_spend(practice_code, financial_year)`: per-case provider services from current
  provider returns (the community and provider services line), by the month the return covers;
  quarterly returns carry no cost. Rows whose cost or practice failed validation count nothing.
- `enhanced_services_spend_by_practice(financial_years)` and
  `cost_per_case_spend_by_practice(financial_years)`: the same for every practice at once, in
  one query each (what the finance refresh reads); the per-practice functions are these
  restricted to one practice and year.

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
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from pbc import periods
from pbc.orgs.models import Practice
from pbc.services.models import Claim, ProviderReturn, ReturnRow, SignUp
from pbc.services.reports import row_cost
from pbc.services.return_templates import TEMPLATES
from pbc.services.validation import from_json

ZERO = Decimal("0.00")


def _months(financial_year: str) -> dict[dt.date, Decimal]:
    return {m: ZERO for m in periods.months_of_year(financial_year)}


def _all_months(financial_years: Sequence[str]) -> list[dt.date]:
    return [m for year in financial_years for m in periods.months_of_year(year)]


def enhanced_services_spend_by_practice(
    financial_years: Sequence[str], practice_code: str | None = None
) -> dict[str, dict[dt.date, Decimal]]:
    """Paid enhanced-service claims by practice code and payment month, over the months of
    `financial_years` (one query); practices and months with nothing paid are left out."""
    claims = Claim.objects.filter(
        status=Claim.Status.PAID, paid_month__in=_all_months(financial_years)
    )
    if practice_code is not None:
        claims = claims.filter(practice__code=practice_code)
    out: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    rows = claims.values("practice__code", "paid_month").annotate(total=Sum("amount"))
    for row in rows:
        by_month = out[row["practice__code"]]
        by_month[row["paid_month"]] = by_month.get(row["paid_month"], ZERO) + row["total"]
    return dict(out)


def cost_per_case_spend_by_practice(
    financial_years: Sequence[str], practice_code: str | None = None
) -> dict[str, dict[dt.date, Decimal]]:
    """Per-case provider spend by practice code and month covered, over the months of
    `financial_years` (one query for the returns, one for their rows). A row counts for its
    practice when that practice is in the locality the return's contract covers."""
    returns = ProviderReturn.objects.filter(
        current=True, period__in=_all_months(financial_years)
    ).select_related("contract")
    if practice_code is not None:
        returns = returns.filter(contract__locality__practices__code=practice_code)
    monthly = {
        r.pk: r
        for r in returns
        if TEMPLATES[r.contract.template].cost
        and TEMPLATES[r.contract.template].frequency == "monthly"
    }
    localities = {r.contract.locality_id for r in monthly.values()}
    practices_of: dict[int, set[str]] = defaultdict(set)
    for locality_id, code in Practice.objects.filter(locality_id__in=localities).values_list(
        "locality_id", "code"
    ):
        practices_of[locality_id].add(code)
    rows = ReturnRow.objects.filter(provider_return_id__in=list(monthly))
    if practice_code is not None:
        rows = rows.filter(gp_practice_code=practice_code)
    out: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    for stored in rows.order_by("pk"):
        provider_return = monthly[stored.provider_return_id]
        contract = provider_return.contract
        if stored.gp_practice_code not in practices_of[contract.locality_id]:
            continue
        template = TEMPLATES[contract.template]
        cost = row_cost(template, contract, from_json(template, stored.values))
        by_month = out[stored.gp_practice_code]
        by_month[provider_return.period] = by_month.get(provider_return.period, ZERO) + cost
    return dict(out)


def enhanced_services_spend(practice_code: str, financial_year: str) -> dict[dt.date, Decimal]:
    """Paid enhanced-service claims of a practice by payment month: all twelve months."""
    months = _months(financial_year)
    found = enhanced_services_spend_by_practice([financial_year], practice_code)
    months.update(found.get(practice_code, {}))
    return months


def cost_per_case_spend(practice_code: str, financial_year: str) -> dict[dt.date, Decimal]:
    """Per-case provider spend for a practice's patients by month covered: all twelve months."""
    months = _months(financial_year)
    found = cost_per_case_spend_by_practice([financial_year], practice_code)
    months.update(found.get(practice_code, {}))
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
