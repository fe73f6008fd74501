"""QOF disease registers as NHS Digital publishes them: register size and the list it is
counted against, per practice and indicator group, one file per QOF year (the year is not in
the file: `--period` gives its first month, 2009-04 for 2009/10). They load `qof_prevalence`.
docs/data.md "QOF registers and prevalence" describes the forms with their sources.

- `qof_prevalence_by_practice`: the prevalence-by-practice CSV (2009/10-2012/13).
- `qof_prevalence_raw`: the raw-data PREVALENCE file (2013/14 on).
- `qof_prevalence_ic_dm`: the NHS Information Centre's per-disease practice prevalence table
  for diabetes (`QOF1011_Pracs_Prevalence_DiabetesMellitus`, 2010/11): title rows above a
  header naming the SHA, PCT and practice, the estimated number of patients aged 17 and over
  (the list the diabetes register is counted against) and the register (ages 17+).
"""

from __future__ import annotations

from pbc.warehouse.datasets_aggregates import QOF_TOTAL_LIST
from pbc.warehouse.layouts.spec import PERIOD, Column, Layout

SOURCE = (
    "NHS Digital (formerly the NHS Information Centre), 'Quality and Outcomes Framework, "
    "achievement, prevalence and exceptions data', yearly"
)
SPEC = (
    "https://digital.nhs.uk/data-and-information/publications/statistical/"
    "quality-and-outcomes-framework-achievement-prevalence-and-exceptions-data"
)
PERIOD_TEXT = "the first month of the QOF year: 2009-04 for 2009/10, counted at 31 March 2010"

BY_PRACTICE = Layout(
    name="qof_prevalence_by_practice",
    dataset="qof_prevalence",
    title="QOF prevalence by practice: register, list size and prevalence per indicator group "
    "(the 'prevalence by practice' CSV of the QOF years before the raw-data files)",
    source=SOURCE,
    spec=SPEC,
    columns=(
        Column("gp_practice_code", names=("practicecode", "practice code")),
        Column("indicator_group", names=("indicator_group",)),
        Column("register_description", names=("Register_description", "register description")),
        Column("register", names=("disease_register_size", "register")),
        Column("list_size", names=("practice_listsize", "practice list size")),
        Column("published_prevalence", names=("prevalence",)),
    ),
    constants={"year_start": PERIOD, "patient_list_type": QOF_TOTAL_LIST},
    period_text=PERIOD_TEXT,
)

RAW_PREVALENCE = Layout(
    name="qof_prevalence_raw",
    dataset="qof_prevalence",
    title="QOF raw data, PREVALENCE file: register per practice, indicator group and patient "
    "list type, with that list's size (2013/14 on)",
    source=SOURCE,
    spec=SPEC,
    columns=(
        Column("gp_practice_code", names=("PRACTICE_CODE",)),
        Column("indicator_group", names=("INDICATOR_GROUP_CODE", "GROUP_CODE")),
        Column("register", names=("REGISTER",)),
        Column("patient_list_type", names=("PATIENT_LIST_TYPE",)),
        Column("list_size", names=("PRACTICE_LIST_SIZE", "PATIENT_LIST_SIZE", "LIST_SIZE")),
    ),
    constants={"year_start": PERIOD},
    period_text=PERIOD_TEXT,
)

# The NHS Information Centre's practice prevalence tables before the raw-data files: one table
# per disease register (2010/11: `QOF1011_Pracs_Prevalence_<Disease>.xls`, on the IC's indicator
# portal; 2008/09: one workbook, `QOF0809_Pracs_Prevalence.xls`, header on row 14, whose first
# six headings are these). Headings confirmed for the diabetes table of 2010/11 only (a reader
# quotes its header: SHA Code, ..., Practice Name, Estimated number 17+, Register (ages 17+),
# Prevalence); the other diseases' tables and the 2008/09 workbook's register columns were not
# found, so they are refused naming the columns that differ rather than read by a guess.
IC_IDENTIFYING = ("SHA Code", "Strategic Health Authority Name", "PCT Code", "PCT Name")

IC_DIABETES = Layout(
    name="qof_prevalence_ic_dm",
    dataset="qof_prevalence",
    title="QOF practice prevalence table for diabetes (NHS Information Centre, 2010/11: "
    "estimated list aged 17+ and the diabetes register, ages 17+), title rows above the header",
    source=SOURCE + " (QOF1011_Pracs_Prevalence_DiabetesMellitus.xls, NHS IC indicator portal)",
    spec=SPEC,
    columns=(
        Column("gp_practice_code", names=("Practice Code",)),
        Column("register", names=("Register (ages 17+)",)),
        Column("list_size", names=("Estimated number 17+",)),
    ),
    # "Prevalence" is recognised and not kept: the saved CSV writes it as per cent text
    # ("5.23%"), the workbook's cell form (a fraction under a percent format, or per cent) is
    # not confirmed; pbc computes prevalence from the register and the list.
    ignored=(*IC_IDENTIFYING, "Practice Name", "Prevalence"),
    constants={"year_start": PERIOD, "indicator_group": "DM", "patient_list_type": "17OV"},
    period_text=PERIOD_TEXT,
    year_in_title=True,
)

LAYOUTS = (BY_PRACTICE, RAW_PREVALENCE, IC_DIABETES)
