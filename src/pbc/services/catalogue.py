"""The enhanced services both 2008/09 plans name, with their 2008/09 specification.

Prices, caps and targets are the demo's illustrative figures (the plans give none). A PCT
analyst changes a year's specification, or adds next year's, on the specification page
(`/services/enhanced/specification/`, through `actions.save_specification`, audited). Caps are units per practice per
quarter; a claim over the cap is queried and only the capped units are payable.

| key | plan |
| --- | --- |
| smoking-cessation | "Uptake of PCT Smoking Cessation LES; National Quit Targets are met each quarter" |
| counselling | Dacorum "redesigned Counselling LES" (approved 4 March 2008) |
| end-of-life | Dacorum "End of Life Local Enhanced Service" from October 2008 |
| gynaecology | Welwyn Hatfield "commissioning a Gynae LES" |
| phlebotomy | Welwyn Hatfield "Produce a LES service specification" for phlebotomy |
| extended-hours | "Participation by GP practices in the PCT Extended Hours Access LES"; ≥ 50% of practices |
| choose-and-book | "Participation by GP practices in the PCT Choose & Book LES" |
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ServiceSpec:
    key: str
    name: str
    kind: str  # "les" or "des"
    description: str
    unit: str
    price_per_unit: Decimal
    cap_per_quarter: int | None
    target_per_quarter: int | None = None
    reporting_frequency: str = "quarterly"


CATALOGUE_2008_09: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "smoking-cessation",
        "Smoking cessation",
        "les",
        "Stop smoking support in the practice; paid per four-week quitter.",
        "four-week quitter",
        Decimal("40.00"),
        60,
        target_per_quarter=8,
    ),
    ServiceSpec(
        "counselling",
        "Counselling",
        "les",
        "Short-term counselling in the practice for people aged 16 and over with mild to "
        "moderate mental health problems; waiting times reported quarterly.",
        "counselling session",
        Decimal("35.00"),
        150,
    ),
    ServiceSpec(
        "end-of-life",
        "End of life care",
        "les",
        "Gold Standards Framework register, Liverpool Care Pathway and advance care planning; "
        "paid per patient with an agreed plan in the quarter.",
        "patient with an end of life care plan",
        Decimal("75.00"),
        40,
    ),
    ServiceSpec(
        "gynaecology",
        "Gynaecology",
        "les",
        "Gynaecology procedures in primary care (coil fitting, ring pessaries) to reduce "
        "referral to secondary care.",
        "procedure",
        Decimal("60.00"),
        50,
    ),
    ServiceSpec(
        "phlebotomy",
        "Phlebotomy",
        "les",
        "Blood taking in the practice for samples requested by secondary care.",
        "sample taken",
        Decimal("3.50"),
        1500,
    ),
    ServiceSpec(
        "extended-hours",
        "Extended hours access",
        "les",
        "Routine appointments outside core contracted hours (evenings and Saturdays); a "
        "practice signed up is counted as offering extended hours.",
        "extended-hours session of three hours",
        Decimal("240.00"),
        26,
    ),
    ServiceSpec(
        "choose-and-book",
        "Choose & Book",
        "les",
        "First outpatient referrals booked through Choose & Book.",
        "referral booked through Choose & Book",
        Decimal("1.50"),
        1000,
    ),
)
