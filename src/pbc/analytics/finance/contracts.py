"""Provider contracts: plan against actual, and what a block contract costs each practice.

Contract types (the Dacorum plan's vocabulary):

- payment by results (`pbr`): each invoiced row is charged at what the provider charged;
- cost per case (`cost_per_case`): likewise, at the locally agreed price the provider charged;
- any willing provider (`awp`): cost per case with no activity guarantee (plan is indicative);
- block (`block`): a fixed annual value, charged to budgets at that value — one twelfth a month,
  shared among the commissioning PCT's practices in proportion to their registered patients —
  whatever the activity. The provider's invoiced rows are then *not* charged (they remain visible
  as activity against the plan).

A contract is made of lines (`LineTerms`), each in force from a date up to (not including) an
end date and covering either one specialty (treatment function) or all of the provider's
activity that no line of its own names. A variation ends lines and adds others from a date, so
a block can end on 1 October and cost per case take over (`line_for`: the line an activity row
falls under in its month). A block line charges a twelfth of its annual value for each month of
the contract year it is in force (`block_charges_to` with `starts` and `ends`), so ending it
changes the charges from that month only.

Plan against actual compares, for any grouping of (provider, point of delivery, treatment
function, month), planned activity and value with actual activity and charged value. A contract
plan is held at provider level; a practice's or locality's share of it is the plan apportioned by
weighted population (hospital activity weighting), which is how a PCT sets practice activity
plans when it has no better basis (`apportion_plan`: each plan row split by the practices'
shares of the PCT's hospital-activity weighted population, value to the penny and activity in
whole spells by largest remainder, so practice shares sum to the locality and to the contract).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Protocol, TypeVar

import ibis.expr.types as ir

from pbc.analytics.finance.money import ZERO, apportion
from pbc.periods import add_months

KINDS = ("pbr", "block", "cost_per_case", "awp")


@dataclass(frozen=True)
class PlanRow:
    provider: str
    month: str  # 'YYYY-MM'
    point_of_delivery: str
    treatment_function: str
    activity: int
    value: Decimal


@dataclass(frozen=True)
class ActualRow:
    provider: str
    month: str
    point_of_delivery: str
    treatment_function: str
    activity: int
    value: Decimal


@dataclass(frozen=True)
class ShareRow:
    """Plan or actual of one practice (in its locality) for a provider's contract."""

    provider: str
    practice: str
    locality: str
    month: str
    point_of_delivery: str
    treatment_function: str
    activity: int
    value: Decimal


class Measured(Protocol):
    @property
    def activity(self) -> int: ...

    @property
    def value(self) -> Decimal: ...


@dataclass(frozen=True)
class Comparison:
    key: tuple[str, ...]
    plan_activity: int
    actual_activity: int
    plan_value: Decimal
    actual_value: Decimal

    @property
    def activity_variance(self) -> int:
        return self.actual_activity - self.plan_activity

    @property
    def value_variance(self) -> Decimal:
        return self.actual_value - self.plan_value

    @property
    def activity_variance_percent(self) -> Decimal | None:
        if not self.plan_activity:
            return None
        return (Decimal(self.activity_variance) * 100 / self.plan_activity).quantize(Decimal("0.1"))


def plan_vs_actual(
    plan: Iterable[Measured], actual: Iterable[Measured], by: Sequence[str]
) -> list[Comparison]:
    """Plan and actual summed by the named fields (of provider, month, point_of_delivery,
    treatment_function; and practice, locality for `ShareRow`s), sorted by key."""
    plan_sums: dict[tuple[str, ...], tuple[int, Decimal]] = {}
    actual_sums: dict[tuple[str, ...], tuple[int, Decimal]] = {}
    for rows, sums in ((plan, plan_sums), (actual, actual_sums)):
        for row in rows:
            key = tuple(str(getattr(row, f)) for f in by)
            n, v = sums.get(key, (0, ZERO))
            sums[key] = (n + row.activity, v + row.value)
    out = []
    for key in sorted(set(plan_sums) | set(actual_sums)):
        pn, pv = plan_sums.get(key, (0, ZERO))
        an, av = actual_sums.get(key, (0, ZERO))
        out.append(Comparison(key, pn, an, pv, av))
    return out


@dataclass(frozen=True)
class LineTerms:
    """One line of a contract: its kind (of `KINDS`), the specialty it covers ("" for all
    the provider's activity no other line names), the budget line a block charges, its annual
    value and the dates it is in force (`ends`: the first day it no longer is; None: open)."""

    kind: str
    treatment_function: str
    budget_line: str
    annual_value: Decimal
    starts: dt.date
    ends: dt.date | None = None
    key: int = 0  # the stored line's id

    def in_force(self, month: dt.date) -> bool:
        return self.starts <= month and (self.ends is None or month < self.ends)


def line_for(
    lines: Iterable[LineTerms], month: dt.date, treatment_function: str
) -> LineTerms | None:
    """The line an activity row of `month` and `treatment_function` falls under: of the lines in
    force that month, one naming its specialty before one for all activity, and a block before
    an activity line of the same reach (a block takes its activity whatever else is agreed);
    None when no line is in force (the row is charged as invoiced)."""
    best: tuple[int, int, int] | None = None
    found = None
    for line in lines:
        if not line.in_force(month):
            continue
        if line.treatment_function not in ("", treatment_function):
            continue
        rank = (int(line.treatment_function == ""), int(line.kind != "block"), line.key)
        if best is None or rank < best:
            best, found = rank, line
    return found


def block_monthly_values(annual_value: Decimal) -> list[Decimal]:
    """Twelve monthly charges of a block contract, exact to the penny."""
    return list(apportion(annual_value, dict.fromkeys(range(12), 1)).values())


def block_charges(month_value: Decimal, registered: Mapping[str, int]) -> dict[str, Decimal]:
    """One month's block charge shared among practices by registered patients."""
    return apportion(month_value, dict(registered))


def list_size_by_quarter(list_sizes: ir.Table) -> ir.Table:
    """Registered patients by practice and quarter (gp_practice_code, quarter_start,
    registered): what a block contract's monthly charge is shared by."""
    t = list_sizes
    return t.group_by(["gp_practice_code", "quarter_start"]).aggregate(
        registered=t.registered_patients.sum()
    )


def registered_on(series: Sequence[tuple[dt.date, int]], month: dt.date) -> int:
    """A practice's registered patients in `month`, from its (quarter start, patients) in
    date order: the latest quarter starting by then, else the earliest known, else 0."""
    known = [n for q, n in series if q <= month]
    if known:
        return known[-1]
    return series[0][1] if series else 0


@dataclass(frozen=True)
class BlockCharge:
    practice: str
    month: dt.date
    amount: Decimal


def block_charges_to(
    annual_value: Decimal,
    year_start: dt.date,
    through: dt.date,
    registered: Mapping[str, Sequence[tuple[dt.date, int]]],
    starts: dt.date | None = None,
    ends: dt.date | None = None,
) -> list[BlockCharge]:
    """A block contract's charges to its PCT's practices (the keys of `registered`, each with
    its (quarter start, patients) in date order) for each month of its year from `year_start`
    up to `through` in which the block is in force (from `starts`, before `ends`): a twelfth of
    `annual_value` a month (`block_monthly_values`) shared by the practices' registered
    patients that month (`block_charges`). By month, then practice."""
    out = []
    for i, value in enumerate(block_monthly_values(annual_value)):
        month = add_months(year_start, i)
        if month > through:
            break
        if (starts is not None and month < starts) or (ends is not None and month >= ends):
            continue
        on = {code: registered_on(series, month) for code, series in registered.items()}
        out += [
            BlockCharge(code, month, amount) for code, amount in block_charges(value, on).items()
        ]
    return out


def plan_share(
    plan_value: Decimal, weights: Mapping[str, float | Decimal], practice: str
) -> Decimal:
    """A practice's share of a provider-level plan value (weighted population)."""
    parts = apportion(plan_value, {k: Decimal(str(v)) for k, v in weights.items()})
    return parts.get(practice, ZERO)


K = TypeVar("K", bound=Hashable)


def apportion_count(total: int, weights: Mapping[K, Decimal | int | float]) -> dict[K, int]:
    """Split a whole number (planned spells) in proportion to `weights`: largest remainder,
    ties to the earlier key, parts add up to `total`; all-zero weights split equally."""
    keys = list(weights)
    if not keys:
        return {}
    exact = {k: Fraction(Decimal(str(weights[k]))) for k in keys}
    if any(w < 0 for w in exact.values()):
        raise ValueError("weights must not be negative")
    weight_sum = sum(exact.values(), Fraction(0))
    if weight_sum == 0:
        exact, weight_sum = dict.fromkeys(keys, Fraction(1)), Fraction(len(keys))
    shares = {k: total * exact[k] / weight_sum for k in keys}
    floors = {k: int(shares[k] // 1) for k in keys}
    position = {k: i for i, k in enumerate(keys)}
    order = sorted(keys, key=lambda k: (-(shares[k] - floors[k]), position[k]))
    for k in order[: total - sum(floors.values())]:
        floors[k] += 1
    return floors


def apportion_plan(
    plan: Iterable[PlanRow],
    weights: Mapping[str, Decimal | int | float],
    locality_of: Mapping[str, str],
) -> list[ShareRow]:
    """A provider-level contract plan shared among the commissioning PCT's practices.

    Each plan row (month x point of delivery x specialty) is split by the practices' weighted
    populations (`weights`: practice code -> hospital-activity weighted list size): value
    exactly to the penny, activity in whole spells, each by largest remainder, so the practice
    shares of every row add up to the row and the locality shares are the sums of their
    practices'.
    """
    ordered = {code: weights[code] for code in sorted(weights)}
    out = []
    for row in plan:
        values = apportion(row.value, {k: Decimal(str(w)) for k, w in ordered.items()})
        counts = apportion_count(row.activity, ordered)
        for code in ordered:
            out.append(
                ShareRow(
                    row.provider,
                    code,
                    locality_of.get(code, ""),
                    row.month,
                    row.point_of_delivery,
                    row.treatment_function,
                    counts[code],
                    values[code],
                )
            )
    return out
