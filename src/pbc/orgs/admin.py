"""The Django admin: for the site's administrator account (a superuser with no membership).

Memberships and audit events are read-only here: roles change only through pbc's own audited
actions (`pbc.orgs.actions`), the audit log only by the system. A superuser or staff flag is
refused to a user who holds a membership (`NoMemberAdminForm`).

Every change the administrator makes to a user (a password set, the account created,
deactivated, reactivated, renamed, its rights changed, deleted) is audited and the user is told
by e-mail (`pbc.signin.staff_changes`); a password the administrator sets is temporary. A user
who lost their second factor gets it reset from their page ("Reset second factor"), with the
administrator recording how they confirmed who the user is.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from pbc.orgs.models import (
    AuditEvent,
    Locality,
    MarketForcesFactor,
    Membership,
    Pct,
    Practice,
    Provider,
)
from pbc.signin import staff_changes

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


class SecondFactorResetForm(forms.Form):
    evidence = forms.CharField(
        label="How you confirmed this person's identity",
        help_text=(
            "As when their account was first set up: for example, seen in person with their "
            "NHS smartcard, or called back on the number their line manager confirmed. This is "
            "kept in the audit log."
        ),
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(User)
class PbcUserAdmin(UserAdmin):
    form = type("UserChangeForm", (NoMemberAdminForm, UserAdmin.form), {})

    # The password strength meter (ASVS 2.1.8) on the add page (and, through its template, the
    # set-password page).
    class Media:
        js = ["pbc/password_strength.js"]

    change_user_password_template = "admin/signin/change_password.html"
    change_form_template = "admin/signin/user_change_form.html"

    def get_urls(self):  # type: ignore[no-untyped-def]
        return [
            path(
                "<id>/second-factor-reset/",
                self.admin_site.admin_view(self.second_factor_reset),
                name="auth_user_second_factor_reset",
            ),
            *super().get_urls(),
        ]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            obj._pbc_before = staff_changes.snapshot(User.objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # groups and permissions
        user = form.instance
        if change:
            staff_changes.account_changed(request.user, user, user._pbc_before, request)
        else:
            staff_changes.account_created(request.user, user, request)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        user = self.get_object(request, unquote(id))
        before = staff_changes.snapshot(user) if user is not None else None
        response = super().user_change_password(request, id, form_url)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            response.context_data["temporary_hours"] = settings.PBC_TEMPORARY_PASSWORD_HOURS
        if before is not None and response.status_code == 302:
            staff_changes.account_changed(
                request.user, User.objects.get(pk=user.pk), before, request
            )
        return response

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        staff_changes.account_deleted(request.user, obj, request)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            staff_changes.account_deleted(request.user, user, request)
        super().delete_queryset(request, queryset)

    def second_factor_reset(self, request: HttpRequest, id: str) -> HttpResponse:
        """Remove a user's authenticator, recovery codes and security keys and give them a new
        temporary password, after the administrator says how they confirmed who the user is
        (ASVS 2.5.7): the user then enrols again as a new user does."""
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404("No such user.")
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        form = SecondFactorResetForm(request.POST if request.method == "POST" else None)
        password = ""
        if request.method == "POST" and form.is_valid():
            if user.pk == request.user.pk:
                messages.error(request, "Ask another administrator to reset your own.")
            else:
                password = staff_changes.reset_second_factor(
                    request.user, user, form.cleaned_data["evidence"], request
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reset the second factor of {user.get_username()}",
            "opts": self.opts,
            "original": user,
            "form": form,
            "password": password,
            "temporary_hours": settings.PBC_TEMPORARY_PASSWORD_HOURS,
        }
        return TemplateResponse(request, "admin/signin/second_factor_reset.html", context)
