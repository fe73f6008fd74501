"""Timescale cells to due dates, and the plan's financial year.

Rules (issue 4):

- a named month and a year ("Dec 2008", "March  2009", "Sept 2008") is the last day of that month;
- a bare year ("2009") is 31 December of that year;
- a financial year ("2008/09", "2008-9") is 31 March at its end;
- "Ongoing" (any case) gives no date;
- a cell with several dates keeps them all, in the order written ("2009 October 2008" gives
  2009-12-31 and 2008-10-31).

`is_timescale` says whether a text is nothing but such timescale words; the column reader uses it
to recognise a Timescale column in rows whose columns have shifted.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from pbc.periods import FinancialYear, month_end

MONTHS: dict[str, int] = {}
for _number in range(1, 13):
    MONTHS[calendar.month_name[_number].lower()] = _number
    MONTHS[calendar.month_abbr[_number].lower()] = _number
MONTHS["sept"] = 9

_TOKEN = re.compile(
    r"(?P<fy>(?<!\d)(?:19|20)\d\d\s*[/-]\s*\d{1,2}(?!\d))"
    r"|(?P<month>[A-Za-z]+)\.?\s+(?P<month_year>(?:19|20)\d\d)(?!\d)"
    r"|(?P<year>(?<!\d)(?:19|20)\d\d(?!\d))"
)
_FILLER = {
    "ongoing",
    "and",
    "to",
    "by",
    "end",
    "of",
    "from",
    "until",
    "or",
    "the",
    "then",
    "start",
    "early",
    "mid",
    "late",
}


def parse_due_dates(text: str) -> list[dt.date]:
    """Every due date written in a timescale cell, in order, each once."""
    dates: list[dt.date] = []
    for match in _TOKEN.finditer(text):
        if match.group("fy"):
            start = int(re.match(r"\d{4}", match.group("fy")).group())  # type: ignore[union-attr]
            date = FinancialYear(start).end
        elif match.group("month"):
            month = MONTHS.get(match.group("month").lower())
            year = int(match.group("month_year"))
            date = month_end(dt.date(year, month, 1)) if month else dt.date(year, 12, 31)
        else:
            date = dt.date(int(match.group("year")), 12, 31)
        if date not in dates:
            dates.append(date)
    return dates


def is_ongoing(text: str) -> bool:
    return bool(re.search(r"\bongoing\b", text, re.IGNORECASE))


def is_timescale(text: str) -> bool:
    """True when `text` holds at least one date or "ongoing" and no other words."""
    if not (parse_due_dates(text) or is_ongoing(text)):
        return False
    for word in re.findall(r"[A-Za-z]+", _TOKEN.sub(" ", text)):
        if word.lower() not in _FILLER and word.lower() not in MONTHS:
            return False
    return True


def financial_year_start(financial_year: str) -> dt.date:
    """1 April of the financial year's first calendar year ("2008/09" gives 2008-04-01).

    Lenient, for what people type about plan documents ("2008-09", "2008/2009", "2008" too);
    `pbc.periods.FinancialYear.parse` is the strict reader of the stored "2008/09" form."""
    match = re.fullmatch(r"\s*((?:19|20)\d\d)\s*(?:[/-]\s*\d{2,4})?\s*", financial_year)
    if not match:
        raise ValueError(f"financial year {financial_year!r} is not like '2008/09'")
    return FinancialYear(int(match.group(1))).start
