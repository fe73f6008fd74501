"""Formula injection: every CSV and XLSX pbc writes neutralises a hostile value that reaches it.

A cell that starts with `=`, `+`, `-`, `@`, tab or carriage return is a formula (or the start of
one) to a spreadsheet. Each test below puts such a value where a user or a provider's file can put
it (a challenge reason, milestone commentary, a practice's name, a quarantined field, a plan's
title, ...) and reads the export back: in a CSV the value comes out prefixed with a single quote;
in an XLSX no cell is a formula and the value is a string cell marked "quote prefix" (Excel's own
marker for text typed with a leading apostrophe).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from openpyxl import load_workbook

from pbc.synth import geography

HOSTILE = '=HYPERLINK("http://x","y")'
UNSAFE_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
DACORUM = geography.locality("dacorum")
PRACTICE_A = DACORUM.practices[0].code
NOVEMBER = dt.date(2008, 11, 1)
JANUARY = dt.date(2009, 1, 1)


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def assert_csv_neutral(text: str, *reached: str) -> None:
    """Each of `reached` is in the file, quoted; no field is a formula (plain numbers are)."""
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    for value in reached:
        assert "'" + value in cells, (value, cells[:40])
    unsafe = [c for c in cells if c.startswith(UNSAFE_STARTS) and not PLAIN_NUMBER.fullmatch(c)]
    assert unsafe == []


def assert_xlsx_neutral(data: bytes, *reached: str) -> None:
    """No formula anywhere; each of `reached` is a string cell with Excel's quote prefix, and so
    is every other string cell that starts like a formula."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", package.read(name)), name
    book = load_workbook(io.BytesIO(data))
    strings: dict[str, Any] = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    strings.setdefault(cell.value, cell)
                    if cell.value.startswith(UNSAFE_STARTS):
                        assert cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
    for value in reached:
        assert value in strings, value
        assert strings[value].data_type == "s" and strings[value].quotePrefix


@pytest.mark.django_db
def test_challenge_schedule_csv_and_xlsx() -> None:
    from pbc.validation import actions
    from pbc.validation.models import Finding, Status

    finding = (
        Finding.objects.filter(
            practice__code=PRACTICE_A, provider_code="RWG", in_force=True, status=Status.OPEN
        )
        .exclude(amount=0)
        .order_by("key")
        .first()
    )
    assert finding is not None
    actions.decide(user("practice"), finding.pk, "challenge", HOSTILE)
    actions.sign_off(user("locality"), [finding.pk])
    client = client_for("locality")
    schedule = client.get("/validation/localities/dacorum/schedule.csv?provider=RWG")
    assert schedule.status_code == 200
    assert_csv_neutral(schedule.content.decode(), HOSTILE)
    xlsx = client.get("/validation/localities/dacorum/schedule.xlsx?provider=RWG")
    assert xlsx.status_code == 200
    assert_xlsx_neutral(xlsx.content, HOSTILE)


@pytest.mark.django_db
def test_plan_report_xlsx() -> None:
    from pbc.plans.models import MilestoneUpdate, Plan
    from pbc.plans.report import build_report, render

    plan = Plan.objects.get(slug="dacorum-2008-09")
    update = MilestoneUpdate.objects.filter(milestone__objective__plan=plan, month=NOVEMBER).first()
    assert update is not None
    MilestoneUpdate.objects.filter(pk=update.pk).update(commentary=HOSTILE)
    assert_xlsx_neutral(render(build_report(plan.locality, NOVEMBER), "xlsx"), HOSTILE)


@pytest.mark.django_db
def test_statement_xlsx() -> None:
    from pbc.orgs.models import Practice

    Practice.objects.filter(code=PRACTICE_A).update(name=HOSTILE)
    response = client_for("locality").get(
        "/finance/localities/dacorum/statement.xlsx?month=2009-01"
    )
    assert response.status_code == 200
    assert_xlsx_neutral(response.content, HOSTILE)


def test_quarantine_csv(tmp_path: Path) -> None:
    from pbc.warehouse.ingest import import_file
    from pbc.warehouse.schema import Dataset, Field

    dataset = Dataset(
        name="coded",
        description="one coded field",
        key=("row_id",),
        fields=(
            Field("row_id", "string", True),
            Field("point_of_delivery", "string", True, codes=frozenset({"EL", "DC"})),
        ),
    )
    hostile = [HOSTILE, "+1+1", "@SUM(A1)", "-1+1", "\t=1", "\r=1"]
    source = tmp_path / "coded.csv"
    with open(source, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)  # the test's own source file, not a pbc export
        writer.writerow(["row_id", "point_of_delivery"])
        writer.writerow(["ok", "EL"])
        writer.writerows([f"r{i}", value] for i, value in enumerate(hostile))
    result = import_file(dataset, source, data_dir=tmp_path / "data")
    assert result.rows_rejected == len(hostile) and result.quarantine_path
    with open(result.quarantine_path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    # the importer trims the tab and carriage return off the last two (the unit tests below
    # cover those starts); what reaches the file is "=1"
    assert_csv_neutral(text, *hostile[:4], "=1")


@pytest.mark.django_db
def test_indicator_csv_and_xlsx() -> None:
    from pbc.indicators.views import _download

    table = [["indicator", "title", "value"], ["x", HOSTILE, -1.5], ["y", "-1+1", 2]]
    assert_csv_neutral(_download(table, "x", "csv").content.decode(), HOSTILE, "-1+1")
    assert_xlsx_neutral(_download(table, "x", "xlsx").content, HOSTILE, "-1+1")
    rows = list(csv.reader(io.StringIO(_download(table, "x", "csv").content.decode())))
    assert rows[1][2] == "-1.5"  # a number stays a number


@pytest.mark.django_db
def test_case_finding_csv() -> None:
    from django.utils import timezone

    from pbc.population.models import RiskModel, RiskScore

    model = RiskModel.objects.create(
        trained_at=timezone.now(), kind="logistic_regression", train_year="2006/07",
        evaluation_year="2007/08", path="/nowhere.joblib", features=["age"], card={},
        scored_at=timezone.now(), score_date="2009-04-01",
    )  # fmt: skip
    RiskScore.objects.create(
        model=model, nhs_number="9434765919", gp_practice_code=PRACTICE_A, rank=1, score=0.5,
        age=60, sex="F", deprivation_quintile=1, emergency_admissions=2, factors=[HOSTILE],
    )  # fmt: skip
    response = client_for("analyst").get(
        f"/population/practices/{PRACTICE_A}/case-finding/?format=csv"
    )
    assert response.status_code == 200
    assert_csv_neutral(response.content.decode(), HOSTILE)


@pytest.mark.django_db
def test_board_pack_xlsx() -> None:
    from pbc.orgs.models import Locality
    from pbc.plans.models import Plan
    from pbc.reports import board, formats

    Plan.objects.filter(slug="dacorum-2008-09").update(title=HOSTILE)
    pack = board.build(Locality.objects.get(slug="dacorum"), JANUARY)
    assert_xlsx_neutral(formats.render(pack, "xlsx"), HOSTILE)


def test_plan_document_xlsx(tmp_path: Path) -> None:
    from pbc.plans.reading import read_plan, write_xlsx
    from pbc.plans.reading.model import ParsedObjective, ParsedPlan

    plan = ParsedPlan(
        filename="plan.xlsx",
        financial_year="2009/10",
        title=HOSTILE,
        objectives=[ParsedObjective("Access", "@Improve access", actions=["- see more people"])],
    )
    out = tmp_path / "plan.xlsx"
    write_xlsx(plan, out)
    assert_xlsx_neutral(out.read_bytes(), HOSTILE, "@Improve access", "- see more people")
    again = read_plan(out.read_bytes(), filename="plan.xlsx", financial_year="2009/10")
    assert [o.title for o in again.objectives] == ["@Improve access"]  # the text round-trips


# The writer itself, and the rule that it is the only one.

SRC = Path(__file__).resolve().parents[1] / "src" / "pbc"
WRITERS = re.compile(
    r"csv\.writer|csv\.DictWriter|openpyxl\.Workbook|openpyxl\.workbook|xlsxwriter"
    r"|from openpyxl import [^\n]*\bWorkbook\b|\.write_csv\(|\.to_csv\(|\bCOPY\b[^\n]*\bTO\b"
)
# Files allowed to write CSV/XLSX without pbc.exports, each for a reason:
NOT_EXPORTS = {
    "exports.py": "the safe writer itself",
    # synthetic source files in published layouts for `pbc import`, every value generated by
    # pbc (nothing a user typed); quoting them would change what the importer reads
    "synth/generator.py": "synthetic input files",
}


def test_every_csv_and_xlsx_goes_through_the_one_writer() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel in NOT_EXPORTS:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if WRITERS.search(line):
                offenders.append(f"src/pbc/{rel}:{number}: {line.strip()}")
    assert offenders == [], "write CSV and XLSX through pbc.exports:\n" + "\n".join(offenders)
    # the rule would catch what it should
    assert WRITERS.search("w = csv.writer(fh)") and WRITERS.search("from openpyxl import Workbook")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'=1+1", "'=1+1"),  # already neutral: unchanged (idempotent)
        ("-12.50", "-12.50"),  # a plain number as text is only that number
        ("+44", "+44"),
        ("a=1", "a=1"),
        ("", ""),
        (-3, -3),
        (Decimal("-1.50"), Decimal("-1.50")),
        (None, None),
    ],
)
def test_neutral(value: Any, cell: Any) -> None:
    from pbc.exports import neutral

    assert neutral(value) == cell


def test_csv_keeps_numbers_and_quotes_every_string() -> None:
    from pbc.exports import csv_text

    text = csv_text([["a", "b", "c", "d", "e"], [-1.5, Decimal("-2.00"), "a;=1+1", None, "=1"]])
    assert text.splitlines() == ['"a","b","c","d","e"', '-1.5,-2.00,"a;=1+1","","\'=1"']
    assert list(csv.reader(io.StringIO(text)))[1] == ["-1.5", "-2.00", "a;=1+1", "", "'=1"]


def test_xlsx_has_no_formula_and_keeps_values(tmp_path: Path) -> None:
    from pbc.exports import Workbook, table_xlsx

    data = table_xlsx([["text", "number"], ["=1+1", -2], ["-1+1", 3.5], ["plain", None]], "T")
    assert_xlsx_neutral(data, "=1+1", "-1+1")
    sheet = load_workbook(io.BytesIO(data))["T"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["text", "number"], ["=1+1", -2], ["-1+1", 3.5], ["plain", None]
    ]  # fmt: skip
    assert sheet["B2"].data_type == "n" and not sheet["A4"].quotePrefix
    book = Workbook()  # saved to a path too, not only through table_xlsx
    assert book.active is not None
    book.active["A1"] = "@cmd"
    book.save(tmp_path / "b.xlsx")
    assert_xlsx_neutral((tmp_path / "b.xlsx").read_bytes(), "@cmd")


def test_xlsx_replaces_control_characters_xml_cannot_hold(tmp_path: Path) -> None:
    """A stray control character (pasted from Word, or a broken file) never breaks a download."""
    from pbc.exports import Workbook, table_xlsx

    data = table_xlsx([["reason"], ["late\x0bcoded"], ["=x\x00"]], "T")
    sheet = load_workbook(io.BytesIO(data))["T"]
    assert [c.value for c in sheet["A"]] == ["reason", "late\ufffdcoded", "=x\ufffd"]
    assert_xlsx_neutral(data, "=x\ufffd")
    book = Workbook()
    extra = book.create_sheet("More")
    extra.cell(row=1, column=1, value="a\x1fb")
    extra["B1"] = "\x07bell"
    book.save(tmp_path / "c.xlsx")
    more = load_workbook(tmp_path / "c.xlsx")["More"]
    assert (more["A1"].value, more["B1"].value) == ("a\ufffdb", "\ufffdbell")


@pytest.mark.django_db
def test_challenge_schedule_xlsx_with_a_control_character_in_the_reason() -> None:
    from pbc.validation import actions
    from pbc.validation.models import Finding, Status

    finding = (
        Finding.objects.filter(
            practice__code=PRACTICE_A, provider_code="RWG", in_force=True, status=Status.OPEN
        )
        .exclude(amount=0)
        .order_by("key")
        .first()
    )
    assert finding is not None
    actions.decide(user("practice"), finding.pk, "challenge", "coded twice\x0bsee letter")
    actions.sign_off(user("locality"), [finding.pk])
    xlsx = client_for("locality").get("/validation/localities/dacorum/schedule.xlsx?provider=RWG")
    assert xlsx.status_code == 200
    strings = {
        c.value
        for sheet in load_workbook(io.BytesIO(xlsx.content)).worksheets
        for row in sheet.iter_rows()
        for c in row
    }
    assert "coded twice\ufffdsee letter" in strings
