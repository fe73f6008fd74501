"""The quarterly patient-experience report to the board (`experience_report`): its figures for a
hand-made quarter, and the web paths that record and update survey actions."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.orgs.models import AuditEvent, Locality
from pbc.services import actions
from pbc.services.experience import SURVEY_TEMPLATE
from pbc.services.models import SurveyAction
from pbc.services.tabular import Table
from pbc.services.validation import validate
from pbc.stats import proportion_ci

Q4 = dt.date(2009, 1, 1)
URL = "/services/experience/localities/dacorum/"
Q4_URL = URL + "?quarter=2008/09%20Q4"


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def cells(html: str, row_pattern: str) -> list[str]:
    row = re.search(row_pattern + r"(.*?)</tr>", html, re.S)
    assert row is not None, row_pattern
    found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(1), re.S)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in found]


def pct(x: int, n: int) -> str:
    return f"{100 * proportion_ci(x, n).value:.1f}%"


def ci(x: int, n: int) -> str:
    interval = proportion_ci(x, n)
    return f"{100 * interval.lower:.1f}–{100 * interval.upper:.1f}%"


@pytest.fixture
def dacorum(services_demo: None, db: None) -> Locality:
    """Dacorum with a hand-made 2008/09 Q4 survey: privacy and dignity for three practices,
    cleanliness for one."""
    locality = Locality.objects.get(slug="dacorum")
    rows = [
        ["E82601", "Privacy and dignity", 100, 95],
        ["E82602", "privacy_dignity", 400, 200],
        ["E82603", "Privacy and dignity", 20, 10],
        ["E82601", "Cleanliness", 50, 45],
    ]
    practices = frozenset(locality.practices.values_list("code", flat=True))
    table = Table(SURVEY_TEMPLATE.column_names, [(i + 2, r) for i, r in enumerate(rows)])
    checked = validate(SURVEY_TEMPLATE, table, Q4, practices, locality.name)
    actions.import_survey(None, locality, Q4, checked)
    return locality


def test_the_quarterly_report_shows_the_quarter_s_figures(dacorum: Locality) -> None:
    actions.record_survey_action(
        None,
        dacorum,
        quarter=Q4,
        domain="privacy_dignity",
        action="Reception screens at Bulbourne",
        owner="Practice manager",
    )
    actions.record_survey_action(
        None,
        dacorum,
        quarter=dt.date(2008, 10, 1),
        domain="cleanliness",
        action="An action of the previous quarter",
        owner="PM forum",
    )
    board = client_for("board")
    page = board.get(URL).content.decode()  # the latest quarter with results by default
    assert "Quarterly report to the board: 2008/09 Q4" in page
    assert re.findall(r'<option value="([^"]+)"', page)[:3] == [
        "2008/09 Q4",
        "2008/09 Q3",
        "2008/09 Q2",
    ]
    # Locality row per domain: pooled percentage, Wilson interval, responses, better/worse.
    assert cells(page, r'<tr class="nhsuk-table__row" data-domain="privacy_dignity">') == [
        "Privacy and dignity",
        pct(305, 520),
        ci(305, 520),
        "520",
        "1",
        "1",
    ]
    assert cells(page, r'<tr class="nhsuk-table__row" data-domain="cleanliness">') == [
        "Cleanliness",
        pct(45, 50),
        ci(45, 50),
        "50",
        "0",
        "0",
    ]
    assert cells(page, r'<tr class="nhsuk-table__row" data-domain="attitudes_of_staff">')[1:4] == [
        "–",
        "–",
        "0",
    ]
    # By practice: each practice's own interval and how it compares with the locality.
    privacy = page.split('<table class="nhsuk-table" data-domain="privacy_dignity">')[1]
    privacy = privacy.split("</table>")[0]
    assert cells(privacy, r'data-practice="E82601">')[1:] == [
        pct(95, 100),
        ci(95, 100),
        "100",
        "better",
    ]
    assert cells(privacy, r'data-practice="E82602">')[1:] == [
        pct(200, 400),
        ci(200, 400),
        "400",
        "worse",
    ]
    assert cells(privacy, r'data-practice="E82603">')[1:] == [
        pct(10, 20),
        ci(10, 20),
        "20",
        "too few",
    ]
    assert 'data-practice="E82604"' not in privacy
    # The action log is the quarter's; a board member sees it but cannot change it.
    assert "Reception screens at Bulbourne" in page
    assert "An action of the previous quarter" not in page
    assert "Record an action" not in page and 'name="action_id"' not in page
    assert "Import survey results" not in page
    # Another quarter shows its own figures; a quarter that is not one is not found.
    q3 = board.get(URL + "?quarter=2008/09 Q3").content.decode()
    assert "An action of the previous quarter" in q3 and "Reception screens" not in q3
    assert board.get(URL + "?quarter=Q9").status_code == 404
    # Practice users see their practice's page, not the locality report.
    assert client_for("practice").get(URL).status_code == 403
    # An analyst may import results and act.
    analyst = client_for("analyst").get(Q4_URL).content.decode()
    assert "Import survey results" in analyst and "Record an action" in analyst


def test_recording_an_action_on_the_web(dacorum: Locality, form_errors: Any) -> None:
    manager = client_for("locality")  # manages the locality's plans: may log actions
    post = {
        "domain": "privacy_dignity",
        "practice": "E82602",
        "action": "Reception screens",
        "owner": "Practice manager",
    }
    response = manager.post(Q4_URL, post)
    assert response.status_code == 302 and response["Location"] == Q4_URL
    row = SurveyAction.objects.get(locality=dacorum, action="Reception screens")
    assert (row.quarter, row.domain, row.practice.code, row.owner, row.recorded_by) == (
        Q4,
        "privacy_dignity",
        "E82602",
        "Practice manager",
        "locality",
    )
    assert row.status == "planned" and row.reported_to_board_on is None
    event = AuditEvent.objects.get(object_type="SurveyAction", object_id=str(row.pk))
    assert event.action == "create" and event.username == "locality"
    page = manager.get(Q4_URL).content.decode()
    assert f'data-action="{row.pk}"' in page and "Action recorded." in page
    # The whole locality: no practice.
    manager.post(Q4_URL, dict(post, practice="", action="Locality-wide audit"))
    assert SurveyAction.objects.get(action="Locality-wide audit").practice is None

    before = SurveyAction.objects.count()
    response = manager.post(
        Q4_URL, {"domain": "parking", "practice": "E81601", "action": " ", "owner": ""}
    )
    assert response.status_code == 400
    errors = form_errors(response.content.decode())
    assert set(errors) == {"domain", "practice", "action", "owner"}
    assert "Select a valid choice" in errors["practice"][0]  # a Welwyn Hatfield practice
    assert errors["owner"] == ["This field is required."]
    assert SurveyAction.objects.count() == before


def test_updating_an_action_s_status_on_the_web(dacorum: Locality) -> None:
    row = actions.record_survey_action(
        None, dacorum, quarter=Q4, domain="cleanliness", action="Deep clean", owner="PM forum"
    )
    manager = client_for("locality")
    response = manager.post(
        Q4_URL, {"action_id": row.pk, "status": "done", "reported_to_board_on": "2009-04-08"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == "done" and row.reported_to_board_on == dt.date(2009, 4, 8)
    event = AuditEvent.objects.get(
        object_type="SurveyAction", object_id=str(row.pk), action="update"
    )
    assert event.before == {"status": "planned", "reported": None}
    assert event.after == {"status": "done", "reported": "2009-04-08"}
    assert "8 April 2009" in manager.get(Q4_URL).content.decode()

    # A bad status or date: refused and said so, nothing changed.
    response = manager.post(
        Q4_URL, {"action_id": row.pk, "status": "abandoned", "reported_to_board_on": "soon"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The action was not updated" in page and "Select a valid choice" in page
    assert "Enter a valid date." in page
    row.refresh_from_db()
    assert row.status == "done" and row.reported_to_board_on == dt.date(2009, 4, 8)
    # Another locality's action cannot be changed from Dacorum's page.
    welwyn = Locality.objects.get(slug="welwyn-hatfield")
    theirs = actions.record_survey_action(
        None, welwyn, quarter=Q4, domain="cleanliness", action="Theirs", owner="WH"
    )
    response = manager.post(Q4_URL, {"action_id": theirs.pk, "status": "done"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "planned"
    # A board member may not.
    board = client_for("board")
    assert board.post(Q4_URL, {"action_id": row.pk, "status": "planned"}).status_code == 403
    row.refresh_from_db()
    assert row.status == "done"
