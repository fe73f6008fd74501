"""Enhanced-service sign-up: the page a practice user (own practice) or a PCT analyst uses to
sign a practice up to a service for a financial year or withdraw it, through the audited
actions, with errors by field; the actions themselves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.orgs.models import AuditEvent, Locality, Practice
from pbc.services import actions
from pbc.services.claims import check_claims
from pbc.services.models import EnhancedService, ServiceSpecification, SignUp
from pbc.services.tabular import Table

OWN = "E82601"  # the demo practice user's practice (Dacorum)
OTHER = "E82602"  # another Dacorum practice
Q4 = dt.date(2009, 1, 1)


def url(code: str) -> str:
    return f"/services/enhanced/practices/{code}/sign-up/"


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def sign_up_post(service: str, year: str = "2008/09", signed_on: str = "2008-07-01") -> dict:
    return {
        "operation": "sign_up",
        "signup-service": service,
        "signup-financial_year": year,
        "signup-signed_on": signed_on,
    }


def withdraw_post(sign_up: SignUp | str, withdrawn_on: str) -> dict:
    return {
        "operation": "withdraw",
        "withdraw-sign_up": str(getattr(sign_up, "pk", sign_up)),
        "withdraw-withdrawn_on": withdrawn_on,
    }


def gynaecology_2008(code: str) -> SignUp | None:
    return SignUp.objects.filter(
        practice__code=code,
        specification__service__key="gynaecology",
        specification__financial_year="2008/09",
    ).first()


@pytest.fixture
def dacorum(services_demo: None, db: None) -> Locality:
    return Locality.objects.get(slug="dacorum")


def test_sign_up_action_is_audited_and_refuses_repeats_and_late_dates(dacorum: Locality) -> None:
    practice = Practice.objects.get(code=OWN)
    spec = ServiceSpecification.objects.get(service__key="gynaecology", financial_year="2008/09")
    analyst = get_user_model().objects.get(username="analyst")
    with pytest.raises(actions.Refused) as late:
        actions.sign_up(analyst, practice, spec, dt.date(2009, 4, 1))
    assert late.value.field == "signed_on" and "after the end of 2008/09" in str(late.value)
    assert gynaecology_2008(OWN) is None
    row = actions.sign_up(analyst, practice, spec, dt.date(2008, 7, 1))
    event = AuditEvent.objects.get(object_type="SignUp", object_id=str(row.pk), action="create")
    assert event.username == "analyst"
    assert event.after == {
        "practice": OWN,
        "spec": "Gynaecology 2008/09",
        "signed_on": "2008-07-01",
    }
    with pytest.raises(actions.Refused) as again:
        actions.sign_up(analyst, practice, spec, dt.date(2008, 8, 1))
    assert again.value.field == "service" and "already signed up" in str(again.value)
    with pytest.raises(actions.Refused) as early:
        actions.withdraw_sign_up(analyst, row, dt.date(2008, 6, 30))
    assert early.value.field == "withdrawn_on"
    actions.withdraw_sign_up(analyst, row, dt.date(2008, 12, 31))
    with pytest.raises(actions.Refused) as twice:
        actions.withdraw_sign_up(analyst, row, dt.date(2009, 1, 31))
    assert "already withdrew on 31 December 2008" in str(twice.value)
    row.refresh_from_db()
    assert row.withdrawn_on == dt.date(2008, 12, 31)
    update = AuditEvent.objects.get(object_type="SignUp", object_id=str(row.pk), action="update")
    assert update.before == {"withdrawn_on": None}
    assert update.after == {"withdrawn_on": "2008-12-31"}


def test_practice_user_signs_own_practice_up_then_withdraws_it(dacorum: Locality) -> None:
    client = client_for("practice")
    page = client.get(url(OWN)).content.decode()
    assert 'data-sign-up="smoking-cessation 2008/09"' in page  # the demo's sign-ups are listed
    assert 'data-sign-up="gynaecology 2008/09"' not in page
    assert url(OWN) in client.get(f"/services/enhanced/practices/{OWN}/").content.decode()

    response = client.post(url(OWN), sign_up_post("gynaecology"))
    assert response.status_code == 302 and response["Location"] == url(OWN)
    row = gynaecology_2008(OWN)
    assert row is not None and row.signed_on == dt.date(2008, 7, 1) and row.withdrawn_on is None
    created = AuditEvent.objects.get(object_type="SignUp", object_id=str(row.pk), action="create")
    assert created.username == "practice"
    assert 'data-sign-up="gynaecology 2008/09"' in client.get(url(OWN)).content.decode()
    # The sign-up is what lets the practice claim for the service.
    claim = Table(["gp_practice_code", "service", "units"], [(2, [OWN, "gynaecology", 3])])
    assert check_claims(dacorum, Q4, claim).problems == []

    response = client.post(url(OWN), withdraw_post(row, "2008-12-31"))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.withdrawn_on == dt.date(2008, 12, 31)
    assert AuditEvent.objects.filter(
        object_type="SignUp", object_id=str(row.pk), action="update", username="practice"
    ).exists()
    # Withdrawn before the quarter: a claim for it is now refused.
    problems = check_claims(dacorum, Q4, claim).problems
    assert [p.column for p in problems] == ["service"]
    assert "not signed up to Gynaecology for 2008/09 Q4" in problems[0].reason


def test_sign_up_errors_are_shown_by_field_and_store_nothing(
    dacorum: Locality, form_errors: Any
) -> None:
    client = client_for("practice")
    before = (SignUp.objects.count(), AuditEvent.objects.filter(object_type="SignUp").count())

    response = client.post(url(OWN), sign_up_post("", signed_on="31/02/2009"))
    assert response.status_code == 400
    errors = form_errors(response.content.decode())
    assert set(errors) == {"signup-service", "signup-signed_on"}
    assert errors["signup-signed_on"] == ["Enter a valid date."]
    assert "There is a problem" in response.content.decode()

    response = client.post(url(OWN), sign_up_post("smoking-cessation"))  # the demo signed it up
    assert response.status_code == 400
    errors = form_errors(response.content.decode())
    assert list(errors) == ["signup-service"]
    assert "is already signed up to Smoking cessation 2008/09" in errors["signup-service"][0]

    response = client.post(url(OWN), sign_up_post("gynaecology", signed_on="2009-04-01"))
    assert response.status_code == 400
    errors = form_errors(response.content.decode())
    assert list(errors) == ["signup-signed_on"]
    assert "after the end of 2008/09" in errors["signup-signed_on"][0]

    response = client.post(url(OWN), sign_up_post("gynaecology", year="2010/11"))
    assert response.status_code == 400
    assert list(form_errors(response.content.decode())) == ["signup-financial_year"]

    # A year with a specification for one service only: the others have none to sign up to.
    actions.save_specification(
        None,
        EnhancedService.objects.get(key="smoking-cessation"),
        "2009/10",
        unit="four-week quitter",
        price_per_unit=Decimal("45.00"),
        cap_per_quarter=50,
        target_per_quarter=8,
        reporting_frequency="quarterly",
    )
    response = client.post(url(OWN), sign_up_post("gynaecology", year="2009/10"))
    assert response.status_code == 400
    errors = form_errors(response.content.decode())
    assert errors == {"signup-financial_year": ["Gynaecology has no specification for 2009/10."]}

    smoking = SignUp.objects.get(
        practice__code=OWN,
        specification__service__key="smoking-cessation",
        specification__financial_year="2008/09",
    )
    response = client.post(url(OWN), withdraw_post(smoking, "2008-03-31"))  # before 1 April
    assert response.status_code == 400
    errors = form_errors(response.content.decode())
    assert list(errors) == ["withdraw-withdrawn_on"]
    assert (
        "cannot withdraw before it signed up (01 April 2008)" in errors["withdraw-withdrawn_on"][0]
    )
    other = SignUp.objects.filter(practice__code=OTHER).first()
    assert other is not None
    response = client.post(url(OWN), withdraw_post(other, "2008-12-31"))  # not this practice's
    assert response.status_code == 400
    assert list(form_errors(response.content.decode())) == ["withdraw-sign_up"]

    assert client.post(url(OWN), {"operation": "delete"}).status_code == 400
    smoking.refresh_from_db()
    other.refresh_from_db()
    assert smoking.withdrawn_on is None and other.withdrawn_on is None
    after = (SignUp.objects.count(), AuditEvent.objects.filter(object_type="SignUp").count())
    assert after == before


def test_only_the_practice_itself_or_a_pct_analyst_may_sign_it_up(dacorum: Locality) -> None:
    practice_user = client_for("practice")
    assert practice_user.get(url(OTHER)).status_code == 403
    response = practice_user.post(url(OTHER), sign_up_post("gynaecology"))
    assert response.status_code == 403
    assert gynaecology_2008(OTHER) is None
    denied = AuditEvent.objects.filter(action="denied", username="practice", path=url(OTHER))
    assert denied.count() == 2
    # The other practice's user, the locality manager and another PCT's analyst: refused too.
    for username in ("locality", "board", "enh-analyst"):
        assert client_for(username).post(url(OTHER), sign_up_post("gynaecology")).status_code == 403
    assert gynaecology_2008(OTHER) is None
    # The PCT's analyst signs the practice up; the other practice's own user could too.
    analyst = client_for("analyst")
    assert analyst.post(url(OTHER), sign_up_post("gynaecology")).status_code == 302
    row = gynaecology_2008(OTHER)
    assert row is not None
    assert (
        AuditEvent.objects.get(
            object_type="SignUp", object_id=str(row.pk), action="create"
        ).username
        == "analyst"
    )
    assert client_for("practice2").get(url(OTHER)).status_code == 200
    # A locality manager sees the practice's services page but no sign-up link.
    page = client_for("locality").get(f"/services/enhanced/practices/{OTHER}/").content.decode()
    assert url(OTHER) not in page
