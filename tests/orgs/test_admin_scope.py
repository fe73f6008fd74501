"""Administration inside the rules (issue 13).

As West Herts' analyst (the demo `analyst` was also a Django superuser), the Django admin let the
analyst give itself East and North Herts' analyst role and then open that PCT's case-finding
list; pbc's audit log recorded nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.orgs import actions, audit
from pbc.orgs.access import has_permission
from pbc.orgs.models import AuditEvent, Locality, Membership, Pct, Practice, Provider
from pbc.orgs.roles import Permission, Role
from pbc.synth import geography

PRACTICE_ENH = geography.locality("welwyn-hatfield").practices[0].code

pytestmark = pytest.mark.django_db


def user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def test_an_analyst_cannot_grant_itself_another_pcts_role() -> None:
    analyst = user("analyst")
    enh = Pct.objects.get(code="5P2")
    client = Client()
    client.force_login(analyst)
    events = AuditEvent.objects.count()

    client.post(
        "/admin/orgs/membership/add/",
        {"user": analyst.pk, "role": "pct_analyst", "pct": enh.pk},
    )

    assert not Membership.objects.filter(user=analyst, pct=enh).exists()
    case_finding = client.get(f"/population/practices/{PRACTICE_ENH}/case-finding/")
    assert case_finding.status_code == 403
    assert AuditEvent.objects.count() > events  # the refusal is audited


def test_no_member_is_staff_and_the_admin_account_holds_no_role() -> None:
    members = get_user_model().objects.filter(memberships__isnull=False).distinct()
    assert members.exists()
    assert not members.filter(is_superuser=True).exists()
    assert not members.filter(is_staff=True).exists()
    admin = user("admin")
    assert admin.is_superuser and admin.is_staff
    assert not Membership.objects.filter(user=admin).exists()
    client = Client()
    client.force_login(user("analyst"))
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_memberships_and_audit_events_are_read_only_in_the_admin() -> None:
    client = Client()
    client.force_login(user("admin"))
    membership = Membership.objects.get(user__username="analyst")
    event = audit.record(user("analyst"), "view", detail="something seen")
    assert client.get("/admin/orgs/membership/").status_code == 200
    assert client.get("/admin/orgs/membership/add/").status_code == 403
    enh = Pct.objects.get(code="5P2")
    response = client.post(
        f"/admin/orgs/membership/{membership.pk}/change/",
        {"user": membership.user_id, "role": "pct_analyst", "pct": enh.pk},
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.pct is not None and membership.pct.code == "5P3"
    assert (
        client.post(f"/admin/orgs/membership/{membership.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert (
        client.post(f"/admin/orgs/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    response = client.post(
        f"/admin/orgs/auditevent/{event.pk}/change/", {"detail": "nothing to see"}
    )
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.detail == "something seen"


def test_the_admin_cannot_make_a_member_superuser() -> None:
    client = Client()
    client.force_login(user("admin"))
    analyst = user("analyst")
    response = client.post(
        f"/admin/auth/user/{analyst.pk}/change/",
        {
            "username": "analyst",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2009-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "a user with a role is never staff or superuser" in response.content.decode()
    analyst.refresh_from_db()
    assert not analyst.is_superuser and not analyst.is_staff


def test_a_pct_administrator_manages_its_own_pcts_users_audited() -> None:
    enh_admin = user("enh-analyst")
    welwyn = Locality.objects.get(slug="welwyn-hatfield")
    membership = actions.grant_membership(enh_admin, user("wh-locality"), Role.BOARD_MEMBER, welwyn)
    event = AuditEvent.objects.get(action="grant_role", object_id=str(membership.pk))
    assert event.username == "enh-analyst"
    assert event.after == {
        "user": "wh-locality",
        "role": "board_member",
        "organisation": "Locality welwyn-hatfield",
    }
    newcomer = get_user_model().objects.create_user("newcomer")
    practice = Practice.objects.get(code=PRACTICE_ENH)
    actions.grant_membership(enh_admin, newcomer, Role.PRACTICE_USER, practice)
    assert has_permission(newcomer, Permission.VIEW_PATIENT_ROWS, practice)
    actions.revoke_membership(enh_admin, membership)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    revoked = AuditEvent.objects.get(action="revoke_role", object_id=str(membership.pk))
    assert revoked.before is not None and revoked.before["role"] == "board_member"


@pytest.mark.parametrize(
    ("actor", "target", "role", "where", "reason"),
    [
        ("enh-analyst", "enh-analyst", Role.PCT_ANALYST, "5P2", "your own roles"),
        ("analyst", "analyst", Role.PCT_ANALYST, "5P2", "your own roles"),
        ("enh-analyst", "wh-locality", Role.LOCALITY_MANAGER, "dacorum", "do not manage"),
        ("enh-analyst", "locality", Role.LOCALITY_MANAGER, "welwyn-hatfield", "outside"),
        ("enh-analyst", "admin", Role.PCT_ANALYST, "5P2", "administrator of the site"),
        ("enh-analyst", "wh-locality", Role.PROVIDER_USER, "RWG", "system operator"),
        ("locality", "board", Role.BOARD_MEMBER, "dacorum", "do not manage"),
        ("practice", "practice2", Role.PRACTICE_USER, PRACTICE_ENH, "do not manage"),
    ],
)  # fmt: skip
def test_grants_outside_the_rules_are_refused_and_change_nothing(
    actor: str, target: str, role: Role, where: str, reason: str
) -> None:
    organisation: object
    if role == Role.PCT_ANALYST:
        organisation = Pct.objects.get(code=where)
    elif role in (Role.LOCALITY_MANAGER, Role.BOARD_MEMBER):
        organisation = Locality.objects.get(slug=where)
    elif role == Role.PRACTICE_USER:
        organisation = Practice.objects.get(code=where)
    else:
        organisation = Provider.objects.get(code=where)
    memberships = Membership.objects.count()
    events = AuditEvent.objects.count()
    with pytest.raises(actions.ActionRefused, match=reason):
        actions.grant_membership(user(actor), user(target), role, organisation)  # type: ignore[arg-type]
    assert Membership.objects.count() == memberships
    assert AuditEvent.objects.count() == events


def test_another_pct_cannot_revoke() -> None:
    theirs = Membership.objects.get(user__username="wh-locality")
    with pytest.raises(actions.ActionRefused, match="do not manage"):
        actions.revoke_membership(user("analyst"), theirs)
    assert Membership.objects.filter(pk=theirs.pk).exists()


def test_the_audit_log_shows_only_the_viewers_pct() -> None:
    audit.record(user("locality"), "view", detail="dacorum-event-marker")
    audit.record(user("wh-locality"), "view", detail="welwyn-event-marker")
    client = Client()
    client.force_login(user("analyst"))
    page = client.get("/audit/").content.decode()
    assert "dacorum-event-marker" in page and "welwyn-event-marker" not in page
    client.force_login(user("enh-analyst"))
    page = client.get("/audit/").content.decode()
    assert "welwyn-event-marker" in page and "dacorum-event-marker" not in page


def test_the_users_page_gives_and_removes_roles_in_the_pct() -> None:
    client = Client()
    client.force_login(user("enh-analyst"))
    assert "Users and their roles" in client.get("/pct/east-north-herts/").content.decode()
    page = client.get("/pct/east-north-herts/users/")
    assert page.status_code == 200 and "wh-locality" in page.content.decode()
    assert client.get("/pct/west-herts/users/").status_code == 403

    response = client.post(
        "/pct/east-north-herts/users/",
        {
            "username": "wh-locality",
            "role": "board_member",
            "organisation": "locality:welwyn-hatfield",
        },
    )
    assert response.status_code == 302
    granted = Membership.objects.get(user__username="wh-locality", role="board_member")
    assert AuditEvent.objects.filter(action="grant_role", username="enh-analyst").exists()

    client.post(
        "/pct/east-north-herts/users/",
        {"username": "enh-analyst", "role": "pct_analyst", "organisation": "pct:5P3"},
    )
    assert (
        "Choose an organisation of" in client.get("/pct/east-north-herts/users/").content.decode()
    )
    client.post(
        "/pct/east-north-herts/users/",
        {
            "username": "enh-analyst",
            "role": "board_member",
            "organisation": "locality:welwyn-hatfield",
        },
    )
    assert "your own roles" in client.get("/pct/east-north-herts/users/").content.decode()
    assert Membership.objects.filter(user__username="enh-analyst").count() == 1

    theirs = Membership.objects.get(user__username="locality")  # Dacorum: West Herts'
    client.post("/pct/east-north-herts/users/", {"revoke": theirs.pk})
    assert Membership.objects.filter(pk=theirs.pk).exists()
    client.post("/pct/east-north-herts/users/", {"revoke": granted.pk})
    assert not Membership.objects.filter(pk=granted.pk).exists()
