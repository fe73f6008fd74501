"""Users are told by e-mail when their password, authenticator or recovery codes change, and
when their account is signed in to from a new browser (ASVS 2.2.3, 2.5.5): before, these were
only audited. The messages go through Django's locmem mail backend (the test runner's)."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, override_settings

from pbc.demo import DEMO_PASSWORD, demo_email
from pbc.orgs.models import AuditEvent
from pbc.signin import browsers, second_factor
from pbc.signin.models import KnownBrowser
from pbc.signin.views import ENROL_KEY
from signin import code_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a quiet harbour at dusk 42"


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def sent_to(username: str, subject: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.to == [demo_email(username)] and m.subject == subject]


def test_a_password_change_is_notified_and_audited() -> None:
    client = signed_in("board")
    mail.outbox.clear()

    response = client.post(
        "/accounts/password/",
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        HTTP_USER_AGENT="Firefox/140",
        REMOTE_ADDR="10.1.2.3",
    )

    assert response.status_code == 302
    [message] = sent_to("board", "Your pbc password was changed")
    assert "Dear Bea Board" in message.body
    assert "from the address 10.1.2.3 (Firefox/140)" in message.body
    assert "tell your pbc administrator at once" in message.body
    assert NEW_PASSWORD not in message.body and DEMO_PASSWORD not in message.body
    assert "http" not in message.body  # no link to follow
    event = (
        AuditEvent.objects.filter(action="notification_sent", username="board")
        .order_by("pk")
        .last()
    )
    assert event is not None and event.detail == f"password_changed to {demo_email('board')}"


def test_new_recovery_codes_are_notified() -> None:
    client = signed_in("analyst")
    mail.outbox.clear()

    assert client.post("/accounts/recovery-codes/").status_code == 200

    assert len(sent_to("analyst", "New pbc recovery codes were made")) == 1
    assert AuditEvent.objects.filter(
        action="notification_sent", detail__startswith="recovery_codes_replaced"
    ).exists()


def test_a_new_authenticator_is_notified() -> None:
    client = signed_in("analyst")  # a verified session may replace its authenticator
    assert client.get("/accounts/enrol/").status_code == 200
    key = client.session[ENROL_KEY]
    mail.outbox.clear()

    done = client.post("/accounts/enrol/", {"code": second_factor.code_at(key, time.time())})

    assert b"Your recovery codes" in done.content
    subject = "An authenticator app was set up for your pbc account"
    assert len(sent_to("analyst", subject)) == 1


def sign_in_with_password(client: Client) -> None:
    response = client.post("/accounts/login/", {"username": "locality", "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_a_sign_in_from_a_new_browser_is_notified_once() -> None:
    subject = "A new sign-in to your pbc account"
    laptop = Client()
    mail.outbox.clear()

    sign_in_with_password(laptop)

    assert len(sent_to("locality", subject)) == 1
    token = laptop.cookies[browsers.cookie_name()].value
    assert laptop.cookies[browsers.cookie_name()]["httponly"]
    user = get_user_model().objects.get(username="locality")
    # only a digest of the browser's token is kept
    assert list(KnownBrowser.objects.filter(user=user).values_list("digest", flat=True)) == [
        browsers.digest(token)
    ]
    # the same browser signing in again is not new
    laptop.post("/accounts/logout/")
    sign_in_with_password(laptop)
    assert len(sent_to("locality", subject)) == 1
    # another browser is
    sign_in_with_password(Client())
    assert len(sent_to("locality", subject)) == 2
    # a browser another user signed in from is new to this one
    shared = Client()
    shared.post("/accounts/login/", {"username": "board", "password": DEMO_PASSWORD})
    shared.post("/accounts/logout/")
    sign_in_with_password(shared)
    assert len(sent_to("locality", subject)) == 3
    assert shared.cookies[browsers.cookie_name()].value != token


def test_a_code_used_twice_is_refused_audited_and_notified() -> None:
    """ASVS 2.8.5: a reused code is rejected (django-otp), logged and its holder told."""
    code = code_for("practice")
    first = Client()
    first.post("/accounts/login/", {"username": "practice", "password": DEMO_PASSWORD})
    assert first.post("/accounts/verify/", {"code": code}).status_code == 302
    mail.outbox.clear()
    second = Client()
    second.post("/accounts/login/", {"username": "practice", "password": DEMO_PASSWORD})

    refused = second.post("/accounts/verify/", {"code": code})

    assert refused.status_code == 200 and b"The code is not right" in refused.content
    assert AuditEvent.objects.filter(action="second_factor_replayed", username="practice").exists()
    assert len(sent_to("practice", "A code of your pbc authenticator was used twice")) == 1
    # a code that is merely wrong is not a reuse
    other = f"{(int(code) + 1) % 1_000_000:06d}"
    assert not second_factor.is_replayed(get_user_model().objects.get(username="practice"), other)


def test_an_account_without_an_address_or_a_refusing_mail_server_is_audited() -> None:
    User = get_user_model()
    User.objects.filter(username="board").update(email="")
    client = signed_in("board")
    event = (
        AuditEvent.objects.filter(action="notification_not_sent", username="board")
        .order_by("pk")
        .last()
    )
    assert event is not None and event.detail == "new_browser: the account has no e-mail address"

    User.objects.filter(username="board").update(email=demo_email("board"))
    # a mail server that refuses the connection: the change stands, the failure is audited
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=1,
    ):
        response = client.post(
            "/accounts/password/",
            {
                "old_password": DEMO_PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
    assert response.status_code == 302
    assert User.objects.get(username="board").check_password(NEW_PASSWORD)
    event = (
        AuditEvent.objects.filter(action="notification_not_sent", username="board")
        .order_by("pk")
        .last()
    )
    assert event is not None
    assert event.detail.startswith(f"password_changed to {demo_email('board')}: the mail server")
