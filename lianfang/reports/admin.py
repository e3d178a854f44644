"""Admin of the reports app: every list through ``visible_to`` (core.admin.ScopedAdmin); closed days and
shipped layouts are changed only through the services."""

from __future__ import annotations

from django.contrib import admin

from lianfang.core.admin import ScopedAdmin
from lianfang.reports.models import DailyReport, ReportLayout, ReportRuleSet


@admin.register(DailyReport)
class DailyReportAdmin(ScopedAdmin):
    list_display = ["day", "path", "status", "status_reason", "closed_by", "closed_at"]
    list_filter = ["status"]
    search_fields = ["path"]
    readonly_fields = [f.name for f in DailyReport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportLayout)
class ReportLayoutAdmin(ScopedAdmin):
    list_display = ["key", "name", "source", "issuer", "is_builtin", "district"]
    list_filter = ["is_builtin", "source"]
    search_fields = ["key", "name", "name_en"]
    readonly_fields = [f.name for f in ReportLayout._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportRuleSet)
class ReportRuleSetAdmin(admin.ModelAdmin):
    """Rule sets are configuration visible to operators (no personal data)."""

    list_display = ["key", "name", "effective_from", "close_requires_follow_up", "close_blocks_on_overdue_steps"]

    def has_delete_permission(self, request, obj=None):
        return False
