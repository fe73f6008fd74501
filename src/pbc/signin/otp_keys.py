"""Authenticator (TOTP) keys encrypted at rest (ASVS 2.8.2).

django-otp keeps a TOTP device's key in its `key` column as hex. pbc stores it there encrypted
instead, with AES-256-GCM under `PBC_OTP_KEY` (a 32-byte key, URL-safe base64, from the
environment in production; development uses a fixed, public key, which production refuses):
`e1$<key id>$<base64url of nonce, ciphertext and tag>` (74 characters for the 20-byte keys
pbc and django-otp make; the column holds 80). The key id (6 hex characters of an HMAC under
the key) names which key encrypted it. A copy of the database alone does not give anyone the
users' authenticator codes.

Every save of a device encrypts a key that is still plain hex, and re-encrypts one made under
an old key (listed, comma-separated, in `PBC_OTP_OLD_KEYS` after a change of key) under the
current one: a device is saved at each accepted code, and `pbc.signin` migration 0005 encrypts
the keys stored before this. `Authenticator` (a proxy of django-otp's `TOTPDevice`) reads the
key through `decrypt`; pbc never reads a device through the plain `TOTPDevice` class.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "e1"
ASSOCIATED_DATA = b"pbc authenticator key"
NONCE_BYTES = 12


class OtpKeyError(ValueError):
    """A stored authenticator key cannot be read with the keys this site has."""


def parse_key(text: str) -> bytes:
    """A `PBC_OTP_KEY` value as the 32 bytes it encodes; ValueError if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not URL-safe base64") from error
    if len(raw) != 32:
        raise ValueError(f"{len(raw)} bytes, not 32")
    return raw


def key_id(key: bytes) -> str:
    return hmac.new(key, b"pbc otp key id", hashlib.sha256).hexdigest()[:6]


def current_key() -> bytes:
    return parse_key(settings.PBC_OTP_KEY)


def known_keys() -> dict[str, bytes]:
    keys = [current_key(), *(parse_key(k) for k in getattr(settings, "PBC_OTP_OLD_KEYS", []))]
    return {key_id(k): k for k in keys}


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX + "$")


def encrypt(secret: bytes, key: bytes | None = None) -> str:
    key = key or current_key()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, secret, ASSOCIATED_DATA)
    body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{PREFIX}${key_id(key)}${body}"


def decrypt(stored: str) -> bytes:
    """The authenticator key of a stored value: encrypted (any known key) or, from before, hex."""
    if not is_encrypted(stored):
        return bytes.fromhex(stored)
    _, made_with, body = stored.split("$", 2)
    key = known_keys().get(made_with)
    if key is None:
        raise OtpKeyError(
            f"an authenticator key was encrypted with key {made_with}, which this site does not "
            "have: list it in PBC_OTP_OLD_KEYS"
        )
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], ASSOCIATED_DATA)
    except InvalidTag as error:
        raise OtpKeyError("an authenticator key does not decrypt: it has been altered") from error


def sealed(stored: str) -> str:
    """The value to store: encrypted under the current key (unchanged if it already is)."""
    if is_encrypted(stored) and stored.split("$", 2)[1] == key_id(current_key()):
        return stored
    return encrypt(decrypt(stored))
