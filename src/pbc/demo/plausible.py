"""Is the demo plausible as a 2008/09 PBC locality? Its figures against documented bounds.

`measures(scale)` works out, from the built demo, what a commissioner would check first;
`problems(scale)` lists each one outside its bounds (empty: plausible). The bounds
(`BOUNDS`, docs/data.md "Demo calibration") come from 2008/09 England figures and the Dacorum
commissioning plan:

- prescribing: about £150 of net ingredient cost per registered patient a year (NHS
  Prescription Cost Analysis 2008: 842 million items, £8.3 billion), actual cost about 7% less.
  Every practice's 2008/09 prescribing spend a registered patient a year (annualised from the
  months refreshed) lies within `prescribing_per_patient`.
- money at stake: the Dacorum plan's validation of October to December found £283k of activity
  to challenge (a locality of about 140,000 patients: well under 1% of its acute spend). Each
  locality's 2008/09 findings on the rules a practice challenges (not the clinical-review queue
  of high-cost activity, which lists spells to review with their whole charge) as a share of its
  acute spend lie within `at_stake_share`. The test scale injects four times the faults (every
  rule needs rows in 4,000 patients), so its bounds are wider.
- targets: four-week smoking quitters claimed each quarter against the target of the practices
  signed up (8 a practice a quarter) lie within `quitters_of_target` for every locality.
- workflow: every page of the validation and plan workflows has rows: findings to review,
  accepted, asked about, challenged (awaiting sign-off), signed off (awaiting the provider),
  agreed, disputed and written off; milestones whose latest update is green or complete, amber
  and red.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum

from pbc.analytics.finance.lines import ACUTE_LINES, BudgetLine
from pbc.finance import actions as finance_actions
from pbc.finance.models import SpendFact
from pbc.orgs.models import Locality
from pbc.plans import actions as plan_actions
from pbc.plans.models import Milestone
from pbc.services import feeds
from pbc.validation.models import Finding, Status

YEAR = "2008/09"
YEAR_START, YEAR_END = dt.date(2008, 4, 1), dt.date(2009, 3, 31)
REVIEW_QUEUE = "high_cost_activity"
QUARTERS = (dt.date(2008, 4, 1), dt.date(2008, 7, 1), dt.date(2008, 10, 1))


@dataclass(frozen=True)
class Bounds:
    prescribing_per_patient: tuple[Decimal, Decimal] = (Decimal(90), Decimal(260))
    at_stake_share: tuple[Decimal, Decimal] = (Decimal("0.001"), Decimal("0.03"))
    quitters_of_target: tuple[Decimal, Decimal] = (Decimal("0.5"), Decimal("1.5"))


BOUNDS = {
    "full": Bounds(),
    "test": Bounds(at_stake_share=(Decimal("0.002"), Decimal("0.12"))),
}
WORKFLOW_STATES = (
    Status.OPEN,
    Status.ACCEPTED,
    Status.MORE_INFORMATION,
    Status.CHALLENGED,
    Status.SIGNED_OFF,
    Status.AGREED,
    Status.DISPUTED,
    Status.WRITTEN_OFF,
)
MILESTONE_STATES = ("green_or_complete", "amber", "red")


@dataclass
class Measures:
    prescribing_per_patient: dict[str, Decimal] = field(default_factory=dict)  # practice code
    at_stake_share: dict[str, Decimal] = field(default_factory=dict)  # locality slug
    at_stake: dict[str, Decimal] = field(default_factory=dict)
    review_queue: dict[str, Decimal] = field(default_factory=dict)
    acute_spend: dict[str, Decimal] = field(default_factory=dict)
    quitters_of_target: dict[str, Decimal] = field(default_factory=dict)  # "slug quarter"
    findings_by_status: dict[str, int] = field(default_factory=dict)
    milestones_by_status: dict[str, int] = field(default_factory=dict)


def _prescribing(out: Measures) -> None:
    registered = finance_actions.populations(YEAR_START)["registered"]
    rows = (
        SpendFact.objects.filter(financial_year=YEAR, line=BudgetLine.PRESCRIBING)
        .values("practice__code")
        .annotate(spend=Sum("charged"), months=Count("month", distinct=True))
    )
    for r in rows:
        patients = registered.get(r["practice__code"])
        if patients and r["months"]:
            yearly = Decimal(r["spend"]) * 12 / r["months"]
            out.prescribing_per_patient[r["practice__code"]] = round(yearly / patients, 2)


def _money_at_stake(out: Measures) -> None:
    findings = Finding.objects.filter(month__gte=YEAR_START, month__lte=YEAR_END)
    stake: dict[str, Decimal] = defaultdict(Decimal)
    queue: dict[str, Decimal] = defaultdict(Decimal)
    for r in findings.values("practice__locality__slug", "rule_id").annotate(a=Sum("amount")):
        slug = r["practice__locality__slug"]
        if slug is None:
            continue
        target = queue if r["rule_id"] == REVIEW_QUEUE else stake
        target[slug] += Decimal(r["a"] or 0)
    spend = (
        SpendFact.objects.filter(financial_year=YEAR, line__in=[x.value for x in ACUTE_LINES])
        .values("practice__locality__slug")
        .annotate(a=Sum("charged"))
    )
    for r in spend:
        slug, acute = r["practice__locality__slug"], Decimal(r["a"] or 0)
        out.acute_spend[slug] = acute
        out.at_stake[slug] = stake.get(slug, Decimal(0))
        out.review_queue[slug] = queue.get(slug, Decimal(0))
        if acute:
            out.at_stake_share[slug] = round(out.at_stake[slug] / acute, 4)


def _quitters(out: Measures) -> None:
    for locality in Locality.objects.filter(practices__isnull=False).distinct():
        for quarter in QUARTERS:
            got = feeds.smoking_quitters(quarter, locality=locality.slug)
            if got["target"]:
                out.quitters_of_target[f"{locality.slug} {got['quarter']}"] = round(
                    Decimal(got["quitters"]) / got["target"], 2
                )


def _workflow(out: Measures) -> None:
    counts = dict(Finding.objects.values_list("status").annotate(n=Count("id")))
    out.findings_by_status = {str(s): int(counts.get(s, 0)) for s in WORKFLOW_STATES}
    milestones: dict[str, int] = dict.fromkeys(MILESTONE_STATES, 0)
    for milestone in Milestone.objects.all():
        latest = plan_actions.latest_update(milestone)
        if latest is None:
            continue
        key = "green_or_complete" if latest.status in ("green", "complete") else latest.status
        if key in milestones:
            milestones[key] += 1
    out.milestones_by_status = milestones


def measures() -> Measures:
    out = Measures()
    _prescribing(out)
    _money_at_stake(out)
    _quitters(out)
    _workflow(out)
    return out


def _outside(name: str, values: dict[str, Decimal], low: Decimal, high: Decimal) -> list[str]:
    if not values:
        return [f"{name}: nothing to measure"]
    return [
        f"{name} of {key} is {value}, outside {low} to {high}"
        for key, value in sorted(values.items())
        if not low <= value <= high
    ]


def problems(scale: str, found: Measures | None = None) -> list[str]:
    """Every measure outside the bounds of `scale` ("full" or "test"), in words."""
    m = found or measures()
    bounds = BOUNDS[scale]
    out = _outside("prescribing a patient a year (£)", m.prescribing_per_patient,
                   *bounds.prescribing_per_patient)  # fmt: skip
    out += _outside("money at stake as a share of acute spend", m.at_stake_share,
                    *bounds.at_stake_share)  # fmt: skip
    out += _outside("quitters as a share of target", m.quitters_of_target,
                    *bounds.quitters_of_target)  # fmt: skip
    out += [f"no finding is {s}" for s, n in m.findings_by_status.items() if n == 0]
    out += [f"no milestone is {s}" for s, n in m.milestones_by_status.items() if n == 0]
    return out
