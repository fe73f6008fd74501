"""A row priced against the wrong HRG version (issue 16, docs/data.md "HRG versions").

Payment by Results priced admitted care in HRG v3.5 to 2008/09 (a letter and two digits: H80)
and in HRG4 from 2009/10 (two letters, two digits, a letter: HB12C); each version prices its
own years only (`pbc.codes.hrg_version`). `hrg_version_for_year` flags:

- activity rows (`apc`, `op`, `ae`) whose HRG (the commissioner's derivation / SUS HRG) or
  charged HRG (the row's own, or its invoice's: `with_invoices`) is of the other version than
  the year of the row's invoice date is priced by;
- invoice lines naming no activity (their HRG is judged on the line; a matched line's HRG is
  judged as its row's charged HRG), by their activity date, else their invoice month.

The version a financial year is priced by is that of the year's tariff as loaded (the published
tariffs: v3.5 for 2008/09, HRG4 from 2009/10; a year's rows of mixed shapes go by the more
common one); a year without tariff rows (or with as many of each) uses the national calendar
(`pbc.codes.hrg_version_for_year`). A&E is judged apart, by the year's A&E tariff rows (point
of delivery AE) else the calendar: it stayed on the HRG v3.5 A&E tariff in 2009/10 while HRG4
priced admitted care and outpatients (`pbc.codes.AE_HRG4_FIRST_YEAR`), so the real 2009/10
tariff, HRG4 codes with a v3.5 A&E sheet, flags neither its A&E attendances nor its spells. So a locally agreed or synthetic tariff in one version
throughout (pbc's generator writes HRG4 shapes in every year) is not contradicted row by row.

At stake: the whole charge where the charged HRG is of the wrong version (it cannot be priced
from that year's tariff: the charge must be re-grouped before it is paid); nothing where only
the derived HRG is (the commissioner's own costing cannot price the row). `detail` says which,
e.g. "HRG v3.5 code in a year priced by HRG4: charged HRG H80, 2009/10".
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from pbc.analytics.costing import MONEY
from pbc.analytics.invoices import line_key, unmatched_lines
from pbc.analytics.periods import fy_label, fy_label_start_year, fy_start_year
from pbc.analytics.validation.common import (
    ID_COLUMN,
    INVOICE_DATE,
    Inputs,
    findings,
    in_force,
    positive,
    zero,
)
from pbc.analytics.validation.invoice_rules import DATASET_OF_POD
from pbc.analytics.validation.settings import ValidationSettings
from pbc.codes import AE_HRG4_FIRST_YEAR, HRG4_FIRST_YEAR

RULE = "hrg_version_for_year"
VERSION_NAME = {"3.5": "HRG v3.5", "4": "HRG4"}
_HRG4_SHAPE = r"^[A-Z]{2}[0-9]{2}[A-Z]$"
_V35_SHAPE = r"^[A-Z][0-9]{2}$"


def hrg_version(code: ir.StringValue) -> ir.StringValue:
    """ "4", "3.5" or null, as `pbc.codes.hrg_version`."""
    return ibis.cases(
        (code.re_search(_HRG4_SHAPE).fill_null(False), "4"),
        (code.re_search(_V35_SHAPE).fill_null(False), "3.5"),
        else_=ibis.null(dt.string),
    )


def year_versions(tariff: ir.Table) -> ir.Table:
    """(`y_start` (2008 for 2008/09), `y_ae`: A&E or the rest) → `y_version`: the version most
    of the year's tariff HRG codes of that setting have (null when as many of each)."""
    coded = tariff.filter(tariff.hrg_code.notnull()).mutate(_v=hrg_version(tariff.hrg_code))
    counts = coded.group_by(
        y_start=fy_label_start_year(coded.financial_year),
        y_ae=(coded.point_of_delivery == "AE").fill_null(False),
    ).aggregate(
        n4=(coded._v == "4").cast("int64").sum(),
        n35=(coded._v == "3.5").cast("int64").sum(),
    )
    return counts.select(
        "y_start",
        "y_ae",
        y_version=ibis.cases(
            (counts.n4 > counts.n35, "4"),
            (counts.n35 > counts.n4, "3.5"),
            else_=ibis.null(dt.string),
        ),
    )


def _with_year_version(
    rows: ir.Table, day: ir.DateValue, tariff: ir.Table, ae: bool | ir.BooleanValue
) -> ir.Table:
    """`rows` with `_fy` ('2009/10') and `_year_version` of the day's financial year, for A&E
    rows (`ae`) from the year's A&E tariff, for the others from the rest of it."""
    dated = rows.mutate(_start=fy_start_year(day), _ae=ae)
    versions = year_versions(tariff)
    joined = dated.left_join(
        versions, (dated._start == versions.y_start) & (dated._ae == versions.y_ae)
    )
    first = ibis.ifelse(joined._ae, AE_HRG4_FIRST_YEAR, HRG4_FIRST_YEAR)
    calendar = ibis.ifelse(joined._start >= first, "4", "3.5")
    return joined.mutate(
        _fy=fy_label(joined._start),
        _year_version=ibis.coalesce(joined.y_version, calendar),
    ).drop("y_start", "y_ae", "y_version", "_ae")


def _wrong(code: ir.StringValue, year_version: ir.StringValue) -> ir.BooleanValue:
    """The code has the other version's shape than `year_version` (never null). The two shapes
    exclude each other, so this is `hrg_version(code)` known and not the year's, with one
    pattern tested per row (it runs on every activity row)."""
    # The length first: most codes have their year's length, and skip the pattern.
    other_shape = ibis.ifelse(
        year_version == "4",
        (code.length() == 3) & code.re_search(_V35_SHAPE),
        (code.length() == 5) & code.re_search(_HRG4_SHAPE),
    )
    return other_shape.fill_null(False)


def _phrase(code: ir.StringValue) -> ir.StringValue:
    """ "HRG v3.5 code in a year priced by HRG4" (or the other way round)."""
    return ibis.ifelse(
        hrg_version(code) == "3.5",
        "HRG v3.5 code in a year priced by HRG4",
        "HRG4 code in a year priced by HRG v3.5",
    )


def _activity(inputs: Inputs, dataset: str, settings: ValidationSettings) -> ir.Table:
    rows = inputs.activity(dataset)
    ae = ibis.literal(dataset == "ae")
    dated = _with_year_version(rows, rows[INVOICE_DATE[dataset]], inputs.tariff, ae)
    charged_wrong = _wrong(dated.charged_hrg_code, dated._year_version)
    derived_wrong = _wrong(dated.hrg_code, dated._year_version)
    flagged = dated.filter(charged_wrong | derived_wrong)
    charged = _wrong(flagged.charged_hrg_code, flagged._year_version)
    code = ibis.ifelse(charged, flagged.charged_hrg_code, flagged.hrg_code)
    detail = _phrase(code).concat(
        ibis.ifelse(charged, ": charged HRG ", ": HRG "), code, ", ", flagged._fy
    )
    shaped = flagged.mutate(_detail=detail, _charged=charged)
    stake = ibis.ifelse(shaped._charged, shaped.charged_price.cast(MONEY), zero())
    return findings(shaped, RULE, dataset, settings.periods(RULE), stake, shaped._detail)


def _lines(inputs: Inputs, settings: ValidationSettings) -> ir.Table | None:
    lines = inputs.invoice_lines
    if lines is None:
        return None
    keys = [inputs.activity(d)[ID_COLUMN[d]].cast("string") for d in ("apc", "op", "ae")]
    orphan = unmatched_lines(lines, *keys)
    orphan = orphan.filter(orphan.point_of_delivery.isin(tuple(DATASET_OF_POD)))
    day = ibis.coalesce(orphan.activity_date.cast("date"), orphan.invoice_month.cast("date"))
    ae = (orphan.point_of_delivery == "AE").fill_null(False)
    dated = _with_year_version(orphan.mutate(_day=day), day, inputs.tariff, ae)
    flagged = dated.filter(_wrong(dated.hrg_code, dated._year_version))
    # One finding per id named (as `invoice_line_without_activity`): its lines summed.
    per_id = flagged.group_by(
        _key=line_key(flagged), _dataset=flagged.point_of_delivery.substitute(DATASET_OF_POD)
    ).aggregate(
        provider_code=flagged.provider_code.max(),
        commissioner_code=flagged.commissioner_code.max(),
        day=flagged._day.min(),
        month=flagged.invoice_month.min(),
        code=flagged.hrg_code.max(),
        fy=flagged._fy.max(),
        charged=flagged.price.cast(MONEY).sum(),
    )
    month = per_id.month.cast("date")
    active = in_force(month, settings.periods(RULE))
    charged = per_id.charged.cast(MONEY)
    return per_id.select(
        rule_id=ibis.literal(RULE, type=dt.string),
        dataset=per_id._dataset,
        row_id=per_id._key,
        nhs_number=ibis.null(dt.string),
        gp_practice_code=ibis.null(dt.string),
        provider_code=per_id.provider_code,
        commissioner_code=per_id.commissioner_code,
        activity_date=per_id.day.cast("date"),
        month=month,
        charged_price=charged,
        amount=ibis.ifelse(active, positive(charged), zero()),
        in_force=active,
        detail=_phrase(per_id.code).concat(": invoiced HRG ", per_id.code, ", ", per_id.fy),
    )


def hrg_version_for_year(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """Rows whose HRG is of the other version than their year's tariff's."""
    out = [_activity(inputs, d, settings) for d in ("apc", "op", "ae")]
    lines = _lines(inputs, settings)
    return out if lines is None else [*out, lines]
