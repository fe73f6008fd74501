"""NHS England's RTT workbooks from 2016 on, built here in their published form (no public copy
was found; the headings are those readers of the monthly Provider workbooks select: title rows,
header on row 14, "Provider Code", "Treatment Function Code" C_100 ... C_999, bands ">0-1" ...
">103-104", "104 plus", totals, median, 92nd percentile). The pathway is only in the file's
name (Incomplete-Provider-May25-...): read from it, or the file is refused naming the file to
use instead (the month's full CSV extract)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.warehouse.real_samples import write_xlsx

from pbc.warehouse.ingest import import_file
from pbc.warehouse.sources import ImportRefused

TITLE = [
    "",
    "Title: Referral to Treatment (RTT) Waiting Times",
    "Summary: Monthly Referral to Treatment (RTT) waiting times for incomplete pathways.",
    "",
    "Period: May 2025",
    "Source: RTT data collection",
    "Basis: Provider",
    "Published: 10th July 2025",
    "Revised:",
    "Status: Published",
    "Contact: england.rtt@nhs.net",
    "",
    "Provider Level Data",
]


def workbook(path: Path, top: int) -> Path:
    bands = [f">{k}-{k + 1}" for k in range(top)] + [f"{top} plus"]
    header = ["Region Code", "Provider Code", "Provider Name", "Treatment Function Code",
              "Treatment Function", *bands, "Total number of incomplete pathways",
              "Total within 18 weeks", "% within 18 weeks",
              "Average (median) waiting time (in weeks)", "92nd percentile waiting time (in weeks)",
              "Total 52 plus weeks"]  # fmt: skip
    rows: list[list[Any]] = [header]
    for code, name, first in (
        ("C_100", "General Surgery", 3),
        ("C_110", "Trauma and Orthopaedic", 5),
    ):
        counts = [first + k % 4 for k in range(top + 1)]
        rows.append(["Y63", "RTD", "THE NEWCASTLE UPON TYNE HOSPITALS NHS FOUNDATION TRUST",
                     code, name, *counts, sum(counts), sum(counts[:18]), 0.5, 10.1, 40.2, 0])  # fmt: skip
    rows.append(["Y63", "RTD", "THE NEWCASTLE UPON TYNE HOSPITALS NHS FOUNDATION TRUST", "C_999",
                 "Total", *([0] * (top + 1)), 0, 0, 0, 0, 0, 0])  # fmt: skip
    return write_xlsx(path, rows, title_rows=TITLE, before=[("Notes", [["Notes"]])])


def stored(data_dir: Path) -> list[tuple[Any, ...]]:
    return duckdb.sql(
        f"SELECT pathway_type, treatment_function_code, count(*), sum(pathways::INT) FROM "
        f"read_parquet('{data_dir}/warehouse/rtt_returns/**/*.parquet') GROUP BY 1, 2 ORDER BY 2"
    ).fetchall()


def test_workbook_with_bands_to_104_weeks_takes_the_pathway_from_its_name(tmp_path: Path) -> None:
    path = workbook(tmp_path / "Incomplete-Provider-May25-XLSX-9M-32711.xlsx", 104)
    result = import_file("rtt_returns", path, data_dir=tmp_path / "d", period="2025-05")
    assert (result.layout, result.ignored_columns) == ("rtt_workbook_provider_104", ())
    assert (result.rows_read, result.rows_loaded, result.rows_dropped) == (3 * 105, 2 * 105, 105)
    assert (result.rows_rejected, result.rows_flagged) == (0, 0)
    # every band kept, weeks 0-1 ... 103-104 and the open 104 plus, counts as published
    surgery = sum(3 + k % 4 for k in range(105))
    orthopaedics = sum(5 + k % 4 for k in range(105))
    assert stored(tmp_path / "d") == [
        ("incomplete", "100", 105, surgery),
        ("incomplete", "110", 105, orthopaedics),
    ]


@pytest.mark.parametrize(
    ("name", "pathway"),
    [
        ("Admitted-Commissioner-Mar19-XLSX-2M.xlsx", "admitted"),
        ("NonAdmitted-Commissioner-Mar19-XLSX-3M.xlsx", "non_admitted"),
        ("Incomplete-Commissioner-Mar19-XLSX-4M.xlsx", "incomplete"),
    ],
)
def test_workbook_with_bands_to_52_weeks_and_c_codes(
    tmp_path: Path, name: str, pathway: str
) -> None:
    """2016-2021: the earlier bands (to "52 plus") with C_ codes: the earlier layout, the
    pathway from the name (NonAdmitted is not read as Admitted)."""
    path = workbook(tmp_path / name, 52)
    result = import_file("rtt_returns", path, data_dir=tmp_path / "d", period="2019-03")
    assert result.layout == "rtt_dh_provider"
    assert (result.rows_loaded, result.rows_rejected, result.rows_dropped) == (2 * 53, 0, 53)
    assert {row[0] for row in stored(tmp_path / "d")} == {pathway}


def test_workbook_renamed_is_refused_naming_the_file_to_use_instead(tmp_path: Path) -> None:
    path = workbook(tmp_path / "rtt-may-2025.xlsx", 104)
    with pytest.raises(ImportRefused) as refused:
        import_file("rtt_returns", path, data_dir=tmp_path / "d", period="2025-05")
    message = str(refused.value)
    assert "rtt-may-2025.xlsx" in message and "pathway_type" in message
    assert "Incomplete-Provider-May25-XLSX-9M-32711.xlsx" in message
    assert "full CSV extract" in message and "rtt_full_csv_104" in message
    assert not (tmp_path / "d" / "warehouse" / "rtt_returns" / "_manifest.json").exists()


def test_every_provider_sheet_of_the_workbook_loads_in_one_import(tmp_path: Path) -> None:
    """The monthly Incomplete Provider workbook: NHS trusts on "Provider", independent sector
    providers on "IS Provider", and each again "with DTA" (the pathways with a decision to
    admit, a subset). One import reads the four sheets (their headings as readers of the
    workbooks name them: header on row 14, "Region Code", "Provider Code", "Provider Name");
    the DTA sheets' rows are incomplete_dta, never added to incomplete. Before this only
    "Provider" was read and the independent sector was lost."""
    from openpyxl import Workbook

    top = 104
    bands = [f">{k}-{k + 1}" for k in range(top)] + [f"{top} plus"]
    header = ["Region Code", "Provider Code", "Provider Name", "Treatment Function Code",
              "Treatment Function", *bands, "Total number of incomplete pathways"]  # fmt: skip
    sheets = {
        "Provider": ("RTD", "THE NEWCASTLE UPON TYNE HOSPITALS NHS FOUNDATION TRUST", 3),
        "Provider with DTA": ("RTD", "THE NEWCASTLE UPON TYNE HOSPITALS NHS FOUNDATION TRUST", 1),
        "IS Provider": ("NVC02", "RAMSAY HEALTHCARE UK - BORDERS", 2),
        "IS Provider with DTA": ("NVC02", "RAMSAY HEALTHCARE UK - BORDERS", 1),
    }
    wb = Workbook()
    assert wb.active is not None
    wb.active.title = "Notes"
    for sheet, (code, name, count) in sheets.items():
        ws = wb.create_sheet(sheet)
        for title in TITLE:
            ws.append([title])
        ws.append(header)
        ws.append(["Y63", code, name, "C_110", "Trauma and Orthopaedic", *([count] * (top + 1)),
                   count * (top + 1)])  # fmt: skip
    path = tmp_path / "Incomplete-Provider-May25-XLSX-9M-32711.xlsx"
    wb.save(path)
    data = tmp_path / "d"
    result = import_file("rtt_returns", path, data_dir=data, period="2025-05")
    assert result.layout == "rtt_workbook_provider_104"
    assert result.sheets == tuple(sheets)
    assert (result.rows_loaded, result.rows_rejected) == (4 * 105, 0)
    got = duckdb.sql(
        f"SELECT provider_code, pathway_type, sum(pathways::INT) FROM "
        f"read_parquet('{data}/warehouse/rtt_returns/**/*.parquet') GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    assert got == [
        ("NVC02", "incomplete", 2 * 105),
        ("NVC02", "incomplete_dta", 1 * 105),
        ("RTD", "incomplete", 3 * 105),
        ("RTD", "incomplete_dta", 1 * 105),
    ]
