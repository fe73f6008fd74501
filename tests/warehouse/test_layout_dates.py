"""A published layout's dates: an ISO date is read at once (`transform._date_sql`'s fast path),
giving what the tries of every date form give for the same text."""

from __future__ import annotations

import duckdb
import pytest

from pbc.warehouse.layouts import transform
from pbc.warehouse.layouts.spec import DATE_FORMS

VALUES = [
    "2005-04-01", "2008-02-29", "2009-02-29", "2005-13-01", "2005-04-31", "0001-01-01",
    "1899-12-30", "2005-4-1", "2005-04-01 10:30", "2005-04-01T10:30:00", "01/04/2005",
    "1/4/05", "04/05", "April 2005", "200504", "20050401", "01-Apr-05", "01Apr2005", "38443",
    "not a date", "", None,
]  # fmt: skip


def slow_path(x: str, forms: tuple[str, ...], truncate: str | None) -> str:
    """`_date_sql` without the fast path: every form's tries, then the timestamp cast."""
    tries = [t for form in forms for t in transform._date_tries(x, form)]
    tries.append(f"TRY_CAST(TRY_CAST({x} AS TIMESTAMP) AS DATE)")
    date = f"COALESCE({', '.join(tries)})"
    if truncate is not None:
        date = f"CAST(date_trunc('{truncate}', {date}) AS DATE)"
    return f"COALESCE(CAST({date} AS VARCHAR), {x})"


@pytest.mark.parametrize("truncate", [None, "month"])
@pytest.mark.parametrize("form", [*sorted(DATE_FORMS), "all"])
def test_iso_fast_path_reads_as_the_tries_do(form: str, truncate: str | None) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in VALUES])
    forms = DATE_FORMS if form == "all" else (form,)
    fast = transform._date_sql("v", forms, truncate)
    assert "regexp_full_match(v, " in fast  # the fast path is there
    rows = con.execute(f"SELECT v, {fast}, {slow_path('v', forms, truncate)} FROM t").fetchall()
    assert [(v, a) for v, a, _ in rows] == [(v, b) for v, _, b in rows]
    read = {v: a for v, a, _ in rows}
    assert read["2008-02-29"] == ("2008-02-29" if truncate is None else "2008-02-01")
    assert read["2005-13-01"] == "2005-13-01"  # not a date: the text passes unchanged
