"""A service's specification for a financial year: PCT analysts add next year's or change one
on the specification page (audited, errors by field); a claim for 2009/10 is checked against
the 2009/10 specification, a 2008/09 claim still against 2008/09's."""

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
from pbc.services.models import ServiceSpecification
from pbc.services.tabular import Table

URL = "/services/enhanced/specification/"
Q1_2009 = dt.date(2009, 4, 1)  # 2009/10 Q1
Q4_2008 = dt.date(2009, 1, 1)  # 2008/09 Q4


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def spec_post(**changes: str) -> dict[str, str]:
    data = {
        "service": "smoking-cessation",
        "financial_year": "2009/10",
        "unit": "four-week quitter",
        "price_per_unit": "45.00",
        "cap_per_quarter": "30",
        "target_per_quarter": "10",
        "reporting_frequency": "quarterly",
    }
    data.update(changes)
    return data


def claims(*rows: list[object]) -> Table:
    return Table(["gp_practice_code", "service", "units"], [(i + 2, r) for i, r in enumerate(rows)])


@pytest.fixture
def dacorum(services_demo: None, db: None) -> Locality:
    return Locality.objects.get(slug="dacorum")


def test_analyst_adds_2009_10_and_claims_are_checked_against_that_year(dacorum: Locality) -> None:
    analyst = client_for("analyst")
    assert f'href="{URL}"' in analyst.get("/services/enhanced/").content.decode()
    # A new year starts from the service's latest specification.
    page = analyst.get(URL + "?service=smoking-cessation").content.decode()
    assert 'value="2009/10"' in page and 'value="40.00"' in page and 'value="60"' in page

    response = analyst.post(URL, spec_post())
    assert response.status_code == 302 and response["Location"] == "/services/enhanced/"
    spec = ServiceSpecification.objects.get(
        service__key="smoking-cessation", financial_year="2009/10"
    )
    assert (spec.unit, spec.price_per_unit, spec.cap_per_quarter, spec.target_per_quarter) == (
        "four-week quitter",
        Decimal("45.00"),
        30,
        10,
    )
    created = AuditEvent.objects.get(
        object_type="ServiceSpecification", object_id=str(spec.pk), action="create"
    )
    assert created.username == "analyst"
    assert created.after["price_per_unit"] == "45.00" and created.after["year"] == "2009/10"
    catalogue = analyst.get("/services/enhanced/").content.decode()
    assert "2009/10" in catalogue and "£45.00" in catalogue

    # A practice signs up to 2009/10; its claim is checked against the 2009/10 cap and price.
    practice = Practice.objects.get(code="E82601")
    actions.sign_up(None, practice, spec, Q1_2009)
    check = check_claims(
        dacorum, Q1_2009, claims(["E82601", "smoking-cessation", 35], ["E82601", "counselling", 4])
    )
    by_column = {(p.row, p.column): p for p in check.problems}
    assert set(by_column) == {(2, "units"), (3, "service")}
    assert "over the cap of 30 a quarter: 30 payable" in by_column[(2, "units")].reason
    assert not by_column[(2, "units")].blocking
    assert "with a 2009/10 specification" in by_column[(3, "service")].reason
    line = check.lines[0]
    assert line.specification == spec and line.payable_units == 30
    assert line.amount == Decimal("1350.00")  # 30 × £45.00
    # The same units for 2008/09 Q4 are paid at that year's price under that year's cap.
    old = check_claims(dacorum, Q4_2008, claims(["E82601", "smoking-cessation", 35]))
    assert old.problems == [] and old.lines[0].specification.financial_year == "2008/09"
    assert old.lines[0].amount == Decimal("1400.00")  # 35 × £40.00, cap 60


def test_analyst_changes_a_specification_with_history(dacorum: Locality) -> None:
    analyst = client_for("analyst")
    assert analyst.post(URL, spec_post()).status_code == 302
    response = analyst.post(URL, spec_post(price_per_unit="50.00", cap_per_quarter=""))
    assert response.status_code == 302
    spec = ServiceSpecification.objects.get(
        service__key="smoking-cessation", financial_year="2009/10"
    )
    assert spec.price_per_unit == Decimal("50.00") and spec.cap_per_quarter is None
    update = AuditEvent.objects.get(
        object_type="ServiceSpecification", object_id=str(spec.pk), action="update"
    )
    assert update.before["price_per_unit"] == "45.00" and update.before["cap_per_quarter"] == 30
    assert update.after["price_per_unit"] == "50.00" and update.after["cap_per_quarter"] is None
    page = analyst.get(URL + "?service=smoking-cessation&year=2009/10").content.decode()
    assert 'value="50.00"' in page and "History of this specification" in page
    assert "price_per_unit: 45.00" in page and "price_per_unit: 50.00" in page
    # No cap: nothing is over it.
    practice = Practice.objects.get(code="E82601")
    actions.sign_up(None, practice, spec, Q1_2009)
    check = check_claims(dacorum, Q1_2009, claims(["E82601", "smoking-cessation", 500]))
    assert check.problems == [] and check.lines[0].amount == Decimal("25000.00")
    # The 2008/09 specification is untouched.
    old = ServiceSpecification.objects.get(
        service__key="smoking-cessation", financial_year="2008/09"
    )
    assert (old.price_per_unit, old.cap_per_quarter) == (Decimal("40.00"), 60)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"financial_year": "2009-10"}, "financial_year", "Enter the financial year like 2009/10."),
        ({"financial_year": "2009/11"}, "financial_year", "Enter the financial year like 2009/10."),
        ({"price_per_unit": "-1"}, "price_per_unit", "greater than or equal to 0"),
        ({"price_per_unit": "1.234"}, "price_per_unit", "no more than 2 decimal places"),
        ({"price_per_unit": "forty"}, "price_per_unit", "Enter a number."),
        ({"cap_per_quarter": "-3"}, "cap_per_quarter", "greater than or equal to 0"),
        ({"unit": ""}, "unit", "This field is required."),
        ({"service": "acupuncture"}, "service", "Select a valid choice."),
        ({"reporting_frequency": "daily"}, "reporting_frequency", "Select a valid choice."),
    ],
)
def test_specification_errors_are_shown_by_field_and_store_nothing(
    dacorum: Locality, form_errors: Any, changes: dict[str, str], field: str, message: str
) -> None:
    before = (
        ServiceSpecification.objects.count(),
        AuditEvent.objects.filter(object_type="ServiceSpecification").count(),
    )
    response = client_for("analyst").post(URL, spec_post(**changes))
    assert response.status_code == 400
    errors = form_errors(response.content.decode())
    assert list(errors) == [field]
    assert message in errors[field][0]
    after = (
        ServiceSpecification.objects.count(),
        AuditEvent.objects.filter(object_type="ServiceSpecification").count(),
    )
    assert after == before


def test_only_pct_analysts_manage_specifications(dacorum: Locality) -> None:
    for username in ("locality", "board", "practice", "provider"):
        client = client_for(username)
        assert client.get(URL).status_code == 403, username
        assert client.post(URL, spec_post()).status_code == 403, username
        assert f'href="{URL}"' not in client.get("/services/enhanced/").content.decode()
    assert not ServiceSpecification.objects.filter(financial_year="2009/10").exists()
    assert client_for("enh-analyst").get(URL).status_code == 200


def test_save_specification_refuses_bad_values(dacorum: Locality) -> None:
    from pbc.services.models import EnhancedService

    service = EnhancedService.objects.get(key="phlebotomy")
    good = {
        "unit": "sample taken",
        "price_per_unit": Decimal("3.75"),
        "cap_per_quarter": 1500,
        "target_per_quarter": None,
        "reporting_frequency": "quarterly",
    }
    for changes, field in [
        ({"price_per_unit": Decimal("-0.01")}, "price_per_unit"),
        ({"price_per_unit": Decimal("3.755")}, "price_per_unit"),
        ({"unit": "  "}, "unit"),
        ({"cap_per_quarter": -1}, "cap_per_quarter"),
        ({"reporting_frequency": "weekly"}, "reporting_frequency"),
    ]:
        with pytest.raises(actions.Refused) as refused:
            actions.save_specification(None, service, "2009/10", **{**good, **changes})
        assert refused.value.field == field
    with pytest.raises(actions.Refused) as refused:
        actions.save_specification(None, service, "2009", **good)
    assert refused.value.field == "financial_year"
    assert not ServiceSpecification.objects.filter(service=service, financial_year="2009/10")
    row = actions.save_specification(None, service, "2009/10", **good)
    assert row.price_per_unit == Decimal("3.75") and row.target_per_quarter is None
