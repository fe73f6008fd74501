"""A secret pepper in password hashing (ASVS 2.4.5): hashes were Django's PBKDF2 alone, so a
copy of the database was enough to test guesses against them. (The rest of the suite hashes
with MD5 for speed; these tests use the site's own hashers, with fewer iterations.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, make_password
from django.test import Client, override_settings

from pbc.config import production
from pbc.demo import DEMO_PASSWORD
from pbc.signin.hashers import PepperedPBKDF2PasswordHasher, pepper_id

PEPPER = "a-pepper-of-the-tests-kept-apart-from-the-db"
NEW_PEPPER = "a-second-pepper-after-the-first-was-rotated"


@pytest.fixture(autouse=True)
def site_hashers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The site's hashers and a pepper of its own, with 1,000 iterations instead of 1,000,000."""
    monkeypatch.setattr(PBKDF2PasswordHasher, "iterations", 1000)
    monkeypatch.setattr(PepperedPBKDF2PasswordHasher, "iterations", 1000)
    with override_settings(
        PASSWORD_HASHERS=[
            "pbc.signin.hashers.PepperedPBKDF2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ],
        PBC_PASSWORD_PEPPER=PEPPER,
        PBC_PASSWORD_OLD_PEPPERS=[],
    ):
        yield


def test_the_site_hashes_with_the_pepper_first() -> None:
    from pbc.config import settings as site_settings

    assert site_settings.PASSWORD_HASHERS[0] == "pbc.signin.hashers.PepperedPBKDF2PasswordHasher"
    assert site_settings.PBC_PASSWORD_PEPPER == production.DEVELOPMENT_PEPPER  # not production


def test_a_hash_needs_the_pepper_to_check_a_guess() -> None:
    encoded = make_password("a quiet harbour at dusk 42")

    algorithm, made_with, iterations, salt, _ = encoded.split("$")
    assert (algorithm, made_with, iterations) == ("pbkdf2_sha256_pepper", pepper_id(PEPPER), "1000")
    assert PEPPER not in encoded
    assert check_password("a quiet harbour at dusk 42", encoded)
    assert not check_password("a quiet harbour at dusk 43", encoded)
    # Whoever has the database but not the pepper: PBKDF2 of the right password with the
    # stored salt and iterations does not give the stored hash ...
    plain = PBKDF2PasswordHasher().encode("a quiet harbour at dusk 42", salt, 1000)
    assert plain.split("$")[-1] != encoded.split("$")[-1]
    # ... and a site with another pepper cannot check it either.
    with override_settings(PBC_PASSWORD_PEPPER=NEW_PEPPER):
        assert not check_password("a quiet harbour at dusk 42", encoded)


def sign_in(username: str) -> None:
    response = Client().post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and "/accounts/login/" not in response["Location"]


@pytest.mark.django_db
def test_a_hash_from_before_the_pepper_is_made_again_at_the_next_sign_in() -> None:
    User = get_user_model()
    User.objects.filter(username="locality").update(
        password=make_password(DEMO_PASSWORD, hasher="pbkdf2_sha256")
    )
    assert User.objects.get(username="locality").password.startswith("pbkdf2_sha256$")

    sign_in("locality")

    stored = User.objects.get(username="locality").password
    assert stored.startswith(f"pbkdf2_sha256_pepper${pepper_id(PEPPER)}$")
    assert check_password(DEMO_PASSWORD, stored)
    sign_in("locality")  # and it keeps working


@pytest.mark.django_db
def test_a_new_pepper_keeps_old_hashes_working_through_the_old_list_and_rehashes() -> None:
    User = get_user_model()
    User.objects.filter(username="locality").update(password=make_password(DEMO_PASSWORD))

    with override_settings(PBC_PASSWORD_PEPPER=NEW_PEPPER):
        # not listed as an old pepper: the hash cannot be checked, the sign-in is refused
        refused = Client().post(
            "/accounts/login/", {"username": "locality", "password": DEMO_PASSWORD}
        )
        assert refused.status_code == 200
        with override_settings(PBC_PASSWORD_OLD_PEPPERS=[PEPPER]):
            sign_in("locality")
        stored = User.objects.get(username="locality").password
        assert stored.startswith(f"pbkdf2_sha256_pepper${pepper_id(NEW_PEPPER)}$")
        sign_in("locality")  # the old pepper is no longer needed for this account
