"""Re-authentication before sensitive actions (ASVS 3.7.1, 4.3.3).

A session may change who may do what, or the account's own authenticators, only while its
password was given recently: within `PBC_REAUTH_MINUTES` (15 by default) of the sign-in or of
the last "Confirm your password" (`pbc.signin.views.confirm_password`). Past that, the pages in
`SENSITIVE` (a PCT's users and roles, every page of the Django admin, recovery codes, security
keys, setting up an authenticator: `recent_password` on the view, inside its access rule; the
admin by `RecentPasswordMiddleware`) first ask for the password again, as a sign-in does
(django-axes counts a wrong one towards the lockout; each is audited), then go back to the page.
A form posted too late is not applied: the user confirms and sends it again. The security-key
calls made by the page's script answer 403 instead of a redirect.

So a session left signed in (or taken over) cannot give roles, make an administrator, or
replace the second factor without the account's password.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.utils.http import urlencode

PASSWORD_GIVEN_AT = "pbc_password_given_at"
View = Callable[..., HttpResponse]

ADMIN_EXEMPT = frozenset({"login", "logout"})  # the admin's own sign-in and sign-out


def mark(request: HttpRequest) -> None:
    """The password was given now (a sign-in, or the confirmation page)."""
    request.session[PASSWORD_GIVEN_AT] = time.time()


def is_recent(request: HttpRequest) -> bool:
    given = request.session.get(PASSWORD_GIVEN_AT)
    return given is not None and time.time() - float(given) < settings.PBC_REAUTH_MINUTES * 60


def _ask(request: HttpRequest) -> HttpResponse:
    # A POST is not carried over: the user sends the form again after confirming.
    target = resolve_url("confirm_password")
    return HttpResponseRedirect(f"{target}?{urlencode({'next': request.path})}")


def recent_password(view: View) -> View:
    """A sensitive page: the password must have been given recently. Put it inside the view's
    access rule (`@requires`, `@signed_in`), so that a user refused the page is refused first."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, *args, **kwargs) if is_recent(request) else _ask(request)

    return wrapped


def recent_password_call(view: View) -> View:
    """As `recent_password`, for a call a page's script makes: 403 with a JSON message."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if is_recent(request):
            return view(request, *args, **kwargs)
        return JsonResponse({"error": "Confirm your password again, then add the key."}, status=403)

    return wrapped


class RecentPasswordMiddleware:
    """Every page of the Django admin, for its staff users, is a sensitive page."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if (
            match is None
            or "admin" not in match.namespaces
            or match.url_name in ADMIN_EXEMPT
            or not (request.user.is_authenticated and request.user.is_staff)
            or is_recent(request)
        ):
            return None
        return _ask(request)
