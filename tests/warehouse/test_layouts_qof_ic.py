"""The NHS Information Centre's QOF practice prevalence table for diabetes, 2010/11
(`QOF1011_Pracs_Prevalence_DiabetesMellitus.xls`), loads into `qof_prevalence` (layout
`qof_prevalence_ic_dm`).

No copy of the published table was found, so these files are reconstructions: the header is
the one a public reader of the table quotes (SHA Code, Strategic Health Authority Name, PCT Code,
PCT Name, Practice Code, Practice Name, Estimated number 17+, Register (ages 17+), Prevalence;
the CSV saved from the workbook writes Prevalence as per cent text), title rows above it as the
IC's tables have, and made-up counts for real practice codes. docs/data.md says what was
confirmed and what was not."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.warehouse.real_samples import write_csv, write_xls

from pbc.warehouse.ingest import ImportRefused, import_file

HEADER = [
    "SHA Code", "Strategic Health Authority Name", "PCT Code", "PCT Name", "Practice Code",
    "Practice Name", "Estimated number 17+", "Register (ages 17+)", "Prevalence",
]  # fmt: skip
TITLES = [
    "Quality and Outcomes Framework 2010/11",
    "Diabetes Mellitus: practice prevalence (ages 17+)",
    "Source: QMAS database - 2010/11 data as at end of June 2011",
    "",
]
ROWS = [
    ["Q35", "EAST OF ENGLAND STRATEGIC HEALTH AUTHORITY", "5P3", "WEST HERTFORDSHIRE PCT",
     "E82001", "THE ELMS SURGERY", 9381, 437, "4.66%"],
    ["Q35", "EAST OF ENGLAND STRATEGIC HEALTH AUTHORITY", "5P3", "WEST HERTFORDSHIRE PCT",
     "E82002", "PARKBURY HOUSE SURGERY", 11204, 583, "5.20%"],
    ["Q35", "EAST OF ENGLAND STRATEGIC HEALTH AUTHORITY", "5P2", "EAST AND NORTH HERTS PCT",
     "E81001", "THE MALTINGS SURGERY", 8120, 402, "4.95%"],
]  # fmt: skip


def stored(data: Path) -> dict[str, tuple[Any, ...]]:
    rel = duckdb.connect().sql(
        "SELECT gp_practice_code, year_start, indicator_group, patient_list_type, register, "
        "list_size, published_prevalence, register_description FROM read_parquet("
        f"'{data}/warehouse/qof_prevalence/**/*.parquet', hive_partitioning = true)"
    )
    return {
        r[0]: tuple(str(v) if i == 0 else v for i, v in enumerate(r[1:])) for r in rel.fetchall()
    }


def test_the_2010_11_diabetes_table_loads_against_the_17_and_over_list(tmp_path: Path) -> None:
    path = write_xls(tmp_path / "QOF1011_Pracs_Prevalence_DiabetesMellitus.xls", [HEADER, *ROWS],
                     title_rows=TITLES)  # fmt: skip
    data = tmp_path / "d"
    with pytest.raises(ImportRefused, match="--period"):
        import_file("qof_prevalence", path, data_dir=data)
    # the title rows name 2010/11: another year's --period is refused, naming them
    with pytest.raises(ImportRefused, match=r"name 2010/11 \(row 1\)"):
        import_file("qof_prevalence", path, data_dir=data, period="2009-04")
    result = import_file("qof_prevalence", path, data_dir=data, period="2010-04")
    assert result.layout == "qof_prevalence_ic_dm"
    assert (result.rows_read, result.rows_loaded, result.rows_rejected, result.rows_dropped) == (
        3, 3, 0, 0,
    )  # fmt: skip
    assert result.ignored_columns == ()
    got = stored(data)
    assert got["E82001"] == ("2010-04-01", "DM", "17OV", 437, 9381, None, None)
    assert got["E81001"] == ("2010-04-01", "DM", "17OV", 402, 8120, None, None)
    # pbc's prevalence from what was loaded equals the table's (published to 2 decimals)
    for row in ROWS:
        mine = got[str(row[4])][3] / got[str(row[4])][4] * 100
        assert round(mine, 2) == float(str(row[8]).rstrip("%"))

    # the same file again replaces the year: nothing doubles
    again = import_file("qof_prevalence", path, data_dir=data, period="2010-04")
    assert again.rows_loaded == 3
    assert len(stored(data)) == 3


def test_the_saved_csv_form_and_a_bad_register_named_by_file_row_and_field(
    tmp_path: Path,
) -> None:
    bad = [*ROWS[:2], [*ROWS[2][:7], "n/a", "-"]]
    path = write_csv(
        tmp_path / "QOF1011_Pracs_Prevalence_DiabetesMellitus.csv",
        [[t] for t in TITLES[:3]] + [HEADER, *bad],
    )
    result = import_file("qof_prevalence", path, data_dir=tmp_path / "d", period="2010-04")
    assert result.layout == "qof_prevalence_ic_dm"
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert result.source_name == "QOF1011_Pracs_Prevalence_DiabetesMellitus.csv"
    assert result.quarantine_path is not None
    with open(result.quarantine_path, newline="", encoding="utf-8") as fh:
        [row] = list(csv.DictReader(fh))
    assert (row["source_row"], row["field"], row["value"]) == ("7", "register", "n/a")
    assert sorted(stored(tmp_path / "d")) == ["E82001", "E82002"]


def test_another_diseases_table_is_refused_naming_the_columns_that_differ(
    tmp_path: Path,
) -> None:
    """Only the diabetes table's headings were confirmed: a table headed otherwise (a
    guessed whole-list form here) is refused, nothing stored, never read by a guess."""
    header = [*HEADER[:6], "Practice list size", "Register", "Prevalence"]
    path = write_xls(tmp_path / "QOF1011_Pracs_Prevalence_Asthma.xls",
                     [header, [*ROWS[0][:6], 9381, 512, "5.46%"]], title_rows=TITLES)  # fmt: skip
    with pytest.raises(ImportRefused) as refused:
        import_file("qof_prevalence", path, data_dir=tmp_path / "d", period="2010-04")
    message = str(refused.value)
    assert "qof_prevalence_ic_dm" in message
    assert "register (ages 17+)" in message.lower()
    assert not (tmp_path / "d" / "warehouse" / "qof_prevalence").exists()
