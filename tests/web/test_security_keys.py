"""FIDO2 / WebAuthn security keys as a second factor (ASVS 2.3.2): there were TOTP and recovery
codes only. The browser test uses Chromium's virtual authenticator (the DevTools WebAuthn
domain), a real FIDO2 authenticator in software: real key pairs, real signatures."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from pbc.demo import DEMO_PASSWORD, demo_email
from pbc.orgs.models import AuditEvent
from pbc.signin.models import SecurityKey
from signin import code_for, sign_in


def virtual_authenticator(page: Any) -> None:
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": False,
                "automaticPresenceSimulation": True,
            }
        },
    )


@pytest.mark.browser
def test_a_security_key_is_added_then_used_to_sign_in(live_url: str, page: Any) -> None:
    virtual_authenticator(page)
    sign_in(page, live_url, "analyst")
    mail.outbox.clear()
    page.goto(live_url + "/accounts/security-keys/")
    page.fill("#id_key_name", "blue key")
    page.click("#add-security-key")
    page.wait_for_selector("text=has been added")

    key = SecurityKey.objects.get(user__username="analyst")
    assert key.name == "blue key" and key.confirmed
    assert AuditEvent.objects.filter(action="security_key_added", username="analyst").exists()
    subject = "A security key was added to your pbc account"
    assert [m.to for m in mail.outbox if m.subject == subject] == [[demo_email("analyst")]]

    page.click("button.nhsuk-header__account-button")  # sign out
    page.goto(live_url + "/accounts/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(re.compile(r".*/accounts/verify/.*"))
    page.click("#use-security-key")  # instead of the app's code
    page.wait_for_url(live_url + "/")

    event = AuditEvent.objects.filter(action="second_factor", username="analyst").order_by("pk")
    assert event.last().detail == "security key blue key"  # type: ignore[union-attr]
    assert SecurityKey.objects.get(pk=key.pk).last_used_at is not None


@pytest.mark.django_db
def test_an_answer_not_from_a_key_is_refused_and_nothing_is_stored() -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "analyst", "password": DEMO_PASSWORD})
    # a password alone cannot add a key: the second factor comes first
    begun = client.post("/accounts/security-keys/add/begin/")
    assert begun.status_code == 302 and begun["Location"].startswith("/accounts/verify/")
    assert client.post("/accounts/verify/", {"code": code_for("analyst")}).status_code == 302

    options = client.post("/accounts/security-keys/add/begin/").json()["publicKey"]
    assert options["rp"]["id"] == "testserver" and len(options["challenge"]) >= 43
    forged = {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {"clientDataJSON": "e30", "attestationObject": "oA"},
        "clientExtensionResults": {},
    }
    refused = client.post(
        "/accounts/security-keys/add/finish/",
        json.dumps({"credential": forged, "name": "forged"}),
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert not SecurityKey.objects.filter(user__username="analyst").exists()
    assert AuditEvent.objects.filter(action="security_key_refused", username="analyst").exists()
    # the challenge was used up: the same answer again is refused for want of one
    again = client.post(
        "/accounts/security-keys/add/finish/",
        json.dumps({"credential": forged}),
        content_type="application/json",
    )
    assert again.status_code == 400
    # a user with no key cannot start a sign-in with one
    locality = Client()
    locality.force_login(get_user_model().objects.get(username="analyst"))
    assert locality.post("/accounts/verify/security-key/begin/").status_code == 400
