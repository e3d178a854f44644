"""Admin base: every admin list goes through ``visible_to``; the audit log is read-only."""

from __future__ import annotations

from django.contrib import admin

from lianfang.core.models import AuditEntry


class ScopedAdmin(admin.ModelAdmin):
    """ModelAdmin whose rows come from ``Model.objects.visible_to(request.user)`` (deny by default)."""

    def get_queryset(self, request):
        return self.model.objects.visible_to(request.user)


@admin.register(AuditEntry)
class AuditEntryAdmin(ScopedAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "division_code", "reason"]
    list_filter = ["action"]
    search_fields = ["object_id", "division_code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
