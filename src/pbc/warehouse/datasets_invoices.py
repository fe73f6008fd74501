"""The provider's invoice: what a provider charged, kept apart from the activity (issue 16).

`invoice_lines` holds the lines of a provider's monthly invoice to a commissioner (the SLAM or
contract-monitoring lines): one line per spell or attendance charged, with the point of
delivery, HRG, excess bed days, market forces factor and price the provider charged. A line
names its activity as the provider knows it (`activity_id`: the hospital provider spell number,
PROVSPNO, or the attendance identifier), so it joins the activity datasets on provider and that
id: `apc.spell_id` and `op` / `ae` `attendance_id` from a HES / SUS extract are
`PROVIDER:id` (`pbc.warehouse.layouts.hes`), the join key `invoice_key` builds.

Declared here and registered with the others in `pbc.warehouse.datasets.DATASETS`. Filled by
the files providers send (`pbc.warehouse.layouts.invoices`); the generator writes the demo's
invoices in that layout (`pbc.synth.hes`).
"""

from __future__ import annotations

from pbc.warehouse.schema import Dataset, Field


def invoice_key(provider_code: str, activity_id: str) -> str:
    """The activity row key an invoice line names: "RWG:1001"."""
    return f"{provider_code}:{activity_id}"


def invoice_lines(points_of_delivery: frozenset[str]) -> Dataset:
    """The dataset, given the points of delivery a line may charge (declared with activity)."""
    return Dataset(
        name="invoice_lines",
        description="Lines of a provider's monthly invoice to a commissioner (SLAM / contract "
        "monitoring): one per spell or attendance charged, partitioned by invoice month, "
        "provider and commissioner. Joins the activity on provider and activity_id.",
        key=("provider_code", "activity_id", "point_of_delivery", "invoice_month"),
        period_field="invoice_month",
        partition_by_provider=True,
        partition_by_commissioner=True,
        fields=(
            Field("provider_code", "string", True, check="provider_code"),
            Field(
                "commissioner_code",
                "string",
                True,
                check="commissioner_code",
                description="The commissioner invoiced (PCT, ODS code).",
            ),
            Field(
                "invoice_month",
                "date",
                True,
                description="First day of the month the line was invoiced in.",
            ),
            Field(
                "activity_id",
                "string",
                True,
                description="The provider's id of the spell (hospital provider spell number, "
                "PROVSPNO) or attendance (attendance identifier) charged.",
            ),
            Field("point_of_delivery", "string", True, codes=points_of_delivery),
            Field("hrg_code", "string", False, check="hrg_code"),
            Field("treatment_function_code", "string", False, check="treatment_function_code"),
            Field(
                "activity_date",
                "date",
                False,
                description="Discharge date (spells) or attendance / arrival date.",
            ),
            Field("excess_bed_days", "int", False, description="Excess bed days charged."),
            Field(
                "market_forces_factor",
                "decimal",
                False,
                precision=6,
                scale=4,
                description="MFF the provider applied.",
            ),
            Field("price", "decimal", True, description="What the line charges (GBP)."),
        ),
    )
