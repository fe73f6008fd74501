"""Bad input in the add-practice form: clear field-level messages and nothing half-saved."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.orgs.models import AuditEvent, Practice

URL = "/localities/dacorum/practices/new/"


@pytest.fixture
def analyst() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username="analyst"))
    return client


@pytest.mark.django_db
def test_invalid_ods_code_is_refused_with_field_message(analyst: Client) -> None:
    before = Practice.objects.count()
    response = analyst.post(URL, {"code": "E8200", "name": "New Surgery"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'id="id_code-error"' in html  # the message is attached to the ODS code field
    assert "is not a GP practice ODS code" in html
    assert Practice.objects.count() == before
    assert not AuditEvent.objects.filter(action="create", object_type="Practice").exists()


@pytest.mark.django_db
def test_duplicate_practice_is_refused_naming_the_existing_one(analyst: Client) -> None:
    existing = Practice.objects.get(code="E82601")
    response = analyst.post(URL, {"code": "e82601", "name": "Copy"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "A practice with ODS code E82601 already exists" in html
    assert existing.name in html
    assert Practice.objects.filter(code="E82601").count() == 1
    assert Practice.objects.get(code="E82601").name == existing.name


@pytest.mark.django_db
def test_missing_name_is_a_field_error(analyst: Client) -> None:
    response = analyst.post(URL, {"code": "E82999", "name": ""})
    assert response.status_code == 400
    assert 'id="id_name-error"' in response.content.decode()
    assert not Practice.objects.filter(code="E82999").exists()


@pytest.mark.django_db
def test_valid_practice_is_saved_and_audited(analyst: Client) -> None:
    response = analyst.post(URL, {"code": "E82999", "name": "Hemel New Surgery"})
    assert response.status_code == 302
    practice = Practice.objects.get(code="E82999")
    assert practice.locality.slug == "dacorum"
    event = AuditEvent.objects.get(action="create", object_type="Practice")
    assert event.username == "analyst"
    assert event.after == {"code": "E82999", "name": "Hemel New Surgery", "locality": "dacorum"}


@pytest.mark.django_db
def test_locality_manager_cannot_add_practices() -> None:
    client = Client()
    client.force_login(get_user_model().objects.get(username="locality"))
    response = client.post(URL, {"code": "E82998", "name": "X"})
    assert response.status_code == 403
    assert not Practice.objects.filter(code="E82998").exists()
