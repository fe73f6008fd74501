"""Forecast outturn for a financial year from the months seen so far, and each method's backtest.

Methods (months 1..m of the year are known, m ≥ 1):

- `run_rate`: year-to-date ÷ m × 12;
- `seasonal`: year-to-date × (last year's total ÷ last year's first m months): this year follows
  last year's monthly shape (needs last year's series);
- `trend`: a least-squares straight line through the m monthly values, extended to month 12;
  outturn = year-to-date + the line's values for the remaining months (with one month, the run
  rate).

The backtest runs the same method on last year's series as if it were month m of last year
(`seasonal` then needs the year before) and compares it with last year's actual outturn:
error = forecast − actual, in £ and %. The user sees which method would have been right a year
ago, and the statement picks the one with the smallest absolute backtest error (run rate when
there is no history). All arithmetic is exact (fractions), rounded half-up to the penny at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from pbc.analytics.finance.money import round_money

METHODS = ("run_rate", "seasonal", "trend")
METHOD_LABELS = {
    "run_rate": "Run rate",
    "seasonal": "Last year's seasonal profile",
    "trend": "Linear trend",
}


def _f(values: Sequence[Decimal]) -> list[Fraction]:
    return [Fraction(v) for v in values]


def forecast(
    method: str, months: Sequence[Decimal], m: int, last_year: Sequence[Decimal] | None = None
) -> Decimal | None:
    """Outturn forecast for the year from the first `m` of `months` (None when it cannot run)."""
    if not 1 <= m <= 12:
        raise ValueError("m is the number of months known, 1 to 12")
    y = _f(months[:m])
    if len(y) < m:
        raise ValueError(f"{m} months needed, {len(y)} given")
    ytd = sum(y, Fraction(0))
    if m == 12:
        return round_money(ytd)
    if method == "run_rate":
        return round_money(ytd / m * 12)
    if method == "seasonal":
        if last_year is None or len(last_year) != 12:
            return None
        ly = _f(last_year)
        ly_ytd = sum(ly[:m], Fraction(0))
        if ly_ytd <= 0:
            return None
        return round_money(ytd * sum(ly, Fraction(0)) / ly_ytd)
    if method == "trend":
        if m == 1:
            return round_money(ytd * 12)
        xs = list(range(1, m + 1))
        x_mean = Fraction(sum(xs), m)
        y_mean = ytd / m
        sxx = sum(((Fraction(x) - x_mean) * (Fraction(x) - x_mean) for x in xs), Fraction(0))
        sxy = sum(
            ((Fraction(x) - x_mean) * (v - y_mean) for x, v in zip(xs, y, strict=True)), Fraction(0)
        )
        slope = sxy / sxx
        intercept = y_mean - slope * x_mean
        rest = sum((intercept + slope * x for x in range(m + 1, 13)), Fraction(0))
        return round_money(ytd + rest)
    raise ValueError(f"unknown forecast method {method!r}")


@dataclass(frozen=True)
class Backtest:
    """The method run on last year at the same month, against last year's actual outturn."""

    forecast: Decimal
    actual: Decimal
    error: Decimal  # forecast − actual
    error_percent: Decimal | None

    @classmethod
    def of(cls, predicted: Decimal, actual: Decimal) -> Backtest:
        error = predicted - actual
        pct = round_money(error / actual * 100) if actual else None
        return cls(predicted, actual, error, pct)


def backtest(
    method: str,
    m: int,
    last_year: Sequence[Decimal] | None,
    year_before: Sequence[Decimal] | None = None,
) -> Backtest | None:
    if last_year is None or len(last_year) != 12:
        return None
    predicted = forecast(method, last_year, m, year_before)
    if predicted is None:
        return None
    return Backtest.of(predicted, round_money(sum(last_year, Decimal(0))))


def best_method(backtests: dict[str, Backtest | None], available: set[str]) -> str:
    """The method with the smallest absolute backtest error; run rate without any history."""
    scored = [
        (abs(b.error), METHODS.index(name), name)
        for name, b in backtests.items()
        if b is not None and name in available
    ]
    if not scored:
        return "run_rate"
    return min(scored)[2]
