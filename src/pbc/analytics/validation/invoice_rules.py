"""Rules that reconcile the providers' invoices with the activity (issue 16, docs/data.md
"Activity and invoice"): an invoice line naming no activity, and activity still not invoiced
after the invoicing window. They read `Inputs.invoice_lines` and find nothing without it.

- `invoice_line_without_activity`: the lines of a provider's invoice whose provider + spell or
  attendance id (`activity_id`) names no row of `apc`, `op` or `ae`, one finding per id named
  (its lines summed: a charge and its credit net off): charged for activity the commissioner
  has no record of, so the whole net charge is at stake. The dataset is the one the line's
  point of delivery charges (spells: EL, DC, NEL, NELST; outpatients: OPFA, OPFUP, OPPROC;
  A&E: AE). An unbundled imaging line (IMG) charges an `imaging` row, matched as the
  statements match it (`pbc.analytics.invoices.scan_lines`: by the scan's id, or by the spell
  or attendance it was unbundled from and the line's HRG): a line charging no scan is a finding
  of dataset "img", one per id named; without the `imaging` table (`Inputs.imaging` None) IMG
  lines are not judged.
- `activity_not_invoiced`: activity from an extract with no charge of its own and no invoice
  line naming it, whose invoicing window has closed: its month (discharge, attendance or
  arrival) ended more than `settings.invoicing_window_months` months before the invoices'
  "as of" month (`settings.invoices_as_of`, else the latest invoice month received); an IMG
  line naming a spell or attendance charges its scan, so does not invoice it. Nothing is
  charged, so nothing is at stake: the finding tells the commissioner to ask for the invoice (or
  stop accruing the expected cost). Rows of pbc's own layout carry their charge and are never
  flagged; without any invoice line there is no "as of" and nothing is flagged.

Each finding's `detail` gives the reason in words (provider, id, month and why).
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from pbc.analytics.costing import MONEY
from pbc.analytics.invoices import is_imaging, line_key, scan_lines
from pbc.analytics.periods import add_months
from pbc.analytics.validation.common import (
    ID_COLUMN,
    INVOICE_DATE,
    Inputs,
    findings,
    in_force,
    positive,
    zero,
)
from pbc.analytics.validation.settings import ValidationSettings

# The dataset a line's point of delivery charges.
DATASET_OF_POD = {
    "EL": "apc",
    "DC": "apc",
    "NEL": "apc",
    "NELST": "apc",
    "OPFA": "op",
    "OPFUP": "op",
    "OPPROC": "op",
    "AE": "ae",
}
DATASET_WORDS = {
    "apc": "spell",
    "op": "outpatient attendance",
    "ae": "A&E attendance",
    "img": "unbundled scan (by imaging id, or of that spell or attendance with the line's HRG)",
}
IMAGING_DATASET = "img"
"""The `dataset` of a finding on an IMG line that charges no scan (findings name 3 letters)."""


def _month_words(month: ir.DateValue) -> ir.StringValue:
    """'2009-01' for a date (engine-portable: no strftime)."""
    year = month.year().cast("string")
    number = month.month()
    padded = ibis.ifelse(number < 10, "0", "").concat(number.cast("string"))
    return year.concat("-", padded)


def _none(inputs: Inputs, rule: str, settings: ValidationSettings) -> list[ir.Table]:
    """No findings (no invoice lines), in the finding shape."""
    nothing = inputs.apc.filter(ibis.literal(False))
    return [findings(nothing, rule, "apc", settings.periods(rule))]


def invoice_line_without_activity(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """Invoice lines whose provider and spell or attendance id name no activity row."""
    lines = inputs.invoice_lines
    rule = "invoice_line_without_activity"
    if lines is None:
        return _none(inputs, rule, settings)
    keyed = lines.filter(lines.point_of_delivery.isin(tuple(DATASET_OF_POD))).mutate(
        _key=line_key(lines),
        _dataset=lines.point_of_delivery.substitute(DATASET_OF_POD),
    )
    known = ibis.union(
        *(
            inputs.activity(d).select(_key=inputs.activity(d)[ID_COLUMN[d]].cast("string"))
            for d in ("apc", "op", "ae")
        )
    ).distinct()
    orphan = keyed.anti_join(known, "_key")
    if inputs.imaging is not None:
        orphan = ibis.union(orphan, _scanless_imaging_lines(lines, inputs.imaging))
    per_id = orphan.group_by(["_key", "_dataset"]).aggregate(
        provider_code=orphan.provider_code.max(),
        activity_id=orphan.activity_id.max(),
        commissioner_code=orphan.commissioner_code.max(),
        first_month=orphan.invoice_month.min(),
        activity_date=orphan.activity_date.min(),
        lines=orphan.count(),
        charged=orphan.price.cast(MONEY).sum(),
    )
    month = per_id.first_month.cast("date")
    active = in_force(month, settings.periods(rule))
    charged = per_id.charged.cast(MONEY)
    what = per_id._dataset.substitute(DATASET_WORDS)
    detail = (
        per_id.provider_code.concat(" invoiced ", per_id.activity_id, " (")
        .concat(per_id.lines.cast("string"), " line(s) from ", _month_words(month), ", net £")
        .concat(charged.cast("string"), "): no ", what, " ", per_id._key, " in the activity")
    )
    return [
        per_id.select(
            rule_id=ibis.literal(rule, type=dt.string),
            dataset=per_id._dataset,
            row_id=per_id._key,
            nhs_number=ibis.null(dt.string),
            gp_practice_code=ibis.null(dt.string),
            provider_code=per_id.provider_code,
            commissioner_code=per_id.commissioner_code,
            activity_date=ibis.coalesce(per_id.activity_date.cast("date"), month),
            month=month,
            charged_price=charged,
            amount=ibis.ifelse(active, positive(charged), zero()),
            in_force=active,
            detail=detail,
        )
    ]


def _scanless_imaging_lines(lines: ir.Table, imaging: ir.Table) -> ir.Table:
    """The IMG lines that charge no `imaging` row, keyed and labelled as the other orphans."""
    img = lines.filter(is_imaging(lines))
    img = img.mutate(_key=line_key(img), _dataset=ibis.literal(IMAGING_DATASET))
    charged = scan_lines(lines, imaging)
    charged = charged.select(_line=charged._line, _hrg=charged.hrg_code).distinct()
    scanless = img.anti_join(
        charged,
        (img._key == charged._line) & (img.hrg_code.fill_null("") == charged._hrg.fill_null("")),
    )
    return scanless.select(*img.columns)


def activity_not_invoiced(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """Activity with no charge and no invoice line once its invoicing window has closed."""
    lines = inputs.invoice_lines
    rule = "activity_not_invoiced"
    if lines is None:
        return _none(inputs, rule, settings)
    window = settings.invoicing_window_months
    if settings.invoices_as_of is not None:
        as_of = ibis.memtable({"_as_of": [settings.invoices_as_of.replace(day=1)]})
        as_of = as_of.select(_as_of=as_of._as_of.cast("date"))
    else:
        as_of = lines.aggregate(_as_of=lines.invoice_month.max().cast("date"))
    # An unbundled imaging line (IMG) naming a spell or attendance charges a scan, not it.
    core = lines.filter(~is_imaging(lines))
    keys = core.select(_key=line_key(core)).distinct()
    out = []
    for dataset in ("apc", "op", "ae"):
        rows = inputs.activity(dataset)
        month = rows[INVOICE_DATE[dataset]].truncate("M").cast("date")
        candidates = rows.filter(rows.charged_price.isnull()).mutate(
            _key=rows[ID_COLUMN[dataset]].cast("string"), _month=month
        )
        uninvoiced = candidates.anti_join(keys, "_key")
        dated = uninvoiced.cross_join(as_of)
        closes = add_months(dated._month, window + 1)
        late = dated.filter(dated._as_of.notnull() & (dated._as_of >= closes))
        detail = (
            late.provider_code.concat(" ", DATASET_WORDS[dataset], " ", late._key, " of ")
            .concat(_month_words(late._month), ": no invoice line by ", _month_words(late._as_of))
            .concat(f", the window of {window} month(s) after the month's end has closed")
        )
        # Nothing was charged: nothing is at stake.
        shaped = late.mutate(_detail=detail, charged_price=ibis.literal(0).cast(MONEY))
        out.append(findings(shaped, rule, dataset, settings.periods(rule), zero(), shaped._detail))
    return out
