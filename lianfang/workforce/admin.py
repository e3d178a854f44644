"""Admin views of the workforce: scoped (core.admin.ScopedAdmin) and read-only, since every write goes
through lianfang.workforce.services (validated, atomic, audited)."""

from django.contrib import admin

from lianfang.core.admin import ScopedAdmin
from lianfang.workforce.models import Deployment, GridRuleSet, ResponsibilityAssignment, Team, Worker


class ReadOnlyScopedAdmin(ScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Worker)
class WorkerAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "path", "position", "sending_organisation", "phone_masked"]
    search_fields = ["name", "name_initials", "path"]
    readonly_fields = ["phone_masked", "id_masked"]
    exclude = ["phone_enc", "id_enc"]


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyScopedAdmin):
    list_display = ["worker", "path", "starts_on", "ends_on", "end_reason"]
    list_select_related = ["worker"]
    search_fields = ["path"]


@admin.register(Team)
class TeamAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "path", "leader"]
    list_select_related = ["leader"]


@admin.register(ResponsibilityAssignment)
class ResponsibilityAssignmentAdmin(ReadOnlyScopedAdmin):
    list_display = ["level", "worker", "path", "household", "starts_on", "ends_on", "end_reason"]
    list_filter = ["level", "end_reason"]
    list_select_related = ["worker", "household"]
    search_fields = ["path"]
    raw_id_fields = ["worker", "household", "division", "community", "compound", "previous", "district"]


@admin.register(GridRuleSet)
class GridRuleSetAdmin(admin.ModelAdmin):
    """Rule sets hold no personal data; they are shipped by migrations and read here."""

    list_display = ["code", "name", "name_en", "effective_from", "target_households", "overload_threshold"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
