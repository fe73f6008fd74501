"""Market forces factors in the published form (a workbook sheet: title rows, one row per NHS
organisation, the MFF payment index in a column per year) load into `market_forces_factors`,
each year from its column's heading; costing applies them by provider and year, to the penny,
equal to the plain-Python costing oracle (tests/analytics/test_costing_oracle.py)."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

from analytics.test_costing_oracle import Oracle
from pbc.analytics import costing
from pbc.warehouse.engine import table
from pbc.warehouse.ingest import import_file
from pbc.warehouse.layouts.mff import NO_VALUE_REASON
from warehouse.test_layouts_tariff import workbook as tariff_workbook

D = Decimal
HEADER = ["Org code", "Org name", "2008/09 MFF", "2009/10 MFF", "2009/10 underlying index",
          "Notes"]  # fmt: skip
ROWS = [
    ["RWG", "West Hertfordshire Hospitals NHS Trust", 1.1082, 1.1105, 1.0961, ""],
    ["RWH", "East and North Hertfordshire NHS Trust", 1.0931, 1.0950, 1.0843, None],
    # a trust formed in 2009/10: no 2008/09 value; a payment index published to 6 places
    ["RC9", "Luton and Dunstable Hospital NHS Foundation Trust", "-", 1.050749, 1.0402, "new"],
]  # fmt: skip


def mff_workbook(path: Path, header: list[str] = HEADER, rows: list[list[Any]] = ROWS) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "MFF"
    ws.append(["Payment by Results 2009-10: market forces factors by organisation"])
    ws.append(["Payment index applied to tariff prices; underlying index for allocations"])
    ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def stored(data: Path) -> dict[tuple[str, str], Decimal]:
    rel = duckdb.connect().sql(
        f"SELECT financial_year, provider_code, market_forces_factor FROM read_parquet("
        f"'{data}/warehouse/market_forces_factors/**/*.parquet', hive_partitioning = false)"
    )
    return {(y, p): m for y, p, m in rel.fetchall()}


def test_the_mff_workbook_loads_each_year_from_its_column(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = import_file(
        "market_forces_factors", mff_workbook(tmp_path / "mff.xlsx"), data_dir=data
    )
    assert (result.layout, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "pbr_mff", 6, 5, 0,
    )  # fmt: skip
    assert result.dropped == {NO_VALUE_REASON: 1}
    assert stored(data) == {
        ("2008/09", "RWG"): D("1.1082"),
        ("2009/10", "RWG"): D("1.1105"),
        ("2008/09", "RWH"): D("1.0931"),
        ("2009/10", "RWH"): D("1.0950"),
        ("2009/10", "RC9"): D("1.0507"),  # 1.050749 rounded half up to 4 places
    }


def test_a_one_year_sheet_with_another_heading_loads_its_year(tmp_path: Path) -> None:
    data = tmp_path / "data"
    header = ["Organisation code", "Organisation name", "MFF payment index 2008-09"]
    rows: list[list[Any]] = [["RWG", "West Herts", "1.1082"], ["RWH", "E&N Herts", "1.0931"]]
    path = mff_workbook(tmp_path / "mff_0809.xlsx", header, rows)
    result = import_file("market_forces_factors", path, data_dir=data)
    assert (result.layout, result.rows_loaded) == ("pbr_mff", 2)
    assert stored(data) == {("2008/09", "RWG"): D("1.1082"), ("2008/09", "RWH"): D("1.0931")}


def test_importing_one_year_replaces_that_year_only(tmp_path: Path) -> None:
    """The factors are partitioned by year: a 2008/09 sheet imported after the two-year
    workbook replaces 2008/09's factors (RWH's gone, RWG's changed) and leaves 2009/10's as
    they were; importing it again changes nothing (idempotent); pbc's own layout likewise."""
    data = tmp_path / "data"
    import_file("market_forces_factors", mff_workbook(tmp_path / "mff.xlsx"), data_dir=data)
    header = ["Org code", "Org name", "2008/09 MFF"]
    one_year = mff_workbook(tmp_path / "mff_0809.xlsx", header, [["RWG", "West Herts", 1.2]])
    for _ in range(2):
        result = import_file("market_forces_factors", one_year, data_dir=data)
        assert result.rows_loaded == 1
        assert stored(data) == {
            ("2008/09", "RWG"): D("1.2000"),
            ("2009/10", "RWG"): D("1.1105"),
            ("2009/10", "RWH"): D("1.0950"),
            ("2009/10", "RC9"): D("1.0507"),
        }
    own = tmp_path / "mff_own.csv"
    own.write_text(
        "financial_year,provider_code,market_forces_factor\n2009/10,RWH,1.0999\n",
        encoding="utf-8",
    )
    assert import_file("market_forces_factors", own, data_dir=data).layout == "pbc"
    assert stored(data) == {("2008/09", "RWG"): D("1.2000"), ("2009/10", "RWH"): D("1.0999")}
    parts = sorted(p.name for p in (data / "warehouse" / "market_forces_factors").iterdir())
    assert [p for p in parts if p.startswith("financial_year=")] == [
        "financial_year=2008-09", "financial_year=2009-10",
    ]  # fmt: skip


def test_a_year_that_cannot_name_a_partition_is_quarantined(tmp_path: Path) -> None:
    own = tmp_path / "mff_own.csv"
    own.write_text(
        "financial_year,provider_code,market_forces_factor\n"
        "2009/10,RWH,1.0999\n2009 to 2010,RWG,1.1\n",
        encoding="utf-8",
    )
    result = import_file("market_forces_factors", own, data_dir=tmp_path / "data")
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    with open(str(result.quarantine_path), newline="") as fh:
        [bad] = list(csv.DictReader(fh))
    assert (bad["source_row"], bad["field"], bad["value"]) == (
        "3",
        "financial_year",
        "2009 to 2010",
    )
    assert "cannot name a partition" in bad["reason"]


SPELLS = [
    # elective hip, 19 days (6 beyond the trim point of 13), at RWG in each year: the year's MFF
    {"spell_id": "hip-0809", "provider_code": "RWG", "admission_method": "11",
     "admission_date": dt.date(2008, 6, 1), "discharge_date": dt.date(2008, 6, 20),
     "length_of_stay": 19, "age_on_admission": 70, "hrg_code": "H80"},
    {"spell_id": "hip-0910", "provider_code": "RWG", "admission_method": "11",
     "admission_date": dt.date(2009, 6, 1), "discharge_date": dt.date(2009, 6, 20),
     "length_of_stay": 19, "age_on_admission": 70, "hrg_code": "H80"},
    # an adult's one-day emergency stay at RWH: the short stay price x RWH's MFF
    {"spell_id": "lrti-rwh", "provider_code": "RWH", "admission_method": "21",
     "admission_date": dt.date(2008, 7, 1), "discharge_date": dt.date(2008, 7, 2),
     "length_of_stay": 1, "age_on_admission": 45, "hrg_code": "D41"},
    # RC9's emergency spell of 2009/10 (its 6-place index rounded to 1.0507)
    {"spell_id": "nel-rc9", "provider_code": "RC9", "admission_method": "22",
     "admission_date": dt.date(2009, 8, 1), "discharge_date": dt.date(2009, 8, 21),
     "length_of_stay": 20, "age_on_admission": 80, "hrg_code": "D41"},
    # RC9 in 2008/09: no MFF that year, so unpriced
    {"spell_id": "dc-rc9", "provider_code": "RC9", "admission_method": "12",
     "admission_date": dt.date(2008, 9, 1), "discharge_date": dt.date(2008, 9, 1),
     "length_of_stay": 0, "age_on_admission": 50, "hrg_code": "F06"},
]  # fmt: skip


def test_costing_applies_the_workbook_mff_equal_to_the_oracle(
    engine: ibis.BaseBackend, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    # The same prices for 2008/09 and 2009/10 (each workbook titled with its own year).
    for year, title in (("2008-04", "2008-09"), ("2009-04", "2009-10")):
        tariff_file = tariff_workbook(tmp_path / f"tariff_{title}.xlsx", title)
        import_file("tariff", tariff_file, data_dir=data, period=year)
    import_file("market_forces_factors", mff_workbook(tmp_path / "mff.xlsx"), data_dir=data)
    spells = pa.Table.from_pylist([{**r, "charged_price": D("0.00")} for r in SPELLS])
    path = tmp_path / "spells.parquet"
    pq.write_table(spells, path)
    tariff = table(engine, "tariff", data_dir=data)
    mff = table(engine, "market_forces_factors", data_dir=data)
    priced = engine.to_pyarrow(
        costing.cost_apc(engine.read_parquet(str(path)), tariff, mff).select(
            "spell_id", "expected_price", "expected_market_forces_factor", "mff_found"
        )
    )
    ours = {r["spell_id"]: r for r in priced.to_pylist()}
    oracle = Oracle(engine.to_pyarrow(tariff).to_pylist(), engine.to_pyarrow(mff).to_pylist())
    for row in SPELLS:
        assert ours[row["spell_id"]]["expected_price"] == oracle.price("apc", row), row
    # By hand: (5,600 + 6 x 210) x 1.1082 = 7,602.25; x 1.1105 = 7,618.03; 420 x 1.0931 =
    # 459.10; RC9's 20-day emergency stay: (2,100 + 6 x 210) x 1.0507 = 3,530.35.
    assert {k: r["expected_price"] for k, r in ours.items()} == {
        "hip-0809": D("7602.25"), "hip-0910": D("7618.03"), "lrti-rwh": D("459.10"),
        "nel-rc9": D("3530.35"), "dc-rc9": None,
    }  # fmt: skip
    assert ours["hip-0910"]["expected_market_forces_factor"] == D("1.1105")
    assert not ours["dc-rc9"]["mff_found"]
