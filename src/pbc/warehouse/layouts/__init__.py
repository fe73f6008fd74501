"""Published file layouts: every form of a published NHS file pbc loads as it is.

Each layout is one declaration (`spec.Layout`) in the module of its feed (`prescribing`,
`list_sizes`, `practices`, ...), registered in `LAYOUTS`. `pbc import DATASET FILE` picks the
layout from the file's header (`detect`), or takes `--layout NAME`; `pbc`, the dataset's own
layout, is the strict form the generator writes and is tried first.

`resolve` decides how a file is read before anything is written: pbc's own layout (None: the
importer's native path), or a published layout (`Resolved`), or a refusal naming the nearest
layout and the columns that differ. `transform.convert` then reshapes the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pbc.warehouse.layouts import (
    ae,
    deprivation,
    hes,
    invoices,
    list_sizes,
    mff,
    practices,
    prescribing,
    qof,
    rtt,
    sus,
    tariff,
)
from pbc.warehouse.layouts.detect import Match, Miss, detect, match_named, same_layout_sheets
from pbc.warehouse.layouts.readers import Sheet, checksum_and_encoding, file_format, previews
from pbc.warehouse.layouts.spec import (
    PERIOD,
    Layout,
    name_value,
    needs_name_value,
    normalise_name,
)
from pbc.warehouse.layouts.title_year import title_year_refusal
from pbc.warehouse.schema import Dataset
from pbc.warehouse.sources import ImportRefused

NATIVE = "pbc"
"""The name of every dataset's own layout (its declared field names as the header)."""

LAYOUTS: dict[str, Layout] = {}


def register(*layouts: Layout) -> None:
    for layout in layouts:
        if layout.name in LAYOUTS or layout.name == NATIVE:
            raise ValueError(f"layout {layout.name!r} declared twice")
        LAYOUTS[layout.name] = layout


register(*prescribing.LAYOUTS)
register(*deprivation.LAYOUTS)
register(*list_sizes.LAYOUTS)
register(*practices.LAYOUTS)
register(*qof.LAYOUTS, *rtt.LAYOUTS, *ae.LAYOUTS)
register(*hes.LAYOUTS, *sus.LAYOUTS, *invoices.LAYOUTS, *tariff.LAYOUTS, *mff.LAYOUTS)


def layouts_for(dataset: str) -> tuple[Layout, ...]:
    return tuple(layout for layout in LAYOUTS.values() if layout.dataset == dataset)


@dataclass(frozen=True)
class Resolved:
    """A file in a published layout, recognised (nothing read beyond its first rows yet)."""

    match: Match
    fmt: str
    encoding: str
    checksum: str
    # Every sheet read (`Layout.every_sheet`), `match` first among them in workbook order.
    sheets: tuple[Match, ...] = ()

    @property
    def layout(self) -> Layout:
        return self.match.layout

    @property
    def matches(self) -> tuple[Match, ...]:
        """The sheets the import reads, in workbook order (one unless `every_sheet`)."""
        return self.sheets or (self.match,)


def _native_header_matches(path: Path, fmt: str | None, ds: Dataset) -> bool:
    """Does the file's first row name exactly the dataset's fields (pbc's own layout)?

    A CSV in pbc's own layout that is not UTF-8 is still pbc's own layout (its header is ASCII):
    the native reader then refuses it as not UTF-8, rather than detection as an unknown
    layout."""
    if fmt not in ("csv", "xlsx"):
        return path.suffix.lower() == ".parquet"
    sheets = None
    for encoding in ("utf-8-sig", "cp1252") if fmt == "csv" else ("utf-8-sig",):
        try:
            sheets = previews(path, fmt, encoding, path.name)
            break
        except UnicodeDecodeError:
            continue
        except (ImportRefused, ValueError, OSError):
            return False
    if not sheets or not sheets[0].preview:
        return False
    names = [str(v).strip().lower() for v in sheets[0].preview[0][1] if v is not None]
    return sorted(names) == sorted(ds.names)


def _miss_text(miss: Miss) -> str:
    text = f"nearest is {miss.layout.name} ({miss.layout.title})"
    if miss.missing:
        text += f": missing columns {', '.join(miss.missing)}"
    if miss.unknown:
        text += f"; columns not in it: {', '.join(miss.unknown[:12])}"
    return text


def _native_diff_text(sheets: list[Any], ds: Dataset) -> str:
    """How the file's first row differs from pbc's own layout, when it names any of its
    fields (a file meant for pbc's own layout, with a column misnamed or missing)."""
    first = next((s for s in sheets if s.preview), None)
    if first is None:
        return ""
    names = [str(v).strip().lower() for v in first.preview[0][1] if v not in (None, "")]
    if not set(names) & set(ds.names):
        return ""
    unknown = [n for n in names if n not in ds.names]
    missing = [n for n in ds.names if n not in names]
    parts = []
    if unknown:
        parts.append(f"unknown columns: {', '.join(unknown[:12])}")
    if missing:
        parts.append(f"missing columns: {', '.join(missing)}")
    return f" (this file against it: {'; '.join(parts)})" if parts else ""


def _name_missing(found: Match, sheets: list[Sheet], source_name: str) -> str | None:
    """The first field the layout takes from the file's name where a row lacks it (among the
    rows read to recognise the file) and the name gives none (`Layout.name_values`)."""
    layout = found.layout
    sheet = next((s for s in sheets if s.index == found.sheet), None)
    if sheet is None:
        return None
    by_field = {c.field: c for c in layout.columns}
    for name in layout.name_values:
        at = found.positions.get(name)
        col = by_field.get(name)
        if at is None or col is None or name_value(layout, name, source_name) is not None:
            continue
        for number, cells in sheet.preview:
            if number > found.header_row and at < len(cells) and needs_name_value(col, cells[at]):
                return name
    return None


def resolve(
    ds: Dataset, path: Path, source_name: str, layout: str | None, period: str | None
) -> Resolved | None:
    """How to read `path` for `ds`: None for pbc's own layout, else the published layout found
    (or forced by `layout`). Raises `ImportRefused` for an unknown or unrecognised layout, or
    a layout that needs --period without one."""
    published = layouts_for(ds.name)
    fmt = file_format(path)
    if layout == NATIVE:
        return None
    if layout is None and (not published or _native_header_matches(path, fmt, ds)):
        return None
    if layout is not None:
        forced = LAYOUTS.get(layout)
        if forced is None or forced.dataset != ds.name:
            known = ", ".join([NATIVE] + [x.name for x in published])
            raise ImportRefused(
                source_name, f"unknown layout {layout!r} for {ds.name} (known: {known})"
            )
    if fmt is None:
        raise ImportRefused(
            source_name,
            f"unsupported format {path.suffix or '(no extension)'!r} for a published layout: "
            "use .csv, .xlsx or .xls",
        )
    checksum, encoding = checksum_and_encoding(path, source_name, text=fmt == "csv")
    sheets = previews(path, fmt, encoding, source_name)
    if not any(s.preview for s in sheets):
        raise ImportRefused(source_name, "empty file: no rows")
    if layout is not None:
        found: Match | Miss | list[Miss] = match_named(LAYOUTS[layout], sheets)
    else:
        found = detect(published, sheets)
    if not isinstance(found, Match):
        misses = found if isinstance(found, list) else [found]
        nearest = _miss_text(misses[0]) if misses else "no layout is declared"
        own = ", ".join(ds.names)
        raise ImportRefused(
            source_name,
            f"not a layout pbc knows for {ds.name}: {nearest}. pbc's own layout has the "
            f"columns {own}{_native_diff_text(sheets, ds)}. Force a layout with --layout NAME "
            "(`pbc import --layouts` lists them).",
        )
    if found.layout.refusal:
        raise ImportRefused(source_name, f"layout {found.layout.name}: {found.layout.refusal}")
    unnamed = _name_missing(found, sheets, source_name)
    if unnamed is not None:
        raise ImportRefused(
            source_name,
            f"layout {found.layout.name}: field {unnamed} is not in the file's rows, and its "
            f"name does not give it: {found.layout.name_hint}",
        )
    if found.layout.needs_period and period is None:
        raise ImportRefused(
            source_name,
            f"layout {found.layout.name} does not carry its period in the file: give --period "
            f"YYYY-MM ({found.layout.period_text})",
        )
    if found.layout.needs_period and period is not None:
        quarterly = [
            name
            for name, value in found.layout.constants.items()
            if value == PERIOD and name in ds.names and ds.field(name).starts == "quarter"
        ]
        if quarterly and int(period[5:7]) not in (1, 4, 7, 10):
            raise ImportRefused(
                source_name,
                f"--period {period} is not the first month of a quarter: layout "
                f"{found.layout.name} counts a quarter ({found.layout.period_text})",
            )
        yearly = [
            name
            for name, value in found.layout.constants.items()
            if value == PERIOD and name in ds.names and ds.field(name).starts == "financial_year"
        ]
        if yearly and int(period[5:7]) != 4:
            raise ImportRefused(
                source_name,
                f"--period {period} is not the first month of a financial year: layout "
                f"{found.layout.name} covers a year ({found.layout.period_text})",
            )
    every = same_layout_sheets(found, sheets)
    if found.layout.year_in_title and period is not None:
        for each in every:
            sheet = next(s for s in sheets if s.index == each.sheet)
            refusal = title_year_refusal(sheet, each.header_row, period)
            if refusal is not None:
                raise ImportRefused(source_name, refusal)
    return Resolved(found, fmt, encoding, checksum, every if len(every) > 1 else ())


def describe() -> list[dict[str, str]]:
    """Every layout with its dataset, title, source and specification (`pbc import --layouts`)."""
    out = [
        {
            "name": NATIVE,
            "dataset": "(every dataset)",
            "title": "pbc's own layout: a header naming the dataset's fields",
            "source": "pbc (docs/data.md)",
            "spec": "docs/data.md",
        }
    ]
    for layout in sorted(LAYOUTS.values(), key=lambda x: (x.dataset, x.name)):
        out.append(
            {
                "name": layout.name,
                "dataset": layout.dataset,
                "title": layout.title,
                "source": layout.source,
                "spec": layout.spec,
            }
        )
    return out


__all__ = [
    "LAYOUTS",
    "NATIVE",
    "Layout",
    "Resolved",
    "describe",
    "layouts_for",
    "normalise_name",
    "register",
    "resolve",
]
