"""Rules about how a row was charged: outpatient procedures charged as admissions, zero-day
electives charged as inpatients, excess bed days, the short-stay emergency adjustment, and
high-cost activity for clinical review.

Money at stake: the overcharge, what the provider charged minus what the row costs at tariff
(`pbc.analytics.costing`) — for outpatient procedures charged as spells, the outpatient
procedure price of the charged HRG; for high-cost activity, the whole charge under review.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from pbc.analytics.costing import MONEY, cost_apc
from pbc.analytics.periods import financial_year_of
from pbc.analytics.validation.common import ELECTIVE_METHODS, Inputs, findings
from pbc.analytics.validation.settings import ValidationSettings

WORKING = dt.Decimal(24, 6)  # exact for price x MFF before rounding to the penny


def costed(inputs: Inputs) -> ir.Table:
    """The spells costed, `point_of_delivery` the one the rules give each spell: the row's own
    (pbc's layout carries it), else the derivation's (a HES / SUS extract leaves it empty).
    Three rules read them: worked out once when `inputs.costed_apc` holds them."""
    if inputs.costed_apc is not None:
        return inputs.costed_apc
    spells = cost_apc(inputs.apc, inputs.tariff, inputs.market_forces_factors)
    return spells.mutate(
        point_of_delivery=ibis.coalesce(spells.point_of_delivery, spells.expected_point_of_delivery)
    )


def op_procedure_as_day_case(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """A spell charged as a day case or elective whose charged HRG has an outpatient procedure
    price that year: it should have been charged as an outpatient procedure."""
    apc = inputs.apc
    tariff = inputs.tariff
    opproc = tariff.filter(tariff.point_of_delivery == "OPPROC").select(
        o_year=tariff.financial_year, o_hrg=tariff.hrg_code, o_price=tariff.price.cast(MONEY)
    )
    mff = inputs.market_forces_factors.select(
        m_year="financial_year", m_provider="provider_code", m_mff="market_forces_factor"
    )
    rows = apc.filter(apc.charged_point_of_delivery.isin(("DC", "EL"))).mutate(
        _fy=financial_year_of(apc.discharge_date)
    )
    hit = rows.join(opproc, [rows._fy == opproc.o_year, rows.charged_hrg_code == opproc.o_hrg])
    hit = hit.left_join(mff, [hit._fy == mff.m_year, hit.provider_code == mff.m_provider])
    op_price = (hit.o_price.cast(WORKING) * hit.m_mff.cast(WORKING)).round(2).cast(MONEY)
    rule = "op_procedure_as_day_case"
    return [
        findings(
            hit,
            rule,
            "apc",
            settings.periods(rule),
            amount=hit.charged_price.cast(MONEY) - op_price.fill_null(0),
        )
    ]


def zero_day_elective_as_inpatient(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """An elective spell of length 0 charged as an elective inpatient (EL) instead of a day
    case."""
    spells = costed(inputs)
    flagged = spells.filter(
        spells.admission_method.isin(ELECTIVE_METHODS)
        & (spells.length_of_stay == 0)
        & (spells.charged_point_of_delivery == "EL")
    )
    rule = "zero_day_elective_as_inpatient"
    return [findings(flagged, rule, "apc", settings.periods(rule), flagged.price_difference)]


def unsupported_excess_bed_days(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """More excess bed days charged than the length of stay beyond the trim point allows: the
    trim point of the tariff row for the year, the row's point of delivery and HRG (none at
    all where that point of delivery has no trim point)."""
    spells = costed(inputs)
    tariff = inputs.tariff
    trims = tariff.filter(tariff.hrg_code.notnull()).select(
        t_year=tariff.financial_year,
        t_pod=tariff.point_of_delivery,
        t_hrg=tariff.hrg_code,
        t_trim=tariff.trim_point_days,
    )
    joined = spells.left_join(
        trims,
        [
            spells.financial_year == trims.t_year,
            spells.point_of_delivery == trims.t_pod,
            spells.hrg_code == trims.t_hrg,
        ],
    )
    over = joined.length_of_stay - joined.t_trim
    allowed = ibis.ifelse(joined.t_trim.isnull() | (over < 0), 0, over)
    flagged = joined.filter(joined.charged_excess_bed_days > allowed)
    rule = "unsupported_excess_bed_days"
    return [findings(flagged, rule, "apc", settings.periods(rule), flagged.price_difference)]


def short_stay_not_applied(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """An emergency spell eligible for the short-stay adjustment (short stay, adult, HRG with a
    short-stay price) charged at the full non-elective price. Eligibility is the row's
    `point_of_delivery`, the commissioner's derivation (data contract)."""
    spells = costed(inputs)
    flagged = spells.filter(
        (spells.point_of_delivery == "NELST") & (spells.charged_point_of_delivery != "NELST")
    )
    rule = "short_stay_not_applied"
    return [findings(flagged, rule, "apc", settings.periods(rule), flagged.price_difference)]


def high_cost_activity(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """Any spell or attendance charged above the threshold, queued for clinical review."""
    threshold = ibis.literal(settings.high_cost_threshold).cast(MONEY)
    rule = "high_cost_activity"
    out = []
    for dataset in ("apc", "op", "ae"):
        rows = inputs.activity(dataset)
        flagged = rows.filter(rows.charged_price.cast(MONEY) > threshold)
        out.append(findings(flagged, rule, dataset, settings.periods(rule)))
    return out
