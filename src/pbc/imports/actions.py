"""Business actions on the warehouse: importing a file, recorded and audited.

The import itself (validation, quarantine, atomic partition swap) is `pbc.warehouse.ingest`;
this wraps it for the app: the record in `ImportRun` and the audit event, for the command line,
the upload page and the demo alike.

The app database and the warehouse cannot commit in one transaction, so an import is recorded
in two steps around the warehouse commit, and a crash between them is settled later:

1. a "running" `ImportRun` with a fresh import id is committed first, while the importing
   process holds a claim on that id (`store.import_claim`, a lock released when it dies);
2. the warehouse commit writes the import's figures into the dataset's manifest in the same
   atomic rename as the data (`Manifest.imports`);
3. the record is finished ("loaded", "refused" or "failed") with its audit event, in one
   transaction.

`recover_interrupted_imports()` (at the start of every import, of `pbc serve` and after
`pbc restore`) settles each "running" record whose process is gone: "loaded", with the figures
and an audit event, if the manifest holds its commit; "failed" (nothing changed) if not.

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
from django.db.models import Q, QuerySet

from pbc.imports.models import ImportRun
from pbc.orgs import audit
from pbc.orgs.access import memberships
from pbc.orgs.models import Membership
from pbc.orgs.roles import Permission, Role
from pbc.warehouse import store
from pbc.warehouse.ingest import (
    ImportRefused,
    ImportResult,
    ProgressCallback,
    import_file,
    new_import_id,
    unchanged_import,
)
from pbc.web.uploads import upload_limits

INTERRUPTED_BEFORE_COMMIT = "interrupted before its commit: no data changed"
INTERRUPTED_AFTER_COMMIT = "interrupted after its commit: recorded at the next start"


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _finish(
    run: ImportRun,
    user: Any,
    *,
    detail: str = "",
    extra_after: dict[str, Any] | None = None,
    **fields: Any,
) -> bool:
    """Finish a running record and write its audit event, once (False if already finished)."""
    with transaction.atomic():
        if not ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.RUNNING).update(
            **fields
        ):
            return False
        run.refresh_from_db()
        after = None
        if run.status == ImportRun.Status.LOADED:
            after = {
                "dataset": run.dataset,
                "rows_read": run.rows_read,
                "rows_loaded": run.rows_loaded,
                "rows_rejected": run.rows_rejected,
                "rows_dropped": run.rows_dropped,
                "layout": run.layout,
                "partitions": list(run.partitions),
            }
        if extra_after:
            after = {**(after or {}), **extra_after}
        audit.record(user, "import", run, after=after, detail=detail)
    return True


def _loaded_fields(record: dict[str, Any], finished: datetime) -> dict[str, Any]:
    return {
        "status": ImportRun.Status.LOADED,
        "checksum": str(record.get("checksum") or ""),
        "finished_at": finished,
        "rows_read": int(record.get("rows_read") or 0),
        "rows_loaded": int(record.get("rows_loaded") or 0),
        "rows_rejected": int(record.get("rows_rejected") or 0),
        "rows_flagged": int(record.get("rows_flagged") or 0),
        "rows_dropped": int(record.get("rows_dropped") or 0),
        "dropped": dict(record.get("dropped") or {}),
        "layout": str(record.get("layout") or ""),
        "partitions": list(record.get("partitions") or []),
        "quarantine_path": str(record.get("quarantine_path") or ""),
    }


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


def may_see_run(user: Any, run: ImportRun) -> bool:
    """An import's record is shown to a user who imports for one of the PCTs the import was
    made for: a signed-in importer's PCTs, or every PCT for the system's own (CLI, demo)."""
    if run.user_id is None:
        return True
    return bool(import_scope(run.user) & (import_scope(user) or frozenset()))


def may_download_quarantine(user: Any, run: ImportRun) -> bool:
    """Quarantined rows may hold NHS numbers of the commissioners the import was made for: only
    a user who imports for every one of them downloads them. A system import (CLI, demo) may
    hold any commissioner's rows, so its quarantine is read where the operator ran it."""
    if run.user_id is None:
        return False
    owner = import_scope(run.user)
    return bool(owner) and owner <= (import_scope(user) or frozenset())


def visible_runs(user: Any) -> QuerySet[ImportRun]:
    """The import records `user` may see (`may_see_run`), newest first."""
    codes = import_scope(user) or frozenset()
    importers = Membership.objects.filter(
        pct__code__in=codes,
        role__in=[r.value for r in Role if Permission.IMPORT_DATA in r.permissions],
    ).values("user_id")
    return ImportRun.objects.filter(Q(user__isnull=True) | Q(user_id__in=importers))


def refusal_text(refusal: BaseException) -> str:
    """The refusal as the user reads it: a KeyError's message without the quotes `str()` puts
    round it; any other message whole (its own quotes kept, the closing one included)."""
    if isinstance(refusal, KeyError) and refusal.args:
        return str(refusal.args[0])
    return str(refusal)


def preview_import(
    user: Any,
    dataset: str,
    path: str | Path,
    *,
    period: str | None = None,
    source_name: str | None = None,
    layout: str | None = None,
) -> tuple[ImportResult | None, str]:
    """What importing the file would do, for `user` (its scope and the upload limits, as
    `run_import`), changing nothing and recording nothing: the dry run's result (partitions it
    would replace and the rows they hold now, the quarantine by field and reason), or None and
    the refusal as the user reads it."""
    name = source_name or Path(path).name
    try:
        result = import_file(
            dataset,
            path,
            period=period,
            data_dir=settings.DATA_DIR,
            source_name=name,
            commissioners=import_scope(user),
            limits=upload_limits(),
            layout=layout,
            dry_run=True,
        )
    except (ImportRefused, KeyError) as refusal:
        return None, refusal_text(refusal)
    return result, ""


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
    layout: str | None = None,
) -> tuple[ImportRun, ImportResult | None]:
    """Import one file and record it. A refused file is recorded too (status "refused"), with
    the reason, and changes no data; the `ImportRefused` is not re-raised: the run says why.
    The import is scoped by `import_scope(user, pct)`. Every file but the demo's own generated
    data is held to the upload limits of the settings (`pbc.web.uploads.upload_limits`)."""
    recover_interrupted_imports()
    name = source_name or Path(path).name
    commissioners = import_scope(user, pct)
    scope_text = "all commissioners" if commissioners is None else ", ".join(sorted(commissioners))
    import_id = new_import_id()
    with store.import_claim(settings.DATA_DIR, import_id):
        run = ImportRun.objects.create(
            import_id=import_id,
            dataset=dataset,
            source_name=name,
            user=user if getattr(user, "is_authenticated", False) else None,
            via=via,
            started_at=datetime.now(UTC),
            finished_at=datetime.now(UTC),
            status=ImportRun.Status.RUNNING,
            period=period or "",
        )
        try:
            result = import_file(
                dataset,
                path,
                period=period,
                data_dir=settings.DATA_DIR,
                source_name=name,
                progress=progress,
                import_id=import_id,
                commissioners=commissioners,
                limits=None if via == "demo" else upload_limits(),
                layout=layout,
            )
        except (ImportRefused, KeyError) as refusal:
            message = refusal_text(refusal)
            _finish(
                run,
                user,
                detail=f"refused: {message}",
                extra_after={"scope": scope_text},
                status=ImportRun.Status.REFUSED,
                finished_at=datetime.now(UTC),
                message=message,
            )
            run.refresh_from_db()
            return run, None
        except BaseException as error:
            settle_one(run, user, error=f"{type(error).__name__}: {error}")
            raise
        _finish(
            run,
            user,
            extra_after={
                "partitions_replaced": list(result.partitions_replaced),
                "scope": scope_text,
            },
            started_at=_parse_time(result.started_at),
            **_loaded_fields(result.to_dict(), _parse_time(result.finished_at)),
        )
    run.refresh_from_db()
    if result.layout in ODS_LAYOUTS:
        sync_organisations(user, source=result.layout)
    return run, result


# Published layouts whose import creates or updates the app's organisations.
ODS_LAYOUTS = frozenset(
    {
        "epraccur",
        "epcn",
        "epcn_dse",
        "epcn_headerless_10",
        "epcn_details",
        "epcn_details_dse",
        "eccg",
        "gp_reg_pat_map",
        "gp_reg_pat_map_pcn",
        "gp_reg_pat_map_2018_alt",
    }
)


def _rows(dataset: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    from pbc.warehouse.datasets import DATASETS

    rows: list[dict[str, Any]] = []
    for path in store.live_files(DATASETS[dataset], settings.DATA_DIR):
        rows += pq.read_table(path).to_pylist()
    return rows


def sync_organisations(user: Any, *, source: str = "ods") -> Any:
    """Create or update practices, PCNs and commissioners from the warehouse's ODS rows
    (`pbc.orgs.ods.sync`)."""
    from pbc.orgs import ods

    return ods.sync(
        user,
        _rows("practices"),
        _rows("pcn_memberships"),
        _rows("commissioners"),
        _rows("pcns"),
        source=source,
    )


def import_unless_unchanged(
    dataset: str,
    path: str | Path,
    *,
    period: str | None = None,
    via: str = "cli",
) -> tuple[ImportRun, ImportResult | None]:
    """`run_import` as the system (every commissioner), unless this very file is already
    committed and recorded: when the dataset's manifest holds an import of a file with the same
    SHA-256 whose partitions a re-import would merely replace with themselves
    (`ingest.unchanged_import`), and the app recorded that import as loaded, nothing is
    imported and the earlier run is returned with no result. The manifest and the records are
    then untouched."""
    import_id = unchanged_import(dataset, path, period=period, data_dir=settings.DATA_DIR)
    if import_id is not None:
        earlier = ImportRun.objects.filter(
            import_id=import_id, dataset=dataset, status=ImportRun.Status.LOADED
        ).first()
        if earlier is not None:
            return earlier, None
    return run_import(None, dataset, path, period=period, via=via)


def settle_one(run: ImportRun, user: Any = None, *, error: str = "") -> bool:
    """Finish a running record from the warehouse: loaded if its dataset's manifest holds its
    commit, failed if not. Returns whether this call finished it."""
    folder = store.dataset_dir(run.dataset, settings.DATA_DIR)
    record = store.committed_import(folder, run.dataset, run.import_id) if run.import_id else None
    now = datetime.now(UTC)
    if record is not None:
        detail = INTERRUPTED_AFTER_COMMIT if not error else f"{INTERRUPTED_AFTER_COMMIT} ({error})"
        return _finish(run, user, detail=detail, **_loaded_fields(record, now))
    message = INTERRUPTED_BEFORE_COMMIT if not error else f"failed: {error}"
    return _finish(
        run,
        user,
        detail=message,
        status=ImportRun.Status.FAILED,
        finished_at=now,
        message=message,
    )


def recover_interrupted_imports() -> list[ImportRun]:
    """Settle every running import whose process is gone (see the module docstring); return
    the records settled here."""
    settled = []
    for run in ImportRun.objects.filter(status=ImportRun.Status.RUNNING).order_by("pk"):
        if run.import_id and store.import_in_progress(settings.DATA_DIR, run.import_id):
            continue  # a live process is importing it
        if settle_one(run):
            run.refresh_from_db()
            settled.append(run)
    return settled
