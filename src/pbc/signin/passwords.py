"""Passwords: the longest pbc accepts, and a signed-in user changing their own.

ASVS 2.1.2: at least 64 characters are allowed and more than 128 refused (`MaximumLengthValidator`,
one of `AUTH_PASSWORD_VALIDATORS`, so the admin's forms refuse them too). ASVS 2.1.5/2.1.6: a user
changes their password with the current one and a new one (`ChangePasswordForm`); the current
password is checked through `authenticate`, so wrong ones count towards django-axes' lockout like
wrong sign-ins, and are audited as failed sign-ins.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

MAXIMUM_LENGTH = 128


class MaximumLengthValidator:
    """Refuse passwords longer than `max_length` characters (128 by default)."""

    def __init__(self, max_length: int = MAXIMUM_LENGTH) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long. It must contain at most {self.max_length} characters.",
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return f"Your password must contain at most {self.max_length} characters."


class ChangePasswordForm(PasswordChangeForm):
    """Django's form (current password, new password twice, every password validator), with the
    current password checked as a sign-in is: throttled and locked out by django-axes."""

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        super().__init__(request.user, *args, **kwargs)

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data.get("old_password", "")
        user = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if user is None or user.pk != self.user.pk:
            raise ValidationError(
                "Your current password is not right. Enter it again.",
                code="password_incorrect",
            )
        return old_password

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean()
        # A temporary password (pbc.signin.temporary_passwords) never becomes the long-term one.
        new_password = data.get("new_password2")
        if new_password and new_password == data.get("old_password"):
            self.add_error(
                "new_password2",
                ValidationError(
                    "Your new password must be different from your current one.",
                    code="password_unchanged",
                ),
            )
        return data
