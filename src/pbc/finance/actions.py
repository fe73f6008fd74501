"""Business actions on budgets and contracts: one function per action, each atomic and audited.

- `save_contract`: create or change a provider contract and its activity plan (the audit log
  keeps the contract before and after each change).

- `draft_budget`: a new draft version for a practice and year (numbers count up; nothing is
  ever overwritten, so every version is kept).
- `adjust_budget`: a new draft copying a version with one line changed (the copy, not an edit).
- `approve_budget`: the version becomes the approved budget; the previously approved version of
  that practice and year becomes "superseded".
- `set_budgets`: draft a version for each of a PCT's practices by a setting method
  (`pbc.analytics.finance.budgets`), from last year's spend facts and the warehouse's weighted
  populations:
  - acute lines and prescribing: the pot is last year's spend × (1 + the line's uplift in force on
    1 April); `historic_uplift` shares it by history, `weighted_capitation` by weighted
    population (hospital activity weighting; ASTRO-PU for prescribing), `per_capita` by list
    size, and `blend` moves each practice from history toward the weighted share at the pace in
    force (`fair_share_pace`);
  - community and provider services and enhanced services are devolved per capita (the Dacorum
    plan's counselling and physiotherapy budgets), the pot being last year's spend × uplift;
  - the deficit repayment line: the practice's share of the year's instalments of its
    locality's approved repayment agreements, as a negative non-recurrent amount
    (`pbc.finance.agreements.repayment_budget_lines`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from pbc.analytics.finance import budgets as methods
from pbc.analytics.finance.lines import LINES, BudgetLine
from pbc.analytics.finance.money import ZERO, round_money
from pbc.finance.agreements import repayment_budget_lines
from pbc.finance.models import (
    BudgetAmount,
    BudgetVersion,
    Contract,
    ContractPlan,
    FinanceSetting,
    SpendFact,
)
from pbc.finance.variations import keep_main_line
from pbc.orgs import audit
from pbc.orgs.models import Pct, Practice
from pbc.periods import add_years, year_start

PER_CAPITA_LINES = (BudgetLine.COMMUNITY, BudgetLine.ENHANCED_SERVICES)


class BudgetError(Exception):
    """The action cannot be done; the message says why."""


def _snapshot(version: BudgetVersion) -> dict[str, Any]:
    return {
        "practice": version.practice.code,
        "financial_year": version.financial_year,
        "number": version.number,
        "status": version.status,
        "method": version.method,
        "amounts": {
            f"{a.line}{'' if a.recurrent else ' (non-recurrent)'}": str(a.amount)
            for a in version.amounts.all()
        },
    }


@transaction.atomic
def draft_budget(
    user: Any,
    practice: Practice,
    financial_year: str,
    amounts: Mapping[tuple[str, bool], Decimal],
    method: str,
    note: str = "",
) -> BudgetVersion:
    """A new draft version; `amounts` maps (line, recurrent) → £."""
    # Lock the practice's versions so two drafts cannot take the same number.
    list(
        BudgetVersion.objects.select_for_update().filter(
            practice=practice, financial_year=financial_year
        )
    )
    last = BudgetVersion.objects.filter(practice=practice, financial_year=financial_year).aggregate(
        n=Max("number")
    )["n"]
    version = BudgetVersion.objects.create(
        practice=practice,
        financial_year=financial_year,
        number=(last or 0) + 1,
        method=method,
        note=note,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    for (line, recurrent), amount in amounts.items():
        if BudgetLine(line) and amount is not None:
            BudgetAmount.objects.create(
                version=version, line=line, recurrent=recurrent, amount=round_money(amount)
            )
    audit.record(user, "create", version, after=_snapshot(version), detail="budget drafted")
    return version


@transaction.atomic
def adjust_budget(
    user: Any,
    version: BudgetVersion,
    line: str,
    recurrent: bool,
    amount: Decimal,
    note: str = "",
) -> BudgetVersion:
    """A new draft: `version`'s amounts with (line, recurrent) set to `amount`."""
    amounts = {(a.line, a.recurrent): a.amount for a in version.amounts.all()}
    amounts[(BudgetLine(line).value, recurrent)] = amount
    new = draft_budget(
        user,
        version.practice,
        version.financial_year,
        amounts,
        method=f"adjusted from v{version.number}",
        note=note,
    )
    audit.record(
        user,
        "update",
        new,
        before=_snapshot(version),
        after=_snapshot(new),
        detail=f"budget v{version.number} adjusted: {line} → {amount}",
    )
    return new


@transaction.atomic
def approve_budget(user: Any, version: BudgetVersion) -> BudgetVersion:
    version = BudgetVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != BudgetVersion.Status.DRAFT:
        raise BudgetError(f"version {version.number} is {version.status}: only drafts are approved")
    before = _snapshot(version)
    previous = BudgetVersion.objects.select_for_update().filter(
        practice=version.practice,
        financial_year=version.financial_year,
        status=BudgetVersion.Status.APPROVED,
    )
    for old in previous:
        old.status = BudgetVersion.Status.SUPERSEDED
        old.save(update_fields=["status"])
    version.status = BudgetVersion.Status.APPROVED
    version.approved_at = timezone.now()
    version.approved_by = user if getattr(user, "is_authenticated", False) else None
    version.save(update_fields=["status", "approved_at", "approved_by"])
    audit.record(
        user, "update", version, before=before, after=_snapshot(version), detail="budget approved"
    )
    return version


def historic_spend(
    practices: Sequence[Practice], financial_year: str
) -> dict[str, dict[str, Decimal]]:
    """line → practice code → spend in the year (recurrent only: one-offs do not set budgets)."""
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: {p.code: ZERO for p in practices})
    rows = (
        SpendFact.objects.filter(
            practice__in=practices, financial_year=financial_year, recurrent=True
        )
        .values("practice__code", "line")
        .annotate(total=Sum("charged"))
    )
    for r in rows:
        out[r["line"]][r["practice__code"]] = round_money(r["total"])
    return out


def populations(on: dt.date) -> dict[str, dict[str, Decimal]]:
    """weighting → practice → weighted population in the latest quarter on or before `on`
    ("registered" → list size), from the warehouse's weighted_populations."""
    from pbc.warehouse import engine as wh

    con = wh.connect()
    t = wh.table(con, "weighted_populations")
    rows = con.execute(t).to_dict("records")
    quarters: dict[str, set[dt.date]] = defaultdict(set)
    for r in rows:
        q = r["quarter_start"]
        r["quarter_start"] = q.date() if isinstance(q, dt.datetime) else q
        quarters[r["gp_practice_code"]].add(r["quarter_start"])
    latest = {
        code: max((q for q in qs if q <= on), default=min(qs)) for code, qs in quarters.items()
    }
    out: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for r in rows:
        if latest.get(r["gp_practice_code"]) != r["quarter_start"]:
            continue
        out[r["weighting"]][r["gp_practice_code"]] = Decimal(str(r["weighted_population"]))
        out["registered"][r["gp_practice_code"]] = Decimal(int(r["registered_patients"]))
    return out


def budget_amounts(
    practices: Sequence[Practice], financial_year: str, method: str, pace: Decimal | None = None
) -> dict[str, dict[str, Decimal]]:
    """practice code → line → recurrent budget by `method` (see the module docstring)."""
    if method not in methods.METHODS:
        raise BudgetError(f"unknown method {method!r}; choose one of {', '.join(methods.METHODS)}")
    start = year_start(financial_year)
    history = historic_spend(practices, add_years(financial_year, -1))
    pops = populations(start)
    codes = [p.code for p in practices]
    if pace is None:
        pace = FinanceSetting.in_force("fair_share_pace", start)
    out: dict[str, dict[str, Decimal]] = {c: {} for c in codes}
    for line in LINES:
        hist = {c: history[line.value][c] for c in codes}
        uplift = FinanceSetting.in_force("uplift", start, line.value)
        pot = round_money(sum(hist.values(), ZERO) * (1 + uplift))
        registered = {c: int(pops["registered"].get(c, 0)) for c in codes}
        weighting = "astro_pu_2013" if line == BudgetLine.PRESCRIBING else "hospital_activity"
        weighted = {c: pops[weighting].get(c, Decimal(0)) for c in codes}
        if line in PER_CAPITA_LINES or method == "per_capita":
            shares = methods.per_capita(pot, registered)
        elif method == "historic_uplift":
            shares = methods.historic_uplift(hist, uplift)
        elif method == "weighted_capitation":
            shares = methods.weighted_capitation(pot, weighted)
        else:
            shares = methods.blend(
                pot,
                methods.historic_uplift(hist, uplift),
                methods.weighted_capitation(pot, weighted),
                pace,
            )
        for c in codes:
            out[c][line.value] = shares[c]
    return out


@transaction.atomic
def set_budgets(
    user: Any,
    practices: Sequence[Practice],
    financial_year: str,
    method: str,
    pace: Decimal | None = None,
    non_recurrent: Mapping[tuple[str, str], Decimal] | None = None,
) -> list[BudgetVersion]:
    """Draft a version for each practice by `method`; `non_recurrent` adds one-off amounts
    by (practice code, line)."""
    amounts = budget_amounts(practices, financial_year, method, pace)
    # The year's instalments of approved deficit repayment agreements (`pbc.finance.agreements`).
    repayments = repayment_budget_lines(
        practices, financial_year, {code: sum(a.values(), ZERO) for code, a in amounts.items()}
    )
    versions = []
    for p in practices:
        lines: dict[tuple[str, bool], Decimal] = {
            (line, True): amount for line, amount in amounts[p.code].items()
        }
        if p.code in repayments:
            lines[(BudgetLine.DEFICIT_REPAYMENT.value, False)] = repayments[p.code]
        for (code, line), amount in (non_recurrent or {}).items():
            if code == p.code:
                lines[(line, False)] = amount
        note = f"set by {method}" + (f" (pace {pace})" if method == "blend" and pace else "")
        versions.append(draft_budget(user, p, financial_year, lines, method, note))
    return versions


# --- contracts ---------------------------------------------------------------------------------


def contract_snapshot(contract: Contract) -> dict[str, Any]:
    return {
        "pct": contract.pct.code,
        "provider": contract.provider.code,
        "financial_year": contract.financial_year,
        "name": contract.name,
        "kind": contract.kind,
        "annual_value": str(contract.annual_value),
        "budget_line": contract.budget_line,
        "plan": [
            [
                f"{p.month:%Y-%m}",
                p.point_of_delivery,
                p.treatment_function_code,
                p.activity,
                str(p.value),
            ]  # fmt: skip
            for p in contract.plan.all()
        ],
    }


@transaction.atomic
def save_contract(
    user: Any,
    pct: Pct,
    contract: Contract | None,
    fields: Mapping[str, Any],
    plan: Sequence[Any],
) -> Contract:
    """Create (`contract` None) or change a contract of `pct` and replace its activity plan.

    `fields`: provider, financial_year, name, kind, annual_value, budget_line; `plan`: rows
    with month, point_of_delivery, treatment_function_code, activity, value. The audit event
    keeps the whole contract before and after, so its history can be read back.
    """
    before = None
    if contract is None:
        contract = Contract(pct=pct)
    else:
        contract = Contract.objects.select_for_update().get(pk=contract.pk, pct=pct)
        before = contract_snapshot(contract)
    for name in ("provider", "financial_year", "name", "kind", "annual_value"):
        setattr(contract, name, fields[name])
    contract.budget_line = fields.get("budget_line") or ""
    clash = Contract.objects.filter(
        pct=pct, provider=contract.provider, financial_year=contract.financial_year,
        name=contract.name,
    ).exclude(pk=contract.pk)  # fmt: skip
    if clash.exists():
        raise BudgetError(
            "This PCT already has a contract of that name with the provider that year."
        )
    contract.save()
    keep_main_line(contract)
    contract.plan.all().delete()
    ContractPlan.objects.bulk_create(
        ContractPlan(
            contract=contract,
            month=p.month,
            point_of_delivery=p.point_of_delivery,
            treatment_function_code=p.treatment_function_code,
            activity=p.activity,
            value=p.value,
        )  # fmt: skip
        for p in plan
    )
    audit.record(
        user,
        "create" if before is None else "update",
        contract,
        before=before,
        after=contract_snapshot(contract),
        detail=f"contract {'created' if before is None else 'changed'}: {contract}",
    )
    return contract
