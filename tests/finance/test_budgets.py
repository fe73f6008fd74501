"""Budget versions: drafts, adjustments and approvals are kept, audited and constrained."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.test import Client

from pbc.finance import actions
from pbc.finance.models import BudgetVersion, FinanceSetting
from pbc.orgs.models import AuditEvent, Practice

pytestmark = pytest.mark.django_db
D = Decimal


def analyst():  # type: ignore[no-untyped-def]
    return get_user_model().objects.get(username="analyst")


def test_every_version_kept_and_approval_supersedes() -> None:
    practice = Practice.objects.get(code="E82603")
    v1 = actions.draft_budget(
        analyst(), practice, "2009/10", {("elective", True): D("1000")}, "manual"
    )
    actions.approve_budget(analyst(), v1)
    v2 = actions.adjust_budget(analyst(), v1, "prescribing", False, D("250.50"), "one-off")
    assert v2.number == 2 and v2.status == "draft"
    assert {(a.line, a.recurrent, a.amount) for a in v2.amounts.all()} == {
        ("elective", True, D("1000.00")), ("prescribing", False, D("250.50")),
    }  # fmt: skip
    actions.approve_budget(analyst(), v2)
    v1.refresh_from_db()
    assert v1.status == "superseded"
    assert BudgetVersion.objects.filter(practice=practice, financial_year="2009/10").count() == 2
    with pytest.raises(actions.BudgetError):
        actions.approve_budget(analyst(), v1)
    assert AuditEvent.objects.filter(object_type="BudgetVersion", action="update").count() >= 3


def test_one_approved_version_per_practice_and_year_is_a_constraint() -> None:
    practice = Practice.objects.get(code="E82604")
    v1 = actions.draft_budget(analyst(), practice, "2009/10", {}, "manual")
    v2 = actions.draft_budget(analyst(), practice, "2009/10", {}, "manual")
    actions.approve_budget(analyst(), v1)
    v2.status = "approved"
    v2.approved_at = v1.approved_at
    with pytest.raises(IntegrityError), transaction.atomic():
        v2.save()


def test_settings_are_dated() -> None:
    import datetime as dt

    assert FinanceSetting.in_force("practice_share", dt.date(2009, 1, 1)) == D("0.7000")
    FinanceSetting.objects.create(
        key="practice_share", value=D("0.6"), valid_from=dt.date(2010, 4, 1)
    )
    assert FinanceSetting.in_force("practice_share", dt.date(2009, 1, 1)) == D("0.7000")
    assert FinanceSetting.in_force("practice_share", dt.date(2010, 5, 1)) == D("0.6000")


def test_set_budgets_by_method_share_the_pot(finance_demo: dict[str, int]) -> None:
    practices = list(Practice.objects.filter(locality__slug="dacorum").select_related("locality"))
    by_history = actions.budget_amounts(practices, "2008/09", "historic_uplift")
    by_weight = actions.budget_amounts(practices, "2008/09", "weighted_capitation")
    blended = actions.budget_amounts(practices, "2008/09", "blend", D("0.5"))
    for line in ("elective", "prescribing"):
        pots = {sum((m[c][line] for c in m), D(0)) for m in (by_history, by_weight, blended)}
        assert len(pots) == 1  # same pot, shared differently
    code = practices[0].code
    h, w, b = by_history[code]["elective"], by_weight[code]["elective"], blended[code]["elective"]
    assert abs(b - (h + w) / 2) <= D("0.05")


def test_approve_page_for_analysts_only() -> None:
    practice = Practice.objects.get(code="E82605")
    version = actions.draft_budget(analyst(), practice, "2009/10", {("ae", True): D("5")}, "manual")
    client = Client()
    client.force_login(get_user_model().objects.get(username="locality"))
    assert client.post(f"/finance/practices/{practice.code}/budgets/approve/",
                       {"version": version.pk}).status_code == 403  # fmt: skip
    client.force_login(analyst())
    response = client.post(
        f"/finance/practices/{practice.code}/budgets/approve/", {"version": version.pk}
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == "approved"
