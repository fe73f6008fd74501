"""Practice prescribing as published: NHS Digital's PDPI files and NHSBSA's English
Prescribing Dataset (EPD). Both load the `prescribing` dataset (practice x BNF presentation x
month). docs/data.md "Practice prescribing" describes them with their sources.
"""

from __future__ import annotations

from pbc.warehouse.layouts.spec import Column, Drop, Layout

# Rows that are not prescribing: NHSBSA's test and dummy presentations (a "Test item" row,
# "DUMMY" BNF entries). Dropped and counted, never loaded.
TEST_ITEMS = Drop(
    field="bnf_name",
    reason="test or dummy item (not a real presentation)",
    pattern=r"(test item|dummy)\b",
)

# Prescribing NHSBSA could not attribute to a practice: EPD writes it against dummy prescribers
# (PRACTICE_NAME "UNIDENTIFIED DOCTORS" or "UNIDENTIFIED DEPUTISING SERVICES", PRACTICE_CODE
# "-" or the commissioner's code followed by 998, e.g. 00L998; "ENGLISH/WELSH DUMMY DENTAL").
# Prescribing NHSBSA could allocate to a commissioner but not to a practice is written against
# "UNSPECIFIED PRACTICE" (OpenPrescribing issue #349) or "UNKNOWN SURGERY" (as OpenPrescribing's
# fixture of NHSBSA's 2016 file has it: Q58998, an area team's code followed by 998).
# No practice's prescribing: dropped and counted (OpenPrescribing drops them too).
UNATTRIBUTED = Drop(
    field="_practice_name",
    reason="not attributed to a practice (NHSBSA's UNIDENTIFIED DOCTORS / DEPUTISING SERVICES, "
    "UNSPECIFIED PRACTICE / UNKNOWN SURGERY, or dummy dental prescriber)",
    pattern=r"unidentified (doctors|deputising)|unspecified practice|unknown surgery|.*dummy dental",
)

PDPI = Layout(
    name="pdpi",
    dataset="prescribing",
    title="Practice level prescribing, presentation level (PDPI 'BNFT' file), 2010-2021",
    source="NHS Digital (HSCIC), 'Practice Level Prescribing Data', monthly, from NHSBSA ePACT",
    spec="https://digital.nhs.uk/data-and-information/areas-of-interest/prescribing/"
    "practice-level-prescribing-in-england-a-summary/practice-level-prescribing-data-more-information",
    columns=(
        Column("gp_practice_code", names=("PRACTICE",)),
        Column("bnf_code", names=("BNF CODE",)),
        Column("bnf_name", names=("BNF NAME",)),
        Column("items", names=("ITEMS",)),
        Column("net_ingredient_cost", names=("NIC",)),
        Column("actual_cost", names=("ACT COST", "ACTUAL COST")),
        Column("quantity", names=("QUANTITY",)),
        Column("month", names=("PERIOD",), date="yyyymm"),
    ),
    ignored=("SHA", "PCT"),
    drops=(TEST_ITEMS,),
    # One row per practice and presentation per month ("the total number of items ... for each
    # presentation"): a repeated key is an error in the file, so it is quarantined.
    split_rows="quarantine",
)

EPD = Layout(
    name="epd",
    dataset="prescribing",
    title="English Prescribing Dataset (EPD), monthly, practice x presentation x pack quantity",
    source="NHSBSA Open Data Portal, 'English Prescribing Data (EPD)', from 2014",
    spec="https://opendata.nhsbsa.net/dataset/english-prescribing-data-epd",
    columns=(
        Column("gp_practice_code", names=("PRACTICE_CODE",)),
        # NHSBSA renamed the BNF columns from March 2025 (BNF_CODE -> BNF_PRESENTATION_CODE,
        # BNF_DESCRIPTION -> BNF_PRESENTATION_NAME; the chemical substance's code and name
        # and ADQUSAGE -> ADQ_USAGE too): both forms are read.
        Column("bnf_code", names=("BNF_CODE", "BNF_PRESENTATION_CODE")),
        Column("bnf_name", names=("BNF_DESCRIPTION", "BNF_PRESENTATION_NAME")),
        Column("items", names=("ITEMS",)),
        Column("net_ingredient_cost", names=("NIC",)),
        Column("actual_cost", names=("ACTUAL_COST",)),
        # QUANTITY is the quantity per item (a pseudo pack size); TOTAL_QUANTITY = QUANTITY x
        # ITEMS is the quantity dispensed, which pbc keeps.
        Column("quantity", names=("TOTAL_QUANTITY",)),
        Column("month", names=("YEAR_MONTH",), date="yyyymm"),
        Column("_practice_name", names=("PRACTICE_NAME",), optional=True),
    ),
    ignored=(
        "REGIONAL_OFFICE_NAME",
        "REGIONAL_OFFICE_CODE",
        "AREA_TEAM_NAME",
        "AREA_TEAM_CODE",
        "STP_NAME",
        "STP_CODE",
        "ICB_NAME",
        "ICB_CODE",
        "PCO_NAME",
        "PCO_CODE",
        "PRACTICE_NAME",
        "ADDRESS_1",
        "ADDRESS_2",
        "ADDRESS_3",
        "ADDRESS_4",
        "POSTCODE",
        "BNF_CHEMICAL_SUBSTANCE",
        "CHEMICAL_SUBSTANCE_BNF_DESCR",
        "BNF_CHEMICAL_SUBSTANCE_CODE",
        "BNF_CHAPTER_PLUS_CODE",
        "QUANTITY",
        "ADQUSAGE",
        "ADQ_USAGE",
        "UNIDENTIFIED",
        "SNOMED_CODE",
    ),
    drops=(TEST_ITEMS, UNATTRIBUTED),
    # EPD splits a practice's presentation over one row per quantity per item (pack size): the
    # rows of one practice x presentation x month are summed into one.
    split_rows="sum",
    sum_fields=("items", "net_ingredient_cost", "actual_cost", "quantity"),
)

LAYOUTS = (PDPI, EPD)
