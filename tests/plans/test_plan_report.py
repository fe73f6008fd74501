"""The board status report: contents, HTML/PDF/XLSX, the command function, no network."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from pbc.orgs.models import Locality
from pbc.plans import actions
from pbc.plans.commands import report_plan_command
from pbc.plans.models import MeasureLink, Milestone, MilestoneUpdate, Outcome, Plan
from pbc.plans.report import OfflineFetcher, build_report, render
from pbc.plans.tracking import plan_month

NOVEMBER = dt.date(2008, 11, 1)


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


@pytest.mark.django_db
def test_changes_since_previous_month_match_an_independent_count() -> None:
    plan = Plan.objects.get(slug="dacorum-2008-09")
    untouched = Milestone.objects.filter(objective__plan=plan, updates__isnull=True).first()
    assert untouched is not None
    actions.record_milestone_update(
        user("locality"), untouched, based_on_version=0, month=NOVEMBER, status="red"
    )
    report = build_report(plan.locality, NOVEMBER)

    def status(m: Milestone, month: dt.date) -> str:
        last = m.updates.filter(month__lte=month).order_by("month", "version").last()
        return last.status if last else "not_started"

    expected = {
        m.pk
        for m in Milestone.objects.filter(objective__plan=plan)
        if status(m, NOVEMBER) != status(m, dt.date(2008, 10, 1))
    }
    assert untouched.pk in expected
    assert {c.state.milestone.pk for c in report.changes} == expected
    assert report.current.counts() == plan_month(plan, NOVEMBER).counts()


@pytest.mark.django_db
def test_html_pdf_and_xlsx_carry_the_same_report(tmp_path: Path) -> None:
    plan = Plan.objects.get(slug="dacorum-2008-09")
    update = MilestoneUpdate.objects.filter(milestone__objective__plan=plan, month=NOVEMBER).first()
    assert update is not None
    outcome = Outcome.objects.get(objective__plan=plan, objective__number=1, number=1)
    MeasureLink.objects.create(  # an id no longer in the catalogue: shown as is, no data
        outcome=outcome,
        indicator_id="rtt-admitted-18wk",
        target="90% within 18 weeks",
        linked_at=timezone.now(),
    )
    report = build_report(plan.locality, NOVEMBER)
    overdue = report.current.overdue
    assert overdue

    html = render(report, "html").decode()
    for text in (
        "Summary",
        "Changes since October 2008",
        "Overdue milestones",
        "Linked indicators",
    ):
        assert text in html
    assert "rtt-admitted-18wk" in html and "No data yet" in html

    pdf = render(report, "pdf")
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Dacorum plan status report, November 2008" in text
    assert " ".join(update.commentary.split()) in text
    assert "rtt-admitted-18wk" in text.replace(" ", "") and "No data yet" in text
    assert overdue[0].milestone.ref in text

    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    assert book.sheetnames == ["Summary", "Milestones", "Changes", "Overdue", "Indicators"]
    rows = list(book["Milestones"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == Milestone.objects.filter(objective__plan=plan).count()
    by_ref = {row[2]: row for row in rows}
    assert by_ref[update.milestone.ref][8] == update.commentary
    assert book["Overdue"].max_row == len(overdue) + 1
    assert book["Changes"].max_row == len(report.changes) + 1
    assert "rtt-admitted-18wk" in [cell.value for cell in book["Indicators"]["D"]]
    total = [r for r in book["Summary"].iter_rows(values_only=True) if r and r[0] == "Whole plan"]
    assert total[0][-1] == len(rows)


@pytest.mark.django_db
def test_report_command_writes_each_format(tmp_path: Path) -> None:
    for fmt, magic in (("html", b"<!DOCTYPE html>"), ("pdf", b"%PDF"), ("xlsx", b"PK")):
        out = tmp_path / f"report.{fmt}"
        code, text = report_plan_command("welwyn-hatfield", "2008-12", fmt, out)
        assert code == 0, text
        assert out.read_bytes().startswith(magic)
    assert report_plan_command("welwyn-hatfield", "2012-12", "pdf", tmp_path / "x")[0] == 2
    assert report_plan_command("welwyn-hatfield", "December", "pdf", tmp_path / "x")[0] == 2
    assert report_plan_command("welwyn-hatfield", "2008-12", "docx", tmp_path / "x")[0] == 2
    assert report_plan_command("nowhere", "2008-12", "pdf", tmp_path / "x")[0] == 2


def test_the_pdf_fetcher_never_goes_to_the_network() -> None:
    from weasyprint import HTML

    fetcher = OfflineFetcher()
    page = (
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Frutiger">'
        '<img src="http://192.0.2.1/logo.png"><p>Offline</p>'
    )
    pdf = HTML(string=page, url_fetcher=fetcher).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert sorted(fetcher.refused) == [
        "http://192.0.2.1/logo.png",
        "https://fonts.googleapis.com/css?family=Frutiger",
    ]


@pytest.mark.django_db
def test_report_page_and_downloads_for_the_locality_only() -> None:
    client = Client()
    client.force_login(user("board"))
    url = reverse("plans_report", args=["dacorum"])
    page = client.get(url + "?month=2008-11")
    assert (
        page.status_code == 200
        and "Dacorum plan status report, November 2008" in page.content.decode()
    )
    pdf = client.get(url + "?month=2008-11&format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert 'filename="dacorum-plan-status-2008-11.pdf"' in pdf["Content-Disposition"]
    xlsx = client.get(url + "?month=2008-11&format=xlsx")
    assert xlsx.content.startswith(b"PK")
    assert client.get(url + "?month=2012-01").status_code == 404
    assert client.get(reverse("plans_report", args=["welwyn-hatfield"])).status_code == 403
    assert Locality.objects.get(slug="dacorum").plans.count() == 1


@pytest.mark.django_db
def test_linked_indicators_show_latest_value_target_and_icons() -> None:
    """The demo links Dacorum's 18-week outcome to the admitted RTT indicator: the report
    shows the indicator's latest locality value up to the month, with its icons."""
    from pbc.indicators.summary import latest_status
    from pbc.orgs.models import Locality
    from pbc.plans.report import build_report, render

    locality = Locality.objects.get(slug="dacorum")
    report = build_report(locality, dt.date(2009, 1, 1))
    linked = {line.link.indicator_id: line.status for line in report.measures}
    status = linked["rtt-admitted-18-weeks"]
    expected = latest_status("rtt-admitted-18-weeks", "locality", "dacorum", dt.date(2009, 1, 1))
    assert status is not None and expected is not None
    assert status.value == expected.value and status.month == dt.date(2009, 1, 1)
    assert status.variation_icon and status.assurance
    html = render(report, "html").decode()
    assert "Admitted RTT pathways completed within 18 weeks" in html
    assert status.text in html
