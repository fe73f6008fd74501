"""A contract's quality schedule month by month: each measure's percentage against its threshold
and the money withheld when it falls short. Pure Python, no Django.

- A month's percentage is numerator ÷ denominator × 100 (a return's rows meeting the standard
  over the rows it applies to, or an indicator's numerator and denominator). A month with no
  denominator is *not reported*: nothing is withheld for it, and it is shown as such.
- A month is *met* when its percentage is at least the threshold (compared unrounded).
- A month below the threshold withholds `withheld_percent` of the contract's monthly value
  (annual value ÷ 12, rounded to the penny first; the withheld amount rounded half-up to the
  penny). The money at stake is that amount for each of the year's twelve months.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pbc.analytics.finance.money import ZERO, round_money

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class MonthResult:
    month: dt.date
    numerator: float
    denominator: float
    percent: float | None  # None: not reported
    met: bool | None
    withheld: Decimal


@dataclass(frozen=True)
class MeasureResult:
    name: str
    threshold: Decimal
    withheld_percent: Decimal
    monthly_amount: Decimal  # withheld for one month below the threshold
    months: list[MonthResult]

    @property
    def at_stake(self) -> Decimal:
        """The year's money at stake: every month below the threshold."""
        return self.monthly_amount * 12

    @property
    def withheld(self) -> Decimal:
        return sum((m.withheld for m in self.months), ZERO)

    @property
    def months_met(self) -> int:
        return sum(m.met is True for m in self.months)

    @property
    def months_failed(self) -> int:
        return sum(m.met is False for m in self.months)

    @property
    def months_not_reported(self) -> int:
        return sum(m.met is None for m in self.months)

    @property
    def latest(self) -> MonthResult | None:
        reported = [m for m in self.months if m.met is not None]
        return reported[-1] if reported else None


def monthly_amount(annual_value: Decimal, withheld_percent: Decimal) -> Decimal:
    return round_money(round_money(annual_value / 12) * withheld_percent / HUNDRED)


def assess(
    name: str,
    threshold: Decimal,
    withheld_percent: Decimal,
    annual_value: Decimal,
    months: Sequence[dt.date],
    observed: Mapping[dt.date, tuple[float, float]],
) -> MeasureResult:
    """The measure over `months`, from `observed` (month -> (numerator, denominator))."""
    amount = monthly_amount(annual_value, withheld_percent)
    out = []
    for month in months:
        num, den = observed.get(month, (0.0, 0.0))
        if not den:
            out.append(MonthResult(month, num, den, None, None, ZERO))
            continue
        percent = num / den * 100
        met = Decimal(num) * HUNDRED >= threshold * Decimal(den)
        out.append(MonthResult(month, num, den, percent, met, ZERO if met else amount))
    return MeasureResult(name, threshold, withheld_percent, amount, out)
