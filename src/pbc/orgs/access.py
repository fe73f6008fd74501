"""The one function that decides what a user may do: `has_permission(user, permission, obj)`.

A user holds memberships; each names a role and one organisation. A permission is granted for
an object when some membership's role lists the permission and the membership's organisation
contains the object:

- a PCT contains itself, its localities and their practices, and every provider (its analysts
  commission from all of them);
- a locality contains itself and its practices;
- a practice contains itself;
- a provider contains itself.

Objects of later apps (a plan, a finding, a budget) say which organisation they belong to by a
`scope_organisation()` method; `obj=None` asks whether the user holds the permission anywhere.
An object that belongs to no organisation (its `scope_organisation()` is None) is refused to
everyone: no membership contains it.
Django's superuser flag grants nothing here: it is for the admin site only.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q

from pbc.orgs.models import Locality, Membership, Pct, Practice, Provider
from pbc.orgs.roles import Permission, Role

Organisation = Pct | Locality | Practice | Provider


def organisation_of(obj: Any) -> Organisation | None:
    if obj is None or isinstance(obj, Pct | Locality | Practice | Provider):
        return obj
    scope = getattr(obj, "scope_organisation", None)
    if scope is None:
        raise TypeError(f"{type(obj).__name__} does not say which organisation it belongs to")
    result: Organisation = scope()
    return result


def contains(container: Organisation, obj: Organisation) -> bool:
    """True when `obj` lies within the organisation `container`."""
    if isinstance(container, Pct):
        if isinstance(obj, Pct):
            return obj.pk == container.pk
        if isinstance(obj, Locality):
            return obj.pct_id == container.pk
        if isinstance(obj, Practice):
            return obj.locality.pct_id == container.pk
        return isinstance(obj, Provider)
    if isinstance(container, Locality):
        if isinstance(obj, Locality):
            return obj.pk == container.pk
        if isinstance(obj, Practice):
            return obj.locality_id == container.pk
        return False
    return type(obj) is type(container) and obj.pk == container.pk


def memberships(user: Any) -> list[Membership]:
    """The user's memberships, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cached: list[Membership] | None = getattr(user, "_pbc_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user).select_related(
                "pct", "locality__pct", "practice__locality__pct", "provider"
            )
        )
        user._pbc_memberships = cached
    return cached


def has_permission(user: Any, permission: Permission, obj: Any = None) -> bool:
    """May `user` exercise `permission` on `obj` (or anywhere, when obj is None)?"""
    target = organisation_of(obj)
    if obj is not None and target is None:
        return False
    for membership in memberships(user):
        if permission not in Role(membership.role).permissions:
            continue
        if target is None or contains(membership.organisation, target):
            return True
    return False


def roles_of(user: Any) -> list[Role]:
    return [Role(m.role) for m in memberships(user)]


def visible_practices(
    user: Any, permission: Permission = Permission.VIEW_PRACTICE
) -> list[Practice]:
    """Every practice the user may see with `permission`: the scope for list queries.

    One query for the practices `contains` puts within the user's memberships that carry the
    permission (a national practice list has about 6,500 practices: testing each in Python took
    a page's worth of processor time)."""
    within: list[Q] = []
    for membership in memberships(user):
        if permission not in Role(membership.role).permissions:
            continue
        org = membership.organisation
        if isinstance(org, Pct):
            within.append(Q(locality__pct_id=org.pk))
        elif isinstance(org, Locality):
            within.append(Q(locality_id=org.pk))
        elif isinstance(org, Practice):
            within.append(Q(pk=org.pk))
    if not within:
        return []
    return list(Practice.objects.select_related("locality__pct").filter(reduce(or_, within)))
