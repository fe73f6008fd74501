"""The finance demo (contracts, other spend, approved 2008/09 budgets, refresh to January 2009)
is part of the session's test-scale demo (`pbc.demo.build`); this fixture names the dependency
for the finance tests and checks the demo really holds it; `rows_of` reads a page's table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html.parser import HTMLParser

import pytest


@pytest.fixture
def demo_facts() -> Callable[[dt.date], None]:
    """`demo_facts(month)`: the facts behind the statements for report month `month` as a
    refresh would store them now, for a test's "before". The session's demo stores them already
    when its last finance step ran for `month` and nothing it reads has changed since (the
    pipeline's own record, `pbc.refresh.queries.staleness`): then no refresh is needed, otherwise
    (another month, or the demo changed) the refresh runs."""
    from pbc.finance.refresh import refresh
    from pbc.refresh import pipeline
    from pbc.refresh.queries import staleness

    def current(month: dt.date) -> None:
        last = pipeline.last_completed("finance")
        if last is None or last.month != month or staleness("finance") is not None:
            refresh(month)

    return current


@pytest.fixture(scope="session")
def finance_demo(django_db_setup: None, django_db_blocker: object) -> None:
    from pbc.finance.models import BudgetVersion

    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        assert BudgetVersion.objects.filter(status="approved").exists(), "finance demo missing"


class _Table(HTMLParser):
    """The rows of one table (by id): each row's data-* attributes → its cells' text."""

    def __init__(self, table_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.table_id, self.depth, self.inside = table_id, 0, False
        self.rows: list[tuple[dict[str, str], list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            if self.inside:
                self.depth += 1
            elif a.get("id") == self.table_id:
                self.inside, self.depth = True, 0
        elif self.inside and tag == "tr":
            self.rows.append(({k[5:]: v for k, v in a.items() if k.startswith("data-")}, []))
        elif self.inside and tag in ("td", "th") and self.rows:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.inside:
            if self.depth == 0:
                self.inside = False
            self.depth -= 1
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1][1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, table_id: str) -> list[tuple[dict[str, str], list[str]]]:
    parser = _Table(table_id)
    parser.feed(html)
    assert parser.rows, f"no table with id={table_id!r} (or it has no rows)"
    return parser.rows


@pytest.fixture(scope="session")
def rows_of() -> Callable[[str, str], list[tuple[dict[str, str], list[str]]]]:
    """`rows_of(html, table_id)`: the table's rows as (data-* attributes, cell texts)."""
    return table_rows
