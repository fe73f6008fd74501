"""The financial year a workbook names in its title rows, checked against `--period`.

A yearly workbook that names its year only in its title (the PbR tariff workbook, the IC's QOF
prevalence tables) takes the year from `--period`. Given the wrong month, the import would
store one year's prices or registers as another's, replacing that year's rows. A layout with
`Layout.year_in_title` is therefore refused when the rows above its header name financial years
("2008-09", "2008/09", "2008-2009") and none of them is the year of `--period`. Rows that name
no financial year, or name the right one among others ("2017/18 and 2018/19 National Tariff"),
pass. An ISO date ("2009-10-05") is not read as a year.
"""

from __future__ import annotations

import re

from pbc.periods import financial_year_of, parse_month
from pbc.warehouse.layouts.readers import Sheet

_YEAR = re.compile(r"(?<!\d)(20\d\d)\s*[-/]\s*(?:20)?(\d\d)(?!\d|[-/]\d)")


def years_named(text: str) -> set[str]:
    """The financial years a text names, as "2008/09"."""
    found = set()
    for match in _YEAR.finditer(text):
        start, end = int(match.group(1)), int(match.group(2))
        if (start + 1) % 100 == end:
            found.add(f"{start}/{end:02d}")
    return found


def title_year_refusal(sheet: Sheet, header_row: int, period: str) -> str | None:
    """Why `period` does not fit the years the title rows of `sheet` name (None if it does)."""
    wanted = financial_year_of(parse_month(period))
    named: dict[str, int] = {}
    for number, raw in sheet.preview:
        if number >= header_row:
            break
        for cell in raw:
            for year in sorted(years_named(cell or "")):
                named.setdefault(year, number)
    if not named or wanted in named:
        return None
    listed = ", ".join(f"{year} (row {row})" for year, row in sorted(named.items()))
    first = min(named)
    return (
        f"--period {period} is in {wanted}, but the title rows of sheet {sheet.name!r} name "
        f"{listed}: give the workbook's own year (--period {first[:4]}-04)"
    )
