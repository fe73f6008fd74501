"""Market forces factors as the Department of Health (later Monitor, NHS England) published
them for Payment by Results: a workbook sheet, title rows above a header, one row per NHS
organisation (its code and name) and the MFF payment index for a year in a column headed with
that year ("2008/09 MFF", "MFF payment index 2009/10"; a two-year tariff's sheet has a column
per year). Loads `market_forces_factors`, one row per organisation and year column; docs/data.md
"Layout `pbr_mff`".

The year comes from the column's heading, so one sheet may carry several years. The dataset is
partitioned by financial year: an import replaces the years it brings and keeps the others (a
2009/10 sheet leaves the 2008/09 factors as they were). A blank or "-" cell (no value for that
organisation that year) is dropped and counted. The payment index is stored to 4 decimal places
(`market_forces_factors.market_forces_factor`, DECIMAL(6, 4)), rounded half up, as costing uses
it; underlying index columns are not kept (the payment index adjusts tariff prices).
"""

from __future__ import annotations

from pbc.warehouse.layouts.spec import Column, Layout, Unpivot, WideColumn

SOURCE = (
    "Department of Health, Payment by Results: market forces factor (MFF) payment index per "
    "NHS organisation, published with each year's tariff (later Monitor / NHS England's "
    "National Tariff MFF workbook)"
)
SPEC = (
    "DH, 'PbR and the Market Forces Factor (MFF)' (the payment index adjusts tariff prices per "
    "provider: price x MFF); 'Payment by Results Guidance' for each year"
)
FIRST_YEAR, LAST_YEAR = 2003, 2030  # PbR began in 2003/04
NO_VALUE = ("-", "n/a", "N/A", "na", "*")
NO_VALUE_REASON = "no MFF for this organisation that year (blank or '-' in the workbook)"


def year_names(start: int) -> tuple[str, ...]:
    """The headings of one year's MFF column: "2008/09 MFF", "MFF 2008-09", ..."""
    years = (
        f"{start}/{(start + 1) % 100:02d}",
        f"{start}-{(start + 1) % 100:02d}",
        f"{start}/{start + 1}",
        f"{start}-{start + 1}",
    )
    forms = (
        "{y} MFF",
        "MFF {y}",
        "{y} MFF payment index",
        "MFF payment index {y}",
        "MFF payment index for {y}",
        "{y} payment index",
        "Payment index {y}",
        "MFF {y} (payment index)",
        "{y} MFF (payment index)",
        "{y} market forces factor",
        "Market forces factor {y}",
    )
    return tuple(form.format(y=y) for y in years for form in forms)


def underlying_names(start: int) -> tuple[str, ...]:
    years = (f"{start}/{(start + 1) % 100:02d}", f"{start}-{(start + 1) % 100:02d}")
    forms = ("{y} underlying index", "Underlying index {y}", "{y} MFF underlying index")
    return tuple(form.format(y=y) for y in years for form in forms)


YEARS = range(FIRST_YEAR, LAST_YEAR + 1)

PBR_MFF = Layout(
    name="pbr_mff",
    dataset="market_forces_factors",
    title="PbR market forces factor workbook: one row per NHS organisation, the MFF payment "
    "index in a column per year",
    source=SOURCE,
    spec=SPEC,
    columns=(
        Column(
            "provider_code",
            names=(
                "Org code",
                "Organisation code",
                "Provider code",
                "Trust code",
                "ODS code",
                "Code",
            ),
        ),
    ),
    ignored=(
        "Org name",
        "Organisation name",
        "Provider name",
        "Trust name",
        "Name",
        "Organisation type",
        "Org type",
        "SHA",
        "Region",
        "Notes",
        "Note",
        "Underlying index",
        *(n for y in YEARS for n in underlying_names(y)),
    ),
    unpivot=Unpivot(
        "market_forces_factor",
        tuple(
            WideColumn(
                year_names(y),
                {"financial_year": f"{y}/{(y + 1) % 100:02d}"},
                optional=True,
            )
            for y in YEARS
        ),
        no_value=NO_VALUE,
        no_value_reason=NO_VALUE_REASON,
    ),
)

LAYOUTS = (PBR_MFF,)
