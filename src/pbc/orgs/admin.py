"""The Django admin: for the site's administrator account (a superuser with no membership).

Memberships and audit events are read-only here: roles change only through pbc's own audited
actions (`pbc.orgs.actions`), the audit log only by the system. A superuser or staff flag is
refused to a user who holds a membership (`NoMemberAdminForm`).
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from pbc.orgs.models import (
    AuditEvent,
    Locality,
    MarketForcesFactor,
    Membership,
    Pct,
    Practice,
    Provider,
)

admin.site.site_header = "Practice Based Commissioning administration"
admin.site.register(Pct)
admin.site.register(Locality)


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "locality"]
    list_filter = ["locality"]
    search_fields = ["code", "name"]


class MffInline(admin.TabularInline):
    model = MarketForcesFactor
    extra = 0


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind"]
    inlines = [MffInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    """Roles are given and taken away by `pbc.orgs.actions` (scoped and audited), not here."""

    list_display = ["user", "role", "pct", "locality", "practice", "provider"]
    list_filter = ["role"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log is written by the system only."""

    list_display = ["at", "username", "action", "object_type", "object_id", "path"]
    list_filter = ["action"]


class NoMemberAdminForm(forms.ModelForm):
    """A user holding a role in an organisation cannot be made staff or superuser."""

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        user = self.instance
        raised = data.get("is_staff") or data.get("is_superuser")
        if raised and user.pk is not None and Membership.objects.filter(user=user).exists():
            raise forms.ValidationError(
                "This user holds a role in an organisation: a user with a role is never staff "
                "or superuser. Use a separate administrator account with no role."
            )
        return data


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PbcUserAdmin(UserAdmin):
    form = type("UserChangeForm", (NoMemberAdminForm, UserAdmin.form), {})
