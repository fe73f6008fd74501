"""Finance analytics in plain Python: apportionment, budget methods, profiles, forecasts and
their backtests, statements, freed-up resources and deficit repayment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbc.analytics.finance import budgets, forecast, freed, profiles, statement
from pbc.analytics.finance.money import apportion

D = Decimal


@given(
    st.decimals(min_value=-(10**7), max_value=10**7, places=2),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30),
)
def test_apportion_adds_up_to_the_penny(total: Decimal, weights: list[int]) -> None:
    parts = apportion(total, dict(enumerate(weights)))
    assert sum(parts.values()) == total
    assert all(p == p.quantize(D("0.01")) for p in parts.values())
    if sum(weights):
        for k, w in enumerate(weights):  # within a penny of the exact share
            assert abs(parts[k] - total * w / sum(weights)) <= D("0.01")


def test_budget_methods_share_the_pot_exactly() -> None:
    historic = {"A": D("1000.00"), "B": D("3000.00")}
    up = budgets.historic_uplift(historic, D("0.055"))
    assert up == {"A": D("1055.00"), "B": D("3165.00")}
    assert budgets.per_capita(D("100.00"), {"A": 1, "B": 2}) == {"A": D("33.33"), "B": D("66.67")}
    fair = budgets.weighted_capitation(D("4220.00"), {"A": 3000.5, "B": 3000.5})
    assert fair == {"A": D("2110.00"), "B": D("2110.00")}
    assert budgets.blend(D("4220.00"), up, fair, D("0")) == up
    assert budgets.blend(D("4220.00"), up, fair, D("1")) == fair
    quarter = budgets.blend(D("4220.00"), up, fair, D("0.25"))
    assert quarter == {"A": D("1318.75"), "B": D("2901.25")}  # 1055 + (2110 - 1055) / 4
    assert sum(quarter.values()) == D("4220.00")
    assert budgets.distance_from_fair_share(D("1055.00"), D("2110.00")) == D("-50.00")


def test_profiles_flat_and_seasonal() -> None:
    assert profiles.flat(D("100.00"))[:2] == [D("8.34"), D("8.34")]
    assert sum(profiles.flat(D("100.00"))) == D("100.00")
    shape = [D(1)] * 9 + [D(3)] + [D(1)] * 2  # January three times as busy
    seasonal = profiles.profile("non_elective", D("1400.00"), shape)
    assert seasonal[9] == D("300.00") and seasonal[0] == D("100.00")
    assert profiles.profile("elective", D("1200.00"), shape) == [D("100.00")] * 12
    assert profiles.profile("ae", D("1200.00"), None) == [D("100.00")] * 12


def test_forecast_methods_on_known_series() -> None:
    rising = [D(100 + 10 * i) for i in range(12)]  # 100, 110, ..., 210: total 1860
    assert forecast.forecast("run_rate", rising, 10) == D("1740.00")  # 1450 / 10 x 12
    assert forecast.forecast("trend", rising, 10) == D("1860.00")  # the line is exact
    flat_last_year = [D(100)] * 12
    assert forecast.forecast("seasonal", rising, 10, flat_last_year) == D("1740.00")
    assert forecast.forecast("seasonal", rising, 10, None) is None
    assert forecast.forecast("trend", rising, 1) == D("1200.00")
    assert forecast.forecast("run_rate", rising, 12) == D("1860.00")


def test_backtest_runs_the_method_on_last_year() -> None:
    last_year = [D(100 + 10 * i) for i in range(12)]  # a rising year: run rate undershoots
    bt = forecast.backtest("run_rate", 10, last_year)
    assert bt is not None
    assert (bt.forecast, bt.actual, bt.error, bt.error_percent) == (
        D("1740.00"), D("1860"), D("-120.00"), D("-6.45"),
    )  # fmt: skip
    trend = forecast.backtest("trend", 10, last_year)
    assert trend is not None and trend.error == D("0.00")
    assert forecast.backtest("seasonal", 10, last_year, None) is None
    assert forecast.best_method({"run_rate": bt, "trend": trend}, {"run_rate", "trend"}) == "trend"
    assert forecast.best_method({}, {"run_rate"}) == "run_rate"


def _input(
    line: str, budget: str, actual: list[int], last: list[int] | None
) -> statement.LineInput:
    return statement.LineInput(
        line=line,
        budget_months=profiles.flat(D(budget)),
        recurrent_budget=D(budget),
        actual=[D(a) for a in actual],
        last_year=None if last is None else [D(v) for v in last],
    )


def test_statement_year_to_date_forecast_and_backtest_shown() -> None:
    actual = [100 + 10 * i for i in range(12)]
    last = [90 + 10 * i for i in range(12)]
    s = statement.build(
        [
            _input("elective", "1800.00", actual, last),
            _input("prescribing", "1200.00", [90] * 12, None),
        ],
        10,
    )
    el = s.line("elective")
    assert el.ytd_budget == D("1500.00") and el.ytd_actual == D("1450")
    assert el.ytd_variance == D("-50.00")
    assert el.month_actual == D("190") and el.month_budget == D("150.00")
    assert el.method == "trend"  # last year's backtest error was 0 for the trend
    assert el.forecasts["trend"].backtest is not None
    assert el.forecasts["trend"].backtest.error == D("0.00")
    assert el.forecasts["run_rate"].backtest is not None
    assert el.forecasts["run_rate"].backtest.error == D("-120.00")
    assert el.forecast_outturn == D("1860.00") and el.forecast_variance == D("60.00")
    assert el.forecast_variance_percent == D("3.3")
    pr = s.line("prescribing")
    assert pr.method == "run_rate" and "seasonal" not in pr.forecasts
    assert s.total.annual_budget == D("3000.00")
    assert s.total.ytd_actual == D("2350")
    assert s.total.forecast_outturn == el.forecast_outturn + pr.forecast_outturn
    assert s.total.forecasts["chosen"].backtest is None  # prescribing has no history


def test_combine_reconciles_and_underlying_excludes_non_recurrent() -> None:
    a = _input("elective", "1200.00", [100] * 12, [100] * 12)
    b = statement.LineInput(
        line="elective",
        budget_months=profiles.flat(D("600.00")),
        recurrent_budget=D("500.00"),  # 100 of it non-recurrent
        actual=[D(50)] * 12,
        nonrecurrent_actual=[D(0)] * 9 + [D(120)] + [D(0)] * 2,
        last_year=[D(50)] * 12,
    )
    loc = statement.combine([a, b])
    assert sum(loc.budget_months) == D("1800.00") and loc.recurrent_budget == D("1700.00")
    s = statement.line_statement(loc, 10)
    assert s.ytd_actual == D("1620")  # 150 x 10 + 120 one-off
    assert s.forecast_outturn == D("1920.00")  # 150 x 12 + the one-off, not extrapolated
    assert s.underlying_outturn == D("1800.00")
    assert s.underlying_variance == D("100.00")
    assert s.forecast_variance == D("120.00")


def test_freed_up_split_net_position_and_repayment() -> None:
    positions = [
        freed.Position("A", D("1000.00"), D("900.00")),  # saves 100
        freed.Position("B", D("1000.00"), D("1030.00")),  # overspends 30
        freed.Position("C", D("500.00"), D("499.99")),
    ]
    net = freed.net_position(positions)
    assert net.savings == D("100.01") and net.overspends == D("30.00")
    assert net.net_variance == D("-70.01")
    assert net.freed_up == freed.Split(D("70.01"), D("49.01"), D("21.00"))
    assert net.practice_splits()["A"] == freed.Split(D("100.00"), D("70.00"), D("30.00"))
    assert net.deficit == D("0.00")
    over = freed.net_position([freed.Position("B", D("1000.00"), D("1998.01"))], D("0.5"))
    assert over.deficit == D("998.01") and over.freed_up.amount == D("0.00")
    plan = freed.repayment_plan(over.deficit, 2, "2008/09")
    assert [(i.financial_year, i.amount) for i in plan] == [
        ("2009/10", D("499.01")), ("2010/11", D("499.00")),
    ]  # fmt: skip
    assert freed.repayment_plan(D("0"), 2, "2008/09") == []
    with pytest.raises(ValueError):
        freed.split(D("1"), D("1.5"))
