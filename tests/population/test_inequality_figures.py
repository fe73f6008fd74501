"""The inequalities page's charts, from hand-made years: the gap with each area's halving
trajectory dashed to half the baseline in 2010/11, and all-cause mortality by deprivation
quintile with its Dobson limits as error bars (worked by hand from the intervals given)."""

from __future__ import annotations

from pbc.analytics.population import inequalities as iq
from pbc.population import present
from pbc.stats import Interval, LifeExpectancyBand


def _year(label: str, q1: float, avg: float, rates: dict[int, Interval | None]) -> iq.YearLe:
    def band(v: float) -> LifeExpectancyBand:
        return LifeExpectancyBand(0, v, v - 1.0, v + 1.0)

    quintiles = [iq.QuintileLe(1, 6000, 60, band(q1), rates.get(1))]
    quintiles += [iq.QuintileLe(q, 6000, 50, band(avg), rates.get(q)) for q in (2, 3, 4, 5)]
    quintiles.append(iq.QuintileLe(iq.ALL, 30000, 260, band(avg), rates.get(iq.ALL)))
    return iq.YearLe(label, tuple(quintiles))


RATES = {1: Interval(1200.0, 1000.0, 1420.0), 3: Interval(900.0, None, 1100.0),
         iq.ALL: Interval(950.0, 880.0, 1025.0)}  # fmt: skip


def test_gap_chart_draws_each_areas_halving_trajectory() -> None:
    series = {
        "Dacorum locality": [_year("2006/07", 72.0, 80.0, {}), _year("2007/08", 74.0, 80.0, {})],
        "West Hertfordshire": [_year("2007/08", 76.0, 80.0, {})],
    }
    figure = present.gap_figure(series)
    traces = {t["name"]: t for t in figure["data"]}
    local = traces["Dacorum locality: halving trajectory (half by 2010/11)"]
    # Baseline 2006/07 gap 8.0, half (4.0) by 2010/11: 1.0 a year.
    assert local["x"] == ["2006/07", "2007/08", "2008/09", "2009/10", "2010/11"]
    assert local["y"] == [8.0, 7.0, 6.0, 5.0, 4.0]
    assert local["line"] == {"color": traces["Dacorum locality"]["line"]["color"], "dash": "dash"}
    assert traces["Dacorum locality"]["y"] == [8.0, 6.0]
    pct = traces["West Hertfordshire: halving trajectory (half by 2010/11)"]
    assert pct["x"][0] == "2007/08"
    assert pct["y"] == [4.0, 3.333, 2.667, 2.0]  # to the thousandth of a year
    assert figure["layout"]["xaxis"]["categoryorder"] == "category ascending"


def test_mortality_chart_by_quintile_with_dobson_limits() -> None:
    series = {
        "Dacorum locality": [_year("2007/08", 74.0, 80.0, {iq.ALL: Interval(1.0, 0.5, 2.0)}),
                             _year("2008/09", 74.0, 80.0, RATES)],
        "West Hertfordshire": [_year("2008/09", 74.0, 80.0, {})],
    }  # fmt: skip
    figure = present.mortality_figure(series)
    assert figure is not None
    assert "2008/09" in figure["layout"]["title"]["text"]  # the latest year with a rate
    local, pct = figure["data"]
    assert local["x"] == ["Q1 (most deprived)", "Q2", "Q3", "Q4", "Q5", "Average"]
    assert local["y"] == [1200.0, None, 900.0, None, None, 950.0]
    assert local["error_y"]["array"] == [220.0, 0, 200.0, 0, 0, 75.0]
    assert local["error_y"]["arrayminus"] == [200.0, 0, 900.0, 0, 0, 70.0]  # no lower: from 0
    assert pct["y"] == [None] * 6
    assert figure["layout"]["barmode"] == "group"
    assert present.mortality_figure({"A": [_year("2008/09", 74.0, 80.0, {})]}) is None
