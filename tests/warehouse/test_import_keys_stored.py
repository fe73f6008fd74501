"""A dataset's key across imports: an import replaces whole partitions, so a key it brings to a
partition it replaces cannot be repeated there; a key already stored in a partition it keeps (the
key does not name the partition: `apc`'s spell moved to another month) refuses the file, naming
file, row and key fields, and nothing stored changes."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pyarrow.parquet as pq
import pytest

from pbc.warehouse import store
from pbc.warehouse.datasets import DATASETS
from pbc.warehouse.ingest import ImportRefused, import_file
from pbc.warehouse.keys import key_fixes_partition


def stored(sample: ModuleType, wh: Path) -> list[tuple[str, str, str]]:
    """(row_id, event_date, price) of every stored row."""
    rows = []
    for path in store.live_files(sample.ACTIVITY, wh):
        for r in pq.read_table(path).to_pylist():
            rows.append((r["row_id"], str(r["event_date"]), str(r["price"])))
    return sorted(rows)


def test_a_second_import_of_a_key_replaces_its_partition(
    sample: ModuleType, tmp_path: Path
) -> None:
    wh = tmp_path / "wh"
    first = [sample.row("r1", price="10.00"), sample.row("r2", price="20.00")]
    import_file(sample.ACTIVITY, sample.write_csv(tmp_path / "a.csv", first), data_dir=wh)
    again = [sample.row("r1", price="11.00")]  # the same month and provider: same partition
    result = import_file(sample.ACTIVITY, sample.write_csv(tmp_path / "b.csv", again), data_dir=wh)
    assert result.partitions_replaced == ("period=2008-04/provider_code=RWG",)
    assert stored(sample, wh) == [("r1", "2008-04-15", "11.00")]  # one r1; r2 went with a.csv


def test_a_key_stored_in_a_kept_partition_refuses_the_file(
    sample: ModuleType, tmp_path: Path
) -> None:
    wh = tmp_path / "wh"
    april = [sample.row("r1", date="2008-04-15"), sample.row("r2", date="2008-04-16")]
    import_file(sample.ACTIVITY, sample.write_csv(tmp_path / "april.csv", april), data_dir=wh)
    folder = store.dataset_dir(sample.ACTIVITY, wh)
    before = store.read_manifest(folder, "activity")
    # May's file: r3 is new, r2 was stored in April (a partition May's import keeps).
    may = [sample.row("r3", date="2008-05-02"), sample.row("r2", date="2008-05-03")]
    with pytest.raises(ImportRefused) as refused:
        import_file(sample.ACTIVITY, sample.write_csv(tmp_path / "may.csv", may), data_dir=wh)
    message = str(refused.value)
    assert message.startswith(
        "may.csv: row 3, field(s) row_id: key r2 is already stored in partition "
        "period=2008-04/provider_code=RWG (from april.csv), which this import does not replace"
    ), message
    assert "1 row(s) of this file repeat a stored key (rows 3)" in message
    assert message.endswith("Nothing was changed.")
    after = store.read_manifest(folder, "activity")
    assert (after.generation, after.partitions) == (before.generation, before.partitions)
    assert [r[0] for r in stored(sample, wh)] == ["r1", "r2"]
    assert not list(folder.glob(f"{store.STAGING}/*"))  # nothing of the import is left


def test_repeats_of_the_file_and_of_stored_keys_together(
    sample: ModuleType, tmp_path: Path
) -> None:
    """A file repeating its own key and a stored one: refused for the stored one (every row
    repeating a stored key is counted), from XLSX as from CSV."""
    wh = tmp_path / "wh"
    import_file(
        sample.ACTIVITY, sample.write_csv(tmp_path / "a.csv", [sample.row("r1")]), data_dir=wh
    )
    may = [
        sample.row("r5", date="2008-05-01"),
        sample.row("r5", date="2008-05-02"),
        sample.row("r1", date="2008-05-03"),
        sample.row("r1", date="2008-05-04"),
    ]
    with pytest.raises(ImportRefused, match=r"row 4, field\(s\) row_id: key r1 .* \(rows 4, 5\)"):
        import_file(sample.ACTIVITY, sample.write_csv(tmp_path / "b.csv", may), data_dir=wh)
    assert [r[0] for r in stored(sample, wh)] == ["r1"]


def test_which_datasets_can_meet_a_stored_key() -> None:
    """Where the key names the partition (prescribing: practice, BNF code and month, by month)
    the stored data is not read; where it does not (a spell's id, by discharge month, provider
    and commissioner) it is."""
    assert key_fixes_partition(DATASETS["prescribing"])
    assert key_fixes_partition(DATASETS["list_sizes"])
    assert key_fixes_partition(DATASETS["practices"])
    assert not key_fixes_partition(DATASETS["apc"])
    assert not key_fixes_partition(DATASETS["invoice_lines"])
