"""Hospital activity for the synthetic population: spells, outpatient attendances, A&E
attendances, GP referrals and referral-to-treatment pathways.

Every stream draws a Poisson number of events per registration from a rate per person-year:

    rate_i = published England rate for the age band and sex (calibration.py)
             x multiplier_i / mean(multiplier in the band)

so each band keeps its published rate while deprivation, long-term conditions and an individual
frailty (gamma, mean 1) move events toward the people who would have them. Emergency events
follow a winter profile (calibration.WINTER_*). Events are dated uniformly within the
registration (seasonally for emergencies). All costing happens later (`tables.py`).

Streams and how they link:

- GP referral -> first outpatient attendance (after a wait that shortens from 2005 to 2009;
  did-not-attend then rebooked) -> follow-ups -> for some, an elective admission; each referral
  is one RTT pathway (clock start = referral, stop = admission or first attendance).
- Other first attendances (consultant-to-consultant, after A&E, other sources) with follow-ups.
- Direct elective admissions (the rest of the published elective rate: chemotherapy,
  endoscopy, planned repeat procedures).
- Emergency admissions (65% via A&E, each with its A&E attendance), maternity admissions, and a
  final emergency spell for people who die in hospital.
- A&E attendances not leading to admission.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pbc.synth import calibration as cal
from pbc.synth import tariff as tf
from pbc.synth.config import SynthConfig
from pbc.synth.people import Population, PracticeTable, normalise_within_bands

PROVIDER_SHARES: dict[str, dict[str, float]] = {
    # patient's PCT -> provider -> share of acute activity
    "5P3": {"RWG": 0.72, "RC9": 0.10, "RAL": 0.10, "RWH": 0.08},
    "5P2": {"RWH": 0.75, "RAL": 0.12, "RC9": 0.06, "RWG": 0.07},
}
TIER2_OPHTHALMOLOGY = ("NT4", "dacorum", 0.4)  # provider, locality, share of ophthalmology OP

DIAGNOSIS: dict[str, str] = {
    "DZ22Z": "J18.9", "DZ21Z": "J44.1", "EB03Z": "I50.0", "EB10Z": "R07.4", "EA36Z": "I21.9",
    "AA22Z": "I63.9", "HA11Z": "S72.0", "JD07Z": "L03.1", "LA04Z": "N39.0", "FZ37Z": "R10.4",
    "KB02Z": "E11.6", "WA18Z": "R55X", "PA14Z": "J21.9", "NZ01A": "O80.0", "NZ03A": "O82.0",
    "NZ04Z": "O26.9", "BZ02Z": "H25.9", "HB12C": "M16.9", "HB21C": "M17.9", "HB61C": "M23.2",
    "FZ18C": "K40.9", "GA10Z": "K80.2", "FZ24Z": "K57.3", "FZ21Z": "K21.9", "LB14Z": "R31X",
    "LB25C": "N40X", "CZ09Z": "J35.0", "MA07Z": "N92.0", "MA10Z": "N92.0", "EA15Z": "I20.8",
    "EA31Z": "I25.1", "JC03Z": "C44.3", "SB14Z": "C50.9", "JC07Z": "L82X", "BZ23Z": "H02.8",
    "LB15Z": "R31X", "MA17Z": "N87.1", "CZ14Z": "J34.3",
}  # fmt: skip
SURGICAL = (
    {h.code for h in tf.ELECTIVE_HRGS} | {"HA11Z", "NZ03A"} | {h.code for h in tf.OP_PROCEDURE_HRGS}
)

# Emergency HRG weights for children (<15), adults (15-64) and older people (65+).
_EMERGENCY_MIX: dict[str, tuple[float, float, float]] = {
    "DZ22Z": (1, 2, 6), "DZ21Z": (0, 1, 3), "EB03Z": (0, 0.5, 3), "EB10Z": (0.2, 5, 4),
    "EA36Z": (0, 1, 2), "AA22Z": (0, 0.5, 2.5), "HA11Z": (0.1, 0.3, 3), "JD07Z": (1, 2, 2),
    "LA04Z": (1, 1.5, 3.5), "FZ37Z": (3, 5, 2), "KB02Z": (0.3, 1, 1.5), "WA18Z": (0.2, 1, 4),
    "PA14Z": (8, 0, 0),
}  # fmt: skip
_CONDITION_HRG = {"copd": "DZ21Z", "heart_failure": "EB03Z", "diabetes": "KB02Z", "chd": "EA36Z"}
# Elective HRG weights (children, adults, older) and sex restriction.
_ELECTIVE_MIX: dict[str, tuple[float, float, float, str]] = {
    "BZ02Z": (0.05, 1, 7, ""), "HB12C": (0, 0.4, 2.5, ""), "HB21C": (0, 0.4, 2.5, ""),
    "HB61C": (0.2, 2, 0.8, ""), "FZ18C": (1, 1.5, 1.5, "M"), "GA10Z": (0, 2, 1.2, ""),
    "FZ24Z": (0, 2.5, 3, ""), "FZ21Z": (0.1, 2.5, 3, ""), "LB14Z": (0, 1, 2, ""),
    "LB25C": (0, 0.2, 2, "M"), "CZ09Z": (4, 0.8, 0.05, ""), "MA07Z": (0, 1.5, 0.4, "F"),
    "MA10Z": (0, 2, 0.5, "F"), "EA15Z": (0, 1, 2, ""), "EA31Z": (0, 0.5, 1.5, ""),
    "JC03Z": (0.2, 1, 2, ""), "SB14Z": (0.1, 1.5, 2, ""),
}  # fmt: skip
_MAJOR_ELECTIVE = {"HB12C", "HB21C", "MA07Z", "LB25C", "EA31Z", "GA10Z"}
# Referral mix by treatment function (children, adults, older) and the chance a first
# attendance leads to an elective admission.
_REFERRAL_MIX: dict[str, tuple[float, float, float, float]] = {
    "100": (0.5, 3, 3, 0.30), "101": (0.3, 1.5, 3, 0.30), "110": (1, 4, 4, 0.30),
    "120": (3, 2, 1.5, 0.25), "130": (1, 1.5, 5, 0.45), "300": (0, 1.5, 2, 0.0),
    "301": (0.2, 2, 2, 0.30), "320": (0.1, 1.5, 3, 0.20), "330": (1, 2.5, 2, 0.15),
    "340": (0.2, 1, 2, 0.0), "370": (0, 0.3, 0.6, 0.5), "400": (0.3, 1.5, 1, 0.0),
    "410": (0.1, 1.2, 1.2, 0.0), "420": (6, 0, 0, 0.0), "430": (0, 0, 1.5, 0.0),
    "502": (0, 4, 1, 0.30),
}  # fmt: skip
_TF_ELECTIVE_HRGS: dict[str, list[str]] = {}
for _h in tf.ELECTIVE_HRGS:
    _TF_ELECTIVE_HRGS.setdefault(_h.treatment_function, []).append(_h.code)
_TF_OPPROC: dict[str, str] = {h.treatment_function: h.code for h in tf.OP_PROCEDURE_HRGS}
TWO_WEEK_WAIT_TFS = {"100", "101", "301", "330", "502", "340", "120"}
HRG_INFO = {h.code: h for h in tf.ELECTIVE_HRGS + tf.EMERGENCY_HRGS + tf.OP_PROCEDURE_HRGS}


@dataclass
class Exposure:
    """Registration time inside the generated period: one row per registration."""

    person: np.ndarray
    practice: np.ndarray
    first: np.ndarray  # first day
    last: np.ndarray  # last day
    age: np.ndarray  # age at the midpoint, years
    female: np.ndarray
    pct: np.ndarray  # PCT code per row
    locality: np.ndarray

    @property
    def years(self) -> np.ndarray:
        return (self.last - self.first + 1) / 365.25


def exposure(config: SynthConfig, pop: Population, practices: PracticeTable) -> Exposure:
    first = np.maximum(pop.reg_start, config.start_day)
    last = np.minimum(
        np.minimum(pop.reg_end, pop.death_day[pop.reg_person]), np.int64(config.end_day)
    )
    keep = last >= first
    person = pop.reg_person[keep]
    first, last = first[keep], last[keep]
    mid = (first + last) // 2
    practice = pop.reg_practice[keep]
    return Exposure(
        person=person,
        practice=practice,
        first=first,
        last=last,
        age=(mid - pop.dob[person]) / 365.25,
        female=pop.female[person],
        pct=practices.pct[practice],
        locality=practices.locality[practice],
    )


def _age_group(age: np.ndarray) -> np.ndarray:
    return np.where(age < 15, 0, np.where(age < 65, 1, 2))


def _choose(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One category per row from a (rows x categories) weight matrix."""
    cum = np.cumsum(weights, axis=1)
    total = cum[:, -1:]
    u = rng.random((len(weights), 1)) * total
    return np.minimum((u > cum).sum(axis=1), weights.shape[1] - 1)


def _seasonal_days(
    rng: np.random.Generator, first: np.ndarray, last: np.ndarray, amplitude: float
) -> np.ndarray:
    """Days uniform in [first, last], thinned to a winter profile by rejection."""
    n = len(first)
    out = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    for _ in range(40):
        if len(todo) == 0:
            break
        d = first[todo] + (rng.random(len(todo)) * (last[todo] - first[todo] + 1)).astype(np.int64)
        doy = d - d.astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[D]").astype(
            np.int64
        )
        w = 1 + amplitude * np.cos(2 * np.pi * (doy - cal.WINTER_PEAK_DAY_OF_YEAR) / 365.25)
        ok = rng.random(len(todo)) * (1 + amplitude) < w
        out[todo[ok]] = d[ok]
        todo = todo[~ok]
    if len(todo):
        out[todo] = first[todo]
    return out


def _draw(
    rng: np.random.Generator, exp: Exposure, rate: np.ndarray, amplitude: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events per exposure row; returns (row index, day) of each event."""
    counts = rng.poisson(np.maximum(rate, 0) * exp.years)
    rows = np.repeat(np.arange(len(counts)), counts)
    days = _seasonal_days(rng, exp.first[rows], exp.last[rows], amplitude)
    return rows, days


def _providers(
    rng: np.random.Generator, pct: np.ndarray, locality: np.ndarray, tfc: np.ndarray | None
) -> np.ndarray:
    out = np.empty(len(pct), dtype=object)
    u = rng.random(len(pct))
    for code, shares in PROVIDER_SHARES.items():
        m = pct == code
        names = np.array(list(shares))
        cum = np.cumsum(list(shares.values()))
        out[m] = names[
            np.minimum(np.searchsorted(cum, u[m] * cum[-1], side="right"), len(names) - 1)
        ]
    if tfc is not None:
        prov, loc, share = TIER2_OPHTHALMOLOGY
        t2 = (tfc == "130") & (locality == loc) & (rng.random(len(pct)) < share)
        out[t2] = prov
    return out.astype(str)


def _multiplier(
    pop: Population, person: np.ndarray, day: np.ndarray, age: np.ndarray, frailty_power: float
) -> np.ndarray:
    m = np.array(cal.DEPRIVATION_RR["emergency"])[pop.quintile[person] - 1]
    for c, rr in cal.CONDITION_RR_EMERGENCY.items():
        m = m * np.where(pop.condition_day[c][person] <= day, rr, 1.0)
    m = m * pop.frailty[person] ** frailty_power
    return normalise_within_bands(m, age.astype(np.int64))


def _spell_frame(**cols: object) -> pd.DataFrame:
    return pd.DataFrame(cols)


class ActivityBuilder:
    """Builds the clean activity tables for one configuration."""

    def __init__(self, config: SynthConfig, pop: Population, practices: PracticeTable, seed: int):
        self.config = config
        self.pop = pop
        self.practices = practices
        self.seed = seed
        self.exp = exposure(config, pop, practices)
        self.spells: list[pd.DataFrame] = []
        self.attendances: list[pd.DataFrame] = []
        self.ae_rows: list[pd.DataFrame] = []

    def rng(self, k: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, 100 + k])

    # --- emergency admissions and their A&E attendances -------------------------------------

    def emergency(self) -> None:
        rng = self.rng(1)
        exp, pop = self.exp, self.pop
        age_i = exp.age.astype(np.int64)
        target = cal.rate_per_person_year(cal.EMERGENCY_ADMISSIONS, age_i, exp.female)
        hospital_deaths = 0.58 * cal.rate_per_person_year(cal.DEATHS, age_i, exp.female)
        base = np.maximum(target - hospital_deaths, 0.5 * target)
        mult = _multiplier(pop, exp.person, (exp.first + exp.last) // 2, exp.age, 1.0)
        rows, days = _draw(rng, exp, base * mult, cal.WINTER_AMPLITUDE)
        person = exp.person[rows]
        age = (days - pop.dob[person]) / 365.25
        hrgs = list(_EMERGENCY_MIX)
        w = np.array([_EMERGENCY_MIX[h] for h in hrgs])[:, _age_group(age)].T
        choice = np.array(hrgs)[_choose(rng, w)]
        for cond, code in _CONDITION_HRG.items():
            has = (pop.condition_day[cond][person] <= days) & (rng.random(len(days)) < 0.35)
            choice = np.where(has & (age >= 15), code, choice)
        self._add_emergency_spells(rng, rows, days, choice, terminal=False)

    def terminal(self) -> np.ndarray:
        """Final emergency spells of people who die in hospital; returns place of death."""
        rng = self.rng(2)
        pop, cfg = self.pop, self.config
        dead = np.flatnonzero((pop.death_day >= cfg.start_day) & (pop.death_day <= cfg.end_day))
        age = (pop.death_day[dead] - pop.dob[dead]) / 365.25
        u = rng.random(len(dead))
        places = np.array(["hospital", "home", "care_home", "hospice", "other"])
        care_home_share = np.where(age >= 80, 0.30, 0.08)
        cum = np.stack(
            [
                np.full(len(dead), 0.58),
                np.full(len(dead), 0.58 + 0.19),
                0.77 + care_home_share,
                0.77 + care_home_share + 0.05,
            ],
            axis=1,
        )
        place = places[(u[:, None] > cum).sum(axis=1)]
        in_hosp = dead[place == "hospital"]
        # the exposure row holding the death day
        rows = self._exposure_row(in_hosp, pop.death_day[in_hosp])
        ok = rows >= 0
        in_hosp, rows = in_hosp[ok], rows[ok]
        codes = np.array(["DZ22Z", "EB03Z", "AA22Z", "DZ21Z", "HA11Z", "EA36Z"])
        choice = codes[rng.integers(0, len(codes), len(in_hosp))]
        los = np.minimum(rng.geometric(1 / 9, len(in_hosp)) - 1, 60)
        admit = np.maximum(pop.death_day[in_hosp] - los, self.exp.first[rows])
        self._add_emergency_spells(
            rng, rows, admit, choice, terminal=True, discharge=pop.death_day[in_hosp]
        )
        full = np.full(len(pop.death_day), "", dtype=object)
        full[dead] = place
        return full

    def _exposure_row(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        exp = self.exp
        order = np.lexsort((exp.first, exp.person))
        key_e = exp.person[order].astype(np.int64) * (1 << 32) + exp.first[order] + (1 << 20)
        key = person.astype(np.int64) * (1 << 32) + day + (1 << 20)
        pos = np.searchsorted(key_e, key, side="right") - 1
        pos_c = np.maximum(pos, 0)
        idx = order[pos_c]
        ok = (pos >= 0) & (exp.person[idx] == person) & (exp.last[idx] >= day)
        return np.where(ok, idx, -1)

    def _add_emergency_spells(
        self,
        rng: np.random.Generator,
        rows: np.ndarray,
        admit: np.ndarray,
        hrg: np.ndarray,
        *,
        terminal: bool,
        discharge: np.ndarray | None = None,
    ) -> None:
        exp, pop = self.exp, self.pop
        person = exp.person[rows]
        age = (admit - pop.dob[person]) / 365.25
        trim = np.array([HRG_INFO[h].trim_nel or 5 for h in hrg])
        if discharge is None:
            mean = trim * 0.4 * (1 + np.maximum(age - 65, 0) / 40)
            los = np.floor(rng.exponential(mean)).astype(np.int64)
            discharge = admit + los
        los = discharge - admit
        method = np.array(["21", "22", "28", "24"])[
            _choose(rng, np.tile([0.65, 0.2, 0.1, 0.05], (len(rows), 1)))
        ]
        disch = np.where(terminal, "4", np.where(rng.random(len(rows)) < 0.01, "2", "1"))
        self.spells.append(
            pd.DataFrame(
                {
                    "person": person,
                    "practice": exp.practice[rows],
                    "pct": exp.pct[rows],
                    "admission_date": admit,
                    "discharge_date": discharge,
                    "length_of_stay": los,
                    "admission_method": method,
                    "patient_classification": "1",
                    "hrg_code": hrg,
                    "discharge_method": disch,
                    "provider_code": _providers(rng, exp.pct[rows], exp.locality[rows], None),
                }
            )
        )
        via_ae = method == "21"
        if via_ae.any():
            r = rows[via_ae]
            self.ae_rows.append(
                pd.DataFrame(
                    {
                        "person": exp.person[r],
                        "practice": exp.practice[r],
                        "pct": exp.pct[r],
                        "arrival_date": admit[via_ae],
                        "ae_department_type": "01",
                        "ae_attendance_category": "1",
                        "ae_attendance_disposal": "01",
                        "hrg_code": np.where(rng.random(len(r)) < 0.5, "VB01Z", "VB03Z"),
                        "provider_code": self.spells[-1]["provider_code"].to_numpy()[via_ae],
                    }
                )
            )

    def maternity(self) -> None:
        rng = self.rng(3)
        exp = self.exp
        women = exp.female & (exp.age >= 15) & (exp.age < 45)
        rate = np.where(women, (cal.DELIVERIES_PER_1000_WOMEN_15_44 + 20) / 1000, 0.0)
        rows, days = _draw(rng, exp, rate)
        kind = _choose(rng, np.tile([64 * 0.75, 64 * 0.25, 20], (len(rows), 1)))
        hrg = np.array(["NZ01A", "NZ03A", "NZ04Z"])[kind]
        los = np.where(
            kind == 0,
            rng.integers(0, 3, len(rows)),
            np.where(kind == 1, rng.integers(2, 6, len(rows)), rng.integers(0, 3, len(rows))),
        )
        self.spells.append(
            pd.DataFrame(
                {
                    "person": exp.person[rows],
                    "practice": exp.practice[rows],
                    "pct": exp.pct[rows],
                    "admission_date": days,
                    "discharge_date": days + los,
                    "length_of_stay": los,
                    "admission_method": np.where(kind == 2, "31", "31"),
                    "patient_classification": "1",
                    "hrg_code": hrg,
                    "discharge_method": "1",
                    "provider_code": _providers(rng, exp.pct[rows], exp.locality[rows], None),
                }
            )
        )

    # --- elective admissions -----------------------------------------------------------------

    def _elective_spells(
        self,
        rng: np.random.Generator,
        person: np.ndarray,
        practice: np.ndarray,
        pct: np.ndarray,
        admit: np.ndarray,
        hrg: np.ndarray,
        provider: np.ndarray,
    ) -> None:
        major = np.isin(hrg, list(_MAJOR_ELECTIVE))
        day_case = np.where(major, rng.random(len(hrg)) < 0.05, rng.random(len(hrg)) < 0.85)
        trim = np.array([HRG_INFO[h].trim_el or 3 for h in hrg])
        los_ip = 1 + rng.poisson(trim * 0.45)
        zero_day = rng.random(len(hrg)) < 0.05  # ordinary admissions discharged the same day
        los = np.where(day_case | zero_day, 0, los_ip)
        method = np.array(["11", "12", "13"])[
            _choose(rng, np.tile([0.6, 0.35, 0.05], (len(hrg), 1)))
        ]
        self.spells.append(
            pd.DataFrame(
                {
                    "person": person,
                    "practice": practice,
                    "pct": pct,
                    "admission_date": admit,
                    "discharge_date": admit + los,
                    "length_of_stay": los,
                    "admission_method": method,
                    "patient_classification": np.where(day_case, "2", "1"),
                    "hrg_code": hrg,
                    "discharge_method": "1",
                    "provider_code": provider,
                }
            )
        )

    def _elective_hrg(
        self, rng: np.random.Generator, age: np.ndarray, female: np.ndarray
    ) -> np.ndarray:
        hrgs = list(_ELECTIVE_MIX)
        w = np.array([_ELECTIVE_MIX[h][:3] for h in hrgs])[:, _age_group(age)].T.copy()
        sexes = np.array([_ELECTIVE_MIX[h][3] for h in hrgs])
        w[:, sexes == "M"] *= (~female)[:, None]
        w[:, sexes == "F"] *= female[:, None]
        return np.array(hrgs)[_choose(rng, w)]

    def direct_electives(self, pathway_rate: np.ndarray) -> None:
        rng = self.rng(4)
        exp = self.exp
        target = cal.rate_per_person_year(
            cal.ELECTIVE_ADMISSIONS, exp.age.astype(np.int64), exp.female
        )
        rate = np.maximum(target - pathway_rate, 0.25 * target)
        rows, days = _draw(rng, exp, rate)
        age = (days - self.pop.dob[exp.person[rows]]) / 365.25
        hrg = self._elective_hrg(rng, age, exp.female[rows])
        tfc = np.array([HRG_INFO[h].treatment_function for h in hrg])
        self._elective_spells(
            rng,
            exp.person[rows],
            exp.practice[rows],
            exp.pct[rows],
            days,
            hrg,
            _providers(rng, exp.pct[rows], exp.locality[rows], tfc),
        )

    # --- referrals, outpatients and RTT --------------------------------------------------------

    def _progress(self, day: np.ndarray) -> np.ndarray:
        """0 at the start of 2005/06, 1 at the end of 2008/09 (clipped): drives falling waits and
        rising Choose and Book use."""
        return np.clip((day - 12874) / (14334 - 12874), 0, 1)  # 2005-04-01 .. 2009-03-31

    def referrals(self) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
        """GP referrals, their outpatient episodes and RTT pathways. Returns (referrals, rtt,
        expected pathway elective rate per exposure row)."""
        rng = self.rng(5)
        exp, pop = self.exp, self.pop
        rate = cal.rate_per_person_year(cal.GP_REFERRALS, exp.age.astype(np.int64), exp.female)
        rows, ref_day = _draw(rng, exp, rate)
        n = len(rows)
        person = exp.person[rows]
        age = (ref_day - pop.dob[person]) / 365.25
        tfs = list(_REFERRAL_MIX)
        w = np.array([_REFERRAL_MIX[t][:3] for t in tfs])[:, _age_group(age)].T.copy()
        tfc = np.array(tfs)[_choose(rng, w)]
        p_admit = np.array([_REFERRAL_MIX[t][3] for t in tfs])
        # expected electives from pathways per person-year, for each exposure row (so that the
        # direct stream tops up to the published elective rate)
        wg = np.array([_REFERRAL_MIX[t][:3] for t in tfs]).T  # groups x tfs
        admit_by_group = (wg * p_admit[None, :]).sum(axis=1) / wg.sum(axis=1)
        pathway_rate = rate * admit_by_group[_age_group(exp.age)] * 0.93
        u = rng.random(n)
        two_week = np.isin(tfc, list(TWO_WEEK_WAIT_TFS)) & (u < 0.12) & (age >= 18)
        urgent = (~two_week) & (u > 0.85)
        priority = np.where(two_week, "3", np.where(urgent, "2", "1"))
        progress = self._progress(ref_day)
        cab = rng.random(n) < 0.15 + 0.35 * progress
        provider = _providers(rng, exp.pct[rows], exp.locality[rows], tfc)
        median_wait = 56 - 28 * progress
        wait = np.exp(np.log(median_wait) + 0.5 * rng.standard_normal(n)).astype(np.int64) + 3
        wait = np.where(priority == "3", rng.integers(4, 15, n) + (rng.random(n) < 0.03) * 6, wait)
        wait = np.where(priority == "2", wait // 2, wait)
        first = ref_day + wait
        dna = rng.random(n) < 0.07
        seen = np.where(dna, first + rng.integers(14, 29, n), first)
        ref_ids = np.char.add("R", np.char.zfill(np.arange(n).astype(str), 9))
        # outpatient episode (first attendance, DNA row, follow-ups)
        self._op_episode(
            rng,
            rows=rows,
            first_day=seen,
            dna_day=np.where(dna, first, -1),
            tfc=tfc,
            source=np.full(n, "03"),
            priority=priority,
            gp_approval=np.full(n, None, dtype=object),
            referral_id=ref_ids,
            provider=provider,
        )
        # decision to admit
        admit_p = np.array([_REFERRAL_MIX[t][3] for t in tfc])
        admitted = (rng.random(n) < admit_p) & np.array([t in _TF_ELECTIVE_HRGS for t in tfc])
        admit_wait = (
            np.exp(np.log(70 - 35 * progress) + 0.5 * rng.standard_normal(n)).astype(np.int64) + 7
        )
        admit_day = seen + admit_wait
        hrg = np.array(
            [
                _TF_ELECTIVE_HRGS[t][i % len(_TF_ELECTIVE_HRGS[t])]
                if t in _TF_ELECTIVE_HRGS
                else ""
                for t, i in zip(tfc, rng.integers(0, 6, n), strict=True)
            ],
            dtype=object,
        )
        # sex-specific HRGs: swap for the first unrestricted one of the function
        fem = exp.female[rows]
        bad = ((hrg == "LB25C") & fem) | (np.isin(hrg, ["MA07Z", "MA10Z"]) & ~fem)
        hrg = np.where(bad & (tfc == "101"), "LB14Z", hrg)
        admitted &= ~(bad & (tfc != "101"))
        a = np.flatnonzero(admitted)
        self._elective_spells(
            rng,
            person[a],
            exp.practice[rows[a]],
            exp.pct[rows[a]],
            admit_day[a],
            hrg[a].astype(str),
            provider[a],
        )
        # RTT pathway
        end = self.config.end_day
        non_adm_stop = np.where(rng.random(n) < 0.7, seen, seen + rng.integers(28, 120, n))
        stop = np.where(admitted, admit_day, non_adm_stop)
        death = pop.death_day[person]
        complete = (stop <= end) & (stop <= death)
        ptype = np.where(~complete, "incomplete", np.where(admitted, "admitted", "non_admitted"))
        referrals = pd.DataFrame(
            {
                "referral_id": ref_ids,
                "person": person,
                "practice": exp.practice[rows],
                "provider_code": provider,
                "referral_date": ref_day,
                "treatment_function_code": tfc,
                "priority_type": priority,
                "choose_and_book": cab,
                "first_seen_date": pd.Series(seen, dtype="Int64").mask(
                    (seen > end) | (seen > death)
                ),
            }
        )
        rtt = pd.DataFrame(
            {
                "pathway_id": np.char.add("P", np.char.zfill(np.arange(n).astype(str), 9)),
                "referral_id": ref_ids,
                "person": person,
                "practice": exp.practice[rows],
                "provider_code": provider,
                "treatment_function_code": tfc,
                "clock_start_date": ref_day,
                "clock_stop_date": pd.Series(stop, dtype="Int64").mask(~complete),
                "pathway_type": ptype,
                "first_appointment_dna": dna,
            }
        )
        # people who died with the pathway open: the pathway ends (not reported as incomplete)
        alive_at_end = (death > end) | complete
        return referrals, rtt[alive_at_end].reset_index(drop=True), pathway_rate

    def other_outpatients(self, gp_rate_share: float = 1.0) -> None:
        """First attendances from sources other than GP referral, with their follow-ups."""
        rng = self.rng(6)
        exp = self.exp
        age_i = exp.age.astype(np.int64)
        target = cal.rate_per_person_year(cal.FIRST_OUTPATIENT_ATTENDANCES, age_i, exp.female)
        gp = cal.rate_per_person_year(cal.GP_REFERRALS, age_i, exp.female) * 0.93 * gp_rate_share
        rows, day = _draw(rng, exp, np.maximum(target - gp, 0.1 * target))
        n = len(rows)
        age = (day - self.pop.dob[exp.person[rows]]) / 365.25
        tfs = list(_REFERRAL_MIX)
        w = np.array([_REFERRAL_MIX[t][:3] for t in tfs])[:, _age_group(age)].T
        tfc = np.array(tfs)[_choose(rng, w)]
        src = np.array(["05", "10", "01", "11", "15"])[
            _choose(rng, np.tile([0.45, 0.15, 0.10, 0.2, 0.1], (n, 1)))
        ]
        src = np.where((src == "15") & (tfc != "130"), "11", src)
        priority = np.where((src == "05") & (rng.random(n) < 0.15), "2", "1")
        gp_approval = np.where(src == "05", True, None)
        self._op_episode(
            rng,
            rows=rows,
            first_day=day,
            dna_day=np.full(n, -1),
            tfc=tfc,
            source=src,
            priority=priority,
            gp_approval=gp_approval,
            referral_id=np.full(n, None, dtype=object),
            provider=_providers(rng, exp.pct[rows], exp.locality[rows], tfc),
        )

    def _op_episode(
        self,
        rng: np.random.Generator,
        *,
        rows: np.ndarray,
        first_day: np.ndarray,
        dna_day: np.ndarray,
        tfc: np.ndarray,
        source: np.ndarray,
        priority: np.ndarray,
        gp_approval: np.ndarray,
        referral_id: np.ndarray,
        provider: np.ndarray,
    ) -> None:
        exp = self.exp
        n = len(rows)
        cap = np.array([tf.OUTPATIENT_PRICES[t][3] for t in tfc])
        n_fu = rng.poisson(cap * 0.8)
        # first attendances (and the DNA before a rebooked first)
        had_dna = dna_day >= 0
        ep = np.concatenate([np.arange(n), np.flatnonzero(had_dna), np.repeat(np.arange(n), n_fu)])
        kind = np.concatenate(
            [np.full(n, "1"), np.full(int(had_dna.sum()), "1"), np.full(int(n_fu.sum()), "2")]
        )
        status = np.concatenate(
            [np.full(n, "5"), np.full(int(had_dna.sum()), "3"), np.full(int(n_fu.sum()), "5")]
        )
        # follow-up dates: successive gaps of 28-120 days
        fu_ep = np.repeat(np.arange(n), n_fu)
        gaps = rng.integers(28, 121, len(fu_ep))
        starts = np.repeat(np.cumsum(n_fu) - n_fu, n_fu)
        cum = np.cumsum(gaps)
        cum_before = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0)
        fu_day = first_day[fu_ep] + cum - cum_before
        day = np.concatenate([first_day, dna_day[had_dna], fu_day])
        fu_dna = rng.random(len(fu_ep)) < cal.OUTPATIENT_DNA_RATE
        status[n + int(had_dna.sum()) :][fu_dna] = "3"
        proc_hrg = np.array([_TF_OPPROC.get(t, "") for t in tfc[ep]], dtype=object)
        proc = (proc_hrg != "") & (rng.random(len(ep)) < 0.25) & (status == "5")
        self.attendances.append(
            pd.DataFrame(
                {
                    "person": exp.person[rows[ep]],
                    "practice": exp.practice[rows[ep]],
                    "pct": exp.pct[rows[ep]],
                    "attendance_date": day,
                    "first_attendance": kind,
                    "attended_or_did_not_attend": status,
                    "treatment_function_code": tfc[ep],
                    "referral_source": source[ep],
                    "priority_type": priority[ep],
                    "gp_approval": gp_approval[ep],
                    "referral_id": referral_id[ep],
                    "procedure_flag": proc,
                    "hrg_code": np.where(proc, proc_hrg, None),
                    "provider_code": provider[ep],
                }
            )
        )

    # --- A&E ---------------------------------------------------------------------------------

    def ae(self) -> None:
        rng = self.rng(7)
        exp = self.exp
        age_i = exp.age.astype(np.int64)
        target = cal.rate_per_person_year(cal.AE_ATTENDANCES, age_i, exp.female)
        admitted = 0.65 * cal.rate_per_person_year(cal.EMERGENCY_ADMISSIONS, age_i, exp.female)
        mult = _multiplier(self.pop, exp.person, (exp.first + exp.last) // 2, exp.age, 0.5)
        rows, day = _draw(
            rng, exp, np.maximum(target - admitted, 0.5 * target) * mult, cal.WINTER_AMPLITUDE / 2
        )
        n = len(rows)
        dept = np.where(rng.random(n) < 0.8, "01", "03")
        disposal = np.array(["02", "03", "04", "05", "12", "14"])[
            _choose(rng, np.tile([0.25, 0.45, 0.05, 0.07, 0.03, 0.15], (n, 1)))
        ]
        hrg = np.array(["VB03Z", "VB07Z", "VB09Z"])[
            _choose(rng, np.tile([0.25, 0.4, 0.35], (n, 1)))
        ]
        hrg = np.where(dept == "03", "VB11Z", hrg)
        provider = _providers(rng, exp.pct[rows], exp.locality[rows], None)
        self.ae_rows.append(
            pd.DataFrame(
                {
                    "person": exp.person[rows],
                    "practice": exp.practice[rows],
                    "pct": exp.pct[rows],
                    "arrival_date": day,
                    "ae_department_type": dept,
                    "ae_attendance_category": np.where(rng.random(n) < 0.95, "1", "2"),
                    "ae_attendance_disposal": disposal,
                    "hrg_code": hrg,
                    "provider_code": provider,
                }
            )
        )
