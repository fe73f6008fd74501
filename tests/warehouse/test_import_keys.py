"""A dataset's declared key is enforced at import, in every layout (pbc's own included): a row
repeating a key of the file goes to quarantine naming its row, the key's fields and the row it
repeats; a field declared as a quarter start must be one."""

from __future__ import annotations

import csv
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.warehouse.real_samples import write_xlsx

from pbc.warehouse.datasets import DATASETS
from pbc.warehouse.ingest import import_file
from pbc.warehouse.layouts import LAYOUTS


def quarantined(path: str | None) -> list[dict[str, str]]:
    assert path is not None
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def activity_rows(sample: ModuleType) -> list[list[str]]:
    # r1, r2, r1 again, r3, r2 again: rows 2..6 of the file (the header is row 1).
    return [sample.row(i) for i in ("r1", "r2", "r1", "r3", "r2")]


@pytest.mark.parametrize("batch_rows", [1 << 20, 2])
def test_native_csv_repeats_are_quarantined_naming_the_first(
    sample: ModuleType, tmp_path: Path, batch_rows: int
) -> None:
    """One batch, and batches of two rows (the repeats then lie in other batches)."""
    path = sample.write_csv(tmp_path / "a.csv", activity_rows(sample))
    result = import_file(sample.ACTIVITY, path, data_dir=tmp_path / "wh", batch_rows=batch_rows)
    assert result.layout == "pbc"
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (5, 3, 2)
    rows = quarantined(result.quarantine_path)
    assert [(r["source_row"], r["field"], r["value"]) for r in rows] == [
        ("4", "row_id", "r1"),
        ("6", "row_id", "r2"),
    ]
    assert rows[0]["reason"] == (
        "repeats the key (row_id) of row 2: dataset activity has one row per key"
    )
    assert rows[1]["reason"].startswith("repeats the key (row_id) of row 3:")


def test_native_xlsx_and_parquet_repeats_are_quarantined(
    sample: ModuleType, tmp_path: Path
) -> None:
    rows = activity_rows(sample)
    xlsx = write_xlsx(tmp_path / "a.xlsx", [sample.HEADER, *rows])
    table = pa.table({name: [r[i] for r in rows] for i, name in enumerate(sample.HEADER)})
    parquet = tmp_path / "a.parquet"
    pq.write_table(table, parquet)
    for path, first in ((xlsx, 2), (parquet, 1)):
        result = import_file(sample.ACTIVITY, path, data_dir=tmp_path / path.suffix[1:])
        assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (5, 3, 2), path
        got = [(int(r["source_row"]), r["value"]) for r in quarantined(result.quarantine_path)]
        assert got == [(first + 2, "r1"), (first + 4, "r2")], path


def test_a_bad_first_row_leaves_its_key_to_the_next(sample: ModuleType, tmp_path: Path) -> None:
    """Only rows that load hold a key: a first row quarantined for its own fault does not make
    the next row with its key a repeat."""
    rows = [sample.row("r1", los="two"), sample.row("r1"), sample.row("r1")]
    result = import_file(
        sample.ACTIVITY, sample.write_csv(tmp_path / "a.csv", rows), data_dir=tmp_path / "wh"
    )
    assert (result.rows_loaded, result.rows_rejected) == (1, 2)
    reasons = {r["source_row"]: r["reason"] for r in quarantined(result.quarantine_path)}
    assert "repeats" not in reasons["2"] and reasons["4"].startswith(
        "repeats the key (row_id) of row 3"
    )


def test_keys_compare_typed_values(tmp_path: Path) -> None:
    """pbc's own prescribing layout: the same practice, presentation and month written two ways
    (an ISO date and a UK date) is one key."""
    ds = DATASETS["prescribing"]
    base = {
        "gp_practice_code": "A81001",
        "bnf_code": "0212000B0AAABAB",
        "bnf_name": "Atorvastatin 20mg tablets",
        "items": "3",
        "net_ingredient_cost": "4.50",
        "actual_cost": "4.20",
        "quantity": "84",
    }
    path = tmp_path / "p.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(ds.names))
        w.writeheader()
        for month, bnf in (
            ("2014-10-01", "0212000B0AAABAB"),
            ("01/10/2014", "0212000B0AAABAB"),
            ("2014-10-01", "0212000AAAAAAAA"),
        ):
            w.writerow({**{n: "" for n in ds.names}, **base, "month": month, "bnf_code": bnf})
    result = import_file("prescribing", path, data_dir=tmp_path / "wh")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    (row,) = quarantined(result.quarantine_path)
    assert row["source_row"] == "3" and row["field"] == "gp_practice_code, bnf_code, month"
    assert row["value"] == "A81001 | 0212000B0AAABAB | 2014-10-01"
    assert "of row 2: dataset prescribing has one row per key" in row["reason"]


def test_a_quarter_start_field_must_start_a_quarter(tmp_path: Path) -> None:
    ds = DATASETS["list_sizes"]
    path = tmp_path / "l.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(ds.names))
        w.writeheader()
        for quarter in ("2013-04-01", "2013-05-01"):
            w.writerow(
                {
                    "gp_practice_code": "A81001",
                    "quarter_start": quarter,
                    "sex": "F",
                    "age_band": "0-4",
                    "registered_patients": "12",
                    "snapshot_date": "",
                }
            )
    result = import_file("list_sizes", path, data_dir=tmp_path / "wh")
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    (row,) = quarantined(result.quarantine_path)
    assert (row["source_row"], row["field"], row["value"]) == ("3", "quarter_start", "2013-05-01")
    assert "not the first day of a quarter" in row["reason"]


def test_every_dataset_declares_a_key_every_layout_fills() -> None:
    """The check is generic: it holds for a dataset only if the dataset declares its key, and
    for a published layout only if the layout fills every required key field."""
    for ds in DATASETS.values():
        assert ds.key, ds.name
        assert set(ds.key) <= set(ds.names), ds.name
    for layout in LAYOUTS.values():
        if layout.refusal:
            continue  # recognised in order to be refused saying why: it loads no row
        ds = DATASETS[layout.dataset]
        missing = [k for k in ds.key if ds.field(k).required and k not in layout.fields()]
        assert not missing, (layout.name, missing)
    # Every field named as a quarter's first day is declared as one.
    for ds in DATASETS.values():
        for f in ds.fields:
            if f.name == "quarter_start":
                assert f.starts == "quarter", ds.name


def test_a_ragged_file_with_repeats_is_read_again_on_the_slow_path(
    sample: ModuleType, tmp_path: Path
) -> None:
    """A file that repeats a key is staged twice (keys.staged_repeats finds a repeat, then the
    row-by-row check names it); a ragged file takes the slow CSV reader both times, and its
    ragged row is quarantined once."""
    path = tmp_path / "ragged.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(sample.HEADER)
        w.writerow(sample.row("r1"))
        w.writerow([*sample.row("r2"), "extra"])
        w.writerow(sample.row("r1"))
        w.writerow(sample.row("r3"))
    result = import_file(sample.ACTIVITY, path, data_dir=tmp_path / "wh")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    got = [(r["source_row"], r["reason"][:30]) for r in quarantined(result.quarantine_path)]
    assert got == [
        ("4", "repeats the key (row_id) of ro"),
        ("3", "row has 11 fields; the header "),
    ]
