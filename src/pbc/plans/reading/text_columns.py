"""Text pulled out of a PDF table: tab-separated columns (the Dacorum seed).

Such an export writes a table row as one line with a tab between columns, but it is irregular:

1. **Header and sections.** A line whose tab-separated cells name the columns is a header
   (`columns.match_header`); it may repeat at page breaks. A line without a tab just before a
   header (blank lines between are allowed) that looks like a heading is a section heading.
2. **Full rows.** A line with as many tab-separated fields as the header has columns maps field
   by field. A row with an empty Objective field is a sub-row of the objective above.
3. **Shifted rows.** Where whole columns are empty over a stretch of the page, the export leaves
   them out and writes fewer fields. Consecutive lines with the same smaller field count (blank
   lines between allowed) form a *stretch*, and the stretch is aligned to the header once, by the
   order-preserving assignment of its fields to columns with the least cost:
   - the last field is always the last column (Outcome in the seed layout);
   - a field whose every value reads as a timescale ("March 2009", "Ongoing") must be the
     Timescale column, and no other text may go there;
   - a field whose every value is made of words seen in the Lead column of full rows
     ("Locality", "DacCom project leads") belongs in the Lead column; other text there is costly;
   - a field empty throughout the stretch is cheapest in a narrow column (Lead, Timescale);
   - leaving out Lead or Timescale costs nothing, the Objective column little (objective cells
     are short, so it is the wide column most often empty), Action, Milestones or Outcome more.
   So "stakeholders to achieve… | organisations for health | | March 2009 | Action plan…" (five
   fields, tabs shown as "|") reads as Action, Milestones, Lead, Timescale, Outcome, and four
   fields with an empty third field read as Action, Milestones, (Lead or Timescale), Outcome.
   The cost weights are general, but were checked against one irregular document (Dacorum).
4. **Wrapped lines.** A line without a tab continues the last field written on the line above
   it (a cell whose text the export put on lines of its own).
5. **Debris.** Fields that are cut words or interleaved columns (`fragments.DebrisDetector`), and
   fields with no letter or digit at all (rules, lone bullets), are listed as unplaced. Fields
   beyond the header's width are unplaced too.

Since a line break inside a cell cannot be told from a new paragraph, fragments that start in
lower case are joined to the previous item of their field (`assemble`, wrapped mode).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pbc.plans.reading.assemble import Event, Loose, Row, Section, clean, has_text
from pbc.plans.reading.columns import Role, match_header
from pbc.plans.reading.fragments import DebrisDetector, words
from pbc.plans.reading.text_cells import looks_like_heading
from pbc.plans.reading.timescales import is_timescale

NARROW = {Role.LEAD, Role.TIMESCALE, None}
DROP_COST: dict[Role | None, float] = {
    Role.OBJECTIVE: 0.5,
    Role.ACTION: 1.0,
    Role.MILESTONE: 1.0,
    Role.OUTCOME: 1.0,
    Role.LEAD: 0.0,
    Role.TIMESCALE: 0.0,
    None: 0.0,
}


@dataclass
class _Line:
    number: int
    fields: list[str]


def header_lines(lines: Sequence[str]) -> dict[int, list[Role | None]]:
    """Index of every header line, with its column roles."""
    found: dict[int, list[Role | None]] = {}
    for index, line in enumerate(lines):
        if "\t" in line:
            roles = match_header([clean(f) for f in line.split("\t")])
            if roles is not None:
                found[index] = roles
    return found


def is_tab_column_text(text: str) -> bool:
    return bool(header_lines(text.splitlines()))


def _kind(values: list[str], lead_words: set[str]) -> str:
    present = [v for v in values if has_text(v)]
    if not present:
        return "empty"
    if all(is_timescale(v) for v in present):
        return "timescale"
    if lead_words and all(_is_lead_like(v, lead_words) for v in present):
        return "lead"
    return "text"


def _is_lead_like(value: str, lead_words: set[str]) -> bool:
    found = words(value)
    return 0 < len(found) <= 8 and value.strip()[:1].isupper() and set(found) <= lead_words


def _placement_cost(kind: str, role: Role | None) -> float:
    if kind == "timescale":
        return 0.0 if role is Role.TIMESCALE else 10.0
    if role is Role.TIMESCALE:
        return 0.0 if kind == "empty" else 10.0
    if kind == "lead":
        return 0.0 if role is Role.LEAD else 2.0
    if kind == "empty":
        return 0.0 if role in NARROW else 1.0
    return 3.0 if role in NARROW else 0.0


def align_stretch(
    columns: Sequence[Role | None], stretch: Sequence[Sequence[str]], lead_words: set[str]
) -> list[Role | None]:
    """The column of each field of a stretch of lines with fewer fields than the header."""
    width = len(stretch[0])
    kinds = [_kind([line[j] for line in stretch], lead_words) for j in range(width)]
    last = len(columns) - 1
    best: tuple[float, tuple[int, ...]] | None = None
    for chosen in itertools.combinations(range(last), width - 1):
        cost = sum(_placement_cost(kinds[j], columns[c]) for j, c in enumerate(chosen))
        cost += _placement_cost(kinds[-1], columns[last])
        cost += sum(DROP_COST[columns[c]] for c in range(last) if c not in chosen)
        if best is None or cost < best[0]:
            best = (cost, chosen)
    assert best is not None
    return [columns[c] for c in best[1]] + [columns[last]]


def read_tab_columns(text: str) -> Iterator[Event]:
    """Events (sections, rows, unplaced text) of a tab-separated PDF table export."""
    lines = text.splitlines()
    headers = header_lines(lines)
    debris = DebrisDetector(f for line in lines for f in line.split("\t"))
    first_header = min(headers) if headers else len(lines)
    lead_words = _lead_words(lines, headers)

    columns: list[Role | None] | None = None
    pending: list[_Line] = []
    last_role: Role | None = None
    for index, raw in enumerate(lines):
        number = index + 1
        if index in headers:
            yield from _flush(pending, columns, lead_words)
            pending, last_role, columns = [], None, headers[index]
            continue
        if not raw.strip():
            continue
        if "\t" in raw:
            fields = []
            for field_text in raw.split("\t"):
                if clean(field_text) and not has_text(field_text):
                    yield Loose(field_text, f"line {number}", "no text (a rule or a lone bullet)")
                    field_text = ""
                elif has_text(field_text) and debris.is_debris(field_text):
                    yield Loose(field_text, f"line {number}", "words cut across columns")
                    field_text = ""
                fields.append(field_text)
            if columns is None:
                for field_text in fields:
                    yield Loose(field_text, f"line {number}", "before any header row")
                continue
            if pending and len(pending[0].fields) != len(fields):
                yield from _flush(pending, columns, lead_words)
                pending = []
            pending.append(_Line(number, fields))
            last_role = None
            continue
        # A line without a tab: a heading, a wrapped continuation, or loose text.
        yield from _flush(pending, columns, lead_words)
        if pending:
            last_role = _last_role(pending[-1], columns, lead_words, pending)
        pending = []
        next_index = next((i for i in range(index + 1, len(lines)) if lines[i].strip()), None)
        if index < first_header or (next_index in headers and looks_like_heading(raw)):
            yield Section(raw)
            last_role = None
        elif not has_text(raw):
            yield Loose(raw, f"line {number}", "no text (a rule or a lone bullet)")
        elif debris.is_debris(raw):
            yield Loose(raw, f"line {number}", "words cut across columns")
        elif last_role is not None:
            yield Row({last_role: [raw]}, f"line {number}")
        else:
            yield Loose(raw, f"line {number}", "text outside the table")
    yield from _flush(pending, columns, lead_words)


def _lead_words(lines: Sequence[str], headers: dict[int, list[Role | None]]) -> set[str]:
    """Words of the Lead column in full-width rows: what a lead looks like in this document."""
    found: set[str] = set()
    columns: list[Role | None] | None = None
    for index, line in enumerate(lines):
        if index in headers:
            columns = headers[index]
            continue
        fields = line.split("\t")
        if columns is None or Role.LEAD not in columns or len(fields) != len(columns):
            continue
        found.update(words(fields[columns.index(Role.LEAD)]))
    return found


def _roles_for(
    stretch: list[_Line], columns: list[Role | None], lead_words: set[str]
) -> list[Role | None]:
    width = len(stretch[0].fields)
    if width == len(columns):
        return list(columns)
    if width > len(columns):
        return list(columns) + [None] * (width - len(columns))
    return align_stretch(columns, [line.fields for line in stretch], lead_words)


def _last_role(
    line: _Line, columns: list[Role | None] | None, lead_words: set[str], stretch: list[_Line]
) -> Role | None:
    if columns is None:
        return None
    roles = _roles_for(stretch, columns, lead_words)
    written = [role for role, f in zip(roles, line.fields, strict=True) if clean(f)]
    return written[-1] if written else None


def _flush(
    stretch: list[_Line], columns: list[Role | None] | None, lead_words: set[str]
) -> Iterator[Event]:
    if not stretch or columns is None:
        return
    roles = _roles_for(stretch, columns, lead_words)
    for line in stretch:
        cells: dict[Role, list[str]] = {}
        for role, field_text in zip(roles, line.fields, strict=True):
            if not clean(field_text):
                continue
            if role is None:
                yield Loose(field_text, f"line {line.number}", "field outside the header's columns")
            else:
                cells.setdefault(role, []).append(field_text)
        yield Row(cells, f"line {line.number}")
