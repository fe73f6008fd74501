"""Demo plans: both seed plans imported, ten months of progress, Dacorum's business cases.

`load(scale)` is idempotent: the imports come back "unchanged", and progress and business cases
are only written when the plan has none yet.

Progress (April 2008 to January 2009) is deterministic: each milestone gets a "profile" from a
hash of its plan and number: most go green and complete by their due date, some slip to amber
and recover, some slip to amber late (amber at the last update), a few go red and end up
overdue. Updates are recorded through
`actions.record_milestone_update` by the locality's demo manager, dated in the first days of the
following month. At test scale every third milestone is tracked, to keep the test session fast.

The business cases follow the Dacorum plan: the counselling LES approved by the PBC Governance
Subcommittee on 4 March 2008, the Enhanced Primary Mental Health Service on 29 April 2008
(promising about 35% fewer referrals to secondary mental health care), and the End of Life care
LES submitted on 26 June 2008. Their costs, savings and baselines are illustrative demo figures:
the plan does not give them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from pbc import plans
from pbc.demo import measures
from pbc.orgs.models import Locality
from pbc.periods import add_months
from pbc.plans import actions
from pbc.plans.models import (
    BusinessCase,
    Milestone,
    MilestoneUpdate,
    Objective,
    Plan,
)
from pbc.plans.reading import read_plan
from pbc.synth import geography

SEEDS = {
    "dacorum": ("dacorum-2008-09.txt", "locality"),
    "welwyn-hatfield": ("welwyn-hatfield-2008-09.txt", "wh-locality"),
}
FIRST_MONTH = dt.date(2008, 4, 1)
LAST_MONTH = dt.date(2009, 1, 1)

COMMENTS = {
    "green": [
        "On track: project group met this month and actions agreed.",
        "Progress as planned; practices engaged and data returns received.",
        "Work continuing to plan; next steps agreed with the PCT commissioning lead.",
    ],
    "amber": [
        "Some slippage: awaiting PCT sign-off before the next step.",
        "Delayed by provider capacity; recovery plan agreed with the lead.",
    ],
    "red": [
        "Behind plan: funding not yet confirmed by the PCT; escalated to the Executive Board.",
        "At risk: provider has not agreed the service specification.",
    ],
    "complete": ["Completed; evidence filed with the locality office."],
    "not_started": ["Not started yet: depends on earlier milestones."],
}


def seed_bytes(filename: str) -> bytes:
    return (Path(plans.__file__).parent / "seeds" / filename).read_bytes()


def pick(key: str, n: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % n


def trajectory(milestone: Milestone, key: str) -> list[tuple[dt.date, str]]:
    """The (month, status) updates of one milestone, April 2008 to January 2009."""
    start = add_months(FIRST_MONTH, pick(key + "start", 3))
    due = milestone.due_date or dt.date(2009, 3, 31)
    due_month = due.replace(day=1)
    # 0-5 on track, 6 wobbles and recovers, 7 slips late (amber at the last update unless
    # complete), 8-9 slipping to red.
    profile = pick(key + "profile", 10)
    updates = []
    month = start
    while month <= LAST_MONTH:
        if profile <= 5:
            status = "complete" if month >= due_month else "green"
        elif profile == 7:
            status = (
                "complete"
                if month >= add_months(due_month, 1)
                else "amber"
                if month >= add_months(LAST_MONTH, -2)
                else "green"
            )
        elif profile == 6:
            midway = add_months(start, 2)
            status = (
                "complete"
                if month >= add_months(due_month, 1)
                else "amber"
                if midway <= month < add_months(midway, 2)
                else "green"
            )
        else:
            status = "red" if month >= add_months(start, 3) else "amber"
        updates.append((month, status))
        if status == "complete":
            break
        month = add_months(month, 1)
    return updates


def import_seed_plans() -> list[Plan]:
    plans = []
    users = get_user_model().objects
    for slug, (filename, username) in SEEDS.items():
        locality = Locality.objects.get(slug=slug)
        source = seed_bytes(filename)
        parsed = read_plan(source, filename=filename)
        user = users.filter(username=username).first()
        plans.append(actions.import_plan(user, locality, parsed, source, filename=filename).plan)
    return plans


def record_progress(plan: Plan, username: str, scale: str) -> int:
    if MilestoneUpdate.objects.filter(milestone__objective__plan=plan).exists():
        return 0
    user = get_user_model().objects.get(username=username)
    milestones = Milestone.objects.filter(objective__plan=plan).select_related("objective__plan")
    step = 3 if scale == "test" else 1
    written = 0
    for i, milestone in enumerate(milestones.order_by("objective__number", "number")):
        if i % step:
            continue
        key = f"{plan.slug}-{milestone.ref}"
        for month, status in trajectory(milestone, key):
            comments = COMMENTS[status]
            recorded = timezone.make_aware(dt.datetime.combine(add_months(month, 1), dt.time(10)))
            recorded += dt.timedelta(days=pick(key + str(month), 6))
            actions.record_milestone_update(
                user,
                milestone,
                based_on_version=milestone.version,
                month=month,
                status=status,
                commentary=comments[pick(key + status + str(month), len(comments))],
                private=status == "red" and pick(key + "private", 2) == 0,
                recorded_at=recorded,
            )
            written += 1
    return written


def objective_mentioning(plan: Plan, words: str) -> Objective | None:
    return plan.objectives.filter(title__icontains=words).order_by("number").first()


def load_business_cases(plan: Plan) -> None:
    locality = plan.locality
    if locality.business_cases.exists():
        return
    user = get_user_model().objects.filter(username="locality").first()
    actions.set_fast_track_threshold(
        user,
        dt.date(2008, 1, 1),
        Decimal("100000"),
        Decimal("0.50"),
        note="West Herts PBC Governance Subcommittee fast track: under £100,000 or 50p per patient",
    )
    population = geography.locality(locality.slug).population
    counselling = actions.create_business_case(
        user,
        locality,
        ref="dacorum-counselling-les",
        service="Counselling Local Enhanced Service (redesign)",
        annual_cost=Decimal("85000.00"),
        expected_savings=Decimal("40000.00"),
        population_covered=population,
        objective=objective_mentioning(plan, "Counselling"),
        benefit_measure="Referrals to secondary care psychology and counselling (not quantified in the plan)",
    )
    actions.submit_business_case(user, counselling, dt.date(2008, 2, 19))
    actions.decide_business_case(
        user,
        counselling,
        approved=True,
        on=dt.date(2008, 3, 4),
        notes="Approved by the PBC Governance Subcommittee on 4 March 2008.",
    )
    actions.mark_business_case_implemented(user, counselling, dt.date(2008, 6, 30))

    mental_health = actions.create_business_case(
        user,
        locality,
        ref="dacorum-epmhs",
        service="Enhanced Primary Mental Health Service (EPMHS)",
        annual_cost=Decimal("420000.00"),
        expected_savings=Decimal("310000.00"),
        population_covered=population,
        objective=objective_mentioning(plan, "Mental Health"),
        benefit_measure="Referrals to secondary care mental health services per year",
        expected_change_percent=Decimal("-35.0"),
        baseline_value=Decimal("1200"),
    )
    actions.submit_business_case(user, mental_health, dt.date(2008, 4, 15))
    actions.decide_business_case(
        user,
        mental_health,
        approved=True,
        on=dt.date(2008, 4, 29),
        notes="EPMHS business case approved by the PBC Governance Subcommittee on 29 April 2008.",
    )

    end_of_life = actions.create_business_case(
        user,
        locality,
        ref="dacorum-end-of-life-les",
        service="End of Life care Local Enhanced Service",
        annual_cost=Decimal("60000.00"),
        expected_savings=Decimal("45000.00"),
        population_covered=population,
        objective=objective_mentioning(plan, "End of Life"),
        benefit_measure="Hospital deaths of patients on the palliative care register",
    )
    actions.submit_business_case(
        user, end_of_life, dt.date(2008, 6, 26), decision_due_on=dt.date(2008, 6, 26)
    )


@transaction.atomic
def load(scale: str = "full", report: Callable[[str], None] = print) -> None:
    """Import both seed plans, record demo progress and the Dacorum business cases."""
    plans = import_seed_plans()
    users = get_user_model().objects
    for plan in plans:
        measures.link_declared(plan, users.get(username=SEEDS[plan.locality.slug][1]))
    written = sum(record_progress(plan, SEEDS[plan.locality.slug][1], scale) for plan in plans)
    dacorum = next(p for p in plans if p.locality.slug == "dacorum")
    load_business_cases(dacorum)
    report(
        f"plans loaded: {len(plans)} plans, {written} milestone updates written, "
        f"{BusinessCase.objects.filter(locality=dacorum.locality).count()} business cases"
    )


# Dacorum's 2008/09 meetings (after the finance demo: they name its contracts). Each:
# (kind, held on, title, attendees, items); an item is (kind, text, owner, due, done, concerns),
# concerns naming an objective (words in its title), a contract (provider code) or an indicator.
DEMO_MEETINGS = [
    ("sla_review", dt.date(2008, 9, 16), "West Hertfordshire Hospitals NHS Trust",
     [("Dr Ann Lead", "DacCom GP lead"), ("Lee Manager", "Locality manager"),
      ("Jenny Greenshield", "PCT finance"), ("Sam Contracts", "WHHT contract manager")],
     [("decision", "Physiotherapy activity leaves the block part of the SLA from 1 October 2008; "
       "any willing provider at an agreed cost per case takes over", "", None, None,
       {"contract": "RWG"}),
      ("action", "Send WHHT the physiotherapy service specification and the cost per case",
       "DacCom project lead", dt.date(2008, 9, 30), dt.date(2008, 9, 26), {"objective": "Physiotherapy"}),
      ("action", "Agree the block's year-to-date reconciliation for physiotherapy",
       "PCT contracts team", dt.date(2008, 12, 19), None, {"contract": "RWG"})]),
    ("hot_topics", dt.date(2008, 11, 12), "Diabetes care pathway",
     [("Dr Ann Lead", "DacCom GP lead"), ("Lee Manager", "Locality manager"),
      ("Practice diabetes leads", "GP practices")],
     [("decision", "Practices adopt the redesigned diabetes pathway from January 2009", "", None,
       None, {"objective": "Diabetes"}),
      ("action", "Offer every diabetic patient retinal screening and record it",
       "Practice diabetes leads", dt.date(2009, 3, 31), None,
       {"objective": "Diabetes", "indicator": "retinal-screening"})]),
    ("prescribing_leads", dt.date(2008, 12, 3), "Antibiotic prescribing",
     [("Dr Pat Prescriber", "Locality prescribing lead"), ("PCT prescribing adviser", "PCT prescribing team")],
     [("action", "Locality interim audit of cephalosporin and quinolone prescribing",
       "Practice prescribing leads", dt.date(2009, 1, 15), None,
       {"indicator": "antibiotics-cephalosporins-quinolones"})]),
]  # fmt: skip


def load_meetings(report: Callable[[str], None] = print) -> int:
    """Dacorum's demo meetings, replaced on each run (recorded by the locality's manager)."""
    from pbc.finance.queries import contracts_of
    from pbc.plans import meetings
    from pbc.plans.models import Meeting

    locality = Locality.objects.filter(slug="dacorum").first()
    user = get_user_model().objects.filter(username="locality").first()
    plan = locality.plans.filter(financial_year="2008/09").first() if locality else None
    if locality is None or user is None or plan is None:
        return 0
    contracts = contracts_of(locality.pct.code)
    with transaction.atomic():
        Meeting.objects.filter(
            locality=locality, held_on__in=[m[1] for m in DEMO_MEETINGS]
        ).delete()
        for kind, held_on, title, attendees, items in DEMO_MEETINGS:
            recorded = []
            for item_kind, text, owner, due, _done, about in items:
                objective = (
                    objective_mentioning(plan, about["objective"]) if "objective" in about else None
                )
                contract = next(
                    (pk for pk, label in contracts.items()
                     if label.startswith(f"{about['contract']} 2008/09 Acute")),
                    None,
                ) if "contract" in about else None  # fmt: skip
                recorded.append(
                    meetings.ItemIn(
                        item_kind, text, owner, due,
                        objective_number=objective.number if objective else None,
                        contract_id=contract, indicator_id=about.get("indicator", ""),
                    )
                )  # fmt: skip
            meeting = meetings.record_meeting(
                user, locality, kind, held_on, attendees, recorded, title
            )
            for stored, (_k, _t, _o, _d, done, _a) in zip(
                meeting.items.order_by("pk"), items, strict=True
            ):
                if done is not None:
                    meetings.complete_action(user, stored, done)
    report(f"meetings: {len(DEMO_MEETINGS)} Dacorum meetings with their decisions and actions")
    return len(DEMO_MEETINGS)
