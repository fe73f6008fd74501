"""Indicator values (computed by `refresh` or entered by hand), manual entries and targets.

Definitions live in YAML files (`definitions.py`), not in the database: they are reviewed
like code. The database holds what changes month by month.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

LEVEL_CHOICES = [
    ("practice", "Practice"),
    ("locality", "Locality"),
    ("pct", "PCT"),
    ("provider", "Provider"),
]


class IndicatorValue(models.Model):
    """One indicator's value for one organisation and month, ready to show."""

    class Source(models.TextChoices):
        COMPUTED = "computed", "Computed from the warehouse"
        MANUAL = "manual", "Entered by hand"
        SERVICES = "services", "From the services data"
        AGGREGATE = "aggregate", "From published aggregate data (QOF, RTT returns, A&E)"

    indicator_id = models.CharField(max_length=80)
    level = models.CharField(max_length=10, choices=LEVEL_CHOICES)
    org_code = models.CharField(max_length=40)
    month = models.DateField(help_text="First day of the month (or of the quarter/year).")
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    lower = models.FloatField(null=True, blank=True, help_text="95% confidence limit")
    upper = models.FloatField(null=True, blank=True, help_text="95% confidence limit")
    extra = models.JSONField(default=dict, blank=True, help_text="decile, saving_at_10th, ...")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.COMPUTED)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator_id", "level", "org_code", "month"], name="one_value_per_month"
            ),
            models.CheckConstraint(
                condition=models.Q(lower__isnull=True)
                | models.Q(value__isnull=True)
                | models.Q(lower__lte=models.F("value")),
                name="lower_not_above_value",
            ),
        ]
        indexes = [models.Index(fields=["indicator_id", "level", "org_code"])]
        ordering = ["indicator_id", "level", "org_code", "month"]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.level}:{self.org_code} {self.month:%Y-%m} = {self.value}"


class ManualValue(models.Model):
    """A value entered by hand for a manual-entry indicator (the record of who said what)."""

    indicator_id = models.CharField(max_length=80)
    level = models.CharField(max_length=10, choices=LEVEL_CHOICES)
    org_code = models.CharField(max_length=40)
    month = models.DateField()
    numerator = models.FloatField()
    denominator = models.FloatField(null=True, blank=True)
    note = models.TextField(blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator_id", "level", "org_code", "month"], name="one_manual_per_month"
            ),
            models.CheckConstraint(
                condition=models.Q(numerator__gte=0), name="manual_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(denominator__isnull=True)
                | models.Q(denominator__gte=models.F("numerator")),
                name="manual_numerator_within_denominator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.level}:{self.org_code} {self.month:%Y-%m} (manual)"


class Target(models.Model):
    """A local target overriding the definition's within one financial year, for one
    organisation from a month on (blank org_code: every organisation at that level).

    A financial year's target is a row from its first month (April); a trajectory adds rows
    from later months of the same year. Set through `actions.set_target`, which keeps every
    change in `TargetChange`."""

    indicator_id = models.CharField(max_length=80)
    level = models.CharField(max_length=10, choices=LEVEL_CHOICES)
    org_code = models.CharField(max_length=40, blank=True)
    valid_from = models.DateField()
    value = models.FloatField()
    note = models.TextField(blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator_id", "level", "org_code", "valid_from"], name="one_target_each"
            )
        ]
        ordering = ["indicator_id", "level", "org_code", "valid_from"]

    def __str__(self) -> str:
        return f"{self.indicator_id} target {self.value} from {self.valid_from}"


class TargetChange(models.Model):
    """History of target edits: one row per change of one financial year's target and
    trajectory at one level (who, when, before and after)."""

    indicator_id = models.CharField(max_length=80)
    level = models.CharField(max_length=10, choices=LEVEL_CHOICES)
    org_code = models.CharField(max_length=40, blank=True)
    financial_year = models.CharField(max_length=7)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.level} {self.financial_year} target change"


class WatchPathway(models.Model):
    """An incomplete RTT pathway waiting 17 weeks or more at the census date (patient-level:
    shown only to the practice's own users and PCT analysts, every view audited)."""

    census_date = models.DateField()
    pathway_id = models.CharField(max_length=40)
    nhs_number = models.CharField(max_length=10)
    practice_code = models.CharField(max_length=10, db_index=True)
    provider_code = models.CharField(max_length=10)
    treatment_function_code = models.CharField(max_length=3)
    clock_start_date = models.DateField()
    wait_days = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["census_date", "pathway_id"], name="one_watch_row"),
            models.CheckConstraint(condition=models.Q(wait_days__gte=119), name="watch_17_weeks"),
        ]
        ordering = ["provider_code", "treatment_function_code", "practice_code", "-wait_days"]

    def __str__(self) -> str:
        return f"{self.pathway_id} waiting {self.wait_days} days at {self.census_date}"

    @property
    def weeks_waited(self) -> int:
        return self.wait_days // 7

    @property
    def days_to_breach(self) -> int:
        return 126 - self.wait_days


class Baseline(models.Model):
    """A dated baseline an analyst entered for one organisation: the count of a year before
    the data (MRSA bacteraemia in 2003/04) that a derived target is worked out from (a
    definition with `baseline: {entered: true}`). Set through `actions.set_baseline`
    (audited: who, when, before and after)."""

    indicator_id = models.CharField(max_length=80)
    level = models.CharField(max_length=10, choices=LEVEL_CHOICES)
    org_code = models.CharField(max_length=40)
    period = models.CharField(max_length=7, help_text="The financial year, as 2003/04")
    value = models.FloatField()
    source = models.TextField(blank=True, help_text="Where the figure comes from")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator_id", "level", "org_code", "period"], name="one_baseline_each"
            ),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="baseline_not_negative"),
        ]
        ordering = ["indicator_id", "level", "org_code", "period"]

    def __str__(self) -> str:
        return (
            f"{self.indicator_id} {self.level}:{self.org_code} {self.period} baseline {self.value}"
        )
