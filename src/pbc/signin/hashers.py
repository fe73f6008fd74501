"""Password hashing with a secret pepper (ASVS 2.4.5): PBKDF2-SHA256 as Django does it, over the
password keyed first with HMAC-SHA256 by a pepper that lives outside the database.

The pepper is the setting `PBC_PASSWORD_PEPPER` (the environment variable of that name in
production; development uses a fixed, public pepper, which production refuses). A copy of the
database alone therefore does not let anyone test guesses against the hashes: each guess needs
the pepper too.

A stored hash reads `pbkdf2_sha256_pepper$<pepper id>$<iterations>$<salt>$<hash>`; the pepper
id (8 hex characters of an HMAC of a fixed text under the pepper) names which pepper made it,
without revealing it. Changing the pepper: set the new one and list the old ones, comma-separated,
in `PBC_PASSWORD_OLD_PEPPERS`; a hash made with an old pepper still verifies, and is made again
with the new one when its user next signs in (Django's rehash on sign-in). Hashes made before
pbc had a pepper (plain `pbkdf2_sha256`) are upgraded the same way, at their user's next sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, mask_hash, must_update_salt
from django.utils.crypto import constant_time_compare, pbkdf2


def pepper_id(pepper: str) -> str:
    """A short name for a pepper that reveals nothing of it."""
    return hmac.new(pepper.encode(), b"pbc password pepper id", hashlib.sha256).hexdigest()[:8]


def current_pepper() -> str:
    pepper: str = settings.PBC_PASSWORD_PEPPER
    return pepper


def known_peppers() -> dict[str, str]:
    """Every pepper a stored hash may have been made with, by id: the current one and the old."""
    peppers = [current_pepper(), *getattr(settings, "PBC_PASSWORD_OLD_PEPPERS", [])]
    return {pepper_id(p): p for p in peppers if p}


def peppered(password: str, pepper: str) -> str:
    """The password keyed by the pepper: what PBKDF2 then stretches."""
    return hmac.new(pepper.encode(), password.encode(), hashlib.sha256).hexdigest()


class PepperedPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sha256_pepper"

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        return self._encode(password, salt, iterations or self.iterations, current_pepper())

    def _encode(self, password: str, salt: str, iterations: int, pepper: str) -> str:
        self._check_encode_args(password, salt)
        stretched = pbkdf2(peppered(password, pepper), salt, iterations, digest=self.digest)
        encoded = base64.b64encode(stretched).decode("ascii").strip()
        return f"{self.algorithm}${pepper_id(pepper)}${iterations}${salt}${encoded}"

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, made_with, iterations, salt, stretched = encoded.split("$", 4)
        assert algorithm == self.algorithm
        return {
            "algorithm": algorithm,
            "pepper_id": made_with,
            "hash": stretched,
            "iterations": int(iterations),
            "salt": salt,
        }

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        pepper = known_peppers().get(decoded["pepper_id"])
        if pepper is None:
            # Made with a pepper this site no longer knows: refused (list it in
            # PBC_PASSWORD_OLD_PEPPERS until its users have signed in again).
            return False
        again = self._encode(password, decoded["salt"], decoded["iterations"], pepper)
        return constant_time_compare(encoded, again)

    def safe_summary(self, encoded: str) -> dict[str, Any]:
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "pepper": decoded["pepper_id"],
            "iterations": decoded["iterations"],
            "salt": mask_hash(decoded["salt"]),
            "hash": mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return bool(
            decoded["pepper_id"] != pepper_id(current_pepper())
            or decoded["iterations"] != self.iterations
            or must_update_salt(decoded["salt"], self.salt_entropy)
        )

    def harden_runtime(self, password: str, encoded: str) -> None:
        decoded = self.decode(encoded)
        extra_iterations = self.iterations - decoded["iterations"]
        if extra_iterations > 0:
            self._encode(password, decoded["salt"], extra_iterations, current_pepper())
