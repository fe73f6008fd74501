"""The registered population on a date: one row per person, with age and conditions.

Engine-portable Ibis. A person is counted on date D when one of their registrations covers D
(`registration_start_date <= D <= registration_end_date`, open end = still registered) and
they had not died before D (`date_of_death` empty or on/after D). A person with overlapping
registrations (rare: a transfer recorded late) counts once, at the latest-starting one.

Conditions are the five disease registers of the patient register; a person is on a register
on D when the diagnosis date is on or before D.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

#: Register name -> diagnosis date column of `patients`.
CONDITIONS: dict[str, str] = {
    "diabetes": "diabetes_diagnosis_date",
    "copd": "copd_diagnosis_date",
    "heart_failure": "heart_failure_diagnosis_date",
    "chd": "chd_diagnosis_date",
    "hypertension": "hypertension_diagnosis_date",
}
CONDITION_LABELS: dict[str, str] = {
    "diabetes": "Diabetes",
    "copd": "COPD",
    "heart_failure": "Heart failure",
    "chd": "Coronary heart disease",
    "hypertension": "Hypertension",
}

#: The 19 five-year bands of `list_sizes` and the European Standard Population 2013, in order.
AGE_BANDS: tuple[str, ...] = (*(f"{a}-{a + 4}" for a in range(0, 90, 5)), "90+")


def age_on(date_of_birth: ir.DateValue, on: dt.date) -> ir.IntegerValue:
    """Completed years of age on `on`."""
    before_birthday = (date_of_birth.month() * 100 + date_of_birth.day()) > (
        on.month * 100 + on.day
    )
    age = ibis.literal(on.year) - date_of_birth.year() - ibis.ifelse(before_birthday, 1, 0)
    return age.cast("int64")


def five_year_band(age: ir.IntegerValue) -> ir.StringValue:
    """'0-4', '5-9', ..., '85-89', '90+' (the labels of `AGE_BANDS`)."""
    low = (age // 5) * 5
    label = low.cast("string").concat("-", (low + 4).cast("string"))
    return ibis.ifelse(age >= 90, "90+", label)


def registered_on(patients: ir.Table, on: dt.date) -> ir.Table:
    """One row per person registered and alive on `on`.

    Columns: nhs_number, gp_practice_code, sex, deprivation_quintile, lsoa_code, age, age_band,
    and one
    boolean per condition (`CONDITIONS` keys).
    """
    d = ibis.literal(on, type="date")
    p = patients
    live = p.filter(
        p.registration_start_date <= d,
        p.registration_end_date.isnull() | (p.registration_end_date >= d),
        p.date_of_death.isnull() | (p.date_of_death >= d),
    )
    live = live.mutate(
        _rn=ibis.row_number().over(
            group_by=live.nhs_number,
            order_by=[ibis.desc(live.registration_start_date), ibis.desc(live.gp_practice_code)],
        )
    )
    live = live.filter(live._rn == 0)
    age = age_on(live.date_of_birth, on)
    flags = {
        name: (live[col].notnull() & (live[col] <= d)).fill_null(False)
        for name, col in CONDITIONS.items()
    }
    return live.select(
        nhs_number=live.nhs_number,
        gp_practice_code=live.gp_practice_code,
        sex=live.sex,
        deprivation_quintile=live.deprivation_quintile.cast("int64"),
        lsoa_code=live.lsoa_code if "lsoa_code" in live.columns else ibis.null("string"),
        age=age,
        age_band=five_year_band(age),
        **flags,
    )
