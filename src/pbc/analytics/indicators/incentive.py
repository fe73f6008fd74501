"""The PCT's prescribing incentive scheme: targets on the prescribing measures, each practice's
achievement and payment over a financial year, and the switch list ("Good Buys") with the
saving each practice could make from its own prescribing.

Achievement (per practice, measure and financial year): the measure's numerator and
denominator items summed over the twelve dispensing months April to March (a year's ratio of
sums, not a mean of monthly ratios), times the measure's multiplier (100 for a percentage). A
target is **met** when that value is at or below the target for a measure whose polarity is
`decrease` (high-cost statins, lansoprazole: less is better), at or above it for `increase`.
A practice with no denominator items in the year has no value: the target is neither met nor
missed (`met` None) and earns nothing. The comparison is exact (fractions), so a practice on
its target meets it.

Payment rules (documented for the scheme, `payment`): for each target met, the payment per
registered patient set with the target times the practice's registered patients on the last
quarter of the scheme year (the latest `list_sizes` quarter starting by 1 March; all ages and
both sexes), rounded to the penny, half up. A target missed earns nothing (no part payment).
A practice's payment is the sum over its targets.

Switch list: for each switch from one BNF presentation to another, the **saving per item** is
the PCT's mean actual cost per item of the `from` presentation in the year minus that of the
`to` presentation (total actual cost / total items of the PCT's practices; unknown when either
was not dispensed in the PCT that year). A practice's **potential saving** is its own items of
the `from` presentation in the year times that saving per item (0 when the switch saves
nothing), rounded to the penny: what the bulletin says it would have saved by switching every
item. Money is Decimal throughout.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

PENNY = Decimal("0.01")
Polarity = Literal["decrease", "increase"]


def to_penny(amount: Decimal) -> Decimal:
    return amount.quantize(PENNY, rounding=ROUND_HALF_UP)


def year_months(year_start: int) -> tuple[dt.date, dt.date]:
    """First dispensing month of the financial year and the first month after it."""
    return dt.date(year_start, 4, 1), dt.date(year_start + 1, 4, 1)


def _in_year(p: ir.Table, year_start: int) -> ir.Table:
    lo, hi = year_months(year_start)
    return p.filter(
        p.month >= ibis.literal(lo, type="date"), p.month < ibis.literal(hi, type="date")
    )


def _prefixed(column: ir.StringValue, prefixes: Sequence[str]) -> ir.BooleanValue:
    clean = column.replace(".", "")
    condition: ir.BooleanValue = ibis.literal(False)
    for prefix in prefixes:
        condition = condition | clean.startswith(prefix)
    return condition


def measure_items(
    prescribing: ir.Table,
    year_start: int,
    bnf_prefixes: Sequence[str],
    exclude: Sequence[str] = (),
) -> ir.Table:
    """Items in the financial year whose BNF code starts with one of `bnf_prefixes` (minus
    `exclude`), per practice: gp_practice_code, items."""
    p = _in_year(prescribing, year_start)
    p = p.filter(_prefixed(p.bnf_code, bnf_prefixes))
    if exclude:
        p = p.filter(~_prefixed(p.bnf_code, exclude))
    return p.group_by("gp_practice_code").aggregate(items=p["items"].sum().cast("int64"))


def presentation_totals(
    prescribing: ir.Table, year_start: int, bnf_codes: Sequence[str]
) -> ir.Table:
    """Items and actual cost in the financial year per practice of the given BNF
    presentations: gp_practice_code, bnf_code, items, actual_cost."""
    p = _in_year(prescribing, year_start)
    p = p.filter(p.bnf_code.isin(list(bnf_codes)))
    return p.group_by(["gp_practice_code", "bnf_code"]).aggregate(
        items=p["items"].sum().cast("int64"), actual_cost=p.actual_cost.sum()
    )


# --- targets, achievement and payment --------------------------------------------------------


@dataclass(frozen=True)
class Target:
    practice: str
    indicator: str
    target_value: float
    payment_per_patient: Decimal


@dataclass(frozen=True)
class Achievement:
    practice: str
    indicator: str
    numerator: int
    denominator: int
    value: float | None  # in the measure's unit; None without denominator items
    target_value: float
    met: bool | None
    list_size: int
    payment: Decimal


def achievement(
    target: Target,
    numerator: int,
    denominator: int,
    list_size: int,
    *,
    multiplier: float = 100.0,
    polarity: Polarity = "decrease",
) -> Achievement:
    """One practice's achievement of one target over the year, and what it earns."""
    if denominator > 0:
        exact = Fraction(numerator) * Fraction(repr(multiplier)) / denominator
        goal = Fraction(repr(target.target_value))
        met: bool | None = exact <= goal if polarity == "decrease" else exact >= goal
        value: float | None = float(exact)
    else:
        met, value = None, None
    payment = to_penny(target.payment_per_patient * list_size) if met else Decimal("0.00")
    return Achievement(
        target.practice,
        target.indicator,
        numerator,
        denominator,
        value,
        target.target_value,
        met,
        list_size,
        payment,
    )


def list_size_at_year_end(series: Sequence[tuple[dt.date, int]], year_start: int) -> int:
    """Registered patients on the latest quarter starting by 1 March of the scheme year, from a
    practice's (quarter start, patients) in date order; 0 when none is known by then."""
    last = dt.date(year_start + 1, 3, 1)
    known = [n for q, n in series if q <= last]
    return known[-1] if known else 0


def practice_payments(achievements: Iterable[Achievement]) -> dict[str, Decimal]:
    """The scheme's payment per practice: the sum over its targets."""
    out: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for a in achievements:
        out[a.practice] += a.payment
    return dict(out)


# --- switch list ("Good Buys") ---------------------------------------------------------------


@dataclass(frozen=True)
class Switch:
    from_code: str
    from_name: str
    to_code: str
    to_name: str
    note: str = ""


@dataclass(frozen=True)
class SwitchSaving:
    switch: Switch
    from_cost_per_item: Decimal | None
    to_cost_per_item: Decimal | None
    saving_per_item: Decimal | None  # None when either price is unknown this year


@dataclass(frozen=True)
class PracticeSwitch:
    practice: str
    from_code: str
    to_code: str
    from_items: int
    potential_saving: Decimal


def _cost_per_item(items: int, cost: Decimal) -> Decimal | None:
    return cost / items if items > 0 else None


def switch_savings(
    switches: Sequence[Switch], rows: Iterable[Mapping[str, Any]]
) -> tuple[list[SwitchSaving], list[PracticeSwitch]]:
    """The saving per item of each switch (the PCT's own costs) and each practice's potential
    saving, from `presentation_totals` rows of the PCT's practices."""
    items: dict[tuple[str, str], int] = defaultdict(int)
    pct_items: dict[str, int] = defaultdict(int)
    pct_cost: dict[str, Decimal] = defaultdict(Decimal)
    practices: set[str] = set()
    for r in rows:
        code, practice = str(r["bnf_code"]), str(r["gp_practice_code"])
        n, cost = int(r["items"]), Decimal(str(r["actual_cost"]))
        items[(practice, code)] += n
        pct_items[code] += n
        pct_cost[code] += cost
        practices.add(practice)
    savings: list[SwitchSaving] = []
    per_practice: list[PracticeSwitch] = []
    for s in switches:
        c_from = _cost_per_item(pct_items[s.from_code], pct_cost[s.from_code])
        c_to = _cost_per_item(pct_items[s.to_code], pct_cost[s.to_code])
        saving = None if c_from is None or c_to is None else c_from - c_to
        savings.append(SwitchSaving(s, c_from, c_to, saving))
        for practice in sorted(practices):
            n = items.get((practice, s.from_code), 0)
            amount = to_penny(n * saving) if saving is not None and saving > 0 else Decimal("0.00")
            per_practice.append(PracticeSwitch(practice, s.from_code, s.to_code, n, amount))
    return savings, per_practice


__all__ = [
    "Achievement",
    "PracticeSwitch",
    "Switch",
    "SwitchSaving",
    "Target",
    "achievement",
    "list_size_at_year_end",
    "measure_items",
    "practice_payments",
    "presentation_totals",
    "switch_savings",
    "year_months",
]
