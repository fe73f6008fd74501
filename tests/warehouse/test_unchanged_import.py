"""Skipping an unchanged import: a file whose SHA-256 is already committed (and recorded), with
partitions a re-import would only replace with themselves, is not imported again; a changed
file is (`actions.import_unless_unchanged`, `store.unchanged_import`). The demo relies on it so
that a second `pbc demo` imports nothing. Each test imports into a data directory of its own."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.test import override_settings

from pbc.imports.actions import import_unless_unchanged, run_import
from pbc.imports.models import ImportRun
from pbc.warehouse import store
from pbc.warehouse.datasets import DATASETS

pytestmark = pytest.mark.django_db


def rwg_january_rows(n: int) -> pa.Table:
    """`n` spells at RWG discharged in January 2009, from the session's demo warehouse."""
    files = store.live_files("apc", settings.DATA_DIR)
    table = pa.concat_tables([pq.read_table(f) for f in files])
    mask = pc.and_(pc.equal(table["period"], "2009-01"), pc.equal(table["provider_code"], "RWG"))
    rows = table.filter(mask).slice(0, n)
    assert rows.num_rows == n
    return rows.select(list(DATASETS["apc"].names))


def manifest_bytes(data_dir: Path) -> bytes:
    return (store.dataset_dir("apc", data_dir) / store.MANIFEST).read_bytes()


def test_an_unchanged_file_is_not_imported_again_and_a_changed_one_is(tmp_path: Path) -> None:
    rows = rwg_january_rows(20)
    path = tmp_path / "apc.csv"
    pacsv.write_csv(rows, path)
    data_dir = tmp_path / "data"
    with override_settings(DATA_DIR=data_dir):
        first, result = import_unless_unchanged("apc", path)
        assert result is not None and first.status == ImportRun.Status.LOADED
        assert first.rows_loaded == 20
        manifest, runs = manifest_bytes(data_dir), ImportRun.objects.count()

        again, result = import_unless_unchanged("apc", path)

        assert result is None  # nothing imported
        assert again.pk == first.pk and again.import_id == first.import_id
        assert ImportRun.objects.count() == runs
        assert manifest_bytes(data_dir) == manifest  # not even rewritten

        pacsv.write_csv(rows.slice(0, 19), path)  # the file changes: one row fewer
        changed, result = import_unless_unchanged("apc", path)

        assert result is not None and changed.pk != first.pk
        assert changed.rows_loaded == 19
        assert ImportRun.objects.count() == runs + 1
        committed = store.read_manifest(store.dataset_dir("apc", data_dir), "apc")
        assert committed.generation == 2 and committed.rows == 19

        # The first file again: its partitions now hold the second import's rows, so it is
        # imported, although its checksum is in the manifest's record of imports.
        pacsv.write_csv(rows, path)
        back, result = import_unless_unchanged("apc", path)
        assert result is not None and back.rows_loaded == 20


def test_a_file_committed_but_not_recorded_is_imported(tmp_path: Path) -> None:
    """The warehouse holds the file's import but the app database does not (a database built
    afresh beside an old warehouse): import it, so the app has its record."""
    rows = rwg_january_rows(5)
    path = tmp_path / "apc.csv"
    pacsv.write_csv(rows, path)
    with override_settings(DATA_DIR=tmp_path / "data"):
        first, result = run_import(None, "apc", path)
        assert result is not None
        ImportRun.objects.filter(pk=first.pk).delete()

        again, result = import_unless_unchanged("apc", path)

        assert result is not None and again.import_id != first.import_id


def entry(import_id: str) -> store.PartitionEntry:
    return store.PartitionEntry(files=("f",), rows=1, import_id=import_id, imported_at="")


JAN = "period=2009-01/provider_code=RWG"


def manifest_of(
    partitions: dict[str, str], records: dict[str, dict[str, object]]
) -> store.Manifest:
    return store.Manifest(
        dataset="apc",
        partitions={name: entry(i) for name, i in partitions.items()},
        imports=records,
    )


def record(partitions: list[str], checksum: str = "c1") -> dict[str, object]:
    return {"checksum": checksum, "period": None, "schema": "s1", "partitions": partitions}


def test_unchanged_import_is_exact_about_what_a_reimport_would_replace() -> None:
    a, b = f"{JAN}/commissioner_code=5P3", f"{JAN}/commissioner_code=5P2"
    both = manifest_of({a: "i1", b: "i1"}, {"i1": record([a, b])})
    assert store.unchanged_import(both, "c1", None, "s1") == "i1"
    # Another checksum, another declared month or another dataset declaration: import it.
    assert store.unchanged_import(both, "c2", None, "s1") is None
    assert store.unchanged_import(both, "c1", "2009-01", "s1") is None
    assert store.unchanged_import(both, "c1", None, "s2") is None
    # One of its partitions was replaced since (a PCT's import): import it again.
    replaced = manifest_of({a: "i1", b: "i2"}, {"i1": record([a, b]), "i2": record([b], "c9")})
    assert store.unchanged_import(replaced, "c1", None, "s1") is None
    # Another commissioner's partition of the same month and provider came since: the system's
    # re-import would replace it, so it is not a no-op.
    added = manifest_of({a: "i1", b: "i2"}, {"i1": record([a]), "i2": record([b], "c9")})
    assert store.unchanged_import(added, "c1", None, "s1") is None
    # The latest matching import counts.
    twice = manifest_of({a: "i2"}, {"i1": record([a]), "i2": record([a])})
    assert store.unchanged_import(twice, "c1", None, "s1") == "i2"
