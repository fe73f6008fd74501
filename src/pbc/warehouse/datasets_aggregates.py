"""Aggregate datasets: the published statistics a commissioner holds when it has no
patient-level rows (issue 15).

- `qof_prevalence`: QOF disease register sizes and the list sizes they are counted against,
  per practice, indicator group (disease register) and QOF year (NHS Digital).
- `rtt_returns`: referral-to-treatment waiting-time returns by commissioner and/or provider,
  treatment function and weeks-waited band, for admitted, non-admitted and incomplete
  pathways, per month (Department of Health, later NHS England). One row per band: the
  published wide forms (a column per band) are unpivoted by their layouts, so forms with 52 and
  with 104 weekly bands load into the same dataset.
- `ae_attendances`: monthly A&E attendances, attendances over four hours (from arrival to
  admission, transfer or discharge) and emergency admissions via A&E, per provider and
  department type (NHS England's monthly A&E statistics). One row per measure, so the published
  wide form (a column per department type and measure) and tidy forms load alike.

Declared here and registered with the others in `pbc.warehouse.datasets.DATASETS`; analytics
over them is in `pbc.analytics.indicators.aggregates`. Totals are never stored: pbc recomputes
every total, percentage and percentile from the parts, so a layout drops published total rows
(and ignores total columns).
"""

from __future__ import annotations

from pbc.warehouse.schema import Dataset, Field

# QOF: the patient list a register is counted against. Files before 2013/14 give one list (the
# practice's whole list, "TOTAL"); later files give an age-specific list for some registers
# (for example 17OV: patients aged 17 and over, the diabetes denominator).
QOF_TOTAL_LIST = "TOTAL"

# RTT pathway types (NHS England's "RTT Part"): Part 1A admitted (completed with an admission),
# Part 1B non-admitted (completed without one), Part 2 incomplete (waiting at the month end),
# Part 2A incomplete with a decision to admit (a subset of Part 2, never added to it).
RTT_RETURN_PATHWAY_TYPES = frozenset({"admitted", "non_admitted", "incomplete", "incomplete_dta"})

# A&E department types as NHS England publishes them: 01 consultant-led major A&E, 02 single
# specialty, "other" = types 03 (other A&E / minor injury unit) and 04 (walk-in centre)
# together ("Other A&E department"); "all" for a measure published for the provider as a whole
# (emergency admissions not via A&E, decisions to admit waiting over 4 or 12 hours).
AE_RETURN_DEPARTMENT_TYPES = frozenset({"01", "02", "03", "04", "other", "all"})
AE_MEASURES = frozenset(
    {
        "attendances",
        "over_4_hours",
        "emergency_admissions",
        "other_emergency_admissions",
        "dta_over_4_hours",
        "dta_over_12_hours",
    }
)


def _f(name: str, type_: str, required: bool = False, **kw: object) -> Field:
    return Field(name, type_, required, **kw)  # type: ignore[arg-type]


QOF_PREVALENCE = Dataset(
    name="qof_prevalence",
    description="QOF disease registers: register size and the list size it is counted "
    "against, per practice, indicator group and QOF year (NHS Digital). Recorded prevalence is "
    "register / list size x 100, computed by pbc (the published figure is kept to check it).",
    key=(
        "year_start",
        "gp_practice_code",
        "indicator_group",
        "register_description",
        "patient_list_type",
    ),
    period_field="year_start",
    fields=(
        _f(
            "gp_practice_code",
            "string",
            True,
            check="gp_practice_code",
            description="ODS code of the practice.",
        ),
        _f(
            "year_start",
            "date",
            True,
            starts="financial_year",
            description="1 April of the QOF year (2009-04-01 for 2009/10); registers are "
            "counted at its end (31 March).",
        ),
        _f(
            "indicator_group",
            "string",
            True,
            description="QOF indicator group (register) code as published: DM, CHD, HF, ...",
        ),
        _f(
            "register_description",
            "string",
            False,
            description="The register's name as published. Part of the key: early files "
            "publish two HF registers (heart failure, and heart failure due to LVD). Empty in "
            "forms that publish the code only.",
        ),
        _f(
            "patient_list_type",
            "string",
            True,
            description="The list the register is counted against: TOTAL (whole list) or an "
            "age-specific list (17OV, 18OV, 50OV, ...) as published.",
        ),
        _f("register", "int", True, description="Patients on the register."),
        _f("list_size", "int", True, description="Patients on that list at the practice."),
        _f(
            "published_prevalence",
            "float",
            False,
            description="Prevalence as published (per cent), kept only to check pbc's.",
        ),
    ),
)

RTT_RETURNS = Dataset(
    name="rtt_returns",
    description="Published RTT returns: pathways per month, pathway type, commissioner and/or "
    "provider, treatment function and weeks-waited band (one row per band). Completed pathways "
    "count in the month of their clock stop; incomplete ones at the month end (the census).",
    key=(
        "month",
        "pathway_type",
        "commissioner_code",
        "provider_code",
        "treatment_function_code",
        "weeks_from",
    ),
    period_field="month",
    fields=(
        _f("month", "date", True, description="First day of the month the return covers."),
        _f("pathway_type", "string", True, codes=RTT_RETURN_PATHWAY_TYPES),
        _f(
            "commissioner_code",
            "string",
            False,
            check="commissioner_code",
            description="The commissioner (PCT, care trust, national commissioner, CCG, ICB "
            "or sub-ICB location; 3- or 5-character form). Empty when the return is by "
            "provider only.",
        ),
        _f(
            "provider_code",
            "string",
            False,
            check="ods_code",
            description="The provider (ODS code). Empty when the return is by commissioner only.",
        ),
        _f(
            "treatment_function_code",
            "string",
            True,
            check="rtt_treatment_function_code",
            description="The RTT treatment function: a three-digit NHS Data Dictionary code "
            "(100 general surgery, ...) or X01-X06 (the 'other' groups).",
        ),
        _f("treatment_function_name", "string", False),
        _f(
            "weeks_from",
            "int",
            True,
            description="The band's lower bound in weeks: the published band '>k-(k+1)' "
            "(more than k and up to k+1 weeks) has weeks_from k; the open top band "
            "('52 plus', '>104') has weeks_from 52 (104).",
        ),
        _f(
            "weeks_to",
            "int",
            False,
            description="The band's upper bound in weeks (k+1); empty for the open top band.",
        ),
        _f(
            "pathways",
            "int",
            False,
            description="Pathways in the band. An empty published cell (the full CSV leaves "
            "empty bands blank) is stored empty and counts as none.",
        ),
    ),
)

AE_ATTENDANCES = Dataset(
    name="ae_attendances",
    description="Monthly A&E statistics by provider: one row per month, provider, department "
    "type and measure (attendances, attendances over four hours from arrival to admission, "
    "transfer or discharge, emergency admissions via A&E, ...). Four-hour performance is "
    "1 - over_4_hours / attendances, computed by pbc.",
    key=("month", "provider_code", "department_type", "measure"),
    period_field="month",
    fields=(
        _f("month", "date", True, description="First day of the month."),
        _f(
            "provider_code",
            "string",
            True,
            check="ods_code",
            description="The reporting organisation: an NHS trust (RF4), a site or "
            "independent provider (AD913) or a GP-led walk-in centre (Y02696, F84747).",
        ),
        _f("department_type", "string", True, codes=AE_RETURN_DEPARTMENT_TYPES),
        _f("measure", "string", True, codes=AE_MEASURES),
        _f(
            "count",
            "int",
            False,
            description="The measure's count; an empty published cell is stored empty and "
            "counts as none.",
        ),
    ),
)

AGGREGATE_DATASETS: tuple[Dataset, ...] = (QOF_PREVALENCE, RTT_RETURNS, AE_ATTENDANCES)
