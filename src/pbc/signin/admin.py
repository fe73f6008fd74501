"""The Django admin for authenticators: the administrator can see who has one and delete it (a
lost phone: the user then enrols again), never see or set its key, which is stored encrypted
(`pbc.signin.otp_keys`). django-otp's own TOTP device admin, which shows and edits the key, is
removed."""

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
