from django.contrib import admin

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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "pct", "locality", "practice", "provider"]
    list_filter = ["role"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "action", "object_type", "object_id", "path"]
    list_filter = ["action"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):  # the audit log is written by the system only
        return False

    def has_delete_permission(self, request, obj=None):
        return False
