"""Hospital activity as a commissioner receives it from SUS today: NHS England's SUS+ data in
the National Commissioning Data Repository (NCDR; through UDAL or the DSCRO), the tables of the
SUS Extract Mart (SEM) and the Emergency Care Data Set, one extract file per table. They load
the activity datasets `apc`, `op` and `ae` as the HES layouts do (`pbc.warehouse.layouts.hes`:
the same "not known" conventions, noted and flagged, never rejected), with the NCDR's column
names. docs/data.md "SUS extracts as the NCDR gives them" lists the columns and the sources.

- `sus_apcs`: admitted patient care spells (tbl_Data_SEM_APCS; UDAL MESH_APC.APCS_Core):
  one row per hospital provider spell, with the spell HRG SUS derived (Spell_Core_HRG_SUS).
- `sus_opa`: outpatient attendances (tbl_Data_SEM_OPA).
- `sus_aea`: A&E attendances in the commissioning data set (tbl_Data_SEM_AEA: "taken from SUS
  SEM from 2008/09 until 2014/15 and from SUS+ for 2015/16 onwards", to the ECDS).
- `sus_ecds`: Emergency Care Data Set attendances (tbl_Data_SUS_EC; UDAL MESH_ECDS.EC_Core).
- `sus_pbr_apc`, `sus_pbr_op`: the SUS+ PbR extracts themselves, in their data item names
  ("Start Date (Hospital Provider Spell)", "Spell Core HRG"): admitted care one row per
  episode, rolled up to spells by provider and Hospital Provider Spell No.

The cost columns SUS adds (tariff, MFF: the *_Cost tables) are not read: they are SUS's own
pricing, not what the provider charged (that is the invoice) and not pbc's expected cost (pbc
prices the activity against the published tariff itself).
"""

from __future__ import annotations

from pbc.warehouse.layouts.hes import (
    HES_DATES,
    LSOA_PSEUDO,
    NOT_KNOWN_CODE,
    NULL_DATE,
    PRACTICE_NOT_KNOWN,
    SEX,
    SEX_NOT_KNOWN,
    UNDER_ONE,
)
from pbc.warehouse.layouts.spec import Column, Drop, Layout, Spells

SUS_SOURCE = (
    "NHS England, SUS+ data in the National Commissioning Data Repository (NCDR), database "
    "NHSE_SUSPlus_Live: the SUS Extract Mart (SEM) tables and the ECDS table, as extracts for "
    "commissioners (UDAL, DSCRO)"
)
SUS_SPEC = (
    "https://data.england.nhs.uk/ncdr/database/NHSE_SUSPlus_Live/ (NCDR Reference Library: "
    "tables tbl_Data_SEM_APCS, tbl_Data_SEM_OPA, tbl_Data_SEM_AEA, tbl_Data_SUS_EC, their "
    "columns and data elements; NHS Data Model and Dictionary for the codes)"
)

# Extracts saved from SQL Server (Management Studio's "save results as") write a null as NULL.
SQL_NULL = ("NULL",)

# SUS writes organisation codes in their 5-character form too (RWG00, 5P200, 00C00): the 3-
# character code is kept.
_THREE = r"^([A-Z0-9]{3})00$"


def _common(age_names: tuple[str, ...], age_field: str) -> tuple[Column, ...]:
    return (
        Column("nhs_number", names=("NHS_Number",), optional=True),
        Column(
            "patient_pseudonym",
            names=("Der_Pseudo_NHS_Number", "Pseudo_NHS_Number"),
            optional=True,
            coalesce=True,
        ),
        Column(
            "gp_practice_code",
            names=("GP_Practice_Code", "GP_Practice_SUS", "Practice_Code"),
            optional=True,
            coalesce=True,
            not_known=PRACTICE_NOT_KNOWN,
        ),
        Column(
            "provider_code",
            names=("Der_Provider_Code", "Provider_Code"),
            coalesce=True,
            extract=_THREE,
        ),
        # The responsible commissioner SUS derived (Der_Commissioner_Code), else the
        # commissioner the provider submitted.
        Column(
            "commissioner_code",
            names=("Der_Commissioner_Code", "Commissioner_Code"),
            coalesce=True,
            extract=_THREE,
            not_known=NOT_KNOWN_CODE,
        ),
        Column("sex", names=("Sex",), recode=SEX, not_known=SEX_NOT_KNOWN, optional=True),
        Column(age_field, names=age_names, optional=True, coalesce=True, not_known=UNDER_ONE),
        # The LSOA (2011) of the patient's postcode, as the NCDR derives it.
        Column(
            "lsoa_code",
            names=("Der_Postcode_LSOA_2011_Code", "Der_Postcode_LSOA_Code"),
            optional=True,
            coalesce=True,
            not_known_pattern=LSOA_PSEUDO,
        ),
    )


_DUPLICATE = Drop(
    field="_duplicate",
    reason="duplicate record (Der_Dupe_Flag 1: SUS marks it a copy of another attendance)",
    values=("1", "TRUE"),
)

SUS_APCS = Layout(
    name="sus_apcs",
    dataset="apc",
    title="SUS admitted patient care spells as the NCDR gives them (tbl_Data_SEM_APCS, "
    "APCS_Core): one row per hospital provider spell",
    source=SUS_SOURCE,
    spec=SUS_SPEC,
    columns=(
        # The provider's spell number (what its invoice names), else the NCDR's spell record
        # id: stored "PROVIDER:number".
        Column(
            "spell_id",
            names=("Hospital_Spell_No", "APCS_Ident"),
            optional=True,
            coalesce=True,
        ),
        *_common(("Age_At_Start_of_Spell_SUS", "Der_Age_at_CDS_Activity_Date"), "age_on_admission"),
        Column(
            "admission_date",
            names=("Admission_Date", "Start_Date_Hospital_Provider_Spell"),
            date=HES_DATES,
            not_known_pattern=NULL_DATE,
        ),
        Column(
            "discharge_date",
            names=("Discharge_Date", "End_Date_Hospital_Provider_Spell"),
            date=HES_DATES,
            not_known_pattern=NULL_DATE,
        ),
        # Recomputed from the dates; the NCDR's own length of stay fills it where one is missing.
        Column(
            "length_of_stay",
            names=("Der_Spell_LoS", "Spell_LoS", "Hospital_Spell_Duration"),
            optional=True,
            coalesce=True,
        ),
        Column(
            "admission_method",
            names=("Admission_Method", "Admission_Method_Hospital_Provider_Spell"),
            not_known={"98": None, "99": None},
        ),
        Column(
            "patient_classification",
            names=("Patient_Classification",),
            not_known={"8": None, "9": None},
        ),
        # The spell's first episode's treatment function (as the HES layout keeps it).
        Column(
            "treatment_function_code",
            names=(
                "Der_Admit_Treatment_Function_Code",
                "Treatment_Function_Code",
                "Spell_Treatment_Function_Code",
                "Der_Dischg_Treatment_Function_Code",
            ),
            optional=True,
            coalesce=True,
            not_known=NOT_KNOWN_CODE,
        ),
        Column(
            "primary_diagnosis_code",
            names=("Der_Primary_Diagnosis_Code", "Spell_Primary_Diagnosis"),
            optional=True,
            coalesce=True,
            not_known=NOT_KNOWN_CODE,
        ),
        # Any OPCS-4 code: a procedure; "-" none; blank not said.
        Column(
            "procedure_flag",
            names=("Der_Primary_Procedure_Code", "Spell_Dominant_Procedure"),
            optional=True,
            coalesce=True,
            recode={"-": "false"},
            otherwise="true",
            not_known=NOT_KNOWN_CODE,
        ),
        Column(
            "discharge_method",
            names=("Discharge_Method", "Discharge_Method_Hospital_Provider_Spell"),
            optional=True,
            not_known={"9": "9"},
        ),
        # The spell HRG SUS derived before the NCDR import (HRG4; HRG v3.5 in 2008/09 data).
        Column(
            "hrg_code",
            names=("Spell_Core_HRG_SUS", "Spell_Core_HRG", "Spell_HRG"),
            optional=True,
            coalesce=True,
        ),
    ),
    ignored=(
        "Der_Financial_Year",
        "Der_Activity_Month",
        "Der_Provider_Site_Code",
        "Spell_HRG_Version_No_SUS",
        "Der_Diagnosis_All",
        "Der_Procedure_All",
        "Der_Diagnosis_Count",
        "Der_Procedure_Count",
        "Administrative_Category",
        "Source_of_Admission",
        "Discharge_Destination",
        "Ethnic_Group",
    ),
    not_known_field="not_known",
    null_text=SQL_NULL,
    # One row per spell already: the roll-up only computes the length of stay and drops the
    # spells not yet discharged (PbR pays at discharge); a spell repeated in the file is one.
    spells=Spells(
        spell_field="spell_id",
        patient_fields=("nhs_number", "patient_pseudonym"),
        admission_field="admission_date",
        last_fields=("discharge_date", "discharge_method"),
        merged_fields=("not_known",),
        length_of_stay=("length_of_stay", "admission_date", "discharge_date"),
        required_end="discharge_date",
        unfinished_reason="spell not discharged (no Discharge_Date): PbR pays a spell at discharge",
    ),
)

SUS_OPA = Layout(
    name="sus_opa",
    dataset="op",
    title="SUS outpatient attendances as the NCDR gives them (tbl_Data_SEM_OPA): one row per "
    "appointment",
    source=SUS_SOURCE,
    spec=SUS_SPEC,
    columns=(
        Column(
            "attendance_id",
            names=("Attendance_Identifier", "OPA_Ident"),
            coalesce=True,
            qualify="provider_code",
        ),
        *_common(
            (
                "Age_at_Start_of_Episode_SUS",
                "Der_Age_at_CDS_Activity_Date",
                "Age_at_CDS_Activity_Date",
            ),
            "age_at_attendance",
        ),
        Column(
            "attendance_date",
            names=("Appointment_Date",),
            date=HES_DATES,
            not_known_pattern=NULL_DATE,
        ),
        Column("first_attendance", names=("First_Attendance",), not_known={"9": None, "X": None}),
        Column(
            "attended_or_did_not_attend",
            names=("Attendance_Status", "Attended_Or_Did_Not_Attend"),
            not_known={"0": None, "9": None, "X": None},
        ),
        Column(
            "treatment_function_code",
            names=("Treatment_Function_Code",),
            optional=True,
            not_known=NOT_KNOWN_CODE,
        ),
        Column(
            "referral_source",
            names=("OPA_Referral_Source", "Source_of_Referral_For_Outpatients"),
            optional=True,
            coalesce=True,
            not_known={"99": None, "X": None, "&": None},
        ),
        Column("priority_type", names=("Priority_Type",), optional=True, not_known={"9": None}),
        Column(
            "procedure_flag",
            names=("Der_Primary_Procedure_Code", "Primary_Procedure_Code"),
            optional=True,
            coalesce=True,
            recode={"-": "false"},
            otherwise="true",
            not_known=NOT_KNOWN_CODE,
        ),
        # The HRG SUS derived (an attendance HRG such as WF01A, or a procedure HRG): costing
        # prices by HRG only where there is a procedure, else by treatment function.
        Column("hrg_code", names=("SUS_HRG", "Core_HRG", "HRG_Code"), optional=True, coalesce=True),
    ),
    ignored=(
        "Der_Financial_Year",
        "Der_Activity_Month",
        "Der_Provider_Site_Code",
        "Main_Specialty_Code",
        "Outcome_of_Attendance",
        "Der_Procedure_All",
        "Der_Diagnosis_All",
        "Der_Attendance_Type",
        "Der_Appointment_Type",
        "Administrative_Category",
    ),
    not_known_field="not_known",
    null_text=SQL_NULL,
)

SUS_AEA = Layout(
    name="sus_aea",
    dataset="ae",
    title="SUS A&E attendances as the NCDR gives them (tbl_Data_SEM_AEA, 2008/09 to the "
    "ECDS): one row per attendance",
    source=SUS_SOURCE,
    spec=SUS_SPEC,
    columns=(
        # The department's attendance number (what an invoice names), else the NCDR's id.
        Column(
            "attendance_id",
            names=("AEA_Attendance_Number", "AEA_Ident"),
            coalesce=True,
            qualify="provider_code",
        ),
        *_common(("Der_Age_At_CDS_Activity_Date", "Age_at_CDS_Activity_Date"), "age_at_attendance"),
        Column(
            "arrival_date",
            names=("Arrival_Date",),
            date=HES_DATES,
            not_known_pattern=NULL_DATE,
        ),
        Column(
            "ae_department_type",
            names=("AEA_Department_Type",),
            recode={"1": "01", "2": "02", "3": "03", "4": "04"},
            not_known={"99": None, "&": None},
        ),
        Column(
            "ae_attendance_category",
            names=("AEA_Attendance_Category",),
            optional=True,
            not_known={"9": None, "&": None},
        ),
        Column(
            "ae_attendance_disposal",
            names=("AEA_Attendance_Disposal",),
            optional=True,
            recode={str(n): f"{n:02d}" for n in range(1, 15)},
            not_known={"99": None, "&": None},
        ),
        Column("hrg_code", names=("HRG_Code", "SUS_HRG_Code"), optional=True, coalesce=True),
    ),
    ignored=(
        "Der_Financial_Year",
        "Der_Activity_Month",
        "Der_Provider_Site_Code",
        "Arrival_Time",
        "AEA_Arrival_Mode",
        "AEA_Patient_Group",
        "AEA_Departure_Date",
        "AEA_Departure_Time",
        "Der_Diagnosis_All",
        "Der_Investigation_All",
        "Der_Treatment_All",
    ),
    not_known_field="not_known",
    null_text=SQL_NULL,
)

SUS_ECDS = Layout(
    name="sus_ecds",
    dataset="ae",
    title="Emergency Care Data Set attendances as the NCDR gives them (tbl_Data_SUS_EC, "
    "EC_Core; from 2017/18): one row per attendance",
    source=SUS_SOURCE,
    spec=SUS_SPEC,
    columns=(
        Column(
            "attendance_id",
            names=("EC_Ident", "Generated_Record_ID"),
            coalesce=True,
            qualify="provider_code",
        ),
        *_common(
            ("Age_At_Arrival", "Der_Age_At_CDS_Activity_Date", "Der_Age_at_CDS_Activity_Date"),
            "age_at_attendance",
        ),
        Column(
            "arrival_date",
            names=("Arrival_Date", "Der_EC_Arrival_Date_Time"),
            coalesce=True,
            date=HES_DATES,
            not_known_pattern=NULL_DATE,
        ),
        Column(
            "ae_department_type",
            names=("EC_Department_Type",),
            recode={"1": "01", "2": "02", "3": "03", "4": "04"},
            not_known={"99": None, "&": None},
        ),
        # HRG SUS derived from the ECDS (VB HRGs, later the ECDS-based HRGs).
        Column("hrg_code", names=("SUS_HRG_Code", "HRG_Code"), optional=True, coalesce=True),
        Column("_duplicate", names=("Der_Dupe_Flag",), optional=True),
        Column("_finished", names=("Finished_Indicator",), optional=True),
    ),
    # ECDS codes the attendance category, disposal and discharge in its own code lists (SNOMED
    # CT for the discharge): not the commissioning data set's A&E codes pbc's fields hold, so
    # they are recognised and not loaded.
    ignored=(
        "EC_AttendanceCategory",
        "EC_Attendance_Category",
        "EC_Discharge_Status_SNOMED_CT",
        "Discharge_Destination_SNOMED_CT",
        "EC_Chief_Complaint_SNOMED_CT",
        "EC_Arrival_Mode_SNOMED_CT",
        "EC_Acuity_SNOMED_CT",
        "Der_EC_Diagnosis_All",
        "Der_EC_Investigation_All",
        "Der_EC_Treatment_All",
        "Der_EC_Departure_Date_Time",
        "EC_Departure_Date",
        "Der_Financial_Year",
        "Der_Activity_Month",
        "Der_Provider_Site_Code",
        "Arrival_Planned",
    ),
    not_known_field="not_known",
    null_text=SQL_NULL,
    drops=(
        _DUPLICATE,
        Drop(
            field="_finished",
            reason="attendance not finished at the extract (Finished_Indicator 0)",
            values=("0", "FALSE"),
        ),
    ),
)

# The SUS+ PbR extracts themselves (SUS+ "extract specification", data items of each PbR
# extract from the Portal), as a commissioner's data mart loads them: one row per episode
# (admitted care) or attendance, in the data items' own names, spaces and brackets
# included ("Start Date (Hospital Provider Spell)"), with SUS's grouping and pricing.
PBR_SOURCE = (
    "NHS England (formerly NHS Digital), Secondary Uses Service (SUS+), Payment by Results "
    "extracts for commissioners (admitted patient care episodes, outpatient attendances), "
    "delivered monthly through the SUS+ Portal or the DSCRO"
)
PBR_SPEC = (
    "https://digital.nhs.uk/services/secondary-uses-service-sus/payment-by-results-guidance "
    "('Extract specification': the data items of each PbR extract; 'SUS+ PbR reference "
    "manual': spell construction and pricing)"
)
_PBR_PROVIDER = Column(
    "provider_code",
    names=("Organisation Code (Code Of Provider)", "Provider Code (Original Data)"),
    coalesce=True,
    extract=_THREE,
)
_PBR_COMMISSIONER = Column(
    "commissioner_code",
    names=(
        "Organisation Code (Code Of Commissioner)",
        "Derived Commissioner",
        "Commissioner Code (Original Data)",
    ),
    coalesce=True,
    extract=_THREE,
    not_known=NOT_KNOWN_CODE,
)
_PBR_PRACTICE = Column(
    "gp_practice_code",
    names=("GP Practice Code (Derived)", "GP Practice Code (Original Data)"),
    optional=True,
    coalesce=True,
    not_known=PRACTICE_NOT_KNOWN,
)
_PBR_IGNORED = (
    "Generated Record ID",
    "Unique CDS Identifier",
    "CDS Record Type",
    "CDS Activity Date",
    "Spell In PbR/Not In PbR",
    "PbR Final Tariff",
    "Tariff Initial Amount National",
    "Tariff Pre MFF Adjusted National",
    "Tariff Total Payment National",
    "Organisation Code (PCT Of Residence)",
    "PCT Derived From GP Practice",
    "Patient Postcode Derived PCT",
    "Derived Commissioner Type",
    "Main Specialty Code",
    "Consultant Code",
    "Ethnic Category Code",
    "Local Patient Identifier",
)

SUS_PBR_APC = Layout(
    name="sus_pbr_apc",
    dataset="apc",
    title="SUS+ PbR extract, admitted patient care: one row per episode, in the extract's "
    "data item names (rolled up to provider spells)",
    source=PBR_SOURCE,
    spec=PBR_SPEC,
    columns=(
        Column(
            "spell_id",
            names=("Hospital Provider Spell No", "Hospital Provider Spell Number"),
            optional=True,
            coalesce=True,
        ),
        Column("nhs_number", names=("NHS Number",), optional=True),
        _PBR_PRACTICE,
        _PBR_PROVIDER,
        _PBR_COMMISSIONER,
        Column("sex", names=("Gender Code",), recode=SEX, not_known=SEX_NOT_KNOWN, optional=True),
        Column(
            "age_on_admission",
            names=("Age At CDS Activity Date", "Age At Start Of Episode"),
            optional=True,
            coalesce=True,
            not_known=UNDER_ONE,
        ),
        Column(
            "admission_date",
            names=("Start Date (Hospital Provider Spell)",),
            date=HES_DATES,
            not_known_pattern=NULL_DATE,
        ),
        Column(
            "discharge_date",
            names=(
                "End Date (Hospital Provider Spell)",
                "Discharge Date (Hospital Provider Spell)",
            ),
            date=HES_DATES,
            not_known_pattern=NULL_DATE,
        ),
        Column(
            "length_of_stay", names=("Length Of Stay (Hospital Provider Spell)",), optional=True
        ),
        Column(
            "admission_method",
            names=("Admission Method (Hospital Provider Spell)", "Admission Method"),
            not_known={"98": None, "99": None},
        ),
        Column(
            "patient_classification",
            names=("Patient Classification",),
            not_known={"8": None, "9": None},
        ),
        Column(
            "treatment_function_code",
            names=("Treatment Function Code",),
            optional=True,
            not_known=NOT_KNOWN_CODE,
        ),
        Column(
            "primary_diagnosis_code",
            names=("Primary Diagnosis Code",),
            optional=True,
            not_known=NOT_KNOWN_CODE,
        ),
        Column(
            "procedure_flag",
            names=("Primary Procedure Code",),
            optional=True,
            recode={"-": "false"},
            otherwise="true",
            not_known=NOT_KNOWN_CODE,
        ),
        Column(
            "discharge_method",
            names=("Discharge Method (Hospital Provider Spell)", "Discharge Method"),
            optional=True,
            not_known={"9": "9"},
        ),
        # The spell HRG SUS writes on every episode of the spell (the episode's own HRG,
        # "Core HRG (Calculated)", is not the spell's).
        Column("hrg_code", names=("Spell Core HRG", "Spell HRG"), optional=True, coalesce=True),
        Column("_episode_order", names=("Episode Number",), optional=True),
        Column("_episode_start", names=("Episode Start Date",), date=HES_DATES, optional=True),
    ),
    ignored=(
        *_PBR_IGNORED,
        "Spell Identifier",
        "Last Episode In Spell Indicator",
        "Episode End Date",
        "Intended Management",
        "Core HRG (Calculated)",
        "Source Of Admission (Hospital Provider Spell)",
        "Discharge Destination (Hospital Provider Spell)",
        "Administrative Category (On Admission)",
        "Site Code Of Treatment (At Start Of Episode)",
        "Decided To Admit Date",
    ),
    not_known_field="not_known",
    null_text=SQL_NULL,
    spells=Spells(
        spell_field="spell_id",
        patient_fields=("nhs_number",),
        admission_field="admission_date",
        order_fields=("_episode_order", "_episode_start"),
        last_fields=("discharge_date", "discharge_method"),
        any_fields=("procedure_flag",),
        first_known_fields=("hrg_code",),
        merged_fields=("not_known",),
        length_of_stay=("length_of_stay", "admission_date", "discharge_date"),
        required_end="discharge_date",
        unfinished_reason="spell without a discharge date on its last episode (unfinished at "
        "the extract): PbR pays a spell at discharge",
    ),
)

SUS_PBR_OP = Layout(
    name="sus_pbr_op",
    dataset="op",
    title="SUS+ PbR extract, outpatient attendances: one row per appointment, in the "
    "extract's data item names",
    source=PBR_SOURCE,
    spec=PBR_SPEC,
    columns=(
        Column(
            "attendance_id",
            names=("Attendance Identifier", "Generated Record ID"),
            coalesce=True,
            qualify="provider_code",
        ),
        Column("nhs_number", names=("NHS Number",), optional=True),
        _PBR_PRACTICE,
        _PBR_PROVIDER,
        _PBR_COMMISSIONER,
        Column("sex", names=("Gender Code",), recode=SEX, not_known=SEX_NOT_KNOWN, optional=True),
        Column(
            "age_at_attendance",
            names=("Age", "Age At CDS Activity Date"),
            optional=True,
            coalesce=True,
            not_known=UNDER_ONE,
        ),
        Column(
            "attendance_date",
            names=("Appointment Date",),
            date=HES_DATES,
            not_known_pattern=NULL_DATE,
        ),
        Column("first_attendance", names=("First Attendance",), not_known={"9": None, "X": None}),
        Column(
            "attended_or_did_not_attend",
            names=("Attended Or Did Not Attend",),
            not_known={"0": None, "9": None, "X": None},
        ),
        Column(
            "treatment_function_code",
            names=("Treatment Function Code",),
            optional=True,
            not_known=NOT_KNOWN_CODE,
        ),
        Column(
            "referral_source",
            names=("Source Of Referral For Outpatients",),
            optional=True,
            not_known={"99": None, "X": None, "&": None},
        ),
        Column("priority_type", names=("Priority Type",), optional=True, not_known={"9": None}),
        Column(
            "procedure_flag",
            names=("Primary Procedure Code",),
            optional=True,
            recode={"-": "false"},
            otherwise="true",
            not_known=NOT_KNOWN_CODE,
        ),
        Column("hrg_code", names=("HRG Used For Tariff", "Core HRG"), optional=True, coalesce=True),
    ),
    ignored=(
        *_PBR_IGNORED,
        "Spell Identifier",
        "Outcome Of Attendance",
        "Administrative Category",
        "Referral Request Received Date",
        "Provider Site Code",
        "Site Code Of Treatment",
        "Medical Staff Type Seeing Patient",
    ),
    not_known_field="not_known",
    null_text=SQL_NULL,
)

LAYOUTS = (SUS_APCS, SUS_OPA, SUS_AEA, SUS_ECDS, SUS_PBR_APC, SUS_PBR_OP)
