"""Scoring the rules against the generator's truth file (`faults`: rule_id, dataset, row_id).

Precision = flagged rows that the truth lists / flagged rows; recall = truth rows flagged /
truth rows, per rule, counting distinct (dataset, row_id). The rules are run with every rule in
force on every date (`ValidationSettings.always_in_force`), because the truth file lists every
row a rule's definition flags whatever the date (e.g. readmissions before April 2011).

With `month`, both sides are restricted to rows whose invoice month is that month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from pbc.analytics.costing import MONEY
from pbc.analytics.validation.common import INVOICE_DATE, Inputs
from pbc.analytics.validation.rules import SCORED_RULE_IDS
from pbc.analytics.validation.run import find
from pbc.analytics.validation.settings import DEFAULT_SETTINGS, ValidationSettings

if TYPE_CHECKING:
    from ibis.backends import BaseBackend


@dataclass(frozen=True)
class RuleScore:
    id: str
    findings: int
    amount: Decimal
    true_positives: int
    truth: int
    precision: float | None  # None when the rule flagged nothing
    recall: float | None  # None when the truth lists nothing

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "findings": self.findings,
            "amount": str(self.amount),
            "precision": None if self.precision is None else round(self.precision, 4),
            "recall": None if self.recall is None else round(self.recall, 4),
        }


def _truth_in_month(truth: ir.Table, inputs: Inputs, month: dt.date) -> ir.Table:
    first = ibis.literal(month.replace(day=1))
    keep: list[ir.Table] = []
    for dataset, key in (("apc", "spell_id"), ("op", "attendance_id"), ("ae", "attendance_id")):
        rows = inputs.activity(dataset)
        in_month = rows.filter(rows[INVOICE_DATE[dataset]].truncate("M").cast("date") == first)
        ids = in_month.select(_ds=ibis.literal(dataset), _id=rows[key].cast("string"))
        keep.append(ids)
    wanted = keep[0].union(keep[1]).union(keep[2])
    return truth.semi_join(wanted, [truth.dataset == wanted._ds, truth.row_id == wanted._id])


def score(
    con: BaseBackend,
    inputs: Inputs,
    truth: ir.Table,
    settings: ValidationSettings = DEFAULT_SETTINGS,
    *,
    month: dt.date | None = None,
    rule_ids: Iterable[str] | None = None,
) -> list[RuleScore]:
    """Precision and recall of each rule (default: every rule the truth file covers) against
    `truth`, executed on `con`.

    Precision and recall are judged on a run with every rule in force (dates overridden);
    `findings` and `amount` are those of a normal run with `settings`: the money the rules
    would put at stake."""
    chosen = list(rule_ids) if rule_ids is not None else list(SCORED_RULE_IDS)
    scored = find(inputs, settings.always_in_force(), month=month, rule_ids=chosen)
    flagged = con.execute(scored.select("rule_id", "dataset", "row_id").distinct())
    real = find(inputs, settings, month=month, rule_ids=chosen)
    totals = con.execute(
        real.group_by("rule_id").aggregate(n=real.count(), amount=real.amount.sum().cast(MONEY))
    )
    t = truth.select("rule_id", "dataset", "row_id").filter(truth.rule_id.isin(chosen))
    if month is not None:
        t = _truth_in_month(t, inputs, month)
    expected = con.execute(t.distinct())
    flagged_keys = _keys(flagged)
    truth_keys = _keys(expected)
    by_rule = {
        str(r): (int(n), Decimal(str(a if a is not None else 0)))
        for r, n, a in zip(totals["rule_id"], totals["n"], totals["amount"], strict=True)
    }
    out = []
    for rule_id in chosen:
        f = flagged_keys.get(rule_id, set())
        tr = truth_keys.get(rule_id, set())
        tp = len(f & tr)
        n, amount = by_rule.get(rule_id, (0, Decimal("0.00")))
        out.append(
            RuleScore(
                id=rule_id,
                findings=n,
                amount=amount.quantize(Decimal("0.01")),
                true_positives=tp,
                truth=len(tr),
                precision=tp / len(f) if f else None,
                recall=tp / len(tr) if tr else None,
            )
        )
    return out


def _keys(frame: Any) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for rule, dataset, row in zip(frame["rule_id"], frame["dataset"], frame["row_id"], strict=True):
        out.setdefault(str(rule), set()).add((str(dataset), str(row)))
    return out


def table_text(scores: list[RuleScore]) -> str:
    """The scores as a plain-text table."""

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.4f}"

    lines = [
        f"{'rule':<32} {'findings':>9} {'amount £':>14} {'truth':>7} {'precision':>9} {'recall':>7}"
    ]
    for s in scores:
        lines.append(
            f"{s.id:<32} {s.findings:>9,} {s.amount:>14,} {s.truth:>7,} "
            f"{pct(s.precision):>9} {pct(s.recall):>7}"
        )
    return "\n".join(lines)
