"""GP practices and primary care networks as ODS publishes them. docs/data.md "The ODS
practice file and the ePCN file" describes both with their sources.

- `epraccur`: the ODS GP practice file (epraccur.csv, in epraccur.zip), headerless, 27
  columns documented by position (every era: the commissioner column holds a PCT, a CCG or a
  sub-ICB location code as the practice's parent at the time).
- `epcn`: the ODS ePCN workbook (ePCN.xlsx; sheets "PCNDetails", "PCN Core Partner
  Details", ...), sheet "PCN Core Partner Details" found by its header (whose cells ODS breaks
  over lines): one row per practice and PCN membership, dated. Older and newer workbooks name the practice's parent
  "CCG" or "Sub ICB Loc"; both are read.
- `epcn_dse`: the same membership rows as DSE's epcncorepartnerdetails report downloaded
  without its header (11 columns; with its header the `epcn` layout reads it).
- `epcn_details` / `epcn_details_dse`: the PCN details (sheet "PCNDetails" of the workbook, or
  DSE's epcn report, headed or not): code, name, sub-ICB location, dates, postcode.
- `eccg`: the ODS CCG file (eccg.csv, in eccg.zip; the DSE "eccg" report since 2025), the ODS
  standard 27-column organisation layout, headerless: one row per CCG (April 2013 to June
  2022) or, since July 2022, per sub-ICB location (the former CCG codes, renamed, and the
  5-character codes of merged CCGs), with commissioning hubs and sub-ICB reporting entities.
- `gp_reg_pat_map` / `gp_reg_pat_map_pcn`: NHS Digital's "Patients Registered at a GP
  Practice" mapping file (gp-reg-pat-prac-map.csv, monthly): one row per practice with its
  PCN, CCG or sub-ICB location, STP or ICB and NHS England region, read into `practices` (the
  practice's commissioner, parent and region) or into `pcn_memberships` (its PCN on the
  extract date; "U" / "Unallocated", no PCN, is dropped and counted).
"""

from __future__ import annotations

from pbc.warehouse.layouts.spec import Column, Drop, Layout

_ODS_DATES = ("yyyymmdd", "dd/mm/yyyy", "excel")
# ODS's Data Search and Export (DSE) describes a record's status as active or inactive (from its
# operational dates) and a GP practice by its role RO76 "GP Practice", the legacy prescribing
# setting 4; the legacy csv wrote A/C/D/P and 4. Both are read (docs/data.md, epraccur).
# The legacy codes' own words (epraccur specification: A Active, C Closed, D Dormant, P
# Proposed) are read too, as readers of the DSE report meet them ("CLOSED" beside "INACTIVE").
_DSE_STATUS = {
    "ACTIVE": "A",
    "INACTIVE": "C",
    "CLOSED": "C",
    "DORMANT": "D",
    "PROPOSED": "P",
}
_DSE_SETTING = {"RO76": "4"}
# The first column's name where a redistribution (or DSE's "with headers" download) adds a
# header row to a headerless ODS file: the ODS standard's own field name first, then the names
# seen in redistributions. The columns are still read by their documented positions.
_FIRST_HEADINGS = (
    "Organisation Code",
    "Organisation_Code",
    "OrganisationCode",
    "Org Code",
    "ODS Code",
    "Code",
)

EPRACCUR = Layout(
    name="epraccur",
    dataset="practices",
    title="ODS GP practices (epraccur.csv): headerless, 27 columns",
    source="NHS Digital Organisation Data Service (ODS), 'GP and GP practice related data', "
    "epraccur, monthly (quarterly in the PCT era)",
    spec="https://digital.nhs.uk/services/organisation-data-service/"
    "export-data-files/csv-downloads/gp-and-gp-practice-related-data",
    headerless=True,
    width=27,
    first_heading=(*_FIRST_HEADINGS, "Practice Code", "GP Practice Code", "Practice"),
    columns=(
        Column("gp_practice_code", position=1),
        Column("practice_name", position=2),
        Column("region_code", position=3),  # National Grouping
        Column("parent_code", position=4),  # High Level Health Geography
        Column("postcode", position=10),
        Column("open_date", position=11, date=_ODS_DATES),
        Column("close_date", position=12, date=_ODS_DATES),
        Column("status_code", position=13, recode=_DSE_STATUS),
        # Commissioner (column 15), else Provider/Purchaser (column 24) where 15 is blank: the
        # file's own specification (the PDF in epraccur.zip) names both; OpenPrescribing reads
        # the practice's CCG from 24. Where both are filled pbc keeps 15, as before.
        Column("pct_code", position=15, fallback_position=24),
        Column("commissioner_start_date", position=16, date=_ODS_DATES),
        Column("prescribing_setting", position=26, recode=_DSE_SETTING),
    ),
)

EPCN = Layout(
    name="epcn",
    dataset="pcn_memberships",
    title="ODS primary care networks (ePCN.xlsx), sheet 'PCN Core Partner Details'",
    source="NHS Digital Organisation Data Service (ODS), 'GP and GP practice related data', "
    "ePCN, monthly from 2019",
    spec="https://digital.nhs.uk/services/organisation-data-service/"
    "export-data-files/csv-downloads/gp-and-gp-practice-related-data",
    columns=(
        Column("gp_practice_code", names=("Partner Organisation Code",)),
        Column("pcn_code", names=("PCN Code",)),
        Column("pcn_name", names=("PCN Name",)),
        Column(
            "commissioner_code",
            names=(
                "Practice Parent Sub ICB Loc Code",
                "Practice Parent Sub ICB Location Code",
                "Practice Parent CCG Code",
                "Partner Parent CCG Code",
            ),
            optional=True,
        ),
        Column("start_date", names=("Practice to PCN Relationship Start Date",), date=_ODS_DATES),
        Column(
            "end_date",
            names=("Practice to PCN Relationship End Date",),
            date=_ODS_DATES,
            optional=True,
        ),
    ),
    ignored=(
        "Partner Name",
        "Practice Parent Sub ICB Loc Name",
        "Practice Parent Sub ICB Location Name",
        "Practice Parent CCG Name",
        "Partner Parent CCG Name",
        "PCN Parent Sub ICB Loc Code",
        "PCN Parent Sub ICB Loc Name",
        "PCN Parent Sub ICB Location Code",
        "PCN Parent Sub ICB Location Name",
        "PCN Parent CCG Code",
        "PCN Parent CCG Name",
        "Practice Sub ICB and PCN Sub ICB Match?",
        "Practice CCG and PCN CCG Match?",
        # as the published workbooks write it (ePCN.xlsx of May 2022, February 2023 and
        # February 2026: "Loc", no question mark, a trailing space)
        "Practice Sub ICB Loc and PCN Sub ICB Loc Match",
        "Practice CCG and PCN CCG Match",
    ),
)

# The DSE "epcncorepartnerdetails" report downloaded without its header row: the columns of the
# headed report, in its order (Partner Organisation Code, Partner Name, Practice Parent Sub ICB
# Location Code and Name, PCN Code, PCN Name, PCN Parent Sub ICB Location Code and Name,
# Practice to PCN Relationship Start Date and End Date, Practice Sub ICB and PCN Sub ICB Match?).
EPCN_DSE = Layout(
    name="epcn_dse",
    dataset="pcn_memberships",
    title="ODS DSE report epcncorepartnerdetails (practice to PCN), headerless: 11 columns",
    source="NHS England Organisation Data Service, Data Search and Export (DSE) predefined "
    "report epcncorepartnerdetails (the ePCN workbook's 'PCN Core Partner Details' sheet)",
    spec="https://www.odsdatasearchandexport.nhs.uk/ (predefined reports; ODS Reference Data "
    "Catalogue, 'Primary Care Network')",
    headerless=True,
    width=11,
    columns=(
        Column("gp_practice_code", position=1),
        Column("commissioner_code", position=3),
        Column("pcn_code", position=5),
        Column("pcn_name", position=6),
        Column("start_date", position=9, date=_ODS_DATES),
        Column("end_date", position=10, date=_ODS_DATES),
    ),
)

# The membership sheet of the earlier ePCN workbooks (CCG era), before the "Match?" column was
# added, saved without its header row: the same first 10 columns in the same order.
EPCN_SHEET_10 = Layout(
    name="epcn_headerless_10",
    dataset="pcn_memberships",
    title="ODS ePCN 'PCN Core Partner Details' sheet of the earlier workbooks (10 columns, no "
    "'Match?' column), saved without its header row",
    source=EPCN_DSE.source,
    spec=EPCN_DSE.spec,
    headerless=True,
    width=10,
    columns=EPCN_DSE.columns,
)

# The PCN details: sheet "PCNDetails" of the ePCN workbook (PCN Code, PCN Name, Current Sub ICB
# Loc Code, Sub ICB Location, Open Date, Close Date, Address Line 1-5, Postcode; "CCG" for
# "Sub ICB" before July 2022) and DSE's "epcn" report (the same, "Location" spelt out).
_PCN_COMMISSIONER = (
    "Current Sub ICB Loc Code",
    "Current Sub ICB Location Code",
    "Sub ICB Location Code",
    "Sub ICB Loc Code",
    "Current CCG Code",
    "CCG Code",
    # the CCG-era workbook spells it out (ePCN.xlsx of May 2022, header cells over lines)
    "Current Clinical Commissioning Group Code",
    "Clinical Commissioning Group Code",
)
EPCN_DETAILS = Layout(
    name="epcn_details",
    dataset="pcns",
    title="ODS PCN details (ePCN.xlsx sheet 'PCNDetails', or the DSE epcn report)",
    source="NHS Digital / NHS England Organisation Data Service, ePCN workbook, sheet "
    "PCNDetails (monthly from November 2019); DSE predefined report epcn",
    spec="https://digital.nhs.uk/services/organisation-data-service/"
    "export-data-files/csv-downloads/gp-and-gp-practice-related-data (ePCN)",
    columns=(
        Column("pcn_code", names=("PCN Code",)),
        Column("pcn_name", names=("PCN Name",)),
        Column("commissioner_code", names=_PCN_COMMISSIONER, optional=True),
        Column("open_date", names=("Open Date",), date=_ODS_DATES),
        Column("close_date", names=("Close Date",), date=_ODS_DATES, optional=True),
        Column("postcode", names=("Postcode",), optional=True),
    ),
    ignored=(
        "Sub ICB Location",
        "Sub ICB Location Name",
        "Sub ICB Loc Name",
        "Current Sub ICB Loc Name",
        "Current Sub ICB Location Name",
        "CCG Name",
        "Current CCG Name",
        "Clinical Commissioning Group Name",
        "CCG",
        *(f"Address Line {i}" for i in range(1, 6)),
        "Town",
        "County",
    ),
)

# The DSE epcn report downloaded without its header row: 12 columns in the sheet's order.
EPCN_DETAILS_DSE = Layout(
    name="epcn_details_dse",
    dataset="pcns",
    title="ODS DSE report epcn (PCN details), headerless: 12 columns",
    source="NHS England Organisation Data Service, Data Search and Export (DSE) predefined "
    "report epcn",
    spec="https://www.odsdatasearchandexport.nhs.uk/ (predefined reports; ODS Reference Data "
    "Catalogue, 'Primary Care Network')",
    headerless=True,
    width=12,
    columns=(
        Column("pcn_code", position=1),
        Column("pcn_name", position=2),
        Column("commissioner_code", position=3),
        Column("open_date", position=5, date=_ODS_DATES),
        Column("close_date", position=6, date=_ODS_DATES),
        Column("postcode", position=12),
    ),
)

# The ODS standard organisation layout (27 columns; "Standards repository", ODS data downloads):
# 1 Organisation Code, 2 Name, 3 National Grouping, 4 High Level Health Geography, 5-9 Address
# Lines 1-5, 10 Postcode, 11 Open Date, 12 Close Date, 13 Null, 14 Organisation Sub-Type Code,
# 15 Parent Organisation Code (null in eccg), 16-17 Null, 18 Contact Telephone Number, 19-21
# Null, 22 Amended Record Indicator, 23 Null, 24 GOR Code, 25-27 Null.
ECCG = Layout(
    name="eccg",
    dataset="commissioners",
    title="ODS CCGs / sub-ICB locations (eccg.csv): headerless, 27 columns",
    source="NHS Digital (now NHS England) Organisation Data Service (ODS), 'Other NHS "
    "organisations', eccg: clinical commissioning groups from 2013, sub-ICB locations from "
    "July 2022",
    spec="https://digital.nhs.uk/services/organisation-data-service/"
    "export-data-files/csv-downloads/other-nhs-organisations (ODS standard 27-column layout)",
    headerless=True,
    width=27,
    first_heading=(
        *_FIRST_HEADINGS,
        "CCG Code",
        "Sub ICB Location Code",
        "Sub-ICB Location Code",
        "SICBL Code",
    ),
    columns=(
        Column("commissioner_code", position=1),
        Column("commissioner_name", position=2),
        Column("region_code", position=3),  # National Grouping
        Column("parent_code", position=4),  # High Level Health Geography
        Column("postcode", position=10),
        Column("open_date", position=11, date=_ODS_DATES),
        Column("close_date", position=12, date=_ODS_DATES),
        Column("organisation_subtype", position=14),
    ),
)

# NHS Digital, "Patients Registered at a GP Practice": gp-reg-pat-prac-map.csv, one row per
# practice with a registered list on the extract date. Columns (metadata page of the
# publication; real files of January 2022 and April 2026 in tests/data/real): PUBLICATION,
# EXTRACT_DATE, PRACTICE_CODE, PRACTICE_NAME, PRACTICE_POSTCODE, PCN_CODE, PCN_NAME (since the
# PCNs of July 2019), then the commissioner: ONS_CCG_CODE, CCG_CODE, CCG_NAME, ONS_STP_CODE,
# STP_CODE, STP_NAME to June 2022; ONS_SUB_ICB_LOCATION_CODE, SUB_ICB_LOCATION_CODE,
# SUB_ICB_LOCATION_NAME, ONS_ICB_CODE, ICB_CODE, ICB_NAME from July 2022; then
# ONS_COMM_REGION_CODE, COMM_REGION_CODE, COMM_REGION_NAME, and SUPPLIER_NAME (the clinical
# system) in later files. Column order differs between years; pbc reads them by name.
_MAP_DATES = ("ddmonyyyy", "dd-mon-yy", "dd/mm/yyyy", "iso")
_MAP_SOURCE = (
    "NHS Digital (now NHS England), 'Patients Registered at a GP Practice', monthly: "
    "gp-reg-pat-prac-map.csv (practice to PCN, CCG or sub-ICB location, STP or ICB, region)"
)
_MAP_SPEC = (
    "https://digital.nhs.uk/data-and-information/publications/statistical/"
    "patients-registered-at-a-gp-practice (each month's 'Metadata' and the mapping file)"
)
_MAP_COMMISSIONER = ("SUB_ICB_LOCATION_CODE", "CCG_CODE")
_MAP_IGNORED_ALWAYS = (
    "PUBLICATION",
    "ONS_SUB_ICB_LOCATION_CODE",
    "ONS_CCG_CODE",
    "ONS_ICB_CODE",
    "ONS_STP_CODE",
    "ICB_NAME",
    "STP_NAME",
    "ONS_COMM_REGION_CODE",
    "COMM_REGION_NAME",
    "SUPPLIER_NAME",
    # Mapping files before the PCNs of July 2019 also name the NHS England region (the
    # "regional local office" of 2017-2019) beside the commissioning region: not kept.
    "ONS_REGION_CODE",
    "REGION_CODE",
    "REGION_NAME",
)
# An STP's ONS code (E54000050). The mapping files of 2018-2019 head their only STP code column
# STP_CODE with no ONS_STP_CODE beside it (muschitiello/PrescRiptions, `checkDemogMap`, aligns
# the months that wrote STP_ONS_CODE to it), so STP_CODE may hold the ONS code there: an ONS
# code is not an ODS organisation and the practice's parent is then left empty.
_ONS_STP = r"E54[0-9]{6}"

GP_REG_MAP = Layout(
    name="gp_reg_pat_map",
    dataset="practices",
    title="GP practice mapping (gp-reg-pat-prac-map.csv): practice, its CCG or sub-ICB "
    "location, STP or ICB and region",
    source=_MAP_SOURCE,
    spec=_MAP_SPEC,
    columns=(
        Column("gp_practice_code", names=("PRACTICE_CODE",)),
        Column("practice_name", names=("PRACTICE_NAME",)),
        Column("postcode", names=("PRACTICE_POSTCODE",), optional=True),
        # The practice's commissioner: its sub-ICB location from July 2022 (3-character former
        # CCG codes, or 5-character codes such as W2U3Z), its CCG before.
        Column("pct_code", names=_MAP_COMMISSIONER, coalesce=True),
        Column("pct_name", names=("SUB_ICB_LOCATION_NAME", "CCG_NAME"), coalesce=True),
        # The commissioner's parent: the ICB (QHM; 5-character codes such as Z9B2Z after the
        # mergers of April 2026), the STP before July 2022; the NHS England region (Y63).
        Column(
            "parent_code",
            names=("ICB_CODE", "STP_CODE"),
            coalesce=True,
            optional=True,
            not_known_pattern=_ONS_STP,
        ),
        Column("region_code", names=("COMM_REGION_CODE",), optional=True),
    ),
    ignored=(*_MAP_IGNORED_ALWAYS, "EXTRACT_DATE", "PCN_CODE", "PCN_NAME"),
)

# Some months of 2018-2019 published the mapping file with other headings and no PUBLICATION or
# EXTRACT_DATE column (muschitiello/PrescRiptions, `checkDemogMap`: "for some months, the order
# and label of demogMap file has been found to be different"; it renames CODE, NAME, POSTCODE,
# CCG_ONS_CODE, CCG_CODE, CCG_NAME, STP_ONS_CODE, STP_NAME, REGIONAL_LOCAL_OFFICE_ONS_CODE,
# REGIONAL_LOCAL_OFFICE_CODE, REGIONAL_LOCAL_OFFICE_NAME, REGION_ONS_CODE, REGION_CODE and
# REGON_NAME, as published, to PRACTICE_CODE ... COMM_REGION_NAME). Here REGION_CODE is the
# commissioning region (Y56); the STP has only its ONS code, so no parent is kept.
GP_REG_MAP_2018_ALT = Layout(
    name="gp_reg_pat_map_2018_alt",
    dataset="practices",
    title="GP practice mapping of some months of 2018-2019 (CODE, NAME, CCG_ONS_CODE, ..., "
    "REGIONAL_LOCAL_OFFICE_*, REGION_* headings): practice, its CCG and region",
    source=_MAP_SOURCE,
    spec=_MAP_SPEC,
    columns=(
        Column("gp_practice_code", names=("CODE",)),
        Column("practice_name", names=("NAME",)),
        Column("postcode", names=("POSTCODE",), optional=True),
        Column("pct_code", names=("CCG_CODE",)),
        Column("pct_name", names=("CCG_NAME",)),
        Column("region_code", names=("REGION_CODE",), optional=True),
    ),
    ignored=(
        "CCG_ONS_CODE",
        "STP_ONS_CODE",
        "STP_NAME",
        "REGIONAL_LOCAL_OFFICE_ONS_CODE",
        "REGIONAL_LOCAL_OFFICE_CODE",
        "REGIONAL_LOCAL_OFFICE_NAME",
        "REGION_ONS_CODE",
        "REGON_NAME",
        "REGION_NAME",
    ),
)

_PRE_PCN_REFUSAL = (
    "this is a GP practice mapping file from before the Primary Care Networks of July 2019: it "
    "has no PCN_CODE or PCN_NAME column, so it gives no PCN memberships. Import it into "
    "practices instead (each practice's CCG and region: `pbc import practices FILE`), and "
    "take PCN memberships from a mapping file of July 2019 or later, or from the ODS ePCN file"
)

# The same mapping files read for `pcn_memberships`: recognised, and refused with the reason.
GP_REG_MAP_PRE_PCN = Layout(
    name="gp_reg_pat_map_pre_pcn",
    dataset="pcn_memberships",
    title="GP practice mapping before July 2019 (no PCN columns): refused, naming what to do",
    source=_MAP_SOURCE,
    spec=_MAP_SPEC,
    columns=(
        Column("gp_practice_code", names=("PRACTICE_CODE", "CODE")),
        Column("commissioner_code", names=("CCG_CODE",)),
        Column("_ccg_name", names=("CCG_NAME",)),
        Column("_practice_name", names=("PRACTICE_NAME", "NAME")),
    ),
    ignored=(
        *_MAP_IGNORED_ALWAYS,
        "EXTRACT_DATE",
        "PRACTICE_POSTCODE",
        "POSTCODE",
        "STP_CODE",
        "COMM_REGION_CODE",
        *GP_REG_MAP_2018_ALT.ignored,
    ),
    refusal=_PRE_PCN_REFUSAL,
)

GP_REG_MAP_PCN = Layout(
    name="gp_reg_pat_map_pcn",
    dataset="pcn_memberships",
    title="GP practice mapping (gp-reg-pat-prac-map.csv): each practice's PCN on the extract date",
    source=_MAP_SOURCE,
    spec=_MAP_SPEC,
    columns=(
        Column("gp_practice_code", names=("PRACTICE_CODE",)),
        Column("pcn_code", names=("PCN_CODE",)),
        Column("pcn_name", names=("PCN_NAME",)),
        Column("commissioner_code", names=_MAP_COMMISSIONER, coalesce=True),
        # The file gives no membership dates: the membership is known from the extract date
        # (the date the list was taken, the 1st of the month). docs/data.md says why.
        Column("start_date", names=("EXTRACT_DATE",), date=_MAP_DATES),
    ),
    ignored=(
        *_MAP_IGNORED_ALWAYS,
        "PRACTICE_NAME",
        "PRACTICE_POSTCODE",
        "SUB_ICB_LOCATION_NAME",
        "CCG_NAME",
        "ICB_CODE",
        "STP_CODE",
        "COMM_REGION_CODE",
    ),
    drops=(
        Drop(
            field="pcn_code",
            reason="practice in no PCN (PCN_CODE U, 'Unallocated')",
            values=("U",),
        ),
    ),
)

LAYOUTS = (
    EPRACCUR,
    EPCN,
    EPCN_DSE,
    EPCN_SHEET_10,
    EPCN_DETAILS,
    EPCN_DETAILS_DSE,
    ECCG,
    GP_REG_MAP,
    GP_REG_MAP_PCN,
    GP_REG_MAP_2018_ALT,
    GP_REG_MAP_PRE_PCN,
)
