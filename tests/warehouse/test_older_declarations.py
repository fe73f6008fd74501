"""Files stored before an optional field was added to a dataset's declaration are read as they
are, the field empty (`store.stored_under_other_declarations`, `engine.table`): a commissioner
who upgrades pbc keeps every stored month readable without importing it again."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyarrow.parquet as pq

from pbc.warehouse import engine as wh_engine
from pbc.warehouse import store
from pbc.warehouse.ingest import import_file
from pbc.warehouse.schema import Field


def test_files_of_an_older_declaration_read_with_the_new_field_empty(  # type: ignore[no-untyped-def]
    tmp_path: Path, sample
) -> None:
    old = sample.ACTIVITY
    new = dataclasses.replace(
        old, fields=(*old.fields, Field("lsoa_code", "string", False, check="lsoa_code"))
    )
    april = sample.month_rows("2008-04", "RWG", 7)
    import_file(old, sample.write_csv(tmp_path / "old.csv", april), data_dir=tmp_path)
    con = wh_engine.connect("duckdb")

    # Every file old: the field is there, empty; the declaration's digest tells them apart.
    assert store.stored_under_other_declarations(new, tmp_path)
    assert not store.stored_under_other_declarations(old, tmp_path)
    only_old = wh_engine.table(con, new, data_dir=tmp_path).to_pyarrow().to_pylist()
    assert len(only_old) == 7 and {r["lsoa_code"] for r in only_old} == {None}

    # Old and new files side by side (the new one first or not, as the manifest lists them).
    may = [[*r, "E01000001"] for r in sample.month_rows("2008-05", "RWG", 5)]
    import_file(
        new,
        sample.write_csv(tmp_path / "new.csv", may, header=[*sample.HEADER, "lsoa_code"]),
        data_dir=tmp_path,
    )
    files = store.live_files(new, tmp_path)
    assert {"lsoa_code" in pq.read_schema(f).names for f in files} == {True, False}
    t = wh_engine.table(con, new, data_dir=tmp_path)
    assert t.schema() == wh_engine.ibis_schema(new)
    rows = t.order_by("row_id").to_pyarrow().to_pylist()
    assert len(rows) == 12
    assert {r["row_id"][:7]: r["lsoa_code"] for r in rows} == {
        "2008-04": None,
        "2008-05": "E01000001",
    }

    # Once every month is imported again under the new declaration, the quick read is used.
    again = [[*r, ""] for r in april]
    import_file(
        new,
        sample.write_csv(tmp_path / "again.csv", again, header=[*sample.HEADER, "lsoa_code"]),
        data_dir=tmp_path,
    )
    assert not store.stored_under_other_declarations(new, tmp_path)
    assert len(wh_engine.table(con, new, data_dir=tmp_path).to_pyarrow()) == 12
    con.disconnect()
