"""Generated rates against the published England 2008/09 figures (calibration.py,
docs/data.md): observed / expected within tolerance, expected = person-years in each age band
and sex x the published rate. Plus the gradients the later issues need."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pbc.synth import calibration as cal

TOLERANCE = 0.15  # test scale: about 16,000 person-years


def _person_years(frames: dict[str, pd.DataFrame], start: int, end: int) -> pd.DataFrame:
    p = frames["patients"]
    reg_end = p["registration_end_date"].fillna(end).astype(np.int64)
    death = p["date_of_death"].fillna(end).astype(np.int64)
    first = np.maximum(p["registration_start_date"], start)
    last = np.minimum(np.minimum(reg_end, death), end)
    years = np.maximum(last - first + 1, 0) / 365.25
    mid = (first + last) // 2
    age = ((mid - p["date_of_birth"]) / 365.25).astype(int)
    return pd.DataFrame(
        {
            "band": cal.band_index(age.to_numpy()),
            "female": (p["sex"] == "F").to_numpy(),
            "years": years,
        }
    )


def _expected(py: pd.DataFrame, table: np.ndarray) -> float:
    return float((py["years"] * table[py["band"], py["female"].astype(int)] / 1000).sum())


@pytest.fixture(scope="module")
def clean(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Activity rows of registered patients, without injected rows."""
    f = frames["faults"]
    injected = set(f[f["origin"] == "injected"]["row_id"])
    out = {}
    for name, key in (("apc", "spell_id"), ("op", "attendance_id"), ("ae", "attendance_id")):
        df = frames[name]
        out[name] = df[~df[key].isin(injected)]
    return out


def test_emergency_elective_and_ae_rates_match_published_figures(
    frames, clean, test_config
) -> None:
    py = _person_years(frames, test_config.start_day, test_config.end_day)
    apc = clean["apc"]
    emergency = apc["admission_method"].str.match(r"^2").sum()
    elective = apc["admission_method"].isin(["11", "12", "13"]).sum()
    ae = len(clean["ae"])
    for observed, table in (
        (emergency, cal.EMERGENCY_ADMISSIONS),
        (elective, cal.ELECTIVE_ADMISSIONS),
        (ae, cal.AE_ATTENDANCES),
    ):
        ratio = observed / _expected(py, table)
        assert abs(ratio - 1) < TOLERANCE, ratio


def test_deaths_match_ons_rates(frames, test_config) -> None:
    py = _person_years(frames, test_config.start_day, test_config.end_day)
    ratio = len(frames["deaths"]) / _expected(py, cal.DEATHS)
    assert abs(ratio - 1) < 0.25, ratio  # about 130 deaths at test scale


def test_condition_prevalence_near_qof(frames) -> None:
    p = frames["patients"].drop_duplicates("nhs_number")
    on = 14335 - 365  # 2008-04-01
    alive = (p["date_of_death"].isna() | (p["date_of_death"] > on)).fillna(True)
    registered = p[alive & (p["registration_start_date"] <= on)]
    for condition, qof in cal.QOF_PREVALENCE_2008_09.items():
        d = registered[f"{condition}_diagnosis_date"]
        base = registered
        if condition == "diabetes":
            base = registered[(on - registered["date_of_birth"]) / 365.25 >= 17]
            d = base[f"{condition}_diagnosis_date"]
        prevalence = 100 * (d <= on).fillna(False).sum() / len(base)
        assert abs(prevalence / qof - 1) < 0.35, (condition, prevalence, qof)


def test_emergency_admissions_concentrate_in_deprived_old_and_multimorbid(frames, clean) -> None:
    p = frames["patients"].drop_duplicates("nhs_number").set_index("nhs_number")
    apc = clean["apc"]
    em = apc[apc["admission_method"].str.match(r"^2") & apc["nhs_number"].isin(p.index)]
    per_person = em.groupby("nhs_number").size().reindex(p.index, fill_value=0)
    q = p["deprivation_quintile"]
    assert per_person[q == 1].mean() > 1.2 * per_person[q == 5].mean()
    conditions = sum(p[f"{c}_diagnosis_date"].notna().astype(int) for c in cal.CONDITIONS)
    assert per_person[conditions >= 2].mean() > 2 * per_person[conditions == 0].mean()


def test_mortality_rises_with_deprivation(frames) -> None:
    p = frames["patients"].drop_duplicates("nhs_number")
    died = p["date_of_death"].notna()
    by_q = died.groupby(p["deprivation_quintile"]).mean()
    assert by_q.loc[[1, 2]].mean() > by_q.loc[[4, 5]].mean()


def test_winter_emergency_peak(clean) -> None:
    apc = clean["apc"]
    em = apc[apc["admission_method"].str.match(r"^2")]
    month = pd.to_datetime(em["admission_date"], unit="D").dt.month
    winter = month.isin([12, 1, 2]).mean() / 3
    summer = month.isin([6, 7, 8]).mean() / 3
    assert winter > 1.08 * summer
