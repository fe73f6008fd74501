"""Import one CSV, XLSX or Parquet file into a warehouse dataset: `import_file(...)`.

What happens, in order (see `sources`, `coerce` and `store` for the rules of each step):

1. Whole-file checks (format, empty file, encoding, header). A problem raises `ImportRefused`
   and changes nothing.
2. Under the dataset's lock, leftovers of any interrupted import are removed (`store.recover`).
3. One vectorised DuckDB query types and checks every row; the result streams in Arrow batches.
   Good rows are written to Parquet in the dataset's staging folder, one file per partition
   (period month, provider, commissioner) named by it, in one flat folder; bad rows (a few, usually) go to a quarantine CSV with the source row
   number, field, value and reason. A row with several problems has one quarantine line each.
   Rows that fail a named check are loaded with `<field>_valid = false`.
4. The staged partitions replace the same partitions of the dataset in one atomic commit;
   partitions not present in the file are untouched (`store.commit`). Re-importing a month
   therefore replaces it, never adds to it.

Invariant: rows_read = rows_loaded + rows_rejected + rows_dropped. A file with no data rows is
refused.

Published layouts (`pbc.warehouse.layouts`): a file whose header is not the dataset's own is
recognised as one of the dataset's published layouts (or read in the one `layout` names),
converted by `layouts.transform` into the dataset's columns with each row's source row number,
and then typed and checked exactly like a native file. Rows the layout drops (totals, test
items, split rows summed into their key's first row) are counted in `rows_dropped` by reason.

Keys (`pbc.warehouse.keys`): in every layout, pbc's own included, a row whose declared key an
earlier row of the file already had is quarantined, naming the key's fields, their values and
the row it repeats (the first one loads; rows quarantined for their own faults hold no key).
The file is staged without the row-by-row check first; one DuckDB query over the staged rows
then says whether any key repeats, and only then is the file staged again with the check.
Across imports: where the key does not name the partition (`keys.key_fixes_partition`), a key
already stored in a partition the import keeps refuses the whole file, naming its first row
(`_stored_repeats`; the file is staged again to find the rows); nothing changes.

Whole-file datasets (`Dataset.whole_file`: the periodic aggregate returns): a file with any
bad cell is refused, its message naming each bad cell's row, column and reason; nothing is
stored and no quarantine file is kept.

Scope (`commissioners`): an import on behalf of a PCT names the commissioner codes it may write
(its own PCT's). For a dataset partitioned by commissioner, a row of any other commissioner
refuses the whole file (naming file, row and field; nothing changes), and the commit replaces
only partitions of those commissioners (`store.replaced_partitions`). None is the system's
import (`pbc import` without `--pct`, the demo): every commissioner.

Choices where the issue is silent: "the partitions present in the file" are those of the rows
loaded; a partition whose every row was rejected is left as it was (the quarantine file says
why). `--period` is refused for datasets without a period field (reference data, which each
import replaces whole).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pds
from duckdb.func import ARROW as ARROW_UDF

from pbc import exports, uploads
from pbc.uploads import UploadLimits
from pbc.warehouse import coerce, keys, layouts, sources, store
from pbc.warehouse.keys import RepeatedKeys
from pbc.warehouse.layouts import transform
from pbc.warehouse.schema import Dataset
from pbc.warehouse.sources import ROW_COLUMN, ImportRefused, RaggedRow, SlowReadLog
from pbc.warehouse.sql_checks import SQL_CHECKS

ProgressCallback = Callable[[str, float], None]
"""progress(stage, fraction): stage is "checking", "loading" or "committing"; 0 <= fraction <= 1."""

BATCH_ROWS = 1 << 20
QUARANTINE_HEADER = ("source_row", "field", "value", "reason")
_PERIOD_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")

__all__ = [
    "ImportRefused",
    "ImportResult",
    "ProgressCallback",
    "QuarantineGroup",
    "import_file",
    "new_import_id",
    "quarantine_summary",
    "unchanged_import",
]


@dataclass(frozen=True)
class QuarantineGroup:
    """Quarantined rows alike: the field, the reason (a row number in it made general), how
    many rows, and the first of them. No values: they may be patient identifiers."""

    field: str
    reason: str
    rows: int
    first_row: int


QUARANTINE_GROUPS_SHOWN = 10
_ROW_NUMBER = re.compile(r"\brow [0-9]+\b")


def quarantine_summary(
    path: str | os.PathLike[str], limit: int = QUARANTINE_GROUPS_SHOWN
) -> tuple[QuarantineGroup, ...]:
    """The quarantine file's lines by field and reason, the largest groups first (at most
    `limit`); "row 12" in a reason (the row a repeated key first came in) is read "an earlier
    row", so that the repeats of every key make one group."""
    import csv

    groups: dict[tuple[str, str], list[int]] = {}
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        for line in reader:
            reason = _ROW_NUMBER.sub("an earlier row", line["reason"])
            # "Maternity!12": a row of a workbook read sheet by sheet
            number = line["source_row"].rpartition("!")[2]
            row = int(number) if number.isdigit() else 0
            group = groups.setdefault((line["field"], reason), [0, row])
            group[0] += 1
            group[1] = min(group[1], row)
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
    return tuple(QuarantineGroup(f, r, n, first) for (f, r), (n, first) in ranked[:limit])


@dataclass(frozen=True)
class ImportResult:
    """The record of one import (the app stores it; `pbc import --json` prints `to_json()`)."""

    import_id: str
    dataset: str
    source_name: str
    checksum: str
    format: str
    period: str | None
    started_at: str
    finished_at: str
    seconds: float
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_flagged: int
    partitions: tuple[str, ...] = ()
    partitions_replaced: tuple[str, ...] = ()
    quarantine_path: str | None = None
    # The layout the file was read in ("pbc": the dataset's own), the rows it dropped (totals,
    # test items, split rows summed) by reason, and published columns it did not load.
    layout: str = "pbc"
    rows_dropped: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    ignored_columns: tuple[str, ...] = ()
    # A dry run (`import_file(..., dry_run=True)`): nothing was committed or kept; what the
    # import would do, with the rows each partition it would replace holds now.
    dry_run: bool = False
    rows_replaced: dict[str, int] = field(default_factory=dict)
    quarantine: tuple[QuarantineGroup, ...] = ()
    # The sheets read when a workbook is read whole (`Layout.every_sheet`), in workbook order;
    # empty when one table was read.
    sheets: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["partitions"] = list(self.partitions)
        data["partitions_replaced"] = list(self.partitions_replaced)
        data["ignored_columns"] = list(self.ignored_columns)
        data["quarantine"] = [asdict(g) for g in self.quarantine]
        data["sheets"] = list(self.sheets)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=False)


@dataclass
class _Staged:
    rows_read: int = 0
    rows_rejected: int = 0
    rows_flagged: int = 0
    partitions: dict[str, list[tuple[Path, int]]] = field(default_factory=dict)
    # Good rows of a commissioner outside the import's scope: (source row, value), first few.
    out_of_scope: list[tuple[int, str]] = field(default_factory=list)
    rows_out_of_scope: int = 0
    # Good rows whose key a stored row (of a partition the import keeps) already has.
    stored_repeats: list[keys.Repeat] = field(default_factory=list)

    def files(self) -> list[Path]:
        return [path for files in self.partitions.values() for path, _ in files]


class _SlowPathNeeded(Exception):
    """DuckDB could not read the source (for CSV: a structural problem; re-read with `csv`)."""


def _is_read_error(err: duckdb.Error, source_sql: str) -> bool:
    """A failure to read the source file itself, as opposed to a fault in our query."""
    text = str(err)
    if "read_csv(" in source_sql:
        # "CSV Error ..." for a bad row; "The CSV Parser state machine reached an invalid
        # state" for a file DuckDB's strict reader cannot follow at all (a blank first line
        # before a CRLF header): both are read again by the slow path, which names the fault.
        return isinstance(err, duckdb.InvalidInputException) and (
            "CSV Error" in text or "CSV Parser" in text
        )
    if "read_parquet(" in source_sql:
        return isinstance(err, duckdb.IOException | duckdb.InvalidInputException)
    return isinstance(err, duckdb.InvalidInputException) and "Python exception" in text


def _check_plan_keeps_order(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse to run a typing query whose plan could reorder rows.

    Quarantine row numbers are positions in the result stream, which DuckDB keeps in source
    order for scans and projections only. A join (DuckDB turns long IN lists into one) or an
    aggregate would silently misnumber rows, so it is a programming error here.
    """
    plan = "\n".join(str(r[1]) for r in con.execute("EXPLAIN " + query).fetchall())
    for operator in ("JOIN", "AGGREGATE", "ORDER_BY", "Join", "Aggregate", "Order"):
        if operator in plan:
            raise AssertionError(f"typing query plan contains {operator}: row order not kept")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def new_import_id() -> str:
    """A new import id: the time and 8 random hex digits (it names files: letters and digits)."""
    return _utcnow().strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)


def resolve_dataset(dataset: Dataset | str, source_name: str) -> Dataset:
    if isinstance(dataset, Dataset):
        return dataset
    from pbc.warehouse.datasets import DATASETS

    try:
        return DATASETS[dataset]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise ImportRefused(source_name, f"unknown dataset {dataset!r} (known: {known})") from None


def _vectorised(fn: Callable[[object], bool]) -> Callable[[pa.Array], pa.Array]:
    """A DuckDB Arrow UDF calling `fn` once per distinct value of each batch."""

    def run(values: pa.Array) -> pa.Array:
        cache: dict[object, bool] = {}
        out = []
        for v in values.to_pylist():
            if v not in cache:
                cache[v] = bool(fn(v))
            out.append(cache[v])
        return pa.array(out, pa.bool_())

    return run


def _python_checks(con: duckdb.DuckDBPyConnection, dataset: Dataset) -> list[str]:
    """Register the named checks with no SQL twin as vectorised Python functions."""
    from pbc.warehouse.datasets import CHECKS

    names = coerce.python_check_names(dataset, lambda name: name in SQL_CHECKS)
    for name in names:
        run = _vectorised(CHECKS[name])
        con.create_function(
            coerce.PYTHON_CHECK_PREFIX + name, run, ["VARCHAR"], "BOOLEAN", type=ARROW_UDF
        )
    return names


def unchanged_import(
    dataset: Dataset | str,
    path: str | os.PathLike[str],
    *,
    period: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> str | None:
    """The id of the committed import of this very file (same SHA-256, declared period and
    dataset declaration) when importing it again as the system would change nothing (see
    `store.unchanged_import`); None when it should be imported. Raises `ImportRefused` as
    `import_file` would for a missing file or a file of an unknown format."""
    file = Path(path)
    ds = resolve_dataset(dataset, file.name)
    if not file.is_file():
        raise ImportRefused(file.name, "no such file")
    fmt = sources.detect_format(file, file.name)
    checksum = sources.checksum_and_check_text(file, file.name, text=fmt == "csv")
    folder = store.dataset_dir(ds, data_dir)
    manifest = store.read_manifest(folder, ds.name)
    return store.unchanged_import(manifest, checksum, period, ds.digest())


def import_file(
    dataset: Dataset | str,
    path: str | os.PathLike[str],
    *,
    period: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    source_name: str | None = None,
    progress: ProgressCallback | None = None,
    batch_rows: int = BATCH_ROWS,
    import_id: str | None = None,
    commissioners: frozenset[str] | None = None,
    limits: UploadLimits | None = None,
    layout: str | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import `path` into `dataset`; return the record, or raise `ImportRefused` changing nothing.

    - `dry_run`: every check and the staging as for the import, then nothing is committed
      and the quarantine file is not kept: the result says what the import would do
      (`dry_run`), with the partitions it would replace and the rows each holds now
      (`rows_replaced`) and its quarantine by field and reason (`quarantine`).

    - `layout`: the published layout to read the file in (`pbc.warehouse.layouts`); None:
      recognised from the file's header ("pbc", the dataset's own layout, first).

    - `period` ("YYYY-MM") declares the month the file covers: rows whose period field falls
      in another month are quarantined with that reason.
    - `source_name` is the name to record (the original name of an uploaded file); defaults to
      the file's name.
    - `progress(stage, fraction)` is called as the import advances (for a progress bar).
    - `import_id` names the import (`new_import_id()`; made here if not given): the app records
      it first, and the committed manifest keeps it with the import's figures.
    - `commissioners`: the commissioner codes the importer may write (None: all); see the
      module's "Scope".
    - `limits`: the upload limits (`pbc.uploads`) the file is held to: size and expansion
      before anything is read, then rows and cell length while it is read. None (the demo's
      generated data, the benchmarks): no limits.
    """
    started = _utcnow()
    clock = time.perf_counter()
    file = Path(path)
    name = source_name or file.name
    report = progress or (lambda stage, fraction: None)
    ds = resolve_dataset(dataset, name)
    if not file.is_file():
        raise ImportRefused(name, "no such file")
    if period is not None:
        if not _PERIOD_RE.fullmatch(period):
            raise ImportRefused(name, f"period {period!r} is not a month YYYY-MM")
        if ds.period_field is None:
            raise ImportRefused(
                name, f"dataset {ds.name} has no period: omit --period (each import replaces it)"
            )
    if file.stat().st_size == 0:
        raise ImportRefused(name, "empty file")
    if limits is not None:
        try:
            uploads.check_file(file, name, limits)
        except uploads.UploadRefused as refused:
            raise ImportRefused(name, refused.detail) from None
    report("checking", 0.0)
    published = layouts.resolve(ds, file, name, layout, period)
    if published is not None:
        fmt, checksum = published.fmt, published.checksum
    else:
        fmt = sources.detect_format(file, name)
        checksum = sources.checksum_and_check_text(file, name, text=fmt == "csv")
    report("checking", 1.0)

    declared = list(ds.names)
    xlsx_rows: Iterator[tuple[object, ...]] | None = None
    header_row = 1
    file_names: list[str] = []
    converted: transform.Converted | None = None
    if published is not None:
        names = declared
    elif fmt == "csv":
        names = sources.check_header(sources.read_csv_header(file, name), declared, name)
    elif fmt == "xlsx":
        header, header_row, xlsx_rows = sources.open_xlsx(file, name)
        names = sources.check_header(header, declared, name)
    else:
        file_names = sources.read_parquet_header(file, name)
        names = sources.check_header(file_names, declared, name)
    store.pause_point("validated")

    scope = commissioners if ds.partition_by_commissioner else None
    import_id = import_id or new_import_id()
    folder = store.dataset_dir(ds, data_dir)
    with store.dataset_lock(folder):
        store.recover(folder, ds.name)
        staging = folder / store.STAGING / import_id
        quarantine_final: Path | None = None
        try:
            staging.mkdir(parents=True)
            con = duckdb.connect(config={"preserve_insertion_order": True})
            # DuckDB rewrites IN lists (code lists) into hash joins, which do not keep row
            # order; quarantine row numbers need it (see _check_plan_keeps_order).
            con.execute("SET disabled_optimizers = 'in_clause'")
            try:
                python_checks = _python_checks(con, ds)
                if published is not None:
                    (staging / "layout").mkdir()
                    converted = transform.convert(
                        published.match,
                        ds,
                        file,
                        published.fmt,
                        published.encoding,
                        name,
                        staging / "layout" / "rows.parquet",
                        period=period,
                        temp_dir=staging / "layout",
                        limits=limits,
                        sheets=published.matches,
                    )
                source = _Source(
                    file, name, fmt, names, file_names, header_row, xlsx_rows, published, converted
                )
                job = _Job(con, ds, staging, period, python_checks, report, batch_rows, scope)
                # Keys: staged without the row-by-row check, then one DuckDB query over the
                # staged rows; only a file that does repeat a key is staged again with the
                # check that quarantines each repeat (`pbc.warehouse.keys`).
                staged = _stage_file(job, source, limits)
                stored = _stored_repeats(con, ds, folder, staged, scope)
                if not staged.rows_out_of_scope and (
                    stored.num_rows or keys.staged_repeats(con, ds, staged.files())
                ):
                    shutil.rmtree(staging / "data", ignore_errors=True)
                    staged = _stage_file(job.checking_keys(stored), source, limits)
            finally:
                con.close()
            dropped = dict(converted.dropped) if converted is not None else {}
            rows_dropped = sum(dropped.values())
            if staged.rows_read == 0 and rows_dropped == 0:
                raise ImportRefused(name, "no data rows")
            if staged.rows_out_of_scope:
                raise ImportRefused(name, _out_of_scope_message(staged, scope))
            if ds.whole_file and staged.rows_rejected:
                raise ImportRefused(name, _bad_cells_message(staging / "quarantine.csv", staged))
            if staged.stored_repeats:
                raise ImportRefused(name, _stored_repeats_message(ds, folder, staged, stored))
            if scope is not None:
                _refuse_unowned_partitions(folder, ds.name, staged, name)
            store.pause_point("staged")

            quarantine_staged = staging / "quarantine.csv"
            if converted is not None and converted.sheets and staged.rows_rejected:
                _name_sheet_rows(quarantine_staged, converted)
            sheets_read = converted.sheets if converted is not None else ()
            if dry_run:
                live = store.read_manifest(folder, ds.name).partitions
                would_replace = store.replaced_partitions(live, sorted(staged.partitions), scope)
                summary = quarantine_summary(quarantine_staged) if staged.rows_rejected else ()
                shutil.rmtree(staging, ignore_errors=True)
                with contextlib.suppress(OSError):
                    (folder / store.STAGING).rmdir()
                return ImportResult(
                    import_id=import_id,
                    dataset=ds.name,
                    source_name=name,
                    checksum=checksum,
                    format=fmt,
                    period=period,
                    started_at=started.isoformat(timespec="seconds"),
                    finished_at=_utcnow().isoformat(timespec="seconds"),
                    seconds=round(time.perf_counter() - clock, 3),
                    rows_read=staged.rows_read + rows_dropped,
                    rows_loaded=staged.rows_read - staged.rows_rejected,
                    rows_rejected=staged.rows_rejected,
                    rows_flagged=staged.rows_flagged,
                    partitions=tuple(sorted(staged.partitions)),
                    partitions_replaced=tuple(would_replace),
                    layout=published.layout.name if published else layouts.NATIVE,
                    rows_dropped=rows_dropped,
                    dropped=dropped,
                    ignored_columns=published.match.extra if published else (),
                    dry_run=True,
                    rows_replaced={part: live[part].rows for part in would_replace},
                    quarantine=summary,
                    sheets=sheets_read,
                )
            if staged.rows_rejected:
                target_dir = store.quarantine_dir(data_dir) / ds.name
                target_dir.mkdir(parents=True, exist_ok=True)
                quarantine_final = target_dir / f"{import_id}.csv"
                os.replace(quarantine_staged, quarantine_final)
            store.pause_point("quarantine_written")

            report("committing", 0.0)
            staged_parts = [
                store.StagedPartition(
                    name=part, files=tuple(p for p, _ in files), rows=sum(n for _, n in files)
                )
                for part, files in sorted(staged.partitions.items())
            ]
            record = {
                "dataset": ds.name,
                "source_name": name,
                "checksum": checksum,
                "schema": ds.digest(),
                "period": period,
                "started_at": started.isoformat(timespec="seconds"),
                "rows_read": staged.rows_read + rows_dropped,
                "rows_loaded": staged.rows_read - staged.rows_rejected,
                "rows_rejected": staged.rows_rejected,
                "rows_dropped": rows_dropped,
                "dropped": dropped,
                "rows_flagged": staged.rows_flagged,
                "partitions": sorted(staged.partitions),
                "quarantine_path": str(quarantine_final) if quarantine_final else None,
                "layout": published.layout.name if published else layouts.NATIVE,
                "sheets": list(sheets_read),
            }
            _, replaced = store.commit(
                folder, ds.name, import_id, staged_parts, name, record, scope
            )
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if quarantine_final is not None:
                with contextlib.suppress(FileNotFoundError):
                    quarantine_final.unlink()
            raise
        shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            (folder / store.STAGING).rmdir()
        store.pause_point("cleaned")
    report("committing", 1.0)

    finished = _utcnow()
    return ImportResult(
        import_id=import_id,
        dataset=ds.name,
        source_name=name,
        checksum=checksum,
        format=fmt,
        period=period,
        started_at=started.isoformat(timespec="seconds"),
        finished_at=finished.isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - clock, 3),
        rows_read=staged.rows_read + rows_dropped,
        rows_loaded=staged.rows_read - staged.rows_rejected,
        rows_rejected=staged.rows_rejected,
        rows_flagged=staged.rows_flagged,
        partitions=tuple(sorted(staged.partitions)),
        partitions_replaced=tuple(sorted(replaced)),
        quarantine_path=str(quarantine_final) if quarantine_final else None,
        layout=published.layout.name if published else layouts.NATIVE,
        rows_dropped=rows_dropped,
        dropped=dropped,
        ignored_columns=published.match.extra if published else (),
        sheets=sheets_read,
    )


_NUMBERED_ROW = re.compile(r"\brow ([0-9]+)\b")


def _name_sheet_rows(quarantine: Path, converted: transform.Converted) -> None:
    """Rewrite a quarantine file of a workbook read sheet by sheet (`Layout.every_sheet`) so
    that every row number, in `source_row` and in the reasons ("repeats the key ... of row
    N"), names its sheet and row as the workbook shows them: "Maternity!12"."""
    with open(quarantine, encoding="utf-8", newline="") as fh:
        lines = list(csv.reader(fh))
    if not lines:
        return
    out = [lines[0]]
    for line in lines[1:]:
        row, field_name, value, reason = line
        if row.isdigit():
            row = converted.sheet_row(int(row))
        reason = _NUMBERED_ROW.sub(lambda m: f"row {converted.sheet_row(int(m.group(1)))}", reason)
        out.append([row, field_name, value, reason])
    with open(quarantine, "w", encoding="utf-8", newline="") as fh:
        exports.csv_writer(fh).writerows(out)


BAD_CELLS_LISTED = 20


def _bad_cells_message(quarantine: Path, staged: _Staged) -> str:
    """The refusal of a whole-file dataset's file with bad cells: each bad cell's row, column
    and reason (the first `BAD_CELLS_LISTED`), from the staged quarantine file."""
    with open(quarantine, encoding="utf-8", newline="") as fh:
        cells = list(csv.DictReader(fh))
    listed = [
        f"row {c['source_row']}, column {c['field']}, value {c['value']!r}: {c['reason']}"
        if c["value"] not in ("", None)
        else f"row {c['source_row']}, column {c['field']}: {c['reason']}"
        for c in cells[:BAD_CELLS_LISTED]
    ]
    more = len(cells) - len(listed)
    rows = staged.rows_rejected
    text = (
        f"{len(cells)} bad cell{'s' if len(cells) != 1 else ''} in {rows} "
        f"row{'s' if rows != 1 else ''}; nothing was stored (a return loads whole or not at "
        f"all): " + "; ".join(listed)
    )
    return text + (f"; and {more} more" if more else "")


@dataclass
class _Source:
    """The file to stage and how to read it (decided by the whole-file checks)."""

    file: Path
    name: str
    fmt: str
    names: list[str]  # the dataset's columns, in the file's order
    file_names: list[str]  # a Parquet file's own column names
    header_row: int  # an XLSX file's header row
    xlsx_rows: Iterator[tuple[object, ...]] | None  # the rows below it, not yet read
    published: layouts.Resolved | None
    converted: transform.Converted | None  # a published layout's rows, converted


@dataclass(frozen=True)
class _Job:
    """What every staging pass of one import shares: where and how rows are staged. The first
    pass leaves repeated keys to one query over the staged rows (`check_keys` false); a second
    pass, only for a file that repeats a key, checks row by row against `stored` (the stored
    rows the import keeps)."""

    con: duckdb.DuckDBPyConnection
    ds: Dataset
    staging: Path
    period: str | None
    python_checks: list[str]
    report: ProgressCallback
    batch_rows: int
    scope: frozenset[str] | None
    check_keys: bool = False
    stored: pa.Table | None = None

    def checking_keys(self, stored: pa.Table) -> _Job:
        return replace(self, check_keys=True, stored=stored)


@dataclass(frozen=True)
class _Read:
    """One way of reading the file's rows: the SQL that yields them (typed by `_stage`'s
    query), how their source rows are numbered (a row column, or positions from `first_row`),
    and what is known of them beforehand."""

    source_sql: str
    has_row: bool
    first_row: int
    bounds: _Bounds
    estimate: int | None = None
    ragged: list[RaggedRow] = field(default_factory=list)
    prerejected: list[tuple[int, str, str, str]] = field(default_factory=list)
    layout: str = "pbc"


def _stage_file(job: _Job, source: _Source, limits: UploadLimits | None) -> _Staged:
    """Read the file and stage its rows (see `_stage`). May be called again: it reads the file
    afresh and overwrites what it staged before (not the converted layout rows)."""
    file, name, names = source.file, source.name, source.names
    if source.converted is not None:
        assert source.published is not None
        quoted = str(source.converted.path).replace("'", "''")
        read = _Read(
            f"(SELECT * FROM read_parquet('{quoted}'))",
            has_row=True,
            first_row=2,
            bounds=_Bounds(name, limits, count_rows=False),
            prerejected=source.converted.rejected,
            layout=source.published.layout.name,
        )
        return _stage(job, read)
    reader: pa.RecordBatchReader | None = None
    log = SlowReadLog()
    if source.fmt == "csv":
        read = _Read(
            sources.duckdb_csv_source(file, names),
            has_row=False,
            first_row=2,
            bounds=_Bounds(name, limits),
            estimate=sources.estimate_csv_rows(file),
        )
        try:
            return _stage(job, read)
        except _SlowPathNeeded:
            shutil.rmtree(job.staging / "data", ignore_errors=True)
            reader = sources.read_csv_rows(file, names, log, name)
    elif source.fmt == "xlsx":
        rows, source.xlsx_rows = source.xlsx_rows, None  # an iterator: read once
        header_row = source.header_row
        if rows is None:
            _, header_row, rows = sources.open_xlsx(file, name)
        reader = sources.read_xlsx_rows(rows, names, log, name, header_row)
    if reader is not None:  # the slow CSV path, XLSX
        estimate = sources.estimate_csv_rows(file) if source.fmt == "csv" else None
        return _stage_reader(job, reader, log, name, _Bounds(name, limits), estimate)
    read = _Read(
        sources.duckdb_parquet_source(file, source.file_names, names),
        has_row=False,
        first_row=1,
        bounds=_Bounds(name, limits),
    )
    try:
        return _stage(job, read)
    except _SlowPathNeeded as err:
        raise ImportRefused(name, f"could not read the Parquet file ({err})") from None


def _stored_repeats(
    con: duckdb.DuckDBPyConnection,
    ds: Dataset,
    folder: Path,
    staged: _Staged,
    scope: frozenset[str] | None,
) -> pa.Table:
    """The staged keys already held by a stored row that the import would keep: a stored row
    of a partition the import does not replace (`keys.stored_repeats`). None can be when the
    key names the partition (`keys.key_fixes_partition`), and then nothing is read."""
    files: list[Path] = []
    if not keys.key_fixes_partition(ds) and not staged.rows_out_of_scope:
        committed = store.read_manifest(folder, ds.name).partitions
        replaced = store.replaced_partitions(committed, list(staged.partitions), scope)
        kept = sorted(set(committed) - set(replaced))
        files = [folder / f for name in kept for f in committed[name].files]
    return keys.stored_repeats(con, ds, staged.files(), files)


STORED_REPEATS_SHOWN = 5


def _stored_repeats_message(ds: Dataset, folder: Path, staged: _Staged, stored: pa.Table) -> str:
    first = staged.stored_repeats[0]
    where = {str(folder / f): (name, entry.source_name) for name, entry in
             store.read_manifest(folder, ds.name).partitions.items() for f in entry.files}  # fmt: skip
    texts = [
        " | ".join("" if v is None else str(v) for v in values)
        for values in zip(*(stored.column(k).to_pylist() for k in ds.key), strict=True)
    ]
    stored_file = dict(zip(texts, stored.column("stored_file").to_pylist(), strict=True))
    partition, source = where.get(stored_file.get(first.value, ""), ("?", "?"))
    rows = ", ".join(str(r.row) for r in staged.stored_repeats[:STORED_REPEATS_SHOWN])
    more = ", ..." if len(staged.stored_repeats) > STORED_REPEATS_SHOWN else ""
    return (
        f"row {first.row}, field(s) {', '.join(ds.key)}: key {first.value} is already stored "
        f"in partition {partition or '(whole dataset)'} (from {source or 'an earlier import'}), "
        f"which this import does not replace: dataset {ds.name} has one row per key. "
        f"{len(staged.stored_repeats)} row(s) of this file repeat a stored key (rows {rows}"
        f"{more}); import the stored row's partition again without the key first, or both in "
        "one file. Nothing was changed."
    )


def _out_of_scope_message(staged: _Staged, scope: frozenset[str] | None) -> str:
    own = ", ".join(sorted(scope or ()))
    first_row, value = staged.out_of_scope[0]
    rows = ", ".join(str(r) for r, _ in staged.out_of_scope)
    more = "" if staged.rows_out_of_scope <= len(staged.out_of_scope) else ", ..."
    return (
        f"row {first_row}, field commissioner_code: {value} is not your commissioner "
        f"(you may import rows of {own} only); {staged.rows_out_of_scope} row(s) of other "
        f"commissioners (rows {rows}{more}). Nothing was changed."
    )


def _refuse_unowned_partitions(folder: Path, dataset: str, staged: _Staged, name: str) -> None:
    """A partition written before partitioning by commissioner may hold any commissioner's
    rows: a PCT's import may not replace it (the system's import re-partitions it)."""
    committed = store.read_manifest(folder, dataset).partitions
    prefixes = {store.without_commissioner(p) for p in staged.partitions}
    legacy = sorted(
        p
        for p in committed
        if store.commissioner_of(p) is None and store.without_commissioner(p) in prefixes
    )
    if legacy:
        raise ImportRefused(
            name,
            f"partition {legacy[0] or '(whole dataset)'} was stored before partitioning by "
            "commissioner and may hold other commissioners' rows: it must be re-imported once "
            "with `pbc import` (the system operator) first. Nothing was changed.",
        )


def _stage_reader(
    job: _Job,
    reader: pa.RecordBatchReader,
    log: SlowReadLog,
    source_name: str,
    bounds: _Bounds,
    estimate: int | None,
) -> _Staged:
    """Stage text batches produced in Python (slow CSV path, XLSX), then their ragged rows."""
    job.con.register("pbc_source", reader)
    try:
        read = _Read(
            "pbc_source",
            has_row=True,
            first_row=2,
            bounds=bounds,
            estimate=estimate,
            ragged=log.ragged,
        )
        staged = _stage(job, read)
    except LimitExceeded:
        raise
    except (_SlowPathNeeded, ImportRefused) as err:
        if log.refusal is not None:
            raise log.refusal from None
        raise ImportRefused(source_name, f"could not read the file ({err})") from None
    finally:
        job.con.unregister("pbc_source")
    return staged


def _quarantine_repeats(
    repeated: RepeatedKeys,
    batch: pa.RecordBatch,
    bad_mask: pa.Array,
    nbad: int,
    has_row: bool,
    first: int,
    writer: exports.CsvWriter,
    layout: str,
    stored_repeats: list[keys.Repeat],
) -> pa.Array:
    """Quarantine the rows of `batch` (not already bad) repeating a key of the file, and add
    those repeating a stored key (`RepeatedKeys.seed`) to `stored_repeats`; return the mask of
    the rows not to load (bad or repeating)."""
    if nbad:
        good_at = pc.indices_nonzero(pc.invert(pc.fill_null(bad_mask, False)))
        good = batch.take(good_at)
    else:
        good_at, good = None, batch
    if has_row:
        rows = good.column(ROW_COLUMN)
    else:
        positions = good_at if good_at is not None else pa.array(range(batch.num_rows))
        rows = pc.add(positions.cast(pa.int64()), first)
    found = repeated.find([good.column(k) for k in repeated.key], rows)
    if not found:
        return bad_mask
    what = ", ".join(repeated.key)
    at = []
    for r in found:
        if r.first_row == keys.STORED_ROW:
            stored_repeats.append(r)
        else:
            writer.writerow((r.row, what, r.value, keys.reason(repeated.ds, r.first_row, layout)))
        at.append(r.index if good_at is None else good_at[r.index].as_py())
    mask = np.zeros(batch.num_rows, dtype=bool)
    mask[at] = True
    return pc.or_(bad_mask, pa.array(mask))


OUT_OF_SCOPE_SHOWN = 5


def _note_out_of_scope(
    staged: _Staged,
    batch: pa.RecordBatch,
    bad_mask: pa.Array,
    scope: frozenset[str],
    has_row: bool,
    offset: int,
    first_row: int,
) -> None:
    """Count the good rows of `batch` whose commissioner lies outside `scope`; keep the first
    few (source row number, value) for the refusal message."""
    values = batch.column("commissioner_code")
    outside = pc.and_(
        pc.invert(pc.fill_null(bad_mask, False)),
        pc.invert(pc.fill_null(pc.is_in(values, value_set=pa.array(sorted(scope))), False)),
    )
    count = pc.sum(outside).as_py() or 0
    if not count:
        return
    staged.rows_out_of_scope += count
    room = OUT_OF_SCOPE_SHOWN - len(staged.out_of_scope)
    if room <= 0:
        return
    positions = pc.indices_nonzero(outside).to_pylist()[:room]
    if has_row:
        rows = batch.column(ROW_COLUMN).take(pa.array(positions)).to_pylist()
    else:
        rows = [offset + i + first_row for i in positions]
    found = values.take(pa.array(positions)).to_pylist()
    staged.out_of_scope += [(int(r), str(v)) for r, v in zip(rows, found, strict=True)]


class LimitExceeded(ImportRefused):
    """A file over an upload limit (rows, cell length), met while its rows were read."""


@dataclass(frozen=True)
class _Bounds:
    """The upload limits applied to the typed batches of one file: rows read and cell length
    (every format: DuckDB's CSV and Parquet readers as well as the Python ones). A published
    layout's rows are counted as the file's rows when they are read (`layouts.readers`): a wide
    form becomes more rows than the file has, so `count_rows` is off for them."""

    source_name: str
    limits: UploadLimits | None
    count_rows: bool = True

    def check(self, batch: pa.RecordBatch, rows_read: int, has_row: bool, first: int) -> None:
        limits = self.limits
        if limits is None:
            return
        if self.count_rows and rows_read > limits.max_rows:
            raise LimitExceeded(self.source_name, f"more than the {limits.max_rows:,} rows allowed")
        rows = batch.column(ROW_COLUMN) if has_row else None
        try:
            uploads.check_text_columns(
                self.source_name,
                limits,
                batch.columns,
                batch.schema.names,
                lambda at: rows[at].as_py() if rows is not None else first + at,
            )
        except uploads.UploadRefused as refused:
            raise LimitExceeded(self.source_name, refused.detail) from None


def _stage(job: _Job, read: _Read) -> _Staged:
    """Run the typing query over the rows `read` yields; write good rows to staging, bad ones
    (and, with `job.check_keys`, rows repeating a key of the file: `keys.RepeatedKeys`) to
    quarantine. Rows repeating a key of `job.stored` (stored rows the import keeps) go to
    `stored_repeats`."""
    con, ds, staging, report, scope = job.con, job.ds, job.staging, job.report, job.scope
    check_keys, stored, layout = job.check_keys, job.stored, read.layout
    source_sql, has_row, first_row, bounds = (
        read.source_sql,
        read.has_row,
        read.first_row,
        read.bounds,
    )
    estimate = read.estimate
    query = coerce.build_query(
        ds, source_sql, period=job.period, has_row_column=has_row, python_checks=job.python_checks
    )
    out_cols = coerce.output_columns(ds)
    keys = store.partition_keys(ds)
    part_cols = [coerce.PARTITION_COLUMN] if keys else []
    staged = _Staged()
    data_dir = staging / "data"
    quarantine = open(staging / "quarantine.csv", "w", encoding="utf-8", newline="")  # noqa: SIM115
    writer = exports.csv_writer(quarantine)
    writer.writerow(QUARANTINE_HEADER)
    failure: list[BaseException] = []

    _check_plan_keeps_order(con, query)
    try:
        result = con.sql(query).to_arrow_reader(job.batch_rows)
    except duckdb.Error as err:
        quarantine.close()
        if _is_read_error(err, source_sql):
            raise _SlowPathNeeded(str(err).splitlines()[0]) from None
        raise
    keep = out_cols + part_cols
    schema = pa.schema([result.schema.field(c) for c in keep])
    flag_cols = [coerce.flag_name(f) for f in coerce.flag_fields(ds)]
    repeated = RepeatedKeys(ds)
    if check_keys and stored is not None:
        repeated.seed(stored)

    def good_batches() -> Iterator[pa.RecordBatch]:
        offset = 0
        try:
            for batch in result:
                n = batch.num_rows
                staged.rows_read += n
                bounds.check(batch, staged.rows_read, has_row, offset + first_row)
                bad_mask = batch.column("_bad")
                nbad = pc.sum(bad_mask).as_py() or 0
                if nbad:
                    bad = batch.filter(bad_mask)
                    if has_row:
                        rows = bad.column(ROW_COLUMN).to_pylist()
                    else:
                        positions = pc.indices_nonzero(bad_mask).to_pylist()
                        rows = [offset + i + first_row for i in positions]
                    for source_row, problems in zip(
                        rows, bad.column("_problems").to_pylist(), strict=True
                    ):
                        for p in problems or []:
                            writer.writerow((source_row, p["field"], p["value"], p["reason"]))
                    staged.rows_rejected += nbad
                if check_keys and repeated.active:
                    bad_mask = _quarantine_repeats(
                        repeated,
                        batch,
                        bad_mask,
                        nbad,
                        has_row,
                        offset + first_row,
                        writer,
                        layout,
                        staged.stored_repeats,
                    )
                    nrepeat = (pc.sum(bad_mask).as_py() or 0) - nbad
                    staged.rows_rejected += nrepeat
                    nbad += nrepeat
                if scope is not None:
                    _note_out_of_scope(staged, batch, bad_mask, scope, has_row, offset, first_row)
                if nbad:
                    batch = batch.filter(pc.invert(bad_mask))
                if flag_cols and batch.num_rows:
                    # Kleene logic: any false flag makes the row false; NULL flags (nothing to
                    # check) do not.
                    all_valid = batch.column(flag_cols[0])
                    for c in flag_cols[1:]:
                        all_valid = pc.and_kleene(all_valid, batch.column(c))
                    staged.rows_flagged += pc.sum(pc.equal(all_valid, False)).as_py() or 0
                offset += n
                if estimate:
                    report("loading", min(0.99, staged.rows_read / estimate))
                if batch.num_rows:
                    yield pa.RecordBatch.from_arrays([batch.column(c) for c in keep], schema=schema)
        except duckdb.Error as err:
            if _is_read_error(err, source_sql):
                failure.append(_SlowPathNeeded(str(err).splitlines()[0]))
            else:
                failure.append(err)
        except BaseException as err:  # noqa: BLE001 - re-raised after the writer stops
            failure.append(err)

    written: list[tuple[str, int]] = []

    def visit(f: pds.WrittenFile) -> None:
        written.append((f.path, f.metadata.num_rows if f.metadata is not None else 0))

    try:
        pds.write_dataset(
            pa.RecordBatchReader.from_batches(schema, good_batches()),
            data_dir,
            format="parquet",
            # One flat folder: each partition's files are named "<partition>_part-<i>.parquet"
            # (`_staged_partition`), which saves making and removing a folder tree of
            # hundreds of partitions at every import (measured: 1.3-1.7 s of an import of a
            # million rows on a loaded disk); the commit moves them into their folders.
            partitioning=(
                pds.FilenamePartitioning(
                    pa.schema([schema.field(c) for c in part_cols]), segment_encoding="none"
                )
                if part_cols
                else None
            ),
            basename_template="part-{i}.parquet",
            existing_data_behavior="error",
            max_partitions=1_000_000,
            max_open_files=4096,
            min_rows_per_group=1 << 16,
            max_rows_per_group=1 << 20,
            file_visitor=visit,
            create_dir=True,
        )
        for r in read.ragged:
            reason = f"row has {r.found} fields; the header has {r.expected}"
            writer.writerow((r.source_row, "", r.text, reason))
            staged.rows_read += 1
            staged.rows_rejected += 1
        for source_row, field_name, value, reason in read.prerejected:
            writer.writerow((source_row, field_name, value, reason))
            staged.rows_read += 1
            staged.rows_rejected += 1
    finally:
        quarantine.close()
        repeated.close()
    if failure:
        result.close()  # DuckDB keeps the query open until its reader is closed
        raise failure[0]
    report("loading", 1.0)

    for path_text, rows in written:
        path = Path(path_text)
        part = _staged_partition(path.name, keys)
        staged.partitions.setdefault(part, []).append((path, rows))
    return staged


_STAGED_BASENAME = "_part-"


def _staged_partition(file_name: str, keys: tuple[str, ...]) -> str:
    """The partition of a staged file named "<partition>_part-<i>.parquet" (the partition's
    name with "+" for "/"; the basename never holds "_part-", so the last one splits them)."""
    if not keys:
        return store.NO_PARTITION
    encoded = file_name.rsplit(_STAGED_BASENAME, 1)[0]
    name = encoded.replace(coerce.PARTITION_SEPARATOR, "/")
    if tuple(store.partition_values(name)) != keys:
        raise AssertionError(f"staged file {file_name} does not name a partition of {keys}")
    return name
