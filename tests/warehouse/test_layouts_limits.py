"""Published-layout files go through the one bounded upload path (`pbc.uploads`): their rows
and every cell, the columns pbc does not keep included, are held to the upload limits as they
are read, in CSV (UTF-8 or Windows-1252), XLSX and legacy XLS; a refusal names the file, the
row and the field, and nothing is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.warehouse.real_samples import read_rows, sample, write_csv, write_xls, write_xlsx

from pbc.uploads import UploadLimits
from pbc.warehouse import store
from pbc.warehouse.ingest import ImportRefused, import_file

QUINARY = "list_sizes/gp_reg_pat_prac_quin_age_2017_09_sample.csv"
WIDE = "list_sizes/patient_list_size_2013_04-06.csv"
EPD = "prescribing/epd_2017_09_sample.csv"


def nothing_stored(data_dir: Path, dataset: str) -> bool:
    return not list(store.dataset_dir(dataset, data_dir).glob("**/*.parquet"))


def test_rows_beyond_the_limit_refuse_a_published_file(tmp_path: Path) -> None:
    with pytest.raises(ImportRefused) as refused:
        import_file(
            "list_sizes", sample(QUINARY), data_dir=tmp_path, limits=UploadLimits(max_rows=100)
        )
    assert str(refused.value) == (
        "gp_reg_pat_prac_quin_age_2017_09_sample.csv: row 102: more than the 100 rows allowed"
    )
    assert nothing_stored(tmp_path, "list_sizes")


def test_a_wide_file_is_counted_by_its_own_rows(tmp_path: Path) -> None:
    """40 practices on 40 rows become 720 rows of list_sizes: within a 100-row limit."""
    rows = read_rows(sample(WIDE))[:41]
    path = write_csv(tmp_path / "Patient_List_Size_2013_04-06.csv", rows)
    result = import_file(
        "list_sizes", path, period="2013-04", data_dir=tmp_path, limits=UploadLimits(max_rows=100)
    )
    assert (result.rows_read, result.rows_loaded) == (720, 720)


@pytest.mark.parametrize("form", ["csv-cp1252", "xlsx", "xls"])
def test_a_long_cell_in_a_column_not_kept_refuses_the_file(tmp_path: Path, form: str) -> None:
    """ADDRESS_1 is recognised and not kept by the EPD layout: its cells are checked all the
    same (row 4 is the third data row)."""
    rows = read_rows(sample(EPD))[:6]
    at = rows[0].index("ADDRESS_1")
    rows[3][at] = "Ü" + "x" * 59
    if form == "csv-cp1252":
        path = write_csv(tmp_path / "epd.csv", rows, encoding="cp1252")
        row = 4
    elif form == "xlsx":
        path = write_xlsx(tmp_path / "epd.xlsx", rows, title_rows=["English Prescribing Data"])
        row = 5  # the worksheet's row number, below the title row
    else:
        path = write_xls(tmp_path / "epd.xls", rows)
        row = 4
    with pytest.raises(ImportRefused) as refused:
        import_file("prescribing", path, data_dir=tmp_path, limits=UploadLimits(max_cell_chars=50))
    assert str(refused.value) == (
        f"{path.name}: row {row}, field ADDRESS_1: the value has 60 characters, more than the "
        "50 allowed"
    )
    assert nothing_stored(tmp_path, "prescribing")
    # Within the limits the same file loads.
    result = import_file("prescribing", path, data_dir=tmp_path, limits=UploadLimits())
    assert result.layout == "epd" and result.rows_loaded > 0


def test_a_headerless_file_names_the_column_by_its_letter(tmp_path: Path) -> None:
    rows = read_rows(sample("practices/epraccur_sample.csv"))
    rows[2][4] = "A VERY LONG ADDRESS LINE INDEED, LONGER THAN ALLOWED"
    path = write_csv(tmp_path / "epraccur.csv", rows)
    with pytest.raises(ImportRefused) as refused:
        import_file("practices", path, data_dir=tmp_path, limits=UploadLimits(max_cell_chars=40))
    assert "row 3, field column E: the value has 52 characters" in str(refused.value)
