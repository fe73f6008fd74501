"""Excel `.xlsx` plans: a header row somewhere near the top, section rows, multi-line cells.

- Every worksheet is read, in workbook order. Its header is the first row among the top
  `HEADER_SEARCH_ROWS` whose cells name the columns (`columns.match_header`); a sheet with no
  header has all its text listed as unplaced. A header repeated further down is read again.
- Above the header, the first row holding a single text is the plan's title; after it, a row
  holding one short heading-like text is a section heading; other text there is listed as
  unplaced (notes, a title block's details).
- Below the header, a row whose only text is in one cell that is merged across columns, or that is
  in the first column and looks like a heading (`text_cells.looks_like_heading`) while the rest of
  the row is empty, is a section row.
- A cell's lines (line breaks inside the cell) are its items. Dates become "31 March 2009" so the
  timescale rules apply to them.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import load_workbook

from pbc.plans.reading.assemble import Loose, PlanTitle, Section, clean
from pbc.plans.reading.columns import match_header
from pbc.plans.reading.docx_reader import ReadDocument, row_events
from pbc.plans.reading.model import count_text_chars
from pbc.plans.reading.text_cells import looks_like_heading

HEADER_SEARCH_ROWS = 20


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


def cell_lines(value: Any) -> list[str]:
    return [line for line in cell_text(value).splitlines() if clean(line)]


def read_xlsx(data: bytes) -> ReadDocument:
    """Events of a workbook (the caller has checked that `data` is an .xlsx package)."""
    workbook = load_workbook(io.BytesIO(data), data_only=True)
    doc = ReadDocument()
    for sheet in workbook.worksheets:
        merged_starts = {
            (rng.min_row, rng.min_col)
            for rng in sheet.merged_cells.ranges
            if rng.size["columns"] > 1
        }
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        header_at = next(
            (
                i
                for i, r in enumerate(rows[:HEADER_SEARCH_ROWS])
                if match_header([cell_text(v) for v in r])
            ),
            None,
        )
        columns = None
        titled = False
        for index, values in enumerate(rows):
            location = f"sheet {sheet.title!r}, row {index + 1}"
            texts = [cell_lines(v) for v in values]
            doc.text_chars += sum(count_text_chars(t) for lines in texts for t in lines)
            filled = [i for i, lines in enumerate(texts) if lines]
            if not filled:
                continue
            header = match_header([cell_text(v) for v in values])
            if header is not None and (header_at is not None and index >= header_at):
                columns = header
                doc.header_found = True
                continue
            single = texts[filled[0]] if len(filled) == 1 else None
            if columns is None:
                if single is not None and header_at is not None and not titled:
                    doc.events.append(PlanTitle(" ".join(single)))
                    titled = True
                    continue
                if single is not None and len(single) == 1 and looks_like_heading(single[0]):
                    doc.events.append(Section(single[0]))
                    continue
                for lines in texts:
                    for line in lines:
                        doc.events.append(Loose(line, location, "text outside the plan table"))
                continue
            merged = (index + 1, filled[0] + 1) in merged_starts
            first_column = filled[0] == min(i for i, role in enumerate(columns) if role is not None)
            if single is not None and (
                merged or (first_column and len(single) == 1 and looks_like_heading(single[0]))
            ):
                doc.events.append(Section(" ".join(single)))
                continue
            doc.events.extend(row_events(texts, columns, location))
    return doc
