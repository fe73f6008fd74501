"""What other apps read of the import records, as plain data."""

from __future__ import annotations

from pbc.imports.models import ImportRun


def latest_import() -> tuple[int, str] | None:
    """The id and status of the latest import recorded (None before the first): it changes
    whenever an import is recorded or finishes."""
    latest = ImportRun.objects.order_by("-pk").values_list("pk", "status").first()
    return (int(latest[0]), str(latest[1])) if latest else None
