"""Reading an uploaded table (CSV or XLSX) into a header and rows of raw cell values.

The file goes through the one bounded upload path (`pbc.uploads.read_rows`): size, expansion,
row and cell-length caps, CSV as UTF-8 (a byte-order mark is allowed; Excel writes one), XLSX
from its first worksheet with openpyxl in read-only mode, keeping dates as dates, one row at a
time. Rows that are entirely blank are dropped but rows keep their spreadsheet number (the
header is row 1). A row keeps every cell, also those beyond the last named column (validation
reports a value there), and is padded with blanks to the header's width.
"""

from __future__ import annotations

from dataclasses import dataclass

from pbc.uploads import Source, UploadLimits, UploadRefused, read_rows


class TableReadError(Exception):
    """The file cannot be read as a table at all (not CSV/XLSX, empty, no header, over a
    limit); `str()` names the file and the problem."""


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, list[object]]]  # (spreadsheet row number, cells; may be wider)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_table(source: Source, filename: str, limits: UploadLimits | None = None) -> Table:
    """The table in `source` (a path or the file's bytes) named `filename`."""
    limits = limits or UploadLimits()
    header: list[str] | None = None
    rows = []
    try:
        for number, cells in read_rows(source, filename, limits):
            if header is None:
                if number != 1 or all(_blank(v) for v in cells):
                    raise TableReadError(
                        f"{filename}: the file is empty: the first row must name the columns"
                    )
                header = ["" if v is None else str(v).strip() for v in cells]
                while header and not header[-1]:
                    header.pop()
                continue
            cells = cells + [None] * (len(header) - len(cells))
            if all(_blank(v) for v in cells):
                continue
            rows.append((number, cells))
    except UploadRefused as refused:
        raise TableReadError(str(refused)) from None
    if header is None:
        raise TableReadError(f"{filename}: the file is empty: the first row must name the columns")
    return Table(header=header, rows=rows)
