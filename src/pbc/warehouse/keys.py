"""A dataset's declared key, enforced while a file is imported: `staged_repeats`, `RepeatedKeys`.

Every dataset declares the fields that identify a row (`Dataset.key`). A row whose key an
earlier row of the same file already had goes to quarantine naming the key's first row (the
first one loads), in every layout: pbc's own files as well as published ones.

In two steps, so that a file without repeats (nearly every file) pays for one query only: the
importer stages the file's good rows without looking at keys, then asks `staged_repeats`, one
DuckDB `GROUP BY key HAVING count(*) > 1 LIMIT 1` over the key columns of the staged Parquet,
whether any key is repeated. Only if one is does it stage the file again, handing each batch of
typed rows that passed their checks to `RepeatedKeys.find`, in file order; it returns the rows
whose key an earlier row of the file already had, with the row of the key's first occurrence,
for the quarantine. (The first step alone cannot name rows: staged rows keep no row number.)

Published layouts whose specification splits one key over several rows (`Layout.split_rows`
"sum") have those rows summed by the transform engine before typing, so they arrive here once.

Keys are compared on typed values (so "2014-10-01" and "01/10/2014" are the same date); an
empty optional key field is a value like any other.

How `RepeatedKeys` works: each row's key, as text (its typed values joined), gets two 64-bit SipHash
fingerprints (Python's `hash` of the text, and of the text with a suffix): 128 bits, so two
different keys share both with a probability of about n^2 / 2^129, nil for any file. (DuckDB's
`hash()` was tried first and rejected: it gives thousands of collisions among a million
structured ids such as S000028000-00009.) The keys seen so far are kept as sorted NumPy runs of
(first fingerprint, second fingerprint, first row), merged geometrically so there are few
runs; a batch is looked up with `searchsorted`, and only rows whose first fingerprint is
already known (the repeats) are looked at one by one. Profiled on a million apc rows it cost
15-25% of the import (Python hashing of every key), hence the DuckDB query first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pbc.warehouse.schema import Dataset

_NULL = "\x00"  # an empty key field, as text
_SEP = "\x1f"  # between the fields of a key of several fields
_SALT = "\x1e"  # makes the second fingerprint a hash of another string


STORED_ROW = 0
"""The first row `RepeatedKeys` gives a key seeded from the stored data (`seed`): no row of a
file is numbered 0 (a file's rows are numbered from 1, the header's row)."""


def _columns(ds: Dataset) -> list[str]:
    return ['"' + name.replace('"', '""') + '"' for name in ds.key]


def key_fixes_partition(ds: Dataset) -> bool:
    """Whether two rows with the same key always lie in the same partition: the key holds every
    field a partition is named by (the period field, provider, commissioner, `partition_by`).
    Then the import that brings a key replaces the partition that held it, and a file cannot
    repeat a stored key; otherwise it can (`stored_repeats`)."""
    named_by = [*ds.partition_by]
    if ds.period_field is not None:
        named_by.append(ds.period_field)
    if ds.partition_by_provider:
        named_by.append("provider_code")
    if ds.partition_by_commissioner:
        named_by.append("commissioner_code")
    return set(named_by) <= set(ds.key)


def stored_repeats(
    con: duckdb.DuckDBPyConnection, ds: Dataset, staged: list[Path], stored: list[Path]
) -> pa.Table:
    """The keys of rows staged in `staged` that a row of the `stored` Parquet files (the
    committed partitions the import does not replace) already has: one row per key, its key
    columns and `stored_file`, a stored file holding it (empty when there are none)."""
    names = _columns(ds)
    if not names or not staged or not stored:
        return pa.table({**{k: pa.array([], pa.string()) for k in ds.key}, "stored_file": []})
    on = " AND ".join(f"s.{c} IS NOT DISTINCT FROM t.{c}" for c in names)
    return con.sql(
        f"SELECT {', '.join('s.' + c for c in names)}, min(t.filename) AS stored_file "
        f"FROM (SELECT DISTINCT {', '.join(names)} "
        "      FROM read_parquet($staged, hive_partitioning = false)) AS s "
        f"JOIN (SELECT {', '.join(names)}, filename FROM read_parquet($stored, "
        "      hive_partitioning = false, union_by_name = true, filename = true)) AS t "
        f"ON {on} GROUP BY ALL",
        params={"staged": [str(f) for f in staged], "stored": [str(f) for f in stored]},
    ).to_arrow_table()


def staged_repeats(con: duckdb.DuckDBPyConnection, ds: Dataset, files: list[Path]) -> bool:
    """Whether two of the rows staged in these Parquet files share a key (typed values; an empty
    key field is a value like any other, as GROUP BY groups NULLs together)."""
    if not ds.key or not files:
        return False
    columns = ", ".join(_columns(ds))
    found = con.execute(
        f"SELECT 1 FROM read_parquet($files, hive_partitioning = false) GROUP BY {columns} "
        "HAVING count(*) > 1 LIMIT 1",
        {"files": [str(f) for f in files]},
    ).fetchall()
    return bool(found)


@dataclass(frozen=True)
class Repeat:
    """A row repeating a key: its position among the rows given to `find`, its source row, the
    source row of the key's first occurrence, and the key's values as text."""

    index: int
    row: int
    first_row: int
    value: str


def reason(ds: Dataset, first_row: int, layout: str) -> str:
    what = ", ".join(ds.key)
    whose = f"dataset {ds.name}" if layout == "pbc" else f"the {layout} specification"
    return f"repeats the key ({what}) of row {first_row}: {whose} has one row per key"


@dataclass
class _Run:
    """Keys seen, sorted by first hash: first hash, second hash, first source row."""

    a: np.ndarray
    b: np.ndarray
    row: np.ndarray

    def __len__(self) -> int:
        return len(self.a)


def _merge(x: _Run, y: _Run) -> _Run:
    """One sorted run of two (linear: each of `y`'s keys goes to its place among `x`'s)."""
    at = np.searchsorted(x.a, y.a, side="right") + np.arange(len(y))
    keep = np.ones(len(x) + len(y), dtype=bool)
    keep[at] = False
    out = _Run(
        np.empty(len(keep), np.uint64),
        np.empty(len(keep), np.uint64),
        np.empty(len(keep), np.int64),
    )
    for name in ("a", "b", "row"):
        merged, theirs, ours = getattr(out, name), getattr(y, name), getattr(x, name)
        merged[at] = theirs
        merged[keep] = ours
    return out


class RepeatedKeys:
    """The keys met so far in one file (see the module)."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self.key = tuple(ds.key)
        self._runs: list[_Run] = []

    @property
    def active(self) -> bool:
        return bool(self.key)

    def close(self) -> None:
        self._runs = []

    def seed(self, stored: pa.Table) -> None:
        """Start from keys already stored (`stored_repeats`): a row of the file with one of
        them is found as a repeat of row `STORED_ROW`."""
        if self.active and stored.num_rows:
            rows = pa.array([STORED_ROW] * stored.num_rows, pa.int64())
            self.find([stored.column(k) for k in self.key], rows)

    def _lookup(self, a: np.ndarray, b: np.ndarray) -> dict[int, int]:
        """Positions of sorted `a` (with `b`) whose key was seen -> the key's first row."""
        found: dict[int, int] = {}
        for run in self._runs:
            at = np.searchsorted(run.a, a)
            hit = run.a[np.minimum(at, len(run) - 1)] == a
            for i in np.flatnonzero(hit).tolist():
                j = int(at[i])
                while j < len(run) and run.a[j] == a[i]:
                    if run.b[j] == b[i]:
                        found.setdefault(i, int(run.row[j]))
                        break
                    j += 1
        return found

    def find(self, keys: list[pa.Array], rows: pa.Array) -> list[Repeat]:
        """The repeats among these rows (the key columns in `self.key` order and the source row
        numbers, in file order), against themselves and every earlier batch."""
        if not self.active or len(rows) == 0:
            return []
        n = len(rows)
        columns = [k.to_pylist() for k in keys]
        if len(columns) == 1 and pa.types.is_string(keys[0].type):
            texts = [_NULL if v is None else v for v in columns[0]]
        elif len(columns) == 1:
            texts = [_NULL if v is None else str(v) for v in columns[0]]
        else:
            texts = [
                _SEP.join(_NULL if v is None else str(v) for v in values)
                for values in zip(*columns, strict=True)
            ]
        a0 = np.fromiter(map(hash, texts), dtype=np.int64, count=n).view(np.uint64)
        b0 = np.fromiter((hash(t + _SALT) for t in texts), dtype=np.int64, count=n)
        order = np.argsort(a0, kind="stable")  # by first hash, file order among equal ones
        a = a0[order]
        b = b0.view(np.uint64)[order]
        src = np.asarray(rows.to_numpy(zero_copy_only=False), dtype=np.int64)[order]

        first_of = self._lookup(a, b)  # (sorted position) repeats of an earlier batch's key
        same = np.flatnonzero(a[1:] == a[:-1])
        if len(same):  # rows of this batch sharing a first hash: look at them one by one
            firsts: dict[tuple[int, int], int] = {}
            for i in np.unique(np.concatenate([same, same + 1])).tolist():
                if i in first_of:
                    continue
                pair = (int(a[i]), int(b[i]))
                if pair in firsts:
                    first_of[i] = int(src[firsts[pair]])
                else:
                    firsts[pair] = i
        new = np.ones(len(a), dtype=bool)
        if first_of:
            new[list(first_of)] = False
        self._runs.append(_Run(a[new], b[new], src[new]))
        while len(self._runs) > 1 and len(self._runs[-2]) <= 2 * len(self._runs[-1]):
            last = self._runs.pop()
            self._runs[-1] = _merge(self._runs[-1], last)
        repeats = []
        for i, first in first_of.items():
            at = int(order[i])
            value = " | ".join("" if v is None else str(v) for v in (c[at] for c in columns))
            repeats.append(Repeat(at, int(src[i]), first, value))
        return sorted(repeats, key=lambda r: r.index)
