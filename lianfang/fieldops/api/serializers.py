"""Serializers of the field-operations API: read shapes (personal data masked) and input shapes
(validated here for types only; every rule is in fieldops.services)."""

from __future__ import annotations

from drf_spectacular.drainage import has_override, set_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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


class Serializer(serializers.Serializer):
    """Base input/output serializer of this app (inline enums)."""

    def get_fields(self):
        return _inline_enums(super().get_fields())


class ModelSerializer(serializers.ModelSerializer):
    """Base model serializer of this app (inline enums)."""

    def get_fields(self):
        return _inline_enums(super().get_fields())


@extend_schema_field(OpenApiTypes.INT)
class VisiblePK(serializers.PrimaryKeyRelatedField):
    """A primary key resolved through ``Model.objects.visible_to(request.user)``: a row out of the
    caller's scope is "does not exist", exactly like one that does not."""

    def __init__(self, model, **kwargs):
        self.model = model  # a model class or an "app_label.Model" label, resolved when used
        super().__init__(**kwargs)

    def get_queryset(self):
        from django.apps import apps  # noqa: PLC0415

        model = apps.get_model(self.model) if isinstance(self.model, str) else self.model
        request = self.context.get("request")
        return model.objects.visible_to(request.user if request else None)


class DivisionCode(serializers.CharField):
    """A division code the caller sees (resolved in the view)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)


# ------------------------------------------------------------------------------------------ gate duty


class GateSerializer(ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = m.Gate
        fields = ["id", "name", "kind", "division", "path", "shift_pattern", "guards_per_shift", "is_active"]


class GateCreateSerializer(Serializer):
    division = DivisionCode()
    name = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(choices=m.GateKind.choices, default=m.GateKind.MIXED)
    shift_pattern = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    guards_per_shift = serializers.IntegerField(min_value=1, max_value=20, default=1)


class DutyShiftSerializer(ModelSerializer):
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
    within = DivisionCode()
    day = serializers.DateField()


class RosterReportSerializer(Serializer):
    day = serializers.DateField()
    created = serializers.IntegerField()
    gates = serializers.IntegerField()
    skipped = serializers.IntegerField()
    tiers = serializers.DictField(child=serializers.CharField())


class ShiftAssignSerializer(Serializer):
    worker = serializers.IntegerField(allow_null=True)


class GateCoverageSerializer(Serializer):
    gate = serializers.IntegerField(source="gate.pk")
    gate_name = serializers.CharField(source="gate.name")
    tier_key = serializers.CharField()
    needs_duty = serializers.BooleanField()
    uncovered_hours = serializers.FloatField()
    gaps = serializers.SerializerMethodField()

    def get_gaps(self, obj) -> list[list[str]]:
        return [[a.isoformat(), b.isoformat()] for a, b in obj.gaps]


# ------------------------------------------------------------------------------------------ patrols


class CheckpointSerializer(ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = m.Checkpoint
        fields = ["id", "name", "division", "path", "position", "token", "is_active"]


class CheckpointCreateSerializer(Serializer):
    division = DivisionCode()
    name = serializers.CharField(max_length=80)
    position = serializers.IntegerField(min_value=1, required=False)


class PatrolScanSerializer(ModelSerializer):
    class Meta:
        model = m.PatrolScan
        fields = ["checkpoint", "scanned_at"]


class PatrolRoundSerializer(ModelSerializer):
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
    division = DivisionCode()


class PatrolScanInputSerializer(Serializer):
    token = serializers.CharField(max_length=40)


# ------------------------------------------------------------------------------------------ entry/exit


class PassageSerializer(ModelSerializer):
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
    category = serializers.ChoiceField(choices=m.PersonCategory.choices)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    resident = VisiblePK("registry.Resident", required=False, allow_null=True, default=None)
    household = VisiblePK("registry.Household", required=False, allow_null=True, default=None)
    division = DivisionCode(required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    origin = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    arrived_on = serializers.DateField(required=False, allow_null=True, default=None)
    risk_area = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    infection = VisiblePK("zones.Infection", required=False, allow_null=True, default=None)
    source_contact = VisiblePK(m.ScreenedPerson, required=False, allow_null=True, default=None)
    last_exposure_on = serializers.DateField(required=False, allow_null=True, default=None)


class PersonStatusInputSerializer(Serializer):
    to_status = serializers.ChoiceField(choices=m.PersonStatus.choices)
    reason_code = serializers.ChoiceField(choices=m.StatusReason.choices)
    evidence = serializers.CharField(max_length=2000)


class PersonVerifySerializer(Serializer):
    household = VisiblePK("registry.Household", required=False, allow_null=True, default=None)
    division = DivisionCode(required=False, allow_blank=True, default="")
    evidence = serializers.CharField(max_length=500)


class PersonStatusChangeSerializer(ModelSerializer):
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
    class Meta:
        model = m.QuarantineTest
        fields = ["id", "person", "phase", "day_number", "ordinal", "due_on", "result", "result_on", "sample_ref"]


class QuarantineTestResultSerializer(Serializer):
    result = serializers.ChoiceField(choices=[m.TestResult.NEGATIVE, m.TestResult.POSITIVE])
    result_on = serializers.DateField(required=False, allow_null=True, default=None)
    sample_ref = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class BulkStatusChangeSerializer(ModelSerializer):
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
    people = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=5000)
    to_status = serializers.ChoiceField(choices=m.PersonStatus.choices)
    reason_code = serializers.ChoiceField(choices=m.StatusReason.choices)
    evidence = serializers.CharField(max_length=2000)


class BulkDecisionSerializer(Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TransferOutSerializer(ModelSerializer):
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
    class Meta:
        model = m.HomeMonitoring
        fields = ["id", "household", "resident", "person", "name", "path", "starts_on", "ends_on", "status", "reason"]


class HomeMonitoringCreateSerializer(Serializer):
    household = VisiblePK("registry.Household")
    resident = VisiblePK("registry.Resident", required=False, allow_null=True, default=None)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class HealthCheckInSerializer(ModelSerializer):
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
    monitoring = VisiblePK(m.HomeMonitoring)
    temperature = serializers.CharField(max_length=6)
    symptoms = serializers.ListField(
        child=serializers.ChoiceField(choices=m.Symptom.choices), required=False, default=list
    )


# ------------------------------------------------------------------------------------------ disinfection


class DisinfectionScheduleSerializer(ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = m.DisinfectionSchedule
        fields = ["id", "division", "path", "place", "interval_hours", "tier_key", "is_active"]


class DisinfectionScheduleCreateSerializer(Serializer):
    division = DivisionCode()
    place = serializers.CharField(max_length=80)
    interval_hours = serializers.IntegerField(min_value=1, max_value=168)


class DisinfectionLogSerializer(ModelSerializer):
    class Meta:
        model = m.DisinfectionLog
        fields = ["id", "schedule", "path", "done_at", "performed_by", "agent", "concentration_mg_l", "note"]


class DisinfectionLogCreateSerializer(Serializer):
    schedule = VisiblePK(m.DisinfectionSchedule)
    performed_by = serializers.CharField(max_length=60)
    agent = serializers.CharField(max_length=80)
    concentration_mg_l = serializers.DecimalField(max_digits=7, decimal_places=1)
    done_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


# ------------------------------------------------------------------------------------------ notices, alerts


class NoticeSerializer(ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = m.Notice
        fields = ["id", "division", "control_area", "path", "title", "body", "status", "token", "published_at"]


class NoticeCreateSerializer(Serializer):
    division = DivisionCode(required=False, allow_blank=True, default="")
    control_area = VisiblePK("zones.ControlArea", required=False, allow_null=True, default=None)
    title = serializers.CharField(max_length=120)
    body = serializers.CharField()


class NoticeWithdrawSerializer(Serializer):
    reason = serializers.CharField(max_length=500)


class FieldAlertSerializer(ModelSerializer):
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
    when = serializers.CharField()
    where = serializers.CharField()
    what = serializers.CharField()
    who = serializers.CharField()
    state = serializers.CharField()
    late = serializers.BooleanField()


class BriefingSectionSerializer(Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    count = serializers.IntegerField()
    items = BriefingItemSerializer(many=True)


class BriefingSerializer(Serializer):
    day = serializers.DateField()
    code = serializers.CharField()
    total = serializers.IntegerField()
    sections = BriefingSectionSerializer(many=True)
