"""API shapes of testing rounds. Personal data is masked (names ``张*``, IDs ``4405**********0014``)."""

from __future__ import annotations

from rest_framework import serializers

from lianfang.core.serializers import CodeField, RowIdField, UsableDateTimeField
from lianfang.screening.models import (
    MAX_CAPACITY_PER_HOUR,
    MAX_PLANNED_PEOPLE,
    MIN_CAPACITY_PER_HOUR,
    LabResult,
    PoolFollowUp,
    ResultException,
    Sample,
    SamplingDesk,
    SamplingSite,
    SamplingTask,
    TestingRound,
    Tube,
)
from lianfang.screening.services.base import mask_name


class RoundSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    nodes = serializers.SerializerMethodField()

    class Meta:
        model = TestingRound
        fields = [
            "id",
            "name",
            "path",
            "status",
            "opened_at",
            "deadline",
            "closed_at",
            "expected_people",
            "rule_set_key",
            "control_area_ref",
            "nodes",
        ]

    def get_nodes(self, obj) -> list[str]:
        return [n.code for n in obj.nodes.all()]


class RoundCreateSerializer(serializers.Serializer):
    """Open a round over division ``codes`` or control area ``control_area``; ``deadline`` optional.
    A code that is not 1-20 digits is a 400 naming it: ``{"codes": {"0": ["“abc” is not a division
    code (1 to 20 digits)"]}}`` (the key is its position in the list)."""

    name = serializers.CharField(max_length=120)
    codes = serializers.ListField(child=CodeField(), required=False, default=list)
    control_area = RowIdField(required=False, allow_null=True, default=None)
    deadline = UsableDateTimeField(required=False, allow_null=True, default=None)


class SiteSerializer(serializers.ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SamplingSite
        fields = ["id", "round", "name", "division", "path", "planned_people"]


class SiteCreateSerializer(serializers.Serializer):
    round = RowIdField()
    name = serializers.CharField(max_length=120)
    division = CodeField()
    planned_people = serializers.IntegerField(min_value=0, max_value=MAX_PLANNED_PEOPLE, default=0)


class DeskSerializer(serializers.ModelSerializer):
    mode = serializers.CharField(read_only=True)

    class Meta:
        model = SamplingDesk
        fields = ["id", "site", "round", "name", "path", "mode", "capacity_per_hour"]


class DeskCreateSerializer(serializers.Serializer):
    site = RowIdField()
    name = serializers.CharField(max_length=60)
    mode = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    capacity_per_hour = serializers.IntegerField(
        min_value=MIN_CAPACITY_PER_HOUR, max_value=MAX_CAPACITY_PER_HOUR, default=60
    )


class TaskSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    mode = serializers.CharField(read_only=True)

    class Meta:
        model = SamplingTask
        fields = [
            "id",
            "round",
            "kind",
            "status",
            "path",
            "household",
            "resident",
            "mode",
            "team",
            "people",
            "due_at",
            "done_at",
            "follow_up",
        ]


class TubeSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    mode = serializers.CharField(read_only=True)
    result = serializers.CharField(read_only=True)

    class Meta:
        model = Tube
        fields = [
            "id",
            "round",
            "desk",
            "task",
            "client_key",
            "barcode",
            "mode",
            "capacity",
            "people",
            "path",
            "status",
            "opened_at",
            "closed_at",
            "lab",
            "result",
            "result_at",
        ]


class SampleSerializer(serializers.ModelSerializer):
    purpose = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    class Meta:
        model = Sample
        fields = [
            "id",
            "round",
            "tube",
            "member",
            "resident",
            "household",
            "path",
            "purpose",
            "name",
            "id_masked",
            "unregistered",
            "taken_at",
        ]

    def get_name(self, obj) -> str:
        return mask_name(obj.name)


class SampleCreateSerializer(serializers.Serializer):
    """One desk or task submission (services.desk.desk_submit): ``kind`` scan / resident / child / close."""

    desk = RowIdField(required=False, allow_null=True, default=None)
    task = RowIdField(required=False, allow_null=True, default=None)
    kind = serializers.RegexField(r"^(scan|resident|child|close)$")
    value = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    tube = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    guardian = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    at = UsableDateTimeField(required=False, allow_null=True, default=None)


class LabResultSerializer(serializers.ModelSerializer):
    value = serializers.CharField(read_only=True)
    barcode = serializers.CharField(source="tube.barcode", read_only=True)

    class Meta:
        model = LabResult
        fields = ["id", "tube", "barcode", "value", "lab", "reported_at", "batch", "recorded_at"]


class ResultLineSerializer(serializers.Serializer):
    barcode = serializers.CharField(max_length=200)
    result = serializers.CharField(max_length=40)
    lab = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    reported_at = UsableDateTimeField(required=False, allow_null=True, default=None)


class ResultBatchSerializer(serializers.Serializer):
    lab = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    lines = ResultLineSerializer(many=True, allow_empty=False)  # an empty batch would record an empty import


class ResultExceptionSerializer(serializers.ModelSerializer):
    reason = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = ResultException
        fields = ["id", "batch", "line", "barcode_text", "value_text", "lab", "reason", "tube", "status", "created_at"]


class FollowUpStepSerializer(serializers.Serializer):
    """One step of a positive pool's follow-up; ``due_at``/``done_at`` in local time (+08:00)."""

    kind = serializers.CharField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True)
    done_at = serializers.DateTimeField(read_only=True, allow_null=True)
    escalated_level = serializers.IntegerField(read_only=True, allow_null=True)


class FollowUpSerializer(serializers.ModelSerializer):
    """A positive pool's follow-up: masked members and its steps; every datetime in local time."""

    status = serializers.CharField(read_only=True)
    barcode = serializers.CharField(source="tube.barcode", read_only=True)
    members = serializers.SerializerMethodField()
    steps = FollowUpStepSerializer(many=True, read_only=True)

    class Meta:
        model = PoolFollowUp
        fields = [
            "id",
            "tube",
            "barcode",
            "round",
            "path",
            "status",
            "opened_at",
            "closed_at",
            "control_area_ref",
            "members",
            "steps",
        ]

    def get_members(self, obj) -> list[dict]:
        return [
            {
                "name": mask_name(m.name),
                "household": m.household_id,
                "status": m.status,
                "retest_tube": m.retest_tube_id,
            }
            for m in obj.members.all()
        ]


class ScreeningCoverageRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    expected = serializers.IntegerField()
    sampled = serializers.IntegerField()
    pending = serializers.IntegerField()
    negative = serializers.IntegerField()
    positive = serializers.IntegerField()
    invalid = serializers.IntegerField()
    exempt = serializers.IntegerField()
    home_visit_open = serializers.IntegerField()
    missed = serializers.IntegerField()


class ScreeningCoverageSerializer(serializers.Serializer):
    by = serializers.CharField()
    within = serializers.CharField()
    totals = ScreeningCoverageRowSerializer()
    rows = ScreeningCoverageRowSerializer(many=True)


class SubmissionSerializer(serializers.Serializer):
    """The outcome of a desk submission (stored under its idempotency key)."""

    status = serializers.CharField()
    message = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    tube = serializers.DictField(required=False)
    people = serializers.ListField(child=serializers.DictField(), required=False)
    warnings = serializers.ListField(child=serializers.CharField(), required=False)
    replayed = serializers.BooleanField(required=False)
