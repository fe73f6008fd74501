"""Money in the warehouse: DECIMAL(14, 2), rounded half-up to the penny at the row.

The rule: every money value is computed in DECIMAL arithmetic (never floating point) and
rounded once per row to two decimal places, half away from zero (Python's
`decimal.ROUND_HALF_UP`: 0.125 -> 0.13, -0.125 -> -0.13). Totals are sums of rounded row values
and so are exact. DuckDB's and Spark's ROUND on DECIMAL both round half away from zero, so the
same Ibis expression gives identical totals on both engines (tests/warehouse/test_engines.py).

Use `money_product(price, mff)` for money times a factor, `round_money(expr)` for any other
DECIMAL expression, and `round_money_py` for the same rule on a Python value. (Ibis refuses to
multiply decimals of different scales, so `money_product` first widens both to DECIMAL(20, 6):
exact for a DECIMAL(14, 2) amount times a DECIMAL(6, 4) factor on both engines.)
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from pbc.warehouse.schema import MONEY_PRECISION, MONEY_SCALE

MONEY = dt.Decimal(MONEY_PRECISION, MONEY_SCALE)
PENNY = Decimal("0.01")
# Wide enough for a money value times a factor (14,2 x 6,4 -> 20,6) without losing digits.
_WORKING = dt.Decimal(38, 10)
_FACTOR = dt.Decimal(20, 6)


def round_money(expr: ir.NumericValue) -> ir.DecimalValue:
    """DECIMAL(14, 2) half-up at the row, on any engine. Refuses floating-point input."""
    if not expr.type().is_decimal() and not expr.type().is_integer():
        raise TypeError(f"money must be computed in DECIMAL, not {expr.type()}")
    return expr.cast(_WORKING).round(MONEY_SCALE).cast(MONEY)


def money_product(amount: ir.NumericValue, factor: ir.NumericValue) -> ir.DecimalValue:
    """amount x factor, computed exactly in DECIMAL and rounded half-up to the penny."""
    for value in (amount, factor):
        if not value.type().is_decimal() and not value.type().is_integer():
            raise TypeError(f"money must be computed in DECIMAL, not {value.type()}")
    return round_money(amount.cast(_FACTOR) * factor.cast(_FACTOR))


def round_money_py(value: Decimal | int | str) -> Decimal:
    """The same rule in Python: Decimal rounded half-up to the penny."""
    return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP)
