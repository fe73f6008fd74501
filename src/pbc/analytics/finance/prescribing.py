"""Prescribing: months actual or estimated, estimates for missing months, price and volume.

Prescribing data (ePACT) arrives about two months after the dispensing month. At month-end for
month M, months up to M − lag that have data are *actual*; later months of the year to date are
*estimated* at the average of the last three actual months (a PCT prescribing adviser's usual
estimate). The lag is a dated setting; the statement marks each month.

Price and volume (the Dacorum plan: spend "influenced by drug price changes"): comparing this
year's actual months with the same months last year, by BNF presentation,

    at last year's prices = Σ round(last year's cost × this year's quantity ÷ last year's quantity)
    volume effect         = at last year's prices − last year's cost
    price effect          = this year's cost − at last year's prices

so volume + price = the change in spend, exactly. A presentation new this year is all volume; a
presentation no longer prescribed is a volume fall.

Statements split the prescribing variance on the months whose data has arrived (`PriceVolume`,
built from `price_volume_by_month`: each actual month against the same month last year):

    variance (actual − budget, those months) = (last year's cost − budget)   "budget setting"
                                              + volume effect + price effect

so the three parts add up to the variance to the penny; estimated months are left out (they
have no quantities to split).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from pbc.analytics.costing import MONEY
from pbc.analytics.finance.money import ZERO, round_money
from pbc.analytics.periods import month_index
from pbc.periods import add_months
from pbc.warehouse.money import round_money as round_money_expr

ESTIMATE_FROM_MONTHS = 3


def actual_months(
    months: Sequence[dt.date], report_month: dt.date, lag: int, present: set[dt.date]
) -> dict[dt.date, bool]:
    """For each month of the year to date: True if actual, False if it must be estimated."""
    cutoff = add_months(report_month, -lag)
    return {m: (m <= cutoff and m in present) for m in months if m <= report_month}


def estimate(actuals: Mapping[dt.date, Decimal], month: dt.date) -> Decimal:
    """The average of the last three actual months before `month` (0 with none)."""
    earlier = sorted(m for m in actuals if m < month)[-ESTIMATE_FROM_MONTHS:]
    if not earlier:
        return ZERO
    return round_money(sum((actuals[m] for m in earlier), ZERO) / len(earlier))


@dataclass(frozen=True)
class PrescribingMonth:
    """A practice's prescribing spend for one month: actual (its cost and items), or estimated
    (`estimate`) where the month's data has not arrived or is within the lag."""

    practice: str
    month: dt.date
    cost: Decimal
    items: int | None  # None when estimated
    estimated: bool


def prescribing_spend(
    actual: Mapping[str, Mapping[dt.date, tuple[Decimal, int]]],
    months: Sequence[dt.date],
    report_month: dt.date,
    lag: int,
) -> list[PrescribingMonth]:
    """Each practice's prescribing spend for the year to date, from its actual (cost, items)
    by month (any months of this and earlier years): every month `actual_months` counts as
    actual (earlier years' months always), in date order, then an estimate from the actual
    months before it for each month of `months` (the year to date) that is not."""
    out = []
    for practice, by_month in actual.items():
        marks = actual_months(months, report_month, lag, set(by_month))
        costs = {m: cost for m, (cost, _) in by_month.items() if marks.get(m, True)}
        for m, (cost, items) in sorted(by_month.items()):
            if marks.get(m, True):
                out.append(PrescribingMonth(practice, m, cost, items, estimated=False))
        for m, is_actual in marks.items():
            if not is_actual:
                out.append(PrescribingMonth(practice, m, estimate(costs, m), None, estimated=True))
    return out


@dataclass(frozen=True)
class PriceVolume:
    """The prescribing variance on the actual months covered, split (see the module notes)."""

    months: tuple[int, ...]  # month numbers (1 = April) covered
    cost: Decimal  # actual cost this year, those months
    cost_last_year: Decimal  # the same months last year
    at_last_year_prices: Decimal  # this year's quantities at last year's prices
    budget: Decimal  # the budget of those months

    @property
    def change(self) -> Decimal:
        return self.cost - self.cost_last_year

    @property
    def volume_effect(self) -> Decimal:
        return self.at_last_year_prices - self.cost_last_year

    @property
    def price_effect(self) -> Decimal:
        return self.cost - self.at_last_year_prices

    @property
    def variance(self) -> Decimal:
        return self.cost - self.budget

    @property
    def budget_effect(self) -> Decimal:
        """Last year's cost against this year's budget, the same months (+: budget below it)."""
        return self.cost_last_year - self.budget

    @classmethod
    def of_months(
        cls,
        months: Mapping[int, tuple[Decimal, Decimal, Decimal]],
        budget_months: Sequence[Decimal],
    ) -> PriceVolume:
        """From month number → (cost, cost last year, at last year's prices) and the profiled
        budget (April..March)."""
        keys = tuple(sorted(months))
        return cls(
            keys,
            sum((months[k][0] for k in keys), ZERO),
            sum((months[k][1] for k in keys), ZERO),
            sum((months[k][2] for k in keys), ZERO),
            sum((budget_months[k - 1] for k in keys), ZERO),
        )

    @classmethod
    def total(cls, parts: Iterable[PriceVolume]) -> PriceVolume:
        """Several practices' splits added up (each over its own actual months)."""
        items = list(parts)
        return cls(
            tuple(sorted({m for p in items for m in p.months})),
            sum((p.cost for p in items), ZERO),
            sum((p.cost_last_year for p in items), ZERO),
            sum((p.at_last_year_prices for p in items), ZERO),
            sum((p.budget for p in items), ZERO),
        )


def _repriced(now: ir.Table, base: ir.Table, keys: Sequence[str]) -> ir.Table:
    """Per row of `now` ⟗ `base` (joined on `keys`): cost now, cost then, now at then's prices."""
    renamed = base.rename(**{f"{k}_base": k for k in keys})
    joined = now.outer_join(renamed, [now[k] == renamed[f"{k}_base"] for k in keys])
    zero = ibis.literal(0).cast(MONEY)
    cost_now = joined.cost_now.fill_null(zero)
    cost_base = joined.cost_base.fill_null(zero)
    ratio = (joined.qty_now.fill_null(0) / joined.qty_base).cast("decimal(20, 6)")
    repriced = ibis.cases(
        (joined.cost_base.isnull() | (joined.qty_base.fill_null(0) == 0), cost_now),
        else_=round_money_expr(cost_base.cast("decimal(20, 6)") * ratio),
    )
    return joined.select(
        **{k: joined[k].fill_null(joined[f"{k}_base"]) for k in keys},
        cost_now=cost_now,
        cost_base=cost_base,
        at_base_prices=repriced.cast(MONEY),
    )


def _effects(rows: ir.Table, by: Sequence[str]) -> ir.Table:
    out = rows.group_by(list(by)).aggregate(
        cost_now=rows.cost_now.sum().cast(MONEY),
        cost_base=rows.cost_base.sum().cast(MONEY),
        at_base_prices=rows.at_base_prices.sum().cast(MONEY),
    )
    return out.mutate(
        volume_effect=(out.at_base_prices - out.cost_base).cast(MONEY),
        price_effect=(out.cost_now - out.at_base_prices).cast(MONEY),
    )


def _by_presentation(p: ir.Table, keys: Sequence[str], suffix: str) -> ir.Table:
    return p.group_by(list(keys)).aggregate(
        **{f"cost{suffix}": p.actual_cost.sum().cast(MONEY), f"qty{suffix}": p.quantity.sum()}
    )


def price_volume(
    prescribing: ir.Table,
    this_year: tuple[dt.date, dt.date],
    last_year: tuple[dt.date, dt.date],
) -> ir.Table:
    """Per practice: cost this year and last year, at last year's prices, volume and price effects."""

    def period(bounds: tuple[dt.date, dt.date], suffix: str) -> ir.Table:
        p = prescribing.filter(
            prescribing.month.between(ibis.date(bounds[0]), ibis.date(bounds[1]))
        )
        return _by_presentation(p, ["gp_practice_code", "bnf_code"], suffix)

    keys = ["gp_practice_code", "bnf_code"]
    rows = _repriced(period(this_year, "_now"), period(last_year, "_base"), keys)
    return _effects(rows, ["gp_practice_code"])


def price_volume_by_month(prescribing: ir.Table, start: dt.date, end: dt.date) -> ir.Table:
    """Per practice and month of [start, end]: that month against the same month a year earlier,
    as `price_volume` does for a period (by BNF presentation), with the month (its first day).

    Sums over months stay exact (volume + price = the change, month by month), so a statement
    adds up the months it covers. Only (practice, month) pairs with prescribing this year are
    returned; a presentation prescribed only last year is a volume fall in its month."""

    p = prescribing
    now = p.filter(p.month.between(ibis.date(start), ibis.date(end)))
    base = p.filter(
        p.month.between(ibis.date(add_months(start, -12)), ibis.date(add_months(end, -12)))
    )
    now = now.mutate(month_index=month_index(now.month))
    base = base.mutate(month_index=month_index(base.month) + 12)
    keys = ["gp_practice_code", "bnf_code", "month_index"]
    rows = _repriced(
        _by_presentation(now, keys, "_now"), _by_presentation(base, keys, "_base"), keys
    )
    present = now.select("gp_practice_code", "month_index", "month").distinct()
    out = _effects(rows, ["gp_practice_code", "month_index"])
    out = out.inner_join(present, ["gp_practice_code", "month_index"])
    return out.drop("month_index").order_by(["gp_practice_code", "month"])
