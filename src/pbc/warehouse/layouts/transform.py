"""The transform engine: a published file, through its layout, into pbc's own columns.

`convert` reads the file's rows as text (`readers`), and one DuckDB pass per step:

1. maps columns (by header or position), turns date forms into ISO dates, recodes values,
   adds the constant fields the file implies, and turns a wide form into long rows;
2. marks the rows to drop (totals, test or dummy items) with their reason, and counts them;
3. enforces the dataset's key: a repeated key is quarantined (each row after the first names
   the first), or, where the layout's specification splits one key over several rows, the
   rows are summed into the key's first row (counted as "summed" drops);
4. writes the rows as text columns named as the dataset's fields, with `_row` (the source row
   number a spreadsheet shows) to a Parquet file the importer types and checks as usual.

Typing and checks stay in one place (`pbc.warehouse.coerce`): the engine only reshapes text.
A value the engine cannot read (a date in another form) passes unchanged, so the importer
quarantines it naming the row, field and value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pbc.periods import financial_year_of, parse_month
from pbc.uploads import UploadLimits
from pbc.warehouse.coerce import THOUSANDS, clean_sql, ident, sql_string
from pbc.warehouse.layouts import spells
from pbc.warehouse.layouts.detect import ABSENT, Match
from pbc.warehouse.layouts.readers import Ragged, text_batches
from pbc.warehouse.layouts.spec import (
    FINANCIAL_YEAR,
    PERIOD,
    Column,
    Layout,
    name_value,
    sheet_value,
)
from pbc.warehouse.schema import Dataset
from pbc.warehouse.sources import ROW_COLUMN, ImportRefused

SHEET_SPAN = 10_000_000
"""Rows of the k-th sheet of a workbook read whole (`Layout.every_sheet`) are numbered
k * SHEET_SPAN + their row (a worksheet has at most 1,048,576 rows), so that one number names
sheet and row; `sheet_row` reads it back."""

SUMMED = "split row summed into its key's first row (the specification splits a key over rows)"
NUMBER = "DECIMAL(38, 10)"


@dataclass
class Converted:
    """A converted file: its Parquet, and what the layout dropped or rejected on the way."""

    path: Path
    rows: int
    dropped: dict[str, int] = field(default_factory=dict)
    # (source row, field, value, reason): rows refused before typing (repeats, ragged rows).
    rejected: list[tuple[int, str, str, str]] = field(default_factory=list)
    # The sheets read, in workbook order, when a workbook is read whole (`Layout.every_sheet`):
    # the k-th sheet's rows are numbered k * SHEET_SPAN + row (`sheet_row`).
    sheets: tuple[str, ...] = ()

    def sheet_row(self, number: int) -> str:
        """A source row number as the file shows it: "Maternity!12" when several sheets were
        read, else the row itself."""
        if len(self.sheets) < 2:
            return str(number)
        k, row = divmod(number, SHEET_SPAN)
        return f"{self.sheets[k]}!{row}" if 0 <= k < len(self.sheets) else str(number)

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())


ISO_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"


def _date_tries(x: str, form: str) -> list[str]:
    """SQL DATE expressions reading `x` in `form` (NULL when it does not)."""
    if form == "yyyymm":
        digits = f"regexp_replace({x}, '[-_/ ]', '', 'g')"
        return [
            f"(CASE WHEN regexp_full_match({x}, '[0-9]{{4}}[-_/ ]?(0[1-9]|1[0-2])') "
            f"THEN CAST(left({digits}, 4) || '-' || substr({digits}, 5, 2) || '-01' AS DATE) END)"
        ]
    if form == "dd/mm/yy":
        return [
            f"(CASE WHEN regexp_full_match({x}, '[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{2}}') "
            f"THEN CAST(TRY_STRPTIME({x}, '%d/%m/%y') AS DATE) END)"
        ]
    if form == "mm/yy":
        return [f"CAST(TRY_STRPTIME('01/' || {x}, '%d/%m/%y') AS DATE)"]
    if form == "month-yyyy":
        tail = f"regexp_extract({x}, '([A-Za-z]+)[- ]([0-9]{{4}})$', ['m', 'y'])"
        return [f"CAST(TRY_STRPTIME({tail}.m || '-' || {tail}.y, '%B-%Y') AS DATE)"]
    if form == "excel":
        return [
            f"(CASE WHEN regexp_full_match({x}, '[0-9]{{1,6}}(\\.0*)?') "
            f"THEN DATE '1899-12-30' + CAST(split_part({x}, '.', 1) AS INTEGER) END)",
            f"CAST(TRY_STRPTIME({x}, '%d/%m/%Y') AS DATE)",
        ]
    formats = {
        "yyyymmdd": ["%Y%m%d"],
        "ddmonyyyy": ["%d%b%Y"],
        "dd-mon-yy": ["%d-%b-%y", "%d-%b-%Y"],
        # a spreadsheet saved as CSV may add the time of a date cell: 01/04/2017 00:00
        "dd/mm/yyyy": ["%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"],
        "iso": [],
    }[form]
    return [f"CAST(TRY_STRPTIME({x}, {sql_string(f)}) AS DATE)" for f in formats]


def _date_sql(x: str, forms: tuple[str, ...], truncate: str | None = None) -> str:
    """ISO text of a date in one of `forms` (see `spec.DATE_FORMS`), or of an ISO date, cut to
    its month or quarter's first day if `truncate`; other text passes unchanged."""
    tries = [t for form in forms for t in _date_tries(x, form)]
    tries.append(f"TRY_CAST(TRY_CAST({x} AS TIMESTAMP) AS DATE)")
    # An ISO date (YYYY-MM-DD, what most extracts hold) is read at once: no form's try reads
    # that text (each needs a "/", a month's name, other lengths or digits where it has "-"),
    # so the tries would all fail before the last one, which reads it as this cast does.
    date = (
        f"(CASE WHEN regexp_full_match({x}, {sql_string(ISO_DATE)}) THEN TRY_CAST({x} AS DATE) "
        f"ELSE COALESCE({', '.join(tries)}) END)"
    )
    if truncate is not None:
        date = f"CAST(date_trunc('{truncate}', {date}) AS DATE)"
    return f"COALESCE(CAST({date} AS VARCHAR), {x})"


def _recode_sql(x: str, recode: dict[str, str], otherwise: str | None = None) -> str:
    whens = " ".join(
        f"WHEN {sql_string(k.strip().upper())} THEN {sql_string(v)}" for k, v in recode.items()
    )
    other = (
        x if otherwise is None else f"(CASE WHEN {x} IS NOT NULL THEN {sql_string(otherwise)} END)"
    )
    return f"(CASE upper({x}) {whens} ELSE {other} END)"


def _raw(index: int) -> str:
    """A published cell: trimmed, NULL when empty (table `raw` holds them so, `_trimmed`)."""
    return ident(f"c{index + 1}")


def _trimmed(names: list[str], null_text: tuple[str, ...] = ()) -> str:
    """The SELECT list of table `raw`: `_row`, and every cell trimmed, NULL when empty or one of
    the layout's `null_text` (once per cell, however many expressions read it)."""

    def cell(n: str) -> str:
        x = clean_sql(ident(n))
        if null_text:
            listed = ", ".join(sql_string(t.strip().upper()) for t in null_text)
            x = f"CASE WHEN list_contains([{listed}], upper({x})) THEN NULL ELSE {x} END"
        return f"{x} AS {ident(n)}"

    return ", ".join([ROW_COLUMN, *(cell(n) for n in names)])


def _source_sql(col: Column, match: Match) -> str | None:
    """The published text of `col` (trimmed, NULL when empty), or None when not in the file."""
    index = match.positions.get(col.field)
    if index is None:
        return None
    more = match.coalesced.get(col.field, ())
    if len(more) > 1:
        return f"COALESCE({', '.join(_raw(i) for i in more)})"
    return _raw(index)


def _not_known_test(col: Column, x: str) -> str | None:
    """SQL true when `x` is one of the column's "not known" conventions."""
    conds = []
    if col.not_known:
        listed = ", ".join(sql_string(k.strip().upper()) for k in col.not_known)
        conds.append(f"list_contains([{listed}], upper({x}))")
    if col.not_known_pattern:
        conds.append(f"regexp_full_match({x}, {sql_string(col.not_known_pattern)})")
    return " OR ".join(conds) if conds else None


def _column_sql(col: Column, match: Match) -> str:
    source = _source_sql(col, match)
    if source is None:
        return "CAST(NULL AS VARCHAR)"
    x = source
    if col.extract is not None:
        x = f"COALESCE(NULLIF(regexp_extract({x}, {sql_string(col.extract)}, 1), ''), {x})"
    if col.date_forms:
        x = _date_sql(x, col.date_forms, col.truncate)
    if col.recode or col.otherwise is not None:
        x = _recode_sql(x, dict(col.recode or {}), col.otherwise)
    if col.not_known or col.not_known_pattern:
        whens = [
            f"WHEN upper({source}) = {sql_string(k.strip().upper())} THEN "
            f"{'CAST(NULL AS VARCHAR)' if v is None else sql_string(v)}"
            for k, v in (col.not_known or {}).items()
        ]
        if col.not_known_pattern:
            whens.append(
                f"WHEN regexp_full_match({source}, {sql_string(col.not_known_pattern)}) "
                "THEN CAST(NULL AS VARCHAR)"
            )
        x = f"(CASE {' '.join(whens)} ELSE {x} END)"
    return x


def _not_known_sql(layout: Layout, match: Match) -> str:
    """The layout's note of published fields that carried a "not known" code: "SEX=0; ..."."""
    parts = []
    for col in layout.columns:
        source = _source_sql(col, match)
        test = _not_known_test(col, source) if source is not None else None
        if source is None or test is None:
            continue
        more = match.coalesced.get(col.field, ())
        if len(more) > 1:
            # Several published columns read in turn: the note names the one that gave the
            # value (LSOA01's Z99999999 is noted "LSOA01=...", not under LSOA11's name).
            whens = []
            for i in more:
                cell = _raw(i)
                label = match.header[i] if i < len(match.header) and match.header[i] else None
                one = _not_known_test(col, cell)
                whens.append(
                    f"WHEN {cell} IS NOT NULL THEN (CASE WHEN {one} THEN "
                    f"{sql_string((label or col.names[0]) + '=')} || {cell} END)"
                )
            parts.append(f"(CASE {' '.join(whens)} END)")
            continue
        parts.append(f"CASE WHEN {test} THEN {sql_string(col.names[0] + '=')} || {source} END")
    if not parts:
        return "CAST(NULL AS VARCHAR)"
    return f"NULLIF(concat_ws('; ', {', '.join(parts)}), '')"


def _drop_sql(layout: Layout, match: Match) -> str:
    cases = []
    for d in layout.drops:
        index = match.positions.get(d.field)
        if index is None:
            continue
        x = _raw(index)
        conds = []
        if d.values:
            listed = ", ".join(sql_string(v.strip().upper()) for v in d.values)
            conds.append(f"list_contains([{listed}], upper({x}))")
        if d.pattern:
            conds.append(f"regexp_matches({x}, {sql_string('^(?:' + d.pattern + ')')}, 'i')")
        if d.other_than:
            listed = ", ".join(sql_string(v.strip().upper()) for v in d.other_than)
            conds.append(f"({x} IS NOT NULL AND NOT list_contains([{listed}], upper({x})))")
        keep = []
        for other, values in d.unless.items():
            at = match.positions.get(other)
            if at is None:
                continue
            listed = ", ".join(sql_string(v.strip().upper()) for v in values)
            keep.append(f"coalesce(list_contains([{listed}], upper({_raw(at)})), false)")
        if conds:
            when = f"({' OR '.join(conds)})"
            if keep:
                when += f" AND NOT ({' OR '.join(keep)})"
            cases.append(f"WHEN {when} THEN {sql_string(d.reason)}")
    return f"(CASE {' '.join(cases)} END)" if cases else "CAST(NULL AS VARCHAR)"


def _select_sql(
    layout: Layout, match: Match, ds: Dataset, period: str | None, source_name: str = ""
) -> str:
    """One SELECT (or a UNION ALL per wide column) giving _row, _col, _drop and every field."""
    by_field = {c.field: c for c in layout.columns}
    wide_fields = set()
    if layout.unpivot is not None:
        wide_fields = {layout.unpivot.value_field} | {
            f for w in layout.unpivot.columns for f in (*w.fields, *w.read)
        }

    def wide_cell(k: int) -> str:
        """Wide column k's cell, or its fallback column's where it is blank or a no-value."""
        cell = _raw(match.wide_positions[k])
        if layout.unpivot is None or not match.wide_fallbacks:
            return cell
        other = match.wide_fallbacks[k]
        if other == ABSENT:
            return cell
        listed = ", ".join(sql_string(v.strip().upper()) for v in layout.unpivot.no_value)
        empty = f"{cell} IS NULL" + (
            f" OR list_contains([{listed}], upper({cell}))" if listed else ""
        )
        return f"(CASE WHEN {empty} THEN {_raw(other)} ELSE {cell} END)"

    def field_sql(name: str, wide_index: int | None) -> str:
        if name == layout.not_known_field:
            return _not_known_sql(layout, match)
        given = sheet_value(layout, name, match.sheet_name)
        if given is not None:
            return sql_string(given)
        if name in by_field:
            col = by_field[name]
            value = _column_sql(col, match)
            named = name_value(layout, name, source_name)
            source = _source_sql(col, match)
            if named is not None and source is not None:
                own = (
                    "TRUE"
                    if col.extract is None
                    else f"regexp_matches({source}, {sql_string(col.extract)})"
                )
                value = f"(CASE WHEN {source} IS NOT NULL AND {own} THEN {value} ELSE {sql_string(named)} END)"
            if col.qualify is not None:
                prefix = field_sql(col.qualify, wide_index)
                value = (
                    f"(CASE WHEN {value} IS NOT NULL THEN concat_ws(':', {prefix}, {value}) END)"
                )
            return value
        if name in layout.constants:
            value = layout.constants[name]
            if value == PERIOD:
                assert period is not None
                value = f"{period}-01"
            if value == FINANCIAL_YEAR:
                assert period is not None
                value = financial_year_of(parse_month(period))
            return sql_string(value)
        if wide_index is not None and layout.unpivot is not None and name in wide_fields:
            w = layout.unpivot.columns[wide_index]
            if name == layout.unpivot.value_field:
                return wide_cell(wide_index)
            if name in w.fields:
                return sql_string(w.fields[name])
            if name in w.read:
                read = _raw(match.wide_reads[wide_index][name])
                if not layout.unpivot.no_value:
                    return read
                listed = ", ".join(sql_string(v.upper()) for v in layout.unpivot.no_value)
                return f"(CASE WHEN list_contains([{listed}], upper({read})) THEN NULL ELSE {read} END)"
        return "CAST(NULL AS VARCHAR)"

    drop = _drop_sql(layout, match)
    if layout.unpivot is None:
        internal = [c.field for c in layout.columns if c.field.startswith("_")]
        cols = ", ".join(f"{field_sql(f, None)} AS {ident(f)}" for f in (*ds.names, *internal))
        return f"SELECT {ROW_COLUMN}, 0 AS _col, {drop} AS _drop, {cols} FROM raw"
    parts = []
    unpivot = layout.unpivot
    for k in range(len(unpivot.columns)):
        if match.wide_positions[k] == ABSENT:
            continue  # an optional wide column the file does not have
        cols = ", ".join(f"{field_sql(f, k)} AS {ident(f)}" for f in ds.names)
        row_drop = drop
        if unpivot.no_value:
            cell = wide_cell(k)
            listed = ", ".join(sql_string(v.strip().upper()) for v in unpivot.no_value)
            empty = f"({cell} IS NULL OR list_contains([{listed}], upper({cell})))"
            reason = sql_string(unpivot.no_value_reason)
            row_drop = f"COALESCE({drop}, CASE WHEN {empty} THEN {reason} END)"
        parts.append(f"SELECT {ROW_COLUMN}, {k} AS _col, {row_drop} AS _drop, {cols} FROM raw")
    return " UNION ALL ".join(parts)


def convert(
    match: Match,
    ds: Dataset,
    path: Path,
    fmt: str,
    encoding: str,
    source_name: str,
    out: Path,
    *,
    period: str | None,
    temp_dir: Path,
    limits: UploadLimits | None = None,
    sheets: Sequence[Match] = (),
) -> Converted:
    """Convert the file to `out` (Parquet of text columns named as `ds`'s fields, and `_row`).
    `limits`: the upload limits the file's rows and cells are held to as they are read (raises
    `ImportRefused` naming the row and field). `sheets`: every sheet to read, in workbook
    order (`Layout.every_sheet`; default: `match`'s alone)."""
    layout = match.layout
    every = tuple(sheets) or (match,)
    ragged = Ragged([])
    con = duckdb.connect(config={"temp_directory": str(temp_dir)})
    try:
        con.execute("SET enable_progress_bar = false")
        for k, each in enumerate(every):
            _read_sheet(con, each, k, path, fmt, encoding, source_name, ragged, limits)
            select = _select_sql(layout, each, ds, period, source_name)
            if k == 0:
                con.execute(f"CREATE TABLE conv AS {select}")
            else:
                con.execute(f"INSERT INTO conv {select}")
            con.execute("DROP TABLE raw")
        if layout.spells is not None:
            spells.roll_up(con, layout.spells, ds)
        dropped = {
            reason: int(n)
            for reason, n in con.execute(
                "SELECT _drop, count(*) FROM conv WHERE _drop IS NOT NULL GROUP BY 1 ORDER BY 1"
            ).fetchall()
        }
        rejected = [
            (number, "", text, f"row has {found} fields; the header has {expected}")
            for number, found, expected, text in ragged.rows
        ]
        # An optional key field the layout does not fill is empty on every row (a return by
        # commissioner has no provider): still part of the key. A required one must be there.
        key = [k for k in ds.key if k in layout.fields() or not ds.field(k).required]
        names = ", ".join(ident(f) for f in ds.names)
        kept = "SELECT * FROM conv WHERE _drop IS NULL"
        if key and len(key) == len(ds.key):
            has_key = (
                " AND ".join(f"{ident(k)} IS NOT NULL" for k in key if ds.field(k).required)
                or "TRUE"
            )
            by = ", ".join(ident(k) for k in key)
            if layout.split_rows == "sum":
                kept, merged = _summed(ds, layout, key, kept, has_key, by)
                n = int(con.execute(merged).fetchone()[0] or 0)  # type: ignore[index]
                if n:
                    dropped[layout.sum_reason or SUMMED] = n
            elif _has_repeats(con, kept, has_key, by):
                con.execute(
                    f"CREATE TABLE keyed AS SELECT *, CASE WHEN {has_key} THEN row_number() "
                    f"OVER (PARTITION BY {by} ORDER BY {ROW_COLUMN}, _col) END AS _rn, "
                    f"first_value({ROW_COLUMN}) OVER (PARTITION BY {by} ORDER BY "
                    f"{ROW_COLUMN}, _col) AS _first FROM ({kept})"
                )
                what = ", ".join(key)
                for number, first, value in con.execute(
                    f"SELECT {ROW_COLUMN}, _first, concat_ws(' | ', {by}) FROM keyed "
                    f"WHERE _rn > 1 ORDER BY {ROW_COLUMN}, _col"
                ).fetchall():
                    rejected.append(
                        (
                            int(number),
                            what,
                            str(value),
                            f"repeats the key ({what}) of row {first}: the {layout.name} "
                            "specification has one row per key",
                        )
                    )
                kept = "SELECT * FROM keyed WHERE _rn IS NULL OR _rn = 1"
        quoted = str(out).replace("'", "''")
        con.execute(
            f"COPY (SELECT {ROW_COLUMN}, {names} FROM ({kept}) ORDER BY {ROW_COLUMN}, _col) "
            f"TO '{quoted}' (FORMAT parquet)"
        )
        rows = int(
            con.execute(f"SELECT count(*) FROM read_parquet('{quoted}')").fetchone()[0]  # type: ignore[index]
        )
    finally:
        con.close()
    names_read = tuple(m.sheet_name for m in every) if len(every) > 1 else ()
    return Converted(out, rows, dropped, rejected, names_read)


def _read_sheet(
    con: duckdb.DuckDBPyConnection,
    match: Match,
    k: int,
    path: Path,
    fmt: str,
    encoding: str,
    source_name: str,
    ragged: Ragged,
    limits: UploadLimits | None,
) -> None:
    """Table `raw`: the rows of `match`'s sheet below its header, cells trimmed, rows numbered
    k * SHEET_SPAN + row (the k-th sheet read)."""
    reader = text_batches(
        path,
        fmt,
        encoding,
        source_name,
        sheet=match.sheet,
        after_row=match.header_row,
        width=max(match.width, 1),
        ragged=ragged,
        limits=limits,
        header=match.header,
    )
    before = len(ragged.rows)
    con.register("src", reader)
    try:
        cells = [n for n in reader.schema.names if n != ROW_COLUMN]
        select = _trimmed(cells, match.layout.null_text)
        if k:
            select = select.replace(
                ROW_COLUMN, f"{ROW_COLUMN} + {k * SHEET_SPAN} AS {ROW_COLUMN}", 1
            )
        con.execute(f"CREATE TABLE raw AS SELECT {select} FROM src")
    except duckdb.Error:
        if ragged.refusal is None:
            raise
    finally:
        con.unregister("src")
    if ragged.refusal is not None:
        raise ImportRefused(source_name, ragged.refusal.detail)
    if k:
        ragged.rows[before:] = [
            (number + k * SHEET_SPAN, *rest) for number, *rest in ragged.rows[before:]
        ]


def _has_repeats(con: duckdb.DuckDBPyConnection, kept: str, has_key: str, by: str) -> bool:
    """Does a key appear on more than one row? (A hash aggregate: the window that names each
    repeat's first row runs only when there is one.)"""
    found = con.execute(
        f"SELECT 1 FROM ({kept}) WHERE {has_key} GROUP BY {by} HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    return found is not None


def _summed(
    ds: Dataset, layout: Layout, key: list[str], kept: str, has_key: str, by: str
) -> tuple[str, str]:
    """The SELECT summing split rows per key, and the query counting the rows merged away."""
    parts = []
    for f in ds.names:
        c = ident(f)
        if f in key:
            parts.append(c)
        elif f in layout.sum_fields:
            grouped = f"regexp_full_match({c}, '{THOUSANDS}(\\.[0-9]*)?')"
            number = (
                f"TRY_CAST(CASE WHEN {grouped} THEN replace({c}, ',', '') ELSE {c} END AS {NUMBER})"
            )
            parts.append(
                f"CASE WHEN count(*) = 1 THEN min({c}) "
                f"WHEN count({c}) = count({number}) THEN CAST(sum({number}) AS VARCHAR) "
                f"ELSE min({c}) FILTER (WHERE {number} IS NULL) END AS {c}"
            )
        else:
            parts.append(f"arg_min({c}, {ROW_COLUMN}) AS {c}")
    grouped = (
        f"SELECT min({ROW_COLUMN}) AS {ROW_COLUMN}, 0 AS _col, {', '.join(parts)} "
        f"FROM ({kept}) WHERE {has_key} GROUP BY {by}"
    )
    loose = f"SELECT {ROW_COLUMN}, _col, {', '.join(ident(f) for f in ds.names)} FROM ({kept}) WHERE NOT ({has_key})"
    merged = (
        f"SELECT sum(n - 1) FROM (SELECT count(*) AS n FROM ({kept}) WHERE {has_key} GROUP BY {by})"
    )
    return f"{grouped} UNION ALL {loose}", merged
