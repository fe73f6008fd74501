"""App-database record of every warehouse import (the data itself lives in Parquet)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ImportRun(models.Model):
    """One import of one file: who, when, what, and how many rows went where.

    Rows read always equal rows loaded plus rows rejected plus rows dropped (a database
    constraint); rows dropped are those the file's published layout drops (totals, test items,
    split rows summed), and `layout` names the layout the file was read in ("pbc": the
    dataset's own). The record is
    written "running" before the import starts and finished after it (`pbc.imports.actions`);
    one left "running" by a process that died is settled from the warehouse's manifest.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        LOADED = "loaded", "Loaded"
        REFUSED = "refused", "Refused (whole-file problem)"
        FAILED = "failed", "Failed"

    import_id = models.CharField(max_length=40, blank=True, db_index=True)
    dataset = models.CharField(max_length=50, db_index=True)
    source_name = models.CharField(max_length=500)
    checksum = models.CharField("SHA-256 checksum", max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    via = models.CharField(max_length=20, default="cli")  # "cli", "upload", "demo"
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices)
    period = models.CharField(max_length=7, blank=True)  # declared YYYY-MM, if any
    rows_read = models.PositiveBigIntegerField(default=0)
    rows_loaded = models.PositiveBigIntegerField(default=0)
    rows_rejected = models.PositiveBigIntegerField(default=0)
    rows_flagged = models.PositiveBigIntegerField(default=0)
    rows_dropped = models.PositiveBigIntegerField(default=0)
    dropped = models.JSONField(default=dict, blank=True)  # reason -> rows
    layout = models.CharField(max_length=50, blank=True)
    partitions = models.JSONField(default=list, blank=True)
    quarantine_path = models.CharField(max_length=1000, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        db_table = "warehouse_importrun"  # its name from before it left pbc.warehouse
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_read=F("rows_loaded") + F("rows_rejected") + F("rows_dropped")),
                name="import_rows_read_equal_loaded_rejected_dropped",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset} from {self.source_name} ({self.status})"

    @property
    def nothing_loaded(self) -> bool:
        """A finished import that stored no row: every row was quarantined (or dropped by
        its layout), so no partition changed."""
        return self.status == self.Status.LOADED and self.rows_loaded == 0

    @property
    def status_text(self) -> str:
        """The status as pages show it: "Loaded", or "Nothing loaded" when no row was."""
        if not self.nothing_loaded:
            return str(self.get_status_display())
        if self.rows_rejected and not self.rows_dropped:
            return "Nothing loaded: every row was quarantined"
        return "Nothing loaded"
