"""Activity and invoice matched: what the provider charged for each spell or attendance, from
its invoice lines (issue 16, docs/data.md "Activity and invoice").

Engine-portable (Ibis expressions only). An invoice line names its activity as the provider
knows it (`activity_id`, with its `provider_code`); the activity row key from a HES / SUS
extract is `PROVIDER:id` (`pbc.warehouse.datasets_invoices.invoice_key`), so lines join rows on
that key.

- `with_invoices`: every activity row, with `invoiced` (true when at least one line names it)
  and the charged fields taken from its lines where it has any (price and excess bed days summed
  over the lines, a credit line being negative; point of delivery, HRG and MFF of its latest
  line), else the row's own charged fields (pbc's own layout carries them; an extract leaves them
  empty, and costing prices the row at the expected cost).
- `unmatched_lines`: invoice lines whose key names no activity row (a charge without activity).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from pbc.warehouse.datasets_invoices import invoice_key

CHARGED = (
    "charged_point_of_delivery",
    "charged_hrg_code",
    "charged_excess_bed_days",
    "market_forces_factor",
    "charged_price",
)


def line_key(lines: ir.Table) -> ir.StringValue:
    """The activity row key each line names: provider_code || ':' || activity_id."""
    sep = invoice_key("", "")
    return lines.provider_code.concat(sep, lines.activity_id)


def per_row(lines: ir.Table) -> ir.Table:
    """One row per activity key: the lines' totals and their latest line's codes."""
    keyed = lines.mutate(_key=line_key(lines))
    latest = ibis.window(group_by=keyed._key, order_by=ibis.desc(keyed.invoice_month))
    ranked = keyed.mutate(_rank=ibis.row_number().over(latest))
    codes = ranked.filter(ranked._rank == 0).select(
        _key=ranked._key,
        _pod=ranked.point_of_delivery,
        _hrg=ranked.hrg_code,
        _mff=ranked.market_forces_factor,
    )
    totals = keyed.group_by("_key").aggregate(
        _price=keyed.price.sum(),
        _ebd=keyed.excess_bed_days.sum(),
        _lines=keyed.count(),
    )
    return totals.join(codes, "_key")


def with_invoices(
    activity: ir.Table, lines: ir.Table, id_field: str, *, rows: ir.Table | None = None
) -> ir.Table:
    """`activity` with `invoiced` and its charged fields from its invoice lines where any.
    `rows`: `per_row(lines)` worked out (and cached) once by a caller matching several
    activity datasets to the same lines, instead of once per dataset."""
    rows = per_row(lines) if rows is None else rows
    joined = activity.left_join(rows, activity[id_field] == rows._key)
    invoiced = joined._lines.notnull()
    own = {name: joined[name] for name in CHARGED}
    replaced = {
        "charged_point_of_delivery": ibis.ifelse(
            invoiced, joined._pod, own["charged_point_of_delivery"]
        ),
        "charged_hrg_code": ibis.ifelse(invoiced, joined._hrg, own["charged_hrg_code"]),
        "charged_excess_bed_days": ibis.ifelse(
            invoiced, joined._ebd.cast("int64"), own["charged_excess_bed_days"].cast("int64")
        ),
        "market_forces_factor": ibis.ifelse(
            invoiced, joined._mff, own["market_forces_factor"]
        ).cast(own["market_forces_factor"].type()),
        "charged_price": ibis.ifelse(invoiced, joined._price, own["charged_price"]).cast(
            own["charged_price"].type()
        ),
    }
    columns = [replaced.get(name, joined[name]).name(name) for name in activity.columns]
    return joined.select(*columns, invoiced.name("invoiced"))


def unmatched_lines(lines: ir.Table, *keys: ir.StringColumn) -> ir.Table:
    """Invoice lines whose key is none of the activity `keys` (spell_id, attendance_id...)."""
    known = ibis.union(*(k.name("_key").as_table().distinct() for k in keys))
    keyed = lines.mutate(_key=line_key(lines))
    return keyed.anti_join(known, "_key").drop("_key")
