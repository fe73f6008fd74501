"""Recovery codes kept as django-otp static tokens (plain text) become salted digests.

Each existing code is hashed as `pbc.signin.recovery.digest` does (SHA-256 of a random 128-bit
salt and the code) into the user's new `RecoveryCodeDevice`, and the static tokens and devices
are deleted, so the database keeps no plain code. The codes themselves are unchanged, so users
keep the codes they wrote down; they are the old 40-bit codes until the user makes new ones
(`/accounts/recovery-codes/`) or enrols again. django-otp's static-token app is no longer
installed: its tables are read with plain SQL when they exist (a database made before this
change) and left empty.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from django.db import migrations

STATIC_DEVICES = "otp_static_staticdevice"
STATIC_TOKENS = "otp_static_statictoken"


def _digest(code: str, salt: str) -> str:
    normalised = re.sub(r"[\s-]", "", code or "").lower()
    return hashlib.sha256(f"{salt}:{normalised}".encode()).hexdigest()


def hash_plain_codes(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if not {STATIC_DEVICES, STATIC_TOKENS} <= set(connection.introspection.table_names()):
        return
    device_model = apps.get_model("signin", "RecoveryCodeDevice")
    code_model = apps.get_model("signin", "RecoveryCode")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.id, d.user_id, d.name, d.confirmed, t.token FROM {STATIC_DEVICES} d "
            f"LEFT JOIN {STATIC_TOKENS} t ON t.device_id = d.id ORDER BY d.id, t.id"
        )
        rows = cursor.fetchall()
    devices: dict[int, Any] = {}
    for static_id, user_id, name, confirmed, token in rows:
        if static_id not in devices:
            devices[static_id] = device_model.objects.create(
                user_id=user_id, name=name, confirmed=bool(confirmed)
            )
        if token:
            salt = secrets.token_hex(16)
            code_model.objects.create(
                device=devices[static_id], salt=salt, digest=_digest(token, salt)
            )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {STATIC_TOKENS}")
        cursor.execute(f"DELETE FROM {STATIC_DEVICES}")


class Migration(migrations.Migration):
    dependencies = [("signin", "0001_recovery_codes")]

    operations = [migrations.RunPython(hash_plain_codes, migrations.RunPython.noop)]
