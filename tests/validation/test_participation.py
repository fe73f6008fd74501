"""Validation participation and providers' data quality by month: the rules by hand, then the
demo's Dacorum practices (their own users' reviews count, an analyst's do not) against a plain
count of the stored findings and decisions, an import's quarantine attributed to its provider."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from pbc.analytics.validation import participation as pt
from pbc.imports.models import ImportRun
from pbc.orgs.models import Locality, Membership
from pbc.validation import participation
from pbc.validation.models import Decision, Finding

OCT, NOV, DEC = dt.date(2008, 10, 1), dt.date(2008, 11, 1), dt.date(2008, 12, 1)


def test_participation_and_quarantine_by_hand() -> None:
    rows = [
        pt.FindingRow("A", "RWG", OCT, Decimal("10.00"), True),
        pt.FindingRow("A", "RWG", OCT, Decimal("5.00"), False),
        pt.FindingRow("B", "RWH", OCT, Decimal("7.50"), False),
        pt.FindingRow("B", "RWG", NOV, Decimal("1.00"), True),
        pt.FindingRow("C", "RWG", DEC, Decimal("2.00"), False),
    ]
    got = pt.participation(rows, ["A", "B", "C", "D"], [OCT, NOV])
    assert (got.cell("A", OCT).findings, got.cell("A", OCT).reviewed) == (2, 1)
    assert got.month_figure(OCT) == (1, 2)  # A took part; B had findings and did not
    assert got.month_figure(NOV) == (1, 1)
    assert got.cell("C", DEC).findings == 0  # December is not asked for
    quarantine = pt.quarantine_by_provider([
        (["period=2008-10/provider_code=RWG/commissioner_code=5P3"], 3),
        (["period=2008-10/provider_code=RWG/commissioner_code=5P2"], 2),
        (["period=2008-10/provider_code=RWG", "period=2008-10/provider_code=RWH"], 4),
        (["period=2008-11/provider_code=RWH", "period=2008-12/provider_code=RWH"], 1),
        (["period=2008-11/provider_code=RWH"], 0),
    ])  # fmt: skip
    assert quarantine == {("RWG", OCT): 5, (pt.SEVERAL, None): 5}
    trend = pt.provider_trend(rows, quarantine, [OCT, NOV])
    assert list(trend) == ["RWG", "RWH"]
    assert (trend["RWG"][OCT].findings, trend["RWG"][OCT].amount) == (2, Decimal("15.00"))
    assert trend["RWG"][OCT].quarantined == 5 and trend["RWH"][OCT].findings == 1


@pytest.mark.django_db
def test_demo_dacorum_participation_equals_a_plain_count() -> None:
    dacorum = Locality.objects.get(slug="dacorum")
    analyst = get_user_model().objects.get(username="analyst")
    # An analyst's challenge on a practice's finding is not that practice taking part.
    other = (
        Finding.objects.filter(practice__locality=dacorum, month=NOV, decisions__isnull=True)
        .exclude(practice__membership__role="practice_user")
        .first()
    )
    assert other is not None
    Decision.objects.create(finding=other, action="challenge", user=analyst, username="analyst")
    ImportRun.objects.create(
        dataset="apc", source_name="rwg-2008-11.csv", started_at=timezone.now(),
        finished_at=timezone.now(), status="loaded", rows_read=10, rows_loaded=7,
        rows_rejected=3, partitions=["period=2008-11/provider_code=RWG/commissioner_code=5P3"],
    )  # fmt: skip
    got = participation.report(dacorum, "2008/09")
    members = set(
        Membership.objects.filter(role="practice_user").values_list("user_id", "practice__code")
    )
    findings: Counter[tuple[str, dt.date]] = Counter()
    reviewed: Counter[tuple[str, dt.date]] = Counter()
    for f in Finding.objects.filter(practice__locality=dacorum, month__gte=dt.date(2008, 4, 1),
                                    month__lte=dt.date(2009, 3, 1)).prefetch_related("decisions"):  # fmt: skip
        findings[(f.practice_code, f.month)] += 1
        if any(
            d.action in ("accept", "challenge", "more_information")
            and (d.user_id, f.practice_code) in members
            for d in f.decisions.all()
        ):
            reviewed[(f.practice_code, f.month)] += 1
    for (code, month), n in findings.items():
        cell = got.participation.cell(code, month)
        assert (cell.findings, cell.reviewed) == (n, reviewed[(code, month)]), (code, month)
    took_part = {code for (code, month), n in reviewed.items() if n}
    assert len(took_part) == 2  # the demo's two practice users' practices
    assert other.practice_code not in took_part
    assert got.participation.month_figure(NOV)[0] == 2
    rwg = got.trend["RWG"][NOV]
    assert rwg.quarantined >= 3
    assert rwg.findings == sum(
        1
        for f in Finding.objects.filter(practice__locality=dacorum, month=NOV, provider_code="RWG")
    )
    client = Client()
    client.force_login(get_user_model().objects.get(username="locality"))
    html = client.get("/validation/localities/dacorum/participation/").content.decode()
    assert 'data-month="2008-11-01" data-took-part="2"' in html
    assert 'data-provider="RWG"' in html


@pytest.mark.django_db
def test_board_pack_shows_participation_to_the_month() -> None:
    """Dacorum's December 2008 pack: April to December (not later), each month as the
    participation page counts it; November: the demo's two practice users' practices."""
    got = participation.report(Locality.objects.get(slug="dacorum"), "2008/09")
    client = Client()
    client.force_login(get_user_model().objects.get(username="locality"))
    html = client.get("/reports/localities/dacorum/2008-12/").content.decode()
    table = html.split('id="board-participation"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'data-month="([\d-]+)" data-took-part="(\d+)" data-with-findings="(\d+)"', table
    )
    months = [dt.date(2008, m, 1) for m in range(4, 13)]
    assert rows == [(m.isoformat(), *map(str, got.participation.month_figure(m))) for m in months]
    assert ("2008-11-01", "2", rows[7][2]) == rows[7]
    assert "practices with findings reviewed at least one" in html
