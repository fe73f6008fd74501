"""`pbc warehouse status` as the command function the CLI calls."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pbc.warehouse.command import EXIT_OK, status_command
from pbc.warehouse.status import warehouse_status


def test_status_lists_every_dataset_partition_and_row_count(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    rows = sample.month_rows("2008-04", "RWG", 3) + sample.month_rows("2008-05", "RC1", 2)
    from pbc.warehouse.ingest import import_file

    import_file(sample.ACTIVITY, sample.write_csv(tmp_path / "a.csv", rows), data_dir=tmp_path)
    declared = {"activity": sample.ACTIVITY, "lookup": sample.REFERENCE}
    status = warehouse_status(tmp_path, declared)
    by_name = {d["name"]: d for d in status["datasets"]}  # type: ignore[union-attr]
    assert set(by_name) == {"activity", "lookup"}
    assert by_name["lookup"]["rows"] == 0 and by_name["lookup"]["partitions"] == []
    activity = by_name["activity"]
    assert activity["rows"] == 5
    assert activity["partition_keys"] == ["period", "provider_code"]
    assert [(p["period"], p["provider_code"], p["rows"]) for p in activity["partitions"]] == [
        ("2008-04", "RWG", 3),
        ("2008-05", "RC1", 2),
    ]
    assert activity["partitions"][0]["source_name"] == "a.csv"
    json.dumps(status)  # JSON-ready


def test_status_command_json_covers_the_declared_datasets(tmp_path: Path) -> None:
    from pbc.warehouse.datasets import DATASETS

    out = io.StringIO()
    assert status_command(as_json=True, data_dir=tmp_path, stdout=out) == EXIT_OK
    data = json.loads(out.getvalue())
    assert {d["name"] for d in data["datasets"]} == set(DATASETS)
    assert all(d["rows"] == 0 for d in data["datasets"])
