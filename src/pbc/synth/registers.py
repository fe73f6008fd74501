"""Register-shaped tables: practices, providers, patients, deaths, list sizes, prescribing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pbc.periods import add_months, parse_month, quarter_of
from pbc.synth import areas, geography
from pbc.synth import calibration as cal
from pbc.synth.config import SynthConfig, age_in_years, to_day, year_month
from pbc.synth.people import NO_DAY, Population, PracticeTable
from pbc.warehouse.datasets import AGE_BANDS

_CAUSE = {
    "heart_failure": "I50.0",
    "copd": "J44.9",
    "chd": "I25.1",
    "diabetes": "E11.9",
}
_OTHER_CAUSES = np.array(["C34.9", "I21.9", "J18.9", "F03X", "I63.9", "C18.9", "C50.9", "K70.3"])


def _nullable_day(days: np.ndarray) -> pd.Series:
    """Day numbers as nullable Int64, NO_DAY ("never") as missing."""
    s = pd.Series(days, dtype="Int64")
    return s.mask(s >= NO_DAY)


def practices_frame(p: PracticeTable) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "gp_practice_code": p.code,
            "practice_name": p.name,
            "locality_code": p.locality,
            "locality_name": p.locality_name,
            "pct_code": p.pct,
            "pct_name": p.pct_name,
            **{
                name: None
                for name in (
                    "region_code",
                    "parent_code",
                    "postcode",
                    "open_date",
                    "close_date",
                    "status_code",
                    "prescribing_setting",
                    "commissioner_start_date",
                )
            },
        }
    )


def providers_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "provider_code": [p.code for p in geography.PROVIDERS],
            "provider_name": [p.name for p in geography.PROVIDERS],
            "provider_kind": [p.kind for p in geography.PROVIDERS],
            "main_pct_code": [p.main_pct for p in geography.PROVIDERS],
        }
    )


def patients_frame(pop: Population, practices: PracticeTable) -> pd.DataFrame:
    person = pop.reg_person
    end = pop.reg_end
    df = pd.DataFrame(
        {
            "nhs_number": pop.nhs_number[person],
            "gp_practice_code": practices.code[pop.reg_practice],
            "registration_start_date": pop.reg_start,
            "registration_end_date": _nullable_day(end),
            "deregistration_reason": pop.reg_reason,
            "date_of_birth": pop.dob[person],
            "sex": np.where(pop.female[person], "F", "M"),
            "deprivation_quintile": pop.quintile[person],
            "lsoa_code": areas.lsoa_codes(pop.quintile[person], person),
            "date_of_death": _nullable_day(pop.death_day[person]),
        }
    )
    for c in cal.CONDITIONS:
        d = pop.condition_day[c][person]
        df[f"{c}_diagnosis_date"] = _nullable_day(d)
    df["deregistration_reason"] = df["deregistration_reason"].replace("", None)
    return df


def deaths_frame(
    config: SynthConfig, pop: Population, practices: PracticeTable, place: np.ndarray
) -> pd.DataFrame:
    rng = np.random.default_rng([config.seed, 400])
    dead = np.flatnonzero(
        (pop.death_day >= config.start_day) & (pop.death_day <= config.end_day) & (place != "")
    )
    last = np.searchsorted(pop.reg_person, dead, side="right") - 1
    cause = _OTHER_CAUSES[rng.integers(0, len(_OTHER_CAUSES), len(dead))].astype(object)
    for c, code in _CAUSE.items():
        has = pop.condition_day[c][dead] <= pop.death_day[dead]
        cause = np.where(has & (rng.random(len(dead)) < 0.5), code, cause)
    return (
        pd.DataFrame(
            {
                "nhs_number": pop.nhs_number[dead],
                "gp_practice_code": practices.code[pop.reg_practice[last]],
                "date_of_death": pop.death_day[dead],
                "age_at_death": age_in_years(pop.dob[dead], pop.death_day[dead]),
                "sex": np.where(pop.female[dead], "F", "M"),
                "deprivation_quintile": pop.quintile[dead],
                "lsoa_code": areas.lsoa_codes(pop.quintile[dead], dead),
                "place_of_death": place[dead],
                "underlying_cause_code": cause,
            }
        )
        .sort_values(["date_of_death", "nhs_number"], kind="stable")
        .reset_index(drop=True)
    )


def quarter_starts(config: SynthConfig) -> list[int]:
    out = []
    quarter = quarter_of(parse_month(config.start))
    while (d := to_day(quarter)) <= config.end_day:
        if d >= config.start_day:
            out.append(d)
        quarter = add_months(quarter, 3)
    return out


def list_sizes_frame(
    config: SynthConfig, pop: Population, practices: PracticeTable
) -> pd.DataFrame:
    """Registered patients per practice, quarter, sex and five-year band on the quarter's
    first day."""
    frames = []
    n_pr = len(practices.code)
    for q in quarter_starts(config):
        on = (pop.reg_start <= q) & (pop.reg_end >= q) & (pop.death_day[pop.reg_person] > q)
        person = pop.reg_person[on]
        age = age_in_years(pop.dob[person], np.full(len(person), q))
        band = cal.five_year_band(age)
        fem = pop.female[person].astype(np.int64)
        key = (pop.reg_practice[on] * 2 + fem) * 19 + band
        counts = np.bincount(key, minlength=n_pr * 2 * 19)
        idx = np.arange(len(counts))
        frames.append(
            pd.DataFrame(
                {
                    "gp_practice_code": practices.code[idx // 38],
                    "quarter_start": q,
                    "sex": np.where((idx // 19) % 2 == 1, "F", "M"),
                    "age_band": np.array(AGE_BANDS)[idx % 19],
                    "registered_patients": counts,
                    "snapshot_date": q,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# BNF presentations: code, name, items per 1,000 ASTRO-PU per month, NIC per item in 2005/06 and
# 2008/09 (GBP; generics fall in price), quantity per item, winter amplitude.
PRESENTATIONS: tuple[tuple[str, str, float, float, float, float, float], ...] = (
    ("0501013B0AAABAB", "Amoxicillin 500mg capsules", 22, 1.9, 1.6, 21, 0.35),
    ("0501030I0AAABAB", "Doxycycline 100mg capsules", 6, 2.4, 1.9, 8, 0.25),
    ("0501050B0AAAAAA", "Clarithromycin 500mg tablets", 5, 9.5, 4.1, 14, 0.3),
    ("0501021L0AAAAAA", "Cefalexin 500mg capsules", 4, 4.0, 3.2, 28, 0.2),
    ("0501021C0AAABAB", "Cefaclor 500mg capsules", 1.2, 9.8, 8.5, 21, 0.2),
    ("0501120P0AAAAAA", "Ciprofloxacin 500mg tablets", 2.5, 3.1, 1.4, 10, 0.1),
    ("0501130R0AAAAAA", "Nitrofurantoin 100mg m/r capsules", 3, 6.5, 7.5, 14, 0.05),
    ("0501080W0AAAAAA", "Trimethoprim 200mg tablets", 6, 1.1, 0.9, 6, 0.05),
    ("0212000B0AAABAB", "Atorvastatin 20mg tablets", 10, 24.6, 17.9, 28, 0.0),
    ("0212000Y0AAABAB", "Simvastatin 40mg tablets", 40, 6.5, 1.3, 28, 0.0),
    ("0103050P0AAAAAA", "Omeprazole 20mg capsules", 35, 6.8, 1.9, 28, 0.0),
    ("0103050L0AAAAAA", "Lansoprazole 30mg capsules", 25, 4.9, 1.8, 28, 0.0),
    ("0205051R0AAADAD", "Ramipril 10mg capsules", 20, 8.4, 1.5, 28, 0.0),
    ("0206020A0AAAAAA", "Amlodipine 5mg tablets", 28, 3.1, 1.0, 28, 0.0),
    ("0204000H0AAAHAH", "Bisoprolol 2.5mg tablets", 12, 1.6, 1.1, 28, 0.0),
    ("0601022B0AAABAB", "Metformin 500mg tablets", 25, 2.6, 1.6, 84, 0.0),
    ("0601023AGAAAAAA", "Gliclazide 80mg tablets", 8, 1.8, 1.5, 56, 0.0),
    ("0302000C0AAAAAA", "Beclometasone 100micrograms inhaler", 12, 8.4, 8.2, 1, 0.1),
    ("0301011R0AAAPAP", "Salbutamol 100micrograms inhaler", 30, 2.3, 1.5, 1, 0.1),
    ("0302000N0AABGBG", "Fluticasone/salmeterol 250 inhaler", 6, 62.0, 62.0, 1, 0.1),
    ("0403030Q0AAAAAA", "Sertraline 50mg tablets", 8, 16.8, 2.3, 28, 0.0),
    ("0403030E0AAAAAA", "Fluoxetine 20mg capsules", 14, 2.2, 1.9, 30, 0.0),
    ("0407010H0AAAMAM", "Paracetamol 500mg tablets", 30, 1.4, 1.6, 100, 0.0),
    ("0407020A0AAABAB", "Co-codamol 30/500 tablets", 14, 4.0, 3.9, 100, 0.0),
    ("0208020V0AAABAB", "Warfarin 1mg tablets", 9, 1.3, 1.2, 56, 0.0),
    ("0205052N0AAAAAA", "Losartan 50mg tablets", 5, 15.1, 4.5, 28, 0.0),
    ("1001010J0AAADAD", "Ibuprofen 400mg tablets", 9, 1.7, 1.5, 84, 0.0),
    ("0906011A0AAAAAA", "Colecalciferol 400unit tablets", 4, 3.1, 3.0, 60, 0.0),
)


# The rest of each BNF chapter (real prescribing has thousands of presentations): one line per
# chapter, coded "<chapter>OTHER" and padded to 15 characters so that no measure's BNF prefix
# (0501, 0212, 0205...) ever takes it in. Same columns as PRESENTATIONS.
OTHER_PRESENTATIONS: tuple[tuple[str, str, float, float, float, float, float], ...] = (
    ("01OTHER00000000", "Other gastro-intestinal presentations (BNF 1)", 260, 11.0, 9.5, 28, 0.0),
    ("02OTHER00000000", "Other cardiovascular presentations (BNF 2)", 900, 12.0, 10.0, 28, 0.0),
    ("03OTHER00000000", "Other respiratory presentations (BNF 3)", 250, 22.0, 21.0, 1, 0.1),
    ("04OTHER00000000", "Other central nervous system presentations (BNF 4)", 700, 16.0, 14.0,
     28, 0.0),
    ("05OTHER00000000", "Other infection presentations (BNF 5, not antibacterials)", 60, 15.0,
     15.0, 14, 0.2),
    ("06OTHER00000000", "Other endocrine presentations, insulins included (BNF 6)", 400, 22.0,
     22.0, 28, 0.0),
    ("07OTHER00000000", "Obstetrics, gynaecology and urinary presentations (BNF 7)", 150, 14.0,
     11.0, 28, 0.0),
    ("09OTHER00000000", "Nutrition and blood presentations (BNF 9)", 150, 10.0, 10.0, 28, 0.0),
    ("10OTHER00000000", "Other musculoskeletal presentations (BNF 10)", 150, 8.0, 6.0, 28, 0.0),
    ("13OTHER00000000", "Skin presentations (BNF 13)", 200, 7.0, 7.0, 1, 0.0),
    ("21OTHER00000000", "Appliances and blood glucose test strips (BNF 21)", 250, 14.0, 14.0,
     50, 0.0),
)  # fmt: skip
# 2008/09 calibration (England, NHS Prescription Cost Analysis): about 16 items and £150-160 of
# net ingredient cost a registered patient a year (842 million items, £8.3 billion). The
# named presentations above are scaled to their real volumes (simvastatin, omeprazole and
# amoxicillin were each about 4-5 times the rates above a year); the chapter lines carry the
# rest, so that a practice of 10,000 patients prescribes about £1.5 million a year.
NAMED_VOLUME = 4.5


def prescribing_lines() -> tuple[tuple[str, str, float, float, float, float, float], ...]:
    """Every line the generator prescribes, with its calibrated items per 1,000 ASTRO-PU a year."""
    named = tuple(
        (code, name, rate * NAMED_VOLUME, nic0, nic1, qty, winter)
        for code, name, rate, nic0, nic1, qty, winter in PRESENTATIONS
    )
    return named + OTHER_PRESENTATIONS


def prescribing_frame(
    config: SynthConfig, list_sizes: pd.DataFrame, weights: pd.DataFrame
) -> pd.DataFrame:
    """Practice x presentation x month, driven by each practice's ASTRO-PU weighted list, with a
    practice-level prescribing propensity, winter antibiotics and falling generic prices."""
    rng = np.random.default_rng([config.seed, 500])
    astro = weights[weights["weighting"] == "astro_pu_2013"]
    m = list_sizes.merge(astro, on=["sex", "age_band"])
    m["pu"] = m["registered_patients"] * m["weight"]
    pu = m.groupby(["gp_practice_code", "quarter_start"], sort=True)["pu"].sum().reset_index()
    months = _month_starts(config)
    # each month takes the ASTRO-PU of its quarter
    q_of_month = np.array([max(q for q in pu["quarter_start"].unique() if q <= d) for d in months])
    practices = np.sort(pu["gp_practice_code"].unique())
    lines = prescribing_lines()
    propensity = rng.lognormal(0, 0.15, (len(practices), len(lines)))
    pu_idx = pu.set_index(["gp_practice_code", "quarter_start"])["pu"]
    rows = []
    _y, mon = year_month(np.array(months))
    progress = np.clip((np.array(months) - 12874) / (14334 - 12874), 0, 1)
    for pi, prac in enumerate(practices):
        pus = pu_idx.loc[prac].reindex(q_of_month).to_numpy() / 1000.0
        for k, (code, name, rate, nic0, nic1, qty, winter) in enumerate(lines):
            season = 1 + winter * np.cos(2 * np.pi * (mon - 1) / 12)
            lam = pus * rate * propensity[pi, k] * season / 12 * 12 / 12
            items = rng.poisson(lam)
            nic_item = nic0 + (nic1 - nic0) * progress
            nic_p = np.floor(items * nic_item * 100 + 0.5).astype(np.int64)
            actual_p = (nic_p * 9280 + 5000) // 10000  # actual cost: about 7.2% below NIC
            rows.append(
                pd.DataFrame(
                    {
                        "gp_practice_code": prac,
                        "month": months,
                        "bnf_code": code,
                        "bnf_name": name,
                        "items": items,
                        "quantity": (items * qty).astype(float),
                        "net_ingredient_cost": nic_p,
                        "actual_cost": actual_p,
                    }
                )
            )
    out = pd.concat(rows, ignore_index=True)
    out = out[out["items"] > 0]
    return out.sort_values(["month", "gp_practice_code", "bnf_code"], kind="stable").reset_index(
        drop=True
    )


def _month_starts(config: SynthConfig) -> list[int]:
    out = []
    month = parse_month(config.start)
    while (d := to_day(month)) <= config.end_day:
        out.append(d)
        month = add_months(month, 1)
    return out
