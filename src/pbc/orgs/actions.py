"""Business actions on organisations and memberships: one function per action, atomic, audited.

Memberships (who holds which role where) change only through `grant_membership` and
`revoke_membership`; the Django admin shows them read-only. The rules:

- the actor must hold `manage_users` for the organisation the membership names, and that
  organisation must lie inside the actor's own PCT (the PCT, its localities, its practices):
  a PCT administrator manages its own PCT's users. Provider memberships are not a PCT's to
  give (a provider's user sees every commissioner's challenges to it): only the system
  operator (no user, e.g. `pbc demo`) grants them;
- nobody changes their own memberships (a PCT administrator never grants itself a role);
- the user must be the actor's PCT's: every membership it already holds lies in that PCT;
- no user with a membership is a superuser or staff (the admin site is for an account with
  no membership), so a superuser is never given a membership.

Each raises `ActionRefused` (nothing written) when a rule is broken, and writes one audit event
("grant_role" / "revoke_role") with the membership before or after when it succeeds; when a
person (not the system operator) made the change, the user is told by e-mail
(`pbc.signin.staff_changes.role_changed`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from pbc.orgs import audit
from pbc.orgs.access import Organisation, has_permission, memberships
from pbc.orgs.models import Locality, Membership, Pct, Practice, Provider
from pbc.orgs.roles import Permission, Role
from pbc.signin import staff_changes


class ActionRefused(Exception):
    """The action is not allowed; nothing was written."""


@transaction.atomic
def create_practice(user: Any, locality: Locality, code: str, name: str) -> Practice:
    """Add a GP practice to a locality. Validates the ODS code shape and uniqueness first."""
    practice = Practice(code=code, name=name, locality=locality)
    practice.full_clean()
    practice.save()
    audit.record(
        user, "create", practice, after={"code": code, "name": name, "locality": locality.slug}
    )
    return practice


# Which kind of organisation each role names (the database constraint says the same).
ROLE_ORGANISATION: dict[Role, type] = {
    Role.PCT_ANALYST: Pct,
    Role.LOCALITY_MANAGER: Locality,
    Role.BOARD_MEMBER: Locality,
    Role.PRACTICE_USER: Practice,
    Role.PROVIDER_USER: Provider,
}


def pct_of(organisation: Organisation) -> Pct | None:
    """The PCT an organisation lies in (None for a provider: it belongs to no PCT)."""
    if isinstance(organisation, Pct):
        return organisation
    if isinstance(organisation, Locality):
        return organisation.pct
    if isinstance(organisation, Practice):
        return organisation.locality.pct
    return None


def _describe(m: Membership) -> dict[str, str]:
    org = m.organisation
    return {
        "user": m.user.get_username(),
        "role": m.role,
        "organisation": f"{type(org).__name__} {getattr(org, 'code', None) or org.slug}",  # type: ignore[union-attr]
    }


def _check_manager(actor: Any, target: Any, organisation: Organisation) -> None:
    system = actor is None
    if not system and not getattr(actor, "is_authenticated", False):
        raise ActionRefused("Sign in to manage users.")
    if target.is_superuser or target.is_staff:
        raise ActionRefused(
            f"{target.get_username()} is an administrator of the site: an administrator holds "
            "no role in an organisation."
        )
    if system:
        return
    if target.pk == actor.pk:
        raise ActionRefused("You cannot change your own roles: ask another administrator.")
    pct = pct_of(organisation)
    if pct is None:
        raise ActionRefused("Provider users are added by the system operator, not by a PCT.")
    if not has_permission(actor, Permission.MANAGE_USERS, pct):
        raise ActionRefused(f"You do not manage the users of {pct.name}.")
    for held in memberships_of(target):
        if pct_of(held.organisation) != pct:
            raise ActionRefused(
                f"{target.get_username()} also holds a role outside {pct.name}: only the "
                "system operator can change that user's roles."
            )


def memberships_of(user: Any) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user).select_related(
            "pct", "locality__pct", "practice__locality__pct", "provider"
        )
    )


@transaction.atomic
def grant_membership(actor: Any, user: Any, role: Role, organisation: Organisation) -> Membership:
    """Give `user` the `role` in `organisation` (actor None: the system operator)."""
    role = Role(role)
    kind = ROLE_ORGANISATION[role]
    if not isinstance(organisation, kind):
        raise ActionRefused(f"A {role.label.lower()} belongs to a {kind.__name__.lower()}.")
    _check_manager(actor, user, organisation)
    field = kind.__name__.lower()
    membership, created = Membership.objects.get_or_create(
        user=user, role=role.value, **{field: organisation}
    )
    if created:
        audit.record(actor, "grant_role", membership, after=_describe(membership))
        if hasattr(user, "_pbc_memberships"):
            del user._pbc_memberships
        if actor is not None:
            staff_changes.role_changed(actor, user, True, role.label, str(organisation))
    return membership


@transaction.atomic
def revoke_membership(actor: Any, membership: Membership) -> None:
    """Take a role away (actor None: the system operator)."""
    membership = Membership.objects.select_related(
        "user", "pct", "locality__pct", "practice__locality__pct", "provider"
    ).get(pk=membership.pk)
    _check_manager(actor, membership.user, membership.organisation)
    before = _describe(membership)
    audit.record(actor, "revoke_role", membership, before=before)
    membership.delete()
    if actor is not None:
        staff_changes.role_changed(
            actor,
            membership.user,
            False,
            Role(membership.role).label,
            str(membership.organisation),
        )


def inside(pct: Pct) -> Q:
    """Memberships whose organisation lies inside `pct` (the PCT, its localities, practices)."""
    return Q(pct=pct) | Q(locality__pct=pct) | Q(practice__locality__pct=pct)


def users_of(pct: Pct) -> list[Any]:
    """Users holding a role inside `pct`."""
    ids = Membership.objects.filter(inside(pct)).values_list("user_id", flat=True)
    return list(get_user_model().objects.filter(pk__in=ids).order_by("username"))


__all__ = [
    "ActionRefused",
    "create_practice",
    "grant_membership",
    "memberships",
    "revoke_membership",
]
