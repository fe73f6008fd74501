"""The second factor: a time-based one-time code (TOTP) with recovery codes, by django-otp.

Who needs it: every user who can see patient-level rows (a role granting `view_patient_rows`:
PCT analysts and practice users) and every Django staff user (the admin site). Such a user who
signed in with a password only is sent by `SecondFactorMiddleware` to `/accounts/verify/`, or to
`/accounts/enrol/` when they have no authenticator yet, before any other page.

A user's devices: one confirmed `Authenticator` (django-otp's TOTP device, its key encrypted:
`pbc.signin.otp_keys`) and one `RecoveryCodeDevice`
("recovery codes", ten single-use codes of 120 bits kept only as salted digests:
`pbc.signin.recovery`). django-otp keeps the verified device in the session
(`django_otp.login`), so a session is verified until it ends.
"""

from __future__ import annotations

import re
import time
from typing import Any

import django_otp
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import urlencode
from django_otp.oath import TOTP

from pbc.orgs.access import has_permission
from pbc.orgs.roles import Permission
from pbc.signin import recovery
from pbc.signin.models import Authenticator, RecoveryCodeDevice

AUTHENTICATOR = "authenticator"
RECOVERY_CODES = "recovery codes"
RECOVERY_CODE_COUNT = 10
ISSUER = "pbc"


def needs_second_factor(user: Any) -> bool:
    """Patient-level rows or the admin site: a password alone is not enough."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_staff) or has_permission(user, Permission.VIEW_PATIENT_ROWS)


def authenticator_of(user: Any) -> Authenticator | None:
    device: Authenticator | None = (
        Authenticator.objects.filter(user=user, confirmed=True).order_by("pk").first()
    )
    return device


def is_enrolled(user: Any) -> bool:
    return authenticator_of(user) is not None


def is_verified(user: Any) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def code_at(key_hex: str, when: float, step: int = 30, digits: int = 6) -> str:
    """The TOTP code of a hex key at a time (RFC 6238, as authenticator apps compute it)."""
    totp = TOTP(bytes.fromhex(key_hex), step=step, t0=0, digits=digits, drift=0)
    totp.time = when
    return f"{totp.token():0{digits}d}"


def current_code(device: Authenticator) -> str:
    return code_at(device.bin_key.hex(), time.time(), device.step, device.digits)


@transaction.atomic
def enrol(user: Any, key_hex: str) -> tuple[Authenticator, list[str]]:
    """Give `user` a confirmed authenticator with this key and ten new recovery codes.

    Any earlier authenticator and recovery codes are replaced. Returns the device and the codes
    (shown to the user once; only their digests are stored).
    """
    Authenticator.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = Authenticator.objects.create(
        user=user, name=AUTHENTICATOR, key=key_hex, confirmed=True
    )
    return device, new_recovery_codes(user)


def new_recovery_codes(user: Any) -> list[str]:
    """Ten new recovery codes for `user`, replacing any earlier ones; returned to be shown once."""
    device, _ = RecoveryCodeDevice.objects.get_or_create(
        user=user, name=RECOVERY_CODES, defaults={"confirmed": True}
    )
    return device.replace_codes()


def verify(request: HttpRequest, token: str) -> Any:
    """Check a code from the authenticator (six digits) or a recovery code (used up once
    accepted); on success mark the session verified and return the device, else None.

    Wrong codes slow further tries down (django-otp's throttling: 1, 2, 4... seconds)."""
    user = request.user
    token = recovery.normalise(token)
    if re.fullmatch(r"\d{6}", token):
        candidates: list[Any] = list(Authenticator.objects.filter(user=user, confirmed=True))
    else:
        candidates = list(RecoveryCodeDevice.objects.filter(user=user, confirmed=True))
    for candidate in candidates:
        device = django_otp.verify_token(user, candidate.persistent_id, token)
        if device is not None:
            django_otp.login(request, device)
            return device
    return None


def is_replayed(user: Any, token: str) -> bool:
    """Whether `token` is the authenticator code the user's app gave for the last time step a
    code was accepted at, while that step is still current (ASVS 2.8.5): a code used a second
    time, which django-otp refuses; someone may have watched it being typed."""
    token = "".join(token.split())
    device = authenticator_of(user)
    if device is None or device.last_t < 0 or not re.fullmatch(r"\d{6}", token):
        return False
    now_t = int((time.time() - device.t0) // device.step)
    if now_t - device.last_t > device.tolerance:
        return False
    when = device.t0 + device.last_t * device.step
    return code_at(device.bin_key.hex(), when, device.step, device.digits) == token


class SecondFactorMiddleware:
    """Send a user who needs a second factor and has not given one to verify (or enrol) first."""

    EXEMPT = (
        "login",
        "logout",
        "verify",
        "enrol",
        "confirm_password",  # the password again (pbc.signin.reauth), asked by enrol
        "security_key_verify_begin",
        "security_key_verify_finish",
    )

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        user = request.user
        if needs_second_factor(user) and not is_verified(user):
            exempt = {resolve_url(name) for name in self.EXEMPT}
            if request.path not in exempt:
                target = resolve_url("verify" if is_enrolled(user) else "enrol")
                return HttpResponseRedirect(
                    f"{target}?{urlencode({'next': request.get_full_path()})}"
                )
        return self.get_response(request)
