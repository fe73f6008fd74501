"""Business writes of the services app: one function per action, each atomic and audited.

Enhanced services: `ensure_catalogue`, `save_specification`, `sign_up`, `withdraw_sign_up`,
`submit_claims`, `approve_claim`, `reject_claim`, `pay_claims`.
Provider returns: `submit_return` (a whole return or nothing).
Patient experience: `import_survey`, `record_survey_action`, `report_survey_action`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from pbc import periods
from pbc.orgs import audit
from pbc.orgs.models import Locality, Practice
from pbc.services.catalogue import CATALOGUE_2008_09, ServiceSpec
from pbc.services.claims import ClaimCheck
from pbc.services.models import (
    Claim,
    EnhancedService,
    ProviderContract,
    ProviderReturn,
    ReturnRow,
    ServiceSpecification,
    SignUp,
    SurveyAction,
    SurveyResult,
)
from pbc.services.validation import Validation, period_label, to_json


class Refused(Exception):
    """The action breaks a rule; nothing was written. `problems` lists every reason; `field`
    names the form field the refusal is about, where there is one."""

    def __init__(self, message: str, problems: list[Any] | None = None, field: str = "") -> None:
        super().__init__(message)
        self.problems = problems or []
        self.field = field


def _name(user: Any) -> str:
    return user.get_username() if user is not None and user.is_authenticated else "system"


# --- enhanced services -------------------------------------------------------------------------


@transaction.atomic
def ensure_catalogue(
    user: Any, financial_year: str = "2008/09", specs: tuple[ServiceSpec, ...] = CATALOGUE_2008_09
) -> list[ServiceSpecification]:
    """The shipped services and their specification for a year (idempotent)."""
    result = []
    for spec in specs:
        service, _ = EnhancedService.objects.update_or_create(
            key=spec.key,
            defaults={"name": spec.name, "kind": spec.kind, "description": spec.description},
        )
        row, created = ServiceSpecification.objects.get_or_create(
            service=service,
            financial_year=financial_year,
            defaults={
                "unit": spec.unit,
                "price_per_unit": spec.price_per_unit,
                "cap_per_quarter": spec.cap_per_quarter,
                "target_per_quarter": spec.target_per_quarter,
                "reporting_frequency": spec.reporting_frequency,
            },
        )
        if created:
            audit.record(user, "create", row, after={"service": spec.key, "year": financial_year})
        result.append(row)
    return result


SPECIFICATION_FIELDS = (
    "unit",
    "price_per_unit",
    "cap_per_quarter",
    "target_per_quarter",
    "reporting_frequency",
)


def _spec_state(row: ServiceSpecification) -> dict[str, Any]:
    return {
        name: str(getattr(row, name)) if name == "price_per_unit" else getattr(row, name)
        for name in SPECIFICATION_FIELDS
    }


@transaction.atomic
def save_specification(
    user: Any,
    service: EnhancedService,
    financial_year: str,
    *,
    unit: str,
    price_per_unit: Decimal,
    cap_per_quarter: int | None,
    target_per_quarter: int | None,
    reporting_frequency: str,
) -> ServiceSpecification:
    """Create a service's specification for a financial year, or change it (audited before and
    after). Claims already made keep the amount fixed when they were checked."""
    try:
        periods.year_start(financial_year)
    except ValueError as error:
        raise Refused(str(error), field="financial_year") from error
    if not unit.strip():
        raise Refused("Say what unit of activity the service pays for", field="unit")
    if not isinstance(price_per_unit, Decimal) or price_per_unit < 0:
        raise Refused(
            "The price per unit must be an amount of money, not negative", field="price_per_unit"
        )
    if price_per_unit != price_per_unit.quantize(Decimal("0.01")):
        raise Refused(
            "The price per unit has more than two decimal places (pence)", field="price_per_unit"
        )
    for label, value in (("cap", cap_per_quarter), ("target", target_per_quarter)):
        if value is not None and value < 0:
            raise Refused(f"The {label} a quarter cannot be negative", field=f"{label}_per_quarter")
    if reporting_frequency not in ServiceSpecification.Frequency.values:
        raise Refused(
            f"{reporting_frequency} is not a reporting frequency", field="reporting_frequency"
        )
    values = {
        "unit": unit.strip(),
        "price_per_unit": price_per_unit,
        "cap_per_quarter": cap_per_quarter,
        "target_per_quarter": target_per_quarter,
        "reporting_frequency": reporting_frequency,
    }
    row = (
        ServiceSpecification.objects.select_for_update()
        .filter(service=service, financial_year=financial_year)
        .first()
    )
    if row is None:
        row = ServiceSpecification.objects.create(
            service=service, financial_year=financial_year, **values
        )
        audit.record(
            user,
            "create",
            row,
            after={"service": service.key, "year": financial_year, **_spec_state(row)},
        )
        return row
    before = _spec_state(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.save(update_fields=list(values))
    audit.record(user, "update", row, before=before, after=_spec_state(row))
    return row


@transaction.atomic
def sign_up(
    user: Any, practice: Practice, specification: ServiceSpecification, signed_on: dt.date
) -> SignUp:
    existing = SignUp.objects.filter(practice=practice, specification=specification).first()
    if existing is not None:
        withdrawn = (
            f" (withdrawn on {existing.withdrawn_on:%d %B %Y})" if existing.withdrawn_on else ""
        )
        raise Refused(
            f"{practice} is already signed up to {specification}{withdrawn}", field="service"
        )
    year_end = periods.add_months(periods.year_start(specification.financial_year), 12)
    if signed_on >= year_end:
        raise Refused(
            f"{signed_on:%d %B %Y} is after the end of {specification.financial_year}: sign up "
            "to that year's specification",
            field="signed_on",
        )
    row = SignUp.objects.create(practice=practice, specification=specification, signed_on=signed_on)
    audit.record(
        user,
        "create",
        row,
        after={
            "practice": practice.code,
            "spec": str(specification),
            "signed_on": signed_on.isoformat(),
        },
    )
    return row


@transaction.atomic
def withdraw_sign_up(user: Any, row: SignUp, withdrawn_on: dt.date) -> SignUp:
    row = SignUp.objects.select_for_update().get(pk=row.pk)
    if row.withdrawn_on is not None:
        raise Refused(
            f"The practice already withdrew on {row.withdrawn_on:%d %B %Y}", field="sign_up"
        )
    if withdrawn_on < row.signed_on:
        raise Refused(
            f"A practice cannot withdraw before it signed up ({row.signed_on:%d %B %Y})",
            field="withdrawn_on",
        )
    before = {"withdrawn_on": row.withdrawn_on.isoformat() if row.withdrawn_on else None}
    row.withdrawn_on = withdrawn_on
    row.save(update_fields=["withdrawn_on"])
    audit.record(
        user, "update", row, before=before, after={"withdrawn_on": withdrawn_on.isoformat()}
    )
    return row


@transaction.atomic
def submit_claims(user: Any, locality: Locality, check: ClaimCheck) -> list[Claim]:
    """Store a checked batch of claims, or refuse the whole batch if any problem blocks it."""
    if check.blocking:
        raise Refused(
            f"{len(check.blocking)} problem(s) in the claims: nothing has been stored",
            check.blocking,
        )
    practices = {p.code: p for p in locality.practices.all()}
    claims = []
    for line in check.lines:
        assert line.specification is not None
        claim = Claim.objects.create(
            practice=practices[line.practice_code],
            specification=line.specification,
            quarter=check.quarter,
            units=line.units,
            payable_units=line.payable_units,
            amount=line.amount,
            status=Claim.Status.QUERIED if line.problems else Claim.Status.SUBMITTED,
            problems=[str(p) for p in line.problems],
            submitted_by=_name(user),
        )
        claims.append(claim)
    audit.record(
        user,
        "import",
        locality,
        after={
            "claims": len(claims),
            "quarter": periods.quarter_label(check.quarter),
            "amount": str(sum((c.amount for c in claims), Decimal("0.00"))),
        },
        detail="enhanced service claims",
    )
    return claims


def _decide(user: Any, claim: Claim, status: str, note: str) -> Claim:
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.status not in (Claim.Status.SUBMITTED, Claim.Status.QUERIED):
        raise Refused(f"The claim is {claim.get_status_display().lower()}: it cannot be decided")
    before = {"status": claim.status}
    claim.status = status
    claim.decided_by = _name(user)
    claim.decision_note = note[:500]
    claim.save(update_fields=["status", "decided_by", "decision_note"])
    audit.record(user, "update", claim, before=before, after={"status": status, "note": note})
    return claim


@transaction.atomic
def approve_claim(user: Any, claim: Claim, note: str = "") -> Claim:
    return _decide(user, claim, Claim.Status.APPROVED, note)


@transaction.atomic
def reject_claim(user: Any, claim: Claim, note: str) -> Claim:
    if not note.strip():
        raise Refused("Say why the claim is rejected")
    return _decide(user, claim, Claim.Status.REJECTED, note)


@transaction.atomic
def pay_claims(user: Any, claims: list[Claim], month: dt.date) -> list[Claim]:
    """Mark approved claims paid in `month` (the month the payment counts against the budget)."""
    month = month.replace(day=1)
    paid = []
    for claim in claims:
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != Claim.Status.APPROVED:
            raise Refused(f"Claim {claim.pk} is not approved: nothing has been paid")
        if month < claim.quarter:
            raise Refused(f"Claim {claim.pk} cannot be paid before its quarter")
        claim.status, claim.paid_month = Claim.Status.PAID, month
        claim.save(update_fields=["status", "paid_month"])
        audit.record(
            user,
            "update",
            claim,
            before={"status": "approved"},
            after={"status": "paid", "month": month.isoformat(), "amount": str(claim.amount)},
        )
        paid.append(claim)
    return paid


# --- provider returns --------------------------------------------------------------------------


@transaction.atomic
def submit_return(
    user: Any,
    contract: ProviderContract,
    validation: Validation,
    *,
    filename: str,
    sha256: str,
    accept_with_problems: bool = False,
    note: str = "",
) -> ProviderReturn:
    """Store the whole return, or nothing.

    Clean returns are accepted. A return with problems is stored only when the submitter accepts
    it with known problems and says why (`note`), and never when a problem blocks it (wrong
    columns). A return supersedes the current one for the same contract and period.
    """
    label = period_label(validation.template, validation.period)
    if validation.template.key != contract.template:
        raise Refused("The return was checked against another service's template")
    problems = validation.problems
    if problems:
        if not validation.acceptable:
            raise Refused(
                "The return's columns are wrong: it cannot be accepted. Nothing has been stored.",
                problems,
            )
        if not accept_with_problems or not note.strip():
            raise Refused(
                f"The return has {len(problems)} problem(s): nothing has been stored. Correct "
                "them, or accept the return with known problems and say why.",
                problems,
            )
    previous = list(
        ProviderReturn.objects.select_for_update().filter(
            contract=contract, period=validation.period, current=True
        )
    )
    for old in previous:
        old.current = False
        old.save(update_fields=["current"])
    provider_return = ProviderReturn.objects.create(
        contract=contract,
        period=validation.period,
        status=(
            ProviderReturn.Status.ACCEPTED_WITH_PROBLEMS
            if problems
            else ProviderReturn.Status.ACCEPTED
        ),
        filename=filename[:255],
        sha256=sha256,
        row_count=len(validation.rows),
        problems=[p.as_dict() for p in problems],
        note=note.strip() if problems else "",
        submitted_by=user if user is not None and user.is_authenticated else None,
        submitted_by_name=_name(user),
    )
    ReturnRow.objects.bulk_create(
        ReturnRow(
            provider_return=provider_return,
            row_number=row.number,
            gp_practice_code=row.values.get("gp_practice_code") or "",
            values=to_json(row.values),
            problems=[p.as_dict() for p in row.problems],
        )
        for row in validation.rows
    )
    audit.record(
        user,
        "import",
        provider_return,
        before={"superseded": [r.pk for r in previous]} if previous else None,
        after={
            "template": contract.template,
            "period": label,
            "rows": len(validation.rows),
            "problems": len(problems),
            "status": provider_return.status,
        },
        detail=f"{contract.provider.code} {contract.template} {label}",
    )
    return provider_return


# --- patient experience ------------------------------------------------------------------------


@transaction.atomic
def import_survey(
    user: Any, locality: Locality, quarter: dt.date, validation: Validation
) -> list[SurveyResult]:
    """Store a quarter's survey results for a locality's practices: all rows or none."""
    if validation.problems:
        raise Refused(
            f"The survey file has {len(validation.problems)} problem(s): nothing has been stored",
            validation.problems,
        )
    from pbc.services.experience import canonical_domain

    quarter = periods.quarter_of(quarter)
    practices = {p.code: p for p in locality.practices.all()}
    stored = []
    seen: dict[tuple[str, str], int] = {}
    for row in validation.rows:
        v = row.values
        key = (v["gp_practice_code"], canonical_domain(v["domain"]))
        if key in seen:
            raise Refused(f"Row {row.number} repeats row {seen[key]}: nothing has been stored")
        seen[key] = row.number
        result, _ = SurveyResult.objects.update_or_create(
            practice=practices[v["gp_practice_code"]],
            quarter=quarter,
            domain=key[1],
            defaults={
                "responses": v["responses"],
                "positive": v["positive"],
                "imported_by": _name(user),
            },
        )
        stored.append(result)
    audit.record(
        user,
        "import",
        locality,
        after={"survey_results": len(stored), "quarter": periods.quarter_label(quarter)},
        detail="patient experience survey",
    )
    return stored


@transaction.atomic
def record_survey_action(
    user: Any,
    locality: Locality,
    *,
    quarter: dt.date,
    domain: str,
    action: str,
    owner: str,
    practice: Practice | None = None,
) -> SurveyAction:
    if practice is not None and practice.locality_id != locality.pk:
        raise Refused(f"{practice} is not a practice of {locality.name}")
    if domain not in SurveyResult.Domain.values:
        raise Refused(f"{domain} is not a survey domain")
    if not action.strip() or not owner.strip():
        raise Refused("Say what the action is and who owns it")
    row = SurveyAction.objects.create(
        locality=locality,
        practice=practice,
        quarter=periods.quarter_of(quarter),
        domain=domain,
        action=action.strip(),
        owner=owner.strip(),
        recorded_by=_name(user),
    )
    audit.record(user, "create", row, after={"domain": domain, "action": action[:200]})
    return row


@transaction.atomic
def report_survey_action(
    user: Any, row: SurveyAction, *, status: str, reported_to_board_on: dt.date | None
) -> SurveyAction:
    row = SurveyAction.objects.select_for_update().get(pk=row.pk)
    if status not in SurveyAction.Status.values:
        raise Refused(f"{status} is not an action status")
    before = {
        "status": row.status,
        "reported": row.reported_to_board_on.isoformat() if row.reported_to_board_on else None,
    }
    row.status = status
    row.reported_to_board_on = reported_to_board_on
    row.save(update_fields=["status", "reported_to_board_on"])
    audit.record(
        user,
        "update",
        row,
        before=before,
        after={
            "status": status,
            "reported": reported_to_board_on.isoformat() if reported_to_board_on else None,
        },
    )
    return row
