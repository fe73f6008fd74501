"""Any willing provider (issue 20, item 2): the providers accredited to a locality's service,
their activity and cost per case, and the returns of providers that are not accredited.

The Dacorum plan: physiotherapy "provided by any physiotherapy provider who meets the criteria
set out in a service specification at an agreed cost per case without any guarantees of
activity". A service is commissioned this way in a locality once it has an accreditation there.

- `accredit(...)`: one action, scoped to the users who manage the locality's services
  (`Permission.MANAGE_SERVICES`), audited; refused with a message naming the field.
- `report(locality, service)`: each accredited provider (who, from when, to when, the agreed
  price) and each provider with a current return of the service: cases (the return's rows),
  cost (the return's costs, or cases at the accredited price where the return has none) and
  cost per case, and each month's return from a provider not accredited in that month: a
  *finding* (the return is stored, its cases are reported, but the locality did not accredit
  the provider for that month).
- `choose(...)`: a practice's choice among the providers accredited for a service, from the first
  day of a month until its next choice; recorded by the practice's own users, its locality's
  managers or the PCT's analysts (`Permission.CHOOSE_PROVIDERS` for the practice), audited.
  `report` gives activity and cost per case per provider per practice, with the cases each
  practice's patients had with a provider outside its choice of that month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from pbc import periods
from pbc.orgs import audit
from pbc.orgs.access import has_permission
from pbc.orgs.models import Locality, Practice, Provider
from pbc.orgs.roles import Permission
from pbc.services import reports
from pbc.services.models import Accreditation, ProviderChoice, ProviderContract
from pbc.services.return_templates import TEMPLATES
from pbc.services.validation import from_json

ZERO = Decimal("0.00")
# The specialty (treatment function) a service's activity is invoiced under, where hospital
# invoices can carry it: an invoice for it from a provider not accredited is a finding too.
INVOICED_AS = {"physiotherapy": "650"}  # NHS Data Dictionary: 650 physiotherapy


class AccreditationError(ValueError):
    """An accreditation (or a practice's choice) that cannot be recorded; the message names the
    field."""


def accredit(
    user: Any,
    locality: Locality,
    *,
    service: str,
    provider_code: str,
    accredited_from: dt.date,
    price_per_case: Any,
    accredited_to: dt.date | None = None,
) -> Accreditation:
    if not has_permission(user, Permission.MANAGE_SERVICES, locality):
        raise PermissionDenied("You may not change this locality's services.")
    if service not in TEMPLATES or TEMPLATES[service].cost != "case_cost":
        raise AccreditationError(f"service: '{service}' is not a service paid by the case")
    provider = Provider.objects.filter(code=provider_code.strip().upper()).first()
    if provider is None:
        raise AccreditationError(f"provider: no provider with the ODS code '{provider_code}'")
    try:
        price = Decimal(str(price_per_case).strip().lstrip("£")).quantize(Decimal("0.01"))
    except InvalidOperation as err:
        raise AccreditationError(f"price per case: '{price_per_case}' is not an amount") from err
    if price < 0:
        raise AccreditationError(f"price per case: {price} is negative")
    if accredited_to is not None and accredited_to <= accredited_from:
        raise AccreditationError("accredited to: must be after accredited from")
    if Accreditation.objects.filter(
        locality=locality, service=service, provider=provider, accredited_from=accredited_from
    ).exists():
        raise AccreditationError(
            f"accredited from: {provider.code} is already accredited from {accredited_from}"
        )
    with transaction.atomic():
        row = Accreditation.objects.create(
            locality=locality,
            service=service,
            provider=provider,
            accredited_from=accredited_from,
            accredited_to=accredited_to,
            price_per_case=price,
            recorded_by=user.get_username(),
        )
        audit.record(
            user,
            "create",
            row,
            after={
                "locality": locality.slug,
                "service": service,
                "provider": provider.code,
                "accredited_from": accredited_from.isoformat(),
                "accredited_to": accredited_to.isoformat() if accredited_to else None,
                "price_per_case": str(price),
            },
            detail=f"{provider.code} accredited for {TEMPLATES[service].name}",
        )
    return row


def accredited_in(rows: list[Accreditation], start: dt.date, end: dt.date) -> Accreditation | None:
    """The accreditation in force on any day of [start, end], latest start first."""
    for a in sorted(rows, key=lambda a: a.accredited_from, reverse=True):
        if a.accredited_from <= end and (a.accredited_to is None or a.accredited_to > start):
            return a
    return None


@dataclass
class ProviderActivity:
    provider: Provider
    accreditations: list[Accreditation]
    cases: int = 0
    cost: Decimal = ZERO
    by_month: dict[dt.date, int] = field(default_factory=dict)

    @property
    def cost_per_case(self) -> Decimal | None:
        return (self.cost / self.cases).quantize(Decimal("0.01")) if self.cases else None

    @property
    def price(self) -> Decimal | None:
        return self.accreditations[-1].price_per_case if self.accreditations else None


@dataclass
class PracticeActivity:
    """One practice's cases with one provider: `not_chosen` of them in months when the
    practice's choice did not include the provider, `no_choice` in months it had made none."""

    practice_code: str
    provider: Provider
    cases: int = 0
    cost: Decimal = ZERO
    not_chosen: int = 0
    no_choice: int = 0

    @property
    def cost_per_case(self) -> Decimal | None:
        return (self.cost / self.cases).quantize(Decimal("0.01")) if self.cases else None


@dataclass(frozen=True)
class Choice:
    """A practice's choice for a service from a month: the providers' codes."""

    practice_code: str
    chosen_from: dt.date
    providers: tuple[str, ...]
    recorded_by: str


@dataclass(frozen=True)
class Finding:
    provider: Provider
    period: dt.date
    cases: int
    cost: Decimal
    reason: str
    source: str = "return"  # or "invoice"


@dataclass
class AwpReport:
    service: str
    providers: list[ProviderActivity]
    findings: list[Finding]
    by_practice: list[PracticeActivity] = field(default_factory=list)
    choices: dict[str, list[Choice]] = field(default_factory=dict)  # by practice, oldest first

    def current_choice(self, practice_code: str, on: dt.date) -> Choice | None:
        return choice_on(self.choices.get(practice_code, []), on)

    @property
    def name(self) -> str:
        return TEMPLATES[self.service].name


def services_of(locality: Locality) -> list[str]:
    """The locality's services commissioned from any willing provider."""
    return sorted(
        set(Accreditation.objects.filter(locality=locality).values_list("service", flat=True))
    )


def report(locality: Locality, service: str) -> AwpReport:
    template = TEMPLATES[service]
    accreditations = list(
        Accreditation.objects.filter(locality=locality, service=service).select_related("provider")
    )
    first = min((a.accredited_from for a in accreditations), default=None)
    by_provider: dict[str, ProviderActivity] = {}
    for a in accreditations:
        by_provider.setdefault(
            a.provider.code, ProviderActivity(a.provider, [])
        ).accreditations.append(a)
    findings = []
    choices = choices_of(locality, service)
    by_practice: dict[tuple[str, str], PracticeActivity] = {}
    contracts = ProviderContract.objects.filter(locality=locality, template=service)
    for contract in contracts.select_related("provider"):
        mine = [a for a in accreditations if a.provider_id == contract.provider_id]
        for provider_return in reports.current_returns(contract, start=first):
            start = provider_return.period
            end = periods.month_end(start)
            summary = reports.summarise(contract, [provider_return])
            accreditation = accredited_in(mine, start, end)
            cost = summary.cost or ZERO
            price = None
            if accreditation is not None and not summary.cases:
                price = accreditation.price_per_case
                cost = price * summary.volume
            for stored in provider_return.rows.all():
                values = from_json(template, stored.values)
                cases = template.volume(values)
                cell = by_practice.setdefault(
                    (stored.gp_practice_code, contract.provider.code),
                    PracticeActivity(stored.gp_practice_code, contract.provider),
                )
                cell.cases += cases
                cell.cost += (
                    price * cases
                    if price is not None
                    else reports.row_cost(template, contract, values)
                )
                chosen = choice_on(choices.get(stored.gp_practice_code, []), start)
                if chosen is None:
                    cell.no_choice += cases
                elif contract.provider.code not in chosen.providers:
                    cell.not_chosen += cases
            activity = by_provider.setdefault(
                contract.provider.code, ProviderActivity(contract.provider, mine)
            )
            activity.cases += summary.volume
            activity.cost += cost
            activity.by_month[start] = activity.by_month.get(start, 0) + summary.volume
            if accreditation is None:
                findings.append(
                    Finding(
                        contract.provider,
                        start,
                        summary.volume,
                        cost,
                        f"{contract.provider.name} is not accredited for {template.name} "
                        f"in {start:%B %Y}",
                    )
                )
    findings += _invoice_findings(locality, service, accreditations, first)
    providers = sorted(by_provider.values(), key=lambda p: (not p.accreditations, p.provider.name))
    return AwpReport(
        service,
        providers,
        sorted(findings, key=lambda f: (f.period, f.provider.code)),
        sorted(by_practice.values(), key=lambda c: (c.practice_code, c.provider.name)),
        choices,
    )


def choices_of(locality: Locality, service: str) -> dict[str, list[Choice]]:
    """Each practice's choices for the service, oldest first, by practice code."""
    grouped: dict[tuple[str, dt.date], list[ProviderChoice]] = {}
    for row in ProviderChoice.objects.filter(
        practice__locality=locality, service=service
    ).select_related("practice", "provider"):
        grouped.setdefault((row.practice.code, row.chosen_from), []).append(row)
    out: dict[str, list[Choice]] = {}
    for (code, start), rows in sorted(grouped.items()):
        out.setdefault(code, []).append(
            Choice(code, start, tuple(sorted(r.provider.code for r in rows)), rows[0].recorded_by)
        )
    return out


def choice_on(choices: list[Choice], day: dt.date) -> Choice | None:
    """The choice in force on `day` (the latest made from that day or before)."""
    found = None
    for c in choices:
        if c.chosen_from <= day:
            found = c
    return found


def choose(
    user: Any,
    practice: Practice,
    *,
    service: str,
    provider_codes: list[str],
    chosen_from: dt.date,
) -> Choice:
    """Record the practice's choice among the service's accredited providers from the first day
    of a month (one choice a month; a later one replaces it from its own month). Each chosen
    provider must be accredited for the practice's locality on that day."""
    if not has_permission(user, Permission.CHOOSE_PROVIDERS, practice):
        raise PermissionDenied("You may not record this practice's choice of providers.")
    locality = practice.locality
    if service not in services_of(locality):
        raise AccreditationError(
            f"service: '{service}' has no accredited providers in {locality.name}"
        )
    if chosen_from.day != 1:
        raise AccreditationError(
            f"chosen from: {chosen_from} is not the first day of a month (returns are monthly)"
        )
    codes = sorted({c.strip().upper() for c in provider_codes if c.strip()})
    if not codes:
        raise AccreditationError("providers: choose at least one accredited provider")
    accreditations = list(
        Accreditation.objects.filter(locality=locality, service=service).select_related("provider")
    )
    providers = []
    for code in codes:
        mine = [a for a in accreditations if a.provider.code == code]
        if accredited_in(mine, chosen_from, chosen_from) is None:
            raise AccreditationError(
                f"providers: {code} is not accredited for {TEMPLATES[service].name} "
                f"in {locality.name} on {chosen_from}"
            )
        providers.append(mine[0].provider)
    if ProviderChoice.objects.filter(
        practice=practice, service=service, chosen_from=chosen_from
    ).exists():
        raise AccreditationError(
            f"chosen from: {practice.code} already has a choice from {chosen_from}"
        )
    with transaction.atomic():
        rows = [
            ProviderChoice.objects.create(
                practice=practice,
                service=service,
                chosen_from=chosen_from,
                provider=provider,
                recorded_by=user.get_username(),
            )
            for provider in providers
        ]
        audit.record(
            user,
            "create",
            rows[0],
            after={
                "practice": practice.code,
                "service": service,
                "chosen_from": chosen_from.isoformat(),
                "providers": codes,
            },
            detail=f"{practice.code} chose {', '.join(codes)} for {TEMPLATES[service].name}",
        )
    return Choice(practice.code, chosen_from, tuple(codes), user.get_username())


def raise_findings(user: Any, locality: Locality, service: str) -> int:
    """Put the service's findings (`report`) into the challenge process as findings of the
    locality's PCT with no practice (`pbc.validation.actions.raise_findings`: the PCT's
    analysts; each audited; a finding raised before is not raised again). Returns how many
    are new."""
    from pbc.validation import actions as challenge

    raised = [
        challenge.RaisedFinding(
            rule_id=f"awp-{f.source}-not-accredited",
            dataset="awp",
            row_id=f"{locality.slug}:{service}:{f.provider.code}:{f.period:%Y-%m}:{f.source}",
            provider_code=f.provider.code,
            month=f.period,
            amount=f.cost,
            detail=f"{f.reason}: {f.cases} {'cases' if f.source == 'return' else 'attendances or spells'}",
        )
        for f in report(locality, service).findings
    ]
    return len(challenge.raise_findings(user, locality.pct, raised))


def _invoice_findings(
    locality: Locality, service: str, accreditations: list[Accreditation], first: dt.date | None
) -> list[Finding]:
    """Each month's hospital invoice of the service's specialty (`INVOICED_AS`) for the
    locality's practices from a provider not accredited that month (from the first
    accreditation; the refresh's invoiced activity)."""
    from pbc.finance import queries as finance

    specialty = INVOICED_AS.get(service)
    if specialty is None or first is None:
        return []
    rows = finance.invoiced_by_provider(locality, specialty, first)
    providers = {p.code: p for p in Provider.objects.filter(code__in={r[0] for r in rows})}
    out = []
    for code, month, activity, charged in rows:
        mine = [a for a in accreditations if a.provider.code == code]
        if accredited_in(mine, month, periods.month_end(month)) is None:
            out.append(
                Finding(
                    providers[code],
                    month,
                    activity,
                    Decimal(charged).quantize(Decimal("0.01")),
                    f"{providers[code].name} invoiced {TEMPLATES[service].name.lower()} "
                    f"(specialty {specialty}) in {month:%B %Y} without being accredited",
                    "invoice",
                )
            )
    return out
