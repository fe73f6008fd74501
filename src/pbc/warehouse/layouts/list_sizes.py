"""Registered patients as published, into the `list_sizes` dataset. docs/data.md "Registered
patients" describes each form with its source.

- `list_size_quarterly`: the quarterly wide form (one row per practice, a column per sex x age
  band: Male 0-4 ... Female 75+), published by the NHS Information Centre / NHS Digital and
  NHSBSA to 2017. The quarter is only in the file name, so --period (the quarter's first
  month) is required. Its ten-year bands do not nest in pbc's five-year bands: kept as
  published (`LIST_SIZE_BANDS`).
- `list_size_quarterly_monthly`: NHSBSA's multi-period version of the same form (the list
  sizes before April 2013 it released on request), with a 'Month' column naming the quarter's
  first month each row counts, as DD/MM/YY ("01/04/11"; MM/YY and DD/MM/YYYY read too).
- `gp_reg_pat_quinary`: NHS Digital "Patients Registered at a GP Practice", quinary age form
  (gp-reg-pat-prac-quin-age.csv), monthly from 2017 (quarterly before): one row per practice,
  sex and five-year band to 95+; sex and age "ALL" rows are totals, dropped and counted.
- `gp_reg_pat_single_age`: the same publication's single-year-of-age form
  (gp-reg-pat-prac-sing-age-male.csv and -female.csv, one file per sex: practice x sex x age 0
  ... 94, 95+), each year summed into the pbc five-year band holding it (single years always
  nest; 90 ... 94 and 95+ into 90+); a sex's total (age ALL) is dropped and counted. The
  totals form (gp-reg-pat-prac-all.csv) has the very same header, so the same layout reads it:
  its one row per practice (sex ALL, age ALL) loads as sex "all", band "all". `list_sizes` is
  partitioned by sex, so the female file does not replace the male file's rows.

The monthly forms keep the extract date as `snapshot_date` and its calendar quarter as
`quarter_start` (so one snapshot per practice and quarter: the last one imported).
"""

from __future__ import annotations

from pbc.warehouse.datasets import AGE_BANDS
from pbc.warehouse.layouts.spec import PERIOD, Column, Drop, Layout, Unpivot, WideColumn

_WIDE_BANDS = ("0-4", "5-14", "15-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")


def _wide_columns() -> tuple[WideColumn, ...]:
    out = []
    for band in _WIDE_BANDS:
        for sex, word in (("M", "Male"), ("F", "Female")):
            names = (f"{word} {band}", f"{word}_{band.replace('-', '_')}", f"{word} {band} ")
            out.append(WideColumn(names=names, fields={"sex": sex, "age_band": band}))
    return tuple(out)


_WIDE = Unpivot(value_field="registered_patients", columns=_wide_columns())
_WIDE_IGNORED = (
    "Regional Office Name",
    "Regional Office Code",
    "Area Team Name",
    "Area Team Code",
    "SHA Name",
    "SHA Code",
    "PCO Name",
    "PCO Code",
    "PCT Name",
    "PCT Code",
    "CCG Name",
    "CCG Code",
    "Practice Name",
    "Total",
    "Total All",
)
_SOURCE_WIDE = (
    "NHS Information Centre / NHS Digital and NHSBSA, 'Numbers of Patients Registered at a GP "
    "Practice' (quarterly list sizes by practice, sex and age band)"
)
_SPEC_WIDE = (
    "https://digital.nhs.uk/data-and-information/publications/statistical/"
    "numbers-of-patients-registered-at-a-gp-practice"
)

LIST_SIZE_QUARTERLY = Layout(
    name="list_size_quarterly",
    dataset="list_sizes",
    title="Quarterly list sizes, wide (a column per sex x age band 0-4 ... 75+), 2004-2017",
    source=_SOURCE_WIDE,
    spec=_SPEC_WIDE,
    columns=(Column("gp_practice_code", names=("Practice Code", "Practice", "PRAC_CODE")),),
    ignored=_WIDE_IGNORED,
    constants={"quarter_start": PERIOD, "snapshot_date": PERIOD},
    unpivot=_WIDE,
    period_text="the first month of the quarter the file counts, e.g. 2013-04 for "
    "Patient_List_Size_2013_04-06.csv",
)

LIST_SIZE_QUARTERLY_MONTHLY = Layout(
    name="list_size_quarterly_monthly",
    dataset="list_sizes",
    title="Quarterly list sizes, wide, with a 'Month' column (NHSBSA's multi-period file)",
    source=_SOURCE_WIDE,
    spec=_SPEC_WIDE,
    columns=(
        Column("gp_practice_code", names=("Practice Code", "Practice", "PRAC_CODE")),
        Column("quarter_start", names=("Month",), date=("dd/mm/yy", "mm/yy", "dd/mm/yyyy")),
        Column("snapshot_date", names=("Month",), date=("dd/mm/yy", "mm/yy", "dd/mm/yyyy")),
    ),
    ignored=_WIDE_IGNORED,
    unpivot=_WIDE,
)

_SEX = {"MALE": "M", "FEMALE": "F", "M": "M", "F": "F", "ALL": "all", "PERSONS": "all"}
_QUINARY = {f"{a}_{a + 4}": f"{a}-{a + 4}" for a in range(0, 95, 5)} | {
    "95+": "95+",
    "95_PLUS": "95+",
    "ALL": "all",
}
_DATES = ("ddmonyyyy", "dd-mon-yy", "dd/mm/yyyy", "yyyymmdd")
_SOURCE_GP_REG = "NHS Digital, 'Patients Registered at a GP Practice' (monthly from 2017)"
_SPEC_GP_REG = (
    "https://digital.nhs.uk/data-and-information/publications/statistical/"
    "patients-registered-at-a-gp-practice"
)
_GP_REG_IGNORED = (
    "PUBLICATION",
    "CCG_CODE",
    "ONS_CCG_CODE",
    "SUB_ICB_LOCATION_CODE",
    "ONS_SUB_ICB_LOCATION_CODE",
    "ONS_CODE",
    "POSTCODE",
    "NAME",
)
_PRACTICE_NAMES = ("ORG_CODE", "CODE", "PRACTICE_CODE")

GP_REG_PAT_QUINARY = Layout(
    name="gp_reg_pat_quinary",
    dataset="list_sizes",
    title="Patients registered at a GP practice: practice x sex x five-year age (0_4 ... 95+)",
    source=_SOURCE_GP_REG,
    spec=_SPEC_GP_REG,
    columns=(
        Column("gp_practice_code", names=_PRACTICE_NAMES),
        Column("org_type", names=("ORG_TYPE", "TYPE"), optional=True),
        Column("snapshot_date", names=("EXTRACT_DATE",), date=_DATES),
        Column("quarter_start", names=("EXTRACT_DATE",), date=_DATES, truncate="quarter"),
        Column("sex", names=("SEX",), recode=_SEX),
        Column("age_band", names=("AGE_GROUP_5", "AGE_GROUP"), recode=_QUINARY),
        Column("registered_patients", names=("NUMBER_OF_PATIENTS",)),
    ),
    ignored=_GP_REG_IGNORED,
    drops=(
        Drop(
            field="org_type", reason="not a practice row (ORG_TYPE is not GP)", other_than=("GP",)
        ),
        Drop(field="age_band", reason="total row (age ALL)", values=("ALL",)),
        Drop(field="sex", reason="total row (sex ALL)", values=("ALL",)),
    ),
)


def _single_years() -> dict[str, str]:
    """Each published single year of age (0 ... 94, "95+") -> the pbc five-year band holding it
    (90 ... 94 and 95+ -> 90+); "ALL" -> "all"."""
    out = {str(age): AGE_BANDS[min(age // 5, len(AGE_BANDS) - 1)] for age in range(95)}
    return out | {"95+": "90+", "95_PLUS": "90+", "ALL": "all"}


GP_REG_PAT_SINGLE_AGE = Layout(
    name="gp_reg_pat_single_age",
    dataset="list_sizes",
    title="Patients registered at a GP practice: practice x sex x single year of age (0 ... "
    "95+), and the totals form (sex ALL, age ALL), which has the same header",
    source=_SOURCE_GP_REG + ": gp-reg-pat-prac-sing-age-male.csv, -female.csv (one file per "
    "sex) and gp-reg-pat-prac-all.csv",
    spec=_SPEC_GP_REG,
    columns=(
        Column("gp_practice_code", names=_PRACTICE_NAMES),
        Column("org_type", names=("ORG_TYPE", "TYPE"), optional=True),
        Column("snapshot_date", names=("EXTRACT_DATE",), date=_DATES),
        Column("quarter_start", names=("EXTRACT_DATE",), date=_DATES, truncate="quarter"),
        Column("sex", names=("SEX",), recode=_SEX),
        Column("age_band", names=("AGE",), recode=_single_years()),
        Column("registered_patients", names=("NUMBER_OF_PATIENTS",)),
    ),
    ignored=_GP_REG_IGNORED,
    drops=(
        Drop(
            field="org_type", reason="not a practice row (ORG_TYPE is not GP)", other_than=("GP",)
        ),
        Drop(
            field="age_band",
            reason="sex total row (age ALL)",
            values=("ALL",),
            unless={"sex": ("ALL",)},
        ),
    ),
    split_rows="sum",
    sum_fields=("registered_patients",),
    sum_reason="single year of age summed into its pbc five-year band",
)

LAYOUTS = (
    LIST_SIZE_QUARTERLY,
    LIST_SIZE_QUARTERLY_MONTHLY,
    GP_REG_PAT_QUINARY,
    GP_REG_PAT_SINGLE_AGE,
)
