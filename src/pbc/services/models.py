"""Enhanced services, provider returns and patient experience in the app database.

Enhanced services
- `EnhancedService`: a local (LES) or directed (DES) enhanced service, e.g. smoking cessation.
- `ServiceSpecification`: what the service pays for in one financial year: the unit of activity,
  the price per unit, the most units a practice may claim in a quarter (its cap), the quarterly
  target per practice where there is one (smoking quitters), and how often practices report.
- `SignUp`: a practice signed up to a specification (the LES agreement), possibly withdrawn.
- `Claim`: a practice's activity for one quarter under one specification; checked when made
  (problems kept), then approved (amount fixed) or rejected, then paid in a month.

Provider returns
- `ProviderContract`: a provider delivering a return template's service to a locality, with a
  price per case where the contract pays per case.
- `ProviderReturn`: one upload for one contract and period (a month, or a quarter's first month
  for quarterly templates). Only whole returns are stored: accepted clean, or accepted with known
  problems (the problems and the submitter's note kept). A later return for the same contract and
  period supersedes the earlier one (at most one current return, a database constraint).
- `ReturnRow`: one row of a stored return, as parsed values (JSON) and the row's own problems.

Patient experience
- `SurveyResult`: for a practice, a quarter and a domain: how many answered, how many positively.
- `SurveyAction`: the action log ("action taken on patient surveys & reported to boards
  quarterly").
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from pbc.orgs.models import Locality, Practice, Provider

FINANCIAL_YEAR_PATTERN = r"^[0-9]{4}/[0-9]{2}$"


class EnhancedService(models.Model):
    class Kind(models.TextChoices):
        LES = "les", "Local enhanced service"
        DES = "des", "Directed enhanced service"

    key = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=3, choices=Kind.choices, default=Kind.LES)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceSpecification(models.Model):
    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        ANNUAL = "annual", "Annually"

    service = models.ForeignKey(
        EnhancedService, on_delete=models.PROTECT, related_name="specifications"
    )
    financial_year = models.CharField(max_length=7)
    unit = models.CharField(max_length=200, help_text="The unit of activity paid for")
    price_per_unit = models.DecimalField(max_digits=10, decimal_places=2)
    cap_per_quarter = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most units one practice may claim in a quarter"
    )
    target_per_quarter = models.PositiveIntegerField(
        null=True, blank=True, help_text="Units each signed-up practice is expected to deliver"
    )
    reporting_frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.QUARTERLY
    )

    class Meta:
        ordering = ["service__name", "-financial_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "financial_year"], name="one_specification_per_service_year"
            ),
            models.CheckConstraint(
                condition=Q(price_per_unit__gte=0), name="specification_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(financial_year__regex=FINANCIAL_YEAR_PATTERN),
                name="specification_financial_year_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.name} {self.financial_year}"


class SignUp(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="sign_ups")
    specification = models.ForeignKey(
        ServiceSpecification, on_delete=models.PROTECT, related_name="sign_ups"
    )
    signed_on = models.DateField()
    withdrawn_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["practice__code", "specification__service__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "specification"], name="one_sign_up_per_practice_spec"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=models.F("signed_on")),
                name="sign_up_withdrawn_after_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice.code} signed up to {self.specification}"

    def scope_organisation(self) -> Practice:
        return self.practice

    def active_between(self, start: object, end: object) -> bool:
        return self.signed_on <= end and (self.withdrawn_on is None or self.withdrawn_on >= start)  # type: ignore[operator]


class Claim(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        QUERIED = "queried", "Queried (over cap)"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        PAID = "paid", "Paid"

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="claims")
    specification = models.ForeignKey(
        ServiceSpecification, on_delete=models.PROTECT, related_name="claims"
    )
    quarter = models.DateField(help_text="First day of the quarter")
    units = models.PositiveIntegerField()
    payable_units = models.PositiveIntegerField(help_text="Units within the cap")
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="Payable amount")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    problems = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.CharField(max_length=150)
    decided_by = models.CharField(max_length=150, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    paid_month = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-quarter", "practice__code", "specification__service__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "specification", "quarter"],
                condition=~Q(status="rejected"),
                name="one_live_claim_per_practice_spec_quarter",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="claim_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(payable_units__lte=models.F("units")),
                name="claim_payable_within_claimed",
            ),
            models.CheckConstraint(
                condition=(Q(status="paid") & Q(paid_month__isnull=False))
                | (~Q(status="paid") & Q(paid_month__isnull=True)),
                name="claim_paid_has_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice.code} {self.specification} {self.quarter:%Y-%m}: {self.units}"

    def scope_organisation(self) -> Practice:
        return self.practice


class ProviderContract(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="contracts")
    locality = models.ForeignKey(
        Locality, on_delete=models.PROTECT, related_name="provider_contracts"
    )
    template = models.CharField(max_length=50, help_text="Return template key")
    price_per_case = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["template", "provider__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "locality", "template"], name="one_contract_per_template"
            )
        ]

    def __str__(self) -> str:
        from pbc.services.return_templates import TEMPLATES

        return f"{TEMPLATES[self.template].name}: {self.provider.name} for {self.locality.name}"

    def scope_organisation(self) -> Provider:
        return self.provider


class Accreditation(models.Model):
    """A provider accredited to a locality's any willing provider service (a return template:
    e.g. direct access physiotherapy) from a date, at an agreed price per case, without any
    guarantee of activity. `pbc.services.awp`."""

    locality = models.ForeignKey(Locality, on_delete=models.PROTECT, related_name="accreditations")
    service = models.CharField(max_length=50, help_text="Return template key")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="accreditations")
    accredited_from = models.DateField()
    accredited_to = models.DateField(
        null=True, blank=True, help_text="The first day it no longer applies"
    )
    price_per_case = models.DecimalField(max_digits=10, decimal_places=2)
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["locality", "service", "accredited_from", "provider__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["locality", "service", "provider", "accredited_from"],
                name="one_accreditation_per_start",
            ),
            models.CheckConstraint(
                condition=Q(price_per_case__gte=0), name="accredited_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(accredited_to__isnull=True)
                | Q(accredited_to__gt=models.F("accredited_from")),
                name="accreditation_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider.code} accredited for {self.service} from {self.accredited_from}"

    def scope_organisation(self) -> Locality:
        return self.locality


class ProviderChoice(models.Model):
    """One provider of a practice's choice among those accredited to its locality's any willing
    provider service, from the first day of a month. The rows of one (practice, service,
    chosen_from) are the practice's choice from that month until its next choice.
    `pbc.services.awp.choose`."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="awp_choices")
    service = models.CharField(max_length=50, help_text="Return template key")
    chosen_from = models.DateField(help_text="First day of the month the choice applies from")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["practice", "service", "chosen_from", "provider__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "service", "chosen_from", "provider"],
                name="one_choice_row_per_provider",
            )
        ]

    def __str__(self) -> str:
        return f"{self.practice.code} chose {self.provider.code} for {self.service} from {self.chosen_from}"

    def scope_organisation(self) -> Practice:
        return self.practice


class ProviderReturn(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        ACCEPTED_WITH_PROBLEMS = "accepted_with_problems", "Accepted with known problems"

    contract = models.ForeignKey(ProviderContract, on_delete=models.PROTECT, related_name="returns")
    period = models.DateField(help_text="First day of the month (or quarter) the return covers")
    status = models.CharField(max_length=30, choices=Status.choices)
    current = models.BooleanField(default=True)
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField()
    problems = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True, help_text="Why it was accepted with known problems")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by_name = models.CharField(max_length=150)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period", "-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period"],
                condition=Q(current=True),
                name="one_current_return_per_contract_period",
            ),
            models.CheckConstraint(
                condition=Q(status="accepted") | (Q(status="accepted_with_problems") & ~Q(note="")),
                name="return_clean_or_explained",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.provider.code} {self.contract.template} {self.period:%Y-%m}"

    def scope_organisation(self) -> Provider:
        return self.contract.provider


class ReturnRow(models.Model):
    provider_return = models.ForeignKey(
        ProviderReturn, on_delete=models.CASCADE, related_name="rows"
    )
    row_number = models.PositiveIntegerField(help_text="Row in the uploaded file (header is 1)")
    gp_practice_code = models.CharField(max_length=6, blank=True, db_index=True)
    values = models.JSONField()
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["provider_return", "row_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_return", "row_number"], name="one_row_per_number"
            )
        ]

    def __str__(self) -> str:
        return f"row {self.row_number} of return {self.provider_return_id}"


class SurveyResult(models.Model):
    class Domain(models.TextChoices):
        ACCESS = "appointments_access", "Appointments and access"
        ATTITUDES = "attitudes_of_staff", "Attitudes of staff"
        KNOWLEDGE = "knowledge_of_patient", "Knowledge of the patient"
        PRIVACY = "privacy_dignity", "Privacy and dignity"
        COMFORT = "physical_comfort", "Physical comfort"
        ORGANISATION = "organisation_communication", "Organisation and communication"
        CLEANLINESS = "cleanliness", "Cleanliness"

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="survey_results")
    quarter = models.DateField(help_text="First day of the quarter")
    domain = models.CharField(max_length=30, choices=Domain.choices)
    responses = models.PositiveIntegerField()
    positive = models.PositiveIntegerField()
    imported_by = models.CharField(max_length=150)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["quarter", "practice__code", "domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "quarter", "domain"], name="one_survey_result_per_domain"
            ),
            models.CheckConstraint(
                condition=Q(positive__lte=models.F("responses")),
                name="survey_positive_within_responses",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice.code} {self.quarter:%Y-%m} {self.domain}: {self.positive}/{self.responses}"

    def scope_organisation(self) -> Practice:
        return self.practice


class SurveyAction(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    locality = models.ForeignKey(Locality, on_delete=models.PROTECT, related_name="survey_actions")
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.PROTECT, related_name="survey_actions"
    )
    quarter = models.DateField(help_text="The survey quarter the action responds to")
    domain = models.CharField(max_length=30, choices=SurveyResult.Domain.choices)
    action = models.TextField()
    owner = models.CharField(max_length=150)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    reported_to_board_on = models.DateField(null=True, blank=True)
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-quarter", "domain", "id"]

    def __str__(self) -> str:
        return f"{self.locality.slug} {self.quarter:%Y-%m} {self.domain}: {self.action[:40]}"

    def scope_organisation(self) -> Locality:
        return self.locality


MONEY_ZERO = Decimal("0.00")
