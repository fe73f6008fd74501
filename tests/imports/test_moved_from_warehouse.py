"""The import records moved from `pbc.warehouse` to `pbc.imports` without touching the data.

A database migrated before the move has its import migrations recorded under the `warehouse`
label. The `imports` migrations replace them one for one (`replaces`), so such a database
applies only what it lacks, keeps its rows in `warehouse_importrun`, and has its content type
relabelled (one `importrun` type, same id). Checked on a real SQLite file migrated by
`django-admin` in its own process, set back to how a database at `warehouse.0002` looks.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def django_admin(data_dir: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # never a shared DB
    env.update(PBC_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="pbc.config.settings")
    done = subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_a_database_migrated_under_the_warehouse_label_keeps_its_import_records(
    tmp_path: Path,
) -> None:
    django_admin(tmp_path, "migrate", "-v0")
    django_admin(tmp_path, "migrate", "imports", "0002", "-v0")  # the schema of warehouse.0002
    db = sqlite3.connect(tmp_path / "pbc.sqlite3")
    with db:
        # Before the move, nothing was recorded under the imports label: the migrate back to
        # 0002 relabelled the content type to "warehouse", and Django then made a fresh one.
        db.execute("DELETE FROM django_migrations WHERE app = 'imports'")
        fresh = "SELECT id FROM django_content_type WHERE app_label = 'imports'"
        db.execute(f"DELETE FROM auth_permission WHERE content_type_id IN ({fresh})")
        db.execute("DELETE FROM django_content_type WHERE app_label = 'imports'")
        recorded = db.execute(
            "SELECT name FROM django_migrations WHERE app = 'warehouse' ORDER BY name"
        ).fetchall()
        assert recorded == [("0001_initial",), ("0002_import_id_and_running",)]
        (type_id,) = db.execute(
            "SELECT id FROM django_content_type WHERE app_label = 'warehouse' AND model = 'importrun'"
        ).fetchone()
        db.execute(
            "INSERT INTO warehouse_importrun (import_id, dataset, source_name, checksum, via, "
            "started_at, finished_at, status, period, rows_read, rows_loaded, rows_rejected, "
            "rows_flagged, partitions, quarantine_path, message) VALUES ('i1', 'apc', 'apc.csv', "
            "'', 'cli', '2009-01-01 00:00', '2009-01-01 00:01', 'loaded', '', 3, 2, 1, 0, '[]', "
            "'', '')"
        )
    db.close()

    out = django_admin(tmp_path, "migrate", "-v1")
    applying = [
        line.split()[1].rstrip(".")
        for line in out.splitlines()
        if line.strip().startswith("Applying")
    ]
    assert applying == ["imports.0003_import_layout_and_dropped", "imports.0004_content_type_label"]

    db = sqlite3.connect(tmp_path / "pbc.sqlite3")
    row = db.execute(
        "SELECT import_id, dataset, rows_read, rows_loaded, rows_rejected, rows_dropped, layout "
        "FROM warehouse_importrun"
    ).fetchall()
    assert row == [("i1", "apc", 3, 2, 1, 0, "")]
    types = db.execute(
        "SELECT id, app_label FROM django_content_type WHERE model = 'importrun'"
    ).fetchall()
    assert types == [(type_id, "imports")]
    applied = db.execute(
        "SELECT name FROM django_migrations WHERE app = 'imports' ORDER BY name"
    ).fetchall()
    assert [name for (name,) in applied] == [
        "0001_initial",
        "0002_import_id_and_running",
        "0003_import_layout_and_dropped",
        "0004_content_type_label",
    ]
    db.close()
