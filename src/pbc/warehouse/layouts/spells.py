"""Episodes to spells: HES / SUS admitted patient care rows (one per consultant episode) rolled
up to one row per hospital provider spell, as Payment by Results prices them.

The rules (`spec.Spells` declares which fields follow which), from the PbR guidance (a spell is
"the total continuous stay of a patient using a hospital bed on premises controlled by a health
care provider"; the tariff is paid per spell, on the spell's HRG, with the admission of its first
episode and the discharge of its last; the length of stay is the spell's, from admission date to
discharge date):

- the key: provider and hospital provider spell number (PROVSPNO, unique within a provider); a
  file without one groups episodes by provider, patient (NHS number or pseudonymised id) and
  admission date, the fallback HES itself uses for spells (ADMIDATE is a spell field, repeated
  on every episode of the spell), and says so in the reason its merged episodes are counted
  under;
- admission fields (date, method, source, patient classification), patient and practice: the
  first episode's (episodes ordered by EPIORDER, then episode start, then file row);
- discharge date and method: the last episode's (HES fills them on the spell's last episode);
- procedure: true when any episode has one;
- HRG: the spell HRG the grouper (SUS) wrote on the spell's episodes, the first one present;
  pbc never groups;
- length of stay: discharge date minus admission date, in days.

A spell whose last episode has no discharge date is unfinished at the extract (or its date is not
known): PbR pays a spell at discharge, so it is dropped and counted, never rejected. Merged
episodes are counted as dropped too, so rows read = loaded + rejected + dropped still holds.
"""

from __future__ import annotations

import duckdb

from pbc.warehouse.coerce import ident, sql_string
from pbc.warehouse.layouts.spec import Spells
from pbc.warehouse.schema import Dataset
from pbc.warehouse.sources import ROW_COLUMN

BY_NUMBER = "episode rolled into its spell (provider and spell number, PROVSPNO)"
BY_FALLBACK = (
    "episode rolled into its spell (no spell number in the file: provider, patient and "
    "admission date)"
)


def _order(spells: Spells) -> str:
    keys = []
    for f in spells.order_fields:
        c = ident(f)
        keys.append(f"TRY_CAST({c} AS BIGINT) NULLS LAST, {c} NULLS LAST")
    keys.append(ROW_COLUMN)
    return ", ".join(keys)


def roll_up(con: duckdb.DuckDBPyConnection, spells: Spells, ds: Dataset) -> None:
    """Replace table `conv` (one row per episode) by one row per spell; merged episodes and
    unfinished spells stay as rows marked `_drop` with their reason."""
    patient = f"COALESCE({', '.join(ident(f) for f in spells.patient_fields)})"
    number = ident(spells.spell_field)
    admitted = ident(spells.admission_field)
    provider = ident("provider_code")
    spell = (
        f"CASE WHEN {number} IS NOT NULL THEN 'n:' || {number} "
        f"WHEN {patient} IS NOT NULL AND {admitted} IS NOT NULL "
        f"THEN 'f:' || {patient} || ':' || {admitted} END"
    )
    part = f"PARTITION BY {provider}, COALESCE(_spell, 'row:' || {ROW_COLUMN})"
    ordered = f"({part} ORDER BY {_order(spells)})"
    whole = (
        f"({part} ORDER BY {_order(spells)} "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
    )
    cols = []
    for name in ds.names:
        c = ident(name)
        if name == spells.spell_field:
            expr = f"CASE WHEN _spell IS NOT NULL THEN concat_ws(':', {provider}, substr(_spell, 3)) END"
        elif name in spells.last_fields:
            expr = f"last_value({c}) OVER {whole}"
        elif name in spells.any_fields:
            expr = (
                f"CASE WHEN bool_or({c} = 'true') OVER ({part}) THEN 'true' "
                f"WHEN bool_or({c} = 'false') OVER ({part}) THEN 'false' END"
            )
        elif name in spells.merged_fields:
            parts = f"flatten(list(string_split(COALESCE({c}, ''), '; ')) OVER ({part}))"
            kept = f"list_filter({parts}, lambda v: v <> '')"
            expr = f"NULLIF(array_to_string(list_sort(list_distinct({kept})), '; '), '')"
        elif name in spells.first_known_fields:
            expr = f"first_value({c} IGNORE NULLS) OVER {whole}"
        else:
            expr = f"first_value({c}) OVER {ordered}"
        cols.append(f"{expr} AS {c}")
    merged = (
        f"CASE WHEN _spell LIKE 'n:%' THEN {sql_string(BY_NUMBER)} "
        f"ELSE {sql_string(BY_FALLBACK)} END"
    )
    con.execute(
        f"CREATE TABLE episodes AS SELECT *, {spell} AS _spell FROM conv WHERE _drop IS NULL"
    )
    con.execute(
        f"CREATE TABLE spelled AS SELECT {ROW_COLUMN}, _col, "
        f"CASE WHEN row_number() OVER {ordered} > 1 THEN {merged} END AS _drop, "
        f"{', '.join(cols)} FROM episodes"
    )
    if spells.length_of_stay is not None:
        los, start, end = (ident(f) for f in spells.length_of_stay)
        days = f"date_diff('day', TRY_CAST({start} AS DATE), TRY_CAST({end} AS DATE))"
        con.execute(f"UPDATE spelled SET {los} = COALESCE(CAST({days} AS VARCHAR), {los})")
    if spells.required_end is not None:
        con.execute(
            f"UPDATE spelled SET _drop = {sql_string(spells.unfinished_reason)} "
            f"WHERE _drop IS NULL AND {ident(spells.required_end)} IS NULL"
        )
    names = ", ".join(ident(f) for f in ds.names)
    con.execute(
        f"CREATE TABLE rolled AS SELECT {ROW_COLUMN}, _col, _drop, {names} FROM spelled "
        f"UNION ALL SELECT {ROW_COLUMN}, _col, _drop, {names} FROM conv WHERE _drop IS NOT NULL"
    )
    con.execute("DROP TABLE conv")
    con.execute("DROP TABLE episodes")
    con.execute("DROP TABLE spelled")
    con.execute("ALTER TABLE rolled RENAME TO conv")
