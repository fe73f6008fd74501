"""The warehouse importer held to upload limits (what the imports page and `pbc import` pass):
a file over a limit is refused naming file, row and field, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from pbc.uploads import UploadLimits
from pbc.warehouse.ingest import ImportRefused, import_file

SMALL = UploadLimits(max_bytes=100_000, max_rows=5, max_cell_chars=40)


def refused(sample, path: Path, data_dir: Path) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportRefused) as refusal:
        import_file(sample.ACTIVITY, path, data_dir=data_dir, limits=SMALL)
    assert not any(data_dir.rglob("*.parquet")), "a refused import wrote data"
    return str(refusal.value)


def test_an_over_long_cell_is_refused_in_csv_xlsx_and_parquet(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    rows = sample.month_rows("2008-04", "RWG", 3)
    rows[1][0] = "S" * 41  # row_id, a text field kept as it is
    csv_path = sample.write_csv(tmp_path / "long.csv", rows)
    assert refused(sample, csv_path, tmp_path / "a") == (
        "long.csv: row 3, field row_id: the value has 41 characters, more than the 40 allowed"
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(sample.HEADER)
    for r in rows:
        sheet.append(r)
    book.save(tmp_path / "long.xlsx")
    assert "long.xlsx: row 3, field row_id: the value has 41 characters" in refused(
        sample, tmp_path / "long.xlsx", tmp_path / "b"
    )
    table = pa.table({name: [r[i] for r in rows] for i, name in enumerate(sample.HEADER)})
    pq.write_table(table, tmp_path / "long.parquet")
    assert "long.parquet: row 2, field row_id: the value has 41 characters" in refused(
        sample, tmp_path / "long.parquet", tmp_path / "c"
    )


def test_too_many_rows_or_bytes_are_refused(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    many = sample.write_csv(tmp_path / "many.csv", sample.month_rows("2008-04", "RWG", 6))
    assert refused(sample, many, tmp_path / "a") == "many.csv: more than the 5 rows allowed"
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 100_001)
    assert refused(sample, big, tmp_path / "b") == (
        "big.csv: the file is 100,001 bytes, more than the 100,000 bytes allowed"
    )
    five = sample.write_csv(tmp_path / "five.csv", sample.month_rows("2008-04", "RWG", 5))
    result = import_file(sample.ACTIVITY, five, data_dir=tmp_path / "c", limits=SMALL)
    assert result.rows_loaded == 5
