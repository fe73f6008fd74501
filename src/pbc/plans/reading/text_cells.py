"""Text saved from Word, where a tab starts each table cell (the Welwyn Hatfield seed).

Word's "plain text" export writes a table as one cell after another, each cell starting with a tab,
and a paragraph inside a cell as a line without a tab. Blank lines carry no text. So:

- a tab starts a new cell; text before the first tab of a line continues the open cell as a new
  paragraph;
- a header is a run of consecutive cells naming the columns (`columns.match_header`); it can repeat
  at every page break and fixes the number of cells in a row;
- the cells after a header are cut into rows of that many cells, in the header's order;
- a line without a tab is a section heading, not a paragraph, when it stands before the first cell
  of the document, or when the next cell starts a header and the line looks like a heading (at most
  ten words, no full stop, and either in Title Case or containing "priorit");
- text that cannot be placed (before any header, after a header but outside a cell) is unplaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pbc.plans.reading.assemble import Event, Loose, Row, Section, clean
from pbc.plans.reading.columns import Role, match_header, role_of


@dataclass
class _Cell:
    line: int
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class _Line:
    line: int
    text: str


SMALL_WORDS = {"and", "&", "of", "the", "for", "in", "to", "a", "an", "on", "with", "or"}


def looks_like_heading(text: str) -> bool:
    """Short, no full stop, and Title Case (or about priorities): a section heading."""
    words = clean(text).split()
    if not words or len(words) > 10 or text.rstrip().endswith((".", ";", ",")):
        return False
    if "priorit" in text.lower():
        return True
    significant = [w for w in words if w.lower() not in SMALL_WORDS]
    return bool(significant) and all(w[:1].isupper() or not w[:1].isalpha() for w in significant)


def split_items(text: str) -> list[_Cell | _Line]:
    """Lines to cells (a tab starts one) and loose lines (text before any tab on a line)."""
    items: list[_Cell | _Line] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.split("\t")
        if clean(parts[0]):
            items.append(_Line(number, parts[0]))
        for part in parts[1:]:
            cell = _Cell(number)
            if clean(part):
                cell.paragraphs.append(part)
            items.append(cell)
    return items


def _header_at(items: list[_Cell | _Line], start: int) -> list[Role | None] | None:
    """Column roles if the cells from `start` on are a header row, else None."""
    texts: list[str] = []
    for item in items[start:]:
        if not isinstance(item, _Cell) or len(item.paragraphs) != 1:
            break
        if role_of(item.paragraphs[0]) is None:
            break
        texts.append(item.paragraphs[0])
    return match_header(texts) if texts else None


def _next_cell_index(items: list[_Cell | _Line], start: int) -> int | None:
    for index in range(start, len(items)):
        if isinstance(items[index], _Cell):
            return index
    return None


def read_tab_cells(text: str) -> Iterator[Event]:
    """Events (sections, rows, unplaced text) of a tab-starts-a-cell text export."""
    items = split_items(text)
    columns: list[Role | None] | None = None
    row: list[_Cell] = []
    open_cell: _Cell | None = None
    seen_cell = False
    index = 0
    while index < len(items):
        item = items[index]
        if isinstance(item, _Line):
            following = _next_cell_index(items, index + 1)
            starts_header = following is not None and _header_at(items, following) is not None
            if not seen_cell or (starts_header and looks_like_heading(item.text)):
                yield from _flush(row, columns)
                row, open_cell = [], None
                yield Section(item.text)
            elif open_cell is not None:
                open_cell.paragraphs.append(item.text)
            else:
                yield Loose(item.text, f"line {item.line}", "text outside any table cell")
            index += 1
            continue
        seen_cell = True
        header = _header_at(items, index)
        if header is not None:
            yield from _flush(row, columns)
            row, open_cell, columns = [], None, header
            index += len(header)
            continue
        if columns is None:
            for paragraph in item.paragraphs:
                yield Loose(paragraph, f"line {item.line}", "table cell before any header row")
            open_cell = None
            index += 1
            continue
        if len(row) == len(columns):
            # The row is complete only now: lines after its last cell were still part of it.
            yield from _flush(row, columns)
            row = []
        row.append(item)
        open_cell = item
        index += 1
    yield from _flush(row, columns)


def _flush(row: list[_Cell], columns: list[Role | None] | None) -> Iterator[Event]:
    if not row or columns is None:
        return
    cells: dict[Role, list[str]] = {}
    for cell, role in zip(row, columns, strict=False):
        if role is None:
            for paragraph in cell.paragraphs:
                yield Loose(paragraph, f"line {cell.line}", "cell under an unrecognised header")
            continue
        cells.setdefault(role, []).extend(cell.paragraphs)
    yield Row(cells, f"line {row[0].line}")


def is_tab_cell_text(text: str) -> bool:
    """True when the header appears as one cell per line (each line starting with a tab)."""
    items = split_items(text)
    return any(
        isinstance(item, _Cell) and _header_at(items, i) is not None for i, item in enumerate(items)
    )
