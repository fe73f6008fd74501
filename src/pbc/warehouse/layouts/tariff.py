"""The national tariff as the Department of Health published it for Payment by Results: the
yearly "tariff information" workbook (2008/09 in HRG v3.5, 2009/10 on in HRG4), one sheet per
kind of activity, each a title block above a header, one row per HRG (or treatment function),
a column per price, notes columns beside. Loads `tariff`; docs/data.md "Layouts of `tariff`".

- `pbr_tariff_apc`: the admitted patient care and outpatient procedure sheet: one row per HRG
  with the outpatient procedure price, the combined day case / ordinary elective spell price
  and its trim point, the non-elective spell price and its trim point, the per-day long stay
  payment (beyond either trim point) and the reduced short stay emergency price. Each price
  becomes one tariff row: OPPROC, DC and EL (the combined price; EL with the elective trim
  point), NEL (with the non-elective trim point), NELST. A blank or "-" price (no price for
  that point of delivery) is dropped and counted.
- `pbr_tariff_op`: the outpatient attendance sheet: one row per treatment function with its
  first and follow-up attendance prices (OPFA, OPFUP).
- `pbr_tariff_ae`: the A&E sheet: one row per A&E HRG with its price (AE).

The workbook names its year only in its title: `--period` gives it (the year's first month,
2008-04 for 2008/09). A sheet's import replaces that year's rows of its points of delivery only
(the tariff is partitioned by year and point of delivery). The reduced short stay emergency
price applies, as PbR 2008/09 and 2009/10 set it, to emergency spells of adults (19 and over)
with a length of stay of 0 or 1 day (`SHORT_STAY_*`).

There is one workbook a year and its headings moved a little between years: each column lists
the variants seen; `pbc import --layout` forces a sheet's layout where several match. From
2017/18 the admitted care sheet gives separate day case and ordinary elective prices for some
HRGs ("-" in the combined column): DC and EL read them, falling back to the combined price.

Confirmed headings (docs/data.md "Which years' headings are confirmed"): the 2017/18 to
2020/21 workbooks only. The DH spreadsheets of 2008/09 (HRG v3.5) to 2016/17 were not found in
any public copy or reader; for them the names below are the PbR guidance's names of each price,
and a sheet headed otherwise is refused naming the columns it lacks.
"""

from __future__ import annotations

from pbc.warehouse.layouts.spec import (
    FINANCIAL_YEAR,
    PERIOD,
    Column,
    Layout,
    Unpivot,
    WideColumn,
)

SOURCE = (
    "Department of Health, Payment by Results: 'tariff information' spreadsheet, one a year "
    "(2008-09 in HRG v3.5; 2009-10 and later in HRG4; from 2014/15 Monitor / NHS England's "
    "National Tariff annex A workbook)"
)
SPEC = (
    "DH, 'Payment by Results Guidance for 2008-09' and '... for 2009-10' (the structure of the "
    "national tariff: spell prices, trim points, long stay payments, short stay emergency "
    "adjustment, outpatient attendance and procedure tariffs, A&E)"
)
YEAR_TEXT = "the first month of the tariff's financial year: 2008-04 for 2008/09"
NO_PRICE = ("-", "n/a", "N/A", "na", "*")
NO_PRICE_REASON = "no price for this point of delivery (blank or '-' in the workbook)"

# PbR 2008/09 and 2009/10: the reduced short stay emergency tariff applies to adults (19 and
# over) staying 0 or 1 day (the values pbc's synthetic tariff uses too).
SHORT_STAY_MAX_LOS = "1"
SHORT_STAY_MIN_AGE = "19"

HRG = ("HRG code", "HRG", "HRG4", "HRG v3.5", "HRG code (v3.5)")
HRG_NAME = ("HRG name", "HRG description", "HRG Name (v3.5)", "HRG4 name", "HRG label", "Label")
YEAR = {"financial_year": FINANCIAL_YEAR, "year_start": PERIOD}

# Headings confirmed against the published workbooks (docs/data.md "Layouts of `tariff`"): the
# 2017/18 and 2018/19 National Tariff annex A "APC & OPROC" sheet names every column below as
# its first variant; the 2019/20 and 2020/21 workbooks drop "tariff" ("Non-elective spell (£)",
# written over two lines). Other variants are kept for the DH years not confirmed.
ELECTIVE_PRICE = (
    "Combined day case / ordinary elective spell tariff (£)",
    "Combined day case / ordinary elective spell tariff",
    "Combined day case/ordinary elective spell tariff (£)",
    "Combined day case / ordinary elective spell (£)",
    "Elective spell tariff (£)",
    "Day case and elective tariff (£)",
)
# From 2017/18 some HRGs carry separate day case and ordinary elective prices, with "-" in the
# combined column; the others "-" in these two and their price in the combined one.
DAY_CASE_PRICE = ("Day case spell tariff (£)", "Day case spell (£)")
ORDINARY_ELECTIVE_PRICE = ("Ordinary elective spell tariff (£)", "Ordinary elective spell (£)")
ELECTIVE_TRIM = (
    "Ordinary elective long stay trim point (days)",
    "Elective long stay trim point (days)",
    "Ordinary elective trim point (days)",
)
NON_ELECTIVE_PRICE = (
    "Non-elective spell tariff (£)",
    "Non-elective spell tariff",
    "Non elective spell tariff (£)",
    "Non-elective spell (£)",
)
NON_ELECTIVE_TRIM = (
    "Non-elective long stay trim point (days)",
    "Non-elective trim point (days)",
    "Non elective long stay trim point (days)",
)
LONG_STAY = (
    "Per day long stay payment (for days exceeding trim point) (£)",
    "Per day long stay payment (£)",
    "Long stay payment (£ per day)",
    "Excess bed day tariff (£)",
)

PBR_TARIFF_APC = Layout(
    name="pbr_tariff_apc",
    dataset="tariff",
    title="PbR tariff workbook: admitted patient care and outpatient procedures sheet (one row "
    "per HRG, a column per price)",
    source=SOURCE,
    spec=SPEC,
    columns=(
        Column("hrg_code", names=HRG),
        Column("hrg_description", names=HRG_NAME, optional=True),
    ),
    ignored=(
        "Reduced short stay emergency tariff _applicable?",
        "Reduced short stay emergency tariff applicable?",
        "% applied in calculation of reduced short stay emergency tariff",
        # best practice tariff columns of the National Tariff workbooks (not kept)
        "BPT applies to HRG or sub-HRG level",
        "SUS will automate which BPT price (BPT or non-BPT price)",
        "The price automated by SUS",
        "BPT Flag",
        "Notes",
        "Note",
        "Comments",
    ),
    constants=YEAR,
    unpivot=Unpivot(
        "price",
        (
            WideColumn(
                (
                    "Outpatient procedure tariff (£)",
                    "Outpatient procedure tariff",
                    "Outpatient procedure (£)",
                ),
                {"point_of_delivery": "OPPROC"},
                # a year's sheet without outpatient procedure prices loads the rest
                optional=True,
            ),
            WideColumn(
                (*DAY_CASE_PRICE, *ELECTIVE_PRICE),
                {"point_of_delivery": "DC"},
                fallback=ELECTIVE_PRICE,
            ),
            WideColumn(
                (*ORDINARY_ELECTIVE_PRICE, *ELECTIVE_PRICE),
                {"point_of_delivery": "EL"},
                read={"trim_point_days": ELECTIVE_TRIM, "excess_bed_day_rate": LONG_STAY},
                fallback=ELECTIVE_PRICE,
            ),
            WideColumn(
                NON_ELECTIVE_PRICE,
                {"point_of_delivery": "NEL"},
                read={"trim_point_days": NON_ELECTIVE_TRIM, "excess_bed_day_rate": LONG_STAY},
            ),
            WideColumn(
                (
                    "Reduced short stay emergency tariff (£)",
                    "Reduced short stay emergency tariff",
                    "Reduced short stay emergency (£)",
                    "Short stay emergency tariff (£)",
                ),
                {
                    "point_of_delivery": "NELST",
                    "short_stay_max_los_days": SHORT_STAY_MAX_LOS,
                    "short_stay_min_age": SHORT_STAY_MIN_AGE,
                },
                optional=True,  # likewise without the short stay emergency price
            ),
        ),
        no_value=NO_PRICE,
        no_value_reason=NO_PRICE_REASON,
    ),
    period_text=YEAR_TEXT,
    year_in_title=True,
    # The 2017/18 and 2018/19 workbooks price the maternity HRGs on a sheet of their own with
    # the same headings (no outpatient procedure or short stay columns): one import reads both.
    every_sheet=True,
)

PBR_TARIFF_OP = Layout(
    name="pbr_tariff_op",
    dataset="tariff",
    title="PbR tariff workbook: outpatient attendances sheet (one row per treatment function, "
    "first and follow-up prices)",
    source=SOURCE,
    spec=SPEC,
    columns=(
        Column(
            "treatment_function_code",
            names=("Treatment function code", "Treatment function", "TFC", "Specialty code"),
        ),
        Column(
            "hrg_description",
            names=("Treatment function name", "Treatment function description", "Specialty"),
            optional=True,
        ),
    ),
    # The multi-professional prices of the National Tariff workbooks (WF02B, WF02A) are not
    # kept: pbc's outpatient points of delivery are the single-professional first and
    # follow-up attendances.
    ignored=(
        "Notes",
        "Note",
        "Comments",
        "WF02B First Attendance - Multi Professional",
        "WF02A Follow Up Attendance - Multi Professional",
        "First Attendance - Multi Professional",
        "Follow Up Attendance - Multi Professional",
    ),
    constants=YEAR,
    unpivot=Unpivot(
        "price",
        (
            WideColumn(
                (
                    "WF01B First Attendance - Single Professional",
                    "First Attendance - Single Professional",
                    "First attendance tariff (£)",
                    "First attendance tariff",
                    "First attendance (£)",
                    "First outpatient attendance tariff (£)",
                ),
                {"point_of_delivery": "OPFA"},
            ),
            WideColumn(
                (
                    "WF01A Follow Up Attendance - Single Professional",
                    "Follow Up Attendance - Single Professional",
                    "Follow-up attendance tariff (£)",
                    "Follow up attendance tariff (£)",
                    "Subsequent attendance tariff (£)",
                    "Follow-up attendance tariff",
                    "Follow-up attendance (£)",
                ),
                {"point_of_delivery": "OPFUP"},
            ),
        ),
        no_value=NO_PRICE,
        no_value_reason=NO_PRICE_REASON,
    ),
    period_text=YEAR_TEXT,
    year_in_title=True,
)

PBR_TARIFF_AE = Layout(
    name="pbr_tariff_ae",
    dataset="tariff",
    title="PbR tariff workbook: accident and emergency sheet (one row per A&E HRG)",
    source=SOURCE,
    spec=SPEC,
    columns=(
        Column("hrg_code", names=HRG),
        Column("hrg_description", names=HRG_NAME, optional=True),
    ),
    # The National Tariff workbooks price type 1 and 2 departments and type 3 departments
    # apart; pbc's tariff has one A&E price per HRG: the type 1 and 2 price (type 3 not kept).
    ignored=("Notes", "Note", "Comments", "Type 3 Departments", "Type 3 Departments (£)"),
    constants=YEAR,
    unpivot=Unpivot(
        "price",
        (
            WideColumn(
                (
                    "A&E tariff (£)",
                    "A&E tariff",
                    "Accident and emergency tariff (£)",
                    "Type 1 and 2 Departments",
                    "Type 1 and 2 Departments (£)",
                ),
                {"point_of_delivery": "AE"},
            ),
        ),
        no_value=NO_PRICE,
        no_value_reason=NO_PRICE_REASON,
    ),
    period_text=YEAR_TEXT,
    year_in_title=True,
)

LAYOUTS = (PBR_TARIFF_APC, PBR_TARIFF_OP, PBR_TARIFF_AE)
