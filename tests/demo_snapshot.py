"""A snapshot of the test database holding the session's demo, and putting it back.

Browser tests need a live server, so they run as transactional tests, which empty the database
when they end. Rather than rebuild the demo (slow) or deserialise it from JSON (slow too: tens of
MB), the session keeps a physical copy and restores it:

- SQLite (a file, see settings): the SQLite backup API copies pages, both ways;
- PostgreSQL: a template database; restoring drops the test database and creates it again from
  the template (fast, at file level).

With parallel workers (pytest-xdist), one worker of the run builds the demo and shares it
(`build_or_copy`): the others copy its database the same way and its data directory (the
warehouse, the risk model), with the paths stored in the database moved to their own data
directory as `pbc restore` moves them.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connections

TEMPLATE_SUFFIX = "_demo_snapshot"
SHARED_SUFFIX = "_shared_demo"


def _postgres_admin(connection: Any) -> Any:
    import psycopg

    params = connection.get_connection_params()
    params = {k: v for k, v in params.items() if k in {"host", "port", "user", "password"}}
    return psycopg.connect(dbname="postgres", autocommit=True, **params)


def take() -> None:
    """Copy each test database as it is now (call once the demo is built)."""
    for connection in connections.all():
        name = connection.settings_dict["NAME"]
        if connection.vendor == "sqlite":
            with sqlite3.connect(name) as source, sqlite3.connect(name + TEMPLATE_SUFFIX) as copy:
                source.backup(copy)
        elif connection.vendor == "postgresql":
            connection.close()
            with _postgres_admin(connection) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}{TEMPLATE_SUFFIX}"')
                admin.execute(f'CREATE DATABASE "{name}{TEMPLATE_SUFFIX}" TEMPLATE "{name}"')
        else:  # pragma: no cover
            raise NotImplementedError(connection.vendor)


def restore() -> None:
    """Put each test database back as it was when `take()` ran."""
    for connection in connections.all():
        name = connection.settings_dict["NAME"]
        connection.close()
        if connection.vendor == "sqlite":
            with sqlite3.connect(name + TEMPLATE_SUFFIX) as copy, sqlite3.connect(name) as target:
                copy.backup(target)
        else:
            with _postgres_admin(connection) as admin:
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{name}{TEMPLATE_SUFFIX}"')


def drop() -> None:
    """Remove the snapshots (end of session)."""
    for connection in connections.all():
        name = connection.settings_dict["NAME"]
        if connection.vendor == "sqlite":
            if os.path.exists(name + TEMPLATE_SUFFIX):
                os.remove(name + TEMPLATE_SUFFIX)
        elif connection.vendor == "postgresql":
            with _postgres_admin(connection) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}{TEMPLATE_SUFFIX}"')


def build_or_copy(shared: Path, data_dir: Path, build: Callable[[], None]) -> str:
    """Build the demo ("built"), or copy the one another worker of this run built ("copied").

    `shared` is a directory all the workers of this run see (and no other run): the first
    worker to get its lock builds and leaves the demo there; the others wait and copy it."""
    shared.mkdir(parents=True, exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = shared / "ready.json"
        if ready.exists():
            _copy_in(json.loads(ready.read_text()), shared, data_dir)
            return "copied"
        build()
        ready.write_text(json.dumps(_copy_out(shared, data_dir)))
        return "built"


def _copy_out(shared: Path, data_dir: Path) -> dict[str, str]:
    connection = connections["default"]
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        source = str(shared / "demo.sqlite3")
        with sqlite3.connect(name) as live, sqlite3.connect(source) as copy:
            live.backup(copy)
    else:
        # Left in the cluster after the run (a worker cannot know when the others are done);
        # the next run of the same database name replaces it.
        source = f"{name}{SHARED_SUFFIX}"
        connection.close()
        with _postgres_admin(connection) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{source}"')
            admin.execute(f'CREATE DATABASE "{source}" TEMPLATE "{name}"')
    shutil.copytree(data_dir, shared / "data")
    return {"source": source, "data_dir": str(data_dir)}


def _copy_in(built: dict[str, str], shared: Path, data_dir: Path) -> None:
    connection = connections["default"]
    name = connection.settings_dict["NAME"]
    connection.close()
    if connection.vendor == "sqlite":
        with sqlite3.connect(built["source"]) as copy, sqlite3.connect(name) as target:
            copy.backup(target)
    else:
        with _postgres_admin(connection) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{built["source"]}"')
    shutil.copytree(shared / "data", data_dir, dirs_exist_ok=True)
    settle_copy(built["data_dir"], data_dir)


def settle_copy(built_in: str, data_dir: Path) -> None:
    """Make the copy (now in the default database and `data_dir`) its own: the paths stored in
    the database move from the data directory the demo was built in to `data_dir` (as `pbc
    restore` moves them), and the demo's step record names this database."""
    from pbc.backup import rewrite_paths
    from pbc.demo import steps

    rewrite_paths(built_in, str(data_dir))
    # The demo's step record names the database it was built in: this copy is that build.
    record = data_dir / steps.STATE_FILE
    state = json.loads(record.read_text())
    state["database"] = steps.database_identity()
    record.write_text(json.dumps(state, sort_keys=True))


SETTLE_SITE = """
import sys, django
from pathlib import Path
django.setup()
import demo_snapshot
demo_snapshot.settle_copy(sys.argv[1], Path(sys.argv[2]))
demo_snapshot.hash_demo_passwords()
"""


def hash_demo_passwords() -> None:
    """The demo users' passwords hashed as this process's settings hash them: the tests' own
    (fast, MD5) hasher, which built the copy, is not one a site accepts."""
    from django.contrib.auth import get_user_model

    from pbc import demo

    names = [u.username for u in demo.DEMO_USERS] + [demo.DEMO_ADMIN]
    for user in get_user_model().objects.filter(username__in=names):
        user.set_password(demo.DEMO_PASSWORD)
        user.save(update_fields=["password"])


def copy_site(shared: Path, data_dir: Path) -> None:
    """A site of its own in `data_dir` (its database the SQLite file there, as `pbc` makes it
    when DATABASE_URL is unset) holding a copy of the demo `build_or_copy` keeps in `shared`
    (built on SQLite), its users' passwords hashed as the site hashes them."""
    built = json.loads((shared / "ready.json").read_text())
    shutil.copytree(shared / "data", data_dir)
    with (
        sqlite3.connect(built["source"]) as copy,
        sqlite3.connect(data_dir / "pbc.sqlite3") as site,
    ):
        copy.backup(site)
    tests = os.pathsep.join(
        filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")])
    )
    env = {**os.environ, "PBC_DATA_DIR": str(data_dir), "PYTHONPATH": tests}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-c", SETTLE_SITE, built["data_dir"], str(data_dir)], env=env, check=True
    )
