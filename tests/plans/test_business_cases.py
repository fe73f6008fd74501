"""Business cases: routes by dated fast-track thresholds, the status workflow, benefits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from pbc.orgs.models import AuditEvent, Locality
from pbc.plans import actions
from pbc.plans.models import BusinessCase


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def new_case(ref: str, cost: str, population: int = 140_000) -> BusinessCase:
    return actions.create_business_case(
        user("locality"),
        Locality.objects.get(slug="dacorum"),
        ref=ref,
        service=f"Service {ref}",
        annual_cost=Decimal(cost),
        population_covered=population,
    )


@pytest.mark.django_db
def test_demo_cases_follow_the_dacorum_plan() -> None:
    cases = {c.ref: c for c in BusinessCase.objects.filter(locality__slug="dacorum")}
    counselling = cases["dacorum-counselling-les"]
    assert counselling.decided_on == dt.date(2008, 3, 4) and counselling.status == "implemented"
    mental = cases["dacorum-epmhs"]
    assert mental.decided_on == dt.date(2008, 4, 29) and mental.status == "approved"
    assert mental.expected_change_percent == Decimal("-35.0")
    assert "Mental Health" in mental.objective.title
    eol = cases["dacorum-end-of-life-les"]
    assert eol.status == "submitted" and eol.submitted_on == dt.date(2008, 6, 26)
    assert "End of Life" in eol.objective.title


@pytest.mark.django_db
def test_route_follows_the_thresholds_in_force_on_submission() -> None:
    cheap = new_case("cheap", "99999.99", population=100_000)  # under £100,000
    per_head = new_case("per-head", "150000", population=400_000)  # 37.5p per patient
    dear = new_case("dear", "150000", population=100_000)  # £1.50 per patient
    for case in (cheap, per_head, dear):
        actions.submit_business_case(user("locality"), case, dt.date(2008, 9, 1))
    assert [c.route for c in (cheap, per_head, dear)] == ["fast_track", "fast_track", "full"]

    # A new, lower threshold from 2009 applies to later submissions only.
    actions.set_fast_track_threshold(
        user("analyst"), dt.date(2009, 1, 1), Decimal("50000"), Decimal("0.25")
    )
    later = new_case("later", "99999.99", population=100_000)
    actions.submit_business_case(user("locality"), later, dt.date(2009, 2, 1))
    assert later.route == "full"
    cheap.refresh_from_db()
    assert cheap.route == "fast_track" and cheap.threshold.valid_from == dt.date(2008, 1, 1)


@pytest.mark.django_db
def test_status_workflow_with_dates_notes_and_audit() -> None:
    case = new_case("workflow", "80000")
    with pytest.raises(actions.UpdateRefused):
        actions.decide_business_case(
            user("locality"), case, approved=True, on=dt.date(2008, 5, 1), notes="x"
        )
    actions.submit_business_case(user("locality"), case, dt.date(2008, 5, 1))
    with pytest.raises(actions.UpdateRefused, match="cannot come before"):
        actions.decide_business_case(
            user("locality"), case, approved=True, on=dt.date(2008, 4, 1), notes="x"
        )
    actions.decide_business_case(
        user("locality"), case, approved=False, on=dt.date(2008, 5, 20), notes="Not affordable"
    )
    case.refresh_from_db()
    assert case.status == "rejected" and case.decision_notes == "Not affordable"
    with pytest.raises(actions.UpdateRefused):
        actions.mark_business_case_implemented(user("locality"), case, dt.date(2008, 6, 1))
    events = AuditEvent.objects.filter(object_type="BusinessCase", object_id=str(case.pk))
    assert [e.action for e in events.order_by("id")] == ["create", "update", "update"]
    assert events.order_by("id").last().after["status"] == "rejected"


@pytest.mark.django_db
def test_register_shows_expected_against_realised_benefit() -> None:
    client = Client()
    client.force_login(user("locality"))
    url = reverse("business_cases", args=["dacorum"])
    page = client.get(url).content.decode()
    assert "Enhanced Primary Mental Health Service" in page and "-35.0%" in page
    assert "No data yet" in page
    case = BusinessCase.objects.get(ref="dacorum-epmhs")
    response = client.post(
        reverse("business_case_change", args=[case.ref]),
        {"change": "realised", "on": "2009-03-31", "value": "804"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.expected_value == Decimal("780.00")  # 1,200 less 35%
    assert case.realised_change_percent == Decimal("-33.0")
    page = client.get(url).content.decode()
    assert "804.00 (-33.0%)" in page
    # Board members see the register but cannot change it.
    client.force_login(user("board"))
    assert client.get(url).status_code == 200
    assert client.get(reverse("business_case_change", args=[case.ref])).status_code == 403


@pytest.mark.django_db
def test_new_case_page_creates_a_draft() -> None:
    client = Client()
    client.force_login(user("locality"))
    response = client.post(
        reverse("business_case_new", args=["dacorum"]),
        {
            "ref": "dacorum-physio-awp",
            "service": "Physiotherapy, any willing provider",
            "annual_cost": "95000",
            "expected_savings": "20000",
            "population_covered": "140000",
        },
    )
    assert response.status_code == 302
    case = BusinessCase.objects.get(ref="dacorum-physio-awp")
    assert case.status == "draft" and case.annual_cost == Decimal("95000")
    assert case.cost_per_patient == Decimal("0.68")
