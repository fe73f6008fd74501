"""`pbc refresh` is one pipeline of declared steps (`pbc.refresh.pipeline`): findings before
statements (agreed recoveries are credited to budgets), each step recorded with its month and
inputs; a step whose inputs did not change is skipped, a changed input reruns the step that
reads it and the steps after it, and the pages say when figures are older than their inputs.

The in-process tests run the real steps for January 2009 over the session demo's app database
and a small warehouse of their own (a few hand-made rows)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pbc.refresh import pipeline
from pbc.refresh.models import StepRun
from pbc.refresh.queries import staleness

JAN = dt.date(2009, 1, 1)
MFF = "financial_year,provider_code,market_forces_factor\n2008/09,RWG,1.10825\n"
PRACTICES = (
    "gp_practice_code,practice_name,locality_code,locality_name,pct_code,pct_name,region_code,"
    "parent_code,postcode,open_date,close_date,status_code,prescribing_setting,"
    "commissioner_start_date\nE82001,New Practice,,,,,,,,,,,,\n"
)
CAPS = (
    "commissioner_code,financial_year,treatment_function_code,follow_up_ratio_cap\n"
    "5P3,2008/09,100,2.5\n"
)


def step(name: str, after: tuple[str, ...] = ()) -> pipeline.Step:
    def nothing(month: dt.date | None) -> Any:
        return None

    return pipeline.Step(name, name, after, (), nothing, lambda m: "", nothing, str)


def test_findings_come_before_statements_in_the_declared_order() -> None:
    names = [s.name for s in pipeline.ordered()]
    assert names == ["validation", "finance", "indicators"]
    finance = pipeline.BY_NAME["finance"]
    assert finance.after == ("validation",)  # it credits the findings' agreed recoveries
    # Every step comes after the steps it names, whatever order they are declared in.
    shuffled = [step("c", ("b",)), step("b", ("a",)), step("a")]
    assert [s.name for s in pipeline.ordered(shuffled)] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="cycle"):
        pipeline.ordered([step("a", ("b",)), step("b", ("a",))])
    with pytest.raises(ValueError, match="unknown"):
        pipeline.ordered([step("a", ("z",))])


def test_each_step_declares_the_warehouse_datasets_it_reads() -> None:
    from pbc.analytics.validation import WAREHOUSE_DATASETS

    # The rules' inputs and the providers' invoice lines they read the charges from.
    assert set(pipeline.BY_NAME["validation"].datasets) == set(WAREHOUSE_DATASETS)
    assert {"apc", "market_forces_factors", "prescribing", "list_sizes"} <= set(
        pipeline.BY_NAME["finance"].datasets
    )
    assert "follow_up_caps" not in pipeline.BY_NAME["finance"].datasets
    assert "market_forces_factors" not in pipeline.BY_NAME["indicators"].datasets


@pytest.mark.django_db
def test_the_demo_runs_its_refresh_steps_through_the_pipeline_and_leaves_nothing_stale() -> None:
    for name in ("validation", "finance", "indicators"):
        run = pipeline.last_completed(name)
        assert run is not None, name
        assert staleness(name) is None, name
    finance = pipeline.last_completed("finance")
    assert finance is not None and finance.month == JAN  # the demo's report month
    assert finance.upstream == {"validation": pipeline.last_completed("validation").inputs}


@pytest.fixture
def small_warehouse(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory of its own (the app database stays the session demo's)."""
    monkeypatch.setenv("PBC_DATA_DIR", str(tmp_path))
    settings.DATA_DIR = tmp_path
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"
    return tmp_path


def import_file(folder: Path, dataset: str, name: str, text: str) -> None:
    from pbc.imports.actions import run_import

    path = folder / name
    path.write_text(text)
    run, _ = run_import(None, dataset, path)
    assert run.status == "loaded", run.message


def statuses(outcomes: list[pipeline.Outcome]) -> dict[str, str]:
    return {o.step: o.status for o in outcomes}


def agree_a_recovery() -> Any:
    """A demo finding of 2008/09 challenged, signed off and agreed in part by its provider,
    through the validation app's own actions."""
    from django.contrib.auth import get_user_model
    from django.db.models import F

    from pbc.finance.models import Contract
    from pbc.validation import actions
    from pbc.validation.models import Finding

    blocks = Contract.objects.filter(financial_year="2008/09", kind="block").values("provider")
    finding = (
        Finding.objects.filter(
            status="open",
            amount__gt=Decimal("10.00"),
            practice__isnull=False,
            month__gte=dt.date(2008, 4, 1),
            month__lte=dt.date(2008, 12, 1),
            commissioner_code=F("practice__locality__pct__code"),
        )  # fmt: skip
        .exclude(provider__in=blocks)
        .order_by("month", "key")
        .first()
    )
    assert finding is not None, "the demo stores findings"
    analyst = get_user_model().objects.get(username="analyst")
    if finding.practice.locality.pct.code != "5P3":
        analyst = get_user_model().objects.get(username="enh-analyst")
    actions.decide(analyst, finding.pk, "challenge", "Charged above tariff")
    actions.sign_off(analyst, [finding.pk])
    recovered = (finding.amount / 2).quantize(Decimal("0.01"))
    actions.record_responses(
        analyst, finding.provider,
        [actions.ResponseRow(1, finding.key, "agreed", "Agreed in part", recovered)], "test",
    )  # fmt: skip
    finding.refresh_from_db()
    assert finding.recovered_amount == recovered
    return finding


@pytest.mark.django_db
@pytest.mark.slow
def test_unchanged_inputs_skip_and_a_changed_input_reruns_its_step_and_those_after(
    small_warehouse: Path,
) -> None:
    from pbc.finance.models import OtherSpend, SpendFact
    from pbc.orgs.models import Practice

    lines: list[str] = []
    first = pipeline.run(JAN, report=lines.append)
    assert [o.step for o in first] == ["validation", "finance", "indicators"]
    assert statuses(first) == dict.fromkeys(("validation", "finance", "indicators"), "ran")
    assert [line.split(":")[0].strip() for line in lines] == [
        "validation findings",
        "costing and statements",
        "indicators",
    ]
    runs = {name: pipeline.last_completed(name) for name in ("validation", "finance", "indicators")}
    assert all(r is not None and r.month == JAN for r in runs.values())
    assert runs["finance"].upstream == {"validation": runs["validation"].inputs}
    assert runs["finance"].completed_at >= runs["validation"].completed_at

    recorded = StepRun.objects.count()
    again = pipeline.run(JAN)
    assert statuses(again) == dict.fromkeys(("validation", "finance", "indicators"), "unchanged")
    assert StepRun.objects.count() == recorded  # nothing ran, nothing recorded

    # Follow-up caps are read by the validation rules only: findings are refreshed, and the
    # statements after them (which credit the findings' recoveries); indicators are not.
    import_file(small_warehouse, "follow_up_caps", "caps.csv", CAPS)
    stale = staleness("validation")
    assert stale is not None and "the import of caps.csv into follow_up_caps" in stale.text
    assert stale.text.startswith("These figures were computed on ")
    assert staleness("finance") is None and staleness("indicators") is None
    assert statuses(pipeline.run(JAN)) == {
        "validation": "ran",
        "finance": "ran",
        "indicators": "unchanged",
    }
    assert staleness("validation") is None and staleness("finance") is None

    # The market forces factors are read by the rules and by costing.
    import_file(small_warehouse, "market_forces_factors", "mff.csv", MFF)
    assert statuses(pipeline.run(JAN)) == {
        "validation": "ran",
        "finance": "ran",
        "indicators": "unchanged",
    }

    # Spend booked in the app database is an input of the statements only.
    practice = Practice.objects.order_by("code").first()
    assert practice is not None
    OtherSpend.objects.create(
        practice=practice, month=JAN, line="community", amount=Decimal("120.00"),
        recurrent=False, description="locum cover",
    )  # fmt: skip
    assert statuses(pipeline.run(JAN)) == {
        "validation": "unchanged",
        "finance": "ran",
        "indicators": "unchanged",
    }

    # A challenge recovery agreed with the provider is an input of the statements only (they
    # credit it); their page says so until the next refresh, which credits it.
    finding = agree_a_recovery()
    stale = staleness("finance")
    assert stale is not None and "a challenge recovery agreed on " in stale.text
    assert staleness("validation") is None and staleness("indicators") is None
    assert statuses(pipeline.run(JAN)) == {
        "validation": "unchanged",
        "finance": "ran",
        "indicators": "unchanged",
    }
    # (the demo's own agreed challenges, pbc.demo.challenges, are credited too)
    credit = SpendFact.objects.get(
        source="recovery", practice_id=finding.practice_id, month=finding.month,
        charged=-finding.recovered_amount,
    )  # fmt: skip
    assert credit.recurrent is False
    assert staleness("finance") is None

    # --force runs every step.
    assert statuses(pipeline.run(JAN, force=True)) == dict.fromkeys(
        ("validation", "finance", "indicators"), "ran"
    )


@pytest.mark.django_db
@pytest.mark.slow
def test_pages_say_when_their_figures_are_older_than_the_warehouse(
    small_warehouse: Path, client: Any
) -> None:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from pbc.orgs.models import Membership, Pct

    users = get_user_model().objects
    practice = Membership.objects.get(user__username="practice").practice
    pct = Pct.objects.get(code="5P3")
    pages = {
        "analyst": [reverse("finance_pct", args=[pct.slug]) + "?month=2009-01",
                    reverse("indicators_pct", args=[pct.slug])],
        "practice": [reverse("validation_practice", args=[practice.code])],
    }  # fmt: skip

    def notes() -> list[str]:
        found = []
        for username, urls in pages.items():
            client.force_login(users.get(username=username))
            for url in urls:
                response = client.get(url)
                assert response.status_code == 200, url
                html = response.content.decode()
                found.append(
                    html.split('id="stale"')[1].split("</p>")[0] if 'id="stale"' in html else ""
                )
        return found

    def refresh_needed() -> str:
        """The imports page's note of the steps a refresh would recompute."""
        client.force_login(users.get(username="analyst"))
        html = client.get(reverse("imports")).content.decode()
        if 'id="refresh-needed"' not in html:
            return ""
        text = html.split('id="refresh-needed"')[1].split("<p>")[1].split("</p>")[0]
        text = re.sub(r"<[^>]+>", "", text)  # code, and the link to the refresh page
        return " ".join(text.split())

    pipeline.run(JAN)
    assert notes() == ["", "", ""]
    # Practices are read by every step: each page's figures are now older than the warehouse.
    import_file(small_warehouse, "practices", "practices.csv", PRACTICES)
    for note in notes():
        assert "These figures were computed on " in note
        assert "before the import of practices.csv into practices on " in note
        assert "run pbc refresh" in note
    assert refresh_needed() == (
        "Computed before the latest changes to their inputs: validation findings, costing and "
        "statements, indicators. Run pbc refresh or refresh from this site: it recomputes only "
        "the steps whose inputs changed."
    )
    pipeline.run(JAN)
    assert notes() == ["", "", ""]
    assert refresh_needed() == ""
    # A value entered by hand is an input of the indicators: their pages say so.
    from pbc.indicators import definitions
    from pbc.indicators.models import ManualValue

    manual = next(d for d in definitions.catalogue().values() if not d.computed)
    ManualValue.objects.create(
        indicator_id=manual.id, level="pct", org_code="5P3", month=JAN, numerator=12,
        denominator=100 if manual.denominator else None,
    )  # fmt: skip
    finance_note, indicators_note, findings_note = notes()
    assert finance_note == "" and findings_note == ""
    assert "before a value entered by hand on " in indicators_note


@pytest.mark.django_db
@pytest.mark.slow
def test_the_board_pack_says_which_sections_are_older_than_their_inputs(
    small_warehouse: Path,
) -> None:
    """Follow-up caps are read by the validation rules only: after their import the pack's
    validation ledger (HTML, PDF and XLSX) carries the findings page's note, the other sections
    none; the next refresh takes it away."""
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from pbc.orgs.models import Locality
    from pbc.reports import board, formats

    locality = Locality.objects.order_by("slug").first()
    assert locality is not None

    def pack_notes() -> dict[str, str]:
        """{format: the text of the pack's out-of-date notes, in section order}."""
        pack = board.build(locality, JAN)
        html = formats.render_html_document(pack)
        by_section = {
            section: chunk.split("</section>")[0]
            for chunk in html.split('data-section="')[1:]
            for section in [chunk.split('"')[0]]
        }
        assert set(by_section) == {"plan", "indicators", "finance", "validation", "services"}
        html_notes = [
            f"{section}: " + text.split("<p>")[1].split("</p>")[0]
            for section, text in by_section.items()
            if 'class="nhsuk-warning-callout pbc-stale"' in text
        ]
        pages = PdfReader(io.BytesIO(formats.render_pdf(pack))).pages
        pdf = " ".join(" ".join(page.extract_text() or "" for page in pages).split())
        pdf_notes = [
            part.split("5. Services")[0].split("3. Financial")[0].strip()
            for part in pdf.split("Figures out of date")[1:]
        ]
        book = load_workbook(io.BytesIO(formats.render_xlsx(pack)), read_only=True)
        xlsx_notes = [
            f"{ws.title}: {row[0]}"
            for ws in book.worksheets
            for row in ws.iter_rows(values_only=True)
            if row and isinstance(row[0], str) and row[0].startswith("Figures out of date")
        ]
        return {"html": " | ".join(html_notes), "pdf": " | ".join(pdf_notes),
                "xlsx": " | ".join(xlsx_notes)}  # fmt: skip

    pipeline.run(JAN)
    assert pack_notes() == {"html": "", "pdf": "", "xlsx": ""}
    import_file(small_warehouse, "follow_up_caps", "caps.csv", CAPS)
    stale = staleness("validation")
    assert stale is not None and "the import of caps.csv into follow_up_caps" in stale.text
    notes = pack_notes()
    assert notes["html"] == f"validation: {stale.text}"
    assert (
        notes["pdf"].startswith(stale.text[:40]) and "caps.csv into follow_up_caps" in notes["pdf"]
    )
    assert "|" not in notes["pdf"]  # one section only
    assert notes["xlsx"] == f"Validation: Figures out of date. {stale.text}"
    pipeline.run(JAN)
    assert pack_notes() == {"html": "", "pdf": "", "xlsx": ""}
