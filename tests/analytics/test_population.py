"""Population analytics on every engine: registered population, registers, risk features and
outcome, life-table inputs; plus the pure model metrics and the standardised comparison.

Hand-made rows with values worked out in the comments, and a random world checked against a
plain-pandas oracle of the feature definitions (`risk_features` docstring).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from threadpoolctl import threadpool_limits

from engine_fixtures import engine, spark_session  # noqa: F401  (fixtures)
from pbc.analytics.population import inequalities as iq
from pbc.analytics.population import registers as reg
from pbc.analytics.population import risk_features as rf
from pbc.analytics.population import risk_model as rm
from pbc.analytics.population.cohort import CONDITIONS, registered_on
from pbc.periods import FinancialYear
from pbc.stats import isr
from pbc.warehouse import engine as wh_engine
from pbc.warehouse.datasets import dataset

D = dt.date
INDEX = D(2007, 4, 1)
P1, P2 = "E82601", "E82602"


def _arrow(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = wh_engine.stored_schema(dataset(name))
    money = [f.name for f in schema if pa.types.is_decimal(f.type)]
    rows = [{**{m: Decimal(0) for m in money}, **row} for row in rows]
    return pa.Table.from_pylist(rows, schema=schema)


def _person(nhs: str, practice: str, dob: dt.date, sex: str = "F", quintile: int = 3,
            start: dt.date = D(2000, 1, 1), end: dt.date | None = None,
            died: dt.date | None = None, **dx: dt.date) -> dict[str, Any]:  # fmt: skip
    row = {"nhs_number": nhs, "gp_practice_code": practice, "registration_start_date": start,
           "registration_end_date": end, "date_of_birth": dob, "sex": sex,
           "deprivation_quintile": quintile, "date_of_death": died}  # fmt: skip
    for condition, when in dx.items():
        row[CONDITIONS[condition]] = when
    return row


def _spell(i: int, nhs: str | None, admitted: dt.date, method: str, los: int = 2) -> dict[str, Any]:
    return {"spell_id": f"S{i}", "nhs_number": nhs, "gp_practice_code": P1,
            "provider_code": "RWG", "admission_date": admitted,
            "discharge_date": admitted + dt.timedelta(los), "length_of_stay": los,
            "admission_method": method, "patient_classification": "1",
            "treatment_function_code": "300", "procedure_flag": False, "discharge_method": "1",
            "hrg_code": "AA22C", "point_of_delivery": "NEL", "commissioner_code": "5P3",
            "charged_point_of_delivery": "NEL", "charged_excess_bed_days": 0,
            "market_forces_factor": Decimal("1.0000")}  # fmt: skip


def _ae(i: int, nhs: str, arrived: dt.date) -> dict[str, Any]:
    return {"attendance_id": f"A{i}", "nhs_number": nhs, "gp_practice_code": P1,
            "provider_code": "RWG", "arrival_date": arrived, "ae_department_type": "01",
            "ae_attendance_category": "1", "ae_attendance_disposal": "03", "hrg_code": "VB08Z",
            "point_of_delivery": "AE", "commissioner_code": "5P3",
            "charged_point_of_delivery": "AE", "charged_excess_bed_days": 0,
            "market_forces_factor": Decimal("1.0000")}  # fmt: skip


def _op(i: int, nhs: str, when: dt.date, status: str) -> dict[str, Any]:
    return {"attendance_id": f"O{i}", "nhs_number": nhs, "gp_practice_code": P1,
            "provider_code": "RWG", "attendance_date": when, "first_attendance": "1",
            "attended_or_did_not_attend": status, "treatment_function_code": "110",
            "referral_source": "03", "priority_type": "1", "procedure_flag": False,
            "point_of_delivery": "OPFA", "commissioner_code": "5P3",
            "charged_point_of_delivery": "OPFA", "charged_excess_bed_days": 0,
            "market_forces_factor": Decimal("1.0000")}  # fmt: skip


# Person A (P1): born 1 April 1930, so 77 on the index date (birthday that day); diabetic since
# 2001, heart failure diagnosed after the index date (not counted). Emergency admissions on
# 2 April 2006 (inside the year before: the window is [1 Apr 2006, 1 Apr 2007)) and 31 March
# 2007 (3 bed days), one on 31 March 2006 (outside); an elective spell; one emergency
# admission on 1 April 2007 (the outcome year). Two A&E attendances, one outpatient attended
# and one DNA in the window.
# Person B (P1): born 2 April 1960 (46 on the index date, birthday the next day), male; moved
# from P2 to P1 on 1 Jan 2007 (two registrations): counted once, at P1. No activity.
# Person C (P2): died 1 March 2007: not in the population on 1 April 2007.
# Person D (P2): registered from 2 April 2007: not yet registered.
# Person E (P2): left on 31 March 2007 (last day registered): not counted.
PEOPLE = [
    _person("A", P1, D(1930, 4, 1), quintile=1, diabetes=D(2001, 5, 1),
            heart_failure=D(2007, 6, 1)),
    _person("B", P2, D(1960, 4, 2), sex="M", end=D(2006, 12, 31)),
    _person("B", P1, D(1960, 4, 2), sex="M", start=D(2007, 1, 1), hypertension=D(2007, 4, 1)),
    _person("C", P2, D(1940, 1, 1), died=D(2007, 3, 1)),
    _person("D", P2, D(1990, 1, 1), start=D(2007, 4, 2)),
    _person("E", P2, D(1990, 1, 1), end=D(2007, 3, 31)),
]  # fmt: skip
SPELLS = [
    _spell(1, "A", D(2006, 4, 2), "21", los=5),
    _spell(2, "A", D(2007, 3, 31), "2A", los=3),
    _spell(3, "A", D(2006, 3, 31), "21"),
    _spell(4, "A", D(2006, 9, 1), "11"),
    _spell(5, "A", D(2007, 4, 1), "22"),
    _spell(6, None, D(2006, 9, 1), "21"),
]
AE = [_ae(1, "A", D(2006, 6, 1)), _ae(2, "A", D(2007, 1, 1)), _ae(3, "B", D(2007, 4, 1))]
OP = [_op(1, "A", D(2006, 6, 1), "5"), _op(2, "A", D(2006, 7, 1), "3")]


def _tables() -> dict[str, ibis.Table]:
    return {
        "patients": ibis.memtable(_arrow("patients", PEOPLE)),
        "apc": ibis.memtable(_arrow("apc", SPELLS)),
        "ae": ibis.memtable(_arrow("ae", AE)),
        "op": ibis.memtable(_arrow("op", OP)),
    }


def test_registered_population_on_a_date(engine: Any) -> None:  # noqa: F811
    t = _tables()
    got = engine.execute(registered_on(t["patients"], INDEX).order_by("nhs_number"))
    assert list(got["nhs_number"]) == ["A", "B"]
    assert list(got["gp_practice_code"]) == [P1, P1]
    assert list(got["age"]) == [77, 46]
    assert list(got["age_band"]) == ["75-79", "45-49"]
    assert list(got["diabetes"]) == [True, False]
    assert list(got["heart_failure"]) == [False, False]
    assert list(got["hypertension"]) == [False, True]  # diagnosed on the day: on the register


def test_risk_features_and_outcome_by_hand(engine: Any) -> None:  # noqa: F811
    t = _tables()
    got = engine.execute(rf.dataset(t["patients"], t["apc"], t["ae"], t["op"], INDEX))
    a = got.set_index("nhs_number").loc["A"]
    assert a["emergency_admissions"] == 2
    assert a["emergency_bed_days"] == 8
    assert a["days_since_emergency"] == 1  # 31 March 2007 to 1 April 2007
    assert a["elective_admissions"] == 1
    assert a["ae_attendances"] == 2
    assert (a["op_attendances"], a["op_dnas"]) == (1, 1)
    assert (a["age"], a["male"], a["deprivation_quintile"]) == (77, 0, 1)
    assert (a["diabetes"], a["heart_failure"], a["conditions"]) == (1, 0, 1)
    assert a["admitted"] == 1
    b = got.set_index("nhs_number").loc["B"]
    assert b["emergency_admissions"] == 0 and b["ae_attendances"] == 0  # A&E on the index day
    assert b["days_since_emergency"] == rf.NO_RECENT_ADMISSION_DAYS
    assert b["admitted"] == 0 and b["male"] == 1
    assert list(got.columns) == ["nhs_number", "gp_practice_code", *rf.FEATURES, "admitted"]


def _pseudo(row: dict[str, Any], pseudonym: str, **over: Any) -> dict[str, Any]:
    """`row` of a pseudonymised extract: no NHS number, a PSEUDO_HESID-like id."""
    return {**row, "nhs_number": None, "patient_pseudonym": pseudonym, **over}


def test_risk_features_and_outcome_on_a_pseudonymised_extract(engine: Any) -> None:  # noqa: F811
    """Rows without NHS numbers link to no registered person; by pseudonym they form the
    hospital-user cohort: everyone with activity in the year before, with the activity features,
    the practice, sex and age of their latest activity, and the outcome by pseudonym."""
    spells = [
        *SPELLS,
        # X: emergency admissions 2 May 2006 (4 days) and 1 March 2007 (2 days), aged 80 then
        _pseudo(_spell(7, None, D(2006, 5, 2), "21", los=4), "X", age_on_admission=79),
        _pseudo(
            _spell(8, None, D(2007, 3, 1), "22", los=2),
            "X",
            age_on_admission=80,
            gp_practice_code=P2,
            sex="M",
        ),  # fmt: skip
        _pseudo(_spell(9, None, D(2007, 5, 1), "21"), "X"),  # the outcome year
        # Y: elective only, and an emergency admission before the window (not counted)
        _pseudo(_spell(10, None, D(2006, 10, 1), "11"), "Y", age_on_admission=40, sex="F"),
        _pseudo(_spell(11, None, D(2006, 3, 1), "21"), "Y"),
        # an NHS-numbered spell of A does not make a pseudonymised patient "A"
    ]
    ae = [*AE, _pseudo(_ae(4, "", D(2006, 8, 1)), "X", age_at_attendance=79, sex="M")]
    op = [*OP, _pseudo(_op(3, "", D(2006, 11, 1), "7"), "Y", age_at_attendance=40, sex="F")]
    t = {
        "patients": ibis.memtable(_arrow("patients", PEOPLE)),
        "apc": ibis.memtable(_arrow("apc", spells)),
        "ae": ibis.memtable(_arrow("ae", ae)),
        "op": ibis.memtable(_arrow("op", op)),
    }
    registered = engine.execute(rf.dataset(t["patients"], t["apc"], t["ae"], t["op"], INDEX))
    assert list(registered["nhs_number"]) == ["A", "B"]  # the pseudonyms link to no one
    assert registered.set_index("nhs_number").loc["A", "emergency_admissions"] == 2
    got = engine.execute(rf.pseudonymised_dataset(t["apc"], t["ae"], t["op"], INDEX))
    assert list(got.columns) == [
        "patient_pseudonym", "gp_practice_code", *rf.PSEUDONYMISED_FEATURES, "admitted",
    ]  # fmt: skip
    assert list(got["patient_pseudonym"]) == ["X", "Y"]
    x = got.set_index("patient_pseudonym").loc["X"]
    assert (x["gp_practice_code"], x["age"], x["male"]) == (P2, 80, 1)  # latest: 1 March 2007
    assert (x["emergency_admissions"], x["emergency_bed_days"]) == (2, 6)
    assert x["days_since_emergency"] == 31  # 1 March to 1 April 2007
    assert (x["ae_attendances"], x["admitted"]) == (1, 1)
    y = got.set_index("patient_pseudonym").loc["Y"]
    assert (y["gp_practice_code"], y["age"], y["male"]) == (P1, 40, 0)  # the op attendance
    assert (y["emergency_admissions"], y["elective_admissions"], y["op_dnas"]) == (0, 1, 1)
    assert y["days_since_emergency"] == rf.NO_RECENT_ADMISSION_DAYS and y["admitted"] == 0
    # Case finding without the register: the activity baseline and the 2+ rule apply.
    flag = rm.rule_flag(got, got["admitted"])
    assert (flag.people, flag.ppv) == (1, 1.0)
    assert list(rm.baseline_score(got)) == [2.0, 0.0]


def _random_world(seed: int) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(seed)
    people, spells, ae, op = [], [], [], []
    for i in range(60):
        nhs = f"N{i:03d}"
        start = D(2004, 1, 1) + dt.timedelta(rng.randint(0, 1400))
        end = start + dt.timedelta(rng.randint(30, 1500)) if rng.random() < 0.3 else None
        died = D(2005, 1, 1) + dt.timedelta(rng.randint(0, 1200)) if rng.random() < 0.1 else None
        dx = {c: D(2003, 1, 1) + dt.timedelta(rng.randint(0, 1800))
              for c in CONDITIONS if rng.random() < 0.2}  # fmt: skip
        people.append(
            _person(
                nhs,
                rng.choice([P1, P2]),
                D(1920, 1, 1) + dt.timedelta(rng.randint(0, 30000)),
                rng.choice("FM"),
                rng.randint(1, 5),
                start,
                end,
                died,
                **dx,
            )
        )
        for _ in range(rng.randint(0, 4)):
            when = D(2005, 10, 1) + dt.timedelta(rng.randint(0, 900))
            method = rng.choice(["21", "22", "2A", "11", "12", "31"])
            spells.append(_spell(len(spells), nhs, when, method, rng.randint(0, 9)))
        for _ in range(rng.randint(0, 3)):
            ae.append(_ae(len(ae), nhs, D(2005, 10, 1) + dt.timedelta(rng.randint(0, 900))))
        for _ in range(rng.randint(0, 3)):
            when = D(2005, 10, 1) + dt.timedelta(rng.randint(0, 900))
            op.append(_op(len(op), nhs, when, rng.choice(["5", "6", "3", "7", "2"])))
    return {"patients": people, "apc": spells, "ae": ae, "op": op}


def _oracle(world: dict[str, list[dict[str, Any]]], on: dt.date) -> pd.DataFrame:
    """The feature definitions in plain Python."""
    start, end = on.replace(year=on.year - 1), on
    rows = []
    chosen: dict[str, dict[str, Any]] = {}
    for p in world["patients"]:
        live = p["registration_start_date"] <= on and (
            p["registration_end_date"] is None or p["registration_end_date"] >= on
        ) and (p["date_of_death"] is None or p["date_of_death"] >= on)  # fmt: skip
        if live and (
            p["nhs_number"] not in chosen
            or p["registration_start_date"] > chosen[p["nhs_number"]]["registration_start_date"]
        ):
            chosen[p["nhs_number"]] = p
    for nhs, p in sorted(chosen.items()):
        dob = p["date_of_birth"]
        age = on.year - dob.year - ((dob.month, dob.day) > (on.month, on.day))
        mine = [s for s in world["apc"] if s["nhs_number"] == nhs]
        window = [s for s in mine if start <= s["admission_date"] < end]
        emerg = [s for s in window if s["admission_method"] in rf.EMERGENCY_METHODS]
        later = [s for s in mine if on <= s["admission_date"] < on.replace(year=on.year + 1)
                 and s["admission_method"] in rf.EMERGENCY_METHODS]  # fmt: skip
        flags = {c: int(p.get(col) is not None and p[col] <= on) for c, col in CONDITIONS.items()}
        ops = [o for o in world["op"] if o["nhs_number"] == nhs
               and start <= o["attendance_date"] < end]  # fmt: skip
        rows.append({
            "nhs_number": nhs, "gp_practice_code": p["gp_practice_code"], "age": age,
            "male": int(p["sex"] == "M"), "deprivation_quintile": p["deprivation_quintile"],
            **flags, "conditions": sum(flags.values()),
            "emergency_admissions": len(emerg),
            "emergency_bed_days": sum(s["length_of_stay"] for s in emerg),
            "days_since_emergency": (on - max(s["admission_date"] for s in emerg)).days
            if emerg else rf.NO_RECENT_ADMISSION_DAYS,
            "elective_admissions": sum(s["admission_method"] in rf.ELECTIVE_METHODS
                                       for s in window),
            "ae_attendances": sum(start <= a["arrival_date"] < end
                                  for a in world["ae"] if a["nhs_number"] == nhs),
            "op_attendances": sum(o["attended_or_did_not_attend"] in ("5", "6") for o in ops),
            "op_dnas": sum(o["attended_or_did_not_attend"] in ("3", "7") for o in ops),
            "admitted": int(bool(later)),
        })  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [1, 2])
def test_risk_dataset_matches_plain_python_oracle(engine: Any, seed: int) -> None:  # noqa: F811
    world = _random_world(seed)
    t = {n: ibis.memtable(_arrow(n, rows)) for n, rows in world.items()}
    for on in (D(2006, 4, 1), D(2007, 4, 1)):
        got = engine.execute(rf.dataset(t["patients"], t["apc"], t["ae"], t["op"], on))
        want = _oracle(world, on)
        assert len(got) == len(want) > 10
        got = got.reset_index(drop=True)
        for col in want.columns:
            assert list(got[col]) == list(want[col]), col


def test_registers_by_practice_and_diabetes_denominator(engine: Any) -> None:  # noqa: F811
    t = _tables()
    on = D(2007, 4, 1)
    got = engine.execute(reg.by_practice(t["patients"], on)).set_index(
        ["gp_practice_code", "condition"]
    )
    # A (77, diabetic) and B (46, hypertension from that day) at P1; no one at P2 on that day.
    assert got.loc[(P1, "diabetes"), "register"] == 1
    assert got.loc[(P1, "diabetes"), "denominator"] == 2
    assert got.loc[(P1, "hypertension"), "register"] == 1
    assert got.loc[(P1, "heart_failure"), "register"] == 0
    kid = _person("K", P1, D(2000, 1, 1), diabetes=D(2005, 1, 1))  # 7: not in the 17+ register
    t2 = ibis.memtable(_arrow("patients", [*PEOPLE, kid]))
    got2 = engine.execute(reg.by_practice(t2, on)).set_index(["gp_practice_code", "condition"])
    assert got2.loc[(P1, "diabetes"), "register"] == 1
    assert got2.loc[(P1, "diabetes"), "denominator"] == 2
    assert got2.loc[(P1, "copd"), "denominator"] == 3


def test_standardised_comparison_against_isr_by_hand() -> None:
    # Two practices, two age bands of women. Reference prevalence: band 40-44 10/200 = 5%,
    # band 70-74 60/200 = 30%. Practice X: 150 young (6 on register) + 50 old (20).
    # Expected for X = 150 x 0.05 + 50 x 0.3 = 22.5; observed 26.
    cells = [
        {"gp_practice_code": "X", "condition": "copd", "sex": "F", "age_band": "40-44",
         "register": 6, "denominator": 150},
        {"gp_practice_code": "X", "condition": "copd", "sex": "F", "age_band": "70-74",
         "register": 20, "denominator": 50},
        {"gp_practice_code": "Y", "condition": "copd", "sex": "F", "age_band": "40-44",
         "register": 4, "denominator": 50},
        {"gp_practice_code": "Y", "condition": "copd", "sex": "F", "age_band": "70-74",
         "register": 40, "denominator": 150},
    ]  # fmt: skip
    out = reg.compare(cells)["copd"]
    x = next(p for p in out.practices if p.gp_practice_code == "X")
    assert math.isclose(x.expected, 22.5)
    want = isr([6, 20], [150, 50], [10, 60], [200, 200])
    assert x.ratio is not None and math.isclose(x.ratio.value, want.interval.value)
    assert math.isclose(x.ratio.value, 26 / 22.5 * 100)
    assert math.isclose(x.prevalence.value, 13.0)
    assert (out.register, out.denominator) == (70, 400)
    assert out.funnel and all(f.lower_998 <= 100 <= f.upper_998 for f in out.funnel)
    assert x.significance_95 in ("high", "low", "not significant")


def test_top_k_shares_ties_pro_rata() -> None:
    y = [1, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    score = [3, 2, 2, 2, 2, 0, 0, 0, 0, 0]
    # top 30% = 3 people: the 3 (admitted) and two of four tied at 2, of whom 1 in 4 admitted.
    t = rm.top_k(y, score, 0.3)
    assert t.people == 3
    assert math.isclose(t.ppv, (1 + 2 * 0.25) / 3)
    assert math.isclose(t.sensitivity, (1 + 2 * 0.25) / 3)
    perfect = rm.top_k(y, [1, 0, 1, 0, 0, 0, 0, 0, 0, 1], 0.3)
    assert perfect.ppv == 1.0 and perfect.sensitivity == 1.0


def test_calibration_deciles() -> None:
    p = np.linspace(0.01, 0.5, 100)
    y = (np.arange(100) % 2 == 0).astype(int)
    bins = rm.calibration(y, p)
    assert [b.decile for b in bins] == list(range(1, 11))
    assert all(b.people == 10 for b in bins)
    assert math.isclose(bins[0].mean_predicted, float(p[:10].mean()))
    assert math.isclose(bins[0].observed, 0.5)


def _random_people(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x = pd.DataFrame(
        {
            "age": rng.integers(0, 100, n),
            "male": rng.integers(0, 2, n),
            "deprivation_quintile": rng.integers(1, 6, n),
            **{c: (rng.random(n) < 0.2).astype("int64") for c in CONDITIONS},
            "emergency_admissions": rng.poisson(0.3, n),
            "emergency_bed_days": rng.poisson(1.0, n),
            "days_since_emergency": rng.integers(1, 366, n),
            "elective_admissions": rng.poisson(0.2, n),
            "ae_attendances": rng.poisson(0.4, n),
            "op_attendances": rng.poisson(1.0, n),
            "op_dnas": rng.poisson(0.1, n),
        }
    )
    x["conditions"] = x[list(CONDITIONS)].sum(axis=1)
    return x


@pytest.mark.parametrize("kind", rm.MODEL_KINDS)
def test_main_factors_are_the_largest_falls_in_risk(kind: str) -> None:
    """Each person's factors are the groups whose reset to the reference lowers their predicted
    risk by at least half a point, largest first, at most three, described with their values
    (worked out for everyone, one group at a time, and ranked person by person)."""
    rng = np.random.default_rng(5)
    x = _random_people(rng, 600)
    logit = -2 + 0.8 * x.emergency_admissions + 0.03 * (x.age - 50) + 0.9 * x.diabetes
    y = (rng.random(len(x)) < 1 / (1 + np.exp(-logit))).astype(int)
    model = rm.make_model(kind)
    if kind == "gradient_boosting":
        model.set_params(max_iter=30)  # a small model is enough to check the explanation
    with threadpool_limits(limits=1):
        model.fit(x[list(rf.FEATURES)], y)
    people = x.iloc[:300]
    got = rm.main_factors(model, people, base=rm.predict(model, people))
    risk = rm.predict(model, people)
    falls = {}  # group -> each person's fall in risk when the group is set to its reference
    for group, (_label, reference) in rm.FACTOR_GROUPS.items():
        changed = people.copy()
        for col, value in reference.items():
            changed[col] = value
        changed["conditions"] = changed[list(CONDITIONS)].sum(axis=1)
        falls[group] = risk - rm.predict(model, changed)
    for i, r in enumerate(people.itertuples()):
        described = {
            "emergency": f"{r.emergency_admissions} emergency admission(s) last year",
            "elective": f"{r.elective_admissions} elective admission(s) last year",
            "ae": f"{r.ae_attendances} A&E attendance(s) last year",
            "outpatients": f"{r.op_attendances} outpatient attendance(s) last year",
            "age": f"Age {r.age}",
            "deprivation": f"Deprivation quintile {r.deprivation_quintile}",
        }
        largest = sorted((falls[g][i] for g in rm.FACTOR_GROUPS), reverse=True)[:3]
        kept = [fall for fall in largest if fall >= 0.005]
        assert len(got[i]) == len(kept) == len(set(got[i])), (i, got[i], largest)
        for text, fall in zip(got[i], kept, strict=True):
            # Groups with equal falls (e.g. two conditions counted the same) may come either way.
            tied = {described.get(g, label) for g, (label, _) in rm.FACTOR_GROUPS.items()
                    if falls[g][i] == fall}  # fmt: skip
            assert text in tied, (i, got[i], largest)
    assert any(got) and any(len(f) == 3 for f in got)
    assert got == rm.main_factors(model, people)  # the same without the given base


def test_life_table_inputs_and_gap(engine: Any) -> None:  # noqa: F811
    people, deaths = [], []
    rng = random.Random(3)
    for i in range(120):
        dob = D(1920, 1, 1) + dt.timedelta(rng.randint(0, 30000))
        people.append(_person(f"L{i}", P1, dob, quintile=1 + i % 5))
    for i in range(10):
        deaths.append({"nhs_number": f"X{i}", "gp_practice_code": P1 if i < 8 else P2,
                       "date_of_death": D(2007, 5, 1) if i != 5 else D(2008, 4, 1),
                       "age_at_death": 60 + i * 4, "sex": "F", "deprivation_quintile": 1 + i % 5,
                       "place_of_death": "home"})  # fmt: skip
    pt = ibis.memtable(_arrow("patients", people))
    dt_ = ibis.memtable(_arrow("deaths", deaths))
    pops = engine.execute(iq.populations(pt, 2007))
    assert pops["population"].sum() == 120
    on = D(2007, 10, 1)
    ages = [on.year - p["date_of_birth"].year - ((p["date_of_birth"].month,
            p["date_of_birth"].day) > (10, 1)) for p in people]  # fmt: skip
    assert pops[pops.start_age == 90]["population"].sum() == sum(a >= 90 for a in ages)
    d = engine.execute(iq.deaths_in_year(dt_, 2007, [P1]))
    # P1 deaths in 2007/08: i = 0..7 except 5 (died in 2008/09): 7 deaths.
    assert d["deaths"].sum() == 7
    assert sorted(d["start_age"]) == [60, 60, 65, 70, 75, 80, 85]


def test_year_life_expectancy_and_gap_sign() -> None:
    # A large synthetic table: Q1 has double the death rates of the others.
    rows_p, rows_d = [], []
    for q in iq.QUINTILES:
        for a in iq.STANDARD_START_AGES:
            pop = 20_000 if a < 90 else 2_000
            rate = 0.0005 * math.exp(0.085 * a) * (2 if q == 1 else 1)
            rows_p.append({"deprivation_quintile": q, "start_age": a, "population": pop})
            rows_d.append({"deprivation_quintile": q, "start_age": a,
                           "deaths": max(1, round(pop * min(rate, 0.5)))})  # fmt: skip
    year = iq.year_life_expectancy("2007/08", rows_p, rows_d)
    q1, avg, q5 = year.of(1).at_birth, year.of(iq.ALL).at_birth, year.of(5).at_birth
    assert q1.value is not None and avg.value is not None and q5.value is not None
    assert q1.value < avg.value < q5.value + 1e-9
    gap = year.gap
    assert gap.value is not None and gap.lower is not None and gap.upper is not None
    assert math.isclose(gap.value, avg.value - q1.value)
    assert gap.lower < gap.value < gap.upper
    assert year.of(iq.ALL).population == 5 * (19 * 20_000 + 2_000)


def test_financial_years_whole_years_only() -> None:
    assert iq.financial_years(D(2005, 4, 1), D(2009, 3, 31)) == [2005, 2006, 2007, 2008]
    assert iq.financial_years(D(2005, 4, 1), D(2009, 2, 27)) == [2005, 2006, 2007]
    assert iq.financial_years(D(2005, 4, 2), D(2009, 3, 31)) == [2006, 2007, 2008]
    assert str(FinancialYear(2007)) == "2007/08"


def test_deprivation_is_the_imd_of_the_lsoa_not_the_register(engine: Any) -> None:  # noqa: F811
    # IMD 2007 shape: ranks only, 10 LSOAs, so quintile = ceil(5 x rank / 10) = ceil(rank / 2).
    imd = [{"imd_edition": "2007", "lsoa_code": f"E0100000{r - 1}", "imd_score": 50.0 - r,
            "imd_rank": r, "imd_decile": None} for r in range(1, 11)]  # fmt: skip
    # Everyone's register says quintile 3; their areas say otherwise.
    lsoas = ["E01000000", "E01000001", "E01000002", "E01000009", None, "E01999999"]
    people = [{**_person(f"A{i}", P1, D(1950, 1, 1)), "lsoa_code": code}
              for i, code in enumerate(lsoas)]  # fmt: skip
    deaths = [{"nhs_number": "Z1", "gp_practice_code": P1, "date_of_death": D(2007, 6, 1),
               "age_at_death": 70, "sex": "F", "deprivation_quintile": 3,
               "lsoa_code": "E01000009", "place_of_death": "home"},
              {"nhs_number": "Z2", "gp_practice_code": P1, "date_of_death": D(2007, 7, 1),
               "age_at_death": 71, "sex": "M", "deprivation_quintile": 3,
               "lsoa_code": None, "place_of_death": "home"}]  # fmt: skip
    areas = iq.lsoa_quintiles(ibis.memtable(_arrow("imd_lsoa", imd)), "2007")
    pt, dt_ = ibis.memtable(_arrow("patients", people)), ibis.memtable(_arrow("deaths", deaths))
    pops = engine.execute(iq.populations(pt, 2007, [P1], areas))
    got = {(None if pd.isna(q) else int(q)): int(n) for q, n in
           pops.groupby("deprivation_quintile", dropna=False)["population"].sum().items()}  # fmt: skip
    # ranks 1, 2 -> Q1; rank 3 -> Q2; rank 10 -> Q5; no LSOA and an unknown LSOA -> none.
    assert got == {1: 2, 2: 1, 5: 1, None: 2}
    dths = engine.execute(iq.deaths_in_year(dt_, 2007, [P1], areas))
    year = iq.year_life_expectancy("2007/08", pops.to_dict("records"), dths.to_dict("records"))
    assert [year.of(q).population for q in (1, 2, 3, 4, 5, iq.ALL)] == [2, 1, 0, 0, 1, 6]
    assert [year.of(q).deaths for q in (1, 5, iq.ALL)] == [0, 1, 2]
    assert (year.unknown_population, year.unknown_deaths) == (2, 1)
    # Without an IMD edition, the register's recorded quintile.
    recorded = engine.execute(iq.populations(pt, 2007, [P1]))
    assert recorded.set_index("deprivation_quintile")["population"].to_dict() == {3: 6}


def test_imd_edition_and_standardised_mortality_by_hand() -> None:
    assert iq.edition_for(["2019", "2007"], 2008) == "2007"  # 2008/09: the 2007 indices
    assert iq.edition_for(["2007", "2019"], 2019) == "2019"
    assert iq.edition_for(["2019"], 2007) == "2019"  # the nearest there is
    assert iq.edition_for([], 2007) is None
    # 1,000 people in each life-table band (2,000 in 0-4 once 0 and 1-4 are joined); deaths:
    # 2 aged 0 and 3 aged 1-4, 10 aged 85-89. ESP 2013 weights 0-4 5,000 and 85-89 1,500 of
    # 100,000: DSR = (5,000 x 5/2,000 + 1,500 x 10/1,000) / 100,000 x 100,000 = 12.5 + 15.
    pop = {a: 1000 for a in iq.STANDARD_START_AGES}
    rate = iq.mortality_rate(pop, {0: 2, 1: 3, 85: 10})
    assert rate is not None and math.isclose(rate.value, 27.5)
    assert rate.lower is not None and rate.lower < 27.5 < rate.upper
    assert iq.mortality_rate(pop, {85: 9}) is None  # fewer than 10 deaths
    assert iq.mortality_rate({**pop, 40: 0}, {85: 20}) is None  # a band with nobody in it
