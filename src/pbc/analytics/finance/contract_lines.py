"""A contract's charges line by line: which of the provider's contract lines each charge and
each activity row belongs to, by the rule the refresh charges by.

The refresh (`pbc.finance.refresh`) keeps, for a provider and a PCT, three kinds of fact:
activity charged per row (source "activity"), activity under a block (source "under_block",
£ at tariff, charged nothing) and a block's own monthly charge (source "block", on the block's
budget line). `assign` puts each back on the line it came from:

- an activity or under-block fact: the line `line_for` picks in its month for its specialty
  (the specialty's own line before a line for all activity; a block before an activity line of
  the same reach); None when no line was in force (charged as invoiced, outside any contract);
- a block charge: the block line in force that month charging that budget line; where two
  are (two blocks of one provider on one budget line in one month), shared between them by
  their annual values, to the penny.

So the block, cost-per-case and tariff parts of one contract are reported apart, whatever the
contract's headline kind, and a block ended on 1 October shows its charges to September while
the line that took over shows its own from October.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from pbc.analytics.finance.contracts import LineTerms, line_for
from pbc.analytics.finance.money import ZERO, apportion

BLOCK = "block"


@dataclass(frozen=True)
class Charge:
    """Facts of one source summed by month, specialty and budget line."""

    source: str  # "activity", "under_block" or "block"
    month: dt.date
    treatment_function: str
    budget_line: str
    activity: int
    charged: Decimal
    at_tariff: Decimal


@dataclass
class LineCharges:
    """What one line took: activity, its £ at tariff, and the £ charged to budgets by it."""

    activity: int = 0
    at_tariff: Decimal = field(default=ZERO)
    charged: Decimal = field(default=ZERO)


def line_of(lines: Sequence[LineTerms], charge: Charge) -> LineTerms | None:
    """The line an activity or under-block charge belongs to (None: no line in force)."""
    return line_for(lines, charge.month, charge.treatment_function)


def assign(lines: Sequence[LineTerms], charges: Iterable[Charge]) -> dict[int | None, LineCharges]:
    """Line key (`LineTerms.key`; None: under no line) → what the line took."""
    out: dict[int | None, LineCharges] = {}

    def at(key: int | None) -> LineCharges:
        return out.setdefault(key, LineCharges())

    for c in charges:
        if c.source == BLOCK:
            blocks = [
                line for line in lines
                if line.kind == BLOCK and line.in_force(c.month)
                and line.budget_line == c.budget_line
            ]  # fmt: skip
            if not blocks:
                at(None).charged += c.charged
                continue
            weights = {line.key: line.annual_value or Decimal(1) for line in blocks}
            for key, amount in apportion(c.charged, weights).items():
                at(key).charged += amount
            continue
        line = line_of(lines, c)
        got = at(line.key if line is not None else None)
        got.activity += c.activity
        got.at_tariff += c.at_tariff
        got.charged += c.charged
    return out
