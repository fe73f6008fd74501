"""The one writer of every CSV and XLSX file pbc produces: no cell can become a formula.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, after tab or carriage
return, what follows) as a formula: a challenge reason, milestone commentary or a practice's name
such as `=HYPERLINK("http://x","y")` would become a live link or worse in the reader's Excel. So
every CSV and XLSX pbc writes goes through this module (a test checks that nothing else in
`src/pbc` calls `csv.writer` or builds an openpyxl `Workbook`), following OWASP's CSV injection
guidance:

- CSV (`csv_text`, `csv_writer`): a string starting with one of those characters is written with
  a single quote in front (`'=HYPERLINK(...)`), so the spreadsheet shows it as text. Numbers
  (int, float, Decimal) are written as numbers, negative ones too; a string that is only a plain
  number (`-12.50`) is left alone, as no spreadsheet reads it as more than that number. Every
  string field is quoted, so a field such as `a;=1+1` stays one cell in a locale whose separator
  is `;`.
- XLSX (`Workbook`, whose `save` neutralises first): every string is a string cell, never a
  formula (openpyxl would make any string starting with `=` a formula), and a string starting
  with one of those characters carries Excel's "quote prefix" (what Excel itself sets when a user
  types a leading apostrophe). The text itself is kept exactly, so files pbc reads back (plan
  documents, challenge schedules filled in by providers) keep their values.

Neutralising is idempotent: a value already starting with a quote is not changed again. The
module is pure (no Django), for the warehouse's quarantine files as for the web's downloads.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

UNSAFE_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def is_unsafe(value: object) -> bool:
    """Whether a spreadsheet could read `value` as (the start of) a formula."""
    return (
        isinstance(value, str)
        and value.startswith(UNSAFE_STARTS)
        and not PLAIN_NUMBER.fullmatch(value)
    )


def neutral(value: Any) -> Any:
    """The value as a CSV cell: unsafe strings get a leading single quote; the rest unchanged."""
    return "'" + value if is_unsafe(value) else value


class CsvWriter:
    """`csv.writer` over a text file, neutralising every cell (rows are any sequences)."""

    def __init__(self, file: IO[str]) -> None:
        self._writer = csv.writer(file, quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(["" if v is None else neutral(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(file: IO[str]) -> CsvWriter:
    """A writer of neutralised rows to `file` (opened with `newline=""`)."""
    return CsvWriter(file)


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """The rows (the header first, if any) as CSV text, every cell neutralised."""
    out = io.StringIO()
    csv_writer(out).writerows(rows)
    return out.getvalue()


def neutralise_sheet(sheet: Worksheet) -> None:
    """Make every formula cell a string cell and quote-prefix every unsafe string."""
    for cell in sheet._cells.values():  # the cells that exist (iter_rows would create the rest)
        if cell.data_type == "f":  # openpyxl made a str starting with "=" a formula
            if not isinstance(cell.value, str):
                raise TypeError(f"{sheet.title}!{cell.coordinate}: pbc writes no formulas")
            cell.data_type = "s"
        if is_unsafe(cell.value):
            cell.quotePrefix = True


def xml_safe(value: Any) -> Any:
    """A string without the control characters XML cannot hold (each becomes U+FFFD); else as is.

    A challenge reason or commentary pasted with a stray control character (a vertical tab from
    Word, a NUL from a broken file) would otherwise make openpyxl refuse the whole download.
    """
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


class SafeWorksheet(Worksheet):
    """A worksheet whose cells never hold control characters XML cannot store."""

    def cell(self, row: int, column: int, value: Any = None) -> Any:
        return super().cell(row, column, xml_safe(value))

    def append(self, iterable: Any) -> None:
        if isinstance(iterable, dict):
            super().append({k: xml_safe(v) for k, v in iterable.items()})
        else:
            super().append([xml_safe(v) for v in iterable])

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, xml_safe(value))


class Workbook(openpyxl.Workbook):
    """An openpyxl workbook of `SafeWorksheet`s that neutralises every sheet when it is saved."""

    def __init__(self) -> None:
        super().__init__()
        self._sheets = [SafeWorksheet(self)]

    def create_sheet(self, title: str | None = None, index: int | None = None) -> Any:
        sheet = SafeWorksheet(parent=self, title=title)
        self._add_sheet(sheet=sheet, index=index)
        return sheet

    def save(self, filename: str | os.PathLike[str] | IO[bytes]) -> None:
        for sheet in self.worksheets:
            if isinstance(sheet, Worksheet):
                neutralise_sheet(sheet)
        super().save(filename)


def xlsx_bytes(book: Workbook) -> bytes:
    """The workbook saved (neutralised) into bytes, for a download."""
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_xlsx(rows: Sequence[Sequence[Any]], sheet_title: str) -> bytes:
    """A one-sheet workbook of `rows` (the header first), neutralised."""
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = sheet_title
    for row in rows:
        sheet.append(list(row))
    return xlsx_bytes(book)
