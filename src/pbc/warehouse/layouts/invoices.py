"""Provider invoices as providers send them: the monthly SLAM / contract-monitoring lines, CSV
or XLSX (title rows above the header and a total row below are common), loaded into
`invoice_lines`. docs/data.md "Layout `slam_invoice`" describes it.

There is no national layout for an invoice: each provider's finance system names its columns.
The declaration lists the names seen in SLAM and contract-monitoring files and the NHS Data
Dictionary / HES names a provider may reuse; a file naming them otherwise is refused naming the
columns that differ (and is loaded by renaming its header, or by adding a name here).
"""

from __future__ import annotations

from pbc.warehouse.layouts.spec import Column, Drop, Layout

# Points of delivery as invoices word them -> pbc's codes (docs/data.md "Tariff").
POINT_OF_DELIVERY = {
    "Elective": "EL",
    "Elective Inpatient": "EL",
    "Ordinary Elective": "EL",
    "Day Case": "DC",
    "Daycase": "DC",
    "Non-Elective": "NEL",
    "Non Elective": "NEL",
    "Emergency": "NEL",
    "Non-Elective Short Stay": "NELST",
    "Non Elective Short Stay": "NELST",
    "Short Stay Emergency": "NELST",
    "OP First": "OPFA",
    "Outpatient First Attendance": "OPFA",
    "First Attendance": "OPFA",
    "OP Follow Up": "OPFUP",
    "OP Follow-Up": "OPFUP",
    "Outpatient Follow Up": "OPFUP",
    "Follow Up Attendance": "OPFUP",
    "OP Procedure": "OPPROC",
    "Outpatient Procedure": "OPPROC",
    "A&E": "AE",
    "A and E": "AE",
    "Accident and Emergency": "AE",
    # Unbundled diagnostic imaging, charged on its own line (docs/data.md "Layout slam_invoice")
    "Imaging": "IMG",
    "Diagnostic Imaging": "IMG",
    "Unbundled Imaging": "IMG",
    "Unbundled Diagnostic Imaging": "IMG",
    "Direct Access Imaging": "IMG",
    "Direct Access Diagnostic Imaging": "IMG",
    "Direct Access Radiology": "IMG",
    "Radiology": "IMG",
}

MONTH_FORMS = ("yyyymm", "month-yyyy", "mm/yy", "dd/mm/yyyy", "iso", "excel")
DAY_FORMS = ("dd/mm/yyyy", "iso", "excel", "dd-mon-yy", "yyyymmdd")

SLAM_INVOICE = Layout(
    name="slam_invoice",
    dataset="invoice_lines",
    title="Provider invoice / SLAM contract-monitoring lines, one per spell or attendance "
    "charged (CSV or XLSX)",
    source="NHS providers' monthly invoices to commissioners (SLAM, service level agreement "
    "monitoring), as their finance systems export them",
    spec="DH, Payment by Results Guidance (2008-09, 2009-10): the invoice prices each spell or "
    "attendance at tariff x MFF; no national file layout (docs/data.md 'Layout slam_invoice')",
    columns=(
        Column("provider_code", names=("Provider Code", "Provider", "Org Code", "PROCODE3")),
        Column(
            "commissioner_code",
            names=("Commissioner Code", "Commissioner", "PCT Code", "PCT", "Purchaser Code"),
            extract=r"^([A-Z0-9]{3})00$",
        ),
        Column(
            "invoice_month",
            names=("Invoice Month", "Month", "Period", "Activity Month"),
            date=MONTH_FORMS,
            truncate="month",
        ),
        Column(
            "activity_id",
            names=(
                "Spell Number",
                "Provider Spell Number",
                "Hospital Provider Spell Number",
                "PROVSPNO",
                "Attendance Identifier",
                "Attendance ID",
                "ATTENDID",
                "Activity ID",
            ),
            coalesce=True,
        ),
        Column(
            "point_of_delivery",
            names=("Point of Delivery", "POD", "Point of Delivery Code"),
            recode=POINT_OF_DELIVERY,
        ),
        Column("hrg_code", names=("HRG", "HRG Code", "Tariff HRG"), optional=True),
        Column(
            "treatment_function_code",
            names=("Treatment Function Code", "Treatment Function", "TFC", "Specialty Code"),
            optional=True,
        ),
        Column(
            "activity_date",
            names=("Discharge Date", "Attendance Date", "Arrival Date", "Activity Date"),
            date=DAY_FORMS,
            optional=True,
            coalesce=True,
        ),
        Column(
            "excess_bed_days",
            names=("Excess Bed Days", "XS Bed Days", "Excess Days"),
            optional=True,
        ),
        Column("market_forces_factor", names=("MFF", "Market Forces Factor"), optional=True),
        Column("price", names=("Price", "Total Price", "Charge", "Amount", "Cost", "Total Cost")),
    ),
    drops=(
        Drop(
            field="provider_code",
            reason="total row (pbc sums the lines itself)",
            pattern=r"(grand )?totals?\b",
        ),
    ),
)

LAYOUTS = (SLAM_INVOICE,)
