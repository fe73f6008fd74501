"""Practice prescribing as published (PDPI and EPD) loads as it is, with exact counts, and each
practice's items and cost equal a plain recomputation from the file."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from tests.warehouse.real_samples import read_rows, sample, write_csv, write_xls, write_xlsx
from typer.testing import CliRunner

from pbc.cli import app
from pbc.imports.models import ImportRun
from pbc.warehouse.ingest import ImportRefused, import_file

runner = CliRunner()
PDPI = "prescribing/pdpi_2014_10_sample.csv"
EPD = "prescribing/epd_2017_09_sample.csv"


@pytest.fixture
def own_data(settings: object, tmp_path: Path) -> Path:
    """A data directory of this test's own (the session's demo warehouse stays untouched)."""
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"  # type: ignore[attr-defined]
    return tmp_path


def stored(data_dir: Path) -> list[dict[str, object]]:
    con = duckdb.connect()
    rel = con.sql(
        f"SELECT * FROM read_parquet('{data_dir}/warehouse/prescribing/**/*.parquet', "
        "hive_partitioning = true)"
    )
    cols = rel.columns
    return [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]


def totals(rows: list[dict[str, object]]) -> dict[str, tuple[int, Decimal, Decimal, float]]:
    out: dict[str, list[object]] = defaultdict(lambda: [0, Decimal(0), Decimal(0), 0.0])
    for r in rows:
        t = out[str(r["gp_practice_code"])]
        t[0] += int(r["items"])  # type: ignore[operator, call-overload]
        t[1] += Decimal(str(r["net_ingredient_cost"]))  # type: ignore[operator]
        t[2] += Decimal(str(r["actual_cost"]))  # type: ignore[operator]
        t[3] += float(r["quantity"])  # type: ignore[operator, arg-type]
    return {k: (v[0], v[1], v[2], round(v[3], 6)) for k, v in out.items()}  # type: ignore[misc]


def epd_recomputed() -> dict[str, tuple[int, Decimal, Decimal, float]]:
    """EPD by practice from the file with the csv module: every row counts (no test items)."""
    out: dict[str, list[object]] = defaultdict(lambda: [0, Decimal(0), Decimal(0), 0.0])
    with open(sample(EPD), newline="") as fh:
        for r in csv.DictReader(fh):
            t = out[r["PRACTICE_CODE"]]
            t[0] += int(r["ITEMS"])  # type: ignore[operator]
            t[1] += Decimal(r["NIC"])  # type: ignore[operator]
            t[2] += Decimal(r["ACTUAL_COST"])  # type: ignore[operator]
            t[3] += float(r["TOTAL_QUANTITY"])  # type: ignore[operator]
    return {k: (v[0], v[1], v[2], round(v[3], 6)) for k, v in out.items()}  # type: ignore[misc]


def cost_by_practice_rounded_per_key(path: Path) -> dict[str, Decimal]:
    """Actual cost per practice as pbc stores it: summed per key, rounded half-up to the penny
    per stored row (money is DECIMAL(14, 2) at the row)."""
    per_key: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            per_key[(r["PRACTICE_CODE"], r["BNF_CODE"])] += Decimal(r["ACTUAL_COST"])
    out: dict[str, Decimal] = defaultdict(Decimal)
    for (practice, _), cost in per_key.items():
        out[practice] += cost.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    return dict(out)


@pytest.mark.django_db
def test_pdpi_sample_loads_as_published_with_exact_counts(own_data: Path) -> None:
    result = runner.invoke(app, ["import", "prescribing", str(sample(PDPI)), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["layout"] == "pdpi"
    # 51 data rows: 1 test item dropped, 1 row repeating its key quarantined, 49 loaded.
    assert (record["rows_read"], record["rows_loaded"], record["rows_rejected"]) == (51, 49, 1)
    assert record["rows_dropped"] == 1 and record["rows_flagged"] == 0
    assert record["dropped"] == {"test or dummy item (not a real presentation)": 1}
    assert record["rows_read"] == (
        record["rows_loaded"] + record["rows_rejected"] + record["rows_dropped"]
    )
    run = ImportRun.objects.get(pk=record["import_run"])
    assert (run.layout, run.rows_dropped, run.rows_read) == ("pdpi", 1, 51)
    with open(record["quarantine_path"], newline="") as fh:
        quarantined = list(csv.DictReader(fh))
    assert len(quarantined) == 1
    assert quarantined[0]["source_row"] == "51"
    assert (
        "repeats the key (gp_practice_code, bnf_code, month) of row 50"
        in (quarantined[0]["reason"])
    )
    assert quarantined[0]["value"] == "Y00327 | 0103050E0AAAAAA | 2014-10-01"

    rows = stored(own_data)
    assert len(rows) == 49
    assert not any(str(r["bnf_name"]).lower().startswith("test item") for r in rows)
    # A plain recomputation from the file: every row but the test item and the repeat.
    expected: dict[str, list[object]] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    data = read_rows(sample(PDPI))[1:]
    for line, r in enumerate(data, start=2):
        if r[4].strip().lower().startswith("test item") or line == 51:
            continue
        t = expected[r[2]]
        t[0] += int(r[5])  # type: ignore[operator]
        t[1] += Decimal(r[6])  # type: ignore[operator]
        t[2] += Decimal(r[7])  # type: ignore[operator]
    got = {k: v[:3] for k, v in totals(rows).items()}
    assert got == {k: tuple(v) for k, v in expected.items()}
    assert {str(r["month"]) for r in rows} == {"2014-10-01"}


@pytest.mark.django_db
def test_epd_sample_sums_split_rows_and_keeps_appliance_codes(own_data: Path) -> None:
    result = runner.invoke(app, ["import", "prescribing", str(sample(EPD)), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["layout"] == "epd"
    # 10,027 rows of 5,324 practice x presentation keys: EPD splits a key by pack quantity,
    # so 4,703 rows are summed into their key's first row. Nothing rejected, nothing flagged
    # (the 11-digit appliance codes of BNF chapters 20-23 are valid).
    assert (record["rows_read"], record["rows_loaded"], record["rows_rejected"]) == (
        10027, 5324, 0,
    )  # fmt: skip
    assert record["rows_dropped"] == 4703 and record["rows_flagged"] == 0
    rows = stored(own_data)
    assert (
        sum(1 for r in rows if len(str(r["bnf_code"])) == 11)
        == len(
            {(r["gp_practice_code"], r["bnf_code"]) for r in rows if len(str(r["bnf_code"])) == 11}
        )
        > 0
    )
    got = totals(rows)
    want = epd_recomputed()
    assert {k: v[0] for k, v in got.items()} == {k: v[0] for k, v in want.items()}
    assert {k: v[1] for k, v in got.items()} == {k: v[1] for k, v in want.items()}
    assert {k: v[3] for k, v in got.items()} == {k: v[3] for k, v in want.items()}
    assert {k: v[2] for k, v in got.items()} == cost_by_practice_rounded_per_key(sample(EPD))


def _load(tmp_path: Path, path: Path, **kw: object) -> tuple[object, list[dict[str, object]]]:
    data = tmp_path / "data"
    result = import_file("prescribing", path, data_dir=data, **kw)  # type: ignore[arg-type]
    return result, stored(data)


def by_practice(rows: list[list[str]]) -> dict[str, tuple[int, Decimal]]:
    """Items and NIC per practice from EPD rows (header first), recomputed plainly."""
    header = rows[0]
    practice, items, nic = (header.index(c) for c in ("PRACTICE_CODE", "ITEMS", "NIC"))
    out: dict[str, tuple[int, Decimal]] = {}
    for r in rows[1:]:
        i, n = out.get(r[practice], (0, Decimal(0)))
        out[r[practice]] = (i + int(r[items]), n + Decimal(r[nic]))
    return out


def test_epd_variants_load_the_same(tmp_path: Path) -> None:
    """BOM, Windows-1252, a workbook with title rows and another sheet first, a legacy .xls,
    and the later EPD header (ICB columns, SNOMED code, YYYYMM month) load the same figures."""
    rows = read_rows(sample(EPD))
    header = rows[0]
    later = [
        {"AREA_TEAM_NAME": "ICB_NAME", "AREA_TEAM_CODE": "ICB_CODE"}.get(h, h) for h in header
    ] + ["SNOMED_CODE"]
    later_rows = [later] + [[r[0].replace("_", "")] + r[1:] + ["123"] for r in rows[1:]]
    accented = [rows[0], rows[1][:7] + [rows[1][7] + " É £"] + rows[1][8:], *rows[2:]]
    part = rows[:2501]
    variants = {
        "bom.csv": (lambda p: write_csv(p, rows, encoding="utf-8-sig"), rows),
        "cp1252.csv": (lambda p: write_csv(p, accented, encoding="cp1252"), rows),
        "later.csv": (lambda p: write_csv(p, later_rows), rows),
        "titled.xlsx": (
            lambda p: write_xlsx(
                p,
                part,
                title_rows=["English Prescribing Dataset", "September 2017"],
                before=[("Notes", [["Published by NHSBSA"], ["Open Government Licence"]])],
            ),
            part,
        ),
        "legacy.xls": (lambda p: write_xls(p, part, title_rows=["EPD extract"]), part),
    }
    for name, (write, source) in variants.items():
        path = write(tmp_path / name)
        result, stored_rows = _load(tmp_path / name.replace(".", "_"), path)
        assert result.layout == "epd", name  # type: ignore[attr-defined]
        assert result.rows_rejected == 0 and result.rows_flagged == 0, name  # type: ignore[attr-defined]
        assert result.rows_read == len(source) - 1, name  # type: ignore[attr-defined]
        got = {k: v[:2] for k, v in totals(stored_rows).items()}
        assert got == by_practice(source), name


def test_pdpi_from_december_2018_loads_the_same(tmp_path: Path) -> None:
    """From December 2018 NHSBSA removed the padding, the trailing blank column and wrote the
    quantity with decimals; the same layout reads it."""
    rows = read_rows(sample(PDPI))
    header = [h.strip() for h in rows[0] if h.strip()]
    body = [[v.strip() for v in r[:10]] for r in rows[1:]]
    body = [r[:8] + [f"{float(r[8]):.1f}"] + r[9:] for r in body]
    path = write_csv(tmp_path / "T201812PDPI_BNFT.csv", [header] + body)
    result, got = _load(tmp_path, path)
    assert result.layout == "pdpi"  # type: ignore[attr-defined]
    assert (result.rows_read, result.rows_loaded, result.rows_rejected, result.rows_dropped) == (  # type: ignore[attr-defined]
        51, 49, 1, 1,
    )  # fmt: skip


def test_a_repeated_epd_key_is_summed_and_a_repeated_pdpi_key_quarantined(tmp_path: Path) -> None:
    epd = read_rows(sample(EPD))
    first = epd[1]
    twice = [epd[0], first, first, first]
    result, got = _load(tmp_path / "e", write_csv(tmp_path / "epd.csv", twice))
    assert (result.rows_read, result.rows_loaded, result.rows_dropped) == (3, 1, 2)  # type: ignore[attr-defined]
    assert got[0]["items"] == 3 * int(first[20])
    pdpi = read_rows(sample(PDPI))
    result, got = _load(
        tmp_path / "p", write_csv(tmp_path / "pdpi.csv", [pdpi[0], pdpi[1], pdpi[1], pdpi[2]])
    )
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)  # type: ignore[attr-defined]


def test_an_unrecognised_prescribing_file_names_the_nearest_layout(tmp_path: Path) -> None:
    rows = read_rows(sample(EPD))
    header = [h for h in rows[0] if h != "ITEMS"]
    cut = rows[0].index("ITEMS")
    body = [r[:cut] + r[cut + 1 :] for r in rows[1:3]]
    path = write_csv(tmp_path / "odd.csv", [header] + body)
    with pytest.raises(ImportRefused) as refused:
        import_file("prescribing", path, data_dir=tmp_path / "d")
    text = str(refused.value)
    assert "odd.csv" in text and "nearest is epd" in text and "missing columns ITEMS" in text
    with pytest.raises(ImportRefused, match="nearest is pdpi"):
        import_file("prescribing", sample(EPD), data_dir=tmp_path / "d", layout="pdpi")
    with pytest.raises(ImportRefused, match="unknown layout 'nope'"):
        import_file("prescribing", sample(EPD), data_dir=tmp_path / "d", layout="nope")


def test_import_layouts_lists_every_layout_with_its_source() -> None:
    result = runner.invoke(app, ["import", "--layouts", "--json"])
    assert result.exit_code == 0, result.output
    listed = {row["name"]: row for row in json.loads(result.stdout)}
    assert listed["pdpi"]["dataset"] == "prescribing" and "NHS Digital" in listed["pdpi"]["source"]
    assert listed["epd"]["spec"].startswith("https://opendata.nhsbsa.net/")
    assert "pbc" in listed


def test_epd_from_march_2025_renamed_columns_and_unattributed_rows(tmp_path: Path) -> None:
    """From March 2025 NHSBSA's EPD names the presentation BNF_PRESENTATION_CODE and
    BNF_PRESENTATION_NAME (the chemical substance BNF_CHEMICAL_SUBSTANCE_CODE and
    BNF_CHEMICAL_SUBSTANCE, ADQUSAGE ADQ_USAGE): it loads the same figures. Prescribing NHSBSA
    could not attribute to a practice (UNIDENTIFIED DOCTORS, code "-" or CCG + 998) is dropped
    and counted, not loaded as a practice."""
    rows = read_rows(sample(EPD))
    renamed = {
        "AREA_TEAM_NAME": "ICB_NAME",
        "AREA_TEAM_CODE": "ICB_CODE",
        "BNF_CHEMICAL_SUBSTANCE": "BNF_CHEMICAL_SUBSTANCE_CODE",
        "CHEMICAL_SUBSTANCE_BNF_DESCR": "BNF_CHEMICAL_SUBSTANCE",
        "BNF_CODE": "BNF_PRESENTATION_CODE",
        "BNF_DESCRIPTION": "BNF_PRESENTATION_NAME",
        "ADQUSAGE": "ADQ_USAGE",
    }
    header = [renamed.get(h, h) for h in rows[0]] + ["SNOMED_CODE"]
    data = [[r[0].replace("_", ""), *r[1:], "123"] for r in rows[1:101]]
    unattributed = list(data[0])
    unattributed[header.index("PRACTICE_NAME")] = "UNIDENTIFIED DOCTORS"
    unattributed[header.index("PRACTICE_CODE")] = "-"
    deputising = list(data[1])
    deputising[header.index("PRACTICE_NAME")] = "UNIDENTIFIED DEPUTISING SERVICES"
    deputising[header.index("PRACTICE_CODE")] = "11M998"
    path = write_csv(tmp_path / "EPD_SNOMED_202503.csv", [header, *data, unattributed, deputising])
    result, stored_rows = _load(tmp_path / "d", path)
    assert result.layout == "epd"  # type: ignore[attr-defined]
    assert result.rows_rejected == 0 and result.rows_flagged == 0  # type: ignore[attr-defined]
    assert (
        result.dropped[  # type: ignore[attr-defined]
            "not attributed to a practice (NHSBSA's UNIDENTIFIED DOCTORS / DEPUTISING SERVICES, "
            "UNSPECIFIED PRACTICE / UNKNOWN SURGERY, or dummy dental prescriber)"
        ]
        == 2
    )
    got = {k: (v[0], v[1]) for k, v in totals(stored_rows).items()}
    assert got == by_practice([rows[0], *rows[1:101]])
