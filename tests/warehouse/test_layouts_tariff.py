"""The PbR tariff workbook in its published form (title rows, a merged group header, a column per
price, notes columns; 2008/09 in HRG v3.5) loads into `tariff`, one sheet per import replacing
that year's rows of its points of delivery only, and a spell is priced to the penny against it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
import pytest

from pbc.analytics import costing
from pbc.warehouse.engine import table
from pbc.warehouse.ingest import ImportRefused, import_file
from pbc.warehouse.layouts.tariff import NO_PRICE_REASON

D = Decimal
APC_HEADER = [
    "HRG code", "HRG name", "Outpatient procedure tariff (£)",
    "Combined day case / ordinary elective spell tariff (£)",
    "Ordinary elective long stay trim point (days)", "Non-elective spell tariff (£)",
    "Non-elective long stay trim point (days)",
    "Per day long stay payment (for days exceeding trim point) (£)",
    "Reduced short stay emergency tariff _applicable?",
    "% applied in calculation of reduced short stay emergency tariff",
    "Reduced short stay emergency tariff (£)", "Notes",
]  # fmt: skip
APC_ROWS = [
    ["H80", "Primary Hip Replacement Cemented", "-", 5600, 13, 6200, 26, 210, "No", "-", "-", ""],
    ["D41", "Unspecified Acute Lower Respiratory Infection", "-", "-", "-", 2100, 14, 210, "Yes", 0.2, 420, "See note 3"],
    ["F06", "Oesophagus - Diagnostic Procedures", 190, 780, 2, 1100, 5, 180, "No", None, None, None],
]  # fmt: skip
OP_HEADER = ["Treatment function code", "Treatment function name", "First attendance tariff (£)",
             "Follow-up attendance tariff (£)", "Notes"]  # fmt: skip
OP_ROWS = [["110", "Trauma & Orthopaedics", 160, 85, ""], ["300", "General Medicine", 245, "-", ""]]


def workbook(path: Path, year: str = "2008-09") -> Path:
    """The 2008/09 workbook (or the same prices under another year's title)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "1. APC & OPPROC"
    ws.append([f"Payment by Results {year}: national tariff (HRG v3.5)"])
    ws.append(["Admitted patient care and outpatient procedures"])
    ws.append([])
    ws.append([None, None, "Outpatients", "Elective", None, "Non-elective", None, None,
               "Short stay emergency"])  # fmt: skip
    ws.merge_cells("D4:E4")
    ws.merge_cells("F4:H4")
    ws.merge_cells("I4:K4")
    ws.append(APC_HEADER)
    for row in APC_ROWS:
        ws.append(row)
    op = wb.create_sheet("2. OP attendances")
    op.append([f"Payment by Results {year}: outpatient attendance tariff"])
    op.append([])
    op.append(OP_HEADER)
    for row in OP_ROWS:
        op.append(row)
    wb.save(path)
    return path


def stored(data: Path) -> dict[tuple[str, str], tuple[object, ...]]:
    rel = duckdb.connect().sql(
        f"SELECT * FROM read_parquet('{data}/warehouse/tariff/**/*.parquet', "
        "hive_partitioning = false)"
    )
    rows = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
    return {
        (r["point_of_delivery"], r["hrg_code"] or r["treatment_function_code"]): (
            r["financial_year"],
            r["price"],
            r["trim_point_days"],
            r["excess_bed_day_rate"],
            r["short_stay_max_los_days"],
            r["short_stay_min_age"],
        )
        for r in rows
    }


FY = "2008/09"
APC_EXPECTED = {
    ("DC", "H80"): (FY, D("5600.00"), None, None, None, None),
    ("EL", "H80"): (FY, D("5600.00"), 13, D("210.00"), None, None),
    ("NEL", "H80"): (FY, D("6200.00"), 26, D("210.00"), None, None),
    ("NEL", "D41"): (FY, D("2100.00"), 14, D("210.00"), None, None),
    ("NELST", "D41"): (FY, D("420.00"), None, None, 1, 19),
    ("OPPROC", "F06"): (FY, D("190.00"), None, None, None, None),
    ("DC", "F06"): (FY, D("780.00"), None, None, None, None),
    ("EL", "F06"): (FY, D("780.00"), 2, D("180.00"), None, None),
    ("NEL", "F06"): (FY, D("1100.00"), 5, D("180.00"), None, None),
}
OP_EXPECTED = {
    ("OPFA", "110"): (FY, D("160.00"), None, None, None, None),
    ("OPFUP", "110"): (FY, D("85.00"), None, None, None, None),
    ("OPFA", "300"): (FY, D("245.00"), None, None, None, None),
}


def test_the_2008_09_workbook_loads_sheet_by_sheet(tmp_path: Path) -> None:
    path = workbook(tmp_path / "tariff_2008_09.xlsx")
    data = tmp_path / "data"
    apc = import_file("tariff", path, data_dir=data, period="2008-04")
    assert (apc.layout, apc.rows_read, apc.rows_loaded, apc.rows_rejected) == (
        "pbr_tariff_apc", 15, 9, 0,
    )  # fmt: skip
    assert apc.dropped == {NO_PRICE_REASON: 6}
    assert apc.rows_flagged == 0  # HRG v3.5 codes are valid HRG codes
    assert stored(data) == APC_EXPECTED
    # The outpatient sheet, forced by name: it replaces 2008/09's OPFA / OPFUP rows only.
    op = import_file("tariff", path, data_dir=data, period="2008-04", layout="pbr_tariff_op")
    assert (op.rows_read, op.rows_loaded, op.dropped) == (4, 3, {NO_PRICE_REASON: 1})
    assert stored(data) == APC_EXPECTED | OP_EXPECTED


def test_the_workbook_needs_its_year(tmp_path: Path) -> None:
    path = workbook(tmp_path / "tariff.xlsx")
    with pytest.raises(ImportRefused, match="give --period"):
        import_file("tariff", path, data_dir=tmp_path / "d")
    with pytest.raises(ImportRefused, match="not the first month of a financial year"):
        import_file("tariff", path, data_dir=tmp_path / "d", period="2008-05")


def test_a_spell_is_priced_to_the_penny_against_the_workbook(tmp_path: Path) -> None:
    data = tmp_path / "data"
    import_file("tariff", workbook(tmp_path / "t.xlsx"), data_dir=data, period="2008-04")
    con = ibis.duckdb.connect()
    spells = pa.Table.from_pylist(
        [
            # elective hip, 19 days: 6 days beyond the trim point of 13
            {"spell_id": "hip", "provider_code": "RWG", "admission_method": "11",
             "admission_date": dt.date(2008, 6, 1), "discharge_date": dt.date(2008, 6, 20),
             "length_of_stay": 19, "age_on_admission": 70, "hrg_code": "H80",
             "charged_price": D("7602.25")},
            # an adult's one-day emergency stay: the reduced short stay emergency price
            {"spell_id": "lrti", "provider_code": "RWG", "admission_method": "21",
             "admission_date": dt.date(2008, 7, 1), "discharge_date": dt.date(2008, 7, 2),
             "length_of_stay": 1, "age_on_admission": 45, "hrg_code": "D41",
             "charged_price": D("465.44")},
        ]
    )  # fmt: skip
    mff = pa.Table.from_pylist(
        [{"financial_year": FY, "provider_code": "RWG", "market_forces_factor": D("1.1082")}],
        schema=pa.schema(
            [("financial_year", pa.string()), ("provider_code", pa.string()),
             ("market_forces_factor", pa.decimal128(6, 4))]
        ),
    )  # fmt: skip
    priced = con.to_pyarrow(
        costing.cost_apc(
            ibis.memtable(spells), table(con, "tariff", data_dir=data), ibis.memtable(mff)
        )
    )
    out = {r["spell_id"]: r for r in priced.to_pylist()}
    assert out["hip"]["expected_point_of_delivery"] == "EL"
    assert out["hip"]["expected_price"] == D("7602.25")  # (5600 + 6 x 210) x 1.1082
    assert out["lrti"]["expected_point_of_delivery"] == "NELST"
    assert out["lrti"]["expected_price"] == D("465.44")  # 420 x 1.1082
    assert out["hip"]["price_difference"] == out["lrti"]["price_difference"] == D("0.00")


def test_a_sheet_without_procedure_and_short_stay_prices_loads_the_spell_prices(
    tmp_path: Path,
) -> None:
    """The DH workbook headings of 2008/09 and 2009/10 are not confirmed from a published copy:
    a sheet with only the spell prices, their trim points and the long stay payment (an HRG
    "Label" column, no outpatient procedure or short stay emergency price) still loads them."""
    from openpyxl import Workbook

    header = ["HRG", "Label", "Elective spell tariff (£)", "Elective long stay trim point (days)",
              "Non-elective spell tariff (£)", "Non-elective long stay trim point (days)",
              "Per day long stay payment (£)"]  # fmt: skip
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Payment by Results 2008-09 tariff information"])
    ws.append(header)
    ws.append(["H80", "Primary Hip Replacement Cemented", "5,600", 13, "6,200", 26, 210])
    path = tmp_path / "tariff_2008_09.xlsx"
    wb.save(path)
    result = import_file("tariff", path, data_dir=tmp_path / "d", period="2008-04")
    assert (result.layout, result.rows_loaded, result.rows_rejected) == ("pbr_tariff_apc", 3, 0)
    assert stored(tmp_path / "d") == {k: v for k, v in APC_EXPECTED.items() if k[1] == "H80"}


def test_a_period_of_another_year_than_the_title_names_is_refused(tmp_path: Path) -> None:
    """The workbook names its year only in its title: --period 2009-04 for the 2008/09
    workbook would store 2008/09 prices as 2009/10's (replacing them), so it is refused, naming
    the year the title gives and its row; nothing is stored."""
    path = workbook(tmp_path / "tariff_2008_09.xlsx")
    data = tmp_path / "d"
    with pytest.raises(ImportRefused) as refused:
        import_file("tariff", path, data_dir=data, period="2009-04")
    assert str(refused.value) == (
        "tariff_2008_09.xlsx: --period 2009-04 is in 2009/10, but the title rows of sheet "
        "'1. APC & OPPROC' name 2008/09 (row 1): give the workbook's own year (--period 2008-04)"
    )
    assert not (data / "warehouse" / "tariff").exists()
    # the outpatient sheet, forced, is checked against its own title rows
    with pytest.raises(ImportRefused, match="sheet '2. OP attendances' name 2008/09"):
        import_file("tariff", path, data_dir=data, period="2009-04", layout="pbr_tariff_op")


def test_years_named_in_a_title() -> None:
    from pbc.warehouse.layouts.title_year import years_named

    assert years_named("Payment by Results 2008-09: national tariff") == {"2008/09"}
    assert years_named("2017/18 and 2018/19 National Tariff") == {"2017/18", "2018/19"}
    assert years_named("tariff 2009-2010") == {"2009/10"}
    # a date, a month and a span that is not one year are not financial years
    assert years_named("extracted 2009-10-05; 2008-04; 2008-2010; 12008/09") == set()
