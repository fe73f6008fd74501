"""Sign-in throttling and audit (issue 13): 50 wrong passwords in a row were answered with no
lockout and the right one then worked; sign-ins were not audited; any password was accepted."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.demo import DEMO_PASSWORD, DEMO_USERS
from pbc.orgs.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def attempt(client: Client, username: str, password: str) -> int:
    return client.post(LOGIN, {"username": username, "password": password}).status_code


def test_the_sixth_wrong_password_locks_the_account_out_and_is_audited() -> None:
    client = Client(REMOTE_ADDR="10.1.0.1")
    for n in range(1, 6):
        response = client.post(LOGIN, {"username": "locality", "password": f"wrong-{n}"})
        assert response.status_code == 200, n  # the form again, with its error
        assert b"Enter a correct username and password" in response.content
    assert not AuditEvent.objects.filter(action="lockout").exists()

    response = client.post(LOGIN, {"username": "locality", "password": "wrong-6"})

    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    # Now even the right password is refused, from this address and from any other.
    assert attempt(client, "locality", DEMO_PASSWORD) == 429
    assert attempt(Client(REMOTE_ADDR="10.1.0.2"), "locality", DEMO_PASSWORD) == 429
    assert "_auth_user_id" not in client.session
    lockout = AuditEvent.objects.filter(action="lockout").order_by("pk").first()
    assert lockout is not None
    assert lockout.username == "locality"
    assert lockout.user == get_user_model().objects.get(username="locality")
    assert "10.1.0.1" in lockout.detail
    failures = AuditEvent.objects.filter(action="login_failed", username="locality")
    assert failures.count() == 8  # six wrong passwords, then two refusals while locked out
    # Another account from another address still signs in.
    assert attempt(Client(REMOTE_ADDR="10.1.0.3"), "board", DEMO_PASSWORD) == 302


def test_an_address_is_locked_out_whichever_accounts_it_tries() -> None:
    client = Client(REMOTE_ADDR="10.2.0.1")
    names = [u.username for u in DEMO_USERS][:6]
    for name in names:
        attempt(client, name, "not-the-password")
    assert attempt(client, "board", DEMO_PASSWORD) == 429
    assert attempt(Client(REMOTE_ADDR="10.2.0.2"), "board", DEMO_PASSWORD) == 302


def test_five_wrong_passwords_then_the_right_one_signs_in() -> None:
    client = Client(REMOTE_ADDR="10.3.0.1")
    for n in range(5):
        assert attempt(client, "board", f"wrong-{n}") == 200
    assert attempt(client, "board", DEMO_PASSWORD) == 302
    assert client.session["_auth_user_id"] == str(get_user_model().objects.get(username="board").pk)


def test_sign_in_failure_and_sign_out_are_audited() -> None:
    client = Client(REMOTE_ADDR="10.4.0.1")
    assert attempt(client, "board", "wrong") == 200
    assert attempt(client, "nobody-of-that-name", "wrong") == 200
    assert attempt(client, "board", DEMO_PASSWORD) == 302
    assert client.post("/accounts/logout/").status_code == 302

    events = list(
        AuditEvent.objects.filter(action__in=["login", "login_failed", "logout"])
        .order_by("pk")
        .values_list("action", "username")
    )
    assert events == [
        ("login_failed", "board"),
        ("login_failed", "nobody-of-that-name"),
        ("login", "board"),
        ("logout", "board"),
    ]
    board = get_user_model().objects.get(username="board")
    assert AuditEvent.objects.filter(action="login_failed", user=board).count() == 1
    assert AuditEvent.objects.get(action="login").detail == "from 10.4.0.1"
