"""Provider invoices (SLAM lines) load as their own dataset, CSV or XLSX as providers send
them, and name the activity they charge by the key the HES layouts store."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from tests.warehouse.real_samples import write_csv, write_xlsx

from pbc.warehouse.datasets_invoices import invoice_key
from pbc.warehouse.ingest import import_file

HEADER = [
    "Provider Code", "Commissioner Code", "Invoice Month", "Spell Number", "Point of Delivery",
    "HRG", "Treatment Function Code", "Discharge Date", "Excess Bed Days", "MFF", "Price",
]  # fmt: skip
LINES = [
    ["RWG", "5P200", "2009-01", "1001", "Non-Elective", "EB10Z", "300", "12/01/2009", "0", "1.1082", "£2,345.67"],
    ["RWG", "5P200", "2009-01", "1002", "Day Case", "LB14Z", "171", "20/01/2009", "0", "1.1082", "612.40"],
    ["RWG", "5P2", "2009-01", "A77", "OP First", "", "110", "21/01/2009", "", "1.1082", "151.20"],
    ["RWG", "5P200", "2009-01", "E12", "A&E", "VB09Z", "180", "22/01/2009", "", "1.1082", "87.00"],
    ["Total", "", "", "", "", "", "", "", "", "", "3,196.27"],
]  # fmt: skip
EXPECTED = [
    ("1001", "NEL", "EB10Z", "300", dt.date(2009, 1, 12), 0, Decimal("2345.67")),
    ("1002", "DC", "LB14Z", "171", dt.date(2009, 1, 20), 0, Decimal("612.40")),
    ("A77", "OPFA", None, "110", dt.date(2009, 1, 21), None, Decimal("151.20")),
    ("E12", "AE", "VB09Z", "180", dt.date(2009, 1, 22), None, Decimal("87.00")),
]


def stored(data: Path) -> list[dict[str, Any]]:
    rel = duckdb.connect().sql(
        f"SELECT * FROM read_parquet('{data}/warehouse/invoice_lines/**/*.parquet', "
        "hive_partitioning = true) ORDER BY activity_id"
    )
    return [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]


def check(path: Path, data: Path) -> None:
    result = import_file("invoice_lines", path, data_dir=data)
    assert (result.layout, result.rows_read, result.rows_loaded) == ("slam_invoice", 5, 4)
    assert (result.rows_rejected, result.dropped) == (
        0,
        {"total row (pbc sums the lines itself)": 1},
    )
    rows = stored(data)
    got = [
        (
            r["activity_id"],
            r["point_of_delivery"],
            r["hrg_code"],
            r["treatment_function_code"],
            r["activity_date"],
            r["excess_bed_days"],
            r["price"],
        )
        for r in rows
    ]
    assert sorted(got) == sorted(EXPECTED)
    assert {(r["provider_code"], r["commissioner_code"], r["invoice_month"]) for r in rows} == {
        ("RWG", "5P2", dt.date(2009, 1, 1))
    }
    assert {r["market_forces_factor"] for r in rows} == {Decimal("1.1082")}


def test_slam_invoice_csv_loads_as_its_own_dataset(tmp_path: Path) -> None:
    check(write_csv(tmp_path / "invoice.csv", [HEADER, *LINES]), tmp_path / "data")


def test_slam_invoice_workbook_with_title_rows_loads_the_same(tmp_path: Path) -> None:
    # As a finance system exports it: title rows, real date cells, numbers as numbers.
    lines: list[list[object]] = []
    for line in LINES:
        row: list[object] = list(line)
        if line[0] != "Total":
            row[2] = dt.datetime(2009, 1, 1)
            day, month, year = (int(x) for x in line[7].split("/"))
            row[7] = dt.datetime(year, month, day)
            row[10] = float(line[10].replace("£", "").replace(",", ""))
        lines.append(row)
    path = write_xlsx(
        tmp_path / "invoice.xlsx",
        [HEADER, *lines],
        title_rows=["West Hertfordshire Hospitals NHS Trust", "SLAM invoice January 2009"],
    )
    check(path, tmp_path / "data")


def test_an_invoice_line_names_the_activity_row_key() -> None:
    assert invoice_key("RWG", "1001") == "RWG:1001"


def test_imaging_lines_load_as_their_own_priced_lines(tmp_path: Path) -> None:
    """Diagnostic imaging charged on its own SLAM line, worded as providers word it, loads as
    point of delivery IMG beside the spell it was unbundled from (same spell number, its own
    imaging HRG and price): the key (provider, id, point of delivery, month) keeps both."""
    lines = [
        LINES[0],
        ["RWG", "5P200", "2009-01", "1001", "Unbundled Diagnostic Imaging", "RA08Z", "812",
         "12/01/2009", "", "1.1082", "133.00"],
        ["RWG", "5P200", "2009-01", "DA7", "Direct Access Radiology", "RA26Z", "812",
         "14/01/2009", "", "1.1082", "31.03"],
    ]  # fmt: skip
    result = import_file(
        "invoice_lines", write_csv(tmp_path / "invoice.csv", [HEADER, *lines]), data_dir=tmp_path
    )
    assert (result.rows_loaded, result.rows_rejected) == (3, 0)
    got = {(r["activity_id"], r["point_of_delivery"], r["price"]) for r in stored(tmp_path)}
    assert got == {
        ("1001", "NEL", Decimal("2345.67")),
        ("1001", "IMG", Decimal("133.00")),
        ("DA7", "IMG", Decimal("31.03")),
    }
