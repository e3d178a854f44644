"""Serializers of the field-operations API: read shapes (personal data masked) and input shapes
(validated here for types only; every rule is in fieldops.services)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.drainage import has_override, set_override
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can
from lianfang.core.serializers import RowIdField, UsableDateField, UsableDateTimeField, VisiblePK
from lianfang.fieldops import models as m


def _enum(choices) -> dict:
    # wrapped in allOf (with a description, so it is not collapsed) so that drf-spectacular's enum
    # post-processing leaves it inline
    values = [str(k) for k in choices if k != ""]
    return {"allOf": [{"type": "string", "enum": values}], "description": "One of: " + ", ".join(values)}


def _inline_enums(fields):
    """Describe choice fields as inline enums in the OpenAPI schema: their names (status, kind,
    category, reason_code) recur across this app's and other apps' models with different choices,
    which would make generated component names collide."""
    for field in fields.values():
        if isinstance(field, serializers.ChoiceField) and not has_override(field, "field"):
            set_override(field, "field", _enum(field.choices))
        elif isinstance(field, serializers.ListField) and isinstance(field.child, serializers.ChoiceField):
            set_override(field, "field", {"type": "array", "items": _enum(field.child.choices)})
    return fields


def local_iso(moment: dt.datetime) -> str:
    """An aware datetime as ISO 8601 in local time (settings.TIME_ZONE: ``…+08:00``)."""
    return timezone.localtime(moment).isoformat()


class Serializer(serializers.Serializer):
    """Base input/output serializer of this app (inline enums)."""

    def get_fields(self):
        return _inline_enums(super().get_fields())


class ModelSerializer(serializers.ModelSerializer):
    """Base model serializer of this app (inline enums)."""

    def get_fields(self):
        return _inline_enums(super().get_fields())


class DivisionCode(serializers.CharField):
    """A division code the caller sees (resolved in the view)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)


# ------------------------------------------------------------------------------------------ gate duty


class GateSerializer(ModelSerializer):
    """A gate (division as its code)."""

    division = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = m.Gate
        fields = ["id", "name", "kind", "division", "path", "shift_pattern", "guards_per_shift", "is_active"]


class GateCreateSerializer(Serializer):
    """Input: a gate for a compound or village (``division`` code)."""

    division = DivisionCode()
    name = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(choices=m.GateKind.choices, default=m.GateKind.MIXED)
    shift_pattern = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    guards_per_shift = serializers.IntegerField(min_value=1, max_value=20, default=1)


class DutyShiftSerializer(ModelSerializer):
    """A guard slot of a shift (aware UTC times)."""

    worker_name = serializers.CharField(source="worker.name", read_only=True, default="")

    class Meta:
        model = m.DutyShift
        fields = [
            "id",
            "gate",
            "path",
            "day",
            "starts_at",
            "ends_at",
            "slot",
            "worker",
            "worker_name",
            "status",
            "status_reason",
            "checked_in_at",
            "checked_out_at",
        ]


class RosterGenerateSerializer(Serializer):
    """Input: the place (``within`` code), the first ``day`` and the number of ``days`` (1-31, default
    1; the last day at most 31 days from today) of a roster."""

    within = DivisionCode()
    day = UsableDateField()
    days = serializers.IntegerField(min_value=1, max_value=31, required=False, default=1)


class RosterReportSerializer(Serializer):
    """What a roster generation did."""

    day = UsableDateField()
    created = serializers.IntegerField()
    gates = serializers.IntegerField()
    skipped = serializers.IntegerField()
    tiers = serializers.DictField(child=serializers.CharField())


class ShiftAssignSerializer(Serializer):
    """Input: the worker id (null frees the slot)."""

    worker = RowIdField(allow_null=True)


class GateCoverageSerializer(Serializer):
    """A gate's uncovered hours on a day and its gaps (ISO datetimes)."""

    gate = serializers.IntegerField(source="gate.pk")
    gate_name = serializers.CharField(source="gate.name")
    tier_key = serializers.CharField()
    needs_duty = serializers.BooleanField()
    uncovered_hours = serializers.FloatField()
    gaps = serializers.SerializerMethodField()

    def get_gaps(self, obj) -> list[list[str]]:
        return [[local_iso(a), local_iso(b)] for a, b in obj.gaps]


# ------------------------------------------------------------------------------------------ patrols


class CheckpointSerializer(ModelSerializer):
    """A patrol checkpoint. ``token`` (the secret printed in its QR code) is given only to a caller
    who may set up the checkpoints there (MANAGE_WORKFORCE at the checkpoint); for anyone else — the
    patrol walking the route — it is null: knowing it would let a scan be recorded from anywhere."""

    division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    token = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "nullable": True})
    def get_token(self, obj) -> str | None:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return obj.token if user is not None and can(user, Capability.MANAGE_WORKFORCE, obj.path) else None

    class Meta:
        model = m.Checkpoint
        fields = ["id", "name", "division", "path", "position", "token", "is_active"]


class CheckpointCreateSerializer(Serializer):
    """Input: a checkpoint for a compound or village (``division`` code)."""

    division = DivisionCode()
    name = serializers.CharField(max_length=80)
    position = serializers.IntegerField(min_value=1, required=False)


class PatrolScanSerializer(ModelSerializer):
    """One checkpoint scanned, with its time."""

    class Meta:
        model = m.PatrolScan
        fields = ["checkpoint", "scanned_at"]


class PatrolRoundSerializer(ModelSerializer):
    """A patrol round: checkpoints expected (ids), scans, missed (ids)."""

    scans = PatrolScanSerializer(many=True, read_only=True)

    class Meta:
        model = m.PatrolRound
        fields = [
            "id",
            "path",
            "worker",
            "started_at",
            "finished_at",
            "status",
            "status_reason",
            "expected",
            "missed",
            "scans",
        ]


class PatrolStartSerializer(Serializer):
    """Input: the place (``division`` code) of the round."""

    division = DivisionCode()


class PatrolScanInputSerializer(Serializer):
    """Input: the token read from a checkpoint's QR code."""

    token = serializers.CharField(max_length=40)


# ------------------------------------------------------------------------------------------ entry/exit


class PassageSerializer(ModelSerializer):
    """An entry/exit record with its decision and reason code (visitor ID and phone masked)."""

    visitor_id_number = serializers.CharField(source="id_masked", read_only=True)
    visitor_phone = serializers.CharField(source="phone_masked", read_only=True)

    class Meta:
        model = m.PassageRecord
        fields = [
            "id",
            "gate",
            "path",
            "at",
            "direction",
            "subject_kind",
            "resident",
            "household",
            "visitor_name",
            "visitor_id_number",
            "visitor_phone",
            "purpose",
            "pass_ref",
            "pass_valid",
            "tier_key",
            "decision",
            "reason_code",
            "note",
        ]


class PassageCreateSerializer(Serializer):
    """Input: a person at a gate (a resident id, or a visitor by name), direction, purpose, pass."""

    gate = VisiblePK(m.Gate)
    direction = serializers.ChoiceField(choices=m.Direction.choices)
    purpose = serializers.ChoiceField(choices=m.Purpose.choices)
    resident = VisiblePK("registry.Resident", required=False, allow_null=True, default=None)
    visitor_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    visitor_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    visitor_id = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    pass_ref = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


# ------------------------------------------------------------------------------------------ screening


class ScreenedPersonSerializer(ModelSerializer):
    """A screened person (ID and phone masked) with the plan of a classified contact."""

    id_number = serializers.CharField(source="id_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    rule_set = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = m.ScreenedPerson
        fields = [
            "id",
            "name",
            "category",
            "status",
            "status_reason",
            "id_number",
            "phone",
            "path",
            "household",
            "precision",
            "needs_verification",
            "origin",
            "arrived_on",
            "risk_area",
            "infection",
            "source_contact",
            "last_exposure_on",
            "rule_set",
            "centralized_until",
            "home_until",
        ]


class ScreenedPersonCreateSerializer(Serializer):
    """Input: a person found by screening; the place is a resident, household or division code."""

    category = serializers.ChoiceField(choices=m.PersonCategory.choices)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    resident = VisiblePK("registry.Resident", required=False, allow_null=True, default=None)
    household = VisiblePK("registry.Household", required=False, allow_null=True, default=None)
    division = DivisionCode(required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    origin = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    arrived_on = UsableDateField(required=False, allow_null=True, default=None)
    risk_area = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    infection = VisiblePK("zones.Infection", required=False, allow_null=True, default=None)
    source_contact = VisiblePK(m.ScreenedPerson, required=False, allow_null=True, default=None)
    last_exposure_on = UsableDateField(required=False, allow_null=True, default=None)


class PersonStatusInputSerializer(Serializer):
    """Input: the new status, its reason code and the evidence."""

    to_status = serializers.ChoiceField(choices=m.PersonStatus.choices)
    reason_code = serializers.ChoiceField(choices=m.StatusReason.choices)
    evidence = serializers.CharField(max_length=2000)


class PersonVerifySerializer(Serializer):
    """Input: where the person stays (a household id or a division code) and how it was verified."""

    household = VisiblePK("registry.Household", required=False, allow_null=True, default=None)
    division = DivisionCode(required=False, allow_blank=True, default="")
    evidence = serializers.CharField(max_length=500)


class PersonStatusChangeSerializer(ModelSerializer):
    """One status change with its reason code and evidence (system-written evidence worded in the
    request's language, StatusChange.display_evidence)."""

    evidence = serializers.CharField(source="display_evidence", read_only=True)

    class Meta:
        model = m.StatusChange
        fields = [
            "at",
            "from_status",
            "to_status",
            "from_category",
            "to_category",
            "reason_code",
            "evidence",
            "actor",
            "bulk",
        ]


class QuarantineTestSerializer(ModelSerializer):
    """A test day of a quarantine plan (phase, day number, due date, result)."""

    class Meta:
        model = m.QuarantineTest
        fields = ["id", "person", "phase", "day_number", "ordinal", "due_on", "result", "result_on", "sample_ref"]


class QuarantineTestResultSerializer(Serializer):
    """Input: a test result (negative or positive), its day and the sample."""

    result = serializers.ChoiceField(choices=[m.TestResult.NEGATIVE, m.TestResult.POSITIVE])
    result_on = UsableDateField(required=False, allow_null=True, default=None)
    sample_ref = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class BulkStatusChangeSerializer(ModelSerializer):
    """A bulk status change and its outcome per person."""

    class Meta:
        model = m.BulkStatusChange
        fields = [
            "id",
            "path",
            "people",
            "to_status",
            "reason_code",
            "evidence",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "results",
        ]


class BulkCreateSerializer(Serializer):
    """Input: the people (ids), the new status, its reason code and the evidence."""

    people = serializers.ListField(child=RowIdField(), min_length=1, max_length=5000)
    to_status = serializers.ChoiceField(choices=m.PersonStatus.choices)
    reason_code = serializers.ChoiceField(choices=m.StatusReason.choices)
    evidence = serializers.CharField(max_length=2000)


class BulkDecisionSerializer(Serializer):
    """Input: the second person's note."""

    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TransferOutSerializer(ModelSerializer):
    """A person to hand over to another district (ID and phone masked)."""

    id_number = serializers.CharField(source="id_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)

    class Meta:
        model = m.TransferOut
        fields = [
            "id",
            "name",
            "category",
            "id_number",
            "phone",
            "destination",
            "last_exposure_on",
            "arrived_on",
            "status",
            "batch",
            "row",
        ]


# ------------------------------------------------------------------------------------------ monitoring


class HomeMonitoringSerializer(ModelSerializer):
    """Home health monitoring of one person of a household."""

    class Meta:
        model = m.HomeMonitoring
        fields = ["id", "household", "resident", "person", "name", "path", "starts_on", "ends_on", "status", "reason"]


class HomeMonitoringCreateSerializer(Serializer):
    """Input: the household, the resident (or a name) and the period."""

    household = VisiblePK("registry.Household")
    resident = VisiblePK("registry.Resident", required=False, allow_null=True, default=None)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    starts_on = UsableDateField()
    ends_on = UsableDateField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class HealthCheckInSerializer(ModelSerializer):
    """A daily health check-in (temperature in °C, symptoms, abnormal)."""

    class Meta:
        model = m.HealthCheckIn
        fields = [
            "id",
            "monitoring",
            "household",
            "day",
            "at",
            "temperature",
            "symptoms",
            "abnormal",
            "source",
            "service_request_ref",
        ]


class HealthCheckInCreateSerializer(Serializer):
    """Input: a check-in recorded by a worker on someone's behalf."""

    monitoring = VisiblePK(m.HomeMonitoring)
    temperature = serializers.CharField(
        max_length=16, help_text="°C, 34.0–43.0 (services.monitoring.TEMPERATURE_RANGE)"
    )
    symptoms = serializers.ListField(
        child=serializers.ChoiceField(choices=m.Symptom.choices), required=False, default=list
    )


# ------------------------------------------------------------------------------------------ disinfection


class DisinfectionScheduleSerializer(ModelSerializer):
    """A public area disinfected every ``interval_hours``."""

    division = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = m.DisinfectionSchedule
        fields = ["id", "division", "path", "place", "interval_hours", "tier_key", "is_active"]


class DisinfectionScheduleCreateSerializer(Serializer):
    """Input: a schedule for a compound or village (``division`` code)."""

    division = DivisionCode()
    place = serializers.CharField(max_length=80)
    interval_hours = serializers.IntegerField(min_value=1, max_value=168)


class DisinfectionLogSerializer(ModelSerializer):
    """A disinfection done: who, when, agent, concentration (mg/L)."""

    class Meta:
        model = m.DisinfectionLog
        fields = ["id", "schedule", "path", "done_at", "performed_by", "agent", "concentration_mg_l", "note"]


class DisinfectionLogCreateSerializer(Serializer):
    """Input: a disinfection done for a schedule."""

    schedule = VisiblePK(m.DisinfectionSchedule)
    performed_by = serializers.CharField(max_length=60)
    agent = serializers.CharField(max_length=80)
    concentration_mg_l = serializers.DecimalField(max_digits=7, decimal_places=1)
    done_at = UsableDateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


# ------------------------------------------------------------------------------------------ notices, alerts


class NoticeSerializer(ModelSerializer):
    """A notice (never naming people) with the token of its public page."""

    division = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = m.Notice
        fields = ["id", "division", "control_area", "path", "title", "body", "status", "token", "published_at"]


class NoticeCreateSerializer(Serializer):
    """Input: a notice to a control area (id) or a community or compound (code)."""

    division = DivisionCode(required=False, allow_blank=True, default="")
    control_area = VisiblePK("zones.ControlArea", required=False, allow_null=True, default=None)
    title = serializers.CharField(max_length=120)
    body = serializers.CharField(max_length=m.NOTICE_BODY_MAX)


class NoticeWithdrawSerializer(Serializer):
    """Input: why the notice is withdrawn."""

    reason = serializers.CharField(max_length=500)


class LocalTimesJSONField(serializers.JSONField):
    """A JSON object whose ISO datetimes with an offset (stored in UTC by older writes) are answered
    in local time (``+08:00``), like every other datetime of the API; other values as they are."""

    def to_representation(self, value):
        if isinstance(value, dict):
            return {key: _local_if_datetime(item) for key, item in value.items()}
        return value


def _local_if_datetime(value):
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if parsed.tzinfo is not None:
            return local_iso(parsed)
    return value


class FieldAlertSerializer(ModelSerializer):
    """An alert raised by field work, for a named worker (``detail`` times in local time)."""

    detail = LocalTimesJSONField(read_only=True)

    class Meta:
        model = m.Alert
        fields = [
            "id",
            "kind",
            "path",
            "recipient",
            "household",
            "gate",
            "message",
            "detail",
            "raised_at",
            "status",
            "acknowledged_at",
        ]


class BriefingItemSerializer(Serializer):
    """One line of a briefing."""

    when = serializers.CharField()
    where = serializers.CharField()
    what = serializers.CharField()
    who = serializers.CharField()
    state = serializers.CharField()
    late = serializers.BooleanField()


class BriefingSectionSerializer(Serializer):
    """A section of a briefing."""

    key = serializers.CharField()
    title = serializers.CharField()
    count = serializers.IntegerField()
    items = BriefingItemSerializer(many=True)


class BriefingSerializer(Serializer):
    """A day's briefing for a place or a team."""

    day = UsableDateField()
    code = serializers.CharField()
    total = serializers.IntegerField()
    sections = BriefingSectionSerializer(many=True)
