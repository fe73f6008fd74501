"""The National Tariff annex A workbook (2017/18 and 2018/19) and the later MFF sheets, with the
headings as published (line breaks in header cells, separate day case and ordinary elective
prices beside the combined one, best practice tariff columns, single and multi-professional
outpatient prices, A&E prices by department type), load into `tariff` and
`market_forces_factors`. docs/data.md "Layouts of `tariff`" says where each heading was
confirmed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import ibis
import pyarrow as pa
from openpyxl import Workbook

from analytics.test_costing_oracle import Oracle
from pbc.analytics import costing
from pbc.warehouse.engine import table
from pbc.warehouse.ingest import import_file
from pbc.warehouse.layouts.tariff import NO_PRICE_REASON
from warehouse.test_layouts_mff import stored as stored_mff
from warehouse.test_layouts_tariff import stored

D = Decimal
FY = "2017/18"
APC_HEADER = [
    "HRG code", "HRG name", "Outpatient procedure tariff (£)",
    "Combined day case / ordinary elective spell tariff (£)", "Day case spell tariff (£)",
    "Ordinary elective spell tariff (£)", "Ordinary elective long stay trim point (days)",
    "Non-elective spell tariff (£)", "Non-elective long stay trim point (days)",
    "Per day long stay payment (for days exceeding trim point) (£)",
    "Reduced short stay emergency tariff \napplicable?",
    "% applied in calculation of reduced short stay emergency tariff ",
    "Reduced short stay emergency tariff (£)", " BPT applies to HRG or sub-HRG level",
    'Area BPT Name applies (see also tab "07#BPTs")',
    "SUS will automate which BPT price (BPT or non-BPT price)", "The price automated by SUS",
    "BPT Flag",
]  # fmt: skip
APC_ROWS = [
    # priced once for day case and elective: the combined price, "-" in the split columns
    ["HB12C", "Major Hip Procedures for Non-Trauma, Category 1, without CC", "-", 5852, "-",
     "-", 5, 6521, 19, 247, "No", "-", "-", "-", None, None, None, None],
    # priced apart: "-" in the combined column, the day case and ordinary elective prices
    ["FZ17A", "Abdominal Hernia Procedures", 163, "-", 1159, 1903, 3, 2632, 9, 273, "Yes",
     0.3, 790, "-", None, None, None, None],
]  # fmt: skip
APC_EXPECTED = {
    ("DC", "HB12C"): (FY, D("5852.00"), None, None, None, None),
    ("EL", "HB12C"): (FY, D("5852.00"), 5, D("247.00"), None, None),
    ("NEL", "HB12C"): (FY, D("6521.00"), 19, D("247.00"), None, None),
    ("OPPROC", "FZ17A"): (FY, D("163.00"), None, None, None, None),
    ("DC", "FZ17A"): (FY, D("1159.00"), None, None, None, None),
    ("EL", "FZ17A"): (FY, D("1903.00"), 3, D("273.00"), None, None),
    ("NEL", "FZ17A"): (FY, D("2632.00"), 9, D("273.00"), None, None),
    ("NELST", "FZ17A"): (FY, D("790.00"), None, None, 1, 19),
}
OP_HEADER = [
    "Treatment function code", "Treatment function description ",
    "WF01B\nFirst Attendance - Single Professional", "WF02B\nFirst Attendance - Multi Professional",
    "WF01A\nFollow Up Attendance - Single Professional",
    "WF02A\nFollow Up Attendance - Multi Professional",
]  # fmt: skip
AE_HEADER = ["HRG code", "HRG name", "Type 1 and 2 Departments", "Type 3 Departments"]


def annex_a(path: Path) -> Path:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    sheets = {
        "APC & OPROC": (APC_HEADER, APC_ROWS),
        "Outpatients": (OP_HEADER, [["110", "Trauma and Orthopaedics", 129, 204, 85, 115]]),
        "A&E": (AE_HEADER, [["VB01Z", "Emergency Medicine, Any Investigation ...", 347, "-"]]),
    }
    for name, (header, rows) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(["2017/18 and 2018/19 National Tariff: Annex A, national prices 2017/18"])
        ws.append([])
        ws.append(header)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_the_annex_a_workbook_loads_with_its_published_headings(tmp_path: Path) -> None:
    path = annex_a(tmp_path / "annex_a_2017_18.xlsx")
    data = tmp_path / "data"
    apc = import_file("tariff", path, data_dir=data, period="2017-04")
    assert (apc.layout, apc.rows_read, apc.rows_loaded, apc.rows_rejected) == (
        "pbr_tariff_apc", 10, 8, 0,
    )  # fmt: skip
    assert apc.dropped == {NO_PRICE_REASON: 2}  # HB12C: no OPPROC, no NELST price
    # the one heading whose text names another tab each year is reported, not loaded
    assert apc.ignored_columns == ('area bpt name applies (see also tab "07#bpts")',)
    assert stored(data) == APC_EXPECTED

    op = import_file("tariff", path, data_dir=data, period="2017-04", layout="pbr_tariff_op")
    assert (op.rows_loaded, op.ignored_columns) == (2, ())
    ae = import_file("tariff", path, data_dir=data, period="2017-04", layout="pbr_tariff_ae")
    assert (ae.rows_loaded, ae.ignored_columns) == (1, ())
    assert stored(data) == APC_EXPECTED | {
        ("OPFA", "110"): (FY, D("129.00"), None, None, None, None),
        ("OPFUP", "110"): (FY, D("85.00"), None, None, None, None),
        ("AE", "VB01Z"): (FY, D("347.00"), None, None, None, None),
    }


def test_mff_sheets_of_2019_20_and_2020_21_load(tmp_path: Path) -> None:
    """The MFF headings of the 2019/20 and 2020/21 workbooks, written over two lines."""
    data = tmp_path / "data"
    for year, header in (
        ("2019/20", [" Provider code", "Provider name", "MFF payment index for \n2019/20"]),
        ("2020/21", ["Provider Code", "Provider Name", "2020/21 MFF\n"]),
    ):
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.append([f"{year} market forces factor values"])
        ws.append(header)
        ws.append(["RJ1", "Guy's and St Thomas'", 1.202198 if year == "2019/20" else 1.19117])
        path = tmp_path / f"mff_{year[:4]}.xlsx"
        wb.save(path)
        result = import_file("market_forces_factors", path, data_dir=data)
        assert (result.layout, result.rows_loaded, result.ignored_columns) == ("pbr_mff", 1, ())
    assert stored_mff(data) == {("2019/20", "RJ1"): D("1.2022"), ("2020/21", "RJ1"): D("1.1912")}


def test_spells_are_priced_to_the_penny_against_the_annex_a_workbook(tmp_path: Path) -> None:
    """Costing against the loaded 2017/18 workbook equals the plain-Python costing oracle and
    the hand-worked prices: an HRG priced apart takes its own day case and ordinary elective
    prices, one priced once the combined price for both."""
    data = tmp_path / "data"
    import_file("tariff", annex_a(tmp_path / "annex_a.xlsx"), data_dir=data, period="2017-04")

    def spell(key: str, method: str, los: int, hrg: str, age: int = 60) -> dict[str, object]:
        start = dt.date(2017, 6, 1)
        return {
            "spell_id": key, "provider_code": "RWG", "admission_method": method,
            "admission_date": start, "discharge_date": start + dt.timedelta(days=los),
            "length_of_stay": los, "age_on_admission": age, "hrg_code": hrg,
            "charged_price": D("0.00"),
        }  # fmt: skip

    spells = [
        spell("hernia-dc", "11", 0, "FZ17A"),  # the day case price 1,159
        spell("hernia-el", "11", 5, "FZ17A"),  # 1,903 + 2 x 273 beyond the trim point of 3
        spell("hip-dc", "12", 0, "HB12C"),  # priced once: the combined 5,852
        spell("hip-el", "11", 8, "HB12C"),  # 5,852 + 3 x 247
        spell("hernia-short", "21", 1, "FZ17A", age=45),  # reduced short stay emergency 790
        spell("hernia-child", "21", 1, "FZ17A", age=12),  # a child: the full 2,632
    ]
    mff_rows = [{"financial_year": FY, "provider_code": "RWG", "market_forces_factor": D("1.1")}]
    mff = pa.Table.from_pylist(
        mff_rows,
        schema=pa.schema(
            [("financial_year", pa.string()), ("provider_code", pa.string()),
             ("market_forces_factor", pa.decimal128(6, 4))]
        ),
    )  # fmt: skip
    con = ibis.duckdb.connect()
    tariff = table(con, "tariff", data_dir=data)
    priced = con.to_pyarrow(
        costing.cost_apc(ibis.memtable(pa.Table.from_pylist(spells)), tariff, ibis.memtable(mff))
    )
    ours = {r["spell_id"]: r["expected_price"] for r in priced.to_pylist()}
    oracle = Oracle(con.to_pyarrow(tariff).to_pylist(), mff_rows)
    assert ours == {s["spell_id"]: oracle.price("apc", s) for s in spells}
    assert ours == {
        "hernia-dc": D("1274.90"), "hernia-el": D("2693.90"), "hip-dc": D("6437.20"),
        "hip-el": D("7252.30"), "hernia-short": D("869.00"), "hernia-child": D("2895.20"),
    }  # fmt: skip


# The maternity sheet of the 2017/18 and 2018/19 workbooks: its headings as SQL that loads the
# published sheet names them (the admitted care sheet's, without the outpatient procedure and
# reduced short stay emergency columns; docs/data.md "Layouts of `tariff`"). The HRGs are real
# maternity HRG4 codes; their prices here are illustrative, not the published ones.
MATERNITY_HEADER = [
    "HRG code", "HRG name", "Combined day case / ordinary elective spell tariff (£)",
    "Day case spell tariff (£)", "Ordinary elective spell tariff (£)",
    "Ordinary elective long stay trim point (days)", "Non-elective spell tariff (£)",
    "Non-elective long stay trim point (days)",
    "Per day long stay payment (for days exceeding trim point) (£)",
]  # fmt: skip
MATERNITY_ROWS = [
    ["NZ16Z", "Antenatal Admissions not Related to Delivery Event", 441, "-", "-", 5, 533, 5, 301],
    ["NZ26C", "Planned Caesarean Section with CC Score 0-1", 2630, "-", "-", 6, "-", 5, 247],
]  # fmt: skip
MATERNITY_EXPECTED = {
    ("DC", "NZ16Z"): (FY, D("441.00"), None, None, None, None),
    ("EL", "NZ16Z"): (FY, D("441.00"), 5, D("301.00"), None, None),
    ("NEL", "NZ16Z"): (FY, D("533.00"), 5, D("301.00"), None, None),
    ("DC", "NZ26C"): (FY, D("2630.00"), None, None, None, None),
    ("EL", "NZ26C"): (FY, D("2630.00"), 6, D("247.00"), None, None),
}


def with_maternity(path: Path, rows: list[list[object]], title: str | None = None) -> Path:
    """The annex A workbook with its maternity sheet after the admitted care sheet."""
    from openpyxl import load_workbook

    annex_a(path)
    wb = load_workbook(path)
    ws = wb.create_sheet("Maternity", index=1)
    ws.append([title or "2017/18 and 2018/19 National Tariff: Annex A, maternity prices 2017/18"])
    ws.append([])
    ws.append(MATERNITY_HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_the_maternity_sheet_loads_with_the_admitted_care_sheet_in_one_import(
    tmp_path: Path,
) -> None:
    """Both sheets in the layout are read by one import, so neither replaces the other: before
    this the maternity sheet could not load beside the admitted care sheet (a second import of
    DC / EL / NEL prices for the year replaced the first's)."""
    path = with_maternity(tmp_path / "annex_a.xlsx", MATERNITY_ROWS)
    data = tmp_path / "data"
    result = import_file("tariff", path, data_dir=data, period="2017-04")
    assert result.layout == "pbr_tariff_apc"
    assert result.sheets == ("APC & OPROC", "Maternity")
    # admitted care: 10 cells, 2 no price; maternity: 2 x 3 prices, NZ26C has no NEL price
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (16, 13, 0)
    assert result.dropped == {NO_PRICE_REASON: 3}
    assert stored(data) == APC_EXPECTED | MATERNITY_EXPECTED
    # the outpatient sheet's import afterwards replaces its own points of delivery only
    import_file("tariff", path, data_dir=data, period="2017-04", layout="pbr_tariff_op")
    assert set(stored(data)) >= set(APC_EXPECTED) | set(MATERNITY_EXPECTED)


def test_a_bad_maternity_row_is_named_by_its_sheet_and_row(tmp_path: Path) -> None:
    """A price repeated on both sheets, and a price that is not a number, are quarantined
    naming the sheet and the row the workbook shows."""
    rows = [
        *MATERNITY_ROWS,
        ["HB12C", "Major Hip Procedures (repeated)", 100, "-", "-", 5, 200, 19, 247],
        ["NZ17Z", "Antenatal Admissions (mistyped)", "four hundred", "-", "-", 5, 533, 5, 301],
    ]
    path = with_maternity(tmp_path / "annex_a.xlsx", rows)
    data = tmp_path / "data"
    result = import_file("tariff", path, data_dir=data, period="2017-04")
    assert result.rows_rejected == 5  # HB12C's DC, EL, NEL; NZ17Z's DC and EL
    assert result.quarantine_path is not None
    import csv

    with open(result.quarantine_path, encoding="utf-8", newline="") as fh:
        lines = list(csv.DictReader(fh))
    repeats = [x for x in lines if x["source_row"] == "Maternity!6"]
    assert len(repeats) == 3
    assert all("of row APC & OPROC!4" in x["reason"] for x in repeats)
    typed = [x for x in lines if x["source_row"] == "Maternity!7"]
    assert {(x["field"], x["value"]) for x in typed} == {("price", "four hundred")}
    assert {g.first_row for g in result.quarantine} <= {6, 7}


def test_a_maternity_sheet_of_another_year_refuses_the_whole_workbook(tmp_path: Path) -> None:
    """One import: a sheet whose title names another year refuses the file, and nothing of the
    other sheet is stored either."""
    path = with_maternity(
        tmp_path / "annex_a.xlsx", MATERNITY_ROWS, title="2016/17 National Tariff: maternity"
    )
    data = tmp_path / "data"
    import pytest

    from pbc.warehouse.sources import ImportRefused

    with pytest.raises(ImportRefused, match="sheet 'Maternity' name 2016/17"):
        import_file("tariff", path, data_dir=data, period="2017-04")
    assert not (data / "warehouse" / "tariff").exists() or stored(data) == {}
