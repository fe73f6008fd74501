"""A hand-made warehouse small enough to work every indicator out by hand.

Practice P1 (E82601, Dacorum, West Herts 5P3) has known activity in November 2008; P2
(E82602, Dacorum) a little; E81601 (Welwyn Hatfield, 5P2) none. Every table has the
warehouse's stored schema (`pbc.warehouse.engine.stored_schema`), so expressions see exactly
the types they see in production. `EXPECTED` gives each computed indicator's value for P1 in
November 2008, worked out in the comments.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa

from pbc.warehouse import engine as wh_engine
from pbc.warehouse.datasets import dataset

P1, P2, P3 = "E82601", "E82602", "E81601"
OCT, NOV = dt.date(2008, 10, 1), dt.date(2008, 11, 1)
MONTHS = (OCT, NOV)
D = dt.date


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = wh_engine.stored_schema(dataset(name))
    # Money columns the indicators do not read are 0, not null: Ibis's PySpark backend cannot
    # register an in-memory table with a null decimal.
    money = [f.name for f in schema if pa.types.is_decimal(f.type)]
    rows = [{**{m: Decimal(0) for m in money}, **row} for row in rows]
    return pa.Table.from_pylist(rows, schema=schema)


def _ref(i: int, practice: str, provider: str, date: dt.date, tf: str, priority: str = "1",
         cab: bool = False, seen: dt.date | None = None) -> dict[str, Any]:  # fmt: skip
    return {"referral_id": f"R{i}", "nhs_number": "9434765919", "gp_practice_code": practice,
            "provider_code": provider, "referral_date": date, "treatment_function_code": tf,
            "priority_type": priority, "choose_and_book": cab, "first_seen_date": seen}  # fmt: skip


def _op(i: int, first: str, status: str, provider: str, source: str = "03",
        practice: str = P1) -> dict[str, Any]:  # fmt: skip
    return {"attendance_id": f"O{i}", "gp_practice_code": practice, "provider_code": provider,
            "attendance_date": D(2008, 11, 10), "first_attendance": first,
            "attended_or_did_not_attend": status, "treatment_function_code": "110",
            "referral_source": source, "priority_type": "1", "procedure_flag": False,
            "point_of_delivery": "OPFA"}  # fmt: skip


def _spell(i: int, method: str, age: int, los: int, dx: str, provider: str = "RWG",
           died: bool = False, sex: str = "M", practice: str = P1) -> dict[str, Any]:  # fmt: skip
    discharged = D(2008, 11, 20)
    return {"spell_id": f"S{i}", "gp_practice_code": practice, "provider_code": provider,
            "sex": sex, "age_on_admission": age, "admission_date": discharged - dt.timedelta(los),
            "discharge_date": discharged, "length_of_stay": los, "admission_method": method,
            "patient_classification": "1", "treatment_function_code": "300",
            "primary_diagnosis_code": dx, "procedure_flag": False,
            "discharge_method": "4" if died else "1", "hrg_code": "DZ22A",
            "point_of_delivery": "NEL"}  # fmt: skip


def _rx(bnf: str, items: int, cost: str, practice: str = P1) -> dict[str, Any]:
    return {"gp_practice_code": practice, "month": NOV, "bnf_code": bnf, "bnf_name": bnf,
            "items": items, "quantity": float(items * 28), "net_ingredient_cost": Decimal(cost),
            "actual_cost": Decimal(cost)}  # fmt: skip


def _rtt(i: int, kind: str, start: dt.date, stop: dt.date | None, dna: bool = False,
         practice: str = P1) -> dict[str, Any]:  # fmt: skip
    return {"pathway_id": f"P{i}", "nhs_number": f"94347659{i:02d}", "gp_practice_code": practice,
            "provider_code": "RWG", "treatment_function_code": "110", "clock_start_date": start,
            "clock_stop_date": stop, "pathway_type": kind, "first_appointment_dna": dna}  # fmt: skip


def arrow_tables() -> dict[str, pa.Table]:
    q = OCT  # the quarter containing October and November 2008
    return {
        "practices": _table("practices", [
            {"gp_practice_code": P1, "practice_name": "One", "locality_code": "dacorum",
             "locality_name": "Dacorum", "pct_code": "5P3", "pct_name": "West Herts"},
            {"gp_practice_code": P2, "practice_name": "Two", "locality_code": "dacorum",
             "locality_name": "Dacorum", "pct_code": "5P3", "pct_name": "West Herts"},
            {"gp_practice_code": P3, "practice_name": "Three", "locality_code": "welwyn-hatfield",
             "locality_name": "Welwyn Hatfield", "pct_code": "5P2", "pct_name": "E&N Herts"},
        ]),
        "providers": _table("providers", [
            {"provider_code": "RWG", "provider_name": "WHHT", "provider_kind": "acute", "main_pct_code": "5P3"},
            {"provider_code": "RWH", "provider_name": "ENHT", "provider_kind": "acute", "main_pct_code": "5P2"},
            {"provider_code": "RAL", "provider_name": "Royal Free", "provider_kind": "acute", "main_pct_code": None},
            {"provider_code": "NT4", "provider_name": "Tier 2", "provider_kind": "independent", "main_pct_code": "5P3"},
        ]),
        "weighted_populations": _table("weighted_populations", [
            {"gp_practice_code": p, "quarter_start": q, "weighting": w, "registered_patients": 1,
             "weighted_population": v}
            for p, ha, astro in ((P1, 1000.0, 800.0), (P2, 2000.0, 1500.0), (P3, 500.0, 400.0))
            for w, v in (("hospital_activity", ha), ("astro_pu_2013", astro))
        ]),
        "list_sizes": _table("list_sizes", [
            {"gp_practice_code": P1, "quarter_start": q, "sex": s, "age_band": b, "registered_patients": n}
            for s, b, n in (("M", "70-74", 100), ("M", "75-79", 30), ("F", "80-84", 15), ("F", "90+", 5))
        ] + [{"gp_practice_code": P2, "quarter_start": q, "sex": "F", "age_band": "75-79", "registered_patients": 40}]),
        "referrals": _table("referrals", [
            _ref(1, P1, "RWG", D(2008, 11, 3), "110", cab=True, seen=D(2008, 12, 13)),
            _ref(2, P1, "RAL", D(2008, 11, 4), "110"),
            _ref(3, P1, "RAL", D(2008, 11, 5), "400", cab=True),
            _ref(4, P1, "RWG", D(2008, 11, 6), "400", priority="3", seen=D(2008, 11, 16)),
            _ref(5, P1, "RWG", D(2008, 11, 7), "130", priority="3", seen=D(2008, 11, 27)),
            _ref(6, P1, "NT4", D(2008, 11, 8), "330", priority="3"),
            _ref(7, P1, "RWG", D(2008, 10, 9), "100"),
        ]),
        "op": _table("op", [
            _op(1, "1", "5", "RWG"), _op(2, "3", "6", "NT4"), _op(3, "1", "3", "RWG"),
            _op(4, "2", "5", "RWG"), _op(5, "2", "5", "RWG"), _op(6, "4", "5", "RWG"),
            _op(7, "1", "5", "RAL", source="05"),
        ]),
        "apc": _table("apc", [
            _spell(1, "21", 80, 5, "J44.1"),
            _spell(2, "22", 76, 10, "I21.9", died=True, sex="F"),
            _spell(3, "11", 78, 2, "K40.9"),
            _spell(4, "21", 40, 1, "E11.6"),
            _spell(5, "21", 90, 0, "R07.4", provider="RAL"),
            _spell(6, "21", 72, 3, "I21.9", provider="RAL", sex="F", practice=P2),
        ]),
        "deaths": _table("deaths", [
            {"nhs_number": f"943476591{i}", "gp_practice_code": P1, "date_of_death": D(2008, 11, 2 + i),
             "age_at_death": 80, "sex": "F", "deprivation_quintile": 3, "place_of_death": place}
            for i, place in enumerate(("home", "care_home", "hospital"))
        ]),
        "prescribing": _table("prescribing", [
            _rx("0501021L0AAAAAA", 3, "10.00"), _rx("0501120P0AAAAAA", 2, "5.00"),
            _rx("0501013B0AAABAB", 15, "20.00"), _rx("0501080W0AAAAAA", 4, "2.00"),
            _rx("0501130R0AAAAAA", 6, "12.00"),
            _rx("0103050L0AAAAAA", 10, "30.00"), _rx("0103050P0AAAAAA", 30, "30.00"),
            _rx("0212000B0AAABAB", 5, "50.00"), _rx("0212000Y0AAABAB", 15, "15.00"),
            _rx("0205052N0AAAAAA", 2, "8.00"), _rx("0205051R0AAADAD", 8, "4.00"),
            _rx("0302000N0AABGBG", 3, "90.00"), _rx("0302000C0AAAAAA", 9, "36.00"),
            _rx("0103050L0AAAAAA", 2, "6.00", practice=P2), _rx("0103050P0AAAAAA", 38, "38.00", practice=P2),
        ]),
        "rtt": _table("rtt", [
            _rtt(1, "admitted", D(2008, 7, 1), D(2008, 11, 4)),  # 126 days: within 18 weeks
            _rtt(2, "admitted", D(2008, 7, 1), D(2008, 11, 5)),  # 127 days: not within
            _rtt(3, "admitted", D(2008, 10, 1), D(2008, 11, 2), dna=True),  # nullified
            _rtt(4, "non_admitted", D(2008, 10, 20), D(2008, 11, 10)),  # 21 days
            _rtt(5, "incomplete", D(2008, 7, 1), None),  # 152 days at 30 Nov, 122 at 31 Oct
            _rtt(6, "incomplete", D(2008, 11, 15), None),  # 15 days at 30 Nov
        ]),
        # Published aggregate returns, November 2008 (issue 15). West Herts (5P3, written in
        # its 5-character form) also has pathway-level rows, which win; 5D7 has returns only.
        "rtt_returns": _table("rtt_returns", [
            *_returns("5P300", "110", {17: 3, 18: 1, 52: 0}),  # 3 of 4 within 18 weeks
            *_returns("5D7", "100", {0: 2, 1: 4, 2: 2, 3: 2, 52: 0}),  # all 10 within
        ]),
        "ae_attendances": _table("ae_attendances", [
            _ae("RWG", "01", "attendances", 1000), _ae("RWG", "01", "over_4_hours", 30),
            _ae("RWG", "other", "attendances", 200), _ae("RWG", "other", "over_4_hours", 0),
            _ae("RWG", "01", "emergency_admissions", 250),
        ]),
    }  # fmt: skip


def _returns(commissioner: str, tf: str, bands: dict[int, int]) -> list[dict[str, Any]]:
    top = max(bands)
    return [{"month": NOV, "pathway_type": "admitted", "commissioner_code": commissioner,
             "treatment_function_code": tf, "weeks_from": k,
             "weeks_to": None if k == top else k + 1, "pathways": n}
            for k, n in bands.items()]  # fmt: skip


def _ae(provider: str, kind: str, measure: str, count: int) -> dict[str, Any]:
    return {"month": NOV, "provider_code": provider, "department_type": kind,
            "measure": measure, "count": count}  # fmt: skip


def tables() -> dict[str, ibis.Table]:
    return {name: ibis.memtable(t) for name, t in arrow_tables().items()}


# P1, November 2008. Per-year rates: count / population x 12,000.
EXPECTED: dict[str, float] = {
    # RTT admitted: pathway P1 (126 days, within) and P2 (127 days, not); P3 nullified → 1/2
    "rtt-admitted-18-weeks": 50.0,
    "rtt-non-admitted-18-weeks": 100.0,
    # 95th percentile of {126, 127} days: 126 + 0.95 = 126.95 days = 18.1357 weeks
    "rtt-admitted-95th-percentile": 126.95 / 7,
    "rtt-non-admitted-95th-percentile": 21 / 7,
    # open at 30 Nov: P5 (152 days) and P6 (15 days) → 1/2
    "rtt-incomplete-18-weeks": 50.0,
    # median of {15, 152} days at 30 Nov: 83.5 days = 11.93 weeks
    "rtt-incomplete-median": 83.5 / 7,
    # first attendances attended: O1, O2, O7 (O3 did not attend) → 3 / 1000 x 12000
    "op-first-attendances": 36.0,
    # follow-ups O4, O5, O6 per first O1, O2, O7
    "op-new-to-follow-up-ratio": 1.0,
    # firsts at acute providers: O1 (RWG), O7 (RAL); O2 is at the independent NT4
    "op-first-attendances-in-hospital": 2.0,
    "gp-referral-rate": 72.0,  # R1-R6
    "gp-referral-rate-trauma-orthopaedics": 24.0,  # R1, R2
    "gp-referral-rate-ophthalmology": 12.0,  # R5
    "gp-referral-rate-general-surgery": 0.0,  # R7 is in October
    "gp-referral-rate-dermatology": 12.0,  # R6
    "consultant-to-consultant-referral-rate": 12.0,  # O7, source 05
    # emergency spells aged 75+: S1, S2, S5 over 50 people aged 75+ (30 + 15 + 5)
    "emergency-admissions-75-plus": 3 / 50 * 12000,
    "bed-days-75-plus": (5 + 10 + 0) / 50 * 12000,
    # ACSC: S1 J44.1 (COPD), S4 E11.6 (diabetes complication); S2 I21.9 and S5 R07.4 are not
    "acsc-emergency-admissions": 24.0,
    # home and care home of three deaths
    "deaths-usual-place-of-residence": 200 / 3,
    "choose-and-book": 200 / 6,  # R1, R3
    # counted in the month first seen: R4 (10 days) and R5 (20 days); R6 not seen yet
    "two-week-wait-seen-14-days": 50.0,
    "referrals-outside-pct": 200 / 6,  # R2, R3 at RAL (no main PCT)
    "referrals-outside-pct-neurology": 50.0,  # R3 of R3, R4
    "antibiotics-cephalosporins-quinolones": 500 / 30,
    "prescribing-lansoprazole": 25.0,
    "prescribing-high-cost-statins": 25.0,
    "prescribing-arbs": 20.0,
    "prescribing-ics-laba": 25.0,
    "prescribing-trimethoprim": 40.0,
    "prescribing-antibiotics-per-astro-pu": 30 / 800 * 12000,
}

# Provider RWG, November 2008: one death (S2, emergency, 70s, female). Its stratum also holds
# S6 (RAL, survived): reference rate 1/2, so RWG expects 0.5 deaths → SMR 200.
EXPECTED_PROVIDER = {
    "smr-by-provider": ("RWG", 200.0),
    # A&E aggregate: (1200 - 30) / 1200 attendances within four hours
    "ae-four-hour": ("RWG", 97.5),
}
# From the aggregate RTT returns alone (commissioner 5D7, November 2008): bands 2, 4, 2, 2, 0.
EXPECTED_AGGREGATE = {
    "rtt-admitted-18-weeks": 100.0,
    # 95th: pN = 9.5, 8 pathways before the >3-4 band of 2: 3 + 1.5 / 2 = 3.75 weeks
    "rtt-admitted-95th-percentile": 3.75,
}


# --- periodic returns for national measures (issue 19) ---------------------------------------
# Not in `arrow_tables`: refreshes over the hand-made warehouse stay as they were. West Herts
# (5P3; its NCMP row in the 5-character form 5P300) and the trust RWG.
APR_2008 = D(2008, 4, 1)


def return_arrow_tables() -> dict[str, pa.Table]:
    return {
        "hcai_returns": _table("hcai_returns", [
            {"month": NOV, "organism": "mrsa", "organisation_type": "pct",
             "organisation_code": "5P3", "cases": 2},
            {"month": NOV, "organism": "mrsa", "organisation_type": "trust",
             "organisation_code": "RWG", "cases": 1},
            {"month": NOV, "organism": "c_difficile", "organisation_type": "pct",
             "organisation_code": "5P3", "cases": 7},
            {"month": NOV, "organism": "c_difficile", "organisation_type": "trust",
             "organisation_code": "RWG", "cases": 4},
            {"month": NOV, "organism": "c_difficile", "organisation_type": "trust",
             "organisation_code": "RAL", "cases": 0},
        ]),
        "ncmp_returns": _table("ncmp_returns", [
            {"year_start": APR_2008, "commissioner_code": "5P300", "school_year": "reception",
             "eligible": 1000, "measured": 900, "overweight": 120, "obese": 81},
            {"year_start": APR_2008, "commissioner_code": "5P3", "school_year": "year_6",
             "eligible": 800, "measured": 640, "overweight": 90, "obese": 112},
        ]),
        "chlamydia_returns": _table("chlamydia_returns", [
            {"quarter_start": APR_2008, "commissioner_code": "5P3", "sex": sex,
             "age_group": age, "population": pop, "tests": tests, "positives": pos}
            for sex, age, pop, tests, pos in (
                ("female", "15-19", 20000, 1200, 96), ("female", "20-24", 18000, 900, 81),
                ("male", "15-19", 21000, 400, 24), ("male", "20-24", 19000, 300, 27),
            )
        ]),
        # 5P3 also has referral-level rows (two-week wait: they win); 5D7 has the return only
        "cancer_waits_returns": _table("cancer_waits_returns", [
            {"month": NOV, "standard": standard, "commissioner_code": pct, "total": total,
             "within_target": within}
            for pct, standard, total, within in (
                ("5D7", "two_week_wait", 50, 47), ("5D7", "31_day", 40, 39),
                ("5D7", "62_day", 20, 17), ("5P3", "two_week_wait", 30, 30),
            )
        ]),
        "hpv_returns": _table("hpv_returns", [
            {"year_start": APR_2008, "commissioner_code": "5P3", "cohort": "routine",
             "eligible": 1200, "first_dose": 1100, "three_doses": 960},
            {"year_start": APR_2008, "commissioner_code": "5P3", "cohort": "catch_up",
             "eligible": 2400, "first_dose": 1500, "three_doses": 1000},
        ]),
        "stroke_returns": _table("stroke_returns", [
            {"quarter_start": D(2008, 10, 1), "commissioner_code": "5P3", "tia_referred": 40,
             "tia_seen_within_7_days": 30, "thrombolysed": 8, "thrombolysed_within_3_hours": 6,
             "call_to_needle_within_60_minutes": 2},
        ]),
        "breastfeeding_returns": _table("breastfeeding_returns", [
            {"quarter_start": D(2008, 10, 1), "commissioner_code": "5P3", "infants_due": 400,
             "status_recorded": 380, "breastfed": 190},
        ]),
        "smoking_survey_returns": _table("smoking_survey_returns", [
            {"year_start": APR_2008, "commissioner_code": "5P3", "respondents": 2000,
             "smokers": 430},
        ]),
        "choice_returns": _table("choice_returns", [
            {"month": NOV, "commissioner_code": "5P3", "respondents": 250, "offered_choice": 115},
        ]),
    }  # fmt: skip


def return_tables() -> dict[str, ibis.Table]:
    """The hand-made warehouse with the periodic returns."""
    return tables() | {name: ibis.memtable(t) for name, t in return_arrow_tables().items()}


# (level, organisation, month, value) from the returns alone.
EXPECTED_RETURNS: dict[str, tuple[str, str, dt.date, float]] = {
    "mrsa-bacteraemia": ("pct", "5P3", NOV, 2.0),
    "mrsa-bacteraemia-trust": ("provider", "RWG", NOV, 1.0),
    "c-difficile": ("pct", "5P3", NOV, 7.0),
    "c-difficile-trust": ("provider", "RWG", NOV, 4.0),
    # (900 + 640) measured of (1000 + 800) eligible
    "child-measurement-coverage": ("pct", "5P3", APR_2008, 1540 / 1800 * 100),
    "child-obesity-reception": ("pct", "5P3", APR_2008, 81 / 900 * 100),
    "child-obesity-year-6": ("pct", "5P3", APR_2008, 112 / 640 * 100),
    # 2,800 tests of 78,000 aged 15-24 in the quarter, annualised (x 4), per cent
    "chlamydia-screening-coverage": ("pct", "5P3", APR_2008, 2800 / 78000 * 400),
    "chlamydia-positivity": ("pct", "5P3", APR_2008, 228 / 2800 * 100),
    "cancer-31-day": ("pct", "5D7", NOV, 39 / 40 * 100),
    "cancer-62-day": ("pct", "5D7", NOV, 17 / 20 * 100),
    "tia-seen-within-7-days": ("pct", "5P3", OCT, 30 / 40 * 100),
    "stroke-thrombolysis-within-3-hours": ("pct", "5P3", OCT, 6 / 8 * 100),
    "stroke-call-to-needle-60-minutes": ("pct", "5P3", OCT, 2 / 8 * 100),
    # breastfed of those due a check (status not recorded counts as not breastfed)
    "breastfeeding-6-8-weeks": ("pct", "5P3", OCT, 190 / 400 * 100),
    "smoking-prevalence": ("pct", "5P3", APR_2008, 430 / 2000 * 100),
    "patients-offered-choice": ("pct", "5P3", NOV, 115 / 250 * 100),
    # the routine cohort only: 960 of 1,200 (the catch-up cohort is left out)
    "hpv-vaccination-three-doses": ("pct", "5P3", APR_2008, 80.0),
}
