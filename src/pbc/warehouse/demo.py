"""The demo's warehouse: generate the synthetic data for a demo scale and import every dataset
through the same import path real extracts take (recorded, validated, quarantined)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from pbc import synth
from pbc.warehouse.actions import run_import
from pbc.warehouse.datasets import DATASETS
from pbc.warehouse.datasets_aggregates import AGGREGATE_DATASETS
from pbc.warehouse.models import ImportRun

# Reference data first, then registers, then activity (the order a PCT would load them).
IMPORT_ORDER = (
    "practices",
    "providers",
    "tariff",
    "market_forces_factors",
    "local_prices",
    "follow_up_caps",
    "population_weights",
    "patients",
    "list_sizes",
    "weighted_populations",
    "deaths",
    "referrals",
    "rtt",
    "apc",
    "op",
    "ae",
    "imaging",
    "prescribing",
    "faults",
)


def source_dir(scale: str) -> Path:
    return Path(settings.DATA_DIR) / "demo-source" / scale


def load(scale: str, report: Callable[[str], None] = print) -> dict[str, int]:
    """Generate the demo data for `scale` ("full" or "test") and import it; rows loaded by dataset.

    Idempotent: a re-run replaces the same partitions (no double counting).
    """
    # The demo is patient level; the aggregate datasets (QOF, RTT returns, A&E) are what a
    # commissioner without patient-level rows loads from published files.
    # pcn_memberships (the ODS ePCN file) has no 2008 demo equivalent.
    aggregates = {d.name for d in AGGREGATE_DATASETS} | {"pcn_memberships"}
    assert set(IMPORT_ORDER) | aggregates == set(DATASETS), "every dataset has a place"
    folder = source_dir(scale)
    synth.write(folder, fmt="parquet", config=synth.demo_scale(scale))
    report("synthetic data generated")
    loaded: dict[str, int] = {}
    for name in IMPORT_ORDER:
        run, result = run_import(None, name, folder / f"{name}.parquet", via="demo")
        if result is None:
            raise RuntimeError(f"demo import of {name} was refused: {run.message}")
        loaded[name] = result.rows_loaded
    report(f"warehouse loaded: {sum(loaded.values()):,} rows")
    return loaded


def is_loaded() -> bool:
    return ImportRun.objects.filter(via="demo", dataset="faults", status="loaded").exists()
