"""Ageing out the warehouse's patient-level data (ASVS 8.3.8; run by `pbc.retention`).

A dataset is patient-level when its rows are about one person each: it holds an NHS number or
a patient pseudonym (`PATIENT_FIELDS`), or it is one of `LINKED_TO_PATIENTS` (a provider's
invoice line names the spell or attendance it charges, which identifies the patient through
the activity). Every other dataset (national reference data, prices, published aggregate
returns, practice prescribing) is kept: it is not about people.

A patient-level dataset's month partitions (`period=YYYY-MM`) are kept for `years` whole
financial years after the end of the financial year they fall in, then dropped: with six
years, the periods of 2019/20 (April 2019 to March 2020) go on 1 April 2026. Dropping goes
through the store's one commit point (`store.drop_partitions`: a new manifest renamed over the
old one, recording what went), under the dataset's import lock, so readers see the partitions
either all there or all gone and an import never interleaves. Running it again drops nothing.

The patient register (`patients`) has no period: it is aged row by row (`age_register`). A
registration that ended (the patient left the practice's list, moved practice or died:
`registration_end_date`, or `date_of_death` where the register gives no end) before the first
month of activity kept is removed: the activity it attributed to a practice and a person has
gone, and the practice keeps the patient's own record. Registrations still open stay whatever
their age. The register without those rows is written again and committed through the store's
one commit point, under the lock, like an import that replaces it whole.

Pure: no Django (the audit event is `pbc.retention`'s).
"""

from __future__ import annotations

import datetime
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pbc.warehouse import store
from pbc.warehouse.datasets import DATASETS
from pbc.warehouse.schema import Dataset

PATIENT_FIELDS = frozenset({"nhs_number", "patient_pseudonym"})
LINKED_TO_PATIENTS = frozenset({"invoice_lines"})


def patient_level(dataset: Dataset) -> bool:
    """Whether the dataset's rows are about one patient each."""
    return bool(PATIENT_FIELDS & set(dataset.names)) or dataset.name in LINKED_TO_PATIENTS


def aged_datasets() -> tuple[Dataset, ...]:
    """The datasets whose old periods are aged out: patient-level, partitioned by month."""
    return tuple(d for d in DATASETS.values() if patient_level(d) and d.period_field is not None)


def first_kept_period(today: datetime.date, years: int) -> str:
    """The first month kept ("YYYY-MM"): a financial year's periods are dropped once `years`
    whole years have passed since its 31 March (six years, on 7 December 2026: "2020-04")."""
    current_year_start = today.year if today.month >= 4 else today.year - 1
    return f"{current_year_start - years:04d}-04"


@dataclass(frozen=True)
class Aged:
    """One partition past its retention period: dropped, or in a dry run, that would be."""

    dataset: str
    partition: str
    rows: int
    imported_at: str


def past(dataset: Dataset, first_kept: str, data_dir: str | os.PathLike[str] | None) -> list[Aged]:
    """The committed partitions of `dataset` whose period is before `first_kept`."""
    folder = store.dataset_dir(dataset, data_dir)
    manifest = store.read_manifest(folder, dataset.name)
    out = []
    for name, entry in sorted(manifest.partitions.items()):
        period = store.partition_values(name).get("period")
        if period is not None and period < first_kept:
            out.append(Aged(dataset.name, name, entry.rows, entry.imported_at))
    return out


def age_out(
    first_kept: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    dry_run: bool = False,
    tag: str = "retention",
) -> list[Aged]:
    """Drop every patient-level partition before `first_kept` (or, in a dry run, only list
    them). Each dataset's drop is one atomic commit, recorded in its manifest under `tag`."""
    gone: list[Aged] = []
    for dataset in aged_datasets():
        folder = store.dataset_dir(dataset, data_dir)
        if not (folder / store.MANIFEST).exists():
            continue
        if dry_run:
            gone.extend(past(dataset, first_kept, data_dir))
            continue
        with store.dataset_lock(folder):
            aged = past(dataset, first_kept, data_dir)  # read again under the lock
            if aged:
                store.drop_partitions(
                    Path(folder),
                    dataset.name,
                    [a.partition for a in aged],
                    tag,
                    {
                        "dataset": dataset.name,
                        "kind": "retention",
                        "before_period": first_kept,
                        "partitions_dropped": [a.partition for a in aged],
                        "rows_dropped": sum(a.rows for a in aged),
                    },
                )
        gone.extend(aged)
    return gone


# --- the patient register, row by row ---------------------------------------------------------

REGISTER = "patients"


def _ended_before(table: pa.Table, first_kept: str) -> pa.ChunkedArray:
    """Which registrations ended before `first_kept` ("YYYY-MM"): their end date, or the date
    of death where the register gives no end, falls before its first day. Open ones: false."""
    start = pa.scalar(datetime.date.fromisoformat(f"{first_kept}-01"), pa.date32())
    ended = pc.coalesce(
        table.column("registration_end_date").cast(pa.date32()),
        table.column("date_of_death").cast(pa.date32()),
    )
    return pc.fill_null(pc.less(ended, start), False)


def _read_register(folder: Path, manifest: store.Manifest) -> pa.Table:
    return pa.concat_tables([pq.read_table(folder / rel) for rel in manifest.files()])


def register_past(first_kept: str, data_dir: str | os.PathLike[str] | None = None) -> int:
    """How many rows of the patient register ended before `first_kept` (0: none, or no
    register imported)."""
    folder = store.dataset_dir(REGISTER, data_dir)
    if not (folder / store.MANIFEST).exists():
        return 0
    manifest = store.read_manifest(folder, REGISTER)
    if not manifest.files():
        return 0
    return int(pc.sum(_ended_before(_read_register(folder, manifest), first_kept)).as_py() or 0)


def age_register(
    first_kept: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    dry_run: bool = False,
    tag: str = "retention",
) -> int:
    """Remove the register's registrations that ended before `first_kept` (or, in a dry run,
    only count them): the rest written again and committed atomically under the dataset's lock,
    recorded in its manifest under `tag`. Returns the rows removed; a second run removes none
    and commits nothing."""
    if dry_run:
        return register_past(first_kept, data_dir)
    folder = store.dataset_dir(REGISTER, data_dir)
    if not (folder / store.MANIFEST).exists():
        return 0
    with store.dataset_lock(folder):
        manifest = store.read_manifest(folder, REGISTER)
        if not manifest.files():
            return 0
        table = _read_register(folder, manifest)
        ended = _ended_before(table, first_kept)
        gone = int(pc.sum(ended).as_py() or 0)
        if not gone:
            return 0
        staging = folder / store.STAGING / tag
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            kept = table.filter(pc.invert(ended))
            path = staging / "part-0.parquet"
            pq.write_table(kept, path)
            source = "; ".join(sorted({e.source_name for e in manifest.partitions.values()}))
            store.commit(
                folder,
                REGISTER,
                tag,
                [store.StagedPartition(store.NO_PARTITION, (path,), kept.num_rows)],
                source_name=source,
                record={
                    "dataset": REGISTER,
                    "kind": "retention",
                    "ended_before": f"{first_kept}-01",
                    "rows_dropped": gone,
                    "rows_kept": kept.num_rows,
                },
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return gone
