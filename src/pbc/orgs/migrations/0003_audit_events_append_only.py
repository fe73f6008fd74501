"""Audit events cannot be changed in the database (ASVS 7.3.3): a trigger refuses any UPDATE
that sets a column of an event other than its user link. Events are only added, deleted past
their retention period (`pbc.retention`), and lose their user link (never their username) when
an account is deleted (`on_delete=SET_NULL`). SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLE = "orgs_auditevent"
TRIGGER = "orgs_auditevent_append_only"
FUNCTION = "orgs_auditevent_refuse_change"
# Every column but user_id ("before" and "after" are SQL keywords: quoted).
COLUMNS = ", ".join(
    f'"{c}"'
    for c in (
        "id",
        "at",
        "username",
        "action",
        "object_type",
        "object_id",
        "path",
        "before",
        "after",
        "detail",
    )
)
MESSAGE = "audit events cannot be changed"


def forwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF {COLUMNS} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF {COLUMNS} ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )


def backwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
    elif vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [("orgs", "0002_organisations_of_every_era")]

    operations = [migrations.RunPython(forwards, backwards)]
