"""Retention of the warehouse's patient-level data (ASVS 8.3.8). Before, patient-level activity
was kept for ever: `pbc retention` aged out quarantined rows and the audit log, never a
period of `apc`. The demo's datasets (April 2005 to March 2009) are copied into a data
directory of the test's own, so the session's warehouse is never changed."""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from typer.testing import CliRunner

from pbc import retention
from pbc.cli import app
from pbc.indicators.models import WatchPathway
from pbc.orgs.models import AuditEvent
from pbc.population.models import RiskModel, RiskScore
from pbc.refresh import results
from pbc.validation.models import Finding
from pbc.warehouse import ageing, engine, store
from pbc.warehouse.datasets import DATASETS

pytestmark = pytest.mark.django_db

COPIED = ("apc", "deaths", "invoice_lines", "patients", "prescribing", "tariff")
# On 1 June 2014, six years after 31 March 2008: 2005/06 to 2007/08 go, 2008/09 stays.
NOW = datetime.datetime(2014, 6, 1, tzinfo=datetime.UTC)


@pytest.fixture
def own_warehouse(tmp_path: Path) -> Any:
    for name in COPIED:
        shutil.copytree(Path(settings.DATA_DIR) / "warehouse" / name, tmp_path / "warehouse" / name)
    with override_settings(
        DATA_DIR=tmp_path, WAREHOUSE_DIR=tmp_path / "warehouse", PBC_RETAIN_PATIENT_YEARS=6
    ):
        yield tmp_path


def manifest(name: str, data_dir: Path) -> store.Manifest:
    return store.read_manifest(store.dataset_dir(name, data_dir), name)


def periods(name: str, data_dir: Path) -> set[str]:
    return {store.partition_values(p)["period"] for p in manifest(name, data_dir).partitions}


def registrations(data_dir: Path) -> list[dict[str, Any]]:
    files = store.live_files("patients", data_dir)
    return [row for f in files for row in pq.read_table(f).to_pylist()]


def ended_registrations(data_dir: Path, before: datetime.date) -> list[dict[str, Any]]:
    """Registrations whose end (or, with no end, the patient's death) is before `before`."""
    return [
        r
        for r in registrations(data_dir)
        if (r["registration_end_date"] or r["date_of_death"] or before) < before
    ]


def test_patient_level_datasets_are_those_naming_a_patient_or_their_activity() -> None:
    aged = {d.name for d in ageing.aged_datasets()}
    assert aged == {"apc", "op", "ae", "imaging", "referrals", "rtt", "deaths", "invoice_lines"}
    # the register holds NHS numbers but has no period: aged row by row (age_register)
    assert ageing.patient_level(DATASETS["patients"]) and "patients" not in aged
    for kept in ("prescribing", "tariff", "list_sizes", "qof_prevalence", "rtt_returns"):
        assert not ageing.patient_level(DATASETS[kept]), kept


def test_a_financial_year_is_kept_whole_years_after_its_end() -> None:
    assert ageing.first_kept_period(datetime.date(2026, 3, 31), 6) == "2019-04"
    assert ageing.first_kept_period(datetime.date(2026, 4, 1), 6) == "2020-04"
    assert ageing.first_kept_period(datetime.date(2014, 6, 1), 6) == "2008-04"


def test_old_patient_level_periods_are_aged_out_atomically_recorded_and_audited(
    own_warehouse: Path,
) -> None:
    apc_before = manifest("apc", own_warehouse)
    assert min(periods("apc", own_warehouse)) == "2005-04"
    old = {k: v for k, v in apc_before.partitions.items() if k < "period=2008-04"}
    kept = {k: v for k, v in apc_before.partitions.items() if k >= "period=2008-04"}
    assert old and kept
    untouched = {n: manifest(n, own_warehouse) for n in ("prescribing", "tariff")}

    state_before = results.data_state()
    counts = retention.apply(NOW)

    # The stored pages (the result store) are stale: they were computed from what has gone.
    assert results.data_state() != state_before
    apc_after = manifest("apc", own_warehouse)
    assert apc_after.partitions == kept  # the 2008/09 partitions as they were
    assert apc_after.generation == apc_before.generation + 1
    for entry in old.values():  # the files are gone from the disk, not only from the list
        for rel in entry.files:
            assert not (own_warehouse / "warehouse" / "apc" / rel).exists()
    live = store.live_files("apc", own_warehouse)
    assert sum(pq.read_metadata(f).num_rows for f in live) == sum(e.rows for e in kept.values())
    for name in ("deaths", "invoice_lines"):
        assert min(periods(name, own_warehouse)) == "2008-04", name
    for name, before in untouched.items():
        assert manifest(name, own_warehouse) == before, name
    assert counts["warehouse_rows"] >= sum(e.rows for e in old.values())
    # recorded in the commit itself, and audited
    record = apc_after.imports["retention-20140601T000000"]
    assert record["partitions_dropped"] == sorted(old) and record["before_period"] == "2008-04"
    assert record["rows_dropped"] == sum(e.rows for e in old.values())
    event = AuditEvent.objects.filter(action="warehouse_aged_out").latest("pk")
    assert event.after["apc"] == {"partitions": sorted(old), "rows": record["rows_dropped"]}
    assert "before 2008-04" in event.detail and "apc " in event.detail

    again = retention.apply(NOW)  # idempotent: nothing more to drop, no new commit
    assert again["warehouse_partitions"] == 0
    assert manifest("apc", own_warehouse) == apc_after


def test_a_crash_at_the_commit_point_leaves_everything(
    own_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {n: manifest(n, own_warehouse) for n in COPIED}
    files = [f for n in COPIED for f in store.live_files(n, own_warehouse)]

    def crash(src: object, dst: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        retention.apply(NOW)
    monkeypatch.undo()

    assert {n: manifest(n, own_warehouse) for n in COPIED} == before
    assert all(f.exists() for f in files)
    # the new manifest never replaced the old one; the next import's recovery removes it
    (left,) = (own_warehouse / "warehouse").glob("*/_manifest.json.tmp-*")
    with store.dataset_lock(left.parent):
        assert store.recover(left.parent, left.parent.name) == [left.name]
    retention.apply(NOW)
    assert min(periods("apc", own_warehouse)) == "2008-04"


def test_kept_when_no_period_is_set(own_warehouse: Path) -> None:
    before = manifest("apc", own_warehouse)
    with override_settings(PBC_RETAIN_PATIENT_YEARS=None):
        counts = retention.apply(NOW)
        assert retention.preview(NOW).first_kept is None
    assert counts["warehouse_partitions"] == 0
    assert manifest("apc", own_warehouse) == before


def test_the_dry_run_says_what_would_go_and_deletes_nothing(own_warehouse: Path) -> None:
    before = {n: manifest(n, own_warehouse) for n in COPIED}
    quarantined = own_warehouse / "quarantine" / "apc" / "refused-import.csv"
    quarantined.parent.mkdir(parents=True)
    quarantined.write_text("source_row,field,value,reason\n2,nhs_number,123,bad check digit\n")
    long_ago = (timezone.now() - datetime.timedelta(days=100)).timestamp()
    os.utime(quarantined, (long_ago, long_ago))
    today = timezone.now().date()  # the years that make 2005/06 to 2007/08 go today
    years = (today.year if today.month >= 4 else today.year - 1) - 2008
    with override_settings(PBC_RETAIN_PATIENT_YEARS=years):
        result = CliRunner().invoke(app, ["retention", "--dry-run"])

    assert result.exit_code == 0, result.output
    old = sorted(k for k in before["apc"].partitions if k < "period=2008-04")
    rows = sum(before["apc"].partitions[k].rows for k in old)
    assert f"  apc/{old[0]}: {before['apc'].partitions[old[0]].rows} rows" in result.stdout
    assert "of periods before 2008-04 would be aged out" in result.stdout
    assert "prescribing" not in result.stdout and "patients/" not in result.stdout
    ended = len(ended_registrations(own_warehouse, datetime.date(2008, 4, 1)))
    assert f"patient register: {ended} registrations that ended before 2008-04-01" in result.stdout
    assert f"quarantine: 1 files would be deleted\n  {quarantined}" in result.stdout
    assert result.stdout.endswith("dry run: nothing deleted\n")
    assert {n: manifest(n, own_warehouse) for n in COPIED} == before
    assert quarantined.exists() and rows > 0


def test_what_the_app_database_made_from_aged_out_periods_loses_its_patients(
    own_warehouse: Path,
) -> None:
    old_finding, new_finding = Finding.objects.exclude(nhs_number="")[:2]
    Finding.objects.filter(pk=old_finding.pk).update(month=datetime.date(2008, 3, 1))
    Finding.objects.filter(pk=new_finding.pk).update(month=datetime.date(2008, 4, 1))
    watch = {
        census: WatchPathway.objects.create(
            census_date=census,
            pathway_id=f"P{census:%Y}",
            nhs_number="9434765919",
            practice_code="E82001",
            provider_code="RWG",
            treatment_function_code="100",
            clock_start_date=datetime.date(2007, 1, 1),
            wait_days=200,
        )
        for census in (datetime.date(2008, 3, 31), datetime.date(2009, 3, 31))
    }
    scores = {}
    for score_date in (datetime.date(2008, 3, 31), datetime.date(2009, 3, 31)):
        model = RiskModel.objects.create(
            trained_at=timezone.now(),
            kind="logistic_regression",
            train_year="2006/07",
            evaluation_year="2007/08",
            path="none.joblib",
            score_date=score_date,
        )
        scores[score_date] = RiskScore.objects.create(
            model=model,
            nhs_number="9434765919",
            gp_practice_code="E82001",
            rank=1,
            score=0.5,
            age=70,
            sex="1",
            deprivation_quintile=3,
            emergency_admissions=1,
        )
    old_findings = Finding.objects.filter(month__lt=datetime.date(2008, 4, 1))
    expected = {
        "finding_nhs_numbers": old_findings.exclude(nhs_number="").count(),  # ours among them
        "watch_pathways": 1,
        "risk_scores": 1,
    }

    assert retention.preview(NOW).derived == expected
    counts = retention.apply(NOW)

    assert {k: counts[k] for k in expected} == expected
    old_finding.refresh_from_db()
    new_finding.refresh_from_db()
    assert old_finding.nhs_number == "" and old_finding.amount is not None  # the finding stays
    assert new_finding.nhs_number != ""
    assert list(WatchPathway.objects.filter(pk__in=[w.pk for w in watch.values()])) == [
        watch[datetime.date(2009, 3, 31)]
    ]
    kept_scores = RiskScore.objects.filter(pk__in=[s.pk for s in scores.values()])
    assert list(kept_scores) == [scores[datetime.date(2009, 3, 31)]]


def test_registrations_that_ended_before_the_first_kept_month_are_removed(
    own_warehouse: Path,
) -> None:
    """Before, the register was kept whole for ever: people who left, moved or died decades ago
    stayed in it as long as the commissioner's extract named them."""
    before = manifest("patients", own_warehouse)
    rows = registrations(own_warehouse)
    ended = ended_registrations(own_warehouse, datetime.date(2008, 4, 1))
    reasons = {r["deregistration_reason"] for r in ended}
    assert reasons == {"died", "left_area", "moved_practice"}  # the demo has each kind
    ended_keys = {(r["nhs_number"], r["registration_start_date"]) for r in ended}
    kept = [r for r in rows if (r["nhs_number"], r["registration_start_date"]) not in ended_keys]
    assert any(r["registration_end_date"] is None for r in kept)
    assert any(r["registration_end_date"] is not None for r in kept)  # ended in 2008/09: kept
    old_files = [own_warehouse / "warehouse" / "patients" / f for f in before.files()]

    counts = retention.apply(NOW)

    after = manifest("patients", own_warehouse)
    assert counts["register_rows"] == len(ended)
    assert after.rows == len(kept) and after.generation == before.generation + 1
    assert sorted(registrations(own_warehouse), key=str) == sorted(kept, key=str)
    assert not any(f.exists() for f in old_files)
    record = after.imports["retention-20140601T000000"]
    assert record["rows_dropped"] == len(ended) and record["ended_before"] == "2008-04-01"
    assert not list((own_warehouse / "warehouse" / "patients").glob("_staging/*"))
    event = AuditEvent.objects.filter(action="register_aged_out").latest("pk")
    assert event.after == {"patients": {"rows": len(ended), "ended_before": "2008-04-01"}}
    retention_event = AuditEvent.objects.filter(action="retention").latest("pk")
    assert retention_event.after["register_rows"] == len(ended)

    again = retention.apply(NOW)  # nothing more to remove, no new commit
    assert again["register_rows"] == 0
    assert manifest("patients", own_warehouse) == after
    # read by the engine as before, with the dataset's own schema
    con = engine.connect("duckdb")
    table = engine.table(con, "patients", data_dir=own_warehouse)
    assert table.count().execute() == len(kept)
    assert table.schema() == engine.ibis_schema(DATASETS["patients"])
