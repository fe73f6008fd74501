"""Spend from the warehouse, engine-portable (Ibis only): costed activity and prescribing.

`costed_activity` costs each activity dataset at tariff (`pbc.analytics.costing`) and brings the
three to one shape: one row per spell or attendance with its practice, provider, month (of
discharge, attendance or arrival: the month it is invoiced), budget line (by the point of
delivery the provider charged), charged price and expected price.

`spend_summary` is what statements are built from: activity count, charged £ and £ at tariff by
practice × provider × budget line × charged point of delivery × treatment function × month.
Only rows the practice's own PCT was invoiced for (`commissioner_code` = the practice's
`pct_code`) are charged to a practice: a row billed to another PCT is not our money. Rows whose
practice code is not a known practice cannot be charged to a budget and are left out (the
validation rules report them). Did-not-attends count as no activity and cost what was charged
(normally nothing).

`prescribing_summary`: actual cost, net ingredient cost and items by practice × month.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from pbc.analytics import costing
from pbc.analytics.costing import MONEY
from pbc.analytics.finance.lines import LINE_OF_POD

DATE_FIELD = {"apc": "discharge_date", "op": "attendance_date", "ae": "arrival_date"}
ROW_ID = {"apc": "spell_id", "op": "attendance_id", "ae": "attendance_id"}
AE_TREATMENT_FUNCTION = "180"  # Accident and emergency

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


def costed_activity(dataset: str, activity: ir.Table, tariff: ir.Table, mff: ir.Table) -> ir.Table:
    """One dataset's rows, costed, in the common shape."""
    c = costing.cost(dataset, activity, tariff, mff)
    tf = (
        ibis.literal(AE_TREATMENT_FUNCTION)
        if dataset == "ae"
        else c.treatment_function_code.cast("string")
    )
    counts = (
        c.attended_or_did_not_attend.isin(costing.ATTENDED).cast("int64")
        if dataset == "op"
        else ibis.literal(1).cast("int64")
    )
    return c.select(
        dataset=ibis.literal(dataset),
        row_id=c[ROW_ID[dataset]],
        nhs_number=c.nhs_number,
        gp_practice_code=c.gp_practice_code,
        provider_code=c.provider_code,
        commissioner_code=c.commissioner_code,
        activity_date=c[DATE_FIELD[dataset]],
        month=c[DATE_FIELD[dataset]].truncate("M"),
        budget_line=_line(c.charged_point_of_delivery),
        point_of_delivery=c.charged_point_of_delivery,
        treatment_function_code=tf,
        hrg_code=c.charged_hrg_code,
        activity=counts,
        charged_price=c.charged_price.cast(MONEY),
        expected_price=c.expected_price,
        charged_pence=costing.to_pence(c.charged_price),
        expected_pence=c.expected_pence,
        expected_point_of_delivery=c.expected_point_of_delivery,
        tariff_found=c.tariff_found,
        price_difference=c.price_difference,
    )


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
    """Activity, charged £ and £ at tariff by practice × provider × line × POD × TF × month."""
    # Summed as integer pence (exact, and cheaper than DECIMAL sums), pounds per group.
    summed = charged.group_by(["locality_code", "pct_code", *SUMMARY_KEYS]).aggregate(
        rows=charged.count(),
        activity=charged.activity.sum(),
        charged_p=charged.charged_pence.sum(),
        at_tariff_p=charged.expected_pence.fill_null(0).sum(),
        unpriced=(~charged.tariff_found).cast("int64").sum(),
    )
    return summed.select(
        "locality_code",
        "pct_code",
        *SUMMARY_KEYS,
        "rows",
        "activity",
        charged=costing.from_pence(summed.charged_p),
        at_tariff=costing.from_pence(summed.at_tariff_p),
        unpriced=summed.unpriced,
    )


def activity_summary(
    datasets: dict[str, ir.Table],
    tariff: ir.Table,
    mff: ir.Table,
    practices: ir.Table,
    start: dt.date,
    end: dt.date,
) -> ir.Table:
    """The summary of every activity dataset given ("apc", "op", "ae") for [start, end]."""
    parts = []
    for name, table in datasets.items():
        costed = costed_activity(name, in_period(name, table, start, end), tariff, mff)
        parts.append(spend_summary(charged_to_practices(costed, practices)))
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def prescribing_summary(prescribing: ir.Table, start: dt.date, end: dt.date) -> ir.Table:
    p = prescribing.filter(prescribing.month.between(ibis.date(start), ibis.date(end)))
    return p.group_by(["gp_practice_code", "month"]).aggregate(
        actual_cost=p.actual_cost.sum().cast(MONEY),
        net_ingredient_cost=p.net_ingredient_cost.sum().cast(MONEY),
        items=p["items"].sum(),
    )
