"""The generator's files go through the one import path: every dataset loads with no rejected
row (faults are flagged, not quarantined), and the warehouse then holds what was written
(hospital activity from its HES / SUS extracts, charges from the invoice lines)."""

from __future__ import annotations

from pathlib import Path

from pbc.synth import SynthConfig, write
from pbc.synth.generator import file_name
from pbc.warehouse import engine as wh_engine
from pbc.warehouse.datasets import GENERATED_DATASETS
from pbc.warehouse.ingest import import_file
from pbc.warehouse.status import warehouse_status


def test_every_generated_dataset_imports_without_rejections(tmp_path: Path) -> None:
    fmt = "csv"  # the typed Parquet path is covered by test_ingest.py
    config = SynthConfig(population=300, seed=11, localities=("dacorum",), fault_rate=0.05)
    written = write(tmp_path / "files", fmt=fmt, config=config)
    assert set(written) == set(GENERATED_DATASETS)
    data_dir = tmp_path / "data"
    for name in GENERATED_DATASETS:
        result = import_file(name, tmp_path / "files" / file_name(name, fmt), data_dir=data_dir)
        assert result.rows_rejected == 0, (name, result.quarantine_path)
        assert result.rows_loaded == written[name]

    status = {d["name"]: d["rows"] for d in warehouse_status(data_dir)["datasets"]}  # type: ignore[union-attr]
    assert {name: rows for name, rows in status.items() if rows} == written
    con = wh_engine.connect("duckdb")
    apc = wh_engine.table(con, "apc", data_dir=data_dir)
    assert apc.count().to_pyarrow().as_py() == written["apc"]
    # the generator's invalid NHS numbers arrive flagged, not rejected
    faults = wh_engine.table(con, "faults", data_dir=data_dir)
    invalid = faults.filter((faults.rule_id == "invalid_nhs_number") & (faults.dataset == "apc"))
    flagged = apc.filter(~apc.nhs_number_valid)
    assert set(flagged.spell_id.to_pyarrow().to_pylist()) >= set(
        invalid.row_id.to_pyarrow().to_pylist()
    )
