"""The ODS practice file (headerless epraccur) and the ePCN workbook load as published and
create practices, PCNs and commissioners of every era in the app; a practice user of a
practice of today sees its own prescribing dashboard."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from tests.warehouse.real_samples import read_rows, sample, write_csv, write_xlsx
from typer.testing import CliRunner

from pbc.cli import app
from pbc.orgs.actions import grant_membership
from pbc.orgs.models import Locality, OrgLink, Pct, Practice
from pbc.orgs.roles import Role
from pbc.warehouse.ingest import import_file

runner = CliRunner()
EPRACCUR = "practices/epraccur_sample.csv"


@pytest.fixture
def own_data(settings: object, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"  # type: ignore[attr-defined]
    return tmp_path


def epraccur_row(code: str, name: str, region: str, parent: str, commissioner: str,
                 joined: str, status: str = "A", setting: str = "4") -> list[str]:  # fmt: skip
    """One epraccur record, 27 columns in their documented positions."""
    row = [""] * 27
    row[0], row[1], row[2], row[3] = code, name, region, parent
    row[4], row[9], row[10] = "1 HIGH STREET", "AB1 2CD", "19740401"
    row[12], row[13], row[14], row[15] = status, "B", commissioner, joined
    row[17], row[21], row[23], row[25] = "01234 567890", "0", commissioner, setting
    return row


@pytest.mark.django_db
def test_epraccur_sample_loads_and_creates_ccg_era_organisations(own_data: Path) -> None:
    result = runner.invoke(app, ["import", "practices", str(sample(EPRACCUR)), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["layout"] == "epraccur"
    assert (record["rows_read"], record["rows_loaded"], record["rows_rejected"]) == (4, 4, 0)
    assert record["rows_dropped"] == 0 and record["rows_flagged"] == 0
    stored = duckdb.sql(
        f"SELECT gp_practice_code, pct_code, region_code, parent_code, status_code, "
        f"commissioner_start_date FROM read_parquet('{own_data}/warehouse/practices/**/*.parquet') "
        "ORDER BY 1"
    ).fetchall()
    assert [r[:5] for r in stored] == [
        ("B85010", "03A", "Y54", "Q72", "A"),
        ("B85054", "03A", "Y54", "Q72", "A"),
        ("L84018", "11M", "Y57", "Q82", "A"),
        ("L84073", "11M", "Y57", "Q82", "A"),
    ]
    ccg = Pct.objects.get(code="11M")
    assert (ccg.kind, ccg.parent_code, ccg.region_code) == ("ccg_or_sub_icb", "Q82", "Y57")
    acorn = Practice.objects.get(code="L84073")
    assert acorn.locality.kind == Locality.Kind.NO_PCN and acorn.locality.pct == ccg
    assert OrgLink.objects.filter(
        child_code="L84073", parent_code="11M", start_date="2013-04-01"
    ).exists()


def test_every_era_of_commissioner_loads_unflagged(tmp_path: Path) -> None:
    rows = [
        epraccur_row("E82001", "PCT ERA", "Y09", "Q35", "5P3", "20020401"),
        epraccur_row("E82002", "CARE TRUST", "Y09", "Q35", "TAK", "20020401"),
        epraccur_row("E82003", "NATIONAL", "Y09", "Q35", "YDD82", "20130401"),
        epraccur_row("E82004", "FIVE CHARACTERS", "Y09", "Q35", "5P200", "20020401"),
        epraccur_row("E82005", "CCG FORM", "Y09", "Q35", "00C00", "20130401"),
        epraccur_row("A81001", "SUB-ICB ERA", "Y63", "QHM", "16C", "20220701"),
        epraccur_row("Y02696", "WALK-IN CENTRE", "Y63", "QHM", "16C", "20220701", setting="3"),
    ]
    result = import_file("practices", write_csv(tmp_path / "epraccur.csv", rows), data_dir=tmp_path)
    assert result.layout == "epraccur"
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (7, 7, 0)
    assert result.rows_flagged == 0


@pytest.mark.django_db
def test_current_files_create_todays_practices_and_a_practice_user_sees_its_dashboard(
    own_data: Path,
) -> None:
    """Current ODS files (sub-ICB and ICB codes, PCNs) as their published layouts describe
    them; then prescribing for one of the practices, and its user's dashboard."""
    epraccur = [
        epraccur_row("A81001", "THE DENSHAM SURGERY", "Y63", "QHM", "16C", "20220701"),
        epraccur_row("A81002", "QUEENS PARK MEDICAL CENTRE", "Y63", "QHM", "16C", "20220701"),
        epraccur_row("A81004", "ACKLAM MEDICAL CENTRE", "Y63", "QHM", "16C00", "20220701"),
    ]
    path = write_csv(own_data / "epraccur.csv", epraccur)
    result = runner.invoke(app, ["import", "practices", str(path), "--json"])
    assert result.exit_code == 0, result.output
    partners = [
        ["Partner Organisation Code", "Partner Name", "Practice Parent Sub ICB Loc Code",
         "Practice Parent Sub ICB Loc Name", "PCN Code", "PCN Name", "PCN Parent Sub ICB Loc Code",
         "PCN Parent Sub ICB Loc Name", "Practice to PCN Relationship Start Date",
         "Practice to PCN Relationship End Date"],
        ["A81001", "THE DENSHAM SURGERY", "16C", "NHS TEES VALLEY", "U81001", "GREATER MIDDLESBROUGH PCN",
         "16C", "NHS TEES VALLEY", "20200401", ""],
        ["A81002", "QUEENS PARK MEDICAL CENTRE", "16C", "NHS TEES VALLEY", "U81001",
         "GREATER MIDDLESBROUGH PCN", "16C", "NHS TEES VALLEY", "20200401", ""],
        ["A81004", "ACKLAM MEDICAL CENTRE", "16C", "NHS TEES VALLEY", "U81002", "OLD PCN", "16C",
         "NHS TEES VALLEY", "20190701", "20200331"],
    ]  # fmt: skip
    details = [["PCN Code", "PCN Name", "Current Sub ICB Loc Code"], ["U81001", "GREATER", "16C"]]
    workbook = write_xlsx(own_data / "ePCN.xlsx", partners, before=[("PCN Details", details)])
    result = runner.invoke(app, ["import", "pcn_memberships", str(workbook), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["layout"] == "epcn"
    assert (record["rows_read"], record["rows_loaded"], record["rows_flagged"]) == (3, 3, 0)

    sub_icb = Pct.objects.get(code="16C")
    assert sub_icb.parent_code == "QHM" and sub_icb.region_code == "Y63"
    densham = Practice.objects.get(code="A81001")
    assert densham.locality.kind == Locality.Kind.PCN and densham.locality.code == "U81001"
    assert densham.locality.pct == sub_icb
    acklam = Practice.objects.get(code="A81004")  # left its PCN: in no PCN today
    assert acklam.locality.kind == Locality.Kind.NO_PCN
    assert OrgLink.objects.filter(child_code="A81004", parent_code="U81002").get().end_date

    epd = read_rows(sample("prescribing/epd_2017_09_sample.csv"))
    head = epd[0]
    body = [r for r in epd[1:] if r[head.index("PRACTICE_CODE")] == "L84073"]
    for r in body:
        r[head.index("PRACTICE_CODE")] = "A81001"
        r[head.index("YEAR_MONTH")] = "202403"
    path = write_csv(own_data / "epd_202403.csv", [head, *body])
    result = runner.invoke(app, ["import", "prescribing", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows_flagged"] == 0

    user = get_user_model().objects.create_user("densham", password="a long passphrase 42")
    grant_membership(None, user, Role.PRACTICE_USER, densham)
    client = Client()
    client.force_login(user)
    page = client.get(f"/indicators/practices/{densham.code}/")
    assert page.status_code == 200
    assert "THE DENSHAM SURGERY" in page.content.decode()
    assert client.get("/indicators/practices/A81002/").status_code in (403, 404)


@pytest.mark.django_db
def test_epraccur_as_data_search_and_export_writes_status_and_role(own_data: Path) -> None:
    """ODS's DSE epraccur report: status ACTIVE / INACTIVE and the GP practice role RO76 read
    as the legacy A / C and setting 4; a walk-in centre (another role) is still skipped."""
    rows = [
        epraccur_row("M88004", "SANDWELL HC", "Y60", "QUA", "D2P2L", "20220701", "ACTIVE", "RO76"),
        epraccur_row(
            "M88009", "OLD SURGERY", "Y60", "QUA", "D2P2L", "20220701", "INACTIVE", "RO76"
        ),  # fmt: skip
        epraccur_row("Y02905", "WALK IN", "Y60", "QUA", "D2P2L", "20220701", "ACTIVE", "RO87"),
    ]
    path = write_csv(own_data / "epraccur.csv", rows)
    result = runner.invoke(app, ["import", "practices", str(path), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["layout"], record["rows_loaded"], record["rows_rejected"]) == ("epraccur", 3, 0)
    stored = duckdb.sql(
        "SELECT gp_practice_code, status_code, prescribing_setting FROM "
        f"read_parquet('{own_data}/warehouse/practices/**/*.parquet') ORDER BY 1"
    ).fetchall()
    assert stored == [("M88004", "A", "4"), ("M88009", "C", "4"), ("Y02905", "A", "RO87")]
    mine = Practice.objects.filter(code__in=["M88004", "M88009", "Y02905"])
    assert sorted(mine.values_list("code", "status")) == [
        ("M88004", "A"),
        ("M88009", "C"),
    ]


def test_epraccur_commissioner_falls_back_to_the_purchaser_column(tmp_path: Path) -> None:
    """Column 15 (Commissioner) blank: column 24 (Provider/Purchaser) names the practice's
    commissioner; where both are filled column 15 wins; a bad join date is quarantined naming
    the file, its row and field."""
    blank_15 = epraccur_row("P81001", "BLANK FIFTEEN", "Y54", "Q72", "", "20130401")
    blank_15[23] = "00T"
    differ = epraccur_row("P81002", "BOTH FILLED", "Y54", "Q72", "00V", "20130401")
    differ[23] = "00T"
    neither = epraccur_row("P81003", "NEITHER", "Y54", "Q72", "", "20130401")
    bad = epraccur_row("P81004", "BAD DATE", "Y54", "Q72", "00V", "20131301")
    path = write_csv(tmp_path / "epraccur.csv", [blank_15, differ, neither, bad])
    result = import_file("practices", path, data_dir=tmp_path / "d")
    assert (result.layout, result.rows_read, result.rows_loaded) == ("epraccur", 4, 3)
    got = dict(
        duckdb.sql(
            f"SELECT gp_practice_code, pct_code FROM read_parquet("
            f"'{tmp_path}/d/warehouse/practices/**/*.parquet')"
        ).fetchall()
    )
    assert got == {"P81001": "00T", "P81002": "00V", "P81003": None}
    assert result.source_name == "epraccur.csv"
    with open(str(result.quarantine_path), newline="") as fh:
        [line] = list(csv.DictReader(fh))
    assert (line["source_row"], line["field"], line["value"]) == (
        "4",
        "commissioner_start_date",
        "20131301",
    )


def test_epraccur_status_words_read_as_the_legacy_codes(tmp_path: Path) -> None:
    rows = [
        epraccur_row(f"P8200{i}", "P", "Y54", "Q72", "00V", "20130401", status=word)
        for i, word in enumerate(("ACTIVE", "Closed", "DORMANT", "Proposed", "INACTIVE"))
    ]
    result = import_file("practices", write_csv(tmp_path / "e.csv", rows), data_dir=tmp_path / "d")
    assert (result.rows_loaded, result.rows_rejected) == (5, 0)
    got = duckdb.sql(
        f"SELECT status_code FROM read_parquet('{tmp_path}/d/warehouse/practices/**/*.parquet') "
        "ORDER BY gp_practice_code"
    ).fetchall()
    assert [r[0] for r in got] == ["A", "C", "D", "P", "C"]
