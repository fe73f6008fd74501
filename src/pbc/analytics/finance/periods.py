"""Financial years and months: '2008/09' runs from April 2008 to March 2009.

Months are the first day of the month (`datetime.date`); month 1 of a financial year is April,
month 10 is January (the Dacorum plan's "month 10").
"""

from __future__ import annotations

import datetime as dt


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def fy_of(day: dt.date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def fy_start(fy: str) -> dt.date:
    return dt.date(int(fy[:4]), 4, 1)


def fy_end(fy: str) -> dt.date:
    """The last day of the financial year (31 March)."""
    return dt.date(int(fy[:4]) + 1, 3, 31)


def previous_fy(fy: str) -> str:
    start = int(fy[:4]) - 1
    return f"{start}/{(start + 1) % 100:02d}"


def next_fy(fy: str) -> str:
    start = int(fy[:4]) + 1
    return f"{start}/{(start + 1) % 100:02d}"


def fy_months(fy: str) -> list[dt.date]:
    """The twelve months of the year, April first."""
    return [add_months(fy_start(fy), i) for i in range(12)]


def month_number(month: dt.date) -> int:
    """1 for April ... 12 for March."""
    return (month.month - 4) % 12 + 1


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)
