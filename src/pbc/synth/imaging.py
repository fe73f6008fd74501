"""Unbundled diagnostic imaging (docs/data.md, "Local prices"): scans invoiced on their own line,
priced from the local price list x MFF, separately from the core spell or attendance.

Three sources, all drawn from the final clean activity (rows neither added nor altered by fault
injection), from their own random stream so every other dataset is unchanged by this one:

- outpatient first attendances (attended, no procedure) in the specialties that scan, on the
  attendance date (`parent_dataset` op);
- elective spells of the procedures that need pre-operative imaging, on the admission date
  (`parent_dataset` apc: the Dacorum plan's "unbundling of elective tariffs ... e.g.
  diagnostics");
- GP direct access: a scan some weeks before a GP-referred first attendance, with no parent row
  (a non-tariff service bought cost per case).

Every row is charged exactly at its local price x the provider's MFF (no imaging faults).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pbc.periods import FinancialYear
from pbc.synth import tariff as tf
from pbc.synth.config import age_in_years, financial_year_start
from pbc.synth.people import Population

STREAM = 700
MRI, CT, DEXA, US, XR = "RA01Z", "RA08Z", "RA15Z", "RA23Z", "RA26Z"

# Outpatient first attendances: treatment function -> (probability of a scan, modality weights).
OUTPATIENT_MIX: dict[str, tuple[float, dict[str, float]]] = {
    "100": (0.25, {US: 0.7, CT: 0.3}),
    "101": (0.30, {US: 0.7, CT: 0.3}),
    "110": (0.35, {XR: 0.6, MRI: 0.3, US: 0.1}),
    "301": (0.25, {US: 0.6, CT: 0.4}),
    "320": (0.10, {XR: 0.5, MRI: 0.5}),
    "340": (0.30, {XR: 0.6, CT: 0.4}),
    "400": (0.40, {MRI: 0.8, CT: 0.2}),
    "410": (0.30, {XR: 0.5, DEXA: 0.3, US: 0.2}),
    "430": (0.20, {DEXA: 0.5, XR: 0.5}),
    "502": (0.30, {US: 1.0}),
}
# Elective spells: HRG -> (probability of pre-operative imaging, modality).
ELECTIVE_MIX: dict[str, tuple[float, str]] = {
    "HB12C": (0.8, XR),
    "HB21C": (0.8, XR),
    "HB61C": (0.5, MRI),
    "GA10Z": (0.6, US),
    "LB25C": (0.4, US),
    "MA07Z": (0.5, US),
}
# GP direct access: share of GP-referred first attendances (in the specialties above) preceded by
# a direct-access scan, and how many days before.
DIRECT_ACCESS_SHARE = 0.15
DIRECT_ACCESS_DAYS = (7, 42)
GP_REFERRAL = "03"


# The columns `_rows` copies from a parent row.
_ROW_COLUMNS = ("person", "nhs_number", "gp_practice_code", "commissioner_code", "provider_code",
                "sex")  # fmt: skip


def _clean(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """The rows no fault touched, with only `columns` and those `_rows` copies."""
    keep = ~df["_new"].to_numpy() & df["_rule"].isna().to_numpy()
    return df.loc[keep, [*_ROW_COLUMNS, *columns]]


def _modality(rng: np.random.Generator, tfc: np.ndarray) -> np.ndarray:
    out = np.empty(len(tfc), dtype=object)
    u = rng.random(len(tfc))
    for code, (_p, weights) in OUTPATIENT_MIX.items():
        m = tfc == code
        names = list(weights)
        cum = np.cumsum([weights[n] for n in names])
        idx = np.minimum(np.searchsorted(cum, u[m] * cum[-1], side="right"), len(names) - 1)
        out[m] = np.array(names, dtype=object)[idx]
    return out


def _rows(src: pd.DataFrame, day: np.ndarray, hrg: np.ndarray, parent: str | None,
          parent_id: str) -> pd.DataFrame:  # fmt: skip
    return pd.DataFrame(
        {
            "person": src["person"].to_numpy(),
            "nhs_number": src["nhs_number"].to_numpy(),
            "gp_practice_code": src["gp_practice_code"].to_numpy(),
            "commissioner_code": src["commissioner_code"].to_numpy(),
            "provider_code": src["provider_code"].to_numpy(),
            "sex": src["sex"].to_numpy(),
            "imaging_date": day.astype(np.int64),
            "parent_dataset": parent,
            "parent_row_id": src[parent_id].to_numpy() if parent else None,
            "hrg_code": hrg,
        }
    )


def imaging_frame(
    apc: pd.DataFrame,
    op: pd.DataFrame,
    pop: Population,
    local_prices: pd.DataFrame,
    mff: pd.DataFrame,
    start_day: int,
    seed: int,
) -> pd.DataFrame:
    """The `imaging` dataset (dates as day numbers, money in pennies, MFF in 1/10,000 units)
    from the final (keyed) apc and op frames."""
    rng = np.random.default_rng([seed, STREAM])
    o = _clean(op, "attendance_id", "attendance_date", "first_attendance",
               "attended_or_did_not_attend", "procedure_flag", "treatment_function_code",
               "referral_source")  # fmt: skip
    first = (
        o["first_attendance"].isin(["1", "3"]).to_numpy()
        & o["attended_or_did_not_attend"].isin(["5", "6"]).to_numpy()
        & ~o["procedure_flag"].to_numpy(dtype=bool)
    )
    tfc = o["treatment_function_code"].to_numpy().astype(str)
    p_scan = np.array([OUTPATIENT_MIX.get(t, (0.0, {}))[0] for t in tfc])
    u_scan, u_direct = rng.random(len(o)), rng.random(len(o))
    days_before = rng.integers(DIRECT_ACCESS_DAYS[0], DIRECT_ACCESS_DAYS[1] + 1, len(o))
    modality = _modality(rng, tfc)
    attended_scan = first & (u_scan < p_scan)
    direct = (
        first
        & (p_scan > 0)
        & (o["referral_source"].to_numpy().astype(str) == GP_REFERRAL)
        & (u_direct < DIRECT_ACCESS_SHARE)
    )
    direct_day = o["attendance_date"].to_numpy(dtype=np.int64) - days_before
    direct &= direct_day >= start_day
    parts = [
        _rows(o[attended_scan], o["attendance_date"].to_numpy()[attended_scan],
              modality[attended_scan], "op", "attendance_id"),
        _rows(o[direct], direct_day[direct], modality[direct], None, ""),
    ]  # fmt: skip

    a = _clean(apc, "spell_id", "admission_date", "hrg_code", "admission_method")
    hrg = a["hrg_code"].to_numpy().astype(str)
    p_pre = np.array([ELECTIVE_MIX.get(h, (0.0, ""))[0] for h in hrg])
    pre = a["admission_method"].isin(["11", "12", "13"]).to_numpy() & (rng.random(len(a)) < p_pre)
    parts.append(
        _rows(a[pre], a["admission_date"].to_numpy()[pre],
              np.array([ELECTIVE_MIX[h][1] for h in hrg[pre]], dtype=object), "apc", "spell_id")
    )  # fmt: skip

    df = pd.concat(parts, ignore_index=True)
    df = df.sort_values("imaging_date", kind="stable").reset_index(drop=True)
    df["imaging_id"] = np.char.add("I", np.char.zfill(np.arange(len(df)).astype(str), 10))
    day = df["imaging_date"].to_numpy()
    df["age_at_imaging"] = age_in_years(pop.dob[df["person"].to_numpy()], day)
    years = financial_year_start(day)
    labels = {y: str(FinancialYear(int(y))) for y in np.unique(years)}
    df["financial_year"] = pd.Series(years).map(labels).to_numpy()
    df["point_of_delivery"] = "IMG"
    priced = tf.price_pennies(
        df, local_prices[local_prices["point_of_delivery"] == "IMG"].assign(
            trim_point_days=pd.NA, excess_bed_day_rate=pd.NA
        ), mff,
    )  # fmt: skip
    if (priced["price"] < 0).any():
        raise RuntimeError("imaging: a scan has no local price")
    df["charged_point_of_delivery"] = "IMG"
    df["charged_hrg_code"] = df["hrg_code"]
    df["charged_excess_bed_days"] = 0
    df["market_forces_factor"] = priced["mff"].to_numpy()
    df["charged_price"] = priced["price"].to_numpy()
    return df
