"""Spend from the warehouse, engine-portable (Ibis only): costed activity and prescribing.

`costed_activity` costs each activity dataset at tariff (`pbc.analytics.costing`) and brings
them to one shape: one row per spell, attendance or unbundled scan with its practice, provider,
month (of discharge, attendance, arrival or examination: the month it is invoiced), budget line
(by the point of delivery the provider charged), charged price and expected price, and the
components of the expected price next to what the provider charged (base price and which list
it came from, length of stay, trim point, excess bed days charged and expected, their rate and
cost, whether the short-stay emergency adjustment applies, MFF applied and in force), so a user
can see why a row cost what it did and where it differs from the charge (`differences`).

Unbundled diagnostic imaging (`imaging`, charged point of delivery IMG) is charged to the
outpatients line: a scan is an outpatient-setting service (a day attendance at the imaging
department, whether requested for a clinic, before an elective admission or by the GP direct),
the elective and non-elective lines keep meaning spells, and one line for every scan keeps that
line's history, plan and budget comparable across years and providers. Its specialty is
treatment function 812 (diagnostic imaging).

`spend_summary` is what statements are built from: activity count, charged £ and £ at tariff by
practice × provider × budget line × charged point of delivery × treatment function × month.
"Charged" is what the provider invoiced where the row has its invoice (its own charged fields,
or its invoice lines matched by `pbc.analytics.invoices.with_invoices`), else the row's expected
cost at tariff (activity from an extract not yet invoiced: expected spend, by the point of
delivery and HRG the rules give it). Invoiced and expected spend are summed apart (`invoiced`
is one of the summary's keys; `expected_rows` counts the expected rows), so a statement can say
which months are invoiced and which expected.
Only rows the practice's own PCT was invoiced for (`commissioner_code` = the practice's
`pct_code`) are charged to a practice: a row billed to another PCT is not our money. Rows whose
practice code is not a known practice cannot be charged to a budget and are left out (the
validation rules report them). Did-not-attends count as no activity and cost what was charged
(normally nothing).

`prescribing_summary`: actual cost, net ingredient cost and items by practice × month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from pbc.analytics import costing
from pbc.analytics.costing import MONEY
from pbc.analytics.finance.lines import LINE_OF_POD

DATE_FIELD = {
    "apc": "discharge_date",
    "op": "attendance_date",
    "ae": "arrival_date",
    "imaging": "imaging_date",
}
ROW_ID = {"apc": "spell_id", "op": "attendance_id", "ae": "attendance_id", "imaging": "imaging_id"}
AE_TREATMENT_FUNCTION = "180"  # Accident and emergency
IMAGING_TREATMENT_FUNCTION = "812"  # Diagnostic imaging

SUMMARY_KEYS = (
    "gp_practice_code",
    "provider_code",
    "budget_line",
    "point_of_delivery",
    "treatment_function_code",
    "month",
)


def _line(pod: ir.StringValue) -> ir.StringValue:
    cases = [(pod == code, line.value) for code, line in LINE_OF_POD.items()]
    return ibis.cases(*cases, else_="unknown")


def in_period(dataset: str, activity: ir.Table, start: dt.date, end: dt.date) -> ir.Table:
    """Rows whose invoicing date lies in [start, end]."""
    when = activity[DATE_FIELD[dataset]]
    return activity.filter(when.between(ibis.date(start), ibis.date(end)))


def costed_activity(
    dataset: str,
    activity: ir.Table,
    tariff: ir.Table,
    mff: ir.Table,
    local_prices: ir.Table | None = None,
) -> ir.Table:
    """One dataset's rows ("apc", "op", "ae" or "imaging"), costed, in the common shape. With
    `local_prices`, rows without a national tariff are priced at the local price (imaging
    needs it)."""
    c = costing.cost(dataset, activity, tariff, mff, local_prices)
    if dataset == "ae":
        tf = ibis.literal(AE_TREATMENT_FUNCTION)
    elif dataset == "imaging":
        tf = ibis.literal(IMAGING_TREATMENT_FUNCTION)
    else:
        tf = c.treatment_function_code.cast("string")
    counts = (
        c.attended_or_did_not_attend.isin(costing.ATTENDED).cast("int64")
        if dataset == "op"
        else ibis.literal(1).cast("int64")
    )

    def optional(name: str, type_: Any) -> ir.Value:
        """A column of the activity rows, or null where the rows do not carry it."""
        return c[name].cast(type_) if name in c.columns else ibis.null(type_)

    # Activity with no invoice line (an extract loaded alone) counts at its expected cost, by
    # the point of delivery and HRG the rules give it (docs/data.md "Activity and invoice").
    invoiced = c.charged_price.notnull()
    pod = ibis.coalesce(c.charged_point_of_delivery, c.expected_point_of_delivery)
    charged_pence = costing.to_pence(c.charged_price)
    return c.select(
        dataset=ibis.literal(dataset),
        row_id=c[ROW_ID[dataset]],
        nhs_number=c.nhs_number,
        gp_practice_code=c.gp_practice_code,
        provider_code=c.provider_code,
        commissioner_code=c.commissioner_code,
        activity_date=c[DATE_FIELD[dataset]],
        month=c[DATE_FIELD[dataset]].truncate("M"),
        budget_line=_line(pod),
        point_of_delivery=pod,
        treatment_function_code=tf,
        hrg_code=ibis.ifelse(invoiced, c.charged_hrg_code, c.hrg_code),
        activity=counts,
        charged_price=c.charged_price.cast(MONEY),
        expected_price=c.expected_price,
        charged_pence=charged_pence,
        expected_pence=c.expected_pence,
        invoiced=invoiced,
        spend_pence=ibis.ifelse(invoiced, charged_pence, c.expected_pence),
        expected_point_of_delivery=c.expected_point_of_delivery,
        tariff_found=c.tariff_found,
        price_difference=c.price_difference,
        # The components of the expected price, next to what was charged.
        financial_year=c.financial_year,
        expected_hrg_code=c.hrg_code,
        price_source=c.price_source,
        base_price=c.base_price,
        length_of_stay=optional("length_of_stay", "int64"),
        trim_point_days=c.trim_point_days.cast("int64"),
        charged_excess_bed_days=optional("charged_excess_bed_days", "int64"),
        expected_excess_bed_days=c.expected_excess_bed_days,
        excess_bed_day_rate=c.excess_bed_day_rate,
        excess_bed_day_cost=c.excess_bed_day_cost,
        short_stay_applied=c.expected_point_of_delivery == "NELST",
        charged_market_forces_factor=optional("market_forces_factor", costing.MFF),
        expected_market_forces_factor=c.expected_market_forces_factor,
        mff_found=c.mff_found,
        parent_row_id=optional("parent_row_id", "string"),
    )


def differences(row: Mapping[str, Any]) -> list[str]:
    """Where a costed row (`costed_activity`, as a dict) differs from what the rules say, in
    words, component by component; empty when the charge is the expected price."""
    out: list[str] = []
    if not row["mff_found"]:
        out.append(f"no market forces factor for {row['provider_code']} in {row['financial_year']}")
    elif not row["tariff_found"]:
        key = row["expected_hrg_code"] or row["treatment_function_code"] or ""
        out.append(
            f"no tariff or local price for {row['expected_point_of_delivery']} {key}".strip()
        )
    if row["point_of_delivery"] != row["expected_point_of_delivery"]:
        out.append(
            f"charged as {row['point_of_delivery']}, the rules say "
            f"{row['expected_point_of_delivery']}"
        )
    if (row["hrg_code"] or "") != (row["expected_hrg_code"] or ""):
        out.append(f"HRG {row['hrg_code'] or 'none'} charged, {row['expected_hrg_code']} derived")
    if row["dataset"] == "op" and row["activity"] == 0 and row["charged_price"]:
        out.append("did not attend: not chargeable")
    charged_ebd, expected_ebd = row["charged_excess_bed_days"], row["expected_excess_bed_days"]
    if (charged_ebd or 0) != (expected_ebd or 0):
        out.append(f"{charged_ebd} excess bed days charged, {expected_ebd} expected")
    applied, in_force = row["charged_market_forces_factor"], row["expected_market_forces_factor"]
    if in_force is not None and applied != in_force:
        out.append(f"MFF {applied} applied, {in_force} in force")
    difference = row["price_difference"]
    if difference and not out:
        out.append("price differs from the expected price")
    return out


def charged_to_practices(costed: ir.Table, practices: ir.Table) -> ir.Table:
    """Costed rows the practice's own PCT was invoiced for, with the practice's locality."""
    p = practices.select(
        p_code=practices.gp_practice_code,
        locality_code=practices.locality_code,
        pct_code=practices.pct_code,
    )
    joined = costed.inner_join(
        p, [costed.gp_practice_code == p.p_code, costed.commissioner_code == p.pct_code]
    )
    return joined.drop("p_code")


def spend_summary(charged: ir.Table) -> ir.Table:
    """Activity, charged £ and £ at tariff by practice × provider × line × POD × TF × month,
    invoiced apart from expected (`invoiced`: the rows' charge is the provider's; false: no
    invoice yet, the charge is the expected cost)."""
    # Summed as integer pence (exact, and cheaper than DECIMAL sums), pounds per group.
    keys = ["locality_code", "pct_code", *SUMMARY_KEYS, "invoiced"]
    summed = charged.group_by(keys).aggregate(
        rows=charged.count(),
        activity=charged.activity.sum(),
        charged_p=charged.spend_pence.sum(),
        at_tariff_p=charged.expected_pence.fill_null(0).sum(),
        unpriced=(~charged.tariff_found).cast("int64").sum(),
        expected_rows=(~charged.invoiced).cast("int64").sum(),
    )
    return summed.select(
        *keys,
        "rows",
        "activity",
        charged=costing.from_pence(summed.charged_p),
        at_tariff=costing.from_pence(summed.at_tariff_p),
        unpriced=summed.unpriced,
        expected_rows=summed.expected_rows,
    )


def activity_summary(
    datasets: dict[str, ir.Table],
    tariff: ir.Table,
    mff: ir.Table,
    practices: ir.Table,
    start: dt.date,
    end: dt.date,
    local_prices: ir.Table | None = None,
) -> ir.Table:
    """The summary of every activity dataset given ("apc", "op", "ae", "imaging") for
    [start, end]; `local_prices` prices non-tariff rows and imaging (which needs it)."""
    parts = []
    for name, table in datasets.items():
        costed = costed_activity(
            name, in_period(name, table, start, end), tariff, mff, local_prices
        )
        parts.append(spend_summary(charged_to_practices(costed, practices)))
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def prescribing_summary(prescribing: ir.Table, start: dt.date, end: dt.date) -> ir.Table:
    p = prescribing.filter(prescribing.month.between(ibis.date(start), ibis.date(end)))
    return p.group_by(["gp_practice_code", "month"]).aggregate(
        actual_cost=p.actual_cost.sum().cast(MONEY),
        net_ingredient_cost=p.net_ingredient_cost.sum().cast(MONEY),
        items=p["items"].sum(),
    )
