"""A dry run of an import (`import_file(..., dry_run=True)`, the imports page's preview) says
what the import would do and changes nothing: no commit, no quarantine file, no staging left."""

from __future__ import annotations

from pathlib import Path

from pbc.warehouse import store
from pbc.warehouse.ingest import import_file, quarantine_summary

HEADER = (
    "gp_practice_code,practice_name,locality_code,locality_name,pct_code,pct_name,region_code,"
    "parent_code,postcode,open_date,close_date,status_code,prescribing_setting,"
    "commissioner_start_date\n"
)


def row(code: str) -> str:
    return f"{code},A Surgery,dacorum,Dacorum,5P3,West Hertfordshire PCT,,,,,,,,\n"


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def test_a_dry_run_names_what_it_would_replace_and_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = tmp_path / "first.csv"
    first.write_text(HEADER + row("E82601") + row("E82602") + row("E82603"))
    import_file("practices", first, data_dir=data)
    folder = store.dataset_dir("practices", data)
    manifest = store.read_manifest(folder, "practices")
    before = files_under(data)

    second = tmp_path / "second.csv"
    second.write_text(HEADER + row("E82604") + row("") + row(""))
    preview = import_file("practices", second, data_dir=data, dry_run=True)
    assert preview.dry_run
    assert (preview.rows_read, preview.rows_loaded, preview.rows_rejected) == (3, 1, 2)
    assert list(preview.partitions_replaced) == list(manifest.partitions)
    assert preview.rows_replaced == {name: 3 for name in manifest.partitions}
    assert preview.quarantine_path is None
    ((group),) = preview.quarantine
    assert (group.field, group.rows, group.first_row) == ("gp_practice_code", 2, 3)
    # Nothing changed: the same manifest, the same files (no quarantine, no staging).
    assert store.read_manifest(folder, "practices") == manifest
    assert files_under(data) == before

    # The import itself then does what the dry run said.
    done = import_file("practices", second, data_dir=data)
    assert (done.rows_loaded, done.rows_rejected) == (1, 2)
    assert list(done.partitions_replaced) == list(preview.partitions_replaced)
    assert done.quarantine_path is not None
    assert quarantine_summary(done.quarantine_path) == preview.quarantine


def test_the_quarantine_summary_makes_repeats_of_every_key_one_group(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        "source_row,field,value,reason\n"
        "4,spell_id,S1,repeats the key (spell_id) of row 2: dataset apc has one row per key\n"
        "5,spell_id,S2,repeats the key (spell_id) of row 3: dataset apc has one row per key\n"
        "7,admission_date,x,not a date\n"
    )
    groups = quarantine_summary(path)
    assert [(g.field, g.rows, g.first_row) for g in groups] == [
        ("spell_id", 2, 4),
        ("admission_date", 1, 7),
    ]
    assert groups[0].reason == (
        "repeats the key (spell_id) of an earlier row: dataset apc has one row per key"
    )
    assert all("S1" not in g.reason for g in groups)  # values are never in the summary
