"""Admin: read-only views of tickets and their records (every write goes through services.py), and the
service rule sets (data, edited by system operators)."""

from django.contrib import admin

from lianfang.assistance.models import (
    CareMedicine,
    CheckInTask,
    ExitPass,
    HouseholdToken,
    Intake,
    Notification,
    ServiceRequest,
    SlaLimit,
    SlaRuleSet,
    SupplyDelivery,
    SupplyPlan,
    TicketEvent,
)
from lianfang.core.admin import ScopedAdmin


class ReadOnlyScopedAdmin(ScopedAdmin):
    """Scoped and read-only: changes go through the service functions (audited)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyScopedAdmin):
    list_display = ["number", "category", "priority", "status", "received_at", "due_at", "escalation_level", "path"]
    list_filter = ["status", "category", "priority"]
    search_fields = ["number", "path"]
    raw_id_fields = ["household", "resident", "assignee", "offered_to", "routed_worker"]


@admin.register(Intake)
class IntakeAdmin(ReadOnlyScopedAdmin):
    list_display = ["ticket", "channel", "filed_by", "reporter_name", "phone_masked", "received_at", "linked"]
    list_filter = ["channel", "linked"]


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyScopedAdmin):
    list_display = ["ticket", "at", "kind", "actor_name", "from_status", "to_status", "reason_code", "level"]
    list_filter = ["kind"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyScopedAdmin):
    list_display = ["ticket", "kind", "level", "recipient_worker", "recipient_user", "created_at", "read_at"]
    list_filter = ["kind"]


@admin.register(HouseholdToken)
class HouseholdTokenAdmin(ReadOnlyScopedAdmin):
    list_display = ["household", "hint", "issued_at", "revoked_at", "revoke_reason"]


@admin.register(ExitPass)
class ExitPassAdmin(ReadOnlyScopedAdmin):
    list_display = ["number", "resident", "destination", "status", "approved_at"]


@admin.register(CareMedicine)
class CareMedicineAdmin(ReadOnlyScopedAdmin):
    list_display = ["resident", "name", "dose_per_day", "stock", "stock_counted_on", "active"]


@admin.register(CheckInTask)
class CheckInTaskAdmin(ReadOnlyScopedAdmin):
    list_display = ["day", "resident", "worker", "done_at", "result"]


@admin.register(SupplyPlan)
class SupplyPlanAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "path", "day", "status"]


@admin.register(SupplyDelivery)
class SupplyDeliveryAdmin(ReadOnlyScopedAdmin):
    list_display = ["plan", "address", "headcount", "pack", "status", "confirmed_at"]


class SlaLimitInline(admin.TabularInline):
    model = SlaLimit
    extra = 0


@admin.register(SlaRuleSet)
class SlaRuleSetAdmin(admin.ModelAdmin):
    """Rule sets are data, not personal data: visible to system operators in the admin."""

    list_display = ["code", "name", "effective_from", "district", "is_builtin"]
    inlines = [SlaLimitInline]
    raw_id_fields = ["district"]
