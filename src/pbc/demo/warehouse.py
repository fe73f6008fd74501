"""The demo's warehouse: generate the synthetic data for a demo scale and import every dataset
through the same import path real extracts take (recorded, validated, quarantined): hospital
activity as HES / SUS extracts and the providers' charges as their invoice lines, read through
the published layouts (`hes_apc`, `hes_op`, `hes_ae`, `slam_invoice`) as a commissioner's own
files are."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from pbc import synth, warehouse
from pbc.imports.actions import import_unless_unchanged, run_import
from pbc.imports.models import ImportRun
from pbc.synth.generator import file_name
from pbc.warehouse import state as warehouse_state
from pbc.warehouse.datasets import DATASETS, GENERATED_DATASETS

# Reference data first, then registers, then activity (the order a PCT would load them).
IMPORT_ORDER = (
    "practices",
    "providers",
    "tariff",
    "market_forces_factors",
    "local_prices",
    "follow_up_caps",
    "population_weights",
    "imd_lsoa",
    "patients",
    "list_sizes",
    "weighted_populations",
    "deaths",
    "referrals",
    "rtt",
    "apc",
    "op",
    "ae",
    "invoice_lines",
    "imaging",
    "prescribing",
    "faults",
)


GENERATED_STAMP = "_generated.json"


def source_dir(scale: str) -> Path:
    return Path(settings.DATA_DIR) / "demo-source" / scale


def _generator_version(scale: str) -> dict[str, object]:
    """What the generated files depend on: the scale's settings, the generator's and the
    datasets' source code, and the libraries that draw and write the numbers."""
    import numpy
    import pyarrow

    code = hashlib.sha256()
    package = Path(synth.__file__).parent
    contract = Path(warehouse.__file__).parent
    sources = sorted(package.rglob("*.py")) + [contract / "datasets.py", contract / "schema.py"]
    for path in sources:
        code.update(path.name.encode())
        code.update(path.read_bytes())
    return {
        "config": repr(synth.demo_scale(scale)),
        "code": code.hexdigest(),
        "numpy": numpy.__version__,
        "pyarrow": pyarrow.__version__,
    }


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 23):
            digest.update(chunk)
    return digest.hexdigest()


def _generated_is_current(folder: Path, version: dict[str, object]) -> bool:
    stamp = folder / GENERATED_STAMP
    if not stamp.exists():
        return False
    recorded = json.loads(stamp.read_text(encoding="utf-8"))
    if recorded.get("version") != version:
        return False
    files = recorded.get("files", {})
    return set(files) == set(IMPORT_ORDER) and all(
        _path(folder, name).is_file() and _file_digest(_path(folder, name)) == digest
        for name, digest in files.items()
    )


def _path(folder: Path, dataset: str) -> Path:
    """The generated file of a dataset: Parquet in pbc's own layout, or the CSV extract or
    invoice file a commissioner receives (`pbc.synth.generator.file_name`)."""
    return folder / file_name(dataset, "parquet")


def generate(scale: str, rebuild: bool = False) -> bool:
    """Write the synthetic files for `scale` unless the folder already holds the files this
    generator would write (its stamp names the same settings, code and libraries, and every file
    has the checksum recorded when it was written). Returns whether it generated."""
    folder = source_dir(scale)
    version = _generator_version(scale)
    if not rebuild and _generated_is_current(folder, version):
        return False
    (folder / GENERATED_STAMP).unlink(missing_ok=True)
    synth.write(folder, fmt="parquet", config=synth.demo_scale(scale))
    files = {name: _file_digest(_path(folder, name)) for name in IMPORT_ORDER}
    tmp = folder / (GENERATED_STAMP + ".tmp")
    tmp.write_text(json.dumps({"version": version, "files": files}, indent=1), encoding="utf-8")
    tmp.replace(folder / GENERATED_STAMP)
    return True


def import_all(scale: str, rebuild: bool = False) -> tuple[dict[str, int], int]:
    """Import every generated file of `scale` through the import path; a file already committed
    and recorded as it is now is skipped (`import_unless_unchanged`) unless `rebuild`.
    Returns rows loaded by dataset and how many files were imported."""
    assert set(IMPORT_ORDER) == set(GENERATED_DATASETS), "every generated dataset has a place"
    folder = source_dir(scale)
    loaded: dict[str, int] = {}
    imported = 0
    for name in IMPORT_ORDER:
        path = _path(folder, name)
        if rebuild:
            run, result = run_import(None, name, path, via="demo")
        else:
            run, result = import_unless_unchanged(name, path, via="demo")
        if run.status != ImportRun.Status.LOADED:
            raise RuntimeError(f"demo import of {name} was refused: {run.message}")
        imported += result is not None
        loaded[name] = run.rows_loaded
    return loaded, imported


def load(
    scale: str, report: Callable[[str], None] = print, rebuild: bool = False
) -> dict[str, int]:
    """Generate the demo data for `scale` ("full" or "test") and import it; rows loaded by dataset.

    Idempotent: a re-run replaces the same partitions (no double counting); unchanged files are
    neither generated nor imported again unless `rebuild`.
    """
    generated = generate(scale, rebuild)
    report("synthetic data generated" if generated else "synthetic data unchanged")
    loaded, imported = import_all(scale, rebuild)
    report(f"warehouse loaded: {sum(loaded.values()):,} rows ({imported} files imported)")
    return loaded


def state() -> str:
    """A digest of what the warehouse holds: every dataset's live partitions and the import each
    came from. It changes with every commit that changes data, and only then."""
    return warehouse_state.state(DATASETS, settings.DATA_DIR)


def is_loaded() -> bool:
    return ImportRun.objects.filter(via="demo", dataset="faults", status="loaded").exists()
