"""Money in plain Python: Decimal pounds, integer pennies, and exact apportionment.

`apportion(total, weights)` splits an amount in pennies by weights so that the parts add up to
the total exactly (largest remainder; ties go to the earlier key). Every budget, profile and
block-contract share is split this way, which is why practice budgets sum to the locality and
PCT to the penny.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TypeVar

PENNY = Decimal("0.01")
ZERO = Decimal("0.00")

K = TypeVar("K", bound=Hashable)


def pennies(amount: Decimal | int | str) -> int:
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def pounds(pence: int) -> Decimal:
    return (Decimal(pence) / 100).quantize(PENNY)


def round_money(value: Decimal | Fraction | int) -> Decimal:
    """Half-up to the penny (the warehouse's rule)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP)


def apportion(
    total: Decimal, weights: Mapping[K, Decimal | int | float | Fraction]
) -> dict[K, Decimal]:
    """Split `total` (pounds) in proportion to `weights`, exactly to the penny.

    All-zero weights split equally. Weights must not be negative.
    """
    keys = list(weights)
    if not keys:
        return {}
    exact = {k: Fraction(weights[k]) for k in keys}
    if any(w < 0 for w in exact.values()):
        raise ValueError("weights must not be negative")
    weight_sum = sum(exact.values(), Fraction(0))
    if weight_sum == 0:
        exact = dict.fromkeys(keys, Fraction(1))
        weight_sum = Fraction(len(keys))
    total_p = pennies(total)
    shares = {k: Fraction(total_p) * exact[k] / weight_sum for k in keys}
    floors = {k: int(shares[k] // 1) for k in keys}
    left = total_p - sum(floors.values())
    position = {k: i for i, k in enumerate(keys)}
    order = sorted(keys, key=lambda k: (-(shares[k] - floors[k]), position[k]))
    for k in order[:left]:
        floors[k] += 1
    return {k: pounds(floors[k]) for k in keys}
