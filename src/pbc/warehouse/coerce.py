"""Type coercion and row checks for import, as one vectorised DuckDB SQL query.

Every source column arrives as text. `build_query` writes a single SELECT that, for every row,
computes the typed value of each field, the stored flags, the partition keys, a `_bad` boolean
and, for bad rows only, the list of problems (field, value, reason). DuckDB evaluates it
column-at-a-time in parallel, so Python only ever touches the rows that fail.

Coercion rules (what a PCT analyst's extracts contain; each value is first trimmed of spaces,
tabs and line breaks, and an empty value is missing):

- string: kept as trimmed text.
- int: optional sign and up to 18 digits; a trailing ".0" is accepted (Excel, pandas exports),
  and so are "," thousands separators in the usual places ("1,234", as a published spreadsheet
  saved as CSV writes its counts). "1.5", "1e3", "12 345", "1,23" are rejected.
- float: anything DuckDB reads as a DOUBLE, except NaN and infinities; "," thousands
  separators in the usual places are read as for int ("1,234.5").
- decimal(p, s) (money is 14, 2): a decimal number, optionally with a leading "£" and ","
  thousands separators in the usual places ("£1,234.56"). Read exactly (to 18 decimal places),
  then rounded half-up (half away from zero, as `decimal.ROUND_HALF_UP`) to `s` places at the
  row: 0.125 -> 0.13, -0.125 -> -0.13. Values that do not fit DECIMAL(p, s) are rejected.
- date: ISO "YYYY-MM-DD" (a time part is dropped) or UK "DD/MM/YYYY"; years 1850 to 2100.
- bool: true/false, t/f, yes/no, y/n, 1/0 (any case).

A row goes to quarantine when a required field is missing, a value does not coerce, a coded
value is outside its code list (compared exactly, after trimming), the period field falls
outside the declared `--period`, a date declared as a quarter start is not the first day of a
calendar quarter, or (datasets partitioned by provider) the provider code cannot
name a partition folder (letters and digits only). Named checks never reject: they set
`<field>_valid`, false when the check fails. A missing value has nothing to check, so its flag
is NULL, except for checks in `MISSING_FAILS` (the NHS number: the data contract says a missing
NHS number is itself suspect for payment, so it is flagged false), unless the row identifies its
patient by a pseudonymised id instead (`PSEUDONYM_FIELD`, HES extracts): then the NHS number
check does not apply and its flag is NULL. `rows_flagged` counts rows
with at least one flag false.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pbc.warehouse.schema import Dataset, Field
from pbc.warehouse.sql_checks import SQL_CHECKS, STAGED_CHECKS, StagedCheck

DATE_MIN = "1850-01-01"
DATE_MAX = "2100-12-31"
_WS = "' \t\r\n'"
# The partition a row goes to, for the writer (not stored): its name (`store.partition_name`)
# with "+" for "/", so that it names one flat staged file (`ingest._stage`).
PARTITION_COLUMN = "__partition"
PARTITION_SEPARATOR = "+"
PYTHON_CHECK_PREFIX = "pbc_check_"
MISSING_FAILS = frozenset({"nhs_number"})
PSEUDONYM_FIELD = "patient_pseudonym"
# A whole number written with "," thousands separators in the usual places ("1,234,567"), as
# published spreadsheets saved as CSV write their counts: up to 18 digits.
THOUSANDS = "[+-]?[0-9]{1,3}(,[0-9]{3}){1,5}"


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def decimal_sql_type(f: Field) -> str:
    return f"DECIMAL({f.precision}, {f.scale})"


def flag_name(f: Field) -> str:
    return f"{f.name}_valid"


def flag_fields(dataset: Dataset) -> list[Field]:
    return [f for f in dataset.fields if f.check]


def clean_sql(column: str) -> str:
    """Trimmed text, NULL when empty. trim() runs only when the first or last character is a
    space or control character: seven times cheaper than trimming every value."""
    return (
        f"NULLIF(CASE WHEN ascii({column}) <= 32 OR ascii({column}[-1]) <= 32 "
        f"THEN trim({column}, {_WS}) ELSE {column} END, '')"
    )


def _typed(f: Field, r: str) -> str:
    """SQL for the typed value of raw (trimmed, non-empty or NULL) text `r`; NULL if invalid."""
    if f.type == "string":
        return r
    if f.type == "int":
        return (
            f"(CASE WHEN regexp_full_match({r}, '[+-]?[0-9]{{1,18}}') THEN CAST({r} AS BIGINT) "
            f"WHEN regexp_full_match({r}, '[+-]?[0-9]{{1,18}}\\.0*') "
            f"THEN CAST(split_part({r}, '.', 1) AS BIGINT) "
            f"WHEN regexp_full_match({r}, '{THOUSANDS}(\\.0*)?') "
            f"THEN CAST(replace(split_part({r}, '.', 1), ',', '') AS BIGINT) END)"
        )
    if f.type == "float":
        plain = f"TRY_CAST({r} AS DOUBLE)"
        grouped = (
            f"(CASE WHEN regexp_full_match({r}, '{THOUSANDS}(\\.[0-9]*)?') "
            f"THEN TRY_CAST(replace({r}, ',', '') AS DOUBLE) END)"
        )
        number = f"(CASE WHEN contains({r}, ',') THEN {grouped} ELSE {plain} END)"
        return f"(CASE WHEN isfinite({number}) THEN {number} END)"
    if f.type == "decimal":
        plain = f"TRY_CAST({r} AS DECIMAL(38, 18))"
        formatted = (
            f"(CASE WHEN regexp_full_match({r}, '[+-]?£?[+-]?([0-9]{{1,3}}(,[0-9]{{3}})+|[0-9]*)"
            f"(\\.[0-9]*)?') THEN TRY_CAST(replace(replace({r}, '£', ''), ',', '') "
            f"AS DECIMAL(38, 18)) END)"
        )
        exact = f"(CASE WHEN contains({r}, '£') OR contains({r}, ',') THEN {formatted} ELSE {plain} END)"
        rounded = f"ROUND({exact}, {f.scale})"
        limit = "1" + "0" * (f.precision - f.scale)
        return (
            f"(CASE WHEN abs({rounded}) < {limit} "
            f"THEN CAST({rounded} AS {decimal_sql_type(f)}) END)"
        )
    if f.type == "date":
        parsed = (
            f"(CASE WHEN contains({r}, '/') THEN CAST(TRY_STRPTIME({r}, '%d/%m/%Y') AS DATE) "
            f"ELSE TRY_CAST({r} AS DATE) END)"
        )
        return (
            f"(CASE WHEN {parsed} BETWEEN DATE '{DATE_MIN}' AND DATE '{DATE_MAX}' "
            f"THEN {parsed} END)"
        )
    if f.type == "bool":
        low = f"lower({r})"
        return (
            f"(CASE WHEN list_contains(['true', 't', 'yes', 'y', '1'], {low}) THEN true "
            f"WHEN list_contains(['false', 'f', 'no', 'n', '0'], {low}) THEN false END)"
        )
    raise ValueError(f"field {f.name}: unknown type {f.type!r}")


def _type_reason(f: Field) -> str:
    return {
        "int": "not a whole number",
        "float": "not a number",
        "decimal": f"not an amount that fits DECIMAL({f.precision},{f.scale})",
        "date": f"not a date (YYYY-MM-DD or DD/MM/YYYY, {DATE_MIN[:4]} to {DATE_MAX[:4]})",
        "bool": "not true/false (true, false, yes, no, y, n, 1, 0)",
    }.get(f.type, "not valid")


def _codes_reason(codes: frozenset[str]) -> str:
    shown = sorted(codes)
    listed = ", ".join(shown[:12]) + (", ..." if len(shown) > 12 else "")
    return f"not in the code list ({listed})"


@dataclass(frozen=True)
class Rule:
    """One reason a row may be rejected: a SQL condition and the reason written to quarantine."""

    field: str
    condition: str
    reason: str


def rules(dataset: Dataset, period: str | None) -> list[Rule]:
    """Every reject rule of a dataset, over columns r_<field> (text) and t_<field> (typed)."""
    out: list[Rule] = []
    for f in dataset.fields:
        r, t = ident("r_" + f.name), ident("t_" + f.name)
        if f.required:
            out.append(Rule(f.name, f"{r} IS NULL", "missing required field"))
        if f.type != "string":
            out.append(Rule(f.name, f"{r} IS NOT NULL AND {t} IS NULL", _type_reason(f)))
        if f.starts == "quarter":
            out.append(
                Rule(
                    f.name,
                    f"{t} IS NOT NULL AND (day({t}) <> 1 OR month({t}) NOT IN (1, 4, 7, 10))",
                    "not the first day of a quarter (1 January, April, July or October)",
                )
            )
        if f.starts == "financial_year":
            out.append(
                Rule(
                    f.name,
                    f"{t} IS NOT NULL AND (day({t}) <> 1 OR month({t}) <> 4)",
                    "not the first day of a financial year (1 April)",
                )
            )
        if f.minimum is not None:
            out.append(
                Rule(
                    f.name,
                    f"{t} IS NOT NULL AND {t} < {f.minimum!r}",
                    f"below {f.minimum:g}"
                    + (" (a count cannot be negative)" if f.minimum == 0 else ""),
                )
            )
        if f.at_most is not None:
            other = ident("t_" + f.at_most)
            out.append(
                Rule(
                    f.name,
                    f"{t} IS NOT NULL AND {other} IS NOT NULL AND {t} > {other}",
                    f"more than {f.at_most} in the same row",
                )
            )
        if f.codes is not None:
            listed = ", ".join(sql_string(c) for c in sorted(f.codes))
            # The importer disables DuckDB's IN-clause rewrite, which would turn this list into
            # a hash join and lose the row order that quarantine row numbers rely on.
            out.append(Rule(f.name, f"NOT list_contains([{listed}], {t})", _codes_reason(f.codes)))
        if f.name == dataset.period_field and period is not None:
            out.append(
                Rule(
                    f.name,
                    f"strftime({t}, '%Y-%m') <> {sql_string(period)}",
                    f"outside the declared period {period}",
                )
            )
        if f.name == dataset.period_field and not f.required:
            out.append(Rule(f.name, f"{r} IS NULL", "missing (needed for the period partition)"))
        if f.name == "provider_code" and dataset.partition_by_provider:
            if not f.required:
                out.append(
                    Rule(f.name, f"{r} IS NULL", "missing (needed for the provider partition)")
                )
            out.append(
                Rule(
                    f.name,
                    f"NOT regexp_full_match({r}, '[A-Za-z0-9]{{1,16}}')",
                    "cannot name a provider partition (letters and digits only)",
                )
            )
        if f.name in dataset.partition_by and f.codes is None:  # a code list names it safely
            out.append(
                Rule(
                    f.name,
                    f"{r} IS NULL OR NOT regexp_full_match({r}, '[A-Za-z0-9][A-Za-z0-9/_-]{{0,15}}')",
                    "cannot name a partition (letters, digits, '/', '-' and '_', at most 16)",
                )
            )
        if f.name == "commissioner_code" and dataset.partition_by_commissioner:
            out.append(
                Rule(
                    f.name,
                    f"NOT regexp_full_match({r}, '[A-Za-z0-9]{{1,16}}')",
                    "cannot name a commissioner partition (letters and digits only)",
                )
            )
    return out


def partition_value_sql(column: str) -> str:
    """A field's value as it names a partition directory: "/" (a financial year, 2008/09) and
    any other character but letters, digits, "_" and "-" written as "-" (2008-09)."""
    return f"regexp_replace({column}, '[^A-Za-z0-9_-]', '-', 'g')"


def _partition_value(dataset: Dataset, name: str) -> str:
    """The partition value of field `name`: as it is for the provider and commissioner (whose
    rules hold them to letters and digits) and a `partition_by` field with a code list (sex,
    point of delivery), with no work per row; else (a financial year) written safe for a
    directory name."""
    column = ident("t_" + name)
    if name not in dataset.partition_by or dataset.field(name).codes is not None:
        return column
    return partition_value_sql(column)


def staged_check(f: Field, python_checks: Sequence[str]) -> StagedCheck | None:
    """The two steps of `f`'s named check where it has them (`sql_checks.STAGED_CHECKS`)."""
    if f.check is None or f.check in python_checks:
        return None
    return STAGED_CHECKS.get(f.check)


def check_expression(
    f: Field,
    column: str,
    python_checks: Sequence[str],
    pseudonym: str | None = None,
    staged: str | None = None,
) -> str:
    """SQL boolean for a named check on text `column`; a missing value gives NULL, or false
    for the checks in MISSING_FAILS (NULL again where text `pseudonym` is present). `staged`:
    the column holding the check's value worked out in an earlier stage (`staged_check`)."""
    assert f.check is not None
    sql = SQL_CHECKS.get(f.check)
    two_steps = staged_check(f, python_checks)
    if staged is not None and two_steps is not None:
        test = two_steps.test(staged)
    elif sql is not None and f.check not in python_checks:
        test = sql(column)
    else:
        test = f"{PYTHON_CHECK_PREFIX}{f.check}({column})"
    missing = "false" if f.check in MISSING_FAILS else "NULL"
    if f.check in MISSING_FAILS and pseudonym is not None:
        missing = f"(CASE WHEN {pseudonym} IS NULL THEN false END)"
    return f"(CASE WHEN {column} IS NULL THEN {missing} ELSE COALESCE({test}, false) END)"


def output_columns(dataset: Dataset) -> list[str]:
    """The stored columns, in order: fields, then `<field>_valid` flags, then `period`."""
    cols = list(dataset.names) + [flag_name(f) for f in flag_fields(dataset)]
    if dataset.period_field is not None:
        if "period" in dataset.names:
            raise ValueError(f"{dataset.name}: a field called 'period' clashes with the partition")
        cols.append("period")
    return cols


def build_query(
    dataset: Dataset,
    source: str,
    *,
    period: str | None,
    has_row_column: bool,
    python_checks: Sequence[str] = (),
) -> str:
    """The SELECT that types, checks and flags every row of `source` (text columns by field name).

    Output columns: the stored columns (`output_columns`), for a partitioned dataset the
    partition's name `__partition` (for the writer; not stored: `PARTITION_COLUMN`), `_bad`, `_problems` (a list of
    {field, value, reason} structs, NULL for good rows) and, if the source has one, `_row`.
    """
    from pbc.warehouse.store import partition_keys

    row = ", _row" if has_row_column else ""
    raw = ", ".join(f"{clean_sql(ident(f.name))} AS {ident('r_' + f.name)}" for f in dataset.fields)
    typed_columns = [
        f"{_typed(f, ident('r_' + f.name))} AS {ident('t_' + f.name)}" for f in dataset.fields
    ]
    staged: dict[str, str] = {}  # field -> the column of its check's value (`staged_check`)
    for f in flag_fields(dataset):
        two_steps = staged_check(f, python_checks)
        if two_steps is not None:
            staged[f.name] = ident("k_" + f.name)
            typed_columns.append(f"{two_steps.value(ident('r_' + f.name))} AS {staged[f.name]}")
    typed = ", ".join(typed_columns)
    all_rules = rules(dataset, period)
    bad = " OR ".join(f"COALESCE({rule.condition}, false)" for rule in all_rules) or "false"
    problems = ", ".join(
        f"CASE WHEN COALESCE({rule.condition}, false) THEN {{'field': {sql_string(rule.field)}, "
        f"'value': {ident('r_' + rule.field)}, 'reason': {sql_string(rule.reason)}}} END"
        for rule in all_rules
    )
    outputs = [f"{ident('t_' + f.name)} AS {ident(f.name)}" for f in dataset.fields]
    pseudonym = ident("r_" + PSEUDONYM_FIELD) if PSEUDONYM_FIELD in dataset.names else None
    outputs += [
        f"{check_expression(f, ident('r_' + f.name), python_checks, pseudonym, staged.get(f.name))} "
        f"AS {ident(flag_name(f))}"
        for f in flag_fields(dataset)
    ]
    if dataset.period_field is not None:
        outputs.append(f"strftime({ident('t_' + dataset.period_field)}, '%Y-%m') AS period")
    named = []
    for key in partition_keys(dataset):
        source_col = "period" if key == "period" else key
        expr = (
            f"strftime({ident('t_' + dataset.period_field)}, '%Y-%m')"
            if source_col == "period" and dataset.period_field
            else _partition_value(dataset, source_col)
        )
        named.append(f"{sql_string(key + '=')} || {expr}")
    if named:
        joined = f" || {sql_string(PARTITION_SEPARATOR)} || ".join(named)
        outputs.append(f"({joined}) AS {ident(PARTITION_COLUMN)}")
    problems_sql = (
        f"CASE WHEN _bad THEN list_filter([{problems}], lambda p: p IS NOT NULL) END"
        if all_rules
        else "CAST(NULL AS STRUCT(field VARCHAR, value VARCHAR, reason VARCHAR)[])"
    )
    return (
        f"SELECT {', '.join(outputs)}, _bad, {problems_sql} AS _problems{row} FROM ("
        f"SELECT *, ({bad}) AS _bad FROM ("
        f"SELECT *, {typed} FROM ("
        f"SELECT {raw}{row} FROM {source})))"
    )


def python_check_names(dataset: Dataset, available: Callable[[str], bool]) -> list[str]:
    """Named checks of the dataset with no SQL twin (they run as Python functions)."""
    return sorted({f.check for f in flag_fields(dataset) if f.check and not available(f.check)})
