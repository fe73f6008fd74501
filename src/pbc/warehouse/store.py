"""Where warehouse data lives on disk, and how new data replaces old data atomically.

Layout, under `$PBC_DATA_DIR/warehouse/` (default `./var/data/warehouse/`)::

    <dataset>/_manifest.json                          the list of current files (the truth)
    <dataset>/period=2008-04/provider_code=RWG/commissioner_code=5P3/part-<import id>-0.parquet
    <dataset>/part-<import id>-0.parquet              datasets with no partition keys
    <dataset>/_staging/<import id>/...                an import in progress (private)
    <dataset>/.lock                                   one import per dataset at a time

A partition is named by its keys: `period=YYYY-MM` (the month of the dataset's
`period_field`), where the dataset has one `provider_code=XXX`, and for the datasets a PCT owns
rows of (activity, the local price list and follow-up caps) `commissioner_code=XXX`. Datasets
without a period field or commissioner (national reference data, the patient register) have a
single partition named "" that every import replaces whole.

What an import replaces (`replaced_partitions`): for every partition of the file, the committed
partitions with the same keys other than the commissioner (the same month and provider), of the
commissioners within the importer's scope: every commissioner for the system (`pbc import`),
only its own PCT for a PCT analyst. Re-importing a month as the system therefore replaces the
month; a PCT's import never touches another commissioner's partition. Every Parquet file also carries its partition keys as ordinary columns, so files
are read by explicit path without Hive partition inference, identically by DuckDB and Spark.

Atomicity (all-or-nothing across partitions, safe against `kill -9` at any point): readers use
only the files listed in `_manifest.json`. An import writes its files under `_staging/`, moves
them into their partition folders under new names (not yet listed, so invisible), then writes a
new manifest to a temporary file, fsyncs it and renames it over the old one. That rename is the
single commit point (POSIX `rename` is atomic). Only afterwards are the replaced files deleted.
A crash before the rename leaves the previous manifest, so the previous data, untouched; a crash
after it leaves the new data committed. `recover()` (run under the lock at the start of every
import, and by `status`) deletes leftovers: staging folders, temporary manifests and files no
manifest lists.

Deterministic pause point for tests: set `PBC_IMPORT_PAUSE` to one of `PAUSE_STEPS`. When the
import reaches that step it writes `pbc-import-paused:<step>` on a line to stderr and blocks
(waiting for a signal) until it is killed. No sleeps.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pbc.warehouse.schema import Dataset

MANIFEST = "_manifest.json"
STAGING = "_staging"
LOCK = ".lock"
CLAIMS = "import-claims"  # under the data directory: one lock file per import in progress
IMPORTS_KEPT = 100  # the manifest remembers this many of the latest commits (see Manifest.imports)
PAUSE_ENV = "PBC_IMPORT_PAUSE"
PAUSE_MESSAGE = "pbc-import-paused:"
# The steps of an import, in order. The commit point lies between "manifest_staged" and
# "committed".
PAUSE_STEPS = (
    "validated",  # whole-file checks passed; nothing written
    "staged",  # good rows written under _staging/
    "quarantine_written",  # quarantine file in place
    "files_placed",  # new files moved into partition folders, not yet listed
    "manifest_staged",  # new manifest written to a temporary file, fsynced
    "committed",  # manifest renamed: the new data is live; old files not yet deleted
    "cleaned",  # replaced files and staging deleted
)
NO_PARTITION = ""
COMMISSIONER_KEY = "commissioner_code"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: `explicit`, else `$PBC_DATA_DIR`, else `./var/data`."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("PBC_DATA_DIR")
    return Path(env) if env else Path.cwd() / "var" / "data"


def warehouse_dir(explicit_data_dir: str | os.PathLike[str] | None = None) -> Path:
    return data_dir(explicit_data_dir) / "warehouse"


def quarantine_dir(explicit_data_dir: str | os.PathLike[str] | None = None) -> Path:
    return data_dir(explicit_data_dir) / "quarantine"


def dataset_dir(
    dataset: Dataset | str, explicit_data_dir: str | os.PathLike[str] | None = None
) -> Path:
    name = dataset if isinstance(dataset, str) else dataset.name
    return warehouse_dir(explicit_data_dir) / name


def partition_keys(dataset: Dataset) -> tuple[str, ...]:
    """The partition columns of a dataset, outermost first: ("period", "provider_code")."""
    keys: list[str] = []
    if dataset.period_field is not None:
        keys.append("period")
    if dataset.partition_by_provider:
        keys.append("provider_code")
    keys.extend(dataset.partition_by)
    if dataset.partition_by_commissioner:
        keys.append(COMMISSIONER_KEY)
    return tuple(keys)


def partition_name(keys: tuple[str, ...], values: tuple[str, ...]) -> str:
    """`period=2008-04/provider_code=RWG` (or "" for an unpartitioned dataset)."""
    return "/".join(f"{k}={v}" for k, v in zip(keys, values, strict=True))


def partition_values(name: str) -> dict[str, str]:
    """Inverse of `partition_name`: {"period": "2008-04", "provider_code": "RWG"}."""
    if not name:
        return {}
    return dict(part.split("=", 1) for part in name.split("/"))


def without_commissioner(name: str) -> str:
    """The partition name without its commissioner: what a PCT's import is matched on."""
    return "/".join(
        part for part in name.split("/") if part and not part.startswith(COMMISSIONER_KEY + "=")
    )


def commissioner_of(name: str) -> str | None:
    """The commissioner a partition holds (None for a partition with no commissioner key)."""
    return partition_values(name).get(COMMISSIONER_KEY)


def _key_names(name: str) -> tuple[str, ...]:
    """The keys a partition name gives values for: ("period", "provider_code")."""
    return tuple(part.split("=", 1)[0] for part in name.split("/") if part)


def replaced_partitions(
    committed: list[str] | set[str] | dict[str, object],
    staged: list[str],
    commissioners: frozenset[str] | None,
) -> list[str]:
    """The committed partitions an import of `staged` partitions replaces.

    A committed partition is replaced when it has the keys of a staged one other than the
    commissioner (same month, same provider) and its commissioner lies within `commissioners`
    (None: the system's import, every commissioner). Without a commissioner key this is the
    staged partitions themselves, as before partitioning by commissioner.

    A committed partition named by other keys than the staged ones was stored under an older
    partitioning of the dataset (market forces factors stored whole before they were
    partitioned by year): it is replaced too, as the import that stored it would have been,
    since it may hold rows of any of the staged partitions."""
    prefixes = {without_commissioner(name) for name in staged}
    staged_keys = {_key_names(name) for name in prefixes}
    out = []
    for name in sorted(committed):
        outside = without_commissioner(name)
        older = bool(staged_keys) and _key_names(outside) not in staged_keys
        if outside not in prefixes and not older:
            continue
        owner = commissioner_of(name)
        if commissioners is None or owner is None or owner in commissioners:
            out.append(name)
    return out


# --- pause points -------------------------------------------------------------------------------


def pause_point(step: str) -> None:
    """Block here, forever, when `$PBC_IMPORT_PAUSE` names this step (tests kill the process)."""
    if step not in PAUSE_STEPS:
        raise ValueError(f"unknown pause step {step!r}")
    pause_if_asked(PAUSE_ENV, PAUSE_MESSAGE, step)


def pause_if_asked(env: str, message: str, step: str) -> None:
    """When the environment variable `env` names `step`: write `message` + step to stderr and
    block until a signal ends the process (how the kill tests stop a process at a known step)."""
    if os.environ.get(env) != step:
        return
    sys.stderr.write(f"{message}{step}\n")
    sys.stderr.flush()
    while True:  # pragma: no cover - only ever left by a signal that ends the process
        signal.pause()


# --- manifest -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionEntry:
    """One live partition: its files (relative to the dataset folder) and where they came from."""

    files: tuple[str, ...]
    rows: int
    import_id: str
    imported_at: str
    source_name: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "files": list(self.files),
            "rows": self.rows,
            "import_id": self.import_id,
            "imported_at": self.imported_at,
            "source_name": self.source_name,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PartitionEntry:
        files = data["files"]
        assert isinstance(files, list)
        return cls(
            files=tuple(str(f) for f in files),
            rows=int(str(data["rows"])),
            import_id=str(data["import_id"]),
            imported_at=str(data["imported_at"]),
            source_name=str(data.get("source_name", "")),
        )


@dataclass(frozen=True)
class Manifest:
    """The committed state of one dataset: generation number and its live partitions.

    `imports` maps the import id of each of the latest commits (up to `IMPORTS_KEPT`) to the
    record of that import (rows read, loaded, rejected, ...), written in the same atomic rename
    as the data: the app finds there whether an interrupted import committed, and its figures.
    """

    dataset: str
    generation: int = 0
    partitions: dict[str, PartitionEntry] = field(default_factory=dict)
    updated_at: str = ""
    imports: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.partitions.values())

    def files(self) -> list[str]:
        """Every live file, relative to the dataset folder, in partition order."""
        return [f for name in sorted(self.partitions) for f in self.partitions[name].files]

    def to_json(self) -> str:
        return json.dumps(
            {
                "dataset": self.dataset,
                "generation": self.generation,
                "updated_at": self.updated_at,
                "partitions": {k: v.to_dict() for k, v in sorted(self.partitions.items())},
                "imports": self.imports,
            },
            indent=1,
        )


def read_manifest(folder: Path, dataset_name: str) -> Manifest:
    """The committed manifest of a dataset folder; an empty one if nothing was ever imported."""
    path = folder / MANIFEST
    if not path.exists():
        return Manifest(dataset=dataset_name)
    data = json.loads(path.read_text(encoding="utf-8"))
    return Manifest(
        dataset=str(data["dataset"]),
        generation=int(data["generation"]),
        updated_at=str(data.get("updated_at", "")),
        partitions={k: PartitionEntry.from_dict(v) for k, v in data["partitions"].items()},
        imports=dict(data.get("imports", {})),
    )


def committed_import(folder: Path, dataset_name: str, import_id: str) -> dict[str, object] | None:
    """The record of import `import_id` if the dataset's committed manifest holds it."""
    return read_manifest(folder, dataset_name).imports.get(import_id)


def unchanged_import(
    manifest: Manifest, checksum: str, period: str | None, schema: str
) -> str | None:
    """The id of a committed import of a file with this `checksum` (declared `period`, dataset
    `schema` digest) that importing the file again as the system would not change, else None.

    That is the case when every partition the import wrote is still live from it and no live
    partition with the same keys (other than the commissioner) came from another import: a
    re-import would stage the same partitions and replace exactly these. Only the imports the
    manifest still remembers (`IMPORTS_KEPT`) are considered."""
    for import_id, record in reversed(manifest.imports.items()):
        if (
            record.get("checksum") != checksum
            or record.get("period") != period
            or record.get("schema") != schema
        ):
            continue
        written = record.get("partitions")
        if not isinstance(written, list) or not written:
            continue
        prefixes = {without_commissioner(str(name)) for name in written}
        live = {
            name: entry.import_id
            for name, entry in manifest.partitions.items()
            if without_commissioner(name) in prefixes
        }
        if set(live) == {str(name) for name in written} and set(live.values()) == {import_id}:
            return import_id
    return None


def live_files(
    dataset: Dataset | str, explicit_data_dir: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Absolute paths of the committed Parquet files of a dataset (empty if never imported)."""
    name = dataset if isinstance(dataset, str) else dataset.name
    folder = dataset_dir(name, explicit_data_dir)
    return [folder / f for f in read_manifest(folder, name).files()]


def stored_under_other_declarations(
    dataset: Dataset, explicit_data_dir: str | os.PathLike[str] | None = None
) -> bool:
    """Whether some live partition of `dataset` was imported under another declaration of it
    (a field added since, say) or by an import the manifest no longer remembers: its files may
    lack a column the declaration now has, so readers must match columns by name."""
    folder = dataset_dir(dataset.name, explicit_data_dir)
    manifest = read_manifest(folder, dataset.name)
    current = dataset.digest()
    for entry in manifest.partitions.values():
        record = manifest.imports.get(entry.import_id)
        if record is None or record.get("schema") != current:
            return True
    return False


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- locking and recovery -------------------------------------------------------------------------


@contextlib.contextmanager
def dataset_lock(folder: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Exclusive lock on a dataset folder for the length of an import (released if killed).

    `on_wait()` is called once if the lock is held by another process (before waiting for it).
    """
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def import_claim(
    explicit_data_dir: str | os.PathLike[str] | None, import_id: str
) -> Iterator[None]:
    """Hold a lock file named after the import for as long as the importing process lives, so
    that another process can tell an import in progress from one whose process died
    (`import_in_progress`). The file is removed when the import ends normally."""
    folder = data_dir(explicit_data_dir) / CLAIMS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{import_id}.lock"
    with open(path, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def import_in_progress(explicit_data_dir: str | os.PathLike[str] | None, import_id: str) -> bool:
    """Whether a live process holds the claim of import `import_id` (see `import_claim`)."""
    path = data_dir(explicit_data_dir) / CLAIMS / f"{import_id}.lock"
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return False
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return False


def recover(folder: Path, dataset_name: str) -> list[str]:
    """Delete what an interrupted import left behind; return what was deleted (relative paths).

    Call only while holding `dataset_lock(folder)`. Removes the staging folder, temporary
    manifests and any Parquet file the committed manifest does not list, then empty folders.
    """
    if not folder.exists():
        return []
    removed: list[str] = []
    staging = folder / STAGING
    if staging.exists():
        shutil.rmtree(staging)
        removed.append(STAGING)
    for tmp in folder.glob(MANIFEST + ".tmp-*"):
        tmp.unlink()
        removed.append(tmp.name)
    listed = set(read_manifest(folder, dataset_name).files())
    for path in sorted(folder.rglob("*.parquet")):
        rel = path.relative_to(folder).as_posix()
        if rel not in listed:
            path.unlink()
            removed.append(rel)
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        if not any(sub.iterdir()):
            sub.rmdir()
    return removed


# --- commit -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StagedPartition:
    """Files written under staging for one partition, with their row count."""

    name: str
    files: tuple[Path, ...]
    rows: int


def commit(
    folder: Path,
    dataset_name: str,
    import_id: str,
    staged: list[StagedPartition],
    source_name: str = "",
    record: Mapping[str, object] | None = None,
    commissioners: frozenset[str] | None = None,
) -> tuple[Manifest, list[str]]:
    """Swap the staged partitions in, atomically; return the new manifest and replaced names.

    Call while holding `dataset_lock(folder)`. The committed partitions `replaced_partitions`
    names (for `commissioners`, None = all) are dropped, the others kept as they are. `record`
    (the import's figures) is kept in `Manifest.imports`. Pause points: files_placed,
    manifest_staged, committed, cleaned.
    """
    old = read_manifest(folder, dataset_name)
    now = _utcnow()
    replaced = replaced_partitions(old.partitions, [p.name for p in staged], commissioners)
    new_partitions = {k: v for k, v in old.partitions.items() if k not in replaced}
    # Data reaches the disk before the manifest that lists it (fsync releases the GIL, so a few
    # threads overlap the waits; the count of files is the count of partitions, not of rows).
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(_fsync_file, [src for part in staged for src in part.files]))
    target_dirs: list[Path] = []
    for part in staged:
        target_dir = folder / part.name if part.name else folder
        target_dir.mkdir(parents=True, exist_ok=True)
        target_dirs.append(target_dir)
        rel_files: list[str] = []
        for i, src in enumerate(part.files):
            target = target_dir / f"part-{import_id}-{i}.parquet"
            os.replace(src, target)
            rel_files.append(target.relative_to(folder).as_posix())
        new_partitions[part.name] = PartitionEntry(
            files=tuple(rel_files),
            rows=part.rows,
            import_id=import_id,
            imported_at=now,
            source_name=source_name,
        )
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(_fsync_dir, sorted(set(target_dirs))))
    pause_point("files_placed")

    imports = dict(old.imports)
    imports[import_id] = {**(record or {}), "committed_at": now}
    manifest = Manifest(
        dataset=dataset_name,
        generation=old.generation + 1,
        partitions=new_partitions,
        updated_at=now,
        imports=dict(list(imports.items())[-IMPORTS_KEPT:]),
    )
    _write_manifest(folder, manifest, import_id)
    _delete_files(folder, old, replaced)
    return manifest, replaced


def _write_manifest(folder: Path, manifest: Manifest, tag: str) -> None:
    """Write `manifest` to a temporary file, fsync it and rename it over the committed one: the
    commit point. Pause points: manifest_staged, committed."""
    tmp = folder / f"{MANIFEST}.tmp-{tag}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(manifest.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    pause_point("manifest_staged")
    os.replace(tmp, folder / MANIFEST)  # the commit point
    _fsync_dir(folder)
    pause_point("committed")


def _delete_files(folder: Path, old: Manifest, names: list[str]) -> None:
    """Delete the files of partitions `names` of `old` (after a commit that no longer lists
    them; what a crash here leaves, `recover` deletes)."""
    for name in names:
        for rel in old.partitions[name].files:
            with contextlib.suppress(FileNotFoundError):
                (folder / rel).unlink()
    for name in names:  # the partition's folders, where empty
        sub = folder / name if name else None
        while sub is not None and sub != folder and sub.is_dir() and not any(sub.iterdir()):
            sub.rmdir()
            sub = sub.parent


def drop_partitions(
    folder: Path, dataset_name: str, names: list[str], tag: str, record: Mapping[str, object]
) -> Manifest:
    """Remove the committed partitions `names` from a dataset, atomically: a new manifest
    without them (recording `record` under `tag` in `Manifest.imports`) is renamed over the old
    one, then their files are deleted. Partitions not committed are ignored, so a second call
    changes nothing. Call while holding `dataset_lock(folder)` (retention's ageing out)."""
    old = read_manifest(folder, dataset_name)
    gone = sorted(name for name in names if name in old.partitions)
    if not gone:
        return old
    now = _utcnow()
    imports = dict(old.imports)
    imports[tag] = {**record, "committed_at": now}
    manifest = Manifest(
        dataset=dataset_name,
        generation=old.generation + 1,
        partitions={k: v for k, v in old.partitions.items() if k not in gone},
        updated_at=now,
        imports=dict(list(imports.items())[-IMPORTS_KEPT:]),
    )
    _write_manifest(folder, manifest, tag)
    _delete_files(folder, old, gone)
    return manifest
