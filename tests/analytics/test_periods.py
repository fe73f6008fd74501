"""pbc.analytics.periods: the Ibis forms of the calendar agree with pbc.periods, on every engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import pandas as pd

from engine_fixtures import engine, spark_session  # noqa: F401  (fixtures)
from pbc import periods
from pbc.analytics import periods as ibis_periods

D = dt.date
# Each side of every year boundary and financial-year boundary, a leap day, a century's turn.
DAYS = [D(1999, 3, 31), D(1999, 4, 1), D(1999, 12, 31), D(2000, 1, 1), D(2000, 2, 29),
        D(2008, 3, 31), D(2008, 4, 1), D(2009, 1, 15), D(2009, 3, 31), D(2009, 4, 1)]  # fmt: skip


def test_ibis_forms_match_the_values(engine: Any) -> None:  # noqa: F811
    t = ibis.memtable({"day": DAYS}, schema={"day": "date"})
    got = engine.execute(
        t.select(
            "day",
            start_year=ibis_periods.fy_start_year(t.day),
            year=ibis_periods.financial_year_of(t.day),
            index=ibis_periods.month_index(t.day),
        )
        .mutate(back=lambda s: ibis_periods.fy_label_start_year(s.year))
        .order_by("day")
    )
    days = [pd.Timestamp(d).date() for d in got["day"]]
    assert days == DAYS
    assert list(got["year"]) == [periods.financial_year_of(d) for d in DAYS]
    assert list(got["start_year"]) == [periods.FinancialYear.of(d).start_year for d in DAYS]
    assert list(got["back"]) == list(got["start_year"])
    first = got["index"].iloc[0]
    assert [i - first for i in got["index"]] == [periods.months_between(DAYS[0], d) for d in DAYS]
