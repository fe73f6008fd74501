"""Periodic aggregate returns for national measures (issue 19): counts a PCT analyst (or a
provider, for provider measures) uploads each period, in pbc's template (the dataset's own
layout: a header naming these fields) or a published layout where one is declared. They are
aggregate datasets like the QOF, RTT and A&E statistics (`datasets_aggregates`), loaded
through the same import and feeding indicators through the same aggregate expressions
(`pbc.analytics.indicators.expressions`).

Every return is `whole_file`: a file with any bad cell (a count that is not a whole number,
negative, or more than the count it is part of; an unknown code; a repeated key) is refused
whole, naming each cell's row, column and reason, and nothing is stored.

- `hcai_returns`: healthcare-associated infection counts (MRSA bacteraemia, C. difficile
  infection) per month, organism and organisation: the acute trust the case is apportioned
  to, or the PCT (Health Protection Agency mandatory surveillance, monthly tables by trust
  and by primary care organisation).
- `ncmp_returns`: National Child Measurement Programme results per school year (reception,
  year 6), PCT and NCMP year: children eligible, measured, overweight and obese (NHS
  Information Centre).
- `chlamydia_returns`: National Chlamydia Screening Programme tests and positives per
  quarter, PCT, sex and age group (15-19, 20-24), with the group's resident population
  (the coverage denominator).

- `cancer_waits_returns`: cancer waiting times per month, standard (two-week wait, 31 days,
  62 days) and PCT: patients seen or treated, and within the standard (the Department of
  Health's Cancer Waiting Times database, by commissioner).

- `stroke_returns`: stroke and TIA services per quarter and PCT: TIA patients referred and
  assessed within 7 days, stroke patients thrombolysed, thrombolysed within 3 hours of onset
  and within 60 minutes of the call for help (call to needle).

- `hpv_returns`: HPV vaccination of girls per programme year, PCT and cohort: eligible, first
  dose, all three doses.

- `breastfeeding_returns`: infants due a 6-8 week check per quarter and PCT, those whose
  feeding status was recorded, and those totally or partially breastfed (the Department of
  Health's breastfeeding at 6-8 weeks return, a Vital Signs measure from 2008/09).

- `smoking_survey_returns`: a PCT's adult smoking prevalence survey per survey year: adults
  who answered and of them current smokers.

- `choice_returns`: the National Patient Choice Survey per wave (the month of the referrals
  surveyed) and PCT: patients who answered and of them those who recall being offered a
  choice of hospital for their first outpatient appointment (Department of Health, Ipsos
  MORI).

Totals are never stored: pbc adds the parts. All but the infection return are
partitioned by commissioner: a PCT's upload holds and replaces only its own PCT's rows. The
infection return names trusts as well as PCTs, so it is not (a PCT analyst's upload may hold
the trusts it commissions from).
"""

from __future__ import annotations

from pbc.warehouse.schema import Dataset, Field

HCAI_ORGANISMS = frozenset({"mrsa", "c_difficile"})
# Who the count is attributed to: the acute trust (trust-apportioned cases) or the PCT
# (cases of its population, wherever they arose).
HCAI_ORGANISATION_TYPES = frozenset({"trust", "pct"})
NCMP_SCHOOL_YEARS = frozenset({"reception", "year_6"})
CHLAMYDIA_AGE_GROUPS = frozenset({"15-19", "20-24"})
CHLAMYDIA_SEXES = frozenset({"female", "male", "unknown"})
# The Cancer Reform Strategy's waiting standards: first seen within two weeks of an urgent GP
# referral; first treatment within 31 days of the decision to treat; within 62 days of the
# urgent referral.
CANCER_STANDARDS = frozenset({"two_week_wait", "31_day", "62_day"})


def _f(name: str, type_: str, required: bool = False, **kw: object) -> Field:
    return Field(name, type_, required, **kw)  # type: ignore[arg-type]


def _count(name: str, description: str, at_most: str | None = None) -> Field:
    return _f(name, "int", True, minimum=0, at_most=at_most, description=description)


HCAI_RETURNS = Dataset(
    name="hcai_returns",
    description="Healthcare-associated infections: cases per month, organism (MRSA "
    "bacteraemia, C. difficile) and organisation (the acute trust the case is apportioned "
    "to, or the PCT), from the Health Protection Agency's mandatory surveillance.",
    key=("month", "organism", "organisation_type", "organisation_code"),
    period_field="month",
    whole_file=True,
    fields=(
        _f("month", "date", True, description="First day of the month the cases are counted in."),
        _f("organism", "string", True, codes=HCAI_ORGANISMS),
        _f(
            "organisation_type",
            "string",
            True,
            codes=HCAI_ORGANISATION_TYPES,
            description="trust: cases apportioned to the acute trust; pct: cases of the "
            "PCT's population.",
        ),
        _f(
            "organisation_code",
            "string",
            True,
            check="ods_code",
            description="ODS code of the trust (RWG) or PCT (5P3).",
        ),
        _count("cases", "Cases reported (a whole number, 0 or more)."),
    ),
)

NCMP_RETURNS = Dataset(
    name="ncmp_returns",
    description="National Child Measurement Programme: children eligible, measured, "
    "overweight and obese per NCMP year, PCT and school year (reception, year 6).",
    key=("year_start", "commissioner_code", "school_year"),
    period_field="year_start",
    partition_by_commissioner=True,
    whole_file=True,
    fields=(
        _f(
            "year_start",
            "date",
            True,
            starts="financial_year",
            description="The NCMP year as the financial year of the same name: the 2007/08 "
            "school year (measured September 2007 to July 2008) is 2007-04-01.",
        ),
        _f("commissioner_code", "string", True, check="commissioner_code"),
        _f("school_year", "string", True, codes=NCMP_SCHOOL_YEARS),
        _count("eligible", "Children on the school rolls eligible for measurement."),
        _count("measured", "Children measured (at most those eligible).", at_most="eligible"),
        _count(
            "overweight",
            "Children measured who were overweight (BMI centile 85 to under 95, UK90), "
            "obese children not included.",
            at_most="measured",
        ),
        _count(
            "obese",
            "Children measured who were obese (BMI centile 95 or above, UK90).",
            at_most="measured",
        ),
    ),
)

CHLAMYDIA_RETURNS = Dataset(
    name="chlamydia_returns",
    description="National Chlamydia Screening Programme: tests and positive results per "
    "quarter, PCT, sex and age group of 15-24 year olds, with the group's resident "
    "population.",
    key=("quarter_start", "commissioner_code", "sex", "age_group"),
    period_field="quarter_start",
    partition_by_commissioner=True,
    whole_file=True,
    fields=(
        _f(
            "quarter_start",
            "date",
            True,
            starts="quarter",
            description="First day of the calendar quarter the tests were taken in.",
        ),
        _f("commissioner_code", "string", True, check="commissioner_code"),
        _f("sex", "string", True, codes=CHLAMYDIA_SEXES),
        _f("age_group", "string", True, codes=CHLAMYDIA_AGE_GROUPS),
        _count("population", "Resident population of the group (ONS mid-year estimate)."),
        _count("tests", "Chlamydia tests with a result (positive or negative)."),
        _count("positives", "Positive results (at most the tests).", at_most="tests"),
    ),
)

CANCER_WAITS_RETURNS = Dataset(
    name="cancer_waits_returns",
    description="Cancer waiting times: patients seen or treated per month, standard (two-week "
    "wait, 31-day, 62-day) and commissioner, and how many within the standard's time.",
    key=("month", "standard", "commissioner_code"),
    period_field="month",
    partition_by_commissioner=True,
    whole_file=True,
    fields=(
        _f(
            "month",
            "date",
            True,
            description="First day of the month the patients were first seen (two-week "
            "wait) or first treated (31 and 62 days).",
        ),
        _f("standard", "string", True, codes=CANCER_STANDARDS),
        _f("commissioner_code", "string", True, check="commissioner_code"),
        _count("total", "Patients seen (two-week wait) or treated (31, 62 days) in the month."),
        _count("within_target", "Of them, within the standard's time.", at_most="total"),
    ),
)

STROKE_RETURNS = Dataset(
    name="stroke_returns",
    description="Stroke and TIA services per quarter and PCT: suspected TIA patients "
    "referred and those assessed within 7 days; stroke patients thrombolysed and those "
    "thrombolysed within 3 hours of the onset of symptoms.",
    key=("quarter_start", "commissioner_code"),
    period_field="quarter_start",
    partition_by_commissioner=True,
    whole_file=True,
    fields=(
        _f(
            "quarter_start",
            "date",
            True,
            starts="quarter",
            description="First day of the calendar quarter of the referral (TIA) or the "
            "admission (stroke).",
        ),
        _f("commissioner_code", "string", True, check="commissioner_code"),
        _count("tia_referred", "Patients with a suspected TIA referred to the TIA service."),
        _count(
            "tia_seen_within_7_days",
            "Of them, assessed in a TIA clinic within 7 days of referral.",
            at_most="tia_referred",
        ),
        _count("thrombolysed", "Stroke patients given thrombolysis."),
        _count(
            "thrombolysed_within_3_hours",
            "Of them, within 3 hours of the onset of symptoms.",
            at_most="thrombolysed",
        ),
        _count(
            "call_to_needle_within_60_minutes",
            "Of them, within 60 minutes of the call for help (call to needle).",
            at_most="thrombolysed",
        ),
    ),
)

HPV_COHORTS = frozenset({"routine", "catch_up"})

HPV_RETURNS = Dataset(
    name="hpv_returns",
    description="HPV vaccination of girls per programme year, PCT and cohort (routine: "
    "school year 8; catch-up): girls eligible, given a first dose, and given all three.",
    key=("year_start", "commissioner_code", "cohort"),
    period_field="year_start",
    partition_by_commissioner=True,
    whole_file=True,
    fields=(
        _f(
            "year_start",
            "date",
            True,
            starts="financial_year",
            description="The programme year as the financial year of the same name: the "
            "2008/09 school year is 2008-04-01.",
        ),
        _f("commissioner_code", "string", True, check="commissioner_code"),
        _f("cohort", "string", True, codes=HPV_COHORTS),
        _count("eligible", "Girls in the cohort eligible for vaccination."),
        _count("first_dose", "Girls given the first dose.", at_most="eligible"),
        _count("three_doses", "Girls given all three doses.", at_most="first_dose"),
    ),
)


def _commissioner_return(
    name: str, description: str, period: str, starts: str | None, period_text: str,
    counts: tuple[Field, ...],
) -> Dataset:  # fmt: skip
    """A return of counts per period and PCT (partitioned by commissioner, whole file)."""
    return Dataset(
        name=name,
        description=description,
        key=(period, "commissioner_code"),
        period_field=period,
        partition_by_commissioner=True,
        whole_file=True,
        fields=(
            _f(period, "date", True, starts=starts, description=period_text),
            _f("commissioner_code", "string", True, check="commissioner_code"),
            *counts,
        ),
    )


BREASTFEEDING_RETURNS = _commissioner_return(
    "breastfeeding_returns",
    "Breastfeeding at 6-8 weeks per quarter and PCT: infants due a 6-8 week check, those "
    "whose feeding status was recorded, and those totally or partially breastfed.",
    "quarter_start",
    "quarter",
    "First day of the calendar quarter the infants were due their 6-8 week check in.",
    (
        _count("infants_due", "Infants due a 6-8 week check in the quarter."),
        _count(
            "status_recorded",
            "Of them, infants whose feeding status at 6-8 weeks was recorded.",
            at_most="infants_due",
        ),
        _count(
            "breastfed",
            "Of them, infants totally or partially breastfed at 6-8 weeks.",
            at_most="status_recorded",
        ),
    ),
)

SMOKING_SURVEY_RETURNS = _commissioner_return(
    "smoking_survey_returns",
    "Adult smoking prevalence survey per survey year and PCT: adults (16 and over) who "
    "answered and of them current smokers.",
    "year_start",
    "financial_year",
    "The survey year as the financial year it was carried out in: 2008/09 is 2008-04-01.",
    (
        _count("respondents", "Adults who answered the smoking question."),
        _count("smokers", "Of them, current smokers.", at_most="respondents"),
    ),
)

CHOICE_RETURNS = _commissioner_return(
    "choice_returns",
    "National Patient Choice Survey per wave and PCT: patients referred for a first "
    "outpatient appointment who answered, and of them those who recall being offered a "
    "choice of hospital.",
    "month",
    None,
    "First day of the month of the referrals the wave surveyed (May 2008: 2008-05-01).",
    (
        _count("respondents", "Patients who answered the question on being offered choice."),
        _count(
            "offered_choice",
            "Of them, patients who recall being offered a choice of hospital.",
            at_most="respondents",
        ),
    ),
)

RETURN_DATASETS: tuple[Dataset, ...] = (
    HCAI_RETURNS,
    NCMP_RETURNS,
    CHLAMYDIA_RETURNS,
    CANCER_WAITS_RETURNS,
    STROKE_RETURNS,
    HPV_RETURNS,
    BREASTFEEDING_RETURNS,
    SMOKING_SURVEY_RETURNS,
    CHOICE_RETURNS,
)
