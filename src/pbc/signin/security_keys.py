"""FIDO2 / WebAuthn security keys as a second factor (ASVS 2.3.2), with Yubico's python-fido2.

A user with a verified session adds a key from "Security keys" on their account page; at the
second step of signing in, "Use a security key" asks the browser for the key's signature over a
fresh 32-byte challenge, which replaces the authenticator app's code for that session. The
browser side is `static/security_keys.js` (the WebAuthn JSON forms of the options and answers).

The relying party id is the host name the request came to (checked against `ALLOWED_HOSTS` by
Django), and the browser's origin must be that host over HTTPS (`localhost` may be plain HTTP,
for development and tests). Each challenge lives in the session until it is answered once. The
signature counter is kept; an answer whose counter does not go up (from a key that counts) is
refused as a possible clone. Attestation is not asked for: pbc accepts any key model.
"""

from __future__ import annotations

import base64
from typing import Any

from django.http import HttpRequest
from fido2.server import Fido2Server
from fido2.webauthn import (
    AttestedCredentialData,
    AuthenticatorData,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntity,
    UserVerificationRequirement,
)

from pbc.signin.models import SecurityKey

RP_NAME = "pbc"
REGISTER_STATE = "pbc_security_key_register"
VERIFY_STATE = "pbc_security_key_verify"


class SecurityKeyRefused(ValueError):
    """The browser's answer does not prove the key: the message says why (for the audit log)."""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def server_for(request: HttpRequest) -> Fido2Server:
    host = request.get_host().rsplit(":", 1)[0] if "]" not in request.get_host() else ""
    return Fido2Server(PublicKeyCredentialRpEntity(id=host, name=RP_NAME))


def keys_of(user: Any) -> list[SecurityKey]:
    return list(SecurityKey.objects.filter(user=user, confirmed=True).order_by("pk"))


def credentials(keys: list[SecurityKey]) -> list[AttestedCredentialData]:
    return [AttestedCredentialData(unb64(k.credential_data)) for k in keys]


def register_begin(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    options, state = server_for(request).register_begin(
        PublicKeyCredentialUserEntity(
            id=str(user.pk).encode(),
            name=user.get_username(),
            display_name=user.get_full_name() or user.get_username(),
        ),
        credentials(keys_of(user)),
        user_verification=UserVerificationRequirement.DISCOURAGED,
    )
    request.session[REGISTER_STATE] = state
    return dict(options)


def register_finish(request: HttpRequest, answer: Any, name: str) -> SecurityKey:
    state = request.session.pop(REGISTER_STATE, None)
    if state is None:
        raise SecurityKeyRefused("no registration was started in this session")
    try:
        auth_data: AuthenticatorData = server_for(request).register_complete(state, answer)
    except (ValueError, KeyError, TypeError) as error:
        raise SecurityKeyRefused(str(error) or type(error).__name__) from error
    credential = auth_data.credential_data
    assert credential is not None
    return SecurityKey.objects.create(
        user=request.user,
        name=(name.strip() or "Security key")[:64],
        confirmed=True,
        credential_id=b64(credential.credential_id),
        credential_data=b64(bytes(credential)),
        sign_count=auth_data.counter,
    )


def verify_begin(request: HttpRequest) -> dict[str, Any]:
    keys = keys_of(request.user)
    if not keys:
        raise SecurityKeyRefused("the account has no security key")
    options, state = server_for(request).authenticate_begin(
        credentials(keys), user_verification=UserVerificationRequirement.DISCOURAGED
    )
    request.session[VERIFY_STATE] = state
    return dict(options)


def verify_finish(request: HttpRequest, answer: Any) -> SecurityKey:
    state = request.session.pop(VERIFY_STATE, None)
    if state is None:
        raise SecurityKeyRefused("no sign-in with a security key was started in this session")
    keys = keys_of(request.user)
    try:
        used = server_for(request).authenticate_complete(state, credentials(keys), answer)
        counter = AuthenticatorData(unb64(answer["response"]["authenticatorData"])).counter
    except (ValueError, KeyError, TypeError) as error:
        raise SecurityKeyRefused(str(error) or type(error).__name__) from error
    key = next(k for k in keys if k.credential_id == b64(used.credential_id))
    if (counter or key.sign_count) and counter <= key.sign_count:
        raise SecurityKeyRefused(
            f"the key's signature counter went from {key.sign_count} to {counter}: it may be cloned"
        )
    key.sign_count = counter
    key.set_last_used_timestamp(commit=False)
    key.save()
    return key
