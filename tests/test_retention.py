"""Retention (ASVS 8.3.8): records about people are deleted once past their retention period,
by `pbc retention` (and at every `pbc serve` start). Before, quarantined rows (which may hold NHS
numbers), the audit log and failed sign-in records were kept for ever."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from typer.testing import CliRunner

import audit_rows
from pbc import retention
from pbc.cli import app
from pbc.orgs.models import AuditEvent
from pbc.signin.models import KnownBrowser, TemporaryPassword, UserSession
from pbc.warehouse import store

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def aged(path: Path, days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("source_row,field,value,reason\n2,nhs_number,9434765919,bad check digit\n")
    when = (timezone.now() - days * DAY).timestamp()
    os.utime(path, (when, when))
    return path


def event_aged(days: float) -> AuditEvent:
    return audit_rows.event_days_ago(days, "view_patient_rows", f"{days} days old")


def test_records_past_their_retention_are_deleted_and_the_rest_kept() -> None:
    quarantine = store.quarantine_dir(settings.DATA_DIR) / "apc"
    old_rows = aged(quarantine / "old-import.csv", settings.PBC_RETAIN_QUARANTINE_DAYS + 1)
    new_rows = aged(quarantine / "new-import.csv", settings.PBC_RETAIN_QUARANTINE_DAYS - 1)
    old_event = event_aged(settings.PBC_RETAIN_AUDIT_DAYS + 1)
    new_event = event_aged(settings.PBC_RETAIN_AUDIT_DAYS - 1)
    sign_in_days = settings.PBC_RETAIN_SIGN_IN_DAYS
    old_failure = AccessFailureLog.objects.create(username="board", ip_address="203.0.113.9")
    AccessFailureLog.objects.filter(pk=old_failure.pk).update(
        attempt_time=timezone.now() - (sign_in_days + 1) * DAY
    )
    new_failure = AccessFailureLog.objects.create(username="board", ip_address="203.0.113.9")
    board = get_user_model().objects.get(username="board")
    long_ago = timezone.now() - (sign_in_days + 1) * DAY
    KnownBrowser.objects.create(
        user=board, digest="a" * 64, first_seen=long_ago, last_seen=long_ago
    )
    recent = timezone.now() - DAY
    KnownBrowser.objects.create(user=board, digest="b" * 64, first_seen=recent, last_seen=recent)
    UserSession.objects.create(user=board, session_key="x" * 32, signed_in_at=recent)  # gone
    old_mail = aged(Path(settings.DATA_DIR) / "mail" / "old.log", 31)
    temporary = TemporaryPassword.objects.create(
        user=board, set_at=long_ago, expires_at=long_ago, set_by="admin"
    )

    counts = retention.apply()

    assert not old_rows.exists() and new_rows.exists()
    assert not AuditEvent.objects.filter(pk=old_event.pk).exists()
    assert AuditEvent.objects.filter(pk=new_event.pk).exists()
    assert list(AccessFailureLog.objects.values_list("pk", flat=True)) == [new_failure.pk]
    assert list(KnownBrowser.objects.filter(user=board).values_list("digest", flat=True)) == [
        "b" * 64
    ]
    assert not UserSession.objects.filter(session_key="x" * 32).exists()
    assert not old_mail.exists()
    # an expired temporary password's record stays: without it the password would work again
    assert TemporaryPassword.objects.filter(pk=temporary.pk).exists()
    assert counts["quarantine"] == 1 and counts["audit"] >= 1 and counts["sign_in"] == 2
    event = AuditEvent.objects.filter(action="retention").latest("pk")
    assert event.after == counts


def test_pbc_retention_runs_it() -> None:
    old_event = event_aged(settings.PBC_RETAIN_AUDIT_DAYS + 10)
    result = CliRunner().invoke(app, ["retention"])
    assert result.exit_code == 0, result.output
    assert "deleted: quarantine" in result.stdout and "audit 1" in result.stdout
    assert not AuditEvent.objects.filter(pk=old_event.pk).exists()


def test_caseload_entries_go_years_after_discharge_and_open_ones_stay() -> None:
    """Before, community matrons' caseload entries (NHS number, matron, risk when taken on,
    discharge) were kept for ever. The demo discharged one of its four on 2 February 2009."""
    from django.test import override_settings

    from pbc.population.models import CaseloadEntry

    entries = list(CaseloadEntry.objects.order_by("pk"))
    discharged = [e for e in entries if e.discharged_on is not None]
    assert len(entries) == 4 and [e.discharged_on for e in discharged] == [
        datetime.date(2009, 2, 2)
    ]
    eight_years_on = datetime.datetime(2017, 2, 2, 12, tzinfo=datetime.UTC)
    with override_settings(PBC_RETAIN_CASELOAD_YEARS=8):
        assert retention.preview(eight_years_on).caseload_entries == 0  # on the day: kept
        assert retention.apply(eight_years_on)["caseload_entries"] == 0
        day_after = eight_years_on + DAY
        plan = retention.preview(day_after)
        assert (plan.caseload_before, plan.caseload_entries) == (datetime.date(2009, 2, 3), 1)
        result = CliRunner().invoke(app, ["retention", "--dry-run"])
        assert "caseloads: 1 entries of patients discharged before" in result.stdout
        assert CaseloadEntry.objects.count() == 4  # the dry runs deleted nothing
        counts = retention.apply(day_after)
    assert counts["caseload_entries"] == 1
    assert set(CaseloadEntry.objects.values_list("pk", flat=True)) == {
        e.pk for e in entries if e.discharged_on is None
    }
    event = AuditEvent.objects.filter(action="caseload_aged_out").latest("pk")
    assert event.after == {
        "discharged_before": "2009-02-03",
        "practices": {discharged[0].practice.code: 1},
    }
    assert discharged[0].nhs_number not in str(event.after) + event.detail
    with override_settings(PBC_RETAIN_CASELOAD_YEARS=None):  # 'keep': nothing goes
        assert retention.preview(day_after + 3650 * DAY).caseload_before is None
        assert retention.apply(day_after + 3650 * DAY)["caseload_entries"] == 0
    assert CaseloadEntry.objects.count() == 3
