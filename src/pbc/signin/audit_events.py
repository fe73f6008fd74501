"""Every sign-in, failed sign-in, lockout and sign-out goes into pbc's audit log; a sign-in from a
browser new to the account is notified to its user (`pbc.signin.browsers`).

Connected to Django's `user_logged_in`, `user_login_failed` and `user_logged_out` signals and
django-axes' `user_locked_out`. A failed sign-in or a lockout names the account that was tried
(`username`) and, when that account exists, links it (`user`), so that its PCT's audit log shows
attempts on its users' accounts; the client address is in `detail`.
"""

from __future__ import annotations

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from pbc.orgs import audit
from pbc.orgs.models import AuditEvent
from pbc.signin import active_sessions, browsers, notifications, reauth, temporary_passwords
from pbc.signin.addresses import client_ip
from pbc.signin.sessions import SIGNED_IN_AT


def client_address(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(getattr(request, "axes_ip_address", "") or client_ip(request))


def _path(request: HttpRequest | None) -> str:
    return request.path if request is not None else ""


def _about_account(action: str, username: str, request: HttpRequest | None, detail: str) -> None:
    """An event about an account nobody is signed in as (a failure, a lockout)."""
    account = get_user_model().objects.filter(username=username).first() if username else None
    AuditEvent.objects.create(
        user=account,
        username=username[:150],
        action=action,
        path=_path(request)[:500],
        detail=f"{detail} from {client_address(request) or 'an unknown address'}",
    )


@receiver(user_logged_in, dispatch_uid="pbc.signin.login")
def signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = time.time()
        reauth.mark(request)  # a sign-in gives the password: sensitive pages for a while
        request.session[temporary_passwords.SESSION_FLAG] = temporary_passwords.is_temporary(user)
        active_sessions.track(request, user)
    audit.record(user, "login", path=_path(request), detail=f"from {client_address(request)}")
    if request is not None and browsers.remember(request, user):
        notifications.notify(user, "new_browser", request)


@receiver(user_logged_out, dispatch_uid="pbc.signin.logout")
def signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(user, "logout", path=_path(request), detail=f"from {client_address(request)}")
    if request is not None and hasattr(request, "session"):
        active_sessions.forget(request.session.session_key)


@receiver(user_login_failed, dispatch_uid="pbc.signin.login_failed")
def sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", "") or "")
    locked = bool(getattr(request, "axes_locked_out", False))
    detail = "locked out" if locked else "wrong username or password"
    _about_account("login_failed", username, request, detail)


@receiver(user_locked_out, dispatch_uid="pbc.signin.lockout")
def locked_out(
    sender: Any, request: HttpRequest | None, username: str | None, ip_address: str, **kwargs: Any
) -> None:
    _about_account("lockout", username or "", request, "locked out after repeated failures")
