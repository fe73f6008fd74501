"""What other apps read of the import records, as plain data."""

from __future__ import annotations

from pbc.imports.models import ImportRun


def latest_import() -> tuple[int, str] | None:
    """The id and status of the latest import recorded (None before the first): it changes
    whenever an import is recorded or finishes."""
    latest = ImportRun.objects.order_by("-pk").values_list("pk", "status").first()
    return (int(latest[0]), str(latest[1])) if latest else None


def rejected_rows_by_run() -> list[tuple[list[str], int]]:
    """(partitions written, rows rejected into quarantine) of every loaded import that
    rejected rows, oldest first."""
    rows = (
        ImportRun.objects.filter(status=ImportRun.Status.LOADED, rows_rejected__gt=0)
        .order_by("pk")
        .values_list("partitions", "rows_rejected")
    )
    return [(list(p or []), int(n)) for p, n in rows]
