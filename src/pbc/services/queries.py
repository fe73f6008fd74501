"""What other apps read of enhanced services and provider returns, as plain data or the
services app's own summaries (`pbc.services.reports`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from pbc import periods
from pbc.orgs.models import Locality
from pbc.services import reports
from pbc.services.models import (
    Claim,
    EnhancedService,
    ProviderContract,
    ReturnRow,
    ServiceSpecification,
    SignUp,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ServiceClaims:
    service: str
    signed_up: int
    claims: int
    units: int
    payable_units: int
    claimed: Decimal  # payable amount of every claim not rejected
    paid: Decimal  # paid in the year to date (by payment month)
    by_status: dict[str, int]


def feed_inputs() -> list[list[tuple[object, ...]]]:
    """Every row the services-fed indicators read: the services, their specifications, the
    sign-ups and the claims, each in primary key order (a refresh's input digest)."""
    return [
        list(model.objects.order_by("pk").values_list())
        for model in (EnhancedService, ServiceSpecification, SignUp, Claim)
    ]


def specified_years(service_key: str) -> set[str]:
    """The financial years the service has a specification for (its data covers them)."""
    return set(
        ServiceSpecification.objects.filter(service__key=service_key).values_list(
            "financial_year", flat=True
        )
    )


def claims_by_service(
    locality: Locality, year: str, start: dt.date, month: dt.date
) -> list[ServiceClaims]:
    """Each enhanced service of `year` the locality's practices signed up to or claimed for:
    practices signed up during start..month, claims for the quarters up to `month`, and what
    was paid from `start` to `month` (by payment month). By service name."""
    quarters = [q for q in periods.quarters_of_year(year) if q <= month]
    claims = list(
        Claim.objects.filter(
            practice__locality=locality, specification__financial_year=year, quarter__in=quarters
        ).select_related("specification__service")
    )
    sign_ups = list(
        SignUp.objects.filter(
            practice__locality=locality, specification__financial_year=year
        ).select_related("specification__service")
    )
    end = periods.month_end(month)
    out = []
    for service in EnhancedService.objects.filter(specifications__financial_year=year).order_by(
        "name"
    ):
        mine = [c for c in claims if c.specification.service_id == service.pk]
        signed = {
            s.practice_id
            for s in sign_ups
            if s.specification.service_id == service.pk and s.active_between(start, end)
        }
        if not mine and not signed:
            continue
        live = [c for c in mine if c.status != Claim.Status.REJECTED]
        out.append(
            ServiceClaims(
                service=service.name,
                signed_up=len(signed),
                claims=len(mine),
                units=sum(c.units for c in live),
                payable_units=sum(c.payable_units for c in live),
                claimed=sum((c.amount for c in live), ZERO),
                paid=sum(
                    (
                        c.amount
                        for c in mine
                        if c.status == Claim.Status.PAID
                        and c.paid_month is not None
                        and start <= c.paid_month <= month
                    ),
                    ZERO,
                ),
                by_status=dict(Counter(c.get_status_display() for c in mine)),
            )
        )
    return out


def latest_claimed_quarter(locality: Locality, year: str, month: dt.date) -> dt.date | None:
    """The latest quarter of `year` starting by `month` that the locality's practices claimed
    for (None: no claim)."""
    return (
        Claim.objects.filter(
            practice__locality=locality, specification__financial_year=year, quarter__lte=month
        )
        .order_by("-quarter")
        .values_list("quarter", flat=True)
        .first()
    )


def contract_summaries(
    locality: Locality, start: dt.date, month: dt.date
) -> list[reports.ProviderSummary]:
    """The locality's provider contracts with current returns for periods from `start` to
    `month` (a quarterly return covers a quarter starting on or before `month`), each summarised
    as the contract's report page does; by template and provider name."""
    contracts = ProviderContract.objects.filter(locality=locality).select_related("provider")
    out = []
    for contract in sorted(contracts, key=lambda c: (c.template, c.provider.name)):
        summary = reports.summarise(contract, reports.current_returns(contract, start, month))
        if summary.returns:
            out.append(summary)
    return out


@dataclass(frozen=True)
class ReturnState:
    contract: str
    locality: str
    period: dt.date | None  # the latest period returned (None: nothing yet)
    status: str  # its status, as shown


def latest_returns(provider_code: str) -> list[ReturnState]:
    """Each of the provider's contracts with its latest current return and that return's state."""
    from pbc.services.models import ProviderContract, ProviderReturn

    out = []
    contracts = ProviderContract.objects.filter(provider__code=provider_code).select_related(
        "locality"
    )
    for contract in contracts.order_by("locality__name", "pk"):
        latest = (
            ProviderReturn.objects.filter(contract=contract, current=True)
            .order_by("-period")
            .first()
        )
        out.append(
            ReturnState(
                contract=str(contract),
                locality=contract.locality.name if contract.locality else "",
                period=latest.period if latest else None,
                status=latest.get_status_display() if latest else "No return yet",
            )
        )
    return out


@dataclass(frozen=True)
class MatronContact:
    """One referral of a patient in a community matrons' return: when referred, when first
    contacted, and whether that was within one working day (the template's measure)."""

    nhs_number: str
    provider_code: str
    referral_date: dt.date | None
    first_contact_date: dt.date | None
    within_one_working_day: bool | None


def matron_contacts(practice_code: str, nhs_numbers: set[str]) -> list[MatronContact]:
    """The referrals of these patients of the practice in the current community matrons'
    returns (`return_templates.COMMUNITY_MATRONS`), by NHS number and referral date."""
    from pbc.services.return_templates import TEMPLATES
    from pbc.services.validation import from_json

    template = TEMPLATES["community-matrons"]
    rows = ReturnRow.objects.filter(
        gp_practice_code=practice_code,
        provider_return__current=True,
        provider_return__contract__template=template.key,
    ).select_related("provider_return__contract__provider")
    out = []
    for row in rows:
        if row.values.get("nhs_number") not in nhs_numbers:
            continue
        values = from_json(template, row.values)
        met = template.compliance.met(values) if template.compliance else None
        out.append(
            MatronContact(
                nhs_number=values["nhs_number"],
                provider_code=row.provider_return.contract.provider.code,
                referral_date=values.get("referral_date"),
                first_contact_date=values.get("first_contact_date"),
                within_one_working_day=met,
            )
        )
    return sorted(out, key=lambda c: (c.nhs_number, c.referral_date or dt.date.min))


def monthly_compliance(
    provider_code: str, template_key: str, pct_code: str, start: dt.date, end: dt.date
) -> dict[dt.date, tuple[float, float]]:
    """month -> (rows meeting the template's standard, rows it applies to) in the provider's
    current returns of this template to the PCT's localities, months start..end."""
    from pbc.services.return_templates import TEMPLATES
    from pbc.services.validation import from_json

    template = TEMPLATES[template_key]
    if template.compliance is None:
        raise ValueError(f"return {template_key} has no standard to meet")
    rows = ReturnRow.objects.filter(
        provider_return__current=True,
        provider_return__contract__template=template_key,
        provider_return__contract__provider__code=provider_code,
        provider_return__contract__locality__pct__code=pct_code,
        provider_return__period__gte=start,
        provider_return__period__lte=end,
    ).values_list("provider_return__period", "values")
    out: dict[dt.date, list[float]] = {}
    for period, values in rows:
        met = template.compliance.met(from_json(template, values))
        if met is None:
            continue
        counts = out.setdefault(period, [0.0, 0.0])
        counts[0] += bool(met)
        counts[1] += 1
    return {m: (c[0], c[1]) for m, c in out.items()}


def standards() -> list[tuple[str, str]]:
    """(template key, the standard it measures) of every return template with one."""
    from pbc.services.return_templates import TEMPLATES

    return [(k, f"{t.name}: {t.compliance.label}") for k, t in TEMPLATES.items() if t.compliance]
