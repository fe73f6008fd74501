"""The one calendar: months, calendar quarters, financial quarters and financial years.

Pure Python, no Django. The NHS financial year runs from April to March and is written "2008/09"
(1 April 2008 to 31 March 2009); its quarters are written "2008/09 Q1" (April to June 2008). A
calendar quarter is written "2009 Q1" (January to March 2009). The two kinds of quarter cover the
same three-month blocks under different names, so they are different types: a `FinancialQuarter`
never equals or sorts against a `CalendarQuarter`.

Two ways in, one implementation:

- value types (`Month`, `CalendarQuarter`, `FinancialQuarter`, `FinancialYear`): parse once
  (`X.parse(text or date)`), format with `str()`, add and subtract whole periods, test `in`,
  and read `start` / `end` dates;
- plain functions on the forms the models and the warehouse store (a month or quarter as the
  `datetime.date` of its first day, a financial year as its "2008/09" text): `parse_month`,
  `add_months`, `month_end`, `financial_year_of`, `year_start`, `quarter_of`, `quarter_label`
  and the rest below.

Parsers raise `ValueError` with a message fit to show the user. The Ibis (column expression)
forms live in `pbc.analytics.periods`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import ClassVar, Self, overload

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_FINANCIAL_YEAR = re.compile(r"([0-9]{4})/([0-9]{2})")
_FINANCIAL_QUARTER = re.compile(r"([0-9]{4})/([0-9]{2}) Q([1-4])")
_CALENDAR_QUARTER = re.compile(r"([0-9]{4})[ -]?Q([1-4])")

# The calendar's span: months and calendar quarters of these years (9998, so that the day after a
# month's last day, which `month_end` counts back from, is still a date). A financial year (and
# its quarters) must lie wholly inside it: 0001/02 to 9997/98, since 9998/99 would end in March
# 9999, a month the calendar does not have.
MIN_YEAR, MAX_YEAR = 1, 9998


def _index(day: dt.date) -> int:
    """Months since January of year 0: arithmetic on months is arithmetic on this."""
    return day.year * 12 + day.month - 1


def _of_index(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def _check_year(year: int, what: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"{what}: year {year} is out of range")


def _check_financial_year(start_year: int, what: str) -> None:
    """A financial year starting in April of `start_year` ends in March of the next year: both
    must be in the calendar's span."""
    if not MIN_YEAR <= start_year <= MAX_YEAR - 1:
        raise ValueError(f"{what}: financial year starting in {start_year} is out of range")


# --- value types -------------------------------------------------------------------------------


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar month, written "2009-01"."""

    year: int
    month: int

    def __post_init__(self) -> None:
        _check_year(self.year, "month")
        if not 1 <= self.month <= 12:
            raise ValueError(f"month number {self.month} is not 1 to 12")

    @classmethod
    def of(cls, day: dt.date) -> Self:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, value: str | dt.date | Month) -> Month:
        """ "2009-01" (or any date in the month) → Month(2009, 1); ValueError otherwise."""
        if isinstance(value, Month):
            return value
        return Month.of(parse_month(value))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """ "January 2009"."""
        return f"{self.start:%B %Y}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def end(self) -> dt.date:
        return month_end(self.start)

    def __add__(self, months: int) -> Month:
        return Month.of(add_months(self.start, months))

    @overload
    def __sub__(self, other: int) -> Month: ...
    @overload
    def __sub__(self, other: Month) -> int: ...
    def __sub__(self, other: int | Month) -> Month | int:
        if isinstance(other, Month):
            return _index(self.start) - _index(other.start)
        return self + -other

    def __contains__(self, day: object) -> bool:
        return _contains(self.start, self.end, day)

    @property
    def financial_year(self) -> FinancialYear:
        return FinancialYear.of(self.start)

    @property
    def financial_quarter(self) -> FinancialQuarter:
        return FinancialQuarter.of(self.start)

    @property
    def calendar_quarter(self) -> CalendarQuarter:
        return CalendarQuarter.of(self.start)

    @property
    def number_in_year(self) -> int:
        """1 for April ... 12 for March (the Dacorum plan's "month 10" is January)."""
        return month_number(self.start)


class _Quarter:
    """What calendar and financial quarters share: three months from `start`, numbered 1 to 4,
    added and subtracted in whole quarters. Not a type of its own: each kind keeps its own type
    (their dataclass equality and ordering compare only values of the same kind), so a
    `FinancialQuarter` is never taken for a `CalendarQuarter` (adding, subtracting, comparing or
    parsing one as the other is refused)."""

    __slots__ = ()
    _KIND: ClassVar[str]  # "calendar quarter", for messages
    number: int

    def _check(self, year: int) -> None:
        _check_year(year, self._KIND)
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter number {self.number} is not 1 to 4")

    @classmethod
    def of(cls, day: dt.date) -> Self:
        raise NotImplementedError

    @classmethod
    def _from_text(cls, value: object) -> Self:
        raise NotImplementedError

    @classmethod
    def parse(cls, value: str | dt.date | Self) -> Self:
        """The quarter written `value` (see each kind's `_from_text`) or containing it (a
        date); ValueError otherwise (also for a quarter of the other kind)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, dt.date):
            return cls.of(value)
        return cls._from_text(value)

    @property
    def start(self) -> dt.date:
        raise NotImplementedError

    @property
    def end(self) -> dt.date:
        return quarter_end(self.start)

    def months(self) -> tuple[Month, ...]:
        first = Month.of(self.start)
        return tuple(first + i for i in range(3))

    def __add__(self, quarters: int) -> Self:
        if not isinstance(quarters, int):
            return NotImplemented
        return self.of(add_months(self.start, 3 * quarters))

    @overload
    def __sub__(self, other: int) -> Self: ...
    @overload
    def __sub__(self, other: Self) -> int: ...
    def __sub__(self, other: int | Self) -> Self | int:
        if isinstance(other, int):
            return self + -other
        if type(other) is type(self):
            return (_index(self.start) - _index(other.start)) // 3
        return NotImplemented

    def __contains__(self, item: object) -> bool:
        return _contains(self.start, self.end, item)


@dataclass(frozen=True, order=True, slots=True)
class CalendarQuarter(_Quarter):
    """January to March (Q1) ... October to December (Q4) of a calendar year, written "2009 Q1"."""

    _KIND: ClassVar[str] = "calendar quarter"
    year: int
    number: int

    def __post_init__(self) -> None:
        self._check(self.year)

    @classmethod
    def of(cls, day: dt.date) -> Self:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def _from_text(cls, value: object) -> Self:
        """ "2009 Q1" (or "2009-Q1", "2009Q1")."""
        match = _CALENDAR_QUARTER.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:
            raise ValueError(f"{value!r} is not a calendar quarter like 2009 Q1")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.year:04d} Q{self.number}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)


@dataclass(frozen=True, order=True, slots=True)
class FinancialYear:
    """April to March, written "2008/09"; `start_year` is the calendar year of its April."""

    start_year: int

    def __post_init__(self) -> None:
        _check_financial_year(self.start_year, "financial year")

    @classmethod
    def of(cls, day: dt.date) -> Self:
        return cls(day.year if day.month >= 4 else day.year - 1)

    @classmethod
    def parse(cls, value: str | dt.date | FinancialYear) -> FinancialYear:
        """ "2008/09" (or any date in it) → FinancialYear(2008); ValueError otherwise, also when
        the second year does not follow the first ("2008/10")."""
        if isinstance(value, FinancialYear):
            return value
        if isinstance(value, dt.date):
            return FinancialYear.of(value)
        match = _FINANCIAL_YEAR.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
            raise ValueError(f"{value!r} is not a financial year like 2008/09")
        return FinancialYear(int(match[1]))

    def __str__(self) -> str:
        return f"{self.start_year:04d}/{(self.start_year + 1) % 100:02d}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.start_year, 4, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.start_year + 1, 3, 31)

    def months(self) -> tuple[Month, ...]:
        """The twelve months, April first."""
        first = Month.of(self.start)
        return tuple(first + i for i in range(12))

    def quarters(self) -> tuple[FinancialQuarter, ...]:
        return tuple(FinancialQuarter(self.start_year, n) for n in range(1, 5))

    def __add__(self, years: int) -> FinancialYear:
        return FinancialYear(self.start_year + years)

    @overload
    def __sub__(self, other: int) -> FinancialYear: ...
    @overload
    def __sub__(self, other: FinancialYear) -> int: ...
    def __sub__(self, other: int | FinancialYear) -> FinancialYear | int:
        if isinstance(other, FinancialYear):
            return self.start_year - other.start_year
        return FinancialYear(self.start_year - other)

    def __contains__(self, item: object) -> bool:
        return _contains(self.start, self.end, item)


@dataclass(frozen=True, order=True, slots=True)
class FinancialQuarter(_Quarter):
    """A quarter of a financial year: Q1 is April to June, Q4 January to March of the next
    calendar year. Written "2008/09 Q1"."""

    _KIND: ClassVar[str] = "financial quarter"
    start_year: int
    number: int

    def __post_init__(self) -> None:
        _check_financial_year(self.start_year, self._KIND)
        self._check(self.start_year)

    @classmethod
    def of(cls, day: dt.date) -> Self:
        year = FinancialYear.of(day)
        return cls(year.start_year, (_index(day) - _index(year.start)) // 3 + 1)

    @classmethod
    def _from_text(cls, value: object) -> Self:
        """ "2008/09 Q1"."""
        match = _FINANCIAL_QUARTER.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
            raise ValueError(f"{value!r} is not a quarter like 2008/09 Q1")
        return cls(int(match[1]), int(match[3]))

    def __str__(self) -> str:
        return f"{self.financial_year} Q{self.number}"

    @property
    def financial_year(self) -> FinancialYear:
        return FinancialYear(self.start_year)

    @property
    def start(self) -> dt.date:
        return add_months(dt.date(self.start_year, 4, 1), 3 * (self.number - 1))


Period = Month | CalendarQuarter | FinancialQuarter | FinancialYear


def _contains(start: dt.date, end: dt.date, item: object) -> bool:
    """A date (or datetime) on or between the two days, or a period lying wholly between them."""
    if isinstance(item, dt.datetime):
        item = item.date()
    if isinstance(item, dt.date):
        return start <= item <= end
    if isinstance(item, Month | CalendarQuarter | FinancialQuarter | FinancialYear):
        return start <= item.start and item.end <= end
    return False


# --- functions on stored forms: a month or quarter is the date of its first day ------------------


def parse_month(value: str | dt.date) -> dt.date:
    """ "2009-01" (or any date in the month) → 1 January 2009; ValueError for anything else."""
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, 1)
    match = _MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a month like 2009-01 (YYYY-MM)")
    return dt.date(int(match[1]), int(match[2]), 1)


def month_or_none(value: str | dt.date | None) -> dt.date | None:
    """`parse_month`, or None when the value is empty or not a month (for page parameters, where
    a bad value falls back to a default)."""
    if value is None or value == "":
        return None
    try:
        return parse_month(value)
    except ValueError:
        return None


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s month (`months` may be negative)."""
    return _of_index(_index(day) + months)


def months_between(first: dt.date, last: dt.date) -> int:
    """Whole months from `first`'s month to `last`'s (0 for the same month; negative if before)."""
    return _index(last) - _index(first)


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    return _of_index(_index(day) + 1) - dt.timedelta(days=1)


def month_number(day: dt.date) -> int:
    """The month's place in its financial year: 1 for April ... 12 for March."""
    return (day.month - 4) % 12 + 1


def financial_year_of(day: dt.date) -> str:
    """ "2008/09" for any day from 1 April 2008 to 31 March 2009."""
    return str(FinancialYear.of(day))


def year_start(financial_year: str) -> dt.date:
    """1 April of a financial year written "2008/09"; ValueError for anything else."""
    return FinancialYear.parse(financial_year).start


def year_end(financial_year: str) -> dt.date:
    """31 March, the last day of a financial year written "2008/09"."""
    return FinancialYear.parse(financial_year).end


def add_years(financial_year: str, years: int) -> str:
    """ "2009/10" from ("2008/09", 1); "2007/08" from ("2008/09", -1)."""
    return str(FinancialYear.parse(financial_year) + years)


def months_of_year(financial_year: str) -> list[dt.date]:
    """The first days of the twelve months of a financial year, April first."""
    start = year_start(financial_year)
    return [add_months(start, i) for i in range(12)]


def quarter_of(day: dt.date) -> dt.date:
    """The first day of the quarter holding `day` (1 January, April, July or October: calendar
    and financial quarters start on the same days, under different names)."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(day: dt.date) -> dt.date:
    """The last day of the quarter holding `day`."""
    return add_months(quarter_of(day), 3) - dt.timedelta(days=1)


def quarter_label(day: dt.date) -> str:
    """The financial quarter holding `day`, written "2008/09 Q1"."""
    return str(FinancialQuarter.of(day))


def quarter_start(label: str) -> dt.date:
    """The first day of a financial quarter written "2008/09 Q1"; ValueError otherwise."""
    return FinancialQuarter.parse(label).start


def quarters_of_year(financial_year: str) -> list[dt.date]:
    """The first days of the four quarters of a financial year, April first."""
    return [q.start for q in FinancialYear.parse(financial_year).quarters()]
