"""What the warehouse holds: datasets, partitions and row counts (`pbc warehouse status`).

Read from the committed manifests only (no Parquet is scanned), so it is instant and shows
exactly what analytics will read. Every declared dataset is listed, imported or not.
"""

from __future__ import annotations

import os

from pbc.warehouse import store
from pbc.warehouse.schema import Dataset


def warehouse_status(
    data_dir: str | os.PathLike[str] | None = None,
    datasets: dict[str, Dataset] | None = None,
) -> dict[str, object]:
    """A JSON-ready dict: {"warehouse": path, "datasets": [{name, rows, partitions, ...}]}.

    Each partition: {"name": "period=2008-04/provider_code=RWG", "period": "2008-04",
    "provider_code": "RWG", "rows": 1234, "import_id": ..., "imported_at": ..., "source_name":
    ..., "files": 1}. Datasets found on disk but not declared are listed too (declared: false).
    """
    if datasets is None:
        from pbc.warehouse.datasets import DATASETS

        datasets = DATASETS
    root = store.warehouse_dir(data_dir)
    names = set(datasets)
    if root.exists():
        names |= {p.name for p in root.iterdir() if (p / store.MANIFEST).exists()}
    out = []
    for name in sorted(names):
        manifest = store.read_manifest(root / name, name)
        parts = []
        for part_name, entry in sorted(manifest.partitions.items()):
            parts.append(
                {
                    "name": part_name,
                    **store.partition_values(part_name),
                    "rows": entry.rows,
                    "files": len(entry.files),
                    "import_id": entry.import_id,
                    "imported_at": entry.imported_at,
                    "source_name": entry.source_name,
                }
            )
        ds = datasets.get(name)
        out.append(
            {
                "name": name,
                "declared": ds is not None,
                "description": ds.description if ds else "",
                "partition_keys": list(store.partition_keys(ds)) if ds else [],
                "rows": manifest.rows,
                "generation": manifest.generation,
                "updated_at": manifest.updated_at or None,
                "partitions": parts,
            }
        )
    return {"warehouse": str(root), "datasets": out}
