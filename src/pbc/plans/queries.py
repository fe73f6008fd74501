"""What other apps read of plans and business cases, as plain data (no model instances leave
the app)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pbc.orgs.models import Locality
from pbc.periods import year_end, year_start
from pbc.plans import meetings
from pbc.plans.meetings import OverdueAction
from pbc.plans.models import STATUS_ORDER, BusinessCase, Plan
from pbc.plans.tracking import STATUS_LABELS
from pbc.plans.tracking import default_month as plan_default_month


@dataclass(frozen=True)
class PublishedPlan:
    slug: str
    financial_year: str


@dataclass(frozen=True)
class ApprovedCase:
    ref: str
    service: str
    status: str  # its label: "Approved" or "Implemented"
    decided_on: dt.date | None
    annual_cost: Decimal


def published_plans() -> dict[str, list[PublishedPlan]]:
    """Every plan that is not a draft, by locality slug, newest year first."""
    out: dict[str, list[PublishedPlan]] = {}
    found = (
        Plan.objects.exclude(status=Plan.Status.DRAFT)
        .order_by("-financial_year")
        .values_list("locality__slug", "slug", "financial_year")
    )
    for locality, slug, year in found:
        out.setdefault(locality, []).append(PublishedPlan(slug, year))
    return out


def approved_business_cases(locality: Locality, financial_year: str) -> list[ApprovedCase]:
    """Approved (or implemented) business cases of the locality decided in the financial year
    (1 April to 31 March), by decision date. (An approved case always has its decision date: a
    database constraint.)"""
    cases = BusinessCase.objects.filter(
        locality=locality,
        status__in=[BusinessCase.Status.APPROVED, BusinessCase.Status.IMPLEMENTED],
        decided_on__gte=year_start(financial_year),
        decided_on__lte=year_end(financial_year),
    ).order_by("decided_on", "ref")
    return [
        ApprovedCase(c.ref, c.service, c.get_status_display(), c.decided_on, c.annual_cost)
        for c in cases
    ]


def plan_years(locality: Locality) -> set[str]:
    """The financial years the locality has a plan for."""
    return set(Plan.objects.filter(locality=locality).values_list("financial_year", flat=True))


def current_plan_month(locality: Locality) -> dt.date | None:
    """The month the locality's latest plan is at (this month within its year, else its latest
    update), or None without a plan."""
    plan = Plan.objects.filter(locality=locality).order_by("-financial_year").first()
    return plan_default_month(plan) if plan is not None else None


def milestone_statuses() -> list[tuple[str, str]]:
    """Milestone statuses in RAG order with their labels."""
    return [(s, STATUS_LABELS[s]) for s in STATUS_ORDER]


def milestone_rag(locality: Locality) -> list[tuple[str, str, int]]:
    """The milestones of the locality's latest plan by their latest status, in RAG order:
    (status, label, how many); milestones never updated count as "not updated"."""
    from pbc.plans.models import Milestone

    plan = Plan.objects.filter(locality=locality).order_by("-financial_year").first()
    if plan is None:
        return []
    counts: dict[str, int] = {}
    for milestone in Milestone.objects.filter(objective__plan=plan).prefetch_related("updates"):
        latest = max(milestone.updates.all(), key=lambda u: u.version, default=None)
        key = latest.status if latest is not None else ""
        counts[key] = counts.get(key, 0) + 1
    out = [(s, STATUS_LABELS[s], counts[s]) for s in STATUS_ORDER if counts.get(s)]
    if counts.get(""):
        out.append(("", "Not updated", counts[""]))
    return out


def overdue_actions(locality: Locality, on: dt.date) -> list[OverdueAction]:
    """The locality's meeting actions overdue on `on` (`pbc.plans.meetings.overdue_actions`)."""
    return meetings.overdue_actions(locality, on)
