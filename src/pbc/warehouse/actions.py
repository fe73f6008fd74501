"""Business actions on the warehouse: importing a file, recorded and audited.

The import itself (validation, quarantine, atomic partition swap) is `pbc.warehouse.ingest`;
this wraps it for the app: the record in `ImportRun` and the audit event, for the command line,
the upload page and the demo alike.

Scope: a signed-in user imports on behalf of the PCTs where it holds `import_data` (a PCT
analyst: its own PCT); for the datasets a PCT owns rows of (activity, local prices, follow-up
caps) the import may hold and replace only those commissioners' rows (`import_scope`, and
`pbc.warehouse.ingest` "Scope"). The command line has no user: it is the system operator, with
every commissioner in scope, unless `pbc import --pct CODE` narrows it to one PCT.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from pbc.orgs import audit
from pbc.orgs.access import memberships
from pbc.orgs.roles import Permission, Role
from pbc.warehouse.ingest import ImportRefused, ImportResult, ProgressCallback, import_file
from pbc.warehouse.models import ImportRun


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def import_scope(user: Any, pct: str | None = None) -> frozenset[str] | None:
    """The commissioner codes an import may write: a signed-in user's PCTs (where it may
    import), or for the system operator (no user) `pct` if given, else None (every one)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset({pct}) if pct else None
    codes = {
        m.pct.code
        for m in memberships(user)
        if m.pct is not None and Permission.IMPORT_DATA in Role(m.role).permissions
    }
    if pct:
        codes &= {pct}
    return frozenset(codes)


def run_import(
    user: Any,
    dataset: str,
    path: str | Path,
    *,
    period: str | None = None,
    source_name: str | None = None,
    via: str = "cli",
    progress: ProgressCallback | None = None,
    pct: str | None = None,
) -> tuple[ImportRun, ImportResult | None]:
    """Import one file and record it. A refused file is recorded too (status "refused"), with
    the reason, and changes no data; the `ImportRefused` is not re-raised: the run says why.
    The import is scoped by `import_scope(user, pct)`."""
    started = datetime.now(UTC)
    name = source_name or Path(path).name
    commissioners = import_scope(user, pct)
    scope_text = "all commissioners" if commissioners is None else ", ".join(sorted(commissioners))
    try:
        result = import_file(
            dataset,
            path,
            period=period,
            data_dir=settings.DATA_DIR,
            source_name=name,
            progress=progress,
            commissioners=commissioners,
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
            audit.record(
                user, "import", run, detail=f"refused: {message}", after={"scope": scope_text}
            )
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
                "partitions_replaced": list(result.partitions_replaced),
                "scope": scope_text,
            },
        )
    return run, result
