"""Long tables: one page of rows at a time, sorted and filtered on the server.

Everything the table shows is in the URL's query string (`page`, `sort`, and each page's own
filters), so a link or a bookmark shows the same rows. `sort=amount` sorts by a column
ascending, `sort=-amount` descending; only the columns the view names can be sorted on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50


def query(request: HttpRequest, **changes: object) -> str:
    """The request's query string with `changes` made (a value of None removes the key)."""
    params = {k: v for k, v in request.GET.items()}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(sorted(params.items())) if params else "?"


@dataclass(frozen=True)
class Column:
    """A column heading: its link sorts by it (descending if it is the ascending sort now)."""

    key: str
    label: str
    href: str | None  # None: the column cannot be sorted on
    aria_sort: str  # "ascending", "descending" or "none"
    numeric: bool = False


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    number: int
    pages: int
    total: int
    first: int  # the first row's position (1-based), 0 when there are none
    last: int
    columns: list[Column] = field(default_factory=list)
    previous: str | None = None
    next: str | None = None


def paged(
    request: HttpRequest,
    qs: QuerySet[Any],
    columns: list[tuple[str, str, str | None]],
    default_sort: str,
    *,
    numeric: frozenset[str] = frozenset(),
    size: int = PAGE_SIZE,
    total: int | None = None,
) -> Page:
    """Sort `qs` by the request's `sort` (one of `columns`' keys with a field, `-` for
    descending; `default_sort` otherwise) and cut out the request's `page`.

    `columns` are (key, heading, model field or None for a column that cannot be sorted).
    `total` is `qs.count()` when the view has counted the rows already.
    """
    fields = {key: f for key, _, f in columns if f}
    sort = request.GET.get("sort", default_sort)
    if sort.lstrip("-") not in fields:
        sort = default_sort
    descending = sort.startswith("-")
    order = ("-" if descending else "") + fields[sort.lstrip("-")]
    if total is None:
        total = qs.count()
    pages = max(1, -(-total // size))
    try:
        number = min(max(1, int(request.GET.get("page", "1"))), pages)
    except ValueError:
        number = 1
    start = (number - 1) * size
    rows = list(qs.order_by(order, "pk")[start : start + size])
    heads = []
    for key, label, f in columns:
        current = sort.lstrip("-") == key
        state = ("descending" if descending else "ascending") if current else "none"
        target = f"-{key}" if current and not descending else key
        href = query(request, sort=target, page=None) if f else None
        heads.append(Column(key, label, href, state, key in numeric))
    return Page(
        rows=rows,
        number=number,
        pages=pages,
        total=total,
        first=start + 1 if rows else 0,
        last=start + len(rows),
        columns=heads,
        previous=query(request, page=number - 1) if number > 1 else None,
        next=query(request, page=number + 1) if number < pages else None,
    )
