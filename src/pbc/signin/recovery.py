"""Recovery codes: what a user types when their authenticator app is lost (ASVS 2.6).

Each code is 120 random bits (`secrets`), shown once as 24 base-32 characters in groups of four
(`abcd-efgh-ijkl-mnop-qrst-uvwx`). The database keeps only a salted SHA-256 digest of each code
(`pbc.signin.models.RecoveryCode`): a copy of the database gives nobody a code, and 120 bits
cannot be guessed from a digest. A code is used up once accepted.

Pure functions; the device that checks codes (with django-otp's throttling) is
`pbc.signin.models.RecoveryCodeDevice`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from base64 import b32encode

CODE_BITS = 120
GROUP = 4


def new_code() -> str:
    """A new code of CODE_BITS random bits, grouped for reading."""
    text = b32encode(secrets.token_bytes(CODE_BITS // 8)).decode().lower()
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


def normalise(code: str) -> str:
    """What is compared: the code without spaces or hyphens, in lower case."""
    return re.sub(r"[\s-]", "", code or "").lower()


def new_salt() -> str:
    return secrets.token_hex(16)


def digest(code: str, salt: str) -> str:
    """The stored form of a code: SHA-256 of the salt and the normalised code."""
    return hashlib.sha256(f"{salt}:{normalise(code)}".encode()).hexdigest()


def matches(code: str, salt: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(code, salt), stored_digest)
