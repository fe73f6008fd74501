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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from pbc.analytics.costing import MONEY
from pbc.analytics.finance.money import ZERO, round_money
from pbc.analytics.finance.periods import add_months
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
        return p.group_by(["gp_practice_code", "bnf_code"]).aggregate(
            **{f"cost{suffix}": p.actual_cost.sum().cast(MONEY), f"qty{suffix}": p.quantity.sum()}
        )

    now = period(this_year, "_now")
    base = period(last_year, "_base")
    base = base.rename(practice_base="gp_practice_code", bnf_base="bnf_code")
    joined = now.outer_join(
        base,
        [now.gp_practice_code == base.practice_base, now.bnf_code == base.bnf_base],
    )
    zero = ibis.literal(0).cast(MONEY)
    cost_now = joined.cost_now.fill_null(zero)
    cost_base = joined.cost_base.fill_null(zero)
    ratio = (joined.qty_now.fill_null(0) / joined.qty_base).cast("decimal(20, 6)")
    repriced = ibis.cases(
        (joined.cost_base.isnull() | (joined.qty_base.fill_null(0) == 0), cost_now),
        else_=round_money_expr(cost_base.cast("decimal(20, 6)") * ratio),
    )
    rows = joined.select(
        gp_practice_code=joined.gp_practice_code.fill_null(joined.practice_base),
        cost_now=cost_now,
        cost_base=cost_base,
        at_base_prices=repriced.cast(MONEY),
    )
    out = rows.group_by("gp_practice_code").aggregate(
        cost_now=rows.cost_now.sum().cast(MONEY),
        cost_base=rows.cost_base.sum().cast(MONEY),
        at_base_prices=rows.at_base_prices.sum().cast(MONEY),
    )
    return out.mutate(
        volume_effect=(out.at_base_prices - out.cost_base).cast(MONEY),
        price_effect=(out.cost_now - out.at_base_prices).cast(MONEY),
    )
