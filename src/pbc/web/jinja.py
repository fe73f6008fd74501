"""The Jinja2 environment for pbc's pages (NHS.UK frontend components)."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.backends.utils import csrf_input
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from jinja2 import ChainableUndefined, Environment

from pbc.orgs.access import has_permission, roles_of
from pbc.orgs.roles import Permission
from pbc.warehouse import titles
from pbc.web import components, disclosure, navigation, stylesheet


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


# A negative amount's sign: the minus sign (U+2212, read "minus") joined to the amount by a
# word joiner (U+2060), so that a line never breaks between them (a hyphen-minus, or the minus
# sign alone, lets the browser wrap the amount away from its sign).
MINUS = "\u2212\u2060"


def money(value: Decimal | int | float | None, pence: bool = False) -> str:
    """£1,234 (or £1,234.56 with pence); negative amounts as −£1,234 with a sign that never
    wraps away from its amount (`MINUS`). The one way pbc writes money as text."""
    if value is None:
        return ""
    amount = Decimal(value)
    text = f"£{abs(amount):,.2f}" if pence else f"£{abs(amount):,.0f}"
    return f"{MINUS}{text}" if amount < 0 else text


def number(value: int | float | Decimal | None, places: int = 0) -> str:
    if value is None:
        return ""
    return f"{value:,.{places}f}"


def nice_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%-d %B %Y")


def local_time(value: datetime | None) -> str:
    """A moment in the site's time zone (TIME_ZONE), to the minute."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%-d %B %Y %H:%M")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def json_dumps(value: Any, **kwargs: Any) -> str:
    """`tojson` for data read by `JSON.parse` (charts): NaN and infinities, which JSON has no
    words for (an SPC chart of a constant series has NaN limits), become null."""
    return json.dumps(_finite(value), allow_nan=False, **kwargs)


class Once:
    """A page's value worked out the first time the page shows it, then the same each time.

    `str()` and Jinja's escaping (`__html__`) both give the value; `make` runs at most once."""

    def __init__(self, make: Any) -> None:
        self._make = make
        self._value: str | None = None

    def __str__(self) -> str:
        if self._value is None:
            self._value = str(self._make())
        return self._value

    def __html__(self) -> str:
        return str(self)


def csrf_once(request: HttpRequest) -> dict[str, Once]:
    """`csrf_input` and `csrf_token` for a page, masked once per page (a context processor).

    Django's own are masked anew each time a template shows them: a findings page with 50
    forms drew 50 masks, 3,200 characters from the operating system's random source, about a
    quarter of the page's processor time. One masked token serves every form of a response
    (the mask defeats BREACH across responses, not within one); a page without a form still
    draws none and sets no CSRF cookie."""
    return {
        "csrf_input": Once(lambda: csrf_input(request)),
        "csrf_token": Once(lambda: get_token(request)),
    }


def environment(**options: Any) -> Environment:
    # The NHS.UK components read optional parameters as params.a.b: undefined must chain.
    options["undefined"] = ChainableUndefined
    env = Environment(**options)
    env.globals.update(
        {
            "url": url,
            "static": static,
            "has_permission": has_permission,
            "Permission": Permission,
            "navigation_for": navigation.items_for,
            "roles_of": roles_of,
            "get_messages": messages.get_messages,
            "nhsuk_version": settings.NHSUK_FRONTEND_VERSION,
            "frontend_stylesheet_url": stylesheet.stylesheet_url,
            "service_name": "Practice Based Commissioning",
            "disclosure": disclosure,
            "component": components.renderer(env),
        }
    )
    env.filters.update(
        {
            "money": money,
            "number": number,
            "nice_date": nice_date,
            "local_time": local_time,
            "dataset_title": titles.label_of,
        }
    )
    env.policies["json.dumps_function"] = json_dumps
    return env
