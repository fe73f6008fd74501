"""Referral management for the specialties both 2008/09 plans redesign (issue 19 item 3).

Pure functions over Ibis tables (the warehouse's `referrals`, `patients`, `list_sizes` and `op`),
the same on every engine, and plain Python over their (small) results:

- `standardised_referrals`: each practice's GP referrals to a specialty over a period,
  indirectly standardised for age and sex. Observed = the practice's referrals; expected = its
  registered population in each five-year age band and sex (person-years: each month's list size
  of the month's quarter, over 12) times the reference rate of that band and sex, the reference
  being every practice in the tables given. A referral's age band is the patient's age on the
  referral date (date of birth and sex from the `patients` register); referrals of patients not
  on the register, or of a practice, band or sex with no registered population, are left out of
  both the practice's count and the reference (they cannot be standardised).
  `referral_ratios` turns the rows into the standardised ratio (O/E × 100) with exact (below 10
  referrals) or Byar's limits, as `pbc.stats.isr`, and the indirectly standardised rate per
  1,000 per year (the ratio times the reference's crude rate).
- `new_to_follow_up`: attended first and follow-up outpatient attendances per practice and
  treatment function over a period; `against_benchmark` gives each row's follow-ups per first
  attendance, the benchmark ratio for its treatment function and the follow-ups above it.
- `before_after`: referrals and person-years of a set of practices in the months before a
  redesign's start date and as many months from it; `pbc.stats.rate_ratio` gives the change
  with its confidence interval.

Treatment function codes are the NHS Data Dictionary's (TREATMENT FUNCTION CODE): see
`REDESIGN_SPECIALTIES`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from pbc.periods import add_months, months_between, quarter_of
from pbc.stats.intervals import Interval, count_limits, rate_method
from pbc.warehouse.datasets import AGE_BANDS, ATTENDED, FIRST_ATTENDANCES

# The redesign specialties of both plans and their treatment function codes (NHS Data
# Dictionary TREATMENT FUNCTION CODE): 330 Dermatology, 410 Rheumatology, 340 Respiratory
# Medicine, 307 Diabetic Medicine, 502 Gynaecology, 130 Ophthalmology, 110 Trauma and
# Orthopaedics (the plans' MSK), 400 Neurology, and the mental illness specialties 710 Adult
# Mental Illness, 711 Child and Adolescent Psychiatry, 712 Forensic Psychiatry, 713
# Psychotherapy and 715 Old Age Psychiatry.
REDESIGN_SPECIALTIES: dict[str, tuple[str, ...]] = {
    "dermatology": ("330",),
    "rheumatology": ("410",),
    "respiratory": ("340",),
    "diabetes": ("307",),
    "gynaecology": ("502",),
    "ophthalmology": ("130",),
    "trauma-orthopaedics": ("110",),
    "neurology": ("400",),
    "mental-health": ("710", "711", "712", "713", "715"),
}
OPEN_BAND = 90  # the last five-year band, 90+


def month_span(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of each month from `first`'s month to `last`'s, inclusive."""
    return [add_months(first, i) for i in range(months_between(first, last) + 1)]


def _months(months: Sequence[dt.date]) -> ir.Table:
    return ibis.memtable(
        {"month": list(months), "quarter_start": [quarter_of(m) for m in months]},
        schema={"month": "date", "quarter_start": "date"},
    )


def _band_lower_of_age(age: ir.IntegerValue) -> ir.IntegerValue:
    lower = (age / 5).floor().cast("int64") * 5
    return ibis.cases((lower >= OPEN_BAND, OPEN_BAND), else_=lower)


def _band_lower_of_label(band: ir.StringValue) -> ir.IntegerValue:
    return band.replace("+", "").split("-")[0].cast("int64")


def _list_sizes(list_sizes: ir.Table) -> ir.Table:
    return list_sizes.select(
        "gp_practice_code", "quarter_start", "sex", "age_band", "registered_patients"
    )


def person_years(list_sizes: ir.Table, months: Sequence[dt.date]) -> ir.Table:
    """gp_practice_code, sex, band (lower age), person_years: each month's registered patients
    (of the quarter containing it) over 12, summed over the months; five-year bands only."""
    ls = _list_sizes(list_sizes)
    ls = ls.filter(ls.sex.isin(["M", "F"]) & ls.age_band.isin(list(AGE_BANDS)))
    m = _months(months)
    j = m.join(ls, m.quarter_start == ls.quarter_start)
    return j.group_by(
        gp_practice_code=j.gp_practice_code, sex=j.sex, band=_band_lower_of_label(j.age_band)
    ).aggregate(person_years=(j.registered_patients.sum() / 12.0).cast("float64"))


def referrals_by_band(
    referrals: ir.Table, patients: ir.Table, codes: Sequence[str], first: dt.date, last: dt.date
) -> ir.Table:
    """gp_practice_code, sex, band, referrals: GP referrals to the treatment functions from the
    first day of `first`'s month to the last day of `last`'s, by the patient's age band on the
    referral date and sex (patients not on the register are left out)."""
    end = add_months(last.replace(day=1), 1)
    r = referrals.select(
        "gp_practice_code", "treatment_function_code", "referral_date", "nhs_number"
    )
    r = r.filter(
        r.treatment_function_code.isin(list(codes))
        & (r.referral_date >= first.replace(day=1))
        & (r.referral_date < end)
    )
    people = patients.select(
        p_nhs=patients.nhs_number, p_dob=patients.date_of_birth, p_sex=patients.sex
    ).distinct()
    j = r.join(people, r.nhs_number == people.p_nhs)
    before_birthday = (j.referral_date.month() * 100 + j.referral_date.day()) < (
        j.p_dob.month() * 100 + j.p_dob.day()
    )
    age = j.referral_date.year() - j.p_dob.year() - before_birthday.cast("int64")
    return j.group_by(
        gp_practice_code=j.gp_practice_code, sex=j.p_sex, band=_band_lower_of_age(age)
    ).aggregate(referrals=j.count().cast("float64"))


def standardised_referrals(
    referrals: ir.Table,
    patients: ir.Table,
    list_sizes: ir.Table,
    codes: Sequence[str],
    first: dt.date,
    last: dt.date,
) -> ir.Table:
    """gp_practice_code, observed, expected, person_years, reference_referrals,
    reference_person_years: one row per practice with a registered population in the period."""
    py = person_years(list_sizes, month_span(first, last))
    counted = referrals_by_band(referrals, patients, codes, first, last)
    keys = py.select(k_code=py.gp_practice_code, k_sex=py.sex, k_band=py.band)
    known = counted.join(
        keys,
        (counted.gp_practice_code == keys.k_code)
        & (counted.sex == keys.k_sex)
        & (counted.band == keys.k_band),
    ).select("gp_practice_code", "sex", "band", "referrals")
    ref_counts = known.group_by(r_sex=known.sex, r_band=known.band).aggregate(
        r_referrals=known.referrals.sum()
    )
    ref_py = py.group_by(q_sex=py.sex, q_band=py.band).aggregate(q_py=py.person_years.sum())
    ref = ref_py.left_join(
        ref_counts, (ref_py.q_sex == ref_counts.r_sex) & (ref_py.q_band == ref_counts.r_band)
    )
    ref = ref.select(
        s_sex=ref.q_sex,
        s_band=ref.q_band,
        s_rate=ref.r_referrals.fill_null(0.0) / ref.q_py,
    )
    e = py.join(ref, (py.sex == ref.s_sex) & (py.band == ref.s_band))
    expected = e.group_by(gp_practice_code=e.gp_practice_code).aggregate(
        expected=(e.person_years * e.s_rate).sum().cast("float64"),
        person_years=e.person_years.sum().cast("float64"),
    )
    observed = known.group_by(o_code=known.gp_practice_code).aggregate(
        o_count=known.referrals.sum()
    )
    out = expected.left_join(observed, expected.gp_practice_code == observed.o_code)
    totals_ref = known.aggregate(t_referrals=known.referrals.sum())
    totals_py = py.aggregate(t_py=py.person_years.sum())
    out = out.cross_join(totals_ref).cross_join(totals_py)
    return out.select(
        "gp_practice_code",
        observed=out.o_count.fill_null(0.0),
        expected=out.expected,
        person_years=out.person_years,
        reference_referrals=out.t_referrals.fill_null(0.0),
        reference_person_years=out.t_py,
    ).order_by("gp_practice_code")


@dataclass(frozen=True)
class ReferralRatio:
    gp_practice_code: str
    observed: float
    expected: float
    person_years: float
    ratio: Interval | None  # O/E × 100 with its limits; None when nothing is expected
    standardised_rate: Interval | None  # per 1,000 per year (the ratio × the reference rate)
    crude_rate: float | None  # per 1,000 per year


def referral_ratios(
    rows: Iterable[Mapping[str, float]], confidence: float = 0.95
) -> list[ReferralRatio]:
    """Each `standardised_referrals` row's ratio and rates with limits."""
    out = []
    for row in rows:
        o, e, py = float(row["observed"]), float(row["expected"]), float(row["person_years"])
        ref_py = float(row["reference_person_years"] or 0)
        reference_rate = float(row["reference_referrals"]) / ref_py * 1000 if ref_py else None
        ratio = rate = None
        if e > 0:
            lower, upper = count_limits(o, confidence, rate_method(o))
            ratio = Interval(
                o / e * 100, None if lower is None else lower / e * 100, upper / e * 100
            )
            if reference_rate is not None:
                scale = reference_rate / 100
                rate = Interval(
                    ratio.value * scale,
                    None if ratio.lower is None else ratio.lower * scale,
                    ratio.upper * scale,
                )
        out.append(
            ReferralRatio(
                str(row["gp_practice_code"]), o, e, py, ratio, rate, o / py * 1000 if py else None
            )
        )
    return out


# --- new to follow-up ---------------------------------------------------------------------------


def new_to_follow_up(op: ir.Table, codes: Sequence[str], first: dt.date, last: dt.date) -> ir.Table:
    """gp_practice_code, treatment_function_code, first, follow_up: attended outpatient
    attendances (did-not-attends left out) from `first`'s month to `last`'s, first attendances
    (first attendance 1 or 3) and follow-ups (the rest)."""
    end = add_months(last.replace(day=1), 1)
    o = op.select(
        "gp_practice_code",
        "treatment_function_code",
        "attendance_date",
        "attended_or_did_not_attend",
        "first_attendance",
    )
    o = o.filter(
        o.attended_or_did_not_attend.isin(list(ATTENDED))
        & o.treatment_function_code.isin(list(codes))
        & (o.attendance_date >= first.replace(day=1))
        & (o.attendance_date < end)
    )
    is_first = o.first_attendance.isin(list(FIRST_ATTENDANCES))
    return (
        o.group_by(
            gp_practice_code=o.gp_practice_code,
            treatment_function_code=o.treatment_function_code,
        )
        .aggregate(
            first=is_first.cast("int64").sum().cast("float64"),
            follow_up=(~is_first).cast("int64").sum().cast("float64"),
        )
        .order_by("gp_practice_code", "treatment_function_code")
    )


@dataclass(frozen=True)
class FollowUpLine:
    gp_practice_code: str
    treatment_function_code: str
    first: float
    follow_up: float
    ratio: float | None  # follow-ups per first attendance; None without first attendances
    benchmark: float | None
    above_benchmark: float | None  # follow-ups above benchmark × first attendances (0 if below)


def against_benchmark(
    rows: Iterable[Mapping[str, object]], benchmarks: Mapping[str, float]
) -> list[FollowUpLine]:
    """Each `new_to_follow_up` row against the benchmark ratio of its treatment function."""
    out = []
    for row in rows:
        first, follow = float(row["first"]), float(row["follow_up"])  # type: ignore[arg-type]
        tf = str(row["treatment_function_code"])
        benchmark = benchmarks.get(tf)
        out.append(
            FollowUpLine(
                str(row["gp_practice_code"]),
                tf,
                first,
                follow,
                follow / first if first else None,
                benchmark,
                max(follow - benchmark * first, 0.0) if benchmark is not None else None,
            )
        )
    return out


# --- before and after a redesign ----------------------------------------------------------------


def before_after(
    referrals: ir.Table,
    list_sizes: ir.Table,
    codes: Sequence[str],
    start: dt.date,
    months: int,
    practices: Sequence[str] | None = None,
) -> ir.Table:
    """period ("before", "after"), referrals, person_years: the practices' GP referrals to the
    treatment functions in the `months` months before the redesign's start month and the
    `months` months from it, with their registered person-years (all ages)."""
    start = start.replace(day=1)
    windows = {
        "before": month_span(add_months(start, -months), add_months(start, -1)),
        "after": month_span(start, add_months(start, months - 1)),
    }
    # Only the columns used: the warehouse's tables carry others (its partitions' `period`).
    r = referrals.select("gp_practice_code", "treatment_function_code", "referral_date")
    r = r.filter(r.treatment_function_code.isin(list(codes)))
    ls = _list_sizes(list_sizes)
    ls = ls.filter(list_sizes.sex.isin(["M", "F"]) & list_sizes.age_band.isin(list(AGE_BANDS)))
    if practices is not None:
        r = r.filter(r.gp_practice_code.isin(list(practices)))
        ls = ls.filter(ls.gp_practice_code.isin(list(practices)))
    period_of = ibis.memtable(
        {
            "w_month": [m for ms in windows.values() for m in ms],
            "w_quarter": [quarter_of(m) for ms in windows.values() for m in ms],
            "w_period": [p for p, ms in windows.items() for _ in ms],
        },
        schema={"w_month": "date", "w_quarter": "date", "w_period": "string"},
    )
    counted = r.mutate(r_month=r.referral_date.truncate("M").cast("date"))
    counted = counted.join(period_of, counted.r_month == period_of.w_month)
    counts = counted.group_by(c_period=counted.w_period).aggregate(
        c_referrals=counted.count().cast("float64")
    )
    pop = period_of.join(ls, period_of.w_quarter == ls.quarter_start)
    pys = pop.group_by(period=pop.w_period).aggregate(
        person_years=(pop.registered_patients.sum() / 12.0).cast("float64")
    )
    out = pys.left_join(counts, pys.period == counts.c_period)
    return out.select(
        "period", referrals=out.c_referrals.fill_null(0.0), person_years=out.person_years
    ).order_by("period")
