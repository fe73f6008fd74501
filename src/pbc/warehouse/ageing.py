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

The patient register (`patients`) has no period: every import replaces it whole, so it holds
who the latest register names and is not aged out here.

Pure: no Django (the audit event is `pbc.retention`'s).
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

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
