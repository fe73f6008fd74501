"""Running the rules: every rule over the inputs, one table of findings; and reading the inputs
from the warehouse.

Rules that compare rows (duplicates, readmissions, follow-ups, caps) always look at all the
data; `month` only chooses which findings are returned (by invoice month), so a finding for
March does not depend on whether February was asked for too.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from pbc.analytics.invoices import per_row, with_invoices
from pbc.analytics.validation import charging_rules
from pbc.analytics.validation.common import FINDING_SCHEMA, ID_COLUMN, Inputs, with_nhs_check
from pbc.analytics.validation.rules import RULES
from pbc.analytics.validation.settings import DEFAULT_SETTINGS, ValidationSettings

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

INPUT_DATASETS = (
    "apc",
    "op",
    "ae",
    "patients",
    "practices",
    "tariff",
    "market_forces_factors",
    "follow_up_caps",
)
# The providers' invoice lines: read into the activity's charged fields (`with_invoices`), so
# the charging rules judge an extract's activity by its invoice where it has one, and by the
# invoice reconciliation rules (`invoice_rules`).
INVOICE_LINES = "invoice_lines"
IMAGING = "imaging"
WAREHOUSE_DATASETS = (*INPUT_DATASETS, INVOICE_LINES, IMAGING)
"""Every warehouse dataset `warehouse_inputs` reads."""


def find(
    inputs: Inputs,
    settings: ValidationSettings = DEFAULT_SETTINGS,
    *,
    month: dt.date | None = None,
    rule_ids: Iterable[str] | None = None,
) -> ir.Table:
    """All findings of the chosen rules (default: every rule), in the `FINDING_SCHEMA` shape."""
    chosen = list(rule_ids) if rule_ids is not None else list(RULES)
    unknown = [r for r in chosen if r not in RULES]
    if unknown:
        raise KeyError(f"unknown rule ids: {', '.join(unknown)}")
    parts: list[ir.Table] = []
    for rule_id in chosen:
        parts.extend(RULES[rule_id].find(inputs, settings))
    columns = list(FINDING_SCHEMA.names)
    shaped = [part.select(*columns).cast(FINDING_SCHEMA) for part in parts]
    result = shaped[0]
    for part in shaped[1:]:
        result = result.union(part, distinct=False)
    if month is not None:
        result = result.filter(result.month == ibis.literal(month.replace(day=1)))
    return result


def shared_inputs(inputs: Inputs) -> Inputs:
    """`inputs` with what several rules read worked out once, as expressions: each activity
    row's NHS number check (`with_nhs_check`: the patient rules and the NHS number rule) and the
    spells costed at tariff (`charging_rules.costed`: three charging rules). Pure: nothing runs
    until the findings are asked for; `cached_inputs` makes the engine keep them."""
    activity = {name: with_nhs_check(inputs.activity(name)) for name in ID_COLUMN}
    prepared = replace(inputs, **activity)
    return replace(prepared, costed_apc=charging_rules.costed(prepared))


def cached_inputs(inputs: Inputs) -> Inputs:
    """`shared_inputs(inputs)` with every table held by the engine (`Table.cache()`, once per
    run): the rules scan the activity many times, and each shared column or table is then
    worked out once, not once per rule that reads it."""
    shared = shared_inputs(inputs)
    activity = {name: shared.activity(name).cache() for name in ID_COLUMN}
    others = {
        name: getattr(shared, name).cache() for name in INPUT_DATASETS if name not in ID_COLUMN
    }
    cached = replace(shared, **activity, **others, costed_apc=None)
    return replace(cached, costed_apc=charging_rules.costed(cached).cache())


def warehouse_inputs(
    con: BaseBackend, data_dir: str | os.PathLike[str] | None = None, *, cache: bool = False
) -> Inputs:
    """The rules' inputs read from the warehouse's committed datasets on connection `con`.

    `cache=True` reads each dataset once into the engine (`cached_inputs`): the rules scan the
    activity many times, and reading many small Parquet partitions each time is slow. The
    cached activity carries each row's NHS number check (`with_nhs_check`), which most patient
    rules need, and the spells costed at tariff: each is worked out once, not once per rule."""
    from pbc.warehouse.engine import table

    tables = {name: table(con, name, data_dir=data_dir) for name in INPUT_DATASETS}
    lines = table(con, INVOICE_LINES, data_dir=data_dir)
    rows = None
    if cache:  # the lines read, and summed per activity row, once for the three datasets
        lines = lines.cache()
        rows = per_row(lines).cache()
    for name in ("apc", "op", "ae"):
        tables[name] = with_invoices(tables[name], lines, ID_COLUMN[name], rows=rows)
    imaging = table(con, IMAGING, data_dir=data_dir)
    inputs = Inputs(**tables, invoice_lines=lines, imaging=imaging.cache() if cache else imaging)
    return cached_inputs(inputs) if cache else inputs
