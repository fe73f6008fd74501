"""The ePCN file in every published form: the workbook's two sheets (PCN details, practice to
PCN membership) and ODS Data Search and Export's reports of the same (epcn,
epcncorepartnerdetails) as CSV with or without their header row. The PCN details name the
app's PCNs and place each under its sub-ICB location."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from tests.warehouse.real_samples import write_csv, write_xlsx
from tests.warehouse.test_layouts_practices import epraccur_row
from typer.testing import CliRunner

from pbc.cli import app
from pbc.orgs.models import Locality, OrgLink, Practice
from pbc.warehouse.ingest import import_file

runner = CliRunner()

DETAILS_HEADER = [
    "PCN Code", "PCN Name", "Current Sub ICB Loc Code", "Sub ICB Location", "Open Date",
    "Close Date", "Address Line 1", "Address Line 2", "Address Line 3", "Address Line 4",
    "Address Line 5", "Postcode",
]  # fmt: skip
DETAILS = [
    ["U81001", "GREATER MIDDLESBROUGH PCN", "16C", "NHS TEES VALLEY", "20200401", "",
     "1 HIGH STREET", "", "", "MIDDLESBROUGH", "", "TS1 1AA"],
    ["U81002", "OLD PCN", "16C", "NHS TEES VALLEY", "20190701", "20200331", "2 LOW STREET",
     "", "", "MIDDLESBROUGH", "", "TS1 1AB"],
]  # fmt: skip
# DSE's epcncorepartnerdetails report: "Location" spelt out, and a match column at the end.
PARTNER_HEADER = [
    "Partner Organisation Code", "Partner Name", "Practice Parent Sub ICB Location Code",
    "Practice Parent Sub ICB Location Name", "PCN Code", "PCN Name",
    "PCN Parent Sub ICB Location Code", "PCN Parent Sub ICB Location Name",
    "Practice to PCN Relationship Start Date", "Practice to PCN Relationship End Date",
    "Practice Sub ICB and PCN Sub ICB Match?",
]  # fmt: skip
PARTNERS = [
    ["A81001", "THE DENSHAM SURGERY", "16C", "NHS TEES VALLEY", "U81001", "GTR MIDDLESBRO PCN",
     "16C", "NHS TEES VALLEY", "20200401", "", "Yes"],
    ["A81002", "QUEENS PARK MEDICAL CENTRE", "16C", "NHS TEES VALLEY", "U81001",
     "GTR MIDDLESBRO PCN", "16C", "NHS TEES VALLEY", "20200401", "", "Yes"],
    ["A81004", "ACKLAM MEDICAL CENTRE", "16C", "NHS TEES VALLEY", "U81002", "OLD PCN", "16C",
     "NHS TEES VALLEY", "20190701", "20200331", "Yes"],
]  # fmt: skip


@pytest.fixture
def own_data(settings: object, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"  # type: ignore[attr-defined]
    return tmp_path


def stored(data: Path, dataset: str, columns: str) -> list[tuple[object, ...]]:
    return duckdb.sql(
        f"SELECT {columns} FROM read_parquet('{data}/warehouse/{dataset}/**/*.parquet', "
        "hive_partitioning = false) ORDER BY ALL"
    ).fetchall()


@pytest.mark.django_db
def test_the_workbook_loads_both_sheets_and_names_the_pcns(own_data: Path) -> None:
    practices = [
        epraccur_row("A81001", "THE DENSHAM SURGERY", "Y63", "QHM", "16C", "20220701"),
        epraccur_row("A81002", "QUEENS PARK MEDICAL CENTRE", "Y63", "QHM", "16C", "20220701"),
        epraccur_row("A81004", "ACKLAM MEDICAL CENTRE", "Y63", "QHM", "16C", "20220701"),
    ]
    workbook = write_xlsx(
        own_data / "ePCN.xlsx",
        [PARTNER_HEADER, *PARTNERS],
        before=[("PCNDetails", [DETAILS_HEADER, *DETAILS])],
    )
    for dataset, path, layout, loaded in (
        ("practices", write_csv(own_data / "epraccur.csv", practices), "epraccur", 3),
        ("pcn_memberships", workbook, "epcn", 3),
        ("pcns", workbook, "epcn_details", 2),
    ):
        result = runner.invoke(app, ["import", dataset, str(path), "--json"])
        assert result.exit_code == 0, result.output
        record = json.loads(result.stdout)
        assert (record["layout"], record["rows_loaded"], record["rows_flagged"]) == (
            layout, loaded, 0,
        )  # fmt: skip
        assert record["rows_read"] == loaded and not record.get("ignored_columns")
    assert stored(own_data, "pcns", "pcn_code, commissioner_code, open_date, close_date") == [
        ("U81001", "16C", dt.date(2020, 4, 1), None),
        ("U81002", "16C", dt.date(2019, 7, 1), dt.date(2020, 3, 31)),
    ]
    densham = Practice.objects.get(code="A81001")
    # named by the PCN details, not the membership sheet's abbreviation
    assert densham.locality.kind == Locality.Kind.PCN
    assert densham.locality.name == "GREATER MIDDLESBROUGH PCN"
    link = OrgLink.objects.get(child_kind="pcn", child_code="U81002")
    assert (link.parent_kind, link.parent_code, link.source) == ("commissioner", "16C", "epcn")
    assert (str(link.start_date), str(link.end_date)) == ("2019-07-01", "2020-03-31")


def test_dse_reports_with_and_without_header_load_the_same_rows(tmp_path: Path) -> None:
    """DSE's reports as CSV: with their header row (read by name) and without (read by the
    columns' positions) give the same stored rows."""
    forms = {
        "pcn_memberships": (PARTNER_HEADER, PARTNERS, "epcn", "epcn_dse"),
        "pcns": (DETAILS_HEADER, DETAILS, "epcn_details", "epcn_details_dse"),
    }
    for dataset, (header, rows, headed_layout, bare_layout) in forms.items():
        headed = import_file(
            dataset, write_csv(tmp_path / f"{dataset}_h.csv", [header, *rows]),
            data_dir=tmp_path / f"{dataset}_h",
        )  # fmt: skip
        bare = import_file(
            dataset, write_csv(tmp_path / f"{dataset}_b.csv", rows),
            data_dir=tmp_path / f"{dataset}_b",
        )  # fmt: skip
        assert (headed.layout, bare.layout) == (headed_layout, bare_layout)
        assert headed.rows_loaded == bare.rows_loaded == len(rows)
        assert headed.ignored_columns == ()
        assert stored(tmp_path / f"{dataset}_h", dataset, "*") == stored(
            tmp_path / f"{dataset}_b", dataset, "*"
        )


def test_bad_rows_are_quarantined_naming_row_and_field(tmp_path: Path) -> None:
    rows = [*DETAILS, ["", "NAMELESS", "16C", "", "20200401", "", "", "", "", "", "", ""],
            ["U81003", "BAD DATE PCN", "16C", "", "2020-13-01", "", "", "", "", "", "", ""]]  # fmt: skip
    result = import_file(
        "pcns", write_csv(tmp_path / "epcn.csv", [DETAILS_HEADER, *rows]), data_dir=tmp_path
    )
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    with open(str(result.quarantine_path), newline="") as fh:
        bad = [(r["source_row"], r["field"]) for r in csv.DictReader(fh)]
    assert bad == [("4", "pcn_code"), ("5", "open_date")]


def test_earlier_10_column_membership_sheet_without_header_loads_by_position(
    tmp_path: Path,
) -> None:
    """The membership sheet of the earlier (CCG-era) workbooks has no "Match?" column: saved
    without its header it has 10 columns, read by the same positions, giving the rows the
    headed sheet gives."""
    header = [h.replace("Sub ICB Location", "CCG") for h in PARTNER_HEADER[:10]]
    rows = [r[:10] for r in PARTNERS]
    headed = import_file(
        "pcn_memberships", write_csv(tmp_path / "h.csv", [header, *rows]), data_dir=tmp_path / "h"
    )
    bare = import_file(
        "pcn_memberships", write_csv(tmp_path / "b.csv", rows), data_dir=tmp_path / "b"
    )
    assert (headed.layout, bare.layout) == ("epcn", "epcn_headerless_10")
    assert headed.rows_loaded == bare.rows_loaded == 3 and bare.rows_rejected == 0
    assert stored(tmp_path / "h", "pcn_memberships", "*") == stored(
        tmp_path / "b", "pcn_memberships", "*"
    )
    assert ("A81004", "U81002", dt.date(2020, 3, 31)) in stored(
        tmp_path / "b", "pcn_memberships", "gp_practice_code, pcn_code, end_date"
    )
