"""Findings copied from the validation rules, and the challenge process that follows them.

A `Finding` is one rule's verdict on one warehouse row, keyed by `key` = "rule:dataset:row_id"
(unique), so running the rules again updates the copy instead of duplicating it and never
touches its decisions. Its state moves through the challenge process:

    open ──► accepted                       (practice: the charge stands)
    open ──► more_information ──► ...       (practice asks the provider / PCT for detail)
    open ──► challenged ──► signed_off ──► agreed      (provider agrees: money recovered)
                                       └──► disputed ──► written_off | agreed

Money on the finding (all DECIMAL): `amount` is what the rule puts at stake; `challenged_amount`
is frozen when the practice challenges; `agreed_amount` / `recovered_amount` when the provider
agrees (recovered through the next contract payment, so recorded at the same time);
`written_off_amount` when a disputed challenge is dropped. Every change is a `Decision` row (the
history) and an audit event.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from pbc.orgs.models import Locality, Pct, Practice, Provider

MONEY = {"max_digits": 14, "decimal_places": 2}


class Status(models.TextChoices):
    OPEN = "open", "To review"
    ACCEPTED = "accepted", "Accepted"
    MORE_INFORMATION = "more_information", "More information requested"
    CHALLENGED = "challenged", "Challenged (awaiting sign-off)"
    SIGNED_OFF = "signed_off", "Signed off (sent to provider)"
    AGREED = "agreed", "Agreed by provider"
    DISPUTED = "disputed", "Disputed by provider"
    WRITTEN_OFF = "written_off", "Written off"


class Finding(models.Model):
    key = models.CharField(max_length=200, unique=True)
    rule_id = models.CharField(max_length=50, db_index=True)
    dataset = models.CharField(max_length=3)
    row_id = models.CharField(max_length=100)
    pct = models.ForeignKey(Pct, null=True, blank=True, on_delete=models.PROTECT)
    practice = models.ForeignKey(Practice, null=True, blank=True, on_delete=models.PROTECT)
    practice_code = models.CharField(max_length=10, blank=True)
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT)
    provider_code = models.CharField(max_length=5)
    commissioner_code = models.CharField(max_length=5, blank=True)
    month = models.DateField(db_index=True)
    activity_date = models.DateField()
    nhs_number = models.CharField(max_length=20, blank=True)  # patient-level: audited views
    charged_price = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)
    in_force = models.BooleanField(default=True)
    # Why the rule flagged the row, in words, where the rule says more than its title (the
    # invoice reconciliation and HRG version rules); "" otherwise.
    detail = models.TextField(blank=True, default="")
    still_flagged = models.BooleanField(default=True)
    first_found_at = models.DateTimeField(auto_now_add=True)
    last_found_at = models.DateTimeField(auto_now=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    reason = models.TextField(blank=True)  # the practice's challenge / question
    challenged_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    agreed_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    recovered_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    written_off_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    provider_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["month", "provider_code", "rule_id", "row_id"]
        # Practices review by status; providers' schedules are read by provider and status.
        indexes = [
            models.Index(fields=["practice", "status"]),
            models.Index(fields=["provider_code", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="finding_money_not_negative",
                condition=Q(amount__gte=0)
                & Q(challenged_amount__gte=0)
                & Q(agreed_amount__gte=0)
                & Q(recovered_amount__gte=0)
                & Q(written_off_amount__gte=0),
            ),
            models.CheckConstraint(
                name="finding_agreed_within_challenged",
                condition=Q(agreed_amount__lte=models.F("challenged_amount")),
            ),
            models.CheckConstraint(
                name="finding_status_known",
                condition=Q(status__in=[s.value for s in Status]),
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def scope_organisation(self) -> Practice | Pct | None:
        """The practice reviews its own patients' findings; rows of no known practice belong
        to the PCT that was invoiced."""
        return self.practice or self.pct

    @property
    def locality(self) -> Locality | None:
        return self.practice.locality if self.practice else None

    def snapshot(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "challenged_amount": str(self.challenged_amount),
            "agreed_amount": str(self.agreed_amount),
            "recovered_amount": str(self.recovered_amount),
            "written_off_amount": str(self.written_off_amount),
            "provider_reason": self.provider_reason,
        }


class Decision(models.Model):
    """One step of a finding's challenge process: who did what, when, why."""

    class Action(models.TextChoices):
        ACCEPT = "accept", "Accepted the charge"
        CHALLENGE = "challenge", "Challenged"
        MORE_INFORMATION = "more_information", "Asked for more information"
        SIGN_OFF = "sign_off", "Signed off the challenge"
        AGREE = "agree", "Provider agreed"
        DISPUTE = "dispute", "Provider disputed"
        WRITE_OFF = "write_off", "Written off"

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="decisions")
    action = models.CharField(max_length=20, choices=Action.choices)
    reason = models.TextField(blank=True)
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.finding.key}: {self.action}"

    def scope_organisation(self) -> Practice | Pct | None:
        return self.finding.scope_organisation()


class ResponseImport(models.Model):
    """One uploaded provider response file (who, when, what it changed)."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT)
    source_name = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    at = models.DateTimeField(auto_now_add=True)
    rows_read = models.PositiveIntegerField(default=0)
    agreed = models.PositiveIntegerField(default=0)
    disputed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.provider.code} responses {self.source_name}"

    def scope_organisation(self) -> Provider:
        return self.provider
