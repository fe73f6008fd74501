"""Temporary passwords (ASVS 2.3.1): a password an administrator sets for someone else, or that
pbc generates for them, is a temporary one. It must be changed at the next sign-in and expires
`PBC_TEMPORARY_PASSWORD_HOURS` (72 by default) after it was set:

- `TemporaryPasswordForm.confirm_login_allowed` refuses an expired one at the sign-in form
  (audited "login_refused"; the user asks their administrator for a new one);
- `ChangeTemporaryPasswordMiddleware` sends a user signed in with one to the change-password
  page before any other page (after the second factor), so it never becomes their long-term
  password. Whether the session's password is temporary is noted in the session at sign-in
  (`SESSION_FLAG`; no query per request): a password is only made temporary together with
  ending every session of its user (`pbc.signin.staff_changes`), or for a new account;
- the user's own password change (`pbc.signin.views.change_password`) ends it.

A password found at sign-in on Django's list of 20,000 common passwords (ASVS 2.1.7: one set
before the list was checked, or by a command that did not check it) is made temporary the same
way: the user signs in, is told why, and must choose another before any other page (audited
"common_password_at_sign_in").

`generate()` makes one from 80 random bits (`secrets`), in groups that are easy to read out.
"""

from __future__ import annotations

import datetime
import functools
import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import urlencode

from pbc.orgs import audit
from pbc.signin.models import TemporaryPassword

# No 0/o, 1/l/i: read out over the telephone or copied from paper without mistakes.
SESSION_FLAG = "pbc_temporary_password"  # set at sign-in (pbc.signin.audit_events)
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GROUPS, GROUP_LENGTH = 4, 4  # 16 characters from 31: 79 bits


def generate() -> str:
    return "-".join(
        "".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS)
    )


def mark(user: Any, administrator: Any, now: datetime.datetime | None = None) -> TemporaryPassword:
    """Record that `user`'s password (just set) is temporary, set by `administrator`."""
    now = now or timezone.now()
    hours = settings.PBC_TEMPORARY_PASSWORD_HOURS
    row, _ = TemporaryPassword.objects.update_or_create(
        user=user,
        defaults={
            "set_at": now,
            "expires_at": now + datetime.timedelta(hours=hours),
            "set_by": administrator.get_username() if administrator is not None else "",
        },
    )
    return row


def temporary_password_of(user: Any) -> TemporaryPassword | None:
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    row: TemporaryPassword | None = TemporaryPassword.objects.filter(user=user).first()
    return row


def is_temporary(user: Any) -> bool:
    return temporary_password_of(user) is not None


def has_expired(row: TemporaryPassword, now: datetime.datetime | None = None) -> bool:
    return (now or timezone.now()) >= row.expires_at


def clear(user: Any) -> None:
    """The user has chosen their own password."""
    TemporaryPassword.objects.filter(user=user).delete()


class TemporaryPasswordForm(AuthenticationForm):
    """The sign-in form: Django's, refusing an expired temporary password (the password was
    right, so the user is told why)."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        row = temporary_password_of(user)
        if row is not None and has_expired(row):
            audit.record(
                user,
                "login_refused",
                path=self.request.path if self.request is not None else "",
                detail=f"temporary password expired at {row.expires_at:%Y-%m-%d %H:%M} UTC",
            )
            raise ValidationError(
                "Your temporary password has expired. Ask your pbc administrator for a new one.",
                code="temporary_password_expired",
            )
        if row is None and is_common(self.cleaned_data.get("password") or ""):
            mark(user, None)
            audit.record(
                user,
                "common_password_at_sign_in",
                path=self.request.path if self.request is not None else "",
                detail="the password is on the list of common passwords: it must be changed now",
            )
            if self.request is not None:
                messages.warning(
                    self.request,
                    "Your password is on a list of common passwords that attackers try first. "
                    "Choose a new one now.",
                )


@functools.cache
def _common_passwords() -> CommonPasswordValidator:
    return CommonPasswordValidator()  # reads Django's list once


def is_common(password: str) -> bool:
    """Whether `password` is on Django's list of common passwords (no network lookup)."""
    try:
        _common_passwords().validate(password)
    except ValidationError:
        return True
    return False


class ChangeTemporaryPasswordMiddleware:
    """A user signed in with a temporary password changes it before any other page."""

    EXEMPT = (
        "change_password",
        "logout",
        "verify",
        "enrol",
        "confirm_password",  # the password again (pbc.signin.reauth), asked by enrol
        "security_key_verify_begin",
        "security_key_verify_finish",
    )

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        if request.user.is_authenticated and request.session.get(SESSION_FLAG):
            exempt = {resolve_url(name) for name in self.EXEMPT}
            if request.path not in exempt:
                target = resolve_url("change_password")
                return HttpResponseRedirect(
                    f"{target}?{urlencode({'next': request.get_full_path()})}"
                )
        return self.get_response(request)
