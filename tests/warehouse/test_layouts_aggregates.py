"""The published aggregate files (QOF registers, RTT returns, A&E statistics) load as they are,
with exact counts (read = loaded + rejected + dropped), and pbc's figures recomputed from what
was loaded equal the figures the files publish."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.warehouse.real_samples import read_rows, sample, write_csv, write_xls, write_xlsx
from typer.testing import CliRunner

from pbc.analytics.indicators import aggregates as agg
from pbc.cli import app
from pbc.imports.models import ImportRun
from pbc.warehouse.ingest import ImportRefused, import_file

runner = CliRunner()
QOF = "qof/qof_prevalence_by_practice_sample.csv"
RTT = "rtt/rtt_incomplete_pct_treatment_function_2010.csv"
AE = "ae/ae_attendances_by_provider.csv"


@pytest.fixture
def own_data(settings: Any, tmp_path: Path) -> Path:
    """A data directory of this test's own (the session's demo warehouse stays untouched)."""
    settings.DATA_DIR = tmp_path
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"
    return tmp_path


def stored(data_dir: Path, dataset: str) -> list[dict[str, Any]]:
    rel = duckdb.connect().sql(
        f"SELECT * FROM read_parquet('{data_dir}/warehouse/{dataset}/**/*.parquet', "
        "hive_partitioning = true)"
    )
    return [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]


def cli_import(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["import", *args, "--json"])
    assert result.exit_code == 0, result.output
    record: dict[str, Any] = json.loads(result.stdout)
    assert record["rows_read"] == (
        record["rows_loaded"] + record["rows_rejected"] + record["rows_dropped"]
    )
    return record


def refused(*args: str) -> str:
    result = runner.invoke(app, ["import", *args, "--json"])
    assert result.exit_code != 0
    return str(result.output)


# --- QOF -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_qof_sample_loads_and_pbc_prevalence_equals_the_published_one(own_data: Path) -> None:
    path = str(sample(QOF))
    message = refused("qof_prevalence", path)
    assert "--period" in message and "QOF year" in message
    message = refused("qof_prevalence", path, "--period", "2010-03")
    assert "--period 2010-03 is not the first month of a financial year" in message
    record = cli_import("qof_prevalence", path, "--period", "2009-04")
    assert record["layout"] == "qof_prevalence_by_practice"
    assert (record["rows_read"], record["rows_loaded"], record["rows_rejected"]) == (96, 96, 0)
    assert record["rows_dropped"] == 0 and record["rows_flagged"] == 0
    run = ImportRun.objects.get(pk=record["import_run"])
    assert run.layout == "qof_prevalence_by_practice"
    rows = stored(own_data, "qof_prevalence")
    assert len(rows) == 96
    assert {str(r["year_start"]) for r in rows} == {"2009-04-01"}
    assert {r["patient_list_type"] for r in rows} == {"TOTAL"}
    # both heart failure registers are kept: the description is part of the key
    hf = [r for r in rows if r["gp_practice_code"] == "A81001" and r["indicator_group"] == "HF"]
    assert sorted(r["register"] for r in hf) == [9, 48]
    # pbc's prevalence (register / list size x 100) equals the file's, every row
    published = {
        (r[0], r[1], r[2]): float(r[5]) for r in read_rows(sample(QOF))[1:]
    }  # fmt: skip
    for r in rows:
        mine = agg.prevalence(r["register"], r["list_size"])
        key = (r["gp_practice_code"], r["indicator_group"], r["register_description"])
        assert mine == pytest.approx(published[key], abs=1e-6), key
        assert mine == pytest.approx(r["published_prevalence"], abs=1e-6), key


def test_qof_raw_prevalence_form(tmp_path: Path) -> None:
    """The raw-data PREVALENCE file (2013/14 on): a list type per register, no description."""
    path = write_csv(
        tmp_path / "PREVALENCE_1819.csv",
        [
            ["PRACTICE_CODE", "INDICATOR_GROUP_CODE", "REGISTER", "PATIENT_LIST_TYPE",
             "PRACTICE_LIST_SIZE"],
            ["A81001", "DM", "251", "17OV", "3301"],
            ["A81001", "HYP", "575", "TOTAL", "4178"],
            ["A81001", "DM", "250", "17OV", "3301"],  # repeats the key: quarantined
        ],
    )  # fmt: skip
    with pytest.raises(ImportRefused, match="--period"):
        import_file("qof_prevalence", path, data_dir=tmp_path / "d")
    result = import_file("qof_prevalence", path, data_dir=tmp_path / "d", period="2018-04")
    assert result.layout == "qof_prevalence_raw"
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    rows = {r["indicator_group"]: r for r in stored(tmp_path / "d", "qof_prevalence")}
    assert rows["DM"]["patient_list_type"] == "17OV" and rows["DM"]["list_size"] == 3301
    assert rows["DM"]["register_description"] is None


def test_qof_year_must_start_on_1_april(tmp_path: Path) -> None:
    """pbc's own layout: a QOF year that does not start on 1 April is quarantined, named."""
    path = write_csv(
        tmp_path / "qof.csv",
        [
            ["gp_practice_code", "year_start", "indicator_group", "register_description",
             "patient_list_type", "register", "list_size", "published_prevalence"],
            ["A81001", "2009-04-01", "DM", "Diabetes", "TOTAL", "251", "4178", ""],
            ["A81002", "2010-03-01", "DM", "Diabetes", "TOTAL", "1104", "19837", ""],
        ],
    )  # fmt: skip
    result = import_file("qof_prevalence", path, data_dir=tmp_path / "d")
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    with open(str(result.quarantine_path), newline="") as fh:
        [row] = list(csv.DictReader(fh))
    assert row["field"] == "year_start"
    assert "first day of a financial year (1 April)" in row["reason"]


# --- RTT -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rtt_sample_loads_totals_dropped_and_18_weeks_recomputed(own_data: Path) -> None:
    path = str(sample(RTT))
    message = refused("rtt_returns", path)
    assert "--period" in message and "month of the return" in message
    record = cli_import("rtt_returns", path, "--period", "2010-03")
    assert record["layout"] == "rtt_dh_commissioner"
    # 3,060 published rows (153 commissioners x 20 treatment functions), 53 bands each: the
    # 153 'Total' rows (IP999) are dropped and counted, band by band; nothing else is lost.
    assert record["rows_read"] == 3060 * 53
    assert record["rows_dropped"] == 153 * 53
    assert record["dropped"] == {
        "total row (treatment function 999 'Total'): pbc recomputes totals from the rows": 153 * 53
    }
    assert (record["rows_loaded"], record["rows_rejected"]) == (2907 * 53, 0)
    assert record["rows_flagged"] == 0  # care trusts (TAx), YDD82 and X01 'Other' are valid
    rows = stored(own_data, "rtt_returns")
    codes = {r["commissioner_code"] for r in rows}
    assert "YDD82" in codes and any(c.startswith("TA") for c in codes)
    assert {r["pathway_type"] for r in rows} == {"incomplete"}
    assert "X01" in {r["treatment_function_code"] for r in rows}
    assert {str(r["month"]) for r in rows} == {"2010-03-01"}
    bands: dict[tuple[str, str], list[agg.Band]] = defaultdict(list)
    for r in rows:
        bands[(r["commissioner_code"], r["treatment_function_code"])].append(
            agg.Band(r["weeks_from"], r["weeks_to"], r["pathways"])
        )
    header, *data = read_rows(sample(RTT))
    by_pct: dict[str, list[agg.Band]] = defaultdict(list)
    for (code, _tf), kept in bands.items():
        by_pct[code] += kept
    checked = 0
    for line in data:
        record_ = dict(zip(header, line, strict=True))
        code, tf = record_["PCT Code"], record_["Treatment Function Code"][2:]
        total = int(record_["Total number of incomplete pathways"])
        # a dropped total row (999) equals the sum of the rows pbc kept for its commissioner
        summary = agg.summarise_returns(by_pct[code] if tf == "999" else bands[(code, tf)])
        assert summary.pathways == total, (code, tf)
        assert summary.within_18_weeks == int(record_["Total within 18 weeks"]), (code, tf)
        if total:
            assert summary.percent_within_18_weeks is not None
            published = float(record_["% within 18 weeks"])
            assert summary.percent_within_18_weeks / 100 == pytest.approx(published, abs=1e-6)
            checked += 1
    assert checked > 2000


def _nhse_header(top: int) -> list[str]:
    return [
        "Period", "Provider Parent Org Code", "Provider Parent Name", "Provider Org Code",
        "Provider Org Name", "Commissioner Parent Org Code", "Commissioner Parent Name",
        "Commissioner Org Code", "Commissioner Org Name", "RTT Part Type",
        "RTT Part Description", "Treatment Function Code", "Treatment Function Name",
        *[f"Gt {k:02d} To {k + 1:02d} Weeks SUM 1" for k in range(top)],
        f"Gt {top:02d} Weeks SUM 1", "Total", "Patients with unknown clock start date",
        "Total All",
    ]  # fmt: skip


def _nhse_row(top: int, part: str, tf: str, bands: dict[int, int], commissioner: str) -> list[str]:
    cells = [str(bands[k]) if k in bands else "" for k in range(top + 1)]
    total = sum(bands.values())
    return ["RTT-APRIL-2022", "Q71", "NHS ENGLAND LONDON", "RAL", "ROYAL FREE", "QMJ",
            "NHS NORTH CENTRAL LONDON ICB", commissioner, "NCL ICB", part, "Incomplete Pathways",
            tf, "General Surgery", *cells, str(total), "", str(total)]  # fmt: skip


@pytest.mark.parametrize("top", [52, 104])
def test_nhs_england_full_csv_carries_its_month(tmp_path: Path, top: int) -> None:
    header = _nhse_header(top)
    rows = [
        header,
        _nhse_row(top, "Part_2", "C_100", {0: 5, 17: 3, 18: 2, top: 1}, "93C00"),
        _nhse_row(top, "Part_1A", "C_100", {3: 4}, "93C00"),
        _nhse_row(top, "Part_2", "X02", {1: 2}, "93C00"),
        _nhse_row(top, "Part_2", "C_999", {0: 5, 1: 2, 17: 3, 18: 2, top: 1}, "93C00"),
        _nhse_row(top, "Part_3", "C_100", {}, "93C00"),
    ]
    path = write_csv(tmp_path / "20220430-RTT-APRIL-2022-full-extract.csv", rows)
    result = import_file("rtt_returns", path, data_dir=tmp_path / "d")  # no --period needed
    assert result.layout == ("rtt_full_csv" if top == 52 else "rtt_full_csv_104")
    width = top + 1
    assert result.rows_read == 5 * width
    assert result.rows_dropped == 2 * width  # the C_999 total row and the Part_3 row
    assert (result.rows_loaded, result.rows_rejected, result.rows_flagged) == (3 * width, 0, 0)
    got = stored(tmp_path / "d", "rtt_returns")
    assert {str(r["month"]) for r in got} == {"2022-04-01"}
    incomplete = [r for r in got if r["pathway_type"] == "incomplete" and
                  r["treatment_function_code"] == "100"]  # fmt: skip
    summary = agg.summarise_returns(
        [agg.Band(r["weeks_from"], r["weeks_to"], r["pathways"] or 0) for r in incomplete]
    )
    assert (summary.pathways, summary.within_18_weeks) == (11, 8)
    assert {r["provider_code"] for r in got} == {"RAL"}
    assert {r["commissioner_code"] for r in got} == {"93C00"}


def test_dh_provider_form_in_a_workbook_with_title_rows(tmp_path: Path) -> None:
    header, *data = read_rows(sample(RTT))
    provider_header = ["Provider Code" if h == "PCT Code" else h for h in header[1:]]
    provider_header = ["Provider Name" if h == "PCT Name" else h for h in provider_header]
    chosen = [r[1:] for r in data if r[2] == "5D7"]
    chosen = [[r[0], "RTD", *r[2:]] for r in chosen]
    path = write_xlsx(
        tmp_path / "rtt-provider.xlsx",
        [provider_header, *chosen],
        title_rows=["Referral to Treatment waiting times statistics", "Incomplete pathways"],
    )
    result = import_file("rtt_returns", path, data_dir=tmp_path / "d", period="2010-03")
    assert result.layout == "rtt_dh_provider"
    assert result.rows_dropped == 53 and result.rows_rejected == 0
    got = stored(tmp_path / "d", "rtt_returns")
    assert {r["provider_code"] for r in got} == {"RTD"}
    assert {r["commissioner_code"] for r in got} == {None}


def test_dh_commissioner_form_as_published_xls_with_a_repeated_row(tmp_path: Path) -> None:
    """The DH tables were published as .xls with title rows and no row-number column: the same
    figures load; a row repeating its key (commissioner x treatment function) is quarantined,
    every band of it, naming the first."""
    header, *data = read_rows(sample(RTT))
    chosen = [r[1:] for r in data if r[2] in ("5D7", "TAC")]
    assert len(chosen) == 40
    path = write_xls(
        tmp_path / "dh_112606.xls",
        [header[1:], *chosen, chosen[0]],
        title_rows=["Referral to Treatment Waiting Times Statistics", "Incomplete pathways"],
    )
    result = import_file("rtt_returns", path, data_dir=tmp_path / "d", period="2010-03")
    assert result.layout == "rtt_dh_commissioner"
    assert result.rows_read == 41 * 53
    assert (result.rows_dropped, result.rows_rejected, result.rows_flagged) == (2 * 53, 53, 0)
    assert result.rows_loaded == 38 * 53
    got = stored(tmp_path / "d", "rtt_returns")
    assert {r["commissioner_code"] for r in got} == {"5D7", "TAC"}
    assert sum(r["pathways"] for r in got if r["commissioner_code"] == "5D7") == sum(
        int(r[-3]) for r in chosen if r[1] == "5D7" and not r[3].endswith("999")
    )


# --- A&E -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ae_sample_loads_and_four_hour_performance_equals_a_recomputation(
    own_data: Path,
) -> None:
    record = cli_import("ae_attendances", str(sample(AE)))
    assert record["layout"] == "ae_nhsrdatasets"
    # 12,765 provider x month x type rows, three measures each
    assert (record["rows_read"], record["rows_loaded"], record["rows_rejected"]) == (
        12765 * 3, 12765 * 3, 0,
    )  # fmt: skip
    assert record["rows_dropped"] == 0 and record["rows_flagged"] == 0
    rows = stored(own_data, "ae_attendances")
    got: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        if r["measure"] in ("attendances", "over_4_hours"):
            got[(r["provider_code"], str(r["month"]))][r["measure"] == "over_4_hours"] += r["count"]
    want: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    with open(sample(AE), newline="") as fh:
        for line in csv.DictReader(fh):
            w = want[(line["org_code"], line["period"])]
            w[0] += int(line["attendances"])
            w[1] += int(line["breaches"])
    assert got == want
    rf4 = got[("RF4", "2017-03-01")]
    assert agg.four_hour_percent(*rf4) == pytest.approx((24_952 - 2_907) / 24_952 * 100)


def test_nhs_england_monthly_ae_csv(tmp_path: Path) -> None:
    header = [
        "Period", "Org Code", "Parent Org", "Org name", "A&E attendances Type 1",
        "A&E attendances Type 2", "A&E attendances Other A&E Department",
        "Attendances over 4hrs Type 1", "Attendances over 4hrs Type 2",
        "Attendances over 4hrs Other Department",
        "Patients who have waited 4-12 hs from DTA to admission",
        "Patients who have waited 12+ hrs from DTA to admission",
        "Emergency admissions via A&E - Type 1", "Emergency admissions via A&E - Type 2",
        "Emergency admissions via A&E - Other A&E department", "Other emergency admissions",
    ]  # fmt: skip
    rows = [
        header,
        ["MSitAE-APRIL-2019", "RF4", "NHS ENGLAND LONDON", "BARKING", "21289", "813", "2850",
         "2879", "22", "6", "300", "2", "5060", "0", "0", "700"],
        ["MSitAE-APRIL-2019", "Y02696", "NHS ENGLAND LONDON", "WIC", "", "", "1069",
         "", "", "0", "", "", "", "", "", ""],
        ["MSitAE-APRIL-2019", "TOTAL", "-", "England", "9", "9", "9", "9", "9", "9", "9",
         "9", "9", "9", "9", "9"],
    ]  # fmt: skip
    path = write_csv(tmp_path / "April-2019-AE-by-provider.csv", rows)
    result = import_file("ae_attendances", path, data_dir=tmp_path / "d")
    assert result.layout == "ae_monthly_csv"
    assert result.rows_read == 3 * 12 and result.rows_dropped == 12
    assert (result.rows_loaded, result.rows_rejected, result.rows_flagged) == (24, 0, 0)
    got = {
        (r["provider_code"], r["department_type"], r["measure"]): r["count"]
        for r in stored(tmp_path / "d", "ae_attendances")
    }
    assert got[("RF4", "01", "attendances")] == 21289
    assert got[("RF4", "other", "over_4_hours")] == 6
    assert got[("RF4", "all", "dta_over_12_hours")] == 2
    assert got[("Y02696", "01", "attendances")] is None  # published empty
    assert {str(r["month"]) for r in stored(tmp_path / "d", "ae_attendances")} == {"2019-04-01"}


def test_nhs_england_monthly_ae_csv_total_row_in_the_period_column(tmp_path: Path) -> None:
    """Some months' files write the England total row's "TOTAL" in the Period column (the Org
    Code left blank) or in Org name; counts saved from a spreadsheet carry thousands separators
    ("21,289"); the header has trailing empty columns. The totals are dropped, not rejected."""
    header = [
        "Period", "Org Code", "Parent Org", "Org name", "A&E attendances Type 1",
        "A&E attendances Type 2", "A&E attendances Other A&E Department",
        "Attendances over 4hrs Type 1", "Attendances over 4hrs Type 2",
        "Attendances over 4hrs Other Department", "", "",
    ]  # fmt: skip
    rows = [
        header,
        ["MSitAE-SEPTEMBER-2024", "RF4", "NHS ENGLAND LONDON", "BARKING", "21,289", "813",
         "2,850", "2,879", "22", "6", "", ""],
        ["TOTAL", "", "", "", "1,234,567", "9", "9", "9", "9", "9", "", ""],
        ["MSitAE-SEPTEMBER-2024", "", "", "Total", "1,234,567", "9", "9", "9", "9", "9", "", ""],
    ]  # fmt: skip
    path = write_csv(tmp_path / "September-2024-AE-by-provider.csv", rows)
    result = import_file("ae_attendances", path, data_dir=tmp_path / "d")
    assert result.layout == "ae_monthly_csv"
    assert (result.rows_read, result.rows_dropped) == (3 * 6, 2 * 6)
    assert (result.rows_loaded, result.rows_rejected, result.rows_flagged) == (6, 0, 0)
    got = {
        (r["department_type"], r["measure"]): r["count"]
        for r in stored(tmp_path / "d", "ae_attendances")
    }
    assert got[("01", "attendances")] == 21289
    assert got[("other", "attendances")] == 2850
    assert got[("01", "over_4_hours")] == 2879


def test_nhs_england_monthly_ae_workbook_with_repeated_sub_headings(tmp_path: Path) -> None:
    """The monthly 'A&E by provider' .xls (2010 on): title rows, group headings over the same
    department sub-headings (attendances, then attendances over four hours), the England row
    and a blank row above the providers. Each sub-heading's second column is read as the
    over-four-hour count; the month comes with --period."""
    type_1, type_2 = "Type 1 Departments - Major A&E", "Type 2 Departments - Single Specialty"
    type_3 = "Type 3 Departments - Other A&E/Minor Injury Unit"
    groups = ["", "", "", "A&E attendances", "", "", "",
              "A&E attendances > 4 hours from arrival to admission, transfer or discharge"]  # fmt: skip
    header = [
        "Code", "Region", "Name", type_1, type_2, type_3, "Total attendances", type_1, type_2,
        type_3, "Total Attendances > 4 hours", "Percentage in 4 hours or less (type 1)",
        "Percentage in 4 hours or less (all)", "Emergency Admissions via Type 1 A&E",
        "Emergency Admissions via Type 2 A&E", "Emergency Admissions via Type 3 and 4 A&E",
        "Total Emergency Admissions via A&E", "Other Emergency admissions (i.e not via A&E)",
        "Total Emergency Admissions",
        "Number of patients spending >4 hours from decision to admit to admission",
        "Number of patients spending >12 hours from decision to admit to admission",
    ]  # fmt: skip
    rows = [
        groups,
        header,
        ["-", "-", "England", "9", "9", "9", "27", "1", "1", "1", "3", "0.9", "0.9", "9", "9",
         "9", "27", "9", "36", "9", "0"],
        ["RF4", "London", "BARKING", "21289", "813", "2850", "24952", "2879", "22", "6", "2907",
         "0.86", "0.88", "5060", "0", "0", "5060", "700", "5760", "300", "2"],
        ["RQM", "London", "CHELSEA", "10000", "", "0", "10000", "500", "", "0", "500", "0.95",
         "0.95", "2000", "", "0", "2000", "100", "2100", "10", "0"],
    ]  # fmt: skip
    path = write_xls(
        tmp_path / "December-2012-AE-by-provider.xls",
        rows,
        title_rows=["A&E Attendances and Emergency Admissions", "Period:", "December 2012"],
    )
    result = import_file("ae_attendances", path, data_dir=tmp_path / "d", period="2012-12")
    assert result.layout == "ae_monthly_xls"
    assert (result.rows_read, result.rows_dropped) == (3 * 11, 11)
    assert (result.rows_loaded, result.rows_rejected, result.rows_flagged) == (22, 0, 0)
    got = {
        (r["provider_code"], r["department_type"], r["measure"]): r["count"]
        for r in stored(tmp_path / "d", "ae_attendances")
    }
    assert got[("RF4", "01", "attendances")] == 21289
    assert got[("RF4", "01", "over_4_hours")] == 2879
    assert got[("RF4", "other", "over_4_hours")] == 6
    assert got[("RF4", "all", "dta_over_12_hours")] == 2
    assert got[("RQM", "02", "attendances")] is None  # published empty
    rf4 = [
        got[("RF4", t, m)] for m in ("attendances", "over_4_hours") for t in ("01", "02", "other")
    ]
    assert agg.four_hour_percent(sum(rf4[:3]), sum(rf4[3:])) == pytest.approx(
        (24952 - 2907) / 24952 * 100
    )
    assert {str(r["month"]) for r in stored(tmp_path / "d", "ae_attendances")} == {"2012-12-01"}


# --- from the published files to the indicators ---------------------------------------------------


@pytest.mark.django_db
def test_refresh_of_a_warehouse_of_published_aggregates_only(
    own_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RTT returns and A&E statistics loaded as published, no patient-level rows: `pbc refresh`
    skips costing and validation (saying so) and computes the indicators from the aggregates,
    each value naming its source."""
    from pbc.indicators.models import IndicatorValue

    monkeypatch.setenv("PBC_DATA_DIR", str(own_data))  # what the engine reads without settings

    cli_import("rtt_returns", str(sample(RTT)), "--period", "2010-03")
    cli_import("ae_attendances", str(sample(AE)))
    result = runner.invoke(app, ["refresh"])
    assert result.exit_code == 0, result.output
    assert "costing and statements: skipped" in result.output
    newcastle = IndicatorValue.objects.get(
        indicator_id="rtt-incomplete-18-weeks", level="pct", org_code="5D7", month="2010-03-01"
    )
    # equals the file's own total row for Newcastle PCT, which pbc dropped and recomputed
    header, *data = read_rows(sample(RTT))
    total = next(
        dict(zip(header, r, strict=True))
        for r in data
        if r[2] == "5D7" and r[4] == "IP999"
    )  # fmt: skip
    assert newcastle.value is not None
    assert newcastle.value / 100 == pytest.approx(float(total["% within 18 weeks"]), abs=1e-9)
    assert newcastle.denominator == int(total["Total number of incomplete pathways"])
    assert newcastle.source == "aggregate" and newcastle.extra["dataset"] == "rtt_returns"
    # the median interpolated in the bands of the same total row
    bands = [
        agg.Band(int(h[1:].split("-")[0]), int(h.split("-")[1]), int(total[h]))
        for h in header
        if h.startswith(">")
    ] + [agg.Band(52, None, int(total["52 plus"]))]
    median = IndicatorValue.objects.get(
        indicator_id="rtt-incomplete-median", level="pct", org_code="5D7", month="2010-03-01"
    )
    assert median.value == pytest.approx(agg.summarise_returns(bands).median)
    assert median.numerator == newcastle.denominator and median.source == "aggregate"
    rf4 = IndicatorValue.objects.get(
        indicator_id="ae-four-hour", level="provider", org_code="RF4", month="2017-03-01"
    )
    assert rf4.value == pytest.approx((24_952 - 2_907) / 24_952 * 100)
    assert rf4.source == "aggregate" and rf4.extra["dataset"] == "ae_attendances"
    months = set(
        IndicatorValue.objects.filter(indicator_id="ae-four-hour").values_list("month", flat=True)
    )
    assert len(months) == 36  # April 2016 - March 2019


def test_nhs_england_commissioner_workbook_of_2015_names_the_ccg(tmp_path: Path) -> None:
    """From April 2013 NHS England published the same commissioner tables with "Region Code",
    "CCG Code", "CCG Name" and its own median and 95th percentile columns (e.g.
    Admitted-Commissioner-Apr15, as BenGoodair/waiting_times_LA keeps it): they load by the
    DH layout, the CCG as commissioner, the published totals and percentiles not loaded; a
    bad band count is quarantined naming the file, row and field."""
    header, *data = read_rows(sample(RTT))
    renamed = {"SHA Code": "Region Code", "PCT Code": "CCG Code", "PCT Name": "CCG Name"}
    new_header = [renamed.get(h, h) for h in header[1:]]
    new_header = [*new_header, "Average (median) waiting time (in weeks)",
                  "95th percentile waiting time (in weeks)"]  # fmt: skip
    chosen = [["Y54", "00C", "NHS DARLINGTON CCG", *r[4:], "7.5", "20.1"]
              for r in data if r[2] == "5D7"]  # fmt: skip
    bad = list(chosen[0])
    bad[3] = "IP650"
    bad[6] = "many"  # the '>1-2' band
    path = write_xls(
        tmp_path / "Incomplete-Commissioner-Apr15.xls",
        [new_header, *chosen, bad],
        title_rows=["Referral to Treatment Waiting Times Statistics", "Incomplete pathways"],
    )
    result = import_file("rtt_returns", path, data_dir=tmp_path / "d", period="2015-04")
    assert result.layout == "rtt_dh_commissioner" and result.ignored_columns == ()
    assert result.rows_read == (len(chosen) + 1) * 53
    assert (result.rows_dropped, result.rows_rejected) == (53, 1)
    assert result.source_name == "Incomplete-Commissioner-Apr15.xls"
    assert quarantine_cells(result.quarantine_path) == [
        (str(len(chosen) + 4), "pathways", "many")
    ]  # sheet row
    got = stored(tmp_path / "d", "rtt_returns")
    assert {r["commissioner_code"] for r in got} == {"00C"}
    assert {r["pathway_type"] for r in got} == {"incomplete"}


def quarantine_cells(path: str | None) -> list[tuple[str, str, str]]:
    assert path is not None
    with open(path, newline="", encoding="utf-8") as fh:
        return [(r["source_row"], r["field"], r["value"]) for r in csv.DictReader(fh)]
