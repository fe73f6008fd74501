"""What the warehouse holds, as digests: the inputs a derived figure was computed from.

A dataset's state is its live partitions and the import each came from (read from the committed
manifests, never from the data files): it changes with every commit that changes data, and only
then. Pure: no Django.

- `dataset_digest(name, data_dir)`: one dataset's state, a short hex digest;
- `digests(names, data_dir)`: {dataset: digest} for several;
- `state(names, data_dir)`: one digest of several datasets' states;
- `imports_since(names, since, data_dir)`: the live partitions committed after `since`, grouped
  by dataset and source file (what a page names when a figure is older than its inputs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass

from pbc.warehouse import store

DataDir = str | os.PathLike[str] | None


def _lines(name: str, data_dir: DataDir) -> list[str]:
    manifest = store.read_manifest(store.dataset_dir(name, data_dir), name)
    return [
        f"{name}/{partition}={entry.import_id}\n"
        for partition, entry in sorted(manifest.partitions.items())
    ]


def dataset_digest(name: str, data_dir: DataDir = None) -> str:
    """A digest of one dataset's live partitions and the import each came from."""
    return hashlib.sha256("".join(_lines(name, data_dir)).encode()).hexdigest()[:16]


def digests(names: Iterable[str], data_dir: DataDir = None) -> dict[str, str]:
    return {name: dataset_digest(name, data_dir) for name in sorted(set(names))}


def state(names: Iterable[str], data_dir: DataDir = None) -> str:
    """One digest of what the datasets `names` hold."""
    digest = hashlib.sha256()
    for name in sorted(set(names)):
        for line in _lines(name, data_dir):
            digest.update(line.encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Commit:
    """Live partitions of `dataset` that one import (of `source_name`) committed at `at`."""

    dataset: str
    source_name: str
    at: dt.datetime
    partitions: int


def _parse(value: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def imports_since(
    names: Iterable[str], since: dt.datetime, data_dir: DataDir = None
) -> list[Commit]:
    """The imports, among the datasets `names`, whose live partitions were committed after
    `since` (an aware datetime), oldest first."""
    found: dict[tuple[str, str, dt.datetime], int] = {}
    # Manifests keep commit times to the second: a commit in the same second as `since`
    # counts as after it (callers ask only about datasets whose contents did change).
    since = since.replace(microsecond=0)
    for name in sorted(set(names)):
        manifest = store.read_manifest(store.dataset_dir(name, data_dir), name)
        for entry in manifest.partitions.values():
            at = _parse(entry.imported_at)
            if at is not None and at >= since:
                key = (name, entry.source_name, at)
                found[key] = found.get(key, 0) + 1
    return sorted(
        (Commit(name, source, at, n) for (name, source, at), n in found.items()),
        key=lambda c: (c.at, c.dataset),
    )
