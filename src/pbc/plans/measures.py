"""Linking a plan's outcomes (and milestones that state a number) to catalogue indicators.

- `link_measure` / `unlink_measure`: one link (subject, indicator, the target as the plan states
  it), each in a transaction and audited ("create" / "delete" with the link before or after).
- `carry_forward`: when a plan is imported, links of the locality's previous plan (the year
  before, or the same plan's links before a re-import replaced it) are copied to the subjects
  of the new plan whose text is the same once spacing, case and punctuation are set aside.
  Each copy is audited and names the plan it came from (`MeasureLink.carried_from`).
- `subjects` / `suggestions`: what the linking page lists, with indicators suggested from the
  subject's words (`pbc.plans.suggest`).

Milestones are offered for linking only where their text states a number other than a date
(`states_a_number`): "90% of patients", "1460 reduction", not "by May 2008".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from pbc.indicators.queries import indicator_catalogue
from pbc.orgs import audit
from pbc.plans.models import MeasureLink, Milestone, Outcome, Plan
from pbc.plans.suggest import Candidate, Suggestion, suggest

MONTHS = (
    "jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(tember)?|"
    "oct(ober)?|nov(ember)?|dec(ember)?"
)
DATES = re.compile(
    rf"\b\d{{1,2}}(st|nd|rd|th)?\s+({MONTHS})\b|\b({MONTHS})\s+\d{{4}}\b|\b(19|20)\d\d(/\d\d?)?\b|"
    r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{1,2}(\.\d\d)?\s*(hours|hrs|am|pm)\b|\b20/20\b",
    re.IGNORECASE,
)
NUMBER = re.compile(r"\d")


class MeasureRefused(ValueError):
    """The link breaks a rule: the message says which."""


def states_a_number(text: str) -> bool:
    """True when the text states a number that is not a date, year or time of day."""
    return bool(NUMBER.search(DATES.sub(" ", text)))


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9%£]+", " ", text.lower()).split())


def summary(link: MeasureLink) -> dict[str, Any]:
    return {
        "subject": link.subject_ref,
        "plan": link.subject.objective.plan.slug,
        "indicator_id": link.indicator_id,
        "target": link.target,
        "carried_from": link.carried_from,
    }


@transaction.atomic
def link_measure(
    user: Any,
    subject: Outcome | Milestone,
    indicator_id: str,
    target: str,
    *,
    carried_from: str = "",
) -> MeasureLink:
    """Link the outcome or milestone to a catalogue indicator with the plan's target; linking
    the same indicator again changes the target."""
    indicator_id, target = indicator_id.strip(), " ".join(target.split())
    if indicator_id not in indicator_catalogue():
        raise MeasureRefused(f"no indicator {indicator_id!r} in the catalogue")
    if not target:
        raise MeasureRefused("give the target as the plan states it")
    if len(target) > 200:
        raise MeasureRefused("the target is longer than 200 characters")
    if isinstance(subject, Milestone) and not states_a_number(subject.text):
        raise MeasureRefused(f"milestone {subject.ref} states no number to measure")
    key = {"outcome": subject} if isinstance(subject, Outcome) else {"milestone": subject}
    link = MeasureLink.objects.select_for_update().filter(indicator_id=indicator_id, **key).first()
    before = summary(link) if link else None
    if link is None:
        link = MeasureLink(indicator_id=indicator_id, **key)
    link.target, link.carried_from = target, carried_from
    link.linked_by = user if getattr(user, "is_authenticated", False) else None
    link.linked_at = timezone.now()
    link.save()
    audit.record(
        user,
        "update" if before else "create",
        link,
        before=before,
        after=summary(link),
        detail=f"carried forward from {carried_from}" if carried_from else "",
    )
    return link


@transaction.atomic
def unlink_measure(user: Any, link: MeasureLink) -> None:
    before = summary(link)
    audit.record(user, "delete", link, before=before)
    link.delete()


@dataclass(frozen=True)
class Kept:
    """A link as it stood on a plan, to be carried to a subject with the same text."""

    kind: str  # "outcome" or "milestone"
    text: str
    nth: int  # which of the plan's subjects with this text (0: the first in plan order)
    indicator_id: str
    target: str
    plan: str  # slug of the plan it stood on


def same_text_order(plan: Plan) -> dict[tuple[str, int], int]:
    """(kind, pk) → how many of the plan's earlier subjects of that kind have the same text."""
    seen: dict[tuple[str, str], int] = {}
    out = {}
    for kind, items in (
        ("outcome", Outcome.objects.filter(objective__plan=plan)),
        ("milestone", Milestone.objects.filter(objective__plan=plan)),
    ):
        for item in items.order_by("objective__number", "number"):
            key = (kind, normalised(item.text))
            out[(kind, item.pk)] = seen.get(key, 0)
            seen[key] = seen.get(key, 0) + 1
    return out


def links_of(plan: Plan) -> list[Kept]:
    order = same_text_order(plan)
    return [
        Kept(
            "outcome" if link.outcome_id else "milestone",
            link.subject.text,
            order[("outcome" if link.outcome_id else "milestone", link.subject.pk)],
            link.indicator_id,
            link.target,
            link.carried_from or plan.slug,
        )
        for link in plan_links(plan)
    ]


def previous_plan(plan: Plan) -> Plan | None:
    """The locality's plan for the financial year before `plan`'s."""
    year = plan.year
    before = f"{year.start.year - 1}/{str(year.start.year)[-2:]}"
    return Plan.objects.filter(locality=plan.locality, financial_year=before).first()


def carry_forward(user: Any, plan: Plan, kept: list[Kept]) -> int:
    """Link the plan's subjects whose text matches a kept link's subject (the n-th of several
    with the same text to the n-th); returns how many links were made. Links to indicators no
    longer in the catalogue are left behind."""
    pool: dict[tuple[str, str], list[Outcome | Milestone]] = {}
    for kind, items in (
        ("outcome", Outcome.objects.filter(objective__plan=plan)),
        ("milestone", Milestone.objects.filter(objective__plan=plan)),
    ):
        for item in items.select_related("objective").order_by("objective__number", "number"):
            pool.setdefault((kind, normalised(item.text)), []).append(item)
    catalogue = indicator_catalogue()
    made = 0
    for link in kept:
        same = pool.get((link.kind, normalised(link.text)), [])
        if link.nth >= len(same) or link.indicator_id not in catalogue:
            continue
        subject = same[link.nth]
        if isinstance(subject, Milestone) and not states_a_number(subject.text):
            continue
        link_measure(user, subject, link.indicator_id, link.target, carried_from=link.plan)
        made += 1
    return made


# --- what the linking page shows --------------------------------------------------------------


@dataclass
class Subject:
    kind: str  # "outcome" or "milestone"
    item: Outcome | Milestone
    links: list[MeasureLink]
    suggestions: list[Suggestion]

    @property
    def ref(self) -> str:
        return self.item.ref

    @property
    def key(self) -> str:
        """The form's value naming the subject: "outcome:12" or "milestone:40"."""
        return f"{self.kind}:{self.item.pk}"


def candidates() -> list[Candidate]:
    return [Candidate(i, title, about) for i, (title, about) in indicator_catalogue().items()]


def subjects(plan: Plan) -> list[Subject]:
    """The plan's outcomes and milestones that state a number, in objective order, each with
    its links and up to five suggested indicators not yet linked."""
    pool = candidates()
    links: dict[tuple[str, int], list[MeasureLink]] = {}
    for link in MeasureLink.objects.filter(outcome__objective__plan=plan):
        links.setdefault(("outcome", link.outcome_id or 0), []).append(link)
    for link in MeasureLink.objects.filter(milestone__objective__plan=plan):
        links.setdefault(("milestone", link.milestone_id or 0), []).append(link)
    out = []
    items: list[tuple[str, Outcome | Milestone]] = []
    for objective in plan.objectives.prefetch_related("outcomes", "milestones"):
        items += [("outcome", o) for o in objective.outcomes.all()]
        items += [("milestone", m) for m in objective.milestones.all() if states_a_number(m.text)]
    for kind, item in items:
        mine = links.get((kind, item.pk), [])
        linked = {link.indicator_id for link in mine}
        found = suggest(item.text, item.objective.title, pool, limit=5 + len(linked))
        out.append(Subject(kind, item, mine, [s for s in found if s.id not in linked][:5]))
    return out


def find_subject(plan: Plan, key: str) -> Outcome | Milestone | None:
    """The plan's outcome or milestone a form names ("outcome:12"), else None."""
    kind, _, pk = key.partition(":")
    if not pk.isdigit():
        return None
    if kind == "outcome":
        return Outcome.objects.filter(objective__plan=plan, pk=int(pk)).first()
    if kind == "milestone":
        return Milestone.objects.filter(objective__plan=plan, pk=int(pk)).first()
    return None


def plan_links(plan: Plan) -> list[MeasureLink]:
    """Every link of the plan, in objective order, outcomes before milestones."""
    links = list(
        MeasureLink.objects.filter(outcome__objective__plan=plan).select_related(
            "outcome__objective"
        )
    ) + list(
        MeasureLink.objects.filter(milestone__objective__plan=plan).select_related(
            "milestone__objective"
        )
    )
    return sorted(
        links,
        key=lambda link: (
            link.subject.objective.number,
            0 if link.outcome_id else 1,
            link.subject.number,
            link.pk,
        ),
    )
