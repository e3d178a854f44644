"""API shapes of service requests, exit passes and supply plans (phones never appear here)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from lianfang.assistance.models import (
    Category,
    Channel,
    EventKind,
    ExitPass,
    FiledBy,
    Outcome,
    Priority,
    ServiceRequest,
    Status,
    SupplyPlan,
    TicketEvent,
)
from lianfang.assistance.selectors import NOT_A_HANDOFF_CANDIDATE
from lianfang.core.serializers import RowIdField

API_CHANNELS = [Channel.STAFF, Channel.HOTLINE, Channel.API, Channel.MONITORING, Channel.PROACTIVE]


def _values(choices) -> str:
    return ", ".join(value for value, _label in choices)


class ServiceRequestSerializer(serializers.ModelSerializer):
    """A ticket: state, clocks (aware UTC datetimes; ``overdue`` = a step past its deadline now),
    responsibility ``escalation_level`` (4 household representative … 1 street/town) and the channels
    it arrived through. ``linked``/``replayed`` are set on the create response only."""

    community = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category = serializers.CharField(read_only=True, help_text=_values(Category.choices))
    priority = serializers.CharField(read_only=True, help_text=_values(Priority.choices))
    resident_urgency = serializers.CharField(read_only=True, help_text=f"empty or {_values(Priority.choices)}")
    status = serializers.CharField(read_only=True, help_text=_values(Status.choices))
    outcome = serializers.CharField(read_only=True, help_text=f"empty or {_values(Outcome.choices)}")
    assignee_name = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    channels = serializers.SerializerMethodField()
    description = serializers.CharField(
        source="description_text",
        read_only=True,
        help_text="as filed; an automatic request's text (refill, home-monitoring reading, silent emergency) "
        "in the caller's language (Accept-Language)",
    )

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "number",
            "household",
            "path",
            "community",
            "resident",
            "category",
            "description",
            "resident_urgency",
            "priority",
            "status",
            "status_reason",
            "outcome",
            "received_at",
            "accepted_at",
            "on_site_at",
            "fulfilled_at",
            "confirmed_at",
            "closed_at",
            "accept_due_at",
            "on_site_due_at",
            "fulfil_due_at",
            "due_at",
            "overdue",
            "escalation_level",
            "routed_level",
            "assignee",
            "assignee_name",
            "tier_key",
            "intake_count",
            "channels",
        ]
        read_only_fields = fields

    def get_assignee_name(self, obj) -> str:
        return str(obj.assignee) if obj.assignee_id else ""

    def get_overdue(self, obj) -> bool:
        if (late := getattr(obj, "is_overdue", None)) is not None:  # selectors.by_urgency, same instant as the order
            return bool(late)
        return bool(obj.is_open and obj.due_at and obj.due_at < timezone.now())

    def get_channels(self, obj) -> list[str]:
        return sorted({i.channel for i in obj.intakes.all()})


class ServiceRequestCreateSerializer(serializers.Serializer):
    """File a need. Send an ``Idempotency-Key`` header to make retries safe: the same key from the same
    user returns the first answer and writes nothing. A need the household already has open links to
    that ticket (``linked`` true, status 200) instead of opening another (status 201)."""

    household = RowIdField()
    category = serializers.ChoiceField(choices=Category.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    resident = RowIdField(required=False, allow_null=True, default=None)
    resident_urgency = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=10, help_text=f"empty or {_values(Priority.choices)}"
    )
    channel = serializers.ChoiceField(choices=[(c.value, c.label) for c in API_CHANNELS], default=Channel.API)
    filed_by = serializers.CharField(
        required=False, allow_null=True, default=None, max_length=10, help_text=_values(FiledBy.choices)
    )
    reporter_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20, write_only=True)


class CreatedServiceRequestSerializer(ServiceRequestSerializer):
    linked = serializers.BooleanField(read_only=True)
    replayed = serializers.BooleanField(read_only=True)

    class Meta(ServiceRequestSerializer.Meta):
        fields = [*ServiceRequestSerializer.Meta.fields, "linked", "replayed"]
        read_only_fields = fields


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(max_length=2000)


class TriageSerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class HandOffTargetField(RowIdField):
    """A user id; a value that is not an id (core.serializers.RowIdField: not a whole number, below 1,
    past 2**63 − 1) is refused with the hand-off message naming it."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            raise serializers.ValidationError(NOT_A_HANDOFF_CANDIDATE % {"value": data}) from None


class HandOffSerializer(serializers.Serializer):
    """``to``: the user id of one of the people the ticket page offers for a hand-off
    (``selectors.handoff_candidates``; the service refuses anyone else: a 400 naming the value)."""

    to = HandOffTargetField(
        help_text="user id of the person offered the ticket: one of those the ticket page offers for a hand-off"
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class TicketEventSerializer(serializers.ModelSerializer):
    """One timeline entry: when, who (``actor_name``; empty: Lianfang itself), what, status change,
    reason code, responsibility level reached, note."""

    kind = serializers.CharField(read_only=True, help_text=_values(EventKind.choices))
    from_status = serializers.CharField(read_only=True, help_text=f"empty or {_values(Status.choices)}")
    to_status = serializers.CharField(read_only=True, help_text=f"empty or {_values(Status.choices)}")

    class Meta:
        model = TicketEvent
        fields = [
            "at",
            "actor",
            "actor_name",
            "kind",
            "from_status",
            "to_status",
            "reason_code",
            "level",
            "note",
            "public",
        ]
        read_only_fields = fields


class ExitPassWindowSerializer(serializers.Serializer):
    """One window of an exit pass: ISO 8601 datetimes in local time (+08:00), like every datetime."""

    starts_at = serializers.DateTimeField(read_only=True)
    ends_at = serializers.DateTimeField(read_only=True)


class ExitPassSerializer(serializers.ModelSerializer):
    """A medical exit pass with its windows (local time, +08:00); the QR token is never exposed."""

    status = serializers.CharField(read_only=True, help_text="active, revoked")

    windows = ExitPassWindowSerializer(many=True, read_only=True)

    class Meta:
        model = ExitPass
        fields = [
            "id",
            "number",
            "ticket",
            "household",
            "resident",
            "destination",
            "purpose",
            "vehicle",
            "companion",
            "status",
            "approved_at",
            "windows",
        ]
        read_only_fields = fields


class SupplyPlanSerializer(serializers.ModelSerializer):
    """A supply plan: area code, day, pack table, status and delivery counts."""

    division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = serializers.CharField(read_only=True, help_text="active, closed")
    progress = serializers.SerializerMethodField()

    class Meta:
        model = SupplyPlan
        fields = ["id", "name", "division", "day", "contents", "pack_sizes", "status", "progress"]
        read_only_fields = fields

    def get_progress(self, obj) -> dict[str, int]:
        from lianfang.assistance.selectors import plan_progress  # noqa: PLC0415

        return plan_progress(obj)
