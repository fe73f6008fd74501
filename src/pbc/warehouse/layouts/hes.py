"""Hospital activity as HES and SUS extracts give it: admitted patient care (one row per
consultant episode, rolled up to spells), outpatient attendances and A&E attendances, in the
field names of the HES data dictionary across its yearly variants. They load the activity
datasets `apc`, `op` and `ae` with no invoice fields (what the provider charged comes from the
invoice; docs/data.md "Activity and invoice", "HES admitted patient care", ...).

The "not known" and null conventions of the HES data dictionary load as missing, or as the
code's meaning, and every row carrying one is noted in `not_known` (and so flagged), never
rejected:

- blank, and `&` (not known) in code fields (TRETSPEF, GPPRAC, OPERTN_4_01, ...);
- SEX 0 (not known), 9 (not specified), X; ADMIMETH 98 (not applicable), 99 (not known);
  CLASSPAT 8, 9; FIRSTATT 9, X; ATTENDED 0 (not applicable), 9; REFSOURC 99; PRIORITY 9;
  AEDEPTTYPE 99, AEATTENDCAT 9, AEATTENDDISP 99: missing;
- DISMETH 9 (not known): kept (the dataset's own code for "not known"), noted;
- STARTAGE / APPTAGE / ARRIVALAGE 7001-7007 (under one year: 7001 under a day ... 7007 nine to
  twelve months): age 0, noted;
- dates before 1850 (HES 1800-01-01 null date, 1801-01-01 invalid date, 1600-01-01 and
  1582-10-15 in some years' extracts), in any of the date forms read: missing, noted;
- GPPRAC V81997 (no registered practice), V81998 (not applicable), V81999 (not known): kept as
  published, flagged by the practice check (not a practice) and noted;
- LSOA11 / LSOA01 / SOACODE Z99999999 (not known) and the postcode directory's pseudo codes
  (L99999999 Channel Islands, M99999999 Isle of Man, ...): missing, noted.
"""

from __future__ import annotations

from pbc.warehouse.layouts.spec import Column, Drop, Layout, Spells

HES_SOURCE = (
    "NHS Digital (now NHS England), Hospital Episode Statistics (HES) extracts, and SUS "
    "extracts in HES field names; artificial HES data in the same layout"
)
HES_SPEC = (
    "https://digital.nhs.uk/data-and-information/data-tools-and-services/data-services/"
    "hospital-episode-statistics/hospital-episode-statistics-data-dictionary "
    "(HES Data Dictionary: Admitted Patient Care, Outpatients, Accident and Emergency)"
)

# Dates HES writes for a null or invalid date (1800-01-01, 1801-01-01, 1600-01-01, 1582-10-15):
# any year before 1850, the importer's own earliest date.
_OLD_YEAR = r"(1[0-7][0-9]{2}|18[0-4][0-9])"
NULL_DATE = (
    rf"{_OLD_YEAR}-[0-9]{{2}}-[0-9]{{2}}( .*)?|[0-9]{{1,2}}/[0-9]{{1,2}}/{_OLD_YEAR}( .*)?"
    rf"|{_OLD_YEAR}[0-9]{{4}}"
)
# HES extracts write dates as ISO (2001-05-12); SUS and some DARS deliveries as DD/MM/YYYY or
# YYYYMMDD. All three are read (a time part is dropped).
HES_DATES = ("iso", "dd/mm/yyyy", "yyyymmdd")
# Ages 7001-7007 (under a year), also as some extracts write numbers: "7001.0".
UNDER_ONE = {f"70{n:02d}{tail}": "0" for n in range(1, 8) for tail in ("", ".0")}
NOT_KNOWN_CODE = {"&": None}
PRACTICE_NOT_KNOWN = {"&": None, "V81997": "V81997", "V81998": "V81998", "V81999": "V81999"}
SEX = {"1": "M", "2": "F"}
SEX_NOT_KNOWN = {"0": None, "9": None, "X": None}
# LSOA fields: Z99999999 not known (HES data dictionary, SOACODE); the ONS postcode directory's
# pseudo codes for a postcode with no LSOA (L99999999 Channel Islands, M99999999 Isle of Man,
# S99999999, N99999999, E99999999, W99999999), which HES LSOA11 carries too: missing, noted.
LSOA_PSEUDO = r"[A-Z]99999999"


def _common(age_field: str, age_names: tuple[str, ...]) -> tuple[Column, ...]:
    """Patient, practice, provider and commissioner: the same HES fields in every dataset."""
    return (
        Column("nhs_number", names=("NEWNHSNO", "NHSNO"), optional=True),
        Column(
            "patient_pseudonym",
            names=("PSEUDO_HESID", "HESID", "TOKEN_PERSON_ID"),
            optional=True,
            coalesce=True,
        ),
        Column("gp_practice_code", names=("GPPRAC",), optional=True, not_known=PRACTICE_NOT_KNOWN),
        # The trust (PROCODE3); older extracts name it PROCODE, later ones add the trust of a
        # site (PROCODET); a file with only the site code (PROCODE5) loads by site.
        Column(
            "provider_code",
            names=("PROCODE3", "PROCODE", "PROCODET", "PROCODE5"),
            coalesce=True,
        ),
        # The responsible commissioner: CCG_RESPONSIBILITY (from 2013/14), else the purchaser
        # as submitted (PURCODE), else the PCT of the patient's practice or residence
        # (PCTCODE_HIS). The published 5-character form of a 3-character code loses its "00".
        Column(
            "commissioner_code",
            names=("CCG_RESPONSIBILITY", "PURCODE", "PCTCODE_HIS", "PCTCODE"),
            coalesce=True,
            extract=r"^([A-Z0-9]{3})00$",
            not_known=NOT_KNOWN_CODE,
        ),
        Column("sex", names=("SEX",), recode=SEX, not_known=SEX_NOT_KNOWN, optional=True),
        Column(
            age_field,
            names=age_names,
            optional=True,
            not_known=UNDER_ONE,
        ),
        # The patient's LSOA of residence, derived from the postcode: LSOA11 (2011 census
        # geography), else LSOA01 (2001), else SOACODE (the earlier years' super output area).
        Column(
            "lsoa_code",
            names=("LSOA11", "LSOA01", "SOACODE"),
            optional=True,
            coalesce=True,
            not_known_pattern=LSOA_PSEUDO,
        ),
    )


HES_APC = Layout(
    name="hes_apc",
    dataset="apc",
    title="HES / SUS admitted patient care, one row per consultant episode (rolled up to "
    "provider spells)",
    source=HES_SOURCE,
    spec=HES_SPEC,
    columns=(
        Column("spell_id", names=("PROVSPNO",), optional=True),
        *_common("age_on_admission", ("STARTAGE", "ADMIAGE")),
        Column("admission_date", names=("ADMIDATE",), date=HES_DATES, not_known_pattern=NULL_DATE),
        Column("discharge_date", names=("DISDATE",), date=HES_DATES, not_known_pattern=NULL_DATE),
        # The spell's length of stay is recomputed from its dates; SPELDUR fills it where a
        # date is missing.
        Column("length_of_stay", names=("SPELDUR",), optional=True),
        Column("admission_method", names=("ADMIMETH",), not_known={"98": None, "99": None}),
        Column("patient_classification", names=("CLASSPAT",), not_known={"8": None, "9": None}),
        Column(
            "treatment_function_code",
            names=("TRETSPEF",),
            optional=True,
            not_known=NOT_KNOWN_CODE,
        ),
        Column(
            "primary_diagnosis_code",
            names=("DIAG_4_01", "DIAG_01", "DIAG4_01"),
            optional=True,
            not_known=NOT_KNOWN_CODE,
        ),
        # "-" (no operation) is false, an OPCS-4 code true, & (not known) missing.
        Column(
            "procedure_flag",
            names=("OPERTN_4_01", "OPERTN_01"),
            optional=True,
            recode={"-": "false"},
            otherwise="true",
            not_known=NOT_KNOWN_CODE,
        ),
        Column("discharge_method", names=("DISMETH",), optional=True, not_known={"9": "9"}),
        # The spell HRG SUS derived (SUSHRG; HRG v3.5 HRGLATE35 to 2008/09, HRG4 HRG40 after):
        # empty in the artificial samples, so those spells are unpriced (no HRG).
        Column(
            "hrg_code",
            names=("SUSHRG", "SPELHRG", "HRG", "HRG40", "HRGLATE35"),
            optional=True,
            coalesce=True,
        ),
        Column("_episode_order", names=("EPIORDER",), optional=True),
        Column("_episode_start", names=("EPISTART",), date=HES_DATES, optional=True),
        Column("_episode_status", names=("EPISTAT",), optional=True),
    ),
    not_known_field="not_known",
    drops=(
        Drop(
            field="_episode_status",
            reason="unfinished episode (EPISTAT 1): HES and PbR count finished episodes only",
            values=("1",),
        ),
    ),
    spells=Spells(
        spell_field="spell_id",
        patient_fields=("nhs_number", "patient_pseudonym"),
        admission_field="admission_date",
        order_fields=("_episode_order", "_episode_start"),
        last_fields=("discharge_date", "discharge_method"),
        any_fields=("procedure_flag",),
        first_known_fields=("hrg_code",),
        merged_fields=("not_known",),
        length_of_stay=("length_of_stay", "admission_date", "discharge_date"),
        required_end="discharge_date",
        unfinished_reason="spell without a discharge date on its last episode (unfinished at "
        "the extract, or the date not known): PbR pays a spell at discharge",
    ),
)

HES_OP = Layout(
    name="hes_op",
    dataset="op",
    title="HES / SUS outpatient attendances, one row per appointment",
    source=HES_SOURCE,
    spec=HES_SPEC,
    columns=(
        # The provider's attendance identifier (ATTENDID, what its invoice names), else HES's
        # record key (ATTENDKEY): stored "PROVIDER:id".
        Column(
            "attendance_id",
            names=("ATTENDID", "ATTENDKEY"),
            coalesce=True,
            qualify="provider_code",
        ),
        *_common("age_at_attendance", ("APPTAGE",)),
        Column("attendance_date", names=("APPTDATE",), date=HES_DATES, not_known_pattern=NULL_DATE),
        Column("first_attendance", names=("FIRSTATT",), not_known={"9": None, "X": None}),
        Column(
            "attended_or_did_not_attend",
            names=("ATTENDED",),
            not_known={"0": None, "9": None, "X": None},
        ),
        Column(
            "treatment_function_code",
            names=("TRETSPEF",),
            optional=True,
            not_known=NOT_KNOWN_CODE,
        ),
        Column(
            "referral_source",
            names=("REFSOURC",),
            optional=True,
            not_known={"99": None, "X": None, "&": None},
        ),
        Column("priority_type", names=("PRIORITY",), optional=True, not_known={"9": None}),
        Column(
            "procedure_flag",
            names=("OPERTN_4_01", "OPERTN_01"),
            optional=True,
            recode={"-": "false"},
            otherwise="true",
            not_known=NOT_KNOWN_CODE,
        ),
        Column("hrg_code", names=("SUSHRG", "HRG", "HRG40"), optional=True, coalesce=True),
        # Not HES fields: what a PCT joins to its outpatient extract from its own referral
        # management records (the GP's approval of a consultant-to-consultant referral, Y/N,
        # and the GP referral that started the episode). Absent from a plain extract.
        Column(
            "gp_approval",
            names=("GP_APPROVAL",),
            optional=True,
            recode={"Y": "true", "N": "false"},
        ),
        Column("referral_id", names=("REFERRAL_ID",), optional=True),
    ),
    not_known_field="not_known",
)

HES_AE = Layout(
    name="hes_ae",
    dataset="ae",
    title="HES / SUS accident and emergency attendances, one row per attendance",
    source=HES_SOURCE,
    spec=HES_SPEC,
    columns=(
        # The provider's A&E attendance number, else HES's record key: "PROVIDER:id".
        Column(
            "attendance_id",
            names=("ATTENDNO", "ATTENDID", "AEKEY"),
            coalesce=True,
            qualify="provider_code",
        ),
        *_common("age_at_attendance", ("ARRIVALAGE", "ARRIVALAGE_CALC")),
        Column("arrival_date", names=("ARRIVALDATE",), date=HES_DATES, not_known_pattern=NULL_DATE),
        Column(
            "ae_department_type",
            names=("AEDEPTTYPE",),
            recode={"1": "01", "2": "02", "3": "03", "4": "04"},
            not_known={"99": None, "&": None},
        ),
        Column(
            "ae_attendance_category",
            names=("AEATTENDCAT",),
            optional=True,
            not_known={"9": None, "&": None},
        ),
        Column(
            "ae_attendance_disposal",
            names=("AEATTENDDISP", "AEATTENDDISPOSAL"),
            optional=True,
            recode={str(n): f"{n:02d}" for n in range(1, 15)},
            not_known={"99": None, "&": None},
        ),
        Column("hrg_code", names=("SUSHRG", "HRG", "HRG40"), optional=True, coalesce=True),
    ),
    not_known_field="not_known",
)

LAYOUTS = (HES_APC, HES_OP, HES_AE)
