"""Which browsers a user has signed in from, to notify a sign-in from a new one (ASVS 2.2.3).

A browser is named by a random token (256 bits) in a long-lived cookie, `pbc_browser`
(`__Host-pbc_browser` in production: secure, this host only), set at its first sign-in and kept
for `BROWSER_COOKIE_DAYS`; the database keeps only the token's SHA-256 digest, per user
(`KnownBrowser`). A sign-in from a browser without the cookie, or whose token this user has not
signed in with before, is "new": the browser is remembered and the user gets an e-mail
(`pbc.signin.notifications`). One browser used by two people has one token and a row for each.
Clearing cookies, or a private window, makes a browser new again: a notice too many is the safe
side.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from pbc.signin.models import KnownBrowser

BROWSER_COOKIE_DAYS = 400  # the longest lifetime browsers allow a cookie
NEW_TOKEN = "pbc_new_browser_token"  # request attribute: a token to set as the cookie


def cookie_name() -> str:
    return "__Host-pbc_browser" if settings.PRODUCTION else "pbc_browser"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def remember(request: HttpRequest, user: Any) -> bool:
    """Record that `user` signed in from this request's browser; return whether the browser is
    new to them. A browser with no cookie is given a token (set on the response by
    `BrowserCookieMiddleware`)."""
    token = request.COOKIES.get(cookie_name(), "")
    if len(token) < 32:
        token = secrets.token_urlsafe(32)
        setattr(request, NEW_TOKEN, token)
    now = timezone.now()
    _, created = KnownBrowser.objects.update_or_create(
        user=user,
        digest=digest(token),
        defaults={"last_seen": now},
        create_defaults={"first_seen": now, "last_seen": now},
    )
    return created


class BrowserCookieMiddleware:
    """Sets the browser's cookie on the response to the sign-in that gave it a token."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        token = getattr(request, NEW_TOKEN, None)
        if token:
            response.set_cookie(
                cookie_name(),
                token,
                max_age=BROWSER_COOKIE_DAYS * 24 * 3600,
                secure=settings.PRODUCTION,
                httponly=True,
                samesite="Lax",
            )
        return response
