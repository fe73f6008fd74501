"""Reporting months: the one way to read a month the user typed ("2009-01").

Pure functions with no Django dependency. `parse_month` is strict (four ASCII digits, a dash and
a month 01-12) and raises `ValueError` with a message fit to show the user; `month_or_none` is
the same check for page parameters, where a bad value falls back to a default.
"""

from __future__ import annotations

import datetime as dt
import re

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def parse_month(value: str | dt.date) -> dt.date:
    """ "2009-01" (or any date in the month) → 1 January 2009; ValueError for anything else."""
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, 1)
    match = _MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a month like 2009-01 (YYYY-MM)")
    return dt.date(int(match[1]), int(match[2]), 1)


def month_or_none(value: str | dt.date | None) -> dt.date | None:
    """`parse_month`, or None when the value is empty or not a month."""
    if value is None or value == "":
        return None
    try:
        return parse_month(value)
    except ValueError:
        return None
