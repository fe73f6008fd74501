"""Audit events cannot be changed (ASVS 7.3.3). Before, the admin and the audit page were
read-only but any code of the application (or anything running SQL as it) could rewrite an
event: who did what, when. Now a database trigger refuses every change to an event's columns,
on SQLite and PostgreSQL; events are still added, deleted past their retention period, and
lose only their user link when the account is deleted."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.utils import timezone

from pbc import retention
from pbc.orgs import audit
from pbc.orgs.models import AuditEvent

pytestmark = pytest.mark.django_db


def refused(change: object) -> None:
    with pytest.raises(DatabaseError, match="audit events cannot be changed"):  # noqa: SIM117
        with transaction.atomic():
            change()  # type: ignore[operator]


def test_an_event_cannot_be_changed_once_written() -> None:
    board = get_user_model().objects.get(username="board")
    event = audit.record(board, "view_patient_rows", detail="saw E82001's rows")
    events = AuditEvent.objects.filter(pk=event.pk)
    refused(lambda: events.update(detail="saw nothing"))
    refused(lambda: events.update(at=timezone.now() - timezone.timedelta(days=3000)))
    refused(lambda: events.update(username="someone else"))
    refused(lambda: events.update(action="view"))
    event.detail = "saw nothing"
    refused(event.save)
    assert AuditEvent.objects.get(pk=event.pk).detail == "saw E82001's rows"


def test_events_are_still_added_deleted_past_retention_and_outlive_their_user() -> None:
    user = get_user_model().objects.create_user("leaver", password="a long passphrase 1")
    event = audit.record(user, "login", detail="from 203.0.113.9")
    user.delete()  # the event keeps who it was: the username stays, the link goes
    kept = AuditEvent.objects.get(pk=event.pk)
    assert (kept.user_id, kept.username, kept.detail) == (None, "leaver", "from 203.0.113.9")
    import audit_rows

    old = audit_rows.event_days_ago(3000, "view_patient_rows", "old enough to go")
    retention.apply()
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
