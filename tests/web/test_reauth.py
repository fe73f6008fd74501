"""Re-authentication before sensitive pages (ASVS 3.7.1, 4.3.3). Before, a session signed in
hours ago (or taken over) could give roles on a PCT's users page, use the Django admin, or make
new recovery codes without the password: only the second factor given at sign-in was asked."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.demo import DEMO_PASSWORD
from pbc.orgs.models import AuditEvent, Membership
from pbc.signin import reauth

pytestmark = pytest.mark.django_db

USERS = "/pct/east-north-herts/users/"
GRANT = {
    "username": "wh-locality",
    "role": "board_member",
    "organisation": "locality:welwyn-hatfield",
}


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def password_given(client: Client, minutes_ago: float) -> None:
    session = client.session
    session[reauth.PASSWORD_GIVEN_AT] = time.time() - minutes_ago * 60
    session.save()


def test_roles_are_given_only_with_a_recently_given_password() -> None:
    client = signed_in("enh-analyst")
    assert client.get(USERS).status_code == 200  # the sign-in gave the password just now
    password_given(client, settings.PBC_REAUTH_MINUTES + 1)
    memberships = Membership.objects.count()

    response = client.post(USERS, GRANT)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm/?next=%2Fpct%2Feast-north-herts%2Fusers%2F"
    assert Membership.objects.count() == memberships  # not applied
    assert client.get(USERS).status_code == 302
    # another PCT's page is refused first, as before
    assert client.get("/pct/west-herts/users/").status_code == 403

    page = client.get(response["Location"])
    assert page.status_code == 200 and "Confirm your password" in page.content.decode()
    wrong = client.post("/accounts/confirm/", {"password": "not the password", "next": USERS})
    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    assert AuditEvent.objects.filter(action="login_failed", username="enh-analyst").exists()
    assert client.post(USERS, GRANT).status_code == 302
    assert Membership.objects.count() == memberships

    right = client.post("/accounts/confirm/", {"password": DEMO_PASSWORD, "next": USERS})
    assert right.status_code == 302 and right["Location"] == USERS
    assert AuditEvent.objects.filter(action="password_confirmed", username="enh-analyst").exists()
    client.post(USERS, GRANT)
    assert Membership.objects.filter(user__username="wh-locality", role="board_member").exists()


def test_the_admin_and_the_second_factor_pages_ask_again() -> None:
    admin = signed_in("admin")
    assert admin.get("/admin/").status_code == 200
    password_given(admin, settings.PBC_REAUTH_MINUTES + 1)
    response = admin.get("/admin/orgs/membership/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/confirm/?next=%2Fadmin%2F")

    analyst = signed_in("enh-analyst")
    password_given(analyst, settings.PBC_REAUTH_MINUTES + 1)
    for url in ("/accounts/recovery-codes/", "/accounts/security-keys/"):
        assert analyst.get(url).status_code == 302, url
    call = analyst.post("/accounts/security-keys/add/begin/")
    assert call.status_code == 403 and "Confirm your password" in call.json()["error"]
    # pages that change nothing about who may do what are not held up
    assert analyst.get("/accounts/").status_code == 200
    assert analyst.get("/pct/east-north-herts/").status_code == 200


def test_a_user_setting_up_their_authenticator_late_confirms_without_a_loop() -> None:
    """Setting up an authenticator asks for the password again after a while; the confirmation
    page must then be open to a session that has not given its second factor yet."""
    from pbc.orgs.models import Practice

    user = get_user_model().objects.create_user("newcomer", password=DEMO_PASSWORD)
    Membership.objects.create(user=user, role="practice_user", practice=Practice.objects.first())
    client = Client()
    signed = client.post("/accounts/login/", {"username": "newcomer", "password": DEMO_PASSWORD})
    assert signed.status_code == 302
    assert client.get("/accounts/enrol/").status_code == 200  # just signed in
    password_given(client, settings.PBC_REAUTH_MINUTES + 1)
    asked = client.get("/accounts/enrol/")
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/confirm/")
    assert client.get(asked["Location"]).status_code == 200
    back = client.post(
        "/accounts/confirm/", {"password": DEMO_PASSWORD, "next": "/accounts/enrol/"}
    )
    assert back.status_code == 302 and back["Location"] == "/accounts/enrol/"
    assert client.get("/accounts/enrol/").status_code == 200
