"""Agreed challenge recoveries for the finance refresh (`pbc.finance.refresh` credits them).

`agreed_recoveries(financial_year, through)` lists the money the PCT recovered through agreed
challenges, to credit to practice budgets:

- which findings: status "agreed" with a recovered amount above zero, of a known practice,
  on a row invoiced to the practice's own PCT (only those rows were charged to its budget) by
  a provider whose activity for that PCT is not under a block in the row's month (a block line
  for all of its activity in force that month, `pbc.finance.queries.under_block`; a block is charged
  at its value, not per row, so a row under it was never charged and there is nothing to
  credit; what is agreed there is settled in the block's year-end reconciliation);
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
from pbc.finance.queries import block_contracts, under_block
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


def _apc_lines(spell_ids: Iterable[str]) -> dict[str, str]:
    """spell_id -> budget line of its charged point of delivery, from the warehouse (the
    provider's invoice line where one names the spell, `with_invoices`)."""
    ids = sorted(set(spell_ids))
    if not ids:
        return {}
    from pbc.analytics.invoices import with_invoices
    from pbc.warehouse import engine as wh

    con = wh.connect()
    apc = with_invoices(wh.table(con, "apc"), wh.table(con, "invoice_lines"), "spell_id")
    rows = con.to_pyarrow(
        apc.filter(apc.spell_id.isin(ids)).select("spell_id", "charged_point_of_delivery")
    ).to_pylist()
    out = {}
    for r in rows:
        line = LINE_OF_POD.get(r["charged_point_of_delivery"] or "")
        if line is not None:
            out[r["spell_id"]] = line.value
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
    blocks = block_contracts(financial_year)
    findings = [
        f
        for f in findings
        if not under_block(blocks, f.commissioner_code, f.provider_code, f.month.replace(day=1))
    ]
    apc_lines = _apc_lines(f.row_id for f in findings if f.dataset == "apc")
    out = []
    for f in findings:
        if f.dataset == "apc":
            line = apc_lines.get(f.row_id, BudgetLine.ELECTIVE.value)
        else:
            line = LINE_OF_DATASET[f.dataset].value
        month = f.month.replace(day=1)
        out.append(AgreedRecovery(f.practice.code, month, line, f.recovered_amount, f.key))
    return out
