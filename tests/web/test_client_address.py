"""Lockout by address behind the production proxy (issue 13): every connection then comes from
the proxy, so the client's address is the last entry of X-Forwarded-For, the one the proxy
appended; without PBC_TRUST_PROXY the header is ignored (a client could write anything)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from pbc.demo import DEMO_PASSWORD, DEMO_USERS
from pbc.orgs.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PROXY = "10.9.0.1"


def attempt(username: str, password: str, forwarded_for: str) -> int:
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)
    return client.post(LOGIN, {"username": username, "password": password}).status_code


@override_settings(PBC_TRUST_PROXY=True)
def test_behind_a_trusted_proxy_the_client_is_locked_out_not_the_proxy() -> None:
    names = [u.username for u in DEMO_USERS][:6]
    for name in names:  # six accounts tried from one client, each with a forged first entry
        attempt(name, "not-the-password", f"10.9.9.{len(name)}, 10.9.1.1")
    assert attempt("board", DEMO_PASSWORD, "10.9.1.1") == 429
    # another client through the same proxy still signs in
    assert attempt("board", DEMO_PASSWORD, "10.9.1.2") == 302
    failure = AuditEvent.objects.filter(action="login_failed").order_by("pk").first()
    assert failure is not None and failure.detail.endswith("from 10.9.1.1")


@override_settings(PBC_TRUST_PROXY=False)
def test_without_a_trusted_proxy_the_header_is_ignored() -> None:
    for n in range(6):  # a client changing X-Forwarded-For at every attempt
        attempt(DEMO_USERS[n].username, "not-the-password", f"10.9.2.{n}")
    assert attempt("board", DEMO_PASSWORD, "10.9.2.99") == 429  # its own address is locked out
    failure = AuditEvent.objects.filter(action="login_failed").order_by("pk").first()
    assert failure is not None and failure.detail.endswith(f"from {PROXY}")
