"""Abnormal numbers of requests are detected and alerted (ASVS 8.1.4): by one signed-in user,
from one address, and patient-level views by one user, each over an hour. Before, nothing
counted requests but the sign-in lockout, and nobody was told. The limits are set low here; the
alert goes by e-mail (Django's locmem backend in tests) and into the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, override_settings

from pbc.demo import demo_email
from pbc.orgs.models import AuditEvent
from pbc.signin import request_rates
from pbc.synth import geography

pytestmark = pytest.mark.django_db

SUBJECT = "pbc: abnormal number of requests"
PRACTICE_WH = geography.WEST_HERTS.localities[0].practices[0].code


@pytest.fixture(autouse=True)
def _fresh_counts() -> Iterator[None]:
    request_rates.COUNTER.clear()
    mail.outbox.clear()
    yield
    request_rates.COUNTER.clear()


def alerts() -> list[Any]:
    return [m for m in mail.outbox if m.subject == SUBJECT]


def signed_in(name: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=name))
    return client


@override_settings(PBC_ALERT_USER_REQUESTS_PER_HOUR=5)
def test_a_users_abnormal_number_of_requests_is_alerted_once() -> None:
    client = signed_in("board")
    for _ in range(4):
        assert client.get("/").status_code == 200
    assert alerts() == []

    client.get("/")  # the fifth
    for _ in range(3):
        client.get("/")

    [message] = alerts()
    assert message.to == [demo_email("admin")]  # the site's superuser, no PBC_ALERT_EMAIL
    assert "requests by board: 5 in the hour (the alert limit is 5)" in message.body
    [event] = AuditEvent.objects.filter(action="abnormal_requests")
    assert event.username == "board" and event.path == "/"
    assert client.get("/").status_code == 200  # nothing is refused


@override_settings(PBC_ALERT_ADDRESS_REQUESTS_PER_HOUR=3, PBC_ALERT_EMAIL="soc@example.nhs.uk")
def test_requests_from_one_address_are_alerted_to_the_alert_address() -> None:
    visitor = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        visitor.get("/public/")
    Client(REMOTE_ADDR="198.51.100.7").get("/public/")  # another address: counted apart

    [message] = alerts()
    assert message.to == ["soc@example.nhs.uk"]
    assert "requests from 203.0.113.9: 3 in the hour" in message.body
    assert "198.51.100.7" not in message.body


@override_settings(PBC_ALERT_PATIENT_VIEWS_PER_HOUR=2)
def test_many_patient_level_views_by_one_user_are_alerted() -> None:
    client = signed_in("analyst")
    page = f"/population/practices/{PRACTICE_WH}/case-finding/"
    assert client.get(page).status_code == 200
    assert alerts() == []

    assert client.get(page).status_code == 200

    [message] = alerts()
    assert "patient-level views by analyst: 2 in the hour" in message.body
    event = AuditEvent.objects.get(action="abnormal_requests")
    assert event.username == "analyst"


def test_the_counter_forgets_the_hour_before() -> None:
    counter = request_rates.HourlyCounter()
    assert [counter.add("k", 3600 * 10 + s) for s in (0, 1, 3599)] == [1, 2, 3]
    assert counter.add("k", 3600 * 11) == 1
