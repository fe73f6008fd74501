"""A user's active sessions: listed to them, and ended by them (ASVS 3.3.4) or by a password
change (ASVS 3.3.3).

Each signed-in session is named by a `UserSession` row (user, session key, when signed in, the
client's address and browser), written at sign-in (`pbc.signin.audit_events`) and by
`SessionLimitsMiddleware` whenever the key of a signed-in session has changed (a password change
cycles it) or the session has no row yet (one signed in before pbc kept them). The
session's data, in Django's session store, stays the truth: a session is listed only while the
store still holds it for this user and `pbc.signin.sessions.expiry_reason` says it lives; rows of
sessions that have ended are deleted when the list is read.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

from pbc.signin.addresses import client_ip
from pbc.signin.models import UserSession
from pbc.signin.sessions import LAST_ACTIVITY, SIGNED_IN_AT, expiry_reason

TRACKED_AS = "pbc_tracked_as"  # the session key its UserSession row names


def _store(session_key: str | None = None) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore(session_key=session_key)
    return store


def _when(seconds: Any, default: float) -> datetime.datetime:
    value = seconds if isinstance(seconds, int | float) else default
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)


def track(request: HttpRequest, user: Any) -> None:
    """Make sure `user`'s session has its row (called at sign-in and on every signed-in
    request; writes only when the session is new or its key has changed)."""
    session = request.session
    key = session.session_key
    if key is None or session.get(TRACKED_AS) == key:
        return
    previous = session.get(TRACKED_AS)
    if previous:
        UserSession.objects.filter(session_key=previous).delete()
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "signed_in_at": _when(session.get(SIGNED_IN_AT), time.time()),
            "address": client_ip(request)[:45],
            "browser": request.META.get("HTTP_USER_AGENT", "")[:200],
        },
    )
    session[TRACKED_AS] = key


def forget(session_key: str | None) -> None:
    """The session has ended (signed out, expired): its row goes."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


@dataclass(frozen=True)
class ActiveSession:
    id: int
    signed_in_at: datetime.datetime
    last_seen: datetime.datetime
    address: str
    browser: str
    current: bool


def active_sessions(user: Any, current_key: str | None) -> list[ActiveSession]:
    """The user's sessions that live now, most recently used first; rows of ended ones are
    deleted."""
    now = time.time()
    found = []
    for row in UserSession.objects.filter(user=user):
        data = _store(row.session_key).load()
        if data.get(SESSION_KEY) != str(user.pk) or expiry_reason(data, now):
            row.delete()
            continue
        current = row.session_key == current_key
        found.append(
            ActiveSession(
                id=row.pk,
                signed_in_at=row.signed_in_at,
                # this request's activity is not saved yet: this session is seen now
                last_seen=_when(
                    now if current else data.get(LAST_ACTIVITY), row.signed_in_at.timestamp()
                ),
                address=row.address,
                browser=row.browser,
                current=current,
            )
        )
    return sorted(found, key=lambda s: (not s.current, -s.last_seen.timestamp()))


def end_sessions(user: Any, keep: str | None, only: int | None = None) -> int:
    """End the user's sessions other than `keep` (all of them, or the one row `only`): each is
    deleted from the session store at once. Returns how many were ended."""
    rows = UserSession.objects.filter(user=user).exclude(session_key=keep or "")
    if only is not None:
        rows = rows.filter(pk=only)
    ended = 0
    for row in rows:
        store = _store(row.session_key)
        if store.exists(row.session_key):
            store.delete(row.session_key)
            ended += 1
        row.delete()
    return ended
