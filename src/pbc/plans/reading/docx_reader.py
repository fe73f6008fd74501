"""Word `.docx` plans: one or more tables, with section headings between them.

- The body is read in document order (paragraphs and tables interleaved).
- A table row whose cells name the columns is a header (`columns.match_header`); a header repeated
  at the top of each page, or of each table, is simply read again. A table without a header row
  continues with the columns of the previous table if it has as many columns.
- A row whose only text is one cell merged across the table is a section row.
- A paragraph outside the tables is a section heading when it is in a Heading style, or when it
  looks like a heading (`text_cells.looks_like_heading`) and a table follows it. A paragraph in the
  Title style is the plan's title. Any other text outside the tables is listed as unplaced.
- Each paragraph of a cell (and each line of a paragraph broken with a line break) is one item;
  merged cells are read once, at their top-left position; text of tables nested in a cell is
  read as further paragraphs of that cell.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from docx import Document
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from pbc.plans.reading.assemble import Event, Loose, PlanTitle, Row, Section, clean
from pbc.plans.reading.columns import Role, match_header
from pbc.plans.reading.model import count_text_chars
from pbc.plans.reading.text_cells import looks_like_heading


@dataclass
class ReadDocument:
    """Reader events and how much text the document holds (non-blank characters)."""

    events: list[Event] = field(default_factory=list)
    text_chars: int = 0
    header_found: bool = False


def cell_paragraphs(cell: _Cell) -> list[str]:
    """The non-blank lines of a cell, nested tables included."""
    lines: list[str] = []
    for block in cell.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.extend(line for line in block.text.splitlines() if clean(line))
        else:
            for row in block.rows:
                for inner in _unique_cells(row.cells, {}):
                    if inner is not None:
                        lines.extend(cell_paragraphs(inner))
    return lines


def _unique_cells(cells: tuple[_Cell, ...], seen: dict[int, object]) -> list[_Cell | None]:
    """Cells of a row with merged repeats (horizontal or from rows above) replaced by None.

    `seen` maps id() to the cell element itself: holding the element keeps lxml handing out the
    same proxy object for it, so the id stays valid.
    """
    out: list[_Cell | None] = []
    for cell in cells:
        key = id(cell._tc)
        if key in seen:
            out.append(None)
        else:
            seen[key] = cell._tc
            out.append(cell)
    return out


def _is_heading_style(paragraph: Paragraph) -> bool:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    return name.lower().startswith("heading")


def _is_title_style(paragraph: Paragraph) -> bool:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    return name.lower() in ("title", "subtitle")


def read_docx(data: bytes) -> ReadDocument:
    """Events of a Word document (the caller has checked that `data` is a .docx package)."""
    document = Document(io.BytesIO(data))
    doc = ReadDocument()
    blocks = list(document.iter_inner_content())
    columns: list[Role | None] | None = None
    for index, block in enumerate(blocks):
        if isinstance(block, Paragraph):
            text = block.text
            if not clean(text):
                continue
            doc.text_chars += count_text_chars(text)
            next_block = next(
                (b for b in blocks[index + 1 :] if not isinstance(b, Paragraph) or clean(b.text)),
                None,
            )
            if _is_title_style(block):
                doc.events.append(PlanTitle(text))
            elif _is_heading_style(block) or (
                isinstance(next_block, Table) and looks_like_heading(text)
            ):
                doc.events.append(Section(text))
            else:
                doc.events.append(Loose(text, f"paragraph {index + 1}", "text outside the tables"))
            continue
        columns = yield_table(block, columns, doc, f"table {index + 1}")
    return doc


def yield_table(
    table: Table, columns: list[Role | None] | None, doc: ReadDocument, where: str
) -> list[Role | None] | None:
    """Append the events of one table; returns the columns in force after it."""
    seen: dict[int, object] = {}
    width = len(table.columns)
    if columns is not None and len(columns) != width:
        columns = None
    for number, row in enumerate(table.rows, start=1):
        location = f"{where}, row {number}"
        before = [None] * getattr(row, "grid_cols_before", 0)
        cells = before + _unique_cells(row.cells, seen)
        texts = [cell_paragraphs(c) if c is not None else [] for c in cells]
        doc.text_chars += sum(count_text_chars(t) for lines in texts for t in lines)
        header = match_header([" ".join(lines) for lines in texts])
        if header is not None:
            columns = header
            doc.header_found = True
            continue
        filled = [i for i, lines in enumerate(texts) if lines]
        if not filled:
            continue
        spans = len(row.cells) > 1 and len({id(c._tc) for c in row.cells}) == 1
        if len(filled) == 1 and spans:
            doc.events.append(Section(" ".join(texts[filled[0]])))
            continue
        if columns is None:
            for lines in texts:
                for line in lines:
                    doc.events.append(Loose(line, location, "table row before any header row"))
            continue
        doc.events.extend(row_events(texts, columns, location))
    return columns


def row_events(
    texts: list[list[str]], columns: list[Role | None], location: str
) -> Iterator[Event]:
    """A Row event for one table row, and Loose events for text under unknown columns."""
    row: dict[Role, list[str]] = {}
    for position, lines in enumerate(texts):
        role = columns[position] if position < len(columns) else None
        if role is None:
            for line in lines:
                yield Loose(line, location, "cell under no recognised column header")
        elif lines:
            row.setdefault(role, []).extend(lines)
    yield Row(row, location)
