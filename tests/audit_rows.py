"""Audit events dated in the past, for tests of what happens to old events. Events cannot be
changed once written (a database trigger, `orgs.0003_audit_events_append_only`), so an old one
is inserted with its date rather than made and then re-dated."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from pbc.orgs.models import AuditEvent


def event_at(at: datetime.datetime, action: str, detail: str, user: Any = None) -> AuditEvent:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO orgs_auditevent (at, user_id, username, action, object_type, object_id,"
            " path, detail) VALUES (%s, %s, %s, %s, '', '', '', %s)",
            [at, getattr(user, "pk", None), user.get_username() if user else "", action, detail],
        )
    return AuditEvent.objects.filter(action=action, detail=detail).latest("pk")


def event_days_ago(days: float, action: str, detail: str, user: Any = None) -> AuditEvent:
    return event_at(timezone.now() - datetime.timedelta(days=days), action, detail, user)
