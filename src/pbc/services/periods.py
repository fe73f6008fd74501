"""Financial years, quarters and months as the NHS counts them (April to March).

A quarter is named like "2008/09 Q1" (April to June 2008) and stored as the date of its first
day; a month is stored as its first day.
"""

from __future__ import annotations

import datetime as dt
import re

QUARTER_RE = re.compile(r"^(\d{4})/(\d{2}) Q([1-4])$")
FINANCIAL_YEAR_RE = re.compile(r"^(\d{4})/(\d{2})$")


def financial_year_of(day: dt.date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def year_start(financial_year: str) -> dt.date:
    match = FINANCIAL_YEAR_RE.match(financial_year)
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        raise ValueError(f"{financial_year!r} is not a financial year like 2008/09")
    return dt.date(int(match[1]), 4, 1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_of_year(financial_year: str) -> list[dt.date]:
    start = year_start(financial_year)
    return [add_months(start, i) for i in range(12)]


def quarter_start(label: str) -> dt.date:
    """The first day of a quarter named like "2008/09 Q1"."""
    match = QUARTER_RE.match(label.strip())
    if not match:
        raise ValueError(f"{label!r} is not a quarter like 2008/09 Q1")
    start = year_start(f"{match[1]}/{match[2]}")
    return add_months(start, 3 * (int(match[3]) - 1))


def quarter_of(day: dt.date) -> dt.date:
    """The first day of the quarter containing `day`."""
    start = year_start(financial_year_of(day))
    months = (day.year * 12 + day.month) - (start.year * 12 + start.month)
    return add_months(start, 3 * (months // 3))


def quarter_label(start: dt.date) -> str:
    first = quarter_of(start)
    fy = financial_year_of(first)
    number = ((first.month - 4) % 12) // 3 + 1
    return f"{fy} Q{number}"


def quarter_end(start: dt.date) -> dt.date:
    return add_months(quarter_of(start), 3) - dt.timedelta(days=1)


def quarters_of_year(financial_year: str) -> list[dt.date]:
    start = year_start(financial_year)
    return [add_months(start, 3 * i) for i in range(4)]


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)
