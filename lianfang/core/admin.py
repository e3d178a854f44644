"""Admin base: every admin list goes through ``visible_to``; the audit log is read-only."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from lianfang.core.audit_labels import action_choices, action_label
from lianfang.core.models import AuditEntry


class ScopedAdmin(admin.ModelAdmin):
    """ModelAdmin whose rows come from ``Model.objects.visible_to(request.user)`` (deny by default)."""

    def get_queryset(self, request):
        return self.model.objects.visible_to(request.user)


class ActionFilter(admin.SimpleListFilter):
    """The action filter with translated labels (core.audit_labels) instead of raw codes."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by().values_list("action", flat=True).distinct()
        return action_choices(codes)

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ScopedAdmin):
    list_display = ["at", "actor", "action_label", "object_type", "object_id", "division_code", "reason"]
    list_filter = [ActionFilter]
    search_fields = ["object_id", "division_code"]

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj):
        return action_label(obj.action)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
