"""NHS England's monthly A&E statistics in the forms pbc had not read: the 2019/20 CSV ("Number
of ..." headings) and the workbook with an under-four-hour group (from 2017/18), whose second
department sub-heading is the under-four-hour count and the third the over-four-hour one."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
from tests.warehouse.real_samples import write_csv, write_xls

from pbc.analytics.indicators import aggregates as agg
from pbc.warehouse.ingest import import_file


def stored(data: Path) -> dict[tuple[str, str, str], Any]:
    rel = duckdb.connect().sql(
        f"SELECT provider_code, department_type, measure, count, month FROM read_parquet("
        f"'{data}/warehouse/ae_attendances/**/*.parquet', hive_partitioning = true)"
    )
    return {(p, t, m): (c, str(month)) for p, t, m, c, month in rel.fetchall()}


def quarantined(path: str | None) -> list[tuple[str, str, str]]:
    assert path is not None
    with open(path, newline="", encoding="utf-8") as fh:
        return [(r["source_row"], r["field"], r["value"]) for r in csv.DictReader(fh)]


CSV_2019_20 = [
    "Period", "Org Code", "Parent Org", "Org name", "Number of A&E attendances Type 1",
    "Number of A&E attendances Type 2", "Number of A&E attendances Other A&E Department",
    "Number of attendances over 4hrs Type 1", "Number of attendances over 4hrs Type 2",
    "Number of attendances over 4hrs Other A&E Department",
    "Patients who have waited 4-12 hs from DTA to admission",
    "Patients who have waited 12+ hrs from DTA to admission",
    "Emergency admissions via A&E - Type 1", "Emergency admissions via A&E - Type 2",
    "Emergency admissions via A&E - Other A&E department", "Other emergency admissions",
]  # fmt: skip


def test_the_2019_20_csv_with_number_of_headings(tmp_path: Path) -> None:
    rows = [
        CSV_2019_20,
        ["MSitAE-NOVEMBER-2019", "RF4", "NHS ENGLAND LONDON", "BARKING", "21289", "813",
         "2850", "2879", "22", "6", "300", "2", "5060", "0", "0", "700"],
        ["MSitAE-NOVEMBER-2019", "TOTAL", "-", "England", "9", "9", "9", "9", "9", "9", "9",
         "9", "9", "9", "9", "9"],
    ]  # fmt: skip
    path = write_csv(tmp_path / "November-2019-AE-by-provider.csv", rows)
    result = import_file("ae_attendances", path, data_dir=tmp_path / "d")
    assert result.layout == "ae_monthly_csv"
    assert (result.rows_read, result.rows_dropped) == (2 * 12, 12)
    assert (result.rows_loaded, result.rows_rejected, result.rows_flagged) == (12, 0, 0)
    assert result.ignored_columns == ()
    got = stored(tmp_path / "d")
    assert got[("RF4", "01", "attendances")] == (21289, "2019-11-01")
    assert got[("RF4", "other", "attendances")][0] == 2850
    assert got[("RF4", "01", "over_4_hours")][0] == 2879
    assert got[("RF4", "other", "over_4_hours")][0] == 6
    assert got[("RF4", "all", "dta_over_4_hours")][0] == 300


def test_a_bad_count_in_the_2019_20_csv_names_file_row_and_field(tmp_path: Path) -> None:
    rows = [
        CSV_2019_20,
        ["MSitAE-NOVEMBER-2019", "RF4", "X", "BARKING", "21289", "many", "2850", "2879", "22",
         "6", "", "", "", "", "", ""],
    ]  # fmt: skip
    path = write_csv(tmp_path / "November-2019-AE-by-provider.csv", rows)
    result = import_file("ae_attendances", path, data_dir=tmp_path / "d")
    assert (result.rows_loaded, result.rows_rejected) == (11, 1)
    assert result.source_name == "November-2019-AE-by-provider.csv"
    assert quarantined(result.quarantine_path) == [("2", "count", "many")]


T1, T2 = "Type 1 Departments - Major A&E", "Type 2 Departments - Single Specialty"
T3 = "Type 3 Departments - Other A&E/Minor Injury Unit"
GROUPS = ["", "", "", "A&E attendances", "", "", "",
          "A&E attendances less than 4 hours from arrival to admission, transfer or discharge",
          "", "", "",
          "A&E attendances greater than 4 hours from arrival to admission, transfer or discharge",
          ]  # fmt: skip
HEADER_2018 = [
    "Code", "Region", "Name", T1, T2, T3, "Total attendances", T1, T2, T3,
    "Total Attendances < 4 hours", T1, T2, T3, "Total Attendances > 4 hours",
    "Percentage in 4 hours or less (type 1)", "Percentage in 4 hours or less (all)",
    "Percentage in 4 hours or less (type 2)", "Percentage in 4 hours or less (type 3)",
    "Emergency Admissions via Type 1 A&E", "Emergency Admissions via Type 2 A&E",
    "Emergency Admissions via Type 3 and 4 A&E", "Total Emergency Admissions via A&E",
    "Other Emergency admissions (i.e not via A&E)", "Total Emergency Admissions",
    "Number of patients spending >4 hours from decision to admit to admission",
    "Number of patients spending >12 hours from decision to admit to admission",
]  # fmt: skip


def test_the_workbook_with_an_under_four_hour_group_reads_the_third_group(
    tmp_path: Path,
) -> None:
    rows = [
        GROUPS,
        HEADER_2018,
        ["-", "-", "England", "9", "9", "9", "27", "8", "8", "8", "24", "1", "1", "1", "3",
         "0.9", "0.9", "0.9", "0.9", "9", "9", "9", "27", "9", "36", "9", "0"],
        ["RF4", "London", "BARKING", "21289", "813", "2850", "24952", "18410", "791", "2844",
         "22045", "2879", "22", "6", "2907", "0.86", "0.88", "0.97", "1.0", "5060", "0", "0",
         "5060", "700", "5760", "300", "2"],
    ]  # fmt: skip
    path = write_xls(
        tmp_path / "January-2018-AE-by-provider.xls",
        rows,
        title_rows=["A&E Attendances and Emergency Admissions", "Period:", "January 2018"],
    )
    result = import_file("ae_attendances", path, data_dir=tmp_path / "d", period="2018-01")
    assert result.layout == "ae_monthly_xls_2018"
    assert (result.rows_read, result.rows_dropped) == (2 * 11, 11)
    assert (result.rows_loaded, result.rows_rejected) == (11, 0)
    assert result.ignored_columns == ()
    got = stored(tmp_path / "d")
    over = [got[("RF4", t, "over_4_hours")][0] for t in ("01", "02", "other")]
    attendances = [got[("RF4", t, "attendances")][0] for t in ("01", "02", "other")]
    assert over == [2879, 22, 6]  # the third group, not the under-four-hour counts
    assert attendances == [21289, 813, 2850]
    assert agg.four_hour_percent(sum(attendances), sum(over)) == (24952 - 2907) / 24952 * 100


def test_the_older_workbook_still_reads_its_second_group(tmp_path: Path) -> None:
    header = [h for i, h in enumerate(HEADER_2018) if i not in range(7, 11)]
    values = ["RF4", "London", "BARKING", "21289", "813", "2850", "24952", "2879", "22", "6",
              "2907", "0.86", "0.88", "0.97", "1.0", "5060", "0", "0", "5060", "700", "5760",
              "300", "2"]  # fmt: skip
    path = write_xls(tmp_path / "June-2016-AE-by-provider.xls", [header, values])
    result = import_file("ae_attendances", path, data_dir=tmp_path / "d", period="2016-06")
    assert (result.layout, result.rows_loaded, result.rows_rejected) == ("ae_monthly_xls", 11, 0)
    assert stored(tmp_path / "d")[("RF4", "01", "over_4_hours")][0] == 2879


def test_a_bad_count_in_the_2018_workbook_names_file_row_and_field(tmp_path: Path) -> None:
    values = ["RF4", "London", "BARKING", "21289", "813", "2850", "24952", "18410", "791",
              "2844", "22045", "2879", "lots", "6", "2907", "0.86", "0.88", "0.97", "1.0",
              "5060", "0", "0", "5060", "700", "5760", "300", "2"]  # fmt: skip
    path = write_xls(tmp_path / "March-2018-AE-by-provider.xls", [GROUPS, HEADER_2018, values])
    result = import_file("ae_attendances", path, data_dir=tmp_path / "d", period="2018-03")
    assert result.layout == "ae_monthly_xls_2018"
    assert (result.rows_loaded, result.rows_rejected) == (10, 1)
    assert result.source_name == "March-2018-AE-by-provider.xls"
    assert quarantined(result.quarantine_path) == [("3", "count", "lots")]
