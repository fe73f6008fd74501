"""Every role against every URL, allow or deny as declared next to the view.

The URLs come from the URL configuration itself, so a view added later without a declared rule
fails here. Expected answers come from an oracle written in this file (the role's permissions
and whether the URL's organisation lies inside the user's own), not from `has_permission`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from pbc.demo import DEMO_USERS
from pbc.orgs.models import AuditEvent
from pbc.orgs.roles import ROLE_PERMISSIONS, Role
from pbc.synth import geography
from pbc.web.rules import access_of

DACORUM = geography.locality("dacorum")
WELWYN = geography.locality("welwyn-hatfield")
PRACTICE_A = DACORUM.practices[0].code  # the demo practice user's practice
PRACTICE_B = DACORUM.practices[1].code
PRACTICE_ENH = WELWYN.practices[0].code

# For each URL keyword argument: one value inside West Herts / Dacorum / practice A / RWG and
# values outside it.
SAMPLES: dict[str, list[str]] = {
    "pct": ["west-herts", "east-north-herts"],
    "locality": ["dacorum", "welwyn-hatfield"],
    "practice": [PRACTICE_A, PRACTICE_B, PRACTICE_ENH],
    "provider": ["RWG", "RWH"],
    # Plans (issue 4): milestones by plan slug and number, business cases by reference.
    "milestone": ["dacorum-2008-09-1.1", "welwyn-hatfield-2008-09-1.1"],
    "case": ["dacorum-epmhs"],
    "plan": ["dacorum-2008-09", "welwyn-hatfield-2008-09"],
    # Indicators (issue 5): pages by indicator id (organisations come in the query string).
    "indicator": ["rtt-admitted-18-weeks", "smr-by-provider", "mrsa-bacteraemia"],
}

# Which PCT each sample organisation belongs to, for the oracle.
PCT_OF = {
    "west-herts": "5P3",
    "east-north-herts": "5P2",
    "dacorum": "5P3",
    "welwyn-hatfield": "5P2",
    PRACTICE_A: "5P3",
    PRACTICE_B: "5P3",
    PRACTICE_ENH: "5P2",
}
LOCALITY_OF = {PRACTICE_A: "dacorum", PRACTICE_B: "dacorum", PRACTICE_ENH: "welwyn-hatfield"}
# Objects of a locality's plan (milestones, business cases, plans) belong to that locality.
PLAN_KWARGS = ("milestone", "case", "plan")
for _value in ["dacorum-2008-09-1.1", "dacorum-epmhs", "dacorum-2008-09"]:
    LOCALITY_OF[_value], PCT_OF[_value] = "dacorum", "5P3"
for _value in ["welwyn-hatfield-2008-09-1.1", "welwyn-hatfield-2008-09"]:
    LOCALITY_OF[_value], PCT_OF[_value] = "welwyn-hatfield", "5P2"


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    view: object


def walk(resolver: URLResolver, prefix: str = "") -> list[Route]:
    routes = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if getattr(entry, "app_name", None) == "admin":
                continue  # the Django admin checks is_staff itself (tested below)
            routes += walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            routes.append(Route(entry.name or "", prefix + str(entry.pattern), entry.callback))
    return routes


ROUTES = walk(get_resolver())


def expected_allowed(user: str, permission: str, kwarg: str | None, value: str | None) -> bool:
    """The oracle: role holds the permission, and the organisation is inside the user's own."""
    spec = next(u for u in DEMO_USERS if u.username == user)
    if permission not in {p.value for p in ROLE_PERMISSIONS[spec.role]}:
        return False
    if kwarg is None:
        return True
    if spec.role == Role.PCT_ANALYST:
        return kwarg == "provider" or PCT_OF[value] == spec.organisation
    if spec.role in (Role.LOCALITY_MANAGER, Role.BOARD_MEMBER):
        return (kwarg == "locality" and value == spec.organisation) or (
            kwarg in ("practice", *PLAN_KWARGS) and LOCALITY_OF[value] == spec.organisation
        )
    if spec.role == Role.PRACTICE_USER:
        return kwarg == "practice" and value == spec.organisation
    return kwarg == "provider" and value == spec.organisation


def _import_runs() -> list[str]:
    """One import record with a quarantine file for each PCT, made by its analyst; PCT_OF says
    whose it is."""
    from django.conf import settings

    from pbc.imports.models import ImportRun

    values = []
    for username, pct in (("analyst", "5P3"), ("enh-analyst", "5P2")):
        quarantine = Path(settings.DATA_DIR) / f"matrix-quarantine-{pct}.csv"
        quarantine.write_text("source_row,field,value,reason\n2,gp_practice_code,,missing\n")
        run = ImportRun.objects.create(
            dataset="practices",
            source_name="matrix.csv",
            user=get_user_model().objects.get(username=username),
            started_at=timezone.now(),
            finished_at=timezone.now(),
            status="loaded",
            rows_read=2,
            rows_loaded=1,
            rows_rejected=1,
            quarantine_path=str(quarantine),
        )
        PCT_OF[str(run.pk)] = pct
        values.append(str(run.pk))
    return values


# URL keywords that name an object made for the test (import records): each makes its sample
# objects in the test database and records their PCT in PCT_OF.
MADE_SAMPLES: dict[str, Callable[[], list[str]]] = {"run": _import_runs}


# URL keywords that are not objects (a month): one fixed value, filled in before the scope.
FIXED_SAMPLES: dict[str, str] = {"month": "2009-01", "dataset": "hcai_returns"}


def urls_for(route: Route) -> list[tuple[str, str | None, str | None]]:
    for fixed, sample in FIXED_SAMPLES.items():
        pattern = re.sub(rf"<(?:\w+:)?{fixed}>", sample, route.pattern)
        route = Route(route.name, pattern, route.view)
    names = re.findall(r"<(?:\w+:)?(\w+)>", route.pattern)
    assert len(names) <= 1, f"{route.pattern}: extend the matrix test for several arguments"
    if not names:
        return [("/" + route.pattern, None, None)]
    kwarg = names[0]
    if kwarg in MADE_SAMPLES:
        values = MADE_SAMPLES[kwarg]()
    else:
        assert kwarg in SAMPLES, f"{route.pattern}: add sample values for <{kwarg}> to SAMPLES"
        values = SAMPLES[kwarg]
    return [
        ("/" + re.sub(r"<(?:\w+:)?\w+>", value, route.pattern), kwarg, value) for value in values
    ]


# Signed-in JSON endpoints that answer POST only (GET: 405): the security-key steps, which the
# page's script posts to (pbc.signin.security_key_views).
POST_ONLY = {
    "security_key_register_begin",
    "security_key_register_finish",
    "security_key_verify_begin",
    "security_key_verify_finish",
}


def test_every_view_declares_its_rule() -> None:
    missing = [r.pattern for r in ROUTES if access_of(r.view) is None]
    assert not missing, f"views without an access rule: {missing}"
    assert len(ROUTES) >= 10


@pytest.mark.django_db
@pytest.mark.slow  # every URL for the role: 5-20 s each; `make test` runs it, `make check` not
@pytest.mark.parametrize("username", [u.username for u in DEMO_USERS] + ["anonymous"])
def test_matrix(username: str) -> None:
    client = Client()
    if username != "anonymous":
        client.force_login(get_user_model().objects.get(username=username))
    checked = 0
    for route in ROUTES:
        rule = access_of(route.view)
        assert rule is not None
        for url, kwarg, value in urls_for(route):
            response = client.get(url)
            status = response.status_code
            where = f"{username} GET {url} -> {status}"
            if rule.public:
                assert status in (200, 302, 405), where
            elif username == "anonymous":
                assert status == 302 and "/accounts/login/" in response["Location"], where
            elif route.name in POST_ONLY:
                assert status == 405, where
            elif rule.permission is None or expected_allowed(
                username, rule.permission.value, kwarg, value
            ):
                assert status == 200, where
            else:
                assert status == 403, where
            checked += 1
    assert checked >= 15


@pytest.mark.django_db
def test_practice_user_refused_other_practice_and_audited() -> None:
    client = Client()
    client.force_login(get_user_model().objects.get(username="practice"))
    assert client.get(f"/practices/{PRACTICE_A}/").status_code == 200
    response = client.get(f"/practices/{PRACTICE_B}/")
    assert response.status_code == 403
    assert b"You cannot see this page" in response.content
    denied = AuditEvent.objects.filter(action="denied", username="practice")
    assert denied.count() == 1
    event = denied.get()
    assert event.object_type == "Practice"
    assert event.path == f"/practices/{PRACTICE_B}/"


@pytest.mark.django_db
def test_admin_is_for_staff_only() -> None:
    client = Client()
    client.force_login(get_user_model().objects.get(username="practice"))
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(get_user_model().objects.get(username="analyst"))  # a member: not staff
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(get_user_model().objects.get(username="admin"))  # no role in any org
    assert client.get("/admin/").status_code == 200


# --- writes ---------------------------------------------------------------------------------
#
# Every POST of every view, as every role (and anonymous), against every sample object outside
# the user's scope: refused (403, or 404 for an object that does not exist for the user) and
# nothing changed, checked after each view by the row count of every app table (the audit log
# may only gain "denied" events), the challenge states and every warehouse manifest.


def _finding_of(
    practice: str | None = None, locality: str | None = None, **filters: object
) -> object:
    from pbc.validation.models import Finding

    qs = Finding.objects.filter(in_force=True, **filters).exclude(amount=0).order_by("key")
    if practice:
        qs = qs.filter(practice__code=practice)
    if locality:
        qs = qs.filter(practice__locality__slug=locality)
    finding = qs.first()
    assert finding is not None
    return finding


def _decide_form(practice: str) -> dict[str, object]:
    finding = _finding_of(practice, status="open")
    return {"finding": finding.pk, "decision": "accept", "version": finding.version}  # type: ignore[attr-defined]


def _sign_off_form(locality: str) -> dict[str, object]:
    from pbc.validation import actions
    from pbc.validation.models import Finding

    finding = _finding_of(locality=locality, status="open")
    owner = "analyst" if locality == "dacorum" else "enh-analyst"
    actions.decide(get_user_model().objects.get(username=owner), finding.pk, "challenge", "x")  # type: ignore[attr-defined]
    assert Finding.objects.get(pk=finding.pk).status == "challenged"  # type: ignore[attr-defined]
    return {"finding": [finding.pk]}  # type: ignore[attr-defined]


# Forms that succeed for the URL's own object (checked in scope by `test_write_forms_succeed_in_scope`);
# other views get a plain form: the scope check refuses before any form is read.
WRITE_FORMS: dict[str, Callable[[str], dict[str, object]]] = {
    "validation_practice": _decide_form,
    "validation_locality": _sign_off_form,
}


def _snapshot() -> tuple[dict[str, int], dict[str, int], dict[str, str]]:
    from django.apps import apps
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count

    from pbc.validation.models import Finding

    # Every table's row count in one query (a query per model made this the test's dearest part).
    tables = sorted({m._meta.db_table for m in apps.get_models() if m is not AuditEvent})
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables))
        counts = dict(zip(tables, cursor.fetchone(), strict=True))
    states = dict(Finding.objects.values_list("status").annotate(n=Count("id")))
    manifests = {
        p.parent.name: p.read_text()
        for p in sorted((Path(settings.DATA_DIR) / "warehouse").glob("*/_manifest.json"))
    }
    return counts, states, manifests


def _write_form(route: Route, value: str | None) -> dict[str, object]:
    builder = WRITE_FORMS.get(route.name)
    if builder is not None and value is not None:
        return builder(value)
    return {"confirm": "yes"}


@pytest.mark.django_db
@pytest.mark.slow  # every form for the role, with a snapshot around each: 5-15 s each
@pytest.mark.parametrize("username", [u.username for u in DEMO_USERS] + ["anonymous"])
def test_write_matrix(username: str) -> None:
    client = Client()
    if username != "anonymous":
        client.force_login(get_user_model().objects.get(username=username))
    checked = 0
    for route in ROUTES:
        rule = access_of(route.view)
        assert rule is not None
        if rule.public or rule.permission is None:
            continue  # no organisation to be outside of (and nothing there writes)
        targets = [
            (url, value)
            for url, kwarg, value in urls_for(route)
            if username == "anonymous"
            or not expected_allowed(username, rule.permission.value, kwarg, value)
        ]
        if not targets:
            continue
        forms = [(url, _write_form(route, value)) for url, value in targets]
        before = _snapshot()
        last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for url, form in forms:
            response = client.post(url, form)
            where = f"{username} POST {url} -> {response.status_code}"
            if username == "anonymous":
                assert response.status_code == 302, where
                assert "/accounts/login/" in response["Location"], where
            else:
                assert response.status_code in (403, 404), where
            checked += 1
        after = _snapshot()
        assert after[0] == before[0], f"{username} POST {route.pattern}: row counts changed"
        assert after[1] == before[1], f"{username} POST {route.pattern}: findings changed"
        assert after[2] == before[2], f"{username} POST {route.pattern}: the warehouse changed"
        new_events = set(
            AuditEvent.objects.filter(pk__gt=last_event).values_list("action", flat=True)
        )
        assert new_events <= {"denied"}, f"{username} POST {route.pattern}: {new_events}"
    assert checked >= 10


@pytest.mark.django_db
@pytest.mark.parametrize(("route_name", "username", "value"), [
    ("validation_practice", "practice", PRACTICE_A),
    ("validation_locality", "locality", "dacorum"),
])  # fmt: skip
def test_write_forms_succeed_in_scope(route_name: str, username: str, value: str) -> None:
    """The matrix's forms are real writes: in scope, the same form changes the findings."""
    route = next(r for r in ROUTES if r.name == route_name)
    ((url, _, _),) = [u for u in urls_for(route) if u[2] == value]
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    form = _write_form(route, value)
    before = _snapshot()
    response = client.post(url, form)
    assert response.status_code == 302
    assert _snapshot()[1] != before[1]


@pytest.mark.django_db
@pytest.mark.parametrize(("username", "url", "form"), [
    # the URL is the user's own, the object chosen in the form is not
    ("practice", f"/validation/practices/{PRACTICE_A}/",
     lambda: _decide_form(PRACTICE_B)),
    ("locality", "/validation/localities/dacorum/",
     lambda: _sign_off_form("welwyn-hatfield")),
    ("wh-locality", "/validation/localities/welwyn-hatfield/",
     lambda: _sign_off_form("dacorum")),
])  # fmt: skip
def test_an_object_outside_scope_in_the_form_changes_nothing(
    username: str, url: str, form: Callable[[], dict[str, object]]
) -> None:
    data = form()
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    before = _snapshot()
    response = client.post(url, data)
    assert response.status_code in (302, 403, 404)
    assert _snapshot() == before
    page = client.get(url).content.decode()
    assert "not one of this" in page or "not this locality" in page
