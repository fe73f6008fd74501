"""Session limits: an idle timeout, an absolute lifetime, and no session for a deactivated user.

The session keeps two timestamps (seconds since the epoch): when the user signed in
(`SIGNED_IN_AT`) and their last request (`LAST_ACTIVITY`, marked at most once a minute, so
that a page does not write the session each time: `needs_activity_mark`). A request that comes more than
`PBC_SESSION_IDLE_MINUTES` after the last one, or more than `PBC_SESSION_MAX_HOURS` after signing
in, ends the session (audited as "session_expired") and is sent to sign in again.

A deactivated user's session ends at their next request: Django already treats an inactive user
as signed out, and this middleware deletes the session that still names them.

Every response to a signed-in user is marked `Cache-Control: no-store` (unless the view set its
own caching, as the public plotly.min.js does).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from pbc.orgs import audit

SIGNED_IN_AT = "pbc_signed_in_at"
LAST_ACTIVITY = "pbc_last_activity"
ACTIVITY_MARK_SECONDS = 60


def expiry_reason(session: dict[str, object], now: float) -> str:
    """Why a signed-in session has ended at `now`, or "" while it lives (a pure function)."""
    last = session.get(LAST_ACTIVITY)
    started = session.get(SIGNED_IN_AT)
    idle_limit = settings.PBC_SESSION_IDLE_MINUTES * 60
    absolute_limit = settings.PBC_SESSION_MAX_HOURS * 3600
    if isinstance(started, int | float) and now - started > absolute_limit:
        return f"signed in more than {settings.PBC_SESSION_MAX_HOURS} hours ago"
    if isinstance(last, int | float) and now - last > idle_limit:
        return f"no activity for more than {settings.PBC_SESSION_IDLE_MINUTES} minutes"
    return ""


def needs_activity_mark(session: dict[str, object], now: float) -> bool:
    """Whether a request at `now` records itself as the session's last activity: when none is
    recorded, or the recorded one is `ACTIVITY_MARK_SECONDS` old. Marking every request would
    write the session to the database on every page (a write that all of the server's workers
    queue for); marking at most once a minute ends an idle session up to a minute early, never
    late (a pure function)."""
    last = session.get(LAST_ACTIVITY)
    return not isinstance(last, int | float) or now - last >= ACTIVITY_MARK_SECONDS


class SessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Imported here: pbc.signin.active_sessions reads this module's names.
        from pbc.signin import active_sessions

        user = request.user
        session = request.session
        if not user.is_authenticated:
            if SESSION_KEY in session:
                # The session names a user Django no longer accepts (deactivated, deleted, or
                # signed in before their password changed).
                active_sessions.forget(session.session_key)
                session.flush()
            return self.get_response(request)
        now = time.time()
        reason = expiry_reason(session, now)
        if reason:
            audit.record(user, "session_expired", path=request.path, detail=reason)
            active_sessions.forget(session.session_key)
            session.flush()  # not logout(): this is an expiry, not a sign-out
            request.user = AnonymousUser()
            messages.info(request, "Your session has ended. Please sign in again.")
            return redirect_to_login(request.get_full_path())
        session.setdefault(SIGNED_IN_AT, now)
        if needs_activity_mark(session, now):
            session[LAST_ACTIVITY] = now
        active_sessions.track(request, user)
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            # A signed-in user's pages and downloads may hold patient-level rows: no browser
            # cache or proxy keeps a copy (the back button after signing out shows nothing).
            add_never_cache_headers(response)
        return response
