"""Spec tests: each rule on hand-made rows that it must flag and rows it must leave alone, with
the money at stake, run on every engine (DuckDB and PySpark)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pbc.analytics import validation as v
from validation.world import (
    OTHER_PCT_PRACTICE,
    World,
    ae_row,
    apc_row,
    day,
    nhs,
    op_row,
    patient_row,
)

D = Decimal


def flagged(frame: Any) -> set[str]:
    return set(frame.index)


def test_duplicate_spell(engine: Any, world: World) -> None:
    world.apc = [
        apc_row("s1", admission_date=day("2008-06-01"), discharge_date=day("2008-06-05")),
        # starts before s1 ends: overlapping
        apc_row("s2", admission_date=day("2008-06-03"), discharge_date=day("2008-06-04")),
        # starts the day s1 ends: a transfer-like new spell, not a duplicate
        apc_row("s3", admission_date=day("2008-06-05"), discharge_date=day("2008-06-08")),
        # same admission day as s5 (ordered first by discharge): s5 is the duplicate
        apc_row("s4", admission_date=day("2008-07-01"), discharge_date=day("2008-07-01")),
        apc_row("s5", admission_date=day("2008-07-01"), discharge_date=day("2008-07-03")),
        # another patient overlapping s1: not this patient's duplicate
        apc_row("s6", nhs_number=nhs(2), admission_date=day("2008-06-02")),
        # invalid NHS number: cannot be matched
        apc_row("s7", nhs_number="9990000019", admission_date=day("2008-06-02")),
    ]
    out = world.find(engine, "duplicate_spell")
    assert flagged(out) == {"s2", "s5"}
    assert out.loc["s2", "amount"] == D("2200.00")  # the whole charge
    assert out.loc["s2", "month"] == dt.date(2008, 6, 1)
    assert bool(out.loc["s2", "in_force"])


def test_duplicate_first_attendance(engine: Any, world: World) -> None:
    world.op = [
        op_row("o1"),
        op_row("o2"),  # same patient, provider, function, day: the duplicate
        op_row("o3", first_attendance="3"),  # a telephone first on the same day: also a duplicate
        op_row("o4", treatment_function_code="120"),  # another specialty
        op_row("o5", provider_code="RWH"),  # another provider
        op_row("o6", attended_or_did_not_attend="3", charged_price=D("0.00")),  # did not attend
        op_row("o7", first_attendance="2", point_of_delivery="OPFUP"),  # a follow-up
        op_row("o8", attendance_date=day("2008-06-09")),  # another day
    ]
    out = world.find(engine, "duplicate_first_attendance")
    assert flagged(out) == {"o2", "o3"}
    assert out.loc["o2", "amount"] == D("176.00")


def test_not_registered_in_pct(engine: Any, world: World) -> None:
    world.patients = [
        patient_row(nhs(1), registration_end_date=day("2008-03-31")),
        patient_row(nhs(2), gp_practice_code=OTHER_PCT_PRACTICE),
        patient_row(nhs(3)),
        # moved into a 5P3 practice on 1 May 2008
        patient_row(nhs(4), gp_practice_code=OTHER_PCT_PRACTICE,
                    registration_end_date=day("2008-04-30")),
        patient_row(nhs(4), registration_start_date=day("2008-05-01")),
    ]  # fmt: skip
    world.apc = [
        apc_row("in", nhs_number=nhs(1), admission_date=day("2008-03-01"),
                discharge_date=day("2008-03-02")),
        apc_row("left", nhs_number=nhs(1), admission_date=day("2008-04-01"),
                discharge_date=day("2008-04-03")),
        apc_row("moved-in", nhs_number=nhs(4), admission_date=day("2008-05-01"),
                discharge_date=day("2008-05-02")),
    ]  # fmt: skip
    world.op = [
        op_row("other-pct", nhs_number=nhs(2)),
        op_row("billed-5P2", nhs_number=nhs(3), commissioner_code="5P2"),
        op_row("ours", nhs_number=nhs(3)),
        op_row("stranger", nhs_number=nhs(40)),
        op_row("invalid", nhs_number="123"),  # invalid numbers are the other rule's
    ]
    world.ae = [
        ae_row("ae-stranger", nhs_number=nhs(41)),
        ae_row("ae-ours", nhs_number=nhs(3)),
        ae_row("ae-before-move", nhs_number=nhs(4), arrival_date=day("2008-04-30")),
    ]
    out = world.find(engine, "not_registered_in_pct")
    assert flagged(out) == {"left", "other-pct", "billed-5P2", "stranger", "ae-stranger",
                            "ae-before-move"}  # fmt: skip
    assert out.loc["left", "dataset"] == "apc"
    assert out.loc["ae-stranger", "dataset"] == "ae"
    assert out.loc["other-pct", "amount"] == D("176.00")


def test_invalid_nhs_number(engine: Any, world: World) -> None:
    good = nhs(1)
    world.apc = [apc_row("missing", nhs_number=None), apc_row("good", nhs_number=good)]
    world.op = [
        op_row("checksum", nhs_number=good[:9] + str((int(good[9]) + 1) % 10)),
        op_row("same-digits", nhs_number="1111111111"),
        op_row("short", nhs_number="999000001"),
        op_row("letters", nhs_number="99900000AB"),
        op_row("spaced", nhs_number=f"{good[:3]} {good[3:6]} {good[6:]}"),  # valid, spaced
    ]
    world.ae = [ae_row("empty", nhs_number=""), ae_row("ae-good")]
    out = world.find(engine, "invalid_nhs_number")
    assert flagged(out) == {"missing", "checksum", "same-digits", "short", "letters", "empty"}
    assert out.loc["missing", "amount"] == D("2200.00")


def test_follow_up_without_first(engine: Any, world: World) -> None:
    fup = {"first_attendance": "2", "point_of_delivery": "OPFUP", "charged_price": D("93.50")}
    world.op = [
        op_row("first", attendance_date=day("2008-06-02")),
        op_row("fu-ok", attendance_date=day("2008-07-01"), **fup),
        op_row("fu-same-day", attendance_date=day("2008-06-02"), **fup),
        op_row("fu-other-provider", provider_code="RWH", attendance_date=day("2008-08-01"), **fup),
        op_row("fu-before", attendance_date=day("2008-05-01"), **fup),
        op_row("fu-other-tf", treatment_function_code="120", **fup),
        # a patient whose only first attendance was missed
        op_row("dna-first", nhs_number=nhs(2), attended_or_did_not_attend="3"),
        op_row("fu-after-dna", nhs_number=nhs(2), attendance_date=day("2008-07-01"), **fup),
        # a follow-up that was itself missed is not charged and not flagged
        op_row("fu-dna", nhs_number=nhs(3), attended_or_did_not_attend="7", **fup),
    ]
    out = world.find(engine, "follow_up_without_first")
    assert flagged(out) == {"fu-before", "fu-other-tf", "fu-after-dna"}
    assert out.loc["fu-before", "amount"] == D("93.50")


def test_op_procedure_as_day_case(engine: Any, world: World) -> None:
    proc = {"hrg_code": "BZ24Z", "charged_hrg_code": "BZ24Z", "procedure_flag": True}
    world.apc = [
        apc_row("dc", point_of_delivery="DC", charged_point_of_delivery="DC",
                admission_date=day("2008-06-01"), discharge_date=day("2008-06-01"),
                charged_price=D("770.00"), **proc),
        # BZ24Z had no outpatient procedure price in 2007/08
        apc_row("dc-0708", point_of_delivery="DC", charged_point_of_delivery="DC",
                admission_date=day("2008-01-10"), discharge_date=day("2008-01-10"),
                charged_price=D("742.50"), **proc),
        apc_row("hernia-dc", point_of_delivery="DC", charged_point_of_delivery="DC",
                admission_date=day("2008-06-01"), discharge_date=day("2008-06-01"),
                charged_price=D("1650.00")),
    ]  # fmt: skip
    out = world.find(engine, "op_procedure_as_day_case")
    assert flagged(out) == {"dc"}
    # 770.00 charged - 150.00 x 1.1 outpatient procedure price
    assert out.loc["dc", "amount"] == D("605.00")


def test_zero_day_elective_as_inpatient(engine: Any, world: World) -> None:
    zero = {"admission_date": day("2008-06-01"), "discharge_date": day("2008-06-01")}
    world.apc = [
        apc_row("el-zero", charged_point_of_delivery="EL", point_of_delivery="DC",
                charged_price=D("2200.00"), **zero),
        apc_row("dc-zero", charged_point_of_delivery="DC", point_of_delivery="DC",
                charged_price=D("1650.00"), **zero),
        apc_row("el-one", admission_date=day("2008-06-01"), discharge_date=day("2008-06-02")),
        apc_row("emergency-zero", admission_method="21", hrg_code="DZ22Z",
                charged_hrg_code="DZ22Z", point_of_delivery="NEL",
                charged_point_of_delivery="EL", age_on_admission=10, **zero),
    ]  # fmt: skip
    out = world.find(engine, "zero_day_elective_as_inpatient")
    assert flagged(out) == {"el-zero"}
    assert out.loc["el-zero", "amount"] == D("550.00")  # 2200.00 - 1500 x 1.1


def test_unsupported_excess_bed_days(engine: Any, world: World) -> None:
    long = {"admission_date": day("2008-06-01"), "discharge_date": day("2008-06-09")}  # 8 days
    world.apc = [
        # trim 5: 3 excess days allowed; 5 charged
        apc_row("over", charged_excess_bed_days=5, charged_price=D("3300.00"), **long),
        apc_row("exact", charged_excess_bed_days=3, charged_price=D("2860.00"), **long),
        apc_row("within-trim", charged_excess_bed_days=1),  # 4 days, trim 5
        # a day case has no trim point: any excess bed day is unsupported
        apc_row("dc", point_of_delivery="DC", charged_point_of_delivery="DC",
                admission_date=day("2008-06-01"), discharge_date=day("2008-06-01"),
                charged_excess_bed_days=1),
    ]  # fmt: skip
    out = world.find(engine, "unsupported_excess_bed_days")
    assert flagged(out) == {"over", "within-trim", "dc"}
    # (2000 + 3 x 200) x 1.1 = 2860.00 expected
    assert out.loc["over", "amount"] == D("440.00")


def test_short_stay_not_applied(engine: Any, world: World) -> None:
    emergency = {"admission_method": "21", "hrg_code": "DZ22Z", "charged_hrg_code": "DZ22Z",
                 "admission_date": day("2008-06-01"), "discharge_date": day("2008-06-02")}  # fmt: skip
    world.apc = [
        apc_row("full-price", point_of_delivery="NELST", charged_point_of_delivery="NEL",
                charged_price=D("2310.00"), **emergency),
        apc_row("adjusted", point_of_delivery="NELST", charged_point_of_delivery="NELST",
                charged_price=D("660.00"), **emergency),
        apc_row("child", point_of_delivery="NEL", charged_point_of_delivery="NEL",
                age_on_admission=10, charged_price=D("2310.00"), **emergency),
    ]  # fmt: skip
    out = world.find(engine, "short_stay_not_applied")
    assert flagged(out) == {"full-price"}
    assert out.loc["full-price", "amount"] == D("1650.00")  # 2310.00 - 600 x 1.1


def test_c2c_without_gp_approval(engine: Any, world: World) -> None:
    c2c = {"referral_source": "05"}
    world.op = [
        op_row("no-approval", gp_approval=None, **c2c),
        op_row("refused", gp_approval=False, **c2c),
        op_row("approved", gp_approval=True, **c2c),
        op_row("urgent", priority_type="2", **c2c),
        op_row("follow-up", first_attendance="2", point_of_delivery="OPFUP", **c2c),
        op_row("gp-referral", referral_source="03"),
    ]
    out = world.find(engine, "c2c_without_gp_approval")
    assert flagged(out) == {"no-approval", "refused"}
    assert out.loc["refused", "amount"] == D("176.00")


def _readmission_world(world: World) -> None:
    emergency = {"admission_method": "21", "hrg_code": "DZ22Z", "charged_hrg_code": "DZ22Z",
                 "point_of_delivery": "NEL", "charged_point_of_delivery": "NEL",
                 "charged_price": D("2310.00")}  # fmt: skip
    world.apc = [
        # patient 1: discharged 10 June; back as an emergency 30 and then 41 days later
        apc_row("p1-first", admission_date=day("2008-06-01"), discharge_date=day("2008-06-10")),
        apc_row("p1-day30", admission_date=day("2008-07-10"), discharge_date=day("2008-07-12"),
                **emergency),
        apc_row("p1-late", admission_date=day("2008-08-23"), discharge_date=day("2008-08-25"),
                **emergency),  # 42 days after 12 July
        # patient 2: 31 days
        apc_row("p2-first", nhs_number=nhs(2), admission_date=day("2008-06-01"),
                discharge_date=day("2008-06-10")),
        apc_row("p2-day31", nhs_number=nhs(2), admission_date=day("2008-07-11"),
                discharge_date=day("2008-07-12"), **emergency),
        # patient 3: the first spell was maternity; patient 4: died... then a cancer readmission
        apc_row("p3-birth", nhs_number=nhs(3), admission_method="31",
                admission_date=day("2008-06-01"), discharge_date=day("2008-06-03")),
        apc_row("p3-back", nhs_number=nhs(3), admission_date=day("2008-06-10"),
                discharge_date=day("2008-06-12"), **emergency),
        apc_row("p4-first", nhs_number=nhs(4), admission_date=day("2008-06-01"),
                discharge_date=day("2008-06-03")),
        apc_row("p4-cancer", nhs_number=nhs(4), admission_date=day("2008-06-10"),
                discharge_date=day("2008-06-12"), **{**emergency, "primary_diagnosis_code": "C34.1"}),
        # patient 5: a child of 3; and an elective readmission is not an emergency
        apc_row("p5-first", nhs_number=nhs(5), age_on_admission=3,
                admission_date=day("2008-06-01"), discharge_date=day("2008-06-03")),
        apc_row("p5-child", nhs_number=nhs(5), age_on_admission=3,
                admission_date=day("2008-06-10"), discharge_date=day("2008-06-12"), **emergency),
        apc_row("p5-elective", nhs_number=nhs(5), age_on_admission=3,
                admission_date=day("2008-06-20"), discharge_date=day("2008-06-22")),
        # patient 6: admitted the same day as a zero-day spell ended
        apc_row("p6-dc", nhs_number=nhs(6), admission_date=day("2008-06-01"),
                discharge_date=day("2008-06-01"), point_of_delivery="DC",
                charged_point_of_delivery="DC"),
        apc_row("p6-same-day", nhs_number=nhs(6), admission_date=day("2008-06-01"),
                discharge_date=day("2008-06-04"), **emergency),
    ]  # fmt: skip


def test_emergency_readmission_information_before_april_2011(engine: Any, world: World) -> None:
    _readmission_world(world)
    out = world.find(engine, "emergency_readmission_30d")
    assert flagged(out) == {"p1-day30", "p6-same-day"}
    # 2008 is before the non-payment rule: information for the practice, nothing at stake
    assert not out["in_force"].any()
    assert set(out["amount"]) == {D("0.00")}


def test_emergency_readmission_with_date_overridden(engine: Any, world: World) -> None:
    _readmission_world(world)
    settings = v.DEFAULT_SETTINGS.override_in_force(
        "emergency_readmission_30d", (v.Period(dt.date(2008, 1, 1)),)
    )
    out = world.find(engine, "emergency_readmission_30d", settings)
    assert flagged(out) == {"p1-day30", "p6-same-day"}
    assert out["in_force"].all()
    assert out.loc["p1-day30", "amount"] == D("2310.00")


def test_over_cap_follow_up_ratio(engine: Any, world: World) -> None:
    fup = {"first_attendance": "2", "point_of_delivery": "OPFUP", "charged_price": D("93.50")}
    # 2 attended firsts, cap 1.5: 3 follow-ups allowed; 5 attended follow-ups, 1 missed
    world.op = [
        op_row("f1", nhs_number=nhs(1)),
        op_row("f2", nhs_number=nhs(2)),
        op_row("f3-dna", nhs_number=nhs(3), attended_or_did_not_attend="3"),
        op_row("u1", attendance_date=day("2008-07-01"), **fup),
        op_row("u2", attendance_date=day("2008-08-01"), **fup),
        op_row("u3", attendance_date=day("2008-09-01"), **fup),
        op_row("u4", attendance_date=day("2008-10-01"), **fup),
        op_row("u5a", attendance_date=day("2008-11-01"), **fup),
        op_row("u5b", attendance_date=day("2008-11-01"), **fup),
        op_row("u6-dna", attendance_date=day("2008-12-01"), attended_or_did_not_attend="7",
               **fup),
        # another provider: 1 first, 1 follow-up, within its cap
        op_row("x1", provider_code="RWH"),
        op_row("x2", provider_code="RWH", attendance_date=day("2008-11-01"), **fup),
        # another financial year (no cap agreed for it): never over the cap
        op_row("y1", attendance_date=day("2009-05-01"), **fup),
    ]  # fmt: skip
    out = world.find(engine, "over_cap_follow_up_ratio")
    # F = 6, allowed floor(1.5 x 2) = 3: the three latest (by date, then id)
    assert flagged(out) == {"u4", "u5a", "u5b"}
    assert out.loc["u4", "amount"] == D("93.50")


def test_high_cost_activity_threshold_is_configurable(engine: Any, world: World) -> None:
    world.apc = [
        apc_row("over", charged_price=D("3000.01")),
        apc_row("at", charged_price=D("3000.00")),
        apc_row("mid", charged_price=D("2500.00")),
    ]
    world.op = [op_row("op-over", charged_price=D("3100.00"))]
    world.ae = [ae_row("ae-low")]
    out = world.find(engine, "high_cost_activity")
    assert flagged(out) == {"over", "op-over"}
    assert out.loc["over", "amount"] == D("3000.01")
    lower = v.ValidationSettings(high_cost_threshold=D("2000.00"))
    assert flagged(world.find(engine, "high_cost_activity", lower)) == {
        "over", "at", "mid", "op-over",
    }  # fmt: skip


def test_findings_carry_the_stable_key_and_month_filter(engine: Any, world: World) -> None:
    world.apc = [
        apc_row("june", nhs_number=None, discharge_date=day("2008-06-30")),
        apc_row("july", nhs_number=None, admission_date=day("2008-06-28"),
                discharge_date=day("2008-07-02")),
    ]  # fmt: skip
    out = world.find(engine, "invalid_nhs_number", month=dt.date(2008, 7, 1))
    assert flagged(out) == {"july"}  # invoiced in the month of discharge
    row = out.loc["july"]
    assert (row["rule_id"], row["dataset"], row["provider_code"], row["gp_practice_code"]) == (
        "invalid_nhs_number", "apc", "RWG", "E82001",
    )  # fmt: skip
    assert row["activity_date"] == dt.date(2008, 6, 28)
    assert row["month"] == dt.date(2008, 7, 1)


def test_rules_reuse_a_precomputed_nhs_check(engine: Any, world: World) -> None:
    """`warehouse_inputs(cache=True)` works out each activity row's NHS number check once (the
    `_nhs_ok` column): the rules use that column instead of checking again, with the same
    findings as without it."""
    good = nhs(1)
    world.apc = [
        apc_row("missing", nhs_number=None),
        apc_row("s1", admission_date=day("2008-06-01"), discharge_date=day("2008-06-05")),
        apc_row("s2", admission_date=day("2008-06-03"), discharge_date=day("2008-06-04")),
    ]
    world.op = [
        op_row("checksum", nhs_number=good[:9] + str((int(good[9]) + 1) % 10)),
        op_row("spaced", nhs_number=f"{good[:3]} {good[3:6]} {good[6:]}"),
        op_row("fu", first_attendance="2", point_of_delivery="OPFUP"),
    ]
    world.ae = [ae_row("empty", nhs_number=""), ae_row("ae-good")]
    plain = world.inputs(engine)
    checked = v.Inputs(
        **{
            **plain.__dict__,
            **{d: v.with_nhs_check(plain.activity(d)) for d in ("apc", "op", "ae")},
        }
    )
    key = ["rule_id", "dataset", "row_id", "amount"]
    without = engine.execute(v.find(plain)).sort_values(key).reset_index(drop=True)
    with_check = engine.execute(v.find(checked)).sort_values(key).reset_index(drop=True)
    assert len(without) > 0 and without.equals(with_check)
    # The column is taken as it stands: marking every op row valid hides the bad checksum.
    trusted = checked.op.mutate(_nhs_ok=True)
    found = engine.execute(
        v.find(v.Inputs(**{**checked.__dict__, "op": trusted}), rule_ids=["invalid_nhs_number"])
    )
    assert "checksum" not in set(found.row_id) and "empty" in set(found.row_id)
