"""Where a plan stands in a month: each milestone's status, overdue and due-soon lists, counts.

Choices written down where the issue is silent:

- A milestone's status for a month is its latest update recorded for that month or, when there is
  none, the latest for an earlier month (carried forward, with the month it came from); a
  milestone never updated is "not started".
- Overdue in month M: due on or before the last day of M and not complete (the board reports at
  the month's end). Due soon: due in the two months after M and not complete.
- The month shown by default is the current month while the plan's year is running; for a past
  (or future) plan, the latest month with any update, or April when there is none.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from django.utils import timezone

from pbc.periods import add_months, month_end
from pbc.plans.models import (
    STATUS_ORDER,
    Milestone,
    MilestoneUpdate,
    Objective,
    Plan,
    Section,
    Status,
)

STATUS_LABELS = dict(Status.choices)


@dataclass
class MilestoneState:
    milestone: Milestone
    status: str
    update: MilestoneUpdate | None  # the update the status comes from (None: never updated)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def carried_forward_from(self) -> dt.date | None:
        return self.update.month if self.update else None


@dataclass
class PlanMonth:
    """A plan's milestones as they stood in one month."""

    plan: Plan
    month: dt.date
    states: list[MilestoneState]
    sections: list[Section] = field(default_factory=list)
    objectives: list[Objective] = field(default_factory=list)

    def states_of(self, objective: Objective) -> list[MilestoneState]:
        return self._by_objective.get(objective.pk, [])

    @cached_property
    def _by_objective(self) -> dict[int, list[MilestoneState]]:
        grouped: dict[int, list[MilestoneState]] = {}
        for s in self.states:
            grouped.setdefault(s.milestone.objective_id, []).append(s)
        return grouped

    @property
    def overdue(self) -> list[MilestoneState]:
        end = month_end(self.month)
        return [
            s
            for s in self.states
            if s.milestone.due_date and s.milestone.due_date <= end and s.status != Status.COMPLETE
        ]

    @property
    def due_soon(self) -> list[MilestoneState]:
        start, end = month_end(self.month), month_end(add_months(self.month, 2))
        return [
            s
            for s in self.states
            if s.milestone.due_date
            and start < s.milestone.due_date <= end
            and s.status != Status.COMPLETE
        ]

    def counts(self, section: Section | None = None) -> dict[str, int]:
        """Milestones per status (every status present, in order), for a section or the plan."""
        found = Counter(
            s.status
            for s in self.states
            if section is None or s.milestone.objective.section_id == section.pk
        )
        return {status: found.get(status, 0) for status in STATUS_ORDER}

    @property
    def updated_this_month(self) -> list[MilestoneState]:
        return [s for s in self.states if s.update and s.update.month == self.month]


def plan_month(plan: Plan, month: dt.date) -> PlanMonth:
    """Every milestone of the plan with its status as at `month` (carried forward)."""
    month = month.replace(day=1)
    milestones = list(
        Milestone.objects.filter(objective__plan=plan)
        .select_related("objective__section", "objective__plan")
        .prefetch_related("leads")
        .order_by("objective__number", "number")
    )
    # Each milestone's latest update to `month`: found from (milestone, id) pairs, then only
    # those updates read whole (a plan has hundreds of updates by the year's end).
    latest_id: dict[int, int] = dict(
        MilestoneUpdate.objects.filter(milestone__objective__plan=plan, month__lte=month)
        .order_by("month", "version")
        .values_list("milestone_id", "pk")
    )
    latest = {u.milestone_id: u for u in MilestoneUpdate.objects.filter(pk__in=latest_id.values())}
    states = []
    for m in milestones:
        update = latest.get(m.pk)
        if update is not None:
            update.milestone = m
        states.append(MilestoneState(m, update.status if update else Status.NOT_STARTED, update))
    return PlanMonth(
        plan=plan,
        month=month,
        states=states,
        sections=list(plan.sections.all()),
        objectives=list(plan.objectives.select_related("section").prefetch_related("leads")),
    )


@dataclass(frozen=True)
class Change:
    state: MilestoneState
    previous_status: str

    @property
    def previous_label(self) -> str:
        return STATUS_LABELS[self.previous_status]


def changes_since_previous_month(plan: Plan, month: dt.date) -> list[Change]:
    """Milestones whose status in `month` differs from their status the month before."""
    current = plan_month(plan, month)
    previous = {s.milestone.pk: s.status for s in plan_month(plan, add_months(month, -1)).states}
    return [
        Change(s, previous[s.milestone.pk])
        for s in current.states
        if s.status != previous[s.milestone.pk]
    ]


def default_month(plan: Plan, today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    if today in plan.year:
        return today.replace(day=1)
    latest = (
        MilestoneUpdate.objects.filter(milestone__objective__plan=plan)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    return latest or plan.year.start


def plan_for_month(plans: list[Plan], month: dt.date) -> Plan | None:
    """The plan whose financial year contains the month."""
    for plan in plans:
        if month in plan.year:
            return plan
    return None
