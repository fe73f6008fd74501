"""The ODS CCG / sub-ICB location file (eccg, the ODS standard 27-column organisation layout,
headerless) loads as published into `commissioners` and names and places the app's
commissioners: CCGs of 2013-2022 under their area team or STP, sub-ICB locations since July
2022 under their ICB. ODS files with a header row a redistribution added load the same."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from tests.warehouse.real_samples import sample, write_csv
from tests.warehouse.test_layouts_practices import epraccur_row
from typer.testing import CliRunner

from pbc.cli import app
from pbc.orgs.models import OrgLink, Pct, Practice
from pbc.warehouse.ingest import import_file

runner = CliRunner()

# The ODS standard layout's field names: what a redistribution's header row says.
STANDARD_HEADER = [
    "Organisation Code", "Name", "National Grouping", "High Level Health Geography",
    "Address Line 1", "Address Line 2", "Address Line 3", "Address Line 4", "Address Line 5",
    "Postcode", "Open Date", "Close Date", "Null", "Organisation Sub-Type Code",
    "Parent Organisation Code", "Null", "Null", "Contact Telephone Number", "Null", "Null",
    "Null", "Amended Record Indicator", "Null", "GOR Code", "Null", "Null", "Null",
]  # fmt: skip


def eccg_row(code: str, name: str, region: str, parent: str, opened: str, closed: str = "",
             amended: str = "0") -> list[str]:  # fmt: skip
    """One eccg record, 27 columns in the ODS standard layout's positions."""
    row = [""] * 27
    row[0], row[1], row[2], row[3] = code, name, region, parent
    row[4], row[7], row[9] = "1 HIGH STREET", "TOWN", "AB1 2CD"
    row[10], row[11], row[13], row[21] = opened, closed, "C", amended
    return row


# A CCG-era file (2015: area teams Q74, Q49 above the CCGs; 00F closed in March 2015) and a
# current one (sub-ICB locations under their ICB, a 5-character merged code, a sub-ICB
# reporting entity that is no commissioner).
CCG_ERA = [
    eccg_row("00C", "NHS DARLINGTON CCG", "Y54", "Q74", "20130401"),
    eccg_row("00F", "NHS GATESHEAD CCG", "Y54", "Q49", "20130401", "20150331"),
]
SUB_ICB_ERA = [
    eccg_row("15E", "NHS BIRMINGHAM AND SOLIHULL ICB - 15E", "Y60", "QHL", "20130401"),
    eccg_row("D2P2L", "NHS BLACK COUNTRY ICB - D2P2L", "Y60", "QUA", "20200401"),
    eccg_row("Z000X", "HOUNSLOW - SUB-ICB REPORTING ENTITY", "Y56", "QRV", "20240401", amended="1"),
]


@pytest.fixture
def own_data(settings: object, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"  # type: ignore[attr-defined]
    return tmp_path


def stored(data: Path, dataset: str, columns: str) -> list[tuple[object, ...]]:
    return duckdb.sql(
        f"SELECT {columns} FROM read_parquet('{data}/warehouse/{dataset}/**/*.parquet', "
        "hive_partitioning = false) ORDER BY 1"
    ).fetchall()


@pytest.mark.django_db
def test_eccg_loads_and_names_commissioners_of_both_eras(own_data: Path) -> None:
    path = write_csv(own_data / "eccg.csv", CCG_ERA + SUB_ICB_ERA)
    result = runner.invoke(app, ["import", "commissioners", str(path), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["layout"] == "eccg"
    assert (record["rows_read"], record["rows_loaded"], record["rows_rejected"]) == (5, 5, 0)
    assert record["rows_dropped"] == 0
    assert record["rows_flagged"] == 1  # Z000X: not a commissioner code
    rows = stored(
        own_data, "commissioners",
        "commissioner_code, commissioner_name, region_code, parent_code, open_date, close_date",
    )  # fmt: skip
    assert [(r[0], r[2], r[3], str(r[4]), r[5] and str(r[5])) for r in rows] == [
        ("00C", "Y54", "Q74", "2013-04-01", None),
        ("00F", "Y54", "Q49", "2013-04-01", "2015-03-31"),
        ("15E", "Y60", "QHL", "2013-04-01", None),
        ("D2P2L", "Y60", "QUA", "2020-04-01", None),
        ("Z000X", "Y56", "QRV", "2024-04-01", None),
    ]

    darlington = Pct.objects.get(code="00C")
    assert (darlington.name, darlington.kind) == ("NHS DARLINGTON CCG", "ccg")
    assert (darlington.parent_code, darlington.region_code) == ("Q74", "Y54")
    assert OrgLink.objects.filter(
        child_code="00C", parent_kind="sha_or_area_team", parent_code="Q74", source="eccg"
    ).exists()
    birmingham = Pct.objects.get(code="15E")
    assert birmingham.name == "NHS BIRMINGHAM AND SOLIHULL ICB - 15E"
    assert birmingham.kind == "sub_icb_location"  # the same code was a CCG to June 2022
    assert (birmingham.parent_code, birmingham.region_code) == ("QHL", "Y60")
    assert OrgLink.objects.filter(child_code="15E", parent_kind="icb", parent_code="QHL").exists()
    assert (Pct.objects.get(code="D2P2L").parent_code, Pct.objects.get(code="D2P2L").kind) == (
        "QUA", "sub_icb_location",
    )  # fmt: skip
    assert Pct.objects.get(code="00F").name == "NHS GATESHEAD CCG"  # closed, kept by its code
    assert not Pct.objects.filter(code="Z000X").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("eccg_first", [True, False])
def test_eccg_parent_and_name_win_over_the_practices_in_either_order(
    own_data: Path, eccg_first: bool
) -> None:
    """Since 2025 epraccur's column 4 is the ICB of the practice's postcode: a practice near a
    boundary names another ICB (QJ2) than its sub-ICB location's (QHL), and most of 15E's
    practices here do. The eccg file says 15E's ICB, whichever file is imported first."""
    practices = [
        epraccur_row("M85001", "ONE", "Y60", "QJ2", "15E", "20220701"),
        epraccur_row("M85002", "TWO", "Y60", "QJ2", "15E", "20220701"),
        epraccur_row("M85003", "THREE", "Y60", "QHL", "15E", "20220701"),
    ]
    files = [
        ("commissioners", write_csv(own_data / "eccg.csv", SUB_ICB_ERA)),
        ("practices", write_csv(own_data / "epraccur.csv", practices)),
    ]
    for dataset, path in files if eccg_first else files[::-1]:
        result = runner.invoke(app, ["import", dataset, str(path), "--json"])
        assert result.exit_code == 0, result.output
    birmingham = Pct.objects.get(code="15E")
    assert birmingham.name == "NHS BIRMINGHAM AND SOLIHULL ICB - 15E"
    assert birmingham.parent_code == "QHL"
    assert Practice.objects.get(code="M85001").locality.pct == birmingham


def test_a_header_row_is_recognised_and_gives_the_same_rows(tmp_path: Path) -> None:
    """eccg and epraccur with the header row some redistributions add: detected, skipped, and
    the rows stored equal those of the headerless file."""
    plain = import_file(
        "commissioners", write_csv(tmp_path / "eccg.csv", CCG_ERA), data_dir=tmp_path / "a"
    )
    headed = import_file(
        "commissioners",
        write_csv(tmp_path / "eccg_headed.csv", [STANDARD_HEADER, *CCG_ERA]),
        data_dir=tmp_path / "b",
    )
    assert plain.layout == headed.layout == "eccg"
    assert (headed.rows_read, headed.rows_loaded, headed.rows_rejected) == (2, 2, 0)
    columns = "commissioner_code, commissioner_name, region_code, parent_code, open_date"
    assert stored(tmp_path / "a", "commissioners", columns) == stored(
        tmp_path / "b", "commissioners", columns
    )

    published = sample("practices/epraccur_sample.csv")
    with open(published, newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh) if r]
    header = ["Organisation Code", *STANDARD_HEADER[1:]]
    header[12], header[14], header[25] = "Status Code", "Commissioner", "Prescribing Setting"
    plain = import_file("practices", published, data_dir=tmp_path / "c")
    headed = import_file(
        "practices", write_csv(tmp_path / "epraccur_headed.csv", [header, *rows]),
        data_dir=tmp_path / "d",
    )  # fmt: skip
    assert plain.layout == headed.layout == "epraccur"
    assert (headed.rows_read, headed.rows_loaded) == (plain.rows_read, plain.rows_loaded) == (4, 4)
    columns = "gp_practice_code, practice_name, pct_code, parent_code, open_date, status_code"
    assert stored(tmp_path / "c", "practices", columns) == stored(
        tmp_path / "d", "practices", columns
    )


def test_a_bad_date_is_quarantined_naming_file_row_and_field(tmp_path: Path) -> None:
    rows = [*CCG_ERA, eccg_row("00D", "NHS DURHAM DALES CCG", "Y54", "Q74", "20131301")]
    result = import_file("commissioners", write_csv(tmp_path / "eccg.csv", rows), data_dir=tmp_path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    with open(str(result.quarantine_path), newline="") as fh:
        [bad] = list(csv.DictReader(fh))
    assert (bad["source_row"], bad["field"], bad["value"]) == ("3", "open_date", "20131301")


def test_importing_eccg_again_replaces_it_whole(tmp_path: Path) -> None:
    """Reference data: the same file twice stores the same rows; a newer file replaces them."""
    path = write_csv(tmp_path / "eccg.csv", CCG_ERA)
    import_file("commissioners", path, data_dir=tmp_path)
    import_file("commissioners", path, data_dir=tmp_path)
    assert [r[0] for r in stored(tmp_path, "commissioners", "commissioner_code")] == ["00C", "00F"]
    import_file("commissioners", write_csv(tmp_path / "new.csv", SUB_ICB_ERA), data_dir=tmp_path)
    codes = [r[0] for r in stored(tmp_path, "commissioners", "commissioner_code")]
    assert codes == ["15E", "D2P2L", "Z000X"]
