"""The navigation bar: each item says which permission it needs, so a role sees only what it may use.

Later apps add their items with `add(...)`; items appear in the order added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from pbc.orgs.access import has_permission, memberships
from pbc.orgs.roles import Permission


@dataclass(frozen=True)
class NavItem:
    label: str
    # Builds the link for a user, or None when the item does not apply to them.
    href: Callable[[Any], str | None]
    permission: Permission | None = None
    last: bool = False  # kept at the end whatever is added later (imports, audit log, admin)


ITEMS: list[NavItem] = []


def add(item: NavItem) -> None:
    """Add an item after the others, but before those marked `last`; adding twice is a no-op."""
    if any(existing.label == item.label for existing in ITEMS):
        return
    if item.last:
        ITEMS.append(item)
        return
    position = next((i for i, existing in enumerate(ITEMS) if existing.last), len(ITEMS))
    ITEMS.insert(position, item)


def items_for(user: Any, path: str = "") -> list[dict[str, Any]]:
    """The NHS.UK header's navigation items for this user; the one for `path` marked active."""
    if not user.is_authenticated:
        return []
    result = []
    for item in ITEMS:
        if item.permission is not None and not has_permission(user, item.permission):
            continue
        href = item.href(user)
        if href:
            active = path == href if href == "/" else path.startswith(href)
            result.append({"text": item.label, "href": href, "active": active})
    return result


def _first(user: Any, attr: str) -> Any:
    for m in memberships(user):
        org = getattr(m, attr)
        if org is not None:
            return org
    return None


def _pct_of(user: Any) -> Any:
    return _first(user, "pct")


def _locality_of(user: Any) -> Any:
    return _first(user, "locality")


add(NavItem("Home", lambda user: reverse("home")))
add(
    NavItem(
        "PCT",
        lambda user: reverse("pct", args=[p.slug]) if (p := _pct_of(user)) else None,
        Permission.VIEW_PCT,
    )
)
add(
    NavItem(
        "Locality",
        lambda user: reverse("locality", args=[loc.slug]) if (loc := _locality_of(user)) else None,
        Permission.VIEW_LOCALITY,
    )
)
add(
    NavItem(
        "Practice",
        lambda user: (
            reverse("practice", args=[p.code]) if (p := _first(user, "practice")) else None
        ),
        Permission.VIEW_PRACTICE,
    )
)
add(
    NavItem(
        "Provider",
        lambda user: (
            reverse("provider", args=[p.code]) if (p := _first(user, "provider")) else None
        ),
        Permission.VIEW_PROVIDER,
    )
)
add(NavItem("Imports", lambda user: reverse("imports"), Permission.IMPORT_DATA, last=True))
add(NavItem("Audit log", lambda user: reverse("audit_log"), Permission.VIEW_AUDIT_LOG, last=True))
add(NavItem("Admin", lambda user: reverse("admin:index") if user.is_staff else None, last=True))
