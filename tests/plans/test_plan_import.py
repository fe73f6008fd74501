"""Importing plan documents: the action, the command function and the upload page."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from markupsafe import escape

from pbc.orgs.models import AuditEvent, Locality, Pct
from pbc.plans import actions
from pbc.plans.commands import plans_import_command
from pbc.plans.models import Milestone, MilestoneUpdate, Objective, Plan
from pbc.plans.reading import read_plan
from pbc.web.uploads import kept

SEEDS = Path(__file__).resolve().parents[2] / "src" / "pbc" / "plans" / "seeds"
WELWYN_SEED = SEEDS / "welwyn-hatfield-2008-09.txt"
DACORUM_SEED = SEEDS / "dacorum-2008-09.txt"


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


ENCRYPTED = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    + b"\0" * 500
    + "EncryptionInfo".encode("utf-16-le")
    + b"\0" * 100
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + bytes(range(256)) * 4
MALFORMED = {
    "empty.txt": (b"", "empty"),
    "minutes.txt": (b"Minutes of the board meeting\nApologies were received.\n", "header"),
    "logo.png": (PNG, "not text"),
    "locked.docx": (ENCRYPTED, "password"),
}


def structure_in_db(plan: Plan) -> list[dict[str, object]]:
    return [
        {
            "section": o.section.name,
            "title": o.title,
            "actions": [a.text for a in o.actions.all()],
            "milestones": [m.text for m in o.milestones.order_by("number")],
            "outcomes": [x.text for x in o.outcomes.all()],
            "due_dates": [d.date for d in o.due_dates.all()],
            "timescale": o.timescale,
        }
        for o in plan.objectives.select_related("section").order_by("number")
    ]


def structure_read(path: Path, financial_year: str = "2008/09") -> list[dict[str, object]]:
    return [
        {
            "section": o.section,
            "title": o.title,
            "actions": o.actions,
            "milestones": o.milestones,
            "outcomes": o.outcomes,
            "due_dates": sorted(set(o.due_dates)),
            "timescale": o.timescale,
        }
        for o in read_plan(path, financial_year=financial_year).objectives
    ]


def counts() -> tuple[int, int, int, int, int]:
    return (
        Plan.objects.count(),
        Objective.objects.count(),
        Milestone.objects.count(),
        MilestoneUpdate.objects.count(),
        AuditEvent.objects.filter(action="import").count(),
    )


@pytest.mark.django_db
def test_the_demo_plans_hold_what_the_documents_say() -> None:
    for slug, path in (("dacorum-2008-09", DACORUM_SEED), ("welwyn-hatfield-2008-09", WELWYN_SEED)):
        plan = Plan.objects.get(slug=slug)
        assert structure_in_db(plan) == structure_read(path)
        assert plan.source_filename == path.name
        assert [s.name for s in plan.sections.all()] == list(
            dict.fromkeys(o["section"] for o in structure_read(path))
        )


@pytest.mark.django_db
def test_milestones_take_due_dates_and_leads_from_their_own_sub_rows() -> None:
    plan = Plan.objects.get(slug="dacorum-2008-09")
    first, second = plan.objectives.get(number=1).milestones.order_by("number")
    assert first.due_date == dt.date(2008, 12, 31)  # "Dec 2008"
    assert second.due_date == dt.date(2009, 3, 31)  # "March 2009"
    assert [lead.name for lead in first.leads.all()] == ["DacCom"]
    assert [lead.name for lead in second.leads.all()] == ["DacCom and Locality"]
    assert actions.lead_kind("Executive Board") == "body"
    assert actions.lead_kind("Peter Shilliday/Locality") == "body"
    assert actions.lead_kind("Dr Ros Taylor") == "person"


@pytest.mark.django_db
def test_importing_the_same_document_again_changes_nothing() -> None:
    plan = Plan.objects.get(slug="dacorum-2008-09")
    before, imported_at = counts(), plan.imported_at
    source = DACORUM_SEED.read_bytes()
    result = actions.import_plan(
        user("locality"), plan.locality, read_plan(source, filename=DACORUM_SEED.name), source
    )
    assert result.outcome == "unchanged"
    assert counts() == before
    plan.refresh_from_db()
    assert plan.imported_at == imported_at


@pytest.mark.django_db
def test_a_different_document_replaces_a_plan_without_progress(fresh_plan: Plan) -> None:
    assert fresh_plan.objectives.count() == 16
    source = DACORUM_SEED.read_bytes()
    parsed = read_plan(source, filename=DACORUM_SEED.name, financial_year="2009/10")
    result = actions.import_plan(user("wh-locality"), fresh_plan.locality, parsed, source)
    assert result.outcome == "replace"
    assert result.plan.pk == fresh_plan.pk
    assert structure_in_db(result.plan) == structure_read(DACORUM_SEED, "2009/10")
    event = AuditEvent.objects.filter(action="import", object_id=str(fresh_plan.pk)).first()
    assert event is not None and event.username == "wh-locality"
    assert event.before["objectives"] == 16 and event.after["objectives"] == 32


@pytest.mark.django_db
def test_reimport_refused_when_progress_would_be_orphaned(fresh_plan: Plan) -> None:
    milestone = Milestone.objects.filter(objective__plan=fresh_plan).first()
    assert milestone is not None
    actions.record_milestone_update(
        user("wh-locality"),
        milestone,
        based_on_version=0,
        month=dt.date(2009, 4, 1),
        status="green",
        today=dt.date(2009, 5, 1),
    )
    before = counts()
    source = DACORUM_SEED.read_bytes()
    parsed = read_plan(source, filename=DACORUM_SEED.name, financial_year="2009/10")
    with pytest.raises(actions.PlanImportRefused, match="1 progress updates on 1 milestones"):
        actions.import_plan(user("wh-locality"), fresh_plan.locality, parsed, source)
    assert counts() == before
    assert fresh_plan.objectives.count() == 16


@pytest.mark.django_db
def test_command_json_and_dry_run(tmp_path: Path) -> None:
    code, text = plans_import_command(DACORUM_SEED, "dacorum", dry_run=False, as_json=True)
    assert code == 0
    body = json.loads(text)
    assert body["import"]["outcome"] == "unchanged"
    assert len(body["objectives"]) == 32
    assert set(body["objectives"][0]) == {
        "section",
        "title",
        "actions",
        "milestones",
        "leads",
        "timescale",
        "due_dates",
        "outcomes",
    }
    assert body["unplaced"] and {"text", "location", "reason"} <= set(body["unplaced"][0])

    # Welwyn Hatfield's document into Dacorum's 2008/09 plan, which has progress: refused.
    before = counts()
    code, text = plans_import_command(WELWYN_SEED, "dacorum", dry_run=True, as_json=False)
    assert code == 1 and "orphan" in text
    code, text = plans_import_command(WELWYN_SEED, "dacorum", dry_run=False, as_json=False)
    assert code == 1 and "nothing was changed" in text
    assert counts() == before

    # A locality without a plan: the dry run says what would happen and writes nothing.
    Locality.objects.create(pct=Pct.objects.get(code="5P2"), slug="new-town", name="New Town")
    code, text = plans_import_command(WELWYN_SEED, "new-town", dry_run=True, as_json=False)
    assert code == 0 and "Dry run, nothing written" in text and "16 objectives" in text
    assert counts() == before
    code, text = plans_import_command(WELWYN_SEED, "new-town", dry_run=False, as_json=False)
    assert code == 0 and Plan.objects.filter(locality__slug="new-town").count() == 1

    assert plans_import_command(WELWYN_SEED, "atlantis", False, False)[0] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_files_get_a_clear_message_and_change_nothing(name: str, tmp_path: Path) -> None:
    data, words = MALFORMED[name]
    path = tmp_path / name
    path.write_bytes(data)
    before = counts()
    code, text = plans_import_command(path, "dacorum", dry_run=False, as_json=False)
    assert code == 2 and text.startswith(name) and words in text.lower()

    client = Client()
    client.force_login(user("locality"))
    with path.open("rb") as upload:
        response = client.post(
            reverse("plans_upload", args=["dacorum"]),
            {"file": upload, "financial_year": "2008/09"},
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and (words in page.lower())
    assert counts() == before


@pytest.mark.django_db
def test_upload_preview_then_confirm(settings) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user("wh-locality"))
    url = reverse("plans_upload", args=["welwyn-hatfield"])
    assert client.get(url).status_code == 200
    before = counts()
    with WELWYN_SEED.open("rb") as upload:
        response = client.post(url, {"file": upload, "financial_year": "2009/10"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This creates the Welwyn Hatfield 2009/10 plan with 16 objectives" in page
    assert "Leg Ulcer services" in page and "Warnings" in page  # "March 2008" is early
    assert "National Priorities (4 objectives)" in page
    assert counts() == before  # nothing written before the confirmation

    token = hashlib.sha256(WELWYN_SEED.read_bytes()).hexdigest()
    assert f'value="{token}"' in page
    assert kept("plans", token, user("wh-locality")) is not None  # kept for its uploader
    response = client.post(
        url, {"token": token, "filename": WELWYN_SEED.name, "financial_year": "2009/10"}
    )
    assert response.status_code == 302
    plan = Plan.objects.get(locality__slug="welwyn-hatfield", financial_year="2009/10")
    assert plan.objectives.count() == 16 and plan.imported_by == user("wh-locality")
    assert kept("plans", token, user("wh-locality")) is None


@pytest.mark.django_db
def test_upload_preview_lists_unplaced_fragments() -> None:
    client = Client()
    client.force_login(user("locality"))
    with DACORUM_SEED.open("rb") as upload:
        response = client.post(
            reverse("plans_upload", args=["dacorum"]),
            {"file": upload, "financial_year": "2009/10"},
        )
    assert response.status_code == 200
    parsed = read_plan(DACORUM_SEED, financial_year="2009/10")
    assert parsed.unplaced
    page = response.content.decode()
    assert 'id="unplaced"' in page
    for fragment in parsed.unplaced:
        assert escape(fragment.text) in page


@pytest.mark.django_db
def test_only_plan_managers_may_upload() -> None:
    client = Client()
    client.force_login(user("board"))
    assert client.get(reverse("plans_upload", args=["dacorum"])).status_code == 403
    client.force_login(user("wh-locality"))
    assert client.get(reverse("plans_upload", args=["dacorum"])).status_code == 403
