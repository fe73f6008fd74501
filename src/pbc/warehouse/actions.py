"""Business actions on the warehouse: importing a file, recorded and audited.

The import itself (validation, quarantine, atomic partition swap) is `pbc.warehouse.ingest`;
this wraps it for the app: the record in `ImportRun` and the audit event, for the command line,
the upload page and the demo alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from pbc.orgs import audit
from pbc.warehouse.ingest import ImportRefused, ImportResult, ProgressCallback, import_file
from pbc.warehouse.models import ImportRun


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def run_import(
    user: Any,
    dataset: str,
    path: str | Path,
    *,
    period: str | None = None,
    source_name: str | None = None,
    via: str = "cli",
    progress: ProgressCallback | None = None,
) -> tuple[ImportRun, ImportResult | None]:
    """Import one file and record it. A refused file is recorded too (status "refused"), with
    the reason, and changes no data; the `ImportRefused` is not re-raised: the run says why."""
    started = datetime.now(UTC)
    name = source_name or Path(path).name
    try:
        result = import_file(
            dataset,
            path,
            period=period,
            data_dir=settings.DATA_DIR,
            source_name=name,
            progress=progress,
        )
    except (ImportRefused, KeyError) as refusal:
        message = str(refusal).strip("'\"")
        with transaction.atomic():
            run = ImportRun.objects.create(
                dataset=dataset,
                source_name=name,
                user=user if getattr(user, "is_authenticated", False) else None,
                via=via,
                started_at=started,
                finished_at=datetime.now(UTC),
                status=ImportRun.Status.REFUSED,
                period=period or "",
                message=message,
            )
            audit.record(user, "import", run, detail=f"refused: {message}")
        return run, None
    with transaction.atomic():
        run = ImportRun.objects.create(
            dataset=result.dataset,
            source_name=result.source_name,
            checksum=result.checksum,
            user=user if getattr(user, "is_authenticated", False) else None,
            via=via,
            started_at=_parse_time(result.started_at),
            finished_at=_parse_time(result.finished_at),
            status=ImportRun.Status.LOADED,
            period=result.period or "",
            rows_read=result.rows_read,
            rows_loaded=result.rows_loaded,
            rows_rejected=result.rows_rejected,
            rows_flagged=result.rows_flagged,
            partitions=list(result.partitions),
            quarantine_path=result.quarantine_path or "",
        )
        audit.record(
            user,
            "import",
            run,
            after={
                "dataset": result.dataset,
                "rows_read": result.rows_read,
                "rows_loaded": result.rows_loaded,
                "rows_rejected": result.rows_rejected,
                "partitions": list(result.partitions),
            },
        )
    return run, result
