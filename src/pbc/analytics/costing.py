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

Local prices (`local_prices`, docs/data.md "Local prices"): where the national tariff has no row
for (year, point of delivery, HRG or treatment function) — a non-tariff service bought cost per
case — the local price list's row for the same key is the base price (flat per case: no trim
point, no excess bed days), × MFF as above; `price_source` says which list priced the row. A
local price never overrides a national tariff row. Unbundled diagnostic imaging (`imaging`,
point of delivery IMG) is priced from the local price list by its imaging HRG, × MFF, on its own
row, separately from the spell or attendance it was requested for. Each PCT agrees its own
list: when `local_prices` has a `commissioner_code` column (the warehouse's does), a row is
priced from its own commissioner's list only (joined on the row's `commissioner_code`); a
list without that column applies to every commissioner.

`tariff_found` is true when the rules could price the row: its price row (national or local)
and its provider's market forces factor for the year were both found (or the row is not
chargeable: an outpatient did-not-attend costs 0.00). Otherwise `expected_price` is null and the
row counts as unpriced (`mff_found` tells a missing MFF from a missing price row).

Money is exact throughout. The arithmetic runs in integers (pence, and MFF in ten-thousandths):
price and rate as pence, × MFF as an integer of 1/10,000 units, rounded half-up (away from zero)
to the penny by integer arithmetic, then carried as DECIMAL(14, 2) in the `*_price` / `*_cost`
columns; `expected_pence` keeps the integer for aggregations. This is the same value as the
DECIMAL formula (price + excess bed days × rate) × MFF rounded half-up, identical on every
engine, and several times cheaper than DECIMAL(24, 6) products (128-bit on DuckDB). It is exact
while a row's price is below £9 billion (2^53 units).

The financial year is joined as its starting calendar year (an integer: 2008 for "2008/09");
the "2008/09" string is built only for the output column.
"""

from __future__ import annotations

from decimal import Decimal

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from pbc.analytics.periods import fy_label, fy_label_start_year, fy_start_year
from pbc.warehouse.datasets import APC_POINTS_OF_DELIVERY

MONEY = dt.Decimal(14, 2)
MFF = dt.Decimal(6, 4)
WORKING = dt.Decimal(24, 6)  # exact for price x MFF before rounding to the penny
WIDE_MONEY = dt.Decimal(18, 2)  # pence -> pounds, exact (DECIMAL(14, 2) x 0.01 keeps scale 2)
MFF_UNITS = 10_000  # an MFF of 1.1082 is 11,082 units

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
    "expected_pence",
    "price_difference",
    "price_source",
    "mff_found",
)


def to_pence(money: ir.NumericValue) -> ir.IntegerValue:
    """A DECIMAL amount with at most two decimal places as integer pence (exact)."""
    return (money.cast(MONEY) * 100).cast("int64")


def from_pence(pence: ir.IntegerValue) -> ir.DecimalValue:
    """Integer pence as DECIMAL(14, 2) (exact)."""
    cent = ibis.literal(Decimal("0.01"), type=WIDE_MONEY)
    return (pence.cast(WIDE_MONEY) * cent).cast(MONEY)


def round_units_to_pence(units: ir.IntegerValue) -> ir.IntegerValue:
    """Pence x MFF units (1/10,000) to pence, half-up (away from zero) as DECIMAL ROUND does."""
    half = MFF_UNITS // 2
    up = ((units + half) / MFF_UNITS).floor()
    down = -((half - units) / MFF_UNITS).floor()
    return ibis.ifelse(units >= 0, up, down).cast("int64")


def _with_fy(rows: ir.Table, date: ir.DateValue) -> ir.Table:
    """`fy` (the year's start, to join on) and `fy_label` ('2008/09', for the output)."""
    with_fy = rows.mutate(fy=fy_start_year(date))
    return with_fy.mutate(fy_label=fy_label(with_fy.fy))


def _tariff_lookup(tariff: ir.Table, by_treatment_function: bool) -> ir.Table:
    key = "treatment_function_code" if by_treatment_function else "hrg_code"
    return tariff.select(
        t_year=fy_label_start_year(tariff.financial_year),
        t_pod=tariff.point_of_delivery,
        t_key=tariff[key],
        t_price=tariff.price.cast(MONEY),
        t_price_p=to_pence(tariff.price),
        t_trim=tariff.trim_point_days,
        t_rate=tariff.excess_bed_day_rate.cast(MONEY),
        t_rate_p=to_pence(tariff.excess_bed_day_rate).fill_null(0),
        t_source=ibis.literal("tariff"),
    )


def _local_lookup(
    local: ir.Table, by_treatment_function: bool, like: ir.Table, with_pct: bool = False
) -> ir.Table:
    """The local price list in the shape of `_tariff_lookup` (flat prices: no trim, no rate),
    with `t_pct` (the list's commissioner) when `with_pct`."""
    key = "treatment_function_code" if by_treatment_function else "hrg_code"
    types = like.schema()
    extra = {"t_pct": local.commissioner_code} if with_pct else {}
    return local.select(
        t_year=fy_label_start_year(local.financial_year),
        t_pod=local.point_of_delivery,
        t_key=local[key],
        t_price=local.price.cast(MONEY),
        t_price_p=to_pence(local.price),
        t_trim=ibis.null(types["t_trim"]),
        t_rate=ibis.null(MONEY),
        t_rate_p=ibis.literal(0, type="int64"),
        t_source=ibis.literal("local"),
        **extra,
    )


def _keyed_by_commissioner(local: ir.Table | None) -> bool:
    return local is not None and "commissioner_code" in local.columns


def _prices(
    tariff: ir.Table, local: ir.Table | None, pods: tuple[str, ...], by_treatment_function: bool
) -> ir.Table:
    """Price rows of these points of delivery keyed by HRG (or treatment function): the national
    tariff's, then the local price list's for keys the tariff does not price. A local list
    keyed by commissioner is not merged here: see `_local_prices`."""
    national = _tariff_lookup(
        tariff.filter(tariff.point_of_delivery.isin(pods)), by_treatment_function
    )
    if local is None or _keyed_by_commissioner(local):
        return national
    extra = _local_lookup(
        local.filter(local.point_of_delivery.isin(pods)), by_treatment_function, national
    )
    extra = extra.anti_join(
        national,
        [
            extra.t_year == national.t_year,
            extra.t_pod == national.t_pod,
            extra.t_key == national.t_key,
        ],
    )
    return national.union(extra)


def _local_prices(
    local: ir.Table | None, pods: tuple[str, ...], by_treatment_function: bool, like: ir.Table
) -> ir.Table | None:
    """A local list keyed by commissioner in the shape of `_tariff_lookup` plus `t_pct`, for a
    second join on the row's commissioner (None when the list is not keyed by commissioner)."""
    if local is None or not _keyed_by_commissioner(local):
        return None
    rows = local.filter(local.point_of_delivery.isin(pods))
    return _local_lookup(rows, by_treatment_function, like, with_pct=True)


def _mff_lookup(mff: ir.Table) -> ir.Table:
    return mff.select(
        m_year=fy_label_start_year(mff.financial_year),
        m_provider=mff.provider_code,
        m_mff=mff.market_forces_factor.cast(MFF),
        m_units=(mff.market_forces_factor.cast(MFF) * MFF_UNITS).cast("int64"),
    )


def _finish(
    joined: ir.Table, original_columns: list[str], ebd: ir.IntegerValue, chargeable: ir.BooleanValue
) -> ir.Table:
    """Add the price columns to a table already joined to its tariff and MFF rows."""
    ebd_pence = ebd * joined.t_rate_p
    units = (joined.t_price_p + ebd_pence) * joined.m_units
    pence = ibis.ifelse(chargeable, round_units_to_pence(units), ibis.literal(0, type="int64"))
    expected = from_pence(pence)
    return joined.select(
        *original_columns,
        financial_year=joined.fy_label,
        expected_point_of_delivery=joined.expected_pod,
        tariff_found=(joined.t_price.notnull() & joined.m_mff.notnull()) | ~chargeable,
        base_price=joined.t_price,
        trim_point_days=joined.t_trim,
        expected_excess_bed_days=ebd,
        excess_bed_day_rate=joined.t_rate,
        excess_bed_day_cost=from_pence(ebd_pence.fill_null(0)),
        expected_market_forces_factor=joined.m_mff,
        expected_price=expected,
        expected_pence=pence,
        price_difference=(joined.charged_price.cast(MONEY) - expected).cast(MONEY),
        price_source=joined.t_source,
        mff_found=joined.m_mff.notnull(),
    )


def apc_point_of_delivery(apc: ir.Table, tariff: ir.Table) -> ir.Table:
    """The spells with `fy` and `expected_pod` (the short-stay rule needs the tariff)."""
    short_stay = tariff.filter(tariff.point_of_delivery == "NELST").select(
        s_year=fy_label_start_year(tariff.financial_year),
        s_hrg=tariff.hrg_code,
        s_max_los=tariff.short_stay_max_los_days,
        s_min_age=tariff.short_stay_min_age,
    )
    with_fy = _with_fy(apc, apc.discharge_date)
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


PRICE_COLUMNS = ("t_price", "t_price_p", "t_trim", "t_rate", "t_rate_p", "t_source")


def _join_prices(
    rows: ir.Table, key: str, prices: ir.Table, mff: ir.Table, local: ir.Table | None = None
) -> ir.Table:
    """Rows (with `fy` and `expected_pod`) joined to their tariff row by (year, point of
    delivery, `key`) and to their provider's market forces factor for the year. With `local`
    (a list keyed by commissioner, `_local_prices`), a row the national tariff does not price
    takes its own commissioner's local price."""
    joined = rows.left_join(
        prices,
        [
            rows.fy == prices.t_year,
            rows.expected_pod == prices.t_pod,
            rows[key] == prices.t_key,
        ],
    )
    if local is not None:
        theirs = local.rename({f"l{c[1:]}": c for c in local.columns})
        joined = joined.left_join(
            theirs,
            [
                joined.fy == theirs.l_year,
                joined.expected_pod == theirs.l_pod,
                joined[key] == theirs.l_key,
                joined.commissioner_code == theirs.l_pct,
            ],
        )
        national = joined.t_price.notnull()
        joined = joined.mutate(
            **{c: ibis.ifelse(national, joined[c], joined[f"l{c[1:]}"]) for c in PRICE_COLUMNS}
        ).drop(*theirs.columns)
    factors = _mff_lookup(mff)
    return joined.left_join(
        factors, [joined.fy == factors.m_year, joined.provider_code == factors.m_provider]
    )


APC_PODS = tuple(sorted(APC_POINTS_OF_DELIVERY))


def cost_apc(
    apc: ir.Table, tariff: ir.Table, mff: ir.Table, local_prices: ir.Table | None = None
) -> ir.Table:
    """Admitted patient care spells with their expected price and its components."""
    columns = list(apc.columns)
    spells = apc_point_of_delivery(apc, tariff)
    prices = _prices(tariff, local_prices, APC_PODS, False)
    local = _local_prices(local_prices, APC_PODS, False, prices)
    joined = _join_prices(spells, "hrg_code", prices, mff, local)
    over_trim = joined.length_of_stay - joined.t_trim
    ebd = ibis.ifelse(
        joined.expected_pod.isin(("EL", "NEL")) & (over_trim > 0), over_trim, 0
    ).fill_null(0)
    return _finish(joined, columns, ebd.cast("int64"), ibis.literal(True))


def cost_op(
    op: ir.Table, tariff: ir.Table, mff: ir.Table, local_prices: ir.Table | None = None
) -> ir.Table:
    """Outpatient attendances: procedures by HRG, attendances by treatment function, DNAs free."""
    columns = list(op.columns)
    pod = ibis.cases(
        (op.procedure_flag, "OPPROC"),
        (op.first_attendance.isin(FIRST_ATTENDANCES), "OPFA"),
        else_="OPFUP",
    )
    rows = _with_fy(op, op.attendance_date).mutate(
        expected_pod=pod,
        lookup_key=ibis.ifelse(op.procedure_flag, op.hrg_code, op.treatment_function_code),
    )
    by_hrg = _prices(tariff, local_prices, ("OPPROC",), False)
    by_tf = _prices(tariff, local_prices, ("OPFA", "OPFUP"), True)
    local_hrg = _local_prices(local_prices, ("OPPROC",), False, by_hrg)
    local_tf = _local_prices(local_prices, ("OPFA", "OPFUP"), True, by_hrg)
    local = None if local_hrg is None or local_tf is None else local_hrg.union(local_tf)
    joined = _join_prices(rows, "lookup_key", by_hrg.union(by_tf), mff, local)
    attended = joined.attended_or_did_not_attend.isin(ATTENDED)
    return _finish(joined, columns, ibis.literal(0).cast("int64"), attended)


def cost_ae(
    ae: ir.Table, tariff: ir.Table, mff: ir.Table, local_prices: ir.Table | None = None
) -> ir.Table:
    """A&E attendances, priced by HRG."""
    columns = list(ae.columns)
    rows = _with_fy(ae, ae.arrival_date).mutate(expected_pod=ibis.literal("AE"))
    prices = _prices(tariff, local_prices, ("AE",), False)
    local = _local_prices(local_prices, ("AE",), False, prices)
    joined = _join_prices(rows, "hrg_code", prices, mff, local)
    return _finish(joined, columns, ibis.literal(0).cast("int64"), ibis.literal(True))


IMAGING_POD = "IMG"


def cost_imaging(
    imaging: ir.Table, tariff: ir.Table, mff: ir.Table, local_prices: ir.Table | None = None
) -> ir.Table:
    """Unbundled diagnostic imaging, priced by imaging HRG from the local price list × MFF."""
    if local_prices is None:
        raise ValueError("imaging is priced from the local price list: pass local_prices")
    columns = list(imaging.columns)
    rows = _with_fy(imaging, imaging.imaging_date).mutate(expected_pod=ibis.literal(IMAGING_POD))
    prices = _prices(tariff, local_prices, (IMAGING_POD,), False)
    local = _local_prices(local_prices, (IMAGING_POD,), False, prices)
    joined = _join_prices(rows, "hrg_code", prices, mff, local)
    return _finish(joined, columns, ibis.literal(0).cast("int64"), ibis.literal(True))


COSTERS = {"apc": cost_apc, "op": cost_op, "ae": cost_ae, "imaging": cost_imaging}


def cost(
    dataset: str,
    activity: ir.Table,
    tariff: ir.Table,
    mff: ir.Table,
    local_prices: ir.Table | None = None,
) -> ir.Table:
    """Cost one activity dataset ("apc", "op", "ae" or "imaging"). With `local_prices`, rows the
    national tariff does not price are priced from the local price list (imaging needs it)."""
    return COSTERS[dataset](activity, tariff, mff, local_prices)
