"""A&E attendances and emergency admissions as NHS England publishes them monthly, by provider:
the monthly CSV (a column per department type and measure, one row per provider, the period in
the file as 'MSitAE-APRIL-2019'), and the tidy form the NHS-R Community's NHSRdatasets package
publishes from it (a row per provider, month and department type). Both load
`ae_attendances`, one row per measure. docs/data.md "A&E attendances" describes them.
"""

from __future__ import annotations

from pbc.warehouse.layouts.spec import Column, Drop, Layout, Unpivot, WideColumn

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
            _wide("A&E attendances Type 1", "01", "attendances"),
            _wide("A&E attendances Type 2", "02", "attendances"),
            _wide("A&E attendances Other A&E Department", "other", "attendances"),
            _wide("Attendances over 4hrs Type 1", "01", "over_4_hours"),
            _wide("Attendances over 4hrs Type 2", "02", "over_4_hours"),
            _wide("Attendances over 4hrs Other Department", "other", "over_4_hours"),
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
                (
                    "Patients who have waited 4-12 hs from DTA to admission",
                    "Patients who have waited 4-12 hrs from DTA to admission",
                    "Number of patients spending >4 hours but <12 hours from decision to admit "
                    "to admission",
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

LAYOUTS = (NHSE_MONTHLY, NHSR_TIDY)
