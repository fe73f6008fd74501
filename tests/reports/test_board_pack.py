"""The locality performance report (board pack): every demo locality in every format, figures
that match the apps they come from, explicit "no data" sections, the command, access."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from pbc.cli import app
from pbc.finance import quality, statements
from pbc.finance.models import Contract
from pbc.indicators import definitions
from pbc.indicators.models import IndicatorValue
from pbc.indicators.summary import latest_status
from pbc.orgs.models import AuditEvent, Locality, Practice, Provider
from pbc.plans.models import Plan
from pbc.plans.tracking import plan_month
from pbc.reports import board, formats
from pbc.reports.commands import report_board_command
from pbc.services import feeds, reports
from pbc.services.models import Claim, ProviderContract
from pbc.services.return_templates import TEMPLATES
from pbc.services.validation import from_json
from pbc.synth import geography
from pbc.validation import actions as validation_actions
from pbc.validation.models import Finding, Status
from pbc.web.jinja import money

JANUARY = dt.date(2009, 1, 1)
YEAR_START = dt.date(2008, 4, 1)
DEMO_LOCALITIES = list(geography.TEST_SCALE_LOCALITIES)  # the session demo (test scale)
SECTION_HEADINGS = (
    "1. Plan progress",
    "2. Indicators",
    "3. Financial position and forecast outturn",
    "4. Validation ledger",
    "5. Services and provider performance",
)
SHEETS = ["Plan", "Indicators", "Finance", "Validation", "Prescribing scheme", "Services"]


@dataclass(frozen=True)
class Rendered:
    pack: board.BoardPack
    html: str
    pdf: bytes
    xlsx: bytes


def rendered(pack: board.BoardPack) -> Rendered:
    return Rendered(
        pack,
        formats.render(pack, "html").decode(),
        formats.render(pack, "pdf"),
        formats.render(pack, "xlsx"),
    )


@pytest.fixture(scope="module")
def dacorum_january(django_db_setup: None, django_db_blocker: Any) -> Rendered:
    """Dacorum's January 2009 pack of the session's demo as built, in every format: built once
    for the tests that only read it (building and rendering it is most of their time). Made
    before any test's transaction, so no test's changes are in it; nothing changes it."""
    with django_db_blocker.unblock():
        return rendered(board.build(Locality.objects.get(slug="dacorum"), JANUARY))


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def pdf_text(data: bytes) -> str:
    """The PDF's words, a negative amount's sign as the site writes it (`money`): the word
    joiner after the minus sign, which keeps it on the amount's line, has no glyph to extract."""
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return (
        " ".join(text.split()).replace("\u2212", "\u2212\u2060").replace("\u2060\u2060", "\u2060")
    )


def sheet_rows(data: bytes, name: str) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [tuple(row) for row in book[name].iter_rows(values_only=True)]


def row_starting(rows: list[tuple[Any, ...]], first: str) -> tuple[Any, ...]:
    found = [r for r in rows if r and r[0] == first]
    assert len(found) >= 1, f"no row {first!r}"
    return found[0]


def practices_of(locality: Locality) -> list[Practice]:
    return list(locality.practices.select_related("locality__pct").order_by("code"))


@pytest.mark.django_db
@pytest.mark.parametrize("slug", DEMO_LOCALITIES)
def test_january_2009_pack_renders_in_every_format(slug: str, dacorum_january: Rendered) -> None:
    assert set(Locality.objects.values_list("slug", flat=True)) == set(DEMO_LOCALITIES)
    locality = Locality.objects.get(slug=slug)
    pack = dacorum_january if slug == "dacorum" else rendered(board.build(locality, JANUARY))

    html = pack.html
    assert html.startswith("<!DOCTYPE html>")
    assert f"{locality.name} locality performance report, January 2009" in html
    for heading in SECTION_HEADINGS:
        assert heading in html
    assert "http://" not in html and "https://" not in html  # self-contained

    data = pack.pdf
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for heading in SECTION_HEADINGS:
        assert heading in text
    # Every demo locality has a plan, spend, findings, claims and a survey in January 2009.
    plan = Plan.objects.get(locality=locality, financial_year="2008/09")
    assert plan.title in text
    assert "Whole plan" in text
    total = statements.report(practices_of(locality), JANUARY).statement.total
    assert f"Forecast outturn {money(total.forecast_outturn)}" in text
    assert "findings still to review" in text
    assert "paid in the year to date" in text
    assert "No spend has been recorded" not in text

    workbook = load_workbook(io.BytesIO(pack.xlsx), read_only=True)
    assert workbook.sheetnames == SHEETS
    for name in SHEETS:
        assert workbook[name].max_row > 2, f"sheet {name} is an empty shell"


def _challenge_some(locality: Locality) -> list[Finding]:
    """Dacorum: the practice challenges four RWG findings, the locality signs them off, the
    provider agrees one in full, one in part and disputes one (the fourth stays signed off)."""
    practice = Practice.objects.get(code=geography.locality("dacorum").practices[0].code)
    candidates = list(
        Finding.objects.filter(
            practice=practice,
            provider_code="RWG",
            status=Status.OPEN,
            in_force=True,
            amount__gt=Decimal("10.00"),
            month__gte=YEAR_START,
            month__lte=JANUARY,
        ).order_by("pk")[:4]
    )
    assert len(candidates) == 4, "the demo has open RWG findings for the practice"
    for finding in candidates:
        validation_actions.decide(user("practice"), finding.pk, "challenge", "not ours to pay")
    validation_actions.sign_off(user("locality"), [f.pk for f in candidates])
    first, second, third, _ = [Finding.objects.get(pk=f.pk) for f in candidates]
    validation_actions.record_responses(
        user("provider"),
        Provider.objects.get(code="RWG"),
        [
            validation_actions.ResponseRow(1, first.key, "agreed"),
            validation_actions.ResponseRow(
                2,
                second.key,
                "agreed",
                amount_agreed=(second.challenged_amount / 2).quantize(Decimal("0.01")),
            ),
            validation_actions.ResponseRow(3, third.key, "disputed", reason="coded correctly"),
        ],
        "responses.csv",
    )
    return candidates


@pytest.mark.django_db
def test_pdf_and_xlsx_figures_match_the_source_apps() -> None:
    locality = Locality.objects.get(slug="dacorum")
    _challenge_some(locality)
    pack = board.build(locality, JANUARY)
    text = pdf_text(formats.render(pack, "pdf"))
    xlsx = formats.render(pack, "xlsx")

    # (a) Plan: the RAG counts are the plan's own, as at January 2009.
    plan = Plan.objects.get(slug="dacorum-2008-09")
    counts = plan_month(plan, JANUARY).counts()
    assert sum(counts.values()) > 0 and counts["green"] > 0
    assert "Whole plan " + " ".join(str(n) for n in counts.values()) in text
    assert f"{sum(counts.values())}" in text
    plan_rows = sheet_rows(xlsx, "Plan")
    assert row_starting(plan_rows, "Whole plan")[1:7] == (*counts.values(), sum(counts.values()))
    overdue = plan_month(plan, JANUARY).overdue
    assert f"Milestones overdue: {len(overdue)}." in text

    # The charts are in the PDF (drawn as SVG: WeasyPrint runs no script): the finance charts
    # with their axis titles and legends, and an SPC chart for each indicator with
    # special-cause variation (the demo has some).
    for words in (
        "Cumulative spend against budget", "Cumulative spend (£)", "Budget (profiled)",
        "Forecast over (+) and under (\u2212\u2060) spend by budget line", "Forecast variance (£)",
        "Overspend", "Underspend", "SPC charts of the indicators with special-cause variation",
    ):  # fmt: skip
        assert words in text, words
    special = [c for c in pack.spc_charts]
    assert special and all(c.title in text for c in special)
    assert all("special cause variation" in c.title for c in special)

    # (b) Indicators: how many have a value up to January (counted from the stored values),
    # and each value and icon is the indicators app's latest status.
    local = [d for d in definitions.catalogue().values() if "locality" in d.levels]
    with_values = {
        v
        for v in IndicatorValue.objects.filter(
            level="locality",
            org_code="dacorum",
            month__lte=JANUARY,
            value__isnull=False,
            indicator_id__in=[d.id for d in local],
        ).values_list("indicator_id", flat=True)
    }
    assert with_values
    assert f"({len(with_values)} of {len(local)} indicators have data)" in text
    indicator_rows = sheet_rows(xlsx, "Indicators")
    for definition in local:
        status = latest_status(definition.id, "locality", "dacorum", JANUARY)
        assert status is not None
        row = row_starting([r[1:] for r in indicator_rows if len(r) > 1], definition.title)
        if status.value is None:
            assert row[3] == "No data yet"
        else:
            assert row[1] == pytest.approx(status.value)
            assert row[3] == f"{status.month:%B %Y}"
    choose_and_book = latest_status("choose-and-book", "locality", "dacorum", JANUARY)
    assert choose_and_book is not None and choose_and_book.value is not None
    assert choose_and_book.text in text

    # (c) Finance: the statement the finance app gives for the locality's practices.
    statement = statements.report(practices_of(locality), JANUARY).statement
    total = statement.total
    assert total.forecast_outturn > 0
    assert f"Forecast outturn {money(total.forecast_outturn)}" in text
    assert f"against a budget of {money(total.annual_budget)}" in text
    assert f"forecast variance {money(total.forecast_variance)}" in text
    assert f"({total.forecast_variance_percent:.1f}%)" in text
    for line in statement.lines:
        assert f"{money(line.forecast_outturn)} {money(line.forecast_variance)}" in text
    finance_rows = sheet_rows(xlsx, "Finance")
    total_row = row_starting(finance_rows, "Total")
    assert Decimal(str(total_row[6])) == total.forecast_outturn
    assert Decimal(str(total_row[1])) == total.annual_budget
    for line in statement.lines:
        assert Decimal(str(row_starting(finance_rows, line.label)[6])) == line.forecast_outturn

    # (d) Validation: the challenge process's money for the locality, April to January.
    ytd = Finding.objects.filter(
        practice__locality=locality, month__gte=YEAR_START, month__lte=JANUARY
    )
    sums = ytd.aggregate(
        at_stake=Sum("amount"),
        challenged=Sum("challenged_amount"),
        agreed=Sum("agreed_amount"),
        recovered=Sum("recovered_amount"),
        written_off=Sum("written_off_amount"),
    )
    assert sums["recovered"] > 0 and sums["challenged"] > sums["recovered"]
    assert (
        f"Year to date: {ytd.count():,} findings, {money(sums['at_stake'])} at stake; "
        f"challenged {money(sums['challenged'])}, agreed {money(sums['agreed'])}, "
        f"recovered {money(sums['recovered'])}, written off {money(sums['written_off'])}."
    ) in text
    assert "No charge has been challenged" not in text
    ledger_total = row_starting(sheet_rows(xlsx, "Validation"), "Total")
    assert ledger_total[1] == ytd.count()
    assert Decimal(str(ledger_total[8])) == sums["recovered"]
    assert Decimal(str(ledger_total[6])) == sums["challenged"]

    # (e) Services: enhanced-service payments in the year to date (the finance feed's
    # figure), and the provider returns as the services reports summarise them.
    paid = sum(
        (
            amount
            for p in practices_of(locality)
            for month, amount in feeds.enhanced_services_spend(p.code, "2008/09").items()
            if month <= JANUARY
        ),
        Decimal("0.00"),
    )
    paid_by_claims = Claim.objects.filter(
        practice__locality=locality,
        status=Claim.Status.PAID,
        paid_month__gte=YEAR_START,
        paid_month__lte=JANUARY,
    ).aggregate(total=Sum("amount"))["total"]
    assert paid == paid_by_claims and paid > 0
    assert f"{money(paid)} paid in the year to date" in text
    services_rows = sheet_rows(xlsx, "Services")
    contracts = ProviderContract.objects.filter(locality=locality).select_related("provider")
    assert contracts.exists()
    for contract in contracts:
        summary = reports.summarise(
            contract, reports.current_returns(contract, YEAR_START, JANUARY)
        )
        row = next(
            r for r in services_rows if r[:2] == (summary.template.name, contract.provider.name)
        )
        assert row[3] == summary.volume
        if summary.dna is not None and summary.dna.percent is not None:
            assert row[6] == pytest.approx(summary.dna.percent)
            assert f"{summary.dna.percent:.1f}% ({summary.dna.numerator} of" in text
        if summary.compliance is not None and summary.compliance.percent is not None:
            assert row[9] == pytest.approx(summary.compliance.percent)
    ophthalmology = next(c for c in contracts if c.template == "tier2-ophthalmology")
    january_return = ophthalmology.returns.get(current=True, period=JANUARY)
    template = TEMPLATES["tier2-ophthalmology"]
    month_volume = sum(
        template.volume(from_json(template, r.values)) for r in january_return.rows.all()
    )
    row = next(r for r in services_rows if r[0] == template.name)
    assert row[5] == month_volume > 0


def _section(html: str, name: str) -> str:
    part = html.split(f'data-section="{name}"', 1)[1]
    return part.split("</section>", 1)[0]


@pytest.mark.django_db
def test_indicator_section_shows_the_spc_variation_and_assurance_icons(
    dacorum_january: Rendered,
) -> None:
    from pbc.indicators.present import ASSURANCE_TEXT, VARIATION_TEXT

    section = _section(dacorum_january.html, "indicators")
    text = pdf_text(dacorum_january.pdf)
    local = [d for d in definitions.catalogue().values() if "locality" in d.levels]
    with_variation = with_assurance = 0
    for definition in local:
        status = latest_status(definition.id, "locality", "dacorum", JANUARY)
        assert status is not None
        row = section.split(f'data-indicator="{definition.id}">', 1)[1].split("</tr>", 1)[0]
        if status.variation_icon is None:
            assert 'data-icon="variation"' not in row
            continue
        with_variation += 1
        assert f'data-icon="variation" data-value="{status.variation_icon}"' in row
        assert f'aria-label="{VARIATION_TEXT[status.variation_icon]}"' in row
        if status.assurance is None:
            assert 'data-icon="assurance"' not in row and "No target" in row
        else:
            with_assurance += 1
            assert f'data-icon="assurance" data-value="{status.assurance}"' in row
            assert f'aria-label="{ASSURANCE_TEXT[status.assurance]}"' in row
    # The demo's January pack has icons of both kinds, and the PDF carries their words.
    assert with_variation > 0 and with_assurance > 0
    assert "Common cause variation" in text or "Special cause variation" in text
    assert any(words in text for words in ASSURANCE_TEXT.values())


@pytest.mark.django_db
def test_populated_pack_shows_the_latest_patient_survey(dacorum_january: Rendered) -> None:
    from pbc.services import actions as services_actions
    from pbc.services import experience
    from pbc.services.experience import SURVEY_TEMPLATE
    from pbc.services.tabular import Table
    from pbc.services.validation import validate

    dacorum = Locality.objects.get(slug="dacorum")
    demo_quarters = [q for q in experience.quarters_with_results(dacorum) if q <= JANUARY]
    assert demo_quarters and demo_quarters[0] == dt.date(2008, 10, 1)  # the demo's latest: Q3
    html = _section(dacorum_january.html, "services")
    assert "Patient experience, 2008/09 Q3" in html
    q3 = experience.quarter_results(dacorum, dt.date(2008, 10, 1))
    privacy = next(d for d in q3 if d.domain == "privacy_dignity")
    assert privacy.locality.denominator > 0
    row = html.split('data-domain="privacy_dignity">', 1)[1].split("</tr>", 1)[0]
    assert f">{privacy.locality.denominator:,}<" in row
    assert f">{privacy.locality.percent:.1f}%<" in row

    # A later survey (2008/09 Q4, starting in January) becomes the pack's latest, with its
    # actions; one for 2009/10 Q1 (after January) does not.
    practices = frozenset(dacorum.practices.values_list("code", flat=True))
    for quarter, positive in ((JANUARY, 180), (dt.date(2009, 4, 1), 10)):
        table = Table(
            SURVEY_TEMPLATE.column_names,
            [
                (2, ["E82601", "privacy_dignity", 200, positive]),
                (3, ["E82602", "cleanliness", 80, 60]),
            ],
        )
        checked = validate(SURVEY_TEMPLATE, table, quarter, practices, dacorum.name)
        services_actions.import_survey(None, dacorum, quarter, checked)
    services_actions.record_survey_action(
        None, dacorum, quarter=JANUARY, domain="privacy_dignity", action="Screens", owner="PM"
    )
    pack = board.build(dacorum, JANUARY)
    html = _section(formats.render(pack, "html").decode(), "services")
    assert "Patient experience, 2008/09 Q4" in html
    assert "Patient experience, 2008/09 Q3" not in html
    assert "1 action logged for this quarter: Screens (planned)" in html
    row = html.split('data-domain="privacy_dignity">', 1)[1].split("</tr>", 1)[0]
    assert ">200<" in row and ">90.0%<" in row  # 180 of 200
    row = html.split('data-domain="cleanliness">', 1)[1].split("</tr>", 1)[0]
    assert ">80<" in row and ">75.0%<" in row
    text = pdf_text(formats.render(pack, "pdf"))
    assert "Patient experience, 2008/09 Q4" in text
    survey_rows = sheet_rows(formats.render(pack, "xlsx"), "Services")
    assert any("2008/09 Q4" in str(r[0]) for r in survey_rows if r and r[0])


@pytest.mark.django_db
def test_a_locality_with_nothing_says_so_in_every_section() -> None:
    dacorum = Locality.objects.get(slug="dacorum")
    empty = Locality.objects.create(pct=dacorum.pct, slug="kings-langley", name="Kings Langley")
    pack = board.build(empty, JANUARY)
    text = pdf_text(formats.render(pack, "pdf"))
    for heading in SECTION_HEADINGS:
        assert heading in text
    assert "Kings Langley has no commissioning plan for 2008/09" in text
    assert "No indicator has a value for Kings Langley up to January 2009" in text
    assert "Kings Langley has no practices, so no budget" in text
    assert "No validation findings for Kings Langley's practices" in text
    assert "No enhanced-service sign-ups or claims for Kings Langley in 2008/09" in text
    assert "No provider returns for Kings Langley" in text
    assert "No patient survey results for Kings Langley up to January 2009" in text
    rows = sheet_rows(formats.render(pack, "xlsx"), "Finance")
    assert any("has no practices" in str(r[0]) for r in rows)


@pytest.mark.django_db
def test_a_month_without_spend_or_plan_says_so() -> None:
    locality = Locality.objects.get(slug="welwyn-hatfield")
    june = dt.date(2009, 6, 1)  # 2009/10: no plan, no spend, no findings, no claims yet
    html = formats.render(board.build(locality, june), "html").decode()
    assert "Welwyn Hatfield has no commissioning plan for 2009/10" in html
    assert "No spend has been recorded for Welwyn Hatfield in June 2009" in html
    assert "No validation findings for Welwyn Hatfield's practices" in html
    assert "No enhanced-service sign-ups or claims for Welwyn Hatfield in 2009/10" in html


@pytest.mark.django_db
def test_the_pack_shows_the_contracts_quality_schedules() -> None:
    """The money at stake and withheld of each quality measure of the PCT's contracts, as the
    contract review computes them (the demo's WHHT schedule), in the page and the XLSX; a year
    with no schedule says so."""
    locality = Locality.objects.get(slug="dacorum")
    contract = Contract.objects.get(
        provider__code="RWG", pct__code="5P3", name="Acute services", financial_year="2008/09"
    )
    expected = {m.name: m for m in quality.schedule(contract, JANUARY)}
    assert len(expected) == 3 and sum(m.at_stake for m in expected.values()) > 0
    pack = board.build(locality, JANUARY)
    html = formats.render(pack, "html").decode()
    for name, m in expected.items():
        assert (
            f'data-measure="{escape(name)}" data-at-stake="{m.at_stake}" '
            f'data-withheld="{m.withheld}"'
        ) in html
    at_stake = sum(m.at_stake for m in expected.values())
    withheld = sum(m.withheld for m in expected.values())
    assert f"{money(at_stake)} at stake in the year" in html
    assert f"{money(withheld)} withheld from April to January 2009" in html
    rows = sheet_rows(formats.render(pack, "xlsx"), "Finance")
    for name, m in expected.items():
        row = next(r for r in rows if r[:2] == ("RWG Acute services", name))
        assert (row[3], row[4], row[5]) == (m.months_met, m.months_failed, m.months_not_reported)
        assert (Decimal(str(row[7])), Decimal(str(row[8]))) == (m.at_stake, m.withheld)
    later = formats.render(board.build(locality, dt.date(2009, 6, 1)), "html").decode()
    assert "has a quality schedule" in later and 'id="board-quality"' not in later


# --- the command ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("fmt", "magic"), [("html", b"<!DOCTYPE html>"), ("pdf", b"%PDF"),
                                            ("xlsx", b"PK")])  # fmt: skip
def test_command_writes_each_format(tmp_path: Path, fmt: str, magic: bytes) -> None:
    out = tmp_path / f"pack.{fmt}"
    code, text = report_board_command("welwyn-hatfield", "2009-01", fmt, out)
    assert code == 0, text
    assert out.read_bytes().startswith(magic)
    assert "Welwyn Hatfield locality performance report, January 2009" in text
    assert f"{out.stat().st_size:,} bytes" in text


@pytest.mark.django_db
def test_cli_writes_the_pdf_and_refuses_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "dacorum.pdf"
    args = ["report", "board", "--locality", "dacorum", "--month", "2009-01"]
    result = runner.invoke(app, [*args, "--format", "pdf", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "5. Services and provider performance" in pdf_text(out.read_bytes())

    for bad, message in [
        (["--locality", "nowhere", "--month", "2009-01"], "No locality 'nowhere'. Known localities: dacorum, welwyn-hatfield"),
        (["--locality", "dacorum", "--month", "2009-13"], "Month '2009-13' is not a month like 2009-01"),
        (["--locality", "dacorum", "--month", "January"], "Month 'January' is not a month like 2009-01"),
        (["--locality", "dacorum", "--month", "2009-1"], "Month '2009-1' is not a month like 2009-01"),
    ]:  # fmt: skip
        target = tmp_path / "bad.html"
        result = runner.invoke(app, ["report", "board", *bad, "--out", str(target)])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert not target.exists()
    result = runner.invoke(app, [*args, "--format", "docx", "--out", str(tmp_path / "x.docx")])
    assert result.exit_code == 2 and "Format 'docx' is not one of html, pdf, xlsx" in result.output
    missing = tmp_path / "no-such-folder" / "x.html"
    result = runner.invoke(app, [*args, "--out", str(missing)])
    assert result.exit_code == 2 and "is not a folder" in result.output


# --- the pages --------------------------------------------------------------------------------


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


@pytest.mark.django_db
def test_board_member_sees_the_pack_and_downloads_it_audited() -> None:
    client = client_for("board")
    page = client.get("/reports/localities/dacorum/2009-01/")
    assert page.status_code == 200
    body = page.content.decode()
    for heading in SECTION_HEADINGS:
        assert heading in body
    assert 'id="download-pdf"' in body and 'id="download-xlsx"' in body
    pdf = client.get("/reports/localities/dacorum/2009-01/?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert 'filename="dacorum-board-pack-2009-01.pdf"' in pdf["Content-Disposition"]
    assert pdf.content.startswith(b"%PDF")
    xlsx = client.get("/reports/localities/dacorum/2009-01/?format=xlsx")
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == SHEETS
    details = list(
        AuditEvent.objects.filter(username="board", action="view").values_list("detail", flat=True)
    )
    for fmt in ("page", "pdf", "xlsx"):
        assert f"board pack 2009-01 {fmt}" in details
    # The month chooser goes to the month's own address; a bad month is not found.
    chosen = client.get("/reports/localities/dacorum/2009-01/?month=2008-12")
    assert (
        chosen.status_code == 302 and chosen["Location"] == "/reports/localities/dacorum/2008-12/"
    )
    assert client.get("/reports/localities/dacorum/2009-13/").status_code == 404
    assert client.get("/reports/localities/dacorum/2009-01/?format=docx").status_code == 404


@pytest.mark.django_db
def test_locality_page_links_to_the_reports() -> None:
    client = client_for("locality")
    body = client.get("/localities/dacorum/").content.decode()
    assert 'href="/reports/localities/dacorum/"' in body
    listing = client.get("/reports/localities/dacorum/").content.decode()
    assert 'href="/reports/localities/dacorum/2009-01/"' in listing
    assert "Board pack" in body  # the navigation item


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "slug", "allowed"),
    [
        ("practice", "welwyn-hatfield", False),  # a practice user of another locality
        ("practice", "dacorum", False),  # practice users see their practice, not the locality
        ("wh-locality", "dacorum", False),
        ("enh-analyst", "dacorum", False),
        ("provider", "dacorum", False),
        ("analyst", "dacorum", True),
        ("wh-locality", "welwyn-hatfield", True),
    ],
)
def test_access(username: str, slug: str, allowed: bool) -> None:
    client = client_for(username)
    for url in (
        f"/reports/localities/{slug}/2009-01/",
        f"/reports/localities/{slug}/2009-01/?format=pdf",
    ):
        response = client.get(url)
        assert response.status_code == (200 if allowed else 403), url
    if not allowed:
        assert AuditEvent.objects.filter(username=username, action="denied").exists()
