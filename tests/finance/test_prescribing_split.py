"""The prescribing variance split into budget setting, volume and price: the analytics on
hand-made rows (every engine), the demo's split against a plain-Python reference computed from
the warehouse's prescribing rows, and the figures on the statement pages, the month-end report
and the XLSX."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.test import Client
from openpyxl import load_workbook

from pbc.analytics.finance.prescribing import PriceVolume, price_volume_by_month
from pbc.finance import statements
from pbc.finance.models import SpendFact
from pbc.orgs.models import Practice
from pbc.periods import add_months
from pbc.warehouse import engine as wh
from pbc.web.jinja import money

D = Decimal
MONTH = dt.date(2009, 1, 1)
Rows = Callable[[str, str], list[tuple[dict[str, str], list[str]]]]


def _on(engine: ibis.BaseBackend, df: pd.DataFrame, folder: Path) -> ibis.Table:
    path = folder / "prescribing.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    return engine.read_parquet(str(path))


# --- analytics on hand-made rows -----------------------------------------------------------------


def test_price_volume_by_month_on_hand_made_rows(engine: ibis.BaseBackend, tmp_path: Path) -> None:
    rows = pd.DataFrame(
        [
            # practice, month, bnf, quantity, cost
            ("P1", dt.date(2007, 4, 1), "A", 100.0, D("100.00")),
            ("P1", dt.date(2008, 4, 1), "A", 120.0, D("108.00")),  # +20% volume, 10% cheaper
            ("P1", dt.date(2007, 4, 1), "B", 10.0, D("50.00")),  # not prescribed in April 2008
            ("P1", dt.date(2008, 5, 1), "C", 5.0, D("30.00")),  # new in May 2008
            ("P1", dt.date(2007, 6, 1), "A", 40.0, D("36.00")),
            ("P1", dt.date(2008, 6, 1), "A", 50.0, D("46.25")),  # 1.25 x volume, dearer
            ("P2", dt.date(2007, 4, 1), "A", 10.0, D("10.00")),  # no 2008 data: no row
            ("P1", dt.date(2008, 7, 1), "A", 1.0, D("1.00")),  # outside the period asked
        ],
        columns=["gp_practice_code", "month", "bnf_code", "quantity", "actual_cost"],
    )
    expr = price_volume_by_month(
        _on(engine, rows, tmp_path), dt.date(2008, 4, 1), dt.date(2008, 6, 30)
    )
    out = {(r["gp_practice_code"], r["month"]): r for r in engine.to_pyarrow(expr).to_pylist()}
    assert sorted(out) == [
        ("P1", dt.date(2008, 4, 1)), ("P1", dt.date(2008, 5, 1)), ("P1", dt.date(2008, 6, 1)),
    ]  # fmt: skip

    def split(key: tuple[str, dt.date]) -> tuple[Decimal, ...]:
        r = out[key]
        return tuple(
            r[k]
            for k in ("cost_now", "cost_base", "at_base_prices", "volume_effect", "price_effect")
        )

    # April: A repriced 120 x £1.00 = £120; B gone (a volume fall of £50).
    assert split(("P1", dt.date(2008, 4, 1))) == (
        D("108.00"), D("150.00"), D("120.00"), D("-30.00"), D("-12.00"),
    )  # fmt: skip
    # May: C is new, all volume.
    assert split(("P1", dt.date(2008, 5, 1))) == (
        D("30.00"), D("0.00"), D("30.00"), D("30.00"), D("0.00"),
    )  # fmt: skip
    # June: 50 at last June's £0.90 = £45.00; the rest is price.
    assert split(("P1", dt.date(2008, 6, 1))) == (
        D("46.25"), D("36.00"), D("45.00"), D("9.00"), D("1.25"),
    )  # fmt: skip


def test_price_volume_parts_add_up_to_the_variance() -> None:
    budget = [D("100.00")] * 12
    one = PriceVolume.of_months(
        {1: (D("108.00"), D("150.00"), D("120.00")), 3: (D("46.25"), D("36.00"), D("45.00"))},
        budget,
    )
    assert one.months == (1, 3) and one.budget == D("200.00")
    assert (one.cost, one.cost_last_year, one.at_last_year_prices) == (
        D("154.25"), D("186.00"), D("165.00"),
    )  # fmt: skip
    assert (one.volume_effect, one.price_effect, one.budget_effect) == (
        D("-21.00"), D("-10.75"), D("-14.00"),
    )  # fmt: skip
    assert one.variance == D("-45.75") == one.budget_effect + one.volume_effect + one.price_effect
    two = PriceVolume.of_months({2: (D("10.00"), D("5.00"), D("6.00"))}, budget)
    both = PriceVolume.total([one, two])
    assert both.months == (1, 2, 3)
    assert (both.cost, both.budget, both.variance) == (D("164.25"), D("300.00"), D("-135.75"))


# --- the demo: a plain-Python reference from the warehouse ----------------------------------------


def _practices(**filters: Any) -> list[Practice]:
    return list(Practice.objects.filter(**filters).select_related("locality__pct").order_by("code"))


def _half_up(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def reference_split(codes: list[str], months: list[dt.date]) -> tuple[Decimal, Decimal, Decimal]:
    """(cost, cost last year, at last year's prices) of the practices over `months`, straight
    from the warehouse's prescribing rows: each month against the same month a year earlier,
    by BNF presentation."""
    con = wh.connect()
    t = wh.table(con, "prescribing")
    t = t.filter(t.gp_practice_code.isin(codes))
    cells: dict[tuple[str, str, dt.date], list[Any]] = defaultdict(lambda: [D("0.00"), 0.0])
    for r in con.to_pyarrow(
        t.select("gp_practice_code", "bnf_code", "month", "quantity", "actual_cost")
    ).to_pylist():
        month = r["month"] if isinstance(r["month"], dt.date) else r["month"].date()
        cell = cells[(r["gp_practice_code"], r["bnf_code"], month)]
        cell[0] += r["actual_cost"]
        cell[1] += r["quantity"]
    wanted = set(months)
    present = {(code, month) for (code, _bnf, month) in cells if month in wanted}
    cost = cost_ly = at_ly = D("0.00")
    for (code, bnf, month), (c, q) in cells.items():
        if (code, add_months(month, 12)) in present:
            cost_ly += c  # including presentations no longer prescribed (a volume fall)
        if (code, month) not in present:
            continue
        cost += c
        base = cells.get((code, bnf, add_months(month, -12)))
        if base is None or base[1] == 0:
            at_ly += c  # new this year: all volume
        else:
            ratio = _half_up(Decimal(q / base[1]), "0.000001")
            at_ly += _half_up(base[0] * ratio, "0.01")
    return cost, cost_ly, at_ly


@pytest.mark.django_db
def test_demo_split_matches_the_warehouse_and_the_statement(finance_demo: None) -> None:
    practices = _practices(locality__slug="dacorum")
    rep = statements.report(practices, MONTH)
    pv = rep.prescribing
    assert pv is not None
    line = rep.statement.line("prescribing")
    # Prescribing for December and January is estimated: the split covers April to November.
    assert line.estimated_months == (9, 10) and pv.months == tuple(range(1, 9))
    months = [dt.date(2008, m, 1) for m in range(4, 12)]
    cost, cost_ly, at_ly = reference_split([p.code for p in practices], months)
    assert (pv.cost, pv.cost_last_year, pv.at_last_year_prices) == (cost, cost_ly, at_ly)
    # The same spend the statement charges for those months, and last year's for the same months.
    facts = SpendFact.objects.filter(practice__in=practices, line="prescribing", estimated=False)
    this = facts.filter(month__gte=months[0], month__lte=months[-1]).aggregate(t=Sum("charged"))
    last = facts.filter(month__gte=dt.date(2007, 4, 1), month__lte=dt.date(2007, 11, 1)).aggregate(
        t=Sum("charged")
    )
    assert pv.cost == D(this["t"]).quantize(D("0.01")) == sum(line.actual_months[:8], D(0))
    assert pv.cost_last_year == D(last["t"]).quantize(D("0.01"))
    assert pv.budget == sum(line.budget_months[:8], D(0)) > 0
    assert pv.variance == pv.budget_effect + pv.volume_effect + pv.price_effect
    assert pv.volume_effect != 0 and pv.price_effect != 0
    # The locality's split is the sum of its practices'.
    assert sum((rep.practice_prescribing[p.pk].price_effect for p in practices), D(0)) == (
        pv.price_effect
    )


# --- pages and the XLSX -------------------------------------------------------------------------


def _split_cells(html: str, rows_of: Rows) -> dict[str, str]:
    return {attrs["item"]: cells[1] for attrs, cells in rows_of(html, "prescribing-split")[1:]}


def _expected(pv: PriceVolume) -> dict[str, str]:
    return {
        k: money(getattr(pv, k), pence=True)
        for k in ("budget", "cost", "variance", "budget_effect", "volume_effect", "price_effect",
                  "cost_last_year", "change")
    }  # fmt: skip


@pytest.mark.django_db
def test_split_on_statement_pages_and_month_end_report(finance_demo: None, rows_of: Rows) -> None:
    client = Client()
    client.force_login(get_user_model().objects.get(username="locality"))
    practices = _practices(locality__slug="dacorum")
    rep = statements.report(practices, MONTH)
    pv = rep.prescribing
    assert pv is not None
    html = client.get("/finance/localities/dacorum/?month=2009-01").content.decode()
    assert _split_cells(html, rows_of) == _expected(pv)
    by_practice = {a["practice"]: c for a, c in rows_of(html, "prescribing-split-practices")[1:]}
    assert set(by_practice) == {p.code for p in practices}
    for p in practices:
        x = rep.practice_prescribing[p.pk]
        assert by_practice[p.code][1:] == [
            money(v, pence=True)
            for v in (x.variance, x.budget_effect, x.volume_effect, x.price_effect)
        ]
    report = client.get("/finance/localities/dacorum/month-end/?month=2009-01").content.decode()
    assert _split_cells(report, rows_of) == _expected(pv)
    over = "over" if pv.variance > 0 else "under"
    assert (
        f"Prescribing is {money(abs(pv.variance))} {over} budget on months 1, 2, 3, 4, 5, 6, 7, 8: "
        f"{money(pv.volume_effect)} from volume and {money(pv.price_effect)} from drug price "
        f"changes" in report
    )
    # The practice's own page and the PCT's.
    client.force_login(get_user_model().objects.get(username="practice"))
    own = _practices(code="E82601")
    html = client.get("/finance/practices/E82601/?month=2009-01").content.decode()
    own_pv = statements.report(own, MONTH).prescribing
    assert own_pv is not None and _split_cells(html, rows_of) == _expected(own_pv)
    assert own_pv == rep.practice_prescribing[own[0].pk]
    client.force_login(get_user_model().objects.get(username="analyst"))
    html = client.get("/finance/pct/west-herts/?month=2009-01").content.decode()
    pct_pv = statements.report(_practices(locality__pct__code="5P3"), MONTH).prescribing
    assert pct_pv is not None and _split_cells(html, rows_of) == _expected(pct_pv)


@pytest.mark.django_db
def test_split_in_the_xlsx(finance_demo: None) -> None:
    client = Client()
    client.force_login(get_user_model().objects.get(username="locality"))
    response = client.get("/finance/localities/dacorum/statement.xlsx?month=2009-01")
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb["Prescribing price and volume"]
    header, *rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert header[:3] == ("Practice", "ODS code", "Months")
    practices = _practices(locality__slug="dacorum")
    rep = statements.report(practices, MONTH)
    assert rep.prescribing is not None

    def values(pv: PriceVolume) -> list[float]:
        return [float(v) for v in (pv.budget, pv.cost, pv.variance, pv.budget_effect,
                                   pv.volume_effect, pv.price_effect, pv.cost_last_year,
                                   pv.change)]  # fmt: skip

    assert rows[0][:3] == ("Total", None, "1, 2, 3, 4, 5, 6, 7, 8")
    assert list(rows[0][3:]) == values(rep.prescribing)
    assert [r[1] for r in rows[1:]] == [p.code for p in practices]
    for p, r in zip(practices, rows[1:], strict=True):
        assert list(r[3:]) == values(rep.practice_prescribing[p.pk])
