"""The two seed plans (issue 4, "Must show"): objectives per section, leads, timescales, unplaced."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

import pbc.plans
from pbc.plans.reading import ParsedObjective, ParsedPlan, read_plan

SEEDS = Path(pbc.plans.__file__).parent / "seeds"


@pytest.fixture(scope="module")
def welwyn() -> ParsedPlan:
    return read_plan(SEEDS / "welwyn-hatfield-2008-09.txt")


@pytest.fixture(scope="module")
def dacorum() -> ParsedPlan:
    return read_plan(SEEDS / "dacorum-2008-09.txt")


def objective(plan: ParsedPlan, title_start: str) -> ParsedObjective:
    found = [o for o in plan.objectives if o.title.startswith(title_start)]
    assert len(found) == 1, f"{title_start!r} matches {len(found)} objectives"
    return found[0]


# -- Welwyn Hatfield: Word text export, a tab starts each cell ---------------------------------


def test_welwyn_hatfield_has_4_national_and_12_local_objectives(welwyn: ParsedPlan) -> None:
    assert welwyn.sections == ["National Priorities", "Local Priorities"]
    assert len(welwyn.objectives_in("National Priorities")) == 4
    assert len(welwyn.objectives_in("Local Priorities")) == 12


def test_welwyn_hatfield_places_every_fragment(welwyn: ParsedPlan) -> None:
    assert welwyn.unplaced == []
    assert welwyn.to_json()["unplaced"] == []


def test_welwyn_hatfield_leads_and_timescales_are_on_the_right_objective(
    welwyn: ParsedPlan,
) -> None:
    asr = objective(welwyn, "Acute Services Review (ASR)")
    assert asr.leads == ["Peter Shilliday/Locality"]
    assert asr.timescale == "April 2009"
    assert asr.due_dates == [dt.date(2009, 4, 30)]
    assert asr.title.split("\n")[1].startswith("The locality plans to be very involved")

    herts = objective(welwyn, "Hertfordshire wide service models")
    assert herts.leads == ["Locality leads"]
    assert herts.timescale == "ongoing"
    assert herts.due_dates == []
    assert herts.actions[1].startswith("Work collaboratively with and across E&N Herts")
    assert herts.outcomes == [
        "Appropriate and equitable care closer to home",
        "Reduction in referrals to secondary care",
    ]

    mrsa = objective(welwyn, "reductions in MRSA rates")
    assert (mrsa.leads, mrsa.timescale) == (["Locality"], "March 2011")
    assert mrsa.outcomes == ["Reduction in anti-biotic prescribing"]

    money = objective(welwyn, "Achieving financial health")
    assert money.timescale == "March 2009"  # written "March  2009" in the document
    assert money.due_dates == [dt.date(2009, 3, 31)]

    provider = objective(welwyn, "Provider Services")
    assert provider.leads == ["Board and Provider Services"]


def test_welwyn_hatfield_leg_ulcer_date_before_the_year_is_kept_and_warned(
    welwyn: ParsedPlan,
) -> None:
    leg_ulcer = objective(welwyn, "Leg Ulcer services")
    assert leg_ulcer.timescale == "March 2008"
    assert leg_ulcer.due_dates == [dt.date(2008, 3, 31)]
    assert len(welwyn.warnings) == 1
    assert "Leg Ulcer services" in welwyn.warnings[0]
    assert "2008-03-31" in welwyn.warnings[0] and "2008/09" in welwyn.warnings[0]


def test_the_financial_year_is_a_parameter() -> None:
    plan = read_plan(SEEDS / "welwyn-hatfield-2008-09.txt", financial_year="2007/08")
    assert plan.warnings == []
    later = read_plan(SEEDS / "welwyn-hatfield-2008-09.txt", financial_year="2009/10")
    # all but "ongoing", "April 2009" and "March 2011" are now before the year starts
    assert len(later.warnings) == 13


# -- Dacorum: PDF text export, tab-separated columns -------------------------------------------


def test_dacorum_has_13_national_and_regional_and_19_local_objectives(dacorum: ParsedPlan) -> None:
    assert dacorum.sections == ["National & Regional Priorities", "Local Priorities"]
    assert len(dacorum.objectives_in("National & Regional Priorities")) == 13
    assert len(dacorum.objectives_in("Local Priorities")) == 19


def test_dacorum_stroke_heart_disease_and_cancer_rows_are_one_objective(
    dacorum: ParsedPlan,
) -> None:
    ensure = objective(dacorum, "Ensure fewer people suffer from")
    actions = " / ".join(ensure.actions)
    assert "improve stroke services" in actions
    assert "improve the care of patients with heart disease" in actions
    assert "Work with the PCT and the Local Cancer Network to give attention to prevention" in (
        actions
    )
    assert ensure.leads[0].endswith(
        "The nominated lead for all these disease areas is Dr Trevor Fernandes"
    )
    assert "Compliance with the Cancer Reform Strategy" in ensure.outcomes
    assert not [o for o in dacorum.objectives if o.title.startswith("Work with the PCT")]


def test_dacorum_darzi_centre_row_belongs_to_the_access_objective(dacorum: ParsedPlan) -> None:
    access = objective(dacorum, "Improving access through achievement of the 18 week")
    assert access.actions[1].startswith(
        'Commissioning input to the co-located GP Health Centre ("Darzi'
    )
    assert access.leads == ["DacCom", "DacCom and Locality"]
    assert access.timescale == "Dec 2008; March 2009"
    assert access.due_dates == [dt.date(2008, 12, 31), dt.date(2009, 3, 31)]


def test_dacorum_childrens_services_sub_rows_are_actions_of_one_objective(
    dacorum: ParsedPlan,
) -> None:
    children = objective(dacorum, "PBC Commissioning input into PCT Commissioning of Children's")
    starts = [a.split()[0] for a in children.actions]
    assert starts[:5] == ["Aiming", "Child", "Looked", "Every", "Children's"]
    assert any(a.startswith("Introduction of HPV vaccine") for a in children.actions)
    assert any(a.startswith("PCT to implement the Bercow review") for a in children.actions)
    assert children.leads == ["DacCom project leads"]
    assert children.due_dates == [dt.date(2009, 12, 31)]
    for title_start in ("Child death review", "Every child matters", "Childhood obesity"):
        assert not [o for o in dacorum.objectives if o.title.startswith(title_start)]


def test_dacorum_objective_cells_split_across_page_breaks_are_rejoined(dacorum: ParsedPlan) -> None:
    titles = [o.title for o in dacorum.objectives]
    assert (
        "Redesign COPD services and pathways of care, where appropriate moving services from "
        "acute to primary care, and commission care closer to home"
    ) in titles
    counselling = objective(dacorum, "Improve primary care Counselling Services")
    assert counselling.title.endswith(
        "Local Enhanced Service, which provides direct access to in-house counselling services"
    )
    assert counselling.timescale == "June 2008"  # on the line after the page break
    end_of_life = objective(dacorum, "Improve End of Life primary care provision")
    assert "access to a an End of Life Local Enhanced Service" in end_of_life.title
    assert not [t for t in titles if t[0].islower()]


def test_dacorum_leads_and_timescales_are_on_the_right_objective(dacorum: ParsedPlan) -> None:
    asr = objective(dacorum, "Acute Services Review (ASR)")
    assert asr.timescale == "2009 October 2008; October 2008"
    assert asr.due_dates == [dt.date(2009, 12, 31), dt.date(2008, 10, 31)]
    assert asr.leads == ["DacCom project leads"]

    flu = objective(dacorum, "Preparing to respond in a state of emergency")
    assert flu.leads == [
        "DacCom working with the PCT, Locality and local emergency planning committees"
    ]
    assert flu.due_dates == [dt.date(2008, 12, 31)]

    keeping_well = objective(dacorum, "Keeping adults and children well")
    assert keeping_well.leads == ["DacCom working with the PCT and local partners", "Locality"]
    assert keeping_well.timescale == "March 2009"  # also written ", March 2009" in a shifted row

    money = objective(dacorum, "Achieving financial health")
    assert money.leads == ["DacCom and Locality"]
    assert any(a.startswith("Revisit data collection") for a in money.actions)
    assert any(o.startswith("Jenny Greenshield's (PCT Finance)") for o in money.outcomes)

    ophthalmology = objective(dacorum, "Redesign Ophthalmology services")
    assert ophthalmology.due_dates == [dt.date(2008, 6, 30)]
    mental_health = objective(dacorum, "Redesign Enhanced Primary Mental Health Service")
    assert mental_health.due_dates == [dt.date(2008, 10, 31)]
    assert any("by about 35%" in o for o in mental_health.outcomes)

    level_3 = objective(dacorum, "DacCom to maintain its PBC Level 3 status")
    assert (level_3.leads, level_3.timescale, level_3.due_dates) == (["DacCom"], "Ongoing", [])
    prescribing = objective(dacorum, "Prescribing")
    assert prescribing.timescale == "Ongoing"
    assert dacorum.warnings == []


def test_dacorum_unplaced_fragments_are_listed_and_under_5_percent(dacorum: ParsedPlan) -> None:
    texts = [f.text for f in dacorum.unplaced]
    assert "ied" in texts and "d" in texts  # halves of words cut by a column boundary
    assert any(t.startswith("comprehensiv screening prog") for t in texts)
    assert any(set(t) == {"-"} for t in texts)  # the rule drawn across the page
    assert all(f.location.startswith("line ") and f.reason for f in dacorum.unplaced)
    assert 0 < dacorum.unplaced_share < 0.05
    print(f"Dacorum unplaced: {len(texts)} fragments, {dacorum.unplaced_share:.2%} of the text")


@pytest.mark.parametrize("name", ["dacorum-2008-09.txt", "welwyn-hatfield-2008-09.txt"])
def test_no_word_of_a_seed_is_lost(name: str) -> None:
    """Every word of the document is in a field or in the unplaced list."""
    text = (SEEDS / name).read_text(encoding="utf-8")
    plan = read_plan(SEEDS / name)
    placed = [plan.title, *plan.sections]
    for o in plan.objectives:
        placed += [o.title, *o.actions, *o.milestones, *o.leads, *o.timescales, *o.outcomes]
    placed += [f.text for f in plan.unplaced]
    header = Counter(["Objective/Priority", "Action", "Milestones", "Lead", "Timescale", "Outcome"])
    expected = Counter(text.split()) - Counter(
        {w: n * plan_headers(text) for w, n in header.items()}
    )
    found = Counter(word for piece in placed for word in piece.split())
    missing = expected - found
    # Only repeats are merged: a lead or timescale written again in a sub-row is kept once.
    repeated = {w for o in plan.objectives for v in o.leads + o.timescales for w in v.split()}
    assert set(missing) <= repeated | {","}, missing


def plan_headers(text: str) -> int:
    """How many times the header row is written (one line, or six tab-started lines)."""
    return text.count("Objective/Priority")


def test_json_shape(dacorum: ParsedPlan) -> None:
    data = dacorum.to_json()
    assert set(data) == {"objectives", "unplaced"}
    first = data["objectives"][0]
    assert set(first) == {
        "section",
        "title",
        "actions",
        "milestones",
        "leads",
        "timescale",
        "due_dates",
        "outcomes",
    }
    assert first["due_dates"] == ["2008-12-31", "2009-03-31"]
    assert set(data["unplaced"][0]) == {"text", "location", "reason"}
    assert "warnings" in dacorum.to_json(with_warnings=True)
