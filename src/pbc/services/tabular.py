"""Reading an uploaded table (CSV or XLSX) into a header and rows of raw cell values.

CSV is read as UTF-8 (a byte-order mark is allowed; Excel writes one); XLSX is read from its
first worksheet with openpyxl in read-only mode, keeping dates as dates. Rows that are entirely
blank are dropped but rows keep their spreadsheet number (the header is row 1). A row keeps
every cell, also those beyond the last named column (validation reports a value there), and is
padded with blanks to the header's width.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass


class TableReadError(Exception):
    """The file cannot be read as a table at all (not CSV/XLSX, empty, no header)."""


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, list[object]]]  # (spreadsheet row number, cells; may be wider)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_table(data: bytes, filename: str) -> Table:
    name = filename.lower()
    if name.endswith(".csv"):
        raw = _read_csv(data)
    elif name.endswith(".xlsx"):
        raw = _read_xlsx(data)
    else:
        raise TableReadError("the file must be a CSV (.csv) or Excel workbook (.xlsx)")
    if not raw or all(_blank(v) for v in raw[0]):
        raise TableReadError("the file is empty: the first row must name the columns")
    header = ["" if v is None else str(v).strip() for v in raw[0]]
    while header and not header[-1]:
        header.pop()
    rows = []
    for number, cells in enumerate(raw[1:], start=2):
        cells = list(cells) + [None] * (len(header) - len(cells))
        if all(_blank(v) for v in cells):
            continue
        rows.append((number, cells))
    return Table(header=header, rows=rows)


def _read_csv(data: bytes) -> list[list[object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TableReadError("the CSV file is not UTF-8 text") from error
    return [list(row) for row in csv.reader(io.StringIO(text))]


def _read_xlsx(data: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several types for a damaged file
        raise TableReadError("the file is not a readable Excel workbook (.xlsx)") from error
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
