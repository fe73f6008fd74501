"""Session limits (issue 13): sessions lasted two weeks whatever the user did."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client

from pbc.orgs.models import AuditEvent
from pbc.signin.sessions import LAST_ACTIVITY, SIGNED_IN_AT

pytestmark = pytest.mark.django_db


def signed_in_client(username: str = "board") -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    assert client.get("/").status_code == 200
    return client


def shift(client: Client, key: str, seconds_ago: float) -> None:
    session = client.session
    session[key] = time.time() - seconds_ago
    session.save()


def assert_sent_to_sign_in(client: Client) -> None:
    response = client.get("/accounts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_a_session_idle_for_more_than_30_minutes_has_ended() -> None:
    client = signed_in_client()
    shift(client, LAST_ACTIVITY, 29 * 60)
    assert client.get("/").status_code == 200  # 29 minutes idle: still signed in
    shift(client, LAST_ACTIVITY, 31 * 60)
    key = client.session.session_key

    assert_sent_to_sign_in(client)

    assert not Session.objects.filter(session_key=key).exists()
    event = AuditEvent.objects.filter(action="session_expired").get()
    assert event.username == "board"
    assert "30 minutes" in event.detail


def test_the_idle_timeout_is_a_setting(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PBC_SESSION_IDLE_MINUTES = 5
    client = signed_in_client()
    shift(client, LAST_ACTIVITY, 6 * 60)
    assert_sent_to_sign_in(client)


def test_a_busy_session_still_ends_12_hours_after_signing_in() -> None:
    client = signed_in_client()
    shift(client, SIGNED_IN_AT, 11 * 3600)
    assert client.get("/").status_code == 200
    shift(client, SIGNED_IN_AT, 12 * 3600 + 60)
    assert_sent_to_sign_in(client)
    assert "12 hours" in AuditEvent.objects.get(action="session_expired").detail


def test_a_deactivated_users_session_ends_at_once() -> None:
    client = signed_in_client("locality")
    key = client.session.session_key
    user = get_user_model().objects.get(username="locality")
    user.is_active = False
    user.save()

    assert_sent_to_sign_in(client)
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/localities/dacorum/").status_code == 302


def test_the_last_activity_is_marked_at_most_once_a_minute() -> None:
    """A page does not write the session each time (every worker would queue for the write):
    the mark moves when it is a minute old, so the idle timeout is still counted from it."""
    client = signed_in_client()
    shift(client, LAST_ACTIVITY, 30)
    marked = client.session[LAST_ACTIVITY]
    assert client.get("/").status_code == 200
    assert client.session[LAST_ACTIVITY] == marked  # 30 seconds old: not written again
    shift(client, LAST_ACTIVITY, 90)
    assert client.get("/").status_code == 200
    assert time.time() - client.session[LAST_ACTIVITY] < 30  # a minute and a half: marked now
