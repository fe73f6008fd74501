"""The second factor (issue 13): there was none for users who see patient rows."""

from __future__ import annotations

import base64
import time
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from pbc.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, totp_code
from pbc.orgs import actions
from pbc.orgs.models import AuditEvent, Practice
from pbc.orgs.roles import Role
from pbc.signin import second_factor
from pbc.signin.models import Authenticator
from pbc.signin.views import ENROL_KEY
from pbc.synth import geography
from signin import code_for

pytestmark = pytest.mark.django_db

PRACTICE_A = geography.locality("dacorum").practices[0].code
CASE_FINDING = f"/population/practices/{PRACTICE_A}/case-finding/"


def password_only(username: str) -> Client:
    """Signed in through the form with the password: no second factor yet."""
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def test_an_analyst_needs_a_real_code_before_any_patient_level_page() -> None:
    client = password_only("analyst")

    response = client.get(CASE_FINDING)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/verify/?next=" + quote(CASE_FINDING, safe="")
    assert client.get("/").status_code == 302  # every page waits for the second factor
    assert not AuditEvent.objects.filter(action="view_patient_rows", username="analyst").exists()
    # A wrong code is refused and audited.
    wrong = client.post("/accounts/verify/", {"code": "000000", "next": CASE_FINDING})
    assert wrong.status_code == 200
    assert b"The code is not right" in wrong.content
    assert client.get(CASE_FINDING).status_code == 302
    assert AuditEvent.objects.filter(action="second_factor_failed", username="analyst").exists()
    # The real code of the analyst's authenticator (the demo's documented key) lets them in.
    device = TOTPDevice.objects.get(user__username="analyst")
    device.throttle_reset()  # the wrong code above started django-otp's back-off

    right = client.post("/accounts/verify/", {"code": code_for("analyst"), "next": CASE_FINDING})

    assert right.status_code == 302 and right["Location"] == CASE_FINDING
    page = client.get(CASE_FINDING)
    assert page.status_code == 200
    assert AuditEvent.objects.filter(action="second_factor", username="analyst").exists()


def test_a_code_is_accepted_once() -> None:
    code = code_for("practice")
    first = password_only("practice")
    assert first.post("/accounts/verify/", {"code": code}).status_code == 302
    second = password_only("practice")
    assert second.post("/accounts/verify/", {"code": code}).status_code == 200
    assert second.get(f"/practices/{PRACTICE_A}/").status_code == 302


# Recovery codes: tests/web/test_recovery_codes.py.


def test_a_role_without_patient_rows_needs_no_second_factor() -> None:
    client = password_only("locality")
    assert client.get("/localities/dacorum/").status_code == 200


def test_the_demo_code_is_the_documented_keys_code() -> None:
    device = Authenticator.objects.get(user__username="enh-analyst")
    assert device.bin_key == base64.b32decode(DEMO_TOTP_SECRET)
    assert totp_code("enh-analyst") == second_factor.current_code(device)
    for name in ("analyst", "enh-analyst", "practice", "practice2", "admin"):
        assert second_factor.is_enrolled(get_user_model().objects.get(username=name)), name
    for name in ("locality", "board", "wh-locality", "provider"):
        assert not TOTPDevice.objects.filter(user__username=name).exists(), name


def test_a_new_practice_user_enrols_with_the_qr_code_then_gets_recovery_codes() -> None:
    User = get_user_model()
    newcomer = User.objects.create_user("nina.newcomer", password="a-long-new-password-1")
    practice = Practice.objects.get(code=PRACTICE_A)
    actions.grant_membership(None, newcomer, Role.PRACTICE_USER, practice)
    client = Client()
    client.post("/accounts/login/", {"username": newcomer.username, "password": "a-long-new-password-1"})  # fmt: skip

    response = client.get(f"/practices/{PRACTICE_A}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/enrol/")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"<svg" in page.content and b"QR code for pbc" in page.content
    key = client.session[ENROL_KEY]
    assert not TOTPDevice.objects.filter(user=newcomer).exists()  # nothing stored until confirmed
    assert client.post("/accounts/enrol/", {"code": "123456"}).status_code == 200  # wrong code
    assert client.get(f"/practices/{PRACTICE_A}/").status_code == 302

    code = second_factor.code_at(key, time.time())
    done = client.post("/accounts/enrol/", {"code": code})

    assert done.status_code == 200
    assert b"Your recovery codes" in done.content
    assert second_factor.is_enrolled(newcomer)
    assert client.get(f"/practices/{PRACTICE_A}/").status_code == 200
    assert AuditEvent.objects.filter(action="second_factor_enrolled", user=newcomer).exists()


def test_a_password_alone_cannot_replace_the_authenticator() -> None:
    client = password_only("analyst")
    response = client.get("/accounts/enrol/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/verify/")
    assert client.post("/accounts/enrol/", {"code": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user__username="analyst").count() == 1
