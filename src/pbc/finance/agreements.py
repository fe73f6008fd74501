"""Agreements that last: a locality's deficit repayment.

The Dacorum plan: "The deficit will have to be repaid. DacCom will need to negotiate the amount,
the timing and the mechanism … DacCom must be careful not to use a non-recurring income to offset
a recurring debt." So a repayment is an agreement, stored, not a figure worked out on a page:

- `record_repayment`: a PCT analyst (manage budgets for the locality) records the reported
  deficit of a year, the non-recurrent items the reported position counted (one-off underspends
  or income less one-off costs: excluded, so the amount is the recurrent deficit), and over how
  many years it is repaid. The instalments are equal, pennies spread exactly, the earlier years
  taking any odd penny, starting the year after the deficit
  (`pbc.analytics.finance.freed.repayment_plan`). The agreement is a draft until
- `approve_repayment`: the locality's board (a board member) approves it. At most one approved
  agreement per locality and deficit year. Approval carries each instalment into the budgets of
  its year that are already set: every practice of the locality gets a new draft budget version
  (its approved amounts plus the deficit repayment line), for the analyst to approve as any
  budget change.
- `repayment_budget_lines`: a practice's deficit repayment line for a year: minus its share of
  the year's instalments of the locality's approved agreements, shared among the locality's
  practices in proportion to their recurrent budgets (every budget top-sliced at the same rate;
  equally when none has a budget). `pbc.finance.actions.set_budgets` adds it to every budget it
  drafts, so later years' budgets carry their instalment as they are set.
- `progress`: each instalment against the budgets: how much of it the approved budgets of its
  year carry and, for the report year, the locality's forecast against the budget that now
  includes the repayment (on track when the forecast outturn is within it).

Every write is scoped (the user's permission on the locality) and audited with before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from pbc.analytics.finance.freed import repayment_plan
from pbc.analytics.finance.lines import BudgetLine
from pbc.analytics.finance.money import ZERO, apportion
from pbc.finance.models import (
    BudgetAmount,
    BudgetVersion,
    RepaymentAgreement,
    RepaymentInstalment,
)
from pbc.orgs import audit
from pbc.orgs.access import has_permission
from pbc.orgs.models import Locality, Practice
from pbc.orgs.roles import Permission
from pbc.periods import year_start

REPAYMENT = BudgetLine.DEFICIT_REPAYMENT.value


class AgreementError(ValueError):
    """An agreement that cannot be recorded or approved (the message says why)."""


def snapshot(agreement: RepaymentAgreement) -> dict[str, Any]:
    return {
        "locality": agreement.locality.slug,
        "incurred_in": agreement.incurred_in,
        "reported_deficit": str(agreement.reported_deficit),
        "non_recurrent_excluded": str(agreement.non_recurrent_excluded),
        "non_recurrent_note": agreement.non_recurrent_note,
        "amount": str(agreement.amount),
        "years": agreement.years,
        "status": agreement.status,
        "instalments": {i.financial_year: str(i.amount) for i in agreement.instalments.all()},
    }


@transaction.atomic
def record_repayment(
    user: Any,
    locality: Locality,
    incurred_in: str,
    reported_deficit: Decimal,
    non_recurrent_excluded: Decimal,
    years: int,
    non_recurrent_note: str = "",
) -> RepaymentAgreement:
    """A draft agreement to repay `locality`'s deficit of `incurred_in` over `years` years."""
    if not has_permission(user, Permission.MANAGE_BUDGETS, locality):
        raise PermissionDenied("you may not record this locality's agreements")
    year_start(incurred_in)  # ValueError for a malformed year
    amount = reported_deficit + non_recurrent_excluded
    if amount <= 0:
        raise AgreementError(
            "nothing to repay: the deficit without its non-recurrent items is not above £0"
        )
    if not 1 <= years <= 10:
        raise AgreementError("a deficit is repaid over one to ten years")
    agreement = RepaymentAgreement.objects.create(
        locality=locality,
        incurred_in=incurred_in,
        reported_deficit=reported_deficit,
        non_recurrent_excluded=non_recurrent_excluded,
        non_recurrent_note=non_recurrent_note.strip(),
        amount=amount,
        years=years,
        recorded_by=user,
    )
    RepaymentInstalment.objects.bulk_create(
        RepaymentInstalment(agreement=agreement, financial_year=i.financial_year, amount=i.amount)
        for i in repayment_plan(amount, years, incurred_in)
    )
    audit.record(
        user, "create", agreement, after=snapshot(agreement),
        detail=f"deficit repayment recorded: {agreement}",
    )  # fmt: skip
    return agreement


@transaction.atomic
def approve_repayment(user: Any, agreement: RepaymentAgreement) -> list[BudgetVersion]:
    """The board approves the agreement; the budgets already set for its instalment years get
    new draft versions with the deficit repayment line (returned)."""
    agreement = RepaymentAgreement.objects.select_for_update().get(pk=agreement.pk)
    if not has_permission(user, Permission.APPROVE_AGREEMENTS, agreement.locality):
        raise PermissionDenied("only the locality's board approves its agreements")
    if agreement.status != RepaymentAgreement.Status.DRAFT:
        raise AgreementError("this agreement is already approved")
    if (
        RepaymentAgreement.objects.filter(
            locality=agreement.locality,
            incurred_in=agreement.incurred_in,
            status=RepaymentAgreement.Status.APPROVED,
        )
        .exclude(pk=agreement.pk)
        .exists()
    ):
        raise AgreementError(
            f"the {agreement.incurred_in} deficit already has an approved agreement"
        )
    before = snapshot(agreement)
    agreement.status = RepaymentAgreement.Status.APPROVED
    agreement.approved_by = user
    agreement.approved_at = timezone.now()
    agreement.save(update_fields=["status", "approved_by", "approved_at"])
    audit.record(
        user, "update", agreement, before=before, after=snapshot(agreement),
        detail=f"deficit repayment approved by the board: {agreement}",
    )  # fmt: skip
    return [
        version
        for instalment in agreement.instalments.all()
        for version in _carry_into_budgets(user, agreement.locality, instalment.financial_year)
    ]


def _carry_into_budgets(user: Any, locality: Locality, fy: str) -> list[BudgetVersion]:
    """New drafts of the locality's approved budgets of `fy` with the repayment line as it now
    stands (the practices without an approved budget get theirs when it is set)."""
    from pbc.finance.actions import draft_budget

    practices = list(locality.practices.order_by("code"))
    approved = {
        v.practice_id: v
        for v in BudgetVersion.objects.filter(
            practice__in=practices, financial_year=fy, status=BudgetVersion.Status.APPROVED
        ).prefetch_related("amounts")
    }
    if not approved:
        return []
    recurrent = {
        p.code: sum(
            (a.amount for a in approved[p.pk].amounts.all() if a.recurrent and a.line != REPAYMENT),
            ZERO,
        )
        if p.pk in approved
        else ZERO
        for p in practices
    }
    lines = repayment_budget_lines(practices, fy, recurrent)
    out = []
    for p in practices:
        version = approved.get(p.pk)
        if version is None:
            continue
        amounts = {(a.line, a.recurrent): a.amount for a in version.amounts.all()}
        amounts[(REPAYMENT, False)] = lines.get(p.code, ZERO)
        out.append(
            draft_budget(
                user, p, fy, amounts, method=f"v{version.number} with the deficit repayment",
                note="deficit repayment agreement approved by the board",
            )
        )  # fmt: skip
    return out


def instalments_due(locality: Locality, fy: str) -> Decimal:
    """The locality's instalments due in `fy` under its approved agreements."""
    total = RepaymentInstalment.objects.filter(
        agreement__locality=locality,
        agreement__status=RepaymentAgreement.Status.APPROVED,
        financial_year=fy,
    ).aggregate(t=Sum("amount"))["t"]
    return total or ZERO


def repayment_budget_lines(
    practices: Sequence[Practice], fy: str, recurrent_budgets: dict[str, Decimal]
) -> dict[str, Decimal]:
    """Practice code → its deficit repayment line for `fy` (minus its share of its locality's
    instalments due that year, shared by `recurrent_budgets`: practice code → recurrent budget
    of the spend lines); practices whose locality owes nothing that year are left out."""
    out: dict[str, Decimal] = {}
    by_locality: dict[int, list[Practice]] = {}
    for p in practices:
        by_locality.setdefault(p.locality_id, []).append(p)
    for locality_id, members in by_locality.items():
        due = instalments_due(Locality.objects.get(pk=locality_id), fy)
        if not due:
            continue
        # Every practice of the locality shares the instalment, not only those being budgeted.
        everyone = list(Practice.objects.filter(locality_id=locality_id).order_by("code"))
        weights = {p.code: max(recurrent_budgets.get(p.code, ZERO), ZERO) for p in everyone}
        if any(p.code not in recurrent_budgets for p in everyone):
            weights.update(_recurrent_budgets_of(everyone, fy, recurrent_budgets))
        shares = apportion(due, weights)
        for p in members:
            out[p.code] = -shares[p.code]
    return out


def _recurrent_budgets_of(
    practices: Sequence[Practice], fy: str, known: dict[str, Decimal]
) -> dict[str, Decimal]:
    """Recurrent spend-line budgets: the ones given, else the approved version's."""
    out = {}
    for p in practices:
        if p.code in known:
            out[p.code] = max(known[p.code], ZERO)
            continue
        total = (
            BudgetAmount.objects.filter(
                version__practice=p,
                version__financial_year=fy,
                version__status=BudgetVersion.Status.APPROVED,
                recurrent=True,
            )
            .exclude(line=REPAYMENT)
            .aggregate(t=Sum("amount"))["t"]
        )
        out[p.code] = max(total or ZERO, ZERO)
    return out


@dataclass(frozen=True)
class InstalmentProgress:
    financial_year: str
    amount: Decimal
    # The year's repayment lines in the approved budgets (every approved agreement's).
    carried: Decimal
    state: str  # "due", "in year: on track", "in year: at risk", "not in the budgets"
    forecast_variance: Decimal | None = None  # the locality's, in the report year


def progress(
    agreement: RepaymentAgreement, report_year: str | None, forecast_variance: Decimal | None
) -> list[InstalmentProgress]:
    """Each instalment against the budgets (`forecast_variance`: the locality's forecast
    outturn minus budget in `report_year`, the budget including the repayment line)."""
    out = []
    practices = agreement.locality.practices.all()
    for i in agreement.instalments.all():
        due = instalments_due(agreement.locality, i.financial_year)
        carried = -(
            BudgetAmount.objects.filter(
                version__practice__in=practices,
                version__financial_year=i.financial_year,
                version__status=BudgetVersion.Status.APPROVED,
                line=REPAYMENT,
            ).aggregate(t=Sum("amount"))["t"]
            or ZERO
        )
        variance = None
        if agreement.status != RepaymentAgreement.Status.APPROVED:
            state = "awaiting the board"
        elif report_year is not None and i.financial_year == report_year:
            variance = forecast_variance
            if carried < due:
                state = "not in the budgets"
            elif variance is not None and variance > 0:
                state = "in year: at risk"
            else:
                state = "in year: on track"
        elif report_year is not None and i.financial_year < report_year:
            state = "year ended"
        else:
            state = "due" if carried else "due: budgets not yet set"
        out.append(InstalmentProgress(i.financial_year, i.amount, carried, state, variance))
    return out


def agreements_of(locality: Locality) -> list[RepaymentAgreement]:
    return list(
        RepaymentAgreement.objects.filter(locality=locality)
        .select_related("recorded_by", "approved_by", "locality")
        .prefetch_related("instalments")
        .order_by("-incurred_in", "-recorded_at")
    )
