"""Django's account commands at the server (`changepassword`, `createsuperuser`) follow the
admin's rules (issue 13, `pbc.server_commands`): before, a password the operator set there was
neither audited, nor told to the user, nor temporary. The messages go through Django's locmem
mail backend (the test runner's); the password prompt is Python's getpass, given here."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import Client

from pbc.orgs.models import AuditEvent
from pbc.signin.models import TemporaryPassword, UserSession

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lantern meadow copper 81"


def user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def test_changepassword_at_the_server_is_audited_told_temporary_and_ends_sessions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signed_in = Client()
    signed_in.force_login(user("practice"))
    signed_in.get("/")  # the session gets its row (pbc.signin.active_sessions)
    assert UserSession.objects.filter(user=user("practice")).exists()
    mail.outbox.clear()
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)

    call_command("changepassword", "practice")

    practice = user("practice")
    assert practice.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="password_set_by_administrator", object_id=practice.pk)
    assert event.username == "operator" and "changepassword" in event.detail
    assert TemporaryPassword.objects.filter(user=practice).exists()
    assert not UserSession.objects.filter(user=practice).exists()
    (message,) = mail.outbox
    assert message.to == [practice.email]
    assert "system operator" in message.body and NEW_PASSWORD not in message.body


def test_createsuperuser_at_the_server_is_audited_with_a_temporary_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", NEW_PASSWORD)
    call_command("createsuperuser", interactive=False, username="root2", email="root2@example.org")
    root = user("root2")
    assert root.is_superuser and root.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="account_created", object_id=root.pk)
    assert event.username == "operator" and event.after["username"] == "root2"
    assert TemporaryPassword.objects.filter(user=root).exists()
