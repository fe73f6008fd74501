"""pbc.periods: the one calendar (months, calendar and financial quarters, financial years)."""

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pbc import periods
from pbc.periods import (
    CalendarQuarter,
    FinancialQuarter,
    FinancialYear,
    Month,
    month_or_none,
    parse_month,
)

D = dt.date
DAYS = st.dates(min_value=D(1000, 1, 1), max_value=D(9998, 12, 31))
# Days whose financial year lies in the calendar (the last, 9997/98, ends on 31 March 9998).
FINANCIAL_DAYS = st.dates(min_value=D(1000, 1, 1), max_value=D(9998, 3, 31))
MONTHS = DAYS.map(Month.of)
STEPS = st.integers(min_value=-5000, max_value=5000)


# --- months -------------------------------------------------------------------------------------


def test_months_and_dates() -> None:
    assert parse_month("2009-01") == D(2009, 1, 1)
    assert parse_month(" 2008-12 ") == D(2008, 12, 1)
    assert parse_month(D(2009, 1, 15)) == D(2009, 1, 1)
    assert parse_month(dt.datetime(2009, 2, 3, 4, 5)) == D(2009, 2, 1)


@pytest.mark.parametrize("bad", ["2009-13", "2009-00", "2009-1", "January", "2009-01-15", "",
                                 "٢٠٠٩-01", "2009-01\n2009-02", "09-01"])  # fmt: skip
def test_bad_months_are_refused_with_the_value_named(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a month like 2009-01"):
        parse_month(bad)
    with pytest.raises(ValueError, match=re.escape(repr(bad))):
        Month.parse(bad)
    assert month_or_none(bad) is None


def test_month_or_none_passes_empty_through() -> None:
    assert month_or_none(None) is None
    assert month_or_none("") is None
    assert month_or_none("2009-03") == D(2009, 3, 1)


@given(DAYS)
def test_round_trip(day: dt.date) -> None:
    assert parse_month(day.strftime("%Y-%m")) == day.replace(day=1)


def test_month_value() -> None:
    january = Month.parse("2009-01")
    assert january == Month(2009, 1) == Month.parse(D(2009, 1, 31))
    assert str(january) == "2009-01"
    assert january.label == "January 2009"
    assert (january.start, january.end) == (D(2009, 1, 1), D(2009, 1, 31))
    assert Month(2008, 2).end == D(2008, 2, 29)  # leap year
    assert Month(2009, 2).end == D(2009, 2, 28)
    assert january + 3 == Month(2009, 4)
    assert january - 1 == Month(2008, 12)
    assert january - Month(2008, 4) == 9
    assert D(2009, 1, 31) in january and D(2009, 2, 1) not in january
    assert january.number_in_year == 10  # the Dacorum plan's "month 10"
    assert january.financial_year == FinancialYear(2008)
    assert january.financial_quarter == FinancialQuarter(2008, 4)
    assert january.calendar_quarter == CalendarQuarter(2009, 1)
    with pytest.raises(ValueError, match="not 1 to 12"):
        Month(2009, 13)


@given(MONTHS)
def test_month_parse_format_round_trip(month: Month) -> None:
    assert Month.parse(str(month)) == month
    assert parse_month(str(month)) == month.start


@given(MONTHS, STEPS)
def test_add_then_subtract_months(month: Month, n: int) -> None:
    assume(12 <= month.year * 12 + month.month - 1 + n <= 9998 * 12 + 11)
    moved = month + n
    assert moved - n == month
    assert moved - month == n
    assert periods.add_months(month.start, n) == moved.start
    assert periods.months_between(month.start, moved.start) == n


@given(FINANCIAL_DAYS)
def test_month_quarter_year_nest(day: dt.date) -> None:
    """A day's month lies in its quarters, which lie in its financial year."""
    month = Month.of(day)
    fq, cq, fy = month.financial_quarter, month.calendar_quarter, month.financial_year
    assert day in month and month in fq and month in cq and fq in fy
    assert month in fq.months() and month in cq.months() and month in fy.months()
    assert fq.start == cq.start == periods.quarter_of(day)  # the same blocks, two names
    assert fq.end == cq.end == periods.quarter_end(day)
    assert periods.month_end(day) == month.end
    assert fy.start <= day <= fy.end
    assert periods.financial_year_of(day) == str(fy)
    assert periods.month_number(day) == fy.months().index(month) + 1


def test_the_calendar_ends_with_the_last_whole_financial_year() -> None:
    """Months run to December 9998; a financial year must end in the calendar, so the last is
    9997/98 (to March 9998), and April to December 9998 belong to none (a clear ValueError, not
    a year whose months cannot be made)."""
    last = FinancialYear(9997)
    assert last.months()[-1] == Month(9998, 3) and last.end == D(9998, 3, 31)
    assert Month(9998, 3).financial_year == last and Month(9998, 3) in last.quarters()[-1]
    assert Month(9998, 12).end == D(9998, 12, 31) and Month(9998, 12).calendar_quarter.end == (
        D(9998, 12, 31)
    )
    for refused in (
        lambda: FinancialYear(9998),
        lambda: FinancialYear.parse("9998/99"),
        lambda: FinancialQuarter(9998, 1),
        lambda: Month(9998, 4).financial_year,
        lambda: Month(9998, 12).financial_quarter,
        lambda: last + 1,
        lambda: FinancialYear(0),
        lambda: Month(1, 3).financial_year,
    ):
        with pytest.raises(ValueError, match="out of range"):
            refused()
    assert Month(1, 4).financial_year == FinancialYear(1)


# --- quarters -------------------------------------------------------------------------------------


def test_calendar_and_financial_quarters_are_different_types() -> None:
    calendar_q1, financial_q1 = (
        CalendarQuarter.parse("2009 Q1"),
        FinancialQuarter.parse("2009/10 Q1"),
    )
    assert (calendar_q1.start, calendar_q1.end) == (D(2009, 1, 1), D(2009, 3, 31))
    assert (financial_q1.start, financial_q1.end) == (D(2009, 4, 1), D(2009, 6, 30))
    # January to March 2009 under both names: the same days, not equal values
    financial_q4 = FinancialQuarter(2008, 4)
    assert (financial_q4.start, financial_q4.end) == (calendar_q1.start, calendar_q1.end)
    assert financial_q4 != calendar_q1  # type: ignore[comparison-overlap]
    with pytest.raises(TypeError):
        assert financial_q4 < calendar_q1  # type: ignore[operator]
    # ... and not interchangeable: neither is the other's type, neither parses as the other,
    # subtracting one from the other is refused, and both count in a set.
    assert not isinstance(financial_q4, CalendarQuarter)
    assert not isinstance(calendar_q1, FinancialQuarter)
    assert len({financial_q4, calendar_q1}) == 2
    with pytest.raises(TypeError):
        financial_q4 - calendar_q1  # type: ignore[operator]
    with pytest.raises(TypeError):
        calendar_q1 + financial_q4  # type: ignore[operator]
    with pytest.raises(ValueError, match="is not a calendar quarter like 2009 Q1"):
        CalendarQuarter.parse(financial_q4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not a quarter like 2008/09 Q1"):
        FinancialQuarter.parse(calendar_q1)  # type: ignore[arg-type]
    assert financial_q4 - FinancialQuarter(2008, 1) == 3 and calendar_q1 - 1 == CalendarQuarter(
        2008, 4
    )
    assert str(calendar_q1) == "2009 Q1" and str(financial_q4) == "2008/09 Q4"
    assert (
        CalendarQuarter.parse("2009-Q3")
        == CalendarQuarter.parse("2009Q3")
        == CalendarQuarter(2009, 3)
    )


def test_quarter_arithmetic_and_labels() -> None:
    q = FinancialQuarter.parse("2008/09 Q4")
    assert q + 1 == FinancialQuarter(2009, 1)
    assert q - 4 == FinancialQuarter(2007, 4)
    assert FinancialQuarter(2009, 2) - q == 2
    assert [str(m) for m in q.months()] == ["2009-01", "2009-02", "2009-03"]
    assert CalendarQuarter(2008, 4) + 1 == CalendarQuarter(2009, 1)
    assert periods.quarter_label(D(2008, 5, 17)) == "2008/09 Q1"
    assert periods.quarter_start("2008/09 Q3") == D(2008, 10, 1)
    assert periods.quarter_end(D(2009, 2, 1)) == D(2009, 3, 31)
    assert periods.quarters_of_year("2008/09") == [
        D(2008, 4, 1),
        D(2008, 7, 1),
        D(2008, 10, 1),
        D(2009, 1, 1),
    ]


@pytest.mark.parametrize(
    "bad", ["2008/09 Q5", "2008/10 Q1", "2008 Q1", "2008/09Q1", "Q1 2008/09", ""]
)
def test_bad_financial_quarters_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a quarter like 2008/09 Q1"):
        periods.quarter_start(bad)


@pytest.mark.parametrize("bad", ["2009 Q0", "2009 Q5", "2008/09 Q1", "09 Q1", ""])
def test_bad_calendar_quarters_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a calendar quarter like 2009 Q1"):
        CalendarQuarter.parse(bad)


@given(DAYS, st.integers(min_value=-1000, max_value=1000))
def test_quarter_round_trips(day: dt.date, n: int) -> None:
    fq, cq = FinancialQuarter.of(day), CalendarQuarter.of(day)
    assert FinancialQuarter.parse(str(fq)) == fq and CalendarQuarter.parse(str(cq)) == cq
    assert periods.quarter_start(periods.quarter_label(day)) == periods.quarter_of(day)
    if 2 <= day.year + n // 4 <= 9997:
        assert (fq + n) - n == fq and (fq + n) - fq == n
        assert (cq + n) - n == cq and (cq + n) - cq == n


# --- financial years ----------------------------------------------------------------------------


def test_financial_year_value() -> None:
    year = FinancialYear.parse("2008/09")
    assert year == FinancialYear(2008) == FinancialYear.parse(D(2009, 3, 31))
    assert FinancialYear.parse(D(2008, 3, 31)) == FinancialYear(2007)
    assert (year.start, year.end) == (D(2008, 4, 1), D(2009, 3, 31))
    assert str(year + 1) == "2009/10" and str(year - 1) == "2007/08"
    assert FinancialYear(2010) - year == 2
    assert str(FinancialYear(1999)) == "1999/00"
    assert [str(q) for q in year.quarters()] == [
        "2008/09 Q1",
        "2008/09 Q2",
        "2008/09 Q3",
        "2008/09 Q4",
    ]
    assert Month(2009, 3) in year and Month(2009, 4) not in year
    assert CalendarQuarter(2009, 1) in year and CalendarQuarter(2009, 2) not in year
    assert "2008-05" not in year  # text is parsed first, never guessed
    assert periods.year_start("2008/09") == D(2008, 4, 1)
    assert periods.year_end("2008/09") == D(2009, 3, 31)
    assert periods.add_years("2008/09", -2) == "2006/07"
    assert periods.months_of_year("2008/09")[0] == D(2008, 4, 1)
    assert periods.months_of_year("2008/09")[-1] == D(2009, 3, 1)


@pytest.mark.parametrize(
    "bad", ["2008/10", "2008-09", "2008/2009", "2008", "08/09", "", "next year"]
)
def test_bad_financial_years_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a financial year like 2008/09"):
        periods.year_start(bad)


@given(st.integers(min_value=1, max_value=9000), st.integers(min_value=-500, max_value=500))
def test_financial_year_round_trips(start: int, n: int) -> None:
    year = FinancialYear(start)
    assert FinancialYear.parse(str(year)) == year
    assert periods.financial_year_of(periods.year_start(str(year))) == str(year)
    assert periods.financial_year_of(periods.year_end(str(year))) == str(year)
    if 1 <= start + n <= 9997:
        assert (year + n) - n == year and (year + n) - year == n
        assert periods.add_years(periods.add_years(str(year), n), -n) == str(year)


# --- one implementation -------------------------------------------------------------------------

SRC = Path(__file__).resolve().parents[1] / "src"
HOMES = {Path("pbc/periods.py"), Path("pbc/analytics/periods.py")}  # values; Ibis forms
# The calendar's functions, under the names they had in their copies.
CALENDAR_NAMES = (
    "add_months|month_end|fy_of|financial_year_of|year_start|quarter_of|quarter_start|parse_month"
    "|_month_end|_add_months|month_start|fy_start|fy_end|previous_fy|next_fy|fy_months"
    "|_as_month|next_month|_months_back|_quarter_of|quarter_end|quarter_label|months_of_year"
    "|month_number|financial_year_label|first_of_month|outcome_year|index_date_of"
)
DEFINITION = re.compile(rf"^\s*def ({CALENDAR_NAMES})\b", re.MULTILINE)


def test_the_calendar_is_defined_only_in_pbc_periods() -> None:
    """`grep -rnE "def (add_months|month_end|...)\\b" src` finds them only in pbc.periods and
    the Ibis forms beside it: nowhere else keeps its own copy of the calendar."""
    copies = [
        f"{path.relative_to(SRC)}:{text.count(chr(10), 0, match.start()) + 1} def {match[1]}"
        for path in sorted(SRC.rglob("*.py"))
        if path.relative_to(SRC) not in HOMES
        for text in [path.read_text(encoding="utf-8")]
        for match in DEFINITION.finditer(text)
    ]
    assert not copies, "use pbc.periods (or pbc.analytics.periods) instead of: " + "; ".join(copies)
    assert (SRC / "pbc/periods.py").is_file() and (SRC / "pbc/analytics/periods.py").is_file()
