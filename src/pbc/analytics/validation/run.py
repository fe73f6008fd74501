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
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from pbc.analytics.invoices import per_row, with_invoices
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


def warehouse_inputs(
    con: BaseBackend, data_dir: str | os.PathLike[str] | None = None, *, cache: bool = False
) -> Inputs:
    """The rules' inputs read from the warehouse's committed datasets on connection `con`.

    `cache=True` reads each dataset once into the engine (`Table.cache()`): the rules scan the
    activity many times, and reading many small Parquet partitions each time is slow. The
    cached activity carries each row's NHS number check (`with_nhs_check`), which most patient
    rules need: it is worked out once instead of once per rule."""
    from pbc.warehouse.engine import table

    tables = {name: table(con, name, data_dir=data_dir) for name in INPUT_DATASETS}
    lines = table(con, INVOICE_LINES, data_dir=data_dir)
    rows = None
    if cache:  # the lines read, and summed per activity row, once for the three datasets
        lines = lines.cache()
        rows = per_row(lines).cache()
    for name in ("apc", "op", "ae"):
        tables[name] = with_invoices(tables[name], lines, ID_COLUMN[name], rows=rows)
    if cache:
        tables = {
            name: (with_nhs_check(t) if name in ID_COLUMN else t).cache()
            for name, t in tables.items()
        }
    tables[INVOICE_LINES] = lines
    imaging = table(con, IMAGING, data_dir=data_dir)
    tables[IMAGING] = imaging.cache() if cache else imaging
    return Inputs(**tables)
