"""Patient rules on rows that carry a pseudonymised patient id instead of an NHS number (HES /
SUS extracts), on every engine: patients are matched by pseudonym as they were by number, and
the NHS number and registration rules do not apply (no finding), never flag every such row."""

from __future__ import annotations

from typing import Any

from validation.world import World, apc_row, day, nhs, op_row


def flagged(frame: Any) -> set[str]:
    return set(frame.index)


def pseudo(name: str) -> dict[str, Any]:
    return {"nhs_number": None, "patient_pseudonym": name}


def test_duplicate_spell_matches_patients_by_pseudonym(engine: Any, world: World) -> None:
    world.apc = [
        apc_row("p1", admission_date=day("2008-06-01"), discharge_date=day("2008-06-05"),
                **pseudo("TESTa")),
        # the same pseudonymised patient, overlapping p1: a duplicate
        apc_row("p2", admission_date=day("2008-06-03"), discharge_date=day("2008-06-04"),
                **pseudo("TESTa")),
        # another pseudonymised patient overlapping p1: not a duplicate
        apc_row("p3", admission_date=day("2008-06-02"), **pseudo("TESTb")),
        # an NHS-numbered patient overlapping p1: never matched to a pseudonym
        apc_row("n1", admission_date=day("2008-06-02")),
        # a pseudonym that spells an NHS number is still not that number's patient
        apc_row("p4", admission_date=day("2008-06-02"), **pseudo(nhs(1))),
    ]  # fmt: skip
    assert flagged(world.find(engine, "duplicate_spell")) == {"p2"}


def test_nhs_number_and_registration_rules_do_not_apply_to_pseudonymised_rows(
    engine: Any, world: World
) -> None:
    world.apc = [
        apc_row("pseudonymised", **pseudo("TESTa")),
        apc_row("missing", nhs_number=None),  # no NHS number and no pseudonym: flagged
    ]
    world.op = [op_row("stranger", nhs_number=nhs(40)), op_row("op-pseudo", **pseudo("TESTc"))]
    assert flagged(world.find(engine, "invalid_nhs_number")) == {"missing"}
    assert flagged(world.find(engine, "not_registered_in_pct")) == {"stranger"}
