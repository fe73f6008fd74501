"""The board pack is built once per data state and kept in the result store (issue 17): the
same page again is served from the store; a milestone update or a refresh step's completion makes
it stale, so the next page shows the new figure; the store never answers for another locality or
for a user without access."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from pbc.finance import statements
from pbc.finance.models import SpendFact
from pbc.orgs.models import Locality
from pbc.plans import actions as plan_actions
from pbc.plans.models import Milestone, Plan
from pbc.refresh import results
from pbc.refresh.models import StepRun
from pbc.web.jinja import money

JANUARY = dt.date(2009, 1, 1)
PACK = "/reports/localities/dacorum/2009-01/"


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def forecast_outturn(locality: Locality) -> str:
    practices = list(locality.practices.select_related("locality__pct").order_by("code"))
    return money(statements.report(practices, JANUARY).statement.total.forecast_outturn)


@pytest.mark.django_db
def test_a_milestone_update_shows_in_the_next_page_and_pdf() -> None:
    client = client_for("board")
    before = client.get(PACK).content.decode()
    pdf_before = client.get(PACK + "?format=pdf").content
    note = "Pharmacist sessions agreed with every practice (store test)"
    assert note not in before
    plan = Plan.objects.get(locality__slug="dacorum", financial_year="2008/09")
    milestone = Milestone.objects.filter(objective__plan=plan).order_by("pk").first()
    assert milestone is not None
    previous = plan_actions.latest_update(milestone)
    status = "red" if previous is None or previous.status != "red" else "amber"
    plan_actions.record_milestone_update(
        get_user_model().objects.get(username="locality"),
        milestone,
        based_on_version=milestone.version,
        month=JANUARY,
        status=status,
        commentary=note,
        today=dt.date(2009, 2, 1),
    )
    assert note in client.get(PACK).content.decode()
    pdf_after = client.get(PACK + "?format=pdf").content
    assert pdf_after != pdf_before and note in pdf_text(pdf_after)


@pytest.mark.django_db
def test_the_stored_pack_is_used_until_a_refresh_step_completes() -> None:
    locality = Locality.objects.get(slug="dacorum")
    client = client_for("board")
    old = forecast_outturn(locality)
    assert old in client.get(PACK).content.decode()
    # The refresh rewrites the spend in bulk (no per-row signal) ...
    facts = SpendFact.objects.filter(practice__locality=locality, month=JANUARY)
    assert facts.exists()
    changed = facts.order_by("pk").first()
    assert changed is not None
    SpendFact.objects.filter(pk=changed.pk).update(charged=changed.charged + 1_000_000)
    new = forecast_outturn(locality)
    assert new != old
    # ... so until its step completes, the stored pack stands (it is not rebuilt per request),
    assert old in client.get(PACK).content.decode()
    # and once the step's completion is recorded, as the pipeline records it, the page is new.
    now = timezone.now()
    StepRun.objects.create(
        step="finance", month=JANUARY, inputs="store-test", started_at=now, completed_at=now
    )
    page = client.get(PACK).content.decode()
    assert new in page and old not in page


@pytest.mark.django_db
def test_the_store_answers_only_for_its_locality_and_after_the_access_check() -> None:
    board = client_for("board")
    assert board.get(PACK).status_code == 200
    # the same month of another locality is its own entry, not Dacorum's
    other = Locality.objects.exclude(slug="dacorum").order_by("slug").first()
    assert other is not None
    dacorum = Locality.objects.get(slug="dacorum")
    assert results.key_of("board pack", dacorum, "2009-01") != results.key_of(
        "board pack", other, "2009-01"
    )
    # a user without access to Dacorum is refused, though Dacorum's pack is stored
    assert client_for("provider").get(PACK).status_code == 403
    assert client_for("provider").get(PACK + "?format=pdf").status_code == 403
