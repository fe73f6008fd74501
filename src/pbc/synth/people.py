"""The synthetic population: people, their registrations with practices, conditions and deaths.

Model (one year step at a time, all vectorised):

- At the start date each practice has `list_size` patients with England's 2008 age/sex structure
  (`calibration.ENGLAND_POPULATION_2008`). Each practice has a deprivation profile (Hertfordshire
  is less deprived than England: quintile shares 8/14/20/27/31% on average, tilted per practice).
- Each year: deaths (ONS 2008 rates x deprivation x conditions), leaving the area (5%/year),
  moving to another practice of the generated area (3%/year, half within the locality),
  births (13.1 per 1,000) and people moving into the area (as many as left, young-adult ages).
- Conditions: prevalent at the start with probability shape(age) x QOF scale x deprivation RR,
  diagnosed on a random earlier day; incident during the period at 7-22% of the prevalence per year (INCIDENCE_SHARE).
- People are identified by a unique NHS number from the 999 test range that passes modulus 11.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pbc.synth import calibration as cal
from pbc.synth import geography
from pbc.synth.config import SynthConfig

DEPRIVATION_BASE = np.array([0.08, 0.14, 0.20, 0.27, 0.31])
LEAVE_RATE = 0.05
MOVE_RATE = 0.03
# New diagnoses per year as a share of the age-specific prevalence: enough to replace those who
# die, so recorded prevalence stays near the QOF figure over the period.
INCIDENCE_SHARE = {
    "diabetes": 0.08,
    "copd": 0.12,
    "heart_failure": 0.22,
    "chd": 0.09,
    "hypertension": 0.07,
}
NO_DAY = np.iinfo(np.int64).max // 4  # "never" for dates (death, end of registration)


@dataclass
class PracticeTable:
    code: np.ndarray  # str
    name: np.ndarray
    locality: np.ndarray  # slug
    locality_name: np.ndarray
    pct: np.ndarray  # PCT code
    pct_name: np.ndarray
    list_size: np.ndarray  # int, scaled
    deprivation_tilt: np.ndarray  # float


@dataclass
class Population:
    """One row per person (arrays indexed by person) and one row per registration."""

    nhs_number: np.ndarray  # str
    dob: np.ndarray  # day
    female: np.ndarray  # bool
    quintile: np.ndarray  # 1..5
    frailty: np.ndarray  # gamma(mean 1): individual propensity to emergency admission
    death_day: np.ndarray  # day or NO_DAY
    condition_day: dict[str, np.ndarray]  # diagnosis day or NO_DAY
    # registrations
    reg_person: np.ndarray
    reg_practice: np.ndarray  # index into PracticeTable
    reg_start: np.ndarray
    reg_end: np.ndarray  # inclusive last day, NO_DAY = open
    reg_reason: np.ndarray  # "", moved_practice, left_area, died


def practice_table(config: SynthConfig, rng: np.random.Generator) -> PracticeTable:
    rows = [
        (pct, loc, p)
        for pct, loc, p in geography.all_practices()
        if loc.slug in set(config.locality_slugs)
    ]
    sizes = np.array([p.list_size for _pct, _loc, p in rows], dtype=float)
    if config.population is not None:
        sizes = sizes * config.population / sizes.sum()
    scaled = np.maximum(np.round(sizes), 20).astype(np.int64)
    return PracticeTable(
        code=np.array([p.code for _pct, _loc, p in rows]),
        name=np.array([p.name for _pct, _loc, p in rows]),
        locality=np.array([loc.slug for _pct, loc, _p in rows]),
        locality_name=np.array([loc.name for _pct, loc, _p in rows]),
        pct=np.array([pct.code for pct, _loc, _p in rows]),
        pct_name=np.array([pct.name for pct, _loc, _p in rows]),
        list_size=scaled,
        deprivation_tilt=rng.normal(0.0, 0.6, len(rows)),
    )


def nhs_numbers(serials: np.ndarray) -> np.ndarray:
    """Distinct valid 999-range NHS numbers for distinct serials (0, 1, 2, ...).

    The first nine digits are 999 followed by six digits; serials whose check digit would be 10
    (about one in eleven) are skipped, so serial k maps to the k-th valid number.
    """
    if len(serials) == 0:
        return np.array([], dtype=str)
    need = int(serials.max()) + 1
    stems = np.arange(int(need * 1.2) + 50, dtype=np.int64)
    digits = np.stack([(stems // 10**k) % 10 for k in range(5, -1, -1)], axis=1)
    weights = np.array([7, 6, 5, 4, 3, 2])  # after 9,9,9 with weights 10,9,8
    total = 9 * (10 + 9 + 8) + digits @ weights
    check = 11 - total % 11
    check = np.where(check == 11, 0, check)
    ok = check != 10
    stems, check = stems[ok], check[ok]
    if len(stems) < need:  # pragma: no cover - the 1.2 margin always suffices
        raise RuntimeError("not enough NHS number stems")
    if need > 999_999 * 10 // 11:
        raise ValueError("more people than the 999 NHS number range holds")
    chosen = stems[serials] * 10 + check[serials]
    return np.char.add("999", np.char.zfill(chosen.astype(str), 7))


def _sample_ages(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Ages (years, with a fractional part) and sex from England's 2008 structure."""
    p = cal.ENGLAND_POPULATION_2008 / cal.ENGLAND_POPULATION_2008.sum()
    band = rng.choice(len(p), size=n, p=p)
    width = np.where(band == 18, 10.0, 5.0)
    age = band * 5 + rng.random(n) * width
    female = rng.random(n) >= cal.MALE_SHARE_2008[band]
    return age, female


def _quintiles(rng: np.random.Generator, tilt: np.ndarray) -> np.ndarray:
    """Deprivation quintile per person from the practice tilt (positive = more deprived)."""
    q = np.arange(5)
    logits = np.log(DEPRIVATION_BASE)[None, :] - tilt[:, None] * (q[None, :] - 2) * 0.5
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    u = rng.random(len(tilt))
    return (u[:, None] > np.cumsum(probs, axis=1)).sum(axis=1) + 1


def generate_population(config: SynthConfig, practices: PracticeTable, seed: int) -> Population:
    rng = np.random.default_rng([seed, 11])
    start, end = config.start_day, config.end_day
    n0 = int(practices.list_size.sum())
    practice0 = np.repeat(np.arange(len(practices.code)), practices.list_size)
    age0, female0 = _sample_ages(rng, n0)
    dob0 = start - np.round(age0 * 365.25).astype(np.int64)

    # Registration start: a random earlier day (up to 15 years) but not before birth.
    reg_start0 = np.maximum(dob0, start - rng.integers(0, 15 * 365, n0))

    dob = [dob0]
    female = [female0]
    home = [practice0]
    reg_person: list[np.ndarray] = []
    reg_practice: list[np.ndarray] = []
    reg_start: list[np.ndarray] = []
    reg_end: list[np.ndarray] = []
    reg_reason: list[np.ndarray] = []

    cur_practice = practice0.copy()
    cur_start = reg_start0.copy()
    active = np.ones(n0, dtype=bool)  # registered in the area and alive
    death_day = np.full(n0, NO_DAY, dtype=np.int64)
    n = n0

    quintile = _quintiles(rng, practices.deprivation_tilt[practice0])
    frailty = rng.gamma(1.5, 1 / 1.5, n0)
    conditions = _initial_conditions(rng, dob0, female0, quintile, start)

    loc_of = practices.locality
    year_starts = list(range(start, end + 1, 365))
    for y0 in year_starts:
        y1 = min(y0 + 365, end + 1)
        span = (y1 - y0) / 365.0
        mid = (y0 + y1) // 2
        idx = np.flatnonzero(active)
        age = (mid - np.concatenate(dob)[idx]) / 365.25
        fem = np.concatenate(female)[idx]
        q = quintile[idx]
        # deaths: ONS rate for the band x (deprivation RR x condition RRs), the multiplier
        # normalised to mean 1 within each calibration band
        hazard = cal.rate_per_person_year(cal.DEATHS, age.astype(np.int64), fem)
        mult = np.array(cal.DEPRIVATION_RR["death"])[q - 1]
        for c, rr in cal.CONDITION_RR_DEATH.items():
            mult = mult * np.where(conditions[c][idx] <= mid, rr, 1.0)
        hazard = hazard * normalise_within_bands(mult, age.astype(np.int64))
        u = rng.random(len(idx))
        dies = u < 1 - np.exp(-hazard * span)
        leaves = (~dies) & (u < 1 - np.exp(-hazard * span) + LEAVE_RATE * span)
        moves = (~dies) & (~leaves) & (rng.random(len(idx)) < MOVE_RATE * span)
        event_day = y0 + rng.integers(0, y1 - y0, len(idx))
        event_day = np.maximum(event_day, np.concatenate(dob)[idx] + 1)

        for mask, reason in ((dies, "died"), (leaves, "left_area"), (moves, "moved_practice")):
            who = idx[mask]
            reg_person.append(who)
            reg_practice.append(cur_practice[who])
            reg_start.append(cur_start[who])
            reg_end.append(event_day[mask] - (reason != "died"))
            reg_reason.append(np.full(len(who), reason, dtype=object))
        death_day[idx[dies]] = event_day[dies]
        active[idx[dies | leaves]] = False
        # moves: half within the locality, half anywhere else in the area
        movers = idx[moves]
        if len(movers):
            new_practice = _new_practice(rng, cur_practice[movers], loc_of)
            cur_practice[movers] = new_practice
            cur_start[movers] = event_day[moves]

        # arrivals: births and in-movers to replace those who left
        n_births = rng.poisson(cal.BIRTH_RATE / 1000 * len(idx) * span)
        n_in = rng.poisson(leaves.sum() + 0.0)
        n_new = n_births + n_in
        if n_new:
            arr_day = y0 + rng.integers(0, y1 - y0, n_new)
            age_new, fem_new = _sample_ages(rng, n_new)
            # in-movers: young adults more likely (redraw ages 20-45 for half)
            young = rng.random(n_new) < 0.5
            age_new = np.where(young, 20 + rng.random(n_new) * 25, age_new)
            age_new[:n_births] = 0.0
            dob_new = arr_day - np.round(age_new * 365.25).astype(np.int64)
            dob_new[:n_births] = arr_day[:n_births]
            prac_new = rng.choice(
                len(practices.code), size=n_new, p=practices.list_size / practices.list_size.sum()
            )
            dob.append(dob_new)
            female.append(fem_new)
            home.append(prac_new)
            quintile = np.concatenate(
                [quintile, _quintiles(rng, practices.deprivation_tilt[prac_new])]
            )
            frailty = np.concatenate([frailty, rng.gamma(1.5, 1 / 1.5, n_new)])
            new_cond = _initial_conditions(rng, dob_new, fem_new, quintile[-n_new:], arr_day)
            for c in cal.CONDITIONS:
                conditions[c] = np.concatenate([conditions[c], new_cond[c]])
            cur_practice = np.concatenate([cur_practice, prac_new])
            cur_start = np.concatenate([cur_start, arr_day])
            active = np.concatenate([active, np.ones(n_new, dtype=bool)])
            death_day = np.concatenate([death_day, np.full(n_new, NO_DAY, dtype=np.int64)])
            n += n_new
        # incident conditions during the year
        _incident_conditions(
            rng, conditions, np.concatenate(dob), np.concatenate(female), quintile, active, y0, y1
        )

    still = np.flatnonzero(active)
    reg_person.append(still)
    reg_practice.append(cur_practice[still])
    reg_start.append(cur_start[still])
    reg_end.append(np.full(len(still), NO_DAY, dtype=np.int64))
    reg_reason.append(np.full(len(still), "", dtype=object))

    dob_all = np.concatenate(dob)
    # conditions cannot be diagnosed after death
    for c in cal.CONDITIONS:
        conditions[c] = np.where(conditions[c] > death_day, NO_DAY, conditions[c])

    rp = np.concatenate(reg_person)
    rs = np.concatenate(reg_start)
    order = np.lexsort((rs, rp))
    return Population(
        nhs_number=nhs_numbers(np.arange(n)),
        dob=dob_all,
        female=np.concatenate(female),
        quintile=quintile,
        frailty=frailty,
        death_day=death_day,
        condition_day=conditions,
        reg_person=rp[order],
        reg_practice=np.concatenate(reg_practice)[order],
        reg_start=rs[order],
        reg_end=np.concatenate(reg_end)[order],
        reg_reason=np.concatenate(reg_reason)[order],
    )


def _new_practice(rng: np.random.Generator, old: np.ndarray, loc_of: np.ndarray) -> np.ndarray:
    n_pr = len(loc_of)
    cand = rng.integers(0, n_pr, len(old))
    same_loc = rng.random(len(old)) < 0.5
    # within locality: pick among practices with the same locality (retry a few times)
    for _ in range(8):
        bad = (cand == old) | (same_loc & (loc_of[cand] != loc_of[old]))
        if not bad.any():
            break
        cand[bad] = rng.integers(0, n_pr, bad.sum())
    bad = cand == old
    cand[bad] = (old[bad] + 1) % n_pr
    return cand


def _prevalence(condition: str, age: np.ndarray, quintile: np.ndarray) -> np.ndarray:
    shape = cal.condition_age_shape(condition)
    band = cal.five_year_band(np.floor(age).astype(np.int64))
    rr = np.array(cal.DEPRIVATION_RR[condition])[quintile - 1]
    rr_mean = float(np.dot(np.array(cal.DEPRIVATION_RR[condition]), DEPRIVATION_BASE))
    return np.clip(shape[band] * cal.england_condition_scale(condition) * rr / rr_mean, 0, 0.95)


def _initial_conditions(
    rng: np.random.Generator,
    dob: np.ndarray,
    female: np.ndarray,
    quintile: np.ndarray,
    on_day: np.ndarray | int,
) -> dict[str, np.ndarray]:
    on = np.broadcast_to(np.asarray(on_day, dtype=np.int64), dob.shape)
    age = (on - dob) / 365.25
    out: dict[str, np.ndarray] = {}
    for c in cal.CONDITIONS:
        has = rng.random(len(dob)) < _prevalence(c, age, quintile)
        since = np.minimum(rng.exponential(6 * 365, len(dob)).astype(np.int64), on - dob - 1)
        out[c] = np.where(has, on - np.maximum(since, 0), NO_DAY).astype(np.int64)
    del female
    return out


def _incident_conditions(
    rng: np.random.Generator,
    conditions: dict[str, np.ndarray],
    dob: np.ndarray,
    female: np.ndarray,
    quintile: np.ndarray,
    active: np.ndarray,
    y0: int,
    y1: int,
) -> None:
    mid = (y0 + y1) // 2
    age = (mid - dob) / 365.25
    span = (y1 - y0) / 365.0
    for c in cal.CONDITIONS:
        free = active & (conditions[c] == NO_DAY)
        p = _prevalence(c, age, quintile) * INCIDENCE_SHARE[c] * span
        new = free & (rng.random(len(dob)) < p)
        conditions[c][new] = y0 + rng.integers(0, y1 - y0, int(new.sum()))
    del female


def normalise_within_bands(multiplier: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Divide each multiplier by its calibration band's mean, so that the multipliers move
    events between people of a band without changing the band's rate."""
    band = cal.band_index(age)
    nb = len(cal.CALIBRATION_BANDS)
    sums = np.bincount(band, weights=multiplier, minlength=nb)
    counts = np.bincount(band, minlength=nb)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), 1.0)
    return multiplier / means[band]


def registration_at(pop: Population, person: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Index of the registration covering (person, day), or -1. Registrations are sorted by
    (person, start) and never overlap for a person."""
    key_reg = pop.reg_person.astype(np.int64) * (1 << 32) + (pop.reg_start - (-(1 << 20)))
    key = person.astype(np.int64) * (1 << 32) + (day - (-(1 << 20)))
    pos = np.searchsorted(key_reg, key, side="right") - 1
    ok = pos >= 0
    pos_c = np.where(ok, pos, 0)
    ok &= pop.reg_person[pos_c] == person
    ok &= pop.reg_end[pos_c] >= day
    return np.where(ok, pos_c, -1)


def last_registration(pop: Population, person: np.ndarray) -> np.ndarray:
    """Index of each person's last registration."""
    last = np.searchsorted(pop.reg_person, person, side="right") - 1
    return last
