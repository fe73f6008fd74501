"""Registered patients as published (the quarterly wide form, the quinary-age form, the
totals form) load as they are, with exact counts; bands are kept as published."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from tests.warehouse.real_samples import read_rows, sample, write_csv, write_xlsx
from typer.testing import CliRunner

from pbc.cli import app
from pbc.warehouse.datasets import LIST_SIZE_BANDS, band_nests
from pbc.warehouse.ingest import ImportRefused, import_file

runner = CliRunner()
WIDE = "list_sizes/patient_list_size_2013_04-06.csv"
QUINARY = "list_sizes/gp_reg_pat_prac_quin_age_2017_09_sample.csv"


@pytest.fixture
def own_data(settings: object, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"  # type: ignore[attr-defined]
    return tmp_path


def stored(data_dir: Path) -> list[tuple[object, ...]]:
    return (
        duckdb.connect()
        .sql(
            "SELECT gp_practice_code, quarter_start, snapshot_date, sex, age_band, "
            f"registered_patients FROM read_parquet('{data_dir}/warehouse/list_sizes/**/*.parquet')"
        )
        .fetchall()
    )


@pytest.mark.django_db
def test_quinary_sample_loads_with_totals_dropped(own_data: Path) -> None:
    result = runner.invoke(app, ["import", "list_sizes", str(sample(QUINARY)), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["layout"] == "gp_reg_pat_quinary"
    # 4 practices x (1 persons total + 2 sex totals + 2 sexes x 20 bands) = 172 rows: the 12
    # total rows are dropped and counted, 160 loaded.
    assert (record["rows_read"], record["rows_loaded"], record["rows_rejected"]) == (172, 160, 0)
    assert record["rows_dropped"] == 12 and record["dropped"] == {"total row (age ALL)": 12}
    assert record["rows_flagged"] == 0
    rows = stored(own_data)
    assert {(str(r[1]), str(r[2])) for r in rows} == {("2017-07-01", "2017-09-01")}
    bands = {r[4] for r in rows}
    assert "95+" in bands and "90-94" in bands and "0-4" in bands
    # Each practice's stored total equals the file's own "ALL, ALL" row.
    with open(sample(QUINARY), newline="") as fh:
        totals = {
            r["ORG_CODE"]: int(r["NUMBER_OF_PATIENTS"])
            for r in csv.DictReader(fh)
            if r["SEX"] == "ALL" and r["AGE_GROUP_5"] == "ALL"
        }
    got: dict[str, int] = {}
    for r in rows:
        got[str(r[0])] = got.get(str(r[0]), 0) + int(r[5])  # type: ignore[call-overload]
    assert got == totals


@pytest.mark.django_db
def test_wide_quarterly_sample_needs_its_quarter_by_name(own_data: Path) -> None:
    result = runner.invoke(app, ["import", "list_sizes", str(sample(WIDE)), "--json"])
    assert result.exit_code == 2
    message = json.loads(result.stdout)["message"]
    assert "list_size_quarterly" in message and "--period" in message
    result = runner.invoke(
        app, ["import", "list_sizes", str(sample(WIDE)), "--period", "2013-05", "--json"]
    )
    assert result.exit_code == 2 and "not the first month of a quarter" in result.stdout

    result = runner.invoke(
        app, ["import", "list_sizes", str(sample(WIDE)), "--period", "2013-04", "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    practices = len(read_rows(sample(WIDE))) - 1
    assert practices == 9754
    # Wide to long: one row per practice x sex x band (18 columns).
    assert record["layout"] == "list_size_quarterly"
    assert (record["rows_read"], record["rows_loaded"], record["rows_rejected"]) == (
        practices * 18, practices * 18, 0,
    )  # fmt: skip
    assert record["rows_dropped"] == 0 and record["rows_flagged"] == 0
    rows = stored(own_data)
    assert {str(r[1]) for r in rows} == {"2013-04-01"}
    assert {r[4] for r in rows} == {"0-4", "5-14", "15-24", "25-34", "35-44", "45-54", "55-64",
                                    "65-74", "75+"}  # fmt: skip
    # The ten-year bands are kept as published, not split into pbc's five-year bands.
    assert not band_nests("5-14") and not band_nests("75+") and band_nests("95+")
    with open(sample(WIDE), newline="") as fh:
        want = sum(
            int(v)
            for r in csv.DictReader(fh)
            for k, v in r.items()
            if k.startswith(("Male", "Fem"))
        )
    assert sum(int(r[5]) for r in rows) == want  # type: ignore[call-overload]


def test_totals_form_and_other_years_headers(tmp_path: Path) -> None:
    """The totals form (sex ALL, age ALL) loads as sex "all", band "all"; the earlier quinary
    header (TYPE, CCG_CODE, CODE) with a 01-Apr-17 date and a workbook load the same."""
    rows = read_rows(sample(QUINARY))
    totals = [["PUBLICATION", "EXTRACT_DATE", "TYPE", "CCG_CODE", "ONS_CCG_CODE", "CODE",
               "POSTCODE", "SEX", "AGE", "NUMBER_OF_PATIENTS"]]  # fmt: skip
    for r in rows[1:]:
        if r[6] == "ALL" and r[7] == "ALL":
            totals.append([r[0], "01-Apr-17", "GP", "03A", "E38000087", r[3], r[5], "ALL",
                           "ALL", r[8]])  # fmt: skip
    totals.append(["GP_PRAC_PAT_LIST", "01-Apr-17", "CCG", "03A", "", "03A", "", "ALL", "ALL",
                   "99999"])  # fmt: skip
    result = import_file(
        "list_sizes", write_csv(tmp_path / "all.csv", totals), data_dir=tmp_path / "a"
    )
    assert result.layout == "gp_reg_pat_single_age"
    assert (result.rows_read, result.rows_loaded, result.rows_dropped) == (5, 4, 1)
    got = stored(tmp_path / "a")
    assert {(r[3], r[4]) for r in got} == {("all", "all")}
    assert {str(r[1]) for r in got} == {"2017-04-01"}

    older = [["PUBLICATION", "EXTRACT_DATE", "TYPE", "CCG_CODE", "ONS_CCG_CODE", "CODE",
              "POSTCODE", "SEX", "AGE_GROUP_5", "NUMBER_OF_PATIENTS"]]  # fmt: skip
    older += [[r[0], "01-Apr-17", r[2], "03A", "", *r[3:4], *r[5:]] for r in rows[1:]]
    for name, path in (
        ("older.csv", write_csv(tmp_path / "older.csv", older)),
        ("older.xlsx", write_xlsx(tmp_path / "older.xlsx", older, title_rows=["Patients"])),
    ):
        result = import_file("list_sizes", path, data_dir=tmp_path / ("d-" + name))
        assert result.layout == "gp_reg_pat_quinary", name
        assert (result.rows_read, result.rows_loaded, result.rows_dropped) == (172, 160, 12)
        assert result.rows_rejected == 0, name


def test_band_table_holds_every_published_band() -> None:
    assert LIST_SIZE_BANDS["75+"] == (75, None) and LIST_SIZE_BANDS["5-14"] == (5, 14)
    assert all(band_nests(b) for b in ("0-4", "90+", "90-94", "95+"))


def test_an_unknown_list_size_file_names_the_nearest_layout(tmp_path: Path) -> None:
    rows = read_rows(sample(QUINARY))
    odd = [[c for i, c in enumerate(r) if i != 8] for r in rows[:5]]
    with pytest.raises(ImportRefused) as refused:
        import_file("list_sizes", write_csv(tmp_path / "odd.csv", odd), data_dir=tmp_path)
    assert "nearest is gp_reg_pat_quinary" in str(refused.value)
    assert "NUMBER_OF_PATIENTS" in str(refused.value)


def test_nhsbsa_multi_period_file_with_a_two_digit_year_month(tmp_path: Path) -> None:
    """NHSBSA's list sizes before April 2013 (released on request, as OpenPrescribing imported
    them): the wide form with a leading 'Month' column written DD/MM/YY, one row per practice
    and quarter (this row as in OpenPrescribing's fixture Patient_List_Size_nodate.csv)."""
    header = read_rows(sample(WIDE))[0]
    counts = "364,347,568,576,635,708,1475,1597,1202,991,896,719,681,591,343,379,284,486"
    row = ["01/04/11", "NORTH OF ENGLAND", "Y54", "GREATER MANCHESTER AREA TEAM", "Q46",
           "SOUTH MANCHESTER CCG", "01N00", "BARLOW MEDICAL CENTRE", "P84034",
           *counts.split(",")]  # fmt: skip
    later = [*row[:1], *row[1:]]
    later[0] = "01/07/11"
    path = write_csv(tmp_path / "Patient_List_Size_nodate.csv", [["Month", *header], row, later])
    result = import_file("list_sizes", path, data_dir=tmp_path / "d")  # no --period needed
    assert result.layout == "list_size_quarterly_monthly"
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (36, 36, 0)
    got = stored(tmp_path / "d")
    assert {(str(r[1]), str(r[2])) for r in got} == {
        ("2011-04-01", "2011-04-01"), ("2011-07-01", "2011-07-01"),
    }  # fmt: skip
    april = [r for r in got if str(r[1]) == "2011-04-01"]
    assert sum(int(r[5]) for r in april) == 12842  # the practice's list, as OpenPrescribing has
    assert ("P84034", "M", "75+", 284) in {(r[0], r[3], r[4], r[5]) for r in april}
