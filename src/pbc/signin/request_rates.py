"""Abnormal numbers of requests are detected and alerted (ASVS 8.1.4).

Counted, each over a clock hour (UTC):

- every request a signed-in user makes (`PBC_ALERT_USER_REQUESTS_PER_HOUR`, 2,000 by default:
  a person reading pages makes a few hundred);
- every request from one client address (`PBC_ALERT_ADDRESS_REQUESTS_PER_HOUR`, 5,000);
- every request to the site (`PBC_ALERT_SITE_REQUESTS_PER_HOUR`, 50,000);
- patient-level views and downloads by one user (the "view_patient_rows" audit events) over the
  last 60 minutes (`PBC_ALERT_PATIENT_VIEWS_PER_HOUR`, 200): the count that matters most for a
  copy of patient data being taken.

When a count reaches its limit, once per hour and key, pbc writes an "abnormal_requests" audit
event (about the user, when there is one, so that their PCT's audit log shows it), logs a
warning, and e-mails the alert to `PBC_ALERT_EMAIL` (addresses separated by commas; when unset,
the site's active superusers' addresses). Nothing is refused: the lockout (django-axes) and the
upload limits already bound what a request can do; this tells a person.

The request counts are kept in each server process's memory (no write per request): with
`pbc serve`'s W worker processes each sees about 1/W of the requests, so an alert comes at up to
W times the limit. The patient-level count is read from the audit log, which every process
shares, so it is exact.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from pbc.orgs import audit
from pbc.orgs.models import AuditEvent
from pbc.signin.addresses import client_ip

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 3600


class HourlyCounter:
    """Counts per key in the current clock hour; earlier hours are forgotten (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def add(self, key: str, now: float) -> int:
        window = int(now // WINDOW_SECONDS)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def clear(self) -> None:
        with self._lock:
            self._window, self._counts = -1, {}


COUNTER = HourlyCounter()


def recipients() -> list[str]:
    configured = [a.strip() for a in settings.PBC_ALERT_EMAIL.split(",") if a.strip()]
    if configured:
        return configured
    admins = get_user_model().objects.filter(is_superuser=True, is_active=True).exclude(email="")
    return sorted(set(admins.values_list("email", flat=True)))


def alert(what: str, count: int, limit: int, user: Any = None, path: str = "") -> None:
    """Record and send one alert: `what` reached `count` (its limit `limit`) this hour."""
    detail = f"{what}: {count} in the hour (the alert limit is {limit})"
    audit.record(user, "abnormal_requests", path=path, detail=detail)
    logger.warning("abnormal number of requests: %s", detail)
    to = recipients()
    if not to:
        logger.error("no address to send the alert to: set PBC_ALERT_EMAIL")
        return
    when = timezone.localtime().strftime("%d %B %Y at %H:%M %Z").lstrip("0")
    body = (
        f"pbc saw an abnormal number of requests on {when}.\n\n{detail}.\n\n"
        "Look at the audit log for what was opened, and at the server's access log. If it was "
        "not expected, deactivate the account or block the address, and tell the information "
        "governance lead.\n"
    )
    try:
        send_mail("pbc: abnormal number of requests", body, None, to, fail_silently=False)
    except (OSError, smtplib.SMTPException):
        logger.exception("could not send the alert to %s", ", ".join(to))


class RequestRateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = time.time()
        user = request.user
        counted: list[tuple[str, str, int, Any]] = [
            ("site", "every request to the site", settings.PBC_ALERT_SITE_REQUESTS_PER_HOUR, None)
        ]
        address = client_ip(request)
        if address:
            limit = settings.PBC_ALERT_ADDRESS_REQUESTS_PER_HOUR
            counted.append((f"address:{address}", f"requests from {address}", limit, None))
        if user.is_authenticated:
            limit = settings.PBC_ALERT_USER_REQUESTS_PER_HOUR
            name = user.get_username()
            counted.append((f"user:{user.pk}", f"requests by {name}", limit, user))
        for key, what, limit, who in counted:
            if COUNTER.add(key, now) == limit:
                alert(what, limit, limit, who, request.path)
        return self.get_response(request)


@receiver(post_save, sender=AuditEvent, dispatch_uid="pbc.signin.request_rates.patient_rows")
def patient_rows_viewed(sender: Any, instance: AuditEvent, created: bool, **kwargs: Any) -> None:
    if not created or instance.action != "view_patient_rows" or instance.user_id is None:
        return
    limit = settings.PBC_ALERT_PATIENT_VIEWS_PER_HOUR
    since = timezone.now() - datetime.timedelta(seconds=WINDOW_SECONDS)
    count = AuditEvent.objects.filter(
        user_id=instance.user_id, action="view_patient_rows", at__gte=since
    ).count()
    if count == limit:
        alert(
            f"patient-level views by {instance.username}",
            count,
            limit,
            instance.user,
            instance.path,
        )
