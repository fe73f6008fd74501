"""Long tables (findings, audit log, case finding): a page at a time, sorted and filtered on the
server, with everything in the query string; nothing pre-ticked. On the session's demo."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

import audit_rows
from pbc.orgs import audit
from pbc.orgs.models import AuditEvent
from pbc.synth import geography
from pbc.validation import actions
from pbc.validation.models import Finding

pytestmark = pytest.mark.django_db

PRACTICE = geography.locality("dacorum").practices[0].code  # the demo practice user's


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def rows(html: str, attribute: str) -> list[str]:
    return re.findall(rf'{attribute}="([^"]+)"', html)


def test_findings_are_paged_sorted_and_filtered_in_the_url() -> None:
    client = client_for("practice")
    url = f"/validation/practices/{PRACTICE}/"
    everything = Finding.objects.filter(practice__code=PRACTICE)
    assert everything.count() > 50, "the demo practice has more than a page of findings"
    first = client.get(url + "?status=all&sort=-amount").content.decode()
    keys = rows(first, "data-finding")
    assert len(keys) == 50
    amounts = [Finding.objects.get(key=k).amount for k in keys]
    assert amounts == sorted(amounts, reverse=True)
    assert amounts[0] == max(f.amount for f in everything)
    assert f"of {everything.count():,}" in first
    # the next page keeps the filter and the sort
    assert 'href="?page=2&amp;sort=-amount&amp;status=all"' in first
    second = rows(
        client.get(url + "?page=2&sort=-amount&status=all").content.decode(), "data-finding"
    )
    assert second and not set(second) & set(keys)
    assert Finding.objects.get(key=second[0]).amount <= amounts[-1]
    # ascending, and the heading offers descending next
    up = client.get(url + "?status=all&sort=amount").content.decode()
    assert Finding.objects.get(key=rows(up, "data-finding")[0]).amount == min(
        f.amount for f in everything
    )
    assert 'aria-sort="ascending"' in up and 'href="?sort=-amount&amp;status=all"' in up
    # a filter narrows on the server; an unknown sort or page falls back
    rule = everything.values_list("rule_id", flat=True).first()
    narrowed = rows(client.get(url + f"?status=all&rule={rule}").content.decode(), "data-finding")
    assert narrowed and all(Finding.objects.get(key=k).rule_id == rule for k in narrowed)
    assert client.get(url + "?sort=nhs_number;drop&page=x").status_code == 200


def test_the_status_filter_names_each_status_once() -> None:
    html = client_for("practice").get(f"/validation/practices/{PRACTICE}/").content.decode()
    select = html[html.index('id="status"') : html.index("</select>", html.index('id="status"'))]
    labels = re.findall(r">([^<]+)</option>", select)
    assert labels.count("To review") == 1 and len(labels) == len(set(labels))


def test_sign_off_boxes_start_unticked() -> None:
    finding = (
        Finding.objects.filter(practice__locality__slug="dacorum", status="open", in_force=True)
        .exclude(amount=Decimal(0))
        .order_by("key")
        .first()
    )
    assert finding is not None
    actions.decide(get_user_model().objects.get(username="analyst"), finding.pk, "challenge", "x")
    html = client_for("locality").get("/validation/localities/dacorum/").content.decode()
    boxes = re.findall(r'<input type="checkbox" name="finding"[^>]*>', html)
    assert boxes and not any("checked" in box for box in boxes)
    response = client_for("locality").post(
        "/validation/localities/dacorum/", {"action": "sign_off"}
    )
    assert response.status_code == 302
    assert Finding.objects.get(pk=finding.pk).status == "challenged"  # none ticked: none signed


def test_the_audit_log_filters_by_user_type_and_dates_and_pages() -> None:
    locality = get_user_model().objects.get(username="locality")
    board = get_user_model().objects.get(username="board")
    for n in range(60):
        audit.record(locality, "view", detail=f"marker-{n}")
    audit.record(board, "export", detail="board-marker")
    audit_rows.event_days_ago(40, "export", "old-marker", board)
    client = client_for("analyst")
    page = client.get("/audit/?user=locality&action=view").content.decode()
    assert page.count("marker-") == 50 and "board-marker" not in page
    assert "marker-59" in page  # newest first
    assert 'href="?action=view&amp;page=2&amp;user=locality"' in page
    more = client.get("/audit/?user=locality&action=view&page=2").content.decode()
    assert "marker-0<" in more and "marker-59" not in more
    since = (timezone.now() - dt.timedelta(days=1)).date().isoformat()
    recent = client.get(f"/audit/?user=board&action=export&from={since}").content.decode()
    assert "board-marker" in recent and "old-marker" not in recent
    until = (timezone.now() - dt.timedelta(days=30)).date().isoformat()
    earlier = client.get(f"/audit/?user=board&to={until}").content.decode()
    assert "old-marker" in earlier and "board-marker" not in earlier


def test_the_case_finding_list_is_paged_and_sorted() -> None:
    from pbc.population import risk
    from pbc.population.models import RiskScore

    client = client_for("practice")
    url = f"/population/practices/{PRACTICE}/case-finding/"
    shown = rows(client.get(url).content.decode(), "data-nhs")
    assert len(shown) == 50, "the demo practice has more than a page of patients"
    scores = {
        r.nhs_number: r
        for r in RiskScore.objects.filter(model=risk.current_model(), gp_practice_code=PRACTICE)
    }
    assert [scores[n].rank for n in shown] == sorted(scores[n].rank for n in shown)
    assert scores[shown[0]].rank == min(r.rank for r in scores.values())
    first = client.get(url + "?sort=-age").content.decode()
    second = client.get(url + "?sort=-age&page=2").content.decode()
    ages = [scores[n].age for n in rows(first, "data-nhs") + rows(second, "data-nhs")]
    assert len(ages) > 50 and ages == sorted(ages, reverse=True)
    assert 'aria-sort="descending"' in second and "page 2 of" in second
    event = AuditEvent.objects.filter(action="view_patient_rows", username="practice").latest("at")
    assert event.detail.startswith("case-finding list: 50 of ")
