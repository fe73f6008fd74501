"""Risk stratification features and outcome, built in Ibis from the warehouse.

For an index date D (the first day of the outcome year, 1 April):

- **population**: everyone registered and alive on D (`cohort.registered_on`);
- **outcome**: one or more emergency admissions (admission methods 21-28, 2A-2D) with an
  admission date in [D, D + 1 year). People who die in the year without an admission count as
  no admission (as PARR does);
- **features** (the previous 12 months, [D - 1 year, D)): emergency admissions, emergency bed
  days, days since the last emergency admission (365 when none), elective admissions (11-13),
  A&E attendances, outpatient attendances and did-not-attends; and on D: age, sex, deprivation
  quintile, the five conditions and their count.

Why 12 months and not 24: the demo data start in April 2005, so the training outcome year
2006/07 has only 12 months of history before it. Features must mean the same thing in the
training year, the evaluation year and the scoring year, so every year uses 12 months. With a
longer history, add a "months 13-24" block here.

Activity is matched to people by NHS number; rows with a missing or invalid number match no one.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from pbc.analytics.population.cohort import CONDITIONS, registered_on

EMERGENCY_METHODS = ("21", "22", "23", "24", "28", "2A", "2B", "2C", "2D")
ELECTIVE_METHODS = ("11", "12", "13")
OP_ATTENDED = ("5", "6")
OP_DID_NOT_ATTEND = ("3", "7")
NO_RECENT_ADMISSION_DAYS = 365

ACTIVITY_FEATURES: tuple[str, ...] = (
    "emergency_admissions",
    "emergency_bed_days",
    "days_since_emergency",
    "elective_admissions",
    "ae_attendances",
    "op_attendances",
    "op_dnas",
)
PERSON_FEATURES: tuple[str, ...] = (
    "age",
    "male",
    "deprivation_quintile",
    *CONDITIONS,
    "conditions",
)
#: Model inputs, in the column order the models are trained on.
FEATURES: tuple[str, ...] = (*PERSON_FEATURES, *ACTIVITY_FEATURES)


def year_before(index_date: dt.date) -> tuple[dt.date, dt.date]:
    """[start, end) of the 12 months before the index date."""
    return _shift_year(index_date, -1), index_date


def _shift_year(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _between(col: ir.DateValue, start: dt.date, end: dt.date) -> ir.BooleanValue:
    return (col >= ibis.literal(start, type="date")) & (col < ibis.literal(end, type="date"))


def features(
    patients: ir.Table, apc: ir.Table, ae: ir.Table, op: ir.Table, index_date: dt.date
) -> ir.Table:
    """One row per person registered on `index_date`: nhs_number, gp_practice_code, FEATURES."""
    start, end = year_before(index_date)
    d = ibis.literal(index_date, type="date")
    people = registered_on(patients, index_date)

    spells = apc.filter(_between(apc.admission_date, start, end), apc.nhs_number.notnull())
    emergency = spells.admission_method.isin(EMERGENCY_METHODS)
    spell_agg = spells.group_by(spells.nhs_number.name("s_nhs")).aggregate(
        emergency_admissions=emergency.cast("int64").sum(),
        emergency_bed_days=ibis.ifelse(emergency, spells.length_of_stay, 0).cast("int64").sum(),
        last_emergency=ibis.ifelse(emergency, spells.admission_date, ibis.null("date")).max(),
        elective_admissions=spells.admission_method.isin(ELECTIVE_METHODS).cast("int64").sum(),
    )
    a = ae.filter(_between(ae.arrival_date, start, end), ae.nhs_number.notnull())
    ae_agg = a.group_by(a.nhs_number.name("a_nhs")).aggregate(ae_attendances=a.count())
    o = op.filter(_between(op.attendance_date, start, end), op.nhs_number.notnull())
    op_agg = o.group_by(o.nhs_number.name("o_nhs")).aggregate(
        op_attendances=o.attended_or_did_not_attend.isin(OP_ATTENDED).cast("int64").sum(),
        op_dnas=o.attended_or_did_not_attend.isin(OP_DID_NOT_ATTEND).cast("int64").sum(),
    )
    j = people.left_join(spell_agg, people.nhs_number == spell_agg.s_nhs)
    j = j.left_join(ae_agg, j.nhs_number == ae_agg.a_nhs)
    j = j.left_join(op_agg, j.nhs_number == op_agg.o_nhs)
    zero = ibis.literal(0, type="int64")
    since = d.delta(j.last_emergency, unit="day").cast("int64")
    conditions = sum((j[c].cast("int64") for c in CONDITIONS), zero)
    return j.select(
        nhs_number=j.nhs_number,
        gp_practice_code=j.gp_practice_code,
        age=j.age,
        male=(j.sex == "M").cast("int64"),
        deprivation_quintile=j.deprivation_quintile,
        **{c: j[c].cast("int64") for c in CONDITIONS},
        conditions=conditions,
        emergency_admissions=j.emergency_admissions.fill_null(0).cast("int64"),
        emergency_bed_days=j.emergency_bed_days.fill_null(0).cast("int64"),
        days_since_emergency=since.fill_null(NO_RECENT_ADMISSION_DAYS),
        elective_admissions=j.elective_admissions.fill_null(0).cast("int64"),
        ae_attendances=j.ae_attendances.fill_null(0).cast("int64"),
        op_attendances=j.op_attendances.fill_null(0).cast("int64"),
        op_dnas=j.op_dnas.fill_null(0).cast("int64"),
    )


def outcome(apc: ir.Table, index_date: dt.date) -> ir.Table:
    """nhs_number of everyone with an emergency admission in the 12 months from `index_date`."""
    end = _shift_year(index_date, 1)
    s = apc.filter(
        _between(apc.admission_date, index_date, end),
        apc.admission_method.isin(EMERGENCY_METHODS),
        apc.nhs_number.notnull(),
    )
    return s.select(e_nhs=s.nhs_number).distinct()


def dataset(
    patients: ir.Table, apc: ir.Table, ae: ir.Table, op: ir.Table, index_date: dt.date
) -> ir.Table:
    """`features` plus `admitted` (1 when an emergency admission followed in the next year)."""
    f = features(patients, apc, ae, op, index_date)
    y = outcome(apc, index_date)
    j = f.left_join(y, f.nhs_number == y.e_nhs)
    return j.select(*f.columns, admitted=j.e_nhs.notnull().cast("int64")).order_by("nhs_number")
