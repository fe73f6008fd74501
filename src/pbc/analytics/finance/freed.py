"""Freed-up resources, the net locality position and deficit repayment.

- A practice's forecast underspend is a *saving*; its forecast overspend a *deficit*.
- Freed-up resources: a saving is split between the practice (to reinvest in services through
  an approved business case) and the PCT, by the practice share in force (a dated setting,
  70/30 by default). The practice part is rounded half-up to the penny; the PCT gets the rest.
- The locality's position is the *net* of its practices: overspends offset savings. Only a net
  underspend frees resources for the locality; a net overspend is a deficit to repay, shown
  alongside the savers so a board never reads the savings alone.
- A deficit is repaid in equal instalments over N financial years (pennies spread exactly, the
  earlier years taking any odd penny), starting the year after the one that made it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pbc.analytics.finance.money import ZERO, apportion, round_money
from pbc.periods import FinancialYear

DEFAULT_PRACTICE_SHARE = Decimal("0.70")


@dataclass(frozen=True)
class Position:
    """One practice (or unit)'s forecast against its budget."""

    key: str
    budget: Decimal
    forecast_outturn: Decimal
    underlying_variance: Decimal = ZERO

    @property
    def variance(self) -> Decimal:
        return self.forecast_outturn - self.budget

    @property
    def saving(self) -> Decimal:
        return max(-self.variance, ZERO)

    @property
    def overspend(self) -> Decimal:
        return max(self.variance, ZERO)


@dataclass(frozen=True)
class Split:
    amount: Decimal
    practice_part: Decimal
    pct_part: Decimal


def split(amount: Decimal, practice_share: Decimal = DEFAULT_PRACTICE_SHARE) -> Split:
    if not Decimal(0) <= practice_share <= Decimal(1):
        raise ValueError("the practice share is a fraction between 0 and 1")
    practice_part = round_money(amount * practice_share)
    return Split(amount, practice_part, amount - practice_part)


@dataclass(frozen=True)
class NetPosition:
    positions: list[Position]
    practice_share: Decimal

    @property
    def budget(self) -> Decimal:
        return sum((p.budget for p in self.positions), ZERO)

    @property
    def forecast_outturn(self) -> Decimal:
        return sum((p.forecast_outturn for p in self.positions), ZERO)

    @property
    def savings(self) -> Decimal:
        return sum((p.saving for p in self.positions), ZERO)

    @property
    def overspends(self) -> Decimal:
        return sum((p.overspend for p in self.positions), ZERO)

    @property
    def net_variance(self) -> Decimal:
        """Overspends minus savings (positive: the locality is overspent)."""
        return self.overspends - self.savings

    @property
    def underlying_variance(self) -> Decimal:
        return sum((p.underlying_variance for p in self.positions), ZERO)

    @property
    def freed_up(self) -> Split:
        """What the locality may reinvest: only a net underspend frees resources."""
        return split(max(-self.net_variance, ZERO), self.practice_share)

    @property
    def deficit(self) -> Decimal:
        return max(self.net_variance, ZERO)

    def practice_splits(self) -> dict[str, Split]:
        """Each saver's gross freed-up resources (before the locality nets off overspends)."""
        return {p.key: split(p.saving, self.practice_share) for p in self.positions if p.saving}


def net_position(
    positions: Sequence[Position], practice_share: Decimal = DEFAULT_PRACTICE_SHARE
) -> NetPosition:
    return NetPosition(list(positions), practice_share)


@dataclass(frozen=True)
class Instalment:
    financial_year: str
    amount: Decimal


def repayment_plan(deficit: Decimal, years: int, incurred_in: str) -> list[Instalment]:
    """Equal instalments over `years` financial years after `incurred_in` ('2008/09')."""
    if years < 1:
        raise ValueError("repay over at least one year")
    if deficit <= 0:
        return []
    first = FinancialYear.parse(incurred_in)
    labels = [str(first + k) for k in range(1, years + 1)]
    parts = apportion(deficit, dict.fromkeys(labels, 1))
    return [Instalment(fy, parts[fy]) for fy in labels]


def drawn_against(available: Decimal, commitments: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """(committed, remaining) of freed-up resources after approved business cases."""
    committed = sum(commitments, ZERO)
    return committed, available - committed
