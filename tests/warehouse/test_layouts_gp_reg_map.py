"""NHS Digital's GP practice mapping file (gp-reg-pat-prac-map.csv, "Patients Registered at a
GP Practice") loads as published into `practices` and `pcn_memberships`, from real excerpts of
the CCG era (January 2022) and of today (April 2026, sub-ICB locations and ICBs, the merged
ICBs' 5-character codes): every stored value equals the file's, practices in no PCN
("U", "Unallocated") are dropped and counted, and the app's organisations of today follow.
Sources: tests/data/real/README.md."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from pbc.cli import app
from pbc.orgs.models import Locality, OrgLink, Pct, Practice
from pbc.warehouse.ingest import import_file

runner = CliRunner()
REAL = Path(__file__).resolve().parents[1] / "data" / "real"
MAP_2022 = REAL / "gp-reg-pat-prac-map-2022-01-systemhierarchies.csv"
MAP_2026 = REAL / "gp-reg-pat-prac-map-2026-04-primarycareresearchmap.csv"


def published(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def stored(data_dir: Path, dataset: str) -> dict[str, dict[str, Any]]:
    rel = duckdb.connect().sql(
        f"SELECT * FROM read_parquet('{data_dir}/warehouse/{dataset}/**/*.parquet')"
    )
    rows = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
    return {r["gp_practice_code"]: r for r in rows}


@pytest.mark.parametrize(
    ("path", "commissioner", "parent", "extract", "unallocated"),
    [
        (MAP_2022, "CCG", "STP_CODE", "2022-01-01", 4),
        (MAP_2026, "SUB_ICB_LOCATION", "ICB_CODE", "2026-04-01", 2),
    ],
)
def test_mapping_file_loads_practices_and_pcns_as_published(
    tmp_path: Path, path: Path, commissioner: str, parent: str, extract: str, unallocated: int
) -> None:
    rows = published(path)
    data = tmp_path / "d"
    result = import_file("practices", path, data_dir=data)
    assert (result.layout, result.ignored_columns) == ("gp_reg_pat_map", ())
    assert (result.rows_read, result.rows_loaded, result.rows_dropped) == (len(rows), len(rows), 0)
    assert (result.rows_rejected, result.rows_flagged) == (0, 0)  # 5-character codes included
    practices = stored(data, "practices")
    for row in rows:
        got = practices[row["PRACTICE_CODE"]]
        assert got["practice_name"] == row["PRACTICE_NAME"]
        assert got["postcode"] == row["PRACTICE_POSTCODE"]
        assert got["pct_code"] == row[f"{commissioner}_CODE"]
        assert got["pct_name"] == row[f"{commissioner}_NAME"]
        assert got["parent_code"] == row[parent]
        assert got["region_code"] == row["COMM_REGION_CODE"]
        assert got["status_code"] is None and got["open_date"] is None  # not in this file

    result = import_file("pcn_memberships", path, data_dir=data)
    assert result.layout == "gp_reg_pat_map_pcn"
    assert (result.rows_read, result.rows_rejected) == (len(rows), 0)
    assert result.dropped == {"practice in no PCN (PCN_CODE U, 'Unallocated')": unallocated}
    assert result.rows_loaded == len(rows) - unallocated
    members = stored(data, "pcn_memberships")
    for row in rows:
        if row["PCN_CODE"] == "U":
            assert row["PRACTICE_CODE"] not in members
            continue
        got = members[row["PRACTICE_CODE"]]
        assert (got["pcn_code"], got["pcn_name"]) == (row["PCN_CODE"], row["PCN_NAME"])
        assert got["commissioner_code"] == row[f"{commissioner}_CODE"]
        assert str(got["start_date"]) == extract and got["end_date"] is None


def test_a_bad_extract_date_is_quarantined_naming_file_row_and_field(tmp_path: Path) -> None:
    text = MAP_2026.read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace("01-Apr-26", "31-Apr-26")  # line 4 of the file (A81004)
    path = tmp_path / "gp-reg-pat-prac-map.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    result = import_file("pcn_memberships", path, data_dir=tmp_path / "d")
    assert (result.rows_loaded, result.rows_rejected, result.rows_dropped) == (11, 1, 2)
    assert result.source_name == "gp-reg-pat-prac-map.csv"
    with open(str(result.quarantine_path), newline="") as fh:
        [line] = list(csv.DictReader(fh))
    assert (line["source_row"], line["field"], line["value"]) == ("4", "start_date", "31-Apr-26")


@pytest.fixture
def own_data(settings: object, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"  # type: ignore[attr-defined]
    return tmp_path


@pytest.mark.django_db
@pytest.mark.slow
def test_mapping_file_creates_todays_sub_icb_locations_icbs_and_pcns(own_data: Path) -> None:
    for dataset in ("practices", "pcn_memberships"):
        result = runner.invoke(app, ["import", dataset, str(MAP_2026), "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["layout"].startswith("gp_reg_pat_map")
    tees = Pct.objects.get(code="16C")
    assert tees.name == "NHS North East and North Cumbria ICB - 16C"  # SUB_ICB_LOCATION_NAME
    assert (tees.kind, tees.parent_code, tees.region_code) == ("sub_icb_location", "QHM", "Y63")
    assert OrgLink.objects.filter(child_code="16C", parent_kind="icb", parent_code="QHM").exists()
    # A sub-ICB location of a merged ICB (April 2026): the 5-character ICB code is an ICB.
    assert Pct.objects.get(code="W2U3Z").parent_code == "Z9B2Z"
    assert OrgLink.objects.filter(child_code="W2U3Z", parent_kind="icb", parent_code="Z9B2Z")
    densham = Practice.objects.get(code="A81001")
    assert densham.name == "THE DENSHAM SURGERY"
    assert (densham.locality.kind, densham.locality.code) == (Locality.Kind.PCN, "U89141")
    assert densham.locality.name == "STOCKTON PCN" and densham.locality.pct == tees
    assert (
        Practice.objects.get(code="A81006").locality == Practice.objects.get(code="A81002").locality
    )  # both NORTH STOCKTON PCN
    silver_end = Practice.objects.get(code="Y05023")  # PCN "U", Unallocated
    assert silver_end.locality.kind == Locality.Kind.NO_PCN
    assert silver_end.locality.pct.code == "06Q"
    codes = [row["PRACTICE_CODE"] for row in published(MAP_2026)]
    assert Practice.objects.filter(code__in=codes).count() == len(codes) == 14


EPRACCUR_2025 = REAL / "epraccur-2025-09-uk_frontend.csv"


@pytest.mark.django_db
@pytest.mark.slow
def test_a_current_ods_practice_file_and_the_mapping_files_pcns(own_data: Path) -> None:
    """A real epraccur of September 2025 (England and Wales: the Welsh practices' local
    health boards, 7A1 ... 7A7, once crashed the sync), then the April 2026 mapping file's
    PCNs: today's practices keep epraccur's status and dates and take their PCN."""
    result = runner.invoke(app, ["import", "practices", str(EPRACCUR_2025), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["layout"], record["rows_read"], record["rows_loaded"]) == ("epraccur", 12, 12)
    assert record["rows_flagged"] == 2  # W00005 (7A6), W00007 (7A1): not English commissioners
    made = set(Practice.objects.filter(code__regex=r"^[AMW]8?[0-9]").values_list("code", flat=True))
    assert {"A81001", "A81003", "A81634", "M87001", "M87003"} <= made
    assert not made & {"W00005", "W00007", "A83642", "A83643"}  # Wales; setting 8
    assert Practice.objects.get(code="A81634").status == "D"
    assert Pct.objects.get(code="D2P2L").parent_code == "QUA"

    result = runner.invoke(app, ["import", "pcn_memberships", str(MAP_2026), "--json"])
    assert result.exit_code == 0, result.output
    densham = Practice.objects.get(code="A81001")
    assert (densham.status, str(densham.open_date)) == ("A", "1974-04-01")  # epraccur's
    assert (densham.locality.code, densham.locality.name) == ("U89141", "STOCKTON PCN")
    assert Practice.objects.get(code="A81004").locality.name == "GREATER MIDDLESBROUGH PCN"
    assert Practice.objects.get(code="M87001").locality.kind == Locality.Kind.NO_PCN


EPCN_2022 = REAL / "ePCN-2022-05-pcn_hi_2022_des-excerpt.xlsx"
EPCN_2026 = REAL / "ePCN-2026-02-r-tutorials-excerpt.xlsx"


def sheet(path: Path, name: str) -> list[dict[str, Any]]:
    """A sheet of the real ePCN workbook as published, header cells' line breaks as spaces."""
    from openpyxl import load_workbook

    rows = list(load_workbook(path, read_only=True)[name].iter_rows(values_only=True))
    header = [" ".join(str(c).split()) for c in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


@pytest.mark.parametrize(("path", "parent"), [(EPCN_2022, "CCG"), (EPCN_2026, "Sub ICB Loc")])
def test_real_epcn_workbooks_load_both_sheets(tmp_path: Path, path: Path, parent: str) -> None:
    """ODS's ePCN.xlsx of May 2022 (CCG era: "Current Clinical Commissioning Group Code") and of
    February 2026: every column recognised, the PCN's commissioner loaded (it was left empty
    for the CCG-era workbook), dates and end dates as published."""
    data = tmp_path / "d"
    result = import_file("pcn_memberships", path, data_dir=data)
    core = sheet(path, "PCN Core Partner Details")
    assert (result.layout, result.ignored_columns) == ("epcn", ())
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (len(core), len(core), 0)
    members = stored(data, "pcn_memberships")
    for row in core:
        got = members[row["Partner Organisation Code"]]
        assert (got["pcn_code"], got["commissioner_code"]) == (
            row["PCN Code"],
            row[f"Practice Parent {parent} Code"],
        )
        assert (
            got["start_date"].strftime("%Y%m%d") == row["Practice to PCN Relationship Start Date"]
        )
        end = row["Practice to PCN Relationship End Date"]
        assert (got["end_date"].strftime("%Y%m%d") if got["end_date"] else None) == (end or None)
    assert any(m["end_date"] for m in members.values())  # a practice that left its PCN

    result = import_file("pcns", path, data_dir=data)
    details = sheet(path, "PCNDetails")
    assert (result.layout, result.ignored_columns) == ("epcn_details", ())
    assert (result.rows_loaded, result.rows_rejected, result.rows_flagged) == (len(details), 0, 0)
    rel = duckdb.connect().sql(
        f"SELECT pcn_code, commissioner_code, close_date FROM read_parquet("
        f"'{data}/warehouse/pcns/**/*.parquet')"
    )
    pcns = {code: (sub, close) for code, sub, close in rel.fetchall()}
    for row in details:
        sub, close = pcns[row["PCN Code"]]
        assert sub == list(row.values())[2] and sub  # Current ... Code, third column
        assert (close.strftime("%Y%m%d") if close else "") == (row["Close Date"] or "")


# Mapping files before the PCNs of July 2019: a reconstruction (no public copy was found). The
# headings are those a reader of the 2018-2019 files names (muschitiello/PrescRiptions,
# `checkDemogMap`): the usual form, and the form some months had (no PUBLICATION or
# EXTRACT_DATE; CODE, NAME, ..., REGION_CODE for the commissioning region). The codes are real
# organisations of 2018; the rows are illustrative.
PRE_PCN_HEADER = [
    "PUBLICATION", "EXTRACT_DATE", "PRACTICE_CODE", "PRACTICE_NAME", "PRACTICE_POSTCODE",
    "ONS_CCG_CODE", "CCG_CODE", "CCG_NAME", "STP_CODE", "STP_NAME", "ONS_REGION_CODE",
    "REGION_CODE", "REGION_NAME", "ONS_COMM_REGION_CODE", "COMM_REGION_CODE", "COMM_REGION_NAME",
]  # fmt: skip
PRE_PCN_ROWS = [
    ["GP_PRAC_PAT_LIST", "01APR2018", "A81001", "THE DENSHAM SURGERY", "TS18 1HU", "E38000075",
     "00K", "NHS HARTLEPOOL AND STOCKTON-ON-TEES CCG", "E54000050", "Durham, Darlington, Teesside",
     "E39000047", "Q74", "CUMBRIA AND NORTH EAST", "E40000001", "Y54", "NORTH OF ENGLAND"],
    ["GP_PRAC_PAT_LIST", "01APR2018", "E82001", "BRIDGE COTTAGE SURGERY", "AL7 1BW", "E38000049",
     "06K", "NHS EAST AND NORTH HERTFORDSHIRE CCG", "QM7", "Hertfordshire and West Essex",
     "E39000044", "Q79", "EAST", "E40000007", "Y61", "EAST OF ENGLAND"],
]  # fmt: skip
ALT_HEADER = [
    "CODE", "NAME", "POSTCODE", "CCG_ONS_CODE", "CCG_CODE", "CCG_NAME", "STP_ONS_CODE",
    "STP_NAME", "REGIONAL_LOCAL_OFFICE_ONS_CODE", "REGIONAL_LOCAL_OFFICE_CODE",
    "REGIONAL_LOCAL_OFFICE_NAME", "REGION_ONS_CODE", "REGION_CODE", "REGON_NAME",
]  # fmt: skip


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)
    return path


def test_mapping_files_before_july_2019_load_the_practices_commissioners(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gp-reg-pat-prac-map-apr-18.csv", PRE_PCN_HEADER, PRE_PCN_ROWS)
    data = tmp_path / "d"
    result = import_file("practices", path, data_dir=data)
    assert (result.layout, result.ignored_columns) == ("gp_reg_pat_map", ())
    assert (result.rows_loaded, result.rows_rejected, result.rows_flagged) == (2, 0, 0)
    got = stored(data, "practices")
    assert {k: (v["pct_code"], v["parent_code"], v["region_code"]) for k, v in got.items()} == {
        # an STP's ONS code (E54...) is not an ODS organisation: no parent
        "A81001": ("00K", None, "Y54"),
        "E82001": ("06K", "QM7", "Y61"),
    }

    alt = [[r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
            r[15]] for r in PRE_PCN_ROWS]  # fmt: skip
    path = write_csv(tmp_path / "gp-reg-pat-prac-map-jun-18.csv", ALT_HEADER, alt)
    result = import_file("practices", path, data_dir=tmp_path / "d2")
    assert (result.layout, result.ignored_columns) == ("gp_reg_pat_map_2018_alt", ())
    assert (result.rows_loaded, result.rows_rejected, result.rows_flagged) == (2, 0, 0)
    got = stored(tmp_path / "d2", "practices")
    assert {k: (v["practice_name"], v["pct_code"], v["region_code"]) for k, v in got.items()} == {
        "A81001": ("THE DENSHAM SURGERY", "00K", "Y54"),
        "E82001": ("BRIDGE COTTAGE SURGERY", "06K", "Y61"),
    }


@pytest.mark.parametrize("form", ["usual", "alt"])
def test_pcn_memberships_refuses_a_mapping_file_without_pcns_saying_why(
    tmp_path: Path, form: str
) -> None:
    from pbc.warehouse.sources import ImportRefused

    if form == "usual":
        path = write_csv(tmp_path / "map-apr-18.csv", PRE_PCN_HEADER, PRE_PCN_ROWS)
    else:
        rows = [[r[2], r[3], r[4], *r[5:]] for r in PRE_PCN_ROWS]
        path = write_csv(tmp_path / "map-jun-18.csv", ALT_HEADER, rows)
    with pytest.raises(ImportRefused) as refused:
        import_file("pcn_memberships", path, data_dir=tmp_path / "d")
    message = str(refused.value)
    assert path.name in message and "gp_reg_pat_map_pre_pcn" in message
    assert "before the Primary Care Networks of July 2019" in message
    assert "pbc import practices FILE" in message and "ePCN" in message
    assert not (tmp_path / "d" / "warehouse" / "pcn_memberships").exists()
