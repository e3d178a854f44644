"""Admin for field operations: every list through ``visible_to`` (core.admin.ScopedAdmin)."""

from django.contrib import admin

from lianfang.core.admin import ScopedAdmin
from lianfang.fieldops import models as m


@admin.register(m.FieldRuleSet)
class FieldRuleSetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "effective_from", "default_shift_pattern", "fever_threshold"]


@admin.register(m.Gate)
class GateAdmin(ScopedAdmin):
    list_display = ["name", "path", "kind", "guards_per_shift", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "path"]
    raw_id_fields = ["district", "division"]


@admin.register(m.DutyShift)
class DutyShiftAdmin(ScopedAdmin):
    list_display = ["gate", "starts_at", "ends_at", "slot", "worker", "status"]
    list_filter = ["status"]
    raw_id_fields = ["district", "gate", "worker"]
    list_select_related = ["gate", "worker"]


@admin.register(m.Checkpoint)
class CheckpointAdmin(ScopedAdmin):
    list_display = ["name", "path", "position", "is_active"]
    raw_id_fields = ["district", "division"]
    readonly_fields = ["token"]


@admin.register(m.PatrolRound)
class PatrolRoundAdmin(ScopedAdmin):
    list_display = ["path", "started_at", "finished_at", "status"]
    list_filter = ["status"]
    raw_id_fields = ["district", "division", "worker", "started_by"]


@admin.register(m.PassageRecord)
class PassageRecordAdmin(ScopedAdmin):
    list_display = ["gate", "at", "direction", "subject_kind", "purpose", "decision", "reason_code"]
    list_filter = ["decision", "direction", "purpose"]
    raw_id_fields = ["district", "gate", "resident", "household", "recorded_by"]
    readonly_fields = ["id_masked", "phone_masked"]


@admin.register(m.ScreenedPerson)
class ScreenedPersonAdmin(ScopedAdmin):
    list_display = ["name", "category", "status", "id_masked", "path", "needs_verification", "last_exposure_on"]
    list_filter = ["category", "status", "needs_verification"]
    search_fields = ["name", "id_last4"]
    raw_id_fields = [
        "district",
        "household",
        "resident",
        "infection",
        "source_contact",
        "rule_set",
        "import_batch",
        "created_by",
    ]
    readonly_fields = ["id_masked", "phone_masked", "status", "status_reason"]


@admin.register(m.QuarantineTest)
class QuarantineTestAdmin(ScopedAdmin):
    list_display = ["person", "phase", "day_number", "due_on", "result"]
    list_filter = ["result", "phase"]
    raw_id_fields = ["district", "person", "recorded_by"]


@admin.register(m.BulkStatusChange)
class BulkStatusChangeAdmin(ScopedAdmin):
    list_display = ["pk", "to_status", "reason_code", "status", "requested_by", "decided_by"]
    readonly_fields = ["status", "results"]
    raw_id_fields = ["district", "requested_by", "decided_by"]


@admin.register(m.TransferOut)
class TransferOutAdmin(ScopedAdmin):
    list_display = ["name", "category", "destination", "status"]
    readonly_fields = ["id_masked", "phone_masked"]
    raw_id_fields = ["district", "batch", "handed_over_by"]


@admin.register(m.HomeMonitoring)
class HomeMonitoringAdmin(ScopedAdmin):
    list_display = ["name", "path", "starts_on", "ends_on", "status"]
    list_filter = ["status"]
    raw_id_fields = ["district", "household", "resident", "person", "created_by"]


@admin.register(m.HealthCheckIn)
class HealthCheckInAdmin(ScopedAdmin):
    list_display = ["monitoring", "day", "temperature", "abnormal", "source"]
    list_filter = ["abnormal", "source"]
    raw_id_fields = ["district", "monitoring", "household", "recorded_by"]


@admin.register(m.DisinfectionSchedule)
class DisinfectionScheduleAdmin(ScopedAdmin):
    list_display = ["division", "place", "interval_hours", "tier_key", "is_active"]
    raw_id_fields = ["district", "division"]


@admin.register(m.DisinfectionLog)
class DisinfectionLogAdmin(ScopedAdmin):
    list_display = ["schedule", "done_at", "performed_by", "agent", "concentration_mg_l"]
    raw_id_fields = ["district", "schedule", "recorded_by"]


@admin.register(m.Notice)
class NoticeAdmin(ScopedAdmin):
    list_display = ["title", "path", "status", "published_at"]
    list_filter = ["status"]
    raw_id_fields = ["district", "division", "control_area", "created_by", "published_by"]


@admin.register(m.NotificationChannel)
class NotificationChannelAdmin(ScopedAdmin):
    list_display = ["name", "kind", "path", "url_masked", "is_enabled"]
    readonly_fields = ["url_masked"]
    raw_id_fields = ["district", "division"]


@admin.register(m.Alert)
class AlertAdmin(ScopedAdmin):
    list_display = ["kind", "message", "path", "recipient", "raised_at", "status"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["district", "recipient", "household", "gate", "acknowledged_by"]
