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

**Pseudonymised HES / SUS extracts** (`patient_pseudonym`, no NHS number) cannot be linked to
the register (`patients` is by NHS number), so those rows match no registered person above.
`pseudonymised_features` builds what such an extract supports instead: the *hospital-user
cohort*, one row per pseudonym with any activity in the 12 months before D (its practice, sex
and age from its latest activity), with the same ACTIVITY_FEATURES; `pseudonymised_dataset`
adds the outcome, matched by pseudonym. The register's features (conditions, deprivation,
everyone without hospital activity) are absent, so the trained models (fitted on FEATURES over
the registered population) do not apply: the activity baseline (`risk_model.baseline_score`,
emergency admissions) and the rule (`risk_model.rule_flag`, 2+) do. docs/data.md "Risk and case
finding on pseudonymised extracts" says what an analyst can and cannot do with them.
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


def _activity(
    apc: ir.Table, ae: ir.Table, op: ir.Table, start: dt.date, end: dt.date, person: str
) -> tuple[ir.Table, ir.Table, ir.Table]:
    """Each person's activity in [start, end), by `person` ("nhs_number", or
    "patient_pseudonym" for the rows that carry no NHS number): spells (keyed `s_key`), A&E
    attendances (`a_key`) and outpatient attendances (`o_key`)."""

    def rows(t: ir.Table, date: str) -> ir.Table:
        keyed = t.filter(_between(t[date], start, end), t[person].notnull())
        return keyed.filter(t.nhs_number.isnull()) if person != "nhs_number" else keyed

    spells = rows(apc, "admission_date")
    emergency = spells.admission_method.isin(EMERGENCY_METHODS)
    spell_agg = spells.group_by(spells[person].name("s_key")).aggregate(
        emergency_admissions=emergency.cast("int64").sum(),
        emergency_bed_days=ibis.ifelse(emergency, spells.length_of_stay, 0).cast("int64").sum(),
        last_emergency=ibis.ifelse(emergency, spells.admission_date, ibis.null("date")).max(),
        elective_admissions=spells.admission_method.isin(ELECTIVE_METHODS).cast("int64").sum(),
    )
    a = rows(ae, "arrival_date")
    ae_agg = a.group_by(a[person].name("a_key")).aggregate(ae_attendances=a.count())
    o = rows(op, "attendance_date")
    op_agg = o.group_by(o[person].name("o_key")).aggregate(
        op_attendances=o.attended_or_did_not_attend.isin(OP_ATTENDED).cast("int64").sum(),
        op_dnas=o.attended_or_did_not_attend.isin(OP_DID_NOT_ATTEND).cast("int64").sum(),
    )
    return spell_agg, ae_agg, op_agg


def _with_activity(
    people: ir.Table, key: str, activity: tuple[ir.Table, ir.Table, ir.Table]
) -> ir.Table:
    spell_agg, ae_agg, op_agg = activity
    j = people.left_join(spell_agg, people[key] == spell_agg.s_key)
    j = j.left_join(ae_agg, j[key] == ae_agg.a_key)
    return j.left_join(op_agg, j[key] == op_agg.o_key)


def _activity_features(j: ir.Table, d: ir.DateValue) -> dict[str, ir.Value]:
    since = d.delta(j.last_emergency, unit="day").cast("int64")
    return {
        "emergency_admissions": j.emergency_admissions.fill_null(0).cast("int64"),
        "emergency_bed_days": j.emergency_bed_days.fill_null(0).cast("int64"),
        "days_since_emergency": since.fill_null(NO_RECENT_ADMISSION_DAYS),
        "elective_admissions": j.elective_admissions.fill_null(0).cast("int64"),
        "ae_attendances": j.ae_attendances.fill_null(0).cast("int64"),
        "op_attendances": j.op_attendances.fill_null(0).cast("int64"),
        "op_dnas": j.op_dnas.fill_null(0).cast("int64"),
    }


def features(
    patients: ir.Table, apc: ir.Table, ae: ir.Table, op: ir.Table, index_date: dt.date
) -> ir.Table:
    """One row per person registered on `index_date`: nhs_number, gp_practice_code, FEATURES."""
    start, end = year_before(index_date)
    d = ibis.literal(index_date, type="date")
    people = registered_on(patients, index_date)
    j = _with_activity(people, "nhs_number", _activity(apc, ae, op, start, end, "nhs_number"))
    zero = ibis.literal(0, type="int64")
    conditions = sum((j[c].cast("int64") for c in CONDITIONS), zero)
    return j.select(
        nhs_number=j.nhs_number,
        gp_practice_code=j.gp_practice_code,
        age=j.age,
        male=(j.sex == "M").cast("int64"),
        deprivation_quintile=j.deprivation_quintile,
        **{c: j[c].cast("int64") for c in CONDITIONS},
        conditions=conditions,
        **_activity_features(j, d),
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


PSEUDONYMISED_FEATURES: tuple[str, ...] = ("age", "male", *ACTIVITY_FEATURES)
"""What a pseudonymised extract gives each person: no conditions, no deprivation."""


def _latest_activity(
    apc: ir.Table, ae: ir.Table, op: ir.Table, start: dt.date, end: dt.date
) -> ir.Table:
    """Per pseudonym with activity in [start, end): the practice, sex and age of its latest
    activity row (spell admission, A&E arrival or outpatient attendance; ties: the larger
    practice code, so the choice is the same on every engine)."""
    parts = []
    for t, date, age in (
        (apc, "admission_date", "age_on_admission"),
        (ae, "arrival_date", "age_at_attendance"),
        (op, "attendance_date", "age_at_attendance"),
    ):
        rows = t.filter(
            _between(t[date], start, end), t.nhs_number.isnull(), t.patient_pseudonym.notnull()
        )
        parts.append(
            rows.select(
                patient_pseudonym=rows.patient_pseudonym,
                _date=rows[date].cast("date"),
                gp_practice_code=rows.gp_practice_code,
                sex=rows.sex,
                age=rows[age].cast("int64"),
            )
        )
    rows = ibis.union(*parts, distinct=False)
    order = ibis.window(
        group_by=rows.patient_pseudonym,
        order_by=[ibis.desc(rows._date), ibis.desc(rows.gp_practice_code)],
    )
    ranked = rows.mutate(_rank=ibis.row_number().over(order))
    latest = ranked.filter(ranked._rank == 0)
    return latest.select("patient_pseudonym", "gp_practice_code", "sex", "age")


def pseudonymised_features(
    apc: ir.Table, ae: ir.Table, op: ir.Table, index_date: dt.date
) -> ir.Table:
    """One row per pseudonymised patient with any activity in the 12 months before
    `index_date` (the hospital-user cohort of an extract without NHS numbers):
    patient_pseudonym, gp_practice_code, PSEUDONYMISED_FEATURES."""
    start, end = year_before(index_date)
    d = ibis.literal(index_date, type="date")
    people = _latest_activity(apc, ae, op, start, end)
    activity = _activity(apc, ae, op, start, end, "patient_pseudonym")
    j = _with_activity(people, "patient_pseudonym", activity)
    return j.select(
        patient_pseudonym=j.patient_pseudonym,
        gp_practice_code=j.gp_practice_code,
        age=j.age,
        male=(j.sex == "M").cast("int64"),
        **_activity_features(j, d),
    )


def pseudonymised_dataset(
    apc: ir.Table, ae: ir.Table, op: ir.Table, index_date: dt.date
) -> ir.Table:
    """`pseudonymised_features` plus `admitted` (an emergency admission of the same pseudonym
    in the 12 months from `index_date`)."""
    f = pseudonymised_features(apc, ae, op, index_date)
    end = _shift_year(index_date, 1)
    s = apc.filter(
        _between(apc.admission_date, index_date, end),
        apc.admission_method.isin(EMERGENCY_METHODS),
        apc.nhs_number.isnull(),
        apc.patient_pseudonym.notnull(),
    )
    y = s.select(e_key=s.patient_pseudonym).distinct()
    j = f.left_join(y, f.patient_pseudonym == y.e_key)
    return j.select(*f.columns, admitted=j.e_key.notnull().cast("int64")).order_by(
        "patient_pseudonym"
    )
