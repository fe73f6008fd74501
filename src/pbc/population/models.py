"""Risk stratification in the app database: trained models (the model card) and scores.

The fitted estimator itself is a file under `settings.DATA_DIR / "models"` (joblib); the row
keeps its path, the figures of the model card and when it was trained. Scores are copied in
with a stable key back to the warehouse (NHS number and practice code) so that pages, exports
and the audit trail read only the app database.
"""

from __future__ import annotations

from django.db import models


class RiskModel(models.Model):
    """One training run: which model was chosen, on what data, and how well it did."""

    trained_at = models.DateTimeField()
    kind = models.CharField(max_length=40, help_text="gradient_boosting or logistic_regression")
    train_year = models.CharField(max_length=7, help_text="Outcome year trained on, '2006/07'")
    evaluation_year = models.CharField(max_length=7, help_text="Held-out outcome year")
    path = models.CharField(max_length=500, help_text="The joblib file of the fitted model")
    features = models.JSONField(default=list)
    card = models.JSONField(default=dict, help_text="Metrics, calibration, validation AUCs")
    scored_at = models.DateTimeField(null=True, blank=True)
    score_date = models.DateField(null=True, blank=True, help_text="Index date of the scores")

    class Meta:
        ordering = ["-trained_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} trained {self.trained_at:%Y-%m-%d %H:%M} on {self.train_year}"


class RiskScore(models.Model):
    """One person's predicted risk of an emergency admission in the next 12 months."""

    model = models.ForeignKey(RiskModel, on_delete=models.CASCADE, related_name="scores")
    nhs_number = models.CharField(max_length=10)
    gp_practice_code = models.CharField(max_length=10)
    rank = models.PositiveIntegerField(help_text="1 = highest risk within the practice")
    score = models.FloatField(help_text="Predicted probability, 0-1")
    age = models.PositiveSmallIntegerField()
    sex = models.CharField(max_length=1)
    deprivation_quintile = models.PositiveSmallIntegerField()
    emergency_admissions = models.PositiveSmallIntegerField(help_text="In the last 12 months")
    diabetes = models.BooleanField(default=False)
    copd = models.BooleanField(default=False)
    heart_failure = models.BooleanField(default=False)
    chd = models.BooleanField(default=False)
    hypertension = models.BooleanField(default=False)
    factors = models.JSONField(default=list, help_text="Main contributing factors, largest first")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "nhs_number"], name="one_score_per_person"),
            models.UniqueConstraint(
                fields=["model", "gp_practice_code", "rank"], name="one_rank_per_practice"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0) & models.Q(score__lte=1), name="score_is_risk"
            ),
        ]
        indexes = [models.Index(fields=["model", "gp_practice_code", "rank"])]
        ordering = ["gp_practice_code", "rank"]

    def __str__(self) -> str:
        return f"{self.gp_practice_code} #{self.rank}: {self.score:.3f}"


# Why a patient leaves a matron's caseload (a choice of pbc's: the matrons' return has no code
# list for it).
DISCHARGE_REASONS = [
    ("stable", "Condition stable: self-managing with the practice"),
    ("long_term_care", "Moved into long-term or residential care"),
    ("moved_away", "Moved away or registered elsewhere"),
    ("died", "Died"),
    ("declined", "Declined case management"),
    ("other", "Other"),
]


class CaseloadEntry(models.Model):
    """A patient taken onto a community matron's caseload from the practice's case-finding list
    (`pbc.population.caseload.take_on`). The risk score and rank are the list's when the patient
    was taken on: the comparison group is matched on them."""

    practice = models.ForeignKey(
        "orgs.Practice", on_delete=models.PROTECT, related_name="caseload_entries"
    )
    nhs_number = models.CharField(max_length=10)
    matron = models.CharField(max_length=150, help_text="The community matron's name")
    taken_on = models.DateField(help_text="The date the matron took the patient on")
    risk_score = models.FloatField(help_text="Risk on the case-finding list when taken on")
    risk_rank = models.PositiveIntegerField()
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(auto_now_add=True)
    # Discharged from the caseload (`pbc.population.caseload.discharge`); null: still on it.
    discharged_on = models.DateField(null=True, blank=True)
    discharge_reason = models.CharField(
        max_length=30, blank=True, default="", choices=DISCHARGE_REASONS
    )
    discharged_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "nhs_number"], name="on_a_practice_caseload_once"
            ),
            models.CheckConstraint(
                condition=models.Q(discharged_on__isnull=True)
                | models.Q(discharged_on__gte=models.F("taken_on")),
                name="caseload_discharged_after_taken_on",
            ),
            models.CheckConstraint(
                condition=models.Q(risk_score__gte=0) & models.Q(risk_score__lte=1),
                name="caseload_score_is_risk",
            ),
        ]
        ordering = ["practice", "taken_on", "nhs_number"]

    def __str__(self) -> str:
        return f"{self.nhs_number} on {self.matron}'s caseload from {self.taken_on}"
