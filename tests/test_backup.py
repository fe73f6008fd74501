"""`pbc backup` during an import, `pbc restore` into a fresh data directory and database, and
the same figures on both sides (on SQLite, and on PostgreSQL when the tests run on it).

Everything runs as `pbc` child processes on scratch sites (tests/scratch_site.py). The import is
held at its commit point (`PBC_IMPORT_PAUSE=committed`, holding its dataset's lock): the backup
says it is waiting for it, the import is then killed, the backup completes with the import's
data and a "running" record, and both the old site (at its next start) and the restored one
settle that record as loaded from the manifest.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pbc.backup import BackupError, read_index
from pbc.warehouse import store
from scratch_site import kill, scratch_site, wait_for_line

pytestmark = [pytest.mark.db, pytest.mark.slow]
MFF = "financial_year,provider_code,market_forces_factor\n"


def test_backup_during_an_import_restores_the_same_figures(tmp_path: Path) -> None:
    first = tmp_path / "mff-1.csv"
    first.write_text(MFF + "2008/09,RWG,1.10825\n2008/09,RC1,x\n")
    during = tmp_path / "mff-2.csv"
    during.write_text(MFF + "2008/09,RWG,1.2\n2008/09,RC1,1.05\n2008/09,RC2,=1+1\n")
    out = tmp_path / "backup"
    with scratch_site(tmp_path / "old") as old, scratch_site(tmp_path / "new") as new:
        old.pbc("import", "market_forces_factors", str(first))
        importing = old.start("import", "market_forces_factors", str(during), pause="committed")
        wait_for_line(importing, f"{store.PAUSE_MESSAGE}committed")
        backing_up = old.start("backup", str(out))
        wait_for_line(
            backing_up, "pbc backup: waiting for the import into market_forces_factors to finish"
        )
        kill(importing)  # after its warehouse commit, before its record is finished
        stdout, stderr = backing_up.communicate(timeout=600)
        assert backing_up.returncode == 0, stderr
        assert f"backup written to {out}" in stdout

        restored = new.pbc("restore", str(out))
        assert "restored the backup" in restored.stdout
        before = old.figures(settle=True)  # the old site's next start settles the import too
        after = new.figures()
        again = new.pbc("restore", str(out), check=False)  # only into a fresh site
        assert again.returncode == 2 and "restore into a fresh one" in again.stderr

    assert after["warehouse"] == before["warehouse"]
    mff = next(d for d in after["warehouse"] if d["name"] == "market_forces_factors")
    assert mff["rows"] == 2  # the import held at its commit is in the backup
    assert (
        after["imports"]
        == before["imports"]
        == [
            ["mff-1.csv", "loaded", 2, 1, 1],
            ["mff-2.csv", "loaded", 3, 2, 1],
        ]
    )
    assert after["import_events"] == before["import_events"]
    assert sum("interrupted after its commit" in d for d, _ in after["import_events"]) == 1
    events = after["tables"].pop("orgs.AuditEvent")
    assert events == before["tables"].pop("orgs.AuditEvent") + 1  # the restore, recorded
    assert after["tables"] == before["tables"]
    assert after["tables"]["imports.ImportRun"] == 2

    # the quarantine files came along, their paths now in the new data directory
    quarantined = sorted((tmp_path / "new" / "quarantine").rglob("*.csv"))
    assert len(quarantined) == 2
    assert "'=1+1" in quarantined[-1].read_text() or "'=1+1" in quarantined[0].read_text()
    assert sorted(after["quarantine_paths"]) == sorted(str(p) for p in quarantined)
    index = json.loads((out / "backup.json").read_text())
    assert index["datasets"]["market_forces_factors"]["rows"] == 2
    assert not any(name.startswith("secret_key") for name in index["files"])


def test_a_damaged_backup_is_refused(tmp_path: Path) -> None:
    with scratch_site(tmp_path / "old") as old:
        (tmp_path / "mff.csv").write_text(MFF + "2008/09,RWG,1.1\n")
        old.pbc("import", "market_forces_factors", str(tmp_path / "mff.csv"))
        old.pbc("backup", str(tmp_path / "backup"))
        refused = old.pbc("backup", str(tmp_path / "backup"), check=False)
        assert refused.returncode == 2 and "exists already" in refused.stderr
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "backup", copy)
    read_index(copy)  # whole
    parquet = next(copy.rglob("*.parquet"))
    parquet.write_bytes(parquet.read_bytes()[:-1] + b"\0")
    with pytest.raises(BackupError, match="does not match its checksum"):
        read_index(copy)
    next(copy.rglob("*.parquet")).unlink()
    with pytest.raises(BackupError, match="is missing"):
        read_index(copy)
