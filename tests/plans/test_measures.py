"""Outcomes and milestones linked to indicators (issue 19 item 1): the measures page (a locality
manager links, is refused with a reason, unlinks; every change audited; other localities
refused), suggestions from the outcome's words, links carried forward when next year's plan
(or a re-import) arrives, and the demo's declared links (`pbc.demo.measures`) with docs/plans.md
written from them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.demo import measures as demo_measures
from pbc.demo.plans import SEEDS, seed_bytes
from pbc.indicators.queries import indicator_catalogue, indicator_titles
from pbc.orgs.models import AuditEvent, Locality
from pbc.plans import actions, measures
from pbc.plans.models import MeasureLink, Milestone, Outcome, Plan
from pbc.plans.reading import read_plan
from pbc.plans.report import build_report
from pbc.plans.suggest import suggest

URL = "/plans/localities/welwyn-hatfield/measures/"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "plans.md"


def top(text: str, context: str = "") -> str:
    return suggest(text, context, measures.candidates())[0].id


def test_suggestions_come_from_the_outcomes_words() -> None:
    assert top("Increased numbers of quitters") == "smoking-quitters"
    assert top("Deliver a 30 per cent reduction in C. Difficile infections") == "c-difficile"
    assert top("Maintain the annual number of MRSA bloodstream infections") == "mrsa-bacteraemia"
    assert top("Improvement in 'call to needle' time targets") == (
        "stroke-call-to-needle-60-minutes"
    )
    assert top("90% of pathways for patients admitted to hospital", "18 week wait") == (
        "rtt-admitted-18-weeks"
    )
    assert suggest("Jenny Greenshield's engagement", "", measures.candidates()) == []


def test_a_milestone_is_offered_only_when_it_states_a_number() -> None:
    assert measures.states_a_number("Delivery of 90% target breaching 17 weeks")
    assert measures.states_a_number("Transfer of care (1460 reduction for our locality)")
    assert not measures.states_a_number("Selection of preferred provider – May 2008")
    assert not measures.states_a_number("approved by the Subcommittee on 4 March 2008 in 2008/09")


@pytest.mark.django_db
def test_a_locality_manager_links_and_unlinks_an_outcome_on_the_page() -> None:
    plan = Plan.objects.get(slug="welwyn-hatfield-2008-09")
    outcome = Outcome.objects.get(objective__plan=plan, objective__number=3, number=1)
    assert not outcome.measures.exists()
    client = Client()
    client.force_login(get_user_model().objects.get(username="wh-locality"))
    page = client.get(URL).content.decode()
    assert f'data-subject="outcome {outcome.ref}"' in page
    assert "Milestone 5.1" in page  # states "1460 reduction"

    answer = client.post(
        URL,
        {"action": "link", "subject": f"outcome:{outcome.pk}", "indicator": "choose-and-book",
         "target": "  patients' choice  acted on  "},
        follow=True,
    )  # fmt: skip
    assert "Linked outcome 3.1 to choose-and-book" in answer.content.decode()
    link = outcome.measures.get()
    assert (link.indicator_id, link.target, link.linked_by.username) == (
        "choose-and-book",
        "patients' choice acted on",
        "wh-locality",
    )
    event = AuditEvent.objects.get(object_type="MeasureLink", object_id=str(link.pk))
    assert event.action == "create" and event.after["subject"] == "outcome 3.1"

    # The board status report shows it.
    report = build_report(plan.locality, dt.date(2009, 1, 1))
    assert [line.link.pk for line in report.measures if line.link.outcome_id == outcome.pk] == [
        link.pk
    ]

    for post, reason in (
        ({"indicator": "no-such-indicator", "target": "x"}, "no indicator"),
        ({"indicator": "choose-and-book", "target": " "}, "give the target as the plan states"),
    ):
        answer = client.post(
            URL, {"action": "link", "subject": f"outcome:{outcome.pk}", **post}, follow=True
        )
        assert f"Not linked: {reason}" in answer.content.decode()
    assert outcome.measures.count() == 1

    # Another locality's outcome is not on this plan; another locality's page is refused.
    other = Outcome.objects.filter(objective__plan__slug="dacorum-2008-09").first()
    assert other is not None
    posted = client.post(
        URL, {"action": "link", "subject": f"outcome:{other.pk}", "indicator": "choose-and-book",
              "target": "x"},
    )  # fmt: skip
    assert posted.status_code == 404 and not other.measures.filter(target="x").exists()
    assert client.get("/plans/localities/dacorum/measures/").status_code == 403

    client.post(URL, {"action": "unlink", "subject": f"outcome:{outcome.pk}", "link": link.pk})
    assert not outcome.measures.exists()
    assert AuditEvent.objects.filter(
        object_type="MeasureLink", object_id=str(link.pk), action="delete"
    ).exists()


@pytest.mark.django_db
def test_a_board_member_cannot_link() -> None:
    board_member = (
        get_user_model().objects.filter(memberships__role="board_member").order_by("pk").first()
    )
    assert board_member is not None
    client = Client()
    client.force_login(board_member)
    assert client.get(URL).status_code == 403


@pytest.mark.django_db
def test_links_are_carried_forward_to_next_years_plan_and_through_a_reimport() -> None:
    locality = Locality.objects.get(slug="welwyn-hatfield")
    user = get_user_model().objects.get(username="wh-locality")
    this_year = Plan.objects.get(slug="welwyn-hatfield-2008-09")
    before = {
        (link.subject_ref, link.indicator_id, link.target)
        for link in measures.plan_links(this_year)
    }
    assert len(before) >= 10

    filename = SEEDS["welwyn-hatfield"][0]
    source = seed_bytes(filename)
    parsed = read_plan(source, filename=filename, financial_year="2009/10")
    next_year = actions.import_plan(user, locality, parsed, source, filename=filename).plan
    carried = measures.plan_links(next_year)
    assert {(link.subject_ref, link.indicator_id, link.target) for link in carried} == before
    assert {link.carried_from for link in carried} == {"welwyn-hatfield-2008-09"}
    assert AuditEvent.objects.filter(
        object_type="MeasureLink",
        object_id__in=[str(link.pk) for link in carried],
        detail="carried forward from welwyn-hatfield-2008-09",
    ).count() == len(carried)

    # A re-import that replaces the new plan (no progress yet) keeps its links; an outcome whose
    # text changed loses its link (it is no longer the same outcome).
    edited = read_plan(
        source.replace(b"Numbers of quitters to rise each quarter", b"More quitters"),
        filename=filename,
        financial_year="2009/10",
    )
    result = actions.import_plan(user, locality, edited, source + b" ", filename=filename)
    assert result.outcome == "replace"
    again = {(link.subject_ref, link.indicator_id) for link in measures.plan_links(result.plan)}
    assert again == {(ref, i) for ref, i, _ in before} - {("outcome 8.1", "smoking-quitters")}


# --- the demo's declared links and docs/plans.md ---------------------------------------------


def test_every_seed_outcome_is_declared_measured_or_explained() -> None:
    outcomes = demo_measures.seed_outcomes()
    milestones = demo_measures.seed_milestones()
    declared = {(d.locality, d.kind, d.ref): d for d in demo_measures.declared()}
    catalogue = indicator_catalogue()
    refs = {(loc, "outcome", ref) for loc, items in outcomes.items() for ref, _ in items}
    assert len(refs) == 104
    assert refs == {key for key in declared if key[1] == "outcome"}
    for (locality, kind, ref), item in declared.items():
        text = dict(outcomes[locality])[ref] if kind == "outcome" else milestones[locality][ref]
        assert " ".join(text.split()).startswith(item.starts), (locality, kind, ref)
        assert bool(item.measures) != bool(item.none), (locality, kind, ref)
        assert all(i in catalogue and t.strip() for i, t in item.measures), (locality, ref)
        if kind == "milestone":
            assert measures.states_a_number(text), ref
    measured = [d for d in declared.values() if d.kind == "outcome" and d.measures]
    assert len(measured) >= 40
    assert {d.locality for d in measured} == {"dacorum", "welwyn-hatfield"}


def test_docs_plans_md_is_written_from_the_declared_links() -> None:
    expected = demo_measures.docs_markdown(demo_measures.seed_outcomes(), indicator_titles())
    assert DOCS.read_text("utf-8") == expected, (
        "docs/plans.md is out of date: write it from pbc.demo.measures.docs_markdown"
    )


@pytest.mark.django_db
def test_the_demo_links_the_declared_measures() -> None:
    for slug in ("dacorum", "welwyn-hatfield"):
        plan = Plan.objects.get(locality__slug=slug, financial_year="2008/09")
        links = {
            (link.subject_ref, link.indicator_id, link.target) for link in measures.plan_links(plan)
        }
        declared = {
            (f"{d.kind} {d.ref}", i, t)
            for d in demo_measures.declared()
            if d.locality == slug
            for i, t in d.measures
        }
        assert links == declared
    outcomes = Outcome.objects.filter(measures__isnull=False).distinct().count()
    assert outcomes >= 40
    assert Milestone.objects.filter(measures__isnull=False).exists()
    assert not MeasureLink.objects.filter(target="").exists()
