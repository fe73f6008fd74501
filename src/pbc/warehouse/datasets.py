"""The data contract: every warehouse dataset, declared once.

The synthetic generator (`pbc.synth`) writes files in exactly these shapes, the importer
(`pbc import`) checks rows against them, and analytics reads columns by these names. Field names
follow the NHS Data Dictionary where it has one (`nhs_number`, `gp_practice_code`,
`provider_code`, `treatment_function_code`, `admission_method`, `hrg_code`,
`point_of_delivery`, ...). `docs/data.md` describes every dataset and field in prose, the tariff
basis, the fault rules and the truth file.

Conventions used below:

- Dates are ISO `YYYY-MM-DD`. Monthly and quarterly data carry the first day of the month or
  quarter (`month`, `quarter_start`).
- Financial years are labelled `"2008/09"` (1 April 2008 to 31 March 2009).
- `sex` is `"M"` or `"F"`.
- Money is DECIMAL(14, 2), rounded half-up to the penny at the row. A market forces factor is
  DECIMAL(6, 4).
- Every activity row (`apc`, `op`, `ae`) is what happened (the activity fields, the responsible
  `commissioner_code`, and the commissioner-side derivation `point_of_delivery` / `hrg_code`),
  in the form SUS / HES extracts give it (`pbc.warehouse.layouts.hes`). What the provider
  charged (`charged_point_of_delivery`, `charged_hrg_code`, `charged_excess_bed_days`,
  `market_forces_factor`, `charged_price`) is optional on the row: filled where the row came
  joined to the provider's invoice line (pbc's own layout, as the generator writes it), empty on
  activity loaded from an extract alone, which is costed at the commissioner's expected price.
  HES "not known" codes load as missing (or their coded meaning) and are noted in `not_known`,
  so the activity fields a "not known" code can stand in are optional (docs/data.md
  "Activity and invoice").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pbc import codes
from pbc.warehouse.datasets_aggregates import AGGREGATE_DATASETS
from pbc.warehouse.datasets_deprivation import DEPRIVATION_DATASETS
from pbc.warehouse.datasets_invoices import invoice_lines
from pbc.warehouse.datasets_returns import RETURN_DATASETS
from pbc.warehouse.datasets_schemes import SCHEME_DATASETS
from pbc.warehouse.schema import Dataset, Field

# --- code lists ------------------------------------------------------------------------------

SEX_CODES = frozenset({"M", "F"})

# NHS Data Dictionary ADMISSION METHOD (hospital provider spell).
ELECTIVE_ADMISSION_METHODS = frozenset({"11", "12", "13"})
EMERGENCY_ADMISSION_METHODS = frozenset({"21", "22", "23", "24", "28", "2A", "2B", "2C", "2D"})
MATERNITY_ADMISSION_METHODS = frozenset({"31", "32"})
OTHER_ADMISSION_METHODS = frozenset({"81", "82", "83"})
ADMISSION_METHODS = (
    ELECTIVE_ADMISSION_METHODS
    | EMERGENCY_ADMISSION_METHODS
    | MATERNITY_ADMISSION_METHODS
    | OTHER_ADMISSION_METHODS
)

# NHS Data Dictionary PATIENT CLASSIFICATION: 1 ordinary admission, 2 day case, 3 regular day
# admission, 4 regular night admission, 5 mothers and babies using delivery facilities only.
PATIENT_CLASSIFICATIONS = frozenset({"1", "2", "3", "4", "5"})

# NHS Data Dictionary DISCHARGE METHOD: 1 discharged on clinical advice, 2 self-discharged,
# 3 discharged by court, 4 died, 5 stillbirth, 8 not applicable (still in hospital), 9 not known.
DISCHARGE_METHODS = frozenset({"1", "2", "3", "4", "5", "8", "9"})

# Points of delivery (PbR). Admitted care: EL elective inpatient, DC day case, NEL non-elective
# (including maternity), NELST non-elective with the short-stay emergency adjustment applied.
# Outpatients: OPFA first attendance, OPFUP follow-up, OPPROC outpatient procedure (priced by HRG).
# A&E: AE.
APC_POINTS_OF_DELIVERY = frozenset({"EL", "DC", "NEL", "NELST"})
OP_POINTS_OF_DELIVERY = frozenset({"OPFA", "OPFUP", "OPPROC"})
AE_POINTS_OF_DELIVERY = frozenset({"AE"})
POINTS_OF_DELIVERY = APC_POINTS_OF_DELIVERY | OP_POINTS_OF_DELIVERY | AE_POINTS_OF_DELIVERY
# Unbundled diagnostic imaging (IMG): a scan invoiced on its own line, priced by its imaging HRG
# from the local price list, separately from the spell or attendance it was requested for (or
# on its own: GP direct access). Not a national tariff point of delivery.
IMAGING_POINTS_OF_DELIVERY = frozenset({"IMG"})
LOCAL_PRICE_POINTS_OF_DELIVERY = POINTS_OF_DELIVERY | IMAGING_POINTS_OF_DELIVERY
# Treatment function 812: diagnostic imaging (the specialty imaging rows are reported under).
IMAGING_TREATMENT_FUNCTION = "812"

# NHS Data Dictionary FIRST ATTENDANCE: 1 first face to face, 2 follow-up face to face,
# 3 first telephone, 4 follow-up telephone.
FIRST_ATTENDANCE_CODES = frozenset({"1", "2", "3", "4"})
FIRST_ATTENDANCES = frozenset({"1", "3"})

# NHS Data Dictionary ATTENDED OR DID NOT ATTEND: 5 seen on time, 6 arrived late but seen,
# 7 arrived late and not seen, 2 cancelled by patient, 3 did not attend, 4 cancelled by provider.
ATTENDANCE_STATUS_CODES = frozenset({"2", "3", "4", "5", "6", "7"})
ATTENDED = frozenset({"5", "6"})
DID_NOT_ATTEND = frozenset({"3", "7"})

# NHS Data Dictionary SOURCE OF REFERRAL FOR OUT-PATIENTS. 03 = GP; 05 = a consultant other than
# in A&E (a consultant-to-consultant referral); 08 = other source (the code of the earlier
# years' lists, before 11 and 97 split "other"; HES outpatients 2003/04 carry it).
OP_REFERRAL_SOURCES = frozenset(
    {"01", "02", "03", "04", "05", "06", "07", "08", "10", "11", "12", "13", "14", "15", "16"}
    | {"17"}
    | {"92", "93", "97"}
)
GP_REFERRAL_SOURCE = "03"
CONSULTANT_REFERRAL_SOURCE = "05"

# NHS Data Dictionary PRIORITY TYPE: 1 routine, 2 urgent, 3 two week wait (cancer).
PRIORITY_TYPES = frozenset({"1", "2", "3"})

# NHS Data Dictionary A&E DEPARTMENT TYPE: 01 consultant-led major, 02 single specialty,
# 03 other A&E / minor injury unit, 04 NHS walk-in centre.
AE_DEPARTMENT_TYPES = frozenset({"01", "02", "03", "04"})
# A&E ATTENDANCE CATEGORY: 1 first, 2 planned follow-up, 3 unplanned follow-up.
AE_ATTENDANCE_CATEGORIES = frozenset({"1", "2", "3"})
# A&E ATTENDANCE DISPOSAL (subset): 01 admitted, 02 discharged with GP follow-up, 03 discharged
# without follow-up, 04 referred to A&E clinic, 05 referred to fracture clinic, 07 transferred,
# 10 died in department, 12 left before treatment, 14 other.
AE_DISPOSALS = frozenset({"01", "02", "03", "04", "05", "06", "07", "10", "11", "12", "13", "14"})

RTT_PATHWAY_TYPES = frozenset({"admitted", "non_admitted", "incomplete"})
PLACES_OF_DEATH = frozenset({"home", "hospital", "care_home", "hospice", "other"})
DEREGISTRATION_REASONS = frozenset({"moved_practice", "left_area", "died"})
PROVIDER_KINDS = frozenset({"acute", "community", "mental_health", "independent"})
WEIGHTINGS = frozenset({"astro_pu_2013", "hospital_activity"})

# Five-year age bands used for list sizes and weighting (as the European Standard Population
# 2013): 0-4, 5-9, ..., 85-89, 90+.
AGE_BANDS: tuple[str, ...] = tuple(f"{a}-{a + 4}" for a in range(0, 90, 5)) + ("90+",)

# The band table of `list_sizes`: every age band a registered-patients file may carry, with its
# first and last year of age (None: open-ended). pbc's own five-year bands, and the bands of
# published forms kept as published, never split by an assumption: the quarterly wide form's
# ten-year bands (5-14 ... 65-74, 75+), the quinary form's 90-94 and 95+ (inside pbc's 90+),
# and "all" (the totals form: every age).
LIST_SIZE_BANDS: dict[str, tuple[int, int | None]] = {
    **{band: (int(band.split("-")[0]), int(band.split("-")[1])) for band in AGE_BANDS[:-1]},
    "90+": (90, None),
    **{f"{a}-{a + 9}": (a, a + 9) for a in range(5, 75, 10)},
    "75+": (75, None),
    "90-94": (90, 94),
    "95+": (95, None),
    "all": (0, None),
}
# `sex` of list_sizes: M, F, or "all" (a totals form publishes persons only).
LIST_SIZE_SEXES = SEX_CODES | {"all"}


def band_nests(band: str) -> bool:
    """Does a published band lie inside one of pbc's five-year bands (or is one)?"""
    low, high = LIST_SIZE_BANDS[band]
    for own in AGE_BANDS:
        own_low, own_high = LIST_SIZE_BANDS[own]
        if low >= own_low and (own_high is None or (high is not None and high <= own_high)):
            return True
    return False


# Validation rule ids used in the fault truth file (`faults.csv`) and by the validation rules
# (issue 7). Each id is defined precisely in `pbc.synth.faults` and in docs/data.md.
FAULT_RULE_IDS: tuple[str, ...] = (
    "duplicate_spell",
    "duplicate_first_attendance",
    "not_registered_in_pct",
    "invalid_nhs_number",
    "follow_up_without_first",
    "op_procedure_as_day_case",
    "zero_day_elective_as_inpatient",
    "unsupported_excess_bed_days",
    "short_stay_not_applied",
    "c2c_without_gp_approval",
    "emergency_readmission_30d",
    "over_cap_follow_up_ratio",
    "high_cost_activity",
)
FAULT_ORIGINS = frozenset({"injected", "natural"})
ACTIVITY_DATASETS = ("apc", "op", "ae")

# --- named checks (failure flags the row, never rejects it) -----------------------------------

_TF_RE = re.compile(r"^[0-9]{3}$")  # treatment function: 110
_ICD10_RE = re.compile(r"^[A-Z][0-9]{2}(\.?[0-9X]{1,2})?$")  # I21.9, J441, C50
# BNF presentation: 15 characters for drugs (0212000B0AAAAAA); 11 digits for appliances and
# dressings, BNF chapters 20 to 23 (21010900725), as NHSBSA publishes them.
_BNF_RE = re.compile(r"^([0-9A-Z]{15}|2[0-3][0-9]{9})$")
# RTT treatment function: a three-digit code, or X01-X06 (the published "other" groups).
_RTT_TF_RE = re.compile(r"^([0-9]{3}|X0[1-9])$")
# Any ODS organisation code an aggregate return names: a trust or other 3-character code
# (RF4), a 5-character site or independent provider (AD913, NLO01), or a 6-character GP or
# walk-in centre code (F84747, Y02696).
_ODS_RE = re.compile(r"^[A-Z0-9]{3}([A-Z0-9]{2,3})?$")


def _matches(pattern: re.Pattern[str]) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        return isinstance(value, str) and bool(pattern.fullmatch(value))

    return check


CHECKS: dict[str, Callable[[object], bool]] = {
    "nhs_number": codes.is_valid_nhs_number,
    "gp_practice_code": codes.is_practice_code,
    "provider_code": codes.is_provider_code,
    "pct_code": codes.is_pct_code,
    # Either version: HRG v3.5 (H80) to 2008/09, HRG4 (HB12C) from 2009/10 (pbc.codes).
    "hrg_code": codes.is_hrg_code,
    "treatment_function_code": _matches(_TF_RE),
    "icd10_code": _matches(_ICD10_RE),
    "bnf_code": _matches(_BNF_RE),
    "rtt_treatment_function_code": _matches(_RTT_TF_RE),
    "ods_code": _matches(_ODS_RE),
    "commissioner_code": codes.is_commissioner_code,
    # ONS lower layer super output area: E01 / W01 and six digits (2001 and 2011 geographies alike).
    # Wales too (W01): HES and SUS cover residents of England and Wales (HES data dictionary,
    # SOACODE: "the first character is either E for England or W for Wales").
    "lsoa_code": _matches(re.compile(r"^[EW]01\d{6}$")),
    # A row's `not_known` note: any note means a published field carried a "not known" code.
    "nothing_not_known": lambda value: not (isinstance(value, str) and value.strip()),
}

# --- shared field groups ---------------------------------------------------------------------


def _f(name: str, type_: str, required: bool = False, **kw: object) -> Field:
    return Field(name, type_, required, **kw)  # type: ignore[arg-type]


def _money(name: str, required: bool = True, description: str = "") -> Field:
    return Field(name, "decimal", required, description=description)


_PRACTICE = _f(
    "gp_practice_code",
    "string",
    True,
    check="gp_practice_code",
    description="ODS code of the GP practice the patient is registered with (as recorded).",
)
_NHS_NUMBER_ACTIVITY = _f(
    "nhs_number",
    "string",
    False,
    check="nhs_number",
    description="Ten digits, no spaces. May be missing or invalid in provider data: stored and "
    "flagged (nhs_number_valid = false), never rejected.",
)
_PROVIDER = _f("provider_code", "string", True, check="provider_code", description="ODS code.")
_PRACTICE_ACTIVITY = _f(
    "gp_practice_code",
    "string",
    False,
    check="gp_practice_code",
    description="ODS code of the patient's GP practice (as recorded). HES GPPRAC: empty or & "
    "(not known) loads as missing; V81997 (no registered practice), V81998 (not applicable) and "
    "V81999 (not known) load as published, flagged (gp_practice_code_valid = false) and noted.",
)
_PSEUDONYM = _f(
    "patient_pseudonym",
    "string",
    False,
    description="Pseudonymised patient id where the extract carries no NHS number (HES "
    "PSEUDO_HESID, HESID, TOKEN_PERSON_ID): identifies the patient within the extract.",
)
_LSOA_ACTIVITY = _f(
    "lsoa_code",
    "string",
    False,
    check="lsoa_code",
    description="Lower layer super output area of the patient's residence as the extract "
    "gives it (HES LSOA11, else LSOA01, else SOACODE; SUS Der_Postcode_LSOA_2011_Code), "
    "derived from the postcode: for inequalities by the IMD of the area (`imd_lsoa`). Empty "
    "where the extract has none; its not-known and pseudo codes (Z99999999, L99999999) load "
    "as missing and are noted.",
)
_NOT_KNOWN = _f(
    "not_known",
    "string",
    False,
    check="nothing_not_known",
    description="The published fields whose value was a 'not known' or null code, as "
    "'FIELD=value; ...' (HES SEX=0, ADMIMETH=99, STARTAGE=7001, DISDATE=1801-01-01): the "
    "field loaded as missing or as the code's meaning; the row is flagged "
    "(not_known_valid = false), never rejected. Empty on pbc's own layout.",
)
_TF_ACTIVITY = _f(
    "treatment_function_code",
    "string",
    False,
    check="treatment_function_code",
    description="NHS Data Dictionary TREATMENT FUNCTION CODE (110 trauma and orthopaedics...); "
    "empty where the extract says not known (HES TRETSPEF &).",
)
_TF = _f(
    "treatment_function_code",
    "string",
    True,
    check="treatment_function_code",
    description="NHS Data Dictionary TREATMENT FUNCTION CODE (110 trauma and orthopaedics...).",
)


_COMMISSIONER_LIST = _f(
    "commissioner_code",
    "string",
    True,
    check="commissioner_code",
    description="The PCT that agreed this row (ODS code, 5P3): each PCT keeps its own list.",
)


def _charged(pods: frozenset[str], required: bool = False) -> tuple[Field, ...]:
    """What the provider charged: optional on activity (an extract has no invoice), required
    where the dataset is an invoice (`imaging`: unbundled scans the provider invoices)."""
    return (
        _f(
            "commissioner_code",
            "string",
            True,
            check="commissioner_code",
            description="The PCT the provider invoiced (ODS code, 5P3).",
        ),
        _f(
            "charged_point_of_delivery",
            "string",
            required,
            codes=pods,
            description="Invoiced point of delivery; empty on activity without its invoice line.",
        ),
        _f("charged_hrg_code", "string", False, check="hrg_code"),
        _f(
            "charged_excess_bed_days",
            "int",
            required,
            description="Excess bed days the provider charged (always 0 outside apc); empty "
            "on activity without its invoice line.",
        ),
        Field(
            "market_forces_factor",
            "decimal",
            required,
            precision=6,
            scale=4,
            description="MFF the provider applied; empty on activity without its invoice line.",
        ),
        _money(
            "charged_price",
            required=required,
            description="What the provider charged for the row (GBP); empty on activity "
            "without its invoice line (costed at the expected price).",
        ),
    )


# --- organisations and registers --------------------------------------------------------------

PRACTICES = Dataset(
    name="practices",
    description="GP practices with their locality and commissioner (of any era: PCT, care "
    "trust, CCG, sub-ICB location), and, from the ODS practice file, their region, parent, "
    "dates and status.",
    reference=True,
    key=("gp_practice_code",),
    fields=(
        _PRACTICE,
        _f("practice_name", "string", True),
        _f(
            "locality_code",
            "string",
            False,
            description="Locality slug, e.g. dacorum (empty in the ODS file: a practice's PCN "
            "comes from the ePCN file, dataset pcn_memberships).",
        ),
        _f("locality_name", "string", False),
        _f(
            "pct_code",
            "string",
            False,
            check="commissioner_code",
            description="The practice's commissioner: a PCT (5P3) or care trust (TAK), a CCG "
            "(00K) or sub-ICB location, as published (5-character forms such as 00C00 too).",
        ),
        _f("pct_name", "string", False),
        _f("region_code", "string", False, description="ODS national grouping (Y57, Y56)."),
        _f(
            "parent_code",
            "string",
            False,
            description="ODS high level health geography: SHA, area team or ICB (Q82, QHM).",
        ),
        _f("postcode", "string", False),
        _f("open_date", "date", False),
        _f("close_date", "date", False),
        _f(
            "status_code",
            "string",
            False,
            codes=frozenset({"A", "C", "D", "P"}),
            description="ODS status: A active, C closed, D dormant, P proposed.",
        ),
        _f(
            "prescribing_setting",
            "string",
            False,
            description="ODS prescribing setting (4: GP practice; others: out of hours, "
            "walk-in centre, prison, ...).",
        ),
        _f(
            "commissioner_start_date",
            "date",
            False,
            description="The date the practice joined its commissioner (ODS join date).",
        ),
    ),
)

PCN_MEMBERSHIPS = Dataset(
    name="pcn_memberships",
    description="Primary care network membership of GP practices, dated (ODS ePCN file): a "
    "PCN is a locality of today.",
    reference=True,
    key=("gp_practice_code", "pcn_code", "start_date"),
    fields=(
        _PRACTICE,
        _f("pcn_code", "string", True, check="ods_code", description="PCN code, e.g. U12345."),
        _f("pcn_name", "string", True),
        _f(
            "commissioner_code",
            "string",
            False,
            check="commissioner_code",
            description="The practice's parent sub-ICB location (or CCG) in the ePCN file.",
        ),
        _f("start_date", "date", True, description="The practice joined the PCN."),
        _f("end_date", "date", False, description="The practice left the PCN (empty: member)."),
    ),
)

PCNS = Dataset(
    name="pcns",
    description="Primary care networks as ODS lists them (the ePCN file's PCN details: sheet "
    "PCNDetails of ePCN.xlsx, or the DSE epcn report): code, name, the sub-ICB location (CCG "
    "before July 2022) it sits in, and its dates. Names the app's PCN localities.",
    reference=True,
    key=("pcn_code",),
    fields=(
        _f("pcn_code", "string", True, check="ods_code", description="PCN code, e.g. U12345."),
        _f("pcn_name", "string", True),
        _f(
            "commissioner_code",
            "string",
            False,
            check="commissioner_code",
            description="The sub-ICB location (CCG before July 2022) the PCN sits in.",
        ),
        _f("open_date", "date", False),
        _f("close_date", "date", False, description="The PCN closed (empty: open)."),
        _f("postcode", "string", False),
    ),
)

COMMISSIONERS = Dataset(
    name="commissioners",
    description="Commissioners as ODS lists them (the eccg file): CCGs from April 2013, "
    "sub-ICB locations (the same codes, renamed) from July 2022, with commissioning hubs and "
    "sub-ICB reporting entities; each with its name, parent (area team, local office, STP or "
    "ICB), region and dates. Names the app's commissioners and places them in the hierarchy.",
    reference=True,
    key=("commissioner_code",),
    fields=(
        _f(
            "commissioner_code",
            "string",
            True,
            check="commissioner_code",
            description="CCG or sub-ICB location code (00C, 15E, D2P2L); a sub-ICB reporting "
            "entity (Z000X) loads flagged and is not a commissioner.",
        ),
        _f("commissioner_name", "string", True),
        _f(
            "region_code",
            "string",
            False,
            description="ODS national grouping: the NHS England (commissioning) region (Y54).",
        ),
        _f(
            "parent_code",
            "string",
            False,
            description="ODS high level health geography: area team, local office or STP "
            "(Q74, QHM) for a CCG, the ICB for a sub-ICB location.",
        ),
        _f("postcode", "string", False),
        _f("open_date", "date", False),
        _f("close_date", "date", False),
        _f(
            "organisation_subtype",
            "string",
            False,
            description="ODS organisation sub-type code (eccg column 14, C in the files seen).",
        ),
    ),
)

PROVIDERS = Dataset(
    name="providers",
    description="Provider organisations (trusts and independent providers).",
    reference=True,
    key=("provider_code",),
    fields=(
        _PROVIDER,
        _f("provider_name", "string", True),
        _f("provider_kind", "string", True, codes=PROVIDER_KINDS),
        _f("main_pct_code", "string", False, check="commissioner_code"),
    ),
)

LIST_SIZES = Dataset(
    name="list_sizes",
    description="Registered patients per practice, quarter, sex and age band: pbc's five-year "
    "bands, or a published file's own bands as published (LIST_SIZE_BANDS). snapshot_date is "
    "the date the count describes (the quarter's first day for a quarterly form, the extract "
    "date for a monthly one); quarter_start is the calendar quarter it falls in.",
    key=("gp_practice_code", "quarter_start", "sex", "age_band"),
    period_field="quarter_start",
    partition_by=("sex",),
    fields=(
        _PRACTICE,
        Field("quarter_start", "date", True, starts="quarter"),
        _f("sex", "string", True, codes=LIST_SIZE_SEXES),
        _f("age_band", "string", True, codes=frozenset(LIST_SIZE_BANDS)),
        _f("registered_patients", "int", True),
        _f(
            "snapshot_date",
            "date",
            False,
            description="The date the count describes, as published (monthly or quarterly).",
        ),
    ),
)

PATIENTS = Dataset(
    name="patients",
    description="Pseudonymous patient register: one row per registration with a practice. A "
    "patient who moves practice has one row per practice; person attributes repeat on each row.",
    key=("nhs_number", "registration_start_date"),
    fields=(
        _f("nhs_number", "string", True, check="nhs_number"),
        _PRACTICE,
        _f("registration_start_date", "date", True),
        _f(
            "registration_end_date",
            "date",
            False,
            description="Last day registered (inclusive); empty while still registered.",
        ),
        _f("deregistration_reason", "string", False, codes=DEREGISTRATION_REASONS),
        _f("date_of_birth", "date", True),
        _f("sex", "string", True, codes=SEX_CODES),
        _f(
            "deprivation_quintile",
            "int",
            True,
            description="Deprivation quintile as the register records it (1 most deprived, "
            "5 least deprived). Used by the risk model; inequalities use the IMD of "
            "`lsoa_code` instead wherever an `imd_lsoa` edition is loaded.",
        ),
        _f(
            "lsoa_code",
            "string",
            False,
            check="lsoa_code",
            description="Lower layer super output area of the patient's residence (as HES "
            "LSOA01 / LSOA11, derived from the postcode): joined to `imd_lsoa` for the "
            "deprivation quintile of the area the patient lives in.",
        ),
        _f("diabetes_diagnosis_date", "date", False),
        _f("copd_diagnosis_date", "date", False),
        _f("heart_failure_diagnosis_date", "date", False),
        _f("chd_diagnosis_date", "date", False),
        _f("hypertension_diagnosis_date", "date", False),
        _f("date_of_death", "date", False),
    ),
)

DEATHS = Dataset(
    name="deaths",
    description="Registered deaths of patients (ONS style).",
    key=("nhs_number",),
    period_field="date_of_death",
    fields=(
        _f("nhs_number", "string", True, check="nhs_number"),
        _PRACTICE,
        _f("date_of_death", "date", True),
        _f("age_at_death", "int", True),
        _f("sex", "string", True, codes=SEX_CODES),
        _f("deprivation_quintile", "int", True),
        _f(
            "lsoa_code",
            "string",
            False,
            check="lsoa_code",
            description="LSOA of usual residence at death (derived from the postcode).",
        ),
        _f("place_of_death", "string", True, codes=PLACES_OF_DEATH),
        _f("underlying_cause_code", "string", False, check="icd10_code"),
    ),
)

# --- hospital activity -----------------------------------------------------------------------

APC = Dataset(
    name="apc",
    description="Admitted patient care: one row per hospital provider spell, partitioned by "
    "discharge month (the month it is invoiced) and provider.",
    key=("spell_id",),
    period_field="discharge_date",
    partition_by_provider=True,
    partition_by_commissioner=True,
    fields=(
        _f(
            "spell_id",
            "string",
            True,
            description="Stable row key (provider spell number; from a HES / SUS extract "
            "'PROVIDER:PROVSPNO', or 'PROVIDER:patient:admission date' where it has none).",
        ),
        _NHS_NUMBER_ACTIVITY,
        _PSEUDONYM,
        _PRACTICE_ACTIVITY,
        _PROVIDER,
        _f("sex", "string", False, codes=SEX_CODES),
        _f("age_on_admission", "int", False),
        _f(
            "admission_date",
            "date",
            False,
            description="Empty where the extract says not known (HES 1800-01-01, 1801-01-01): "
            "length_of_stay then comes from the extract's own spell duration (SPELDUR).",
        ),
        _f("discharge_date", "date", True),
        _f("length_of_stay", "int", True, description="discharge_date - admission_date, days."),
        _f("admission_method", "string", False, codes=ADMISSION_METHODS),
        _f("patient_classification", "string", False, codes=PATIENT_CLASSIFICATIONS),
        _TF_ACTIVITY,
        _f("primary_diagnosis_code", "string", False, check="icd10_code"),
        _f("procedure_flag", "bool", False, description="A significant procedure was performed."),
        _f("discharge_method", "string", False, codes=DISCHARGE_METHODS),
        _f(
            "hrg_code",
            "string",
            False,
            check="hrg_code",
            description="HRG of the spell (SUS grouper); empty where the extract has none "
            "(pbc never groups: the spell is reported unpriced, no HRG).",
        ),
        _f(
            "point_of_delivery",
            "string",
            False,
            codes=APC_POINTS_OF_DELIVERY,
            description="Point of delivery the activity fields imply under the PbR rules "
            "(docs/data.md, 'Deriving the point of delivery'); empty from an extract (costing "
            "derives its own).",
        ),
        _LSOA_ACTIVITY,
        _NOT_KNOWN,
        *_charged(APC_POINTS_OF_DELIVERY),
    ),
)

OP = Dataset(
    name="op",
    description="Outpatient attendances (and did-not-attends), partitioned by attendance month "
    "and provider.",
    key=("attendance_id",),
    period_field="attendance_date",
    partition_by_provider=True,
    partition_by_commissioner=True,
    fields=(
        _f("attendance_id", "string", True, description="Stable row key."),
        _NHS_NUMBER_ACTIVITY,
        _PSEUDONYM,
        _PRACTICE_ACTIVITY,
        _PROVIDER,
        _f("sex", "string", False, codes=SEX_CODES),
        _f("age_at_attendance", "int", False),
        _f("attendance_date", "date", True),
        _f("first_attendance", "string", False, codes=FIRST_ATTENDANCE_CODES),
        _f("attended_or_did_not_attend", "string", False, codes=ATTENDANCE_STATUS_CODES),
        _TF_ACTIVITY,
        _f("referral_source", "string", False, codes=OP_REFERRAL_SOURCES),
        _f("priority_type", "string", False, codes=PRIORITY_TYPES),
        _f(
            "gp_approval",
            "bool",
            False,
            description="Consultant-to-consultant referrals (referral_source 05) only: the GP "
            "approved the onward referral under the PCT's protocol. Empty for other sources.",
        ),
        _f(
            "referral_id",
            "string",
            False,
            description="The GP referral (referrals.referral_id) that started this episode.",
        ),
        _f("procedure_flag", "bool", False),
        _f("hrg_code", "string", False, check="hrg_code", description="Procedure HRG, if any."),
        _f("point_of_delivery", "string", False, codes=OP_POINTS_OF_DELIVERY),
        _LSOA_ACTIVITY,
        _NOT_KNOWN,
        *_charged(OP_POINTS_OF_DELIVERY),
    ),
)

AE = Dataset(
    name="ae",
    description="A&E attendances, partitioned by arrival month and provider.",
    key=("attendance_id",),
    period_field="arrival_date",
    partition_by_provider=True,
    partition_by_commissioner=True,
    fields=(
        _f("attendance_id", "string", True, description="Stable row key."),
        _NHS_NUMBER_ACTIVITY,
        _PSEUDONYM,
        _PRACTICE_ACTIVITY,
        _PROVIDER,
        _f("sex", "string", False, codes=SEX_CODES),
        _f("age_at_attendance", "int", False),
        _f("arrival_date", "date", True),
        _f("ae_department_type", "string", False, codes=AE_DEPARTMENT_TYPES),
        _f("ae_attendance_category", "string", False, codes=AE_ATTENDANCE_CATEGORIES),
        _f("ae_attendance_disposal", "string", False, codes=AE_DISPOSALS),
        _f("hrg_code", "string", False, check="hrg_code"),
        _f("point_of_delivery", "string", False, codes=AE_POINTS_OF_DELIVERY),
        _LSOA_ACTIVITY,
        _NOT_KNOWN,
        *_charged(AE_POINTS_OF_DELIVERY),
    ),
)

IMAGING = Dataset(
    name="imaging",
    description="Unbundled diagnostic imaging: one row per scan the provider invoiced separately "
    "from the core spell or attendance (the Dacorum plan's unbundling of elective tariffs), or "
    "requested by the GP directly (direct access, no parent row). Priced by its imaging HRG from "
    "the local price list x MFF; partitioned by imaging month and provider.",
    key=("imaging_id",),
    period_field="imaging_date",
    partition_by_provider=True,
    partition_by_commissioner=True,
    fields=(
        _f("imaging_id", "string", True, description="Stable row key."),
        _NHS_NUMBER_ACTIVITY,
        _PRACTICE,
        _PROVIDER,
        _f("sex", "string", False, codes=SEX_CODES),
        _f("age_at_imaging", "int", False),
        _f(
            "imaging_date",
            "date",
            True,
            description="Date of the examination; invoiced (and priced) in its month.",
        ),
        _f(
            "parent_dataset",
            "string",
            False,
            codes=frozenset(ACTIVITY_DATASETS),
            description="The dataset of the spell or attendance the scan was unbundled from; "
            "empty for GP direct access.",
        ),
        _f(
            "parent_row_id",
            "string",
            False,
            description="spell_id (apc) or attendance_id (op, ae) of that row; empty for GP "
            "direct access.",
        ),
        _f(
            "hrg_code",
            "string",
            True,
            check="hrg_code",
            description="Imaging HRG (the service code of the local price list).",
        ),
        _f("point_of_delivery", "string", True, codes=IMAGING_POINTS_OF_DELIVERY),
        *_charged(IMAGING_POINTS_OF_DELIVERY, required=True),
    ),
)

REFERRALS = Dataset(
    name="referrals",
    description="GP referrals to secondary care, partitioned by referral month.",
    key=("referral_id",),
    period_field="referral_date",
    fields=(
        _f("referral_id", "string", True),
        _f("nhs_number", "string", True, check="nhs_number"),
        _PRACTICE,
        _PROVIDER,
        _f("referral_date", "date", True),
        _TF,
        _f("priority_type", "string", True, codes=PRIORITY_TYPES),
        _f("choose_and_book", "bool", True, description="Booked through Choose and Book."),
        _f("first_seen_date", "date", False, description="Date of the first attendance."),
    ),
)

RTT = Dataset(
    name="rtt",
    description="Referral-to-treatment pathways (one row per pathway), partitioned by clock "
    "start month. Incomplete pathways have no clock stop: they are open at the end of the data "
    "(the census date is the last day of the generated period).",
    key=("pathway_id",),
    period_field="clock_start_date",
    fields=(
        _f("pathway_id", "string", True, description="Patient pathway identifier."),
        _f("referral_id", "string", False),
        _f("nhs_number", "string", True, check="nhs_number"),
        _PRACTICE,
        _PROVIDER,
        _TF,
        _f("clock_start_date", "date", True),
        _f("clock_stop_date", "date", False),
        _f("pathway_type", "string", True, codes=RTT_PATHWAY_TYPES),
        _f(
            "first_appointment_dna",
            "bool",
            True,
            description="The patient did not attend the first appointment (clock nullified).",
        ),
    ),
)

PRESCRIBING = Dataset(
    name="prescribing",
    description="Practice prescribing (ePACT / PDPI style): practice x BNF presentation x month.",
    key=("gp_practice_code", "bnf_code", "month"),
    period_field="month",
    fields=(
        _PRACTICE,
        _f("month", "date", True, description="First day of the dispensing month."),
        _f("bnf_code", "string", True, check="bnf_code"),
        _f("bnf_name", "string", True),
        _f("items", "int", True),
        _f("quantity", "float", True),
        _money("net_ingredient_cost"),
        _money("actual_cost"),
    ),
)

# --- reference data --------------------------------------------------------------------------

TARIFF = Dataset(
    name="tariff",
    description="Reference tariff per financial year (synthetic, realistic magnitudes). One row "
    "per financial year x point of delivery x HRG (admitted care, OP procedures, A&E) or x "
    "treatment function (OP first / follow-up). A row with point_of_delivery NELST is the "
    "short-stay emergency price of that HRG: its presence makes the HRG eligible. Partitioned "
    "by year (year_start) and point of delivery, so importing one sheet of a year's published "
    "tariff workbook replaces that year's rows of those points of delivery only.",
    reference=True,
    key=("financial_year", "point_of_delivery", "hrg_code", "treatment_function_code"),
    period_field="year_start",
    partition_by=("point_of_delivery",),
    fields=(
        _f("financial_year", "string", True, description="'2008/09'."),
        Field(
            "year_start",
            "date",
            True,
            starts="financial_year",
            description="1 April of the financial year (the partition a year's import replaces).",
        ),
        _f("point_of_delivery", "string", True, codes=POINTS_OF_DELIVERY),
        _f("hrg_code", "string", False, check="hrg_code"),
        _f("treatment_function_code", "string", False, check="treatment_function_code"),
        _f("hrg_description", "string", False),
        _money("price", description="Base price before MFF (GBP)."),
        _f("trim_point_days", "int", False, description="EL and NEL rows: spell trim point."),
        _money("excess_bed_day_rate", required=False, description="Per day beyond trim point."),
        _f(
            "short_stay_max_los_days",
            "int",
            False,
            description="NELST rows: the adjustment applies when length_of_stay <= this.",
        ),
        _f(
            "short_stay_min_age",
            "int",
            False,
            description="NELST rows: the adjustment applies from this age on admission.",
        ),
    ),
)

LOCAL_PRICES = Dataset(
    name="local_prices",
    description="Local cost-per-case price list per financial year (synthetic, realistic "
    "magnitudes), agreed by the PCT for every provider: non-tariff services (a point of "
    "delivery x HRG or treatment function the national tariff has no row for) and unbundled "
    "elements (point of delivery IMG: diagnostic imaging by imaging HRG). Keyed as the tariff "
    "and by the PCT that agreed it: each PCT keeps its own list (a PCT's import replaces only "
    "its own) and costing prices a row from its commissioner's list. A local price never "
    "overrides a national tariff row. Flat per case (no trim point), x MFF.",
    reference=True,
    partition_by_commissioner=True,
    key=(
        "commissioner_code",
        "financial_year",
        "point_of_delivery",
        "hrg_code",
        "treatment_function_code",
    ),
    fields=(
        _COMMISSIONER_LIST,
        _f("financial_year", "string", True, description="'2008/09'."),
        _f("point_of_delivery", "string", True, codes=LOCAL_PRICE_POINTS_OF_DELIVERY),
        _f("hrg_code", "string", False, check="hrg_code"),
        _f("treatment_function_code", "string", False, check="treatment_function_code"),
        _f("service_description", "string", False),
        _money("price", description="Price per case before MFF (GBP)."),
    ),
)

MARKET_FORCES_FACTORS = Dataset(
    name="market_forces_factors",
    description="Market forces factor per provider and financial year (part of the tariff). "
    "Partitioned by financial year, so importing one year's factors replaces that year's only.",
    reference=True,
    key=("financial_year", "provider_code"),
    partition_by=("financial_year",),
    fields=(
        _f(
            "financial_year",
            "string",
            True,
            description="'2008/09' (the partition: financial_year=2008-09).",
        ),
        _PROVIDER,
        Field("market_forces_factor", "decimal", True, precision=6, scale=4),
    ),
)

FOLLOW_UP_CAPS = Dataset(
    name="follow_up_caps",
    description="Locally agreed cap on the new-to-follow-up ratio (follow-ups per first "
    "attendance) by treatment function and financial year, for every provider, per PCT (the "
    "rule applies a row's commissioner's caps; a PCT's import replaces only its own caps).",
    reference=True,
    partition_by_commissioner=True,
    key=("commissioner_code", "financial_year", "treatment_function_code"),
    fields=(
        _COMMISSIONER_LIST,
        _f("financial_year", "string", True),
        _TF,
        _f("follow_up_ratio_cap", "float", True),
    ),
)

POPULATION_WEIGHTS = Dataset(
    name="population_weights",
    description="Age/sex weights per registered patient: 'astro_pu_2013' (prescribing, ASTRO-PU "
    "2013 cost-based) and 'hospital_activity' (documented in docs/data.md). Given on the five-year "
    "bands of list_sizes (a weight published for a wider band repeats on each band inside it).",
    reference=True,
    key=("weighting", "sex", "age_band"),
    fields=(
        _f("weighting", "string", True, codes=WEIGHTINGS),
        _f("sex", "string", True, codes=SEX_CODES),
        _f("age_band", "string", True, codes=frozenset(AGE_BANDS)),
        _f("weight", "float", True),
    ),
)

WEIGHTED_POPULATIONS = Dataset(
    name="weighted_populations",
    description="Weighted list size per practice, quarter and weighting: "
    "sum over sex x age band of registered_patients x weight (one definition for indicators "
    "and budgets; see pbc.synth.weights.weighted_populations).",
    key=("gp_practice_code", "quarter_start", "weighting"),
    period_field="quarter_start",
    fields=(
        _PRACTICE,
        Field("quarter_start", "date", True, starts="quarter"),
        _f("weighting", "string", True, codes=WEIGHTINGS),
        _f("registered_patients", "int", True),
        _f("weighted_population", "float", True),
    ),
)

FAULTS = Dataset(
    name="faults",
    description="Truth file of the generator: every activity row a correct validation rule "
    "must flag, injected or natural. One row per (rule, row); a row may appear under several "
    "rules.",
    key=("rule_id", "dataset", "row_id"),
    fields=(
        _f("rule_id", "string", True, codes=frozenset(FAULT_RULE_IDS)),
        _f("dataset", "string", True, codes=frozenset(ACTIVITY_DATASETS)),
        _f("row_id", "string", True, description="spell_id (apc) or attendance_id (op, ae)."),
        _f("origin", "string", True, codes=FAULT_ORIGINS),
    ),
)

# The provider's invoice lines (docs/data.md "Activity and invoice"): what was charged, apart
# from the activity. Any point of delivery a provider may charge, imaging included.
INVOICE_LINES = invoice_lines(LOCAL_PRICE_POINTS_OF_DELIVERY)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        PRACTICES,
        PCN_MEMBERSHIPS,
        PCNS,
        COMMISSIONERS,
        PROVIDERS,
        LIST_SIZES,
        PATIENTS,
        DEATHS,
        APC,
        OP,
        AE,
        IMAGING,
        REFERRALS,
        RTT,
        PRESCRIBING,
        TARIFF,
        LOCAL_PRICES,
        MARKET_FORCES_FACTORS,
        FOLLOW_UP_CAPS,
        POPULATION_WEIGHTS,
        WEIGHTED_POPULATIONS,
        FAULTS,
        INVOICE_LINES,
        *AGGREGATE_DATASETS,
        *RETURN_DATASETS,
        *SCHEME_DATASETS,
        *DEPRIVATION_DATASETS,
    )
}


# Datasets that only published files fill: the aggregate returns (QOF, RTT, A&E, and the
# national measures' periodic returns: infections, child measurement, chlamydia, cancer waits),
# which a commissioner without patient-level rows loads instead, and the ODS ePCN (memberships
# and PCN details) and eccg files, which have no 2008 equivalent. The synthetic generator and
# the demo make every other dataset (hospital activity as HES / SUS extracts and the providers'
# invoice lines, `pbc.synth.hes`), including a synthetic IMD 2007 file ranking the synthetic
# LSOAs the patients live in (`pbc.synth.areas`).
PUBLISHED_ONLY: frozenset[str] = frozenset(
    {d.name for d in (*AGGREGATE_DATASETS, *RETURN_DATASETS, *SCHEME_DATASETS)}
    | {PCN_MEMBERSHIPS.name, PCNS.name, COMMISSIONERS.name}
)
GENERATED_DATASETS: tuple[str, ...] = tuple(n for n in DATASETS if n not in PUBLISHED_ONLY)


def dataset(name: str) -> Dataset:
    """The declared dataset called `name`; KeyError naming the known datasets otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}") from None
