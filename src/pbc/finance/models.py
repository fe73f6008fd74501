"""Money in the app database: settings, contracts, budget versions, spend facts, refresh runs.

- `FinanceSetting`: versioned dated settings (uplift by budget line, practice share of freed-up
  resources, prescribing lag, fair-share pace). A setting is never edited: a new row with a
  later `valid_from` takes over; the row in force on a date is the latest one not after it.
- `Contract` and `ContractPlan`: a provider's contract with a PCT for one financial year and its
  activity plan by month, point of delivery and specialty (treatment function). The contract's
  kind, annual value and budget line are its terms as signed (its main line).
- `ContractLine`: the parts of a contract that charge budgets, each in force from a date to a
  date: block (a year's value charged a twelfth a month while in force), cost per case and
  payment by results (tariff), for all of the provider's activity or one specialty. The main
  line mirrors the contract's own terms; other parts are added at signing or by a variation.
- `ContractVariation`: a change to a contract from a date (its reason, who approved it, who
  recorded it): the lines it ended and added, and the plan from that month
  (`pbc.finance.variations`).
- `BudgetVersion` and `BudgetAmount`: an indicative budget per practice and year. Every version
  is kept; analysts draft, adjust (a new draft) and approve; approving supersedes the previous
  approved version (at most one approved version per practice and year, a database constraint).
- `RepaymentAgreement` and `RepaymentInstalment`: a locality's agreement to repay a deficit
  (the reported deficit, the non-recurrent items excluded from it, the amount, over how many
  years), recorded by a PCT analyst and approved by the locality's board; its instalments by
  financial year are carried into those years' budgets as the deficit repayment line
  (`pbc.finance.agreements`).
- `OtherSpend`: spend that is not in the warehouse (enhanced-service payments, one-off items),
  marked recurrent or not.
- `SpendFact`: what `refresh` derived from the warehouse, the unit statements are built from:
  practice × month × budget line × provider × point of delivery × treatment function × source.
  Activity under a block contract is kept (source "under_block": activity and £ at tariff, for
  the contract review) with nothing charged: the block's own facts (source "block") carry the
  charge.
- `PrescribingChange`: a practice's prescribing in one actual month against the same month last
  year, with this year's quantities at last year's prices (the price/volume split).
- `RefreshRun`: each refresh (its month is the statements' default month).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from pbc.analytics.finance.lines import LABELS, BudgetLine
from pbc.orgs.models import Locality, Pct, Practice, Provider

FINANCIAL_YEAR_PATTERN = r"^[0-9]{4}/[0-9]{2}$"
LINE_CHOICES = [(line.value, LABELS[line]) for line in BudgetLine]
LINE_VALUES = [line.value for line in BudgetLine]


class FinanceSetting(models.Model):
    class Key(models.TextChoices):
        UPLIFT = "uplift", "Uplift on historic spend (fraction)"
        PRACTICE_SHARE = "practice_share", "Practice share of freed-up resources (fraction)"
        PRESCRIBING_LAG = "prescribing_lag_months", "Prescribing data lag (months)"
        FAIR_SHARE_PACE = "fair_share_pace", "Pace toward fair share (fraction a year)"

    key = models.CharField(max_length=40, choices=Key.choices)
    line = models.CharField(max_length=30, blank=True, default="", help_text="blank: every line")
    value = models.DecimalField(max_digits=10, decimal_places=4)
    valid_from = models.DateField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["key", "line", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "line", "valid_from"], name="one_finance_setting_per_date"
            ),
            models.CheckConstraint(
                condition=Q(
                    key__in=[
                        "uplift",
                        "practice_share",
                        "prescribing_lag_months",
                        "fair_share_pace",
                    ]
                ),
                name="finance_setting_key_known",
            ),
            models.CheckConstraint(
                condition=Q(line="") | Q(line__in=LINE_VALUES), name="finance_setting_line_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}{'/' + self.line if self.line else ''} = {self.value} from {self.valid_from}"

    @classmethod
    def in_force(cls, key: str, on: dt.date, line: str = "") -> Decimal:
        """The value in force on `on` (a line's own row first, then the all-lines row)."""
        for candidate in [line, ""] if line else [""]:
            row = (
                cls.objects.filter(key=key, line=candidate, valid_from__lte=on)
                .order_by("-valid_from")
                .first()
            )
            if row is not None:
                return row.value
        raise LookupError(f"no {key} setting in force on {on}")


class Contract(models.Model):
    class Kind(models.TextChoices):
        PBR = "pbr", "Payment by results"
        BLOCK = "block", "Block"
        COST_PER_CASE = "cost_per_case", "Cost per case"
        AWP = "awp", "Any willing provider"

    pct = models.ForeignKey(Pct, on_delete=models.PROTECT, related_name="finance_contracts")
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="finance_contracts"
    )
    financial_year = models.CharField(max_length=7)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    annual_value = models.DecimalField(max_digits=14, decimal_places=2)
    # The budget line a block contract is charged to (activity contracts charge by row).
    budget_line = models.CharField(max_length=30, choices=LINE_CHOICES, blank=True, default="")

    class Meta:
        ordering = ["financial_year", "provider__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["pct", "provider", "financial_year", "name"], name="one_contract_per_name"
            ),
            models.CheckConstraint(
                condition=Q(financial_year__regex=FINANCIAL_YEAR_PATTERN),
                name="contract_financial_year_shape",
            ),
            models.CheckConstraint(
                condition=Q(annual_value__gte=0), name="contract_value_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind="block") | Q(budget_line__in=LINE_VALUES),
                name="block_contract_has_a_budget_line",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider.code} {self.financial_year} {self.name} ({self.get_kind_display()})"

    def scope_organisation(self) -> Provider:
        return self.provider


class ContractVariation(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="variations")
    effective_from = models.DateField(help_text="First day of the first month it applies to")
    reason = models.CharField(max_length=500)
    approved_by = models.CharField(max_length=200, help_text="Who approved it (name and role)")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "effective_from", "pk"]

    def __str__(self) -> str:
        return f"{self.contract} varied from {self.effective_from:%Y-%m-%d}: {self.reason}"

    def scope_organisation(self) -> Provider:
        return self.contract.provider


class ContractLine(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")
    main = models.BooleanField(default=False, help_text="The contract's own terms as signed")
    kind = models.CharField(max_length=20, choices=Contract.Kind.choices)
    description = models.CharField(max_length=200, blank=True)
    # Blank: every specialty of the provider's activity that no line of its own names.
    treatment_function_code = models.CharField(max_length=3, blank=True, default="")
    budget_line = models.CharField(max_length=30, choices=LINE_CHOICES, blank=True, default="")
    annual_value = models.DecimalField(max_digits=14, decimal_places=2)
    starts = models.DateField()
    ends = models.DateField(null=True, blank=True, help_text="The first day it no longer applies")
    added_by = models.ForeignKey(
        ContractVariation, null=True, blank=True, on_delete=models.RESTRICT,
        related_name="added_lines",
    )  # fmt: skip
    ended_by = models.ForeignKey(
        ContractVariation, null=True, blank=True, on_delete=models.RESTRICT,
        related_name="ended_lines",
    )  # fmt: skip

    class Meta:
        ordering = ["contract", "starts", "-main", "treatment_function_code", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract"], condition=Q(main=True), name="one_main_line_per_contract"
            ),
            models.CheckConstraint(
                condition=Q(annual_value__gte=0), name="contract_line_value_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind="block") | Q(budget_line__in=LINE_VALUES),
                name="block_line_has_a_budget_line",
            ),
            models.CheckConstraint(
                condition=Q(ends__isnull=True) | Q(ends__gt=models.F("starts")),
                name="contract_line_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        until = f" to {self.ends:%Y-%m-%d}" if self.ends else ""
        return f"{self.contract}: {self.get_kind_display()} from {self.starts:%Y-%m-%d}{until}"

    def scope_organisation(self) -> Provider:
        return self.contract.provider


class QualityMeasure(models.Model):
    """A measure of a contract's quality schedule: monitored each month from the provider's
    returns (a return template's standard) or from an indicator at the provider, with a
    threshold (a percentage it must reach) and the consequence of missing it (a percentage of
    the contract's monthly value withheld). `pbc.finance.quality`."""

    class Source(models.TextChoices):
        RETURN = "return", "Provider return"
        INDICATOR = "indicator", "Indicator"

    class Category(models.TextChoices):
        INFECTION = "infection", "Infection control"
        EXPERIENCE = "experience", "Patient experience"
        RESPONSE = "response", "Response times"

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="quality_measures"
    )
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=Category.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    source_key = models.CharField(max_length=80, help_text="Return template key or indicator id")
    threshold = models.DecimalField(
        max_digits=5, decimal_places=2, help_text="Percentage each month must reach"
    )
    withheld_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        help_text="Percentage of the contract's monthly value withheld for a month below it",
    )
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "category", "name"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "name"], name="one_measure_per_name"),
            models.CheckConstraint(
                condition=Q(threshold__gte=0) & Q(threshold__lte=100),
                name="quality_threshold_is_percent",
            ),
            models.CheckConstraint(
                condition=Q(withheld_percent__gte=0) & Q(withheld_percent__lte=100),
                name="quality_withheld_is_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract}: {self.name} (at least {self.threshold}%)"

    def scope_organisation(self) -> Provider:
        return self.contract.provider


class ContractPlan(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="plan")
    month = models.DateField()
    point_of_delivery = models.CharField(max_length=10)
    treatment_function_code = models.CharField(max_length=3, blank=True, default="")
    activity = models.IntegerField()
    value = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["contract", "month", "point_of_delivery", "treatment_function_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "month", "point_of_delivery", "treatment_function_code"],
                name="one_plan_row_per_month_pod_tf",
            ),
            models.CheckConstraint(
                condition=Q(activity__gte=0) & Q(value__gte=0), name="plan_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.month:%Y-%m} {self.point_of_delivery} {self.treatment_function_code}"


class BudgetVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        SUPERSEDED = "superseded", "Superseded"

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="budget_versions")
    financial_year = models.CharField(max_length=7)
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    method = models.CharField(max_length=40)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["practice", "financial_year", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "financial_year", "number"], name="one_budget_version_number"
            ),
            models.UniqueConstraint(
                fields=["practice", "financial_year"],
                condition=Q(status="approved"),
                name="one_approved_budget_per_practice_year",
            ),
            models.CheckConstraint(
                condition=Q(financial_year__regex=FINANCIAL_YEAR_PATTERN),
                name="budget_financial_year_shape",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "approved", "superseded"]),
                name="budget_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(approved_at__isnull=False),
                name="approved_budget_has_a_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice.code} {self.financial_year} v{self.number} ({self.status})"

    def scope_organisation(self) -> Practice:
        return self.practice

    @property
    def total(self) -> Decimal:
        return sum((a.amount for a in self.amounts.all()), Decimal("0.00"))


class BudgetAmount(models.Model):
    version = models.ForeignKey(BudgetVersion, on_delete=models.CASCADE, related_name="amounts")
    line = models.CharField(max_length=30, choices=LINE_CHOICES)
    recurrent = models.BooleanField(default=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["version", "line", "-recurrent"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "line", "recurrent"], name="one_budget_amount_per_line"
            ),
            models.CheckConstraint(condition=Q(line__in=LINE_VALUES), name="budget_line_known"),
        ]

    def __str__(self) -> str:
        kind = "recurrent" if self.recurrent else "non-recurrent"
        return f"{self.version} {self.line} ({kind}): {self.amount}"


class RepaymentAgreement(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Recorded, awaiting the board"
        APPROVED = "approved", "Approved by the board"

    locality = models.ForeignKey(
        Locality, on_delete=models.PROTECT, related_name="repayment_agreements"
    )
    incurred_in = models.CharField(max_length=7, help_text="The financial year of the deficit")
    reported_deficit = models.DecimalField(max_digits=14, decimal_places=2)
    # Non-recurrent items the reported position counted (one-off underspends or income less
    # one-off costs), left out so that a non-recurrent gain does not offset a recurrent debt.
    non_recurrent_excluded = models.DecimalField(max_digits=14, decimal_places=2)
    non_recurrent_note = models.CharField(max_length=500, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    years = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["locality", "incurred_in", "-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["locality", "incurred_in"],
                condition=Q(status="approved"),
                name="one_approved_repayment_per_locality_year",
            ),
            models.CheckConstraint(
                condition=Q(incurred_in__regex=FINANCIAL_YEAR_PATTERN),
                name="repayment_year_shape",
            ),
            models.CheckConstraint(
                condition=Q(
                    amount=models.F("reported_deficit") + models.F("non_recurrent_excluded")
                ),
                name="repayment_is_the_deficit_without_non_recurrent_items",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_amount_positive"),
            models.CheckConstraint(
                condition=Q(years__gte=1) & Q(years__lte=10), name="repayment_years_one_to_ten"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(approved_at__isnull=False),
                name="approved_repayment_has_a_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.locality.name} {self.incurred_in} deficit: {self.amount} over {self.years}"

    def scope_organisation(self) -> Locality:
        return self.locality


class RepaymentInstalment(models.Model):
    agreement = models.ForeignKey(
        RepaymentAgreement, on_delete=models.CASCADE, related_name="instalments"
    )
    financial_year = models.CharField(max_length=7)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["agreement", "financial_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "financial_year"], name="one_instalment_per_year"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement} {self.financial_year}: {self.amount}"


class OtherSpend(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="other_spend")
    month = models.DateField()
    line = models.CharField(max_length=30, choices=LINE_CHOICES)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    recurrent = models.BooleanField(default=True)
    description = models.CharField(max_length=300)

    class Meta:
        ordering = ["practice", "month", "line"]
        constraints = [
            models.CheckConstraint(condition=Q(line__in=LINE_VALUES), name="other_spend_line_known")
        ]

    def __str__(self) -> str:
        return f"{self.practice.code} {self.month:%Y-%m} {self.line}: {self.amount}"


class SpendFact(models.Model):
    class Source(models.TextChoices):
        ACTIVITY = "activity", "Invoiced activity"
        BLOCK = "block", "Block contract"
        UNDER_BLOCK = "under_block", "Activity under a block contract (not charged per row)"
        PRESCRIBING = "prescribing", "Prescribing"
        OTHER = "other", "Other spend"
        RECOVERY = "recovery", "Agreed challenge recoveries"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="spend_facts")
    financial_year = models.CharField(max_length=7, db_index=True)
    month = models.DateField()
    line = models.CharField(max_length=30, choices=LINE_CHOICES)
    source = models.CharField(max_length=12, choices=Source.choices)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="spend_facts"
    )
    point_of_delivery = models.CharField(max_length=10, blank=True, default="")
    treatment_function_code = models.CharField(max_length=3, blank=True, default="")
    activity = models.IntegerField(default=0)
    charged = models.DecimalField(max_digits=14, decimal_places=2)
    at_tariff = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    estimated = models.BooleanField(default=False)
    recurrent = models.BooleanField(default=True)
    # Activity with no invoice yet (a HES / SUS extract loaded before the provider's invoice):
    # `charged` is its expected cost at tariff, replaced by the invoice once it arrives.
    expected = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["financial_year", "practice", "line"])]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.month:%Y-%m} {self.line} {self.source}: {self.charged}"


class PrescribingChange(models.Model):
    """One practice's prescribing in one month whose data has arrived, against the same month a
    year earlier (`pbc.analytics.finance.prescribing.price_volume_by_month`)."""

    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="prescribing_changes"
    )
    financial_year = models.CharField(max_length=7, db_index=True)
    month = models.DateField()
    cost = models.DecimalField(max_digits=14, decimal_places=2)
    cost_last_year = models.DecimalField(max_digits=14, decimal_places=2)
    at_last_year_prices = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["practice", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "month"], name="one_prescribing_change_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.month:%Y-%m}: {self.cost_last_year} -> {self.cost}"


class RefreshRun(models.Model):
    month = models.DateField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    facts = models.PositiveIntegerField(default=0)
    rows_costed = models.PositiveBigIntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"refresh {self.month:%Y-%m} at {self.started_at:%Y-%m-%d %H:%M}"

    @classmethod
    def latest_month(cls) -> dt.date | None:
        run = cls.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()
        return run.month if run else None
