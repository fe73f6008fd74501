"""A dataset's declared key, enforced while a file is imported: `RepeatedKeys`.

Every dataset declares the fields that identify a row (`Dataset.key`). The importer hands each
batch of typed rows that passed their checks to `RepeatedKeys.find`, in file order; it returns
the rows whose key an earlier row of the same file already had. Those rows go to quarantine
naming the key's first row (the first one loads), in every layout: pbc's own files as well as
published ones.

Published layouts whose specification splits one key over several rows (`Layout.split_rows`
"sum") have those rows summed by the transform engine before typing, so they arrive here once.

Keys are compared on typed values (so "2014-10-01" and "01/10/2014" are the same date); an
empty optional key field is a value like any other. The check runs in its own DuckDB
connection: one hash aggregate per batch, and, from the second batch on, one join against the
keys of the earlier batches (a file of one batch, the usual case, pays only the aggregate).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from pbc.warehouse.coerce import ident
from pbc.warehouse.schema import Dataset

ORDINAL = "_key_ord"
SOURCE_ROW = "_key_src"


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


class RepeatedKeys:
    """The keys met so far in one file (see the module)."""

    def __init__(self, ds: Dataset, temp_dir: Path) -> None:
        self.ds = ds
        self.key = tuple(ds.key)
        self.checked = 0
        self._pending: pa.Table | None = None
        self._has_seen = False
        self._con: duckdb.DuckDBPyConnection | None = None
        self._temp_dir = temp_dir

    @property
    def active(self) -> bool:
        return bool(self.key)

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = duckdb.connect(config={"temp_directory": str(self._temp_dir)})
            self._con.execute("SET enable_progress_bar = false")
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def _same(self, a: str, b: str) -> str:
        return " AND ".join(f"{a}.{ident(k)} IS NOT DISTINCT FROM {b}.{ident(k)}" for k in self.key)

    def _absorb(self, con: duckdb.DuckDBPyConnection) -> None:
        """Add the previous batch's first occurrences to the keys seen."""
        if self._pending is None:
            return
        by = ", ".join(ident(k) for k in self.key)
        con.register("pending", self._pending)
        try:
            if not self._has_seen:
                con.execute(
                    f"CREATE TABLE seen AS SELECT {by}, arg_min({SOURCE_ROW}, {ORDINAL}) AS "
                    f"first_row FROM pending GROUP BY {by}"
                )
                self._has_seen = True
            else:
                con.execute(
                    f"INSERT INTO seen SELECT {by}, arg_min({SOURCE_ROW}, {ORDINAL}) FROM "
                    f"pending c WHERE NOT EXISTS (SELECT 1 FROM seen s WHERE "
                    f"{self._same('s', 'c')}) GROUP BY {by}"
                )
        finally:
            con.unregister("pending")
        self._pending = None

    def find(self, keys: list[pa.Array], rows: pa.Array) -> list[Repeat]:
        """The repeats among these rows (the key columns in `self.key` order and the source row
        numbers, in file order), against themselves and every earlier batch."""
        if not self.active or len(rows) == 0:
            return []
        n = len(rows)
        base = self.checked
        table = pa.Table.from_arrays(
            [pa.array(range(base, base + n), pa.int64()), rows, *keys],
            names=[ORDINAL, SOURCE_ROW, *self.key],
        )
        self.checked += n
        con = self._connection()
        self._absorb(con)
        by = ", ".join(ident(k) for k in self.key)
        text = (
            "concat_ws(' | ', "
            + ", ".join(f"coalesce(CAST(c.{ident(k)} AS VARCHAR), '')" for k in self.key)
            + ")"
        )
        con.register("cur", table)
        try:
            found: dict[int, Repeat] = {}
            many = con.sql(
                f"SELECT {by}, min({ORDINAL}) AS first_ord, arg_min({SOURCE_ROW}, {ORDINAL}) "
                f"AS first_row FROM cur GROUP BY {by} HAVING count(*) > 1"
            ).to_arrow_table()
            if many.num_rows:
                con.register("many", many)
                try:
                    for ordinal, row, first, value in con.execute(
                        f"SELECT c.{ORDINAL}, c.{SOURCE_ROW}, g.first_row, {text} FROM cur c "
                        f"JOIN many g ON {self._same('c', 'g')} WHERE c.{ORDINAL} > g.first_ord"
                    ).fetchall():
                        found[int(ordinal)] = Repeat(
                            int(ordinal) - base, int(row), int(first), value
                        )
                finally:
                    con.unregister("many")
            if self._has_seen:
                for ordinal, row, first, value in con.execute(
                    f"SELECT c.{ORDINAL}, c.{SOURCE_ROW}, s.first_row, {text} FROM cur c "
                    f"JOIN seen s ON {self._same('c', 's')}"
                ).fetchall():
                    found[int(ordinal)] = Repeat(int(ordinal) - base, int(row), int(first), value)
        finally:
            con.unregister("cur")
        self._pending = table
        return sorted(found.values(), key=lambda r: r.index)
