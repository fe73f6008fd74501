"""QOF disease registers as NHS Digital publishes them: register size and the list it is
counted against, per practice and indicator group, one file per QOF year (the year is not in
the file: `--period` gives its first month, 2009-04 for 2009/10). They load `qof_prevalence`.
docs/data.md "QOF registers and prevalence" describes both forms with their sources.
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

LAYOUTS = (BY_PRACTICE, RAW_PREVALENCE)
