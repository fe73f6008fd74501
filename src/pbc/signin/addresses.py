"""The client's address, for lockout by address (django-axes) and for the audit log.

Without a proxy it is the connection's own address (`REMOTE_ADDR`). Behind the reverse proxy of
production mode (`PBC_TRUST_PROXY=1`) every connection comes from the proxy, so that address
would lock everyone out at once: the client's is then the last entry of `X-Forwarded-For`, the
one the proxy itself appended (entries before it are whatever the client sent, and could be
forged).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    if settings.PBC_TRUST_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return str(request.META.get("REMOTE_ADDR", ""))
