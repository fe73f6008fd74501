"""Which layout a file is in: recognised from its header, or its column count when headerless.

For each table of the file (each worksheet of a workbook) and each of its first rows (title
rows may stand above the header), every layout of the dataset is tried: a layout matches a row
when every one of its non-optional columns (and every wide column) is named in it. The match
naming most of the layout's columns wins; a headerless layout matches a first row with exactly
its documented number of columns that no headed layout matches (that row is a header, skipped,
when its first cell names the first column as a redistribution does: `Layout.first_heading`). A file no layout matches is
refused naming the nearest layout and the columns that differ.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pbc.warehouse.layouts.readers import Sheet
from pbc.warehouse.layouts.spec import Layout, normalise_name

ABSENT = -1
"""The position of an optional wide column the file does not have (`Match.wide_positions`)."""


@dataclass(frozen=True)
class Match:
    """A layout found in a file: where its header is and where each column is (0-based)."""

    layout: Layout
    sheet: int
    sheet_name: str
    header_row: int  # 0 when headerless
    positions: dict[str, int]  # field -> column index
    # Index of each unpivot column, in declared order (`ABSENT`: an optional one not in the file).
    wide_positions: tuple[int, ...] = ()
    width: int = 0
    extra: tuple[str, ...] = ()  # columns in the file that the layout neither maps nor ignores
    matched: int = 0
    # Columns declared `coalesce`: every present variant's index, in declared order.
    coalesced: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # Per unpivot column: the index of each field it `read`s from another column.
    wide_reads: tuple[dict[str, int], ...] = ()
    # Per unpivot column: the index of its `fallback` column (`ABSENT`: none in the file).
    wide_fallbacks: tuple[int, ...] = ()
    header: tuple[str, ...] = ()  # the header's names as written (empty when headerless)


@dataclass(frozen=True)
class Miss:
    """How far a layout is from a file: the columns it lacks and the file's unknown ones."""

    layout: Layout
    missing: tuple[str, ...]
    unknown: tuple[str, ...] = field(default=())


_NTH = re.compile(r"^(.*)#([0-9]+)$")


def _split(variant: str) -> tuple[str, int]:
    """A declared header name and which of its occurrences it means: "Type 1 Departments#2" is
    the second column of that name (a workbook whose merged group headings repeat the same
    sub-heading under each group); a plain name is its first occurrence."""
    found = _NTH.match(variant)
    if found is None:
        return normalise_name(variant), 1
    return normalise_name(found.group(1)), int(found.group(2))


def _known(variant: str) -> str:
    return _split(variant)[0]


def _index(names: Sequence[str], variants: Sequence[str]) -> int | None:
    for v in variants:
        key, nth = _split(v)
        at = [i for i, n in enumerate(names) if n == key]
        if len(at) >= nth:
            return at[nth - 1]
    return None


def _try_header(layout: Layout, sheet: Sheet, number: int, raw: list[str | None]) -> Match | Miss:
    names = [normalise_name(v) for v in raw]
    while names and not names[-1]:
        names.pop()
    positions: dict[str, int] = {}
    coalesced: dict[str, tuple[int, ...]] = {}
    missing: list[str] = []
    for col in layout.columns:
        i = _index(names, col.names)
        if i is None:
            if not col.optional:
                missing.append(col.names[0])
        else:
            positions[col.field] = i
            if col.coalesce:
                found = (_index(names, [v]) for v in col.names)
                coalesced[col.field] = tuple(dict.fromkeys(j for j in found if j is not None))
    wide: list[int] = []
    reads: list[dict[str, int]] = []
    fallbacks: list[int] = []
    if layout.unpivot is not None:
        for w in layout.unpivot.columns:
            i = _index(names, w.names)
            j = _index(names, w.fallback) if w.fallback else None
            fallbacks.append(ABSENT if j is None or j == i else j)
            if i is None and w.optional:
                wide.append(ABSENT)
                reads.append({})
                continue
            if i is None:
                missing.append(w.names[0])
            else:
                wide.append(i)
            found_reads: dict[str, int] = {}
            for name, variants in w.read.items():
                j = _index(names, variants)
                if j is None:
                    missing.append(variants[0])
                else:
                    found_reads[name] = j
            reads.append(found_reads)
    known = {_known(n) for c in layout.columns for n in c.names}
    known |= {_known(n) for n in layout.ignored}
    if layout.unpivot is not None:
        known |= {_known(n) for w in layout.unpivot.columns for n in (*w.names, *w.fallback)}
        known |= {_known(n) for w in layout.unpivot.columns for v in w.read.values() for n in v}
    extra = tuple(n for n in names if n and n not in known)
    if layout.unpivot is not None and wide and all(i == ABSENT for i in wide):
        missing.append(layout.unpivot.columns[0].names[0])
    if missing:
        return Miss(layout, tuple(missing), extra)
    ignored = sum(1 for n in names if n in {normalise_name(x) for x in layout.ignored})
    return Match(
        layout=layout,
        sheet=sheet.index,
        sheet_name=sheet.name,
        header_row=number,
        positions=positions,
        wide_positions=tuple(wide),
        width=len(names),
        extra=extra,
        matched=len(positions) + sum(1 for i in wide if i != ABSENT) + ignored,
        coalesced=coalesced,
        wide_reads=tuple(reads),
        wide_fallbacks=tuple(fallbacks),
        header=tuple("" if v is None else " ".join(str(v).split()) for v in raw),
    )


def _headerless_match(layout: Layout, sheet: Sheet, width: int) -> Match:
    """`layout` read by position from `sheet`: from its first row, or below it when that row is
    a header a redistribution added (its first cell one of `layout.first_heading`)."""
    number, raw = sheet.preview[0]
    headings = {normalise_name(n) for n in layout.first_heading}
    headed = bool(raw) and normalise_name(raw[0]) in headings
    return Match(
        layout=layout,
        sheet=sheet.index,
        sheet_name=sheet.name,
        header_row=number if headed else 0,
        positions={c.field: (c.position or 1) - 1 for c in layout.columns},
        coalesced={
            c.field: ((c.position or 1) - 1, c.fallback_position - 1)
            for c in layout.columns
            if c.fallback_position is not None
        },
        width=width,
        matched=0,
        header=tuple("" if v is None else " ".join(str(v).split()) for v in raw) if headed else (),
    )


def _try_headerless(layout: Layout, sheet: Sheet) -> Match | None:
    if not sheet.preview:
        return None
    _, raw = sheet.preview[0]
    assert layout.width is not None
    trimmed = list(raw)
    while trimmed and (trimmed[-1] is None or not trimmed[-1].strip()):
        trimmed.pop()
    if len(raw) != layout.width and not (len(raw) > layout.width >= len(trimmed)):
        return None
    return _headerless_match(layout, sheet, layout.width)


def detect(layouts: Sequence[Layout], sheets: Sequence[Sheet]) -> Match | list[Miss]:
    """The best match of `layouts` in the file, or (none matching) each layout's best miss."""
    best: Match | None = None
    misses: dict[str, Miss] = {}
    for sheet in sheets:
        for number, raw in sheet.preview:
            for layout in layouts:
                if layout.headerless:
                    continue
                found = _try_header(layout, sheet, number, raw)
                if isinstance(found, Match):
                    if best is None or found.matched > best.matched:
                        best = found
                else:
                    prior = misses.get(layout.name)
                    if prior is None or len(found.missing) < len(prior.missing):
                        misses[layout.name] = found
    if best is not None:
        return best
    for sheet in sheets:
        for layout in layouts:
            if layout.headerless:
                headerless = _try_headerless(layout, sheet)
                if headerless is not None:
                    return headerless
                if layout.name not in misses and sheet.preview:
                    count = len(sheet.preview[0][1])
                    misses[layout.name] = Miss(
                        layout, (f"{layout.width} columns (the file has {count})",)
                    )
    return sorted(misses.values(), key=lambda m: (len(m.missing), len(m.unknown)))


def same_layout_sheets(found: Match, sheets: Sequence[Sheet]) -> tuple[Match, ...]:
    """Every sheet `found.layout` matches, in workbook order, `found` among them: each other
    sheet's best header (the row naming most of the layout's columns) where one matches. Only
    `found` unless the layout reads `every_sheet`."""
    if not found.layout.every_sheet or found.layout.headerless:
        return (found,)
    out = []
    for sheet in sheets:
        if sheet.index == found.sheet:
            out.append(found)
            continue
        best: Match | None = None
        for number, raw in sheet.preview:
            tried = _try_header(found.layout, sheet, number, raw)
            if isinstance(tried, Match) and (best is None or tried.matched > best.matched):
                best = tried
        if best is not None:
            out.append(best)
    return tuple(out)


def match_named(layout: Layout, sheets: Sequence[Sheet]) -> Match | Miss:
    """`layout` forced by name: its best match in the file, or its nearest miss."""
    found = detect([layout], sheets)
    if isinstance(found, Match):
        return found
    if layout.headerless and sheets and sheets[0].preview:
        # Forced: read by position whatever the column count.
        width = max(layout.width or 0, len(sheets[0].preview[0][1]))
        return _headerless_match(layout, sheets[0], width)
    return found[0] if found else Miss(layout, ("(no rows)",))
