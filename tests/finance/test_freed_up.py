"""Freed-up resources and deficits on the locality's page: each practice's saving or overspend
and its practice/PCT split, the net position (overspends offset savings), the deficit repayment
plan, and the business cases of the year drawn against the freed-up resources. Every expected
figure is computed here from the approved budgets and the practices' forecast outturns."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.test import Client

from pbc.finance import actions as finance_actions
from pbc.finance import statements
from pbc.finance.models import BudgetAmount, BudgetVersion, FinanceSetting
from pbc.orgs.models import Locality, Practice
from pbc.plans import actions as plan_actions
from pbc.plans.queries import approved_business_cases
from pbc.web.jinja import money

MONTH = dt.date(2009, 1, 1)
URL = "/finance/localities/dacorum/freed-up/?month=2009-01"
Rows = Callable[[str, str], list[tuple[dict[str, str], list[str]]]]


def _summary(html: str, key: str) -> str:
    found = re.search(
        rf'<dt class="nhsuk-summary-list__key">{re.escape(key)}</dt>'
        r'<dd class="nhsuk-summary-list__value">(.*?)</dd>',
        html,
        flags=re.S,
    )
    assert found is not None, key
    return " ".join(unescape(found.group(1)).split())


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'<p id="{element_id}">(.*?)</p>', html, flags=re.S)
    assert found is not None, element_id
    return " ".join(unescape(re.sub(r"<[^>]+>", "", found.group(1))).split())


def _case(ref: str, cost: str, submitted: dt.date, decided: dt.date, approved: bool) -> None:
    user = get_user_model().objects.get(username="locality")
    case = plan_actions.create_business_case(
        user, Locality.objects.get(slug="dacorum"), ref=ref, service=f"Test service {ref}",
        annual_cost=D(cost), population_covered=1000,
    )  # fmt: skip
    plan_actions.submit_business_case(user, case, submitted)
    plan_actions.decide_business_case(user, case, approved=approved, on=decided, notes="test")


def _budgets(practices: list[Practice]) -> dict[str, D]:
    rows = (
        BudgetAmount.objects.filter(
            version__practice__in=practices,
            version__financial_year="2008/09",
            version__status="approved",
        )  # fmt: skip
        .values("version__practice__code")
        .annotate(t=Sum("amount"))
    )
    return {r["version__practice__code"]: D(r["t"]).quantize(D("0.01")) for r in rows}


def _expected_rows(practices: list[Practice], share: D) -> tuple[dict[str, list[str]], D]:
    """Each practice's row of the positions table, and the net variance (+ overspent)."""
    budgets = _budgets(practices)
    rep = statements.report(practices, MONTH)
    out, net = {}, D("0.00")
    for p, s in rep.practices:
        outturn = s.total.forecast_outturn
        variance = outturn - budgets[p.code]
        saving, over = max(-variance, D("0.00")), max(variance, D("0.00"))
        practice_part = (saving * share).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        out[p.code] = [
            p.code, money(budgets[p.code]), money(outturn), money(saving), money(over),
            money(practice_part) if saving else "", money(saving - practice_part) if saving else "",
        ]  # fmt: skip
        net += variance
    return out, net


@pytest.mark.django_db
def test_freed_up_page_figures_and_business_cases(finance_demo: None, rows_of: Rows) -> None:
    practices = list(
        Practice.objects.filter(locality__slug="dacorum")
        .select_related("locality__pct")
        .order_by("code")
    )
    # Business cases: the demo's counselling LES was approved in March 2008 (2007/08) and EPMHS
    # (£420,000) in April 2008; add one approved in the year, one approved the year after and
    # one rejected in the year.
    _case("test-in-year", "15000.00", dt.date(2008, 10, 1), dt.date(2008, 10, 15), True)
    _case("test-next-year", "99000.00", dt.date(2009, 3, 20), dt.date(2009, 4, 2), True)
    _case("test-rejected", "50000.00", dt.date(2008, 6, 20), dt.date(2008, 7, 1), False)
    dacorum = Locality.objects.get(slug="dacorum")
    assert [c.ref for c in approved_business_cases(dacorum, "2008/09")] == [
        "dacorum-epmhs", "test-in-year",
    ]  # fmt: skip
    assert [c.ref for c in approved_business_cases(dacorum, "2007/08")] == [
        "dacorum-counselling-les"
    ]
    assert [c.ref for c in approved_business_cases(dacorum, "2009/10")] == ["test-next-year"]
    committed = D("435000.00")

    client = Client()
    client.force_login(get_user_model().objects.get(username="locality"))
    html = client.get(URL).content.decode()
    expected, net = _expected_rows(practices, D("0.70"))
    shown = {a["practice"]: cells for a, cells in rows_of(html, "positions") if "practice" in a}
    assert shown == expected
    savers = [c for c, row in expected.items() if row[3] != "£0"]
    overspenders = [c for c, row in expected.items() if row[4] != "£0"]
    assert savers and overspenders  # so the net really offsets one against the other
    # The demo's Dacorum forecasts a net overspend: a deficit. A repayment is an agreement
    # (tests/finance/test_repayment.py): the demo's 2007/08 one awaits the board, and only an
    # analyst records one.
    assert net > 0
    assert _summary(html, "Net position") == f"{money(net)} overspent"
    assert _summary(html, "Deficit") == money(net)
    assert _summary(html, "Freed-up resources (net)") == "£0: locality £0, PCT £0"
    assert "2007/08 deficit: £2,848,000.00 over 2 years (Recorded, awaiting the board)" in html
    assert 'id="record-repayment"' not in html
    assert [a["case"] for a, _ in rows_of(html, "cases")] == ["dacorum-epmhs", "test-in-year"]
    assert _text(html, "drawn") == (
        f"Committed {money(committed)} of the locality's £0: {money(-committed)} over-committed."
    )

    # A non-recurrent allocation of net + £1,000,000 to one practice (approved through the
    # budget actions) turns the locality into a net underspend of £1,000,000; with the practice
    # share set to 60% from June 2008 the freed-up resources split 60/40.
    analyst = get_user_model().objects.get(username="analyst")
    first = practices[0]
    version = BudgetVersion.objects.get(practice=first, financial_year="2008/09", status="approved")
    extra = net + D("1000000.00")
    current = sum(
        (a.amount for a in version.amounts.filter(line="enhanced_services", recurrent=False)),
        D("0.00"),
    )
    draft = finance_actions.adjust_budget(
        analyst, version, "enhanced_services", False, current + extra, "test allocation"
    )
    finance_actions.approve_budget(analyst, draft)
    FinanceSetting.objects.create(
        key="practice_share", value=D("0.6000"), valid_from=dt.date(2008, 6, 1), note="test"
    )
    html = client.get(URL).content.decode()
    expected, net = _expected_rows(practices, D("0.60"))
    assert net == D("-1000000.00")
    shown = {a["practice"]: cells for a, cells in rows_of(html, "positions") if "practice" in a}
    assert shown == expected
    assert "A saving is split 60% to the practice and 40% to the PCT" in html
    assert _summary(html, "Net position") == "\u2212\u2060£1,000,000 underspent"
    assert _summary(html, "Freed-up resources (net)") == (
        "£1,000,000: locality £600,000, PCT £400,000"
    )
    assert _summary(html, "Deficit") == "£0" and 'id="record-repayment"' not in html
    assert _text(html, "drawn") == (
        "Committed £435,000 of the locality's £600,000: £165,000 remaining."
    )
