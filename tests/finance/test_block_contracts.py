"""Block contracts: the budget is charged the block's value (a twelfth a month, shared by
registered patients), not per spell, while the activity under the block stays visible in the
contract review (activity and £ at tariff). The demo's provider RC9 is moved onto a block for
2008/09 and the refresh re-run; every expected figure is computed here from the warehouse."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.test import Client
from openpyxl import load_workbook

from pbc.analytics.finance import spend
from pbc.finance import contracts as review
from pbc.finance import statements
from pbc.finance.models import Contract, SpendFact
from pbc.finance.refresh import activity_with_invoices, refresh
from pbc.finance.variations import keep_main_line
from pbc.orgs.models import Pct, Practice, Provider
from pbc.warehouse import engine as wh
from pbc.web.jinja import money, number

MONTH = dt.date(2009, 1, 1)
MONTHS = [dt.date(2008, m, 1) for m in range(4, 13)] + [MONTH]
ANNUAL = D("120000.00")


def _costed(codes: list[str]) -> dict[str, D | int]:
    """RC9's rows (imaging included) billed to West Herts for its practices, April 2008 to
    January 2009."""
    con = wh.connect()
    out: dict[str, D | int] = {"activity": 0, "charged": D("0.00"), "at_tariff": D("0.00")}
    for name in ("apc", "op", "ae", "imaging"):
        rows = activity_with_invoices(con, name)  # charges from the providers' invoice lines
        period = spend.in_period(name, rows, MONTHS[0], dt.date(2009, 1, 31))
        costed = spend.costed_activity(
            name,
            period,
            wh.table(con, "tariff"),
            wh.table(con, "market_forces_factors"),
            wh.table(con, "local_prices"),
        )
        rows = costed.filter(
            (costed.provider_code == "RC9")
            & (costed.commissioner_code == "5P3")
            & costed.gp_practice_code.isin(codes)
        ).select("activity", "charged_price", "expected_price")
        for r in con.to_pyarrow(rows).to_pylist():
            out["activity"] += r["activity"]
            out["charged"] += r["charged_price"]
            out["at_tariff"] += r["expected_price"] or D("0.00")
    return out


def _registered(codes: list[str], month: dt.date) -> dict[str, int]:
    """List size in the latest quarter starting on or before the month."""
    con = wh.connect()
    t = wh.table(con, "list_sizes")
    by: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for r in con.to_pyarrow(
        t.select("gp_practice_code", "quarter_start", "registered_patients")
    ).to_pylist():
        q = r["quarter_start"]
        by[r["gp_practice_code"]][q if isinstance(q, dt.date) else q.date()] += int(
            r["registered_patients"]
        )
    return {c: by[c][max(q for q in by[c] if q <= month)] for c in codes}


@pytest.mark.django_db
def test_block_charges_its_value_and_the_activity_stays_visible(
    finance_demo: None, client: Client
) -> None:
    pct = Pct.objects.get(code="5P3")
    provider = Provider.objects.get(code="RC9")
    practices = list(
        Practice.objects.filter(locality__pct=pct).select_related("locality__pct").order_by("code")
    )
    codes = [p.code for p in practices]
    rc9 = _costed(codes)
    assert rc9["activity"] > 0 and rc9["charged"] > 0 and rc9["at_tariff"] > 0
    before = statements.report(practices, MONTH).statement.total.ytd_actual

    contract = Contract.objects.create(
        pct=pct, provider=provider, financial_year="2008/09", name="Block (test)",
        kind="block", annual_value=ANNUAL, budget_line="elective",
    )  # fmt: skip
    keep_main_line(contract)
    refresh(MONTH)

    # The budget is charged £10,000.00 a month, shared by registered patients.
    for month in MONTHS:
        charges = {
            f.practice.code: f
            for f in SpendFact.objects.filter(
                source="block", provider=provider, month=month
            ).select_related("practice")
        }
        assert set(charges) == set(codes)
        assert sum(f.charged for f in charges.values()) == D("10000.00")
        registered = _registered(codes, month)
        total = sum(registered.values())
        for code, fact in charges.items():
            assert (fact.line, fact.recurrent) == ("elective", True)
            assert abs(fact.charged - D("10000.00") * registered[code] / total) < D("0.01")
    # Nothing of RC9's is charged per spell that year; its activity is kept, uncharged.
    of_rc9 = SpendFact.objects.filter(
        provider=provider, financial_year="2008/09", practice__locality__pct=pct
    )
    assert not of_rc9.filter(source="activity").exists()
    under = of_rc9.filter(source="under_block").aggregate(
        n=Sum("activity"), charged=Sum("charged"), at_tariff=Sum("at_tariff")
    )
    assert (under["n"], D(under["charged"]), D(under["at_tariff"]).quantize(D("0.01"))) == (
        rc9["activity"], D("0.00"), rc9["at_tariff"],
    )  # fmt: skip
    assert set(of_rc9.filter(source="under_block").values_list("line", flat=True)) == {"elective"}
    # The statement: RC9's invoices out, ten months of the block in.
    after = statements.report(practices, MONTH).statement.total.ytd_actual
    assert after == before - rc9["charged"] + D("100000.00")

    # The contract review: the activity under the block, at tariff, against the £ charged.
    rv = review.review(contract, MONTH)
    assert rv.total is not None and rv.actual_basis == "at tariff"
    assert (rv.total.actual_activity, rv.total.actual_value) == (rc9["activity"], rc9["at_tariff"])
    assert rv.charged == D("100000.00")
    assert sum(c.actual_activity for c in rv.tables["practice"]) == rc9["activity"]
    assert sum(c.actual_value for c in rv.tables["point_of_delivery"]) == rc9["at_tariff"]
    assert "" not in {c.key[0] for c in rv.tables["point_of_delivery"]}  # every row has its POD

    client.force_login(get_user_model().objects.get(username="analyst"))
    html = client.get("/finance/providers/RC9/contracts/?month=2009-01").content.decode()
    section = html.split(f'data-contract="{contract.pk}"')[1].split("</section>")[0]
    assert 'data-block-charged="100000.00"' in section
    assert "£100,000.00 charged to January 2009" in section
    assert f"actual {number(rc9['activity'])} (activity)" in section
    assert f"against actual {money(rc9['at_tariff'], pence=True)}" in section
    assert "Actual £ (at tariff)" in section
    response = client.get("/finance/providers/RC9/contracts.xlsx?month=2009-01")
    ws = load_workbook(io.BytesIO(response.content))["Point of delivery"]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] == "Block (test)"]
    assert sum(r[6] for r in rows) == rc9["activity"]
    assert round(sum(r[9] for r in rows), 2) == float(rc9["at_tariff"])
    assert {r[11] for r in rows} == {"at tariff"}
