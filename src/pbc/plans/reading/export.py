"""Writing a parsed plan back out as `.xlsx` or `.docx`, in the layout `read_plan` reads.

Both files have the six columns under their usual headers, one table row per objective, and each
item (action, milestone, lead, timescale, outcome; each line of the title) on its own line of the
cell, so reading the file again gives the same objectives:

- `.docx`: the plan title in the Title style, each section as a Heading 1 followed by its own table
  whose header row repeats on every page;
- `.xlsx`: one sheet, the plan title in row 1 (if any), the header row (frozen) below it, each
  section as a bold row merged across the six columns, wrapped text.

Unplaced fragments are not written (they were not part of any objective).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import _Cell
from openpyxl.styles import Alignment, Font

from pbc.exports import Workbook
from pbc.plans.reading.columns import HEADER_TEXT, Role
from pbc.plans.reading.model import ParsedObjective, ParsedPlan

ROLES = list(HEADER_TEXT)
COLUMN_WIDTHS = {
    Role.OBJECTIVE: 30,
    Role.ACTION: 40,
    Role.MILESTONE: 40,
    Role.LEAD: 20,
    Role.TIMESCALE: 14,
    Role.OUTCOME: 40,
}


def objective_cells(objective: ParsedObjective) -> dict[Role, list[str]]:
    """The lines of each column for one objective."""
    return {
        Role.OBJECTIVE: objective.title.split("\n"),
        Role.ACTION: objective.actions,
        Role.MILESTONE: objective.milestones,
        Role.LEAD: objective.leads,
        Role.TIMESCALE: objective.timescales,
        Role.OUTCOME: objective.outcomes,
    }


def by_section(plan: ParsedPlan) -> Iterator[tuple[str, list[ParsedObjective]]]:
    """Consecutive objectives of the same section, in document order."""
    group: list[ParsedObjective] = []
    for objective in plan.objectives:
        if group and objective.section != group[0].section:
            yield group[0].section, group
            group = []
        group.append(objective)
    if group:
        yield group[0].section, group


def write_xlsx(plan: ParsedPlan, path: str | os.PathLike[str]) -> None:
    """Write `plan` as a one-sheet workbook that `read_plan` reads back to the same objectives."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Plan"
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    header_row = 1
    if plan.title:
        sheet.cell(row=1, column=1, value=plan.title).font = Font(bold=True, size=14)
        header_row = 3
    for column, role in enumerate(ROLES, start=1):
        cell = sheet.cell(row=header_row, column=column, value=HEADER_TEXT[role])
        cell.font = bold
        sheet.column_dimensions[cell.column_letter].width = COLUMN_WIDTHS[role]
    sheet.freeze_panes = f"A{header_row + 1}"
    row = header_row + 1
    for section, objectives in by_section(plan):
        if section:
            sheet.cell(row=row, column=1, value=section).font = bold
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(ROLES))
            row += 1
        for objective in objectives:
            cells = objective_cells(objective)
            for column, role in enumerate(ROLES, start=1):
                if cells[role]:
                    target = sheet.cell(row=row, column=column, value="\n".join(cells[role]))
                    target.alignment = wrap
            row += 1
    workbook.save(os.fspath(path))


def _repeat_as_header(row_element: object) -> None:
    tr_pr = row_element.get_or_add_trPr()  # type: ignore[attr-defined]
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _fill(cell: _Cell, lines: list[str]) -> None:
    if not lines:
        return
    cell.paragraphs[0].text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


def write_docx(plan: ParsedPlan, path: str | os.PathLike[str]) -> None:
    """Write `plan` as a Word document that `read_plan` reads back to the same objectives."""
    document = Document()
    if plan.title:
        document.add_paragraph(plan.title, style="Title")
    for section, objectives in by_section(plan):
        if section:
            document.add_heading(section, level=1)
        table = document.add_table(rows=1, cols=len(ROLES))
        table.style = "Table Grid"
        for cell, role in zip(table.rows[0].cells, ROLES, strict=True):
            cell.text = HEADER_TEXT[role]
        _repeat_as_header(table.rows[0]._tr)
        for objective in objectives:
            cells = objective_cells(objective)
            row = table.add_row()
            for cell, role in zip(row.cells, ROLES, strict=True):
                _fill(cell, cells[role])
    document.save(os.fspath(path))
