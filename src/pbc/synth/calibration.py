"""Published England figures (2008/09) the generator is calibrated to.

Every figure here is written down with its source in docs/data.md ("Calibration"). They are
rounded, as published in the national summaries named; the generator draws events so that the
expected rate in each age band and sex equals the figure, and `tests/synth/test_calibration.py`
checks the generated rates against them (indirectly standardised, within a tolerance).

Rates are per 1,000 person-years, in the broad age bands of `CALIBRATION_BANDS`.
"""

from __future__ import annotations

import numpy as np

# Broad age bands (lower bounds) used for the calibration tables: 0-4, 5-14, 15-44, 45-64,
# 65-74, 75-84, 85+.
CALIBRATION_BANDS: tuple[int, ...] = (0, 5, 15, 45, 65, 75, 85)
CALIBRATION_BAND_LABELS: tuple[str, ...] = (
    "0-4",
    "5-14",
    "15-44",
    "45-64",
    "65-74",
    "75-84",
    "85+",
)

# ONS mid-2008 population estimates, England, thousands, five-year bands 0-4 ... 85-89, 90+
# (rounded), and the male share of each band.
ENGLAND_POPULATION_2008 = np.array(
    [3100, 2860, 3080, 3300, 3400, 3330, 3250, 3710, 3930, 3650,
     3140, 3170, 2960, 2310, 1990, 1660, 1200, 740, 360],
    dtype=float,
)  # fmt: skip
MALE_SHARE_2008 = np.array(
    [0.512, 0.512, 0.512, 0.513, 0.508, 0.500, 0.497, 0.497, 0.496, 0.494,
     0.494, 0.493, 0.489, 0.480, 0.465, 0.440, 0.405, 0.340, 0.260],
)  # fmt: skip

# Emergency admissions per 1,000 (HES 2008-09, finished admission episodes with an emergency
# admission method, by age and sex). Columns: male, female.
EMERGENCY_ADMISSIONS = np.array(
    [[150, 120], [38, 32], [52, 62], [78, 70], [150, 128], [275, 245], [500, 450]], dtype=float
)
# Elective admissions (ordinary and day case) per 1,000 (HES 2008-09).
ELECTIVE_ADMISSIONS = np.array(
    [[45, 32], [32, 28], [62, 88], [165, 175], [330, 300], [390, 340], [260, 220]], dtype=float
)
# Share of elective admissions that are day cases (HES 2008-09: about 5.2m of 6.9m).
DAY_CASE_SHARE = 0.75
# First outpatient attendances per 1,000 (HES outpatients 2008-09: 60.5m attended appointments,
# 2.3 follow-ups per first attendance, so about 18m first attendances).
FIRST_OUTPATIENT_ATTENDANCES = np.array(
    [[300, 270], [200, 190], [200, 360], [360, 400], [560, 520], [660, 600], [520, 460]],
    dtype=float,
)
FOLLOW_UPS_PER_FIRST = 2.3
OUTPATIENT_DNA_RATE = 0.08  # HES outpatients 2008-09: 8.0% of appointments not attended
# GP written referrals per 1,000 (DH GP referral returns 2008-09: about 9.5m a year); the rest of
# the first attendances come from consultants, A&E, after admission and other sources.
GP_REFERRALS = np.array(
    [[150, 130], [110, 105], [110, 210], [200, 225], [310, 290], [360, 330], [280, 250]],
    dtype=float,
)
# A&E attendances per 1,000 (DH Quarterly Monitoring of A&E, 2008-09: about 20m attendances, all
# department types; age profile from HES A&E 2008-09).
AE_ATTENDANCES = np.array(
    [[560, 480], [320, 270], [420, 380], [280, 260], [300, 290], [460, 440], [820, 780]],
    dtype=float,
)
# Deaths per 1,000 (ONS mortality statistics, deaths registered in 2008, England).
DEATHS = np.array(
    [[1.2, 1.0], [0.1, 0.09], [0.9, 0.45], [5.5, 3.6], [21.0, 13.0], [60.0, 43.0], [160.0, 140.0]]
)
# Live births per 1,000 population (ONS births in England 2008: 672,809).
BIRTH_RATE = 13.1
# Deliveries (maternity admissions) per 1,000 women aged 15-44 (the same births).
DELIVERIES_PER_1000_WOMEN_15_44 = 64.0

# QOF 2008-09 recorded prevalence, England, % of all registered patients (diabetes: % of
# patients aged 17 and over).
QOF_PREVALENCE_2008_09: dict[str, float] = {
    "hypertension": 12.8,
    "diabetes": 5.1,
    "chd": 3.5,
    "copd": 1.5,
    "heart_failure": 0.8,
}
CONDITIONS: tuple[str, ...] = ("diabetes", "copd", "heart_failure", "chd", "hypertension")

# Relative prevalence by five-year band (0-4 ... 90+) before scaling to the QOF figure: shapes
# from the QOF age profiles (rare before 40, rising steeply after 60).
_AGE_SHAPE: dict[str, list[float]] = {
    "diabetes": [0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2, 3, 4.5, 6.5, 8.5, 10.5, 12, 12.5, 12, 10, 8],
    "copd": [0, 0, 0, 0, 0, 0, 0.05, 0.1, 0.3, 0.7, 1.4, 2.5, 4, 5.5, 7, 8, 8, 7, 6],
    "heart_failure": [0, 0, 0, 0, 0, 0, 0, 0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 2.7, 4.5, 7, 10, 13, 15],
    "chd": [0, 0, 0, 0, 0, 0, 0.05, 0.2, 0.5, 1.2, 2.5, 4.5, 7.5, 11, 15, 19, 22, 23, 22],
    "hypertension": [0, 0, 0, 0.2, 0.4, 0.8, 1.5, 3, 6, 11, 17, 25, 33, 41, 47, 52, 55, 55, 52],
}  # fmt: skip
# Relative risk by deprivation quintile (1 most deprived ... 5 least) for conditions, emergency
# admission and death (gradients of the size reported by the Marmot review, 2010).
DEPRIVATION_RR: dict[str, tuple[float, ...]] = {
    "diabetes": (1.35, 1.15, 1.0, 0.9, 0.8),
    "copd": (2.0, 1.4, 1.0, 0.8, 0.6),
    "heart_failure": (1.4, 1.2, 1.0, 0.9, 0.8),
    "chd": (1.4, 1.2, 1.0, 0.9, 0.8),
    "hypertension": (1.1, 1.05, 1.0, 0.97, 0.95),
    "emergency": (1.6, 1.3, 1.0, 0.85, 0.75),
    "death": (1.6, 1.25, 1.0, 0.85, 0.75),
}
# Relative risk of emergency admission and of death with each condition.
CONDITION_RR_EMERGENCY: dict[str, float] = {
    "diabetes": 1.5,
    "copd": 2.5,
    "heart_failure": 3.0,
    "chd": 1.6,
    "hypertension": 1.15,
}
CONDITION_RR_DEATH: dict[str, float] = {
    "diabetes": 1.4,
    "copd": 2.0,
    "heart_failure": 3.0,
    "chd": 1.5,
    "hypertension": 1.05,
}
# Winter seasonality of emergency activity: relative intensity 1 + A cos(2 pi (day - peak)/365),
# peak in mid January (HES monthly emergency admissions are about 10-15% above the annual mean
# in January).
WINTER_AMPLITUDE = 0.12
WINTER_PEAK_DAY_OF_YEAR = 15


def band_index(age: np.ndarray) -> np.ndarray:
    """Index into CALIBRATION_BANDS of each age in years."""
    return np.searchsorted(np.array(CALIBRATION_BANDS), age, side="right") - 1


def five_year_band(age: np.ndarray) -> np.ndarray:
    """Index of the five-year band 0-4 ... 85-89, 90+ (0..18)."""
    return np.minimum(np.maximum(age, 0) // 5, 18)


def rate_per_person_year(table: np.ndarray, age: np.ndarray, female: np.ndarray) -> np.ndarray:
    """The table's rate (per person-year) for each person's age band and sex."""
    return table[band_index(age), female.astype(np.int64)] / 1000.0


def condition_age_shape(condition: str) -> np.ndarray:
    return np.array(_AGE_SHAPE[condition], dtype=float)


def england_condition_scale(condition: str) -> float:
    """Factor turning the relative age shape into a prevalence (proportion) so that England's
    2008 age structure gives the QOF prevalence (diabetes on the 17+ population)."""
    shape = condition_age_shape(condition)
    pop = ENGLAND_POPULATION_2008.copy()
    if condition == "diabetes":
        pop[:3] = 0
        pop[3] *= 3 / 5  # 17-19 of the 15-19 band
    target = QOF_PREVALENCE_2008_09[condition] / 100
    return float(target * pop.sum() / (shape * pop).sum())
