"""The inequalities target as the plans state it ("halve the difference in life expectancy
between the poorest 20% of communities and the average"): each year's gap against a straight
line from the baseline gap to half of it in 2010/11, worked by hand."""

from __future__ import annotations

import pytest

from pbc.analytics.population import inequalities as iq
from pbc.stats import LifeExpectancyBand


def _year(label: str, q1: float | None, avg: float, half_width: float = 1.0) -> iq.YearLe:
    def band(v: float | None) -> LifeExpectancyBand:
        if v is None:
            return LifeExpectancyBand(0, None, None, None, "total population 5,000 or less")
        return LifeExpectancyBand(0, v, v - half_width, v + half_width)

    quintiles = [iq.QuintileLe(1, 6000, 60, band(q1))]
    quintiles += [iq.QuintileLe(q, 6000, 50, band(avg)) for q in (2, 3, 4, 5)]
    quintiles.append(iq.QuintileLe(iq.ALL, 30000, 260, band(avg)))
    return iq.YearLe(label, tuple(quintiles))


def test_halving_target_by_hand() -> None:
    # Baseline 2005/06 gap 6.0 years, half (3.0) by 2010/11: 0.6 a year off the gap.
    assert iq.halving_target(6.0, 2005, 2010, 2005) == pytest.approx(6.0)
    assert iq.halving_target(6.0, 2005, 2010, 2008) == pytest.approx(4.2)
    assert iq.halving_target(6.0, 2005, 2010, 2012) == pytest.approx(3.0)  # flat after
    with pytest.raises(ValueError):
        iq.halving_target(6.0, 2010, 2010, 2010)


def test_each_year_against_the_trajectory() -> None:
    # Gap limits: each life expectancy +-1 year, so se = hypot(1, 1)/1.96 and the gap's
    # half-width is sqrt(2) = 1.41 years.
    years = [
        _year("2004/05", None, 80.0),  # no gap (Q1 withheld): before the baseline
        _year("2005/06", 74.0, 80.0),  # baseline gap 6.0
        _year("2006/07", 72.0, 80.0),  # gap 8.0 (6.59-9.41) vs 5.4: worse
        _year("2007/08", 75.2, 80.0),  # gap 4.8 (3.39-6.21) vs 4.8: consistent
        _year("2008/09", 77.5, 80.0),  # gap 2.5 (1.09-3.91) vs 4.2: better
    ]
    got = iq.against_halving(years)
    assert list(got) == ["2005/06", "2006/07", "2007/08", "2008/09"]
    assert [round(p.target, 6) for p in got.values()] == [6.0, 5.4, 4.8, 4.2]
    assert [p.status for p in got.values()] == [
        "consistent with trajectory",
        "worse than trajectory",
        "consistent with trajectory",
        "better than trajectory",
    ]
    assert got["2006/07"].gap.lower == pytest.approx(8.0 - 2**0.5)
    assert iq.against_halving(years[:1]) == {}


def test_the_line_to_draw_runs_from_the_baseline_to_the_target_year() -> None:
    years = [
        _year("2004/05", None, 80.0),  # no gap: the line starts at the next year
        _year("2005/06", 74.0, 80.0),  # baseline gap 6.0
        _year("2006/07", 72.0, 80.0),
    ]
    line = iq.halving_line(years)
    assert [y for y, _ in line] == [
        "2005/06",
        "2006/07",
        "2007/08",
        "2008/09",
        "2009/10",
        "2010/11",
    ]
    assert [round(v, 6) for _, v in line] == [6.0, 5.4, 4.8, 4.2, 3.6, 3.0]
    assert iq.halving_line(years[:1]) == []
    assert iq.halving_line([_year("2010/11", 74.0, 80.0)]) == []  # no year left to halve in
