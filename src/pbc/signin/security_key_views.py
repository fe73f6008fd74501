"""The pages and JSON endpoints of security keys (`pbc.signin.security_keys`): a user adds and
removes their own keys from "Security keys" on their account page, and uses one at the second
step of signing in. The browser side is `static/security_keys.js`."""

from __future__ import annotations

import json
from typing import Any

import django_otp
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pbc.orgs import audit
from pbc.signin import notifications, reauth, second_factor, security_keys
from pbc.signin.models import SecurityKey
from pbc.web.rules import signed_in

REFUSED = "Your security key was not accepted. Try again, or use your authenticator app."


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _may_manage(user: Any) -> bool:
    """Keys are for those who give a second factor, from a session that has given it."""
    return second_factor.needs_second_factor(user) and second_factor.is_verified(user)


@signed_in
@reauth.recent_password
def security_keys_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if request.method == "POST":
        key = SecurityKey.objects.filter(user=user, pk=request.POST.get("remove", "")).first()
        if key is None or not _may_manage(user):
            return redirect("security_keys")
        key.delete()
        audit.record(user, "security_key_removed", path=request.path, detail=key.name)
        notifications.notify(user, "security_key_removed", request)
        messages.success(request, f"The security key “{key.name}” has been removed.")
        return redirect("security_keys")
    return render(
        request,
        "signin/security_keys.jinja",
        {
            "title": "Security keys",
            "keys": security_keys.keys_of(user),
            "may_manage": _may_manage(user),
        },
    )


@signed_in
@require_POST
@reauth.recent_password_call
def register_begin(request: HttpRequest) -> HttpResponse:
    if not _may_manage(request.user):
        return JsonResponse({"error": "Your session cannot add a security key."}, status=403)
    return JsonResponse(security_keys.register_begin(request))


@signed_in
@require_POST
@reauth.recent_password_call
def register_finish(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not _may_manage(user):
        return JsonResponse({"error": "Your session cannot add a security key."}, status=403)
    body = _body(request)
    try:
        key = security_keys.register_finish(
            request, body.get("credential"), str(body.get("name", ""))
        )
    except security_keys.SecurityKeyRefused as refused:
        audit.record(user, "security_key_refused", path=request.path, detail=str(refused)[:500])
        return JsonResponse({"error": REFUSED}, status=400)
    audit.record(user, "security_key_added", path=request.path, detail=key.name)
    notifications.notify(user, "security_key_added", request)
    messages.success(request, f"The security key “{key.name}” has been added.")
    return JsonResponse({"redirect": reverse("security_keys")})


@signed_in
@require_POST
def verify_begin(request: HttpRequest) -> HttpResponse:
    try:
        return JsonResponse(security_keys.verify_begin(request))
    except security_keys.SecurityKeyRefused:
        return JsonResponse({"error": "Your account has no security key."}, status=400)


@signed_in
@require_POST
def verify_finish(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    body = _body(request)
    try:
        key = security_keys.verify_finish(request, body.get("credential"))
    except security_keys.SecurityKeyRefused as refused:
        audit.record(user, "second_factor_failed", path=request.path, detail=str(refused)[:500])
        return JsonResponse({"error": REFUSED}, status=400)
    django_otp.login(request, key)
    audit.record(user, "second_factor", path=request.path, detail=f"security key {key.name}")
    target = str(body.get("next", ""))
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    return JsonResponse({"redirect": target})
