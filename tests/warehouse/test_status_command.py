"""`pbc warehouse status` and `pbc import` as the command functions the CLI calls."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pbc.warehouse.command import EXIT_OK, EXIT_REFUSED, import_command, status_command
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


def test_import_command_prints_the_record_as_json(tmp_path: Path) -> None:
    path = tmp_path / "mff.csv"
    path.write_text(
        "financial_year,provider_code,market_forces_factor\n2008/09,RWG,1.10825\n2008/09,RC1,x\n"
    )
    out = io.StringIO()
    outcome = import_command(
        "market_forces_factors", path, as_json=True, data_dir=tmp_path, stdout=out
    )
    assert outcome.exit_code == EXIT_OK
    record = json.loads(out.getvalue())
    assert record == outcome.result.to_dict()  # type: ignore[union-attr]
    assert (record["rows_read"], record["rows_loaded"], record["rows_rejected"]) == (2, 1, 1)
    assert record["dataset"] == "market_forces_factors"


def test_import_command_reports_a_refusal_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "mff.csv"
    path.write_text("financial_year,provider\n2008/09,RWG\n")
    out, err = io.StringIO(), io.StringIO()
    outcome = import_command("market_forces_factors", path, as_json=True, data_dir=tmp_path,
                             stdout=out, stderr=err)  # fmt: skip
    assert outcome.exit_code == EXIT_REFUSED
    payload = json.loads(out.getvalue())
    assert payload["refused"] is True and payload["source_name"] == "mff.csv"
    assert "unknown columns: provider" in payload["problem"]
    assert "missing columns: provider_code, market_forces_factor" in payload["problem"]

    human = io.StringIO()
    outcome = import_command(
        "no_such_dataset", path, data_dir=tmp_path, stdout=io.StringIO(), stderr=human
    )
    assert outcome.exit_code == EXIT_REFUSED
    assert "unknown dataset 'no_such_dataset'" in human.getvalue()
