"""Changes an administrator makes to someone's account are audited and the user is told by
e-mail, as their own changes are (issue 13): before, a password set, a deactivation or a role
given in the Django admin or on a PCT's users page reached the user by no message, and the
admin's changes to accounts were not in pbc's audit log. The messages go through Django's locmem
mail backend (the test runner's)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from pbc.demo import DEMO_ADMIN, demo_email
from pbc.orgs.models import AuditEvent, Locality, Membership
from pbc.signin import second_factor
from pbc.signin.models import Authenticator, RecoveryCodeDevice, TemporaryPassword, UserSession
from pbc.signin.views import ENROL_KEY

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lantern meadow copper 81"


def user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def admin_client() -> Client:
    client = Client()
    client.force_login(user(DEMO_ADMIN))
    return client


def signed_in(name: str) -> Client:
    client = Client()
    client.force_login(user(name))
    assert client.get("/").status_code == 200
    return client


def notices(to: str, subject: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.to == [to] and m.subject == subject]


def change_form(target: Any, **changes: Any) -> dict[str, Any]:
    """The admin's change form for `target` as it stands, with `changes` (None drops a field,
    as an unticked box is not sent)."""
    data: dict[str, Any] = {
        "username": target.username,
        "first_name": target.first_name,
        "last_name": target.last_name,
        "email": target.email,
        "is_active": "on" if target.is_active else None,
        "date_joined_0": target.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": target.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def last_event(action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action).order_by("pk").last()
    assert event is not None, f"no {action} event"
    return event


def test_a_password_set_in_the_admin_is_told_audited_temporary_and_ends_sessions(
    django_capture_on_commit_callbacks: Any,
) -> None:
    board = user("board")
    their_session = signed_in("board")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks() as told_on_commit:
        response = admin_client().post(
            f"/admin/auth/user/{board.pk}/password/",
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "set_usable_password": "true"},
        )
    # Nothing is sent inside the admin's transaction (a slow mail server would hold it open).
    subject = "Your pbc password was reset by an administrator"
    assert response.status_code == 302 and not notices(demo_email("board"), subject)
    for callback in told_on_commit:
        callback()
    [message] = notices(demo_email("board"), subject)
    assert "The administrator was Ada Admin" in message.body
    assert "you must choose a new password when you next sign in" in message.body
    assert NEW_PASSWORD not in message.body
    event = last_event("password_set_by_administrator")
    assert (event.username, event.object_type, event.object_id) == (
        DEMO_ADMIN,
        "User",
        str(board.pk),
    )
    assert NEW_PASSWORD not in str(event.before) + str(event.after) + event.detail
    assert TemporaryPassword.objects.filter(user=board, set_by=DEMO_ADMIN).exists()
    assert not UserSession.objects.filter(user=board).exists()
    assert their_session.get("/").status_code == 302  # signed out


def test_deactivating_and_reactivating_in_the_admin_are_told_and_audited(
    django_capture_on_commit_callbacks: Any,
) -> None:
    locality = user("locality")
    their_session = signed_in("locality")
    mail.outbox.clear()
    client = admin_client()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/auth/user/{locality.pk}/change/", change_form(locality, is_active=None)
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    locality.refresh_from_db()
    assert not locality.is_active
    assert len(notices(demo_email("locality"), "Your pbc account was deactivated")) == 1
    event = last_event("account_deactivated")
    assert event.before == {"is_active": True} and event.after == {"is_active": False}
    assert event.username == DEMO_ADMIN
    assert not UserSession.objects.filter(user=locality).exists()
    assert their_session.get("/").status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/admin/auth/user/{locality.pk}/change/", change_form(locality, is_active="on")
        )
    assert len(notices(demo_email("locality"), "Your pbc account was reactivated")) == 1
    assert last_event("account_reactivated").after == {"is_active": True}


def test_a_changed_email_address_is_told_to_the_old_and_the_new_address(
    django_capture_on_commit_callbacks: Any,
) -> None:
    board = user("board")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client().post(
            f"/admin/auth/user/{board.pk}/change/",
            change_form(board, email="elsewhere@example.net"),
        )

    subject = "Your pbc account's details were changed"
    for address in (demo_email("board"), "elsewhere@example.net"):
        [message] = notices(address, subject)
        assert (
            f"e-mail address: was {demo_email('board')}, now elsewhere@example.net" in message.body
        )
    assert last_event("account_details_changed").after == {"email": "elsewhere@example.net"}


def test_staff_rights_given_in_the_admin_are_told(django_capture_on_commit_callbacks: Any) -> None:
    newcomer = get_user_model().objects.create_user(
        "newcomer", email="newcomer@example.org", password=NEW_PASSWORD
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client().post(
            f"/admin/auth/user/{newcomer.pk}/change/", change_form(newcomer, is_staff="on")
        )

    assert len(notices("newcomer@example.org", "Your pbc account's administrator rights changed"))
    assert last_event("administrator_rights_changed").after == {"is_staff": True}


def test_an_account_deleted_in_the_admin_is_told_and_audited() -> None:
    leaver = get_user_model().objects.create_user("leaver", email="leaver@example.org")
    mail.outbox.clear()

    response = admin_client().post(f"/admin/auth/user/{leaver.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not get_user_model().objects.filter(username="leaver").exists()
    assert len(notices("leaver@example.org", "Your pbc account was deleted")) == 1
    assert last_event("account_deleted").before["username"] == "leaver"


def test_a_new_accounts_first_password_is_temporary_and_audited() -> None:
    response = admin_client().post(
        "/admin/auth/user/add/",
        {"username": "starter", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
         "usable_password": "true"},
    )  # fmt: skip

    assert response.status_code == 302
    starter = user("starter")
    assert TemporaryPassword.objects.filter(user=starter, set_by=DEMO_ADMIN).exists()
    assert last_event("account_created").object_id == str(starter.pk)


def test_a_role_given_and_taken_by_a_pct_administrator_is_told() -> None:
    board = user("board")
    analyst = signed_in("analyst")
    dacorum = Locality.objects.get(slug="dacorum")
    mail.outbox.clear()
    users_page = f"/pct/{dacorum.pct.slug}/users/"

    analyst.post(
        users_page,
        {"username": "board", "role": "locality_manager", "organisation": "locality:dacorum"},
    )

    [given] = notices(demo_email("board"), "You were given a role in pbc")
    assert f"You now hold the role Locality manager of {dacorum}" in given.body
    assert "The administrator was Alex Analyst" in given.body
    membership = Membership.objects.get(user=board, locality=dacorum, role="locality_manager")

    analyst.post(users_page, {"revoke": membership.pk})

    [taken] = notices(demo_email("board"), "A role of yours in pbc was taken away")
    assert f"You no longer hold the role Locality manager of {dacorum}" in taken.body


def test_a_lost_second_factor_is_reset_with_evidence_of_identity() -> None:
    analyst = user("analyst")
    assert second_factor.is_enrolled(analyst)
    client = admin_client()
    page = f"/admin/auth/user/{analyst.pk}/second-factor-reset/"
    assert (
        "Reset second factor"
        in client.get(f"/admin/auth/user/{analyst.pk}/change/").content.decode()
    )
    mail.outbox.clear()

    refused = client.post(page, {"evidence": ""})  # no evidence, no reset

    assert "This field is required" in refused.content.decode()
    assert second_factor.is_enrolled(user("analyst"))

    done = client.post(page, {"evidence": "seen in person with her NHS smartcard"})

    text = done.content.decode()
    assert "Their temporary password, shown only now" in text
    assert not Authenticator.objects.filter(user=analyst).exists()
    assert not RecoveryCodeDevice.objects.filter(user=analyst).exists()
    assert TemporaryPassword.objects.filter(user=analyst).exists()
    event = last_event("second_factor_reset")
    assert event.detail == "identity confirmed by: seen in person with her NHS smartcard"
    assert event.username == DEMO_ADMIN and event.object_id == str(analyst.pk)
    [message] = notices(
        demo_email("analyst"), "Your pbc second factor was reset by an administrator"
    )
    password = text.split('<code id="temporary-password">')[1].split("</code>")[0]
    assert password not in message.body and password not in str(event.after)
    # the person signs in with it and is sent to set up an authenticator again
    person = Client()
    signed = person.post("/accounts/login/", {"username": "analyst", "password": password})
    assert signed.status_code == 302
    assert person.get("/").url.startswith("/accounts/enrol/")
    # then, with a new authenticator, they choose their own password before any other page
    person.get("/accounts/enrol/")
    key = person.session[ENROL_KEY]
    enrolled = person.post("/accounts/enrol/", {"code": second_factor.code_at(key, time.time())})
    assert "Your recovery codes" in enrolled.content.decode()
    assert person.get("/").url.startswith("/accounts/password/")
    own = "harbour lantern thistle 62"
    changed = person.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": own, "new_password2": own, "next": "/"},
    )
    assert changed.status_code == 302
    assert person.get("/").status_code == 200
    assert not TemporaryPassword.objects.filter(user=analyst).exists()


def test_the_admin_cannot_delete_an_authenticator_without_the_reset() -> None:
    device = Authenticator.objects.filter(user__username="analyst").first()
    assert device is not None
    response = admin_client().post(
        f"/admin/signin/authenticator/{device.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Authenticator.objects.filter(pk=device.pk).exists()
