"""What each role's home page shows of its work: figures and one-click links, composed from the
apps' plain read APIs (`queries.py`), each for the membership's own organisation only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import timezone

from pbc.orgs.access import has_permission
from pbc.orgs.models import Locality, Pct, Practice, Provider
from pbc.orgs.roles import Permission
from pbc.periods import month_end
from pbc.web.jinja import money


@dataclass(frozen=True)
class Task:
    """A line of work: what it is, how much of it there is (or None), where to do it."""

    text: str
    href: str
    figure: str | None = None
    urgent: bool = False


@dataclass
class Work:
    tasks: list[Task] = field(default_factory=list)
    # (heading, column labels, rows of (cells, href)): a small table, e.g. findings by practice
    table: tuple[str, list[str], list[tuple[list[str], str]]] | None = None
    notes: list[str] = field(default_factory=list)


def practice_work(user: Any, practice: Practice) -> Work:
    from pbc.indicators.queries import flagged
    from pbc.population.queries import case_finding_count
    from pbc.services.awp import services_of
    from pbc.validation.queries import to_review

    work = Work()
    if has_permission(user, Permission.REVIEW_FINDINGS, practice):
        tally = to_review([practice.code]).get(practice.code)
        figure = f"{tally.n:,} ({money(tally.amount)} at stake)" if tally else "none"
        href = reverse("validation_practice", args=[practice.code])
        work.tasks.append(Task("Findings to review", href, figure, urgent=bool(tally)))
    if has_permission(user, Permission.VIEW_PATIENT_ROWS, practice):
        count = case_finding_count(practice.code)
        href = reverse("population_case_finding", args=[practice.code])
        figure = f"{count:,} patients" if count is not None else "not scored yet"
        work.tasks.append(Task("Case-finding list", href, figure))
    off_target, _ = flagged("practice", practice.code)
    figure = f"{len(off_target)} off target" if off_target else "none off target"
    work.tasks += [
        Task("Budget statement", reverse("finance_practice", args=[practice.code])),
        Task("Indicators", reverse("indicators_practice", args=[practice.code]), figure),
        Task("Enhanced services and claims", reverse("enhanced_practice", args=[practice.code])),
    ]
    if services_of(practice.locality):
        href = reverse("awp_practice", args=[practice.code])
        work.tasks.append(Task("Any willing provider: the practice's choice", href))
    return work


def locality_work(user: Any, locality: Locality) -> Work:
    from pbc.indicators.queries import flagged
    from pbc.plans.queries import current_plan_month, milestone_rag, overdue_actions
    from pbc.validation.queries import awaiting_sign_off

    work = Work()
    if has_permission(user, Permission.SIGN_OFF_CHALLENGES, locality):
        tally = awaiting_sign_off(locality)
        figure = f"{tally.n:,} ({money(tally.amount)} challenged)" if tally.n else "none"
        href = reverse("validation_locality", args=[locality.slug])
        work.tasks.append(Task("Challenges awaiting sign-off", href, figure, urgent=tally.n > 0))
    rag = ", ".join(f"{n} {label.lower()}" for _, label, n in milestone_rag(locality))
    _, concern = flagged("locality", locality.slug)
    special = (
        f"{len(concern)} with special-cause concern" if concern else "no special-cause concern"
    )
    work.tasks += [
        Task("Commissioning plan: milestones", reverse("plans_dashboard", args=[locality.slug]), rag or "no plan yet"),
        Task("Budget statement and forecast outturn", reverse("finance_locality", args=[locality.slug])),
        Task("Indicators", reverse("indicators_locality", args=[locality.slug]), special, urgent=bool(concern)),
        Task("Board packs", reverse("reports_locality", args=[locality.slug])),
        Task("Validation ledger: £ challenged and recovered", reverse("validation_ledger")),
    ]  # fmt: skip
    # Meeting actions overdue today, or at the end of the month the locality's plan is at when
    # its plan year is over (the demo's 2008/09).
    plan_month = current_plan_month(locality)
    on = timezone.localdate()
    if plan_month is not None:
        on = min(on, month_end(plan_month))
    overdue = overdue_actions(locality, on)
    href = reverse("plans_meetings", args=[locality.slug])
    figure = f"{len(overdue)} overdue on {on:%d %B %Y}" if overdue else "none overdue"
    work.tasks.append(Task("Actions from meetings", href, figure, urgent=bool(overdue)))
    if overdue:
        rows = [
            ([a.text, a.owner, f"{a.due_on:%d %b %Y}", a.concerns or "–"], href) for a in overdue
        ]
        work.table = (
            f"Overdue actions on {on:%d %B %Y}",
            ["Action", "Owner", "Due", "Concerns"],
            rows,
        )
    return work


def pct_work(user: Any, pct: Pct) -> Work:
    from pbc.imports.queries import latest_import
    from pbc.refresh.queries import stale_steps
    from pbc.validation.queries import to_review

    work = Work()
    if has_permission(user, Permission.IMPORT_DATA, pct):
        latest = latest_import()
        figure = f"latest: {latest[1]}" if latest else "none yet"
        work.tasks.append(Task("Imports", reverse("imports"), figure))
        stale = stale_steps()
        work.notes += [s.text.replace("These figures", s.title) for s in stale]
        if not stale:
            work.notes.append(
                "Statements, findings and indicators are up to date with the imports."
            )
    work.tasks += [
        Task("Indicators: PCT dashboard", reverse("indicators_pct", args=[pct.slug])),
        Task("Indicator pages, watch lists, entry and targets", reverse("indicators_index")),
        Task("Findings by practice and provider", reverse("validation_index")),
        Task("Budget statement", reverse("finance_pct", args=[pct.slug])),
    ]
    practices = list(Practice.objects.filter(locality__pct=pct).order_by("code"))
    if has_permission(user, Permission.REVIEW_FINDINGS, pct):
        counts = to_review([p.code for p in practices])
        rows = [
            (
                [f"{p.code} {p.name}", f"{counts[p.code].n:,}", money(counts[p.code].amount)],
                reverse("validation_practice", args=[p.code]),
            )
            for p in sorted(practices, key=lambda p: -counts[p.code].amount)
            if p.code in counts
        ]
        work.table = ("Findings to review by practice", ["Practice", "Findings", "At stake"], rows)
    return work


def provider_work(user: Any, provider: Provider) -> Work:
    from pbc.services.queries import latest_returns
    from pbc.validation.queries import awaiting_provider

    work = Work()
    if has_permission(user, Permission.RECORD_PROVIDER_RESPONSE, provider):
        tally = awaiting_provider(provider.code)
        figure = f"{tally.n:,} ({money(tally.amount)} challenged)" if tally.n else "none"
        href = reverse("validation_provider", args=[provider.code])
        work.tasks.append(
            Task("Challenges awaiting your response", href, figure, urgent=tally.n > 0)
        )
    if has_permission(user, Permission.SUBMIT_PROVIDER_RETURNS, provider):
        href = reverse("provider_returns", args=[provider.code])
        work.tasks.append(Task("Returns: upload and see their state", href))
        rows = [
            ([r.contract, r.period.strftime("%b %Y") if r.period else "–", r.status], href)
            for r in latest_returns(provider.code)
        ]
        work.table = ("Returns by contract", ["Contract", "Latest period", "State"], rows)
    work.tasks.append(
        Task("Contracts: plan against actual", reverse("finance_contracts", args=[provider.code]))
    )
    return work


def work_for(user: Any, organisation: Any) -> Work:
    if isinstance(organisation, Practice):
        return practice_work(user, organisation)
    if isinstance(organisation, Locality):
        return locality_work(user, organisation)
    if isinstance(organisation, Pct):
        return pct_work(user, organisation)
    return provider_work(user, organisation)
