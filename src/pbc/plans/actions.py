"""Business actions on plans: one function per action, each atomic and audited.

- `assess_import` / `import_plan`: write a read plan document (`ParsedPlan`) into a locality's
  plan for its financial year. Importing the same content again changes nothing ("unchanged");
  different content replaces the plan's sections, objectives and milestones, unless progress
  updates or business cases hang on them, in which case the import is refused and nothing
  changes (a re-import would orphan them). The outcomes' and milestones' links to indicators
  are carried forward (`pbc.plans.measures.carry_forward`): from the plan a re-import replaces,
  or, for a new plan, from the locality's plan of the year before.
- `record_milestone_update`: one month's status for a milestone, with optimistic locking: the
  caller says which version it saw; if someone saved in between, `MilestoneChanged` is raised and
  nothing is written.
- Business cases: `create_business_case`, `submit_business_case` (route by the fast-track
  threshold in force that day), `decide_business_case`, `mark_business_case_implemented`,
  `record_realised_benefit`, and `set_fast_track_threshold` (a new dated row, never an edit).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from pbc.orgs import audit
from pbc.orgs.models import Locality
from pbc.plans import measures
from pbc.plans.models import (
    STATUS_ORDER,
    Action,
    BusinessCase,
    FastTrackThreshold,
    Lead,
    Milestone,
    MilestoneUpdate,
    Objective,
    ObjectiveDueDate,
    Outcome,
    Plan,
    Section,
)
from pbc.plans.reading import ParsedObjective, ParsedPlan

BODY_WORDS = re.compile(
    r"\b(board|locality|daccom|pct|leads?|team|committee|network|partners|services|provider|"
    r"patients|group|trust|council)\b",
    re.IGNORECASE,
)
PERSON_NAME = re.compile(r"^((Dr|Mr|Mrs|Ms|Miss|Prof)\.? )?[A-Z][a-z'-]+( [A-Z][a-z'-]+){1,2}$")


class PlanImportRefused(Exception):
    """The import would lose recorded work; the message says what and how to proceed."""


class MilestoneChanged(Exception):
    """Someone saved an update to the milestone after the editor loaded it."""

    def __init__(self, milestone: Milestone, latest: MilestoneUpdate | None) -> None:
        self.milestone = milestone
        self.latest = latest
        who = latest.recorded_by_name if latest else "someone"
        when = (
            timezone.localtime(latest.recorded_at).strftime("%H:%M on %d %B %Y") if latest else ""
        )
        super().__init__(
            f"Milestone {milestone.ref} was updated by {who} at {when} while you were editing it. "
            "Your update has not been saved: check their update below, then save yours again."
        )


class UpdateRefused(Exception):
    """A milestone update or business-case change that breaks a rule (wrong month, status...)."""


# --- plan import ------------------------------------------------------------------------------


def content_checksum(parsed: ParsedPlan) -> str:
    """SHA-256 of what was read: the title, financial year and objectives in the --json shape."""
    body = {"title": parsed.title, "financial_year": parsed.financial_year, **parsed.to_json()}
    del body["unplaced"]
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def plan_slug(locality: Locality, financial_year: str) -> str:
    return f"{locality.slug}-{financial_year.replace('/', '-')}"


def default_title(locality: Locality, financial_year: str) -> str:
    return f"{locality.name} locality commissioning plan {financial_year}"


@dataclass(frozen=True)
class ImportAssessment:
    """What importing a read plan into a locality would do, before doing it."""

    outcome: str  # "create", "replace", "unchanged" or "refused"
    message: str
    existing: Plan | None

    @property
    def allowed(self) -> bool:
        return self.outcome != "refused"


def assess_import(locality: Locality, parsed: ParsedPlan) -> ImportAssessment:
    existing = Plan.objects.filter(locality=locality, financial_year=parsed.financial_year).first()
    name = f"the {locality.name} {parsed.financial_year} plan"
    if not parsed.objectives:
        return ImportAssessment("refused", "The file has no objectives: nothing to import.", None)
    if existing is None:
        return ImportAssessment(
            "create",
            f"This creates {name} with {len(parsed.objectives)} objectives.",
            None,
        )
    if existing.content_sha256 == content_checksum(parsed):
        return ImportAssessment(
            "unchanged",
            f"{name.capitalize()} already holds exactly this content "
            f"(imported from {existing.source_filename}): nothing changes.",
            existing,
        )
    updates = MilestoneUpdate.objects.filter(milestone__objective__plan=existing)
    cases = BusinessCase.objects.filter(objective__plan=existing)
    if updates.exists() or cases.exists():
        milestones = updates.values("milestone").distinct().count()
        latest = updates.order_by("-month").values_list("month", flat=True).first()
        held = []
        if milestones:
            held.append(
                f"{updates.count()} progress updates on {milestones} milestones"
                + (f" (latest for {latest:%B %Y})" if latest else "")
            )
        if cases.exists():
            held.append(f"{cases.count()} business cases linked to its objectives")
        return ImportAssessment(
            "refused",
            f"{name.capitalize()} already has {' and '.join(held)}. Importing a different "
            "document would replace its objectives and milestones and orphan them, so nothing "
            "was changed. Record further changes as milestone updates, or import the document "
            "as next year's plan.",
            existing,
        )
    return ImportAssessment(
        "replace",
        f"This replaces {name} (imported from {existing.source_filename}, no progress recorded "
        f"yet) with {len(parsed.objectives)} objectives from this file.",
        existing,
    )


@dataclass(frozen=True)
class ImportResult:
    plan: Plan
    outcome: str  # "create", "replace" or "unchanged"
    message: str


def lead_kind(name: str) -> str:
    """ "person" for a named person ("Dr Ros Taylor"), otherwise "body" ("Executive Board")."""
    if BODY_WORDS.search(name):
        return Lead.Kind.BODY
    return Lead.Kind.PERSON if PERSON_NAME.match(name.strip()) else Lead.Kind.BODY


def paired(items: list[Any], count: int) -> list[list[Any]]:
    """Items for each of `count` milestones: one each in order when the counts match, else all."""
    if count and len(items) == count:
        return [[item] for item in items]
    return [list(items) for _ in range(count)]


@transaction.atomic
def import_plan(
    user: Any, locality: Locality, parsed: ParsedPlan, source: bytes, *, filename: str = ""
) -> ImportResult:
    """Write a read plan document into the locality's plan for its financial year.

    Raises `PlanImportRefused` (nothing written) when the plan has progress updates or business
    cases that a re-import would orphan, or when the document has no objectives.
    """
    locked = Plan.objects.select_for_update().filter(
        locality=locality, financial_year=parsed.financial_year
    )
    list(locked)  # holds the row (PostgreSQL) while this import decides and writes
    assessment = assess_import(locality, parsed)
    if assessment.outcome == "refused":
        raise PlanImportRefused(assessment.message)
    if assessment.outcome == "unchanged":
        assert assessment.existing is not None
        return ImportResult(assessment.existing, "unchanged", assessment.message)

    fields = {
        "title": parsed.title.strip() or default_title(locality, parsed.financial_year),
        "slug": plan_slug(locality, parsed.financial_year),
        "source_filename": (filename or parsed.filename)[:255],
        "source_sha256": hashlib.sha256(source).hexdigest(),
        "source_size": len(source),
        "content_sha256": content_checksum(parsed),
        "imported_at": timezone.now(),
        "imported_by": user if getattr(user, "is_authenticated", False) else None,
    }
    before = None
    kept: list[measures.Kept] = []
    if assessment.existing is not None:
        plan = assessment.existing
        before = plan_summary(plan)
        kept = measures.links_of(plan)
        plan.sections.all().delete()  # objectives, milestones and the rest cascade
        for key, value in fields.items():
            setattr(plan, key, value)
        plan.save()
    else:
        plan = Plan.objects.create(
            locality=locality, financial_year=parsed.financial_year, **fields
        )
    write_objectives(plan, parsed.objectives)
    if assessment.existing is None:
        previous = measures.previous_plan(plan)
        kept = measures.links_of(previous) if previous else []
    measures.carry_forward(user, plan, kept)
    audit.record(
        user,
        "import",
        plan,
        before=before,
        after=plan_summary(plan),
        detail=f"{fields['source_filename']} sha256 {fields['source_sha256']}",
    )
    return ImportResult(plan, assessment.outcome, assessment.message)


def write_objectives(plan: Plan, objectives: list[ParsedObjective]) -> None:
    sections: dict[str, Section] = {}
    leads: dict[str, Lead] = {lead.name: lead for lead in plan.locality.plan_leads.all()}

    def lead_for(name: str) -> Lead:
        if name not in leads:
            leads[name] = Lead.objects.create(
                locality=plan.locality, name=name, kind=lead_kind(name)
            )
        return leads[name]

    for number, parsed in enumerate(objectives, start=1):
        section_name = parsed.section.strip() or "Objectives"
        if section_name not in sections:
            sections[section_name] = Section.objects.create(
                plan=plan, number=len(sections) + 1, name=section_name
            )
        objective = Objective.objects.create(
            plan=plan,
            section=sections[section_name],
            number=number,
            title=parsed.title.strip() or f"Objective {number}",
            timescale=parsed.timescale,
        )
        lead_names = [name.strip() for name in parsed.leads if name.strip()]
        objective.leads.set([lead_for(name) for name in dict.fromkeys(lead_names)])
        ObjectiveDueDate.objects.bulk_create(
            ObjectiveDueDate(objective=objective, date=date)
            for date in sorted(set(parsed.due_dates))
        )
        Action.objects.bulk_create(
            Action(objective=objective, number=i, text=text)
            for i, text in enumerate((t for t in parsed.actions if t.strip()), start=1)
        )
        Outcome.objects.bulk_create(
            Outcome(objective=objective, number=i, text=text)
            for i, text in enumerate((t for t in parsed.outcomes if t.strip()), start=1)
        )
        texts = [t for t in parsed.milestones if t.strip()]
        dates = paired(parsed.due_dates, len(texts))
        milestone_leads = paired(lead_names, len(texts))
        for i, text in enumerate(texts, start=1):
            milestone = Milestone.objects.create(
                objective=objective,
                number=i,
                text=text,
                due_date=max(dates[i - 1]) if dates[i - 1] else None,
            )
            milestone.leads.set([lead_for(name) for name in dict.fromkeys(milestone_leads[i - 1])])


def plan_summary(plan: Plan) -> dict[str, Any]:
    return {
        "slug": plan.slug,
        "title": plan.title,
        "financial_year": plan.financial_year,
        "source_filename": plan.source_filename,
        "source_sha256": plan.source_sha256,
        "sections": plan.sections.count(),
        "objectives": plan.objectives.count(),
        "milestones": Milestone.objects.filter(objective__plan=plan).count(),
    }


# --- monthly tracking -------------------------------------------------------------------------


def latest_update(milestone: Milestone) -> MilestoneUpdate | None:
    return milestone.updates.order_by("-version").first()


@transaction.atomic
def record_milestone_update(
    user: Any,
    milestone: Milestone,
    *,
    based_on_version: int,
    month: dt.date,
    status: str,
    commentary: str = "",
    evidence_url: str = "",
    private: bool = False,
    today: dt.date | None = None,
    recorded_at: dt.datetime | None = None,
) -> MilestoneUpdate:
    """Record a milestone's status for a month (a new history row; nothing is overwritten).

    `based_on_version` is the milestone version the editor saw; if another save came first,
    `MilestoneChanged` is raised and nothing is written. The month must lie in the plan's
    financial year and not after the current month. `recorded_at` backdates the demo's updates.
    """
    plan = milestone.objective.plan
    month = month.replace(day=1)
    today = today or timezone.localdate()
    if status not in STATUS_ORDER:
        raise UpdateRefused(f"{status!r} is not a milestone status")
    if month not in plan.year:
        raise UpdateRefused(
            f"{month:%B %Y} is outside the plan's financial year {plan.financial_year}"
        )
    if month > today.replace(day=1):
        raise UpdateRefused(f"{month:%B %Y} has not started yet: report on a month that has")
    claimed = Milestone.objects.filter(pk=milestone.pk, version=based_on_version).update(
        version=F("version") + 1
    )
    if not claimed:
        milestone.refresh_from_db()
        raise MilestoneChanged(milestone, latest_update(milestone))
    previous = latest_update(milestone)
    update = MilestoneUpdate.objects.create(
        milestone=milestone,
        month=month,
        status=status,
        commentary=commentary.strip(),
        evidence_url=evidence_url.strip(),
        private=private,
        version=based_on_version + 1,
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
        recorded_by_name=user_name(user),
        recorded_at=recorded_at or timezone.now(),
    )
    milestone.version = based_on_version + 1
    audit.record(
        user,
        "update",
        milestone,
        before=update_summary(previous) if previous else None,
        after=update_summary(update),
        detail=f"milestone {milestone.ref} of {plan.slug}",
    )
    return update


def user_name(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    return str(user.get_full_name() or user.get_username())


def update_summary(update: MilestoneUpdate) -> dict[str, Any]:
    return {
        "month": update.month.isoformat(),
        "status": update.status,
        "commentary": update.commentary,
        "evidence_url": update.evidence_url,
        "private": update.private,
        "version": update.version,
    }


# --- business cases ---------------------------------------------------------------------------


def case_summary(case: BusinessCase) -> dict[str, Any]:
    return {
        "ref": case.ref,
        "service": case.service,
        "status": case.status,
        "route": case.route,
        "annual_cost": str(case.annual_cost),
        "expected_savings": str(case.expected_savings),
        "population_covered": case.population_covered,
        "submitted_on": case.submitted_on.isoformat() if case.submitted_on else None,
        "decided_on": case.decided_on.isoformat() if case.decided_on else None,
        "implemented_on": case.implemented_on.isoformat() if case.implemented_on else None,
        "decision_notes": case.decision_notes,
        "realised_value": str(case.realised_value) if case.realised_value is not None else None,
    }


def fast_track_route(
    annual_cost: Decimal, cost_per_patient: Decimal, rule: FastTrackThreshold
) -> str:
    """The fast track takes cases under the cost threshold or under the per-patient threshold."""
    if annual_cost < rule.max_annual_cost or cost_per_patient < rule.max_cost_per_patient:
        return BusinessCase.Route.FAST_TRACK
    return BusinessCase.Route.FULL


@transaction.atomic
def set_fast_track_threshold(
    user: Any,
    valid_from: dt.date,
    max_annual_cost: Decimal,
    max_cost_per_patient: Decimal,
    note: str = "",
) -> FastTrackThreshold:
    """Add the thresholds in force from a date (earlier rows stay, for earlier decisions)."""
    row, created = FastTrackThreshold.objects.get_or_create(
        valid_from=valid_from,
        defaults={
            "max_annual_cost": max_annual_cost,
            "max_cost_per_patient": max_cost_per_patient,
            "note": note,
        },
    )
    if not created and (
        row.max_annual_cost != max_annual_cost or row.max_cost_per_patient != max_cost_per_patient
    ):
        raise UpdateRefused(
            f"Thresholds from {valid_from} already exist ({row}); add a row with a later date"
        )
    if created:
        audit.record(
            user,
            "create",
            row,
            after={
                "valid_from": valid_from.isoformat(),
                "max_annual_cost": str(max_annual_cost),
                "max_cost_per_patient": str(max_cost_per_patient),
            },
        )
    return row


@transaction.atomic
def create_business_case(
    user: Any,
    locality: Locality,
    *,
    ref: str,
    service: str,
    annual_cost: Decimal,
    population_covered: int,
    expected_savings: Decimal = Decimal("0"),
    objective: Objective | None = None,
    benefit_measure: str = "",
    expected_change_percent: Decimal | None = None,
    baseline_value: Decimal | None = None,
) -> BusinessCase:
    if objective is not None and objective.plan.locality_id != locality.pk:
        raise UpdateRefused("The objective belongs to another locality's plan")
    case = BusinessCase(
        locality=locality,
        ref=ref,
        service=service,
        annual_cost=annual_cost,
        population_covered=population_covered,
        expected_savings=expected_savings,
        objective=objective,
        benefit_measure=benefit_measure,
        expected_change_percent=expected_change_percent,
        baseline_value=baseline_value,
    )
    case.full_clean()
    case.save()
    audit.record(user, "create", case, after=case_summary(case))
    return case


def _change(user: Any, case: BusinessCase, before: dict[str, Any], detail: str) -> BusinessCase:
    case.full_clean()
    case.save()
    audit.record(user, "update", case, before=before, after=case_summary(case), detail=detail)
    return case


@transaction.atomic
def submit_business_case(
    user: Any, case: BusinessCase, on: dt.date, decision_due_on: dt.date | None = None
) -> BusinessCase:
    """Submit to the Governance Subcommittee; the route is fixed by the thresholds that day."""
    if case.status != BusinessCase.Status.DRAFT:
        raise UpdateRefused(f"Only a draft can be submitted; this case is {case.status}")
    rule = FastTrackThreshold.in_force(on)
    if rule is None:
        raise UpdateRefused(f"No fast-track thresholds are in force on {on}: add them first")
    before = case_summary(case)
    case.status = BusinessCase.Status.SUBMITTED
    case.submitted_on = on
    case.decision_due_on = decision_due_on
    case.threshold = rule
    case.route = fast_track_route(case.annual_cost, case.cost_per_patient, rule)
    return _change(user, case, before, f"submitted ({case.get_route_display()})")


@transaction.atomic
def decide_business_case(
    user: Any, case: BusinessCase, *, approved: bool, on: dt.date, notes: str
) -> BusinessCase:
    if case.status != BusinessCase.Status.SUBMITTED:
        raise UpdateRefused(f"Only a submitted case can be decided; this case is {case.status}")
    if case.submitted_on and on < case.submitted_on:
        raise UpdateRefused("The decision cannot come before the submission")
    before = case_summary(case)
    case.status = BusinessCase.Status.APPROVED if approved else BusinessCase.Status.REJECTED
    case.decided_on = on
    case.decision_notes = notes.strip()
    return _change(user, case, before, case.status)


@transaction.atomic
def mark_business_case_implemented(user: Any, case: BusinessCase, on: dt.date) -> BusinessCase:
    if case.status != BusinessCase.Status.APPROVED:
        raise UpdateRefused(f"Only an approved case can be implemented; this case is {case.status}")
    before = case_summary(case)
    case.status = BusinessCase.Status.IMPLEMENTED
    case.implemented_on = on
    return _change(user, case, before, "implemented")


@transaction.atomic
def record_realised_benefit(
    user: Any, case: BusinessCase, value: Decimal, as_at: dt.date
) -> BusinessCase:
    """The measured value of the case's benefit measure, once the data exists."""
    if case.status not in (BusinessCase.Status.APPROVED, BusinessCase.Status.IMPLEMENTED):
        raise UpdateRefused("A realised benefit is recorded for approved or implemented cases")
    before = case_summary(case)
    case.realised_value = value
    case.realised_as_at = as_at
    return _change(user, case, before, "realised benefit")
