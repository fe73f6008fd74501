"""Authenticator keys encrypted at rest (ASVS 2.8.2): django-otp kept each user's TOTP key in
the database as plain hex, so a copy of the database gave every user's codes."""

from __future__ import annotations

import base64
import importlib
import os
import time
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from pbc.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from pbc.signin import otp_keys, second_factor
from pbc.signin.models import Authenticator

MIGRATION = importlib.import_module("pbc.signin.migrations.0005_encrypt_authenticator_keys")
DEMO_KEY = base64.b32decode(DEMO_TOTP_SECRET)
NEW_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_a_key_is_sealed_with_a_fresh_nonce_and_a_change_is_detected() -> None:
    sealed = otp_keys.encrypt(DEMO_KEY)
    assert otp_keys.is_encrypted(sealed) and len(sealed) <= 80  # django-otp's column
    assert DEMO_KEY.hex() not in sealed
    assert otp_keys.encrypt(DEMO_KEY) != sealed  # a new nonce each time
    assert otp_keys.decrypt(sealed) == DEMO_KEY
    altered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(otp_keys.OtpKeyError, match="altered"):
        otp_keys.decrypt(altered)
    with override_settings(PBC_OTP_KEY=NEW_KEY), pytest.raises(otp_keys.OtpKeyError):
        otp_keys.decrypt(sealed)  # another site's key cannot read it


def stored_key(username: str) -> str:
    key: str = TOTPDevice.objects.filter(user__username=username).values_list("key", flat=True)[0]
    return key


def signs_in_with_a_code(username: str) -> bool:
    client = Client()
    client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    device = second_factor.authenticator_of(get_user_model().objects.get(username=username))
    assert device is not None
    device.throttle_reset()
    code = second_factor.code_at(DEMO_KEY.hex(), time.time())
    return client.post("/accounts/verify/", {"code": code}).status_code == 302


@pytest.mark.django_db
def test_the_database_holds_no_authenticator_key_in_clear() -> None:
    for username in ("analyst", "practice"):
        stored = stored_key(username)
        assert otp_keys.is_encrypted(stored) and DEMO_KEY.hex() not in stored.lower()
    assert signs_in_with_a_code("analyst")


@pytest.mark.django_db
def test_the_migration_encrypts_keys_stored_in_clear() -> None:
    """A database from before this change holds django-otp's hex keys."""
    TOTPDevice.objects.filter(user__username="analyst").update(key=DEMO_KEY.hex())

    MIGRATION.encrypt_keys(apps, SimpleNamespace(connection=connection))

    assert otp_keys.is_encrypted(stored_key("analyst"))
    assert signs_in_with_a_code("analyst")
    MIGRATION.decrypt_keys(apps, SimpleNamespace(connection=connection))  # and back
    assert stored_key("analyst") == DEMO_KEY.hex()


@pytest.mark.django_db
def test_a_new_key_reads_old_devices_through_the_old_list_and_reseals_them() -> None:
    old_id = stored_key("practice").split("$")[1]
    with override_settings(PBC_OTP_KEY=NEW_KEY):
        assert not signs_in_with_a_code("practice")  # the old key is not known: refused
        with override_settings(PBC_OTP_OLD_KEYS=[otp_keys_setting()]):
            assert signs_in_with_a_code("practice")
        resealed = stored_key("practice")
        assert resealed.split("$")[1] == otp_keys.key_id(otp_keys.parse_key(NEW_KEY)) != old_id
        assert Authenticator.objects.get(user__username="practice").bin_key == DEMO_KEY


def otp_keys_setting() -> str:
    from pbc.config import production

    return production.DEVELOPMENT_OTP_KEY
