"""Costing at tariff: the price the Payment by Results rules say each activity row should cost.

Engine-portable (Ibis expressions only). Every costed row keeps each component next to what the
provider actually charged, so a user can see why a spell cost what it did and where the two
differ (the validation rules work from that difference).

The rules (the same as the data contract, docs/data.md "Tariff", and `pbc.synth.tariff`):

- financial year: of the discharge date (spells) or the attendance / arrival date;
- point of delivery, derived from the activity fields, not taken from the provider's invoice:
  - spells: elective admission methods → DC when length of stay is 0, else EL; emergency
    methods → NELST when the tariff has a short-stay row for the HRG, the stay is at most its
    maximum and the patient at least its minimum age, else NEL; maternity and other methods → NEL;
  - outpatients: OPPROC when a procedure was done, else OPFA (first attendance codes 1, 3) or
    OPFUP; did-not-attends cost nothing;
  - A&E: AE;
- base price: the tariff row for (year, point of delivery, HRG) — or (year, OPFA / OPFUP,
  treatment function) for outpatient attendances;
- excess bed days = max(0, length of stay − trim point) on EL and NEL spells, × the HRG's
  excess bed-day rate;
- expected price = round_half_up((base + excess bed days × rate) × market forces factor, 0.01).

Money stays DECIMAL throughout; rounding is half-up at the row, identical on every engine.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

MONEY = dt.Decimal(14, 2)
MFF = dt.Decimal(6, 4)
WORKING = dt.Decimal(24, 6)  # exact for price x MFF before rounding to the penny

ELECTIVE_METHODS = ("11", "12", "13")
EMERGENCY_METHODS = ("21", "22", "23", "24", "28", "2A", "2B", "2C", "2D")
FIRST_ATTENDANCES = ("1", "3")
ATTENDED = ("5", "6")

# Columns every costed row gains, in this order.
COSTING_COLUMNS = (
    "financial_year",
    "expected_point_of_delivery",
    "tariff_found",
    "base_price",
    "trim_point_days",
    "expected_excess_bed_days",
    "excess_bed_day_rate",
    "excess_bed_day_cost",
    "expected_market_forces_factor",
    "expected_price",
    "price_difference",
)


def financial_year(date: ir.DateValue) -> ir.StringValue:
    """'2008/09' for any date from 1 April 2008 to 31 March 2009."""
    start = ibis.ifelse(date.month() >= 4, date.year(), date.year() - 1)
    end = (start + 1) % 100
    return start.cast("string") + "/" + end.cast("string").lpad(2, "0")


def _tariff_lookup(tariff: ir.Table, by_treatment_function: bool) -> ir.Table:
    key = "treatment_function_code" if by_treatment_function else "hrg_code"
    return tariff.select(
        t_year=tariff.financial_year,
        t_pod=tariff.point_of_delivery,
        t_key=tariff[key],
        t_price=tariff.price.cast(MONEY),
        t_trim=tariff.trim_point_days,
        t_rate=tariff.excess_bed_day_rate.cast(MONEY),
    )


def _mff_lookup(mff: ir.Table) -> ir.Table:
    return mff.select(
        m_year=mff.financial_year,
        m_provider=mff.provider_code,
        m_mff=mff.market_forces_factor.cast(MFF),
    )


def _finish(
    joined: ir.Table, original_columns: list[str], ebd: ir.IntegerValue, chargeable: ir.BooleanValue
) -> ir.Table:
    """Add the price columns to a table already joined to its tariff and MFF rows."""
    rate = joined.t_rate.fill_null(ibis.literal(0).cast(MONEY))
    ebd_cost = (ebd * rate).cast(MONEY)
    raw = (joined.t_price + ebd_cost).cast(WORKING) * joined.m_mff.cast(WORKING)
    expected = ibis.ifelse(chargeable, raw.round(2).cast(MONEY), ibis.literal(0).cast(MONEY))
    return joined.select(
        *original_columns,
        financial_year=joined.fy,
        expected_point_of_delivery=joined.expected_pod,
        tariff_found=joined.t_price.notnull() | ~chargeable,
        base_price=joined.t_price,
        trim_point_days=joined.t_trim,
        expected_excess_bed_days=ebd,
        excess_bed_day_rate=joined.t_rate,
        excess_bed_day_cost=ebd_cost,
        expected_market_forces_factor=joined.m_mff,
        expected_price=expected,
        price_difference=(joined.charged_price.cast(MONEY) - expected).cast(MONEY),
    )


def apc_point_of_delivery(apc: ir.Table, tariff: ir.Table) -> ir.Table:
    """The spells with `fy` and `expected_pod` (the short-stay rule needs the tariff)."""
    short_stay = tariff.filter(tariff.point_of_delivery == "NELST").select(
        s_year=tariff.financial_year,
        s_hrg=tariff.hrg_code,
        s_max_los=tariff.short_stay_max_los_days,
        s_min_age=tariff.short_stay_min_age,
    )
    with_fy = apc.mutate(fy=financial_year(apc.discharge_date))
    joined = with_fy.left_join(
        short_stay, [with_fy.fy == short_stay.s_year, with_fy.hrg_code == short_stay.s_hrg]
    )
    elective = joined.admission_method.isin(ELECTIVE_METHODS)
    emergency = joined.admission_method.isin(EMERGENCY_METHODS)
    short = (
        emergency
        & joined.s_max_los.notnull()
        & (joined.length_of_stay <= joined.s_max_los)
        & (joined.age_on_admission >= joined.s_min_age)
    )
    pod = ibis.cases(
        (elective & (joined.length_of_stay == 0), "DC"),
        (elective, "EL"),
        (short.fill_null(False), "NELST"),
        else_="NEL",
    )
    return joined.mutate(expected_pod=pod).drop("s_year", "s_hrg", "s_max_los", "s_min_age")


def _join_prices(rows: ir.Table, key: str, prices: ir.Table, mff: ir.Table) -> ir.Table:
    """Rows (with `fy` and `expected_pod`) joined to their tariff row by (year, point of
    delivery, `key`) and to their provider's market forces factor for the year."""
    joined = rows.left_join(
        prices,
        [
            rows.fy == prices.t_year,
            rows.expected_pod == prices.t_pod,
            rows[key] == prices.t_key,
        ],
    )
    factors = _mff_lookup(mff)
    return joined.left_join(
        factors, [joined.fy == factors.m_year, joined.provider_code == factors.m_provider]
    )


def cost_apc(apc: ir.Table, tariff: ir.Table, mff: ir.Table) -> ir.Table:
    """Admitted patient care spells with their expected price and its components."""
    columns = list(apc.columns)
    spells = apc_point_of_delivery(apc, tariff)
    joined = _join_prices(spells, "hrg_code", _tariff_lookup(tariff, False), mff)
    over_trim = joined.length_of_stay - joined.t_trim
    ebd = ibis.ifelse(
        joined.expected_pod.isin(("EL", "NEL")) & (over_trim > 0), over_trim, 0
    ).fill_null(0)
    return _finish(joined, columns, ebd.cast("int64"), ibis.literal(True))


def cost_op(op: ir.Table, tariff: ir.Table, mff: ir.Table) -> ir.Table:
    """Outpatient attendances: procedures by HRG, attendances by treatment function, DNAs free."""
    columns = list(op.columns)
    fy = financial_year(op.attendance_date)
    pod = ibis.cases(
        (op.procedure_flag, "OPPROC"),
        (op.first_attendance.isin(FIRST_ATTENDANCES), "OPFA"),
        else_="OPFUP",
    )
    rows = op.mutate(
        fy=fy,
        expected_pod=pod,
        lookup_key=ibis.ifelse(op.procedure_flag, op.hrg_code, op.treatment_function_code),
    )
    by_hrg = _tariff_lookup(tariff.filter(tariff.point_of_delivery == "OPPROC"), False)
    by_tf = _tariff_lookup(tariff.filter(tariff.point_of_delivery.isin(("OPFA", "OPFUP"))), True)
    joined = _join_prices(rows, "lookup_key", by_hrg.union(by_tf), mff)
    attended = joined.attended_or_did_not_attend.isin(ATTENDED)
    return _finish(joined, columns, ibis.literal(0).cast("int64"), attended)


def cost_ae(ae: ir.Table, tariff: ir.Table, mff: ir.Table) -> ir.Table:
    """A&E attendances, priced by HRG."""
    columns = list(ae.columns)
    rows = ae.mutate(fy=financial_year(ae.arrival_date), expected_pod=ibis.literal("AE"))
    prices = _tariff_lookup(tariff.filter(tariff.point_of_delivery == "AE"), False)
    joined = _join_prices(rows, "hrg_code", prices, mff)
    return _finish(joined, columns, ibis.literal(0).cast("int64"), ibis.literal(True))


COSTERS = {"apc": cost_apc, "op": cost_op, "ae": cost_ae}


def cost(dataset: str, activity: ir.Table, tariff: ir.Table, mff: ir.Table) -> ir.Table:
    """Cost one activity dataset ("apc", "op" or "ae")."""
    return COSTERS[dataset](activity, tariff, mff)
