"""Contract lines and variations: what a contract charges, and how it changes from a date.

A contract (`Contract`) is signed with its terms: kind, annual value and, for a block, the budget
line it is charged to. Those terms are its main line (`ContractLine.main`), kept in step with the
contract by `keep_main_line` whenever the contract is saved. Other parts of the same contract
(the block part of an acute trust's SLA for one service, say) are lines of their own
(`add_line`). The refresh charges budgets from the lines (`pbc.finance.refresh`).

`vary_contract` changes a contract from a date (the first day of a month in the contract's year):
the lines it ends stop applying from that date, the lines it adds apply from then, and the
activity plan from that month is replaced. The variation keeps its reason, who approved it and
who recorded it; the audit event keeps the whole contract before and after. Nothing before the
effective date changes, so the statements change from that month only (after the next refresh).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from pbc.finance.models import LINE_VALUES, Contract, ContractLine, ContractPlan, ContractVariation
from pbc.orgs import audit
from pbc.orgs.access import has_permission
from pbc.orgs.roles import Permission
from pbc.periods import year_end, year_start


class VariationError(ValueError):
    """A variation that cannot be made (the message says why)."""


@dataclass(frozen=True)
class NewLine:
    """A line a variation adds (or a contract is signed with)."""

    kind: str
    annual_value: Decimal
    description: str = ""
    treatment_function_code: str = ""
    budget_line: str = ""


@dataclass(frozen=True)
class NewPlanRow:
    month: dt.date
    point_of_delivery: str
    treatment_function_code: str
    activity: int
    value: Decimal


def keep_main_line(contract: Contract) -> ContractLine:
    """The contract's main line, made or brought in step with the contract's own terms (its
    dates are kept: a variation may have ended it)."""
    line = contract.lines.filter(main=True).first()
    if line is None:
        line = ContractLine(
            contract=contract, main=True, starts=year_start(contract.financial_year)
        )
    line.kind = contract.kind
    line.annual_value = contract.annual_value
    line.budget_line = contract.budget_line
    line.save()
    return line


def _check_line(new: NewLine) -> None:
    if new.kind not in Contract.Kind.values:
        raise VariationError(f"unknown contract line kind {new.kind!r}")
    if new.kind == Contract.Kind.BLOCK and new.budget_line not in LINE_VALUES:
        raise VariationError("a block line needs the budget line it is charged to")
    if new.annual_value < 0:
        raise VariationError("a line's annual value cannot be negative")


def add_line(contract: Contract, new: NewLine, starts: dt.date | None = None) -> ContractLine:
    """A part of the contract as signed (from `starts`, else the start of its year)."""
    _check_line(new)
    return ContractLine.objects.create(
        contract=contract,
        kind=new.kind,
        description=new.description,
        treatment_function_code=new.treatment_function_code,
        budget_line=new.budget_line,
        annual_value=new.annual_value,
        starts=starts or year_start(contract.financial_year),
    )


def snapshot(contract: Contract) -> dict[str, Any]:
    """The contract's lines and variations, for the audit log."""
    return {
        "lines": [
            [
                line.kind,
                line.description,
                line.treatment_function_code,
                line.budget_line,
                str(line.annual_value),
                f"{line.starts:%Y-%m-%d}",
                f"{line.ends:%Y-%m-%d}" if line.ends else None,
            ]  # fmt: skip
            for line in contract.lines.order_by("pk")
        ],
        "variations": [
            [f"{v.effective_from:%Y-%m-%d}", v.reason, v.approved_by]
            for v in contract.variations.order_by("pk")
        ],
    }


@transaction.atomic
def vary_contract(
    user: Any,
    contract: Contract,
    *,
    effective_from: dt.date,
    reason: str,
    approved_by: str,
    end: Sequence[ContractLine] = (),
    add: Sequence[NewLine] = (),
    plan: Sequence[NewPlanRow] | None = None,
) -> ContractVariation:
    """Vary `contract` from `effective_from`: end the lines `end`, add the lines `add` and, if
    `plan` is given, replace the activity plan from that month with it. The user needs to
    manage budgets for the contract's PCT."""
    from pbc.finance.actions import contract_snapshot

    if not has_permission(user, Permission.MANAGE_BUDGETS, contract.pct):
        raise PermissionDenied("you may not vary this PCT's contracts")
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    first, last = year_start(contract.financial_year), year_end(contract.financial_year)
    if effective_from.day != 1 or not first < effective_from <= last:
        raise VariationError(
            f"a variation of a {contract.financial_year} contract takes effect on the first day "
            f"of a month after {first:%d %B %Y} and within the year, not {effective_from}"
        )
    if not reason.strip() or not approved_by.strip():
        raise VariationError("a variation needs its reason and who approved it")
    if not end and not add and plan is None:
        raise VariationError("a variation changes at least one line or the plan")
    for new in add:
        _check_line(new)
    if plan is not None and any(row.month < effective_from for row in plan):
        raise VariationError("a variation's plan starts from its effective month")
    before = {**contract_snapshot(contract), **snapshot(contract)}
    variation = ContractVariation.objects.create(
        contract=contract,
        effective_from=effective_from,
        reason=reason.strip(),
        approved_by=approved_by.strip(),
        recorded_by=user,
    )
    for line in end:
        line = ContractLine.objects.select_for_update().get(pk=line.pk)
        if line.contract_id != contract.pk:
            raise VariationError(f"line {line.pk} is not a line of this contract")
        if not line.starts < effective_from or (line.ends and line.ends <= effective_from):
            raise VariationError(f"{line} is not in force before {effective_from:%d %B %Y}")
        line.ends, line.ended_by = effective_from, variation
        line.save(update_fields=["ends", "ended_by"])
    for new in add:
        ContractLine.objects.create(
            contract=contract,
            kind=new.kind,
            description=new.description,
            treatment_function_code=new.treatment_function_code,
            budget_line=new.budget_line,
            annual_value=new.annual_value,
            starts=effective_from,
            added_by=variation,
        )
    if plan is not None:
        contract.plan.filter(month__gte=effective_from).delete()
        ContractPlan.objects.bulk_create(
            ContractPlan(
                contract=contract,
                month=row.month,
                point_of_delivery=row.point_of_delivery,
                treatment_function_code=row.treatment_function_code,
                activity=row.activity,
                value=row.value,
            )  # fmt: skip
            for row in plan
        )
    audit.record(
        user,
        "update",
        contract,
        before=before,
        after={**contract_snapshot(contract), **snapshot(contract)},
        detail=f"contract varied from {effective_from:%d %B %Y}: {variation.reason} "
        f"(approved by {variation.approved_by})",
    )
    return variation
