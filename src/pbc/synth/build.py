"""Assemble the clean activity tables: registration at the activity date, commissioner,
derived point of delivery, tariff price, stable row keys.

Internal frames keep dates as day numbers and money as integer pennies; `tables.py` turns them
into the contract's Arrow types.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pbc.periods import FinancialYear
from pbc.synth import tariff as tf
from pbc.synth.activity import DIAGNOSIS, HRG_INFO, SURGICAL, ActivityBuilder
from pbc.synth.config import SynthConfig, financial_year_start
from pbc.synth.people import NO_DAY, Population, PracticeTable, registration_at
from pbc.synth.tables import sort_rows

HRG_TF = {code: h.treatment_function for code, h in HRG_INFO.items()}
STALE_SHARE = 0.3  # share of activity after leaving the area still invoiced to the old PCT

EMERGENCY_METHODS = np.array(["21", "22", "23", "24", "28", "2A", "2B", "2C", "2D"])
ELECTIVE_METHODS = np.array(["11", "12", "13"])


def attach_registration(
    df: pd.DataFrame,
    day_col: str,
    pop: Population,
    practices: PracticeTable,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Set gp_practice_code and commissioner_code from the registration on the activity date.

    Activity after death is dropped. Activity after the person left the area is dropped, except
    `STALE_SHARE` of it, which the provider invoices to the PCT of the last registration: those
    rows are the natural `not_registered_in_pct` faults."""
    person = df["person"].to_numpy()
    day = df[day_col].to_numpy()
    reg = registration_at(pop, person, day)
    alive = day <= pop.death_day[person]
    last = np.searchsorted(pop.reg_person, person, side="right") - 1
    after_leaving = (reg < 0) & (day > pop.reg_end[last])
    stale = after_leaving & (rng.random(len(df)) < STALE_SHARE)
    keep = alive & ((reg >= 0) | stale)
    use = np.where(reg >= 0, reg, last)
    practice_idx = pop.reg_practice[use]
    out = df.assign(
        practice=practice_idx,
        gp_practice_code=practices.code[practice_idx],
        commissioner_code=practices.pct[practice_idx],
    )
    return out[keep].reset_index(drop=True)


def _remove_overlaps(spells: pd.DataFrame) -> pd.DataFrame:
    """Drop spells that start before an earlier spell of the same person ends (the clean
    baseline has no overlapping or duplicate spells; faults add them)."""
    s = spells.sort_values(["person", "admission_date", "discharge_date"], kind="stable")
    person = s["person"].to_numpy()
    adm = s["admission_date"].to_numpy()
    dis = s["discharge_date"].to_numpy()
    keep = np.ones(len(s), dtype=bool)
    # iterate: compare with the previous kept spell's running maximum discharge
    prev_max = pd.Series(dis).groupby(person).cummax().shift(1).to_numpy()
    same = np.r_[False, person[1:] == person[:-1]]
    prev_adm = np.r_[-1, adm[:-1]]
    keep &= ~(same & ((adm < prev_max) | (adm == prev_adm)))
    return s[keep].reset_index(drop=True)


def _ages(pop: Population, person: np.ndarray, day: np.ndarray) -> np.ndarray:
    from pbc.synth.config import age_in_years

    return age_in_years(pop.dob[person], day)


def derive_apc_pod(df: pd.DataFrame, tariff: pd.DataFrame) -> np.ndarray:
    """Point of delivery under the PbR rules (tariff.py): elective methods -> DC when the length
    of stay is 0, else EL; emergency methods -> NELST when the short-stay adjustment applies,
    else NEL; maternity and other methods -> NEL."""
    method = df["admission_method"].to_numpy()
    los = df["length_of_stay"].to_numpy()
    elective = np.isin(method, ELECTIVE_METHODS)
    emergency = np.isin(method, EMERGENCY_METHODS)
    st = tariff[tariff["point_of_delivery"] == "NELST"][
        ["financial_year", "hrg_code", "short_stay_max_los_days", "short_stay_min_age"]
    ]
    m = df[["financial_year", "hrg_code"]].merge(st, how="left", on=["financial_year", "hrg_code"])
    eligible = (
        m["short_stay_max_los_days"].notna().to_numpy()
        & (los <= m["short_stay_max_los_days"].fillna(-1).to_numpy(dtype=np.int64))
        & (
            df["age_on_admission"].to_numpy()
            >= m["short_stay_min_age"].fillna(999).to_numpy(dtype=np.int64)
        )
    )
    return np.where(
        elective,
        np.where(los == 0, "DC", "EL"),
        np.where(emergency & eligible, "NELST", "NEL"),
    )


def build_activity(
    config: SynthConfig, pop: Population, practices: PracticeTable, seed: int
) -> dict[str, object]:
    b = ActivityBuilder(config, pop, practices, seed)
    b.emergency()
    place_of_death = b.terminal()
    b.maternity()
    referrals, rtt, pathway_rate = b.referrals()
    b.direct_electives(pathway_rate)
    b.other_outpatients()
    b.ae()
    rng = np.random.default_rng([seed, 300])
    end = config.end_day

    # --- admitted patient care --------------------------------------------------------------
    apc = pd.concat(b.spells, ignore_index=True)
    apc = apc[(apc["discharge_date"] <= end) & (apc["admission_date"] >= config.start_day)]
    apc = _remove_overlaps(apc)
    apc = attach_registration(apc, "admission_date", pop, practices, rng)
    person = apc["person"].to_numpy()
    apc["age_on_admission"] = _ages(pop, person, apc["admission_date"].to_numpy())
    apc["sex"] = np.where(pop.female[person], "F", "M")
    apc["treatment_function_code"] = apc["hrg_code"].map(HRG_TF)
    apc["primary_diagnosis_code"] = apc["hrg_code"].map(DIAGNOSIS)
    apc["procedure_flag"] = apc["hrg_code"].isin(list(SURGICAL))
    apc["financial_year"] = _fy(apc["discharge_date"].to_numpy())

    # --- outpatients -------------------------------------------------------------------------
    op = pd.concat(b.attendances, ignore_index=True)
    op = op[(op["attendance_date"] <= end) & (op["attendance_date"] >= config.start_day)]
    op = attach_registration(op, "attendance_date", pop, practices, rng)
    person = op["person"].to_numpy()
    op["age_at_attendance"] = _ages(pop, person, op["attendance_date"].to_numpy())
    op["sex"] = np.where(pop.female[person], "F", "M")
    op["financial_year"] = _fy(op["attendance_date"].to_numpy())

    # --- A&E ---------------------------------------------------------------------------------
    ae = pd.concat(b.ae_rows, ignore_index=True)
    ae = ae[(ae["arrival_date"] <= end) & (ae["arrival_date"] >= config.start_day)]
    ae = attach_registration(ae, "arrival_date", pop, practices, rng)
    person = ae["person"].to_numpy()
    ae["age_at_attendance"] = _ages(pop, person, ae["arrival_date"].to_numpy())
    ae["sex"] = np.where(pop.female[person], "F", "M")
    ae["financial_year"] = _fy(ae["arrival_date"].to_numpy())

    # --- referrals and RTT: only while registered (no invoicing involved) ---------------------
    referrals = referrals[referrals["referral_date"] <= end]
    referrals = attach_registration(referrals, "referral_date", pop, practices, rng)
    rtt = rtt[rtt["clock_start_date"] <= end]
    # pyarrow's set lookup: pandas' `isin` on text converts every value it is given one by one
    kept = pc.is_in(pa.array(rtt["referral_id"]), value_set=pa.array(referrals["referral_id"]))
    rtt = rtt[kept.to_numpy(zero_copy_only=False)].reset_index(drop=True)
    rtt["gp_practice_code"] = (
        referrals.set_index("referral_id").loc[rtt["referral_id"], "gp_practice_code"].to_numpy()
    )

    return {
        "apc": sort_rows(apc, ["discharge_date", "provider_code", "person", "admission_date"]),
        "op": sort_rows(op, ["attendance_date", "provider_code", "person", "first_attendance"]),
        "ae": sort_rows(ae, ["arrival_date", "provider_code", "person"]),
        "referrals": referrals.reset_index(drop=True),
        "rtt": rtt,
        "place_of_death": place_of_death,
    }


def price_activity(
    tables: dict[str, pd.DataFrame], tariff: pd.DataFrame, mff: pd.DataFrame
) -> None:
    """Derive points of delivery and charge every clean row exactly at tariff (in place)."""
    apc = tables["apc"]
    apc["point_of_delivery"] = derive_apc_pod(apc, tariff)
    priced = tf.price_pennies(apc, tariff, mff)
    apc["charged_point_of_delivery"] = apc["point_of_delivery"]
    apc["charged_hrg_code"] = apc["hrg_code"]
    apc["charged_excess_bed_days"] = priced["excess_bed_days"].to_numpy()
    apc["market_forces_factor"] = priced["mff"].to_numpy()
    apc["charged_price"] = priced["price"].to_numpy()

    op = tables["op"]
    first = op["first_attendance"].isin(["1", "3"]).to_numpy()
    op["point_of_delivery"] = np.where(
        op["procedure_flag"].to_numpy(), "OPPROC", np.where(first, "OPFA", "OPFUP")
    )
    priced = tf.price_pennies(op, tariff, mff)
    attended = op["attended_or_did_not_attend"].isin(["5", "6"]).to_numpy()
    op["charged_point_of_delivery"] = op["point_of_delivery"]
    op["charged_hrg_code"] = op["hrg_code"]
    op["charged_excess_bed_days"] = 0
    op["market_forces_factor"] = priced["mff"].to_numpy()
    op["charged_price"] = np.where(attended, priced["price"].to_numpy(), 0)

    ae = tables["ae"]
    ae["point_of_delivery"] = "AE"
    priced = tf.price_pennies(ae, tariff, mff)
    ae["charged_point_of_delivery"] = "AE"
    ae["charged_hrg_code"] = ae["hrg_code"]
    ae["charged_excess_bed_days"] = 0
    ae["market_forces_factor"] = priced["mff"].to_numpy()
    ae["charged_price"] = priced["price"].to_numpy()
    for name in ("apc", "op", "ae"):
        # pbc's own layout carries no pseudonymised ids or "not known" notes: NHS numbers and
        # the dataset's own codes throughout; nor the patient's LSOA (an extract's field: the
        # generated patients carry theirs on `patients`).
        tables[name]["patient_pseudonym"] = None
        tables[name]["not_known"] = None
        tables[name]["lsoa_code"] = None
        if (tables[name]["charged_price"] < 0).any():
            raise RuntimeError(f"{name}: a row has no tariff price")


def _fy(days: np.ndarray) -> np.ndarray:
    years = financial_year_start(days)
    labels = {y: str(FinancialYear(int(y))) for y in np.unique(years)}
    return (
        np.array([labels[y] for y in years])
        if len(years) < 1000
        else pd.Series(years).map(labels).to_numpy()
    )


__all__ = ["NO_DAY", "attach_registration", "build_activity", "price_activity"]
