"""The Django admin for authenticators: the administrator can see who has one, never see or set
its key, which is stored encrypted (`pbc.signin.otp_keys`), nor delete it here: a lost phone is
dealt with by "Reset second factor" on the user's page (`pbc.orgs.admin`), which records how the
user's identity was confirmed, gives them a temporary password and tells them (ASVS 2.5.7).
django-otp's own TOTP device admin, which shows and edits the key, is removed."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from pbc.signin.models import Authenticator

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "created_at", "last_used_at", "confirmed"]
    search_fields = ["user__username"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a user enrols their own authenticator (/accounts/enrol/)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # "Reset second factor" on the user's page
