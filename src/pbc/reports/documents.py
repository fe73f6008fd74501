"""The board pack and its documents, built once per data state (pbc.refresh.results).

The page's body, the PDF and the XLSX of a locality's pack for a month are kept in the result
store until the data changes (a refresh step completes, an import, a milestone update, a
challenge decision...). What is stored is what the reader gets (HTML and document bytes), not
the pack's objects. `pbc refresh --board-packs` stores each locality's pack for its latest month
straight away, so that the first reader after a refresh does not wait for it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string

from pbc.orgs.models import Locality
from pbc.refresh import results
from pbc.reports import board, formats


@dataclass(frozen=True)
class StoredPack:
    """What the pack's page shows: its heading facts and its body, rendered once."""

    title: str
    financial_year: str
    year_to_date: str
    month: dt.date
    body_html: str


def _page(locality: Locality, month: dt.date) -> StoredPack:
    pack = board.build(locality, month)
    body = render_to_string("reports/_board_body.jinja", {"pack": pack, "percent": formats.percent})
    return StoredPack(pack.title, pack.financial_year, pack.year_to_date, pack.month, body)


def page(locality: Locality, month: dt.date) -> StoredPack:
    return results.stored("board pack page", locality, lambda: _page(locality, month), month)


def document(locality: Locality, month: dt.date, fmt: str) -> bytes:
    """The pack as `fmt` (html, pdf or xlsx)."""
    return results.stored(
        f"board pack {fmt}",
        locality,
        lambda: formats.render(board.build(locality, month), fmt),
        month,
    )


def filename(locality: Locality, month: dt.date, fmt: str) -> str:
    return f"{locality.slug}-board-pack-{month:%Y-%m}.{fmt}"


def store_latest(report: Callable[[str], None] = lambda line: None) -> None:
    """Build and store every locality's pack for its latest month, in every format."""
    for locality in Locality.objects.order_by("pct__name", "name"):
        started = time.monotonic()
        month = board.default_month(locality)
        page(locality, month)
        for fmt in ("pdf", "xlsx"):
            document(locality, month, fmt)
        report(
            f"  board pack {locality.name} {month:%B %Y}: stored "
            f"({time.monotonic() - started:.1f}s)"
        )
