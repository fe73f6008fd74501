"""Retention (ASVS 8.3.8): what pbc keeps about people, how long, and the deletion of what is
older, run by `pbc retention` (daily, from the operator's scheduler), at every `pbc serve` start,
and for uploads at every upload.

Each kind of record is classified (`RULES`, listed in docs/security.md, "Retention"):

- quarantined rows (`<data>/quarantine`): the raw rejected cells of imports, which may hold NHS
  numbers and dates of birth: deleted after `PBC_RETAIN_QUARANTINE_DAYS` (90);
- uploads kept between preview and import, and files a crashed upload left: after
  `PBC_UPLOAD_KEEP_SECONDS` (`pbc.web.uploads.sweep_expired`);
- the audit log (who saw which patient-level rows, sign-ins with addresses): after
  `PBC_RETAIN_AUDIT_DAYS` (2,192: six years);
- failed sign-in records (django-axes: username tried, address, browser) and the browsers a
  user has signed in from: after `PBC_RETAIN_SIGN_IN_DAYS` (365); lockouts in force are
  never removed early (they end by their own cool-off);
- the rows naming users' sessions once their session has gone, and Django's expired sessions;
- e-mail notices written to files in development (`<data>/mail`): after 30 days.

- the warehouse's patient-level datasets (activity, referrals, RTT pathways, deaths, invoice
  lines: `pbc.warehouse.ageing`): a month's partitions once `PBC_RETAIN_PATIENT_YEARS` whole
  financial years have passed since the end of its financial year (6 in production; kept in
  development unless set), each dataset in one atomic commit of its manifest; with them, what
  the app database made from those periods: findings of those months lose the NHS number (the
  finding stays: the commissioner's financial record of a challenge), RTT watch lists and risk
  scores of earlier census or index dates are deleted.

- the patient register (`patients`), row by row: a registration that ended (the patient left,
  moved practice or died) before the first month of activity kept goes with that activity
  (`pbc.warehouse.ageing.age_register`, one commit of the register);
- community matrons' caseload entries: `PBC_RETAIN_CASELOAD_YEARS` (8 in production; kept in
  development unless set) after the patient was discharged from the caseload; entries still on
  a caseload are kept.

Not deleted here: the figures made from the activity, aggregate and reference datasets (not
about people), users' accounts (the administrator's), and temporary password records (deleting
one would make an expired temporary password work again).

A run writes one audit event, "retention", with how many of each kind it deleted, and, when it
aged warehouse partitions out, one "warehouse_aged_out" naming each dataset's partitions and
rows; "register_aged_out" when it removed registrations, and "caseload_aged_out" (entries per
practice, no NHS numbers) when it deleted caseload entries. `preview` (`pbc retention
--dry-run`) lists what the warehouse, register, caseload and quarantine rules would delete,
deleting nothing.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from pbc.indicators.models import WatchPathway
from pbc.orgs import audit
from pbc.orgs.models import AuditEvent
from pbc.population.models import CaseloadEntry, RiskScore
from pbc.refresh import results
from pbc.signin.models import KnownBrowser, UserSession
from pbc.validation.models import Finding
from pbc.warehouse import ageing, store
from pbc.web import uploads

DEVELOPMENT_MAIL_DAYS = 30


@dataclass(frozen=True)
class Rule:
    name: str
    holds: str
    days: Callable[[], float]  # how long it is kept
    delete: Callable[[datetime.datetime], int]  # deletes what is older than the cut-off


def _older_files(root: Path, pattern: str, cutoff: datetime.datetime) -> int:
    limit = cutoff.timestamp()
    removed = 0
    for path in root.glob(pattern):
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _quarantine(cutoff: datetime.datetime) -> int:
    return _older_files(store.quarantine_dir(settings.DATA_DIR), "*/*.csv", cutoff)


def _uploads(cutoff: datetime.datetime) -> int:
    return len(uploads.sweep_expired(now=cutoff.timestamp() + settings.PBC_UPLOAD_KEEP_SECONDS))


def _audit(cutoff: datetime.datetime) -> int:
    return int(AuditEvent.objects.filter(at__lt=cutoff).delete()[0])


def _sign_in_records(cutoff: datetime.datetime) -> int:
    # A lockout in force is AXES_COOLOFF_TIME old at most: never within the retention period.
    lockout_start = timezone.now() - settings.AXES_COOLOFF_TIME
    older = min(cutoff, lockout_start)
    return (
        AccessFailureLog.objects.filter(attempt_time__lt=older).delete()[0]
        + AccessAttempt.objects.filter(attempt_time__lt=older).delete()[0]
        + AccessLog.objects.filter(attempt_time__lt=older).delete()[0]
        + KnownBrowser.objects.filter(last_seen__lt=cutoff).delete()[0]
    )


def _sessions(cutoff: datetime.datetime) -> int:
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()  # Django's own clean-up of expired sessions
    gone = 0
    for row in UserSession.objects.all():
        if not engine.SessionStore().exists(row.session_key):
            row.delete()
            gone += 1
    return gone


def _mail(cutoff: datetime.datetime) -> int:
    return _older_files(Path(settings.DATA_DIR) / "mail", "*", cutoff)


RULES = (
    Rule(
        "quarantine",
        "rejected cells of imports (may hold NHS numbers)",
        lambda: settings.PBC_RETAIN_QUARANTINE_DAYS,
        _quarantine,
    ),
    Rule(
        "uploads",
        "uploaded files kept between preview and import",
        lambda: settings.PBC_UPLOAD_KEEP_SECONDS / 86400,
        _uploads,
    ),
    Rule(
        "audit",
        "the audit log (views of patient rows, sign-ins with addresses)",
        lambda: settings.PBC_RETAIN_AUDIT_DAYS,
        _audit,
    ),
    Rule(
        "sign_in",
        "failed sign-ins (username, address, browser), browsers users signed in from",
        lambda: settings.PBC_RETAIN_SIGN_IN_DAYS,
        _sign_in_records,
    ),
    Rule("sessions", "ended sessions", lambda: 0, _sessions),
    Rule(
        "mail",
        "e-mail notices written to files (development)",
        lambda: DEVELOPMENT_MAIL_DAYS,
        _mail,
    ),
)


def first_kept_period(now: datetime.datetime) -> str | None:
    """The first month of patient-level warehouse data kept at `now` (None: all kept)."""
    years = settings.PBC_RETAIN_PATIENT_YEARS
    return None if years is None else ageing.first_kept_period(now.date(), years)


def _age_warehouse(now: datetime.datetime) -> list[ageing.Aged]:
    first_kept = first_kept_period(now)
    if first_kept is None:
        return []
    gone = ageing.age_out(first_kept, settings.DATA_DIR, tag=f"retention-{now:%Y%m%dT%H%M%S}")
    if gone:
        partitions: dict[str, list[str]] = {}
        rows: dict[str, int] = {}
        for aged in gone:
            partitions.setdefault(aged.dataset, []).append(aged.partition)
            rows[aged.dataset] = rows.get(aged.dataset, 0) + aged.rows
        names = sorted(partitions)
        audit.record(
            None,
            "warehouse_aged_out",
            after={n: {"partitions": partitions[n], "rows": rows[n]} for n in names},
            detail=f"patient-level periods before {first_kept} aged out "
            f"(PBC_RETAIN_PATIENT_YEARS {settings.PBC_RETAIN_PATIENT_YEARS}): "
            + ", ".join(f"{n} {len(partitions[n])} partitions, {rows[n]} rows" for n in names),
        )
    return gone


def _age_register(now: datetime.datetime) -> int:
    """The register's registrations that ended before the first month of activity kept."""
    first_kept = first_kept_period(now)
    if first_kept is None:
        return 0
    gone = ageing.age_register(first_kept, settings.DATA_DIR, tag=f"retention-{now:%Y%m%dT%H%M%S}")
    if gone:
        audit.record(
            None,
            "register_aged_out",
            after={"patients": {"rows": gone, "ended_before": f"{first_kept}-01"}},
            detail=f"{gone} registrations of the patient register that ended (left, moved "
            f"practice or died) before {first_kept}-01 removed "
            f"(PBC_RETAIN_PATIENT_YEARS {settings.PBC_RETAIN_PATIENT_YEARS})",
        )
    return gone


def caseload_cutoff(now: datetime.datetime) -> datetime.date | None:
    """Caseload entries discharged before this date are past their period (None: kept)."""
    years = settings.PBC_RETAIN_CASELOAD_YEARS
    if years is None:
        return None
    today = timezone.localdate(now) if timezone.is_aware(now) else now.date()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _old_caseload(before: datetime.date) -> QuerySet[CaseloadEntry]:
    return CaseloadEntry.objects.filter(discharged_on__lt=before)


def _age_caseload(now: datetime.datetime) -> int:
    """Delete the caseload entries of patients discharged more than PBC_RETAIN_CASELOAD_YEARS
    ago; audited per practice (counts, never NHS numbers)."""
    before = caseload_cutoff(now)
    if before is None:
        return 0
    old = _old_caseload(before)
    per_practice: dict[str, int] = {}
    for code in old.values_list("practice__code", flat=True):
        per_practice[code] = per_practice.get(code, 0) + 1
    if not per_practice:
        return 0
    gone = int(old.delete()[0])
    audit.record(
        None,
        "caseload_aged_out",
        after={"discharged_before": before.isoformat(), "practices": per_practice},
        detail=f"{gone} community matrons' caseload entries of patients discharged before "
        f"{before.isoformat()} deleted (PBC_RETAIN_CASELOAD_YEARS "
        f"{settings.PBC_RETAIN_CASELOAD_YEARS})",
    )
    return gone


def _derived(first_kept: str) -> dict[str, QuerySet[Any]]:
    """What the app database made from the periods before `first_kept`, holding NHS numbers:
    findings of those months (their NHS numbers), RTT watch lists and risk scores of census or
    index dates before it."""
    start = datetime.date.fromisoformat(f"{first_kept}-01")
    return {
        "finding_nhs_numbers": Finding.objects.filter(month__lt=start).exclude(nhs_number=""),
        "watch_pathways": WatchPathway.objects.filter(census_date__lt=start),
        "risk_scores": RiskScore.objects.filter(model__score_date__lt=start),
    }


def _clear_derived(now: datetime.datetime) -> dict[str, int]:
    """Findings of aged-out months lose the patient's NHS number (a finding is the
    commissioner's financial record of a challenge and its recovery: it stays, naming the
    provider's row); watch-list rows and risk scores made from them are deleted."""
    first_kept = first_kept_period(now)
    if first_kept is None:
        return dict.fromkeys(("finding_nhs_numbers", "watch_pathways", "risk_scores"), 0)
    rows = _derived(first_kept)
    return {
        "finding_nhs_numbers": rows["finding_nhs_numbers"].update(nhs_number=""),
        "watch_pathways": rows["watch_pathways"].delete()[0],
        "risk_scores": rows["risk_scores"].delete()[0],
    }


@dataclass(frozen=True)
class Preview:
    """What a run at `now` would delete of the warehouse and the quarantine."""

    first_kept: str | None  # None: the warehouse's patient-level data are kept
    partitions: list[ageing.Aged]
    quarantine_files: list[Path]
    derived: dict[str, int]  # rows of the app database made from the aged-out periods
    register_rows: int  # registrations of the patient register that ended before first_kept
    caseload_before: datetime.date | None  # None: caseload entries are kept
    caseload_entries: int  # entries discharged before caseload_before


def preview(now: datetime.datetime | None = None) -> Preview:
    """What `apply` would delete now of the warehouse and the quarantine, deleting nothing."""
    now = now or timezone.now()
    first_kept = first_kept_period(now)
    partitions = (
        [] if first_kept is None else ageing.age_out(first_kept, settings.DATA_DIR, dry_run=True)
    )
    limit = (now - datetime.timedelta(days=settings.PBC_RETAIN_QUARANTINE_DAYS)).timestamp()
    root = store.quarantine_dir(settings.DATA_DIR)
    files = sorted(p for p in root.glob("*/*.csv") if p.is_file() and p.stat().st_mtime < limit)
    derived = {} if first_kept is None else {k: q.count() for k, q in _derived(first_kept).items()}
    register = 0 if first_kept is None else ageing.register_past(first_kept, settings.DATA_DIR)
    before = caseload_cutoff(now)
    caseload = 0 if before is None else _old_caseload(before).count()
    return Preview(first_kept, partitions, files, derived, register, before, caseload)


def apply(now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete what every rule no longer keeps at `now`; audited. Returns the counts."""
    now = now or timezone.now()
    started = time.monotonic()
    counts = {rule.name: rule.delete(now - datetime.timedelta(days=rule.days())) for rule in RULES}
    aged = _age_warehouse(now)
    counts["warehouse_partitions"] = len(aged)
    counts["warehouse_rows"] = sum(a.rows for a in aged)
    counts["register_rows"] = _age_register(now)
    counts.update(_clear_derived(now))
    counts["caseload_entries"] = _age_caseload(now)
    derived = ("register_rows", "finding_nhs_numbers", "watch_pathways", "risk_scores")
    if aged or any(counts[k] for k in derived):
        results.changed()  # the stored pages were computed from what has just gone
    audit.record(
        None,
        "retention",
        after=counts,
        detail=f"deleted past their retention period in {time.monotonic() - started:.1f} s",
    )
    return counts
