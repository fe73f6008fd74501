"""A deficit repayment is an agreement that lasts: recorded by a PCT analyst (the amount leaving
out non-recurrent items), approved by the locality's board, carried into the next years' budgets
as the deficit repayment line, shown in the statements and tracked against its instalments.

A small locality of two new practices (no activity, so every figure is worked by hand): budgets
of £300,000.00 and £100,000.00 for 2008/09; a 2007/08 deficit reported at £29,999.99 that one-off
items of £6,000.01 flattered, so £36,000.00 is repaid over two years: £18,000.00 in 2008/09 and
2009/10, shared 3:1 by budget in 2008/09 (£13,500.00 and £4,500.00), a twelfth a month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.finance import actions, agreements, statements
from pbc.finance.models import BudgetVersion, RepaymentAgreement
from pbc.orgs.models import AuditEvent, Locality, Membership, Pct, Practice

pytestmark = pytest.mark.django_db
URL = "/finance/localities/{slug}/freed-up/?month=2009-01"
MONTH = dt.date(2009, 1, 1)


def _locality() -> tuple[Locality, list[Practice], object]:
    pct = Pct.objects.get(code="5P3")
    locality = Locality.objects.create(pct=pct, slug="test-vale", name="Test Vale")
    practices = [
        Practice.objects.create(code=code, name=f"Practice {code}", locality=locality)
        for code in ("Z90001", "Z90002")
    ]
    analyst = get_user_model().objects.get(username="analyst")
    for practice, amount in zip(practices, ("300000.00", "100000.00"), strict=True):
        version = actions.draft_budget(
            analyst, practice, "2008/09", {("elective", True): D(amount)}, "test"
        )
        actions.approve_budget(analyst, version)
    board = get_user_model().objects.create_user("vale-board", first_name="Val", last_name="Board")
    Membership.objects.create(user=board, role="board_member", locality=locality)
    return locality, practices, board


def _statement_line(practices: list[Practice], month: dt.date, line: str):  # type: ignore[no-untyped-def]
    return statements.report(practices, month).statement.line(line)


def test_a_repayment_agreement_flows_into_next_years_budgets_and_statements(
    finance_demo: None,
) -> None:
    locality, practices, board = _locality()
    analyst = get_user_model().objects.get(username="analyst")
    url = URL.format(slug=locality.slug)

    # The analyst records it on the locality's page; nothing reaches a budget before the board.
    client = Client()
    client.force_login(analyst)
    client.post(url.split("?")[0], {
        "action": "record", "incurred_in": "2007/08", "reported_deficit": "29999.99",
        "non_recurrent_excluded": "6000.01", "years": "2",
        "non_recurrent_note": "one-off prescribing and provider services underspends",
        "month": "2009-01",
    })  # fmt: skip
    agreement = RepaymentAgreement.objects.get(locality=locality)
    assert (agreement.amount, agreement.status, agreement.recorded_by) == (
        D("36000.00"), "draft", analyst,
    )  # fmt: skip
    assert [(i.financial_year, i.amount) for i in agreement.instalments.all()] == [
        ("2008/09", D("18000.00")), ("2009/10", D("18000.00")),
    ]  # fmt: skip
    assert "deficit_repayment" not in {
        line.line for line in statements.report(practices, MONTH).statement.lines
    }

    # The analyst cannot approve it, nor a board member of another locality.
    client.post(url.split("?")[0], {"action": "approve", "agreement": agreement.pk})
    board_elsewhere = Client()
    board_elsewhere.force_login(get_user_model().objects.get(username="board"))  # Dacorum
    board_elsewhere.post(url.split("?")[0], {"action": "approve", "agreement": agreement.pk})
    agreement.refresh_from_db()
    assert agreement.status == "draft"
    assert AuditEvent.objects.filter(action="denied", object_type="Locality").count() >= 2

    # The board approves: each practice gets a draft with its share, 3:1 by budget.
    own_board = Client()
    own_board.force_login(board)
    own_board.post(url.split("?")[0], {"action": "approve", "agreement": agreement.pk})
    agreement.refresh_from_db()
    assert (agreement.status, agreement.approved_by) == ("approved", board)
    drafts = BudgetVersion.objects.filter(practice__locality=locality, status="draft")
    assert {
        (v.practice.code, a.line, a.recurrent, a.amount)
        for v in drafts for a in v.amounts.all()
    } == {
        ("Z90001", "elective", True, D("300000.00")),
        ("Z90001", "deficit_repayment", False, D("-13500.00")),
        ("Z90002", "elective", True, D("100000.00")),
        ("Z90002", "deficit_repayment", False, D("-4500.00")),
    }  # fmt: skip
    approved_event = AuditEvent.objects.filter(
        object_type="RepaymentAgreement", object_id=str(agreement.pk), action="update"
    ).get()
    assert approved_event.before["status"] == "draft"
    assert approved_event.after["status"] == "approved"
    for version in drafts:
        actions.approve_budget(analyst, version)

    # The 2008/09 statement (month 10): the line's budget is minus the instalment, a twelfth a
    # month, nothing spent on it; the total budget is £400,000.00 less £18,000.00.
    line = _statement_line(practices, MONTH, "deficit_repayment")
    assert line.annual_budget == D("-18000.00")
    assert line.ytd_budget == D("-15000.00")  # 10 × -£1,500.00
    assert line.ytd_actual == D("0.00")
    report = statements.report(practices, MONTH)
    assert report.statement.total.annual_budget == D("382000.00")
    first = statements.report(practices[:1], MONTH).statement.line("deficit_repayment")
    assert (first.annual_budget, first.ytd_budget) == (D("-13500.00"), D("-11250.00"))

    # Tracked against its instalments: this year's is in the budgets, next year's is due.
    progress = agreements.progress(agreement, "2008/09", report.statement.total.forecast_variance)
    assert [(p.financial_year, p.amount, p.carried, p.state) for p in progress] == [
        ("2008/09", D("18000.00"), D("18000.00"), "in year: on track"),
        ("2009/10", D("18000.00"), D("0.00"), "due: budgets not yet set"),
    ]
    html = own_board.get(url).content.decode()
    section = html.split(f'data-agreement="{agreement.pk}"')[1].split("</section>")[0]
    assert "£36,000.00 over 2 years (Approved by the board)" in section
    assert "non-recurrent items excluded £6,000.01" in section
    assert 'data-year="2009/10"' in section and "due: budgets not yet set" in section

    # Next year's budgets, as they are set, carry the second instalment (no spend history, so
    # both budgets are £0 and the instalment is shared equally).
    versions = actions.set_budgets(analyst, practices, "2009/10", "historic_uplift")
    assert {
        (v.practice.code, a.amount)
        for v in versions for a in v.amounts.all() if a.line == "deficit_repayment"
    } == {("Z90001", D("-9000.00")), ("Z90002", D("-9000.00"))}  # fmt: skip
    for version in versions:
        actions.approve_budget(analyst, version)
    april = _statement_line(practices, dt.date(2009, 4, 1), "deficit_repayment")
    assert (april.annual_budget, april.ytd_budget) == (D("-18000.00"), D("-1500.00"))
    assert [p.state for p in agreements.progress(agreement, "2009/10", D("0.00"))] == [
        "year ended", "in year: on track",
    ]  # fmt: skip
