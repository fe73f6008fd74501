"""Agreed challenge recoveries for the finance refresh (`pbc.finance.refresh` credits them).

`agreed_recoveries(financial_year, through)` lists the money the PCT recovered through agreed
challenges, to credit to practice budgets:

- which findings: status "agreed" with a recovered amount above zero, of a known practice,
  on a row invoiced to the practice's own PCT (only those rows were charged to its budget)
  that is not under a block: the line the refresh charges the row by in its month (the
  provider's contract lines with the PCT, the row's specialty's own line before a line for
  all activity, `pbc.finance.queries.under_block`) is not a block line. A block is charged at
  its value, not per row, so a row under it (under a block for all of the provider's activity,
  or for its specialty only) was already paid within the block and there is nothing to credit;
  what is agreed there is settled in the block's year-end reconciliation. The row's specialty
  is its treatment function in the warehouse (A&E: 180, as the refresh costs it; a row no
  longer in the warehouse: none, so only a line for all activity covers it);
- month: the month of the challenged row (`Finding.month`, the month it was invoiced and
  charged to the budget), so the credit sits against the charge it corrects and the statement
  for that month shows the net; only months of `financial_year` up to `through` count;
- budget line: the line the challenged row was charged to — outpatients for `op`, A&E for
  `ae`, and for `apc` the line of the point of delivery the provider charged (read from the
  warehouse row; elective when the row is no longer in the warehouse);
- amount: `recovered_amount` (positive). One recovery per finding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F

from pbc.analytics.finance.lines import LINE_OF_POD, BudgetLine
from pbc.analytics.finance.spend import AE_TREATMENT_FUNCTION
from pbc.finance.queries import contract_lines, under_block
from pbc.periods import year_start
from pbc.validation.models import Finding, Status

LINE_OF_DATASET = {"op": BudgetLine.OUTPATIENTS, "ae": BudgetLine.AE}


@dataclass(frozen=True)
class AgreedRecovery:
    practice_code: str
    month: dt.date
    budget_line: str
    amount: Decimal
    finding_key: str


def _rows(findings: Iterable[Finding]) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(dataset, row id) -> (treatment function, budget line of its charged point of delivery
    (apc only; None: not known)) of the findings' admitted spells and outpatient attendances,
    from the warehouse (the provider's invoice line where one names the spell,
    `with_invoices`)."""
    ids: dict[str, set[str]] = {"apc": set(), "op": set()}
    for f in findings:
        if f.dataset in ids:
            ids[f.dataset].add(f.row_id)
    if not any(ids.values()):
        return {}
    from pbc.analytics.invoices import line_key, with_invoices
    from pbc.warehouse import engine as wh

    con = wh.connect()
    out: dict[tuple[str, str], tuple[str, str | None]] = {}
    if ids["apc"]:
        # Only the findings' spells and the lines naming them (a spell's charge is from its own
        # lines only): the lines are not summed for every spell to read a few.
        wanted = sorted(ids["apc"])
        apc, lines = wh.table(con, "apc"), wh.table(con, "invoice_lines")
        apc = with_invoices(
            apc.filter(apc.spell_id.isin(wanted)),
            lines.filter(line_key(lines).isin(wanted)),
            "spell_id",
        )
        for r in con.to_pyarrow(
            apc.select("spell_id", "treatment_function_code", "charged_point_of_delivery")
        ).to_pylist():
            line = LINE_OF_POD.get(r["charged_point_of_delivery"] or "")
            tf = str(r["treatment_function_code"] or "")
            out[("apc", r["spell_id"])] = (tf, line.value if line is not None else None)
    if ids["op"]:
        op = wh.table(con, "op")
        for r in con.to_pyarrow(
            op.filter(op.attendance_id.isin(sorted(ids["op"]))).select(
                "attendance_id", "treatment_function_code"
            )
        ).to_pylist():
            out[("op", r["attendance_id"])] = (str(r["treatment_function_code"] or ""), None)
    return out


def agreed_recoveries(financial_year: str, through: dt.date) -> list[AgreedRecovery]:
    start = year_start(financial_year)
    last = dt.date(start.year + 1, 3, 1)
    upto = min(last, through.replace(day=1))
    findings = list(
        Finding.objects.filter(
            status=Status.AGREED,
            recovered_amount__gt=0,
            practice__isnull=False,
            month__gte=start,
            month__lte=upto,
            commissioner_code=F("practice__locality__pct__code"),
        )
        .select_related("practice")
        .order_by("month", "key")
    )
    rows = _rows(findings)
    lines = contract_lines(financial_year)
    out = []
    for f in findings:
        month = f.month.replace(day=1)
        tf, apc_line = rows.get((f.dataset, f.row_id), ("", None))
        if f.dataset == "ae":
            tf = AE_TREATMENT_FUNCTION
        if under_block(lines, f.commissioner_code, f.provider_code, month, tf):
            continue
        if f.dataset == "apc":
            line = apc_line or BudgetLine.ELECTIVE.value
        else:
            line = LINE_OF_DATASET[f.dataset].value
        out.append(AgreedRecovery(f.practice.code, month, line, f.recovered_amount, f.key))
    return out
