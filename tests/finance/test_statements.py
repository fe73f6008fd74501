"""Statements on the test-scale demo: budgets reconcile up the hierarchy, statement totals
reconcile exactly with costed activity, backtests are shown."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import ibis
import pytest
from django.db.models import Sum
from django.test import Client

from pbc.analytics.finance import spend
from pbc.finance import statements
from pbc.finance.models import BudgetAmount, BudgetVersion, Contract, SpendFact
from pbc.orgs.models import Locality, Pct, Practice
from pbc.warehouse import engine as wh

pytestmark = pytest.mark.django_db
MONTH = dt.date(2009, 1, 1)


def practices(**filters: Any) -> list[Practice]:
    return list(Practice.objects.filter(**filters).select_related("locality__pct").order_by("code"))


def test_practice_budgets_sum_to_locality_and_pct(finance_demo: dict[str, int]) -> None:
    pct = Pct.objects.get(code="5P3")
    pct_rep = statements.report(practices(locality__pct=pct), MONTH)
    locality_total = Decimal(0)
    for locality in Locality.objects.filter(pct=pct):
        loc_rep = statements.report(practices(locality=locality), MONTH)
        practice_sum = sum((s.total.annual_budget for _, s in loc_rep.practices), Decimal(0))
        assert loc_rep.statement.total.annual_budget == practice_sum > 0
        for line in loc_rep.statement.lines:
            assert line.annual_budget == sum(
                (s.line(line.line).annual_budget for _, s in loc_rep.practices), Decimal(0)
            )
            assert line.ytd_budget == sum(
                (s.line(line.line).ytd_budget for _, s in loc_rep.practices), Decimal(0)
            )
        locality_total += loc_rep.statement.total.annual_budget
    assert pct_rep.statement.total.annual_budget == locality_total
    approved = BudgetAmount.objects.filter(
        version__status="approved", version__financial_year="2008/09",
        version__practice__locality__pct=pct,
    ).aggregate(t=Sum("amount"))["t"]  # fmt: skip
    assert pct_rep.statement.total.annual_budget == approved
    assert BudgetVersion.objects.filter(status="approved").count() == len(practices())


def test_statement_totals_reconcile_exactly_with_costed_activity(
    finance_demo: dict[str, int],
) -> None:
    """YTD actual on acute lines = Σ charged_price of the costed warehouse rows billed to the
    practices' own PCT, April 2008 to January 2009, leaving out block-contract providers."""
    pct = Pct.objects.get(code="5P3")
    rep = statements.report(practices(locality__pct=pct), MONTH)
    con = wh.connect()
    total = Decimal(0)
    blocks = set(
        Contract.objects.filter(pct=pct, financial_year="2008/09", kind="block").values_list(
            "provider__code", flat=True
        )
    )
    for name in ("apc", "op", "ae"):
        costed = spend.costed_activity(
            name, spend.in_period(name, wh.table(con, name), dt.date(2008, 4, 1), dt.date(2009, 1, 31)),
            wh.table(con, "tariff"), wh.table(con, "market_forces_factors"),
        )  # fmt: skip
        codes = [p.code for p in practices(locality__pct=pct)]
        rows = costed.filter(
            costed.gp_practice_code.isin(codes)
            & (costed.commissioner_code == "5P3")
            & ~costed.provider_code.isin(list(blocks) or ["-"])
        )
        total += sum((r["charged_price"] for r in con.to_pyarrow(rows.select("charged_price")).to_pylist()),
                     Decimal(0))  # fmt: skip
    acute = sum(
        (
            rep.statement.line(x).ytd_actual
            for x in ("elective", "non_elective", "outpatients", "ae")
        ),
        Decimal(0),
    )
    assert acute == total > 0
    # and the whole statement = every fact of the year to date
    facts = SpendFact.objects.filter(
        practice__locality__pct=pct, financial_year="2008/09", month__lte=MONTH
    ).aggregate(t=Sum("charged"))["t"]
    assert rep.statement.total.ytd_actual == Decimal(facts).quantize(Decimal("0.01"))
    _ = ibis  # the engine is the warehouse's


def test_demo_month_10_position_and_estimated_prescribing(finance_demo: dict[str, int]) -> None:
    loc = Locality.objects.get(slug="dacorum")
    rep = statements.report(practices(locality=loc), MONTH)
    s = rep.statement
    assert s.month_number == 10
    acute = sum(
        (s.line(x).forecast_variance for x in ("elective", "non_elective", "outpatients", "ae")),
        Decimal(0),
    )
    assert acute > 0  # acute commissioning overspent, as in the Dacorum plan
    assert s.line("community").forecast_variance < 0  # provider services underspent
    assert s.line("prescribing").estimated_months == (9, 10)  # December, January
    assert all(f.backtest is not None for f in s.line("elective").forecasts.values())


def test_statement_pages_show_backtests_and_export(finance_demo: dict[str, int]) -> None:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="locality"))
    page = client.get("/finance/localities/dacorum/?month=2009-01")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="backtests"' in body and "Backtest error" in body
    assert "Linear trend" in body and "Run rate" in body
    rep = statements.report(practices(locality__slug="dacorum"), MONTH)
    bt = rep.statement.line("elective").forecasts["trend"].backtest
    assert bt is not None
    from pbc.web.jinja import money

    assert money(bt.error) in body
    assert "estimated" in body
    xlsx = client.get("/finance/localities/dacorum/statement.xlsx?month=2009-01")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    report = client.get("/finance/localities/dacorum/month-end/?month=2009-01")
    assert b"forecast overspend" in report.content or b"forecast underspend" in report.content
    js = client.get("/finance/plotly.min.js")
    assert js.status_code == 200


def test_patient_rows_only_for_own_practice_and_audited(finance_demo: dict[str, int]) -> None:
    from django.contrib.auth import get_user_model

    from pbc.orgs.models import AuditEvent

    code = practices(locality__slug="dacorum")[0].code
    url = f"/finance/practices/{code}/rows/?line=non_elective&month=2009-01&patients=1"
    client = Client()
    client.force_login(get_user_model().objects.get(username="practice"))
    response = client.get(url)
    assert response.status_code == 200 and b'id="patient-rows"' in response.content
    assert AuditEvent.objects.filter(action="view_patient_rows", username="practice").exists()
    client.force_login(get_user_model().objects.get(username="locality"))
    response = client.get(url)
    assert response.status_code == 200 and b'id="patient-rows"' not in response.content
    assert b'id="facts"' in response.content
    client.force_login(get_user_model().objects.get(username="practice2"))
    assert client.get(url).status_code == 403
