"""The sign-in pages of pbc.signin: the lockout answer (more come with the second factor)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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
