"""Commissioning plans, their milestones' monthly progress, and business cases.

A `Plan` is one locality's plan for one financial year. It holds `Section`s (e.g. "National &
Regional Priorities", "Local Priorities"), each holding `Objective`s; an objective has numbered
`Action`s, `Milestone`s and expected `Outcome`s, its `Lead`s and its timescale with the due dates
read from it (`ObjectiveDueDate`).

Choices written down where the issue is silent:

- Objectives are numbered 1, 2, 3 ... through the whole plan in document order and milestones
  1, 2, 3 ... within their objective, so "milestone 3.2" means objective 3's second milestone. A
  milestone's URL key is the plan slug and that number: `dacorum-2008-09-3.2`.
- A milestone has one due date (the one tracked for "overdue"): when an objective has as many due
  dates as milestones they are paired in order (the document's sub-rows), otherwise each milestone
  takes the objective's latest due date. The objective keeps every date read from its timescale.
  Leads are paired the same way (equal counts) or all given to each milestone.
- Progress is a `MilestoneUpdate` per save: the history is every row; a milestone's status for a
  month is its latest update for that month or, failing that, the latest of an earlier month
  (carried forward); a milestone never updated is "not started". `Milestone.version` counts the
  saves and is the optimistic lock (see `actions.record_milestone_update`).
- Business-case fast-track thresholds are rows of `FastTrackThreshold`, each valid from a date;
  the one in force on the day a case is submitted decides its route, which is then stored on the
  case so a later change of thresholds does not rewrite past decisions.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from pbc.orgs.models import Locality
from pbc.periods import FinancialYear, months_of_year

FINANCIAL_YEAR_PATTERN = r"^[0-9]{4}/[0-9]{2}$"


class Lead(models.Model):
    """Who leads an objective or milestone: a person ("Dr Trevor Fernandes") or a body."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        BODY = "body", "Body"

    locality = models.ForeignKey(Locality, on_delete=models.CASCADE, related_name="plan_leads")
    name = models.TextField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BODY)

    class Meta:
        ordering = ["locality", "name"]
        constraints = [
            models.UniqueConstraint(fields=["locality", "name"], name="one_lead_per_name"),
            models.CheckConstraint(condition=~Q(name=""), name="lead_has_a_name"),
            models.CheckConstraint(
                condition=Q(kind__in=["person", "body"]), name="lead_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def scope_organisation(self) -> Locality:
        return self.locality


class Plan(models.Model):
    """One locality's commissioning plan for one financial year, as imported from its document."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    locality = models.ForeignKey(Locality, on_delete=models.PROTECT, related_name="plans")
    financial_year = models.CharField(max_length=7, help_text='e.g. "2008/09"')
    slug = models.SlugField(max_length=80, unique=True)
    title = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    source_filename = models.CharField(max_length=255)
    source_sha256 = models.CharField(max_length=64)
    # Checksum of what was read (the objectives' JSON): the same content imports as "unchanged".
    content_sha256 = models.CharField(max_length=64)
    source_size = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["locality", "-financial_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["locality", "financial_year"], name="one_plan_per_locality_year"
            ),
            models.CheckConstraint(
                condition=Q(financial_year__regex=FINANCIAL_YEAR_PATTERN),
                name="plan_financial_year_shape",
            ),
            models.CheckConstraint(
                condition=Q(source_sha256__regex=r"^[0-9a-f]{64}$"), name="plan_checksum_shape"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "active", "closed"]), name="plan_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.locality.name} {self.financial_year}: {self.title}"

    def scope_organisation(self) -> Locality:
        return self.locality

    @property
    def year(self) -> FinancialYear:
        """The plan's financial year (April to March): `month in plan.year`, `plan.year.start`."""
        return FinancialYear.parse(self.financial_year)

    def months(self) -> list[dt.date]:
        """The first day of each month of the financial year, April to March."""
        return months_of_year(self.financial_year)


class Section(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections")
    number = models.PositiveIntegerField()
    name = models.TextField()

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="one_section_per_number"),
            models.UniqueConstraint(fields=["plan", "name"], name="one_section_per_name"),
            models.CheckConstraint(condition=Q(number__gte=1), name="section_number_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Objective(models.Model):
    """An objective (a row of the plan's table with the sub-rows under it)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="objectives")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="objectives")
    number = models.PositiveIntegerField()
    title = models.TextField()
    timescale = models.TextField(blank=True)
    leads = models.ManyToManyField(Lead, blank=True, related_name="objectives")

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="one_objective_per_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="objective_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.short_title}"

    @property
    def short_title(self) -> str:
        text = " ".join(self.title.split())
        return text if len(text) <= 120 else text[:117].rstrip() + "..."

    def scope_organisation(self) -> Locality:
        return self.plan.locality


class ObjectiveDueDate(models.Model):
    """A due date read from the objective's timescale (several when the cell names several)."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="due_dates")
    date = models.DateField()

    class Meta:
        ordering = ["objective", "date"]
        constraints = [
            models.UniqueConstraint(fields=["objective", "date"], name="one_due_date_per_date"),
        ]

    def __str__(self) -> str:
        return self.date.isoformat()


class Action(models.Model):
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="actions")
    number = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["objective", "number"]
        constraints = [
            models.UniqueConstraint(fields=["objective", "number"], name="one_action_per_number"),
            models.CheckConstraint(condition=~Q(text=""), name="action_has_text"),
        ]

    def __str__(self) -> str:
        return self.text


class Outcome(models.Model):
    """An expected outcome; its measures (indicators and targets) are `MeasureLink`s."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="outcomes")
    number = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["objective", "number"]
        constraints = [
            models.UniqueConstraint(fields=["objective", "number"], name="one_outcome_per_number"),
            models.CheckConstraint(condition=~Q(text=""), name="outcome_has_text"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def ref(self) -> str:
        """ "3.2": objective 3's second expected outcome."""
        return f"{self.objective.number}.{self.number}"

    def scope_organisation(self) -> Locality:
        return self.objective.plan.locality


class Milestone(models.Model):
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="milestones")
    number = models.PositiveIntegerField()
    text = models.TextField()
    due_date = models.DateField(null=True, blank=True)
    leads = models.ManyToManyField(Lead, blank=True, related_name="milestones")
    # How many updates have been saved: the optimistic lock for concurrent editors.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["objective__number", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["objective", "number"], name="one_milestone_per_number"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="milestone_has_text"),
            models.CheckConstraint(condition=Q(number__gte=1), name="milestone_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.short_text}"

    @property
    def ref(self) -> str:
        """ "3.2": objective 3's second milestone."""
        return f"{self.objective.number}.{self.number}"

    @property
    def key(self) -> str:
        """The milestone's URL key: the plan slug and its number, "dacorum-2008-09-3.2"."""
        return f"{self.objective.plan.slug}-{self.ref}"

    @property
    def short_text(self) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= 140 else text[:137].rstrip() + "..."

    def scope_organisation(self) -> Locality:
        return self.objective.plan.locality


class MeasureLink(models.Model):
    """An outcome, or a milestone that states a number, measured by a catalogue indicator,
    with the target as the plan states it (`pbc.plans.measures` links, unlinks and carries
    links forward to next year's plan, each audited).

    `carried_from` names the plan (slug) the link was carried from when a plan was imported;
    empty for a link made on this plan.
    """

    outcome = models.ForeignKey(
        Outcome, null=True, blank=True, on_delete=models.CASCADE, related_name="measures"
    )
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="measures"
    )
    indicator_id = models.CharField(max_length=80)
    target = models.CharField(max_length=200)
    carried_from = models.CharField(max_length=80, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__isnull=False, milestone__isnull=True)
                | Q(outcome__isnull=True, milestone__isnull=False),
                name="measure_link_one_subject",
            ),
            models.UniqueConstraint(
                fields=["outcome", "indicator_id"], name="one_link_per_outcome_indicator"
            ),
            models.UniqueConstraint(
                fields=["milestone", "indicator_id"], name="one_link_per_milestone_indicator"
            ),
            models.CheckConstraint(condition=~Q(indicator_id=""), name="measure_link_indicator"),
            models.CheckConstraint(condition=~Q(target=""), name="measure_link_target"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_ref} → {self.indicator_id} ({self.target})"

    @property
    def subject(self) -> Outcome | Milestone:
        subject = self.outcome or self.milestone
        assert subject is not None
        return subject

    @property
    def subject_ref(self) -> str:
        """ "outcome 3.2" or "milestone 3.2"."""
        return f"{'outcome' if self.outcome_id else 'milestone'} {self.subject.ref}"

    def scope_organisation(self) -> Locality:
        return self.subject.objective.plan.locality


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"
    COMPLETE = "complete", "Complete"


STATUS_ORDER = [s.value for s in Status]


class MilestoneUpdate(models.Model):
    """One saved progress update: the month it reports on, status, commentary; who and when."""

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="updates")
    month = models.DateField(help_text="The first day of the month reported on")
    status = models.CharField(max_length=12, choices=Status.choices)
    commentary = models.TextField(blank=True)
    evidence_url = models.URLField(max_length=500, blank=True)
    private = models.BooleanField(
        default=False, help_text="Private commentary is left out of the public page"
    )
    version = models.PositiveIntegerField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_name = models.CharField(max_length=150)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["milestone", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "version"], name="one_update_per_milestone_version"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="update_month_is_first_day"),
            models.CheckConstraint(
                condition=Q(status__in=STATUS_ORDER), name="update_status_known"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="update_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.milestone.ref} {self.month:%b %Y}: {self.get_status_display()}"


class FastTrackThreshold(models.Model):
    """The business-case fast-track rule in force from `valid_from` until the next row's date.

    A case goes by the fast track when its annual cost is under `max_annual_cost` or its cost per
    patient is under `max_cost_per_patient` (Dacorum 2008: £100,000 or 50p per patient).
    """

    valid_from = models.DateField(unique=True)
    max_annual_cost = models.DecimalField(max_digits=12, decimal_places=2)
    max_cost_per_patient = models.DecimalField(max_digits=8, decimal_places=2)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_annual_cost__gt=0) & Q(max_cost_per_patient__gt=0),
                name="threshold_amounts_positive",
            )
        ]

    def __str__(self) -> str:
        return (
            f"from {self.valid_from}: under £{self.max_annual_cost:,.0f} "
            f"or £{self.max_cost_per_patient} per patient"
        )

    @classmethod
    def in_force(cls, on: dt.date) -> FastTrackThreshold | None:
        return cls.objects.filter(valid_from__lte=on).order_by("-valid_from").first()


class BusinessCase(models.Model):
    """A business case for commissioning a service, decided by the PBC Governance Subcommittee."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        IMPLEMENTED = "implemented", "Implemented"

    class Route(models.TextChoices):
        UNDECIDED = "", "Not yet submitted"
        FAST_TRACK = "fast_track", "Fast track"
        FULL = "full", "Full business case"

    locality = models.ForeignKey(Locality, on_delete=models.PROTECT, related_name="business_cases")
    ref = models.SlugField(max_length=80, unique=True)
    service = models.CharField(max_length=300)
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.SET_NULL, related_name="business_cases"
    )
    annual_cost = models.DecimalField(max_digits=12, decimal_places=2)
    expected_savings = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    population_covered = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    route = models.CharField(max_length=12, choices=Route.choices, blank=True, default="")
    threshold = models.ForeignKey(
        FastTrackThreshold, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_on = models.DateField(null=True, blank=True)
    decision_due_on = models.DateField(null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    implemented_on = models.DateField(null=True, blank=True)
    decision_notes = models.TextField(blank=True)
    # The expected benefit as a measurable change, e.g. referrals to secondary mental health
    # care, -35 (%), against a baseline; the realised value once the data exists.
    benefit_measure = models.CharField(max_length=300, blank=True)
    expected_change_percent = models.DecimalField(
        max_digits=6, decimal_places=1, null=True, blank=True
    )
    baseline_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    realised_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    realised_as_at = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["locality", "ref"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_cost__gte=0) & Q(expected_savings__gte=0),
                name="business_case_money_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(population_covered__gt=0), name="business_case_population_positive"
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(submitted_on__isnull=False, route__in=["fast_track", "full"]),
                name="business_case_submitted_has_date_and_route",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted"]) | Q(decided_on__isnull=False),
                name="business_case_decision_has_date",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True)
                | Q(submitted_on__isnull=True)
                | Q(decided_on__gte=F("submitted_on")),
                name="business_case_decided_after_submitted",
            ),
            models.CheckConstraint(
                condition=~Q(status="implemented") | Q(implemented_on__isnull=False),
                name="business_case_implemented_has_date",
            ),
            models.CheckConstraint(
                condition=Q(realised_value__isnull=True) | Q(realised_as_at__isnull=False),
                name="business_case_realised_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.service

    def scope_organisation(self) -> Locality:
        return self.locality

    @property
    def cost_per_patient(self) -> Decimal:
        return (self.annual_cost / self.population_covered).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    @property
    def expected_value(self) -> Decimal | None:
        """The baseline changed by the expected percentage (None without both)."""
        if self.baseline_value is None or self.expected_change_percent is None:
            return None
        return (self.baseline_value * (1 + self.expected_change_percent / 100)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    @property
    def realised_change_percent(self) -> Decimal | None:
        if self.baseline_value in (None, Decimal(0)) or self.realised_value is None:
            return None
        assert self.baseline_value is not None
        change = (self.realised_value - self.baseline_value) / self.baseline_value * 100
        return change.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class Meeting(models.Model):
    """A meeting the locality holds or attends to run its plan: an acute trust's SLA review,
    the locality's GP Hot Topics meeting, the prescribing leads' meeting (`pbc.plans.meetings`)."""

    class Kind(models.TextChoices):
        SLA_REVIEW = "sla_review", "SLA review meeting"
        HOT_TOPICS = "hot_topics", "Hot Topics meeting"
        PRESCRIBING_LEADS = "prescribing_leads", "Prescribing leads' meeting"

    locality = models.ForeignKey(Locality, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    held_on = models.DateField()
    title = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["locality", "-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["sla_review", "hot_topics", "prescribing_leads"]),
                name="meeting_kind_known",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on:%d %B %Y}" + (
            f": {self.title}" if self.title else ""
        )

    def scope_organisation(self) -> Locality:
        return self.locality


class MeetingAttendee(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200)

    class Meta:
        ordering = ["meeting", "role", "name"]
        constraints = [models.CheckConstraint(condition=~Q(role=""), name="attendee_has_a_role")]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


class MeetingItem(models.Model):
    """A decision or an action of a meeting, and what it concerns: a plan objective, a contract
    or an indicator (any, or none). An action has an owner and a due date; it is done on a date
    or open (overdue once its due date has passed)."""

    class Kind(models.TextChoices):
        DECISION = "decision", "Decision"
        ACTION = "action", "Action"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField()
    owner = models.CharField(max_length=200, blank=True)
    due_on = models.DateField(null=True, blank=True)
    done_on = models.DateField(null=True, blank=True)
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.SET_NULL, related_name="meeting_items"
    )
    contract = models.ForeignKey(
        "finance.Contract", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="meeting_items",
    )  # fmt: skip
    indicator_id = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["meeting", "kind", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="meeting_item_has_text"),
            models.CheckConstraint(
                condition=Q(kind="decision", due_on__isnull=True, done_on__isnull=True)
                | (Q(kind="action", due_on__isnull=False) & ~Q(owner="")),
                name="action_has_owner_and_due_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text}"

    def scope_organisation(self) -> Locality:
        return self.meeting.locality
