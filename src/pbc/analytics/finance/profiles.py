"""Monthly budget profiles: how an annual budget is spread over April to March.

Most lines are flat (twelfths, exact to the penny). Emergency care (non-elective, A&E) follows
last year's monthly shape at PCT level, so a winter peak is budgeted for rather than reported
as an overspend in January. A shape with no activity or a negative month falls back to flat.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pbc.analytics.finance.lines import EMERGENCY_LINES, BudgetLine
from pbc.analytics.finance.money import apportion


def flat(amount: Decimal) -> list[Decimal]:
    return list(apportion(amount, dict.fromkeys(range(12), 1)).values())


def seasonal(amount: Decimal, shape: Sequence[Decimal] | None) -> list[Decimal]:
    if shape is None or len(shape) != 12 or any(v < 0 for v in shape) or sum(shape) <= 0:
        return flat(amount)
    return list(apportion(amount, {i: shape[i] for i in range(12)}).values())


def profile(
    line: BudgetLine | str, amount: Decimal, shape: Sequence[Decimal] | None
) -> list[Decimal]:
    """The monthly budget of one line: seasonal for emergency lines, flat otherwise."""
    if BudgetLine(line) in EMERGENCY_LINES:
        return seasonal(amount, shape)
    return flat(amount)
