"""Excerpts of real published files that are not among `shared/real-samples` (tests/data/real,
sources in its README): each loads as published, with exact counts, and pbc's figures
recomputed from what it loaded equal the figures the file publishes."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from pbc.analytics.indicators import aggregates as agg
from pbc.analytics.indicators import rtt
from pbc.cli import app
from pbc.warehouse.ingest import import_file

runner = CliRunner()
REAL = Path(__file__).resolve().parents[1] / "data" / "real"
RTT_2015 = REAL / "Admitted-Commissioner-Apr15-excerpt.xls"
RTT_2009 = REAL / "dh_112608-NonAdmitted-Commissioner-Dec09-excerpt.xls"
GP_REG_2017 = REAL / "gp-reg-pat-prac-quin-age-2017-04-openprescribing.csv"
EPD_2016 = REAL / "EPD_201601-openprescribing.csv"


def stored(data_dir: Path, dataset: str) -> list[dict[str, Any]]:
    rel = duckdb.connect().sql(
        f"SELECT * FROM read_parquet('{data_dir}/warehouse/{dataset}/**/*.parquet', "
        "hive_partitioning = true)"
    )
    return [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]


def sheet_records(path: Path, sheet: str, header_row: int) -> list[dict[str, Any]]:
    """The published rows of one worksheet (0-based header row), read straight from the .xls."""
    import xlrd

    ws = xlrd.open_workbook(str(path)).sheet_by_name(sheet)
    header = [str(v).strip() for v in ws.row_values(header_row)]
    return [
        dict(zip(header, ws.row_values(r), strict=True)) for r in range(header_row + 1, ws.nrows)
    ]


def check_rtt_recomputed(
    data_dir: Path, published: list[dict[str, Any]], code_column: str, prefix: str
) -> int:
    """For every published row, pbc's totals, within-18-weeks count and % within 18 weeks,
    recomputed from the week bands it stored, equal the file's (a total row: the sum of the
    commissioner's rows pbc kept). Returns the number of percentages compared."""
    bands: dict[tuple[str, str], list[agg.Band]] = defaultdict(list)
    by_commissioner: dict[str, list[agg.Band]] = defaultdict(list)
    for r in stored(data_dir, "rtt_returns"):
        band = agg.Band(r["weeks_from"], r["weeks_to"], r["pathways"])
        bands[(r["commissioner_code"], r["treatment_function_code"])].append(band)
        by_commissioner[r["commissioner_code"]].append(band)
    checked = 0
    for row in published:
        code = str(row[code_column]).strip()
        tf = str(row["Treatment Function Code"]).removeprefix(prefix)
        kept = by_commissioner[code] if tf == "999" else bands[(code, tf)]
        summary = agg.summarise_returns(kept)
        total = int(row["Total number of completed pathways (with a known clock start)"])
        assert summary.pathways == total, (code, tf)
        within = int(row["Total (with a known clock start) within 18 weeks"])
        assert summary.within_18_weeks == within, (code, tf)
        if total:
            assert summary.percent_within_18_weeks is not None
            assert summary.percent_within_18_weeks / 100 == pytest.approx(
                float(row["% within 18 weeks"]), abs=1e-6
            )
            checked += 1
    return checked


def test_nhs_england_admitted_commissioner_workbook_as_published(tmp_path: Path) -> None:
    """NHS England's April 2015 workbook, its five sheets and eleven title rows as published:
    the Commissioner sheet is found (not the National or Region sheet above it), the CCG and
    the national commissioning hub (X24) load, AP999 totals are dropped, the published
    totals, median and 95th percentile columns are recognised and not loaded."""
    result = import_file("rtt_returns", RTT_2015, data_dir=tmp_path / "d", period="2015-04")
    assert result.layout == "rtt_dh_commissioner" and result.ignored_columns == ()
    # 2 commissioners x 20 rows (19 treatment functions + AP999), 53 bands each
    assert result.rows_read == 40 * 53
    assert (result.rows_loaded, result.rows_rejected, result.rows_dropped) == (38 * 53, 0, 106)
    assert result.rows_flagged == 0
    got = stored(tmp_path / "d", "rtt_returns")
    assert {r["commissioner_code"] for r in got} == {"00C", "X24"}
    assert {r["pathway_type"] for r in got} == {"admitted"}
    assert {str(r["month"]) for r in got} == {"2015-04-01"}
    published = sheet_records(RTT_2015, "Commissioner", 13)
    assert len(published) == 40
    assert check_rtt_recomputed(tmp_path / "d", published, "CCG Code", "AP") == 36
    # The published 95th percentile and median equal pbc's on every row that has them: the
    # 95th interpolated in the bands at rank 0.95 N, the median at rank (N + 1) / 2.
    bands: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 53)
    for r in got:
        bands[(r["commissioner_code"], r["treatment_function_code"])][r["weeks_from"]] += int(
            r["pathways"]
        )
    compared = 0
    for row in published:
        median, p95 = (
            row["Average (median) waiting time (in weeks)"],
            row["95th percentile waiting time (in weeks)"],
        )
        tf = str(row["Treatment Function Code"]).removeprefix("AP")
        if median == "-" or tf == "999":  # "-": too few pathways to publish
            continue
        counts = bands[(str(row["CCG Code"]).strip(), tf)]
        n = sum(counts)
        summary = agg.summarise_returns(
            agg.Band(k, k + 1 if k < 52 else None, c) for k, c in enumerate(counts)
        )
        assert summary.p95 == pytest.approx(p95, abs=1e-6)
        assert summary.median == pytest.approx(median, abs=1e-6)
        assert rtt.percentile_interpolated(counts, (n + 1) / (2 * n)) == pytest.approx(
            median, abs=1e-6
        )
        compared += 1
    assert compared == 18


@pytest.mark.django_db
def test_dh_non_admitted_pct_workbook_as_published(settings: Any, tmp_path: Path) -> None:
    """The Department of Health's December 2009 non-admitted workbook (National, SHA, PCT and
    Data Completeness sheets): the PCT sheet loads, a care trust (TAC) and the National
    Commissioning Group (YDD82) unflagged; patients with an unknown clock start are not in
    any band, so pbc's % within 18 weeks is over the known clock starts, as published."""
    settings.DATA_DIR = tmp_path
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"
    result = runner.invoke(
        app, ["import", "rtt_returns", str(RTT_2009), "--period", "2009-12", "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["layout"] == "rtt_dh_commissioner"
    assert record["rows_read"] == 60 * 53
    assert (record["rows_loaded"], record["rows_rejected"], record["rows_dropped"]) == (
        57 * 53,
        0,
        3 * 53,
    )
    assert record["rows_flagged"] == 0
    got = stored(tmp_path, "rtt_returns")
    assert {r["commissioner_code"] for r in got} == {"5D7", "TAC", "YDD82"}
    assert {r["pathway_type"] for r in got} == {"non_admitted"}
    published = sheet_records(RTT_2009, "PCT", 5)
    # Newcastle's geriatric medicine row has one patient with an unknown clock start: the
    # published total of all pathways (79) is one more than the known ones pbc recomputes (78).
    geriatric = next(
        r for r in published if r["PCT Code"] == "5D7" and r["Treatment Function Code"] == "NP430"
    )
    assert (
        geriatric["Total number of completed pathways (all)"],
        geriatric["Patients with unknown clock start date"],
    ) == (79, 1)
    assert check_rtt_recomputed(tmp_path, published, "PCT Code", "NP") == 43


def test_gp_registered_patients_april_2017_form(tmp_path: Path) -> None:
    """The first monthly 'patients registered at a GP practice' quinary file (April 2017:
    ONS_CODE and POSTCODE columns, dates as 01-Apr-17): each practice's 40 sex x band rows
    load, its three totals are dropped, and the stored rows add up to its published total."""
    result = import_file("list_sizes", GP_REG_2017, data_dir=tmp_path / "d")
    assert result.layout == "gp_reg_pat_quinary" and result.ignored_columns == ()
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (86, 80, 0)
    assert (result.rows_dropped, result.rows_flagged) == (6, 0)
    got = stored(tmp_path / "d", "list_sizes")
    assert {(str(r["quarter_start"]), str(r["snapshot_date"])) for r in got} == {
        ("2017-04-01", "2017-04-01")
    }
    with open(GP_REG_2017, newline="") as fh:
        totals = {
            r["ORG_CODE"]: int(r["NUMBER_OF_PATIENTS"])
            for r in csv.DictReader(fh)
            if r["SEX"] == "ALL" and r["AGE_GROUP_5"] == "ALL"
        }
    sums: dict[str, int] = defaultdict(int)
    for r in got:
        sums[r["gp_practice_code"]] += int(r["registered_patients"])
    assert dict(sums) == totals == {"N84014": 40, "P84034": 40}


def test_nhsbsa_practice_prescribing_2016_drops_the_unknown_surgery(tmp_path: Path) -> None:
    """NHSBSA's practice x presentation x pack file of January 2016 (the EPD columns; YEAR_MONTH
    written 2016_01): a presentation split over two pack sizes is summed into one row, and the
    prescribing NHSBSA could not allocate to a practice (UNKNOWN SURGERY, Q58998: an area
    team's code and 998) is dropped and counted, not loaded as a practice."""
    result = import_file("prescribing", EPD_2016, data_dir=tmp_path / "d")
    assert result.layout == "epd"
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (11, 9, 0)
    assert result.rows_dropped == 2 and result.rows_flagged == 0
    assert any("UNKNOWN SURGERY" in reason for reason in result.dropped)
    got = stored(tmp_path / "d", "prescribing")
    assert "Q58998" not in {r["gp_practice_code"] for r in got}
    assert {str(r["month"]) for r in got} == {"2016-01-01"}
    bendro = [
        r for r in got if r["gp_practice_code"] == "P92042" and r["bnf_code"] == "0202010B0AAABAB"
    ]
    assert len(bendro) == 1
    assert int(bendro[0]["items"]) == 46 + 23
    assert float(bendro[0]["quantity"]) == pytest.approx(644.0 + 644.0)
    # money is kept to the penny: 2 x 14.55976 published, 29.12 stored; NIC 2 x 15.41
    assert float(bendro[0]["actual_cost"]) == pytest.approx(29.12)
    assert float(bendro[0]["net_ingredient_cost"]) == pytest.approx(30.82)
