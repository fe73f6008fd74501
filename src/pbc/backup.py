"""`pbc backup OUT` and `pbc restore IN`: the app database and the committed warehouse, together.

A backup is a folder::

    OUT/backup.json                 what it holds: format, when, database kind, datasets, and the
                                    SHA-256 of every file (restore checks them all first)
    OUT/database.sqlite3            SQLite: a copy made with SQLite's online backup API
    OUT/database.pgdump             PostgreSQL: `pg_dump --format=custom` (one consistent snapshot)
    OUT/data/warehouse/<dataset>/   each dataset's committed manifest and the Parquet files it lists
    OUT/data/...                    the data directory's other files (quarantine files, risk
                                    models, kept uploads); not the secret key, the demo's source
                                    files or anything uncommitted (staging, temporary manifests)

Consistency while the site runs: the backup takes every dataset's import lock (the lock each
import holds from before it stages rows until after its commit), copies each committed manifest
and its files, snapshots the app database, and only then releases the locks. So no warehouse
commit happens between the two snapshots: an import that committed is in both (its record may
still say "running" if its process was between the commit and the record: the restore settles
it from the manifest, as any start does), and one that had not committed is in neither (its
"running" record is settled as "failed: nothing changed"). Imports wait for the backup (the site
keeps serving); the backup waits for an import in progress on a dataset and says so.

The backup is written to `OUT.partial-*` and renamed to OUT when complete, so a folder named OUT
is always a whole backup. PostgreSQL is dumped with `pg_dump` and restored with `pg_restore`
(the client programs of the server's major version must be installed); a Django-level dump
(`dumpdata`) would not be one consistent snapshot. A backup restores to the same kind of
database it came from.

`restore` wants a fresh data directory and an empty app database: it checks the backup, copies
the warehouse (each dataset's manifest last) and the other files, loads the database, migrates
it (a backup from an older pbc), settles interrupted imports, rewrites stored paths that pointed
into the old data directory and records the restore in the audit log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections

from pbc.warehouse import store

FORMAT = 1
INDEX = "backup.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
DATA = "data"
# Top-level entries of the data directory a backup leaves out (besides the database itself).
# cache: the result store of heavy pages (pbc.refresh.results), computed again when missing.
NOT_COPIED = {"warehouse", "demo-source", "secret_key", "cache", store.CLAIMS}
Report = Callable[[str], None]


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why. Nothing was changed."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _vendor() -> str:
    return str(connection.vendor)


def _database_file() -> Path:
    return Path(str(settings.DATABASES["default"]["NAME"]))


def _pg_args(tool: str) -> tuple[list[str], dict[str, str]]:
    s = settings.DATABASES["default"]
    args = [tool, "--no-owner", "--no-acl"]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if s.get(key):
            args += [flag, str(s[key])]
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    if shutil.which(args[0]) is None:
        raise BackupError(f"{args[0]} is not installed (Debian: postgresql-client)")
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip()[-1000:]}")


def _snapshot_database(target: Path) -> str:
    vendor = _vendor()
    if vendor == "sqlite":
        with (
            contextlib.closing(sqlite3.connect(_database_file())) as source,
            contextlib.closing(sqlite3.connect(target / SQLITE_FILE)) as copy,
        ):
            source.backup(copy)
        return SQLITE_FILE
    if vendor == "postgresql":
        args, env = _pg_args("pg_dump")
        name = str(settings.DATABASES["default"]["NAME"])
        _run([*args, "--format=custom", "--file", str(target / PG_FILE), name], env)
        return PG_FILE
    raise BackupError(f"cannot back up a {vendor} database")


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def _dataset_names(data_dir: Path) -> list[str]:
    from pbc.warehouse.datasets import DATASETS

    root = store.warehouse_dir(data_dir)
    names = set(DATASETS)
    if root.exists():
        names |= {p.name for p in root.iterdir() if p.is_dir()}
    return sorted(names)


def backup(out: Path, report: Report = lambda message: None) -> dict[str, Any]:
    """Write a backup of the app database and the committed warehouse to the folder `out`."""
    from pbc.orgs import audit

    out = Path(out).resolve()
    if out.exists():
        raise BackupError(f"{out} exists already: name a new folder")
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent} is not a folder")
    data_dir = Path(settings.DATA_DIR).resolve()
    if out.is_relative_to(data_dir):
        raise BackupError(f"{out} is inside the data directory {data_dir}: choose another place")
    audit.record(None, "backup", detail=f"backup to {out}")
    partial = out.with_name(f"{out.name}.partial-{secrets.token_hex(4)}")
    partial.mkdir()
    try:
        datasets: dict[str, dict[str, Any]] = {}
        with contextlib.ExitStack() as locks:
            for name in _dataset_names(data_dir):
                folder = store.dataset_dir(name, data_dir)

                def waiting(name: str = name) -> None:
                    report(f"waiting for the import into {name} to finish")

                locks.enter_context(store.dataset_lock(folder, on_wait=waiting))
            for name in _dataset_names(data_dir):
                folder = store.dataset_dir(name, data_dir)
                manifest = store.read_manifest(folder, name)
                if not (folder / store.MANIFEST).exists():
                    continue
                target = partial / DATA / "warehouse" / name
                for rel in manifest.files():
                    _copy(folder / rel, target / rel)
                _copy(folder / store.MANIFEST, target / store.MANIFEST)
                datasets[name] = {"generation": manifest.generation, "rows": manifest.rows}
            database = _snapshot_database(partial)
        report(f"database and warehouse ({len(datasets)} datasets) copied")
        for path in sorted(data_dir.rglob("*")):
            rel = path.relative_to(data_dir)
            if not path.is_file() or rel.parts[0] in NOT_COPIED or path.name == store.LOCK:
                continue
            if path == _database_file() or path.name.startswith(_database_file().name):
                continue  # the database (and its -wal, -shm, -journal files)
            _copy(path, partial / DATA / rel)
        files = {
            p.relative_to(partial).as_posix(): _sha256(p)
            for p in sorted(partial.rglob("*"))
            if p.is_file()
        }
        index = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": _vendor(),
            "database_file": database,
            "data_dir": str(data_dir),
            "datasets": datasets,
            "files": files,
        }
        (partial / INDEX).write_text(json.dumps(index, indent=1), encoding="utf-8")
        os.rename(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return index


def read_index(source: Path) -> dict[str, Any]:
    """The backup's index, after checking every file against it."""
    path = Path(source) / INDEX
    if not path.is_file():
        raise BackupError(f"{source} is not a pbc backup (no {INDEX})")
    index: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if index.get("format") != FORMAT:
        raise BackupError(f"{source}: backup format {index.get('format')!r} is not {FORMAT}")
    for rel, digest in index["files"].items():
        file = Path(source) / rel
        if not file.is_file():
            raise BackupError(f"{source}: {rel} is missing")
        if _sha256(file) != digest:
            raise BackupError(f"{source}: {rel} does not match its checksum (damaged)")
    return index


def _database_is_empty() -> bool:
    if _vendor() == "sqlite" and not _database_file().exists():
        return True
    return not connection.introspection.table_names()


def restore(source: Path, report: Report = lambda message: None) -> dict[str, Any]:
    """Restore the backup in folder `source` into this (fresh) data directory and database."""
    source = Path(source).resolve()
    index = read_index(source)
    data_dir = Path(settings.DATA_DIR).resolve()
    if index["database"] != _vendor():
        raise BackupError(
            f"the backup holds a {index['database']} database; this site uses {_vendor()}"
        )
    if any(store.warehouse_dir(data_dir).glob(f"*/{store.MANIFEST}")):
        raise BackupError(f"{data_dir} holds a warehouse already: restore into a fresh one")
    if not _database_is_empty():
        raise BackupError("the app database is not empty: restore into a fresh one")
    report("backup checked")

    backup_data = source / DATA
    manifests = []
    for path in sorted(backup_data.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(backup_data)
        if path.name == store.MANIFEST:
            manifests.append(rel)  # last: a dataset is live once its files are all in place
            continue
        _copy(path, data_dir / rel)
    for rel in manifests:
        _copy(backup_data / rel, data_dir / rel)
    report(f"warehouse ({len(manifests)} datasets) and files restored")

    if index["database_file"] == SQLITE_FILE:
        connections.close_all()
        target = _database_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            contextlib.closing(sqlite3.connect(source / SQLITE_FILE)) as copy,
            contextlib.closing(sqlite3.connect(target)) as live,
        ):
            copy.backup(live)
    else:
        args, env = _pg_args("pg_restore")
        name = str(settings.DATABASES["default"]["NAME"])
        connections.close_all()
        _run([*args, "--exit-on-error", "--dbname", name, str(source / PG_FILE)], env)
    report("database restored")

    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from pbc.imports.actions import recover_interrupted_imports
    from pbc.orgs import audit

    settled = recover_interrupted_imports()  # their figures name paths in the old directory too
    rewrite_paths(str(index["data_dir"]), str(data_dir))
    audit.record(
        None,
        "restore",
        detail=f"restored from {source} (backup of {index['created_at']}); "
        f"interrupted imports settled: {len(settled)}",
    )
    return index


def rewrite_paths(old: str, new: str) -> None:
    """Stored absolute paths into the old data directory now point into the new one."""
    if old == new:
        return
    from django.db.models import Value
    from django.db.models.functions import Concat, Substr

    from pbc.imports.models import ImportRun
    from pbc.population.models import RiskModel

    prefix = old.rstrip("/") + "/"
    for model, field in ((ImportRun, "quarantine_path"), (RiskModel, "path")):
        model.objects.filter(**{f"{field}__startswith": prefix}).update(
            **{field: Concat(Value(new.rstrip("/") + "/"), Substr(field, len(prefix) + 1))}
        )
