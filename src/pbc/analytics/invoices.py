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

Unbundled diagnostic imaging is a priced line of its own (point of delivery IMG): a provider's
SLAM invoice charges a scan on its own line, often naming the spell or attendance it was
unbundled from. An IMG line therefore never adds to the charge of the spell or attendance whose
id it carries (`per_row` leaves IMG lines out); it matches the `imaging` row it charges
(`per_scan`): the row whose `imaging_id` is the line's key, else the row unbundled from the
spell or attendance the line names (`parent_row_id`) with the line's imaging HRG.
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


IMAGING_POD = "IMG"


def is_imaging(lines: ir.Table) -> ir.BooleanValue:
    """The lines charging unbundled diagnostic imaging (point of delivery IMG)."""
    return lines.point_of_delivery.fill_null("") == IMAGING_POD


def per_row(lines: ir.Table) -> ir.Table:
    """One row per spell or attendance key: its lines' totals and latest line's codes (imaging
    lines left out: a scan is charged on its own line, not as part of its spell)."""
    core = lines.filter(~is_imaging(lines))
    return _summed(core.mutate(_key=line_key(core)))


def per_scan(lines: ir.Table, imaging: ir.Table) -> ir.Table:
    """One row per `imaging` row charged by IMG lines (keyed by its `imaging_id`): the lines
    whose key is an imaging id, and the lines naming the spell or attendance a scan was
    unbundled from with the scan's HRG (the first such scan by id, when several share both)."""
    return _summed(scan_lines(lines, imaging).drop("_line"))


def scan_lines(lines: ir.Table, imaging: ir.Table) -> ir.Table:
    """The IMG lines that charge an `imaging` row, as `per_scan` matches them: `_line` the key
    the line names, `_key` the scan's `imaging_id`. Lines charging no scan are left out."""
    scans = lines.filter(is_imaging(lines))
    scans = scans.mutate(_key=line_key(scans))
    scans = scans.mutate(_line=scans._key)
    ids = imaging.select(_id=imaging.imaging_id.cast("string")).distinct()
    direct = scans.semi_join(ids, scans._key == ids._id)
    rest = scans.anti_join(ids, scans._key == ids._id)
    parents = imaging.filter(imaging.parent_row_id.notnull())
    firsts = parents.group_by(
        _parent=parents.parent_row_id.cast("string"), _hrg=parents.hrg_code.cast("string")
    ).aggregate(_id=parents.imaging_id.cast("string").min())
    by_parent = rest.join(
        firsts, (rest._key == firsts._parent) & (rest.hrg_code == firsts._hrg)
    ).mutate(_key=firsts._id)
    columns = list(direct.columns)
    return ibis.union(direct.select(*columns), by_parent.select(*columns))


def _summed(keyed: ir.Table) -> ir.Table:
    """One row per `_key`: the lines' totals and their latest line's codes."""
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
