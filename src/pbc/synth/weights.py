"""Age/sex weights for list sizes and the weighted population: one definition for indicators
and budgets.

    weighted_population(practice, quarter, weighting) =
        sum over sex and five-year age band of registered_patients x weight(weighting, sex, band)

- "astro_pu_2013": ASTRO-PU 2013 cost-based prescribing units (NHS Business Services Authority /
  Prescribing Research Unit, 2013), published on nine bands (0-4, 5-14, 15-24, ..., 65-74, 75+);
  the values are those OpenPrescribing applies (ebmdatalab/openprescribing). A weight published
  for a wider band repeats on each five-year band inside it.
- "hospital_activity": the generator's own expected hospital cost per head by age band and sex
  (calibrated 2008/09 rates x a representative price per point of delivery, `REPRESENTATIVE_PRICE`),
  divided by its England-population average, so that England's 2008 population has mean weight 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pbc.synth import calibration as cal
from pbc.warehouse.datasets import AGE_BANDS

# ASTRO-PU 2013, cost based: (male, female) per band lower bound.
ASTRO_PU_2013: dict[int, tuple[float, float]] = {
    0: (1.0, 0.874764602225095),
    5: (0.871655388261018, 0.736837170135133),
    15: (1.22586428186498, 1.44903466533634),
    25: (1.25432789273113, 1.84193852699796),
    35: (1.81674766893969, 2.57229387381937),
    45: (3.08974457158975, 3.72488353721683),
    55: (5.28280419664147, 5.44244517326563),
    65: (8.74186911115141, 7.64083013196212),
    75: (11.3430752706509, 9.88935302232237),
}
# Representative 2008/09 price per event (GBP) for the hospital-activity weighting.
REPRESENTATIVE_PRICE = {"emergency": 1900.0, "elective": 1000.0, "first_op": 160.0, "ae": 100.0}


def _astro(lower: int, female: bool) -> float:
    key = max(k for k in ASTRO_PU_2013 if k <= lower)
    return ASTRO_PU_2013[key][int(female)]


def _hospital_cost(lower: int, female: bool) -> float:
    age = np.array([lower + 2])
    fem = np.array([female])
    fu = 1 + cal.FOLLOW_UPS_PER_FIRST * 0.55  # follow-ups cost about 55% of a first
    return float(
        cal.rate_per_person_year(cal.EMERGENCY_ADMISSIONS, age, fem)[0]
        * REPRESENTATIVE_PRICE["emergency"]
        + cal.rate_per_person_year(cal.ELECTIVE_ADMISSIONS, age, fem)[0]
        * REPRESENTATIVE_PRICE["elective"]
        + cal.rate_per_person_year(cal.FIRST_OUTPATIENT_ATTENDANCES, age, fem)[0]
        * REPRESENTATIVE_PRICE["first_op"]
        * fu
        + cal.rate_per_person_year(cal.AE_ATTENDANCES, age, fem)[0] * REPRESENTATIVE_PRICE["ae"]
    )


def population_weights() -> pd.DataFrame:
    """The `population_weights` dataset."""
    rows = []
    pop = cal.ENGLAND_POPULATION_2008
    male = cal.MALE_SHARE_2008
    costs = np.array(
        [[_hospital_cost(i * 5, False), _hospital_cost(i * 5, True)] for i in range(len(pop))]
    )
    england_mean = float(
        ((pop * male) @ costs[:, 0] + (pop * (1 - male)) @ costs[:, 1]) / pop.sum()
    )
    for i, band in enumerate(AGE_BANDS):
        for s, female in (("M", False), ("F", True)):
            rows.append(
                {
                    "weighting": "astro_pu_2013",
                    "sex": s,
                    "age_band": band,
                    "weight": _astro(i * 5, female),
                }
            )
            rows.append(
                {
                    "weighting": "hospital_activity",
                    "sex": s,
                    "age_band": band,
                    "weight": round(costs[i, int(female)] / england_mean, 6),
                }
            )
    return pd.DataFrame(rows)


def weighted_populations(list_sizes: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """The `weighted_populations` dataset from `list_sizes` and `population_weights` frames."""
    m = list_sizes.merge(weights, on=["sex", "age_band"])
    m["weighted_population"] = m["registered_patients"] * m["weight"]
    out = (
        m.groupby(["gp_practice_code", "quarter_start", "weighting"], sort=True)
        .agg(
            registered_patients=("registered_patients", "sum"),
            weighted_population=("weighted_population", "sum"),
        )
        .reset_index()
    )
    out["weighted_population"] = out["weighted_population"].round(4)
    return out
