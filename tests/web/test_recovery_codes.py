"""Recovery codes (ASVS 2.6.2, 2.6.3): they were 40-bit codes stored as written (django-otp's
static tokens). Now each has 120 random bits and the database keeps only a salted digest."""

from __future__ import annotations

import hashlib
import importlib
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from pbc.demo import DEMO_PASSWORD
from pbc.orgs.models import AuditEvent
from pbc.signin import recovery, second_factor
from pbc.signin.models import RecoveryCode, RecoveryCodeDevice
from signin import sign_in

CODE_SHAPE = re.compile(r"[a-z2-7]{4}(-[a-z2-7]{4}){5}")


def test_a_code_has_120_random_bits_and_its_digest_is_salted() -> None:
    code = recovery.new_code()
    assert CODE_SHAPE.fullmatch(code)
    assert len(recovery.normalise(code)) * 5 == 120  # 24 base-32 characters of 5 bits
    assert len({recovery.new_code() for _ in range(1000)}) == 1000
    salt, other_salt = recovery.new_salt(), recovery.new_salt()
    assert recovery.digest(code, salt) != recovery.digest(code, other_salt)
    assert recovery.matches(code.upper().replace("-", " "), salt, recovery.digest(code, salt))
    assert not recovery.matches(recovery.new_code(), salt, recovery.digest(code, salt))


def password_only(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def analyst() -> Any:
    return get_user_model().objects.get(username="analyst")


@pytest.mark.django_db
def test_the_database_keeps_no_code_and_each_code_signs_in_once() -> None:
    codes = second_factor.new_recovery_codes(analyst())

    assert len(set(codes)) == 10 and all(CODE_SHAPE.fullmatch(c) for c in codes)
    stored = list(RecoveryCode.objects.filter(device__user=analyst()).values("salt", "digest"))
    assert len(stored) == 10
    for code in codes:
        plain = recovery.normalise(code)
        assert not any(plain in row["salt"] + row["digest"] for row in stored)
        assert any(
            hashlib.sha256(f"{row['salt']}:{plain}".encode()).hexdigest() == row["digest"]
            for row in stored
        )
    client = password_only("analyst")
    typed = codes[3].upper().replace("-", " ")  # as a person may type it
    assert client.post("/accounts/verify/", {"code": typed}).status_code == 302
    assert client.get("/").status_code == 200
    assert RecoveryCode.objects.filter(device__user=analyst()).count() == 9
    again = password_only("analyst")
    assert again.post("/accounts/verify/", {"code": codes[3]}).status_code == 200
    assert again.get("/").status_code == 302


@pytest.mark.django_db
def test_wrong_codes_are_still_throttled() -> None:
    codes = second_factor.new_recovery_codes(analyst())
    client = password_only("analyst")
    assert client.post("/accounts/verify/", {"code": recovery.new_code()}).status_code == 200
    device = RecoveryCodeDevice.objects.get(user=analyst())
    assert device.throttling_failure_count == 1
    # Straight after a wrong code even a right one is refused (django-otp's back-off) ...
    assert client.post("/accounts/verify/", {"code": codes[0]}).status_code == 200
    assert RecoveryCode.objects.filter(device=device).count() == 10
    # ... and accepted once the back-off has passed.
    RecoveryCodeDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=5)
    )
    assert client.post("/accounts/verify/", {"code": codes[0]}).status_code == 302


@pytest.mark.django_db
def test_new_codes_replace_the_old_ones_and_are_audited() -> None:
    old = second_factor.new_recovery_codes(analyst())
    client = Client()
    client.force_login(analyst())
    assert b"Make new recovery codes" in client.get("/accounts/recovery-codes/").content

    page = client.post("/accounts/recovery-codes/").content.decode()

    new = re.findall(r"<code>([a-z2-7-]+)</code>", page)
    assert len(new) == 10 and not set(new) & set(old)
    assert AuditEvent.objects.filter(action="recovery_codes_replaced", username="analyst").exists()
    assert password_only("analyst").post("/accounts/verify/", {"code": old[0]}).status_code == 200
    RecoveryCodeDevice.objects.get(user=analyst()).throttle_reset()  # the old code's back-off
    assert password_only("analyst").post("/accounts/verify/", {"code": new[0]}).status_code == 302


MIGRATION = importlib.import_module("pbc.signin.migrations.0002_hash_plain_recovery_codes")


@pytest.mark.django_db
def test_the_migration_hashes_existing_plain_codes_and_deletes_them() -> None:
    """A database from before this change holds django-otp's static tokens in plain text."""
    user = get_user_model().objects.get(username="enh-analyst")
    RecoveryCodeDevice.objects.filter(user=user).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE otp_static_staticdevice (id integer PRIMARY KEY, user_id integer, "
            "name varchar(64), confirmed boolean)"
        )
        cursor.execute(
            "CREATE TABLE otp_static_statictoken (id integer PRIMARY KEY, device_id integer, "
            "token varchar(16))"
        )
        cursor.execute(
            "INSERT INTO otp_static_staticdevice VALUES (7, %s, 'recovery codes', %s)",
            [user.pk, True],
        )
        cursor.execute(
            "INSERT INTO otp_static_statictoken VALUES (1, 7, 'abcdefgh'), (2, 7, 'ijklmnop')"
        )

    MIGRATION.hash_plain_codes(apps, SimpleNamespace(connection=connection))

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM otp_static_statictoken")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM otp_static_staticdevice")
        assert cursor.fetchone()[0] == 0
    device = RecoveryCodeDevice.objects.get(user=user)
    digests = " ".join(RecoveryCode.objects.filter(device=device).values_list("digest", flat=True))
    assert "abcdefgh" not in digests and device.codes.count() == 2
    assert device.verify_token("ABCD-EFGH")  # the code the user wrote down still works, once
    assert not device.verify_token("abcdefgh")
    assert device.codes.count() == 1


@pytest.mark.browser
def test_new_recovery_codes_in_the_browser_then_one_signs_in(live_url: str, page: Any) -> None:
    sign_in(page, live_url, "analyst")
    page.click(".nhsuk-header__account-link")
    page.click("text=Make new recovery codes")
    page.click("button:has-text('Make new recovery codes')")
    # The form posts and the next page shows the codes: wait for it, not for the click alone.
    page.wait_for_selector(".pbc-recovery-codes code")
    codes = page.locator(".pbc-recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(CODE_SHAPE.fullmatch(c) for c in codes)
    page.click("button.nhsuk-header__account-button")  # sign out

    page.fill("#id_username", "analyst")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(re.compile(r".*/accounts/verify/.*"))
    page.fill("#id_code", codes[0])
    page.click("button:has-text('Continue')")
    page.wait_for_url(live_url + "/")
