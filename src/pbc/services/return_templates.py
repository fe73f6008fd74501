"""Provider return templates: one declarative definition per service.

Each template names its columns (NHS Data Dictionary names where one exists), what each cell
must hold, checks across a row, and the measures its reports show. `validation.validate` reads
an uploaded table against a template; `reports` computes the measures.

Choices where the plans are silent (a PCT contract manager's reading):
- Referral (or admission) dates must fall within the month the return covers: a monthly return
  reports the referrals received that month. Appointment and contact dates may fall later.
- `gp_practice_code` is the patient's registered practice and must be a practice of the
  contract's locality: the locality pays, so a patient of another locality is a query.
- Waiting time is days from referral to first appointment (or to first contact).
- Intermediate care: "respond within 2 hours of a referral, 12 hours a day" is measured on
  referrals received 08:00–19:59; out-of-hours referrals are the out-of-hours service's.
- Community matrons: "contact within one working day" means by the end of the next working day
  (Monday to Friday, England and Wales bank holidays of 2008–2010 excluded).
- MRSA screening: every elective admission (admission method 11, 12 or 13) should be screened
  on or before the admission date; compliance is screened ÷ elective admissions.
- Patient experience: one row per completed questionnaire, anonymous (the Picker / national
  inpatient survey asks overall "how would you rate the care you received"); the standard is
  the share rating it good, very good or excellent.
- Counselling waiting times are per practice and quarterly; waiting is banded at 4, 8 and 13
  weeks (the Improving Access to Psychological Therapies bands).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]

BANK_HOLIDAYS = frozenset(
    dt.date.fromisoformat(d)
    for d in [
        "2008-01-01",
        "2008-03-21",
        "2008-03-24",
        "2008-05-05",
        "2008-05-26",
        "2008-08-25",
        "2008-12-25",
        "2008-12-26",
        "2009-01-01",
        "2009-04-10",
        "2009-04-13",
        "2009-05-04",
        "2009-05-25",
        "2009-08-31",
        "2009-12-25",
        "2009-12-28",
        "2010-01-01",
        "2010-04-02",
        "2010-04-05",
        "2010-05-03",
        "2010-05-31",
        "2010-08-30",
        "2010-12-27",
        "2010-12-28",
    ]
)


def next_working_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5 or day in BANK_HOLIDAYS:
        day += dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str  # nhs_number, date, datetime, choice, practice, money, integer, text, yes_no, code
    required: bool = True
    choices: tuple[str, ...] = ()
    in_period: bool = False
    pattern: str = ""  # for kind "code": a regular expression the value must match
    help: str = ""


@dataclass(frozen=True)
class Compliance:
    """A standard met or not per row: `met(row)` gives True, False or None (not applicable)."""

    label: str
    met: Callable[[Row], bool | None]


@dataclass(frozen=True)
class ReturnTemplate:
    key: str
    name: str
    frequency: str  # "monthly" or "quarterly"
    provider_kinds: tuple[str, ...]
    columns: tuple[Column, ...]
    row_checks: tuple[Callable[[Row], list[tuple[str, str]]], ...] = ()
    unique: tuple[str, ...] = ()  # columns whose combination may appear once in a return
    volume_label: str = "referrals"
    volume: Callable[[Row], int] = lambda row: 1
    # (appointments not attended, appointments booked) for a row
    dna: Callable[[Row], tuple[int, int]] | None = None
    outcomes: tuple[str, ...] = ()  # choice columns tabulated in reports
    wait_days: Callable[[Row], int | None] | None = None
    wait_bands: Callable[[Row], dict[str, int]] | None = None  # aggregate templates
    compliance: Compliance | None = None
    cost: str = ""  # "" (none), "contract" (price per case) or a money column's name
    description: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _days_between(start: str, end: str) -> Callable[[Row], int | None]:
    def days(row: Row) -> int | None:
        if row.get(start) is None or row.get(end) is None:
            return None
        return (row[end] - row[start]).days

    return days


def _not_before(later: str, earlier: str, reason: str) -> Callable[[Row], list[tuple[str, str]]]:
    def check(row: Row) -> list[tuple[str, str]]:
        a, b = row.get(later), row.get(earlier)
        if a is not None and b is not None and a < b:
            return [(later, reason)]
        return []

    return check


def _dob_before(date_column: str) -> Callable[[Row], list[tuple[str, str]]]:
    return _not_before(date_column, "date_of_birth", "is before the date of birth")


NHS_NUMBER = Column("nhs_number", "NHS number", "nhs_number")
DATE_OF_BIRTH = Column("date_of_birth", "Date of birth", "date")
PRACTICE = Column("gp_practice_code", "Registered GP practice", "practice")


# --- Tier 2 ophthalmology (Dacorum plan: monthly report of The Practice plc) -------------------

OPHTHALMOLOGY_REFERRERS = (
    "gp",
    "optometrist",
    "ophthalmic_medical_practitioner",
    "minor_injury_unit",
    "a_and_e",
    "out_of_hours",
)


def _ophthalmology_checks(row: Row) -> list[tuple[str, str]]:
    problems = []
    seen = row.get("appointment_date") is not None
    outcome = row.get("appointment_outcome")
    triage = row.get("triage_outcome")
    if outcome and triage and triage != "treated_in_primary_care":
        problems.append(
            ("appointment_outcome", "an appointment outcome needs triage to primary care")
        )
    if outcome and not seen:
        problems.append(("appointment_date", "missing: the row has an appointment outcome"))
    wait, days = row.get("waiting_days"), _days_between("referral_date", "appointment_date")(row)
    if wait is not None and days is not None and wait != days:
        problems.append(
            ("waiting_days", f"says {wait} days but referral to appointment is {days} days")
        )
    if row.get("complaint") is False and row.get("complaint_details"):
        problems.append(("complaint_details", "details given but complaint is N"))
    return problems


TIER2_OPHTHALMOLOGY = ReturnTemplate(
    key="tier2-ophthalmology",
    name="Tier 2 ophthalmology triage and medical management",
    frequency="monthly",
    provider_kinds=("independent",),
    description="Monthly return the Dacorum plan specifies for the Tier 2 ophthalmology "
    "service: one row per referral received in the month.",
    columns=(
        NHS_NUMBER,
        DATE_OF_BIRTH,
        PRACTICE,
        Column("referrer_type", "Referrer", "choice", choices=OPHTHALMOLOGY_REFERRERS),
        Column("referral_date", "Date of referral", "date", in_period=True),
        Column("urgency", "Type of referral", "choice", choices=("urgent", "soon", "routine")),
        Column(
            "triage_route",
            "Triage route",
            "choice",
            choices=("paper", "electronic", "telephone", "email"),
        ),
        Column(
            "triage_outcome",
            "Outcome of triage",
            "choice",
            choices=("forwarded_to_acute", "returned_to_referrer", "treated_in_primary_care"),
        ),
        Column("appointment_date", "Date of appointment", "date", required=False),
        Column(
            "appointment_outcome",
            "Outcome of appointment",
            "choice",
            required=False,
            choices=("did_not_attend", "self_discharge", "treated_and_discharged", "referred_on"),
        ),
        Column("prescribing_cost", "Prescribing cost (£)", "money", required=False),
        Column(
            "diagnosis_code",
            "Diagnosis (ICD-10)",
            "code",
            required=False,
            pattern=r"^[A-Z][0-9]{2}(\.?[0-9X]{1,2})?$",
            help="ICD-10 code, e.g. H40.1",
        ),
        Column("complaint", "Complaint received (Y/N)", "yes_no"),
        Column("complaint_details", "Details of complaint", "text", required=False),
        Column("waiting_days", "Waiting time (days)", "integer", required=False),
    ),
    row_checks=(
        _dob_before("referral_date"),
        _not_before("appointment_date", "referral_date", "is before the referral date"),
        _ophthalmology_checks,
    ),
    dna=lambda row: (
        int(row.get("appointment_outcome") == "did_not_attend"),
        int(row.get("appointment_outcome") is not None),
    ),
    outcomes=("referrer_type", "urgency", "triage_route", "triage_outcome", "appointment_outcome"),
    wait_days=lambda row: (
        row.get("waiting_days")
        if row.get("waiting_days") is not None
        else _days_between("referral_date", "appointment_date")(row)
    ),
    cost="contract",
)


# --- Physiotherapy ("any willing provider", cost per case) ------------------------------------

PHYSIOTHERAPY = ReturnTemplate(
    key="physiotherapy",
    name="Direct access musculoskeletal physiotherapy",
    frequency="monthly",
    provider_kinds=("acute", "independent", "community"),
    description="Monthly return of any willing provider physiotherapy: one row per referral "
    "received in the month, with its activity and the cost per case.",
    columns=(
        NHS_NUMBER,
        DATE_OF_BIRTH,
        PRACTICE,
        Column("referral_date", "Date of referral", "date", in_period=True),
        Column("first_appointment_date", "Date of first appointment", "date", required=False),
        Column("attendances", "Attendances", "integer"),
        Column("dna_count", "Appointments not attended", "integer"),
        Column(
            "case_status",
            "Case status",
            "choice",
            choices=("waiting", "in_treatment", "discharged", "did_not_attend", "referred_on"),
        ),
        Column("case_cost", "Cost of the case (£)", "money"),
    ),
    row_checks=(
        _dob_before("referral_date"),
        _not_before("first_appointment_date", "referral_date", "is before the referral date"),
    ),
    dna=lambda row: (
        row.get("dna_count") or 0,
        (row.get("attendances") or 0) + (row.get("dna_count") or 0),
    ),
    outcomes=("case_status",),
    wait_days=_days_between("referral_date", "first_appointment_date"),
    cost="case_cost",
)


# --- Counselling LES waiting times (quarterly, per practice) ----------------------------------

COUNSELLING_BANDS = (
    "waiting_0_4_weeks",
    "waiting_4_8_weeks",
    "waiting_8_13_weeks",
    "waiting_13_weeks_plus",
)

COUNSELLING = ReturnTemplate(
    key="counselling-waits",
    name="Counselling waiting times by practice",
    frequency="quarterly",
    provider_kinds=("mental_health", "independent", "community"),
    description="Quarterly waiting times for the counselling LES, one row per practice: "
    "referrals, first sessions and the people waiting at the quarter's end by how long.",
    columns=(
        PRACTICE,
        Column("referrals_received", "Referrals received", "integer"),
        Column("first_sessions", "First sessions held", "integer"),
        Column("sessions_not_attended", "Sessions not attended", "integer"),
        Column("sessions_held", "Sessions held", "integer"),
        *(Column(b, b.replace("_", " ").capitalize(), "integer") for b in COUNSELLING_BANDS),
    ),
    unique=("gp_practice_code",),
    dna=lambda row: (
        row.get("sessions_not_attended") or 0,
        (row.get("sessions_held") or 0) + (row.get("sessions_not_attended") or 0),
    ),
    volume=lambda row: row.get("referrals_received") or 0,
    wait_bands=lambda row: {
        "0–4 weeks": row.get("waiting_0_4_weeks") or 0,
        "4–8 weeks": row.get("waiting_4_8_weeks") or 0,
        "8–13 weeks": row.get("waiting_8_13_weeks") or 0,
        "13 weeks or more": row.get("waiting_13_weeks_plus") or 0,
    },
)


# --- Intermediate care team (response within 2 hours, 12 hours a day) ------------------------


def _within_two_hours(row: Row) -> bool | None:
    referred, responded = row.get("referral_datetime"), row.get("response_datetime")
    if referred is None or not 8 <= referred.hour < 20:
        return None
    if responded is None:
        return False
    return responded - referred <= dt.timedelta(hours=2)


INTERMEDIATE_CARE = ReturnTemplate(
    key="intermediate-care",
    name="Intermediate care team response times",
    frequency="monthly",
    provider_kinds=("community",),
    description="Monthly: one row per referral to the intermediate care team.",
    columns=(
        NHS_NUMBER,
        PRACTICE,
        Column("referral_datetime", "Referral date and time", "datetime", in_period=True),
        Column("response_datetime", "First response date and time", "datetime", required=False),
        Column(
            "outcome",
            "Outcome",
            "choice",
            choices=("remained_at_home", "admitted_to_hospital", "residential_care", "died"),
        ),
    ),
    row_checks=(_not_before("response_datetime", "referral_datetime", "is before the referral"),),
    outcomes=("outcome",),
    compliance=Compliance("Responded within 2 hours (referrals 08:00–20:00)", _within_two_hours),
)


# --- Community matrons (contact within one working day) ---------------------------------------


def _within_one_working_day(row: Row) -> bool | None:
    referred, contacted = row.get("referral_date"), row.get("first_contact_date")
    if referred is None:
        return None
    return contacted is not None and contacted <= next_working_day(referred)


COMMUNITY_MATRONS = ReturnTemplate(
    key="community-matrons",
    name="Community matrons: contact after referral",
    frequency="monthly",
    provider_kinds=("community",),
    description="Monthly: one row per referral of a patient with long term conditions.",
    columns=(
        NHS_NUMBER,
        PRACTICE,
        Column("referral_date", "Date of referral", "date", in_period=True),
        Column("first_contact_date", "Date of first contact", "date", required=False),
        Column("care_plan_agreed", "Care plan agreed (Y/N)", "yes_no"),
    ),
    row_checks=(_not_before("first_contact_date", "referral_date", "is before the referral"),),
    wait_days=_days_between("referral_date", "first_contact_date"),
    compliance=Compliance("Contacted within one working day", _within_one_working_day),
)


# --- MRSA screening of elective admissions (acute contract measure 2008/09) -------------------


def _mrsa_checks(row: Row) -> list[tuple[str, str]]:
    problems = []
    if row.get("screened") is True and row.get("screen_date") is None:
        problems.append(("screen_date", "missing: screened is Y"))
    if row.get("screened") is False and row.get("screen_result") not in (None, "not_screened"):
        problems.append(("screen_result", "a result is given but screened is N"))
    return problems


def _screened(row: Row) -> bool | None:
    if row.get("screened") is None:
        return None
    admitted, screened_on = row.get("admission_date"), row.get("screen_date")
    if not row["screened"]:
        return False
    return screened_on is not None and admitted is not None and screened_on <= admitted


MRSA_SCREENING = ReturnTemplate(
    key="mrsa-screening",
    name="MRSA screening of elective admissions",
    frequency="monthly",
    provider_kinds=("acute",),
    description="Monthly: one row per elective admission, screened for MRSA or not.",
    columns=(
        NHS_NUMBER,
        PRACTICE,
        Column("admission_date", "Date of admission", "date", in_period=True),
        Column("admission_method", "Admission method", "choice", choices=("11", "12", "13")),
        Column(
            "treatment_function_code",
            "Treatment function",
            "code",
            pattern=r"^[1-9][0-9]{2}$",
            help="three digits, e.g. 110",
        ),
        Column("screened", "Screened (Y/N)", "yes_no"),
        Column("screen_date", "Date of screen", "date", required=False),
        Column(
            "screen_result",
            "Result",
            "choice",
            required=False,
            choices=("negative", "positive", "not_screened"),
        ),
    ),
    row_checks=(_mrsa_checks,),
    volume_label="elective admissions",
    outcomes=("screen_result",),
    compliance=Compliance("Screened on or before admission", _screened),
)


# --- Patient experience (acute contract measure 2008/09) ---------------------------------------

RATINGS = ("excellent", "very_good", "good", "fair", "poor")


def _rated_good(row: Row) -> bool | None:
    rating = row.get("overall_rating")
    return None if rating is None else rating in RATINGS[:3]


PATIENT_EXPERIENCE = ReturnTemplate(
    key="patient-experience",
    name="Patient experience of hospital care",
    frequency="monthly",
    provider_kinds=("acute", "community"),
    description="Monthly: one row per completed patient questionnaire (no patient identifier).",
    columns=(
        Column("discharge_date", "Date of discharge", "date", in_period=True),
        Column(
            "treatment_function_code",
            "Treatment function",
            "code",
            pattern=r"^[1-9][0-9]{2}$",
            help="three digits, e.g. 110",
        ),
        Column("overall_rating", "Overall, how was your care", "choice", choices=RATINGS),
        Column("treated_with_dignity", "Treated with respect and dignity (Y/N)", "yes_no"),
    ),
    volume_label="questionnaires",
    outcomes=("overall_rating",),
    compliance=Compliance("Rated their care good, very good or excellent", _rated_good),
)


TEMPLATES: dict[str, ReturnTemplate] = {
    t.key: t
    for t in (
        TIER2_OPHTHALMOLOGY,
        PHYSIOTHERAPY,
        COUNSELLING,
        INTERMEDIATE_CARE,
        COMMUNITY_MATRONS,
        MRSA_SCREENING,
        PATIENT_EXPERIENCE,
    )
}
