"""The second factor's devices (the authenticator app, with its key encrypted, and the recovery
codes), the user's sessions and the browsers they have signed in from."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from django.conf import settings
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

from pbc.signin import otp_keys, recovery

logger = logging.getLogger(__name__)


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A user's recovery codes, as one django-otp device: django-otp's throttling (1, 2, 4...
    seconds after each wrong code, as its static-token device did) and session verification
    work as for the authenticator app."""

    class Meta:
        verbose_name = "recovery codes"
        verbose_name_plural = "recovery codes"

    def get_throttle_factor(self) -> Any:
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def replace_codes(self) -> list[str]:
        """Forget every earlier code and make new ones; return them (they are not kept)."""
        from pbc.signin.second_factor import RECOVERY_CODE_COUNT

        self.codes.all().delete()
        codes = [recovery.new_code() for _ in range(RECOVERY_CODE_COUNT)]
        rows = []
        for code in codes:
            salt = recovery.new_salt()
            rows.append(RecoveryCode(device=self, salt=salt, digest=recovery.digest(code, salt)))
        RecoveryCode.objects.bulk_create(rows)
        return codes

    def verify_token(self, token: Any) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        code = str(token)
        match = next((c for c in self.codes.all() if c.matches(code)), None)
        # Deleted by primary key: of two requests with the same code, only one deletes it.
        if match is not None and RecoveryCode.objects.filter(pk=match.pk).delete()[0] == 1:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False


class RecoveryCode(models.Model):
    """One unused recovery code, as a salted digest only."""

    device = models.ForeignKey(RecoveryCodeDevice, related_name="codes", on_delete=models.CASCADE)
    salt = models.CharField(max_length=32)
    digest = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"a recovery code of {self.device.user}"

    def matches(self, code: str) -> bool:
        return recovery.matches(code, self.salt, self.digest)


class UserSession(models.Model):
    """One signed-in session of a user, so that they can see and end their sessions
    (`pbc.signin.active_sessions`). The session's own data stays in Django's session store; this
    names its key, where it was started from and when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="signed_in_sessions", on_delete=models.CASCADE
    )
    session_key = models.CharField(max_length=40, unique=True)
    signed_in_at = models.DateTimeField()
    address = models.CharField(max_length=45, blank=True)
    browser = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-signed_in_at"]

    def __str__(self) -> str:
        return f"a session of {self.user} from {self.signed_in_at:%Y-%m-%d %H:%M}"


class KnownBrowser(models.Model):
    """A browser a user has signed in from (`pbc.signin.browsers`): a sign-in from any other
    browser is notified to the user. Only a SHA-256 digest of the browser's random cookie is
    kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="known_browsers", on_delete=models.CASCADE
    )
    digest = models.CharField(max_length=64)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "digest"], name="one_row_per_user_browser")
        ]

    def __str__(self) -> str:
        return f"a browser of {self.user} first seen {self.first_seen:%Y-%m-%d %H:%M}"


class Authenticator(TOTPDevice):
    """A user's authenticator app (django-otp's TOTP device) whose key is stored encrypted
    (`pbc.signin.otp_keys`): every save encrypts it, and the code check reads it decrypted."""

    class Meta:
        proxy = True
        verbose_name = "authenticator app"

    @property
    def bin_key(self) -> bytes:
        return otp_keys.decrypt(self.key)

    def verify_token(self, token: Any) -> bool:
        try:
            otp_keys.decrypt(self.key)
        except otp_keys.OtpKeyError:
            # Encrypted under a key this site no longer has: no code can be checked.
            logger.exception("cannot read the authenticator key of %s", self.user)
            return False
        verified: bool = super().verify_token(token)
        return verified

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A key sealed under a key this site lacks is kept as it is (its codes are refused).
        with contextlib.suppress(otp_keys.OtpKeyError):
            self.key = otp_keys.sealed(self.key)
        super().save(*args, **kwargs)


class SecurityKey(TimestampMixin, Device):
    """A FIDO2 / WebAuthn security key (or a platform authenticator) as a second factor
    (`pbc.signin.security_keys`). It takes no typed code: it is checked by the browser's signed
    answer to a challenge. Only the credential's public key and id are stored."""

    credential_id = models.CharField(max_length=1400, unique=True)  # base64url
    credential_data = models.TextField()  # base64url of the attested credential data
    sign_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "security key"

    def verify_token(self, token: Any) -> bool:
        return False  # never a typed code


class TemporaryPassword(models.Model):
    """The user's password was set by an administrator, or generated by pbc for them
    (`pbc.signin.temporary_passwords`, ASVS 2.3.1): it works only until `expires_at`, and only
    to sign in and choose a new password. The row goes when the user changes their password."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, related_name="temporary_password", on_delete=models.CASCADE
    )
    set_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    set_by = models.CharField(max_length=150)

    def __str__(self) -> str:
        return f"a temporary password of {self.user}, until {self.expires_at:%Y-%m-%d %H:%M}"
