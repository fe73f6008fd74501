"""A scratch pbc site for tests that run `pbc` in child processes: its own data directory and its
own app database (SQLite in the data directory, or, when the tests run on PostgreSQL, a scratch
database beside the test database, dropped afterwards), and the figures to compare two sites by.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PBC = str(Path(sys.executable).with_name("pbc"))
FIGURES = """
import json, django
django.setup()
from django.apps import apps
from pbc.orgs.models import AuditEvent
from pbc.imports.models import ImportRun
from pbc.warehouse.status import warehouse_status
from django.conf import settings
import sys
if "--settle" in sys.argv:  # what every start does first (pbc serve, the next import)
    from pbc.imports.actions import recover_interrupted_imports
    recover_interrupted_imports()
status = warehouse_status(settings.DATA_DIR)
print(json.dumps({
    "tables": {m._meta.label: m.objects.count() for m in apps.get_models()
               if m._meta.label not in ("sessions.Session",)},
    "imports": sorted([r.source_name, r.status, r.rows_read, r.rows_loaded, r.rows_rejected]
                      for r in ImportRun.objects.all()),
    "quarantine_paths": sorted(r.quarantine_path for r in ImportRun.objects.all()),
    "import_events": sorted([e.detail, json.dumps(e.after, sort_keys=True)]
                            for e in AuditEvent.objects.filter(action="import")),
    "warehouse": status["datasets"],
}, default=str))
"""


class Site:
    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        self.data_dir = data_dir
        self.database_url = database_url

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PBC_IMPORT_PAUSE")}
        env["PBC_DATA_DIR"] = str(self.data_dir)
        env["DJANGO_SETTINGS_MODULE"] = "pbc.config.settings"
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    def pbc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [PBC, *args], env=self.env, capture_output=True, text=True, timeout=600
        )
        if check:
            assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
        return done

    def start(self, *args: str, pause: str | None = None) -> subprocess.Popen[str]:
        env = self.env
        if pause:
            env["PBC_IMPORT_PAUSE"] = pause
        return subprocess.Popen(
            [PBC, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def figures(self, settle: bool = False) -> dict[str, Any]:
        """Row counts of every app table, the import records and their audit events, and the
        warehouse status; with `settle`, interrupted imports are settled first (as at a start)."""
        done = subprocess.run(
            [sys.executable, "-c", FIGURES, *(["--settle"] if settle else [])], env=self.env, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        return dict(json.loads(done.stdout))


def wait_for_line(proc: subprocess.Popen[str], wanted: str) -> None:
    """Read the child's stderr until a line equal to `wanted` (fail if it ends first)."""
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.strip() == wanted:
            return
    raise AssertionError(f"the child ended without {wanted!r}: {''.join(seen)[-2000:]}")


def kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def _admin(url: str) -> Any:
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


@contextmanager
def scratch_database() -> Iterator[str | None]:
    """None (SQLite in the site's data directory), or the URL of a new PostgreSQL database
    when the tests run on PostgreSQL (DATABASE_URL); dropped at the end."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield None
        return
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_scratch_{secrets.token_hex(3)}"
    with _admin(url) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        with _admin(url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_site(data_dir: Path) -> Iterator[Site]:
    with scratch_database() as url:
        yield Site(data_dir, url)
