"""The record of `pbc refresh`: one row per step run (`StepRun`)."""

from __future__ import annotations

from django.db import models


class StepRun(models.Model):
    """One run of one step of the refresh pipeline (`pbc.refresh.pipeline`).

    `inputs` is the digest of everything the step read: the warehouse state of its datasets
    (also kept dataset by dataset in `datasets`), what it reads from the app database, its month
    and the inputs of the steps it comes after (kept by step in `upstream`). A run with no
    `completed_at` was started and did not finish (killed, or failed): the figures of the step's
    last completed run stand."""

    step = models.CharField(max_length=40)
    month = models.DateField(null=True, blank=True, help_text="empty: every month")
    inputs = models.CharField(max_length=64)
    datasets = models.JSONField(default=dict)
    upstream = models.JSONField(default=dict)
    forced = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["step", "completed_at"])]

    def __str__(self) -> str:
        month = f"{self.month:%Y-%m}" if self.month else "every month"
        return f"{self.step} ({month}) started {self.started_at:%Y-%m-%d %H:%M}"
