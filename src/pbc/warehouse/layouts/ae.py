"""A&E attendances and emergency admissions as NHS England publishes them monthly, by provider:
the monthly CSV (a column per department type and measure, one row per provider, the period in
the file as 'MSitAE-APRIL-2019'), and the tidy form the NHS-R Community's NHSRdatasets package
publishes from it (a row per provider, month and department type). Both load
`ae_attendances`, one row per measure. docs/data.md "A&E attendances" describes them.
"""

from __future__ import annotations

from pbc.warehouse.layouts.spec import PERIOD, Column, Drop, Layout, Unpivot, WideColumn

NHSE_SOURCE = (
    "NHS England, 'A&E Attendances and Emergency Admissions', monthly provider-level CSV "
    "(from 2015; the same figures in .xls from November 2010)"
)
NHSE_SPEC = (
    "https://www.england.nhs.uk/statistics/statistical-work-areas/ae-waiting-times-and-activity/ "
    "('A&E Attendances and Emergency Admissions: guidance' and 'Monthly A&E Sitrep' definitions)"
)


_TOTAL_ROW = "England total row (TOTAL in Org Code, Period or Org name): pbc sums providers itself"


def _wide(
    name: str | tuple[str, ...], department_type: str, measure: str, optional: bool = False
) -> WideColumn:
    names = (name,) if isinstance(name, str) else name
    fields = {"department_type": department_type, "measure": measure}
    return WideColumn(names, fields, optional=optional)


NHSE_MONTHLY = Layout(
    name="ae_monthly_csv",
    dataset="ae_attendances",
    title="NHS England monthly A&E attendances and emergency admissions by provider (CSV)",
    source=NHSE_SOURCE,
    spec=NHSE_SPEC,
    columns=(
        Column("month", names=("Period",), date="month-yyyy"),
        Column("provider_code", names=("Org Code",)),
        # Read only to recognise the England total row, whose "TOTAL" some months' files write
        # in the Period or Org name column rather than in Org Code.
        Column("_org_name", names=("Org name",), optional=True),
    ),
    ignored=(
        "Parent Org",
        # Booked appointments (published from 2019) are kept out, as are the published totals
        # (pbc sums the department types itself).
        "A&E attendances Booked Appointments Type 1",
        "A&E attendances Booked Appointments Type 2",
        "A&E attendances Booked Appointments Other Department",
        "Attendances over 4hrs Booked Appointments Type 1",
        "Attendances over 4hrs Booked Appointments Type 2",
        "Attendances over 4hrs Booked Appointments Other Department",
        "Emergency admissions via A&E - Booked Appointments Type 1",
        "Emergency admissions via A&E - Booked Appointments Type 2",
        "Emergency admissions via A&E - Booked Appointments Other Department",
        "A&E attendances Total",
        "Attendances over 4hrs Total",
        "Emergency admissions via A&E - Total",
        "Total emergency admissions",
    ),
    unpivot=Unpivot(
        "count",
        (
            # The twelve files of 2019/20 prefix "Number of" (and name the other
            # departments' over-4-hour column "... Other A&E Department"); the current
            # headings from April 2020.
            _wide(
                ("A&E attendances Type 1", "Number of A&E attendances Type 1"), "01", "attendances"
            ),
            _wide(
                ("A&E attendances Type 2", "Number of A&E attendances Type 2"), "02", "attendances"
            ),
            _wide(
                (
                    "A&E attendances Other A&E Department",
                    "Number of A&E attendances Other A&E Department",
                ),
                "other",
                "attendances",
            ),
            _wide(
                ("Attendances over 4hrs Type 1", "Number of attendances over 4hrs Type 1"),
                "01",
                "over_4_hours",
            ),
            _wide(
                ("Attendances over 4hrs Type 2", "Number of attendances over 4hrs Type 2"),
                "02",
                "over_4_hours",
            ),
            _wide(
                (
                    "Attendances over 4hrs Other Department",
                    "Number of attendances over 4hrs Other A&E Department",
                ),
                "other",
                "over_4_hours",
            ),
            # Attendances and over-4-hour counts are the file's core; the admission and
            # decision-to-admit columns are read where a file has them (optional).
            _wide("Emergency admissions via A&E - Type 1", "01", "emergency_admissions", True),
            _wide("Emergency admissions via A&E - Type 2", "02", "emergency_admissions", True),
            _wide(
                "Emergency admissions via A&E - Other A&E department",
                "other",
                "emergency_admissions",
                True,
            ),  # fmt: skip
            _wide("Other emergency admissions", "all", "other_emergency_admissions", True),
            _wide(
                # 4 to 12 hours. The workbooks' "Number of patients spending >4 hours from
                # decision to admit to admission" (to March 2018 the only such column) counts
                # the 12+ hour waits too: another measure, not read as this one.
                (
                    "Patients who have waited 4-12 hs from DTA to admission",
                    "Patients who have waited 4-12 hrs from DTA to admission",
                    "Patients who have waited 4-12 hours from DTA to admission",
                ),
                "all",
                "dta_over_4_hours",
                True,
            ),  # fmt: skip
            _wide(
                (
                    "Patients who have waited 12+ hrs from DTA to admission",
                    "Number of patients spending >12 hours from decision to admit to admission",
                ),
                "all",
                "dta_over_12_hours",
                True,
            ),  # fmt: skip
        ),
    ),
    drops=(
        Drop(
            field="provider_code",
            reason=_TOTAL_ROW,
            values=("TOTAL", "-"),
        ),
        Drop(field="month", reason=_TOTAL_ROW, values=("TOTAL",)),
        Drop(field="_org_name", reason=_TOTAL_ROW, values=("TOTAL", "ENGLAND")),
    ),
)

# NHS England's monthly "A&E by provider" workbook (.xls, sheet "Provider Level Data", title
# rows above a two-row header, from November 2010): the group headings ("A&E attendances",
# "A&E attendances > 4 hours from arrival to admission, transfer or discharge") sit above the
# same department sub-headings, so each sub-heading names two columns: the first its
# attendances, the second (#2) its attendances over four hours.
_TYPE_1 = ("Type 1 Departments - Major A&E",)
_TYPE_2 = ("Type 2 Departments - Single Specialty",)
_TYPE_3 = (
    "Type 3 Departments - Other A&E/Minor Injury Unit",
    "Type 3 Departments - Other A&E/Minor Injury Units",
)


def _nth(names: tuple[str, ...], nth: str) -> tuple[str, ...]:
    return tuple(f"{n}{nth}" for n in names)


_XLS_IGNORED = (
    "Region",
    "SHA",
    "Parent Org",
    "Total attendances",
    "Total Attendances > 4 hours",
    "Total Attendances < 4 hours",
    "Total Attendances <= 4 hours",
    "Percentage in 4 hours or less (type 1)",
    "Percentage in 4 hours or less (type 2)",
    "Percentage in 4 hours or less (type 3)",
    "Percentage in 4 hours or less (all)",
    "Total Emergency Admissions via A&E",
    "Total Emergency Admissions",
    # counts the 12+ hour waits too (not the 4-12 hour measure of the CSV)
    "Number of patients spending >4 hours from decision to admit to admission",
)


def _workbook(name: str, title: str, over_4: str, under_4: str | None = None) -> Layout:
    """The monthly workbook: the department sub-headings' first columns are the attendances,
    the `over_4` occurrence ("#2", or "#3" where `under_4` stands between) the attendances over
    four hours. The under-four-hour group (from 2017/18's workbooks) is recognised by its
    columns and not stored: it is attendances minus those over four hours."""
    under = (
        ()
        if under_4 is None
        else tuple(
            Column(f"_under_4_{kind}", names=tuple(f"{n}{under_4}" for n in names))
            for kind, names in (("1", _TYPE_1), ("2", _TYPE_2), ("3", _TYPE_3))
        )
    )
    return Layout(
        name=name,
        dataset="ae_attendances",
        title=title,
        source=NHSE_SOURCE,
        spec=NHSE_SPEC,
        columns=(
            Column("provider_code", names=("Code", "Org Code")),
            Column("_org_name", names=("Name", "Org name", "System"), optional=True),
            *under,
        ),
        ignored=_XLS_IGNORED,
        constants={"month": PERIOD},
        unpivot=Unpivot(
            "count",
            (
                _wide(_TYPE_1, "01", "attendances"),
                _wide(_TYPE_2, "02", "attendances"),
                _wide(_TYPE_3, "other", "attendances"),
                _wide(_nth(_TYPE_1, over_4), "01", "over_4_hours"),
                _wide(_nth(_TYPE_2, over_4), "02", "over_4_hours"),
                _wide(_nth(_TYPE_3, over_4), "other", "over_4_hours"),
                _wide("Emergency Admissions via Type 1 A&E", "01", "emergency_admissions", True),
                _wide("Emergency Admissions via Type 2 A&E", "02", "emergency_admissions", True),
                _wide(
                    "Emergency Admissions via Type 3 and 4 A&E",
                    "other",
                    "emergency_admissions",
                    True,
                ),
                _wide(
                    "Other Emergency admissions (i.e not via A&E)",
                    "all",
                    "other_emergency_admissions",
                    True,
                ),
                _wide(
                    "Number of patients spending >12 hours from decision to admit to admission",
                    "all",
                    "dta_over_12_hours",
                    True,
                ),
            ),
        ),
        drops=(
            Drop(field="provider_code", reason=_TOTAL_ROW, values=("TOTAL", "-")),
            Drop(field="_org_name", reason=_TOTAL_ROW, values=("TOTAL", "ENGLAND")),
        ),
        period_text="the month of the workbook, which it gives only in its title rows and name",
    )


NHSE_MONTHLY_XLS = _workbook(
    "ae_monthly_xls",
    "NHS England monthly A&E attendances and emergency admissions by provider, the .xls "
    "workbook (sheet 'Provider Level Data', November 2010 - 2017)",
    over_4="#2",
)

# From 2017/18 (HorridTom/nhsAEscraper's test workbook of January 2018) a third group, "A&E
# attendances less than 4 hours from arrival to admission, transfer or discharge", stands
# between the attendances and the over-four-hour group, under the same sub-headings: the
# second occurrence is then the under-four-hour count and the third the over-four-hour one.
# (Read by the older layout's "#2", the under-four-hour counts would have loaded as
# over_4_hours; a workbook with a third occurrence matches this layout, which names more of
# its columns.) Percentages are published per type from then on (type 2, type 3).
NHSE_MONTHLY_XLS_UNDER_4 = _workbook(
    "ae_monthly_xls_2018",
    "NHS England monthly A&E attendances and emergency admissions by provider, the .xls "
    "workbook with an under-four-hour group (from 2017/18)",
    over_4="#3",
    under_4="#2",
)

NHSR_TIDY = Layout(
    name="ae_nhsrdatasets",
    dataset="ae_attendances",
    title="Monthly A&E attendances, over-four-hour breaches and admissions by provider and "
    "department type (NHSRdatasets 'ae_attendances', from NHS England's monthly statistics)",
    source="NHS-R Community, NHSRdatasets R package, 'ae_attendances' (April 2016 - March "
    "2019), from NHS England's 'A&E Attendances and Emergency Admissions'",
    spec="https://nhs-r-community.github.io/NHSRdatasets/reference/ae_attendances.html",
    columns=(
        Column("month", names=("period",), date="iso"),
        Column("provider_code", names=("org_code",)),
        # type 1, type 2, and 'other' (types 3 and 4 together, as NHS England publishes them)
        Column("department_type", names=("type",), recode={"1": "01", "2": "02"}),
    ),
    unpivot=Unpivot(
        "count",
        (
            WideColumn(("attendances",), {"measure": "attendances"}),
            WideColumn(("breaches",), {"measure": "over_4_hours"}),
            WideColumn(("admissions",), {"measure": "emergency_admissions"}),
        ),
    ),
)

LAYOUTS = (NHSE_MONTHLY, NHSE_MONTHLY_XLS, NHSE_MONTHLY_XLS_UNDER_4, NHSR_TIDY)
