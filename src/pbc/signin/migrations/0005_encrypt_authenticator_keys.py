"""Authenticator keys stored before pbc encrypted them (plain hex in django-otp's `key` column)
are encrypted under `PBC_OTP_KEY` (`pbc.signin.otp_keys`); going back decrypts them. The
authenticators themselves are unchanged: users keep their apps."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from pbc.signin import otp_keys


def encrypt_keys(apps: Any, schema_editor: Any) -> None:
    devices = apps.get_model("otp_totp", "TOTPDevice").objects.using(schema_editor.connection.alias)
    for pk, key in devices.values_list("pk", "key"):
        if not otp_keys.is_encrypted(key):
            devices.filter(pk=pk).update(key=otp_keys.sealed(key))


def decrypt_keys(apps: Any, schema_editor: Any) -> None:
    devices = apps.get_model("otp_totp", "TOTPDevice").objects.using(schema_editor.connection.alias)
    for pk, key in devices.values_list("pk", "key"):
        if otp_keys.is_encrypted(key):
            devices.filter(pk=pk).update(key=otp_keys.decrypt(key).hex())


class Migration(migrations.Migration):
    dependencies = [
        ("otp_totp", "0003_add_timestamps"),
        ("signin", "0004_known_browsers"),
    ]

    operations = [
        migrations.CreateModel(
            name="Authenticator",
            fields=[],
            options={
                "verbose_name": "authenticator app",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("otp_totp.totpdevice",),
        ),
        migrations.RunPython(encrypt_keys, decrypt_keys),
    ]
