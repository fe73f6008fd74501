"""A snapshot of the test database holding the session's demo, and putting it back.

Browser tests need a live server, so they run as transactional tests, which empty the database
when they end. Rather than rebuild the demo (slow) or deserialise it from JSON (slow too: tens of
MB), the session keeps a physical copy and restores it:

- SQLite (a file, see settings): the SQLite backup API copies pages, both ways;
- PostgreSQL: a template database; restoring drops the test database and creates it again from
  the template (fast, at file level).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from django.db import connections

TEMPLATE_SUFFIX = "_demo_snapshot"


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
            import os

            if os.path.exists(name + TEMPLATE_SUFFIX):
                os.remove(name + TEMPLATE_SUFFIX)
        elif connection.vendor == "postgresql":
            with _postgres_admin(connection) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}{TEMPLATE_SUFFIX}"')
