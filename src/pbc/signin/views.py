"""The sign-in pages of pbc.signin: the second factor (verify, enrol), the lockout answer, and the
user's own account (changing their password)."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from pbc.orgs import audit
from pbc.signin import (
    active_sessions,
    notifications,
    reauth,
    second_factor,
    security_keys,
    temporary_passwords,
)
from pbc.signin.passwords import ChangePasswordForm
from pbc.web.rules import signed_in

ENROL_KEY = "pbc_enrol_key"  # the proposed authenticator key, kept in the session until confirmed


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@signed_in
def verify(request: HttpRequest) -> HttpResponse:
    """Ask for a code from the authenticator app, or a recovery code."""
    user = request.user
    context: dict[str, Any] = {
        "title": "Enter your security code",
        "next": _next(request),
        "enrolled": second_factor.is_enrolled(user),
        "verified": second_factor.is_verified(user),
        "security_key": bool(security_keys.keys_of(user)),
        "error": "",
    }
    if request.method == "POST" and context["enrolled"]:
        device = second_factor.verify(request, request.POST.get("code", ""))
        if device is not None:
            audit.record(user, "second_factor", path=request.path, detail=device.name)
            return redirect(context["next"])
        if second_factor.is_replayed(user, request.POST.get("code", "")):
            audit.record(user, "second_factor_replayed", path=request.path)
            notifications.notify(user, "code_replayed", request)
        else:
            audit.record(user, "second_factor_failed", path=request.path)
        context["error"] = (
            "The code is not right, or was used already. Enter the code your authenticator app "
            "shows now, or one of your recovery codes."
        )
    return render(request, "signin/verify.jinja", context, status=200)


def _otpauth_url(user: Any, key_hex: str) -> str:
    return str(TOTPDevice(user=user, name=second_factor.AUTHENTICATOR, key=key_hex).config_url)


@signed_in
@reauth.recent_password
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: a QR code (and its key), then one code to confirm it.

    Replacing an existing authenticator needs a session that has already given a second factor,
    so that a stolen password alone cannot change it.
    """
    user = request.user
    enrolled = second_factor.is_enrolled(user)
    if enrolled and not second_factor.is_verified(user):
        return redirect(f"{reverse('verify')}?{urlencode({'next': _next(request)})}")
    key_hex = request.session.get(ENROL_KEY) or random_hex(20)
    request.session[ENROL_KEY] = key_hex
    url = _otpauth_url(user, key_hex)
    context: dict[str, Any] = {
        "title": "Set up your authenticator app",
        "next": _next(request),
        "enrolled": enrolled,
        "qr_svg": segno.make(url, error="m").svg_inline(scale=4, title="QR code for pbc"),
        "secret": b32encode(bytes.fromhex(key_hex)).decode().rstrip("="),
        "error": "",
    }
    if request.method == "POST":
        totp = TOTP(bytes.fromhex(key_hex), step=30, t0=0, digits=6, drift=0)
        code = "".join(request.POST.get("code", "").split())
        if code.isdigit() and totp.verify(int(code), tolerance=1):
            device, codes = second_factor.enrol(user, key_hex)
            del request.session[ENROL_KEY]
            django_otp.login(request, device)
            audit.record(user, "second_factor_enrolled", path=request.path)
            notifications.notify(user, "second_factor_enrolled", request)
            return render(
                request,
                "signin/recovery_codes.jinja",
                {
                    "title": "Your recovery codes",
                    "codes": codes,
                    "next": context["next"],
                    "enrolled_now": True,
                },
            )
        context["error"] = "The code is not right. Enter the six digits your app shows now."
    return render(request, "signin/enrol.jinja", context)


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer to a locked-out account or address (AXES_LOCKOUT_CALLABLE): 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "signin/locked_out.jinja",
        {"title": "Too many failed sign-in attempts", "minutes": minutes},
        status=429,
    )


@signed_in
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own account: their password and sessions."""
    return render(request, "signin/account.jinja", {"title": "Your account"})


@signed_in
@reauth.recent_password
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Replace one's recovery codes with ten new ones, shown once (the old ones stop working).

    Needs an authenticator and a session that has given the second factor."""
    user = request.user
    enrolled = second_factor.is_enrolled(user)
    if request.method == "POST" and enrolled:
        if not second_factor.is_verified(user):
            return redirect(f"{reverse('verify')}?{urlencode({'next': request.path})}")
        codes = second_factor.new_recovery_codes(user)
        audit.record(user, "recovery_codes_replaced", path=request.path)
        notifications.notify(user, "recovery_codes_replaced", request)
        return render(
            request,
            "signin/recovery_codes.jinja",
            {"title": "Your new recovery codes", "codes": codes, "next": reverse("account")},
        )
    return render(
        request,
        "signin/new_recovery_codes.jinja",
        {"title": "Make new recovery codes", "enrolled": enrolled},
    )


@signed_in
def change_password(request: HttpRequest) -> HttpResponse:
    """Change one's own password with the current one (ASVS 2.1.5, 2.1.6).

    On success this session stays signed in (Django's `update_session_auth_hash`, which gives it
    a new key) and every other session of the user is deleted at once (ASVS 3.3.3). A session
    pbc has no row for would end at its next request all the same: it holds a hash of the old
    password, which no longer matches.
    """
    form = ChangePasswordForm(request, data=request.POST if request.method == "POST" else None)
    temporary = temporary_passwords.is_temporary(request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        temporary_passwords.clear(user)
        request.session[temporary_passwords.SESSION_FLAG] = False
        update_session_auth_hash(request, user)
        active_sessions.track(request, user)
        ended = active_sessions.end_sessions(user, keep=request.session.session_key)
        audit.record(
            user, "password_changed", path=request.path, detail=f"{ended} other session(s) ended"
        )
        notifications.notify(user, "password_changed", request)
        messages.success(
            request, "Your password has been changed. Any other session you had has ended."
        )
        return redirect(_next(request) if temporary else "account")
    return render(
        request,
        "signin/change_password.jinja",
        {
            "title": "Choose your own password" if temporary else "Change your password",
            "form": form,
            "temporary": temporary,
            "next": _next(request),
        },
        status=200,
    )


@signed_in
def sessions(request: HttpRequest) -> HttpResponse:
    """The user's own active sessions (ASVS 3.3.4): when each signed in and was last used, from
    where, which is this one; a button ends one other session, another ends all the others."""
    user = request.user
    current = request.session.session_key
    if request.method == "POST":
        which = request.POST.get("end", "")
        only = int(which) if which.isdigit() else None
        if only is None and which != "others":
            return redirect("sessions")
        ended = active_sessions.end_sessions(user, keep=current, only=only)
        audit.record(user, "sessions_ended", path=request.path, detail=f"{ended} ended")
        messages.success(
            request,
            "That session has ended." if only is not None else "Your other sessions have ended.",
        )
        return redirect("sessions")
    return render(
        request,
        "signin/sessions.jinja",
        {"title": "Your sessions", "sessions": active_sessions.active_sessions(user, current)},
    )


@signed_in
def confirm_password(request: HttpRequest) -> HttpResponse:
    """Give the password again before a sensitive page (`pbc.signin.reauth`, ASVS 3.7.1): checked
    as a sign-in is (django-axes counts a wrong one; audited as a failed sign-in), audited
    "password_confirmed" when right."""
    user = request.user
    error = ""
    if request.method == "POST":
        given = authenticate(
            request, username=user.get_username(), password=request.POST.get("password", "")
        )
        if given is not None and given.pk == user.pk:
            reauth.mark(request)
            audit.record(user, "password_confirmed", path=request.path)
            return redirect(_next(request))
        error = "Your password is not right. Enter it again."
    return render(
        request,
        "signin/confirm_password.jinja",
        {"title": "Confirm your password", "next": _next(request), "error": error},
        status=200,
    )
