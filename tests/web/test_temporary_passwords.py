"""A password an administrator sets, or pbc generates, is temporary (ASVS 2.3.1): it must be
changed at the next sign-in, cannot be kept as the new password, and stops working after
PBC_TEMPORARY_PASSWORD_HOURS. Before, a password the administrator set was the user's password
for ever."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.test import Client
from django.utils import timezone

from pbc.demo import DEMO_ADMIN
from pbc.orgs.models import AuditEvent
from pbc.signin import temporary_passwords
from pbc.signin.models import TemporaryPassword

pytestmark = pytest.mark.django_db

OWN_PASSWORD = "tidal orchard velvet 57"


def user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def give_temporary_password(name: str, hours_ago: float = 0) -> str:
    target = user(name)
    password = temporary_passwords.generate()
    target.set_password(password)
    target.save()
    when = timezone.now() - datetime.timedelta(hours=hours_ago)
    temporary_passwords.mark(target, user(DEMO_ADMIN), now=when)
    return password


def test_generated_passwords_are_random_and_pass_the_password_rules() -> None:
    made = {temporary_passwords.generate() for _ in range(50)}
    assert len(made) == 50
    for password in list(made)[:5]:
        assert len(password) == 19 and password.count("-") == 3
        validate_password(password, user("board"))


def test_a_temporary_password_must_be_changed_before_any_other_page() -> None:
    temporary = give_temporary_password("board")
    client = Client()
    assert (
        client.post("/accounts/login/", {"username": "board", "password": temporary}).status_code
        == 302
    )

    sent = client.get("/plans/")

    assert sent.status_code == 302
    assert sent["Location"] == "/accounts/password/?next=%2Fplans%2F"
    page = client.get(sent["Location"])
    assert "Choose your own password" in page.content.decode()
    # the temporary password cannot become the long-term one
    kept = client.post(
        "/accounts/password/?next=/plans/",
        {"old_password": temporary, "new_password1": temporary, "new_password2": temporary,
         "next": "/plans/"},
    )  # fmt: skip
    assert "must be different from your current one" in kept.content.decode()
    assert client.get("/").status_code == 302

    changed = client.post(
        "/accounts/password/",
        {"old_password": temporary, "new_password1": OWN_PASSWORD, "new_password2": OWN_PASSWORD,
         "next": "/plans/"},
    )  # fmt: skip

    assert changed.status_code == 302 and changed["Location"] == "/plans/"
    assert not TemporaryPassword.objects.filter(user__username="board").exists()
    assert client.get("/").status_code == 200
    assert user("board").check_password(OWN_PASSWORD)


def test_an_expired_temporary_password_is_refused_with_a_clear_message() -> None:
    hours = temporary_passwords.settings.PBC_TEMPORARY_PASSWORD_HOURS
    temporary = give_temporary_password("board", hours_ago=hours + 1)
    client = Client()

    response = client.post("/accounts/login/", {"username": "board", "password": temporary})

    assert response.status_code == 200
    assert "Your temporary password has expired" in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.filter(action="login_refused", username="board").last()
    assert event is not None and "temporary password expired" in event.detail


def test_a_temporary_password_still_valid_an_hour_before_it_expires() -> None:
    hours = temporary_passwords.settings.PBC_TEMPORARY_PASSWORD_HOURS
    temporary = give_temporary_password("board", hours_ago=hours - 1)
    response = Client().post("/accounts/login/", {"username": "board", "password": temporary})
    assert response.status_code == 302


def test_a_common_password_found_at_sign_in_must_be_changed() -> None:
    """ASVS 2.1.7 at sign-in: a password on the common-password list, set before the list was
    checked (here straight into the database), is made temporary when it is used."""
    board = user("board")
    board.set_password("iloveyou")
    board.save()
    assert temporary_passwords.is_common("iloveyou")
    client = Client()

    signed_in = client.post("/accounts/login/", {"username": "board", "password": "iloveyou"})

    assert signed_in.status_code == 302
    assert TemporaryPassword.objects.filter(user=board).exists()
    sent = client.get("/plans/")
    assert sent["Location"] == "/accounts/password/?next=%2Fplans%2F"
    page = client.get(sent["Location"]).content.decode()
    assert "on a list of common passwords" in page
    event = AuditEvent.objects.filter(action="common_password_at_sign_in").latest("pk")
    assert event.username == "board" and "iloveyou" not in event.detail


def test_an_uncommon_password_at_sign_in_is_left_alone() -> None:
    board = user("board")
    board.set_password(OWN_PASSWORD)
    board.save()
    assert not temporary_passwords.is_common(OWN_PASSWORD)
    client = Client()
    assert (
        client.post("/accounts/login/", {"username": "board", "password": OWN_PASSWORD}).status_code
        == 302
    )
    assert not TemporaryPassword.objects.filter(user=board).exists()
    assert client.get("/plans/").status_code == 200
