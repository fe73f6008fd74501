"""Monthly statements: budget, month actual, year to date against profiled budget, forecast outturn.

A statement is built from one `LineInput` per budget line at any level (practice, locality,
PCT); a locality's inputs are the sums of its practices' (`combine`), so budgets and actuals
reconcile exactly up the hierarchy. Forecasts are made on the level's own series (a locality's
forecast is not the sum of its practices' forecasts: summed series are steadier).

Signs: variance = actual − budget, so a positive variance is an overspend (the Dacorum plan's
"forecast overspend £998k (0.8%)"); percentages are of the budget.

Underlying position: non-recurrent items are left out ("not to use a non-recurring income to
offset a recurring debt"). The forecast is made on recurrent spend; non-recurrent spend is added
as it happened (it is not extrapolated). Underlying variance = recurrent forecast − recurrent
budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from pbc.analytics.finance.forecast import METHODS, Backtest, backtest, best_method, forecast
from pbc.analytics.finance.lines import BudgetLine
from pbc.analytics.finance.money import ZERO

TOTAL = "total"


def _zeros() -> list[Decimal]:
    return [ZERO] * 12


@dataclass(frozen=True)
class LineInput:
    line: str
    budget_months: list[Decimal]  # profiled budget, April..March (sums to the annual budget)
    recurrent_budget: Decimal
    actual: list[Decimal]  # recurrent spend by month (months after the report month ignored)
    nonrecurrent_actual: list[Decimal] = field(default_factory=_zeros)
    last_year: list[Decimal] | None = None  # last year's spend by month, for backtests
    year_before: list[Decimal] | None = None
    estimated: frozenset[int] = frozenset()  # month numbers (1 = April) that are estimates


def _add(a: Sequence[Decimal] | None, b: Sequence[Decimal] | None) -> list[Decimal] | None:
    if a is None or b is None:
        return None
    return [x + y for x, y in zip(a, b, strict=True)]


def combine(inputs: Sequence[LineInput], line: str | None = None) -> LineInput:
    """The sum of several inputs (practices of a locality, or lines into a total)."""
    if not inputs:
        raise ValueError("nothing to combine")
    first = inputs[0]
    result = LineInput(
        line=line or first.line,
        budget_months=list(first.budget_months),
        recurrent_budget=first.recurrent_budget,
        actual=list(first.actual),
        nonrecurrent_actual=list(first.nonrecurrent_actual),
        last_year=None if first.last_year is None else list(first.last_year),
        year_before=None if first.year_before is None else list(first.year_before),
        estimated=first.estimated,
    )
    for other in inputs[1:]:
        result = LineInput(
            line=result.line,
            budget_months=_add(result.budget_months, other.budget_months) or [],
            recurrent_budget=result.recurrent_budget + other.recurrent_budget,
            actual=_add(result.actual, other.actual) or [],
            nonrecurrent_actual=_add(result.nonrecurrent_actual, other.nonrecurrent_actual) or [],
            last_year=_add(result.last_year, other.last_year),
            year_before=_add(result.year_before, other.year_before),
            estimated=result.estimated | other.estimated,
        )
    return result


@dataclass(frozen=True)
class MethodForecast:
    method: str
    outturn: Decimal
    variance: Decimal
    backtest: Backtest | None


@dataclass(frozen=True)
class LineStatement:
    line: str
    month_number: int
    annual_budget: Decimal
    recurrent_budget: Decimal
    month_budget: Decimal
    month_actual: Decimal
    ytd_budget: Decimal
    ytd_actual: Decimal
    ytd_variance: Decimal
    forecasts: dict[str, MethodForecast]
    method: str
    forecast_outturn: Decimal
    forecast_variance: Decimal
    underlying_outturn: Decimal
    underlying_variance: Decimal
    estimated_months: tuple[int, ...]
    budget_months: tuple[Decimal, ...]
    actual_months: tuple[Decimal, ...]  # months 1..m, recurrent + non-recurrent

    @property
    def label(self) -> str:
        return "Total" if self.line == TOTAL else BudgetLine(self.line).label

    @property
    def ytd_variance_percent(self) -> Decimal | None:
        return _pct(self.ytd_variance, self.ytd_budget)

    @property
    def forecast_variance_percent(self) -> Decimal | None:
        return _pct(self.forecast_variance, self.annual_budget)

    @property
    def forecast_range(self) -> tuple[Decimal, Decimal]:
        values = [f.outturn for f in self.forecasts.values()]
        return min(values), max(values)

    @property
    def cumulative_budget(self) -> list[Decimal]:
        return _cumulative(self.budget_months)

    @property
    def cumulative_actual(self) -> list[Decimal]:
        return _cumulative(self.actual_months)


def _pct(amount: Decimal, base: Decimal) -> Decimal | None:
    """amount as a % of base, rounded once, half-up, to 0.1 (not via the penny: 0.851 → 0.9)."""
    return (amount * 100 / base).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if base else None


def _cumulative(values: Sequence[Decimal]) -> list[Decimal]:
    out, running = [], ZERO
    for v in values:
        running += v
        out.append(running)
    return out


def line_statement(data: LineInput, m: int) -> LineStatement:
    """The statement of one line (or a total) at month `m` (1 = April ... 12 = March)."""
    annual = sum(data.budget_months, ZERO)
    nonrec_ytd = sum(data.nonrecurrent_actual[:m], ZERO)
    actual_months = [
        a + n for a, n in zip(data.actual[:m], data.nonrecurrent_actual[:m], strict=True)
    ]
    ytd_actual = sum(actual_months, ZERO)
    ytd_budget = sum(data.budget_months[:m], ZERO)
    forecasts: dict[str, MethodForecast] = {}
    recurrent_forecasts: dict[str, Decimal] = {}
    for method in METHODS:
        value = forecast(method, data.actual, m, data.last_year)
        if value is None:
            continue
        recurrent_forecasts[method] = value
        outturn = value + nonrec_ytd
        forecasts[method] = MethodForecast(
            method,
            outturn,
            outturn - annual,
            backtest(method, m, data.last_year, data.year_before),
        )
    chosen = best_method({k: f.backtest for k, f in forecasts.items()}, set(forecasts))
    outturn = forecasts[chosen].outturn
    return LineStatement(
        line=data.line,
        month_number=m,
        annual_budget=annual,
        recurrent_budget=data.recurrent_budget,
        month_budget=data.budget_months[m - 1],
        month_actual=actual_months[m - 1],
        ytd_budget=ytd_budget,
        ytd_actual=ytd_actual,
        ytd_variance=ytd_actual - ytd_budget,
        forecasts=forecasts,
        method=chosen,
        forecast_outturn=outturn,
        forecast_variance=outturn - annual,
        underlying_outturn=recurrent_forecasts[chosen],
        underlying_variance=recurrent_forecasts[chosen] - data.recurrent_budget,
        estimated_months=tuple(sorted(i for i in data.estimated if i <= m)),
        budget_months=tuple(data.budget_months),
        actual_months=tuple(actual_months),
    )


def total_statement(lines: Sequence[LineStatement], m: int) -> LineStatement:
    """The total of a statement: sums of the lines, each method's forecast summed over the lines
    (a line without that method contributes its chosen forecast), backtests likewise."""
    forecasts: dict[str, MethodForecast] = {}
    annual = sum((s.annual_budget for s in lines), ZERO)
    for method in METHODS:
        outturn = ZERO
        bt_forecast, bt_actual, bt_ok = ZERO, ZERO, True
        for s in lines:
            f = s.forecasts.get(method) or s.forecasts[s.method]
            outturn += f.outturn
            if f.backtest is None:
                bt_ok = False
            else:
                bt_forecast += f.backtest.forecast
                bt_actual += f.backtest.actual
        bt = Backtest.of(bt_forecast, bt_actual) if bt_ok and lines else None
        forecasts[method] = MethodForecast(method, outturn, outturn - annual, bt)
    # The headline is the sum of each line's chosen forecast; its backtest likewise.
    chosen_bts = [s.forecasts[s.method].backtest for s in lines]
    headline_bt = (
        Backtest.of(
            sum((b.forecast for b in chosen_bts if b), ZERO),
            sum((b.actual for b in chosen_bts if b), ZERO),
        )
        if lines and all(chosen_bts)
        else None
    )
    outturn = sum((s.forecast_outturn for s in lines), ZERO)
    forecasts["chosen"] = MethodForecast("chosen", outturn, outturn - annual, headline_bt)
    underlying = sum((s.underlying_outturn for s in lines), ZERO)
    recurrent_budget = sum((s.recurrent_budget for s in lines), ZERO)
    budget_months = [sum((s.budget_months[i] for s in lines), ZERO) for i in range(12)]
    actual_months = [sum((s.actual_months[i] for s in lines), ZERO) for i in range(m)]
    return LineStatement(
        line=TOTAL,
        month_number=m,
        annual_budget=annual,
        recurrent_budget=recurrent_budget,
        month_budget=budget_months[m - 1],
        month_actual=actual_months[m - 1],
        ytd_budget=sum(budget_months[:m], ZERO),
        ytd_actual=sum(actual_months, ZERO),
        ytd_variance=sum(actual_months, ZERO) - sum(budget_months[:m], ZERO),
        forecasts=forecasts,
        method="chosen",
        forecast_outturn=outturn,
        forecast_variance=outturn - annual,
        underlying_outturn=underlying,
        underlying_variance=underlying - recurrent_budget,
        estimated_months=tuple(sorted({i for s in lines for i in s.estimated_months})),
        budget_months=tuple(budget_months),
        actual_months=tuple(actual_months),
    )


@dataclass(frozen=True)
class Statement:
    month_number: int
    lines: list[LineStatement]
    total: LineStatement

    def line(self, name: str) -> LineStatement:
        return next(s for s in self.lines if s.line == name)


def build(inputs: Sequence[LineInput], m: int) -> Statement:
    lines = [line_statement(i, m) for i in inputs]
    return Statement(m, lines, total_statement(lines, m))
