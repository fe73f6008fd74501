"""Referral-to-treatment returns as published: the Department of Health's monthly RTT
statistics by commissioner (PCT) or by provider (2007-2013 .xls forms, one per pathway type),
and NHS England's monthly "full CSV" extract (provider x commissioner x pathway type x
treatment function, from 2013/14). Both are wide on weeks-waited bands; each band becomes one
`rtt_returns` row. docs/data.md "RTT returns" describes them with their sources.

Published totals (total rows: treatment function 999 / C_999 "Total"; total and percentage
columns) are never loaded: pbc recomputes them from the bands. Total rows are dropped and
counted; total columns are named in `ignored` so detection recognises the whole header.
"""

from __future__ import annotations

from dataclasses import replace

from pbc.warehouse.layouts.spec import PERIOD, Column, Drop, Layout, Unpivot, WideColumn

DH_SOURCE = (
    "Department of Health, 'Referral to treatment (RTT) waiting times statistics', monthly, "
    "commissioner-based and provider-based tables by treatment function (2007-2013)"
)
DH_SPEC = (
    "https://www.gov.uk/government/collections/referral-to-treatment-waiting-times-statistics "
    "(guidance: 'RTT waiting times data: technical definitions' and the monthly "
    "statistical press notice)"
)
NHSE_SOURCE = (
    "NHS England, 'Consultant-led Referral to Treatment Waiting Times Data', monthly full CSV "
    "extract (from April 2013)"
)
NHSE_SPEC = (
    "https://www.england.nhs.uk/statistics/statistical-work-areas/rtt-waiting-times/ "
    "('Recording and reporting RTT waiting times guidance' and the full CSV data dictionary)"
)

# The DH forms code the pathway type into the treatment function code: IP100 (incomplete),
# AP100 (admitted), NP100 (non-admitted); 999 is the total row, X01 "Other".
DH_PATHWAY = {"IP": "incomplete", "AP": "admitted", "NP": "non_admitted"}
# NHS England's RTT Part Type. Part_3 (new RTT periods: clock starts) has no wait bands.
NHSE_PATHWAY = {
    "Part_1A": "admitted",
    "Part_1B": "non_admitted",
    "Part_2": "incomplete",
    "Part_2A": "incomplete_dta",
}


def dh_bands(top: int = 52) -> Unpivot:
    """'>0-1' ... '>51-52', '52 plus': band '>k-(k+1)' is more than k and up to k+1 weeks."""
    cols = [
        WideColumn(
            (f">{k}-{k + 1}", f"> {k}-{k + 1}"), {"weeks_from": str(k), "weeks_to": str(k + 1)}
        )
        for k in range(top)
    ]
    cols.append(WideColumn((f"{top} plus", f"{top}+", f">{top}"), {"weeks_from": str(top)}))
    return Unpivot("pathways", tuple(cols))


def nhse_bands(top: int) -> Unpivot:
    """'Gt 00 To 01 Weeks SUM 1' ... then the open 'Gt 52 Weeks SUM 1' (or 104)."""
    cols = [
        WideColumn(
            (f"Gt {k:02d} To {k + 1:02d} Weeks SUM 1",),
            {"weeks_from": str(k), "weeks_to": str(k + 1)},
        )
        for k in range(top)
    ]
    cols.append(WideColumn((f"Gt {top:02d} Weeks SUM 1",), {"weeks_from": str(top)}))
    return Unpivot("pathways", tuple(cols))


def _dh_treatment_function() -> tuple[Column, ...]:
    names = ("Treatment Function Code",)
    return (
        Column("treatment_function_code", names=names, extract=r"^(?:IP|AP|NP|C_)(.+)$"),
        Column("pathway_type", names=names, extract=r"^(IP|AP|NP)", recode=DH_PATHWAY),
        Column("treatment_function_name", names=("Treatment Function",)),
    )


# NHS England's workbooks from about 2016 code the treatment function C_100, without the
# pathway prefix; the pathway is in the title rows ("Summary: ... incomplete pathways") and in
# the file's name as published: Incomplete-Provider-May25-XLSX-9M-32711.xlsx,
# Admitted-Commissioner-..., NonAdmitted-... (NHS England's RTT pages; readers of the files
# select them by these names). NonAdmitted is tried before Admitted, which it contains.
WORKBOOK_PATHWAY_NAMES = (
    (r"non[-_ ]?admitted", "non_admitted"),
    (r"incomplete", "incomplete"),
    (r"admitted", "admitted"),
)
WORKBOOK_NAME_HINT = (
    "NHS England's RTT workbooks from 2016 code the treatment function C_100, without the "
    "pathway prefix (IP, AP, NP) of the earlier ones, and give the pathway only in their title "
    "and file name. Import the workbook under the name NHS England publishes it with "
    "(Incomplete-Provider-May25-XLSX-9M-32711.xlsx, Admitted-Commissioner-..., "
    "NonAdmitted-...: the first word names the pathway), or import instead the same month's "
    "full CSV extract from NHS England's RTT page ('Full CSV data file May25 (ZIP)', holding "
    "20250531-RTT-May-2025-full-extract.csv; layouts rtt_full_csv and rtt_full_csv_104), which "
    "gives the pathway (RTT Part Type) and the month on every row and needs no --period"
)

DH_TOTAL_ROWS = Drop(
    field="treatment_function_code",
    reason="total row (treatment function 999 'Total'): pbc recomputes totals from the rows",
    pattern=r"(IP|AP|NP|C_)?999$",
)
DH_IGNORED = (
    "SHA Code",
    "SHA Name",
    "Patients with unknown clock start date",
    "Total number of incomplete pathways",
    "Total number of completed pathways (all)",
    "Total number of completed pathways (with a known clock start)",
    "Total number of completed pathways",
    "Total within 18 weeks",
    "Total (with a known clock start) within 18 weeks",
    "% within 18 weeks",
    "Median waiting time (in weeks)",
    "95th percentile waiting time (in weeks)",
    # NHS England's monthly workbooks of the same tables (from 2013/14): region or area team
    # columns, and the published median and percentiles (recomputed by pbc, never loaded).
    "Region Code",
    "Area Team Code",
    "Area Team Name",
    "Average (median) waiting time (in weeks)",
    "92nd percentile waiting time (in weeks)",
)

DH_COMMISSIONER = Layout(
    name="rtt_dh_commissioner",
    dataset="rtt_returns",
    title="DH RTT statistics, commissioner-based: PCT x treatment function x week band "
    "(admitted, non-admitted or incomplete; 2007-2013)",
    source=DH_SOURCE,
    spec=DH_SPEC,
    columns=(
        # PCTs and care trusts to March 2013; NHS England's workbooks from April 2013 name
        # the commissioner "CCG Code" (CCGs, and national commissioning hubs).
        Column("commissioner_code", names=("PCT Code", "Commissioner Code", "CCG Code")),
        *_dh_treatment_function(),
    ),
    ignored=(*DH_IGNORED, "PCT Name", "Commissioner Name", "CCG Name"),
    constants={"month": PERIOD},
    unpivot=dh_bands(),
    drops=(DH_TOTAL_ROWS,),
    period_text="the month of the return, which the file gives only in its name or title",
    name_values={"pathway_type": WORKBOOK_PATHWAY_NAMES},
    name_hint=WORKBOOK_NAME_HINT,
)

# NHS England's provider workbooks (from 2016 at least) hold NHS trusts on sheet "Provider" and
# independent sector providers on "IS Provider", the same headings on each, header on row 14;
# the Incomplete workbook adds "Provider with DTA" and "IS Provider with DTA": the incomplete
# pathways with a decision to admit, a subset of the others (readers: HFAnalyticsLab's
# targets_rtt_example reads each sheet by these names with 13 rows skipped; WaitWise sums
# "Provider" and "IS Provider" for England and leaves the DTA sheets out as not additive).
# Every such sheet is read; the DTA sheets' rows are pathway incomplete_dta (as the full CSV's
# Part_2A), never added to incomplete.
PROVIDER_SHEETS = {"pathway_type": ((r"\bwith DTA\b", "incomplete_dta"),)}

DH_PROVIDER = Layout(
    name="rtt_dh_provider",
    dataset="rtt_returns",
    title="DH RTT statistics, provider-based: trust x treatment function x week band "
    "(admitted, non-admitted or incomplete; 2007-2013)",
    source=DH_SOURCE,
    spec=DH_SPEC,
    columns=(
        Column("provider_code", names=("Provider Code", "Trust Code")),
        *_dh_treatment_function(),
    ),
    ignored=(*DH_IGNORED, "Provider Name", "Trust Name"),
    constants={"month": PERIOD},
    unpivot=dh_bands(),
    drops=(DH_TOTAL_ROWS,),
    period_text="the month of the return, which the file gives only in its name or title",
    name_values={"pathway_type": WORKBOOK_PATHWAY_NAMES},
    name_hint=WORKBOOK_NAME_HINT,
    every_sheet=True,
    sheet_values=PROVIDER_SHEETS,
)


# NHS England's workbooks from April 2021: bands ">0-1" ... ">103-104", "104 plus" (readers
# of the monthly Provider and Commissioner workbooks name them so, with "Total 52 plus weeks"
# and, later, 65 and 78 plus totals and the 92nd percentile), treatment functions C_100 ...
# C_999, the pathway in the file's name. Same title rows and first columns as before.
WORKBOOK_104_IGNORED = (
    *DH_IGNORED,
    "Total 52 plus weeks",
    "Total 65 plus weeks",
    "Total 78 plus weeks",
    "Total 104 plus weeks",
)


def _workbook_104(base: Layout, name: str, title: str) -> Layout:
    return replace(
        base,
        name=name,
        title=title,
        source="NHS England, 'Consultant-led Referral to Treatment Waiting Times Data', "
        "monthly workbooks (Incomplete-, Admitted-, NonAdmitted-Provider / -Commissioner), "
        "bands to 104 weeks and over (from April 2021)",
        spec=NHSE_SPEC,
        ignored=(*base.ignored, *WORKBOOK_104_IGNORED),
        unpivot=dh_bands(104),
    )


WORKBOOK_COMMISSIONER_104 = _workbook_104(
    DH_COMMISSIONER,
    "rtt_workbook_commissioner_104",
    "NHS England RTT workbook, commissioner-based, bands to '104 plus' (from April 2021; "
    "pathway from the file name)",
)
WORKBOOK_PROVIDER_104 = _workbook_104(
    DH_PROVIDER,
    "rtt_workbook_provider_104",
    "NHS England RTT workbook, provider-based, bands to '104 plus' (from April 2021; pathway "
    "from the file name)",
)


def _nhse(name: str, top: int, title: str) -> Layout:
    return Layout(
        name=name,
        dataset="rtt_returns",
        title=title,
        source=NHSE_SOURCE,
        spec=NHSE_SPEC,
        columns=(
            Column("month", names=("Period",), date="month-yyyy"),
            Column("provider_code", names=("Provider Org Code",)),
            Column("commissioner_code", names=("Commissioner Org Code",)),
            Column("pathway_type", names=("RTT Part Type",), recode=NHSE_PATHWAY),
            Column(
                "treatment_function_code", names=("Treatment Function Code",), extract=r"^C_(.+)$"
            ),
            Column("treatment_function_name", names=("Treatment Function Name",)),
        ),
        ignored=(
            "Provider Parent Org Code",
            "Provider Parent Name",
            "Provider Org Name",
            "Commissioner Parent Org Code",
            "Commissioner Parent Name",
            "Commissioner Org Name",
            "RTT Part Description",
            "Total",
            "Patients with unknown clock start date",
            "Total All",
        ),
        unpivot=nhse_bands(top),
        drops=(
            Drop(
                field="treatment_function_code",
                reason="total row (treatment function C_999 'Total'): pbc recomputes totals",
                pattern=r"(C_)?999$",
            ),
            Drop(
                field="pathway_type",
                reason="new RTT periods (Part_3, clock starts): a count with no waits",
                values=("Part_3",),
            ),
        ),
    )


NHSE_FULL_CSV = _nhse(
    "rtt_full_csv",
    52,
    "NHS England RTT full CSV extract, bands to 52 weeks and over (April 2013 - March 2021)",
)
NHSE_FULL_CSV_104 = _nhse(
    "rtt_full_csv_104",
    104,
    "NHS England RTT full CSV extract, bands to 104 weeks and over (from April 2021)",
)

LAYOUTS = (
    DH_COMMISSIONER,
    DH_PROVIDER,
    WORKBOOK_COMMISSIONER_104,
    WORKBOOK_PROVIDER_104,
    NHSE_FULL_CSV,
    NHSE_FULL_CSV_104,
)
