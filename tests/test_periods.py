import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbc.periods import month_or_none, parse_month


def test_months_and_dates() -> None:
    assert parse_month("2009-01") == dt.date(2009, 1, 1)
    assert parse_month(" 2008-12 ") == dt.date(2008, 12, 1)
    assert parse_month(dt.date(2009, 1, 15)) == dt.date(2009, 1, 1)
    assert parse_month(dt.datetime(2009, 2, 3, 4, 5)) == dt.date(2009, 2, 1)


@pytest.mark.parametrize("bad", ["2009-13", "2009-00", "2009-1", "January", "2009-01-15", "",
                                 "٢٠٠٩-01", "2009-01\n2009-02", "09-01"])  # fmt: skip
def test_bad_months_are_refused_with_the_value_named(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a month like 2009-01"):
        parse_month(bad)
    assert month_or_none(bad) is None


def test_month_or_none_passes_empty_through() -> None:
    assert month_or_none(None) is None
    assert month_or_none("2009-03") == dt.date(2009, 3, 1)


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_round_trip(day: dt.date) -> None:
    assert parse_month(day.strftime("%Y-%m")) == day.replace(day=1)
