"""`visible_practices` (one query) gives exactly the practices `has_permission` grants, for each
kind of membership, several memberships at once, and none."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from pbc.orgs.access import has_permission, visible_practices
from pbc.orgs.models import Locality, Membership, Pct, Practice, Provider
from pbc.orgs.roles import Permission, Role

pytestmark = pytest.mark.django_db


def world() -> tuple[Pct, Locality, Locality, Practice]:
    pct = Pct.objects.create(code="5ZZ", slug="vp-test-pct", name="Test PCT")
    north = Locality.objects.create(pct=pct, slug="vp-north", name="North")
    south = Locality.objects.create(pct=pct, slug="vp-south", name="South")
    for n in range(3):
        Practice.objects.create(code=f"Y9990{n}", name=f"North {n}", locality=north)
        Practice.objects.create(code=f"Y9991{n}", name=f"South {n}", locality=south)
    other = Pct.objects.create(code="5ZY", slug="vp-other-pct", name="Other PCT")
    elsewhere = Locality.objects.create(pct=other, slug="vp-else", name="Elsewhere")
    Practice.objects.create(code="Y99920", name="Elsewhere 0", locality=elsewhere)
    return pct, north, south, Practice.objects.get(code="Y99911")


def user_with(name: str, *memberships: tuple[Role, object]) -> object:
    user = get_user_model().objects.create(username=name)
    for role, org in memberships:
        kind = type(org).__name__.lower()
        Membership.objects.create(user=user, role=role.value, **{kind: org})
    return get_user_model().objects.get(pk=user.pk)


def granted(user: object, permission: Permission) -> set[str]:
    return {p.code for p in Practice.objects.all() if has_permission(user, permission, p)}


def test_the_query_matches_has_permission_for_every_kind_of_membership() -> None:
    pct, north, south, practice = world()
    provider = Provider.objects.create(code="RZZ", name="Test Trust")
    users = [
        user_with("vp-analyst", (Role.PCT_ANALYST, pct)),
        user_with("vp-locality", (Role.LOCALITY_MANAGER, north)),
        user_with("vp-board", (Role.BOARD_MEMBER, south)),
        user_with("vp-practice", (Role.PRACTICE_USER, practice)),
        user_with("vp-provider", (Role.PROVIDER_USER, provider)),
        user_with("vp-two", (Role.LOCALITY_MANAGER, north), (Role.PRACTICE_USER, practice)),
        user_with("vp-none"),
    ]
    seen_some = 0
    for user in users:
        for permission in Permission:
            expected = granted(user, permission)
            found = [p.code for p in visible_practices(user, permission)]
            assert sorted(found) == sorted(expected), (user, permission)
            assert len(found) == len(set(found))
            seen_some += bool(found)
    assert seen_some > 10  # the permissions compared do grant practices
    assert {p.code for p in visible_practices(users[1])} == {f"Y9990{n}" for n in range(3)}
