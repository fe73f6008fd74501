"""Patient experience: import (whole or nothing), Wilson intervals, comparison, action log."""

from __future__ import annotations

import datetime as dt

import pytest

from pbc.orgs.models import AuditEvent, Locality
from pbc.services import actions, experience
from pbc.services.experience import SURVEY_TEMPLATE
from pbc.services.models import SurveyAction, SurveyResult
from pbc.services.tabular import Table
from pbc.services.validation import validate
from pbc.stats import proportion_ci

Q4 = dt.date(2009, 1, 1)


def checked(locality: Locality, rows: list[list[object]]):  # type: ignore[no-untyped-def]
    practices = frozenset(locality.practices.values_list("code", flat=True))
    table = Table(SURVEY_TEMPLATE.column_names, [(i + 2, r) for i, r in enumerate(rows)])
    return validate(SURVEY_TEMPLATE, table, Q4, practices, locality.name)


@pytest.mark.django_db
def test_survey_import_is_whole_or_nothing_and_compares_with_locality(services_demo: None) -> None:
    dacorum = Locality.objects.get(slug="dacorum")
    bad = checked(
        dacorum,
        [
            ["E82601", "Privacy and dignity", 100, 90],
            ["E82602", "Cleanliness", 50, 60],
            ["E81601", "cleanliness", 10, 5],
            ["E82603", "parking", 10, 5],
        ],
    )
    assert {(p.row, p.column) for p in bad.problems} == {
        (3, "positive"),
        (4, "gp_practice_code"),
        (5, "domain"),
    }
    with pytest.raises(actions.Refused):
        actions.import_survey(None, dacorum, Q4, bad)
    assert not SurveyResult.objects.filter(quarter=Q4).exists()
    good = checked(
        dacorum,
        [
            ["E82601", "Privacy and dignity", 100, 95],
            ["E82602", "privacy_dignity", 400, 200],
            ["E82603", "Privacy and dignity", 20, 10],
        ],
    )
    actions.import_survey(None, dacorum, Q4, good)
    privacy = next(
        d for d in experience.quarter_results(dacorum, Q4) if d.domain == "privacy_dignity"
    )
    assert privacy.locality.interval == proportion_ci(305, 520)
    by_code = {p.practice_code: p for p in privacy.practices}
    assert by_code["E82601"].rate.interval == proportion_ci(95, 100)
    assert by_code["E82601"].comparison == "better"
    assert by_code["E82602"].comparison == "worse"
    assert by_code["E82603"].comparison == "too few"
    assert AuditEvent.objects.filter(action="import", detail="patient experience survey").exists()


@pytest.mark.django_db
def test_action_log_records_and_reports_to_board(services_demo: None) -> None:
    dacorum = Locality.objects.get(slug="dacorum")
    with pytest.raises(actions.Refused):
        actions.record_survey_action(
            None,
            dacorum,
            quarter=Q4,
            domain="cleanliness",
            action="x",
            owner="y",
            practice=Locality.objects.get(slug="welwyn-hatfield").practices.first(),
        )
    row = actions.record_survey_action(
        None, dacorum, quarter=Q4, domain="cleanliness", action="Deep clean", owner="PM forum"
    )
    actions.report_survey_action(None, row, status="done", reported_to_board_on=dt.date(2009, 4, 8))
    row.refresh_from_db()
    assert row.status == "done" and row.reported_to_board_on == dt.date(2009, 4, 8)
    assert row in experience.actions_for(dacorum, Q4)
    assert SurveyAction.objects.filter(locality=dacorum).count() >= 3
