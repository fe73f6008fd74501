"""Changing one's own password (ASVS 2.1.2, 2.1.5, 2.1.6, 3.3.3): only the administrator could
set a password, and nothing ended a user's other sessions when it changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from pbc.demo import DEMO_PASSWORD
from pbc.orgs.models import AuditEvent
from signin import sign_in

NEW_PASSWORD = "a quiet harbour at dusk 42"


def test_64_and_128_characters_are_allowed_and_129_refused() -> None:
    validate_password("correct horse battery staple " * 2 + "x" * 6)  # 64
    validate_password("Lorem ipsum dolor sit amet, 7 " * 4 + "abcdefgh")  # 128
    with pytest.raises(ValidationError, match="at most 128 characters"):
        validate_password("Lorem ipsum dolor sit amet, 7 " * 4 + "abcdefghi")  # 129


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    assert client.get("/").status_code == 200
    return client


def change(client: Client, old: str, new: str, again: str | None = None) -> Any:
    return client.post(
        "/accounts/password/",
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


@pytest.mark.django_db
def test_a_user_changes_their_password_and_their_other_sessions_end() -> None:
    here = signed_in("board")
    elsewhere = signed_in("board")
    someone_else = signed_in("locality")

    response = change(here, DEMO_PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/accounts/"
    user = get_user_model().objects.get(username="board")
    assert user.check_password(NEW_PASSWORD) and not user.check_password(DEMO_PASSWORD)
    # this session stays
    assert b"Your password has been changed" in here.get("/accounts/").content
    assert here.get("/").status_code == 200
    ended = elsewhere.get("/accounts/")
    assert ended.status_code == 302 and ended["Location"].startswith("/accounts/login/")
    assert someone_else.get("/").status_code == 200
    event = AuditEvent.objects.get(action="password_changed")
    assert event.username == "board" and NEW_PASSWORD not in str(event.detail)


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new", "again", "message"), [
    ("not-my-password-at-all", NEW_PASSWORD, None, "Your current password is not right"),
    (DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "didn’t match"),
    (DEMO_PASSWORD, "password1234", None, "This password is too common"),
    (DEMO_PASSWORD, "x" * 129, None, "at most 128 characters"),
])  # fmt: skip
def test_a_change_is_refused_with_a_clear_message(
    old: str, new: str, again: str | None, message: str
) -> None:
    client = signed_in("board")
    response = change(client, old, new, again)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert get_user_model().objects.get(username="board").check_password(DEMO_PASSWORD)
    assert not AuditEvent.objects.filter(action="password_changed").exists()


@pytest.mark.django_db
def test_wrong_current_passwords_count_towards_the_lockout() -> None:
    client = signed_in("board")
    for _ in range(5):
        assert change(client, "not-my-password-at-all", NEW_PASSWORD).status_code == 200
    assert AuditEvent.objects.filter(action="login_failed", username="board").count() == 5
    locked = change(client, "not-my-password-at-all", NEW_PASSWORD)
    assert locked.status_code == 429
    # Locked out, the right current password is refused too (as a sign-in would be).
    assert change(client, DEMO_PASSWORD, NEW_PASSWORD).status_code == 429
    assert get_user_model().objects.get(username="board").check_password(DEMO_PASSWORD)


@pytest.mark.browser
def test_changing_the_password_in_the_browser_ends_the_other_session(
    live_url: str,
    browser: Any,
    page: Any,
) -> None:
    other = browser.new_context()
    other_page = other.new_page()
    sign_in(other_page, live_url, "board")
    sign_in(page, live_url, "board")

    page.click(".nhsuk-header__account-link")  # the user's name in the header
    page.click("text=Change your password")
    page.fill("#id_old_password", DEMO_PASSWORD)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("button:has-text('Change password')")

    page.wait_for_url(live_url + "/accounts/")
    assert "Your password has been changed" in page.content()
    other_page.goto(live_url + "/accounts/")
    assert "/accounts/login/" in other_page.url
    other.close()
    page.goto(live_url + "/")
    assert page.url == live_url + "/"
