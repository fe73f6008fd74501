"""Users see and end their own sessions (ASVS 3.3.4): there was no list of a user's sessions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from pbc.demo import DEMO_PASSWORD
from pbc.orgs.models import AuditEvent
from pbc.signin.models import UserSession
from pbc.signin.sessions import LAST_ACTIVITY
from signin import sign_in

pytestmark = pytest.mark.django_db


def signed_in(username: str, browser: str = "") -> Client:
    """Signed in through the form (users without a second factor), from `browser`."""
    client = Client(HTTP_USER_AGENT=browser) if browser else Client()
    form = {"username": username, "password": DEMO_PASSWORD}
    assert client.post("/accounts/login/", form).status_code == 302
    assert client.get("/").status_code == 200
    return client


def is_signed_out(client: Client) -> bool:
    response = client.get("/accounts/")
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def rows_of(username: str) -> list[UserSession]:
    return list(UserSession.objects.filter(user__username=username))


def test_the_list_shows_each_of_my_sessions_and_marks_this_one() -> None:
    here = signed_in("board", "Firefox on the board laptop")
    signed_in("board", "Safari on a phone")
    signed_in("locality", "Someone else's browser")

    page = here.get("/accounts/sessions/").content.decode()

    assert page.count('class="nhsuk-table__row"') == 3  # the header and two sessions
    assert "Firefox on the board laptop" in page and "Safari on a phone" in page
    assert "Someone else" not in page
    assert page.count("This session") == 1 and "127.0.0.1" in page
    assert page.index("This session") > page.index("Firefox") < page.index("Safari")
    assert len(rows_of("board")) == 2


def test_ending_one_other_session() -> None:
    here = signed_in("board")
    phone = signed_in("board", "phone")
    laptop = signed_in("board", "laptop")
    phone_row = next(r for r in rows_of("board") if r.browser == "phone")

    response = here.post("/accounts/sessions/", {"end": str(phone_row.pk)})

    assert response.status_code == 302 and response["Location"] == "/accounts/sessions/"
    assert not Session.objects.filter(session_key=phone_row.session_key).exists()
    assert is_signed_out(phone)
    assert not is_signed_out(laptop) and not is_signed_out(here)
    event = AuditEvent.objects.get(action="sessions_ended")
    assert event.username == "board" and event.detail == "1 ended"


def test_ending_all_other_sessions_keeps_this_one() -> None:
    here = signed_in("board")
    others = [signed_in("board"), signed_in("board")]
    someone_else = signed_in("locality")

    here.post("/accounts/sessions/", {"end": "others"})

    assert all(is_signed_out(other) for other in others)
    assert not is_signed_out(here) and not is_signed_out(someone_else)
    assert len(rows_of("board")) == 1
    assert "You have no other session" in here.get("/accounts/sessions/").content.decode()


def test_another_users_session_cannot_be_ended() -> None:
    attacker = signed_in("board")
    victim = signed_in("locality")
    (victim_row,) = rows_of("locality")

    attacker.post("/accounts/sessions/", {"end": str(victim_row.pk)})

    assert not is_signed_out(victim)
    assert Session.objects.filter(session_key=victim_row.session_key).exists()


def test_sessions_that_ended_are_not_listed() -> None:
    here = signed_in("board")
    gone = signed_in("board", "signed out")
    idle = signed_in("board", "left idle")
    assert gone.post("/accounts/logout/").status_code == 302
    session = idle.session
    session[LAST_ACTIVITY] -= 31 * 60
    session.save()

    page = here.get("/accounts/sessions/").content.decode()

    assert "signed out" not in page and "left idle" not in page
    assert len(rows_of("board")) == 1  # the rows of ended sessions are deleted


def test_a_password_change_deletes_the_other_sessions_at_once() -> None:
    here = signed_in("board")
    elsewhere = signed_in("board")
    key = elsewhere.session.session_key
    response = here.post(
        "/accounts/password/",
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": "a quiet harbour at dusk 42",
            "new_password2": "a quiet harbour at dusk 42",
        },
    )
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    (row,) = rows_of("board")
    assert row.session_key == here.session.session_key  # this session, under its new key
    assert AuditEvent.objects.get(action="password_changed").detail == "1 other session(s) ended"


@pytest.mark.browser
def test_ending_other_sessions_in_the_browser(live_url: str, browser: Any, page: Any) -> None:
    other = browser.new_context()
    other_page = other.new_page()
    sign_in(other_page, live_url, "board")
    sign_in(page, live_url, "board")

    page.click(".nhsuk-header__account-link")
    page.click("text=Your sessions")
    rows = page.locator(".pbc-sessions tbody tr")
    assert rows.count() == 2
    assert "This session" in rows.nth(0).inner_text()
    assert re.search(r"\d{1,2} \w+ \d{4} \d\d:\d\d", rows.nth(1).inner_text())
    page.click("button:has-text('End all other sessions')")

    assert "Your other sessions have ended" in page.content()
    assert page.locator(".pbc-sessions tbody tr").count() == 1
    other_page.goto(live_url + "/accounts/")
    assert "/accounts/login/" in other_page.url
    other.close()
